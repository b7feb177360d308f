/* ex_files: the file operations, chained one after the other.
 *   store a file from memory -> get_attributes -> retrieve it into a buffer
 *   -> rename it -> delete_files with a wildcard -> close
 *
 *   ex_files HOST PORT [USER [PASSWORD [SHARE]]]   (SHARE defaults to "share")
 *
 * Each step starts the next one from its callback; any failure goes to one
 * errback that closes the connection. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asmb/asmb.h>

static const char text[] = "Stored from memory by ex_files, then read back.\n";

typedef struct ex {
    asmb_conn *conn;
    const char *share;
    size_t sent;    /* source position */
    char back[128]; /* sink buffer */
    size_t got;
    int exit_code;
} ex;

/* ---- the source and the sink: plain callbacks over memory ---- */

static long source_read(void *arg, void *buf, size_t len)
{
    ex *s = arg;
    size_t n = sizeof text - 1 - s->sent;
    if (n > len) n = len;
    memcpy(buf, text + s->sent, n);
    s->sent += n;
    return (long)n; /* 0 = end of file */
}

static int sink_write(void *arg, const void *data, size_t len)
{
    ex *s = arg;
    if (s->got + len > sizeof s->back) return -1; /* aborts: ASMB_ELOCAL */
    memcpy(s->back + s->got, data, len);
    s->got += len;
    return 0;
}

/* ---- plumbing shared by every step ---- */

static void fail(ex *s, const char *what, const char *message)
{
    fprintf(stderr, "%s: %s\n", what, message);
    s->exit_code = 1;
    asmb_conn_close(s->conn); /* pending operations fail, disconnected fires */
}

static void on_error(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)d;
    fail(arg, asmb_err_name(f->code), f->message); /* e.g. "STATUS_ACCESS_DENIED: ..." */
}

/* Attaches cb and the common errback to the deferred an operation returned.
 * An operation either returns 0 and a deferred, or fails at once (then no
 * deferred exists and nothing will fire: we must close ourselves). */
static void then(ex *s, int rc, asmb_deferred *d, asmb_callback cb)
{
    if (rc == 0) rc = asmb_deferred_then(d, cb, on_error, s);
    if (rc != 0) fail(s, "cannot start the operation", asmb_strerror(rc));
}

/* ---- the steps, in order ---- */

static void on_deleted(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    ex *s = arg;
    printf("delete_files: %llu deleted\n", (unsigned long long)*(const uint64_t *)result);
    asmb_conn_close(s->conn); /* TREE_DISCONNECT, LOGOFF, then the socket */
}

static void on_renamed(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    ex *s = arg;
    printf("rename: asmb-ex-files.txt -> asmb-ex-files-renamed.txt\n");
    asmb_deferred *next = NULL;
    int rc = asmb_delete_files(s->conn, s->share, "asmb-ex-files*.txt", 0, NULL, &next);
    then(s, rc, next, on_deleted);
}

static void on_retrieved(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    ex *s = arg;
    const asmb_retrieve_result *r = result; /* owned by d: valid during this call */
    if (r->bytes != sizeof text - 1 || memcmp(s->back, text, s->got) != 0) {
        fail(s, "retrieve", "the bytes read back differ from the ones stored");
        return;
    }
    printf("retrieve_file: %llu bytes, identical\n", (unsigned long long)r->bytes);
    asmb_deferred *next = NULL;
    int rc = asmb_rename(s->conn, s->share, "asmb-ex-files.txt", "asmb-ex-files-renamed.txt",
                         ASMB_RENAME_REPLACE, NULL, &next);
    then(s, rc, next, on_renamed);
}

static void on_attributes(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    ex *s = arg;
    const asmb_file_info *fi = result;
    printf("get_attributes: %s, %llu bytes, attributes 0x%x, modified at %.0f (Unix time)\n",
           fi->filename, (unsigned long long)fi->file_size, fi->file_attributes,
           asmb_filetime_to_unix(fi->last_write_time));
    /* The sink (and s, its arg) must stay valid until the deferred fires:
     * s lives in main's frame, so it does. */
    asmb_sink sink = {sink_write, s, -1};
    asmb_deferred *next = NULL;
    int rc = asmb_retrieve_file(s->conn, s->share, "asmb-ex-files.txt", &sink, NULL, &next);
    then(s, rc, next, on_retrieved);
}

static void on_stored(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    ex *s = arg;
    printf("store_file: %llu bytes\n",
           (unsigned long long)((const asmb_store_result *)result)->bytes);
    asmb_deferred *next = NULL;
    int rc = asmb_get_attributes(s->conn, s->share, "asmb-ex-files.txt", NULL, &next);
    then(s, rc, next, on_attributes);
}

/* ---- connection handlers ---- */

static void auth_ok(asmb_conn *c, void *arg)
{
    ex *s = arg;
    asmb_source src = {source_read, s, -1}; /* copied by the call; s must outlive it */
    asmb_deferred *d = NULL;
    int rc = asmb_store_file(c, s->share, "asmb-ex-files.txt", &src, NULL, &d);
    then(s, rc, d, on_stored);
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
