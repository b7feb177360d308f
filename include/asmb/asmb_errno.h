/** \file asmb_errno.h
 * \brief asmb library error codes: one X-macro table, negative ints (libuv's way).
 *
 * NTSTATUS values from the server are kept apart (asmb_failure.ntstatus).
 * asmb_strerror gives a code's description (the table's third column) and
 * asmb_err_name its name. Included by asmb.h.
 */
#ifndef ASMB_ERRNO_H
#define ASMB_ERRNO_H

/** The error table: XX(name without ASMB_, value, description) for each
 * code, for generating code from it (e.g. a switch over every code). */
#define ASMB_ERRNO_MAP(XX)                                                                 \
    XX(EINVAL, -1, "invalid argument")                                                     \
    XX(ENOMEM, -2, "out of memory")                                                        \
    XX(ENOTREADY, -3, "connection not ready: not authenticated yet")                       \
    XX(ENOTCONN, -4, "not connected")                                                      \
    XX(EFAILURE, -5, "operation failed on the server")                                     \
    XX(ETIMEDOUT, -6, "operation timed out")                                               \
    XX(ECANCELED, -7, "operation canceled")                                                \
    XX(EPROTO, -8, "protocol error: malformed or unexpected reply")                        \
    XX(EAUTH, -9, "authentication failed")                                                 \
    XX(ECONNREFUSED, -10, "connection refused")                                            \
    XX(ERESOLVE, -11, "host name could not be resolved")                                   \
    XX(ECONNRESET, -12, "connection closed by the peer")                                   \
    XX(EIO, -13, "network I/O error")                                                      \
    XX(ESIGNATURE, -14, "message signature check failed")                                  \
    XX(ECRYPTO, -15, "cryptographic library failure")                                      \
    XX(ENOTSUP, -16, "not supported by the server or the negotiated dialect")             \
    XX(EALREADY, -17, "operation already in progress or done")                             \
    XX(ECLOSED, -18, "connection closed by the caller")                                    \
    XX(ENOENT, -19, "no such object")                                                      \
    XX(EINUSE, -20, "object in use")                                                       \
    XX(EDECRYPT, -21, "message decryption failed: bad key or tampered message")           \
    XX(ELOCAL, -22, "the local sink or source failed")                                     \
    XX(EMFILE, -23, "too many open files: the descriptor limit was reached")             \
    XX(ENOTSMB, -24, "not an SMB server")

/** Library error codes, all negative; 0 is success. Returned at once by
 * calls, and found in asmb_failure.code. */
typedef enum {
#define ASMB_ERR_ENUM_(name, val, msg) ASMB_##name = (val),
    ASMB_ERRNO_MAP(ASMB_ERR_ENUM_)
#undef ASMB_ERR_ENUM_
    ASMB_ERRNO_MIN_ = -25 ///< one below the lowest code; not an error
} asmb_errno;

/** \var ASMB_EINVAL
 * Invalid argument (a NULL, a bad share name or path, invalid UTF-8, an
 * out-of-range option), returned at once; nothing was started.
 * asmb_conn_last_error says which argument and why when it can (invalid
 * UTF-8 in a path or pattern). */
/** \var ASMB_ENOMEM
 * Out of memory: at once, or as a failure of what was under way. */
/** \var ASMB_ENOTREADY
 * An operation started before auth_ok: the connection is not authenticated yet. */
/** \var ASMB_ENOTCONN
 * Not connected: an operation started once the connection ended (at once), or
 * the failure of every operation pending when it ends or is closed. */
/** \var ASMB_EFAILURE
 * The server refused the operation: the failure carries the NTSTATUS and a
 * message naming it and the path. */
/** \var ASMB_ETIMEDOUT
 * An operation, connecting or authenticating took longer than its timeout. */
/** \var ASMB_ECANCELED
 * The operation was canceled with asmb_deferred_cancel. */
/** \var ASMB_EPROTO
 * Protocol error: a malformed or unexpected reply. */
/** \var ASMB_EAUTH
 * Authentication failed: the server refused the credentials (with the
 * NTSTATUS), or a requirement (signing, encryption) it can't meet. */
/** \var ASMB_ECONNREFUSED
 * The server refused the TCP connection. */
/** \var ASMB_ERESOLVE
 * The host name could not be resolved. */
/** \var ASMB_ECONNRESET
 * The peer closed or reset the connection. */
/** \var ASMB_EIO
 * Another network I/O error on the socket. */
/** \var ASMB_ESIGNATURE
 * A reply's signature did not verify; the connection ends. */
/** \var ASMB_ECRYPTO
 * The cryptographic library (OpenSSL) failed. */
/** \var ASMB_ENOTSUP
 * Not supported by the server or the negotiated dialect (e.g. the server
 * refused to bind to srvsvc for asmb_list_shares). */
/** \var ASMB_EALREADY
 * Already in progress or done: asmb_conn_connect called again,
 * asmb_deferred_cancel after the deferred fired. */
/** \var ASMB_ECLOSED
 * The connection was closed by the caller (asmb_conn_close): the code
 * disconnected receives then. */
/** \var ASMB_ENOENT
 * No such object, e.g. asmb_tree_disconnect of a share not connected. */
/** \var ASMB_EINUSE
 * The object is in use. */
/** \var ASMB_EDECRYPT
 * A message could not be decrypted: a bad key or a tampered message. */
/** \var ASMB_ENOTSMB
 * The peer is not an SMB server: while negotiating, its first bytes were not
 * an SMB frame (e.g. an HTTP server on the port). Reported by auth_failed. */
/** \var ASMB_ELOCAL
 * The local sink or source failed (returned a negative value, or its file
 * descriptor failed). */
/** \var ASMB_EMFILE
 * No file descriptor for the connection's socket: the process's limit
 * (RLIMIT_NOFILE, EMFILE) or the system's (ENFILE) was reached. The
 * connection ends (disconnected, with a message naming the limit); raise the
 * limit or hold fewer connections. */

#endif
