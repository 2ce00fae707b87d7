/*
 * test-kvm-regs.c: moving CPU state between CPUX86State and a real KVM vCPU
 * (accel/kvm/kvm-regs.c), and running a few instructions on it directly with
 * KVM_RUN (no vCPU thread, no main loop):
 *   - a state pushed and fetched back is the same (GPRs, RIP, RFLAGS, segment
 *     caches with their attribute bits, descriptor tables, control registers,
 *     MSRs the kernel lists, x87/SSE control and XMM registers);
 *   - code runs in flat 32-bit protected mode, real mode and 64-bit mode as the
 *     state says, observed through the port-IO exit it ends with;
 *   - an impossible state (CR0.PG without PE) is refused with a clear error.
 * Needs /dev/kvm; every case is skipped, saying why, without it.
 */
#include "util/osdep.h"
#include "system/accel.h"
#include "accel/kvm/kvm-internal.h"

#include <sys/ioctl.h>

#define TEST_RAM   (16 * MiB)
#define TEST_PORT  0xf4

typedef struct Fixture {
    Machine *m;
    CPUState *cpu;
    KVMCPU *kc;
} Fixture;

static bool skip_without_kvm(void)
{
    Error *err = NULL;
    if (!kvm_available(&err)) {
        g_autofree char *msg = g_strdup_printf("KVM is not usable here: %s", err->msg);
        error_free(err);
        g_test_skip(msg);
        return true;
    }
    return false;
}

static void fixture_init(Fixture *f)
{
    MachineConfig cfg = {
        .ram_size = TEST_RAM,
        .smp = 1,
        .accel = (char *)"kvm",
        .kernel_irqchip = true,
    };
    Error *err = NULL;
    f->m = machine_new(&cfg, &err);
    g_assert_nonnull(f->m);
    g_assert_true(kvm_accel_ops.init(f->m, &err));
    /* machine_free() releases m->cpus[]. */
    f->cpu = g_new0(CPUState, 1);
    f->cpu->machine = f->m;
    f->cpu->index = 0;
    f->m->cpus[0] = f->cpu;
    f->m->ncpus = 1;
    x86_cpu_reset_state(&f->cpu->env, true);
    g_assert_true(kvm_accel_ops.cpu_init(f->cpu, &err));
    g_assert_null(err);
    f->kc = f->cpu->accel;
}

static void fixture_free(Fixture *f)
{
    kvm_accel_ops.cpu_destroy(f->cpu);
    kvm_accel_ops.destroy(f->m);
    machine_free(f->m);
}

static void put_or_fail(Fixture *f)
{
    Error *err = NULL;
    bool ok = kvm_put_state(f->kc, true, &err);
    if (!ok) {
        g_error("kvm_put_state: %s", err->msg);
    }
}

/* Run until the first exit that is not a signal; it must be an OUT to
 * TEST_PORT of `size` bytes. Returns the value written. */
static uint32_t run_until_out(Fixture *f, unsigned size)
{
    struct kvm_run *run = f->kc->run;
    int ret;
    do {
        ret = ioctl(f->kc->fd, KVM_RUN, 0);
    } while (ret < 0 && errno == EINTR);
    g_assert_cmpint(ret, ==, 0);
    if (run->exit_reason != KVM_EXIT_IO) {
        Error *err = NULL;
        kvm_get_state(f->kc, &err);
        g_error("exit reason %u at RIP 0x%" PRIx64, run->exit_reason, f->cpu->env.rip);
    }
    g_assert_cmpuint(run->io.direction, ==, KVM_EXIT_IO_OUT);
    g_assert_cmpuint(run->io.port, ==, TEST_PORT);
    g_assert_cmpuint(run->io.size, ==, size);
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    return size == 4 ? ldl_le(data) : size == 2 ? ldw_le(data) : data[0];
}

static void put_code(Fixture *f, uint64_t addr, const uint8_t *code, size_t len)
{
    g_assert_cmpint(memmap_write(&f->m->mem, addr, code, len), ==, MEMTX_OK);
}

static void test_roundtrip(void)
{
    if (skip_without_kvm()) {
        return;
    }
    Fixture f;
    fixture_init(&f);
    CPUX86State *env = &f.cpu->env;

    x86_cpu_set_flat32(env, 0x08, 0x10);
    for (int i = 0; i < 16; i++) {
        env->regs[i] = 0x0101010101010101ULL * (i + 1);
    }
    env->rip = 0x123456;
    env->rflags = 0x2 | CC_C | CC_Z | DF_MASK;
    env->gdt.base = 0x5000;
    env->gdt.limit = 0x37;
    env->idt.base = 0x6000;
    env->idt.limit = 0x7ff;
    env->segs[R_FS].base = 0x77000;
    env->cr[0] |= CR0_NE | CR0_MP;
    env->cr[2] = 0xdead000;
    env->cr[4] = CR4_OSFXSR | CR4_OSXMMEXCPT;
    env->sysenter_cs = 0x08;
    env->sysenter_esp = 0x9000;
    env->sysenter_eip = 0x1234;
    env->fpuc = 0x037f;
    /* x87: TOP = 6, ST(0) = pi (valid), ST(1) = +0 (zero), pointers set. */
    env->fpus = 6 << 11;
    env->fptag = 0x4fff;
    env->fpregs[6] = (X86Float80){ 0xc90fdaa22168c235ULL, 0x4000 };
    env->fpregs[7] = (X86Float80){ 0, 0 };
    env->fpop = 0x5d9;
    env->fpip = 0x1234567;
    env->fpdp = 0x89abc;
    env->mxcsr = 0x1fa0;
    for (int i = 0; i < 16; i++) {
        env->xmm[i].q[0] = 0x1111111111111111ULL * (i + 1);
        env->xmm[i].q[1] = ~env->xmm[i].q[0];
    }
    CPUX86State want = *env;
    put_or_fail(&f);

    memset(env, 0, sizeof(*env));
    Error *err = NULL;
    g_assert_true(kvm_get_state(f.kc, &err));
    g_assert_null(err);

    for (int i = 0; i < 16; i++) {
        g_assert_cmphex(env->regs[i], ==, want.regs[i]);
    }
    g_assert_cmphex(env->rip, ==, want.rip);
    g_assert_cmphex(env->rflags, ==, want.rflags);
    for (int i = 0; i < 6; i++) {
        g_assert_cmphex(env->segs[i].selector, ==, want.segs[i].selector);
        g_assert_cmphex(env->segs[i].base, ==, want.segs[i].base);
        g_assert_cmphex(env->segs[i].limit, ==, want.segs[i].limit);
        /* The accessed bit may be set by the CPU; the rest must survive. */
        g_assert_cmphex(env->segs[i].flags & ~DESC_A_MASK, ==,
                        want.segs[i].flags & ~DESC_A_MASK);
    }
    g_assert_cmphex(env->tr.flags & DESC_TYPE_MASK, ==,
                    DESC_TYPE_TSS_BUSY << DESC_TYPE_SHIFT);
    g_assert_cmphex(env->gdt.base, ==, want.gdt.base);
    g_assert_cmphex(env->gdt.limit, ==, want.gdt.limit);
    g_assert_cmphex(env->idt.base, ==, want.idt.base);
    g_assert_cmphex(env->idt.limit, ==, want.idt.limit);
    g_assert_cmphex(env->cr[0], ==, want.cr[0]);
    g_assert_cmphex(env->cr[2], ==, want.cr[2]);
    g_assert_cmphex(env->cr[4], ==, want.cr[4]);
    g_assert_cmphex(env->efer, ==, want.efer);
    if (kvm_has_msr(f.kc->s, MSR_IA32_SYSENTER_EIP)) {
        g_assert_cmphex(env->sysenter_cs, ==, want.sysenter_cs);
        g_assert_cmphex(env->sysenter_esp, ==, want.sysenter_esp);
        g_assert_cmphex(env->sysenter_eip, ==, want.sysenter_eip);
    }
    g_assert_cmphex(env->fpuc, ==, want.fpuc);
    g_assert_cmphex(env->fptag, ==, want.fptag);
    g_assert_cmphex(env->fpus, ==, want.fpus);
    g_assert_cmphex(env->fpregs[6].mant, ==, want.fpregs[6].mant);
    g_assert_cmphex(env->fpregs[6].sexp, ==, want.fpregs[6].sexp);
    g_assert_cmphex(env->fpop, ==, want.fpop);
    g_assert_cmphex(env->fpip, ==, want.fpip);
    g_assert_cmphex(env->fpdp, ==, want.fpdp);
    g_assert_cmphex(env->mxcsr, ==, want.mxcsr);
    for (int i = 0; i < 16; i++) {
        g_assert_cmphex(env->xmm[i].q[0], ==, want.xmm[i].q[0]);
        g_assert_cmphex(env->xmm[i].q[1], ==, want.xmm[i].q[1]);
    }
    fixture_free(&f);
}

static void test_run_flat32(void)
{
    if (skip_without_kvm()) {
        return;
    }
    Fixture f;
    fixture_init(&f);
    CPUX86State *env = &f.cpu->env;
    /* add %ebx, %eax; out %eax, $0xf4 */
    static const uint8_t code[] = { 0x01, 0xd8, 0xe7, TEST_PORT };

    put_code(&f, 0x2000, code, sizeof(code));
    x86_cpu_set_flat32(env, 0x08, 0x10);
    env->rip = 0x2000;
    env->regs[R_EAX] = 0x12340000;
    env->regs[R_EBX] = 0x5678;
    put_or_fail(&f);
    g_assert_cmphex(run_until_out(&f, 4), ==, 0x12345678);
    fixture_free(&f);
}

static void test_run_real_mode(void)
{
    if (skip_without_kvm()) {
        return;
    }
    Fixture f;
    fixture_init(&f);
    CPUX86State *env = &f.cpu->env;
    /* mov %cs:6, %ax (2e a1 06 00); out %ax, $0xf4 (e7 f4); then the data word
     * 0xbeef at offset 6. In a 16-bit code segment E7 writes AX. */
    static const uint8_t code[] = { 0x2e, 0xa1, 0x06, 0x00, 0xe7, TEST_PORT,
                                    0xef, 0xbe };

    /* Real mode: CS base = selector * 16, so this runs at linear 0x1000. */
    put_code(&f, 0x1000, code, sizeof(code));
    x86_seg_set_real(&env->segs[R_CS], 0x0100, true);
    env->rip = 0;
    put_or_fail(&f);
    g_assert_cmphex(run_until_out(&f, 2), ==, 0xbeef);
    fixture_free(&f);
}

static void test_run_long_mode(void)
{
    if (skip_without_kvm()) {
        return;
    }
    Fixture f;
    fixture_init(&f);
    CPUX86State *env = &f.cpu->env;
    /* movabs $0x1122334455667788, %rax; shr $32, %rax; out %eax, $0xf4 */
    static const uint8_t code[] = { 0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33,
                                    0x22, 0x11, 0x48, 0xc1, 0xe8, 0x20, 0xe7,
                                    TEST_PORT };
    /* PML4 at 0x10000 -> PDPT 0x11000 -> PD 0x12000: one 2 MiB page at 0. */
    uint64_t pml4e = 0x11000 | 3, pdpte = 0x12000 | 3, pde = 0x83;

    memmap_write(&f.m->mem, 0x10000, &pml4e, 8);
    memmap_write(&f.m->mem, 0x11000, &pdpte, 8);
    memmap_write(&f.m->mem, 0x12000, &pde, 8);
    put_code(&f, 0x3000, code, sizeof(code));
    x86_cpu_set_long64(env, 0x10000, 0x10, 0x18);
    env->rip = 0x3000;
    put_or_fail(&f);
    g_assert_cmphex(run_until_out(&f, 4), ==, 0x11223344);

    Error *err = NULL;
    g_assert_true(kvm_get_state(f.kc, &err));
    g_assert_cmphex(env->efer & (EFER_LME | EFER_LMA), ==, EFER_LME | EFER_LMA);
    g_assert_true(env->segs[R_CS].flags & DESC_L_MASK);
    g_assert_cmphex(env->regs[R_EAX], ==, 0x11223344);
    fixture_free(&f);
}

static void test_bad_state(void)
{
    if (skip_without_kvm()) {
        return;
    }
    Fixture f;
    fixture_init(&f);
    CPUX86State *env = &f.cpu->env;
    Error *err = NULL;

    /* Paging without protection is not a state an x86 CPU can be in
     * (SDM Vol 3 §2.5: setting PG with PE clear raises #GP). */
    env->cr[0] = CR0_PG | CR0_ET;
    g_assert_false(kvm_put_state(f.kc, true, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->msg, "KVM_SET_SREGS"));
    error_free(err);
    fixture_free(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/kvm/regs/roundtrip", test_roundtrip);
    g_test_add_func("/kvm/regs/run-flat32", test_run_flat32);
    g_test_add_func("/kvm/regs/run-real-mode", test_run_real_mode);
    g_test_add_func("/kvm/regs/run-long-mode", test_run_long_mode);
    g_test_add_func("/kvm/regs/bad-state", test_bad_state);
    return g_test_run();
}
