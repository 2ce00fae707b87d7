/*
 * boot.c: direct kernel boot (-kernel/-initrd/-append). Recognises the kernel
 * format, hands it to the Linux or Multiboot loader, and holds the small
 * helpers both loaders share (file reading, guest RAM writes, the boot GDT).
 *
 * Formats: Linux x86 boot protocol (Documentation/arch/x86/boot.rst: "HdrS"
 * at offset 0x202) and Multiboot v1 (Multiboot Specification 0.6.96 §3.1:
 * header magic 0x1BADB002, 32-bit aligned, within the first 8192 bytes).
 * docs/boot.md describes the memory layout and entry states.
 */
#include "util/osdep.h"
#include "hw/pc/boot-internal.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINUX_HDRS_MAGIC      0x53726448u   /* "HdrS" */
#define MULTIBOOT_MAGIC       0x1badb002u
#define MULTIBOOT_SEARCH      8192

KernelKind kernel_probe(const uint8_t *img, size_t len)
{
    if (len >= 0x206 && ldl_le(img + 0x202) == LINUX_HDRS_MAGIC) {
        return KERNEL_LINUX;
    }
    size_t end = MIN(len, (size_t)MULTIBOOT_SEARCH);
    for (size_t off = 0; off + 12 <= end; off += 4) {
        if (ldl_le(img + off) != MULTIBOOT_MAGIC) {
            continue;
        }
        uint32_t sum = ldl_le(img + off) + ldl_le(img + off + 4) + ldl_le(img + off + 8);
        if (sum == 0) {
            return KERNEL_MULTIBOOT;
        }
    }
    return KERNEL_UNKNOWN;
}

uint8_t *boot_read_file(const char *what, const char *path, uint64_t max, size_t *len,
                        Error **errp)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error_setg_errno(errp, errno, "%s %s", what, path);
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        error_setg_errno(errp, errno, "%s %s", what, path);
        close(fd);
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        error_setg(errp, "%s %s: is a directory", what, path);
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        error_setg(errp, "%s %s: not a regular file", what, path);
        close(fd);
        return NULL;
    }
    if ((uint64_t)st.st_size > max) {
        error_setg(errp, "%s %s: file is %" PRIu64 " bytes, more than the %" PRIu64
                   " that fit in guest RAM", what, path, (uint64_t)st.st_size, max);
        close(fd);
        return NULL;
    }
    size_t size = st.st_size;
    /* One extra byte so an empty file still gets a valid buffer. */
    uint8_t *buf = g_try_malloc(size + 1);
    if (!buf) {
        error_setg(errp, "%s %s: cannot allocate %zu bytes to read it", what, path, size);
        close(fd);
        return NULL;
    }
    size_t done = 0;
    while (done < size) {
        ssize_t r = read(fd, buf + done, size - done);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            error_setg_errno(errp, errno, "%s %s", what, path);
            g_free(buf);
            close(fd);
            return NULL;
        }
        if (r == 0) {
            break;      /* file shrank while we read it: use what is there */
        }
        done += r;
    }
    close(fd);
    *len = done;
    return buf;
}

bool boot_range_in_low_ram(const Machine *m, uint64_t addr, uint64_t len)
{
    return addr <= m->below_4g_mem && len <= m->below_4g_mem - addr;
}

bool boot_write(Machine *m, uint64_t addr, const void *buf, uint64_t len, Error **errp)
{
    if (len && memmap_write(&m->mem, addr, buf, len) != MEMTX_OK) {
        error_setg(errp, "boot loader: guest range 0x%" PRIx64 "+0x%" PRIx64
                   " is not RAM", addr, len);
        return false;
    }
    return true;
}

bool boot_zero(Machine *m, uint64_t addr, uint64_t len, Error **errp)
{
    static const uint8_t zeros[64 * 1024];
    while (len) {
        uint64_t chunk = MIN(len, (uint64_t)sizeof(zeros));
        if (!boot_write(m, addr, zeros, chunk, errp)) {
            return false;
        }
        addr += chunk;
        len -= chunk;
    }
    return true;
}

bool boot_setup_gdt(Machine *m, CPUX86State *env, bool long_mode, Error **errp)
{
    const uint32_t code = DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK |
                          DESC_A_MASK | DESC_G_MASK;
    const uint32_t data = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK |
                          DESC_G_MASK | DESC_B_MASK;
    uint8_t gdt[4 * 8] = { 0 };

    /* Entries 0 and 1 stay null; Linux's own boot GDT has __BOOT_CS at 2 and
     * __BOOT_DS at 3, and boot.rst asks for exactly those selectors. */
    stq_le(gdt + BOOT_CS, x86_make_descriptor(0, 0xffffffff,
                                              code | (long_mode ? DESC_L_MASK
                                                                : DESC_B_MASK)));
    stq_le(gdt + BOOT_DS, x86_make_descriptor(0, 0xffffffff, data));
    if (!boot_write(m, BOOT_GDT_ADDR, gdt, sizeof(gdt), errp)) {
        return false;
    }
    env->gdt.base = BOOT_GDT_ADDR;
    env->gdt.limit = sizeof(gdt) - 1;
    return true;
}

bool pc_boot_kernel(Machine *m, CPUX86State *bsp, Error **errp)
{
    const char *path = m->cfg.kernel;
    if (!path) {
        return true;    /* firmware boot: the BSP stays at the reset vector */
    }

    size_t len;
    uint8_t *img = boot_read_file("-kernel", path, m->below_4g_mem, &len, errp);
    if (!img) {
        return false;
    }
    bool ok;
    switch (kernel_probe(img, len)) {
    case KERNEL_LINUX:
        ok = linux_load(m, img, len, m->cfg.initrd, m->cfg.append, bsp, errp);
        break;
    case KERNEL_MULTIBOOT:
        ok = multiboot_load(m, img, len, path, m->cfg.initrd, m->cfg.append, bsp, errp);
        break;
    default:
        error_setg(errp, "-kernel %s: not a Linux bzImage or Multiboot kernel", path);
        ok = false;
        break;
    }
    g_free(img);
    return ok;
}
