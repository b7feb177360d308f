/* Self-test of tests/faults/faultsrv: plain blocking sockets against the fake
 * server, and against the proxy in front of a tiny scripted upstream. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "faults/faultsrv.h"
#include "test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BIG (0xFFFFFFu) /* largest direct-TCP payload */

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads up to n bytes, waiting at most timeout_ms for each piece.
 * Returns the count read; *eof is set when the peer closed. */
static size_t recv_upto(int fd, void *p, size_t n, int timeout_ms, int *eof)
{
    unsigned char *b = p;
    size_t got = 0;
    *eof = 0;
    while (got < n) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, timeout_ms) <= 0)
            break;
        ssize_t r = recv(fd, b + got, n - got, 0);
        if (r <= 0) {
            *eof = 1;
            break;
        }
        got += (size_t)r;
    }
    return got;
}

static void put_hdr(unsigned char *h, unsigned type, size_t len)
{
    h[0] = (unsigned char)type;
    h[1] = (unsigned char)(len >> 16);
    h[2] = (unsigned char)(len >> 8);
    h[3] = (unsigned char)len;
}

/* A request: an SMB2 header with this command, then extra zero bytes. */
static int send_req(int fd, int cmd, size_t extra)
{
    size_t len = 64 + extra;
    unsigned char *f = calloc(1, 4 + len);
    put_hdr(f, 0, len);
    memcpy(f + 4, "\xfeSMB", 4);
    f[4 + 4] = 64;
    f[4 + 12] = (unsigned char)cmd;
    int r = send_all(fd, f, 4 + len);
    free(f);
    return r;
}

/* Reads one frame; returns its payload (malloc'd) or NULL; *len its length. */
static unsigned char *read_frame(int fd, size_t *len, int timeout_ms)
{
    unsigned char h[4];
    int eof;
    if (recv_upto(fd, h, 4, timeout_ms, &eof) != 4)
        return NULL;
    *len = (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
    unsigned char *p = malloc(*len ? *len : 1);
    if (recv_upto(fd, p, *len, timeout_ms, &eof) != *len) {
        free(p);
        return NULL;
    }
    return p;
}

static int closed_soon(int fd)
{
    unsigned char b[64];
    int eof;
    while (recv_upto(fd, b, sizeof b, 2000, &eof) > 0)
        ;
    return eof;
}

static int silent_for(int fd, int ms)
{
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    return poll(&pf, 1, ms) == 0;
}

/* ------------------------------------------------ a scripted upstream server
 * On accept it sends a keep-alive (0x85). Request i of a connection gets an
 * SMB2 header with the request's command and MessageId i, then a body:
 * READ (8): up to the largest payload of pattern bytes; WRITE (9): the request
 * length (4 bytes LE); others: 8 pattern bytes. */
typedef struct {
    int lfd, port;
    pthread_t th;
} upstream;

static unsigned char pat(size_t i)
{
    return (unsigned char)(i * 31 + 7);
}

static void *upstream_main(void *arg)
{
    upstream *u = arg;
    for (;;) {
        int fd = accept(u->lfd, NULL, NULL);
        if (fd < 0)
            break;
        unsigned char ka[4] = {0x85, 0, 0, 0};
        send_all(fd, ka, 4);
        for (uint64_t i = 0;; i++) {
            size_t len;
            unsigned char *req = read_frame(fd, &len, 10000);
            if (!req)
                break;
            int cmd = len >= 64 ? req[12] | req[13] << 8 : -1;
            size_t body = cmd == 8 ? BIG - 64 : cmd == 9 ? 4 : 8;
            unsigned char *rep = malloc(4 + 64 + body);
            put_hdr(rep, 0, 64 + body);
            memset(rep + 4, 0, 64);
            memcpy(rep + 4, "\xfeSMB", 4);
            rep[4 + 4] = 64;
            rep[4 + 12] = (unsigned char)cmd;
            rep[4 + 14] = 1; /* credits */
            rep[4 + 16] = 1; /* SMB2_FLAGS_SERVER_TO_REDIR */
            for (int k = 0; k < 8; k++)
                rep[4 + 24 + k] = (unsigned char)(i >> (8 * k));
            if (cmd == 9)
                for (int k = 0; k < 4; k++)
                    rep[4 + 64 + k] = (unsigned char)(len >> (8 * k));
            else
                for (size_t k = 0; k < body; k++)
                    rep[4 + 64 + k] = pat(k);
            int r = send_all(fd, rep, 4 + 64 + body);
            free(rep);
            free(req);
            if (r < 0)
                break;
        }
        close(fd);
    }
    return NULL;
}

static void upstream_start(upstream *u)
{
    struct sockaddr_in a = {0};
    socklen_t al = sizeof a;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    u->lfd = socket(AF_INET, SOCK_STREAM, 0);
    bind(u->lfd, (struct sockaddr *)&a, sizeof a);
    listen(u->lfd, 8);
    getsockname(u->lfd, (struct sockaddr *)&a, &al);
    u->port = ntohs(a.sin_port);
    pthread_create(&u->th, NULL, upstream_main, u);
}

static void upstream_stop(upstream *u)
{
    shutdown(u->lfd, SHUT_RDWR); /* wakes accept() */
    pthread_join(u->th, NULL);
    close(u->lfd);
}

/* A reply from upstream with MessageId msgid and command cmd, intact? */
static int reply_ok(const unsigned char *p, size_t len, int cmd, unsigned msgid)
{
    return p && len >= 64 + 8 && memcmp(p, "\xfeSMB", 4) == 0 && p[12] == cmd &&
           p[24] == msgid && p[64] == pat(0) && p[len - 1] == pat(len - 65);
}

static int expect_keepalive(int fd)
{
    unsigned char h[4];
    int eof;
    return recv_upto(fd, h, 4, 2000, &eof) == 4 && h[0] == 0x85 && h[1] == 0 && h[3] == 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ------------------------------------------------ tests */

static void test_fake(void)
{
    /* FS_GARBAGE: a frame of junk answers the first request */
    faultsrv *fs = fs_start(0);
    CHECK(fs != NULL);
    CHECK(fs_port(fs) > 0);
    fs_rule(fs, 0, FS_GARBAGE, 100);
    int fd = tcp_connect(fs_port(fs));
    CHECK(fd >= 0);
    CHECK(send_req(fd, 0, 0) == 0);
    size_t len = 0;
    unsigned char *p = read_frame(fd, &len, 2000);
    CHECK(p != NULL);
    CHECK_EQ_INT(len, 100);
    CHECK(p && p[0] < 0xFC);
    free(p);
    CHECK(silent_for(fd, 100)); /* request 1: no rule, no answer */
    CHECK(send_req(fd, 0, 0) == 0);
    CHECK(silent_for(fd, 100));
    close(fd);
    CHECK_EQ_INT(fs_connections(fs), 1);
    fs_stop(fs);

    /* FS_STALL: never answers, stays open; fs_stop does not hang on it */
    fs = fs_start(0);
    fs_rule(fs, 0, FS_STALL, 0);
    fd = tcp_connect(fs_port(fs));
    send_req(fd, 0, 0);
    send_req(fd, 1, 1000);
    CHECK(silent_for(fd, 200));
    double t0 = now_ms();
    fs_stop(fs);
    CHECK(now_ms() - t0 < 500);
    CHECK(closed_soon(fd));
    close(fd);

    /* FS_CLOSE */
    fs = fs_start(0);
    fs_rule(fs, 0, FS_CLOSE, 0);
    fd = tcp_connect(fs_port(fs));
    send_req(fd, 0, 0);
    CHECK(closed_soon(fd));
    close(fd);
    fs_stop(fs);

    /* FS_TRUNCATE_CLOSE: announces 20 + 60 payload bytes, sends 20 bytes, closes */
    fs = fs_start(0);
    fs_rule(fs, 0, FS_TRUNCATE_CLOSE, 20);
    fd = tcp_connect(fs_port(fs));
    send_req(fd, 0, 0);
    unsigned char buf[256];
    int eof;
    size_t got = recv_upto(fd, buf, sizeof buf, 2000, &eof);
    CHECK_EQ_INT(got, 20);
    CHECK(eof);
    CHECK(buf[0] == 0 && buf[1] == 0 && buf[2] == 0 && buf[3] == 80);
    close(fd);
    fs_stop(fs);

    /* a rule keyed on the request's command; connection filters */
    fs = fs_start(0);
    fs_rule_cmd(fs, 1, 1, FS_GARBAGE, 10);     /* the second SESSION_SETUP */
    fs_rule_cmd_conn(fs, 1, 0, 0, FS_CLOSE, 0); /* connection 1: close on NEGOTIATE */
    fd = tcp_connect(fs_port(fs));
    send_req(fd, 0, 0);
    send_req(fd, 1, 0);
    CHECK(silent_for(fd, 100));
    send_req(fd, 1, 0);
    p = read_frame(fd, &len, 2000);
    CHECK(p != NULL);
    CHECK_EQ_INT(len, 10);
    free(p);
    int fd2 = tcp_connect(fs_port(fs));
    send_req(fd2, 0, 0);
    CHECK(closed_soon(fd2));
    close(fd2);
    close(fd);
    CHECK_EQ_INT(fs_connections(fs), 2);
    CHECK_EQ_INT(fs_frames(fs), 4);
    fs_stop(fs);
}

static void test_proxy(void)
{
    upstream u;
    upstream_start(&u);

    /* pass, keep-alive, drop, corrupt, truncate by command */
    faultsrv *fs = fs_start(u.port);
    CHECK(fs != NULL);
    fs_rule(fs, 1, FS_DROP, 0);
    fs_rule(fs, 2, FS_CORRUPT, 0);
    fs_rule_cmd(fs, 5, 1, FS_TRUNCATE_CLOSE, 30);
    int fd = tcp_connect(fs_port(fs));
    CHECK(expect_keepalive(fd));
    size_t len = 0;
    send_req(fd, 0, 0);
    unsigned char *p = read_frame(fd, &len, 2000);
    CHECK(reply_ok(p, len, 0, 0));
    free(p);
    send_req(fd, 3, 0);
    CHECK(silent_for(fd, 150)); /* frame 1 dropped */
    send_req(fd, 3, 0);
    p = read_frame(fd, &len, 2000);
    CHECK(p && p[0] == (0xFE ^ 0xFF) && p[24] == 2); /* frame 2 corrupted at byte 0 */
    free(p);
    send_req(fd, 5, 0);
    p = read_frame(fd, &len, 2000);
    CHECK(reply_ok(p, len, 5, 3)); /* CREATE #0 passes */
    free(p);
    send_req(fd, 5, 0);
    unsigned char buf[256];
    int eof;
    CHECK_EQ_INT(recv_upto(fd, buf, sizeof buf, 2000, &eof), 30); /* CREATE #1 truncated */
    CHECK(eof);
    close(fd);

    /* the rules hold for every connection; frames are counted per connection */
    fd = tcp_connect(fs_port(fs));
    CHECK(expect_keepalive(fd));
    send_req(fd, 0, 0);
    p = read_frame(fd, &len, 2000);
    CHECK(reply_ok(p, len, 0, 0));
    free(p);
    send_req(fd, 0, 0);
    CHECK(silent_for(fd, 150));
    close(fd);
    CHECK_EQ_INT(fs_connections(fs), 2);
    fs_stop(fs);

    /* close the first connection only; 16 MiB frames both ways; default garbage */
    fs = fs_start(u.port);
    fs_rule_conn(fs, 0, 0, FS_CLOSE, 0);
    fs_rule_conn(fs, 1, 2, FS_GARBAGE, 0);
    fd = tcp_connect(fs_port(fs));
    CHECK(expect_keepalive(fd));
    send_req(fd, 0, 0);
    CHECK(closed_soon(fd));
    close(fd);
    fd = tcp_connect(fs_port(fs));
    CHECK(expect_keepalive(fd));
    send_req(fd, 8, 0);
    p = read_frame(fd, &len, 5000);
    CHECK_EQ_INT(len, BIG);
    CHECK(reply_ok(p, len, 8, 0));
    free(p);
    send_req(fd, 9, BIG - 64);
    p = read_frame(fd, &len, 5000);
    CHECK(p && len == 68 && (p[64] | p[65] << 8 | p[66] << 16) == (int)BIG);
    free(p);
    send_req(fd, 0, 0);
    p = read_frame(fd, &len, 2000);
    CHECK_EQ_INT(len, 64);
    CHECK(p && memcmp(p, "\xfeSMB", 4) != 0);
    free(p);
    close(fd);
    fs_stop(fs);

    /* FS_STALL: no answer, input swallowed, fs_stop still quick */
    fs = fs_start(u.port);
    fs_rule(fs, 0, FS_STALL, 0);
    fd = tcp_connect(fs_port(fs));
    CHECK(expect_keepalive(fd));
    send_req(fd, 0, 0);
    send_req(fd, 9, 1 << 20);
    CHECK(silent_for(fd, 200));
    double t0 = now_ms();
    fs_stop(fs);
    CHECK(now_ms() - t0 < 500);
    CHECK(closed_soon(fd));
    close(fd);
    upstream_stop(&u);

    /* upstream refuses: the client is closed */
    fs = fs_start(u.port); /* nothing listens there any more */
    fd = tcp_connect(fs_port(fs));
    CHECK(closed_soon(fd));
    close(fd);
    CHECK_EQ_INT(fs_connections(fs), 1);
    fs_stop(fs);
}

/* fs_replace: bytes rewritten in every reply, each occurrence a hit. */
static void test_replace(void)
{
    upstream u;
    upstream_start(&u);
    faultsrv *fs = fs_start(u.port);
    CHECK(fs != NULL);
    unsigned char from[2] = {pat(1), pat(2)}, to[2] = {0xAA, 0xBB};
    CHECK_EQ_INT(fs_replace(fs, from, to, 0), -1);
    CHECK_EQ_INT(fs_replace(fs, from, to, 2), 0);
    int fd = tcp_connect(fs_port(fs));
    CHECK(expect_keepalive(fd));
    for (int i = 0; i < 2; i++) {
        size_t len = 0;
        send_req(fd, 3, 0);
        unsigned char *p = read_frame(fd, &len, 2000);
        CHECK(p && len == 64 + 8 && p[64] == pat(0) && p[65] == 0xAA && p[66] == 0xBB &&
              p[67] == pat(3));
        free(p);
    }
    CHECK_EQ_INT(fs_hits(fs), 2);
    close(fd);
    fs_stop(fs);
    upstream_stop(&u);
}

int main(void)
{
    test_fake();
    test_proxy();
    test_replace();
    TEST_DONE();
}
