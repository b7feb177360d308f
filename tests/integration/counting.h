/* Shared by the memory tests (test_load, test_scale): the library's own live
 * and peak bytes, counted through asmb_set_allocator, and the process's
 * memory from /proc/self/status. Test code only: static functions, one
 * program each. */
#ifndef ASMB_TEST_COUNTING_H
#define ASMB_TEST_COUNTING_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct counted {
    size_t size;
    size_t pad; /* keeps the block 16-byte aligned */
} counted;
static size_t live_bytes, peak_bytes;

static void *c_malloc(size_t n, void *ctx)
{
    (void)ctx;
    counted *h = malloc(sizeof *h + n);
    if (!h) return NULL;
    h->size = n;
    live_bytes += n;
    if (live_bytes > peak_bytes) peak_bytes = live_bytes;
    return h + 1;
}
static void *c_realloc(void *p, size_t n, void *ctx)
{
    (void)ctx;
    counted *h = (counted *)p - 1;
    size_t old = h->size;
    counted *g = realloc(h, sizeof *g + n);
    if (!g) return NULL;
    g->size = n;
    live_bytes = live_bytes - old + n;
    if (live_bytes > peak_bytes) peak_bytes = live_bytes;
    return g + 1;
}
static void c_free(void *p, void *ctx)
{
    (void)ctx;
    counted *h = (counted *)p - 1;
    live_bytes -= h->size;
    free(h);
}
/* The counting allocator, for asmb_set_allocator. */
static const asmb_allocator counting_allocator = {c_malloc, c_realloc, c_free, NULL};

/* kB from a /proc/self/status line ("VmHWM:", "VmRSS:"), or 0. */
static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = 0;
    size_t k = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, k)) v = atol(line + k);
    if (f) fclose(f);
    return v;
}

#endif
