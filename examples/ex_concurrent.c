/* ex_concurrent: many operations at once, and canceling one.
 *   500 store_file calls issued together, without any queue of our own (the
 *   library sends within the server's credits and queues the rest in order)
 *   -> count the successes -> start one more store and cancel it
 *   (asmb_deferred_cancel) -> delete_files the lot -> close
 *
 *   ex_concurrent HOST PORT [USER [PASSWORD [SHARE]]]   (SHARE defaults to "share") */
#include "example.h"

#define COUNT 500

typedef struct conc conc;

/* One store: its source must live until its deferred fires. */
typedef struct item {
    conc *s;
    ex_mem body;
} item;

struct conc {
    example ex; /* first: conn, share, exit code */
    item items[COUNT];
    int succeeded, failed;
    uint64_t started_ns;
};

/* The canceled store's source: 1 GiB of zeros that never gets far. */
static long zeros_read(void *arg, void *buf, size_t len)
{
    uint64_t *left = arg;
    if (len > *left) len = (size_t)*left;
    memset(buf, 0, len);
    *left -= len;
    return (long)len;
}
static uint64_t zeros_left = 1ull << 30;

static void on_deleted(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    conc *s = arg;
    printf("delete_files asmb-ex-conc-*: %llu deleted\n",
           (unsigned long long)((const asmb_delete_result *)result)->count);
    asmb_conn_close(s->ex.conn);
}

static void cleanup(conc *s)
{
    asmb_deferred *d = NULL;
    int rc = asmb_delete_files(s->ex.conn, s->ex.share, "asmb-ex-conc-*", 0, NULL, &d);
    if (rc == 0) rc = asmb_deferred_then(d, on_deleted, ex_error, s);
    if (rc != 0) ex_fail(&s->ex, "delete_files", asmb_strerror(rc));
}

/* ---- canceling ---- */

static void on_big_stored(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    ex_fail(arg, "cancel", "the canceled store completed anyway");
}

static void on_big_failed(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    conc *s = arg;
    if (f->code != ASMB_ECANCELED) {
        ex_error(d, f, arg);
        return;
    }
    /* The library sent SMB2 CANCEL if a request was out, and closed what the
     * store had opened; the connection carries on. */
    printf("store of 1 GiB canceled: %s\n", asmb_strerror(f->code));
    cleanup(s);
}

static void cancel_one(conc *s)
{
    asmb_source zeros = {zeros_read, &zeros_left, -1};
    asmb_deferred *d = NULL;
    int rc = asmb_store_file(s->ex.conn, s->ex.share, "asmb-ex-conc-big.bin", &zeros, NULL, &d);
    if (rc == 0) rc = asmb_deferred_then(d, on_big_stored, on_big_failed, s);
    if (rc != 0) {
        ex_fail(&s->ex, "store_file", asmb_strerror(rc));
        return;
    }
    /* Right away here; the same works any time before the deferred fires
     * (from a timer, a user's "stop" button, ...). The errback still runs
     * later, from the loop, never inside this call. */
    rc = asmb_deferred_cancel(d);
    if (rc != 0) ex_fail(&s->ex, "asmb_deferred_cancel", asmb_strerror(rc));
}

/* ---- 500 stores ---- */

static void one_done(conc *s)
{
    if (s->succeeded + s->failed < COUNT) return;
    double ms = (double)(uv_hrtime() - s->started_ns) / 1e6;
    printf("%d stores: %d succeeded, %d failed, in %.0f ms\n", COUNT, s->succeeded, s->failed, ms);
    if (s->failed) {
        ex_fail(&s->ex, "store_file", "some stores failed");
        return;
    }
    cancel_one(s);
}

static void on_stored(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    item *it = arg;
    it->s->succeeded++;
    one_done(it->s);
}

static void on_store_failed(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)d;
    item *it = arg;
    if (it->s->failed++ == 0) fprintf(stderr, "first failure: %s\n", f->message);
    one_done(it->s);
}

static void auth_ok(asmb_conn *c, void *arg)
{
    conc *s = arg;
    s->started_ns = uv_hrtime();
    for (int i = 0; i < COUNT; i++) {
        item *it = &s->items[i];
        char path[64], body[48];
        snprintf(path, sizeof path, "asmb-ex-conc-%03d.txt", i);
        snprintf(body, sizeof body, "file %d of %d\n", i, COUNT);
        it->s = s;
        ex_mem_set(&it->body, body);
        asmb_source src = {ex_mem_read, &it->body, -1};
        asmb_deferred *d = NULL;
        int rc = asmb_store_file(c, s->ex.share, path, &src, NULL, &d);
        if (rc == 0) rc = asmb_deferred_then(d, on_stored, on_store_failed, it);
        if (rc != 0) { /* nothing will fire for this one: count it here */
            fprintf(stderr, "store_file %s: %s\n", path, asmb_strerror(rc));
            s->failed++;
            one_done(s);
        }
    }
}

int main(int argc, char **argv)
{
    static conc s; /* 500 items: static rather than on the stack */
    return ex_run(argc, argv, "share", auth_ok, &s.ex);
}
