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
#include <time.h>
#include <unistd.h>

#define FS_RAW_CAP 65536 /* client->server forwarding buffer */
#define FS_NCMD 64       /* SMB2 commands counted per connection (0x00-0x12 exist) */
#define FS_GARBAGE_DEFAULT 64
#define FS_MAX_PAYLOAD 0xFFFFFFu
#define FS_CHG 8192            /* request charges remembered by MessageId, for the grants */
#define FS_FLOOD_BODY 65536    /* payload of one unsolicited FS_FLOOD message */
#define SMB2_CANCEL_CMD 0x0C
#define SMB2_OPLOCK_CMD 0x12
#define SMB2_F_ASYNC 0x2
#define SMB2_F_SIGNED 0x8
#define STATUS_PENDING 0x00000103u

typedef struct {
    int conn, frame, cmd, nth; /* cmd < 0: keyed on frame */
    fs_action action;
    size_t arg;
} fs_rulerec;

/* Bytes queued for the client: p[off..len), sent repeat times in all, not
 * before the monotonic time not_before (ms). */
typedef struct fs_out {
    struct fs_out *next;
    unsigned char *p;
    size_t off, len;
    long repeat;
    uint64_t not_before;
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
    fs_out *out_head, *out_tail; /* to the client, in order */
    unsigned char *held;         /* FS_SWAP: goes out after the next frame */
    size_t held_len;
    unsigned char *raw; /* proxy: client bytes not yet written upstream */
    size_t raw_off, raw_len;
    int nframes;
    int ncmd[FS_NCMD];
    int stalled, close_after_flush, dead;
    /* proxy: the requests' headers, parsed as their bytes pass (observe_requests) */
    unsigned char rq_tb[4], rq_h[64];
    size_t rq_tgot, rq_hgot, rq_left, rq_pos;
    long rq_next; /* payload offset of the next SMB2 header in this frame, -1: none */
    /* proxy: credits, as a server counts them (MS-SMB2 3.3.1.2) */
    uint64_t granted, consumed, outstanding;
    uint64_t chg_id[FS_CHG];
    uint16_t chg[FS_CHG];
} fs_conn;

struct faultsrv {
    pthread_t thread;
    pthread_mutex_t mu; /* rules, counters */
    int lfd, wake[2], port, upstream_port, trace;
    fs_rulerec *rules;
    size_t nrules, caprules;
    int nconn, nframes, hits;
    unsigned window;          /* fs_credit_window; 0: grants pass unchanged */
    struct {
        unsigned char *from, *to;
        size_t len;
    } repl[FS_REPLACE_MAX];   /* fs_replace */
    size_t nrepl;
    struct {
        int conn;
        fs_frame_info fi;
    } log[FS_LOG_MAX];
    int nlog;
    fs_credit_stats stats;
    unsigned char nbt_reply[8]; /* fake server: the answer to a NetBIOS SESSION REQUEST */
    size_t nbt_len;
    fs_conn *conns; /* thread only */
    uint64_t rng;   /* thread only */
};

static const char *const action_names[] = {
    "PASS", "STALL", "CLOSE", "GARBAGE", "TRUNCATE_CLOSE", "DROP", "CORRUPT", "HEADER",
    "SWAP", "DUP", "DELAY", "INTERIM", "CREDITS", "SESSION", "FLOOD"};

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

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const unsigned char *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }
static void st16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
static void st32(unsigned char *p, uint32_t v)
{
    st16(p, (uint16_t)v);
    st16(p + 2, (uint16_t)(v >> 16));
}
static void st64(unsigned char *p, uint64_t v)
{
    st32(p, (uint32_t)v);
    st32(p + 4, (uint32_t)(v >> 32));
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
    while (c->out_head) {
        fs_out *o = c->out_head;
        c->out_head = o->next;
        free(o->p);
        free(o);
    }
    free(c->held);
    free(c->raw);
    free(c);
}

/* Queues f[0..len) for the client, repeat times, not before not_before;
 * takes ownership of f. Out of memory: the connection is closed. */
static void queue_client_at(fs_conn *c, unsigned char *f, size_t len, long repeat,
                            uint64_t not_before)
{
    fs_out *o = calloc(1, sizeof *o);
    if (!o) {
        free(f);
        conn_close(c);
        return;
    }
    *o = (fs_out){NULL, f, 0, len, repeat, not_before};
    if (c->out_tail)
        c->out_tail->next = o;
    else
        c->out_head = o;
    c->out_tail = o;
}

static void queue_client(fs_conn *c, unsigned char *f, size_t len)
{
    queue_client_at(c, f, len, 1, 0);
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

/* ------------------------------------------------------------------ SMB2 messages */

/* Calls fn on each SMB2 message of the frame f[0..len) (a compound is walked by
 * NextCommand); frames that are not plain SMB2 (encrypted ones) are skipped. */
static void each_msg(unsigned char *f, size_t len, void (*fn)(unsigned char *m, void *), void *arg)
{
    size_t off = 4;
    while (off + 64 <= len && memcmp(f + off, "\xfeSMB", 4) == 0) {
        uint32_t next = le32(f + off + 20);
        fn(f + off, arg);
        if (next < 64 || off + next + 64 > len)
            break;
        off += next;
    }
}

typedef struct {
    fs_conn *c;
    size_t credits;
} set_ctx;

/* The grant the client sees changes: so does what the proxy counts as granted. */
static void set_credits(unsigned char *m, void *arg)
{
    set_ctx *x = arg;
    x->c->granted += x->credits;
    x->c->granted -= le16(m + 14) <= x->c->granted ? le16(m + 14) : x->c->granted;
    st16(m + 14, (uint16_t)x->credits);
}
static void xor_session(unsigned char *m, void *arg) { st64(m + 40, le64(m + 40) ^ *(size_t *)arg); }

/* Proxy, client -> server: a request's header. A server accepts a request
 * only within the credits it granted (MS-SMB2 3.3.5.2.3); CANCEL costs none. */
static void account_request(faultsrv *fs, fs_conn *c, const unsigned char *h)
{
    if (memcmp(h, "\xfeSMB", 4) != 0 || le16(h + 12) == SMB2_CANCEL_CMD)
        return;
    uint16_t charge = le16(h + 6) ? le16(h + 6) : 1; /* 2.0.2 sends 0: one credit */
    uint64_t id = le64(h + 24);
    pthread_mutex_lock(&fs->mu);
    fs->stats.requests++;
    if (c->consumed + charge > c->granted) {
        fs->stats.violations++;
        if (fs->trace)
            fprintf(stderr, "faultsrv: conn %d: message %llu charges %u beyond the grant (%llu of %llu used)\n",
                    c->id, (unsigned long long)id, charge, (unsigned long long)c->consumed,
                    (unsigned long long)c->granted);
    }
    c->consumed += charge;
    c->outstanding += charge;
    if (c->outstanding > fs->stats.max_outstanding)
        fs->stats.max_outstanding = (unsigned)c->outstanding;
    pthread_mutex_unlock(&fs->mu);
    c->chg_id[id % FS_CHG] = id;
    c->chg[id % FS_CHG] = charge;
}

/* Follows the client's byte stream (it is forwarded raw) and picks out every
 * SMB2 header, compounds included, without holding whole frames. With a
 * credit window, a SESSION_SETUP asks Samba for no more than its reply may
 * grant (CreditRequest, 2.2.1.2): Samba signs the last one, so the proxy
 * can't rewrite its grant. Other requests ask as they like: Samba's window
 * stays the larger, so whatever the proxy grants Samba accepts. */
static void observe_requests(faultsrv *fs, fs_conn *c, unsigned char *p, size_t n)
{
    pthread_mutex_lock(&fs->mu);
    unsigned window = fs->window;
    pthread_mutex_unlock(&fs->mu);
    while (n) {
        if (c->rq_left == 0) { /* a transport header */
            c->rq_tb[c->rq_tgot++] = *p++;
            n--;
            if (c->rq_tgot < 4)
                continue;
            c->rq_tgot = 0;
            c->rq_left = (size_t)c->rq_tb[1] << 16 | (size_t)c->rq_tb[2] << 8 | c->rq_tb[3];
            c->rq_pos = c->rq_hgot = 0;
            c->rq_next = c->rq_tb[0] == 0 && c->rq_left >= 64 ? 0 : -1;
            continue;
        }
        size_t k = n < c->rq_left ? n : c->rq_left;
        int in_hdr = c->rq_next >= 0 && c->rq_pos >= (size_t)c->rq_next;
        if (in_hdr) {
            if (k > 64 - c->rq_hgot)
                k = 64 - c->rq_hgot;
            if (window && k == 64 && le16(p + 12) == 0x01 && !(le32(p + 16) & SMB2_F_SIGNED)) {
                /* what the reply may grant and keep the window (a header split
                 * across reads is left alone) */
                uint64_t charge = le16(p + 6) ? le16(p + 6) : 1;
                uint64_t have = c->granted + c->outstanding - c->consumed - charge;
                uint64_t ask = c->granted + c->outstanding >= c->consumed + charge && have < window
                                   ? window - have
                                   : 1;
                if (le16(p + 14) > ask)
                    st16(p + 14, (uint16_t)ask);
            }
            memcpy(c->rq_h + c->rq_hgot, p, k);
            c->rq_hgot += k;
        } else if (c->rq_next >= 0 && k > (size_t)c->rq_next - c->rq_pos) {
            k = (size_t)c->rq_next - c->rq_pos; /* skip up to the next header */
        }
        p += k;
        n -= k;
        c->rq_pos += k;
        c->rq_left -= k;
        if (in_hdr && c->rq_hgot == 64) {
            account_request(fs, c, c->rq_h);
            uint32_t next = le32(c->rq_h + 20);
            c->rq_next = next >= 64 && memcmp(c->rq_h, "\xfeSMB", 4) == 0 ? c->rq_next + next : -1;
            c->rq_hgot = 0;
        }
    }
}

typedef struct {
    faultsrv *fs;
    fs_conn *c;
    unsigned window;
} grant_ctx;

/* Proxy, server -> client: one reply. The request it answers stops being
 * outstanding (unless this is an interim reply, 3.3.4.2); with a window the
 * grant becomes what keeps the client's credits (unused plus outstanding) at
 * the window, never zero (3.3.1.2). A signed reply keeps its grant. */
static void account_reply(unsigned char *m, void *arg)
{
    grant_ctx *g = arg;
    fs_conn *c = g->c;
    uint64_t id = le64(m + 24);
    uint32_t flags = le32(m + 16);
    if (le16(m + 12) == SMB2_OPLOCK_CMD && id == UINT64_MAX)
        return;
    if (!((flags & SMB2_F_ASYNC) && le32(m + 8) == STATUS_PENDING) && c->chg_id[id % FS_CHG] == id) {
        uint16_t ch = c->chg[id % FS_CHG];
        c->outstanding -= ch <= c->outstanding ? ch : c->outstanding;
        c->chg_id[id % FS_CHG] = UINT64_MAX;
    }
    if (g->window && !(flags & SMB2_F_SIGNED)) {
        uint64_t held = c->granted > c->consumed ? c->granted - c->consumed : 0;
        uint64_t have = held + c->outstanding;
        uint64_t grant = have < g->window ? g->window - have : 0;
        if (have + grant == 0)
            grant = 1;
        st16(m + 14, (uint16_t)grant);
    }
    c->granted += le16(m + 14);
    if (g->fs->trace)
        fprintf(stderr, "faultsrv: conn %d: reply cmd %u id %llu flags 0x%x grants %u (%llu granted, %llu used, %llu out)\n",
                c->id, le16(m + 12), (unsigned long long)id, flags, le16(m + 14),
                (unsigned long long)c->granted, (unsigned long long)c->consumed,
                (unsigned long long)c->outstanding);
}

/* An interim STATUS_PENDING reply to the message m (SMB2 ERROR body, 2.2.2),
 * as a whole frame; the final reply m becomes asynchronous with the same
 * AsyncId (3.3.4.2). */
static unsigned char *interim_for(unsigned char *m, uint64_t async_id, size_t *total)
{
    enum { BODY = 9 };
    unsigned char *f = calloc(1, 4 + 64 + BODY);
    if (!f)
        return NULL;
    f[3] = 64 + BODY;
    memcpy(f + 4, m, 64);
    unsigned char *h = f + 4;
    st32(h + 8, STATUS_PENDING);
    st16(h + 14, 0); /* grants none: the final reply grants */
    st32(h + 16, (le32(m + 16) | SMB2_F_ASYNC) & ~(uint32_t)SMB2_F_SIGNED);
    st32(h + 20, 0);
    st64(h + 32, async_id);
    memset(h + 48, 0, 16);
    st16(h + 64, 9);
    st32(m + 16, le32(m + 16) | SMB2_F_ASYNC);
    st64(m + 32, async_id);
    *total = 4 + 64 + BODY;
    return f;
}

/* One unsolicited oplock break (2.2.23.1, MessageId all ones) of
 * FS_FLOOD_BODY payload bytes, then a NetBIOS keep-alive. */
static unsigned char *flood_unit(size_t *total)
{
    size_t n = 4 + FS_FLOOD_BODY + 4;
    unsigned char *f = calloc(1, n);
    if (!f)
        return NULL;
    f[1] = (unsigned char)(FS_FLOOD_BODY >> 16);
    f[2] = (unsigned char)(FS_FLOOD_BODY >> 8);
    f[3] = (unsigned char)FS_FLOOD_BODY;
    unsigned char *h = f + 4;
    memcpy(h, "\xfeSMB", 4);
    st16(h + 4, 64);
    st16(h + 12, SMB2_OPLOCK_CMD);
    st32(h + 16, 1); /* SMB2_FLAGS_SERVER_TO_REDIR */
    st64(h + 24, UINT64_MAX);
    st16(h + 64, 24);
    f[n - 4] = 0x85;
    *total = n;
    return f;
}

/* ------------------------------------------------------------------ frames */

static void proxy_edit(faultsrv *fs, fs_conn *c, unsigned char *f, size_t len, fs_action a,
                       size_t arg);
static void basic_action(faultsrv *fs, fs_conn *c, unsigned char *f, size_t len, fs_action a,
                         size_t arg);

/* fs_replace's substitutions in a reply's payload p[0..n); under fs->mu. */
static void replace_bytes(faultsrv *fs, unsigned char *p, size_t n)
{
    for (size_t r = 0; r < fs->nrepl; r++) {
        size_t k = fs->repl[r].len;
        for (size_t i = 0; k && i + k <= n; i++)
            if (memcmp(p + i, fs->repl[r].from, k) == 0) {
                memcpy(p + i, fs->repl[r].to, k);
                fs->hits++;
                i += k - 1;
            }
    }
}

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
    if (!fake)
        replace_bytes(fs, f + 4, len - 4);
    if (fs->nlog < FS_LOG_MAX) {
        fs->log[fs->nlog].conn = c->id;
        fs->log[fs->nlog++].fi = (fs_frame_info){no, cmd, occ, len - 4};
    }
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
    if (a != FS_PASS)
        fs->hits++;
    unsigned window = fs->window;
    pthread_mutex_unlock(&fs->mu);
    if (fs->trace)
        fprintf(stderr, "faultsrv: conn %d %s frame %d len %zu cmd %d#%d -> %s %zu\n", c->id,
                fake ? "request" : "reply", no, len - 4, cmd, occ, action_names[a], arg);

    fs_out *tail = c->out_tail;
    if (!fake && a != FS_DROP && a != FS_CLOSE && a != FS_TRUNCATE_CLOSE && a != FS_STALL &&
        a != FS_GARBAGE && a != FS_HEADER) { /* the client gets these replies: count them */
        grant_ctx g = {fs, c, window};
        each_msg(f, len, account_reply, &g);
    }
    if (a >= FS_SWAP && !fake)
        proxy_edit(fs, c, f, len, a, arg);
    else
        basic_action(fs, c, f, len, a, arg);
    if (c->held && c->out_tail != tail && !c->dead) { /* FS_SWAP: the held frame follows */
        unsigned char *h = c->held;
        c->held = NULL;
        queue_client(c, h, c->held_len);
    }
}

/* The proxy-only actions: a reply edited, multiplied, delayed or held back. */
static void proxy_edit(faultsrv *fs, fs_conn *c, unsigned char *f, size_t len, fs_action a,
                       size_t arg)
{
    size_t total = 0;
    unsigned char *extra = NULL;
    switch (a) {
    case FS_SWAP:
        if (c->held) { /* one at a time */
            queue_client(c, f, len);
        } else {
            c->held = f;
            c->held_len = len;
        }
        break;
    case FS_DUP:
        queue_client_at(c, f, len, 1 + (long)(arg ? arg : 1), 0);
        break;
    case FS_DELAY:
        queue_client_at(c, f, len, 1, now_ms() + arg);
        break;
    case FS_INTERIM:
        if (len >= 4 + 64 && memcmp(f + 4, "\xfeSMB", 4) == 0 && le32(f + 4 + 20) == 0)
            extra = interim_for(f + 4, 0x5A5A0000u + (uint64_t)c->nframes, &total);
        if (extra)
            queue_client(c, extra, total);
        queue_client_at(c, f, len, 1, now_ms() + arg);
        break;
    case FS_CREDITS:
        each_msg(f, len, set_credits, &(set_ctx){c, arg});
        queue_client(c, f, len);
        break;
    case FS_SESSION:
        each_msg(f, len, xor_session, &arg);
        queue_client(c, f, len);
        break;
    case FS_FLOOD:
        if ((extra = flood_unit(&total)) != NULL)
            queue_client_at(c, extra, total, (long)arg, 0);
        queue_client(c, f, len);
        break;
    default:
        queue_client(c, f, len);
        break;
    }
    (void)fs;
}

/* The actions of both modes. */
static void basic_action(faultsrv *fs, fs_conn *c, unsigned char *f, size_t len, fs_action a,
                         size_t arg)
{
    int fake = c->ufd < 0;
    size_t total = 0;
    switch (a) {
    case FS_HEADER: {
        free(f);
        unsigned char *h = malloc(4);
        if (!h) {
            conn_close(c);
            break;
        }
        h[0] = (unsigned char)(arg >> 24);
        h[1] = (unsigned char)(arg >> 16);
        h[2] = (unsigned char)(arg >> 8);
        h[3] = (unsigned char)arg;
        queue_client(c, h, 4);
        c->stalled = 1; /* nothing follows the header */
        c->raw_len = c->raw_off = 0;
        break;
    }
    case FS_PASS:
    case FS_DROP:
    case FS_CORRUPT:
    default:
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
        if (c->dead || c->close_after_flush || c->out_head)
            return 0; /* one frame (with its copies) in flight at a time */
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
static int read_client_raw(faultsrv *fs, fs_conn *c)
{
    for (;;) {
        if (c->raw_len > 0 && !c->stalled)
            return 0;
        ssize_t n = recv(c->cfd, c->raw, FS_RAW_CAP, 0);
        if (n > 0) {
            if (!c->stalled) {
                observe_requests(fs, c, c->raw, (size_t)n);
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

/* Writes the queue while the socket takes it and its head is due. */
static int flush_client(fs_conn *c)
{
    uint64_t now = 0;
    while (c->out_head) {
        fs_out *o = c->out_head;
        if (o->not_before && o->not_before > (now ? now : (now = now_ms())))
            return 0;
        if (flush_out(c->cfd, o->p, &o->off, o->len) < 0)
            return -1;
        if (o->off < o->len)
            return 0;
        if (--o->repeat > 0) {
            o->off = 0;
            continue;
        }
        c->out_head = o->next;
        if (!c->out_head)
            c->out_tail = NULL;
        free(o->p);
        free(o);
    }
    if (c->close_after_flush)
        conn_close(c);
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
        c->granted = 1; /* the client's first credit, for NEGOTIATE (3.3.1.2) */
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
            if ((fake ? read_frames(fs, c, c->cfd) : read_client_raw(fs, c)) < 0)
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
        uint64_t now = now_ms();
        int timeout = -1; /* until the first delayed frame is due */
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
            int flow = !c->out_head && !c->close_after_flush; /* may read the source */
            short ev = 0;
            if (c->out_head && c->out_head->not_before > now) {
                uint64_t wait = c->out_head->not_before - now;
                if (timeout < 0 || wait < (uint64_t)timeout)
                    timeout = (int)wait;
            } else if (c->out_head) {
                ev |= POLLOUT;
            }
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
        if (poll(pfds, k, timeout) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfds[0].revents)
            break; /* fs_stop */
        for (fs_conn *c = fs->conns; c; c = c->next) {
            service(fs, c, pfds);
            if (!c->dead && c->out_head && flush_client(c) < 0) /* a delayed frame came due */
                conn_close(c);
        }
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

int fs_replace(faultsrv *fs, const void *from, const void *to, size_t len)
{
    int rc = -1;
    pthread_mutex_lock(&fs->mu);
    if (fs->nrepl < FS_REPLACE_MAX && len && (fs->repl[fs->nrepl].from = malloc(2 * len))) {
        fs->repl[fs->nrepl].to = fs->repl[fs->nrepl].from + len;
        memcpy(fs->repl[fs->nrepl].from, from, len);
        memcpy(fs->repl[fs->nrepl].to, to, len);
        fs->repl[fs->nrepl++].len = len;
        rc = 0;
    }
    pthread_mutex_unlock(&fs->mu);
    return rc;
}

int fs_port(const faultsrv *fs)
{
    return fs ? fs->port : -1;
}

void fs_credit_window(faultsrv *fs, unsigned window)
{
    pthread_mutex_lock(&fs->mu);
    fs->window = window;
    pthread_mutex_unlock(&fs->mu);
}

void fs_credit_stats_get(faultsrv *fs, fs_credit_stats *out)
{
    pthread_mutex_lock(&fs->mu);
    *out = fs->stats;
    pthread_mutex_unlock(&fs->mu);
}

void fs_credit_stats_reset_max(faultsrv *fs)
{
    pthread_mutex_lock(&fs->mu);
    fs->stats.max_outstanding = 0;
    pthread_mutex_unlock(&fs->mu);
}

int fs_frame_log(faultsrv *fs, int conn_no, fs_frame_info *out, int max)
{
    int n = 0;
    pthread_mutex_lock(&fs->mu);
    for (int i = 0; i < fs->nlog && n < max; i++)
        if (fs->log[i].conn == conn_no)
            out[n++] = fs->log[i].fi;
    pthread_mutex_unlock(&fs->mu);
    return n;
}

int fs_hits(faultsrv *fs)
{
    pthread_mutex_lock(&fs->mu);
    int n = fs->hits;
    pthread_mutex_unlock(&fs->mu);
    return n;
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
    for (size_t r = 0; r < fs->nrepl; r++)
        free(fs->repl[r].from);
    free(fs->rules);
    free(fs);
}
