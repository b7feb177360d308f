/* libuv glue for the engine: a page of callbacks, no protocol logic. */
#include "uv_transport.h"

#include <stdio.h>
#include <string.h>

#include "../mem.h"
#include "connect.h"

#define SHUTDOWN_GRACE_MS 2000 /* a peer that stops reading can't hold a close */

typedef struct uvt {
    asmb_conn *c;
    uv_loop_t *loop;
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_idle_t idle;
    uv_getaddrinfo_t gai;
    uv_connect_t connect_req;
    uv_shutdown_t shutdown_req;
    struct addrinfo *ai, *ai_next;
    int tcp_inited, connected, resolving, shutting, socket_closed, released, open_handles;
    int port;
    int write_err; /* a write that could not start: the connection ends from the loop */
    char err[160];
    int err_code; /* the library code of err (asmb__sock_code) */
} uvt;

typedef struct wreq {
    uv_write_t req;
    asmb_frame *frames;
} wreq;

static uvt *T(asmb_conn *c) { return c->tp_data; }

static void set_time(uvt *t)
{
    uv_update_time(t->loop);
    uv_timeval64_t tv;
    uint64_t unix_ms = uv_gettimeofday(&tv) == 0
                           ? (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u
                           : 0;
    asmb__eng_set_time(t->c, uv_now(t->loop), unix_ms);
}

static void after_event(uvt *t)
{
    asmb__conn_dispatch(t->c);
}

/* ---- teardown ---- */

static void handle_closed(uv_handle_t *h)
{
    uvt *t = h->data;
    if (--t->open_handles) return;
    asmb_conn *c = t->c;
    c->tp = NULL;
    c->tp_data = NULL;
    if (t->ai) uv_freeaddrinfo(t->ai); /* closed while still trying addresses */
    asmb__free(t);
    asmb__conn_unref(c); /* the transport's reference */
}

static void maybe_finish(uvt *t)
{
    if (!t->released || !t->socket_closed || t->open_handles != 2) return;
    uv_close((uv_handle_t *)&t->timer, handle_closed);
    uv_close((uv_handle_t *)&t->idle, handle_closed);
}

static void tcp_closed(uv_handle_t *h)
{
    uvt *t = h->data;
    t->tcp_inited = 0;
    t->socket_closed = 1;
    /* The grace period is over once the socket is: an armed timer would keep
     * the caller's uv_run going for nothing. */
    if (t->shutting) uv_timer_stop(&t->timer);
    maybe_finish(t);
}

static void close_tcp(uvt *t)
{
    if (t->tcp_inited && !uv_is_closing((uv_handle_t *)&t->tcp))
        uv_close((uv_handle_t *)&t->tcp, tcp_closed);
    else if (!t->tcp_inited && !t->resolving)
        t->socket_closed = 1;
}

static void tp_release(asmb_conn *c)
{
    uvt *t = T(c);
    if (t->released) return;
    t->released = 1;
    if (!t->shutting) close_tcp(t); /* never connected, or already failed */
    maybe_finish(t);
}

/* ---- writing ---- */

static void write_done(uv_write_t *req, int status)
{
    wreq *w = (wreq *)req;
    uvt *t = req->data;
    while (w->frames) {
        asmb_frame *n = w->frames->next;
        asmb__frame_release(t->c, w->frames);
        w->frames = n;
    }
    asmb__free(w);
    if (status < 0 && status != UV_ECANCELED && !t->shutting) {
        set_time(t);
        /* The peer went away: the same end as reading EOF, whichever we see first. */
        int gone = status == UV_EPIPE || status == UV_ECONNRESET;
        asmb__conn_fail(t->c, gone ? ASMB_ECONNRESET : ASMB_EIO, 0, "%s: %s",
                        gone ? "connection closed by the peer" : "write failed",
                        uv_strerror(status));
        after_event(t);
    }
}

static int flush(uvt *t)
{
    asmb_frame *f = asmb__eng_take_output(t->c);
    if (!f) return 0;
    unsigned n = 0;
    for (asmb_frame *p = f; p; p = p->next) n++;
    uv_buf_t small[16], *bufs = n <= 16 ? small : asmb__malloc(n * sizeof *bufs);
    wreq *w = asmb__malloc(sizeof *w);
    if (!bufs || !w) {
        if (bufs != small) asmb__free(bufs);
        asmb__free(w);
        while (f) {
            asmb_frame *next = f->next;
            asmb__frame_free(f);
            f = next;
        }
        return UV_ENOMEM;
    }
    unsigned i = 0;
    for (asmb_frame *p = f; p; p = p->next) bufs[i++] = uv_buf_init((char *)p->data + p->off, (unsigned)(p->len - p->off));
    w->frames = f;
    w->req.data = t;
    int rc = uv_write(&w->req, (uv_stream_t *)&t->tcp, bufs, n, write_done);
    if (bufs != small) asmb__free(bufs);
    if (rc) write_done(&w->req, UV_ECANCELED);
    return rc;
}

static void tp_schedule(asmb_conn *c);

static void tp_want_write(asmb_conn *c)
{
    uvt *t = T(c);
    if (!t->connected || t->shutting) return; /* shutdown flushes what is left */
    if (t->write_err) return; /* frames after a lost one must not go */
    int rc = flush(t);
    if (rc) { /* not here: the engine is in the middle of sending */
        t->write_err = rc;
        tp_schedule(c);
    }
}

/* ---- timer and idle ---- */

static void timer_fired(uv_timer_t *h)
{
    uvt *t = h->data;
    set_time(t);
    if (t->shutting) { /* the grace period ended */
        close_tcp(t);
        return;
    }
    asmb__eng_tick(t->c);
    after_event(t);
}

static void tp_rearm(asmb_conn *c)
{
    uvt *t = T(c);
    if (t->shutting) return;
    uint64_t d = asmb__eng_deadline(c);
    if (!d) {
        uv_timer_stop(&t->timer);
        return;
    }
    uv_timer_start(&t->timer, timer_fired, d > c->now ? d - c->now : 0, 0);
}

static void idle_run(uv_idle_t *h)
{
    uvt *t = h->data;
    set_time(t);
    asmb_conn *c = t->c;
    asmb__conn_ref(c); /* dispatch may release the transport */
    uv_idle_stop(h);
    int rc = t->write_err;
    if (rc && !t->shutting)
        asmb__conn_fail(c, rc == UV_ENOMEM ? ASMB_ENOMEM
                           : rc == UV_EPIPE || rc == UV_ECONNRESET ? ASMB_ECONNRESET : ASMB_EIO,
                        0, "write failed: %s", uv_strerror(rc));
    asmb__conn_dispatch(c);
    asmb__conn_unref(c);
}

static void tp_schedule(asmb_conn *c)
{
    uvt *t = T(c);
    if (!uv_is_active((uv_handle_t *)&t->idle)) uv_idle_start(&t->idle, idle_run);
}

/* ---- shutdown ---- */

static void shutdown_done(uv_shutdown_t *req, int status)
{
    (void)status;
    close_tcp(req->data);
}

static void tp_shutdown(asmb_conn *c)
{
    uvt *t = T(c);
    if (t->shutting) return;
    if (t->resolving) uv_cancel((uv_req_t *)&t->gai);
    if (t->connected) {
        t->connected = 0;
        if (!t->write_err) flush(t); /* LOGOFF and TREE_DISCONNECT, if the caller closed */
        uv_read_stop((uv_stream_t *)&t->tcp);
        t->shutdown_req.data = t;
        if (uv_shutdown(&t->shutdown_req, (uv_stream_t *)&t->tcp, shutdown_done)) close_tcp(t);
        else uv_timer_start(&t->timer, timer_fired, SHUTDOWN_GRACE_MS, 0);
    } else {
        close_tcp(t); /* connecting: the connect callback sees ECANCELED */
    }
    t->shutting = 1;
}

static void tp_clock(asmb_conn *c) { set_time(T(c)); }


/* ---- reading ---- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    uvt *t = h->data;
    size_t len = 0;
    uint8_t *p = asmb__eng_rx_space(t->c, &len);
    *buf = uv_buf_init((char *)p, p ? (unsigned)(len > 0x7FFFFFFF ? 0x7FFFFFFF : len) : 0);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    uvt *t = s->data;
    asmb_conn *c = t->c;
    set_time(t);
    if (n > 0) {
        asmb__eng_rx_done(c, (size_t)n);
    } else if (n == 0) {
        asmb__eng_rx_unused(c); /* EAGAIN: nothing more to read for now */
    } else if (n == UV_EOF) {
        asmb__conn_fail(c, ASMB_ECONNRESET, 0, "connection closed by the server");
    } else if (n == UV_ENOBUFS) {
        asmb__conn_fail(c, ASMB_ENOMEM, 0, "out of memory for a received frame");
    } else if (n < 0) {
        asmb__conn_fail(c, ASMB_ECONNRESET, 0, "connection lost: %s", uv_strerror((int)n));
    }
    if (n < 0) asmb__eng_rx_unused(c); /* ended: a dead connection holds no buffer */
    after_event(t);
}

/* ---- connecting ---- */

static void try_next(uvt *t);

static void retry_closed(uv_handle_t *h)
{
    uvt *t = h->data;
    t->tcp_inited = 0;
    if (t->shutting) {
        t->socket_closed = 1;
        maybe_finish(t);
        return;
    }
    try_next(t);
}

static void on_connect(uv_connect_t *req, int status)
{
    uvt *t = req->data;
    asmb_conn *c = t->c;
    set_time(t);
    if (status == UV_ECANCELED || t->shutting) return;
    if (status < 0) {
        asmb__sock_error(t->err, sizeof t->err, -status, uv_strerror(status));
        t->err_code = asmb__sock_code(-status);
        uv_close((uv_handle_t *)&t->tcp, retry_closed); /* next address */
        return;
    }
    uv_freeaddrinfo(t->ai);
    t->ai = t->ai_next = NULL;
    t->connected = 1;
    uv_tcp_nodelay(&t->tcp, 1);
    int rc = uv_read_start((uv_stream_t *)&t->tcp, on_alloc, on_read);
    if (rc)
        asmb__conn_fail(c, ASMB_EIO, 0, "cannot read from the socket: %s", uv_strerror(rc));
    else
        asmb__eng_start(c);
    after_event(t);
}

static void try_next(uvt *t)
{
    asmb_conn *c = t->c;
    while (t->ai_next) {
        struct addrinfo *a = t->ai_next;
        t->ai_next = a->ai_next;
        if (uv_tcp_init(t->loop, &t->tcp)) continue;
        t->tcp.data = t;
        t->tcp_inited = 1;
        t->connect_req.data = t;
        /* The socket is made here: UV_EMFILE/UV_ENFILE when descriptors ran out. */
        int rc = uv_tcp_connect(&t->connect_req, &t->tcp, a->ai_addr, on_connect);
        if (rc == 0) return;
        asmb__sock_error(t->err, sizeof t->err, -rc, uv_strerror(rc));
        t->err_code = asmb__sock_code(-rc);
        uv_close((uv_handle_t *)&t->tcp, retry_closed);
        return;
    }
    uv_freeaddrinfo(t->ai);
    t->ai = NULL;
    asmb__connect_failed(c, t->port, t->err, t->err_code);
    after_event(t);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    uvt *t = req->data;
    asmb_conn *c = t->c;
    t->resolving = 0;
    set_time(t);
    if (t->shutting) {
        uv_freeaddrinfo(res);
        t->socket_closed = 1;
        maybe_finish(t);
        return;
    }
    if (status == UV_EMFILE || status == UV_ENFILE || status == UV_ENOMEM ||
        status == UV_EAI_MEMORY) { /* the resolver ran out, not the name */
        char why[160];
        asmb__sock_error(why, sizeof why, status == UV_EAI_MEMORY ? ENOMEM : -status,
                         uv_strerror(status));
        asmb__conn_fail(c, status == UV_EMFILE || status == UV_ENFILE ? ASMB_EMFILE : ASMB_ENOMEM,
                        0, "resolving '%s': %s", c->host, why);
        after_event(t);
        return;
    }
    if (status < 0) {
        asmb__conn_fail(c, ASMB_ERESOLVE, 0, "cannot resolve '%s': %s", c->host,
                        uv_strerror(status));
        after_event(t);
        return;
    }
    t->ai = t->ai_next = res;
    try_next(t);
}

static int tp_connect(asmb_conn *c, const char *host, int port)
{
    uvt *t = T(c);
    char service[8];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = asmb__tcp_hints();
    t->port = port;
    t->gai.data = t;
    set_time(t);
    int rc = uv_getaddrinfo(t->loop, &t->gai, on_resolved, host, service, &hints);
    if (rc) return rc == UV_ENOMEM ? ASMB_ENOMEM : ASMB_EINVAL;
    t->resolving = 1;
    t->socket_closed = 0;
    return 0;
}

static const asmb_transport_ops uv_ops = {tp_want_write, tp_rearm,   tp_schedule, tp_shutdown,
                                          tp_clock,      tp_connect, tp_release,  NULL};

int asmb__uv_attach(asmb_conn *c, uv_loop_t *loop)
{
    uvt *t = asmb__calloc(1, sizeof *t);
    if (!t) return ASMB_ENOMEM;
    t->c = c;
    t->loop = loop;
    t->socket_closed = 1;
    uv_timer_init(loop, &t->timer);
    uv_idle_init(loop, &t->idle);
    t->timer.data = t->idle.data = t;
    t->open_handles = 2;
    c->tp = &uv_ops;
    c->tp_data = t;
    asmb__conn_ref(c);
    set_time(t);
    return 0;
}

ASMB_API asmb_conn *asmb_conn_new(uv_loop_t *loop, const asmb_config *cfg,
                                  const asmb_handlers *handlers, void *arg)
{
    if (!loop) return NULL;
    asmb_conn *c = asmb__conn_create(cfg, handlers, arg);
    if (c && asmb__uv_attach(c, loop)) {
        asmb__conn_destroy(c);
        return NULL;
    }
    return c;
}
