/* The allocator hook (asmb_set_allocator): the C library's functions until
 * the application installs its own. */
#include "mem.h"

#include "asmb/asmb_errno.h"

static void *std_malloc(size_t n, void *ctx)
{
    (void)ctx;
    return malloc(n);
}
static void *std_realloc(void *p, size_t n, void *ctx)
{
    (void)ctx;
    return realloc(p, n);
}
static void std_free(void *p, void *ctx)
{
    (void)ctx;
    free(p);
}

/* Not static only because src/mem.h's inline functions read it; hidden like
 * every symbol that is not ASMB_API. */
asmb_allocator asmb__allocator = {std_malloc, std_realloc, std_free, NULL};

ASMB_API int asmb_set_allocator(const asmb_allocator *a)
{
    if (!a) {
        asmb__allocator = (asmb_allocator){std_malloc, std_realloc, std_free, NULL};
        return 0;
    }
    if (!a->malloc || !a->realloc || !a->free) return ASMB_EINVAL;
    asmb__allocator = *a;
    return 0;
}
