/* A one-connection TCP listener on 127.0.0.1 in a thread, standing in for
 * peers that are not SMB servers: one that answers like an HTTP server, one
 * that closes the connection at once. For the tests of how a connection that
 * never authenticates is reported (auth_failed, then disconnected). */
#ifndef ASMB_TEST_LISTENER_H
#define ASMB_TEST_LISTENER_H
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "itest.h"

/* What an HTTP server says to a request it can't parse. */
#define T_HTTP_REPLY                                                                  \
    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: 0\r\n" \
    "Connection: close\r\n\r\n"

typedef struct t_listener {
    int fd;
    int port;
    const char *reply; /* NULL: close at once */
    pthread_t th;
} t_listener;

static void *t_listener_run(void *arg)
{
    t_listener *l = arg;
    int s = accept(l->fd, NULL, NULL);
    if (s < 0) return NULL;
    if (l->reply) {
        /* As an HTTP server: read the request, answer, let the client close
         * first (closing with unread bytes would send a reset instead). */
        struct timeval tv = {2, 0};
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[4096];
        if (recv(s, buf, sizeof buf, 0) > 0) {
            ssize_t w = send(s, l->reply, strlen(l->reply), MSG_NOSIGNAL);
            (void)w;
            shutdown(s, SHUT_WR);
            while (recv(s, buf, sizeof buf, 0) > 0) {
            }
        }
    }
    close(s);
    return NULL;
}

/* Listens on an ephemeral port (l->port); 0 or -1. */
static inline int t_listener_start(t_listener *l, const char *reply)
{
    memset(l, 0, sizeof *l);
    l->reply = reply;
    l->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&a, sizeof a) ||
        getsockname(l->fd, (struct sockaddr *)&a, &al) || listen(l->fd, 4) ||
        pthread_create(&l->th, NULL, t_listener_run, l)) {
        if (l->fd >= 0) close(l->fd);
        return -1;
    }
    l->port = ntohs(a.sin_port);
    return 0;
}

static inline void t_listener_stop(t_listener *l)
{
    pthread_join(l->th, NULL);
    close(l->fd);
}

/* What disconnected says after auth_failed (asmb.h, asmb_handlers). */
#define T_NEVER_AUTHENTICATED "never authenticated; auth_failed gave the reason"

/* A connection that never authenticated: auth_failed once with code and a
 * message containing needle, then disconnected once with the same code and
 * a message that does not repeat the reason. */
static inline void t_check_preauth(const conn_events *e, int code, const char *needle)
{
    CHECK_EQ_INT(e->auth_ok, 0);
    CHECK_EQ_INT(e->auth_failed, 1);
    CHECK_EQ_INT(e->auth_fail.code, code);
    CHECK(strstr(e->auth_msg, needle) != NULL);
    CHECK_EQ_INT(e->disconnected, 1);
    CHECK_EQ_INT(e->disc.code, code);
    CHECK(strcmp(e->disc_msg, T_NEVER_AUTHENTICATED) == 0);
    CHECK(strstr(e->disc_msg, needle) == NULL);
    if (e->auth_fail.code != code || !strstr(e->auth_msg, needle))
        fprintf(stderr, "  want %s \"%s\"; auth_failed %s \"%s\", disconnected %s \"%s\"\n",
                asmb_err_name(code), needle, asmb_err_name(e->auth_fail.code), e->auth_msg,
                asmb_err_name(e->disc.code), e->disc_msg);
}
#endif
