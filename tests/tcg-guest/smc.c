/*
 * smc.c: self-modifying and freshly written code. x86 requires a store to an
 * instruction that is later executed to take effect (SDM Vol 3 §11.6); for the
 * translator this means stores into pages holding translated code must drop
 * those translations. The program writes a tiny function into a buffer, runs
 * it, rewrites its immediate, and runs it again, many times; then it patches
 * an instruction in its own text section.
 */
#include "guest.h"

static u8 buf[64] __attribute__((aligned(16)));

typedef u32 (*fn_t)(void);

static void emit_mov_ret(u8 *p, u32 imm)
{
    p[0] = 0xb8;                    /* mov $imm32, %eax */
    p[1] = imm;
    p[2] = imm >> 8;
    p[3] = imm >> 16;
    p[4] = imm >> 24;
    p[5] = 0xc3;                    /* ret */
}

/* An instruction in .text whose immediate the program rewrites. */
__asm__(".text\n"
        ".globl patched\n"
        "patched:\n"
        "    movl $0x11111111, %eax\n"
        "    ret\n");
u32 patched(void);

/* Report the first few wrong results of a loop (all are counted). */
static void expect(const char *what, u32 got, u32 want, u32 *failures)
{
    if (got != want && (*failures)++ < 12) {
        serial_puts("FAIL: ");
        serial_puts(what);
        serial_puts(" returned ");
        serial_put_hex(got);
        serial_puts(", want ");
        serial_put_hex(want);
        serial_puts("\n");
    }
}

int main(u32 magic, u32 mbi)
{
    (void)magic;
    (void)mbi;
    fn_t f = (fn_t)(void *)buf;
    u32 failures = 0;

    for (u32 i = 0; i < 200; i++) {
        u32 want = 0x1000 + i * 0x10001;
        emit_mov_ret(buf, want);
        __asm__ volatile("" ::: "memory");
        u32 got = f();
        expect("buffer code", got, want, &failures);
    }
    for (u32 i = 0; i < 20; i++) {
        u32 want = 0x22220000 + i;
        u8 *imm = (u8 *)(void *)patched + 1;
        imm[0] = want;
        imm[1] = want >> 8;
        imm[2] = want >> 16;
        imm[3] = want >> 24;
        __asm__ volatile("" ::: "memory");
        u32 got = patched();
        expect("patched text", got, want, &failures);
    }
    /* Read-modify-write on translated code (INC of the immediate): the load
     * and the store of one instruction both meet the code page's write
     * tracking, and the next call must see the new immediate. */
    for (u32 i = 0; i < 20; i++) {
        u32 want = 0x22220000 + 19 + 1 + i;
        u32 *imm = (u32 *)(void *)((u8 *)(void *)patched + 1);
        __asm__ volatile("incl (%0)" : : "r"(imm) : "memory", "cc");
        u32 got = patched();
        expect("INC on text", got, want, &failures);
    }
    if (failures) {
        return 1;
    }
    serial_puts("self-modifying code ok\n");
    return 0;
}
