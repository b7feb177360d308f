/* demo: connect, authenticate, echo, print what was negotiated.
 *   demo HOST PORT [USER [PASSWORD [SHARE]]]   (no USER: anonymous) */
#include <stdio.h>
#include <stdlib.h>

#include <asmb/asmb.h>

typedef struct {
    asmb_conn *conn;
    const char *share;
    int exit_code;
} demo;

static void on_tree(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    const asmb_tree_info *ti = result;
    demo *s = arg;
    printf("tree connect: share '%s' id 0x%x type %u\n", s->share, ti->tree_id, ti->share_type);
}

static void on_echo(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    (void)arg;
    printf("echo: ok\n");
}

static void on_error(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)d;
    demo *s = arg;
    fprintf(stderr, "operation failed: %s (%s)\n", f->message, asmb_err_name(f->code));
    s->exit_code = 1;
}

/* Runs after the last operation either way: say goodbye. */
static void close_ok(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    asmb_conn_close(((demo *)arg)->conn);
}
static void close_err(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    close_ok(d, f, arg);
}

static void auth_ok(asmb_conn *c, void *arg)
{
    demo *s = arg;
    asmb_conn_info info;
    asmb_conn_info_get(c, &info);
    static const char *algos[] = {"none", "HMAC-SHA256", "AES-128-CMAC", "AES-128-GMAC"};
    printf("authenticated: dialect %s, signing %s%s\n", asmb_dialect_name(info.dialect),
           algos[info.signing_algorithm], info.is_guest ? ", guest session" : "");
    asmb_deferred *d;
    if (asmb_echo(c, NULL, &d) == 0) asmb_deferred_then(d, on_echo, on_error, s);
    if (s->share && asmb_tree_connect(c, s->share, NULL, &d) == 0)
        asmb_deferred_then(d, on_tree, on_error, s);
    /* Queued after the others: runs once they are answered (FIFO). */
    if (asmb_echo(c, NULL, &d) == 0) asmb_deferred_then(d, close_ok, close_err, s);
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
    demo s = {NULL, argc > 5 ? argv[5] : NULL, 0};
    asmb_config cfg;
    asmb_config_init(&cfg);
    cfg.username = argc > 3 ? argv[3] : NULL;
    cfg.password = argc > 4 ? argv[4] : NULL;
    asmb_handlers h = {auth_ok, auth_failed, disconnected};
    uv_loop_t *loop = uv_default_loop();
    asmb_conn *c = asmb_conn_new(loop, &cfg, &h, &s);
    s.conn = c;
    if (!c || asmb_conn_connect(c, argv[1], atoi(argv[2])) != 0) {
        fprintf(stderr, "cannot start the connection\n");
        return 4;
    }
    uv_run(loop, UV_RUN_DEFAULT);
    asmb_conn_free(c);
    uv_run(loop, UV_RUN_DEFAULT);
    return uv_loop_close(loop) == 0 ? s.exit_code : 1;
}
