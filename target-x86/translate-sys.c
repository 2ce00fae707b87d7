/*
 * translate-sys.c: system and less common instructions.
 * Called from gen_insn() for the mnemonics translate.c does not handle itself.
 */
#include "util/osdep.h"
#include "target-x86/translate-internal.h"

bool x86_gen_sys(DC *d)
{
    (void)d;
    return false;
}
