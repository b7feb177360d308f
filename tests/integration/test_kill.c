/* The server dies mid-transfer: the smbd child serving our connection is
 * SIGKILLed in the middle of a 1 GiB retrieve and in the middle of a store. The
 * operation fails with ASMB_ENOTCONN exactly once, the sink received only
 * valid data in file order, the connection says disconnected once, and a new
 * connection works. (The child's pid comes from smbstatus -p.) */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "itest.h"

static uv_loop_t *loop;

/* A 1 GiB file, killed in its middle; under valgrind (ASMB_TEST_QUICK) 64 MiB. */
static uint64_t SIZE = 1ull << 30, KILL_AT = 512ull << 20;

static uint8_t byte_at(uint64_t i) { return (uint8_t)((i * 2654435761u) >> 11); }

/* The pid of the smbd child serving asmbtest (the newest when several). */
static pid_t serving_pid(void)
{
    const char *conf = getenv("ASMB_TEST_CONF");
    if (!conf) return -1;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "smbstatus --configfile='%s' -p 2>/dev/null", conf);
    FILE *f = popen(cmd, "r");
    if (!f) return -1;
    char line[512];
    long pid = -1;
    while (fgets(line, sizeof line, f)) {
        long p;
        char user[64];
        if (sscanf(line, "%ld %63s", &p, user) == 2 && !strcmp(user, "asmbtest") && p > pid) pid = p;
    }
    pclose(f);
    return (pid_t)pid;
}

typedef struct flow {
    uint64_t pos, bad;
    int killed;
} flow;

static void maybe_kill(flow *x)
{
    if (x->killed || x->pos < KILL_AT) return;
    pid_t p = serving_pid();
    CHECK(p > 0);
    if (p > 0) kill(p, SIGKILL);
    x->killed = 1;
}

static int check_sink(void *arg, const void *data, size_t len)
{
    flow *x = arg;
    for (size_t i = 0; i < len; i++) x->bad += ((const uint8_t *)data)[i] != byte_at(x->pos + i);
    x->pos += len;
    maybe_kill(x);
    return 0;
}

static long gen_source(void *arg, void *buf, size_t len)
{
    flow *x = arg;
    maybe_kill(x);
    size_t n = SIZE - x->pos < len ? (size_t)(SIZE - x->pos) : len;
    for (size_t i = 0; i < n; i++) ((uint8_t *)buf)[i] = byte_at(x->pos + i);
    x->pos += n;
    return (long)n;
}

static asmb_conn *open_conn(conn_events *e)
{
    asmb_config cfg;
    t_config(&cfg);
    asmb_conn *c = t_connect(loop, &cfg, e);
    CHECK_EQ_INT(e->auth_ok, 1);
    return c;
}

static void store_whole(void)
{
    conn_events e;
    asmb_conn *c = open_conn(&e);
    flow x = {0, 0, 1}; /* no kill: the file the retrieve reads */
    asmb_source src = {gen_source, &x, -1};
    asmb_deferred *d;
    outcome o = {0};
    CHECK_EQ_INT(asmb_store_file(c, "share", "kill.bin", &src, NULL, &d), 0);
    asmb_deferred_then(d, t_cb, t_eb, &o);
    run_until(loop, &o.calls, 120000);
    CHECK_EQ_INT(o.ok, 1);
    t_free(loop, c);
}

static void killed(int retrieve)
{
    conn_events e;
    asmb_conn *c = open_conn(&e);
    flow x = {0, 0, 0};
    asmb_sink sink = {check_sink, &x, -1};
    asmb_source src = {gen_source, &x, -1};
    asmb_deferred *d;
    outcome o = {0};
    int rc = retrieve ? asmb_retrieve_file(c, "share", "kill.bin", &sink, NULL, &d)
                      : asmb_store_file(c, "share", "killed-store.bin", &src, NULL, &d);
    CHECK_EQ_INT(rc, 0);
    asmb_deferred_then(d, t_cb, t_eb, &o);
    run_until(loop, &o.calls, 120000);
    run_until(loop, &e.disconnected, 5000);
    uv_run(loop, UV_RUN_NOWAIT);
    CHECK_EQ_INT(x.killed, 1);
    CHECK_EQ_INT(o.calls, 1);
    CHECK_EQ_INT(o.failed, 1);
    CHECK_EQ_INT(o.f.code, ASMB_ENOTCONN);
    if (o.f.code != ASMB_ENOTCONN) fprintf(stderr, "  %s: %s\n", retrieve ? "get" : "put", o.msg);
    CHECK_EQ_INT(e.disconnected, 1);
    CHECK(e.disc.code == ASMB_ECONNRESET);
    if (retrieve) {
        CHECK_EQ_INT(x.bad, 0); /* only valid bytes, in order */
        CHECK(x.pos >= KILL_AT && x.pos < SIZE);
    }
    asmb_deferred *d2;
    CHECK_EQ_INT(asmb_echo(c, NULL, &d2), ASMB_ENOTCONN);
    t_free(loop, c);
    /* A new connection works (smbd forks a new child for it). */
    c = open_conn(&e);
    outcome ok = {0};
    CHECK_EQ_INT(asmb_echo(c, NULL, &d2), 0);
    asmb_deferred_then(d2, t_cb, t_eb, &ok);
    run_until(loop, &ok.calls, 5000);
    CHECK_EQ_INT(ok.ok, 1);
    t_free(loop, c);
}

int main(void)
{
    loop = uv_default_loop();
    if (getenv("ASMB_TEST_QUICK")) SIZE = 64u << 20, KILL_AT = 32u << 20;
    if (!getenv("ASMB_TEST_CONF")) {
        printf("skip: needs ASMB_TEST_CONF (tests/samba/samba.sh run)\n");
        return 77;
    }
    store_whole();
    killed(1);
    killed(0);
    CHECK_EQ_INT(uv_loop_close(loop), 0);
    TEST_DONE();
}
