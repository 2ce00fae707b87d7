/*
 * translate-x87.c: x87 floating point (SDM Vol 1 ch. 8).
 * Called from gen_insn() for the mnemonics translate.c does not handle itself.
 */
#include "util/osdep.h"
#include "target-x86/translate-internal.h"

bool x86_gen_x87(DC *d)
{
    (void)d;
    return false;
}
