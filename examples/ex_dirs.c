/* ex_dirs: directories.
 *   create_directory asmb-ex-dirs -> in parallel: store a.txt and b.log,
 *   create sub/ -> list_path "*.txt" (default search flags) -> list_path
 *   with the directory flag only -> delete_files on everything in it (folders
 *   too) -> delete_directory asmb-ex-dirs -> close
 *
 *   ex_dirs HOST PORT [USER [PASSWORD [SHARE]]]   (SHARE defaults to "share") */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asmb/asmb.h>

#define DIR_NAME "asmb-ex-dirs"

typedef struct mem_source {
    const char *data;
    size_t pos;
} mem_source;

typedef struct ex {
    asmb_conn *conn;
    const char *share;
    mem_source txt, log; /* must live until their stores complete */
    int pending;         /* operations of the parallel step still running */
    int exit_code;
} ex;

static long source_read(void *arg, void *buf, size_t len)
{
    mem_source *m = arg;
    size_t n = strlen(m->data + m->pos);
    if (n > len) n = len;
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    return (long)n;
}

static void fail(ex *s, const char *what, const char *message)
{
    fprintf(stderr, "%s: %s\n", what, message);
    s->exit_code = 1;
    asmb_conn_close(s->conn); /* pending operations fail, disconnected fires */
}

static void on_error(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)d;
    fail(arg, asmb_err_name(f->code), f->message);
}

/* Attaches cb and the common errback, or handles an immediate failure (then
 * no deferred exists and nothing will fire). */
static void then(ex *s, int rc, asmb_deferred *d, asmb_callback cb)
{
    if (rc == 0) rc = asmb_deferred_then(d, cb, on_error, s);
    if (rc != 0) fail(s, "cannot start the operation", asmb_strerror(rc));
}

static void print_list(const char *title, const asmb_file_list *l)
{
    printf("%s: %zu entries\n", title, l->count);
    for (size_t i = 0; i < l->count; i++)
        printf("  %-4s %6llu  %s\n", l->entries[i].is_directory ? "DIR" : "",
               (unsigned long long)l->entries[i].file_size, l->entries[i].filename);
}

static void on_removed(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    ex *s = arg;
    printf("delete_directory: " DIR_NAME " removed\n");
    asmb_conn_close(s->conn);
}

static void on_emptied(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    ex *s = arg;
    printf("delete_files " DIR_NAME "/*: %llu deleted (sub/ included)\n",
           (unsigned long long)*(const uint64_t *)result);
    /* delete_directory only removes an empty directory. */
    asmb_deferred *next = NULL;
    int rc = asmb_delete_directory(s->conn, s->share, DIR_NAME, NULL, &next);
    then(s, rc, next, on_removed);
}

static void on_listed_dirs(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    ex *s = arg;
    print_list("list_path " DIR_NAME " (directories only)", result);
    /* delete_matching_folders = 1: matching folders are emptied and removed. */
    asmb_deferred *next = NULL;
    int rc = asmb_delete_files(s->conn, s->share, DIR_NAME "/*", 1, NULL, &next);
    then(s, rc, next, on_emptied);
}

static void on_listed_txt(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    ex *s = arg;
    print_list("list_path " DIR_NAME "/*.txt", result); /* result: owned by d */
    /* Search flags filter on attributes (pysmb's semantics): with only
     * ASMB_ATTR_DIRECTORY, plain files are left out; "." and ".." stay. */
    asmb_deferred *next = NULL;
    int rc = asmb_list_path(s->conn, s->share, DIR_NAME, ASMB_ATTR_DIRECTORY, "*", NULL, &next);
    then(s, rc, next, on_listed_dirs);
}

static void on_populated(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    ex *s = arg;
    if (--s->pending > 0) return; /* wait for the other two */
    printf("stored a.txt and b.log, created sub/\n");
    asmb_deferred *next = NULL;
    int rc = asmb_list_path(s->conn, s->share, DIR_NAME, ASMB_SEARCH_DEFAULT, "*.txt", NULL,
                            &next);
    then(s, rc, next, on_listed_txt);
}

static void on_created(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    ex *s = arg;
    printf("create_directory: " DIR_NAME "\n");
    /* Three independent operations at once; on_populated counts them in. */
    asmb_source txt = {source_read, &s->txt, -1}, log = {source_read, &s->log, -1};
    asmb_deferred *d1 = NULL, *d2 = NULL, *d3 = NULL;
    s->pending = 3;
    int rc = asmb_store_file(s->conn, s->share, DIR_NAME "/a.txt", &txt, NULL, &d1);
    then(s, rc, d1, on_populated);
    rc = asmb_store_file(s->conn, s->share, DIR_NAME "/b.log", &log, NULL, &d2);
    then(s, rc, d2, on_populated);
    rc = asmb_create_directory(s->conn, s->share, DIR_NAME "/sub", NULL, &d3);
    then(s, rc, d3, on_populated);
}

static void auth_ok(asmb_conn *c, void *arg)
{
    ex *s = arg;
    asmb_deferred *d = NULL;
    int rc = asmb_create_directory(c, s->share, DIR_NAME, NULL, &d);
    then(s, rc, d, on_created);
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
    s.txt.data = "a text file\n";
    s.log.data = "a log file\n";

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
