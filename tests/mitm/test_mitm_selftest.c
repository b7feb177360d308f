/* The mitm proxy itself, without Samba: a plain TCP "server" here plays the
 * upstream. Frames split across writes are reassembled; the edit callback can
 * modify, resize, drop and inject, in both directions; credits are counted. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mitm.h"
#include "test.h"

static atomic_int seen[2];

static int edit(mitm_frame *f, void *arg)
{
    (void)arg;
    seen[f->dir]++;
    unsigned char *h = mitm_hdr(f);
    if (f->dir == MITM_C2S && f->len == 4 + 3 && f->p[4] == 'x') return MITM_DROP;
    if (f->dir == MITM_C2S && f->len == 4 + 3 && f->p[4] == 'b') {
        if (mitm_frame_resize(f, 5) == 0) memcpy(f->p + 4, "BIGGR", 5);
    }
    if (f->dir == MITM_S2C && h && mitm_h_command(h) == 0x0D) { /* ECHO reply */
        unsigned char fr[MITM_INTERIM_LEN];
        mitm_forge_interim(fr, 0x0D, mitm_h_msg_id(h), 7, 9, 100);
        mitm_inject(f, fr, sizeof fr);
        mitm_h_set_flags(h, mitm_h_flags(h) | 0x8);
    }
    return MITM_PASS;
}

static int listen_any(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 4) ||
        getsockname(fd, (struct sockaddr *)&a, &al))
        return -1;
    *port = ntohs(a.sin_port);
    return fd;
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    return fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0 ? fd : -1;
}

/* Reads exactly n bytes (2 s at most). */
static int read_n(int fd, unsigned char *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 2000) <= 0) return -1;
        ssize_t k = read(fd, p + got, n - got);
        if (k <= 0) return -1;
        got += (size_t)k;
    }
    return 0;
}

/* A one-message SMB2 frame: command, flags, message id, credits. */
static size_t smb2_frame(unsigned char *f, uint16_t cmd, uint32_t flags, uint64_t mid, uint16_t cr)
{
    memset(f, 0, 4 + 64);
    f[3] = 64;
    memcpy(f + 4, "\xfeSMB", 4);
    mitm_st16(f + 4 + 4, 64);
    mitm_st16(f + 4 + 6, 1);
    mitm_st16(f + 4 + 12, cmd);
    mitm_st16(f + 4 + 14, cr);
    mitm_st32(f + 4 + 16, flags);
    for (int i = 0; i < 8; i++) f[4 + 24 + i] = (unsigned char)(mid >> (8 * i));
    return 4 + 64;
}

int main(void)
{
    int uport, lfd = listen_any(&uport);
    CHECK(lfd >= 0);
    mitm *m = mitm_start(uport, edit, NULL);
    CHECK(m != NULL);
    int c = connect_to(mitm_port(m));
    CHECK(c >= 0);
    int u = accept(lfd, NULL, NULL);
    CHECK(u >= 0);

    /* client -> server: "bxy" (resized to "BIGGR"), "xyz" (dropped), an ECHO
     * request written a byte at a time */
    unsigned char f[256], r[256];
    CHECK_EQ_INT(write(c, "\0\0\0\3bxy", 7), 7);
    CHECK_EQ_INT(write(c, "\0\0\0\3xyz", 7), 7);
    size_t n = smb2_frame(f, 0x0D, 0, 0, 1);
    for (size_t i = 0; i < n; i++) CHECK_EQ_INT(write(c, f + i, 1), 1);
    CHECK_EQ_INT(read_n(u, r, 9), 0);
    CHECK_MEM(r, "\0\0\0\5BIGGR", 9);
    CHECK_EQ_INT(read_n(u, r, n), 0);
    CHECK_MEM(r, f, n);

    /* server -> client: the ECHO reply gets an interim before it, and SIGNED */
    n = smb2_frame(f, 0x0D, 0x1, 0, 5);
    CHECK_EQ_INT(write(u, f, n), (long)n);
    CHECK_EQ_INT(read_n(c, r, MITM_INTERIM_LEN), 0);
    CHECK_EQ_INT(r[3], 73);
    CHECK_EQ_INT(mitm_le32(r + 4 + 8), 0x103);
    CHECK_EQ_INT(mitm_le32(r + 4 + 16), 0x3);
    CHECK_EQ_INT(mitm_le16(r + 4 + 14), 100);
    CHECK_EQ_INT(read_n(c, r, n), 0);
    CHECK_EQ_INT(mitm_le32(r + 4 + 16), 0x9);
    CHECK_EQ_INT(mitm_connections(m), 1);
    CHECK_EQ_INT(seen[MITM_C2S], 3);
    CHECK_EQ_INT(seen[MITM_S2C], 1);

    /* credits: 1 (NEGOTIATE) + 5 granted; two more requests fit, a third
     * charging 5 does not */
    n = smb2_frame(f, 0x0D, 0, 1, 1);
    CHECK_EQ_INT(write(c, f, n), (long)n);
    CHECK_EQ_INT(read_n(u, r, n), 0);
    mitm_st16(f + 4 + 6, 5);
    CHECK_EQ_INT(write(c, f, n), (long)n);
    CHECK_EQ_INT(read_n(u, r, n), 0);
    mitm_credit_stats st;
    mitm_credit_stats_get(m, &st);
    CHECK_EQ_INT(st.granted, 5);
    CHECK_EQ_INT(st.requests, 3);
    CHECK_EQ_INT(st.violations, 1);

    /* the server closes: so does the client side */
    close(u);
    CHECK_EQ_INT(read_n(c, r, 1), -1);
    close(c);
    close(lfd);
    mitm_stop(m);
    TEST_DONE();
}
