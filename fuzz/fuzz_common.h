/* Shared helpers of the asmb fuzz harnesses (fuzz code only).
 *
 * Every harness defines LLVMFuzzerTestOneInput. Built with clang
 * -fsanitize=fuzzer it is a libFuzzer binary; built with replay_main.c it is
 * a plain program that runs files and directories once (regression replay,
 * any compiler). */
#ifndef ASMB_FUZZ_COMMON_H
#define ASMB_FUZZ_COMMON_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asmb/asmb_errno.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* UBSan is built recoverable so that fuzz/known-issues.supp can mute a
 * reported bug while fuzzing goes on (run.sh); every other report halts. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void) { return "halt_on_error=1:print_stacktrace=1"; }

/* An invariant of the library that does not hold: report and abort, so
 * libFuzzer keeps the input as a crash. */
#define FZ_CHECK(cond)                                                                  \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                    \
        }                                                                               \
    } while (0)

/* Reads every byte of a slice a parser handed back, so that ASan sees a slice
 * that reaches outside the input. */
static inline void fz_touch(const void *p, size_t n)
{
    if (!p || !n) return;
    const volatile uint8_t *q = (const volatile uint8_t *)p;
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) acc ^= q[i];
    __asm__ volatile("" : : "r"(acc)); /* keep the reads */
}

/* The slice [p, p+n) must lie in [lo, hi) (hi = end of the input). */
static inline int fz_inside(const void *p, size_t n, const void *lo, const void *hi)
{
    if (!n) return 1;
    const uint8_t *a = (const uint8_t *)p, *b = (const uint8_t *)lo, *e = (const uint8_t *)hi;
    return a && a >= b && a <= e && n <= (size_t)(e - a);
}

/* Checked slice of an SMB2 reply: inside the message and past the header. */
#define FZ_SLICE(msg, len, p, n)                                                      \
    do {                                                                              \
        FZ_CHECK(fz_inside((p), (n), (const uint8_t *)(msg) + ((len) >= 64 ? 64 : (len)), \
                           (const uint8_t *)(msg) + (len)));                          \
        fz_touch((p), (n));                                                           \
    } while (0)

/* A NUL within the first cap bytes of a fixed-size string buffer. */
#define FZ_TERMINATED(s, cap) FZ_CHECK(memchr((s), 0, (cap)) != NULL)

#endif
