/* Minimal test helpers: CHECK records a failure and goes on; each test
 * program ends with TEST_DONE(), which prints "N passed, N failed" and
 * returns non-zero when anything failed. */
#ifndef ASMB_TEST_H
#define ASMB_TEST_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_pass, t_fail;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            t_pass++;                                                                \
        } else {                                                                     \
            t_fail++;                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                  \
    do {                                                                                    \
        long long a_ = (long long)(a), b_ = (long long)(b);                                 \
        if (a_ == b_) {                                                                     \
            t_pass++;                                                                       \
        } else {                                                                            \
            t_fail++;                                                                       \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, \
                    #a, #b, a_, b_);                                                        \
        }                                                                                   \
    } while (0)

#define CHECK_MEM(a, b, n)                                                            \
    do {                                                                              \
        if (memcmp((a), (b), (n)) == 0) {                                             \
            t_pass++;                                                                 \
        } else {                                                                      \
            t_fail++;                                                                 \
            fprintf(stderr, "%s:%d: memory differs: %s vs %s\n", __FILE__, __LINE__, \
                    #a, #b);                                                          \
        }                                                                             \
    } while (0)

#define TEST_DONE()                                          \
    do {                                                     \
        printf("%d passed, %d failed\n", t_pass, t_fail);    \
        return t_fail ? 1 : 0;                               \
    } while (0)

/* Decodes a hex string into a malloc'd buffer; *len gets its length. */
static inline unsigned char *t_unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex) / 2;
    unsigned char *b = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        b[i] = (unsigned char)v;
    }
    if (len) *len = n;
    return b;
}

/* t_unhex whose buffers t_free_all releases (for tables of vectors). */
static void *t_allocs[512];
static int t_nallocs;
static inline unsigned char *t_hex(const char *hex, size_t *len)
{
    unsigned char *b = t_unhex(hex, len);
    if (t_nallocs < (int)(sizeof t_allocs / sizeof t_allocs[0])) t_allocs[t_nallocs++] = b;
    return b;
}
static inline void t_free_all(void)
{
    while (t_nallocs) free(t_allocs[--t_nallocs]);
}
#endif
