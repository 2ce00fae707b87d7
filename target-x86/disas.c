/*
 * disas.c: guest x86 disassembly with Capstone, for -d in_asm. Logging only:
 * translation never depends on it (the decoder in decode.c is the authority;
 * when Capstone disagrees about an encoding, the log shows both names).
 */
#include "util/osdep.h"
#include "target-x86/x86-tcg.h"
#include <capstone/capstone.h>

/* One handle per thread and mode: opened on first use, kept for the process. */
static __thread csh handles[3];
static __thread bool opened[3];

void x86_disas_insn(char *out, size_t outlen, const uint8_t *code, size_t len,
                    uint64_t addr, int mode_bits)
{
    int i = mode_bits == 64 ? 2 : mode_bits == 32 ? 1 : 0;
    static const cs_mode modes[3] = { CS_MODE_16, CS_MODE_32, CS_MODE_64 };
    cs_insn *insn;
    size_t n;

    if (!opened[i]) {
        if (cs_open(CS_ARCH_X86, modes[i], &handles[i]) != CS_ERR_OK) {
            snprintf(out, outlen, "(capstone unavailable)");
            return;
        }
        opened[i] = true;
    }
    n = cs_disasm(handles[i], code, len, addr, 1, &insn);
    if (n == 0) {
        snprintf(out, outlen, "(bad)");
        return;
    }
    snprintf(out, outlen, "%s%s%s", insn[0].mnemonic, insn[0].op_str[0] ? " " : "",
             insn[0].op_str);
    cs_free(insn, n);
}
