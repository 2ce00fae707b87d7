/*
 * linux.c: the Linux x86 boot protocol for a bzImage, 32-bit and 64-bit
 * entry (Documentation/arch/x86/boot.rst, "The Linux/x86 Boot Protocol",
 * protocol 2.06 and later; field offsets from its "The Real-Mode Kernel
 * Header" table and "The zero page" layout in arch/x86's bootparam docs).
 *
 * We act as a 32/64-bit boot loader: the real-mode setup code is never run.
 * The protected-mode kernel goes to 0x100000, a zero page (struct boot_params)
 * at BOOT_PARAMS_ADDR carries the setup header, the command line, the initrd
 * and the e820 map, and the BSP starts at the 32-bit entry (flat protected
 * mode) or the 64-bit entry (long mode, identity-mapped 4 GiB).
 */
#include "util/osdep.h"
#include "hw/pc/boot-internal.h"

/* Setup header fields (offsets in the image and in the zero page). */
#define HDR_SETUP_SECTS     0x1f1
#define HDR_JUMP            0x200
#define HDR_VERSION         0x206
#define HDR_TYPE_OF_LOADER  0x210
#define HDR_LOADFLAGS       0x211
#define HDR_CODE32_START    0x214
#define HDR_RAMDISK_IMAGE   0x218
#define HDR_RAMDISK_SIZE    0x21c
#define HDR_HEAP_END_PTR    0x224
#define HDR_CMD_LINE_PTR    0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGN    0x230
#define HDR_RELOCATABLE     0x234
#define HDR_XLOADFLAGS      0x236
#define HDR_CMDLINE_SIZE    0x238
#define HDR_PREF_ADDRESS    0x258
#define HDR_INIT_SIZE       0x260

/* Zero page fields outside the setup header. */
#define BP_EXT_MEM_K        0x002   /* screen_info.ext_mem_k */
#define BP_EXT_RAMDISK_IMG  0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_ALT_MEM_K        0x1e0
#define BP_E820_ENTRIES     0x1e8
#define BP_E820_TABLE       0x2d0
#define BP_E820_MAX         128
#define BP_SIZE             4096

#define LOADED_HIGH   (1u << 0)
#define QUIET_FLAG    (1u << 5)
#define CAN_USE_HEAP  (1u << 7)
#define XLF_KERNEL_64 (1u << 0)

#define LINUX_KERNEL_ADDR   0x100000u
#define LINUX_ENTRY64_OFF   0x200u
/* boot.rst's suggested heap end for a loader with the modern layout (setup
 * heap up to 0xe000 of the real-mode segment, minus 0x200). Unused by the
 * 32/64-bit entry, but the field must be sane if a kernel looks at it. */
#define LINUX_HEAP_END_PTR  0xde00u
/* Left free at the top of low RAM for tables firmware code may put there. */
#define LINUX_INITRD_TOP_GAP (128 * KiB)
#define PAGE_SIZE_4K        4096u

/* Identity map of the first 4 GiB with 2 MiB pages: PML4, one PDPT, four page
 * directories, at BOOT_PML4_ADDR (SDM Vol 3 §4.5). */
#define PTE_P   (1ull << 0)
#define PTE_RW  (1ull << 1)
#define PTE_PS  (1ull << 7)

static bool linux_build_page_tables(Machine *m, Error **errp)
{
    uint8_t *pt = g_malloc0(6 * PAGE_SIZE_4K);
    uint64_t pdpt = BOOT_PML4_ADDR + PAGE_SIZE_4K;
    uint64_t pd0 = pdpt + PAGE_SIZE_4K;

    stq_le(pt, pdpt | PTE_P | PTE_RW);
    for (int i = 0; i < 4; i++) {
        stq_le(pt + PAGE_SIZE_4K + i * 8, (pd0 + i * PAGE_SIZE_4K) | PTE_P | PTE_RW);
        for (int j = 0; j < 512; j++) {
            uint64_t phys = (uint64_t)i * GiB + (uint64_t)j * 2 * MiB;
            stq_le(pt + (2 + i) * PAGE_SIZE_4K + j * 8, phys | PTE_P | PTE_RW | PTE_PS);
        }
    }
    bool ok = boot_write(m, BOOT_PML4_ADDR, pt, 6 * PAGE_SIZE_4K, errp);
    g_free(pt);
    return ok;
}

/* End of everything the kernel occupies until it has unpacked itself and can
 * read the memory map: the image at 0x100000, and init_size bytes from its
 * "runtime start address" (protocol 2.10+). boot.rst gives that address as
 * align_up(max(load address, pref_address), kernel_alignment) for a relocatable
 * kernel and pref_address otherwise: 16 MiB for a typical x86-64 kernel. */
static uint64_t linux_kernel_end(const uint8_t *img, uint16_t version, uint64_t ksize)
{
    uint64_t end = LINUX_KERNEL_ADDR + ksize;
    if (version >= 0x20a) {
        uint64_t init_size = ldl_le(img + HDR_INIT_SIZE);
        uint64_t pref = ldq_le(img + HDR_PREF_ADDRESS);
        uint64_t align = ldl_le(img + HDR_KERNEL_ALIGN);
        uint64_t runtime = pref;
        if (img[HDR_RELOCATABLE]) {
            runtime = MAX(pref, (uint64_t)LINUX_KERNEL_ADDR);
            if (align && !(align & (align - 1))) {
                runtime = (runtime + align - 1) & ~(align - 1);
            }
        }
        /* A nonsense pref_address (beyond 4 GiB) makes the sum exceed any
         * RAM size, and the caller refuses the kernel. */
        end = MAX(end, MIN(runtime, 8 * GiB) + init_size);
    }
    return end;
}

/* -initrd a,b,c: the files one after the other, each padded to 4 bytes. The
 * kernel unpacks concatenated cpio archives in turn (the initramfs format
 * skips zero padding between them), so extra files add to the root fs. */
static uint8_t *linux_read_initrds(Machine *m, const char *list, size_t *len,
                                   Error **errp)
{
    gchar **files = g_strsplit(list, ",", -1);
    GByteArray *all = g_byte_array_new();
    bool ok = true;
    for (gchar **f = files; ok && *f; f++) {
        size_t flen;
        uint64_t room = m->below_4g_mem - MIN((uint64_t)all->len, m->below_4g_mem);
        uint8_t *data = boot_read_file("-initrd", *f, room, &flen, errp);
        if (!data) {
            ok = false;
            break;
        }
        g_byte_array_append(all, data, flen);
        g_free(data);
        static const uint8_t pad[3];
        if (f[1] && (all->len & 3)) {
            g_byte_array_append(all, pad, 4 - (all->len & 3));
        }
    }
    g_strfreev(files);
    if (!ok) {
        g_byte_array_free(all, true);
        return NULL;
    }
    *len = all->len;
    if (all->len == 0) {
        g_byte_array_free(all, true);
        return g_malloc0(1);    /* an empty initrd is no error */
    }
    return g_byte_array_free(all, false);
}

/* Choose the initrd's place: as high as the kernel allows (initrd_addr_max is
 * the highest address its last byte may occupy), page aligned, above the
 * kernel. Returns false with a message if it does not fit. */
static bool linux_place_initrd(const Machine *m, const char *path, uint64_t size,
                               uint64_t addr_max, uint64_t kernel_end, uint64_t *addr,
                               Error **errp)
{
    uint64_t top = m->below_4g_mem;
    if (top > LINUX_INITRD_TOP_GAP + kernel_end) {
        top -= LINUX_INITRD_TOP_GAP;
    }
    top = MIN(top, addr_max + 1);
    uint64_t start = size <= top ? (top - size) & ~(uint64_t)(PAGE_SIZE_4K - 1) : 0;
    if (size > top || start < kernel_end) {
        uint64_t room = top > kernel_end ? top - kernel_end : 0;
        error_setg(errp, "-initrd %s: %" PRIu64 " bytes do not fit in guest RAM: only %"
                   PRIu64 " bytes are free between the kernel and the top of usable "
                   "RAM (0x%" PRIx64 "); give the guest more memory with -m",
                   path, size, room, top);
        return false;
    }
    *addr = start;
    return true;
}

bool linux_load_entry(Machine *m, const uint8_t *img, size_t len,
                      const char *initrd_path, const char *cmdline, LinuxEntry entry,
                      CPUX86State *bsp, Error **errp)
{
    const char *kname = m->cfg.kernel ? m->cfg.kernel : "(kernel)";

    if (len < HDR_INIT_SIZE + 4 || ldl_le(img + 0x202) != 0x53726448u) {
        error_setg(errp, "-kernel %s: not a Linux bzImage (no boot protocol header)",
                   kname);
        return false;
    }
    uint16_t version = ldw_le(img + HDR_VERSION);
    uint8_t loadflags = img[HDR_LOADFLAGS];
    if (version < 0x206) {
        error_setg(errp, "-kernel %s: Linux boot protocol %u.%02u is too old; bt86 "
                   "needs 2.06 or later (Linux 2.6.22+)", kname, version >> 8,
                   version & 0xff);
        return false;
    }
    if (!(loadflags & LOADED_HIGH)) {
        error_setg(errp, "-kernel %s: a zImage (loaded low) is not supported; "
                   "use a bzImage", kname);
        return false;
    }

    unsigned setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
    size_t setup_size = (size_t)(setup_sects + 1) * 512;
    if (setup_size >= len) {
        error_setg(errp, "-kernel %s: truncated bzImage (setup is %zu bytes, file %zu)",
                   kname, setup_size, len);
        return false;
    }
    uint64_t ksize = len - setup_size;
    uint64_t kernel_end = linux_kernel_end(img, version, ksize);
    if (kernel_end > m->below_4g_mem) {
        error_setg(errp, "-kernel %s: the kernel needs RAM up to 0x%" PRIx64
                   " to unpack itself, but the guest has only %" PRIu64 " MiB below "
                   "4 GiB", kname, kernel_end, m->below_4g_mem / MiB);
        return false;
    }

    bool use64;
    uint16_t xloadflags = version >= 0x20c ? ldw_le(img + HDR_XLOADFLAGS) : 0;
    switch (entry) {
    case LINUX_ENTRY_32:
        use64 = false;
        break;
    case LINUX_ENTRY_64:
        if (!(xloadflags & XLF_KERNEL_64)) {
            error_setg(errp, "-kernel %s: this kernel has no 64-bit entry point", kname);
            return false;
        }
        use64 = true;
        break;
    default:
        use64 = (xloadflags & XLF_KERNEL_64) != 0;
        break;
    }

    /* Command line: cmdline_size is the longest string without its NUL. */
    const char *cl = cmdline ? cmdline : "";
    size_t cl_len = strlen(cl);
    uint32_t cmdline_size = ldl_le(img + HDR_CMDLINE_SIZE);
    if (cl_len > cmdline_size || cl_len + 1 > BOOT_CMDLINE_MAX) {
        error_setg(errp, "-append is too long for this kernel (%zu > %u)", cl_len,
                   MIN(cmdline_size, (uint32_t)BOOT_CMDLINE_MAX - 1));
        return false;
    }

    /* Zero page: the setup header as the image has it (it ends at the jump
     * target: 0x202 plus the byte at 0x201), then what a loader fills in. */
    uint8_t *bp = g_malloc0(BP_SIZE);
    size_t hdr_end = MIN((size_t)0x202 + img[HDR_JUMP + 1], len);
    memcpy(bp + HDR_SETUP_SECTS, img + HDR_SETUP_SECTS, hdr_end - HDR_SETUP_SECTS);

    bp[HDR_TYPE_OF_LOADER] = 0xff;      /* "undefined" loader id */
    bp[HDR_LOADFLAGS] = (loadflags | CAN_USE_HEAP) & ~QUIET_FLAG;
    stw_le(bp + HDR_HEAP_END_PTR, LINUX_HEAP_END_PTR);
    stl_le(bp + HDR_CODE32_START, LINUX_KERNEL_ADDR);
    stl_le(bp + HDR_CMD_LINE_PTR, BOOT_CMDLINE_ADDR);
    stl_le(bp + BP_EXT_CMD_LINE_PTR, 0);

    uint64_t ext_k = m->below_4g_mem > MiB ? (m->below_4g_mem - MiB) / KiB : 0;
    stw_le(bp + BP_EXT_MEM_K, MIN(ext_k, 0xfc00));
    stl_le(bp + BP_ALT_MEM_K, ext_k);

    E820Entry e820[BP_E820_MAX];
    unsigned n = pc_e820_build(m, e820, BP_E820_MAX);
    bp[BP_E820_ENTRIES] = n;
    for (unsigned i = 0; i < n; i++) {
        uint8_t *e = bp + BP_E820_TABLE + i * 20;
        stq_le(e, e820[i].addr);
        stq_le(e + 8, e820[i].size);
        stl_le(e + 16, e820[i].type);
    }

    bool ok = false;
    uint8_t *initrd = NULL;
    size_t initrd_len = 0;
    uint64_t initrd_addr = 0;
    if (initrd_path) {
        uint64_t addr_max = ldl_le(img + HDR_INITRD_ADDR_MAX);
        initrd = linux_read_initrds(m, initrd_path, &initrd_len, errp);
        if (!initrd ||
            !linux_place_initrd(m, initrd_path, initrd_len, addr_max, kernel_end,
                                &initrd_addr, errp)) {
            goto out;
        }
        stl_le(bp + HDR_RAMDISK_IMAGE, initrd_len ? initrd_addr : 0);
        stl_le(bp + HDR_RAMDISK_SIZE, initrd_len);
        stl_le(bp + BP_EXT_RAMDISK_IMG, 0);
        stl_le(bp + BP_EXT_RAMDISK_SIZE, 0);
    }

    if (!boot_write(m, LINUX_KERNEL_ADDR, img + setup_size, ksize, errp) ||
        !boot_write(m, BOOT_PARAMS_ADDR, bp, BP_SIZE, errp) ||
        !boot_write(m, BOOT_CMDLINE_ADDR, cl, cl_len + 1, errp) ||
        !boot_write(m, initrd_addr, initrd, initrd_len, errp) ||
        !boot_setup_gdt(m, bsp, use64, errp)) {
        goto out;
    }

    /* Entry state (boot.rst "32-bit Boot Protocol" / "64-bit Boot Protocol"):
     * %esi/%rsi = zero page, %ebp = %edi = %ebx = 0, interrupts off. */
    if (use64) {
        if (!linux_build_page_tables(m, errp)) {
            goto out;
        }
        x86_cpu_set_long64(bsp, BOOT_PML4_ADDR, BOOT_CS, BOOT_DS);
        bsp->rip = LINUX_KERNEL_ADDR + LINUX_ENTRY64_OFF;
    } else {
        x86_cpu_set_flat32(bsp, BOOT_CS, BOOT_DS);
        bsp->rip = LINUX_KERNEL_ADDR;
    }
    /* Firmware leaves the MTRRs of every CPU enabled with write-back as the
     * default type (SDM Vol 3 §12.11.2.1); Linux keys PAT setup on it and
     * checks that all CPUs agree (INIT keeps them). */
    bsp->mtrr_deftype = 0x806;
    for (int i = 0; i < m->ncpus; i++) {
        m->cpus[i]->env.mtrr_deftype = 0x806;
    }
    bsp->regs[R_ESI] = BOOT_PARAMS_ADDR;
    bsp->regs[R_EBP] = 0;
    bsp->regs[R_EDI] = 0;
    bsp->regs[R_EBX] = 0;
    ok = true;
out:
    g_free(initrd);
    g_free(bp);
    return ok;
}

bool linux_load(Machine *m, const uint8_t *img, size_t len, const char *initrd_path,
                const char *cmdline, CPUX86State *bsp, Error **errp)
{
    return linux_load_entry(m, img, len, initrd_path, cmdline, LINUX_ENTRY_AUTO, bsp,
                            errp);
}
