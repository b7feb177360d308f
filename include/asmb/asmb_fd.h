/** \file asmb_fd.h
 * Event-loop integration for programs that don't run libuv (poll, epoll,
 * kqueue, libevent, a hand-written select loop...).
 *
 * A connection made with asmb_fd_conn_new owns a non-blocking TCP socket and
 * never blocks, except while asmb_conn_connect resolves a host name
 * (getaddrinfo); pass an IPv4 or IPv6 literal to never block. The program's
 * loop asks three things and answers with one call:
 *
 * \code
 *     for (;;) {
 *         int fd = asmb_fd_socket(conn);       // may change: re-register when it does
 *         int ev = asmb_fd_events(conn);       // ASMB_FD_READ and/or ASMB_FD_WRITE
 *         int ms = asmb_fd_timeout(conn);      // -1: no deadline, 0: call service now
 *         ... wait for ev on fd, at most ms milliseconds ...
 *         asmb_fd_service(conn, ready_events); // 0 when the wait timed out
 *     }
 * \endcode
 *
 * ASMB_FD_WRITE is asked for only while frames wait to be written (within
 * the server's credits). Every callback (handlers, deferreds) runs inside
 * asmb_fd_service, never inside the call that started or attached it.
 *
 * Everything else is the API of asmb.h: asmb_conn_connect, the operations,
 * deferreds, asmb_conn_close. Ending: asmb_conn_close sends LOGOFF and starts
 * closing; keep servicing until asmb_fd_socket returns -1 (at most 2 s), then
 * asmb_conn_free. asmb_conn_free on a connection that is still open closes
 * the socket at once and runs the errbacks of pending operations
 * (ASMB_ENOTCONN) inside that call. Thread rules as for any connection: one
 * thread at a time, the one that services it.
 */
#ifndef ASMB_FD_H
#define ASMB_FD_H
/* No libuv headers for programs on their own loop (asmb.h would include
 * asmb_uv.h); ASMB_NO_UV is set only around this include. */
#ifndef ASMB_NO_UV
#define ASMB_NO_UV
#define ASMB_FD_SET_NO_UV
#endif
#include "asmb.h"
#ifdef ASMB_FD_SET_NO_UV
#undef ASMB_NO_UV
#undef ASMB_FD_SET_NO_UV
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** Events, as a bit set. */
enum {
    ASMB_FD_READ = 1, ///< the socket is readable (errors and hang-ups count as readable)
    ASMB_FD_WRITE = 2 ///< the socket is writable (or a connect finished)
};

/** A connection driven by the caller's own loop. NULL on bad arguments or
 * out of memory. cfg and handlers may be NULL. Owned by the caller until
 * asmb_conn_free. */
ASMB_API asmb_conn *asmb_fd_conn_new(const asmb_config *cfg, const asmb_handlers *handlers,
                                     void *arg);

/** The socket to wait on, or -1 when there is none (not connected yet, or
 * closed). It changes when connecting moves on to the next address of the
 * host and when the connection ends. */
ASMB_API int asmb_fd_socket(const asmb_conn *conn);

/** The events to wait for: ASMB_FD_READ while a socket is open, plus
 * ASMB_FD_WRITE while something waits to be written (or a connect is in
 * progress). 0 when there is no socket. */
ASMB_API int asmb_fd_events(const asmb_conn *conn);

/** Milliseconds until asmb_fd_service must be called even without events:
 * -1 when nothing is due, 0 when callbacks wait to be delivered or a
 * deadline has passed. */
ASMB_API int asmb_fd_timeout(const asmb_conn *conn);

/** Does the work: reads and writes what the ready events allow (revents: the
 * ASMB_FD_* bits that are ready, 0 after a timeout), fires due timeouts and
 * runs callbacks. Returns 0, or ASMB_EINVAL when conn is not an fd
 * connection. */
ASMB_API int asmb_fd_service(asmb_conn *conn, int revents);

#ifdef __cplusplus
}
#endif
#endif
