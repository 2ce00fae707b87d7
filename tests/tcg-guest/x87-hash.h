/*
 * x87-hash.h: how x87-expect.c (host) and x87.c (guest) fold the x87 case
 * records into one FNV-1a hash per group of X87_GROUP records.
 */
#ifndef X87_HASH_H
#define X87_HASH_H

#define X87_GROUP 16u

typedef struct X87Hash {
    u32 h;              /* hash of the group being filled */
    u32 group;          /* last completed group's hash */
    u32 records;        /* records so far */
} X87Hash;

static inline void x87_hash_init(X87Hash *x)
{
    x->h = 2166136261u;
    x->group = 0;
    x->records = 0;
}

/* Returns 1 when this record completed a group (its hash is in x->group). */
static inline int x87_hash_add(X87Hash *x, const void *p, unsigned n)
{
    const u8 *b = (const u8 *)p;
    for (unsigned i = 0; i < n; i++) {
        x->h = (x->h ^ b[i]) * 16777619u;
    }
    x->records++;
    if (x->records % X87_GROUP == 0) {
        x->group = x->h;
        x->h = 2166136261u;
        return 1;
    }
    return 0;
}

/* A last, partial group: returns 1 if there was one. */
static inline int x87_hash_flush(X87Hash *x)
{
    if (x->records % X87_GROUP) {
        x->group = x->h;
        return 1;
    }
    return 0;
}

#endif
