/* asmb library error codes: one X-macro table, negative ints (libuv's way).
 * NTSTATUS values from the server are kept apart (asmb_failure.ntstatus). */
#ifndef ASMB_ERRNO_H
#define ASMB_ERRNO_H

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
    XX(ELOCAL, -22, "the local sink or source failed")

typedef enum {
#define ASMB_ERR_ENUM_(name, val, msg) ASMB_##name = (val),
    ASMB_ERRNO_MAP(ASMB_ERR_ENUM_)
#undef ASMB_ERR_ENUM_
    ASMB_ERRNO_MIN_ = -23
} asmb_errno;

#endif
