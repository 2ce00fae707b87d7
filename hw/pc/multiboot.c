/*
 * multiboot.c: Multiboot v1 kernels (Multiboot Specification 0.6.96), the
 * format of bt86's own bare-metal test programs (tests/guest/) and of many
 * small kernels.
 *
 * §3.1 the OS image header: magic, flags, checksum; with flag bit 16 the
 *      "a.out kludge" address fields say where to load the file, otherwise
 *      the image is ELF32 and its PT_LOAD program headers do (loaded at
 *      p_paddr; System V ABI, ELF32 program header table).
 * §3.2 machine state: EAX = 0x2BADB002, EBX = physical address of the info
 *      structure, flat 32-bit protected mode, paging and interrupts off.
 * §3.3 boot information: memory sizes, command line, modules, memory map,
 *      boot loader name.
 *
 * Layout: the info structure and everything it points to live in one area
 * from MULTIBOOT_INFO_ADDR up to the EBDA; the kernel may not overlap it.
 * Modules (-initrd a,b,c) follow the kernel's highest byte, page aligned.
 */
#include "util/osdep.h"
#include "hw/pc/boot-internal.h"

#define MB_HEADER_MAGIC   0x1badb002u
#define MB_BOOT_MAGIC     0x2badb002u
#define MB_SEARCH         8192

/* Header flags: bits 0-15 are requirements we must honour or refuse. */
#define MB_HF_PAGE_ALIGN  (1u << 0)
#define MB_HF_MEMINFO     (1u << 1)
#define MB_HF_VIDEO       (1u << 2)
#define MB_HF_AOUT_KLUDGE (1u << 16)
#define MB_HF_REQUIRED    0x0000ffffu
#define MB_HF_KNOWN       (MB_HF_PAGE_ALIGN | MB_HF_MEMINFO | MB_HF_VIDEO)

/* Info structure flags and offsets (§3.3). */
#define MBI_MEM           (1u << 0)
#define MBI_CMDLINE       (1u << 2)
#define MBI_MODS          (1u << 3)
#define MBI_MMAP          (1u << 6)
#define MBI_LOADER_NAME   (1u << 9)

#define MBI_FLAGS         0
#define MBI_MEM_LOWER     4
#define MBI_MEM_UPPER     8
#define MBI_CMDLINE_PTR   16
#define MBI_MODS_COUNT    20
#define MBI_MODS_ADDR     24
#define MBI_MMAP_LENGTH   44
#define MBI_MMAP_ADDR     48
#define MBI_LOADER_PTR    64
#define MBI_SIZE          128   /* 116 defined bytes, rounded up */

#define MB_MOD_SIZE       16    /* mod_start, mod_end, string, reserved */
#define MB_MMAP_ENTRY     24    /* size field (= 20) + base, length, type */
#define MB_MAX_MODULES    64

/* The info area ends where conventional memory does (the EBDA follows). */
#define MB_AREA_END       0x9fc00u
#define MB_HIGH_START     0x100000u
#define PAGE_SIZE_4K      4096u

#define ELF_PT_LOAD       1
#define ELF_EM_386        3

typedef struct MBSegment {
    uint64_t file_off;
    uint64_t paddr;
    uint64_t filesz;
    uint64_t memsz;
} MBSegment;

typedef struct MBImage {
    MBSegment seg[16];
    unsigned nseg;
    uint64_t entry;
} MBImage;

/* A kernel segment may use conventional memory above the info area, or RAM
 * from 1 MiB up to the PCI hole; never the loader's tables, the EBDA, the
 * VGA window or the BIOS. */
static bool mb_segment_ok(const Machine *m, uint64_t addr, uint64_t len,
                          uint64_t area_end)
{
    if (len == 0) {
        return true;
    }
    if (addr >= area_end && addr <= MB_AREA_END && len <= MB_AREA_END - addr) {
        return true;
    }
    return addr >= MB_HIGH_START && boot_range_in_low_ram(m, addr, len);
}

static bool mb_parse_aout(const uint8_t *img, size_t len, size_t hdr_off,
                          const char *kname, MBImage *out, Error **errp)
{
    if (hdr_off + 32 > len) {
        error_setg(errp, "-kernel %s: Multiboot header truncated (a.out kludge fields "
                   "missing)", kname);
        return false;
    }
    uint32_t header_addr = ldl_le(img + hdr_off + 12);
    uint32_t load_addr = ldl_le(img + hdr_off + 16);
    uint32_t load_end = ldl_le(img + hdr_off + 20);
    uint32_t bss_end = ldl_le(img + hdr_off + 24);
    uint32_t entry = ldl_le(img + hdr_off + 28);

    /* The header sits (header_addr - load_addr) bytes into the loaded text,
     * which fixes the file offset of load_addr. */
    if (load_addr > header_addr || header_addr - load_addr > hdr_off) {
        error_setg(errp, "-kernel %s: Multiboot header_addr 0x%x / load_addr 0x%x "
                   "are inconsistent with the header's file offset 0x%zx", kname,
                   header_addr, load_addr, hdr_off);
        return false;
    }
    uint64_t file_off = hdr_off - (header_addr - load_addr);
    uint64_t filesz;
    if (load_end == 0) {
        filesz = len - file_off;
    } else if (load_end < load_addr || load_end - load_addr > len - file_off) {
        error_setg(errp, "-kernel %s: Multiboot load_end_addr 0x%x is outside the "
                   "image (load_addr 0x%x, file %zu bytes)", kname, load_end, load_addr,
                   len);
        return false;
    } else {
        filesz = load_end - load_addr;
    }
    uint64_t memsz = filesz;
    if (bss_end) {
        if (bss_end < load_addr + filesz) {
            error_setg(errp, "-kernel %s: Multiboot bss_end_addr 0x%x is below the "
                       "end of the loaded image", kname, bss_end);
            return false;
        }
        memsz = bss_end - load_addr;
    }
    out->seg[0] = (MBSegment){ file_off, load_addr, filesz, memsz };
    out->nseg = 1;
    out->entry = entry;
    return true;
}

static bool mb_parse_elf(const uint8_t *img, size_t len, const char *kname,
                         MBImage *out, Error **errp)
{
    if (len < 52 || memcmp(img, "\x7f" "ELF", 4) != 0) {
        error_setg(errp, "-kernel %s: Multiboot kernel is not ELF and has no a.out "
                   "kludge (header flag bit 16)", kname);
        return false;
    }
    if (img[4] == 2) {
        error_setg(errp, "-kernel %s: ELF64 Multiboot kernels are only supported with "
                   "the a.out kludge (header flag bit 16)", kname);
        return false;
    }
    if (img[4] != 1 || img[5] != 1 || ldw_le(img + 18) != ELF_EM_386) {
        error_setg(errp, "-kernel %s: Multiboot ELF image is not 32-bit little-endian "
                   "i386", kname);
        return false;
    }
    uint32_t phoff = ldl_le(img + 28);
    uint16_t phentsize = ldw_le(img + 42);
    uint16_t phnum = ldw_le(img + 44);
    if (phentsize < 32 || phoff > len || (uint64_t)phnum * phentsize > len - phoff) {
        error_setg(errp, "-kernel %s: ELF program header table is outside the file",
                   kname);
        return false;
    }
    uint32_t e_entry = ldl_le(img + 24);
    out->nseg = 0;
    out->entry = e_entry;
    bool entry_mapped = false;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = img + phoff + (size_t)i * phentsize;
        if (ldl_le(ph) != ELF_PT_LOAD) {
            continue;
        }
        uint64_t off = ldl_le(ph + 4), vaddr = ldl_le(ph + 8), paddr = ldl_le(ph + 12);
        uint64_t filesz = ldl_le(ph + 16), memsz = ldl_le(ph + 20);
        if (filesz > memsz || off > len || filesz > len - off) {
            error_setg(errp, "-kernel %s: ELF segment %u (offset 0x%" PRIx64 ", size 0x%"
                       PRIx64 ") is outside the file or larger than its memory size",
                       kname, i, off, filesz);
            return false;
        }
        if (memsz == 0) {
            continue;
        }
        if (out->nseg == ARRAY_SIZE(out->seg)) {
            error_setg(errp, "-kernel %s: more than %zu loadable ELF segments", kname,
                       ARRAY_SIZE(out->seg));
            return false;
        }
        out->seg[out->nseg++] = (MBSegment){ off, paddr, filesz, memsz };
        /* e_entry is a virtual address; a higher-half kernel starts with
         * paging off, so translate it through the segment that holds it. */
        if (!entry_mapped && e_entry >= vaddr && e_entry - vaddr < memsz) {
            out->entry = paddr + (e_entry - vaddr);
            entry_mapped = true;
        }
    }
    if (out->nseg == 0) {
        error_setg(errp, "-kernel %s: ELF image has no loadable segment", kname);
        return false;
    }
    return true;
}

/* One -initrd item: "file arg arg". The module string is the whole item,
 * like a boot loader's "module" line; the file name is its first word. */
typedef struct MBModule {
    char *string;
    uint8_t *data;
    size_t len;
    uint64_t addr;
} MBModule;

static void mb_free_modules(MBModule *mods, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        g_free(mods[i].string);
        g_free(mods[i].data);
    }
    g_free(mods);
}

static bool mb_read_modules(Machine *m, const char *list, MBModule **out,
                            unsigned *count, Error **errp)
{
    *out = NULL;
    *count = 0;
    if (!list || !*list) {
        return true;
    }
    gchar **items = g_strsplit(list, ",", -1);
    unsigned n = g_strv_length(items);
    if (n > MB_MAX_MODULES) {
        error_setg(errp, "-initrd %s: at most %d Multiboot modules", list, MB_MAX_MODULES);
        g_strfreev(items);
        return false;
    }
    MBModule *mods = g_new0(MBModule, n);
    for (unsigned i = 0; i < n; i++) {
        char *item = g_strstrip(items[i]);
        gchar **words = g_strsplit_set(item, " \t", 2);
        const char *file = words[0];
        if (!file || !*file) {
            error_setg(errp, "-initrd %s: empty module name in the list", list);
            g_strfreev(words);
            goto fail;
        }
        mods[i].string = g_strdup(item);
        mods[i].data = boot_read_file("-initrd", file, m->below_4g_mem, &mods[i].len,
                                      errp);
        g_strfreev(words);
        if (!mods[i].data) {
            goto fail;
        }
    }
    g_strfreev(items);
    *out = mods;
    *count = n;
    return true;
fail:
    mb_free_modules(mods, n);
    g_strfreev(items);
    return false;
}

/* Builder for the info area: a byte buffer that maps to guest memory from
 * MULTIBOOT_INFO_ADDR; offsets become guest addresses. */
typedef struct MBArea {
    GByteArray *buf;
} MBArea;

static uint32_t mb_area_alloc(MBArea *a, size_t size, size_t align)
{
    size_t off = (a->buf->len + align - 1) & ~(align - 1);
    g_byte_array_set_size(a->buf, off + size);
    memset(a->buf->data + off, 0, size);
    return MULTIBOOT_INFO_ADDR + off;
}

static uint32_t mb_area_string(MBArea *a, const char *s)
{
    size_t n = strlen(s) + 1;
    uint32_t addr = mb_area_alloc(a, n, 1);
    memcpy(a->buf->data + (addr - MULTIBOOT_INFO_ADDR), s, n);
    return addr;
}

static uint8_t *mb_area_ptr(MBArea *a, uint32_t addr)
{
    return a->buf->data + (addr - MULTIBOOT_INFO_ADDR);
}

bool multiboot_load(Machine *m, const uint8_t *img, size_t len, const char *kernel_path,
                    const char *initrd_path, const char *cmdline, CPUX86State *bsp,
                    Error **errp)
{
    const char *kname = kernel_path ? kernel_path : "(kernel)";

    /* Find the header again (kernel_probe only said one exists). */
    size_t hdr_off = SIZE_MAX;
    for (size_t off = 0; off + 12 <= MIN(len, (size_t)MB_SEARCH); off += 4) {
        if (ldl_le(img + off) == MB_HEADER_MAGIC &&
            (uint32_t)(ldl_le(img + off) + ldl_le(img + off + 4) +
                       ldl_le(img + off + 8)) == 0) {
            hdr_off = off;
            break;
        }
    }
    if (hdr_off == SIZE_MAX) {
        error_setg(errp, "-kernel %s: no valid Multiboot header in the first %d bytes",
                   kname, MB_SEARCH);
        return false;
    }
    uint32_t hflags = ldl_le(img + hdr_off + 4);
    if (hflags & MB_HF_REQUIRED & ~MB_HF_KNOWN) {
        error_setg(errp, "-kernel %s: Multiboot header requires features bt86 does not "
                   "provide (flags 0x%08x)", kname, hflags);
        return false;
    }

    MBImage mi;
    bool parsed = (hflags & MB_HF_AOUT_KLUDGE)
                  ? mb_parse_aout(img, len, hdr_off, kname, &mi, errp)
                  : mb_parse_elf(img, len, kname, &mi, errp);
    if (!parsed) {
        return false;
    }

    /* Build the info area first: its size bounds where the kernel may go. */
    unsigned nmods;
    MBModule *mods;
    if (!mb_read_modules(m, initrd_path, &mods, &nmods, errp)) {
        return false;
    }

    MBArea area = { g_byte_array_new() };
    bool ok = false;
    uint32_t info = mb_area_alloc(&area, MBI_SIZE, 8);
    g_assert(info == MULTIBOOT_INFO_ADDR);

    char *full_cmdline = cmdline && *cmdline ? g_strdup_printf("%s %s", kname, cmdline)
                                             : g_strdup(kname);
    uint32_t cmdline_addr = mb_area_string(&area, full_cmdline);
    uint32_t loader_addr = mb_area_string(&area, "bt86");

    E820Entry e820[32];
    unsigned ne = pc_e820_build(m, e820, ARRAY_SIZE(e820));
    uint32_t mmap_addr = mb_area_alloc(&area, (size_t)ne * MB_MMAP_ENTRY, 4);
    for (unsigned i = 0; i < ne; i++) {
        uint8_t *e = mb_area_ptr(&area, mmap_addr) + i * MB_MMAP_ENTRY;
        stl_le(e, MB_MMAP_ENTRY - 4);
        stq_le(e + 4, e820[i].addr);
        stq_le(e + 12, e820[i].size);
        stl_le(e + 20, e820[i].type);
    }

    uint32_t mods_addr = mb_area_alloc(&area, (size_t)MAX(nmods, 1) * MB_MOD_SIZE, 4);
    uint32_t *mod_str = g_new0(uint32_t, MAX(nmods, 1));
    for (unsigned i = 0; i < nmods; i++) {
        mod_str[i] = mb_area_string(&area, mods[i].string);
    }
    uint64_t area_end = MULTIBOOT_INFO_ADDR + (uint64_t)area.buf->len;
    if (area_end > MB_AREA_END) {
        error_setg(errp, "-kernel %s: command line and module names are too long for "
                   "the Multiboot information area (%" PRIu64 " bytes)", kname,
                   area_end - MULTIBOOT_INFO_ADDR);
        goto out;
    }

    /* Kernel segments: check all before writing any. */
    uint64_t image_end = 0;
    for (unsigned i = 0; i < mi.nseg; i++) {
        const MBSegment *s = &mi.seg[i];
        if (!mb_segment_ok(m, s->paddr, s->memsz, area_end)) {
            error_setg(errp, "-kernel %s: segment at 0x%" PRIx64 "+0x%" PRIx64 " is not "
                       "in usable guest RAM (RAM below 4 GiB ends at 0x%" PRIx64 "; "
                       "0-0x%" PRIx64 " holds the boot information)", kname, s->paddr,
                       s->memsz, m->below_4g_mem, area_end);
            goto out;
        }
        image_end = MAX(image_end, s->paddr + s->memsz);
    }

    /* Modules: page aligned (always, whether or not flag bit 0 asks) after the
     * kernel, and never below 1 MiB. */
    uint64_t next = MAX(image_end, (uint64_t)MB_HIGH_START);
    for (unsigned i = 0; i < nmods; i++) {
        next = (next + PAGE_SIZE_4K - 1) & ~(uint64_t)(PAGE_SIZE_4K - 1);
        if (!boot_range_in_low_ram(m, next, mods[i].len)) {
            error_setg(errp, "-initrd %s: module does not fit in guest RAM (needs up to "
                       "0x%" PRIx64 ", RAM below 4 GiB ends at 0x%" PRIx64 ")",
                       mods[i].string, next + mods[i].len, m->below_4g_mem);
            goto out;
        }
        mods[i].addr = next;
        next += mods[i].len;
        uint8_t *md = mb_area_ptr(&area, mods_addr) + i * MB_MOD_SIZE;
        stl_le(md, mods[i].addr);
        stl_le(md + 4, mods[i].addr + mods[i].len);
        stl_le(md + 8, mod_str[i]);
    }

    uint8_t *ib = mb_area_ptr(&area, info);
    stl_le(ib + MBI_FLAGS, MBI_MEM | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME);
    stl_le(ib + MBI_MEM_LOWER, MIN(m->below_4g_mem, (uint64_t)MB_AREA_END) / KiB);
    /* mem_upper: KiB of contiguous RAM from 1 MiB (up to the PCI hole). */
    stl_le(ib + MBI_MEM_UPPER, m->below_4g_mem > MiB ? (m->below_4g_mem - MiB) / KiB : 0);
    stl_le(ib + MBI_CMDLINE_PTR, cmdline_addr);
    stl_le(ib + MBI_MODS_COUNT, nmods);
    stl_le(ib + MBI_MODS_ADDR, mods_addr);
    stl_le(ib + MBI_MMAP_LENGTH, ne * MB_MMAP_ENTRY);
    stl_le(ib + MBI_MMAP_ADDR, mmap_addr);
    stl_le(ib + MBI_LOADER_PTR, loader_addr);

    for (unsigned i = 0; i < mi.nseg; i++) {
        const MBSegment *s = &mi.seg[i];
        if (!boot_write(m, s->paddr, img + s->file_off, s->filesz, errp) ||
            !boot_zero(m, s->paddr + s->filesz, s->memsz - s->filesz, errp)) {
            goto out;
        }
    }
    for (unsigned i = 0; i < nmods; i++) {
        if (!boot_write(m, mods[i].addr, mods[i].data, mods[i].len, errp)) {
            goto out;
        }
    }
    if (!boot_write(m, MULTIBOOT_INFO_ADDR, area.buf->data, area.buf->len, errp) ||
        !boot_setup_gdt(m, bsp, false, errp)) {
        goto out;
    }

    x86_cpu_set_flat32(bsp, BOOT_CS, BOOT_DS);
    bsp->rip = mi.entry;
    bsp->regs[R_EAX] = MB_BOOT_MAGIC;
    bsp->regs[R_EBX] = info;
    ok = true;
out:
    g_free(mod_str);
    g_free(full_cmdline);
    g_byte_array_free(area.buf, true);
    mb_free_modules(mods, nmods);
    return ok;
}
