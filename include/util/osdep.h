/*
 * osdep.h: the first include of every bt86 source file.
 * Standard headers, GLib, and a few small helpers used everywhere.
 */
#ifndef UTIL_OSDEP_H
#define UTIL_OSDEP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <errno.h>
#include <glib.h>

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) \
    ((type *)((char *)(ptr) - offsetof(type, member)))

#define KiB ((uint64_t)1 << 10)
#define MiB ((uint64_t)1 << 20)
#define GiB ((uint64_t)1 << 30)
#define TiB ((uint64_t)1 << 40)

#define BT86_VERSION "0.1.0"

static inline uint64_t extract64(uint64_t v, int start, int len)
{
    return (v >> start) & (~0ULL >> (64 - len));
}

static inline uint64_t deposit64(uint64_t v, int start, int len, uint64_t field)
{
    uint64_t mask = (~0ULL >> (64 - len)) << start;
    return (v & ~mask) | ((field << start) & mask);
}

/* Little-endian accessors for byte buffers (guest structures, boot headers). */
static inline uint16_t ldw_le(const void *p)
{
    const uint8_t *b = p;
    return b[0] | (b[1] << 8);
}

static inline uint32_t ldl_le(const void *p)
{
    const uint8_t *b = p;
    return b[0] | (b[1] << 8) | (b[2] << 16) | ((uint32_t)b[3] << 24);
}

static inline uint64_t ldq_le(const void *p)
{
    return ldl_le(p) | ((uint64_t)ldl_le((const uint8_t *)p + 4) << 32);
}

static inline void stw_le(void *p, uint16_t v)
{
    uint8_t *b = p;
    b[0] = v;
    b[1] = v >> 8;
}

static inline void stl_le(void *p, uint32_t v)
{
    uint8_t *b = p;
    b[0] = v;
    b[1] = v >> 8;
    b[2] = v >> 16;
    b[3] = v >> 24;
}

static inline void stq_le(void *p, uint64_t v)
{
    stl_le(p, (uint32_t)v);
    stl_le((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

#endif
