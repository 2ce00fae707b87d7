/*
 * diff-fp.h: the x87/MMX/SSE case generator of the differential harness
 * (diff-fp-insns.c), as test-diff.c uses it with --fp.
 */
#ifndef TESTS_DIFF_DIFF_FP_H
#define TESTS_DIFF_DIFF_FP_H

#include "diff-gen.h"

int diff_fp_ntmpls(void);
const char *diff_fp_tmpl_name(int t);
bool diff_fp_tmpl_in_mode(int t, int mode);
/* One case of template t: code, GPRs and memory in gc, the FXSAVE image to
 * start from in fx (DIFF_FX_SIZE bytes), and what to compare. */
void diff_fp_make_case(DiffRng *r, int mode, int t, DiffGenCase *gc, uint8_t *fx,
                       uint32_t *fsw_mask, uint32_t *flags_mask);

#endif
