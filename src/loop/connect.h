/* What the two transports (libuv, fd adapter) share about connecting. */
#ifndef ASMB_LOOP_CONNECT_H
#define ASMB_LOOP_CONNECT_H
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

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

/* The library code for an errno value of a failed socket() or connect():
 * what ran out (descriptors, memory) says so, refused stays apart so that
 * callers can tell "nobody listens", anything else is an I/O error. (libuv
 * codes are negated errno values on Unix: pass -uv_code.) */
static inline int asmb__sock_code(int err)
{
    switch (err) {
    case ECONNREFUSED: return ASMB_ECONNREFUSED;
    case EMFILE:
    case ENFILE: return ASMB_EMFILE;
    case ENOMEM:
    case ENOBUFS: return ASMB_ENOMEM;
    default: return ASMB_EIO;
    }
}

/* Describes err (an errno value) into buf; descriptor exhaustion names the
 * limit that was hit; other errors are described as text says. */
static inline void asmb__sock_error(char *buf, size_t size, int err, const char *text)
{
    struct rlimit r;
    if (err == EMFILE && getrlimit(RLIMIT_NOFILE, &r) == 0)
        snprintf(buf, size,
                 "no socket: too many open files (the process's descriptor limit, "
                 "RLIMIT_NOFILE, is %llu)",
                 (unsigned long long)r.rlim_cur);
    else if (err == ENFILE)
        snprintf(buf, size, "no socket: too many open files in the system (fs.file-max)");
    else if (err == ENOMEM || err == ENOBUFS)
        snprintf(buf, size, "no socket: out of memory (%s)", text);
    else
        snprintf(buf, size, "%s", text);
}

/* Every address failed: the connection ends with the last reason and its
 * code (asmb__sock_code; ASMB_EIO when none was seen). */
static inline void asmb__connect_failed(asmb_conn *c, int port, const char *last_err, int code)
{
    asmb__conn_fail(c, code ? code : ASMB_EIO, 0, "connecting to %s:%d: %s", c->host, port,
                    *last_err ? last_err : "no usable address");
}
#endif
