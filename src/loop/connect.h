/* What the two transports (libuv, fd adapter) share about connecting. */
#ifndef ASMB_LOOP_CONNECT_H
#define ASMB_LOOP_CONNECT_H
#include <netdb.h>

#include "../core/conn.h"

/* Resolver hints: TCP over IPv4 or IPv6, every address in turn. */
static inline struct addrinfo asmb__tcp_hints(void)
{
    struct addrinfo h = {0};
    h.ai_family = AF_UNSPEC;
    h.ai_socktype = SOCK_STREAM;
    h.ai_protocol = IPPROTO_TCP;
    return h;
}

/* Every address failed: the connection ends with the last reason (refused
 * when that was it, so callers can tell "nobody listens" apart). */
static inline void asmb__connect_failed(asmb_conn *c, int port, const char *last_err)
{
    int refused = strstr(last_err, "refused") != NULL;
    asmb__conn_fail(c, refused ? ASMB_ECONNREFUSED : ASMB_EIO, 0, "connecting to %s:%d: %s",
                    c->host, port, *last_err ? last_err : "no usable address");
}
#endif
