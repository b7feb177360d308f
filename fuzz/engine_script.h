/* The operations the engine harnesses run once a connection is ready, shared
 * with record_client.c so that recorded server replies line up with the
 * harness's requests (same requests in the same order, same message ids).
 *
 * Chained mode: each step starts when the previous one completed (either
 * way); after the last step the connection is closed politely (TREE_DISCONNECT
 * and LOGOFF). Concurrent mode: every step starts at once.
 * Fuzz code only: a header of static functions, included by one file each. */
#ifndef ASMB_FUZZ_ENGINE_SCRIPT_H
#define ASMB_FUZZ_ENGINE_SCRIPT_H
#include <stdint.h>
#include <string.h>

#include "asmb/asmb.h"

#define FZ_MAX_DEFS 32
#define FZ_STORE_LEN 3000 /* small seeds; the fuzzer shrinks MaxRead/WriteSize for more I/Os */

typedef struct fz_script {
    asmb_conn *c;
    const char *share;
    int concurrent;
    int hold;       /* keep a reference on every deferred (released by fz_script_release) */
    int step;       /* next step (chained) */
    int finished;   /* the chain ran out (and asked for the close) */
    asmb_deferred *defs[FZ_MAX_DEFS];
    int ndefs;
    long src_left[3];
    uint64_t sink_bytes;
    /* optional: told how each chained step ended (f NULL = success) */
    void (*log)(int step, const asmb_failure *f);
} fz_script;

enum { FZ_NSTEPS = 19 };
#define FZ_SNAPSHOT 1767323045 /* 2026-01-02 03:04:05 UTC: the test Samba's "snap" share */

static int fz_sink_write(void *arg, const void *data, size_t len)
{
    fz_script *s = arg;
    const volatile uint8_t *p = data; /* read it all: ASan checks the slice */
    uint8_t acc = 0;
    for (size_t i = 0; i < len; i++) acc ^= p[i];
    (void)acc;
    s->sink_bytes += len;
    return 0;
}

static long fz_source_read(long *left, void *buf, size_t len)
{
    size_t n = (size_t)*left < len ? (size_t)*left : len;
    for (size_t i = 0; i < n; i++) ((uint8_t *)buf)[i] = (uint8_t)('a' + (*left - (long)i) % 26);
    *left -= (long)n;
    return (long)n;
}
static long fz_src0(void *arg, void *buf, size_t len) { return fz_source_read(&((fz_script *)arg)->src_left[0], buf, len); }
static long fz_src1(void *arg, void *buf, size_t len) { return fz_source_read(&((fz_script *)arg)->src_left[1], buf, len); }

static void fz_step_ok(asmb_deferred *d, const void *result, void *arg);
static void fz_step_err(asmb_deferred *d, const asmb_failure *f, void *arg);

/* Starts step i; 0 with *d set, or the operation's immediate error. */
static int fz_start_step(fz_script *s, int i, asmb_deferred **d)
{
    asmb_conn *c = s->c;
    const char *sh = s->share;
    *d = NULL;
    switch (i) {
    case 0: return asmb_echo(c, NULL, d);
    case 1: return asmb_tree_connect(c, sh, NULL, d);
    case 2: return asmb_create_directory(c, sh, "fz", NULL, d);
    case 3: {
        s->src_left[0] = FZ_STORE_LEN;
        asmb_source src = {fz_src0, s, -1};
        return asmb_store_file(c, sh, "fz/a.txt", &src, NULL, d);
    }
    case 4: {
        s->src_left[1] = 10;
        asmb_source src = {fz_src1, s, -1};
        return asmb_store_file_from_offset(c, sh, "fz/b.txt", &src, 5, ASMB_STORE_TRUNCATE, NULL, d);
    }
    case 5: {
        asmb_sink sink = {fz_sink_write, s, -1};
        return asmb_retrieve_file(c, sh, "fz/a.txt", &sink, NULL, d);
    }
    case 6: {
        asmb_sink sink = {fz_sink_write, s, -1};
        return asmb_retrieve_file_from_offset(c, sh, "fz/a.txt", &sink, 3, 5, NULL, d);
    }
    case 7: return asmb_get_attributes(c, sh, "fz/a.txt", NULL, d);
    case 8: return asmb_list_path(c, sh, "fz", ASMB_SEARCH_DEFAULT, NULL, NULL, d);
    case 9: return asmb_get_security(c, sh, "fz/a.txt", NULL, d);
    case 10: return asmb_reset_file_attributes(c, sh, "fz/a.txt", NULL, d);
    case 11: return asmb_rename(c, sh, "fz/a.txt", "fz/c.txt", ASMB_RENAME_REPLACE, NULL, d);
    case 12: return asmb_list_path(c, sh, "", ASMB_SEARCH_DEFAULT, "f*", NULL, d);
    case 13: return asmb_delete_files(c, sh, "fz/*", 1, NULL, d);
    case 14: return asmb_delete_directory(c, sh, "fz", NULL, d);
    case 15: return asmb_tree_disconnect(c, sh, NULL, d);
    /* srvsvc over IPC$, FSCTL_SRV_ENUMERATE_SNAPSHOTS, a TWrp open */
    case 16: return asmb_list_shares(c, NULL, d);
    case 17: return asmb_list_snapshots(c, "snap", "f.txt", NULL, d);
    case 18: {
        asmb_sink sink = {fz_sink_write, s, -1};
        asmb_opts o = {0};
        o.snapshot = FZ_SNAPSHOT;
        return asmb_retrieve_file(c, "snap", "f.txt", &sink, &o, d);
    }
    default: return ASMB_EINVAL;
    }
}

static void fz_track(fz_script *s, asmb_deferred *d)
{
    asmb_deferred_then(d, fz_step_ok, fz_step_err, s);
    if (s->hold && s->ndefs < FZ_MAX_DEFS) {
        asmb_deferred_ref(d);
        s->defs[s->ndefs++] = d;
    }
}

/* Chained: start the next step that can start; close after the last. */
static void fz_next(fz_script *s)
{
    while (s->step < FZ_NSTEPS) {
        asmb_deferred *d;
        if (fz_start_step(s, s->step++, &d) == 0) {
            fz_track(s, d);
            return;
        }
    }
    if (!s->finished) {
        s->finished = 1;
        asmb_conn_close(s->c);
    }
}

static void fz_step_ok(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    fz_script *s = arg;
    if (s->log && !s->concurrent) s->log(s->step - 1, NULL);
    if (!s->concurrent) fz_next(s);
}

static void fz_step_err(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)d;
    fz_script *s = arg;
    if (f) { /* the message is always a string */
        volatile size_t n = strlen(f->message);
        (void)n;
    }
    if (s->log && !s->concurrent) s->log(s->step - 1, f);
    if (!s->concurrent) fz_next(s);
}

/* Called from auth_ok. */
static void fz_script_start(fz_script *s)
{
    if (!s->concurrent) {
        fz_next(s);
        return;
    }
    for (int i = 0; i < FZ_NSTEPS; i++) {
        asmb_deferred *d;
        if (fz_start_step(s, i, &d) == 0) fz_track(s, d);
    }
    s->step = FZ_NSTEPS;
}

/* Cancels every held operation that has not completed. */
static void fz_script_cancel(fz_script *s)
{
    for (int i = 0; i < s->ndefs; i++)
        if (asmb_deferred_state(s->defs[i]) == ASMB_DEFERRED_PENDING) {
            int rc = asmb_deferred_cancel(s->defs[i]);
            (void)rc;
        }
}

static void fz_script_release(fz_script *s)
{
    for (int i = 0; i < s->ndefs; i++) asmb_deferred_unref(s->defs[i]);
    s->ndefs = 0;
}

#endif
