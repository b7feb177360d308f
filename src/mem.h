/* One place for allocation: every block of the library comes from here, and
 * goes through the allocator set with asmb_set_allocator (src/mem.c). */
#ifndef ASMB_MEM_H
#define ASMB_MEM_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asmb/asmb.h"

/* The process-wide allocator (with the shared OpenSSL context of
 * src/crypto/crypto.c, the only process-wide state of the library):
 * written by asmb_set_allocator before any connection exists, read here. */
extern asmb_allocator asmb__allocator;

/* Sizes of 0 become 1 so that NULL always means "out of memory". */
static inline void *asmb__malloc(size_t n)
{
    return asmb__allocator.malloc(n ? n : 1, asmb__allocator.ctx);
}
static inline void *asmb__calloc(size_t a, size_t b)
{
    if (!a) a = 1;
    if (!b) b = 1;
    if (a > SIZE_MAX / b) return NULL;
    void *p = asmb__allocator.malloc(a * b, asmb__allocator.ctx);
    if (p) memset(p, 0, a * b);
    return p;
}
/* The hook's realloc never sees NULL (that is a malloc) nor a size of 0. */
static inline void *asmb__realloc(void *p, size_t n)
{
    if (!p) return asmb__malloc(n);
    return asmb__allocator.realloc(p, n ? n : 1, asmb__allocator.ctx);
}
/* The hook's free never sees NULL. */
static inline void asmb__free(void *p)
{
    if (p) asmb__allocator.free(p, asmb__allocator.ctx);
}
char *asmb__strdup(const char *s); /* NULL -> NULL */

#define ASMB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#endif
