/* Credit starvation. Samba grants what the client asks for (up to 8192), so
 * a stingy server is played by tests/faults/faultsrv as a proxy that rewrites
 * every reply's CreditResponse to keep the client's credits (unused plus
 * outstanding) at a window (MS-SMB2 3.3.1.2), and counts, from the requests'
 * headers, whether the client ever sent beyond what it was granted
 * (3.3.5.2.3: a server drops such a connection).
 *
 * SMB 3.0.2 and no signing: every reply, the last SESSION_SETUP one
 * included, is unsigned, so the window holds from the first reply on. */
#include "fhelp.h"

enum { MIX = 5 * 8 }; /* echo, retrieve, store, list, attributes: 8 of each */

static asmb_conn *stingy(faultsrv *fs, conn_events *e, int one_credit_ops)
{
    asmb_config cfg;
    t_config(&cfg);
    cfg.signing = ASMB_OFF;
    cfg.max_dialect = ASMB_SMB3_02;
    if (one_credit_ops) { /* every request fits in one credit */
        cfg.no_compound = 1;
        cfg.io_size = 65536;
    }
    return proxied_cfg(fs, &cfg, e);
}

/* Starts n operations, kinds in turn; returns how many started. */
static int start_mix(asmb_conn *c, op_slot *s, int n, int first_idx, unsigned timeout_ms)
{
    int started = 0;
    for (int i = 0; i < n; i++) started += start_op(c, i % OP_COUNT, &s[i], timeout_ms, first_idx + i) == 0;
    return started;
}

static int count_ok(const op_slot *s, int n)
{
    int ok = 0;
    for (int i = 0; i < n; i++) ok += s[i].o.ok == 1 && s[i].o.calls == 1;
    return ok;
}

static void report(const char *what, const op_slot *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i].o.ok != 1 || s[i].o.calls != 1)
            fprintf(stderr, "  %s: %s #%d: calls %d %s %s\n", what, op_names[i % OP_COUNT], i,
                    s[i].o.calls, s[i].o.failed ? asmb_err_name(s[i].o.f.code) : "", s[i].o.msg);
}

static void close_once(asmb_conn *c, conn_events *e)
{
    CHECK_EQ_INT(e->disconnected, 0);
    asmb_conn_close(c);
    run_until(loop, &e->disconnected, 10000);
    t_free(loop, c);
    CHECK_EQ_INT(e->disconnected, 1);
    CHECK_EQ_INT(e->disc.code, ASMB_ECLOSED);
}

/* A server that grants one credit: 40 concurrent operations of five kinds
 * all complete, one request at a time, never beyond the grant. */
static void test_one_credit(void)
{
    faultsrv *fs = fs_start(it_port());
    fs_credit_window(fs, 1);
    conn_events e;
    asmb_conn *c = stingy(fs, &e, 1);
    op_slot s[MIX];
    CHECK_EQ_INT(start_mix(c, s, MIX, 0, 30000), MIX);
    int done = 0;
    for (int i = 0; i < 3000 && done < MIX; i++) {
        t_pause(loop, 10);
        done = 0;
        for (int k = 0; k < MIX; k++) done += s[k].o.calls > 0;
    }
    CHECK_EQ_INT(count_ok(s, MIX), MIX);
    report("one credit", s, MIX);
    fs_credit_stats st;
    fs_credit_stats_get(fs, &st);
    CHECK_EQ_INT(st.violations, 0);
    CHECK_EQ_INT(st.max_outstanding, 1);
    CHECK(st.requests >= MIX);
    close_once(c, &e);
    fs_stop(fs);
}

/* Runs the loop until every slot fired or ms pass. */
static void wait_all(op_slot *s, int n, unsigned ms)
{
    uint64_t until = uv_hrtime() + (uint64_t)ms * 1000000u;
    for (;;) {
        int done = 0;
        for (int k = 0; k < n; k++) done += s[k].o.calls > 0;
        if (done == n || uv_hrtime() > until) return;
        t_pause(loop, 10);
    }
}

/* A grant that shrinks from 64 to 1 while 200 operations are in flight:
 * everything completes; the client uses the credits it still holds and
 * then, with the window at 1, never has more than one request out. */
static void test_shrink(void)
{
    enum { BIG = 200, AFTER = 20 };
    faultsrv *fs = fs_start(it_port());
    fs_credit_window(fs, 64);
    conn_events e;
    asmb_conn *c = stingy(fs, &e, 1);
    static op_slot s[BIG], t[AFTER];
    CHECK_EQ_INT(start_mix(c, s, BIG, 0, 60000), BIG);
    int done = 0;
    while (done < BIG / 4) { /* a quarter done at window 64: shrink */
        t_pause(loop, 5);
        done = 0;
        for (int k = 0; k < BIG; k++) done += s[k].o.calls > 0;
    }
    fs_credit_stats st;
    fs_credit_stats_get(fs, &st);
    CHECK(st.max_outstanding > 1 && st.max_outstanding <= 64); /* concurrency was used */
    fprintf(stderr, "  window 64: %u credits outstanding at most\n", st.max_outstanding);
    fs_credit_window(fs, 1);
    wait_all(s, BIG, 60000);
    CHECK_EQ_INT(count_ok(s, BIG), BIG);
    report("shrink", s, BIG);
    fs_credit_stats_reset_max(fs);
    CHECK_EQ_INT(start_mix(c, t, AFTER, BIG, 30000), AFTER);
    wait_all(t, AFTER, 30000);
    CHECK_EQ_INT(count_ok(t, AFTER), AFTER);
    fs_credit_stats_get(fs, &st);
    CHECK_EQ_INT(st.violations, 0);
    CHECK_EQ_INT(st.max_outstanding, 1);
    close_once(c, &e);
    fs_stop(fs);
}

/* Default settings (4 MiB I/O, compounding) under a one-credit server: the
 * operations size their requests to the window (one credit: 64 KiB, no
 * CREATE+x+CLOSE chain of 3) and all complete, one request at a time. */
static void test_default_settings(void)
{
    faultsrv *fs = fs_start(it_port());
    fs_credit_window(fs, 1);
    conn_events e;
    asmb_conn *c = stingy(fs, &e, 0);
    op_slot s[MIX];
    CHECK_EQ_INT(start_mix(c, s, MIX, 300, 30000), MIX);
    wait_all(s, MIX, 40000);
    CHECK_EQ_INT(count_ok(s, MIX), MIX);
    report("default settings, one credit", s, MIX);
    fs_credit_stats st;
    fs_credit_stats_get(fs, &st);
    CHECK_EQ_INT(st.violations, 0);
    CHECK_EQ_INT(st.max_outstanding, 1);
    close_once(c, &e);
    fs_stop(fs);
}

/* A big transfer whose server shrinks its window from 64 to 1 mid-file
 * completes byte-exact, never beyond the grant. A retrieve's READs after the
 * shrink are sized to the window (64 KiB, not 4 MiB); queued chains built
 * before it fall back to CREATE then the rest (fileop.c). For a store,
 * whether a WRITE filled before the shrink is still waiting when it comes
 * depends on timing here; the split of such a WRITE is pinned down by
 * test_engine's transcript. The shrink comes from the source (store) or
 * the sink (retrieve) once shrink_at bytes went through. */
typedef struct shrink_io {
    faultsrv *fs;
    const unsigned char *data;
    size_t off, len, shrink_at;
    int same;
} shrink_io;

static void shrink_due(shrink_io *s)
{
    if (s->shrink_at && s->off >= s->shrink_at) {
        fs_credit_window(s->fs, 1);
        s->shrink_at = 0;
    }
}

static long shrink_read(void *arg, void *buf, size_t len)
{
    shrink_io *s = arg;
    shrink_due(s);
    size_t n = s->len - s->off < len ? s->len - s->off : len;
    memcpy(buf, s->data + s->off, n);
    s->off += n;
    return (long)n;
}

static int shrink_write(void *arg, const void *data, size_t len)
{
    shrink_io *s = arg;
    s->same &= s->off + len <= s->len && memcmp(s->data + s->off, data, len) == 0;
    s->off += len;
    shrink_due(s);
    return 0;
}

/* Runs d's operation to its end; 1 when it succeeded. */
static int finish_op(asmb_deferred *d, const char *what)
{
    outcome o = {0};
    asmb_deferred_then(d, t_cb, t_eb, &o);
    run_calls(&o, 1, 60000);
    if (!o.ok) fprintf(stderr, "  %s: %s\n", what, o.msg);
    return o.ok;
}

static void test_shrink_mid_file(int in_store)
{
    enum { SIZE = 12 << 20 };
    faultsrv *fs = fs_start(it_port());
    fs_credit_window(fs, 64);
    conn_events e;
    asmb_conn *c = stingy(fs, &e, 0);
    unsigned char *data = malloc(SIZE);
    for (size_t i = 0; i < SIZE; i++) data[i] = (unsigned char)(i * 131 >> 7);
    const char *path = in_store ? "ft_shrink_put.bin" : "ft_shrink.bin";
    shrink_io src_io = {fs, data, 0, SIZE, in_store ? 6u << 20 : 0, 1};
    shrink_io sink_io = {fs, data, 0, SIZE, in_store ? 0 : 5u << 20, 1};
    asmb_source src = {shrink_read, &src_io, -1};
    asmb_sink sk = {shrink_write, &sink_io, -1};
    asmb_deferred *d;
    CHECK_EQ_INT(asmb_store_file(c, "share", path, &src, NULL, &d), 0);
    CHECK_EQ_INT(finish_op(d, "store"), 1);
    CHECK_EQ_INT(asmb_retrieve_file(c, "share", path, &sk, NULL, &d), 0);
    CHECK_EQ_INT(finish_op(d, "retrieve"), 1);
    CHECK_EQ_INT(sink_io.off, SIZE);
    CHECK(sink_io.same);
    CHECK_EQ_INT(src_io.shrink_at + sink_io.shrink_at, 0); /* the shrink happened */
    fs_credit_stats cs;
    fs_credit_stats_get(fs, &cs);
    CHECK_EQ_INT(cs.violations, 0);
    /* After the shrink: one credit at a time for the rest of the session. */
    fs_credit_stats_reset_max(fs);
    op_slot t[10];
    CHECK_EQ_INT(start_mix(c, t, 10, 400, 30000), 10);
    wait_all(t, 10, 30000);
    CHECK_EQ_INT(count_ok(t, 10), 10);
    report("after shrink", t, 10);
    fs_credit_stats_get(fs, &cs);
    CHECK_EQ_INT(cs.violations, 0);
    CHECK_EQ_INT(cs.max_outstanding, 1);
    free(data);
    close_once(c, &e);
    fs_stop(fs);
}

/* The last reply grants 0 with nothing else outstanding: the client holds no
 * credit and can never send again. A server MUST NOT do that (3.3.1.2): a
 * protocol error that ends the connection, rather than every later
 * operation waiting for its timeout. */
static void test_zero_left(void)
{
    faultsrv *fs = fs_start(it_port());
    fs_credit_window(fs, 1);
    fs_rule_cmd(fs, SMB2_ECHO_CMD, 0, FS_CREDITS, 0);
    conn_events e;
    asmb_conn *c = stingy(fs, &e, 1);
    outcome o[2];
    memset(o, 0, sizeof o);
    echo_into(c, 20000, &o[0]);
    echo_into(c, 20000, &o[1]);
    uint64_t t0 = uv_hrtime();
    CHECK_EQ_INT(run_calls(o, 2, 25000), 2);
    run_until(loop, &e.disconnected, 5000);
    double ms = (double)(uv_hrtime() - t0) / 1e6;
    CHECK_EQ_INT(o[0].ok, 1);
    CHECK_EQ_INT(o[1].calls, 1);
    CHECK_EQ_INT(o[1].f.code, ASMB_EPROTO);
    CHECK(ms < 10000);
    CHECK_EQ_INT(e.disconnected, 1);
    CHECK_EQ_INT(e.disc.code, ASMB_EPROTO);
    if (e.disc.code != ASMB_EPROTO)
        fprintf(stderr, "  zero credits: echo 1 %s %s; disconnected %d %s\n",
                asmb_err_name(o[1].f.code), o[1].msg, e.disconnected, e.disc_msg);
    t_free(loop, c);
    CHECK_EQ_INT(e.disconnected, 1);
    CHECK_EQ_INT(o[1].calls, 1);
    fs_credit_stats st;
    fs_credit_stats_get(fs, &st);
    CHECK_EQ_INT(st.violations, 0);
    fs_stop(fs);
}

int main(void)
{
    loop = uv_default_loop();
    seed_share();
    test_one_credit();
    test_shrink();
    test_default_settings();
    test_shrink_mid_file(0); /* during the retrieve */
    test_shrink_mid_file(1); /* during the store */
    test_zero_left();
    CHECK_EQ_INT(uv_loop_close(loop), 0);
    TEST_DONE();
}
