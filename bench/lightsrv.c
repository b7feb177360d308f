/* lightsrv: a light SMB2 server for connection-scale benchmarks (bench/asmb_conns.c).
 *
 *   lightsrv [-p PORT] [-c MAX_CREDITS] [-q]
 *
 * One thread, epoll (edge-triggered), non-blocking sockets on 127.0.0.1:PORT (0 or absent:
 * ephemeral). It does just enough for a client to hold an authenticated idle session:
 *   NEGOTIATE      answers dialect 3.0.2 (0x0302) when offered (else 2.1, else 2.0.2):
 *                  the newest dialect without negotiate contexts or a preauth hash, so the
 *                  server stays small while the client still runs its SMB3 paths
 *                  (multi-credit CreditCharge with LARGE_MTU, 3.x session setup); signing
 *                  enabled, not required; no encryption capability. The security buffer is
 *                  a SPNEGO negTokenInit hint naming NTLMSSP.
 *   SESSION_SETUP  SPNEGO/NTLMSSP, anonymous only: the NTLM NEGOTIATE gets
 *                  STATUS_MORE_PROCESSING_REQUIRED with a NegTokenResp (accept-incomplete,
 *                  NTLMSSP, a CHALLENGE with target info); an AUTHENTICATE with an empty
 *                  user name and NT response (MS-NLMP 3.2.5.1.2) gets STATUS_SUCCESS with
 *                  SMB2_SESSION_FLAG_IS_NULL and NegTokenResp accept-completed; any other
 *                  user gets STATUS_LOGON_FAILURE. (The NTLMSSP message is found by its
 *                  signature inside the SPNEGO blob, not by a full DER parse.)
 *   ECHO, LOGOFF   answered; TREE_DISCONNECT answered too. Anything else:
 *                  STATUS_NOT_SUPPORTED.
 * Credits: each connection starts with 1; every request consumes max(1, CreditCharge);
 * every response grants what was asked, as long as the client then holds at most
 * MAX_CREDITS (default 512, the client's default target), and at least 1 when it would
 * hold none. Per connection: one fd, a 4 KiB input buffer and a small output buffer for
 * when the socket would block (the client sends one request at a time here).
 *
 * First stdout line: PORT=<port>. SIGTERM/SIGINT: prints counters to stderr and exits.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

enum { SMB2_NEGOTIATE = 0, SMB2_SESSION_SETUP = 1, SMB2_LOGOFF = 2, SMB2_TREE_DISCONNECT = 4,
       SMB2_ECHO = 13 };
#define ST_SUCCESS 0x00000000u
#define ST_MORE_PROCESSING 0xC0000016u
#define ST_LOGON_FAILURE 0xC000006Du
#define ST_NOT_SUPPORTED 0xC00000BBu
#define ST_INVALID_PARAMETER 0xC000000Du
#define ST_USER_SESSION_DELETED 0xC0000203u

#define INBUF 4096
#define OUTBUF 8192

typedef struct conn {
    int fd;
    uint32_t inlen, outlen;
    uint32_t credits; /* the client holds this many */
    uint64_t session_id;
    int authed;
    uint8_t in[INBUF];
    uint8_t *out; /* pending output, only when a write would block */
} conn;

static uint32_t g_max_credits = 512;
static int g_ep, g_quiet;
static uint64_t g_next_session = 0x100000001ull;
static uint64_t g_accepted, g_sessions, g_anon_ok, g_logon_fail, g_echos, g_closed, g_open;
static volatile sig_atomic_t g_stop;
static uint8_t g_guid[16] = {'l', 'i', 'g', 'h', 't', 's', 'r', 'v', 1, 2, 3, 4, 5, 6, 7, 8};

static void on_sig(int s)
{
    (void)s;
    g_stop = 1;
}

static void st16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void st32(uint8_t *p, uint32_t v) { st16(p, v); st16(p + 2, v >> 16); }
static void st64(uint8_t *p, uint64_t v) { st32(p, (uint32_t)v); st32(p + 4, (uint32_t)(v >> 32)); }
static uint32_t le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const uint8_t *p) { return le16(p) | le16(p + 2) << 16; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

/* ---- DER (only what the SPNEGO tokens below need) ---- */

typedef struct wbuf {
    uint8_t b[1024];
    size_t n;
} wbuf;

static void put(wbuf *w, const void *p, size_t n)
{
    if (w->n + n <= sizeof w->b) memcpy(w->b + w->n, p, n);
    w->n += n;
}

/* tag, length, value (value given as a buffer) */
static void der(wbuf *w, uint8_t tag, const void *v, size_t n)
{
    uint8_t h[4] = {tag};
    size_t hl;
    if (n < 128) { h[1] = (uint8_t)n; hl = 2; }
    else if (n < 256) { h[1] = 0x81; h[2] = (uint8_t)n; hl = 3; }
    else { h[1] = 0x82; h[2] = (uint8_t)(n >> 8); h[3] = (uint8_t)n; hl = 4; }
    put(w, h, hl);
    put(w, v, n);
}

static const uint8_t ntlm_oid[] = {0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a};
static const uint8_t spnego_oid[] = {0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};

/* negTokenInit hint for the NEGOTIATE response: [APPLICATION 0] { SPNEGO, [0] { SEQUENCE {
 * [0] { SEQUENCE { NTLMSSP } } } } } */
static void spnego_hint(wbuf *out)
{
    wbuf a = {{0}, 0}, b = {{0}, 0}, c = {{0}, 0}, d = {{0}, 0}, e = {{0}, 0};
    der(&a, 0x30, ntlm_oid, sizeof ntlm_oid); /* mechTypes */
    der(&b, 0xa0, a.b, a.n);
    der(&c, 0x30, b.b, b.n); /* NegTokenInit */
    der(&d, 0xa0, c.b, c.n);
    put(&e, spnego_oid, sizeof spnego_oid);
    put(&e, d.b, d.n);
    der(out, 0x60, e.b, e.n);
}

/* NegTokenResp: [1] SEQUENCE { [0] negState, [1] supportedMech (when tok), [2] token } */
static void spnego_resp(wbuf *out, int state, const uint8_t *tok, size_t tlen)
{
    wbuf s = {{0}, 0}, q = {{0}, 0}, t = {{0}, 0};
    uint8_t en[3] = {0x0a, 0x01, (uint8_t)state};
    der(&s, 0xa0, en, 3);
    if (tok) {
        der(&s, 0xa1, ntlm_oid, sizeof ntlm_oid);
        der(&t, 0x04, tok, tlen);
        der(&s, 0xa2, t.b, t.n);
    }
    der(&q, 0x30, s.b, s.n);
    der(out, 0xa1, q.b, q.n);
}

/* NTLM CHALLENGE_MESSAGE: target name "LIGHT", target info { NbDomainName, NbComputerName,
 * EOL }, flags UNICODE | REQUEST_TARGET | NTLM | TARGET_TYPE_DOMAIN | ESS | TARGET_INFO |
 * 128 | KEY_EXCH | 56 (as a Samba server's, minus signing/sealing). */
static void ntlm_challenge(wbuf *out)
{
    static const uint8_t name[] = {'L', 0, 'I', 0, 'G', 0, 'H', 0, 'T', 0};
    uint8_t m[48 + 8 + 10 + 4 * 3 + 20] = {0};
    size_t off_name = 56, off_ti = off_name + sizeof name;
    memcpy(m, "NTLMSSP\0", 8);
    st32(m + 8, 2);
    st16(m + 12, sizeof name);
    st16(m + 14, sizeof name);
    st32(m + 16, (uint32_t)off_name);
    st32(m + 20, 0x00000001u | 0x00000004u | 0x00000200u | 0x00010000u | 0x00080000u |
                     0x00800000u | 0x20000000u | 0x40000000u | 0x80000000u | 0x02000000u);
    for (int i = 0; i < 8; i++) m[24 + i] = (uint8_t)(0x11 * (i + 1)); /* server challenge */
    uint8_t *ti = m + off_ti;
    size_t tl = 0;
    st16(ti + tl, 2); st16(ti + tl + 2, sizeof name); memcpy(ti + tl + 4, name, sizeof name);
    tl += 4 + sizeof name;
    st16(ti + tl, 1); st16(ti + tl + 2, sizeof name); memcpy(ti + tl + 4, name, sizeof name);
    tl += 4 + sizeof name;
    st16(ti + tl, 0); st16(ti + tl + 2, 0);
    tl += 4;
    st16(m + 40, (uint32_t)tl);
    st16(m + 42, (uint32_t)tl);
    st32(m + 44, (uint32_t)off_ti);
    /* version (flag 0x02000000): 6.1.7600, NTLM revision 15 */
    m[48] = 6; m[49] = 1; st16(m + 50, 7600); m[55] = 15;
    memcpy(m + off_name, name, sizeof name);
    put(out, m, off_ti + tl);
}

/* ---- connections ---- */

static void conn_close(conn *c)
{
    close(c->fd);
    free(c->out);
    free(c);
    g_closed++;
    g_open--;
}

/* Queues or writes one frame; -1 = the connection is gone. */
static int send_frame(conn *c, const uint8_t *f, size_t n)
{
    size_t done = 0;
    if (!c->outlen) {
        ssize_t w = send(c->fd, f, n, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN) return -1;
        done = w > 0 ? (size_t)w : 0;
    }
    if (done == n) return 0;
    if (!c->out && !(c->out = malloc(OUTBUF))) return -1;
    if (c->outlen + (n - done) > OUTBUF) return -1; /* a client that does not read */
    memcpy(c->out + c->outlen, f + done, n - done);
    c->outlen += (uint32_t)(n - done);
    return 0;
}

static int flush_out(conn *c)
{
    while (c->outlen) {
        ssize_t w = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL);
        if (w < 0) return errno == EAGAIN ? 0 : -1;
        memmove(c->out, c->out + w, c->outlen - (size_t)w);
        c->outlen -= (uint32_t)w;
    }
    free(c->out);
    c->out = NULL;
    return 0;
}

/* Builds the response to the request header rq with body (len bytes) and sends it. */
static int respond(conn *c, const uint8_t *rq, uint32_t status, const uint8_t *body, size_t len,
                   uint64_t session_id)
{
    uint8_t f[4 + 64 + 1024];
    if (len > sizeof f - 68) return -1;
    memset(f, 0, 68);
    f[0] = 0; /* NetBIOS: type 0, 24-bit length (big endian) */
    f[1] = (uint8_t)((64 + len) >> 16);
    f[2] = (uint8_t)((64 + len) >> 8);
    f[3] = (uint8_t)(64 + len);
    uint8_t *h = f + 4;
    memcpy(h, "\xfeSMB", 4);
    st16(h + 4, 64);
    st16(h + 6, le16(rq + 6)); /* CreditCharge */
    st32(h + 8, status);
    st16(h + 12, le16(rq + 12));
    /* credits: the request consumed its charge; grant what was asked within the cap */
    uint32_t charge = le16(rq + 6) ? le16(rq + 6) : 1;
    c->credits = c->credits > charge ? c->credits - charge : 0;
    uint32_t ask = le16(rq + 14), grant = ask;
    if (c->credits + grant > g_max_credits)
        grant = g_max_credits > c->credits ? g_max_credits - c->credits : 0;
    if (!grant && !c->credits) grant = 1;
    c->credits += grant;
    st16(h + 14, grant);
    st32(h + 16, 0x00000001u); /* SERVER_TO_REDIR */
    memcpy(h + 24, rq + 24, 8);  /* MessageId */
    memcpy(h + 32, rq + 32, 8);  /* Reserved/ProcessId, TreeId */
    st64(h + 40, session_id);
    memcpy(h + 64, body, len);
    return send_frame(c, f, 68 + len);
}

static int respond_error(conn *c, const uint8_t *rq, uint32_t status)
{
    uint8_t b[9] = {9, 0};
    return respond(c, rq, status, b, sizeof b, le64(rq + 40));
}

/* The NTLMSSP message inside a SPNEGO blob (by signature) and its type; 0 when none. */
static uint32_t find_ntlm(const uint8_t *p, size_t n, const uint8_t **msg, size_t *mlen)
{
    for (size_t i = 0; i + 12 <= n; i++)
        if (!memcmp(p + i, "NTLMSSP\0", 8)) {
            *msg = p + i;
            *mlen = n - i;
            return le32(p + i + 8);
        }
    return 0;
}

static int on_negotiate(conn *c, const uint8_t *m, size_t len)
{
    if (len < 64 + 36) return respond_error(c, m, ST_INVALID_PARAMETER);
    const uint8_t *b = m + 64;
    uint32_t nd = le16(b + 2);
    if (len < 64 + 36 + 2 * (size_t)nd) return respond_error(c, m, ST_INVALID_PARAMETER);
    uint32_t best = 0;
    for (uint32_t i = 0; i < nd; i++) {
        uint32_t d = le16(b + 36 + 2 * i);
        if ((d == 0x0202 || d == 0x0210 || d == 0x0302) && d > best) best = d;
    }
    if (!best) return respond_error(c, m, ST_NOT_SUPPORTED);
    wbuf hint = {{0}, 0};
    spnego_hint(&hint);
    uint8_t r[64 + 256] = {0};
    st16(r, 65);
    st16(r + 2, 0x0001); /* SIGNING_ENABLED */
    st16(r + 4, best);
    memcpy(r + 8, g_guid, 16);
    st32(r + 24, best >= 0x0210 ? 0x00000004u : 0); /* LARGE_MTU */
    st32(r + 28, 8u << 20);
    st32(r + 32, 8u << 20);
    st32(r + 36, 8u << 20);
    st64(r + 40, 0x01dc0000000000ull); /* SystemTime: any plausible FILETIME */
    st16(r + 56, 128);
    st16(r + 58, (uint32_t)hint.n);
    memcpy(r + 64, hint.b, hint.n);
    return respond(c, m, ST_SUCCESS, r, 64 + hint.n, 0);
}

static int on_session_setup(conn *c, const uint8_t *m, size_t len)
{
    if (len < 64 + 24) return respond_error(c, m, ST_INVALID_PARAMETER);
    const uint8_t *b = m + 64;
    size_t off = le16(b + 12), bl = le16(b + 14);
    if (off < 64 || off > len || bl > len - off) return respond_error(c, m, ST_INVALID_PARAMETER);
    const uint8_t *nm;
    size_t nl;
    uint32_t type = find_ntlm(m + off, bl, &nm, &nl);
    wbuf tok = {{0}, 0}, blob = {{0}, 0};
    uint8_t r[9 + 1024] = {0};
    st16(r, 9);
    st16(r + 4, 72);
    if (type == 1 && !c->session_id) {
        c->session_id = g_next_session++;
        ntlm_challenge(&tok);
        spnego_resp(&blob, 1, tok.b, tok.n);
        st16(r + 6, (uint32_t)blob.n);
        memcpy(r + 8, blob.b, blob.n);
        return respond(c, m, ST_MORE_PROCESSING, r, 8 + blob.n, c->session_id);
    }
    if (type == 3 && c->session_id && le64(m + 40) == c->session_id && nl >= 64) {
        size_t nt_len = le16(nm + 20), user_len = le16(nm + 36);
        if (nt_len || user_len) {
            g_logon_fail++;
            uint64_t sid = c->session_id;
            c->session_id = 0;
            uint8_t e[9] = {9, 0};
            return respond(c, m, ST_LOGON_FAILURE, e, sizeof e, sid);
        }
        c->authed = 1;
        g_anon_ok++;
        g_sessions++;
        st16(r + 2, 0x0002); /* SMB2_SESSION_FLAG_IS_NULL */
        spnego_resp(&blob, 0, NULL, 0);
        st16(r + 6, (uint32_t)blob.n);
        memcpy(r + 8, blob.b, blob.n);
        return respond(c, m, ST_SUCCESS, r, 8 + blob.n, c->session_id);
    }
    return respond_error(c, m, ST_INVALID_PARAMETER);
}

static int on_message(conn *c, const uint8_t *m, size_t len)
{
    if (len < 64 || memcmp(m, "\xfeSMB", 4)) return -1;
    uint32_t cmd = le16(m + 12);
    uint8_t four[4] = {4, 0, 0, 0};
    switch (cmd) {
    case SMB2_NEGOTIATE: return on_negotiate(c, m, len);
    case SMB2_SESSION_SETUP: return on_session_setup(c, m, len);
    case SMB2_ECHO:
        g_echos++;
        return respond(c, m, ST_SUCCESS, four, 4, le64(m + 40));
    case SMB2_LOGOFF:
        if (!c->authed || le64(m + 40) != c->session_id)
            return respond_error(c, m, ST_USER_SESSION_DELETED);
        c->authed = 0;
        return respond(c, m, ST_SUCCESS, four, 4, le64(m + 40));
    case SMB2_TREE_DISCONNECT: return respond(c, m, ST_SUCCESS, four, 4, le64(m + 40));
    default: return respond_error(c, m, ST_NOT_SUPPORTED);
    }
}

/* Every complete frame in the input buffer (compounded requests one by one). */
static int on_input(conn *c)
{
    uint32_t pos = 0;
    while (c->inlen - pos >= 4) {
        const uint8_t *f = c->in + pos;
        uint32_t n = (uint32_t)f[1] << 16 | (uint32_t)f[2] << 8 | f[3];
        if (f[0] != 0 || n + 4 > INBUF) return -1;
        if (c->inlen - pos < n + 4) break;
        const uint8_t *m = f + 4;
        uint32_t left = n;
        for (int guard = 0; guard < 32 && left >= 64; guard++) {
            uint32_t next = le32(m + 20);
            uint32_t len = next && next <= left ? next : left;
            if (on_message(c, m, len)) return -1;
            if (!next || next >= left) break;
            m += next;
            left -= next;
        }
        pos += n + 4;
    }
    memmove(c->in, c->in + pos, c->inlen - pos);
    c->inlen -= pos;
    return 0;
}

static void on_conn_event(conn *c, uint32_t ev)
{
    if (ev & EPOLLOUT && c->outlen && flush_out(c)) {
        conn_close(c);
        return;
    }
    if (!(ev & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))) return;
    for (int guard = 0; guard < 64; guard++) {
        ssize_t n = recv(c->fd, c->in + c->inlen, INBUF - c->inlen, 0);
        if (n > 0) {
            c->inlen += (uint32_t)n;
            if (on_input(c)) {
                conn_close(c);
                return;
            }
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        conn_close(c); /* EOF or error */
        return;
    }
}

int main(int argc, char **argv)
{
    int port = 0, o;
    while ((o = getopt(argc, argv, "p:c:qh")) != -1) {
        switch (o) {
        case 'p': port = atoi(optarg); break;
        case 'c': g_max_credits = (uint32_t)atoi(optarg); break;
        case 'q': g_quiet = 1; break;
        default:
            fputs("usage: lightsrv [-p PORT] [-c MAX_CREDITS] [-q]\n", stderr);
            return 2;
        }
    }
    if (port < 0 || port > 65535 || g_max_credits < 1 || g_max_credits > 8192) return 2;
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    if (!getrlimit(RLIMIT_NOFILE, &rl)) { /* as many fds as allowed */
        struct rlimit want = {1048576, 1048576};
        if (setrlimit(RLIMIT_NOFILE, &want)) {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
    }
    sigset_t block, orig;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &orig);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0) { perror("socket"); return 1; }
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 4096)) {
        perror("bind/listen");
        return 1;
    }
    socklen_t sl = sizeof a;
    getsockname(lfd, (struct sockaddr *)&a, &sl);
    printf("PORT=%d\n", ntohs(a.sin_port));
    fflush(stdout);
    g_ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {EPOLLIN, {.ptr = NULL}};
    if (g_ep < 0 || epoll_ctl(g_ep, EPOLL_CTL_ADD, lfd, &ev)) { perror("epoll"); return 1; }
    struct epoll_event evs[256];
    uint64_t accept_fail = 0;
    while (!g_stop) {
        int n = epoll_pwait(g_ep, evs, 256, -1, &orig);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("epoll_pwait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            if (!evs[i].data.ptr) {
                for (int k = 0; k < 1024; k++) {
                    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0) {
                        if (errno != EAGAIN) accept_fail++;
                        break;
                    }
                    conn *c = calloc(1, sizeof *c);
                    if (!c) { close(fd); continue; }
                    c->fd = fd;
                    c->credits = 1;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event cev = {EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, {.ptr = c}};
                    if (epoll_ctl(g_ep, EPOLL_CTL_ADD, fd, &cev)) { close(fd); free(c); continue; }
                    g_accepted++;
                    g_open++;
                }
            } else {
                on_conn_event(evs[i].data.ptr, evs[i].events);
            }
        }
    }
    if (!g_quiet)
        fprintf(stderr, "lightsrv: %llu accepted (%llu accept errors), %llu open, %llu anonymous "
                        "sessions, %llu logon failures, %llu echos\n",
                (unsigned long long)g_accepted, (unsigned long long)accept_fail,
                (unsigned long long)g_open, (unsigned long long)g_anon_ok,
                (unsigned long long)g_logon_fail, (unsigned long long)g_echos);
    (void)g_sessions;
    return 0;
}
