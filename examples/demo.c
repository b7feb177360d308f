/* demo: the seed's flow in C. On auth OK: echo, store a file, list the
 * folder, retrieve the file back and compare, then close.
 *   demo HOST PORT [USER [PASSWORD [SHARE]]]   (no USER: anonymous) */
#include <asmb/asmb.h> /* first: under -std=c11 it asks for the POSIX that <uv.h> needs */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char text[] = "Hello from asmb: stored, listed and retrieved asynchronously.\n";

typedef struct demo {
    asmb_conn *conn;
    const char *share;
    size_t sent;       /* bytes the source handed out */
    char back[256];    /* what came back */
    size_t got;
    int exit_code;
} demo;

static long source(void *arg, void *buf, size_t len)
{
    demo *s = arg;
    size_t n = sizeof text - 1 - s->sent;
    if (n > len) n = len;
    memcpy(buf, text + s->sent, n);
    s->sent += n;
    return (long)n;
}

static int sink(void *arg, const void *data, size_t len)
{
    demo *s = arg;
    if (s->got + len > sizeof s->back) return -1;
    memcpy(s->back + s->got, data, len);
    s->got += len;
    return 0;
}

static void on_error(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)d;
    demo *s = arg;
    fprintf(stderr, "operation failed: %s (%s)\n", f->message, asmb_err_name(f->code));
    s->exit_code = 1;
    asmb_conn_close(s->conn);
}

static void on_retrieved(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    demo *s = arg;
    const asmb_retrieve_result *r = result;
    int same = s->got == sizeof text - 1 && memcmp(s->back, text, s->got) == 0;
    printf("retrieve: %llu bytes back, %s\n", (unsigned long long)r->bytes,
           same ? "identical to what was stored" : "DIFFERENT");
    if (!same) s->exit_code = 1;
    asmb_conn_close(s->conn); /* TREE_DISCONNECT, LOGOFF, then the socket */
}

static void on_listed(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    demo *s = arg;
    const asmb_file_list *l = result;
    printf("list_path: %zu entries in \\\\%s\n", l->count, s->share);
    for (size_t i = 0; i < l->count; i++)
        printf("  %-4s %10llu  %s\n", l->entries[i].is_directory ? "DIR" : "",
               (unsigned long long)l->entries[i].file_size, l->entries[i].filename);
    asmb_sink k = {sink, s, -1};
    asmb_deferred *next;
    if (asmb_retrieve_file(s->conn, s->share, "asmb-demo.txt", &k, NULL, &next) == 0)
        asmb_deferred_then(next, on_retrieved, on_error, s);
}

static void on_stored(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    demo *s = arg;
    printf("store_file: %llu bytes to asmb-demo.txt\n",
           (unsigned long long)((const asmb_store_result *)result)->bytes);
    asmb_deferred *next;
    if (asmb_list_path(s->conn, s->share, "", ASMB_SEARCH_DEFAULT, "*", NULL, &next) == 0)
        asmb_deferred_then(next, on_listed, on_error, s);
}

static void on_echo(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    demo *s = arg;
    printf("echo: ok\n");
    if (!s->share) {
        asmb_conn_close(s->conn);
        return;
    }
    asmb_source src = {source, s, -1};
    asmb_deferred *next;
    if (asmb_store_file(s->conn, s->share, "asmb-demo.txt", &src, NULL, &next) == 0)
        asmb_deferred_then(next, on_stored, on_error, s);
}

static void auth_ok(asmb_conn *c, void *arg)
{
    demo *s = arg;
    asmb_conn_info info;
    asmb_conn_info_get(c, &info);
    printf("authenticated: dialect %s, signing %s%s\n", asmb_dialect_name(info.dialect),
           asmb_signing_name(info.signing_algorithm), info.is_guest ? ", guest session" : "");
    asmb_deferred *d;
    if (asmb_echo(c, NULL, &d) == 0) asmb_deferred_then(d, on_echo, on_error, s);
}

static void auth_failed(asmb_conn *c, const asmb_failure *f, void *arg)
{
    (void)c;
    demo *s = arg;
    fprintf(stderr, "authentication failed: %s\n", f->message);
    s->exit_code = 3;
}

static void disconnected(asmb_conn *c, const asmb_failure *f, void *arg)
{
    (void)c;
    (void)arg;
    printf("disconnected: %s\n", f->message);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s HOST PORT [USER [PASSWORD [SHARE]]]\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN); /* as any libuv program */
    demo s = {0};
    s.share = argc > 5 ? argv[5] : NULL;
    asmb_config cfg;
    asmb_config_init(&cfg);
    cfg.username = argc > 3 ? argv[3] : NULL;
    cfg.password = argc > 4 ? argv[4] : NULL;
    asmb_handlers h = {auth_ok, auth_failed, disconnected};
    uv_loop_t *loop = uv_default_loop();
    s.conn = asmb_conn_new(loop, &cfg, &h, &s);
    if (!s.conn || asmb_conn_connect(s.conn, argv[1], atoi(argv[2])) != 0) {
        fprintf(stderr, "cannot start the connection\n");
        return 4;
    }
    uv_run(loop, UV_RUN_DEFAULT);
    asmb_conn_free(s.conn);
    uv_run(loop, UV_RUN_DEFAULT); /* lets the connection's handles close */
    return uv_loop_close(loop) == 0 ? s.exit_code : 1;
}
