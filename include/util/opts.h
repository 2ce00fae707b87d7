/*
 * opts.h: QEMU's "key=value,key=value" sub-option grammar.
 *   -device isa-debug-exit,iobase=0xf4   (first item without '=' is the implied key)
 *   ",," inside a value stands for a literal comma.
 * Every option consumer asks for the keys it knows, then calls opts_check_unused()
 * so a misspelt key is an error rather than silently ignored.
 */
#ifndef UTIL_OPTS_H
#define UTIL_OPTS_H

#include "util/osdep.h"
#include "util/error.h"

typedef struct OptItem {
    char *key;
    char *value;
    bool used;
} OptItem;

typedef struct Opts {
    char *text;       /* the string as given, for messages */
    GArray *items;    /* OptItem, in order */
} Opts;

/* implied_key: the key of a leading bare item (e.g. "driver"), or NULL. */
Opts *opts_parse(const char *str, const char *implied_key, Error **errp);
void opts_free(Opts *o);

bool opts_has(Opts *o, const char *key);
const char *opts_get(Opts *o, const char *key);       /* NULL if absent; marks used */
/* Each returns true with *out untouched when the key is absent. */
bool opts_get_bool(Opts *o, const char *key, bool *out, Error **errp);
bool opts_get_u64(Opts *o, const char *key, uint64_t *out, Error **errp);
bool opts_get_size(Opts *o, const char *key, uint64_t *out, Error **errp);
/* Error naming the first key nobody asked for. */
bool opts_check_unused(Opts *o, const char *what, Error **errp);

/* Plain value parsers shared with the CLI. */
bool parse_bool(const char *s, bool *out);
bool parse_u64(const char *s, uint64_t *out);             /* 0x, 0 and decimal */
/* Sizes: a plain number is in units of default_unit; K/M/G/T suffixes (and KiB...). */
bool parse_size(const char *s, uint64_t default_unit, uint64_t *out);

#endif
