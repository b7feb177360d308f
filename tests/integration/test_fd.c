/* The generic event-loop adapter (asmb_fd.h) against the real Samba, driven
 * by a poll() loop written here: events and deadlines as documented,
 * callbacks only inside asmb_fd_service, transfers, timeouts from the
 * adapter's own clock, close and free. One "server" is not Samba: a socket
 * that accepts and never answers (Samba always answers), for the timeout. */
#include <asmb/asmb_fd.h>
#include <asmb/asmb_uv.h> /* this test drives both transports */
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"
#include "listener.h"

static int in_call; /* set while the test is inside an asmb call that attaches */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* One poll() round: waits as the connection asks, then services it. */
static void turn(asmb_conn *c)
{
    int want = asmb_fd_events(c);
    struct pollfd p = {asmb_fd_socket(c), 0, 0};
    if (want & ASMB_FD_READ) p.events |= POLLIN;
    if (want & ASMB_FD_WRITE) p.events |= POLLOUT;
    int ms = asmb_fd_timeout(c);
    if (ms < 0 || ms > 100) ms = 100; /* the test's own guard granularity */
    int ready = 0;
    if (poll(&p, 1, ms) > 0) {
        if (p.revents & (POLLIN | POLLERR | POLLHUP)) ready |= ASMB_FD_READ;
        if (p.revents & (POLLOUT | POLLERR)) ready |= ASMB_FD_WRITE;
    }
    CHECK_EQ_INT(asmb_fd_service(c, ready), 0);
}

/* Turns until *flag or ms pass; returns *flag. */
static int spin(asmb_conn *c, const int *flag, unsigned ms)
{
    uint64_t end = now_ms() + ms;
    while (!*flag && now_ms() < end) turn(c);
    return *flag;
}

static void cb_count(asmb_deferred *d, const void *r, void *arg)
{
    (void)d;
    (void)r;
    CHECK(!in_call); /* never inside the call that attached it */
    (*(int *)arg)++;
}
static void eb_count(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)d;
    (void)f;
    CHECK(!in_call);
    (*(int *)arg) += 1000;
}

static asmb_conn *fd_connect(const char *host, int port, const asmb_config *cfg, conn_events *e)
{
    memset(e, 0, sizeof *e);
    asmb_conn *c = asmb_fd_conn_new(cfg, &test_handlers, e);
    CHECK(c != NULL);
    if (!c) return NULL;
    CHECK_EQ_INT(asmb_fd_socket(c), -1);
    CHECK_EQ_INT(asmb_fd_events(c), 0);
    CHECK_EQ_INT(asmb_fd_timeout(c), -1); /* nothing to do before connect */
    CHECK_EQ_INT(asmb_conn_connect(c, host, port), 0);
    CHECK_EQ_INT(asmb_fd_timeout(c), 0); /* the connect starts in service */
    int any = 0;
    uint64_t end = now_ms() + 15000;
    while (!(any = e->auth_ok || e->auth_failed || e->disconnected) && now_ms() < end) turn(c);
    return c;
}

/* Closes politely and services until the socket is gone. */
static void fd_close(asmb_conn *c, conn_events *e)
{
    asmb_conn_close(c);
    uint64_t t0 = now_ms();
    while ((asmb_fd_socket(c) >= 0 || asmb_fd_timeout(c) == 0) && now_ms() - t0 < 5000) turn(c);
    CHECK_EQ_INT(asmb_fd_socket(c), -1);
    CHECK(now_ms() - t0 < 2500); /* LOGOFF flushed, then closed; grace is 2 s */
    CHECK_EQ_INT(e->disconnected, 1);
    CHECK_EQ_INT(e->disc.code, ASMB_ECLOSED);
    asmb_conn_free(c);
}

static void test_flow(void)
{
    asmb_config cfg;
    t_config(&cfg);
    conn_events e;
    /* A name, so the adapter's getaddrinfo path runs. */
    asmb_conn *c = fd_connect("localhost", it_port(), &cfg, &e);
    CHECK_EQ_INT(e.auth_ok, 1);
    if (!e.auth_ok) {
        fprintf(stderr, "auth: %s / %s\n", e.auth_msg, e.disc_msg);
        asmb_conn_free(c);
        return;
    }
    CHECK(asmb_fd_socket(c) >= 0);
    /* Idle and ready: read only; write only while something waits. */
    CHECK_EQ_INT(asmb_fd_events(c), ASMB_FD_READ);
    CHECK_EQ_INT(asmb_fd_timeout(c), -1);

    enum { N = 64 };
    int fired[N] = {0};
    for (int i = 0; i < N; i++) {
        asmb_deferred *d;
        in_call = 1;
        CHECK_EQ_INT(asmb_echo(c, NULL, &d), 0);
        asmb_deferred_then(d, cb_count, eb_count, &fired[i]);
        in_call = 0;
    }
    CHECK(asmb_fd_events(c) & ASMB_FD_WRITE);
    int all = 0;
    uint64_t end = now_ms() + 10000;
    while (!all && now_ms() < end) {
        turn(c);
        all = 1;
        for (int i = 0; i < N; i++) all &= fired[i] != 0;
    }
    for (int i = 0; i < N; i++) CHECK_EQ_INT(fired[i], 1);

    /* 6 MiB there and back: several multi-credit READs and WRITEs. */
    size_t size = 6u << 20;
    uint8_t *data = malloc(size);
    for (size_t i = 0; i < size; i++) data[i] = (uint8_t)(i * 2654435761u >> 13);
    memsrc ss = {data, size, 0};
    asmb_source src = {mem_read, &ss, -1};
    int stored = 0, got = 0;
    asmb_deferred *d;
    CHECK_EQ_INT(asmb_store_file(c, "share", "fd/../fd-big.bin", &src, NULL, &d), 0);
    asmb_deferred_then(d, cb_count, eb_count, &stored);
    spin(c, &stored, 20000);
    CHECK_EQ_INT(stored, 1);
    membuf back = {0};
    asmb_sink sk = {mem_write, &back, -1};
    CHECK_EQ_INT(asmb_retrieve_file(c, "share", "fd-big.bin", &sk, NULL, &d), 0);
    asmb_deferred_then(d, cb_count, eb_count, &got);
    spin(c, &got, 20000);
    CHECK_EQ_INT(got, 1);
    CHECK_EQ_INT(back.len, size);
    CHECK(back.len == size && memcmp(data, back.p, size) == 0);
    free(data);
    membuf_free(&back);

    /* A deferred that already fired: what is attached now runs in the next
     * service, not inside asmb_deferred_then. */
    int echoed = 0, late = 0;
    CHECK_EQ_INT(asmb_echo(c, NULL, &d), 0);
    asmb_deferred_ref(d);
    asmb_deferred_then(d, cb_count, eb_count, &echoed);
    spin(c, &echoed, 5000);
    in_call = 1;
    asmb_deferred_then(d, cb_count, eb_count, &late);
    in_call = 0;
    CHECK_EQ_INT(late, 0);
    CHECK_EQ_INT(asmb_fd_timeout(c), 0); /* delivery is due */
    spin(c, &late, 1000);
    CHECK_EQ_INT(late, 1);
    asmb_deferred_unref(d);

    fd_close(c, &e);
}

/* asmb_conn_free with operations in flight: each errback runs once, with
 * ASMB_ENOTCONN, inside the free (the caller stops servicing after it). */
static void test_free_pending(void)
{
    asmb_config cfg;
    t_config(&cfg);
    conn_events e;
    asmb_conn *c = fd_connect(it_host(), it_port(), &cfg, &e);
    CHECK_EQ_INT(e.auth_ok, 1);
    outcome o[10];
    memset(o, 0, sizeof o);
    for (int i = 0; i < 10; i++) {
        asmb_deferred *d;
        CHECK_EQ_INT(asmb_echo(c, NULL, &d), 0);
        asmb_deferred_then(d, t_cb, t_eb, &o[i]);
    }
    turn(c); /* sent, perhaps some answered */
    int fd = asmb_fd_socket(c);
    asmb_conn_free(c);
    for (int i = 0; i < 10; i++) {
        CHECK_EQ_INT(o[i].calls, 1);
        if (o[i].failed) CHECK_EQ_INT(o[i].f.code, ASMB_ENOTCONN);
    }
    CHECK_EQ_INT(e.disconnected, 0); /* no handler after asmb_conn_free */
    CHECK(fd < 0 || fcntl(fd, F_GETFD) == -1); /* the socket is closed */
}

/* Connection failures are reported through the handlers from service. */
static void test_failures(void)
{
    asmb_config cfg;
    t_config(&cfg);
    conn_events e;

    /* A port nobody listens on: bind one, note it, close it. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    bind(s, (struct sockaddr *)&a, sizeof a);
    getsockname(s, (struct sockaddr *)&a, &al);
    close(s);
    asmb_conn *c = fd_connect("127.0.0.1", ntohs(a.sin_port), &cfg, &e);
    spin(c, &e.disconnected, 1000);
    /* Through auth_failed, with the address; disconnected doesn't repeat it. */
    char where[32];
    snprintf(where, sizeof where, "127.0.0.1:%d", ntohs(a.sin_port));
    t_check_preauth(&e, ASMB_ECONNREFUSED, where);
    CHECK_EQ_INT(asmb_fd_socket(c), -1);
    asmb_conn_free(c);

    c = fd_connect("no-such-host.invalid", 445, &cfg, &e);
    spin(c, &e.disconnected, 1000);
    t_check_preauth(&e, ASMB_ERESOLVE, "no-such-host.invalid");
    asmb_conn_free(c);

    /* Peers that are not SMB servers: one that answers as HTTP, one that
     * closes at once. */
    static const struct {
        const char *reply;
        int code;
        const char *needle;
    } peers[] = {{T_HTTP_REPLY, ASMB_ENOTSMB, "not an SMB server: 127.0.0.1 answered "
                                                   "\"HTTP/1.1 400 Bad Request\""},
                 {NULL, ASMB_ECONNRESET, "connection "}};
    for (size_t i = 0; i < sizeof peers / sizeof peers[0]; i++) {
        t_listener l;
        CHECK_EQ_INT(t_listener_start(&l, peers[i].reply), 0);
        c = fd_connect("127.0.0.1", l.port, &cfg, &e);
        spin(c, &e.disconnected, 2000);
        t_check_preauth(&e, peers[i].code, peers[i].needle);
        asmb_conn_free(c);
        t_listener_stop(&l);
    }

    /* A listener that accepts (the kernel does) and never answers: the
     * negotiate+auth deadline comes from asmb_fd_timeout, to the millisecond. */
    s = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_port = 0;
    bind(s, (struct sockaddr *)&a, sizeof a);
    getsockname(s, (struct sockaddr *)&a, &al);
    listen(s, 4);
    cfg.auth_timeout_ms = 200;
    uint64_t t0 = now_ms();
    c = fd_connect("127.0.0.1", ntohs(a.sin_port), &cfg, &e);
    uint64_t took = now_ms() - t0;
    CHECK_EQ_INT(e.auth_failed, 1);
    CHECK_EQ_INT(e.auth_fail.code, ASMB_ETIMEDOUT);
    CHECK(took >= 200 && took < 300);
    spin(c, &e.disconnected, 1000);
    CHECK_EQ_INT(e.disconnected, 1);
    asmb_conn_free(c);
    close(s);
}

static void test_misuse(void)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    asmb_conn *c = asmb_conn_new(&loop, NULL, NULL, NULL);
    CHECK_EQ_INT(asmb_fd_service(c, 0), ASMB_EINVAL); /* a libuv connection */
    CHECK_EQ_INT(asmb_fd_socket(c), -1);
    CHECK_EQ_INT(asmb_fd_events(c), 0);
    CHECK_EQ_INT(asmb_fd_service(NULL, 0), ASMB_EINVAL);
    t_free(&loop, c);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
    asmb_conn *f = asmb_fd_conn_new(NULL, NULL, NULL);
    CHECK_EQ_INT(asmb_conn_connect(f, "", 445), ASMB_EINVAL);
    asmb_deferred *d;
    CHECK_EQ_INT(asmb_echo(f, NULL, &d), ASMB_ENOTREADY);
    asmb_conn_free(f); /* never connected: nothing to close */
}

int main(void)
{
    test_misuse();
    test_failures();
    test_flow();
    test_free_pending();
    TEST_DONE();
}
