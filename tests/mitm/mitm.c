/* mitm: see mitm.h. One thread, poll(), non-blocking sockets, a self-pipe to
 * wake it for mitm_stop(). A direction stops reading while more than
 * MITM_OUT_MAX bytes wait to be written to its destination. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* MSG_NOSIGNAL, accept4 */
#endif
#include "mitm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MITM_OUT_MAX (4u << 20)
#define MITM_NCMD 64
#define SMB2_CANCEL 0x0C
#define SMB2_OPLOCK_BREAK 0x12

typedef struct mitm_out {
    struct mitm_out *next;
    size_t len;
    unsigned char p[];
} mitm_out;

typedef struct dirstate {
    unsigned char hdr[4];
    size_t hdr_got;
    unsigned char *buf; /* the frame being read, header included */
    size_t flen, got, cap;
    unsigned char *out; /* bytes for the destination */
    size_t out_off, out_len, out_cap;
    int nframes, ncmd[MITM_NCMD], eof;
} dirstate;

typedef struct mconn {
    struct mconn *next;
    int id, fd[2]; /* fd[MITM_C2S]: the client (source of C2S), fd[MITM_S2C]: upstream */
    int pfd[2];    /* pollfd slots this round */
    dirstate d[2];
    uint64_t granted, consumed;
} mconn;

struct mitm {
    pthread_t thread;
    pthread_mutex_t mu;
    int lfd, wake[2], port, upstream, trace, nconn;
    mitm_edit_fn edit;
    void *arg;
    mconn *conns;
    mitm_credit_stats stats;
};

static uint64_t le64(const unsigned char *p)
{
    return mitm_le32(p) | (uint64_t)mitm_le32(p + 4) << 32;
}
static void st64(unsigned char *p, uint64_t v)
{
    mitm_st32(p, (uint32_t)v);
    mitm_st32(p + 4, (uint32_t)(v >> 32));
}

/* ---- frame API ---- */

int mitm_frame_resize(mitm_frame *f, size_t payload_len)
{
    if (payload_len > 0xFFFFFFu) return -1;
    size_t need = 4 + payload_len;
    if (need > f->cap) {
        unsigned char *p = realloc(f->p, need);
        if (!p) return -1;
        f->p = p;
        f->cap = need;
    }
    if (need > f->len) memset(f->p + f->len, 0, need - f->len);
    f->len = need;
    f->p[1] = (unsigned char)(payload_len >> 16);
    f->p[2] = (unsigned char)(payload_len >> 8);
    f->p[3] = (unsigned char)payload_len;
    return 0;
}

int mitm_inject(mitm_frame *f, const void *fr, size_t len)
{
    mitm_out *o = malloc(sizeof *o + len);
    if (!o) return -1;
    o->next = NULL;
    o->len = len;
    memcpy(o->p, fr, len);
    mitm_out **t = &f->inject;
    while (*t) t = &(*t)->next;
    *t = o;
    return 0;
}

int mitm_is_smb2(const mitm_frame *f) { return f->len >= 4 + 64 && !memcmp(f->p + 4, "\xfeSMB", 4); }
int mitm_is_encrypted(const mitm_frame *f) { return f->len >= 8 && !memcmp(f->p + 4, "\xfdSMB", 4); }
unsigned char *mitm_hdr(const mitm_frame *f) { return mitm_is_smb2(f) ? f->p + 4 : NULL; }
uint16_t mitm_h_command(const unsigned char *h) { return mitm_le16(h + 12); }
uint32_t mitm_h_flags(const unsigned char *h) { return mitm_le32(h + 16); }
void mitm_h_set_flags(unsigned char *h, uint32_t flags) { mitm_st32(h + 16, flags); }
uint32_t mitm_h_status(const unsigned char *h) { return mitm_le32(h + 8); }
uint64_t mitm_h_msg_id(const unsigned char *h) { return le64(h + 24); }
uint16_t mitm_h_credits(const unsigned char *h) { return mitm_le16(h + 14); }
uint16_t mitm_h_charge(const unsigned char *h) { return mitm_le16(h + 6); }
uint64_t mitm_h_session(const unsigned char *h) { return le64(h + 40); }

size_t mitm_forge_interim(unsigned char *out, uint16_t cmd, uint64_t msg_id, uint64_t session_id,
                          uint64_t async_id, uint16_t credits)
{
    memset(out, 0, MITM_INTERIM_LEN);
    out[3] = 64 + 9;
    unsigned char *h = out + 4;
    memcpy(h, "\xfeSMB", 4);
    mitm_st16(h + 4, 64);
    mitm_st32(h + 8, 0x00000103u); /* STATUS_PENDING */
    mitm_st16(h + 12, cmd);
    mitm_st16(h + 14, credits);
    mitm_st32(h + 16, 0x1u | 0x2u); /* SERVER_TO_REDIR | ASYNC_COMMAND */
    st64(h + 24, msg_id);
    st64(h + 32, async_id);
    st64(h + 40, session_id);
    mitm_st16(h + 64, 9); /* SMB2 ERROR: StructureSize 9, no data */
    return MITM_INTERIM_LEN;
}

/* ---- the thread ---- */

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

static void close_fd(int *fd)
{
    if (*fd < 0) return;
    (void)shutdown(*fd, SHUT_RDWR);
    close(*fd);
    *fd = -1;
}

static void conn_free(mconn *c)
{
    close_fd(&c->fd[0]);
    close_fd(&c->fd[1]);
    for (int i = 0; i < 2; i++) {
        free(c->d[i].buf);
        free(c->d[i].out);
    }
    free(c);
}

static int out_append(dirstate *d, const unsigned char *p, size_t n)
{
    if (d->out_off == d->out_len) d->out_off = d->out_len = 0;
    if (d->out_len + n > d->out_cap) {
        if (d->out_off) { /* compact first */
            memmove(d->out, d->out + d->out_off, d->out_len - d->out_off);
            d->out_len -= d->out_off;
            d->out_off = 0;
        }
        size_t cap = d->out_cap ? d->out_cap : 65536;
        while (cap < d->out_len + n) cap *= 2;
        if (cap != d->out_cap) {
            unsigned char *o = realloc(d->out, cap);
            if (!o) return -1;
            d->out = o;
            d->out_cap = cap;
        }
    }
    memcpy(d->out + d->out_len, p, n);
    d->out_len += n;
    return 0;
}

/* Credits: what the real server granted (before edits), what the client
 * charged (after edits, as sent). */
static void count_credits(mitm *m, mconn *c, int dir, const unsigned char *fr, size_t len)
{
    if (len >= 8 && !memcmp(fr + 4, "\xfdSMB", 4)) {
        if (dir == MITM_C2S) {
            pthread_mutex_lock(&m->mu);
            m->stats.unseen++;
            pthread_mutex_unlock(&m->mu);
        }
        return;
    }
    size_t off = 4;
    pthread_mutex_lock(&m->mu);
    while (off + 64 <= len && !memcmp(fr + off, "\xfeSMB", 4)) {
        const unsigned char *h = fr + off;
        if (dir == MITM_S2C) {
            if (!(mitm_h_command(h) == SMB2_OPLOCK_BREAK && mitm_h_msg_id(h) == UINT64_MAX)) {
                c->granted += mitm_h_credits(h);
                m->stats.granted += mitm_h_credits(h);
            }
        } else if (mitm_h_command(h) != SMB2_CANCEL) {
            uint16_t charge = mitm_h_charge(h) ? mitm_h_charge(h) : 1;
            m->stats.requests++;
            if (c->consumed + charge > c->granted) {
                m->stats.violations++;
                if (c->consumed + charge - c->granted > m->stats.max_excess)
                    m->stats.max_excess = c->consumed + charge - c->granted;
                if (m->trace)
                    fprintf(stderr, "mitm: conn %d: message %llu charges %u beyond the grant (%llu of %llu used)\n",
                            c->id, (unsigned long long)mitm_h_msg_id(h), charge,
                            (unsigned long long)c->consumed, (unsigned long long)c->granted);
            }
            c->consumed += charge;
        }
        uint32_t next = mitm_le32(h + 20);
        if (next < 64 || off + next + 64 > len) break;
        off += next;
    }
    pthread_mutex_unlock(&m->mu);
}

/* A whole frame arrived in direction dir: count, edit, queue. */
static int on_frame(mitm *m, mconn *c, int dir)
{
    dirstate *d = &c->d[dir];
    mitm_frame f;
    memset(&f, 0, sizeof f);
    f.conn = c->id;
    f.dir = dir;
    f.index = d->nframes++;
    f.p = d->buf;
    f.len = d->flen;
    f.cap = d->cap;
    f.cmd = mitm_is_smb2(&f) ? mitm_h_command(f.p + 4) : -1;
    f.nth = f.cmd >= 0 && f.cmd < MITM_NCMD ? d->ncmd[f.cmd]++ : 0;
    if (dir == MITM_S2C) count_credits(m, c, dir, f.p, f.len);
    int cmd0 = f.cmd;
    uint32_t fl0 = mitm_is_smb2(&f) ? mitm_h_flags(f.p + 4) : 0;
    int verdict = m->edit ? m->edit(&f, m->arg) : MITM_PASS;
    d->buf = f.p; /* it may have been reallocated */
    d->cap = f.cap;
    if (m->trace)
        fprintf(stderr, "mitm: conn %d %s frame %d cmd %d nth %d flags 0x%x len %zu%s%s\n", c->id,
                dir == MITM_C2S ? "c->s" : "s->c", f.index, cmd0, f.nth, fl0, f.len,
                f.inject ? " +injected" : "", verdict == MITM_DROP ? " DROPPED" : "");
    dirstate *out = &c->d[dir];
    int rc = 0;
    while (f.inject) {
        mitm_out *o = f.inject;
        f.inject = o->next;
        if (!rc && out_append(out, o->p, o->len)) rc = -1;
        if (!rc && dir == MITM_C2S) count_credits(m, c, dir, o->p, o->len);
        free(o);
    }
    if (!rc && verdict != MITM_DROP) {
        if (out_append(out, f.p, f.len)) rc = -1;
        if (dir == MITM_C2S) count_credits(m, c, dir, f.p, f.len);
    }
    return rc;
}

/* Reads what the source of dir has; cuts it into frames. -1: close. */
static int read_dir(mitm *m, mconn *c, int dir)
{
    dirstate *d = &c->d[dir];
    unsigned char tmp[65536];
    ssize_t n = recv(c->fd[dir], tmp, sizeof tmp, 0);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    if (n == 0) {
        d->eof = 1;
        return 0;
    }
    const unsigned char *p = tmp;
    size_t left = (size_t)n;
    while (left) {
        if (d->hdr_got < 4) {
            d->hdr[d->hdr_got++] = *p++;
            left--;
            if (d->hdr_got < 4) continue;
            d->flen = 4 + ((size_t)d->hdr[1] << 16 | (size_t)d->hdr[2] << 8 | d->hdr[3]);
            if (d->flen > d->cap) {
                unsigned char *b = realloc(d->buf, d->flen);
                if (!b) return -1;
                d->buf = b;
                d->cap = d->flen;
            }
            memcpy(d->buf, d->hdr, 4);
            d->got = 4;
        } else {
            size_t k = d->flen - d->got < left ? d->flen - d->got : left;
            memcpy(d->buf + d->got, p, k);
            d->got += k;
            p += k;
            left -= k;
        }
        if (d->got == d->flen) {
            d->hdr_got = 0;
            if (on_frame(m, c, dir)) return -1;
        }
    }
    return 0;
}

/* Writes what waits for the destination of dir. -1: close. */
static int write_dir(mconn *c, int dir)
{
    dirstate *d = &c->d[dir];
    int fd = c->fd[!dir];
    while (d->out_off < d->out_len) {
        ssize_t n = send(fd, d->out + d->out_off, d->out_len - d->out_off, MSG_NOSIGNAL);
        if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
        d->out_off += (size_t)n;
    }
    return 0;
}

static void accept_all(mitm *m)
{
    for (;;) {
        int cfd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) return;
        int ufd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)m->upstream);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        mconn *c = calloc(1, sizeof *c);
        if (ufd < 0 || !c || connect(ufd, (struct sockaddr *)&a, sizeof a) != 0 ||
            set_nonblock(ufd)) {
            if (ufd >= 0) close(ufd);
            close(cfd);
            free(c);
            continue;
        }
        set_nodelay(cfd);
        set_nodelay(ufd);
        c->fd[MITM_C2S] = cfd;
        c->fd[MITM_S2C] = ufd;
        c->granted = 1; /* the first credit, for NEGOTIATE (3.3.1.2) */
        pthread_mutex_lock(&m->mu);
        c->id = m->nconn++;
        pthread_mutex_unlock(&m->mu);
        c->next = m->conns;
        m->conns = c;
    }
}

static void *mitm_thread(void *arg)
{
    mitm *m = arg;
    for (;;) {
        size_t n = 2;
        for (mconn *c = m->conns; c; c = c->next) n += 2;
        struct pollfd *pfds = calloc(n, sizeof *pfds);
        if (!pfds) break;
        pfds[0] = (struct pollfd){m->lfd, POLLIN, 0};
        pfds[1] = (struct pollfd){m->wake[0], POLLIN, 0};
        size_t i = 2;
        for (mconn *c = m->conns; c; c = c->next) {
            for (int s = 0; s < 2; s++) { /* socket s: source of dir s, destination of dir !s */
                short ev = 0;
                dirstate *src = &c->d[s], *dst = &c->d[!s];
                if (!src->eof && src->out_len - src->out_off < MITM_OUT_MAX) ev |= POLLIN;
                if (dst->out_off < dst->out_len) ev |= POLLOUT;
                c->pfd[s] = (int)i;
                pfds[i++] = (struct pollfd){c->fd[s], ev, 0};
            }
        }
        if (poll(pfds, (nfds_t)n, -1) < 0 && errno != EINTR) {
            free(pfds);
            break;
        }
        if (pfds[1].revents) {
            free(pfds);
            break;
        }
        for (mconn **pp = &m->conns; *pp;) {
            mconn *c = *pp;
            int bad = 0;
            for (int s = 0; s < 2 && !bad; s++) {
                short re = pfds[c->pfd[s]].revents;
                if (re & POLLOUT) bad = write_dir(c, !s);
                if (!bad && !c->d[s].eof && (re & (POLLIN | POLLHUP | POLLERR))) {
                    bad = read_dir(m, c, s);
                    if (!bad) bad = write_dir(c, s); /* try at once */
                }
            }
            /* a side closed: end once what it sent has gone out */
            for (int s = 0; s < 2 && !bad; s++)
                if (c->d[s].eof && c->d[s].out_off == c->d[s].out_len) bad = 1;
            if (bad) {
                if (m->trace) fprintf(stderr, "mitm: conn %d closed\n", c->id);
                *pp = c->next;
                conn_free(c);
            } else {
                pp = &c->next;
            }
        }
        if (pfds[0].revents & POLLIN) accept_all(m);
        free(pfds);
    }
    return NULL;
}

mitm *mitm_start(int upstream_port, mitm_edit_fn edit, void *arg)
{
    mitm *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->upstream = upstream_port;
    m->edit = edit;
    m->arg = arg;
    const char *t = getenv("MITM_TRACE");
    m->trace = t && *t && *t != '0';
    pthread_mutex_init(&m->mu, NULL);
    m->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (m->lfd < 0 || bind(m->lfd, (struct sockaddr *)&a, sizeof a) ||
        listen(m->lfd, 64) || getsockname(m->lfd, (struct sockaddr *)&a, &al) ||
        set_nonblock(m->lfd) || pipe(m->wake)) {
        if (m->lfd >= 0) close(m->lfd);
        pthread_mutex_destroy(&m->mu);
        free(m);
        return NULL;
    }
    m->port = ntohs(a.sin_port);
    if (pthread_create(&m->thread, NULL, mitm_thread, m)) {
        close(m->lfd);
        close(m->wake[0]);
        close(m->wake[1]);
        pthread_mutex_destroy(&m->mu);
        free(m);
        return NULL;
    }
    return m;
}

int mitm_port(const mitm *m) { return m->port; }

void mitm_stop(mitm *m)
{
    if (!m) return;
    (void)!write(m->wake[1], "x", 1);
    pthread_join(m->thread, NULL);
    while (m->conns) {
        mconn *c = m->conns;
        m->conns = c->next;
        conn_free(c);
    }
    close(m->lfd);
    close(m->wake[0]);
    close(m->wake[1]);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

void mitm_lock(mitm *m) { pthread_mutex_lock(&m->mu); }
void mitm_unlock(mitm *m) { pthread_mutex_unlock(&m->mu); }

void mitm_credit_stats_get(mitm *m, mitm_credit_stats *out)
{
    pthread_mutex_lock(&m->mu);
    *out = m->stats;
    pthread_mutex_unlock(&m->mu);
}

int mitm_connections(mitm *m)
{
    pthread_mutex_lock(&m->mu);
    int n = m->nconn;
    pthread_mutex_unlock(&m->mu);
    return n;
}
