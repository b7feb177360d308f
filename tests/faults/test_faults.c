/* Faults Samba can't produce, played by tests/faults/faultsrv (a fake server,
 * or a proxy in front of the real Samba that breaks chosen replies):
 * a server that never answers, garbage, a reply cut short, a stalled reply
 * after authentication (operation timeout, then the late reply), a corrupted
 * signed reply, a reply with an unknown message id, a drop mid-session.
 * Invariants checked each time: every deferred fires exactly once,
 * disconnected fires exactly once, the loop ends clean (no handle left). */
#include <stdio.h>
#include <string.h>

#include "faultsrv.h"
#include "itest.h"

static uv_loop_t *loop;
/* Under valgrind (ASMB_TEST_QUICK) everything runs ~20x slower: timing bounds
 * widen there; the release and sanitizer stages hold the 50 ms bound. */
static double slack_ms(void) { return getenv("ASMB_TEST_QUICK") ? 1000.0 : 50.0; }

enum { SMB2_ECHO_CMD = 0x0D };

static asmb_conn *connect_to(int port, const asmb_config *cfg, conn_events *e)
{
    memset(e, 0, sizeof *e);
    asmb_conn *c = asmb_conn_new(loop, cfg, &test_handlers, e);
    CHECK(c != NULL);
    CHECK_EQ_INT(asmb_conn_connect(c, "127.0.0.1", port), 0);
    return c;
}

/* A server that accepts and never answers: the auth timeout fires on time. */
static void test_stall_auth(void)
{
    faultsrv *fs = fs_start(0);
    fs_rule(fs, 0, FS_STALL, 0);
    asmb_config cfg;
    t_config(&cfg);
    cfg.auth_timeout_ms = 200;
    conn_events e;
    uint64_t t0 = uv_hrtime();
    asmb_conn *c = connect_to(fs_port(fs), &cfg, &e);
    run_until(loop, &e.auth_failed, 5000);
    double ms = (double)(uv_hrtime() - t0) / 1e6;
    CHECK_EQ_INT(e.auth_failed, 1);
    CHECK_EQ_INT(e.auth_fail.code, ASMB_ETIMEDOUT);
    CHECK(ms >= 200 && ms < 200 + slack_ms());
    if (ms < 200 || ms >= 250) fprintf(stderr, "  auth timeout after %.1f ms\n", ms);
    run_until(loop, &e.disconnected, 2000);
    CHECK_EQ_INT(e.disconnected, 1);
    CHECK_EQ_INT(e.disc.code, ASMB_ETIMEDOUT);
    t_free(loop, c);
    fs_stop(fs);
}

/* Garbage, a truncated frame, a close: each a clean failure. */
static void test_bad_server(fs_action act, size_t arg, int want)
{
    faultsrv *fs = fs_start(0);
    fs_rule(fs, 0, act, arg);
    asmb_config cfg;
    t_config(&cfg);
    conn_events e;
    asmb_conn *c = connect_to(fs_port(fs), &cfg, &e);
    run_until(loop, &e.disconnected, 5000);
    CHECK_EQ_INT(e.auth_ok, 0);
    CHECK_EQ_INT(e.auth_failed, 1);
    CHECK_EQ_INT(e.disconnected, 1);
    CHECK_EQ_INT(e.disc.code, want);
    if (e.disc.code != want) fprintf(stderr, "  got %s: %s\n", asmb_err_name(e.disc.code), e.disc_msg);
    t_free(loop, c);
    CHECK_EQ_INT(e.disconnected, 1);
    fs_stop(fs);
}

/* Through the proxy to the real Samba: authenticates, then breaks echo replies. */
static asmb_conn *proxied(faultsrv *fs, conn_events *e, int signing)
{
    asmb_config cfg;
    t_config(&cfg);
    cfg.signing = signing;
    asmb_conn *c = connect_to(fs_port(fs), &cfg, e);
    run_until(loop, &e->auth_ok, 5000);
    CHECK_EQ_INT(e->auth_ok, 1);
    return c;
}

static void echo_into(asmb_conn *c, unsigned timeout_ms, outcome *o)
{
    asmb_deferred *d;
    asmb_opts opts = {timeout_ms};
    CHECK_EQ_INT(asmb_echo(c, &opts, &d), 0);
    asmb_deferred_then(d, t_cb, t_eb, o);
}

/* The reply never comes: ETIMEDOUT within 50 ms of the deadline; the
 * connection stays usable and the message id is retired. */
static void test_op_timeout(void)
{
    faultsrv *fs = fs_start(it_port());
    fs_rule_cmd(fs, SMB2_ECHO_CMD, 0, FS_DROP, 0);
    conn_events e;
    asmb_conn *c = proxied(fs, &e, ASMB_IF_SUPPORTED);
    outcome o = {0};
    uint64_t t0 = uv_hrtime();
    echo_into(c, 100, &o);
    run_until(loop, &o.calls, 3000);
    double ms = (double)(uv_hrtime() - t0) / 1e6;
    CHECK_EQ_INT(o.failed, 1);
    CHECK_EQ_INT(o.f.code, ASMB_ETIMEDOUT);
    CHECK(ms >= 100 && ms < 100 + slack_ms());
    if (ms < 100 || ms >= 150) fprintf(stderr, "  op timeout after %.1f ms\n", ms);
    CHECK(strstr(o.msg, "timed out after 100 ms") != NULL);
    outcome next = {0};
    echo_into(c, 2000, &next);
    run_until(loop, &next.calls, 3000);
    CHECK_EQ_INT(next.ok, 1);
    CHECK_EQ_INT(o.calls, 1);
    t_free(loop, c);
    fs_stop(fs);
}

/* A flipped byte in a signed reply: the connection fails with a signature
 * error; every pending operation hears it once. */
static void test_corrupt_signed(void)
{
    faultsrv *fs = fs_start(it_port());
    fs_rule_cmd(fs, SMB2_ECHO_CMD, 0, FS_CORRUPT, 66); /* a body byte */
    conn_events e;
    asmb_conn *c = proxied(fs, &e, ASMB_REQUIRED);
    enum { N = 5 };
    outcome o[N];
    memset(o, 0, sizeof o);
    for (int i = 0; i < N; i++) echo_into(c, 5000, &o[i]);
    run_until(loop, &e.disconnected, 5000);
    uv_run(loop, UV_RUN_NOWAIT);
    CHECK_EQ_INT(e.disc.code, ASMB_ESIGNATURE);
    int once = 1, sig = 0;
    for (int i = 0; i < N; i++) {
        once &= o[i].calls == 1;
        sig += o[i].failed && o[i].f.code == ASMB_ESIGNATURE;
    }
    CHECK(once);
    CHECK_EQ_INT(sig, N);
    t_free(loop, c);
    CHECK_EQ_INT(e.disconnected, 1);
    fs_stop(fs);
}

/* A flipped byte in an encrypted reply: decryption fails, so does the
 * connection; the pending operation hears it once. */
static void test_corrupt_encrypted(void)
{
    faultsrv *fs = fs_start(it_port());
    fs_rule(fs, 3, FS_CORRUPT, 80); /* after NEGOTIATE and two SESSION_SETUPs: the echo */
    asmb_config cfg;
    t_config(&cfg);
    cfg.encryption = ASMB_REQUIRED;
    conn_events e;
    asmb_conn *c = connect_to(fs_port(fs), &cfg, &e);
    run_until(loop, &e.auth_ok, 5000);
    CHECK_EQ_INT(e.auth_ok, 1);
    outcome o = {0};
    echo_into(c, 5000, &o);
    run_until(loop, &e.disconnected, 5000);
    uv_run(loop, UV_RUN_NOWAIT);
    CHECK_EQ_INT(e.disc.code, ASMB_EDECRYPT);
    CHECK_EQ_INT(o.calls, 1);
    CHECK_EQ_INT(o.f.code, ASMB_EDECRYPT);
    t_free(loop, c);
    CHECK_EQ_INT(e.disconnected, 1);
    fs_stop(fs);
}

/* A reply whose message id matches nothing: a protocol error. */
static void test_unknown_msg_id(void)
{
    faultsrv *fs = fs_start(it_port());
    fs_rule_cmd(fs, SMB2_ECHO_CMD, 0, FS_CORRUPT, 30); /* MessageId byte 6 */
    conn_events e;
    asmb_conn *c = proxied(fs, &e, ASMB_OFF);
    outcome o = {0};
    echo_into(c, 5000, &o);
    run_until(loop, &e.disconnected, 5000);
    uv_run(loop, UV_RUN_NOWAIT);
    CHECK_EQ_INT(e.disc.code, ASMB_EPROTO);
    CHECK(strstr(e.disc_msg, "unknown message id") != NULL);
    CHECK_EQ_INT(o.calls, 1);
    CHECK_EQ_INT(o.f.code, ASMB_EPROTO);
    t_free(loop, c);
    fs_stop(fs);
}

/* The server goes away in the middle of a reply. */
static void test_drop_mid_reply(void)
{
    faultsrv *fs = fs_start(it_port());
    fs_rule_cmd(fs, SMB2_ECHO_CMD, 0, FS_TRUNCATE_CLOSE, 20);
    conn_events e;
    asmb_conn *c = proxied(fs, &e, ASMB_IF_SUPPORTED);
    outcome o[3];
    memset(o, 0, sizeof o);
    for (int i = 0; i < 3; i++) echo_into(c, 5000, &o[i]);
    run_until(loop, &e.disconnected, 5000);
    uv_run(loop, UV_RUN_NOWAIT);
    CHECK_EQ_INT(e.disconnected, 1);
    CHECK_EQ_INT(e.disc.code, ASMB_ECONNRESET);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(o[i].calls, 1);
        CHECK_EQ_INT(o[i].f.code, ASMB_ENOTCONN);
    }
    asmb_deferred *d;
    CHECK_EQ_INT(asmb_echo(c, NULL, &d), ASMB_ENOTCONN);
    t_free(loop, c);
    /* A new connection works. */
    fs_clear_rules(fs);
    c = proxied(fs, &e, ASMB_IF_SUPPORTED);
    outcome ok = {0};
    echo_into(c, 5000, &ok);
    run_until(loop, &ok.calls, 5000);
    CHECK_EQ_INT(ok.ok, 1);
    t_free(loop, c);
    fs_stop(fs);
}

/* A DCE/RPC fragment whose length field lies (here: longer than the data
 * the IOCTL returned): list_shares fails cleanly with a protocol error. The
 * proxy flips the low byte of frag_length in the second IOCTL reply: Samba
 * first sends an interim STATUS_PENDING one; then comes the BIND_ACK
 * (64-byte header + 48-byte IOCTL body, then the PDU). Should no interim
 * come, the flip lands in the NetrShareEnum reply's PDU: the same lie. */
static void test_bad_rpc_fragment(void)
{
    faultsrv *fs = fs_start(it_port());
    fs_rule_cmd(fs, 0x0B /* IOCTL */, 1, FS_CORRUPT, 64 + 48 + 8);
    conn_events e;
    asmb_conn *c = proxied(fs, &e, ASMB_OFF); /* unsigned: the parser sees the bytes */
    asmb_deferred *d;
    outcome o = {0};
    CHECK_EQ_INT(asmb_list_shares(c, NULL, &d), 0);
    asmb_deferred_then(d, t_cb, t_eb, &o);
    run_until(loop, &o.calls, 5000);
    CHECK_EQ_INT(o.failed, 1);
    CHECK_EQ_INT(o.f.code, ASMB_EPROTO);
    if (o.f.code != ASMB_EPROTO) fprintf(stderr, "  list_shares: %d calls: %s\n", o.calls, o.msg);
    /* the connection itself is fine: the next listing goes through */
    fs_clear_rules(fs);
    outcome ok = {0};
    CHECK_EQ_INT(asmb_list_shares(c, NULL, &d), 0);
    asmb_deferred_then(d, t_cb, t_eb, &ok);
    run_until(loop, &ok.calls, 5000);
    CHECK_EQ_INT(ok.ok, 1);
    t_free(loop, c);
    fs_stop(fs);
}

/* NetBIOS: Samba answers any called name, so a refusal (negative session
 * response, RFC 1002 4.3.4) comes from the fake server. */
static void test_netbios_negative(void)
{
    faultsrv *fs = fs_start(0);
    static const unsigned char neg[] = {0x83, 0, 0, 1, 0x82}; /* called name not present */
    fs_nbt_reply(fs, neg, sizeof neg);
    asmb_config cfg;
    t_config(&cfg);
    cfg.netbios = 1;
    cfg.remote_name = "NOSUCHNAME";
    conn_events e;
    asmb_conn *c = connect_to(fs_port(fs), &cfg, &e);
    run_until(loop, &e.disconnected, 5000);
    CHECK_EQ_INT(e.disconnected, 1);
    CHECK_EQ_INT(e.auth_failed, 1); /* the reason goes to auth_failed, once */
    CHECK_EQ_INT(e.auth_fail.code, ASMB_ECONNREFUSED);
    CHECK_EQ_INT(e.disc.code, ASMB_ECONNREFUSED);
    CHECK(strstr(e.auth_msg, "0x82") && strstr(e.auth_msg, "called name not present") &&
          strstr(e.auth_msg, "NOSUCHNAME"));
    CHECK(strstr(e.disc_msg, "NOSUCHNAME") == NULL);
    t_free(loop, c);
    fs_stop(fs);
}

int main(void)
{
    loop = uv_default_loop();
    test_stall_auth();
    /* Junk where the NEGOTIATE reply should be: no ProtocolId 0xFE 'SMB' at the
     * start, so the peer is no SMB server (ASMB_ENOTSMB), cut short or not. */
    test_bad_server(FS_GARBAGE, 100, ASMB_ENOTSMB);
    test_bad_server(FS_TRUNCATE_CLOSE, 30, ASMB_ENOTSMB);
    test_bad_server(FS_CLOSE, 0, ASMB_ECONNRESET);
    test_op_timeout();
    test_corrupt_signed();
    test_corrupt_encrypted();
    test_netbios_negative();
    test_bad_rpc_fragment();
    test_unknown_msg_id();
    test_drop_mid_reply();
    CHECK_EQ_INT(uv_loop_close(loop), 0);
    TEST_DONE();
}
