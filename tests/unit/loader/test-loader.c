/*
 * test-loader.c: direct kernel boot. The e820 map, kernel format probing, the
 * CPU states of target-x86/cpu.c, the Linux boot protocol (Debian's own
 * bzImage when installed, and synthetic images that exercise the 32-bit path
 * and the error cases), and Multiboot v1 (synthetic ELF32 and a.out-kludge
 * kernels). Everything is checked by reading guest memory and CPU state back.
 */
#include "util/osdep.h"
#include "system/machine.h"
#include "hw/pc/boot.h"
#include "hw/pc/boot-internal.h"
#include <glob.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ---- */

static Machine *new_machine(uint64_t ram)
{
    MachineConfig cfg = { 0 };
    cfg.ram_size = ram;
    cfg.smp = 1;
    cfg.accel = (char *)"qtest";
    Error *err = NULL;
    Machine *m = machine_new(&cfg, &err);
    if (!m) {
        g_error("machine_new: %s", err->msg);
    }
    return m;
}

static uint8_t rd8(Machine *m, uint64_t a)
{
    uint8_t v;
    g_assert_cmpint(memmap_read(&m->mem, a, &v, 1), ==, MEMTX_OK);
    return v;
}

static uint16_t rd16(Machine *m, uint64_t a)
{
    uint8_t b[2];
    g_assert_cmpint(memmap_read(&m->mem, a, b, 2), ==, MEMTX_OK);
    return ldw_le(b);
}

static uint32_t rd32(Machine *m, uint64_t a)
{
    uint8_t b[4];
    g_assert_cmpint(memmap_read(&m->mem, a, b, 4), ==, MEMTX_OK);
    return ldl_le(b);
}

static uint64_t rd64(Machine *m, uint64_t a)
{
    uint8_t b[8];
    g_assert_cmpint(memmap_read(&m->mem, a, b, 8), ==, MEMTX_OK);
    return ldq_le(b);
}

static char *rdstr(Machine *m, uint64_t a)
{
    GString *s = g_string_new(NULL);
    for (;;) {
        uint8_t c = rd8(m, a++);
        if (!c) {
            break;
        }
        g_string_append_c(s, c);
        g_assert_cmpuint(s->len, <, 1 << 20);
    }
    return g_string_free(s, false);
}

/* Write a temp file with a recognisable pattern; returns its path. */
static char *make_temp_file(size_t size, uint8_t seed)
{
    char *path = NULL;
    int fd = g_file_open_tmp("bt86-loader-XXXXXX", &path, NULL);
    g_assert_cmpint(fd, >=, 0);
    uint8_t *buf = g_malloc(size + 1);
    for (size_t i = 0; i < size; i++) {
        buf[i] = (uint8_t)(seed + i * 7 + (i >> 12));
    }
    g_assert_cmpint(write(fd, buf, size), ==, (ssize_t)size);
    close(fd);
    g_free(buf);
    return path;
}

static void remove_temp(char *path)
{
    unlink(path);
    g_free(path);
}

/* Does guest memory at a hold the same bytes as the file? */
static void assert_guest_matches_file(Machine *m, uint64_t a, const char *path)
{
    gchar *data;
    gsize len;
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    uint8_t *buf = g_malloc(len + 1);
    g_assert_cmpint(memmap_read(&m->mem, a, buf, len), ==, MEMTX_OK);
    g_assert_true(memcmp(buf, data, len) == 0);
    g_free(buf);
    g_free(data);
}

/* Walk 4-level page tables as the CPU would (SDM Vol 3 §4.5), 2 MiB and
 * 4 KiB pages; returns the physical address or ~0 if not mapped. */
static uint64_t walk_long_mode(Machine *m, uint64_t cr3, uint64_t va)
{
    const uint64_t addr_mask = 0x000ffffffffff000ull;
    uint64_t e = rd64(m, (cr3 & addr_mask) + ((va >> 39) & 511) * 8);
    if (!(e & 1)) {
        return ~0ull;
    }
    e = rd64(m, (e & addr_mask) + ((va >> 30) & 511) * 8);
    if (!(e & 1)) {
        return ~0ull;
    }
    if (e & 0x80) {
        return (e & addr_mask & ~(GiB - 1)) | (va & (GiB - 1));
    }
    e = rd64(m, (e & addr_mask) + ((va >> 21) & 511) * 8);
    if (!(e & 1)) {
        return ~0ull;
    }
    if (e & 0x80) {
        return (e & addr_mask & ~(2 * MiB - 1)) | (va & (2 * MiB - 1));
    }
    e = rd64(m, (e & addr_mask) + ((va >> 12) & 511) * 8);
    if (!(e & 1)) {
        return ~0ull;
    }
    return (e & addr_mask) | (va & 0xfff);
}

/* The GDT the loaders write: selector sel must hold exactly desc. */
static void assert_gdt_entry(Machine *m, const CPUX86State *env, uint16_t sel,
                             uint64_t desc)
{
    g_assert_cmpuint(env->gdt.base, ==, BOOT_GDT_ADDR);
    g_assert_cmpuint(env->gdt.limit, >=, sel + 7);
    g_assert_cmphex(rd64(m, env->gdt.base + sel), ==, desc);
}

/* ---- e820 ---- */

static void check_e820(uint64_t ram, uint64_t below, uint64_t above)
{
    Machine *m = new_machine(ram);
    g_assert_cmpuint(m->below_4g_mem, ==, below);
    g_assert_cmpuint(m->above_4g_mem, ==, above);
    E820Entry e[16];
    unsigned n = pc_e820_build(m, e, ARRAY_SIZE(e));
    E820Entry want[6];
    unsigned nwant = 0;
    want[nwant++] = (E820Entry){ 0, 0x9fc00, E820_RAM };
    want[nwant++] = (E820Entry){ 0x9fc00, 0x400, E820_RESERVED };
    want[nwant++] = (E820Entry){ 0xf0000, 0x10000, E820_RESERVED };
    if (below > MiB) {
        want[nwant++] = (E820Entry){ 0x100000, below - 0x100000, E820_RAM };
    }
    want[nwant++] = (E820Entry){ 0xfffc0000, 0x40000, E820_RESERVED };
    if (above) {
        want[nwant++] = (E820Entry){ 4 * GiB, above, E820_RAM };
    }
    g_assert_cmpuint(n, ==, nwant);
    for (unsigned i = 0; i < n; i++) {
        g_assert_cmphex(e[i].addr, ==, want[i].addr);
        g_assert_cmphex(e[i].size, ==, want[i].size);
        g_assert_cmpuint(e[i].type, ==, want[i].type);
    }
    /* A short output array is filled, not overrun. */
    E820Entry small[3];
    memset(small, 0xee, sizeof(small));
    g_assert_cmpuint(pc_e820_build(m, small, 2), ==, 2);
    g_assert_cmphex(small[1].addr, ==, 0x9fc00);
    g_assert_cmphex(small[2].addr, ==, 0xeeeeeeeeeeeeeeeeull);
    machine_free(m);
}

static void test_e820(void)
{
    check_e820(128 * MiB, 128 * MiB, 0);
    check_e820(1 * GiB, 1 * GiB, 0);
    check_e820(3 * GiB + 512 * MiB, 3 * GiB, 512 * MiB);
    check_e820(1 * MiB, 1 * MiB, 0);   /* no RAM above 1 MiB: no entry for it */
}

/* ---- CPU states ---- */

static void test_cpu_reset(void)
{
    CPUX86State env;
    memset(&env, 0x5a, sizeof(env));
    x86_cpu_reset_state(&env, true);
    g_assert_cmphex(env.rip, ==, 0xfff0);
    g_assert_cmphex(env.rflags, ==, 0x2);
    g_assert_cmphex(env.cr[0], ==, 0x60000010);
    g_assert_cmphex(env.cr[2] | env.cr[3] | env.cr[4] | env.efer, ==, 0);
    g_assert_cmphex(env.segs[R_CS].selector, ==, 0xf000);
    g_assert_cmphex(env.segs[R_CS].base, ==, 0xffff0000);
    g_assert_cmphex(env.segs[R_CS].limit, ==, 0xffff);
    g_assert_true(env.segs[R_CS].flags & DESC_P_MASK);
    /* First fetch is the reset vector. */
    g_assert_cmphex(env.segs[R_CS].base + env.rip, ==, 0xfffffff0);
    for (int i = 0; i < 6; i++) {
        if (i == R_CS) {
            continue;
        }
        g_assert_cmphex(env.segs[i].selector, ==, 0);
        g_assert_cmphex(env.segs[i].base, ==, 0);
        g_assert_cmphex(env.segs[i].limit, ==, 0xffff);
        g_assert_cmphex(env.segs[i].flags, ==,
                        DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK);
    }
    g_assert_cmphex(env.gdt.limit, ==, 0xffff);
    g_assert_cmphex(env.idt.limit, ==, 0xffff);
    g_assert_cmphex(env.dr[6], ==, 0xffff0ff0);
    g_assert_cmphex(env.dr[7], ==, 0x400);
    g_assert_cmphex(env.regs[R_EDX] & 0xf00, ==, 0x600);
    g_assert_cmphex(env.regs[R_EAX] | env.regs[R_EBX] | env.regs[R_ESP], ==, 0);
    g_assert_cmphex(env.mxcsr, ==, 0x1f80);
    g_assert_cmphex(env.fpuc, ==, 0x40);
    g_assert_cmphex(env.pat, ==, 0x0007040600070406ull);
    g_assert_cmphex(env.apic_base, ==, 0xfee00000 | MSR_APICBASE_ENABLE | MSR_APICBASE_BSP);
    x86_cpu_reset_state(&env, false);
    g_assert_cmphex(env.apic_base, ==, 0xfee00000 | MSR_APICBASE_ENABLE);
}

static void test_cpu_descriptors(void)
{
    const uint32_t code = DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK |
                          DESC_A_MASK | DESC_G_MASK;
    /* The classic flat descriptors (SDM Vol 3 §3.4.5 layout). */
    g_assert_cmphex(x86_make_descriptor(0, 0xffffffff, code | DESC_B_MASK), ==,
                    0x00cf9b000000ffffull);
    g_assert_cmphex(x86_make_descriptor(0, 0xffffffff, code | DESC_L_MASK), ==,
                    0x00af9b000000ffffull);
    g_assert_cmphex(x86_make_descriptor(0, 0xffffffff, DESC_P_MASK | DESC_S_MASK |
                                        DESC_W_MASK | DESC_A_MASK | DESC_G_MASK |
                                        DESC_B_MASK), ==, 0x00cf93000000ffffull);
    /* Base and byte-granular limit scattered into their fields. */
    g_assert_cmphex(x86_make_descriptor(0x12345678, 0xabcde, DESC_P_MASK |
                                        (DESC_TYPE_TSS_AVAIL << DESC_TYPE_SHIFT)), ==,
                    0x120a89345678bcdeull);

    SegmentCache s;
    x86_seg_set_real(&s, 0x1234, true);
    g_assert_cmphex(s.base, ==, 0x12340);
    g_assert_cmphex(s.limit, ==, 0xffff);
    g_assert_true(s.flags & DESC_CS_MASK);
    x86_seg_set_real(&s, 0xb800, false);
    g_assert_cmphex(s.base, ==, 0xb8000);
    g_assert_false(s.flags & DESC_CS_MASK);

    CPUX86State env;
    x86_cpu_reset_state(&env, true);
    env.rflags |= IF_MASK;
    x86_cpu_set_flat32(&env, 0x10, 0x18);
    g_assert_cmphex(env.cr[0] & (CR0_PE | CR0_PG), ==, CR0_PE);
    g_assert_false(env.rflags & IF_MASK);
    g_assert_cmphex(env.segs[R_CS].selector, ==, 0x10);
    g_assert_cmphex(env.segs[R_CS].limit, ==, 0xffffffff);
    g_assert_true(env.segs[R_CS].flags & DESC_B_MASK);
    g_assert_false(env.segs[R_CS].flags & DESC_L_MASK);
    for (int i = 0; i < 6; i++) {
        if (i != R_CS) {
            g_assert_cmphex(env.segs[i].selector, ==, 0x18);
            g_assert_cmphex(env.segs[i].base, ==, 0);
            g_assert_cmphex(env.segs[i].limit, ==, 0xffffffff);
        }
    }
    x86_cpu_set_long64(&env, 0x1000, 0x10, 0x18);
    g_assert_cmphex(env.cr[0] & (CR0_PE | CR0_PG), ==, CR0_PE | CR0_PG);
    g_assert_cmphex(env.cr[3], ==, 0x1000);
    g_assert_true(env.cr[4] & CR4_PAE);
    g_assert_cmphex(env.efer & (EFER_LME | EFER_LMA), ==, EFER_LME | EFER_LMA);
    g_assert_true(env.segs[R_CS].flags & DESC_L_MASK);
    g_assert_false(env.segs[R_CS].flags & DESC_B_MASK);
}

/* ---- synthetic bzImage ---- */

typedef struct FakeBz {
    uint16_t version;
    uint8_t loadflags;
    uint16_t xloadflags;
    uint32_t cmdline_size;
    uint32_t initrd_addr_max;
    uint32_t init_size;
    size_t payload;
} FakeBz;

/* A bzImage with a valid setup header (boot.rst field offsets) and a
 * patterned protected-mode payload; the code itself is never run. */
static uint8_t *make_bzimage(const FakeBz *f, size_t *len)
{
    const unsigned setup_sects = 4;
    size_t setup = (setup_sects + 1) * 512;
    *len = setup + f->payload;
    uint8_t *img = g_malloc0(*len);
    img[0x1f1] = setup_sects;
    stw_le(img + 0x1fe, 0xaa55);
    img[0x200] = 0xeb;
    img[0x201] = 0x6a;                  /* header runs to 0x26c */
    memcpy(img + 0x202, "HdrS", 4);
    stw_le(img + 0x206, f->version);
    img[0x211] = f->loadflags;
    stl_le(img + 0x214, 0x100000);
    stl_le(img + 0x22c, f->initrd_addr_max);
    stl_le(img + 0x230, 0x200000);
    img[0x234] = 1;
    stw_le(img + 0x236, f->xloadflags);
    stl_le(img + 0x238, f->cmdline_size);
    stq_le(img + 0x258, 0x1000000);
    stl_le(img + 0x260, f->init_size);
    for (size_t i = 0; i < f->payload; i++) {
        img[setup + i] = (uint8_t)(i * 13 + 5);
    }
    return img;
}

static const FakeBz fake_default = {
    .version = 0x20f, .loadflags = 0x01, .xloadflags = 0, .cmdline_size = 255,
    .initrd_addr_max = 0x37ffffff, .init_size = 0x400000, .payload = 64 * 1024,
};

/* ---- Linux: checks shared by the real and synthetic kernels ---- */

static void check_linux_zero_page(Machine *m, const uint8_t *img, size_t len,
                                  const char *cmdline, const char *initrd_path,
                                  uint64_t initrd_len)
{
    const uint64_t zp = BOOT_PARAMS_ADDR;
    /* Setup header copied from 0x1f1 to its end, minus the fields we fill. */
    size_t hdr_end = MIN((size_t)0x202 + img[0x201], len);
    for (size_t off = 0x1f1; off < hdr_end; off++) {
        bool ours = off == 0x210 || off == 0x211 || (off >= 0x214 && off < 0x220) ||
                    (off >= 0x224 && off < 0x22c);
        if (!ours) {
            g_assert_cmphex(rd8(m, zp + off), ==, img[off]);
        }
    }
    g_assert_cmphex(rd32(m, zp + 0x202), ==, 0x53726448);
    g_assert_cmphex(rd8(m, zp + 0x210), ==, 0xff);           /* type_of_loader */
    uint8_t lf = rd8(m, zp + 0x211);
    g_assert_true(lf & 0x01);                                  /* LOADED_HIGH */
    g_assert_true(lf & 0x80);                                  /* CAN_USE_HEAP */
    g_assert_false(lf & 0x20);                                 /* QUIET clear */
    g_assert_cmphex(rd16(m, zp + 0x224), !=, 0);               /* heap_end_ptr */
    g_assert_cmphex(rd32(m, zp + 0x214), ==, 0x100000);        /* code32_start */

    /* Command line: exactly our string where cmd_line_ptr says. */
    uint32_t clp = rd32(m, zp + 0x228);
    g_assert_cmphex(clp, ==, BOOT_CMDLINE_ADDR);
    g_assert_cmphex(rd32(m, zp + 0xc8), ==, 0);                /* ext_cmd_line_ptr */
    char *got = rdstr(m, clp);
    g_assert_cmpstr(got, ==, cmdline);
    g_free(got);

    /* Protected-mode kernel at 1 MiB, byte for byte. */
    size_t setup = ((img[0x1f1] ? img[0x1f1] : 4) + 1) * 512;
    uint8_t *buf = g_malloc(len - setup);
    g_assert_cmpint(memmap_read(&m->mem, 0x100000, buf, len - setup), ==, MEMTX_OK);
    g_assert_true(memcmp(buf, img + setup, len - setup) == 0);
    g_free(buf);

    /* initrd: page aligned, inside RAM, below initrd_addr_max, clear of the
     * kernel (including the room it unpacks into), content intact. */
    uint32_t rd_image = rd32(m, zp + 0x218);
    uint32_t rd_size = rd32(m, zp + 0x21c);
    if (initrd_path) {
        g_assert_cmpuint(rd_size, ==, initrd_len);
        g_assert_cmphex(rd_image & 0xfff, ==, 0);
        g_assert_cmpuint((uint64_t)rd_image + rd_size, <=, m->below_4g_mem);
        g_assert_cmpuint((uint64_t)rd_image + rd_size - 1, <=, ldl_le(img + 0x22c));
        uint64_t kend = 0x100000 + MAX((uint64_t)(len - setup),
                                       (uint64_t)ldl_le(img + 0x260));
        g_assert_cmpuint(rd_image, >=, kend);
        g_assert_cmpuint(rd_image, >=, ldq_le(img + 0x258) + ldl_le(img + 0x260));
        g_assert_cmphex(rd32(m, zp + 0xc0) | rd32(m, zp + 0xc4), ==, 0);
        assert_guest_matches_file(m, rd_image, initrd_path);
    } else {
        g_assert_cmpuint(rd_image, ==, 0);
        g_assert_cmpuint(rd_size, ==, 0);
    }

    /* e820 table at 0x2d0, count at 0x1e8: what pc_e820_build says. */
    E820Entry e[32];
    unsigned n = pc_e820_build(m, e, ARRAY_SIZE(e));
    g_assert_cmpuint(rd8(m, zp + 0x1e8), ==, n);
    for (unsigned i = 0; i < n; i++) {
        g_assert_cmphex(rd64(m, zp + 0x2d0 + i * 20), ==, e[i].addr);
        g_assert_cmphex(rd64(m, zp + 0x2d0 + i * 20 + 8), ==, e[i].size);
        g_assert_cmpuint(rd32(m, zp + 0x2d0 + i * 20 + 16), ==, e[i].type);
    }
    uint64_t ext_k = (m->below_4g_mem - MiB) / KiB;
    g_assert_cmpuint(rd16(m, zp + 0x002), ==, MIN(ext_k, 0xfc00));
    g_assert_cmpuint(rd32(m, zp + 0x1e0), ==, ext_k);
}

static void check_linux_entry64(Machine *m, const CPUX86State *env)
{
    g_assert_cmphex(env->rip, ==, 0x100000 + 0x200);
    g_assert_cmphex(env->regs[R_ESI], ==, BOOT_PARAMS_ADDR);
    g_assert_cmphex(env->regs[R_EBP] | env->regs[R_EDI] | env->regs[R_EBX], ==, 0);
    g_assert_false(env->rflags & IF_MASK);
    g_assert_cmphex(env->cr[0] & (CR0_PE | CR0_PG), ==, CR0_PE | CR0_PG);
    g_assert_true(env->cr[4] & CR4_PAE);
    g_assert_true(env->efer & EFER_LMA);
    g_assert_cmphex(env->cr[3], ==, BOOT_PML4_ADDR);
    g_assert_cmphex(env->segs[R_CS].selector, ==, 0x10);
    g_assert_true(env->segs[R_CS].flags & DESC_L_MASK);
    g_assert_cmphex(env->segs[R_DS].selector, ==, 0x18);
    g_assert_cmphex(env->segs[R_SS].selector, ==, 0x18);
    g_assert_cmphex(env->segs[R_ES].selector, ==, 0x18);
    assert_gdt_entry(m, env, 0x10, 0x00af9b000000ffffull);
    assert_gdt_entry(m, env, 0x18, 0x00cf93000000ffffull);
    /* Identity map of the first 4 GiB. */
    const uint64_t probes[] = { 0, 0x7000, 0x100200, 0x12345678, 0x7fffffff,
                                0xc0000000, 0xfffff000, 0xffffffff };
    for (unsigned i = 0; i < ARRAY_SIZE(probes); i++) {
        g_assert_cmphex(walk_long_mode(m, env->cr[3], probes[i]), ==, probes[i]);
    }
}

static void check_linux_entry32(Machine *m, const CPUX86State *env)
{
    g_assert_cmphex(env->rip, ==, 0x100000);
    g_assert_cmphex(env->regs[R_ESI], ==, BOOT_PARAMS_ADDR);
    g_assert_cmphex(env->regs[R_EBP] | env->regs[R_EDI] | env->regs[R_EBX], ==, 0);
    g_assert_false(env->rflags & IF_MASK);
    g_assert_cmphex(env->cr[0] & (CR0_PE | CR0_PG), ==, CR0_PE);
    g_assert_false(env->efer & (EFER_LME | EFER_LMA));
    g_assert_cmphex(env->segs[R_CS].selector, ==, 0x10);
    g_assert_cmphex(env->segs[R_CS].base, ==, 0);
    g_assert_cmphex(env->segs[R_CS].limit, ==, 0xffffffff);
    g_assert_true(env->segs[R_CS].flags & DESC_B_MASK);
    g_assert_false(env->segs[R_CS].flags & DESC_L_MASK);
    g_assert_cmphex(env->segs[R_DS].selector, ==, 0x18);
    g_assert_cmphex(env->segs[R_SS].selector, ==, 0x18);
    assert_gdt_entry(m, env, 0x10, 0x00cf9b000000ffffull);
    assert_gdt_entry(m, env, 0x18, 0x00cf93000000ffffull);
}

/* ---- Linux: Debian's bzImage ---- */

static char *find_debian_kernel(void)
{
    glob_t g;
    char *path = NULL;
    if (glob("/boot/vmlinuz-*-amd64", 0, NULL, &g) == 0) {
        path = g_strdup(g.gl_pathv[g.gl_pathc - 1]);
    }
    globfree(&g);
    return path;
}

static void test_linux_debian(gconstpointer data)
{
    uint64_t ram = *(const uint64_t *)data;
    char *kpath = find_debian_kernel();
    if (!kpath) {
        g_test_skip("no /boot/vmlinuz-*-amd64: install the Debian package "
                    "linux-image-amd64");
        return;
    }
    gchar *img;
    gsize len;
    g_assert_true(g_file_get_contents(kpath, &img, &len, NULL));
    char *initrd = make_temp_file(3 * MiB + 123, 0x31);
    const char *cmdline = "console=ttyS0 root=/dev/vda rw panic=-1 bt86.test=\"a b\"";

    Machine *m = new_machine(ram);
    CPUX86State env;
    x86_cpu_reset_state(&env, true);
    Error *err = NULL;
    bool ok = linux_load(m, (uint8_t *)img, len, initrd, cmdline, &env, &err);
    g_assert_null(err);
    g_assert_true(ok);
    /* Debian's x86-64 kernels advertise the 64-bit entry. */
    g_assert_true(ldw_le(img + 0x236) & 1);
    check_linux_zero_page(m, (uint8_t *)img, len, cmdline, initrd, 3 * MiB + 123);
    check_linux_entry64(m, &env);

    /* The same kernel through its 32-bit entry. */
    Machine *m32 = new_machine(ram);
    x86_cpu_reset_state(&env, true);
    g_assert_true(linux_load_entry(m32, (uint8_t *)img, len, initrd, cmdline,
                                   LINUX_ENTRY_32, &env, &err));
    g_assert_null(err);
    check_linux_zero_page(m32, (uint8_t *)img, len, cmdline, initrd, 3 * MiB + 123);
    check_linux_entry32(m32, &env);
    machine_free(m32);

    /* Through the board entry point: m->cfg names the files. */
    Machine *mb = new_machine(ram);
    mb->cfg.kernel = g_strdup(kpath);
    mb->cfg.initrd = g_strdup(initrd);
    mb->cfg.append = g_strdup("quiet");
    x86_cpu_reset_state(&env, true);
    g_assert_true(pc_boot_kernel(mb, &env, &err));
    g_assert_null(err);
    check_linux_zero_page(mb, (uint8_t *)img, len, "quiet", initrd, 3 * MiB + 123);
    check_linux_entry64(mb, &env);
    machine_free(mb);

    machine_free(m);

    /* 64 MiB cannot hold it: init_size bytes from its 16 MiB runtime start. */
    Machine *small = new_machine(64 * MiB);
    x86_cpu_reset_state(&env, true);
    CPUX86State before = env;
    g_assert_false(linux_load(small, (uint8_t *)img, len, NULL, "", &env, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->msg, "to unpack itself"));
    g_assert_true(memcmp(&env, &before, sizeof(env)) == 0);
    error_free(err);
    machine_free(small);

    remove_temp(initrd);
    g_free(img);
    g_free(kpath);
}

/* ---- Linux: synthetic images ---- */

static void test_linux_synthetic32(void)
{
    size_t len;
    uint8_t *img = make_bzimage(&fake_default, &len);
    char *initrd = make_temp_file(100 * KiB + 1, 0x77);
    Machine *m = new_machine(64 * MiB);
    CPUX86State env;
    x86_cpu_reset_state(&env, true);
    Error *err = NULL;
    /* No XLF_KERNEL_64: the automatic choice is the 32-bit entry. */
    g_assert_true(linux_load(m, img, len, initrd, "init=/bin/sh", &env, &err));
    g_assert_null(err);
    check_linux_zero_page(m, img, len, "init=/bin/sh", initrd, 100 * KiB + 1);
    check_linux_entry32(m, &env);
    /* initrd_addr_max 0x37ffffff is above 64 MiB: it goes at the top of RAM. */
    uint32_t rd_image = rd32(m, BOOT_PARAMS_ADDR + 0x218);
    g_assert_cmpuint(rd_image, >, 60 * MiB);

    /* Asking for the 64-bit entry of a kernel without one is an error. */
    x86_cpu_reset_state(&env, true);
    g_assert_false(linux_load_entry(m, img, len, NULL, "", LINUX_ENTRY_64, &env, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->msg, "no 64-bit entry"));
    error_free(err);
    err = NULL;

    /* No initrd and no command line: zero ramdisk fields, empty string. */
    Machine *m2 = new_machine(64 * MiB);
    g_assert_true(linux_load(m2, img, len, NULL, NULL, &env, &err));
    check_linux_zero_page(m2, img, len, "", NULL, 0);
    machine_free(m2);

    machine_free(m);
    remove_temp(initrd);
    g_free(img);
}

static void test_linux_initrd_list(void)
{
    /* -initrd a,b: concatenated, the second starting 4-byte aligned. */
    size_t len;
    uint8_t *img = make_bzimage(&fake_default, &len);
    char *a = make_temp_file(5, 0x10);
    char *b = make_temp_file(4096, 0x20);
    char *list = g_strdup_printf("%s,%s", a, b);
    Machine *m = new_machine(64 * MiB);
    CPUX86State env;
    x86_cpu_reset_state(&env, true);
    Error *err = NULL;
    g_assert_true(linux_load(m, img, len, list, "", &env, &err));
    g_assert_null(err);
    uint32_t rd_image = rd32(m, BOOT_PARAMS_ADDR + 0x218);
    g_assert_cmpuint(rd32(m, BOOT_PARAMS_ADDR + 0x21c), ==, 8 + 4096);
    g_assert_cmphex(rd_image & 0xfff, ==, 0);
    assert_guest_matches_file(m, rd_image, a);
    for (unsigned i = 5; i < 8; i++) {
        g_assert_cmphex(rd8(m, rd_image + i), ==, 0);
    }
    assert_guest_matches_file(m, rd_image + 8, b);
    machine_free(m);

    /* An empty initrd file: no ramdisk, no error. */
    char *empty = make_temp_file(0, 0);
    m = new_machine(64 * MiB);
    g_assert_true(linux_load(m, img, len, empty, "", &env, &err));
    g_assert_null(err);
    g_assert_cmpuint(rd32(m, BOOT_PARAMS_ADDR + 0x218), ==, 0);
    g_assert_cmpuint(rd32(m, BOOT_PARAMS_ADDR + 0x21c), ==, 0);
    machine_free(m);
    remove_temp(empty);
    remove_temp(a);
    remove_temp(b);
    g_free(list);
    g_free(img);
}

static void test_linux_initrd_addr_max(void)
{
    /* A kernel that only accepts initrds below 48 MiB, in 128 MiB of RAM. */
    FakeBz f = fake_default;
    f.initrd_addr_max = 48 * MiB - 1;
    f.xloadflags = 1;
    size_t len;
    uint8_t *img = make_bzimage(&f, &len);
    char *initrd = make_temp_file(5 * MiB + 17, 0x12);
    Machine *m = new_machine(128 * MiB);
    CPUX86State env;
    x86_cpu_reset_state(&env, true);
    Error *err = NULL;
    g_assert_true(linux_load(m, img, len, initrd, "x", &env, &err));
    g_assert_null(err);
    check_linux_zero_page(m, img, len, "x", initrd, 5 * MiB + 17);
    check_linux_entry64(m, &env);
    uint32_t rd_image = rd32(m, BOOT_PARAMS_ADDR + 0x218);
    g_assert_cmpuint(rd_image + 5 * MiB + 17, <=, 48 * MiB);
    /* Placed as high as allowed: within a page of the limit. */
    g_assert_cmpuint(rd_image + 5 * MiB + 17, >, 48 * MiB - 4096);
    machine_free(m);
    remove_temp(initrd);
    g_free(img);
}

static void expect_linux_error(const FakeBz *f, uint64_t ram, const char *initrd,
                               const char *cmdline, const char *needle)
{
    size_t len;
    uint8_t *img = make_bzimage(f, &len);
    Machine *m = new_machine(ram);
    CPUX86State env, before;
    x86_cpu_reset_state(&env, true);
    before = env;
    Error *err = NULL;
    g_assert_false(linux_load(m, img, len, initrd, cmdline, &env, &err));
    g_assert_nonnull(err);
    if (!strstr(err->msg, needle)) {
        g_error("error \"%s\" does not mention \"%s\"", err->msg, needle);
    }
    /* A failed load leaves the CPU as it was. */
    g_assert_true(memcmp(&env, &before, sizeof(env)) == 0);
    error_free(err);
    machine_free(m);
    g_free(img);
}

static void test_linux_errors(void)
{
    FakeBz f = fake_default;

    /* Command line longer than cmdline_size (255 here). */
    char *longcl = g_strnfill(256, 'a');
    expect_linux_error(&f, 64 * MiB, NULL, longcl,
                       "-append is too long for this kernel (256 > 255)");
    g_free(longcl);
    char *exact = g_strnfill(255, 'b');
    size_t len;
    uint8_t *img = make_bzimage(&f, &len);
    Machine *m = new_machine(64 * MiB);
    CPUX86State env;
    x86_cpu_reset_state(&env, true);
    Error *err = NULL;
    g_assert_true(linux_load(m, img, len, NULL, exact, &env, &err));
    char *got = rdstr(m, BOOT_CMDLINE_ADDR);
    g_assert_cmpstr(got, ==, exact);
    g_free(got);
    machine_free(m);
    g_free(img);
    g_free(exact);

    /* Protocol too old; a zImage (not loaded high). */
    f = fake_default;
    f.version = 0x205;
    expect_linux_error(&f, 64 * MiB, NULL, "", "boot protocol 2.05 is too old");
    f = fake_default;
    f.loadflags = 0;
    expect_linux_error(&f, 64 * MiB, NULL, "", "zImage");

    /* init_size beyond RAM. */
    f = fake_default;
    f.init_size = 200 * MiB;
    expect_linux_error(&f, 128 * MiB, NULL, "", "to unpack itself");

    /* An initrd bigger than RAM: refused before it is read (sparse file). */
    char *big = make_temp_file(1, 0);
    g_assert_cmpint(truncate(big, 200 * MiB), ==, 0);
    expect_linux_error(&fake_default, 128 * MiB, big, "", "-initrd");
    expect_linux_error(&fake_default, 128 * MiB, big, "", "fit in guest RAM");
    remove_temp(big);
    /* An initrd smaller than RAM but too big for the room above the kernel. */
    char *mid = make_temp_file(40 * MiB, 1);
    expect_linux_error(&fake_default, 48 * MiB, mid, "", "do not fit in guest RAM");
    remove_temp(mid);
    expect_linux_error(&fake_default, 48 * MiB, "/nonexistent/initrd", "",
                       "-initrd /nonexistent/initrd: No such file or directory");

    /* Truncated: the setup sectors run past the end of the file. */
    f = fake_default;
    img = make_bzimage(&f, &len);
    m = new_machine(64 * MiB);
    g_assert_false(linux_load(m, img, 2048, NULL, "", &env, &err));
    g_assert_nonnull(strstr(err->msg, "truncated"));
    error_free(err);
    err = NULL;
    g_assert_false(linux_load(m, img, 0x210, NULL, "", &env, &err));
    g_assert_nonnull(err);
    error_free(err);
    machine_free(m);
    g_free(img);
}

/* ---- board entry point ---- */

static void expect_boot_error(const char *kernel, const char *initrd, const char *msg)
{
    Machine *m = new_machine(64 * MiB);
    m->cfg.kernel = g_strdup(kernel);
    m->cfg.initrd = g_strdup(initrd);
    CPUX86State env;
    x86_cpu_reset_state(&env, true);
    Error *err = NULL;
    g_assert_false(pc_boot_kernel(m, &env, &err));
    g_assert_nonnull(err);
    g_assert_cmpstr(err->msg, ==, msg);
    error_free(err);
    machine_free(m);
}

static void test_boot_kernel(void)
{
    /* No -kernel: firmware boot, the BSP stays at reset state. */
    Machine *m = new_machine(64 * MiB);
    CPUX86State env, reset;
    x86_cpu_reset_state(&env, true);
    reset = env;
    Error *err = NULL;
    g_assert_true(pc_boot_kernel(m, &env, &err));
    g_assert_null(err);
    g_assert_true(memcmp(&env, &reset, sizeof(env)) == 0);
    machine_free(m);

    expect_boot_error("/nonexistent/kernel", NULL,
                      "-kernel /nonexistent/kernel: No such file or directory");
    char *junk = make_temp_file(20000, 3);
    char *msg = g_strdup_printf("-kernel %s: not a Linux bzImage or Multiboot kernel",
                                junk);
    expect_boot_error(junk, NULL, msg);
    g_free(msg);
    remove_temp(junk);
    if (g_file_test("/etc/passwd", G_FILE_TEST_IS_REGULAR)) {
        expect_boot_error("/etc/passwd", NULL,
                          "-kernel /etc/passwd: not a Linux bzImage or Multiboot kernel");
    }
    expect_boot_error("/", NULL, "-kernel /: is a directory");
    if (g_file_test("/dev/null", G_FILE_TEST_EXISTS)) {
        expect_boot_error("/dev/null", NULL, "-kernel /dev/null: not a regular file");
    }
    /* A kernel file larger than RAM is refused before reading. */
    char *huge = make_temp_file(1, 0);
    g_assert_cmpint(truncate(huge, 65 * MiB), ==, 0);
    m = new_machine(64 * MiB);
    m->cfg.kernel = g_strdup(huge);
    g_assert_false(pc_boot_kernel(m, &env, &err));
    g_assert_nonnull(strstr(err->msg, "more than"));
    error_free(err);
    machine_free(m);
    remove_temp(huge);
}

/* ---- kernel_probe ---- */

static void put_mb_header(uint8_t *p, uint32_t flags)
{
    stl_le(p, 0x1badb002);
    stl_le(p + 4, flags);
    stl_le(p + 8, -(0x1badb002u + flags));
}

static void test_probe(void)
{
    uint8_t img[16384] = { 0 };
    g_assert_cmpint(kernel_probe(img, sizeof(img)), ==, KERNEL_UNKNOWN);
    g_assert_cmpint(kernel_probe(img, 0), ==, KERNEL_UNKNOWN);
    memcpy(img + 0x202, "HdrS", 4);
    g_assert_cmpint(kernel_probe(img, sizeof(img)), ==, KERNEL_LINUX);
    g_assert_cmpint(kernel_probe(img, 0x205), ==, KERNEL_UNKNOWN);   /* truncated */
    memset(img, 0, sizeof(img));

    put_mb_header(img + 8188 - 8, 0);      /* last slot that fits in 8192 */
    g_assert_cmpint(kernel_probe(img, sizeof(img)), ==, KERNEL_MULTIBOOT);
    g_assert_cmpint(kernel_probe(img, 8188), ==, KERNEL_UNKNOWN);     /* cut short */
    memset(img, 0, sizeof(img));
    put_mb_header(img + 8192, 0);          /* too far in */
    g_assert_cmpint(kernel_probe(img, sizeof(img)), ==, KERNEL_UNKNOWN);
    memset(img, 0, sizeof(img));
    put_mb_header(img + 66, 0);            /* not 4-byte aligned */
    g_assert_cmpint(kernel_probe(img, sizeof(img)), ==, KERNEL_UNKNOWN);
    put_mb_header(img + 64, 3);
    g_assert_cmpint(kernel_probe(img, sizeof(img)), ==, KERNEL_MULTIBOOT);
    stl_le(img + 72, 0);                   /* checksum broken */
    g_assert_cmpint(kernel_probe(img, sizeof(img)), ==, KERNEL_UNKNOWN);
}

/* ---- Multiboot: synthetic kernels ---- */

typedef struct ElfSeg {
    uint32_t type, offset, vaddr, paddr, filesz, memsz;
} ElfSeg;

/* An ELF32 i386 executable with the given program headers, a Multiboot header
 * at file offset mb_off, and patterned contents everywhere else. */
static uint8_t *make_elf(const ElfSeg *segs, unsigned nseg, uint32_t entry,
                         size_t mb_off, uint32_t mb_flags, size_t len)
{
    uint8_t *img = g_malloc0(len);
    for (size_t i = 0; i < len; i++) {
        img[i] = (uint8_t)(i * 31 + 7);
    }
    memset(img, 0, 52 + 32 * nseg);
    memcpy(img, "\x7f" "ELF", 4);
    img[4] = 1;             /* ELFCLASS32 */
    img[5] = 1;             /* little endian */
    img[6] = 1;
    stw_le(img + 16, 2);    /* ET_EXEC */
    stw_le(img + 18, 3);    /* EM_386 */
    stl_le(img + 20, 1);
    stl_le(img + 24, entry);
    stl_le(img + 28, 52);   /* e_phoff */
    stw_le(img + 40, 52);
    stw_le(img + 42, 32);
    stw_le(img + 44, nseg);
    for (unsigned i = 0; i < nseg; i++) {
        uint8_t *ph = img + 52 + 32 * i;
        stl_le(ph, segs[i].type);
        stl_le(ph + 4, segs[i].offset);
        stl_le(ph + 8, segs[i].vaddr);
        stl_le(ph + 12, segs[i].paddr);
        stl_le(ph + 16, segs[i].filesz);
        stl_le(ph + 20, segs[i].memsz);
        stl_le(ph + 24, 5);
        stl_le(ph + 28, 0x1000);
    }
    put_mb_header(img + mb_off, mb_flags);
    return img;
}

/* A higher-half kernel: text at VA 0xc0100000 / PA 1 MiB, data with bss at
 * PA 2 MiB, a PT_NOTE that must be ignored, entry given as a virtual address. */
static const ElfSeg mb_segs[] = {
    { 1, 0x1000, 0xc0100000, 0x100000, 0x1000, 0x1000 },
    { 4, 0x1800, 0, 0, 0x10, 0x10 },
    { 1, 0x2000, 0xc0200000, 0x200000, 0x800, 0x3000 },
};
#define MB_ELF_LEN 0x2800

static uint8_t *make_mb_elf(size_t *len)
{
    *len = MB_ELF_LEN;
    return make_elf(mb_segs, ARRAY_SIZE(mb_segs), 0xc0100020, 0x1000, 3, MB_ELF_LEN);
}

static void check_mb_entry(Machine *m, const CPUX86State *env, uint32_t eip)
{
    g_assert_cmphex(env->rip, ==, eip);
    g_assert_cmphex(env->regs[R_EAX], ==, 0x2badb002);
    g_assert_cmphex(env->regs[R_EBX], ==, MULTIBOOT_INFO_ADDR);
    g_assert_cmphex(env->cr[0] & (CR0_PE | CR0_PG), ==, CR0_PE);
    g_assert_false(env->rflags & (IF_MASK | VM_MASK));
    g_assert_cmphex(env->segs[R_CS].selector, ==, 0x10);
    g_assert_cmphex(env->segs[R_CS].base, ==, 0);
    g_assert_cmphex(env->segs[R_CS].limit, ==, 0xffffffff);
    g_assert_true(env->segs[R_CS].flags & DESC_B_MASK);
    for (int i = 0; i < 6; i++) {
        if (i != R_CS) {
            g_assert_cmphex(env->segs[i].selector, ==, 0x18);
            g_assert_cmphex(env->segs[i].limit, ==, 0xffffffff);
            g_assert_true(env->segs[i].flags & DESC_W_MASK);
        }
    }
    assert_gdt_entry(m, env, 0x10, 0x00cf9b000000ffffull);
    assert_gdt_entry(m, env, 0x18, 0x00cf93000000ffffull);
}

/* Info structure fields that do not depend on the kernel image. */
static void check_mb_info_common(Machine *m, const char *cmdline)
{
    const uint64_t mbi = MULTIBOOT_INFO_ADDR;
    uint32_t flags = rd32(m, mbi);
    g_assert_cmphex(flags, ==, (1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9));
    g_assert_cmpuint(rd32(m, mbi + 4), ==, 639);
    g_assert_cmpuint(rd32(m, mbi + 8), ==, (m->below_4g_mem - MiB) / KiB);
    char *s = rdstr(m, rd32(m, mbi + 16));
    g_assert_cmpstr(s, ==, cmdline);
    g_free(s);
    s = rdstr(m, rd32(m, mbi + 64));
    g_assert_cmpstr(s, ==, "bt86");
    g_free(s);

    /* Memory map: 24-byte records whose size field says 20, equal to e820. */
    E820Entry e[32];
    unsigned n = pc_e820_build(m, e, ARRAY_SIZE(e));
    uint32_t mlen = rd32(m, mbi + 44), maddr = rd32(m, mbi + 48);
    g_assert_cmpuint(mlen, ==, n * 24);
    unsigned i = 0;
    for (uint32_t p = maddr; p < maddr + mlen; p += rd32(m, p) + 4, i++) {
        g_assert_cmpuint(rd32(m, p), ==, 20);
        g_assert_cmphex(rd64(m, p + 4), ==, e[i].addr);
        g_assert_cmphex(rd64(m, p + 12), ==, e[i].size);
        g_assert_cmpuint(rd32(m, p + 20), ==, e[i].type);
    }
    g_assert_cmpuint(i, ==, n);
    /* Everything the info structure points to sits below the EBDA. */
    g_assert_cmpuint(maddr + mlen, <=, 0x9fc00);
}

static void test_multiboot_elf(gconstpointer data)
{
    uint64_t ram = *(const uint64_t *)data;
    size_t len;
    uint8_t *img = make_mb_elf(&len);
    char *mod1 = make_temp_file(5000, 0x44);
    char *mod2 = make_temp_file(3 * 4096, 0x55);
    char *mods = g_strdup_printf("%s arg1 arg2,%s", mod1, mod2);

    Machine *m = new_machine(ram);
    /* bss must be zeroed, not just left as found. */
    uint8_t junk[0x2800];
    memset(junk, 0xaa, sizeof(junk));
    memmap_write(&m->mem, 0x200800, junk, sizeof(junk));

    CPUX86State env;
    x86_cpu_reset_state(&env, true);
    Error *err = NULL;
    g_assert_true(multiboot_load(m, img, len, "/boot/test.elf", mods, "console=com1 -v",
                                 &env, &err));
    g_assert_null(err);
    check_mb_entry(m, &env, 0x100020);
    check_mb_info_common(m, "/boot/test.elf console=com1 -v");

    /* Segments at their physical addresses, bss zeroed. */
    uint8_t buf[0x3000];
    memmap_read(&m->mem, 0x100000, buf, 0x1000);
    g_assert_true(memcmp(buf, img + 0x1000, 0x1000) == 0);
    memmap_read(&m->mem, 0x200000, buf, 0x3000);
    g_assert_true(memcmp(buf, img + 0x2000, 0x800) == 0);
    for (size_t i = 0x800; i < 0x3000; i++) {
        g_assert_cmphex(buf[i], ==, 0);
    }

    /* Modules: page aligned after the kernel's last byte (0x203000), in order,
     * each string the whole -initrd item. */
    const uint64_t mbi = MULTIBOOT_INFO_ADDR;
    g_assert_cmpuint(rd32(m, mbi + 20), ==, 2);
    uint32_t ma = rd32(m, mbi + 24);
    uint32_t s1 = rd32(m, ma), e1 = rd32(m, ma + 4);
    uint32_t s2 = rd32(m, ma + 16), e2 = rd32(m, ma + 20);
    g_assert_cmphex(s1, ==, 0x203000);
    g_assert_cmphex(e1, ==, s1 + 5000);
    g_assert_cmphex(s2, ==, (e1 + 4095) & ~4095u);
    g_assert_cmphex(e2, ==, s2 + 3 * 4096);
    g_assert_cmpuint(e2, <=, m->below_4g_mem);
    assert_guest_matches_file(m, s1, mod1);
    assert_guest_matches_file(m, s2, mod2);
    char *str = rdstr(m, rd32(m, ma + 8));
    char *want = g_strdup_printf("%s arg1 arg2", mod1);
    g_assert_cmpstr(str, ==, want);
    g_free(str);
    g_free(want);
    str = rdstr(m, rd32(m, ma + 24));
    g_assert_cmpstr(str, ==, mod2);
    g_free(str);

    machine_free(m);
    remove_temp(mod1);
    remove_temp(mod2);
    g_free(mods);
    g_free(img);
}

static void test_multiboot_aout(void)
{
    /* Flat binary: header 0x40 bytes in, text+data 0x2000 bytes loaded, then
     * 0x1000 bytes of file that load_end_addr excludes, bss to 0x104000. */
    size_t len = 0x3000;
    uint8_t *img = g_malloc(len);
    for (size_t i = 0; i < len; i++) {
        img[i] = (uint8_t)(i * 17 + 1);
    }
    put_mb_header(img + 0x40, (1u << 16) | 2);
    stl_le(img + 0x40 + 12, 0x100040);     /* header_addr */
    stl_le(img + 0x40 + 16, 0x100000);     /* load_addr */
    stl_le(img + 0x40 + 20, 0x102000);     /* load_end_addr */
    stl_le(img + 0x40 + 24, 0x104000);     /* bss_end_addr */
    stl_le(img + 0x40 + 28, 0x100080);     /* entry_addr */

    Machine *m = new_machine(32 * MiB);
    uint8_t junk[0x2000];
    memset(junk, 0xcc, sizeof(junk));
    memmap_write(&m->mem, 0x102000, junk, sizeof(junk));
    CPUX86State env;
    x86_cpu_reset_state(&env, true);
    Error *err = NULL;
    g_assert_true(multiboot_load(m, img, len, "aout.bin", NULL, NULL, &env, &err));
    g_assert_null(err);
    check_mb_entry(m, &env, 0x100080);
    check_mb_info_common(m, "aout.bin");
    g_assert_cmpuint(rd32(m, MULTIBOOT_INFO_ADDR + 20), ==, 0);    /* no modules */

    uint8_t buf[0x4000];
    memmap_read(&m->mem, 0x100000, buf, sizeof(buf));
    g_assert_true(memcmp(buf, img, 0x2000) == 0);
    for (size_t i = 0x2000; i < 0x4000; i++) {
        g_assert_cmphex(buf[i], ==, 0);
    }

    /* load_end_addr 0: the whole file from load_addr's offset. Header at file
     * offset 0x1040 with header_addr 0x200040: the file's first 0x1000 bytes
     * are not part of the image. */
    memset(img + 0x40, 0, 32);
    put_mb_header(img + 0x1040, (1u << 16));
    stl_le(img + 0x1040 + 12, 0x200040);
    stl_le(img + 0x1040 + 16, 0x200000);
    stl_le(img + 0x1040 + 20, 0);
    stl_le(img + 0x1040 + 24, 0);
    stl_le(img + 0x1040 + 28, 0x200000);
    x86_cpu_reset_state(&env, true);
    g_assert_true(multiboot_load(m, img, len, "aout.bin", NULL, "", &env, &err));
    g_assert_null(err);
    check_mb_entry(m, &env, 0x200000);
    memmap_read(&m->mem, 0x200000, buf, 0x2000);
    g_assert_true(memcmp(buf, img + 0x1000, 0x2000) == 0);
    machine_free(m);
    g_free(img);
}

static void expect_mb_error(const uint8_t *img, size_t len, uint64_t ram,
                            const char *mods, const char *cmdline, const char *needle)
{
    Machine *m = new_machine(ram);
    CPUX86State env, before;
    x86_cpu_reset_state(&env, true);
    before = env;
    Error *err = NULL;
    g_assert_false(multiboot_load(m, img, len, "k.elf", mods, cmdline, &env, &err));
    g_assert_nonnull(err);
    if (!strstr(err->msg, needle)) {
        g_error("error \"%s\" does not mention \"%s\"", err->msg, needle);
    }
    g_assert_true(memcmp(&env, &before, sizeof(env)) == 0);
    error_free(err);
    machine_free(m);
}

static void test_multiboot_errors(void)
{
    size_t len;
    uint8_t *img = make_mb_elf(&len);

    /* ELF64 without the a.out kludge. */
    img[4] = 2;
    expect_mb_error(img, len, 32 * MiB, NULL, NULL, "ELF64");
    img[4] = 1;
    /* Not an i386 image. */
    stw_le(img + 18, 62);
    expect_mb_error(img, len, 32 * MiB, NULL, NULL, "i386");
    stw_le(img + 18, 3);
    /* Truncated: program headers past the end of the file. */
    stw_le(img + 44, 500);
    expect_mb_error(img, len, 32 * MiB, NULL, NULL, "program header table");
    stw_le(img + 44, ARRAY_SIZE(mb_segs));
    /* Truncated: a segment's bytes past the end of the file. */
    expect_mb_error(img, 0x2400, 32 * MiB, NULL, NULL, "outside the file");
    /* Garbage in front of a valid header: not ELF, no kludge. */
    uint8_t garbage[4096];
    memset(garbage, 0x90, sizeof(garbage));
    put_mb_header(garbage + 256, 0);
    expect_mb_error(garbage, sizeof(garbage), 32 * MiB, NULL, NULL, "not ELF");
    /* No header at all. */
    memset(garbage, 0x90, sizeof(garbage));
    expect_mb_error(garbage, sizeof(garbage), 32 * MiB, NULL, NULL,
                    "no valid Multiboot header");
    /* Required feature we do not have (flag bit 3). */
    put_mb_header(img + 0x1000, 3 | (1u << 3));
    expect_mb_error(img, len, 32 * MiB, NULL, NULL, "requires features");
    put_mb_header(img + 0x1000, 3);
    g_free(img);

    /* Segments outside usable RAM: past the end, on the info area, in the VGA
     * hole, wrapping past 4 GiB. */
    const uint32_t bad_paddr[] = { 0x1ff0000, 0x9000, 0xa0000, 0xfffff000 };
    for (unsigned i = 0; i < ARRAY_SIZE(bad_paddr); i++) {
        ElfSeg s[] = { { 1, 0x1000, bad_paddr[i], bad_paddr[i], 0x1000, 0x20000 } };
        img = make_elf(s, 1, bad_paddr[i], 0x1000, 0, 0x2000);
        expect_mb_error(img, 0x2000, 32 * MiB, NULL, NULL, "not in usable guest RAM");
        g_free(img);
    }
    /* Conventional memory above the info area is fine. */
    {
        ElfSeg s[] = { { 1, 0x1000, 0x80000, 0x80000, 0x1000, 0x1000 } };
        img = make_elf(s, 1, 0x80000, 0x1000, 0, 0x2000);
        Machine *m = new_machine(32 * MiB);
        CPUX86State env;
        x86_cpu_reset_state(&env, true);
        Error *err = NULL;
        g_assert_true(multiboot_load(m, img, 0x2000, "low", NULL, NULL, &env, &err));
        g_assert_cmphex(rd32(m, 0x80000), ==, 0x1badb002);
        g_assert_cmphex(env.rip, ==, 0x80000);
        machine_free(m);
        g_free(img);
    }

    /* a.out kludge with inconsistent addresses / a load_end past the file. */
    uint8_t aout[0x1000] = { 0 };
    put_mb_header(aout + 0x20, 1u << 16);
    stl_le(aout + 0x20 + 12, 0x100100);    /* header 0x100 into the text... */
    stl_le(aout + 0x20 + 16, 0x100000);    /* ...but only 0x20 into the file */
    stl_le(aout + 0x20 + 28, 0x100000);
    expect_mb_error(aout, sizeof(aout), 32 * MiB, NULL, NULL, "inconsistent");
    stl_le(aout + 0x20 + 12, 0x100020);
    stl_le(aout + 0x20 + 20, 0x100000 + 0x2000);
    expect_mb_error(aout, sizeof(aout), 32 * MiB, NULL, NULL, "outside the image");
    stl_le(aout + 0x20 + 20, 0);
    stl_le(aout + 0x20 + 24, 0x100800);    /* bss ends inside the text */
    expect_mb_error(aout, sizeof(aout), 32 * MiB, NULL, NULL, "bss_end_addr");
    stl_le(aout + 0x20 + 24, 0);
    expect_mb_error(aout, 0x30, 32 * MiB, NULL, NULL, "truncated");

    /* Modules: missing file, empty name, too big for RAM. */
    img = make_mb_elf(&len);
    expect_mb_error(img, len, 32 * MiB, "/nonexistent/mod", NULL,
                    "-initrd /nonexistent/mod: No such file or directory");
    char *mod = make_temp_file(100, 9);
    char *list = g_strdup_printf("%s,,%s", mod, mod);
    expect_mb_error(img, len, 32 * MiB, list, NULL, "empty module name");
    g_free(list);
    g_assert_cmpint(truncate(mod, 31 * MiB), ==, 0);
    expect_mb_error(img, len, 32 * MiB, mod, NULL, "module does not fit");
    remove_temp(mod);
    /* A command line that overflows the information area. */
    char *huge = g_strnfill(700 * 1024, 'c');
    expect_mb_error(img, len, 32 * MiB, NULL, huge, "too long");
    g_free(huge);
    g_free(img);
}

static void test_multiboot_board(void)
{
    /* pc_boot_kernel dispatches to Multiboot and passes the kernel's path as
     * the first word of the command line. */
    size_t len;
    uint8_t *img = make_mb_elf(&len);
    char *path = NULL;
    int fd = g_file_open_tmp("bt86-mb-XXXXXX", &path, NULL);
    g_assert_cmpint(write(fd, img, len), ==, (ssize_t)len);
    close(fd);
    Machine *m = new_machine(16 * MiB);
    m->cfg.kernel = g_strdup(path);
    m->cfg.append = g_strdup("hello");
    CPUX86State env;
    x86_cpu_reset_state(&env, true);
    Error *err = NULL;
    g_assert_true(pc_boot_kernel(m, &env, &err));
    g_assert_null(err);
    check_mb_entry(m, &env, 0x100020);
    char *want = g_strdup_printf("%s hello", path);
    check_mb_info_common(m, want);
    g_free(want);
    machine_free(m);
    unlink(path);
    g_free(path);
    g_free(img);
}

/* ---- end to end under KVM: bt86 boots synthetic bzImages ---- */

/* 32-bit entry payload (at 0x100000). Checks what boot.rst promises and
 * reports through isa-debug-exit: 0x10 when all holds, else the failed step.
 *     mov al,1; cmp esi,0x7000; jne out            zero page in ESI
 *     mov al,2; cmp dword [esi+0x202],'HdrS'; jne out
 *     mov al,3; cmp byte [esi+0x210],0xff; jne out  type_of_loader
 *     mov al,4; mov ecx,[esi+0x228]; cmp dword [ecx],'test'; jne out
 *     mov al,5; cs == 0x10, ds == 0x18, ss == 0x18 or out
 *     mov al,6; or ebx,ebp; or ebx,edi; jnz out
 *     mov al,7; mov ecx,[esi+0x218]; cmp dword [ecx],'ABCD'; jne out (initrd)
 *     mov al,8; mov ecx,cr0; test ecx,0x80000000; jnz out      paging off
 *     "OK\n" to 0x3f8; mov al,0x10
 * out: out 0xf4,al; hlt */
static const uint8_t entry32_code[] = {
    0xb0, 0x01, 0x81, 0xfe, 0x00, 0x70, 0x00, 0x00, 0x75, 0x7a, 0xb0, 0x02,
    0x81, 0xbe, 0x02, 0x02, 0x00, 0x00, 0x48, 0x64, 0x72, 0x53, 0x75, 0x6c,
    0xb0, 0x03, 0x80, 0xbe, 0x10, 0x02, 0x00, 0x00, 0xff, 0x75, 0x61, 0xb0,
    0x04, 0x8b, 0x8e, 0x28, 0x02, 0x00, 0x00, 0x81, 0x39, 0x74, 0x65, 0x73,
    0x74, 0x75, 0x51, 0xb0, 0x05, 0x66, 0x8c, 0xc9, 0x66, 0x83, 0xf9, 0x10,
    0x75, 0x46, 0x66, 0x8c, 0xd9, 0x66, 0x83, 0xf9, 0x18, 0x75, 0x3d, 0x66,
    0x8c, 0xd1, 0x66, 0x83, 0xf9, 0x18, 0x75, 0x34, 0xb0, 0x06, 0x09, 0xeb,
    0x09, 0xfb, 0x75, 0x2c, 0xb0, 0x07, 0x8b, 0x8e, 0x18, 0x02, 0x00, 0x00,
    0x81, 0x39, 0x41, 0x42, 0x43, 0x44, 0x75, 0x1c, 0xb0, 0x08, 0x0f, 0x20,
    0xc1, 0xf7, 0xc1, 0x00, 0x00, 0x00, 0x80, 0x75, 0x0f, 0x66, 0xba, 0xf8,
    0x03, 0xb0, 0x4f, 0xee, 0xb0, 0x4b, 0xee, 0xb0, 0x0a, 0xee, 0xb0, 0x10,
    0x66, 0xba, 0xf4, 0x00, 0xee, 0xf4, 0xeb, 0xfd,
};

/* 64-bit entry payload (at 0x100200), the same checks in 64-bit code plus:
 *     mov al,7; mov rcx,cr3; cmp rcx,0x1000; jne out
 *     mov al,8; rdmsr(EFER); test eax,LMA; jz out
 *     mov al,9; mov ecx,0x3fff000; mov rdx,[rcx]   (identity map, 64 MiB - 4K)
 *     "OK\n" to 0x3f8; mov al,0x20 */
static const uint8_t entry64_code[] = {
    0xb0, 0x01, 0x48, 0x81, 0xfe, 0x00, 0x70, 0x00, 0x00, 0x0f, 0x85, 0x85,
    0x00, 0x00, 0x00, 0xb0, 0x02, 0x81, 0xbe, 0x02, 0x02, 0x00, 0x00, 0x48,
    0x64, 0x72, 0x53, 0x75, 0x77, 0xb0, 0x03, 0x8b, 0x8e, 0x28, 0x02, 0x00,
    0x00, 0x81, 0x39, 0x74, 0x65, 0x73, 0x74, 0x75, 0x67, 0xb0, 0x04, 0x66,
    0x8c, 0xc9, 0x66, 0x83, 0xf9, 0x10, 0x75, 0x5c, 0x66, 0x8c, 0xd9, 0x66,
    0x83, 0xf9, 0x18, 0x75, 0x53, 0xb0, 0x05, 0x48, 0x09, 0xeb, 0x48, 0x09,
    0xfb, 0x75, 0x49, 0xb0, 0x06, 0x8b, 0x8e, 0x18, 0x02, 0x00, 0x00, 0x81,
    0x39, 0x41, 0x42, 0x43, 0x44, 0x75, 0x39, 0xb0, 0x07, 0x0f, 0x20, 0xd9,
    0x48, 0x81, 0xf9, 0x00, 0x10, 0x00, 0x00, 0x75, 0x2b, 0xb0, 0x08, 0xb9,
    0x80, 0x00, 0x00, 0xc0, 0x0f, 0x32, 0xa9, 0x00, 0x04, 0x00, 0x00, 0xb0,
    0x08, 0x74, 0x19, 0xb0, 0x09, 0xb9, 0x00, 0xf0, 0xff, 0x03, 0x48, 0x8b,
    0x11, 0x66, 0xba, 0xf8, 0x03, 0xb0, 0x4f, 0xee, 0xb0, 0x4b, 0xee, 0xb0,
    0x0a, 0xee, 0xb0, 0x20, 0x66, 0xba, 0xf4, 0x00, 0xee, 0xf4, 0xeb, 0xfd,
};

/* Why KVM cannot be used here, or NULL if it can. */
static const char *kvm_unusable(void)
{
    if (!g_getenv("BT86")) {
        return "BT86 (path of the bt86 binary) is not set; run through meson test";
    }
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        return "/dev/kvm is absent or not accessible";
    }
    close(fd);
    return NULL;
}

/* Run bt86 with args; returns its exit status (or -1 on a signal/timeout). */
static int run_bt86(char **args, int timeout_s)
{
    GPtrArray *av = g_ptr_array_new();
    g_ptr_array_add(av, (char *)g_getenv("BT86"));
    for (char **a = args; *a; a++) {
        g_ptr_array_add(av, *a);
    }
    g_ptr_array_add(av, NULL);
    pid_t pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        execv(av->pdata[0], (char **)av->pdata);
        _exit(127);
    }
    g_ptr_array_free(av, true);
    int status = 0;
    for (int ms = 0; ms < timeout_s * 1000; ms += 10) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        g_usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

static void test_kvm_linux_entry(gconstpointer data)
{
    bool use64 = GPOINTER_TO_INT(data);
    const char *why = kvm_unusable();
    if (why) {
        g_test_skip(why);
        return;
    }
    FakeBz f = fake_default;
    f.xloadflags = use64 ? 1 : 0;
    size_t len;
    uint8_t *img = make_bzimage(&f, &len);
    size_t setup = 5 * 512;
    if (use64) {
        memcpy(img + setup + 0x200, entry64_code, sizeof(entry64_code));
    } else {
        memcpy(img + setup, entry32_code, sizeof(entry32_code));
    }
    char *kpath = NULL, *ipath = NULL, *spath = NULL;
    int fd = g_file_open_tmp("bt86-bz-XXXXXX", &kpath, NULL);
    g_assert_cmpint(write(fd, img, len), ==, (ssize_t)len);
    close(fd);
    fd = g_file_open_tmp("bt86-rd-XXXXXX", &ipath, NULL);
    g_assert_cmpint(write(fd, "ABCDEFGH", 8), ==, 8);
    close(fd);
    fd = g_file_open_tmp("bt86-serial-XXXXXX", &spath, NULL);
    close(fd);
    char *serial = g_strdup_printf("file:%s", spath);
    char *args[] = {
        "-accel", "kvm", "-m", "64M", "-display", "none", "-no-reboot",
        "-serial", serial, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-kernel", kpath, "-initrd", ipath, "-append", "test cmdline", NULL,
    };
    int status = run_bt86(args, 60);
    gchar *out = NULL;
    g_file_get_contents(spath, &out, NULL, NULL);
    /* isa-debug-exit: status (v << 1) | 1; v is the step that failed or the
     * success code. */
    int want = ((use64 ? 0x20 : 0x10) << 1) | 1;
    if (status != want) {
        g_error("bt86 exited with %d (want %d; guest step %d failed), serial: \"%s\"",
                status, want, status > 0 ? status >> 1 : -1, out ? out : "");
    }
    g_assert_cmpstr(out, ==, "OK\n");
    g_free(out);
    unlink(kpath);
    unlink(ipath);
    unlink(spath);
    g_free(kpath);
    g_free(ipath);
    g_free(spath);
    g_free(serial);
    g_free(img);
}

int main(int argc, char **argv)
{
    static const uint64_t sizes[] = { 128 * MiB, 1 * GiB, 3 * GiB + 512 * MiB };
    static const char *const names[] = { "128M", "1G", "3.5G" };

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/loader/e820", test_e820);
    g_test_add_func("/loader/cpu/reset", test_cpu_reset);
    g_test_add_func("/loader/cpu/descriptors", test_cpu_descriptors);
    g_test_add_func("/loader/probe", test_probe);
    g_test_add_func("/loader/boot-kernel", test_boot_kernel);
    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
        char *p = g_strdup_printf("/loader/linux/debian/%s", names[i]);
        g_test_add_data_func(p, &sizes[i], test_linux_debian);
        g_free(p);
        p = g_strdup_printf("/loader/multiboot/elf/%s", names[i]);
        g_test_add_data_func(p, &sizes[i], test_multiboot_elf);
        g_free(p);
    }
    g_test_add_func("/loader/linux/synthetic32", test_linux_synthetic32);
    g_test_add_func("/loader/linux/initrd-addr-max", test_linux_initrd_addr_max);
    g_test_add_func("/loader/linux/initrd-list", test_linux_initrd_list);
    g_test_add_func("/loader/linux/errors", test_linux_errors);
    g_test_add_func("/loader/multiboot/aout", test_multiboot_aout);
    g_test_add_func("/loader/multiboot/errors", test_multiboot_errors);
    g_test_add_func("/loader/multiboot/board", test_multiboot_board);
    g_test_add_data_func("/loader/kvm/linux-entry32", GINT_TO_POINTER(0),
                         test_kvm_linux_entry);
    g_test_add_data_func("/loader/kvm/linux-entry64", GINT_TO_POINTER(1),
                         test_kvm_linux_entry);
    return g_test_run();
}
