/* ex_shares: shares and snapshots ("previous versions").
 *   list_shares -> tree_connect SHARE -> list_snapshots of PATH -> retrieve
 *   PATH as it was in the newest snapshot (asmb_opts.snapshot) and as it is
 *   now, in parallel -> close
 *
 *   ex_shares HOST PORT [USER [PASSWORD [SHARE [PATH]]]]
 * SHARE defaults to "snap" and PATH to "f.txt": the test Samba's shadow_copy2
 * share, whose snapshot holds f.txt "old" while the live f.txt says "new". */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asmb/asmb.h>

typedef struct buffer {
    char data[256];
    size_t len;
} buffer;

typedef struct ex {
    asmb_conn *conn;
    const char *share, *path;
    char snapshot_name[25]; /* "@GMT-YYYY.MM.DD-HH.MM.SS" */
    buffer old, now;        /* the two retrieves' sinks write here */
    int pending;
    int exit_code;
} ex;

static int sink_write(void *arg, const void *data, size_t len)
{
    buffer *b = arg;
    if (b->len + len >= sizeof b->data) return -1; /* too big for this example */
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
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

static void on_retrieved(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    ex *s = arg;
    if (--s->pending > 0) return; /* both retrieves done */
    printf("%s in %s: \"%.*s\"\n", s->path, s->snapshot_name, (int)strcspn(s->old.data, "\n"),
           s->old.data);
    printf("%s now: \"%.*s\"\n", s->path, (int)strcspn(s->now.data, "\n"), s->now.data);
    asmb_conn_close(s->conn);
}

static void on_snapshots(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    ex *s = arg;
    const asmb_snapshot_list *l = result; /* owned by d: copy what we keep */
    printf("list_snapshots %s\\%s: %zu\n", s->share, s->path, l->count);
    for (size_t i = 0; i < l->count; i++)
        printf("  %s  (Unix time %lld)\n", l->tokens[i], (long long)l->times[i]);
    if (l->count == 0) {
        fail(s, s->path, "no snapshot to read");
        return;
    }
    size_t newest = 0; /* the list is in the server's order */
    for (size_t i = 1; i < l->count; i++)
        if (l->times[i] > l->times[newest]) newest = i;
    memcpy(s->snapshot_name, l->tokens[newest], sizeof s->snapshot_name);

    /* The same path twice: opts.snapshot picks the version (read when the
     * call is made, so a local asmb_opts is fine). */
    asmb_opts in_snapshot = {.snapshot = l->times[newest]};
    asmb_sink old = {sink_write, &s->old, -1}, now = {sink_write, &s->now, -1};
    asmb_deferred *d1 = NULL, *d2 = NULL;
    s->pending = 2;
    int rc = asmb_retrieve_file(s->conn, s->share, s->path, &old, &in_snapshot, &d1);
    then(s, rc, d1, on_retrieved);
    rc = asmb_retrieve_file(s->conn, s->share, s->path, &now, NULL, &d2);
    then(s, rc, d2, on_retrieved);
}

static void on_tree(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    ex *s = arg;
    const asmb_tree_info *t = result;
    printf("tree_connect %s: tree id %u, type %u, maximal access 0x%08x\n", s->share,
           t->tree_id, t->share_type, t->maximal_access);
    asmb_deferred *next = NULL;
    int rc = asmb_list_snapshots(s->conn, s->share, s->path, NULL, &next);
    then(s, rc, next, on_snapshots);
}

static void on_shares(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    ex *s = arg;
    const asmb_share_list *l = result;
    static const char *kinds[] = {"disk", "print", "device", "IPC"};
    printf("list_shares: %zu\n", l->count);
    for (size_t i = 0; i < l->count; i++) {
        const asmb_share_info *sh = &l->shares[i];
        printf("  %-10s %-6s %s%s\n", sh->name, sh->kind < 4 ? kinds[sh->kind] : "?",
               sh->comment, sh->is_special ? " (special)" : "");
    }
    /* File operations connect to their share on demand; an explicit
     * tree_connect checks access up front and tells what the share is. */
    asmb_deferred *next = NULL;
    int rc = asmb_tree_connect(s->conn, s->share, NULL, &next);
    then(s, rc, next, on_tree);
}

static void auth_ok(asmb_conn *c, void *arg)
{
    ex *s = arg;
    asmb_deferred *d = NULL;
    int rc = asmb_list_shares(c, NULL, &d);
    then(s, rc, d, on_shares);
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
        fprintf(stderr, "usage: %s HOST PORT [USER [PASSWORD [SHARE [PATH]]]]\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN); /* as in any libuv program */
    ex s = {0};
    s.share = argc > 5 ? argv[5] : "snap";
    s.path = argc > 6 ? argv[6] : "f.txt";

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
