/*
 * disas.c: host code disassembly with Capstone, for -d out_asm and tests.
 * Logging only: nothing in code generation depends on it.
 */
#include "tcg/tcg-internal.h"
#include <capstone/capstone.h>

int tcg_disas_host(FILE *f, const void *code, size_t size)
{
    csh h;
    cs_insn *insn;
    const uint8_t *p = code;
    uint64_t addr = (uintptr_t)code;
    int count = 0;

    if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
        return -1;
    }
    insn = cs_malloc(h);
    while (size > 0) {
        if (!cs_disasm_iter(h, &p, &size, &addr, insn)) {
            if (f) {
                fprintf(f, "  0x%016" PRIx64 ":  .byte 0x%02x  (undecodable)\n", addr,
                        *p);
            }
            count = -1;
            break;
        }
        if (f) {
            fprintf(f, "  0x%016" PRIx64 ":  %-8s %s\n", insn->address, insn->mnemonic,
                    insn->op_str);
        }
        count++;
    }
    cs_free(insn, 1);
    cs_close(&h);
    return count;
}
