/* ex_concurrent: many operations at once, and canceling one.
 *   500 store_file calls issued together, without any queue of our own (the
 *   library sends within the server's credits and queues the rest in order)
 *   -> count the successes -> start one more store and cancel it
 *   (asmb_deferred_cancel) -> delete_files the lot -> close
 *
 *   ex_concurrent HOST PORT [USER [PASSWORD [SHARE]]]   (SHARE defaults to "share") */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asmb/asmb.h>

#define COUNT 500

typedef struct ex ex;

/* One store: its source state must live until its deferred fires. */
typedef struct item {
    ex *s;
    char body[48];
    size_t len, pos;
} item;

struct ex {
    asmb_conn *conn;
    const char *share;
    item items[COUNT];
    int succeeded, failed;
    uint64_t started_ns;
    int exit_code;
};

static long item_read(void *arg, void *buf, size_t len)
{
    item *it = arg;
    size_t n = it->len - it->pos;
    if (n > len) n = len;
    memcpy(buf, it->body + it->pos, n);
    it->pos += n;
    return (long)n;
}

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

static void fail(ex *s, const char *what, const char *message)
{
    fprintf(stderr, "%s: %s\n", what, message);
    s->exit_code = 1;
    asmb_conn_close(s->conn);
}

static void on_error(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)d;
    fail(arg, asmb_err_name(f->code), f->message);
}

static void on_deleted(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    ex *s = arg;
    printf("delete_files asmb-ex-conc-*: %llu deleted\n",
           (unsigned long long)*(const uint64_t *)result);
    asmb_conn_close(s->conn);
}

static void cleanup(ex *s)
{
    asmb_deferred *d = NULL;
    int rc = asmb_delete_files(s->conn, s->share, "asmb-ex-conc-*", 0, NULL, &d);
    if (rc == 0) rc = asmb_deferred_then(d, on_deleted, on_error, s);
    if (rc != 0) fail(s, "delete_files", asmb_strerror(rc));
}

/* ---- canceling ---- */

static void on_big_stored(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    fail(arg, "cancel", "the canceled store completed anyway");
}

static void on_big_failed(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)d;
    ex *s = arg;
    if (f->code != ASMB_ECANCELED) {
        fail(s, asmb_err_name(f->code), f->message);
        return;
    }
    /* The library sent SMB2 CANCEL if a request was out, and closed what the
     * store had opened; the connection carries on. */
    printf("store of 1 GiB canceled: %s\n", asmb_strerror(f->code));
    cleanup(s);
}

static void cancel_one(ex *s)
{
    asmb_source zeros = {zeros_read, &zeros_left, -1};
    asmb_deferred *d = NULL;
    int rc = asmb_store_file(s->conn, s->share, "asmb-ex-conc-big.bin", &zeros, NULL, &d);
    if (rc == 0) rc = asmb_deferred_then(d, on_big_stored, on_big_failed, s);
    if (rc != 0) {
        fail(s, "store_file", asmb_strerror(rc));
        return;
    }
    /* Right away here; the same works any time before the deferred fires
     * (from a timer, a user's "stop" button, ...). The errback still runs
     * later, from the loop, never inside this call. */
    rc = asmb_deferred_cancel(d);
    if (rc != 0) fail(s, "asmb_deferred_cancel", asmb_strerror(rc));
}

/* ---- 500 stores ---- */

static void one_done(ex *s)
{
    if (s->succeeded + s->failed < COUNT) return;
    double ms = (double)(uv_hrtime() - s->started_ns) / 1e6;
    printf("%d stores: %d succeeded, %d failed, in %.0f ms\n", COUNT, s->succeeded, s->failed, ms);
    if (s->failed) {
        fail(s, "store_file", "some stores failed");
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
    ex *s = arg;
    s->started_ns = uv_hrtime();
    for (int i = 0; i < COUNT; i++) {
        item *it = &s->items[i];
        char path[64];
        snprintf(path, sizeof path, "asmb-ex-conc-%03d.txt", i);
        it->s = s;
        it->len = (size_t)snprintf(it->body, sizeof it->body, "file %d of %d\n", i, COUNT);
        asmb_source src = {item_read, it, -1};
        asmb_deferred *d = NULL;
        int rc = asmb_store_file(c, s->share, path, &src, NULL, &d);
        if (rc == 0) rc = asmb_deferred_then(d, on_stored, on_store_failed, it);
        if (rc != 0) { /* nothing will fire for this one: count it here */
            fprintf(stderr, "store_file %s: %s\n", path, asmb_strerror(rc));
            s->failed++;
            one_done(s);
        }
    }
}

static void auth_failed(asmb_conn *c, const asmb_failure *f, void *arg)
{
    (void)c;
    ex *s = arg;
    fprintf(stderr, "authentication failed: %s\n", f->message);
    s->exit_code = 3; /* the connection ends by itself: disconnected follows */
}

static void disconnected(asmb_conn *c, const asmb_failure *f, void *arg)
{
    (void)c;
    ex *s = arg;
    if (f->code != ASMB_ECLOSED) { /* not our asmb_conn_close: lost */
        fprintf(stderr, "connection lost: %s\n", f->message);
        if (!s->exit_code) s->exit_code = 4;
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s HOST PORT [USER [PASSWORD [SHARE]]]\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN); /* as in any libuv program */
    ex s = {0};
    s.share = argc > 5 ? argv[5] : "share";

    asmb_config cfg;
    asmb_config_init(&cfg);
    cfg.username = argc > 3 ? argv[3] : NULL; /* NULL: anonymous */
    cfg.password = argc > 4 ? argv[4] : NULL;
    asmb_handlers h = {auth_ok, auth_failed, disconnected};

    uv_loop_t *loop = uv_default_loop();
    s.conn = asmb_conn_new(loop, &cfg, &h, &s);
    if (!s.conn || asmb_conn_connect(s.conn, argv[1], atoi(argv[2])) != 0) {
        fprintf(stderr, "cannot start the connection\n");
        s.exit_code = 4;
    } else {
        uv_run(loop, UV_RUN_DEFAULT); /* returns once the connection has ended */
    }
    asmb_conn_free(s.conn); /* NULL is fine */
    uv_run(loop, UV_RUN_DEFAULT); /* lets the connection's handles close */
    return uv_loop_close(loop) == 0 ? s.exit_code : 1;
}
