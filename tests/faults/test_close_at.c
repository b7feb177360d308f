/* The server's socket closes at a chosen byte of a chosen reply, for each
 * operation type (echo, retrieve_file, store_file, list_path,
 * get_attributes). Samba can't be told to die mid-frame, so
 * tests/faults/faultsrv proxies it and cuts the reply (FS_TRUNCATE_CLOSE).
 *
 * Which replies an operation gets is learnt, not assumed: each operation
 * runs once unbroken through the proxy, whose frame log lists its replies
 * (compounded or not); then every one of them is cut at several offsets: 0
 * (nothing of it arrives), inside the transport header, right after it,
 * inside the SMB2 header, right after it, and its last byte missing. Each
 * time: the operation's deferred fires exactly once with ASMB_ENOTCONN,
 * disconnected fires exactly once with ASMB_ECONNRESET, the connection
 * refuses new work with ASMB_ENOTCONN, and nothing fires after that. */
#include "fhelp.h"

#define MAX_REPLIES 16

/* The replies op gets after authentication (NEGOTIATE, SESSION_SETUP). */
static int learn_replies(faultsrv *fs, int conn_no, int kind, fs_frame_info *out)
{
    conn_events e;
    asmb_conn *c = proxied_unsigned(fs, &e);
    op_slot s;
    start_op(c, kind, &s, 8000, 0);
    run_until(loop, &s.o.calls, 10000);
    CHECK_EQ_INT(s.o.ok, 1);
    if (!s.o.ok) fprintf(stderr, "  %s unbroken: %s\n", op_names[kind], s.o.msg);
    t_free(loop, c);
    fs_frame_info all[64];
    int n = fs_frame_log(fs, conn_no, all, 64), k = 0;
    for (int i = 0; i < n && k < MAX_REPLIES; i++) {
        if (all[i].cmd <= 1) continue; /* NEGOTIATE, SESSION_SETUP: auth, tested elsewhere */
        if (all[i].cmd == 0x02 || all[i].cmd == 0x04) continue; /* LOGOFF, TREE_DISCONNECT at close */
        out[k++] = all[i];
    }
    return k;
}

/* Cuts reply r of operation kind after off bytes on connection conn_no. */
static int cut_once(faultsrv *fs, int conn_no, int kind, const fs_frame_info *r, size_t off)
{
    int before = t_fail, hits = fs_hits(fs);
    fs_rule_cmd_conn(fs, conn_no, r->cmd, r->nth, FS_TRUNCATE_CLOSE, off);
    conn_events e;
    asmb_conn *c = proxied_unsigned(fs, &e);
    op_slot s;
    start_op(c, kind, &s, 8000, conn_no);
    run_until(loop, &s.o.calls, 10000);
    run_until(loop, &e.disconnected, 5000);
    CHECK_EQ_INT(fs_hits(fs), hits + 1);
    CHECK_EQ_INT(s.o.calls, 1);
    CHECK_EQ_INT(s.o.failed, 1);
    CHECK_EQ_INT(s.o.f.code, ASMB_ENOTCONN);
    CHECK_EQ_INT(e.disconnected, 1);
    CHECK_EQ_INT(e.disc.code, ASMB_ECONNRESET);
    asmb_deferred *d;
    CHECK_EQ_INT(asmb_echo(c, NULL, &d), ASMB_ENOTCONN);
    uv_run(loop, UV_RUN_NOWAIT);
    t_free(loop, c);
    CHECK_EQ_INT(s.o.calls, 1);
    CHECK_EQ_INT(e.disconnected, 1);
    if (t_fail != before)
        fprintf(stderr, "  %s, reply cmd %d#%d (%zu bytes) cut at %zu: %s %s; disconnected %d %s\n",
                op_names[kind], r->cmd, r->nth, r->len, off,
                s.o.failed ? asmb_err_name(s.o.f.code) : s.o.ok ? "ok" : "nothing", s.o.msg,
                e.disconnected, e.disc_msg);
    return t_fail == before;
}

int main(void)
{
    loop = uv_default_loop();
    seed_share();
    faultsrv *fs = fs_start(it_port());
    int conn_no = 0, cases = 0, good = 0;
    for (int kind = 0; kind < OP_COUNT; kind++) {
        fs_frame_info rep[MAX_REPLIES];
        int n = learn_replies(fs, conn_no++, kind, rep);
        CHECK(n >= 1);
        for (int i = 0; i < n; i++) {
            size_t len = rep[i].len + 4; /* the whole frame */
            /* valgrind: fewer offsets, the telling ones */
            size_t all[] = {0, 2, 4, 4 + 20, 4 + 64, len - 1};
            size_t few[] = {0, 4 + 20, len - 1};
            size_t *offs = quick() ? few : all;
            size_t noffs = quick() ? sizeof few / sizeof *few : sizeof all / sizeof *all;
            for (size_t j = 0; j < noffs; j++) {
                if (offs[j] >= len) continue;
                cases++;
                good += cut_once(fs, conn_no++, kind, &rep[i], offs[j]);
            }
            if (kind == OP_ECHO && i == 0 && rep[i].cmd != SMB2_ECHO_CMD)
                fprintf(stderr, "  echo's first reply is command %d?\n", rep[i].cmd);
        }
        fprintf(stderr, "%s: %d replies, cut %d times so far, %d as expected\n", op_names[kind],
                n, cases, good);
    }
    /* The server and the proxy are fine: an unbroken connection works. */
    conn_events e;
    asmb_conn *c = proxied_unsigned(fs, &e);
    op_slot s;
    start_op(c, OP_LIST, &s, 8000, 0);
    run_until(loop, &s.o.calls, 10000);
    CHECK_EQ_INT(s.o.ok, 1);
    t_free(loop, c);
    fs_credit_stats st;
    fs_credit_stats_get(fs, &st);
    CHECK_EQ_INT(st.violations, 0);
    fs_stop(fs);
    CHECK(cases >= 5 * 3);
    CHECK_EQ_INT(uv_loop_close(loop), 0);
    TEST_DONE();
}
