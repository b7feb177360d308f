/* The generic event-loop adapter (asmb_fd.h): a non-blocking socket that the
 * caller's loop waits on, and a service call that moves bytes between it
 * and the engine, fires deadlines and delivers callbacks. No protocol logic. */
#include "asmb/asmb_fd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "../core/conn.h"
#include "../mem.h"
#include "connect.h"

#define SHUTDOWN_GRACE_MS 2000 /* a peer that stops reading can't hold a close */
#define READS_PER_SERVICE 32   /* a flooding peer can't keep service from returning */
#define IOV_MAX_FRAMES 64

typedef struct fdt {
    asmb_conn *c;
    int fd;
    int connecting; /* non-blocking connect in progress */
    int shutting;
    uint64_t grace_deadline;
    struct addrinfo *ai, *ai_next;
    int port;
    asmb_frame *wq_head, *wq_tail; /* frames taken from the engine, being written */
    char err[160];
    int err_code; /* the library code of err (asmb__sock_code) */
} fdt;

static const asmb_transport_ops fd_ops;

static fdt *F(const asmb_conn *c)
{
    return c && c->tp == &fd_ops ? c->tp_data : NULL;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void tp_clock(asmb_conn *c)
{
    struct timeval tv;
    uint64_t unix_ms =
        gettimeofday(&tv, NULL) == 0 ? (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u : 0;
    asmb__eng_set_time(c, mono_ms(), unix_ms);
}

static void free_frames(asmb_conn *c, asmb_frame *f)
{
    while (f) {
        asmb_frame *n = f->next;
        asmb__frame_release(c, f);
        f = n;
    }
}

static void close_socket(fdt *t)
{
    if (t->fd >= 0) close(t->fd);
    t->fd = -1;
    t->connecting = 0;
    free_frames(t->c, t->wq_head);
    t->wq_head = t->wq_tail = NULL;
}

/* ---- connecting ---- */

/* Starts a non-blocking connect to the next address; fails the connection
 * when none is left. The outcome is seen as writability in service. */
static void try_next(fdt *t)
{
    asmb_conn *c = t->c;
    while (t->ai_next) {
        struct addrinfo *a = t->ai_next;
        t->ai_next = a->ai_next;
        int fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
        if (fd < 0) {
            int e = errno;
            asmb__sock_error(t->err, sizeof t->err, e, strerror(e));
            t->err_code = asmb__sock_code(e);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) {
            t->fd = fd;
            t->connecting = 1;
            return;
        }
        int e = errno;
        asmb__sock_error(t->err, sizeof t->err, e, strerror(e));
        t->err_code = asmb__sock_code(e);
        close(fd);
    }
    freeaddrinfo(t->ai);
    t->ai = NULL;
    asmb__connect_failed(c, t->port, t->err, t->err_code);
}

static int tp_connect(asmb_conn *c, const char *host, int port)
{
    fdt *t = c->tp_data;
    char service[8];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = asmb__tcp_hints();
    t->port = port;
    /* Blocking for names (documented); literals resolve without a lookup. */
    int rc = getaddrinfo(host, service, &hints, &t->ai);
    if (rc == EAI_MEMORY) return ASMB_ENOMEM;
    if (rc) {
        t->ai = NULL;
        /* Reported like the libuv transport's: disconnected, from service. */
        snprintf(t->err, sizeof t->err, "%s", gai_strerror(rc));
        return 0;
    }
    t->ai_next = t->ai;
    return 0;
}

/* The first service after connect: what tp_connect could only note. */
static void connect_step(fdt *t, int revents)
{
    asmb_conn *c = t->c;
    if (!t->ai && t->fd < 0) {
        asmb__conn_fail(c, ASMB_ERESOLVE, 0, "cannot resolve '%s': %s", c->host, t->err);
        return;
    }
    if (t->fd < 0) {
        try_next(t);
        return;
    }
    if (!(revents & (ASMB_FD_WRITE | ASMB_FD_READ))) return;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err == EINPROGRESS || err == EALREADY) return;
    if (err) {
        asmb__sock_error(t->err, sizeof t->err, err, strerror(err));
        t->err_code = asmb__sock_code(err);
        close(t->fd);
        t->fd = -1;
        t->connecting = 0;
        try_next(t);
        return;
    }
    t->connecting = 0;
    freeaddrinfo(t->ai);
    t->ai = t->ai_next = NULL;
    asmb__eng_start(c);
}

/* ---- reading and writing ---- */

static void read_some(fdt *t)
{
    asmb_conn *c = t->c;
    for (int i = 0; i < READS_PER_SERVICE && t->fd >= 0 && !t->shutting; i++) {
        size_t len = 0;
        uint8_t *p = asmb__eng_rx_space(c, &len);
        if (!p) {
            asmb__conn_fail(c, ASMB_ENOMEM, 0, "out of memory for a received frame");
            return;
        }
        ssize_t n = recv(t->fd, p, len, MSG_DONTWAIT);
        if (n > 0) {
            asmb__eng_rx_done(c, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            asmb__eng_rx_unused(c); /* nothing more to read for now */
            return;
        }
        if (n == 0)
            asmb__conn_fail(c, ASMB_ECONNRESET, 0, "connection closed by the server");
        else
            asmb__conn_fail(c, ASMB_ECONNRESET, 0, "connection lost: %s", strerror(errno));
        asmb__eng_rx_unused(c); /* ended: a dead connection holds no buffer */
        return;
    }
}

static void take_output(fdt *t)
{
    asmb_frame *f = asmb__eng_take_output(t->c);
    if (!f) return;
    if (t->wq_tail) t->wq_tail->next = f; else t->wq_head = f;
    while (f->next) f = f->next;
    t->wq_tail = f;
}

static void write_some(fdt *t)
{
    while (t->wq_head && t->fd >= 0) {
        struct iovec iov[IOV_MAX_FRAMES];
        int n = 0;
        for (asmb_frame *f = t->wq_head; f && n < IOV_MAX_FRAMES; f = f->next, n++) {
            iov[n].iov_base = f->data + f->off;
            iov[n].iov_len = f->len - f->off;
        }
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n};
        ssize_t w = sendmsg(t->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (w < 0) {
            int gone = errno == EPIPE || errno == ECONNRESET;
            int e = errno;
            close_socket(t);
            if (!t->shutting)
                asmb__conn_fail(t->c, gone ? ASMB_ECONNRESET : ASMB_EIO, 0, "%s: %s",
                                gone ? "connection closed by the peer" : "write failed",
                                strerror(e));
            return;
        }
        size_t left = (size_t)w;
        while (t->wq_head && left >= t->wq_head->len - t->wq_head->off) {
            asmb_frame *f = t->wq_head;
            left -= f->len - f->off;
            t->wq_head = f->next;
            if (!t->wq_head) t->wq_tail = NULL;
            asmb__frame_release(t->c, f);
        }
        if (t->wq_head) t->wq_head->off += left;
    }
}

/* What the engine has queued goes into the write queue and out, as far as
 * the socket takes it now. */
static void flush(fdt *t)
{
    take_output(t);
    write_some(t);
}

/* ---- engine callbacks ---- */

static void tp_want_write(asmb_conn *c) { (void)c; } /* asmb_fd_events reports it */
static void tp_rearm(asmb_conn *c) { (void)c; }      /* asmb_fd_timeout computes it */
static void tp_schedule(asmb_conn *c) { (void)c; }   /* likewise */

static void tp_shutdown(asmb_conn *c)
{
    fdt *t = c->tp_data;
    if (t->shutting) return;
    t->shutting = 1;
    if (t->ai) freeaddrinfo(t->ai);
    t->ai = t->ai_next = NULL;
    if (t->fd < 0 || t->connecting) {
        close_socket(t);
        return;
    }
    flush(t); /* LOGOFF and TREE_DISCONNECT, if the caller closed */
    if (!t->wq_head) {
        close_socket(t);
        return;
    }
    t->grace_deadline = c->now + SHUTDOWN_GRACE_MS;
}

static void tp_release(asmb_conn *c)
{
    fdt *t = c->tp_data;
    close_socket(t);
    if (t->ai) freeaddrinfo(t->ai);
    asmb__free(t);
    c->tp = NULL;
    c->tp_data = NULL;
    asmb__conn_unref(c); /* the transport's reference */
}

/* The caller stops driving the connection: close now and deliver what is
 * left (pending operations fail with ASMB_ENOTCONN) inside asmb_conn_free. */
static void tp_on_free(asmb_conn *c)
{
    close_socket(c->tp_data);
    asmb__conn_dispatch(c);
}

static const asmb_transport_ops fd_ops = {tp_want_write, tp_rearm,   tp_schedule, tp_shutdown,
                                          tp_clock,      tp_connect, tp_release,  tp_on_free};

/* ---- public ---- */

ASMB_API asmb_conn *asmb_fd_conn_new(const asmb_config *cfg, const asmb_handlers *handlers,
                                     void *arg)
{
    asmb_conn *c = asmb__conn_create(cfg, handlers, arg);
    if (!c) return NULL;
    fdt *t = asmb__calloc(1, sizeof *t);
    if (!t) {
        asmb__conn_destroy(c);
        return NULL;
    }
    t->c = c;
    t->fd = -1;
    c->tp = &fd_ops;
    c->tp_data = t;
    asmb__conn_ref(c); /* the transport's */
    tp_clock(c);
    return c;
}

ASMB_API int asmb_fd_socket(const asmb_conn *c)
{
    fdt *t = F(c);
    return t ? t->fd : -1;
}

ASMB_API int asmb_fd_events(const asmb_conn *c)
{
    fdt *t = F(c);
    if (!t || t->fd < 0) return 0;
    if (t->connecting) return ASMB_FD_WRITE;
    int pending_out = t->wq_head || c->out_head;
    if (t->shutting) return pending_out ? ASMB_FD_WRITE : 0;
    return ASMB_FD_READ | (pending_out ? ASMB_FD_WRITE : 0);
}

ASMB_API int asmb_fd_timeout(const asmb_conn *c)
{
    fdt *t = F(c);
    if (!t) return -1;
    /* Something to do right away: callbacks to run, a connect to start. */
    if (c->ev_head || (c->state == ASMB_ST_CONNECTING && t->fd < 0)) return 0;
    uint64_t d = t->shutting ? (t->fd >= 0 ? t->grace_deadline : 0) : asmb__eng_deadline(c);
    if (!d) return -1;
    uint64_t now = mono_ms();
    if (d <= now) return 0;
    return d - now > INT_MAX ? INT_MAX : (int)(d - now);
}

ASMB_API int asmb_fd_service(asmb_conn *c, int revents)
{
    fdt *t = F(c);
    if (!t) return ASMB_EINVAL;
    ASMB_THREAD_CHECK(c, "asmb_fd_service");
    asmb__conn_ref(c); /* callbacks may free the connection */
    tp_clock(c);
    if (c->state == ASMB_ST_CONNECTING && (t->connecting || t->fd < 0)) connect_step(t, revents);
    if (!t->connecting && t->fd >= 0 && (revents & ASMB_FD_READ) && !t->shutting) read_some(t);
    if (c->state != ASMB_ST_IDLE && !t->connecting && t->fd >= 0) {
        flush(t);
    }
    if (t->shutting && t->fd >= 0 && (!t->wq_head || c->now >= t->grace_deadline)) close_socket(t);
    uint64_t d = asmb__eng_deadline(c);
    if (d && c->now >= d) asmb__eng_tick(c);
    asmb__conn_dispatch(c);
    /* Requests the callbacks made go out now rather than after another wait. */
    if (c->tp == &fd_ops && !t->connecting && t->fd >= 0 && !t->shutting) {
        flush(t);
    }
    asmb__conn_unref(c);
    return 0;
}
