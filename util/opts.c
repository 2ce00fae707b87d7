/*
 * opts.c: QEMU's sub-option grammar "[implied,]key=value,key=value".
 * A literal comma inside a value is written ",,".
 */
#include "util/osdep.h"
#include "util/opts.h"

bool parse_bool(const char *s, bool *out)
{
    if (!strcmp(s, "on") || !strcmp(s, "yes") || !strcmp(s, "true")) {
        *out = true;
        return true;
    }
    if (!strcmp(s, "off") || !strcmp(s, "no") || !strcmp(s, "false")) {
        *out = false;
        return true;
    }
    return false;
}

bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!*s || *s == '-' || g_ascii_isspace(*s)) {
        return false;
    }
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end) {
        return false;
    }
    *out = v;
    return true;
}

bool parse_size(const char *s, uint64_t default_unit, uint64_t *out)
{
    char *end;
    if (!*s || *s == '-' || g_ascii_isspace(*s)) {
        return false;
    }
    errno = 0;
    double v = strtod(s, &end);   /* "1.5G" is accepted, like QEMU */
    if (errno || end == s || v < 0) {
        return false;
    }
    /* A plain integer keeps full precision. */
    uint64_t iv = 0;
    bool integral = true;
    for (const char *p = s; p < end; p++) {
        if (!g_ascii_isdigit(*p)) {
            integral = false;
        }
    }
    if (integral) {
        errno = 0;
        iv = strtoull(s, NULL, 10);
        if (errno) {
            return false;
        }
    }
    uint64_t unit = default_unit;
    if (*end) {
        switch (g_ascii_toupper(*end)) {
        case 'B': unit = 1; break;
        case 'K': unit = KiB; break;
        case 'M': unit = MiB; break;
        case 'G': unit = GiB; break;
        case 'T': unit = TiB; break;
        case 'P': unit = TiB * 1024; break;
        case 'E': unit = TiB * 1024 * 1024; break;
        default: return false;
        }
        end++;
        if (!strcmp(end, "iB") || !strcmp(end, "ib") || (unit != 1 && !strcmp(end, "B"))) {
            end += strlen(end);
        }
        if (*end) {
            return false;
        }
    }
    if (integral) {
        if (iv && unit > UINT64_MAX / iv) {
            return false;
        }
        *out = iv * unit;
    } else {
        double r = v * (double)unit;
        if (r >= 18446744073709551616.0) {
            return false;
        }
        *out = (uint64_t)r;
    }
    return true;
}

static void opts_add(Opts *o, GString *key, GString *val)
{
    OptItem it = {
        .key = g_strdup(key->str),
        .value = g_strdup(val->str),
    };
    g_array_append_val(o->items, it);
}

Opts *opts_parse(const char *str, const char *implied_key, Error **errp)
{
    Opts *o = g_new0(Opts, 1);
    o->text = g_strdup(str);
    o->items = g_array_new(false, true, sizeof(OptItem));

    const char *p = str;
    bool first = true;
    while (*p) {
        GString *key = g_string_new(NULL);
        GString *val = g_string_new(NULL);
        bool has_eq = false;
        /* Key: up to '=' or ','. */
        while (*p && *p != '=' && *p != ',') {
            g_string_append_c(key, *p++);
        }
        if (*p == '=') {
            has_eq = true;
            p++;
        }
        /* Value (or the whole bare item): up to a single ','; ",," is a comma. */
        GString *dst = has_eq ? val : key;
        while (*p) {
            if (*p == ',') {
                if (p[1] == ',') {
                    g_string_append_c(dst, ',');
                    p += 2;
                    continue;
                }
                break;
            }
            g_string_append_c(dst, *p++);
        }
        if (*p == ',') {
            p++;
        }
        if (!has_eq) {
            if (first && implied_key) {
                g_string_assign(val, key->str);
                g_string_assign(key, implied_key);
            } else if (!strcmp(key->str, "help")) {
                g_string_assign(val, "on");
            } else if (key->len) {
                error_setg(errp, "%s: expected key=value, got '%s'", str, key->str);
                g_string_free(key, true);
                g_string_free(val, true);
                opts_free(o);
                return NULL;
            }
        }
        if (!key->len) {
            if (has_eq) {
                error_setg(errp, "%s: empty key", str);
                g_string_free(key, true);
                g_string_free(val, true);
                opts_free(o);
                return NULL;
            }
        } else {
            opts_add(o, key, val);
        }
        first = false;
        g_string_free(key, true);
        g_string_free(val, true);
    }
    return o;
}

void opts_free(Opts *o)
{
    if (!o) {
        return;
    }
    for (guint i = 0; i < o->items->len; i++) {
        OptItem *it = &g_array_index(o->items, OptItem, i);
        g_free(it->key);
        g_free(it->value);
    }
    g_array_free(o->items, true);
    g_free(o->text);
    g_free(o);
}

static OptItem *opts_find(Opts *o, const char *key)
{
    OptItem *found = NULL;
    /* The last occurrence wins, like QEMU; all occurrences count as used. */
    for (guint i = 0; i < o->items->len; i++) {
        OptItem *it = &g_array_index(o->items, OptItem, i);
        if (!strcmp(it->key, key)) {
            it->used = true;
            found = it;
        }
    }
    return found;
}

bool opts_has(Opts *o, const char *key)
{
    for (guint i = 0; i < o->items->len; i++) {
        if (!strcmp(g_array_index(o->items, OptItem, i).key, key)) {
            return true;
        }
    }
    return false;
}

const char *opts_get(Opts *o, const char *key)
{
    OptItem *it = opts_find(o, key);
    return it ? it->value : NULL;
}

bool opts_get_bool(Opts *o, const char *key, bool *out, Error **errp)
{
    const char *v = opts_get(o, key);
    if (v && !parse_bool(v, out)) {
        error_setg(errp, "%s: %s=%s: expected on or off", o->text, key, v);
        return false;
    }
    return true;
}

bool opts_get_u64(Opts *o, const char *key, uint64_t *out, Error **errp)
{
    const char *v = opts_get(o, key);
    if (v && !parse_u64(v, out)) {
        error_setg(errp, "%s: %s=%s: expected a number", o->text, key, v);
        return false;
    }
    return true;
}

bool opts_get_size(Opts *o, const char *key, uint64_t *out, Error **errp)
{
    const char *v = opts_get(o, key);
    if (v && !parse_size(v, 1, out)) {
        error_setg(errp, "%s: %s=%s: expected a size", o->text, key, v);
        return false;
    }
    return true;
}

bool opts_check_unused(Opts *o, const char *what, Error **errp)
{
    for (guint i = 0; i < o->items->len; i++) {
        OptItem *it = &g_array_index(o->items, OptItem, i);
        if (!it->used) {
            error_setg(errp, "%s %s: unknown parameter '%s'", what, o->text, it->key);
            return false;
        }
    }
    return true;
}
