/* Helpers for tests that drive real connections on a libuv loop. Server
 * details come from the environment that tests/samba/samba.sh run sets:
 * ASMB_TEST_HOST, ASMB_TEST_PORT, ASMB_TEST_USER, ASMB_TEST_PASS. */
#ifndef ASMB_ITEST_H
#define ASMB_ITEST_H
#include <asmb/asmb_uv.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

/* As any libuv program must (asmb.h says so): a peer that closes while we
 * write would otherwise kill the test with SIGPIPE, silently. */
__attribute__((constructor)) static void t_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

typedef struct conn_events {
    int auth_ok, auth_failed, disconnected;
    asmb_failure auth_fail, disc; /* copies; messages copied below */
    char auth_msg[256], disc_msg[256];
    int free_in_callback; /* asmb_conn_free from the disconnected handler */
    int free_on_auth; /* ... from auth_ok */
} conn_events;

static void ev_auth_ok(asmb_conn *c, void *arg)
{
    conn_events *e = arg;
    e->auth_ok++;
    if (e->free_on_auth) asmb_conn_free(c);
}
static void ev_auth_failed(asmb_conn *c, const asmb_failure *f, void *arg)
{
    (void)c;
    conn_events *e = arg;
    e->auth_failed++;
    e->auth_fail = *f;
    snprintf(e->auth_msg, sizeof e->auth_msg, "%s", f->message);
}
static void ev_disconnected(asmb_conn *c, const asmb_failure *f, void *arg)
{
    conn_events *e = arg;
    e->disconnected++;
    e->disc = *f;
    snprintf(e->disc_msg, sizeof e->disc_msg, "%s", f->message);
    if (e->free_in_callback) asmb_conn_free(c);
}
static const asmb_handlers test_handlers = {ev_auth_ok, ev_auth_failed, ev_disconnected};

static inline const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}
static inline const char *it_host(void) { return env_or("ASMB_TEST_HOST", "127.0.0.1"); }
static inline int it_port(void) { return atoi(env_or("ASMB_TEST_PORT", "445")); }
static inline const char *it_user(void) { return env_or("ASMB_TEST_USER", "asmbtest"); }
static inline const char *it_pass(void) { return env_or("ASMB_TEST_PASS", "asmbpass"); }

static inline void t_config(asmb_config *cfg)
{
    asmb_config_init(cfg);
    cfg->username = it_user();
    cfg->password = it_pass();
}

/* Runs the loop until *flag is non-zero or ms pass; returns *flag. */
static uv_timer_t t_guard;
static int t_guard_fired;
static void t_guard_cb(uv_timer_t *h)
{
    (void)h;
    t_guard_fired = 1;
}
static inline int run_until(uv_loop_t *loop, const int *flag, unsigned ms)
{
    t_guard_fired = 0;
    uv_timer_init(loop, &t_guard);
    uv_timer_start(&t_guard, t_guard_cb, ms, 0);
    while (!*flag && !t_guard_fired) uv_run(loop, UV_RUN_ONCE);
    uv_timer_stop(&t_guard);
    uv_close((uv_handle_t *)&t_guard, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return *flag;
}

/* Connects with cfg; returns the connection once auth ended either way. */
static inline asmb_conn *t_connect(uv_loop_t *loop, const asmb_config *cfg, conn_events *e)
{
    memset(e, 0, sizeof *e);
    asmb_conn *c = asmb_conn_new(loop, cfg, &test_handlers, e);
    if (!c) return NULL;
    if (asmb_conn_connect(c, it_host(), it_port()) != 0) {
        asmb_conn_free(c);
        return NULL;
    }
    int done = 0;
    t_guard_fired = 0;
    uv_timer_init(loop, &t_guard);
    uv_timer_start(&t_guard, t_guard_cb, 15000, 0);
    while (!(e->auth_ok || e->auth_failed || e->disconnected) && !t_guard_fired)
        uv_run(loop, UV_RUN_ONCE);
    uv_timer_stop(&t_guard);
    uv_close((uv_handle_t *)&t_guard, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    (void)done;
    return c;
}

/* Frees c and lets the loop close its handles; checks the loop is clean. */
static inline void t_free(uv_loop_t *loop, asmb_conn *c)
{
    asmb_conn_free(c);
    uv_run(loop, UV_RUN_DEFAULT);
}

/* A deferred's outcome, recorded by t_cb/t_eb. */
typedef struct outcome {
    int ok, failed, calls;
    asmb_failure f;
    char msg[256];
    const void *result;
    int order; /* set from a shared counter */
} outcome;
static int t_order_counter;
static void t_cb(asmb_deferred *d, const void *r, void *arg)
{
    (void)d;
    outcome *o = arg;
    o->ok++;
    o->calls++;
    o->result = r;
    o->order = ++t_order_counter;
}
static void t_eb(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)d;
    outcome *o = arg;
    o->failed++;
    o->calls++;
    o->f = *f;
    snprintf(o->msg, sizeof o->msg, "%s", f->message);
    o->f.message = o->msg;
    o->order = ++t_order_counter;
}

/* One operation's outcome with its call's return code and its deferred (the
 * tests that read results keep a reference until they are done). */
typedef struct res {
    int rc; /* what the call returned */
    int ok, failed, calls;
    asmb_failure f;
    char msg[256];
    asmb_deferred *d;
} res;

static inline void res_cb(asmb_deferred *d, const void *r, void *arg)
{
    (void)d;
    (void)r;
    res *x = arg;
    x->ok++;
    x->calls++;
}
static inline void res_eb(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)d;
    res *x = arg;
    x->failed++;
    x->calls++;
    x->f = *f;
    snprintf(x->msg, sizeof x->msg, "%s", f->message ? f->message : "");
    x->f.message = x->msg;
}

/* Starts x on a call's outcome: rc is what the call returned, *dp the deferred
 * it made (read here, after the call); the deferred is kept until res_free. */
static inline void res_start(res *x, int rc, asmb_deferred **dp)
{
    memset(x, 0, sizeof *x);
    x->rc = rc;
    if (rc) {
        snprintf(x->msg, sizeof x->msg, "returned %s", asmb_err_name(rc));
        return;
    }
    x->d = *dp;
    asmb_deferred_ref(x->d);
    asmb_deferred_then(x->d, res_cb, res_eb, x);
}
/* Runs the loop until x fires (or ms pass); its result, or NULL when it failed. */
static inline const void *res_wait(uv_loop_t *loop, res *x, unsigned ms)
{
    if (x->rc || !x->d) return NULL;
    if (!run_until(loop, &x->calls, ms)) {
        snprintf(x->msg, sizeof x->msg, "no outcome within %u ms", ms);
        fprintf(stderr, "  %s\n", x->msg);
    }
    return x->ok ? asmb_deferred_result(x->d) : NULL;
}
/* res_start then res_wait for up to a minute. */
static inline const void *res_run(uv_loop_t *loop, res *x, int rc, asmb_deferred **dp)
{
    res_start(x, rc, dp);
    return res_wait(loop, x, 60000);
}
/* Drops the deferred res_start kept (its result is gone afterwards). */
static inline void res_free(res *x)
{
    if (x->d) asmb_deferred_unref(x->d);
    x->d = NULL;
}

/* Runs the loop for ms (timers and replies go on meanwhile). */
static inline void t_pause(uv_loop_t *loop, unsigned ms)
{
    int never = 0;
    run_until(loop, &never, ms);
}

/* Frees a second connection while another stays on the loop (t_free would
 * wait for every handle, the other connection's included). */
static inline void t_free_side(uv_loop_t *loop, asmb_conn *c)
{
    asmb_conn_free(c);
    t_pause(loop, 200);
}

/* t_connect that checks the connection exists and authenticated. */
static inline asmb_conn *t_connect_ok(uv_loop_t *loop, const asmb_config *cfg, conn_events *e)
{
    asmb_conn *c = t_connect(loop, cfg, e);
    CHECK(c != NULL);
    CHECK_EQ_INT(e->auth_ok, 1);
    if (!e->auth_ok) fprintf(stderr, "  auth: %s\n", e->auth_msg);
    return c;
}

/* t_connect_ok with the dialects limited to min..max. */
static inline asmb_conn *t_connect_at(uv_loop_t *loop, uint16_t min, uint16_t max, conn_events *e)
{
    asmb_config cfg;
    t_config(&cfg);
    cfg.min_dialect = min;
    cfg.max_dialect = max;
    return t_connect_ok(loop, &cfg, e);
}

/* Bytes a sink took, kept in memory (grown as needed); refuse: the sink says no. */
typedef struct membuf {
    uint8_t *p;
    size_t len, cap;
    int calls;
    int refuse;
} membuf;
/* The membuf sink (asmb_sink.write with arg a membuf). */
static inline int mem_write(void *arg, const void *data, size_t len)
{
    membuf *m = arg;
    m->calls++;
    if (m->refuse) return -1;
    if (m->len + len > m->cap) {
        size_t cap = m->cap ? m->cap : 4096;
        while (cap < m->len + len)
            cap *= 2;
        uint8_t *p = realloc(m->p, cap);
        if (!p) return -1;
        m->p = p;
        m->cap = cap;
    }
    memcpy(m->p + m->len, data, len);
    m->len += len;
    return 0;
}
/* Frees what a membuf holds and empties it. */
static inline void membuf_free(membuf *m)
{
    free(m->p);
    memset(m, 0, sizeof *m);
}

/* Bytes a source gives, from memory: p[pos..len). */
typedef struct memsrc {
    const uint8_t *p;
    size_t len, pos;
} memsrc;
/* The memsrc source (asmb_source.read with arg a memsrc). */
static inline long mem_read(void *arg, void *buf, size_t len)
{
    memsrc *s = arg;
    size_t n = s->len - s->pos < len ? s->len - s->pos : len;
    if (n) memcpy(buf, s->p + s->pos, n);
    s->pos += n;
    return (long)n;
}
#endif
