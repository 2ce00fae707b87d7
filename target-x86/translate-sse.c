/*
 * translate-sse.c: SSE..SSE4.2 floating point, moves and MXCSR
 * (SDM Vol 1 ch. 10-12). The integer MMX/SSE forms are in translate-simd-int.c.
 */
#include "util/osdep.h"
#include "target-x86/translate-internal.h"

bool x86_gen_sse(DC *d)
{
    return x86_gen_simd_int(d);
}
