/*
 * test-opts.c: the sub-option grammar and the value parsers.
 */
#include "util/osdep.h"
#include "util/opts.h"

static void test_implied_and_pairs(void)
{
    Error *err = NULL;
    Opts *o = opts_parse("isa-debug-exit,iobase=0xf4,iosize=0x04", "driver", &err);
    g_assert_nonnull(o);
    g_assert_cmpstr(opts_get(o, "driver"), ==, "isa-debug-exit");
    uint64_t v = 0;
    g_assert_true(opts_get_u64(o, "iobase", &v, &err));
    g_assert_cmphex(v, ==, 0xf4);
    g_assert_true(opts_get_u64(o, "iosize", &v, &err));
    g_assert_cmphex(v, ==, 4);
    g_assert_true(opts_check_unused(o, "-device", &err));
    opts_free(o);
}

static void test_comma_escape(void)
{
    Opts *o = opts_parse("file,path=/tmp/a,,b,id=x", "backend", NULL);
    g_assert_nonnull(o);
    g_assert_cmpstr(opts_get(o, "path"), ==, "/tmp/a,b");
    g_assert_cmpstr(opts_get(o, "id"), ==, "x");
    opts_free(o);
}

static void test_unused_key_is_error(void)
{
    Error *err = NULL;
    Opts *o = opts_parse("pc,kernel-irqchip=on,bogus=1", "type", &err);
    g_assert_nonnull(o);
    opts_get(o, "type");
    bool b = false;
    g_assert_true(opts_get_bool(o, "kernel-irqchip", &b, &err));
    g_assert_true(b);
    g_assert_false(opts_check_unused(o, "-machine", &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->msg, "bogus"));
    error_free(err);
    opts_free(o);
}

static void test_bad_bool(void)
{
    Error *err = NULL;
    Opts *o = opts_parse("pc,kernel-irqchip=maybe", "type", &err);
    bool b;
    g_assert_false(opts_get_bool(o, "kernel-irqchip", &b, &err));
    g_assert_nonnull(err);
    error_free(err);
    opts_free(o);
}

static void test_bare_key_without_implied(void)
{
    Error *err = NULL;
    Opts *o = opts_parse("a=1,b", NULL, &err);
    g_assert_null(o);
    g_assert_nonnull(err);
    error_free(err);
    o = opts_parse("foo,help", "driver", &err);
    g_assert_nonnull(o);
    g_assert_true(opts_has(o, "help"));
    opts_free(o);
}

static void test_sizes(void)
{
    uint64_t v;
    g_assert_true(parse_size("512", MiB, &v));
    g_assert_cmpuint(v, ==, 512 * MiB);
    g_assert_true(parse_size("2G", MiB, &v));
    g_assert_cmpuint(v, ==, 2 * GiB);
    g_assert_true(parse_size("1.5G", MiB, &v));
    g_assert_cmpuint(v, ==, 3 * GiB / 2);
    g_assert_true(parse_size("64k", MiB, &v));
    g_assert_cmpuint(v, ==, 64 * KiB);
    g_assert_true(parse_size("4MiB", 1, &v));
    g_assert_cmpuint(v, ==, 4 * MiB);
    g_assert_true(parse_size("99T", MiB, &v));
    g_assert_cmpuint(v, ==, 99 * TiB);
    g_assert_false(parse_size("", MiB, &v));
    g_assert_false(parse_size("-1", MiB, &v));
    g_assert_false(parse_size("12X", MiB, &v));
    g_assert_false(parse_size("1G2", MiB, &v));
    g_assert_false(parse_size("99999999999999999999", MiB, &v));
    g_assert_false(parse_size("20000000E", MiB, &v));
}

static void test_numbers(void)
{
    uint64_t v;
    g_assert_true(parse_u64("0x3f8", &v));
    g_assert_cmphex(v, ==, 0x3f8);
    g_assert_true(parse_u64("42", &v));
    g_assert_cmpuint(v, ==, 42);
    g_assert_false(parse_u64("4x", &v));
    g_assert_false(parse_u64("-4", &v));
    g_assert_false(parse_u64("", &v));
    bool b;
    g_assert_true(parse_bool("on", &b) && b);
    g_assert_true(parse_bool("off", &b) && !b);
    g_assert_false(parse_bool("1", &b));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/opts/implied-and-pairs", test_implied_and_pairs);
    g_test_add_func("/opts/comma-escape", test_comma_escape);
    g_test_add_func("/opts/unused-key", test_unused_key_is_error);
    g_test_add_func("/opts/bad-bool", test_bad_bool);
    g_test_add_func("/opts/bare-key", test_bare_key_without_implied);
    g_test_add_func("/opts/sizes", test_sizes);
    g_test_add_func("/opts/numbers", test_numbers);
    return g_test_run();
}
