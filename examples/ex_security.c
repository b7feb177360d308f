/* ex_security: an encrypted, signed session and a file's security descriptor.
 *   connect with encryption required -> print what was negotiated
 *   (asmb_conn_info) -> store a file -> get_security: owner, group, ACEs
 *   -> delete it -> close
 *
 *   ex_security HOST PORT [USER [PASSWORD [SHARE]]]   (SHARE defaults to "enc",
 *   the test Samba's share with "smb encrypt = required") */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asmb/asmb.h>

static const char text[] = "secret\n";

typedef struct ex {
    asmb_conn *conn;
    const char *share;
    size_t sent;
    int exit_code;
} ex;

static long source_read(void *arg, void *buf, size_t len)
{
    ex *s = arg;
    size_t n = sizeof text - 1 - s->sent;
    if (n > len) n = len;
    memcpy(buf, text + s->sent, n);
    s->sent += n;
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

static void on_deleted(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    ex *s = arg;
    asmb_conn_close(s->conn);
}

static void on_security(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    ex *s = arg;
    const asmb_security *sec = result; /* owned by d: valid during this call */
    printf("get_security asmb-ex-security.txt:\n  owner %s\n  group %s\n",
           sec->owner[0] ? sec->owner : "(none)", sec->group[0] ? sec->group : "(none)");
    if (!sec->has_dacl) printf("  no DACL: everyone has full access\n");
    for (size_t i = 0; i < sec->nace; i++) {
        const asmb_ace *a = &sec->aces[i];
        const char *type = a->type == 0 ? "allow" : a->type == 1 ? "deny" : "other";
        printf("  ACE %-5s %-45s mask 0x%08x flags 0x%02x\n", type, a->sid, a->mask, a->flags);
    }
    asmb_deferred *next = NULL;
    int rc = asmb_delete_files(s->conn, s->share, "asmb-ex-security.txt", 0, NULL, &next);
    then(s, rc, next, on_deleted);
}

static void on_stored(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    ex *s = arg;
    asmb_deferred *next = NULL;
    int rc = asmb_get_security(s->conn, s->share, "asmb-ex-security.txt", NULL, &next);
    then(s, rc, next, on_security);
}

static void auth_ok(asmb_conn *c, void *arg)
{
    ex *s = arg;
    asmb_conn_info info;
    asmb_conn_info_get(c, &info);
    static const char *algos[] = {"none", "HMAC-SHA256", "AES-128-CMAC", "AES-128-GMAC"};
    static const char *ciphers[] = {"none", "AES-128-CCM", "AES-128-GCM", "AES-256-CCM",
                                    "AES-256-GCM"};
    printf("authenticated: dialect %s, signing %s (%s), encryption %s\n",
           asmb_dialect_name(info.dialect), info.signing ? "on" : "off",
           algos[info.signing_algorithm], ciphers[info.cipher]);
    asmb_source src = {source_read, s, -1};
    asmb_deferred *d = NULL;
    int rc = asmb_store_file(c, s->share, "asmb-ex-security.txt", &src, NULL, &d);
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
    s.share = argc > 5 ? argv[5] : "enc";

    asmb_config cfg;
    asmb_config_init(&cfg);
    cfg.username = argc > 3 ? argv[3] : NULL; /* NULL: anonymous */
    cfg.password = argc > 4 ? argv[4] : NULL;
    /* Encrypt the whole session, or fail authentication (auth_failed) when
     * the server can't; sign every message too. asmb offers SMB 3.1.1's
     * signing algorithms with AES-128-GMAC first (the fastest) and the server
     * picks; AES-GCM ciphers are preferred to CCM the same way (ciphers[]
     * could reorder them). Anything below SMB 3 can't encrypt. */
    cfg.encryption = ASMB_REQUIRED;
    cfg.signing = ASMB_REQUIRED;
    cfg.min_dialect = ASMB_SMB3_00;
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
