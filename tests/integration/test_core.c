/* The core against a real Samba (started by tests/samba/samba.sh run):
 * authentication at every dialect, failures, anonymous and guest, echo,
 * concurrency, close with pending operations, readiness errors, trees, and
 * the deferred's contract.
 *   test_core                 all cases
 *   test_core dialect SMB2_02 only: the server is forced to one dialect; check it */
#include <stdio.h>
#include <string.h>

#include "itest.h"
#include "listener.h"

static uv_loop_t *loop;

static uint16_t dialect_of(const char *name)
{
    static const uint16_t all[] = {ASMB_SMB2_02, ASMB_SMB2_10, ASMB_SMB3_00, ASMB_SMB3_02,
                                   ASMB_SMB3_11};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(asmb_dialect_name(all[i]), name) == 0) return all[i];
    return 0;
}

/* Connects at client-forced dialect d, echoes, checks what was negotiated. */
static void auth_at(uint16_t d, uint16_t min, uint16_t max)
{
    asmb_config cfg;
    t_config(&cfg);
    cfg.min_dialect = min;
    cfg.max_dialect = max;
    conn_events e;
    asmb_conn *c = t_connect(loop, &cfg, &e);
    CHECK(c != NULL);
    CHECK_EQ_INT(e.auth_ok, 1);
    CHECK_EQ_INT(e.auth_failed, 0);
    if (e.auth_failed) fprintf(stderr, "  auth at %s: %s\n", asmb_dialect_name(d), e.auth_msg);
    asmb_conn_info info;
    CHECK_EQ_INT(asmb_conn_info_get(c, &info), 0);
    CHECK_EQ_INT(info.dialect, d);
    CHECK(info.max_read_size >= 65536);
    CHECK_EQ_INT(info.is_guest, 0);
    /* Signed by default (IF_SUPPORTED): the algorithm fits the dialect. */
    CHECK_EQ_INT(info.signing, 1);
    int want = d < ASMB_SMB3_00 ? ASMB_SIGN_HMAC_SHA256
                                : d < ASMB_SMB3_11 ? ASMB_SIGN_AES_CMAC : ASMB_SIGN_AES_GMAC;
    CHECK_EQ_INT(info.signing_algorithm, want);
    asmb_deferred *df;
    outcome o = {0};
    CHECK_EQ_INT(asmb_echo(c, NULL, &df), 0);
    asmb_deferred_then(df, t_cb, t_eb, &o);
    run_until(loop, &o.calls, 5000);
    CHECK_EQ_INT(o.ok, 1);
    outcome tc = {0};
    CHECK_EQ_INT(asmb_tree_connect(c, "share", NULL, &df), 0);
    asmb_deferred_then(df, t_cb, t_eb, &tc);
    run_until(loop, &tc.calls, 5000);
    CHECK_EQ_INT(tc.ok, 1);
    asmb_conn_close(c); /* TREE_DISCONNECT, LOGOFF, then disconnected */
    run_until(loop, &e.disconnected, 5000);
    CHECK_EQ_INT(e.disconnected, 1);
    CHECK_EQ_INT(e.disc.code, ASMB_ECLOSED);
    t_free(loop, c);
}

static void test_dialects(void)
{
    static const uint16_t all[] = {ASMB_SMB2_02, ASMB_SMB2_10, ASMB_SMB3_00, ASMB_SMB3_02,
                                   ASMB_SMB3_11};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) auth_at(all[i], all[i], all[i]);
    auth_at(ASMB_SMB3_11, ASMB_SMB2_02, ASMB_SMB3_11); /* the highest wins */
}

static void test_wrong_password(void)
{
    asmb_config cfg;
    t_config(&cfg);
    cfg.password = "definitely-wrong";
    conn_events e;
    asmb_conn *c = t_connect(loop, &cfg, &e);
    CHECK_EQ_INT(e.auth_ok, 0);
    CHECK_EQ_INT(e.auth_failed, 1);
    CHECK_EQ_INT(e.auth_fail.code, ASMB_EAUTH);
    CHECK_EQ_INT(e.auth_fail.ntstatus, 0xC000006D);
    CHECK(strstr(e.auth_msg, "STATUS_LOGON_FAILURE") != NULL);
    run_until(loop, &e.disconnected, 2000);
    CHECK_EQ_INT(e.disconnected, 1);
    /* The connection is over: operations say so at once. */
    asmb_deferred *d = NULL;
    CHECK_EQ_INT(asmb_echo(c, NULL, &d), ASMB_ENOTCONN);
    CHECK(d == NULL);
    t_free(loop, c);
    CHECK_EQ_INT(e.disconnected, 1);
}

static void test_anonymous_and_guest(void)
{
    asmb_config cfg;
    t_config(&cfg);
    cfg.username = NULL;
    cfg.password = NULL;
    conn_events e;
    asmb_conn *c = t_connect(loop, &cfg, &e);
    CHECK_EQ_INT(e.auth_ok, 1);
    asmb_conn_info info;
    asmb_conn_info_get(c, &info);
    CHECK_EQ_INT(info.is_anonymous, 1);
    CHECK_EQ_INT(info.signing, 0);
    t_free(loop, c);

    /* Credentials given, guest session offered (map to guest = Bad User):
     * refused unless the caller opted in. */
    t_config(&cfg);
    cfg.username = "no-such-user-here";
    cfg.password = "x";
    c = t_connect(loop, &cfg, &e);
    CHECK_EQ_INT(e.auth_ok, 0);
    CHECK_EQ_INT(e.auth_failed, 1);
    CHECK_EQ_INT(e.auth_fail.code, ASMB_EAUTH);
    CHECK(strstr(e.auth_msg, "guest") && strstr(e.auth_msg, "allow_guest_fallback"));
    t_free(loop, c);
    cfg.allow_guest_fallback = 1;
    c = t_connect(loop, &cfg, &e);
    CHECK_EQ_INT(e.auth_ok, 1);
    asmb_conn_info_get(c, &info);
    CHECK_EQ_INT(info.is_guest, 1);
    asmb_deferred *d;
    outcome o = {0}, bad = {0};
    CHECK_EQ_INT(asmb_tree_connect(c, "guest", NULL, &d), 0);
    asmb_deferred_then(d, t_cb, t_eb, &o);
    CHECK_EQ_INT(asmb_tree_connect(c, "share", NULL, &d), 0); /* valid users = asmbtest only */
    asmb_deferred_then(d, t_cb, t_eb, &bad);
    run_until(loop, &bad.calls, 5000);
    run_until(loop, &o.calls, 5000);
    CHECK_EQ_INT(o.ok, 1);
    CHECK_EQ_INT(bad.failed, 1);
    CHECK_EQ_INT(bad.f.code, ASMB_EFAILURE);
    CHECK(strstr(bad.msg, "STATUS_") != NULL && strstr(bad.msg, "'share'") != NULL);
    t_free(loop, c);

    /* Signing required cannot be met by a guest session. */
    t_config(&cfg);
    cfg.username = "no-such-user-here";
    cfg.allow_guest_fallback = 1;
    cfg.signing = ASMB_REQUIRED;
    c = t_connect(loop, &cfg, &e);
    CHECK_EQ_INT(e.auth_failed, 1);
    CHECK(strstr(e.auth_msg, "signing required") != NULL);
    t_free(loop, c);
}

static void test_echo_many(void)
{
    asmb_config cfg;
    t_config(&cfg);
    conn_events e;
    asmb_conn *c = t_connect(loop, &cfg, &e);
    CHECK_EQ_INT(e.auth_ok, 1);
    enum { N = 100 };
    static outcome o[N];
    memset(o, 0, sizeof o);
    t_order_counter = 0;
    for (int i = 0; i < N; i++) {
        asmb_deferred *d;
        CHECK_EQ_INT(asmb_echo(c, NULL, &d), 0);
        asmb_deferred_then(d, t_cb, t_eb, &o[i]);
        /* callbacks never run inside the call that attached them */
        CHECK_EQ_INT(o[i].calls, 0);
    }
    int done = 0;
    for (int spins = 0; spins < 1000 && done < N; spins++) {
        uv_run(loop, UV_RUN_ONCE);
        done = 0;
        for (int i = 0; i < N; i++) done += o[i].calls;
    }
    int ok = 0, once = 1;
    for (int i = 0; i < N; i++) {
        ok += o[i].ok;
        once &= o[i].calls == 1;
    }
    CHECK_EQ_INT(ok, N);
    CHECK(once);
    t_free(loop, c);
}

/* Several pairs run in order; a pair attached after firing runs later from
 * the loop, not inside asmb_deferred_then. */
static void test_deferred_contract(void)
{
    asmb_config cfg;
    t_config(&cfg);
    conn_events e;
    asmb_conn *c = t_connect(loop, &cfg, &e);
    asmb_deferred *d;
    outcome a = {0}, b = {0}, late = {0};
    t_order_counter = 0;
    CHECK_EQ_INT(asmb_echo(c, NULL, &d), 0);
    asmb_deferred_ref(d);
    asmb_deferred_then(d, t_cb, t_eb, &a);
    asmb_deferred_then(d, t_cb, t_eb, &b);
    run_until(loop, &b.calls, 5000);
    CHECK_EQ_INT(a.ok, 1);
    CHECK_EQ_INT(b.ok, 1);
    CHECK(a.order < b.order);
    CHECK_EQ_INT(asmb_deferred_state(d), ASMB_DEFERRED_SUCCEEDED);
    CHECK_EQ_INT(asmb_deferred_then(d, t_cb, t_eb, &late), 0);
    CHECK_EQ_INT(late.calls, 0);
    run_until(loop, &late.calls, 1000);
    CHECK_EQ_INT(late.ok, 1);
    CHECK_EQ_INT(asmb_deferred_cancel(d), ASMB_EALREADY);
    asmb_deferred_unref(d);

    /* cancel: errback with ASMB_ECANCELED, exactly once */
    outcome x = {0};
    CHECK_EQ_INT(asmb_echo(c, NULL, &d), 0);
    asmb_deferred_then(d, t_cb, t_eb, &x);
    CHECK_EQ_INT(asmb_deferred_cancel(d), 0);
    CHECK_EQ_INT(x.calls, 0);
    run_until(loop, &x.calls, 1000);
    CHECK_EQ_INT(x.failed, 1);
    CHECK_EQ_INT(x.f.code, ASMB_ECANCELED);
    /* the connection is still usable after a cancel */
    outcome y = {0};
    CHECK_EQ_INT(asmb_echo(c, NULL, &d), 0);
    asmb_deferred_then(d, t_cb, t_eb, &y);
    run_until(loop, &y.calls, 5000);
    CHECK_EQ_INT(y.ok, 1);
    CHECK_EQ_INT(x.calls, 1);
    t_free(loop, c);
}

static void test_close_pending_and_readiness(void)
{
    asmb_config cfg;
    t_config(&cfg);
    conn_events e;
    memset(&e, 0, sizeof e);
    asmb_conn *c = asmb_conn_new(loop, &cfg, &test_handlers, &e);
    asmb_deferred *d = NULL;
    CHECK_EQ_INT(asmb_echo(c, NULL, &d), ASMB_ENOTREADY); /* before connect */
    CHECK_EQ_INT(asmb_conn_connect(c, it_host(), it_port()), 0);
    CHECK_EQ_INT(asmb_conn_connect(c, it_host(), it_port()), ASMB_EALREADY);
    CHECK_EQ_INT(asmb_echo(c, NULL, &d), ASMB_ENOTREADY); /* before auth_ok */
    CHECK(d == NULL);
    run_until(loop, &e.auth_ok, 5000);
    CHECK_EQ_INT(e.auth_ok, 1);
    enum { N = 20 };
    outcome o[N];
    memset(o, 0, sizeof o);
    for (int i = 0; i < N; i++) {
        CHECK_EQ_INT(asmb_echo(c, NULL, &d), 0);
        asmb_deferred_then(d, t_cb, t_eb, &o[i]);
    }
    asmb_conn_close(c);
    CHECK_EQ_INT(asmb_echo(c, NULL, &d), ASMB_ENOTCONN);
    run_until(loop, &e.disconnected, 3000);
    uv_run(loop, UV_RUN_NOWAIT);
    int failed = 0, calls = 0;
    for (int i = 0; i < N; i++) {
        failed += o[i].failed && o[i].f.code == ASMB_ENOTCONN;
        calls += o[i].calls;
    }
    CHECK_EQ_INT(failed, N);
    CHECK_EQ_INT(calls, N);
    CHECK_EQ_INT(e.disconnected, 1);
    CHECK_EQ_INT(e.disc.code, ASMB_ECLOSED);
    asmb_conn_close(c); /* twice is harmless */
    t_free(loop, c);
    CHECK_EQ_INT(e.disconnected, 1);
}

/* Freeing the connection from inside its own callbacks. */
static void test_free_in_callbacks(void)
{
    asmb_config cfg;
    t_config(&cfg);
    conn_events e;
    memset(&e, 0, sizeof e);
    e.free_on_auth = 1;
    asmb_conn *c = asmb_conn_new(loop, &cfg, &test_handlers, &e);
    CHECK_EQ_INT(asmb_conn_connect(c, it_host(), it_port()), 0);
    uv_run(loop, UV_RUN_DEFAULT); /* returns once everything is closed */
    CHECK_EQ_INT(e.auth_ok, 1);
    CHECK_EQ_INT(e.disconnected, 0); /* no handler after free */

    memset(&e, 0, sizeof e);
    e.free_in_callback = 1;
    cfg.password = "wrong";
    c = asmb_conn_new(loop, &cfg, &test_handlers, &e);
    CHECK_EQ_INT(asmb_conn_connect(c, it_host(), it_port()), 0);
    uv_run(loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(e.auth_failed, 1);
    CHECK_EQ_INT(e.disconnected, 1);
}

static void test_refused_and_resolve(void)
{
    asmb_config cfg;
    t_config(&cfg);
    conn_events e;
    memset(&e, 0, sizeof e);
    asmb_conn *c = asmb_conn_new(loop, &cfg, &test_handlers, &e);
    CHECK_EQ_INT(asmb_conn_connect(c, "127.0.0.1", 1), 0); /* nothing listens on port 1 */
    run_until(loop, &e.disconnected, 5000);
    /* Through auth_failed, with the address; disconnected doesn't repeat it. */
    t_check_preauth(&e, ASMB_ECONNREFUSED, "127.0.0.1:1");
    t_free(loop, c);

    memset(&e, 0, sizeof e);
    c = asmb_conn_new(loop, &cfg, &test_handlers, &e);
    CHECK_EQ_INT(asmb_conn_connect(c, "no-such-host.invalid", 445), 0);
    run_until(loop, &e.disconnected, 10000);
    t_check_preauth(&e, ASMB_ERESOLVE, "no-such-host.invalid");
    t_free(loop, c);

    /* Peers that are not SMB servers: one that answers as HTTP, one that
     * closes at once. */
    static const struct {
        const char *reply;
        int code;
        const char *needle;
    } peers[] = {{T_HTTP_REPLY, ASMB_ENOTSMB, "not an SMB server: 127.0.0.1 answered "
                                                   "\"HTTP/1.1 400 Bad Request\""},
                 {NULL, ASMB_ECONNRESET, "connection "}};
    for (size_t i = 0; i < sizeof peers / sizeof peers[0]; i++) {
        t_listener l;
        CHECK_EQ_INT(t_listener_start(&l, peers[i].reply), 0);
        memset(&e, 0, sizeof e);
        c = asmb_conn_new(loop, &cfg, &test_handlers, &e);
        CHECK_EQ_INT(asmb_conn_connect(c, "127.0.0.1", l.port), 0);
        run_until(loop, &e.disconnected, 5000);
        t_check_preauth(&e, peers[i].code, peers[i].needle);
        t_free(loop, c);
        t_listener_stop(&l);
    }

    /* A name that resolves (to ::1 first on some systems, then 127.0.0.1). */
    c = t_connect(loop, &cfg, &e);
    t_free(loop, c);
    memset(&e, 0, sizeof e);
    c = asmb_conn_new(loop, &cfg, &test_handlers, &e);
    CHECK_EQ_INT(asmb_conn_connect(c, "localhost", it_port()), 0);
    run_until(loop, &e.auth_ok, 5000);
    CHECK_EQ_INT(e.auth_ok, 1);
    t_free(loop, c);

    /* An IPv6 literal (the test Samba listens on ::1 too). */
    memset(&e, 0, sizeof e);
    c = asmb_conn_new(loop, &cfg, &test_handlers, &e);
    CHECK_EQ_INT(asmb_conn_connect(c, "::1", it_port()), 0);
    run_until(loop, &e.auth_ok, 5000);
    CHECK_EQ_INT(e.auth_ok, 1);
    t_free(loop, c);

    c = asmb_conn_new(loop, &cfg, &test_handlers, &e);
    CHECK_EQ_INT(asmb_conn_connect(c, "", 445), ASMB_EINVAL);
    CHECK_EQ_INT(asmb_conn_connect(c, "127.0.0.1", 70000), ASMB_EINVAL);
    t_free(loop, c);
    asmb_config bad;
    asmb_config_init(&bad);
    bad.min_dialect = ASMB_SMB3_11;
    bad.max_dialect = ASMB_SMB2_02;
    CHECK(asmb_conn_new(loop, &bad, NULL, NULL) == NULL);
}

static void test_trees(void)
{
    asmb_config cfg;
    t_config(&cfg);
    conn_events e;
    asmb_conn *c = t_connect(loop, &cfg, &e);
    asmb_deferred *d;
    outcome a = {0}, b = {0}, bad = {0}, dis = {0};
    CHECK_EQ_INT(asmb_tree_connect(c, "share", NULL, &d), 0);
    asmb_deferred_ref(d);
    asmb_deferred_then(d, t_cb, t_eb, &a);
    asmb_deferred *d2;
    CHECK_EQ_INT(asmb_tree_connect(c, "SHARE", NULL, &d2), 0); /* joins the same connect */
    asmb_deferred_ref(d2);
    asmb_deferred_then(d2, t_cb, t_eb, &b);
    run_until(loop, &b.calls, 5000);
    run_until(loop, &a.calls, 5000);
    CHECK_EQ_INT(a.ok + b.ok, 2);
    const asmb_tree_info *ta = asmb_deferred_result(d), *tb = asmb_deferred_result(d2);
    CHECK(ta && tb && ta->tree_id == tb->tree_id);
    CHECK(ta && ta->share_type == 1);
    asmb_deferred_unref(d);
    asmb_deferred_unref(d2);
    CHECK_EQ_INT(asmb_tree_connect(c, "no-such-share", NULL, &d), 0);
    asmb_deferred_then(d, t_cb, t_eb, &bad);
    run_until(loop, &bad.calls, 5000);
    CHECK_EQ_INT(bad.f.code, ASMB_EFAILURE);
    CHECK_EQ_INT(bad.f.ntstatus, 0xC00000CC);
    CHECK(strstr(bad.msg, "STATUS_BAD_NETWORK_NAME") != NULL);
    CHECK_EQ_INT(asmb_tree_connect(c, "a\\b", NULL, &d), ASMB_EINVAL);
    CHECK_EQ_INT(asmb_tree_disconnect(c, "ro", NULL, &d), ASMB_ENOENT);
    CHECK_EQ_INT(asmb_tree_disconnect(c, "share", NULL, &d), 0);
    asmb_deferred_then(d, t_cb, t_eb, &dis);
    run_until(loop, &dis.calls, 5000);
    CHECK_EQ_INT(dis.ok, 1);
    CHECK_EQ_INT(asmb_tree_disconnect(c, "share", NULL, &d), ASMB_ENOENT);
    t_free(loop, c);
}

/* The NetBIOS session service (Samba listening on 139 expects it): a
 * store and a retrieve through it. */
static long nbt_src(void *arg, void *buf, size_t len)
{
    size_t *left = arg, n = len < *left ? len : *left;
    memset(buf, 'n', n);
    *left -= n;
    return (long)n;
}
static int nbt_sink(void *arg, const void *data, size_t len)
{
    size_t *got = arg;
    for (size_t i = 0; i < len; i++) *got += ((const char *)data)[i] == 'n';
    return 0;
}

static void test_netbios(void)
{
    asmb_config cfg;
    t_config(&cfg);
    cfg.netbios = 1;
    cfg.my_name = "ASMBTEST";
    conn_events e;
    asmb_conn *c = t_connect(loop, &cfg, &e);
    CHECK_EQ_INT(e.auth_ok, 1);
    size_t left = 3 << 20, got = 0; /* several 64 KiB frames: NBT lengths are 17-bit */
    asmb_source src = {nbt_src, &left, -1};
    asmb_sink sink = {nbt_sink, &got, -1};
    asmb_deferred *d;
    outcome st = {0}, rt = {0};
    CHECK_EQ_INT(asmb_store_file(c, "share", "nbt.bin", &src, NULL, &d), 0);
    asmb_deferred_then(d, t_cb, t_eb, &st);
    run_until(loop, &st.calls, 20000);
    CHECK_EQ_INT(st.ok, 1);
    CHECK_EQ_INT(asmb_retrieve_file(c, "share", "nbt.bin", &sink, NULL, &d), 0);
    asmb_deferred_then(d, t_cb, t_eb, &rt);
    run_until(loop, &rt.calls, 20000);
    CHECK_EQ_INT(rt.ok, 1);
    CHECK_EQ_INT(got, 3 << 20);
    t_free(loop, c);
}

static void test_errors(void)
{
    /* An invalid config: asmb_conn_new gives NULL, asmb_config_check says why. */
    asmb_config bad;
    asmb_config_init(&bad);
    bad.min_dialect = ASMB_SMB3_11;
    bad.max_dialect = ASMB_SMB3_02;
    CHECK(asmb_conn_new(loop, &bad, NULL, NULL) == NULL);
    asmb_failure why;
    CHECK_EQ_INT(asmb_config_check(&bad, &why), ASMB_EINVAL);
    CHECK_EQ_INT(why.code, ASMB_EINVAL);
    CHECK(strstr(why.message, "min_dialect SMB3_11 is above max_dialect SMB3_02") != NULL);
    bad.max_dialect = 0x0399;
    CHECK_EQ_INT(asmb_config_check(&bad, &why), ASMB_EINVAL);
    CHECK(strstr(why.message, "unknown dialect 0x0399") != NULL);
    asmb_config_init(&bad);
    bad.encryption = 7;
    CHECK_EQ_INT(asmb_config_check(&bad, &why), ASMB_EINVAL);
    CHECK(strstr(why.message, "encryption 7") != NULL);
    CHECK_EQ_INT(asmb_config_check(NULL, &why), 0);
    asmb_config_init(&bad);
    CHECK_EQ_INT(asmb_config_check(&bad, NULL), 0);

    CHECK(strcmp(asmb_err_name(ASMB_ETIMEDOUT), "ASMB_ETIMEDOUT") == 0);
    CHECK(strcmp(asmb_strerror(ASMB_ENOTREADY), "connection not ready: not authenticated yet") == 0);
    CHECK(strcmp(asmb_strerror(12345), "unknown error") == 0);
    CHECK(strcmp(asmb_ntstatus_name(0xC0000034), "STATUS_OBJECT_NAME_NOT_FOUND") == 0);
    CHECK(asmb_ntstatus_name(0xDEADBEEF) == NULL);
}

/* A clean close ends the loop's work at once: no grace timer left armed
 * (the demo used to wait 2 s at exit for work done in 20 ms). */
static void test_close_is_quick(void)
{
    uv_loop_t lp;
    uv_loop_init(&lp);
    asmb_config cfg;
    t_config(&cfg);
    conn_events e;
    asmb_conn *c = t_connect(&lp, &cfg, &e);
    CHECK_EQ_INT(e.auth_ok, 1);
    asmb_deferred *d;
    outcome o = {0};
    CHECK_EQ_INT(asmb_echo(c, NULL, &d), 0);
    asmb_deferred_then(d, t_cb, t_eb, &o);
    run_until(&lp, &o.calls, 5000);
    asmb_conn_close(c);
    uint64_t t0 = uv_hrtime();
    uv_run(&lp, UV_RUN_DEFAULT); /* returns when nothing is left to do */
    asmb_conn_free(c);
    uv_run(&lp, UV_RUN_DEFAULT);
    double ms = (double)(uv_hrtime() - t0) / 1e6;
    fprintf(stderr, "  close to loop end: %.1f ms\n", ms);
    CHECK(ms < (getenv("ASMB_TEST_QUICK") ? 1000 : 100));
    CHECK_EQ_INT(e.disconnected, 1);
    CHECK_EQ_INT(uv_loop_close(&lp), 0);
}

int main(int argc, char **argv)
{
    loop = uv_default_loop();
    if (argc == 2 && strcmp(argv[1], "netbios") == 0) {
        test_netbios();
    } else if (argc == 3 && strcmp(argv[1], "dialect") == 0) {
        uint16_t d = dialect_of(argv[2]);
        CHECK(d != 0);
        auth_at(d, ASMB_SMB2_02, ASMB_SMB3_11); /* the server decides */
    } else {
        test_errors();
        test_dialects();
        test_wrong_password();
        test_anonymous_and_guest();
        test_echo_many();
        test_deferred_contract();
        test_close_pending_and_readiness();
        test_free_in_callbacks();
        test_refused_and_resolve();
        test_trees();
        test_close_is_quick();
    }
    CHECK_EQ_INT(uv_loop_close(loop), 0); /* every handle closed: nothing leaked on the loop */
    TEST_DONE();
}
