/*
 * fpmath.c: x87 (long double) and SSE2 (double) arithmetic whose printed
 * results must be identical on the host CPU and inside a guest under bt86.
 * Built static on the host; the boot test runs it in the initramfs and
 * compares its output with a native run, line by line. Every value is printed
 * exactly (%La / %a) so a one-ulp difference shows.
 */
#include <fenv.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Keep the compiler from folding: values come through a volatile. */
static volatile long double vl[] = { 1.0L, 3.0L, 0.1L, 1e300L, -2.5L, 1e-4000L,
                                     7.0L, 0.5L };
static volatile double vd[] = { 1.0, 3.0, 0.1, 1e300, -2.5, 4.9e-324, 7.0, 0.5 };

static void x87(void)
{
    long double a = vl[0], b = vl[1], c = vl[2], big = vl[3], m = vl[4];
    long double tiny = vl[5], s = vl[6], h = vl[7];

    printf("x87 div %La\n", a / b);
    printf("x87 mul %La\n", c * b);
    printf("x87 add %La\n", c + a / b);
    printf("x87 sqrt %La\n", sqrtl(s));
    printf("x87 sin %La cos %La\n", sinl(s), cosl(s));
    printf("x87 tan %La atan2 %La\n", tanl(h), atan2l(s, m));
    printf("x87 exp %La log %La\n", expl(h), logl(s));
    printf("x87 pow %La log2 %La\n", powl(s, h), log2l(b));
    printf("x87 big*big %La tiny*tiny %La\n", big * big * big, tiny * tiny);
    printf("x87 denorm %La\n", tiny / (big * big));
    printf("x87 fmod %La remainder %La\n", fmodl(s, b), remainderl(s, b));
    printf("x87 rint %La %ld\n", rintl(m), lrintl(s / b));
    printf("x87 print %.30Lg\n", a / b);
    for (int r = 0; r < 4; r++) {
        static const int modes[] = { FE_TONEAREST, FE_DOWNWARD, FE_UPWARD,
                                     FE_TOWARDZERO };
        fesetround(modes[r]);
        printf("x87 round%d %La %La %La\n", r, vl[0] / vl[1], vl[4] / vl[1],
               sqrtl(vl[6]));
    }
    fesetround(FE_TONEAREST);
    feclearexcept(FE_ALL_EXCEPT);
    volatile long double z = a / (b - b);
    printf("x87 inf %La flags %#x\n", z, fetestexcept(FE_ALL_EXCEPT));
}

static void sse(void)
{
    double a = vd[0], b = vd[1], c = vd[2], big = vd[3], m = vd[4];
    double tiny = vd[5], s = vd[6], h = vd[7];
    float fa = (float)a, fb = (float)b;

    printf("sse div %a mul %a\n", a / b, c * b);
    printf("sse sqrt %a\n", sqrt(s));
    printf("sse sin %a cos %a exp %a log %a\n", sin(s), cos(s), exp(h), log(s));
    printf("sse pow %a atan2 %a\n", pow(s, h), atan2(s, m));
    printf("sse big %a tiny %a\n", big * big, tiny / b);
    printf("sse float %a %a\n", (double)(fa / fb), (double)sqrtf(fb));
    printf("sse cvt %ld %d %a\n", (long)(big / 1e290), (int)m, (double)(long)(s / b));
    printf("sse print %.17g %.9g\n", a / b, (double)(fa / fb));
    for (int r = 0; r < 4; r++) {
        static const int modes[] = { FE_TONEAREST, FE_DOWNWARD, FE_UPWARD,
                                     FE_TOWARDZERO };
        fesetround(modes[r]);
        printf("sse round%d %a %a %a\n", r, vd[0] / vd[1], vd[4] / vd[1], sqrt(vd[6]));
    }
    fesetround(FE_TONEAREST);
    feclearexcept(FE_ALL_EXCEPT);
    volatile double z = tiny / big;
    printf("sse underflow %a flags %#x\n", z, fetestexcept(FE_ALL_EXCEPT));
}

int main(void)
{
    x87();
    sse();
    /* glibc's string functions pick SSE2/SSSE3/SSE4 variants from CPUID. */
    char buf[256];
    memset(buf, 'x', sizeof(buf) - 1);
    buf[sizeof(buf) - 1] = 0;
    printf("str len %zu cmp %d chr %td\n", strlen(buf), strcmp(buf, buf + 1),
           strchr(buf, 0) - buf);
    printf("fpmath done\n");
    return 0;
}
