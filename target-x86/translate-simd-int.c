/*
 * translate-simd-int.c: integer MMX and SSE instructions (SDM Vol 1 ch. 9-12).
 * Called from x86_gen_sse() for the mnemonics it does not handle itself.
 */
#include "util/osdep.h"
#include "target-x86/translate-internal.h"

bool x86_gen_simd_int(DC *d)
{
    (void)d;
    return false;
}
