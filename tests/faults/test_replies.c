/* Replies Samba never sends wrong, broken by tests/faults/faultsrv as a proxy
 * in front of the real Samba (Samba can't be made to send them): out of
 * order, duplicated, with a wrong MessageId or SessionId, granting no
 * credits, after an interim STATUS_PENDING, after the operation timed out,
 * never; a transport header saying 16 MiB, zero, or the largest 24-bit
 * length; a keep-alive or junk instead; a flood of unsolicited messages.
 *
 * One table drives one loop. For each fault: three echos are in flight
 * (echo 0's reply is the one broken); each deferred fires exactly once with
 * the expected outcome; disconnected fires once, with the expected code, when
 * the fault ends the connection and not at all when it survives; a
 * surviving connection still answers an echo; and the client never sent
 * beyond the credits granted (the proxy counts). */
#include <sys/resource.h>

#include "fhelp.h"

enum { N = 3 };

typedef struct reply_fault {
    const char *name;
    fs_action act;
    size_t arg;
    unsigned timeout0_ms; /* echo 0's timeout (the others: 8000) */
    unsigned timeout_ms;  /* the others' timeout, 0 = 8000 */
    int n_ok;             /* echos that succeed: the first n_ok ... */
    int fail_code;        /* ... the rest fail with this */
    int first_fails;      /* ... except that echo 0 fails, the others succeed */
    int disc_code;        /* 0: the connection survives */
    int dead_air;         /* it survives, but nothing more comes from the server */
    const char *why;
} reply_fault;

static const reply_fault faults[] = {
    {"out of order", FS_SWAP, 0, 8000, 0, N, 0, 0, 0, 0,
     "replies are matched by MessageId (MS-SMB2 3.2.5.1.2), in any order"},
    {"duplicated reply", FS_DUP, 1, 8000, 0, 1, ASMB_EPROTO, 0, ASMB_EPROTO, 0,
     "the copy answers a MessageId that is no longer outstanding: as an unknown id"},
    {"5000 duplicates", FS_DUP, 5000, 8000, 0, 1, ASMB_EPROTO, 0, ASMB_EPROTO, 0,
     "the first copy ends the connection; the rest is never read"},
    {"unknown message id", FS_CORRUPT, 30, 8000, 0, 0, ASMB_EPROTO, 0, ASMB_EPROTO, 0,
     "3.2.5.1.2 says discard; the engine fails the connection (a server that lies about ids "
     "can't be trusted with the next reply either)"},
    {"wrong session id", FS_SESSION, 0x10000, 8000, 0, 0, ASMB_EPROTO, 0, ASMB_EPROTO, 0,
     "one session per connection: a reply for another session is not ours (3.2.5.1.3 "
     "discards one whose session is unknown); a protocol error like an unknown id"},
    {"reply grants 0 credits", FS_CREDITS, 0, 8000, 0, N, 0, 0, 0, 0,
     "legal while the client holds other credits (3.2.5.1.4)"},
    {"interim STATUS_PENDING, then the reply", FS_INTERIM, 0, 8000, 0, N, 0, 0, 0, 0,
     "3.2.5.1.5: the interim only records the AsyncId"},
    {"interim, the reply 300 ms later", FS_INTERIM, 300, 8000, 0, N, 0, 0, 0, 0,
     "the request stays outstanding across the interim"},
    {"reply after the timeout", FS_DELAY, 400, 100, 0, 0, ASMB_ETIMEDOUT, 1, 0, 0,
     "the timed-out id stays accounted; its late reply is dropped, not a protocol error"},
    {"no reply ever (stall)", FS_STALL, 0, 250, 250, 0, ASMB_ETIMEDOUT, 0, 0, 1,
     "each operation times out; the connection is left to the caller"},
    {"length 16 MiB (type byte 1)", FS_HEADER, 0x01000000, 8000, 0, 0, ASMB_EPROTO, 0,
     ASMB_EPROTO, 0, "direct TCP has a 24-bit length and type 0 (MS-SMB2 2.1)"},
    {"zero-length frame", FS_HEADER, 0, 8000, 0, 0, ASMB_EPROTO, 0, ASMB_EPROTO, 0,
     "no SMB2 message is shorter than its 64-byte header"},
    {"largest 24-bit length, body never sent", FS_HEADER, 0x00FFFFFF, 250, 250, 0,
     ASMB_ETIMEDOUT, 0, 0, 1, "the client waits for the frame (16 MiB at most) and times out"},
    {"keep-alive instead of the reply", FS_HEADER, 0x85000000, 250, 250, 0, ASMB_ETIMEDOUT, 0,
     0, 1, "a NetBIOS keep-alive (RFC 1002 4.3.7) is ignored, not an error"},
    {"junk frame", FS_GARBAGE, 100, 8000, 0, 0, ASMB_EPROTO, 0, ASMB_EPROTO, 0,
     "not an SMB2 message"},
    {"200 unsolicited oplock breaks first", FS_FLOOD, 200, 8000, 0, N, 0, 0, 0, 0,
     "MessageId 0xFFFFFFFFFFFFFFFF: a notification (3.2.5.19), dropped as no oplock was asked"},
};

static void check_fault(const reply_fault *f)
{
    faultsrv *fs = fs_start(it_port());
    fs_rule_cmd(fs, SMB2_ECHO_CMD, 0, f->act, f->arg);
    conn_events e;
    asmb_conn *c = proxied_unsigned(fs, &e);
    outcome o[N];
    memset(o, 0, sizeof o);
    echo_into(c, f->timeout0_ms, &o[0]);
    for (int i = 1; i < N; i++) echo_into(c, f->timeout_ms ? f->timeout_ms : 8000, &o[i]);
    CHECK_EQ_INT(run_calls(o, N, 15000), N);
    uv_run(loop, UV_RUN_NOWAIT);
    if (f->disc_code) run_until(loop, &e.disconnected, 5000);

    int once = 1, ok = 0, right_fail = 0;
    for (int i = 0; i < N; i++) {
        once &= o[i].calls == 1;
        int want_ok = f->first_fails ? i > 0 : i < f->n_ok;
        if (want_ok) ok += o[i].ok == 1;
        else right_fail += o[i].failed == 1 && o[i].f.code == f->fail_code;
    }
    int want_ok = f->first_fails ? N - 1 : f->n_ok;
    CHECK(once);
    CHECK_EQ_INT(ok, want_ok);
    CHECK_EQ_INT(right_fail, N - want_ok);
    CHECK(fs_hits(fs) >= 1); /* the fault really happened */
    CHECK_EQ_INT(e.disconnected, f->disc_code ? 1 : 0);
    if (f->disc_code) CHECK_EQ_INT(e.disc.code, f->disc_code);
    if (f->act == FS_SWAP) CHECK(o[1].order < o[0].order); /* really out of order */
    if (!f->disc_code && !f->dead_air) { /* still works, and the late reply went nowhere */
        outcome after = {0};
        echo_into(c, 8000, &after);
        run_until(loop, &after.calls, 10000);
        CHECK_EQ_INT(after.ok, 1);
        CHECK_EQ_INT(e.disconnected, 0);
    }
    if (ok != want_ok || right_fail != N - want_ok || e.disconnected != (f->disc_code ? 1 : 0)) {
        fprintf(stderr, "  fault '%s' (%s):\n", f->name, f->why);
        for (int i = 0; i < N; i++)
            fprintf(stderr, "    echo %d: calls %d ok %d %s %s\n", i, o[i].calls, o[i].ok,
                    o[i].failed ? asmb_err_name(o[i].f.code) : "", o[i].msg);
        fprintf(stderr, "    disconnected %d %s: %s\n", e.disconnected,
                e.disconnected ? asmb_err_name(e.disc.code) : "", e.disc_msg);
    }
    for (int i = 0; i < N; i++) CHECK_EQ_INT(o[i].calls, 1); /* nothing fired twice later */
    if (!f->disc_code) { /* the caller ends it: disconnected, now, once */
        asmb_conn_close(c);
        run_until(loop, &e.disconnected, 10000);
        CHECK_EQ_INT(e.disc.code, ASMB_ECLOSED);
    }
    t_free(loop, c);
    CHECK_EQ_INT(e.disconnected, 1);
    fs_credit_stats st;
    fs_credit_stats_get(fs, &st);
    CHECK_EQ_INT(st.violations, 0);
    CHECK(st.requests >= 3); /* the proxy did see the requests (auth at least) */
    fs_stop(fs);
}

/* Peak resident size so far, in KiB (Linux: ru_maxrss). */
static long peak_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Memory stays bounded under a flood the engine accepts: thousands of 64 KiB
 * unsolicited oplock breaks, each followed by a keep-alive (the client must
 * drop them, not queue them), and under a flood it refuses (duplicates: the
 * first one ends the connection). The peak resident size of the whole
 * process may grow by far less than the flood. Runs first, before other tests
 * raise the peak. */
static void test_flood_memory(void)
{
    long units = quick() ? 400 : 3000; /* 25 MiB or 188 MiB */
    long bound_kib = quick() ? 64 * 1024 : 48 * 1024;
    faultsrv *fs = fs_start(it_port());
    fs_rule_cmd(fs, SMB2_ECHO_CMD, 0, FS_FLOOD, (size_t)units);
    conn_events e;
    asmb_conn *c = proxied_unsigned(fs, &e);
    long before = peak_kib();
    outcome o[N];
    memset(o, 0, sizeof o);
    for (int i = 0; i < N; i++) echo_into(c, 60000, &o[i]);
    CHECK_EQ_INT(run_calls(o, N, 90000), N);
    long grew = peak_kib() - before;
    for (int i = 0; i < N; i++) CHECK_EQ_INT(o[i].ok, 1);
    CHECK_EQ_INT(e.disconnected, 0);
    CHECK(grew < bound_kib);
    fprintf(stderr, "  flood of %ld x 64 KiB oplock breaks: peak RSS grew %ld KiB\n", units, grew);
    t_free(loop, c);
    fs_stop(fs);

    fs = fs_start(it_port());
    fs_rule_cmd(fs, SMB2_ECHO_CMD, 0, FS_DUP, 20000);
    c = proxied_unsigned(fs, &e);
    before = peak_kib();
    outcome d = {0};
    echo_into(c, 8000, &d);
    run_until(loop, &e.disconnected, 10000);
    CHECK_EQ_INT(e.disc.code, ASMB_EPROTO);
    CHECK_EQ_INT(d.calls, 1);
    CHECK(peak_kib() - before < bound_kib);
    t_free(loop, c);
    CHECK_EQ_INT(e.disconnected, 1);
    fs_stop(fs);
}

int main(void)
{
    loop = uv_default_loop();
    test_flood_memory();
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        int before = t_fail;
        check_fault(&faults[i]);
        fprintf(stderr, "%s: %s\n", t_fail == before ? "ok  " : "FAIL", faults[i].name);
    }
    CHECK_EQ_INT(uv_loop_close(loop), 0);
    TEST_DONE();
}
