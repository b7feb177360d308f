/* One place for allocation, so an allocator hook can come in later. */
#ifndef ASMB_MEM_H
#define ASMB_MEM_H
#include <stdlib.h>
#include <string.h>

static inline void *asmb__malloc(size_t n) { return malloc(n ? n : 1); }
static inline void *asmb__calloc(size_t a, size_t b) { return calloc(a ? a : 1, b ? b : 1); }
static inline void *asmb__realloc(void *p, size_t n) { return realloc(p, n ? n : 1); }
static inline void asmb__free(void *p) { free(p); }
char *asmb__strdup(const char *s); /* NULL -> NULL */

#define ASMB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#endif
