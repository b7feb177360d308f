/* faultsrv: see faultsrv.h. One thread, poll(), non-blocking sockets, a self-pipe
 * to wake it for fs_stop(). Every connection has at most one frame in flight
 * towards the client: the source of frames is not read again until it has been
 * written, so memory stays bounded by one frame per connection. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* MSG_NOSIGNAL, accept4 */
#endif
#include "faultsrv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FS_RAW_CAP 65536 /* client->server forwarding buffer */
#define FS_NCMD 64       /* SMB2 commands counted per connection (0x00-0x12 exist) */
#define FS_GARBAGE_DEFAULT 64
#define FS_MAX_PAYLOAD 0xFFFFFFu

typedef struct {
    int conn, frame, cmd, nth; /* cmd < 0: keyed on frame */
    fs_action action;
    size_t arg;
} fs_rulerec;

typedef struct {
    unsigned char *p;
    size_t off, len; /* pending bytes: p[off..len) */
} fs_out;

typedef struct fs_conn {
    struct fs_conn *next;
    int id;
    int cfd, ufd; /* client; upstream (-1: fake server) */
    int pc, pu;   /* their pollfd slots in this round, -1: none */
    /* frame being read from the source (upstream, or the client when faking) */
    unsigned char hdr[4];
    size_t hdr_got;
    unsigned char *frame;
    size_t frame_len, frame_got;
    fs_out to_client;
    unsigned char *raw; /* proxy: client bytes not yet written upstream */
    size_t raw_off, raw_len;
    int nframes;
    int ncmd[FS_NCMD];
    int stalled, close_after_flush, dead;
} fs_conn;

struct faultsrv {
    pthread_t thread;
    pthread_mutex_t mu; /* rules, counters */
    int lfd, wake[2], port, upstream_port, trace;
    fs_rulerec *rules;
    size_t nrules, caprules;
    int nconn, nframes;
    unsigned char nbt_reply[8]; /* fake server: the answer to a NetBIOS SESSION REQUEST */
    size_t nbt_len;
    fs_conn *conns; /* thread only */
    uint64_t rng;   /* thread only */
};

static const char *const action_names[] = {"PASS", "STALL", "CLOSE", "GARBAGE",
                                           "TRUNCATE_CLOSE", "DROP", "CORRUPT"};

/* ------------------------------------------------------------------ helpers */

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void set_nodelay(int fd)
{
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static uint64_t next_rand(faultsrv *fs)
{
    uint64_t x = fs->rng; /* xorshift64: deterministic junk */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    fs->rng = x;
    return x;
}

/* A frame of n junk payload bytes; *total gets its size. */
static unsigned char *junk_frame(faultsrv *fs, size_t n, size_t *total)
{
    if (n > FS_MAX_PAYLOAD)
        n = FS_MAX_PAYLOAD;
    unsigned char *f = malloc(4 + n);
    if (!f)
        return NULL;
    f[0] = 0;
    f[1] = (unsigned char)(n >> 16);
    f[2] = (unsigned char)(n >> 8);
    f[3] = (unsigned char)n;
    for (size_t i = 0; i < n; i++)
        f[4 + i] = (unsigned char)(next_rand(fs) >> 32);
    if (n > 0 && f[4] >= 0xFC) /* never look like an SMB2/transform/compression header */
        f[4] = 0x5A;
    *total = 4 + n;
    return f;
}

/* Drains what the peer sent (so that close() sends FIN, not RST), then closes. */
static void close_fd(int *fd)
{
    if (*fd < 0)
        return;
    unsigned char scratch[4096];
    for (int i = 0; i < 256 && recv(*fd, scratch, sizeof scratch, MSG_DONTWAIT) > 0; i++)
        ;
    (void)shutdown(*fd, SHUT_RDWR);
    close(*fd);
    *fd = -1;
}

static void conn_close(fs_conn *c)
{
    close_fd(&c->cfd);
    close_fd(&c->ufd);
    c->dead = 1;
}

static void conn_free(fs_conn *c)
{
    close_fd(&c->cfd);
    close_fd(&c->ufd);
    free(c->frame);
    free(c->to_client.p);
    free(c->raw);
    free(c);
}

/* Queues f[0..len) for the client; takes ownership of f. */
static void queue_client(fs_conn *c, unsigned char *f, size_t len)
{
    free(c->to_client.p);
    c->to_client.p = f;
    c->to_client.off = 0;
    c->to_client.len = len;
}

/* Writes what it can. 0: ok (maybe still pending), -1: the connection is broken. */
static int flush_out(int fd, unsigned char *p, size_t *off, size_t len)
{
    while (*off < len) {
        ssize_t n = send(fd, p + *off, len - *off, MSG_NOSIGNAL);
        if (n > 0) {
            *off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        } else {
            return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ rules */

static void add_rule(faultsrv *fs, int conn, int frame, int cmd, int nth, fs_action a, size_t arg)
{
    if (!fs)
        return;
    pthread_mutex_lock(&fs->mu);
    if (fs->nrules == fs->caprules) {
        size_t cap = fs->caprules ? 2 * fs->caprules : 8;
        fs_rulerec *r = realloc(fs->rules, cap * sizeof *r);
        if (!r) {
            pthread_mutex_unlock(&fs->mu);
            fprintf(stderr, "faultsrv: out of memory for a rule\n");
            abort();
        }
        fs->rules = r;
        fs->caprules = cap;
    }
    fs->rules[fs->nrules++] = (fs_rulerec){conn, frame, cmd, nth, a, arg};
    pthread_mutex_unlock(&fs->mu);
}

void fs_rule(faultsrv *fs, int frame_no, fs_action a, size_t arg)
{
    add_rule(fs, FS_ANY_CONN, frame_no, -1, -1, a, arg);
}

void fs_rule_cmd(faultsrv *fs, int smb2_command, int nth, fs_action a, size_t arg)
{
    fs_rule_cmd_conn(fs, FS_ANY_CONN, smb2_command, nth, a, arg);
}

void fs_rule_conn(faultsrv *fs, int conn_no, int frame_no, fs_action a, size_t arg)
{
    add_rule(fs, conn_no, frame_no, -1, -1, a, arg);
}

void fs_rule_cmd_conn(faultsrv *fs, int conn_no, int smb2_command, int nth, fs_action a,
                      size_t arg)
{
    if (smb2_command >= 0) /* a negative command would never match */
        add_rule(fs, conn_no, -1, smb2_command, nth, a, arg);
}

void fs_clear_rules(faultsrv *fs)
{
    if (!fs)
        return;
    pthread_mutex_lock(&fs->mu);
    fs->nrules = 0;
    pthread_mutex_unlock(&fs->mu);
}

/* ------------------------------------------------------------------ frames */

/* A whole frame f[0..len) has arrived from the source; f is ours to keep or free. */
static void on_frame(faultsrv *fs, fs_conn *c, unsigned char *f, size_t len)
{
    int fake = c->ufd < 0;
    if (f[0] != 0x00) { /* keep-alive and other session messages: unchanged, uncounted */
        unsigned char *reply = NULL;
        size_t rlen = 0;
        pthread_mutex_lock(&fs->mu);
        if (fake && f[0] == 0x81 && fs->nbt_len && (reply = malloc(fs->nbt_len))) {
            rlen = fs->nbt_len;
            memcpy(reply, fs->nbt_reply, rlen);
        }
        pthread_mutex_unlock(&fs->mu);
        if (fake)
            free(f);
        else
            queue_client(c, f, len);
        if (reply)
            queue_client(c, reply, rlen);
        return;
    }
    int no = c->nframes++;
    int cmd = -1, occ = -1;
    if (len >= 4 + 64 && memcmp(f + 4, "\xfeSMB", 4) == 0) {
        cmd = f[4 + 12] | f[4 + 13] << 8;
        if (cmd < FS_NCMD)
            occ = c->ncmd[cmd]++;
    }
    fs_action a = FS_PASS;
    size_t arg = 0;
    pthread_mutex_lock(&fs->mu);
    fs->nframes++;
    for (size_t i = 0; i < fs->nrules; i++) {
        const fs_rulerec *r = &fs->rules[i];
        if (r->conn >= 0 && r->conn != c->id)
            continue;
        if (r->cmd < 0 ? r->frame == no : r->cmd == cmd && r->nth == occ) {
            a = r->action;
            arg = r->arg;
            break;
        }
    }
    pthread_mutex_unlock(&fs->mu);
    if (fs->trace)
        fprintf(stderr, "faultsrv: conn %d %s frame %d len %zu cmd %d#%d -> %s %zu\n", c->id,
                fake ? "request" : "reply", no, len - 4, cmd, occ, action_names[a], arg);

    size_t total = 0;
    switch (a) {
    case FS_PASS:
    case FS_DROP:
    case FS_CORRUPT:
        if (fake) {
            free(f);
        } else if (a == FS_DROP) {
            free(f);
        } else {
            if (a == FS_CORRUPT && len > 4)
                f[4 + (arg < len - 4 ? arg : len - 5)] ^= 0xFF;
            queue_client(c, f, len);
        }
        break;
    case FS_STALL:
        free(f);
        c->stalled = 1;
        c->raw_len = c->raw_off = 0; /* nothing more goes upstream either */
        break;
    case FS_CLOSE:
        free(f);
        conn_close(c);
        break;
    case FS_GARBAGE: {
        free(f);
        unsigned char *g = junk_frame(fs, arg ? arg : FS_GARBAGE_DEFAULT, &total);
        if (!g) {
            conn_close(c);
            break;
        }
        queue_client(c, g, total);
        break;
    }
    case FS_TRUNCATE_CLOSE:
        if (fake) { /* a frame of arg + 64 bytes, of which we send arg */
            free(f);
            f = junk_frame(fs, arg + 60, &total);
            if (!f) {
                conn_close(c);
                break;
            }
            len = total;
        }
        if (arg >= len)
            arg = len - 1;
        queue_client(c, f, arg);
        c->close_after_flush = 1;
        break;
    }
}

/* Reads from the frame source fd. 0: ok, -1: closed or broken. */
static int read_frames(faultsrv *fs, fs_conn *c, int fd)
{
    unsigned char scratch[16384];
    for (;;) {
        if (c->dead || c->close_after_flush || c->to_client.p)
            return 0; /* one frame in flight at a time */
        int hdr = c->hdr_got < 4;
        unsigned char *dst = c->stalled ? scratch
                             : hdr      ? c->hdr + c->hdr_got
                                        : c->frame + c->frame_got;
        size_t want = c->stalled ? sizeof scratch
                      : hdr      ? 4 - c->hdr_got
                                 : c->frame_len - c->frame_got;
        ssize_t n = recv(fd, dst, want, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0) { /* EOF or error: a proxy passes a partial frame on as it is */
            if (n < 0 || c->ufd < 0 || c->stalled || c->hdr_got == 0)
                return -1;
            unsigned char *p = c->frame;
            size_t plen = c->frame_got;
            if (hdr) {
                p = malloc(4);
                if (!p)
                    return -1;
                memcpy(p, c->hdr, c->hdr_got);
                plen = c->hdr_got;
            }
            c->frame = NULL;
            c->hdr_got = 0;
            queue_client(c, p, plen);
            c->close_after_flush = 1;
            return 0;
        }
        if (c->stalled)
            continue; /* swallowed */
        if (hdr) {
            c->hdr_got += (size_t)n;
            if (c->hdr_got < 4)
                continue;
            c->frame_len = 4 + ((size_t)c->hdr[1] << 16 | (size_t)c->hdr[2] << 8 | c->hdr[3]);
            c->frame = malloc(c->frame_len);
            if (!c->frame)
                return -1;
            memcpy(c->frame, c->hdr, 4);
            c->frame_got = 4;
        } else {
            c->frame_got += (size_t)n;
        }
        if (c->frame_got == c->frame_len) {
            unsigned char *f = c->frame;
            c->frame = NULL;
            c->hdr_got = 0;
            on_frame(fs, c, f, c->frame_len);
        }
    }
}

/* Proxy: client bytes go upstream unchanged (or nowhere once stalled). */
static int read_client_raw(fs_conn *c)
{
    for (;;) {
        if (c->raw_len > 0 && !c->stalled)
            return 0;
        ssize_t n = recv(c->cfd, c->raw, FS_RAW_CAP, 0);
        if (n > 0) {
            if (!c->stalled) {
                c->raw_off = 0;
                c->raw_len = (size_t)n;
                if (flush_out(c->ufd, c->raw, &c->raw_off, c->raw_len) < 0)
                    return -1;
                if (c->raw_off == c->raw_len)
                    c->raw_len = c->raw_off = 0;
            }
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    }
}

static int flush_client(fs_conn *c)
{
    fs_out *o = &c->to_client;
    if (!o->p)
        return 0;
    if (flush_out(c->cfd, o->p, &o->off, o->len) < 0)
        return -1;
    if (o->off == o->len) {
        free(o->p);
        o->p = NULL;
        o->off = o->len = 0;
        if (c->close_after_flush)
            conn_close(c);
    }
    return 0;
}

/* ------------------------------------------------------------------ thread */

static void accept_all(faultsrv *fs)
{
    for (;;) {
        int cfd = accept(fs->lfd, NULL, NULL);
        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return; /* EAGAIN, or out of fds: try again on the next wakeup */
        }
        fs_conn *c = calloc(1, sizeof *c);
        pthread_mutex_lock(&fs->mu);
        int id = fs->nconn++;
        pthread_mutex_unlock(&fs->mu);
        if (!c) {
            close(cfd);
            continue;
        }
        c->id = id;
        c->cfd = cfd;
        c->ufd = -1;
        c->pc = c->pu = -1;
        (void)fcntl(cfd, F_SETFD, FD_CLOEXEC);
        set_nodelay(cfd);
        if (fs->upstream_port > 0) {
            struct sockaddr_in a = {0};
            a.sin_family = AF_INET;
            a.sin_port = htons((uint16_t)fs->upstream_port);
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            int ufd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            c->raw = malloc(FS_RAW_CAP);
            /* a blocking connect: on loopback it succeeds or is refused at once */
            if (ufd < 0 || !c->raw || connect(ufd, (struct sockaddr *)&a, sizeof a) < 0) {
                if (fs->trace)
                    fprintf(stderr, "faultsrv: conn %d: upstream %d: %s\n", id,
                            fs->upstream_port, strerror(errno));
                if (ufd >= 0)
                    close(ufd);
                conn_free(c);
                continue;
            }
            c->ufd = ufd;
            set_nodelay(ufd);
            (void)set_nonblock(ufd);
        }
        (void)set_nonblock(cfd);
        c->next = fs->conns;
        fs->conns = c;
    }
}

/* Services one connection after poll(). */
static void service(faultsrv *fs, fs_conn *c, const struct pollfd *pfds)
{
    short rc = c->pc >= 0 ? pfds[c->pc].revents : 0;
    short ru = c->pu >= 0 ? pfds[c->pu].revents : 0;
    short want_c = c->pc >= 0 ? pfds[c->pc].events : 0;
    short want_u = c->pu >= 0 ? pfds[c->pu].events : 0;
    int fake = c->ufd < 0;

    /* client -> upstream: pending raw bytes */
    if ((ru & POLLOUT) && c->raw_len > 0) {
        if (flush_out(c->ufd, c->raw, &c->raw_off, c->raw_len) < 0)
            goto broken;
        if (c->raw_off == c->raw_len)
            c->raw_len = c->raw_off = 0;
    }
    /* to the client */
    if ((rc & POLLOUT) && flush_client(c) < 0)
        goto broken;
    if (c->dead)
        return;
    /* reads */
    if (rc & (POLLIN | POLLHUP | POLLERR)) {
        if (rc & POLLERR)
            goto broken;
        if (want_c & POLLIN) {
            if ((fake ? read_frames(fs, c, c->cfd) : read_client_raw(c)) < 0)
                goto broken;
        } else if (rc & POLLHUP) {
            goto broken;
        }
    }
    if (c->dead)
        return;
    if (!fake && (ru & (POLLIN | POLLHUP | POLLERR))) {
        if (ru & POLLERR)
            goto broken;
        if (want_u & POLLIN) {
            if (read_frames(fs, c, c->ufd) < 0)
                goto broken;
        } else if (ru & POLLHUP) {
            goto broken;
        }
    }
    if (c->dead)
        return;
    if (flush_client(c) < 0) /* a frame that was just queued */
        goto broken;
    return;
broken:
    conn_close(c);
}

static void *fs_thread(void *arg)
{
    faultsrv *fs = arg;
    struct pollfd *pfds = NULL;
    size_t cap = 0;
    for (;;) {
        size_t n = 0;
        for (fs_conn *c = fs->conns; c; c = c->next)
            n++;
        if (2 + 2 * n > cap) {
            size_t ncap = 2 + 2 * n + 16;
            struct pollfd *p = realloc(pfds, ncap * sizeof *p);
            fs_conn *c = fs->conns;
            if (!p && !c)
                break;
            if (!p) { /* cannot poll them all: drop the newest connection */
                fs->conns = c->next;
                conn_free(c);
                continue;
            }
            pfds = p;
            cap = ncap;
        }
        nfds_t k = 0;
        pfds[k++] = (struct pollfd){.fd = fs->wake[0], .events = POLLIN};
        pfds[k++] = (struct pollfd){.fd = fs->lfd, .events = POLLIN};
        for (fs_conn *c = fs->conns; c; c = c->next) {
            int fake = c->ufd < 0;
            int flow = !c->to_client.p && !c->close_after_flush; /* may read the source */
            short ev = 0;
            if (c->to_client.p)
                ev |= POLLOUT;
            if (c->stalled || (fake ? flow : c->raw_len == 0))
                ev |= POLLIN;
            c->pc = (int)k;
            pfds[k++] = (struct pollfd){.fd = c->cfd, .events = ev};
            c->pu = -1;
            if (!fake) {
                ev = 0;
                if (c->raw_len > 0)
                    ev |= POLLOUT;
                if (c->stalled || flow)
                    ev |= POLLIN;
                c->pu = (int)k;
                pfds[k++] = (struct pollfd){.fd = c->ufd, .events = ev};
            }
        }
        if (poll(pfds, k, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfds[0].revents)
            break; /* fs_stop */
        for (fs_conn *c = fs->conns; c; c = c->next)
            service(fs, c, pfds);
        for (fs_conn **pp = &fs->conns; *pp;) {
            fs_conn *c = *pp;
            if (c->dead) {
                *pp = c->next;
                conn_free(c);
            } else {
                pp = &c->next;
            }
        }
        if (pfds[1].revents)
            accept_all(fs);
    }
    while (fs->conns) {
        fs_conn *c = fs->conns;
        fs->conns = c->next;
        conn_free(c);
    }
    free(pfds);
    return NULL;
}

/* ------------------------------------------------------------------ API */

faultsrv *fs_start(int upstream_port)
{
    faultsrv *fs = calloc(1, sizeof *fs);
    if (!fs)
        return NULL;
    fs->lfd = fs->wake[0] = fs->wake[1] = -1;
    fs->upstream_port = upstream_port;
    fs->rng = 0x9E3779B97F4A7C15u;
    const char *t = getenv("FAULTSRV_TRACE");
    fs->trace = t && *t && strcmp(t, "0") != 0;
    if (pthread_mutex_init(&fs->mu, NULL) != 0) {
        free(fs);
        return NULL;
    }
    struct sockaddr_in a = {0};
    socklen_t alen = sizeof a;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    if (pipe(fs->wake) < 0)
        goto fail;
    (void)fcntl(fs->wake[0], F_SETFD, FD_CLOEXEC);
    (void)fcntl(fs->wake[1], F_SETFD, FD_CLOEXEC);
    fs->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fs->lfd < 0 || setsockopt(fs->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fs->lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fs->lfd, 64) < 0 ||
        getsockname(fs->lfd, (struct sockaddr *)&a, &alen) < 0 || set_nonblock(fs->lfd) < 0)
        goto fail;
    fs->port = ntohs(a.sin_port);
    if (pthread_create(&fs->thread, NULL, fs_thread, fs) != 0)
        goto fail;
    return fs;
fail:;
    int e = errno;
    if (fs->lfd >= 0)
        close(fs->lfd);
    if (fs->wake[0] >= 0) {
        close(fs->wake[0]);
        close(fs->wake[1]);
    }
    pthread_mutex_destroy(&fs->mu);
    free(fs);
    errno = e;
    return NULL;
}

void fs_nbt_reply(faultsrv *fs, const unsigned char *bytes, size_t len)
{
    pthread_mutex_lock(&fs->mu);
    fs->nbt_len = len < sizeof fs->nbt_reply ? len : sizeof fs->nbt_reply;
    memcpy(fs->nbt_reply, bytes, fs->nbt_len);
    pthread_mutex_unlock(&fs->mu);
}

int fs_port(const faultsrv *fs)
{
    return fs ? fs->port : -1;
}

int fs_connections(faultsrv *fs)
{
    pthread_mutex_lock(&fs->mu);
    int n = fs->nconn;
    pthread_mutex_unlock(&fs->mu);
    return n;
}

int fs_frames(faultsrv *fs)
{
    pthread_mutex_lock(&fs->mu);
    int n = fs->nframes;
    pthread_mutex_unlock(&fs->mu);
    return n;
}

void fs_stop(faultsrv *fs)
{
    if (!fs)
        return;
    ssize_t w;
    do
        w = write(fs->wake[1], "x", 1);
    while (w < 0 && errno == EINTR);
    pthread_join(fs->thread, NULL);
    close(fs->lfd);
    close(fs->wake[0]);
    close(fs->wake[1]);
    pthread_mutex_destroy(&fs->mu);
    free(fs->rules);
    free(fs);
}
