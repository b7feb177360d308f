/** \file asmb.h
 * \brief asmb: an asynchronous SMB2/3 client library (on a libuv loop).
 *
 * Threading: a connection and its deferreds are used from the thread that runs
 * their loop only. Several connections on several loops/threads are fine.
 *
 * Ownership, in one place:
 *  - asmb_conn: created by asmb_conn_new, owned by the caller until
 *    asmb_conn_free (safe from inside any callback). Config strings are copied.
 *  - asmb_deferred: owned by the library; freed after it has fired and every
 *    attached pair ran, unless the caller holds a reference (asmb_deferred_ref).
 *  - Results and failures passed to callbacks are owned by the deferred and valid
 *    during the callback (and while the caller holds a reference).
 *
 * Transports: asmb_uv.h (a libuv loop; included by this header for source
 * compatibility unless ASMB_NO_UV is defined) and asmb_fd.h (any poll-style
 * loop; needs no libuv headers). The core of the library knows neither.
 *
 * Building: `<uv.h>` needs POSIX declarations, which a strict -std=c11 hides:
 * asmb_posix.h asks for them when this header comes first; otherwise define
 * _POSIX_C_SOURCE 200809L (or _GNU_SOURCE) yourself. As in any libuv program, ignore
 * SIGPIPE (signal(SIGPIPE, SIG_IGN)): a peer that resets the connection while
 * we write would otherwise kill the process.
 */
#ifndef ASMB_H
#define ASMB_H

#include "asmb_posix.h" /* first: feature macros precede every system header */
#include <stddef.h>
#include <stdint.h>

#include "asmb_errno.h"
#include "asmb_ntstatus.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define ASMB_API
#else
/** Marks the library's exported functions (default visibility; only asmb_
 * symbols leave the shared library). */
#define ASMB_API __attribute__((visibility("default")))
#endif

/* ---- errors ------------------------------------------------------------ */

/** Static description of a library code (ASMB_E*, see asmb_errno); never
 * allocates. "success" for 0, "unknown error" for any other value. Any
 * thread. */
ASMB_API const char *asmb_strerror(int code);
/** Static name of a library code, e.g. "ASMB_ETIMEDOUT"; "ASMB_OK" for 0,
 * "ASMB_UNKNOWN" for any other value. Any thread. */
ASMB_API const char *asmb_err_name(int code);
/** Static name of an NTSTATUS, e.g. "STATUS_LOGON_FAILURE" (991 known);
 * NULL when unknown. Any thread. */
ASMB_API const char *asmb_ntstatus_name(uint32_t status);

/** A failure, the one type of both APIs: what an errback (and
 * auth_failed/disconnected) receives, and what a blocking call fills. It
 * holds its message, so a copy of the structure is complete. A failure the
 * library passes to a callback is valid during the call (for a deferred's,
 * also while the caller holds a reference to the deferred); one the caller
 * passes to a blocking call is the caller's. */
typedef struct asmb_failure {
    int code;          ///< ASMB_EFAILURE (server said no), ASMB_ETIMEDOUT, ASMB_ENOTCONN, ...
    uint32_t ntstatus; ///< the server's NTSTATUS for ASMB_EFAILURE/ASMB_EAUTH, else 0
    char message[256]; ///< e.g. "STATUS_LOGON_FAILURE: session setup as user 'bob'"
} asmb_failure;

/* ---- configuration ------------------------------------------------------ */

/** Dialects (asmb_config.min_dialect and max_dialect,
 * asmb_conn_info.dialect); asmb_dialect_name names them. */
enum {
    ASMB_SMB2_02 = 0x0202, ///< SMB 2.0.2
    ASMB_SMB2_10 = 0x0210, ///< SMB 2.1
    ASMB_SMB3_00 = 0x0300, ///< SMB 3.0
    ASMB_SMB3_02 = 0x0302, ///< SMB 3.0.2
    ASMB_SMB3_11 = 0x0311  ///< SMB 3.1.1
};

/** Values of asmb_config.signing and asmb_config.encryption. */
enum {
    ASMB_OFF = 0,          ///< only when the server requires it
    ASMB_IF_SUPPORTED = 1, ///< whenever the server can
    ASMB_REQUIRED = 2      ///< fail authentication when the server can't
};

/** How to connect: credentials, dialects, security, timeouts, tuning and
 * logging. Fill it with asmb_config_init, then set what differs; 0 in a
 * numeric field means its default. asmb_conn_new and asmb_sync_connect copy
 * it, strings included: it may be freed or reused right after the call. */
typedef struct asmb_config {
    const char *username;    ///< NULL or "" = anonymous
    const char *password;    ///< NULL = ""
    const char *domain;      ///< NULL = ""
    const char *workstation; ///< our name, sent in NTLM; NULL = "ASMB"
    uint16_t min_dialect;    ///< default ASMB_SMB2_02
    uint16_t max_dialect;    ///< default ASMB_SMB3_11
    /** Signing, default ASMB_IF_SUPPORTED. ASMB_OFF: only when the server
     * requires it (and then signs anyway); ASMB_IF_SUPPORTED: whenever the
     * server can; ASMB_REQUIRED: fail authentication when the server can't. */
    int signing;
    /** Encryption, default ASMB_OFF. ASMB_OFF: only when the server requires
     * it (encrypts the sessions/shares the server marks); ASMB_IF_SUPPORTED:
     * whenever the server can; ASMB_REQUIRED: fail authentication when the
     * server can't. */
    int encryption;
    /** SMB 3.1.1 ciphers in order of preference (ASMB_CIPHER_*), 0-terminated;
     * all 0 = AES-128-GCM, AES-128-CCM, AES-256-GCM, AES-256-CCM. */
    uint16_t ciphers[4];
    unsigned connect_timeout_ms; ///< DNS + TCP connect; default 10000
    unsigned auth_timeout_ms;    ///< negotiate + session setup; default 10000
    unsigned op_timeout_ms;      ///< operations with opts NULL or timeout_ms 0; default 30000
    /** Throughput: credits the client keeps asking for; 0 = 512 (at most 8192). */
    unsigned credit_target;
    /** Throughput: bytes per READ/WRITE; 0 = 4 MiB, capped by the server's
     * maximum and by the dialect (64 KiB without multi-credit requests). */
    unsigned io_size;
    /** Throughput: READs or WRITEs kept in flight per transfer; 0 = 2. Measured
     * on loopback against Samba 4.17 (bench/run.sh), deeper windows of smaller
     * requests made smbd fault its buffers in again and again; over links with
     * more round-trip time a deeper window may win. */
    unsigned io_window;
    int no_compound; ///< 1: never compound CREATE+request+CLOSE (MS-SMB2 3.2.4.1.4)
    /** 1: accept a guest or anonymous session when a username was given (the
     * server mapped the user to guest, as Samba's "map to guest = bad user"
     * does). Such a session has no key: nothing is signed or encrypted, so a
     * man in the middle can read and rewrite everything. Default 0: authentication
     * fails with ASMB_EAUTH instead (as Windows' AllowInsecureGuestAuth = 0). With
     * no username (anonymous) a guest or anonymous session is always accepted
     * unless signing or encryption is ASMB_REQUIRED. */
    int allow_guest_fallback;
    /** 1: NetBIOS session service (pysmb's is_direct_tcp=False, usually port
     * 139): a SESSION REQUEST (RFC 1002 4.3.2) precedes SMB. 0: direct TCP. */
    int netbios;
    const char *my_name;     ///< NetBIOS calling name; NULL = workstation
    const char *remote_name; /**< NetBIOS called name; NULL = the host's first label,
                                  or "*SMBSERVER" when connecting to an address */
    /** Logging, off by default: log() is called with every message at or
     * above log_level's severity (ASMB_LOG_ERROR < ... < ASMB_LOG_TRACE;
     * ASMB_LOG_TRACE adds one line per SMB2 header sent or received).
     * log_level 0 or log NULL = silent. */
    int log_level;
    /** The log sink: message is valid during the call only; log runs on the
     * connection's thread. NULL = silent. */
    void (*log)(int level, const char *message, void *log_arg);
    void *log_arg; ///< passed to every log call
} asmb_config;

/** Log levels (asmb_config.log_level), by severity. */
enum {
    ASMB_LOG_ERROR = 1, ///< e.g. a connection that ended other than by asmb_conn_close
    ASMB_LOG_WARN = 2,  ///< e.g. a request that timed out (CANCEL sent)
    ASMB_LOG_INFO = 3,  ///< e.g. connecting, authenticated (dialect, signing, encryption)
    ASMB_LOG_DEBUG = 4, ///< e.g. an operation failed, a share connected
    ASMB_LOG_TRACE = 5  ///< one line per SMB2 header sent or received
};
/** "error", "warn", "info", "debug", "trace"; "" otherwise. Static; any thread. */
ASMB_API const char *asmb_log_level_name(int level);

/** Fills every field of cfg (caller-owned) with its default: anonymous,
 * SMB 2.0.2 to 3.1.1, signing ASMB_IF_SUPPORTED, encryption ASMB_OFF,
 * default timeouts and tuning, logging off. */
ASMB_API void asmb_config_init(asmb_config *cfg);
/** Says what is wrong with cfg, the reason asmb_conn_new (and
 * asmb_fd_conn_new) returned NULL for it: 0 when cfg is valid (NULL is: the
 * defaults), else ASMB_EINVAL with why (when not NULL) naming the field,
 * e.g. "config: min_dialect SMB3_11 is above max_dialect SMB3_02". A valid
 * cfg that still gave NULL means out of memory (or no loop). Any thread. */
ASMB_API int asmb_config_check(const asmb_config *cfg, asmb_failure *why);

/* ---- connection --------------------------------------------------------- */

/** A connection to one server (opaque). Created by asmb_conn_new, owned by
 * the caller until asmb_conn_free; used from its loop's thread only. */
typedef struct asmb_conn asmb_conn;
/** The pending outcome of one operation (opaque), Twisted-style: attach
 * callbacks with asmb_deferred_then. Owned by the library: freed after it
 * fired and every attached triple ran, unless the caller holds a reference
 * (asmb_deferred_ref). Used from its connection's loop thread only. */
typedef struct asmb_deferred asmb_deferred;

/** Connection events. Any pointer may be NULL. Which handler fires for what:
 *  - Connecting failed, at any step before auth_ok: DNS (ASMB_ERESOLVE), the
 *    TCP connection refused (ASMB_ECONNREFUSED) or failing (ASMB_EIO), the
 *    connect timeout, a NetBIOS refusal, a peer that is not an SMB server
 *    (ASMB_ENOTSMB), the peer closing (ASMB_ECONNRESET), negotiation or
 *    authentication refused (ASMB_EAUTH with the NTSTATUS, ...) or timed out:
 *    auth_failed(why) with the reason, then disconnected with the same
 *    why->code, ntstatus 0 and the fixed message "never authenticated;
 *    auth_failed gave the reason", so that the reason is reported once.
 *  - Success: auth_ok. Later, the connection's end (lost, a protocol fault, a
 *    signature that does not verify...) fires disconnected(why) with the reason.
 *  - asmb_conn_close, before or after authentication: disconnected with
 *    ASMB_ECLOSED only (no auth_failed: the caller's close is no failure).
 *  - asmb_conn_connect returning an error at once: nothing fires.
 *
 * So at most one of auth_ok and auth_failed fires, before disconnected;
 * disconnected fires exactly once when a connection started with
 * asmb_conn_connect ends, for whatever reason; no handler fires after
 * asmb_conn_free. */
typedef struct asmb_handlers {
    /** Negotiation and authentication succeeded: operations may start. */
    void (*auth_ok)(asmb_conn *conn, void *arg);
    /** Connecting, negotiation or authentication failed (see above). why->code
     * is ASMB_EAUTH for a refusal (with the NTSTATUS, e.g.
     * STATUS_LOGON_FAILURE) or a requirement the server can't meet, else the
     * reason (ASMB_ECONNREFUSED, ASMB_ERESOLVE, ASMB_ENOTSMB, ASMB_ETIMEDOUT,
     * ...); why->message names it, e.g. "connecting to 127.0.0.1:1:
     * connection refused". why is valid during the call only; disconnected
     * follows. */
    void (*auth_failed)(asmb_conn *conn, const asmb_failure *why, void *arg);
    /** The connection ended; why is valid during the call only. After
     * auth_failed, why->message does not repeat the reason (see above). */
    void (*disconnected)(asmb_conn *conn, const asmb_failure *why, void *arg);
} asmb_handlers;

/* asmb_conn_new (a connection on a libuv loop) is in asmb_uv.h, included at
 * the end of this header; asmb_fd_conn_new (any poll-style loop) in asmb_fd.h. */
/** Resolves host (name, IPv4 or IPv6 literal; DNS through libuv), connects,
 * negotiates and authenticates; the outcome arrives through the handlers.
 * host is copied. Returns 0 or, at once (then nothing fires): ASMB_EINVAL (no
 * host, port outside 1..65535), ASMB_EALREADY (already started, or freed),
 * ASMB_ENOMEM. Connecting (DNS + TCP) and authenticating time out after
 * asmb_config.connect_timeout_ms and auth_timeout_ms. */
ASMB_API int asmb_conn_connect(asmb_conn *conn, const char *host, int port);
/** Sends TREE_DISCONNECT and LOGOFF when it can, then closes the socket. Every
 * pending operation fails with ASMB_ENOTCONN; disconnected fires (ASMB_ECLOSED).
 * Does nothing on a connection never started or already ended. The
 * connection stays the caller's: asmb_conn_free it. */
ASMB_API void asmb_conn_close(asmb_conn *conn);
/** Closes if needed and releases the caller's ownership (NULL: nothing). Safe
 * from any callback. Pending deferreds still fire (ASMB_ENOTCONN) from the
 * loop; no handler fires after this call. The memory goes once the loop has
 * closed the connection's libuv handles: keep running the loop (uv_run) until
 * it has, before uv_loop_close. */
ASMB_API void asmb_conn_free(asmb_conn *conn);

/** 1 once auth_ok fired and until the connection ends, else 0. */
ASMB_API int asmb_conn_is_ready(const asmb_conn *conn);

/** Why the latest operation started on conn (asmb_list_path,
 * asmb_retrieve_file, ... any call with a deferred) failed at once, when the
 * library knows more than the returned code says. For the path
 * `"\\docs\\\xE2\x82"`, ASMB_EINVAL and the message
 * `path is not valid UTF-8 at byte 7 (a truncated sequence): \docs\\xE2\x82`:
 * the byte is counted from 1 in the argument as given, its valid prefix is
 * shown as it is and the rest escaped as `\xHH`. "" when there is nothing
 * more to say (asmb_strerror of the code is the message) or conn is NULL.
 *
 * A call that fails at once fires nothing, so no asmb_failure can carry its
 * message; as with sqlite3_errmsg, the connection keeps it instead: read it
 * right after the call that returned the error. The text belongs to conn and
 * is valid until the next call on conn (each operation clears it as it
 * starts). Same thread rules as the connection. */
ASMB_API const char *asmb_conn_last_error(const asmb_conn *conn);

/** What was negotiated, filled by asmb_conn_info_get. */
typedef struct asmb_conn_info {
    uint16_t dialect;       ///< ASMB_SMB*; 0 before negotiation
    int signing;            ///< 1 when messages are signed
    int signing_algorithm;  ///< ASMB_SIGN_*
    int cipher;             ///< ASMB_CIPHER_* of the session; 0 = not encrypted
    int is_guest;           ///< session flags from the server: a guest session
    int is_anonymous;       ///< session flags from the server: an anonymous session
    uint32_t max_read_size;     ///< the server's limit from NEGOTIATE, in bytes
    uint32_t max_write_size;    ///< the server's limit from NEGOTIATE, in bytes
    uint32_t max_transact_size; ///< the server's limit from NEGOTIATE, in bytes
    uint8_t server_guid[16]; ///< from NEGOTIATE
    uint64_t session_id;     ///< SMB2 SessionId; 0 before session setup
} asmb_conn_info;

/** Signing algorithms (asmb_conn_info.signing_algorithm). SMB 2.x signs
 * with HMAC-SHA256 and 3.0/3.0.2 with AES-128-CMAC; for 3.1.1 asmb offers
 * AES-128-GMAC, AES-128-CMAC, HMAC-SHA256 in that order (GMAC is the
 * fastest) and the server picks (AES-128-CMAC when it sends no choice). */
enum {
    ASMB_SIGN_NONE = 0,        ///< messages are not signed
    ASMB_SIGN_HMAC_SHA256 = 1, ///< HMAC-SHA256
    ASMB_SIGN_AES_CMAC = 2,    ///< AES-128-CMAC
    ASMB_SIGN_AES_GMAC = 3     ///< AES-128-GMAC
};
/** Encryption ciphers (asmb_config.ciphers, asmb_conn_info.cipher); values as
 * MS-SMB2 2.2.3.1.2. */
enum {
    ASMB_CIPHER_NONE = 0,        ///< not encrypted
    ASMB_CIPHER_AES_128_CCM = 1, ///< AES-128-CCM
    ASMB_CIPHER_AES_128_GCM = 2, ///< AES-128-GCM
    ASMB_CIPHER_AES_256_CCM = 3, ///< AES-256-CCM
    ASMB_CIPHER_AES_256_GCM = 4  ///< AES-256-GCM
};

/** Copies what was negotiated so far into out (caller-owned). Returns 0, or
 * ASMB_EINVAL when conn or out is NULL. */
ASMB_API int asmb_conn_info_get(const asmb_conn *conn, asmb_conn_info *out);
/** "SMB3_11" etc. (the names of ASMB_SMB*); "" for 0 or an unknown value.
 * Static; any thread. */
ASMB_API const char *asmb_dialect_name(uint16_t dialect);
/** "none", "HMAC-SHA256", "AES-128-CMAC" or "AES-128-GMAC" for ASMB_SIGN_*
 * (asmb_conn_info.signing_algorithm); "" for an unknown value. Static; any
 * thread. */
ASMB_API const char *asmb_signing_name(int algorithm);
/** "none", "AES-128-CCM", "AES-128-GCM", "AES-256-CCM" or "AES-256-GCM" for
 * ASMB_CIPHER_* (asmb_conn_info.cipher); "" for an unknown value. Static;
 * any thread. */
ASMB_API const char *asmb_cipher_name(int cipher);

/* ---- deferred ----------------------------------------------------------- */

/** Runs when a deferred succeeds. result is the operation's result (its type
 * is given with each operation; NULL for some), owned by d: valid during the
 * call, and while the caller holds a reference to d. Runs on the loop thread;
 * may start operations, cancel others, close or free the connection. */
typedef void (*asmb_callback)(asmb_deferred *d, const void *result, void *arg);
/** Runs when a deferred fails; failure is owned by d, valid as a result is. */
typedef void (*asmb_errback)(asmb_deferred *d, const asmb_failure *failure, void *arg);

/** Attach a (callback, errback, arg) triple; either function may be NULL. Any
 * number, run in order when the deferred fires, never inside this call (one
 * attached after the deferred fired runs from the loop too, while the caller
 * holds a reference). Returns 0, ASMB_EINVAL (d NULL) or ASMB_ENOMEM. */
ASMB_API int asmb_deferred_then(asmb_deferred *d, asmb_callback cb, asmb_errback eb, void *arg);
/** Completes a pending operation with ASMB_ECANCELED (delivered from the loop)
 * and sends SMB2 CANCEL when a request is outstanding; whatever the operation
 * opened is closed. Returns 0, ASMB_EALREADY if it already fired, or
 * ASMB_EINVAL (d NULL). */
ASMB_API int asmb_deferred_cancel(asmb_deferred *d);
/** Keep a deferred (and its result or failure) past firing; each ref needs
 * one asmb_deferred_unref. NULL: nothing. */
ASMB_API void asmb_deferred_ref(asmb_deferred *d);
/** Drops a reference taken with asmb_deferred_ref; the last one frees a
 * deferred that has fired. NULL: nothing. */
ASMB_API void asmb_deferred_unref(asmb_deferred *d);

/** States of a deferred (asmb_deferred_state). */
enum {
    ASMB_DEFERRED_PENDING = 0,   ///< not fired yet
    ASMB_DEFERRED_SUCCEEDED = 1, ///< fired: callbacks
    ASMB_DEFERRED_FAILED = 2     ///< fired: errbacks
};
/** ASMB_DEFERRED_PENDING, _SUCCEEDED or _FAILED; ASMB_EINVAL when d is NULL. */
ASMB_API int asmb_deferred_state(const asmb_deferred *d);
/** Valid once fired: the failure (owned by d), or NULL when it succeeded. */
ASMB_API const asmb_failure *asmb_deferred_failure(const asmb_deferred *d);
/** Valid once fired: the result (owned by d), or NULL when it failed (or has none). */
ASMB_API const void *asmb_deferred_result(const asmb_deferred *d);

/* ---- operations ---------------------------------------------------------- */

/** \file
 * \par Operations
 * Every operation returns 0 and sets *out, or a negative code at once
 * (ASMB_ENOTREADY before auth_ok, ASMB_ENOTCONN once the connection ended,
 * ASMB_EINVAL, ASMB_ENOMEM) and then no deferred exists and nothing fires.
 * After a 0, the deferred fires exactly once, from the loop: its callbacks
 * with the result, or its errbacks with a failure whose code is
 * ASMB_EFAILURE (the server refused: the NTSTATUS and a message naming it),
 * ASMB_ETIMEDOUT, ASMB_ENOTCONN (the connection ended or was closed),
 * ASMB_ECANCELED (asmb_deferred_cancel), ASMB_EPROTO, ASMB_ESIGNATURE,
 * ASMB_EDECRYPT or ASMB_ELOCAL (a sink or source gave up). String arguments
 * and opts are read during the call only (NULL opts: the defaults); a share
 * is its name only, 1 to 80 characters ("share", not "\\server\share"). Any
 * number of operations may be started at once: they are sent within the
 * server's credits and the rest queued in order. Call them from the loop's
 * thread.
 */

/** Per-operation options; NULL (or all 0) = the defaults. Read during the
 * call only. */
typedef struct asmb_opts {
    unsigned timeout_ms; ///< 0 = the connection's op_timeout_ms
    /** File operations open the version of the snapshot taken at this time
     * (Unix seconds, UTC, as listed by asmb_list_snapshots; the TWrp create
     * context, MS-SMB2 2.2.13.2.7): retrieve_file, list_path, get_attributes
     * and get_security read it; the server refuses changes to a snapshot.
     * 0 = the live file; outside 1970..9999 is ASMB_EINVAL. */
    int64_t snapshot;
    /** Transfers (retrieve_file, store_file and their _from_offset forms):
     * called from the loop with the bytes done so far, after every READ
     * whose bytes reached the sink and every WRITE the server acknowledged
     * (never for bytes only sent). May cancel the operation or close the
     * connection. NULL = none. */
    void (*progress)(uint64_t bytes_done, void *progress_arg);
    void *progress_arg; ///< passed to progress
} asmb_opts;

/** ECHO (MS-SMB2 2.2.28): a round trip to the server. Result: NULL. */
ASMB_API int asmb_echo(asmb_conn *conn, const asmb_opts *opts, asmb_deferred **out);

/** Result of asmb_tree_connect: the TREE_CONNECT response (MS-SMB2 2.2.10). */
typedef struct asmb_tree_info {
    uint32_t tree_id;        ///< the TreeId of this connection to the share
    uint8_t share_type;      ///< 1 disk, 2 pipe, 3 print (MS-SMB2 2.2.10)
    uint32_t share_flags;    ///< SMB2_SHAREFLAG_* (e.g. 0x8000 encrypt data)
    uint32_t capabilities;   ///< SMB2_SHARE_CAP_*
    uint32_t maximal_access; ///< the access mask the user has on the share
} asmb_tree_info;

/** Connects to a share (cached per share name; file operations do it on
 * demand). Result: const asmb_tree_info *. */
ASMB_API int asmb_tree_connect(asmb_conn *conn, const char *share, const asmb_opts *opts,
                               asmb_deferred **out);
/** Disconnects a cached share. ASMB_ENOENT at once when not connected to it.
 * Result: NULL. */
ASMB_API int asmb_tree_disconnect(asmb_conn *conn, const char *share, const asmb_opts *opts,
                                  asmb_deferred **out);

/* ---- files --------------------------------------------------------------- */

/** \file
 * \par Files
 * Paths are UTF-8, with '/' or '\\' as separators; leading and trailing
 * separators are ignored ("" or "/" is the share's root). Invalid UTF-8 is
 * ASMB_EINVAL at once. Times are FILETIME: 100 ns units since 1601-01-01 UTC;
 * asmb_filetime_to_unix converts. A server refusal fails with ASMB_EFAILURE,
 * the NTSTATUS, and a message naming the path, e.g.
 * "STATUS_OBJECT_NAME_NOT_FOUND: retrieving \dir\missing.txt". Whatever an
 * operation opened is closed on every path (success, error, timeout, cancel).
 */

/** File attributes (MS-FSCC 2.6; asmb_file_info.file_attributes) and
 * asmb_list_path search flags. list_path keeps an entry when its attributes
 * share a bit with the search flags; a "normal" entry (low byte 0 or
 * ASMB_ATTR_NORMAL) only with search ASMB_ATTR_NORMAL or
 * ASMB_SEARCH_INCL_NORMAL (pysmb's semantics). */
enum {
    ASMB_ATTR_READONLY = 0x01,  ///< FILE_ATTRIBUTE_READONLY
    ASMB_ATTR_HIDDEN = 0x02,    ///< FILE_ATTRIBUTE_HIDDEN
    ASMB_ATTR_SYSTEM = 0x04,    ///< FILE_ATTRIBUTE_SYSTEM
    ASMB_ATTR_VOLUME = 0x08,    ///< volume label (search flag)
    ASMB_ATTR_DIRECTORY = 0x10, ///< FILE_ATTRIBUTE_DIRECTORY
    ASMB_ATTR_ARCHIVE = 0x20,   ///< FILE_ATTRIBUTE_ARCHIVE
    ASMB_ATTR_NORMAL = 0x80,    ///< FILE_ATTRIBUTE_NORMAL: no other attribute
    ASMB_SEARCH_INCL_NORMAL = 0x10000, ///< pysmb's: also keep "normal" entries
    /** Everything but volume labels: read-only, hidden, system, directories,
     * archive and normal entries. */
    ASMB_SEARCH_DEFAULT = 0x01 | 0x02 | 0x04 | 0x10 | 0x20 | 0x10000
};

/** A file's or directory's metadata (list_path entries, get_attributes,
 * retrieve_file). The strings belong to whoever owns the structure: the
 * deferred in a callback, the caller after an asmb_sync call (released with
 * asmb_file_info_clear or asmb_file_list_clear). */
typedef struct asmb_file_info {
    char *filename;   ///< UTF-8; for get_attributes the last path component
    char *short_name; ///< UTF-8 8.3 name, "" when none
    /* Times: FILETIMEs (100 ns units since 1601-01-01 UTC; asmb_filetime_to_unix). */
    uint64_t create_time;           ///< FILETIME of creation
    uint64_t last_access_time;      ///< FILETIME of the last access
    uint64_t last_write_time;       ///< FILETIME of the last write
    uint64_t last_attr_change_time; ///< FILETIME of the last change (data or metadata)
    uint64_t file_size;  ///< end of file, in bytes
    uint64_t alloc_size; ///< allocation size, in bytes
    uint32_t file_attributes; ///< ASMB_ATTR_* bits
    uint64_t file_id;    ///< the server's file id (FileId in MS-FSCC)
    int is_directory; ///< 1 when file_attributes has ASMB_ATTR_DIRECTORY
    int is_readonly;  ///< 1 when file_attributes has ASMB_ATTR_READONLY
    int is_normal;    ///< 1 when file_attributes' low byte is 0 or ASMB_ATTR_NORMAL
} asmb_file_info;

/** Result of asmb_list_path (and asmb_sync_list_path). */
typedef struct asmb_file_list {
    size_t count;            ///< number of entries
    asmb_file_info *entries; ///< count entries, in the server's order
} asmb_file_list;
/** Releases what a caller-owned list holds (filled by asmb_sync_list_path),
 * entries and their strings, and zeroes it; the structure itself stays the
 * caller's. NULL: nothing. Results passed to callbacks belong to the
 * deferred: never clear those. (The clear functions below work the same way.) */
ASMB_API void asmb_file_list_clear(asmb_file_list *list);
/** Releases the strings of a caller-owned asmb_file_info (filled by
 * asmb_sync_get_attributes). NULL: nothing. */
ASMB_API void asmb_file_info_clear(asmb_file_info *info);

/** Seconds since 1970 (with fraction) from a FILETIME. Any thread. */
ASMB_API double asmb_filetime_to_unix(uint64_t filetime);

/** Where retrieved bytes go: write() (return 0, or a negative value to abort:
 * the operation fails with ASMB_ELOCAL) or, when write is NULL, the file
 * descriptor fd (written with write(2), blocking). Chunks arrive in file order,
 * from the loop. The operation copies the structure; arg (or fd) must stay
 * valid until the deferred fires. */
typedef struct asmb_sink {
    /** Takes len bytes (data is valid during the call only); 0 or negative. */
    int (*write)(void *arg, const void *data, size_t len);
    void *arg; ///< passed to write
    int fd;    ///< used when write is NULL; not closed by the library
} asmb_sink;

/** Where stored bytes come from: read() returns bytes placed in buf (0 = end,
 * negative = abort with ASMB_ELOCAL) or, when read is NULL, the file
 * descriptor fd. The first read may happen inside the store call itself
 * (when the share is already connected: a small file then goes in one
 * compound round trip); later ones run from the loop. The operation copies
 * the structure; arg (or fd) must stay valid until the deferred fires. */
typedef struct asmb_source {
    /** Fills up to len bytes of buf; returns how many, 0 at the end, or
     * negative to abort. */
    long (*read)(void *arg, void *buf, size_t len);
    void *arg; ///< passed to read
    int fd;    ///< used when read is NULL (read(2) from its position); not closed
} asmb_source;

/** Result of retrieve_file: bytes written to the sink and the file's info. */
typedef struct asmb_retrieve_result {
    uint64_t bytes;      ///< bytes handed to the sink
    asmb_file_info info; ///< the file's metadata, from its CREATE
} asmb_retrieve_result;
/** Releases what a caller-owned result holds (its info's strings). NULL: nothing. */
ASMB_API void asmb_retrieve_result_clear(asmb_retrieve_result *result);

/** Result of store_file. */
typedef struct asmb_store_result {
    uint64_t bytes; ///< bytes written (taken from the source)
} asmb_store_result;

/** Reads a whole file into sink (asmb_retrieve_file_from_offset from 0 to the
 * end). The sink's arg must stay valid until the deferred fires. With
 * opts->snapshot, the version of that snapshot. Result: const
 * asmb_retrieve_result *. */
ASMB_API int asmb_retrieve_file(asmb_conn *conn, const char *share, const char *path,
                                const asmb_sink *sink, const asmb_opts *opts,
                                asmb_deferred **out);
/** Reads max_length bytes from offset into sink: max_length < 0 reads to the
 * end, 0 opens and closes only; an offset past the end gives 0 bytes. The
 * sink's arg must stay valid until the deferred fires. READs of io_size
 * bytes, io_window in flight, reach the sink in file order. Result: const
 * asmb_retrieve_result *. */
ASMB_API int asmb_retrieve_file_from_offset(asmb_conn *conn, const char *share,
                                            const char *path, const asmb_sink *sink,
                                            uint64_t offset, int64_t max_length,
                                            const asmb_opts *opts, asmb_deferred **out);
/** Flags of asmb_store_file_from_offset. */
enum {
    ASMB_STORE_TRUNCATE = 1 ///< first truncate the file to offset
};
/** Writes the source's bytes to path, creating the file or truncating it.
 * The source's arg must stay valid until the deferred fires. Result: const
 * asmb_store_result *. */
ASMB_API int asmb_store_file(asmb_conn *conn, const char *share, const char *path,
                             const asmb_source *src, const asmb_opts *opts, asmb_deferred **out);
/** Writes the source's bytes at offset (resume/append), creating the file if
 * needed; flags ASMB_STORE_TRUNCATE first truncates the file to offset (other
 * bits: ASMB_EINVAL). Result: const asmb_store_result *. */
ASMB_API int asmb_store_file_from_offset(asmb_conn *conn, const char *share, const char *path,
                                         const asmb_source *src, uint64_t offset, int flags,
                                         const asmb_opts *opts, asmb_deferred **out);
/** list_path: entries of a directory matching pattern (NULL = "*"), filtered
 * with pysmb's attribute semantics (search: ASMB_ATTR_* and ASMB_SEARCH_*
 * bits, usually ASMB_SEARCH_DEFAULT); "." and ".." included as the server
 * sends them. Nothing matching is an empty list. Result: const
 * asmb_file_list *. */
ASMB_API int asmb_list_path(asmb_conn *conn, const char *share, const char *path,
                            uint32_t search, const char *pattern, const asmb_opts *opts,
                            asmb_deferred **out);
/** A file's or directory's metadata (filename: the last path component).
 * Result: const asmb_file_info *. */
ASMB_API int asmb_get_attributes(asmb_conn *conn, const char *share, const char *path,
                                 const asmb_opts *opts, asmb_deferred **out);
/** Clears every attribute (FILE_ATTRIBUTE_NORMAL). Result: NULL. */
ASMB_API int asmb_reset_file_attributes(asmb_conn *conn, const char *share, const char *path,
                                        const asmb_opts *opts, asmb_deferred **out);
/** Creates a directory (its parent must exist; STATUS_OBJECT_NAME_COLLISION
 * when the name exists). Result: NULL. */
ASMB_API int asmb_create_directory(asmb_conn *conn, const char *share, const char *path,
                                   const asmb_opts *opts, asmb_deferred **out);
/** Deletes a directory. The directory must be empty
 * (STATUS_DIRECTORY_NOT_EMPTY otherwise). Result: NULL. */
ASMB_API int asmb_delete_directory(asmb_conn *conn, const char *share, const char *path,
                                   const asmb_opts *opts, asmb_deferred **out);
/** Flags of asmb_rename. */
enum {
    ASMB_RENAME_REPLACE = 1 ///< replace an existing target
};
/** Renames or moves a file or directory, within the share;
 * ASMB_RENAME_REPLACE replaces an existing target (without it, an existing
 * target fails with STATUS_OBJECT_NAME_COLLISION). Result: NULL. */
ASMB_API int asmb_rename(asmb_conn *conn, const char *share, const char *old_path,
                         const char *new_path, int flags, const asmb_opts *opts,
                         asmb_deferred **out);
/** Flags of asmb_delete_files. */
enum {
    ASMB_DELETE_FOLDERS = 1 ///< matching folders are emptied and removed too
};
/** Result of asmb_delete_files. */
typedef struct asmb_delete_result {
    uint64_t count; ///< entries deleted (files and, with ASMB_DELETE_FOLDERS, folders)
} asmb_delete_result;
/** Deletes the files matching the last component (wildcards * and ?); flags
 * ASMB_DELETE_FOLDERS also empties and removes matching folders (other bits:
 * ASMB_EINVAL). A missing single file is a success (as pysmb on SMB2). Result:
 * const asmb_delete_result *. */
ASMB_API int asmb_delete_files(asmb_conn *conn, const char *share, const char *path_pattern,
                               int flags, const asmb_opts *opts, asmb_deferred **out);

/** One access control entry of a DACL. */
typedef struct asmb_ace {
    uint8_t type;  ///< 0 allowed, 1 denied, 2 audit, ... (MS-DTYP 2.4.4.1)
    uint8_t flags; ///< inheritance flags
    uint32_t mask; ///< access mask
    char sid[192]; ///< "S-1-5-21-..."
} asmb_ace;

/** A security descriptor (MS-DTYP 2.4.6): result of asmb_get_security. */
typedef struct asmb_security {
    uint16_t control;            ///< SE_* control flags
    char owner[192];             ///< the owner's SID as a string; "" when absent
    char group[192];             ///< the group's SID as a string; "" when absent
    int has_dacl;                ///< 0: no DACL (everyone has full access)
    size_t nace;                 ///< number of ACEs in aces
    asmb_ace *aces;              ///< the DACL's entries, in order
} asmb_security;
/** Releases what a caller-owned descriptor holds (filled by
 * asmb_sync_get_security). NULL: nothing. */
ASMB_API void asmb_security_clear(asmb_security *sec);

/** Owner, group and DACL. Result: const asmb_security *. */
ASMB_API int asmb_get_security(asmb_conn *conn, const char *share, const char *path,
                               const asmb_opts *opts, asmb_deferred **out);

/* ---- shares and snapshots ----------------------------------------------- */

/** One share of asmb_list_shares (SHARE_INFO_1). */
typedef struct asmb_share_info {
    char *name;             ///< UTF-8
    uint32_t type;          ///< raw STYPE value (MS-SRVS 2.2.2.4)
    int kind;               ///< type & 0xFFFF: 0 disk, 1 print queue, 2 device, 3 IPC
    int is_special;         ///< type & 0x80000000: administrative (IPC$, C$, ...)
    int is_temporary;       ///< type & 0x40000000
    char *comment;          ///< UTF-8, "" when none
} asmb_share_info;

/** Result of asmb_list_shares (and asmb_sync_list_shares). */
typedef struct asmb_share_list {
    size_t count;            ///< number of shares
    asmb_share_info *shares; ///< count shares, in the server's order
} asmb_share_list;
/** Releases what a caller-owned list holds (filled by asmb_sync_list_shares).
 * NULL: nothing. */
ASMB_API void asmb_share_list_clear(asmb_share_list *list);

/** Lists the server's shares: NetrShareEnum level 1 over `\\PIPE\srvsvc` on
 * IPC$ (MS-SRVS 3.1.4.8). Result: const asmb_share_list *. */
ASMB_API int asmb_list_shares(asmb_conn *conn, const asmb_opts *opts, asmb_deferred **out);

/** Result of asmb_list_snapshots (and asmb_sync_list_snapshots). */
typedef struct asmb_snapshot_list {
    size_t count;       ///< number of snapshots
    int64_t *times;     ///< Unix seconds, UTC, in the server's order (for asmb_opts.snapshot)
    char (*tokens)[25]; ///< the "@GMT-YYYY.MM.DD-HH.MM.SS" strings
} asmb_snapshot_list;
/** Releases what a caller-owned list holds (filled by
 * asmb_sync_list_snapshots). NULL: nothing. */
ASMB_API void asmb_snapshot_list_clear(asmb_snapshot_list *list);

/** The snapshots ("previous versions") of path (file or directory):
 * FSCTL_SRV_ENUMERATE_SNAPSHOTS. Where the share has no snapshot support the
 * server refuses (Samba: STATUS_INVALID_DEVICE_REQUEST); opts->snapshot does
 * not apply (the live file's list). Result: const asmb_snapshot_list *. */
ASMB_API int asmb_list_snapshots(asmb_conn *conn, const char *share, const char *path,
                                 const asmb_opts *opts, asmb_deferred **out);

/* ---- memory ------------------------------------------------------------- */

/** Where the library's own memory comes from (libuv's and OpenSSL's keep
 * theirs: uv_replace_allocator, CRYPTO_set_mem_functions). ctx is passed to
 * every call. The library never calls realloc or free with NULL and never
 * asks for 0 bytes; as realloc(3), a realloc that returns NULL must leave the
 * block as it was. A NULL from malloc or realloc is handled everywhere as
 * out of memory: the call fails with ASMB_ENOMEM at once, or its deferred or
 * handler reports the failure once (ASMB_ENOMEM; a connection that can't go
 * on ends, its operations fail with ASMB_ENOTCONN and disconnected fires). */
typedef struct asmb_allocator {
    void *(*malloc)(size_t size, void *ctx);             ///< as malloc(3); size > 0
    void *(*realloc)(void *ptr, size_t size, void *ctx); ///< as realloc(3); ptr never NULL, size > 0
    void (*free)(void *ptr, void *ctx);                  ///< as free(3); ptr never NULL
    void *ctx;                                           ///< passed to every call
} asmb_allocator;

/** Replaces the allocator of the whole process (copied; NULL restores
 * malloc/realloc/free). Process-wide, as libuv's uv_replace_allocator,
 * OpenSSL's CRYPTO_set_mem_functions and libcurl's curl_global_init_mem: a
 * per-connection allocator would have to reach every codec. Call it before
 * any connection exists (or after every one was freed and its loop ran to
 * the end: blocks are freed by the allocator current at the time), and not
 * while another thread calls into the library. Returns 0, or ASMB_EINVAL
 * when a function is missing (the allocator is then unchanged). */
ASMB_API int asmb_set_allocator(const asmb_allocator *a);

/* ---- process-wide state ------------------------------------------------- */

/** Releases the library's process-wide cryptographic state: one private
 * OpenSSL library context (OSSL_LIB_CTX with the default and legacy
 * providers; the process's default context is never touched) and the
 * algorithms fetched from it once, shared read-only by every connection of
 * every loop and thread. Besides the allocator (asmb_set_allocator), it is
 * the only process-wide state of the library. It is made on first use, by the
 * first asmb_conn_new (thread-safely), so calling this is never required: it
 * is for leak checkers, and for programs that unload the library or want
 * OpenSSL's memory back.
 *
 * Call it once every connection was freed and its loop ran to the end (its
 * handles closed). It then returns 0 and the library re-initialises on next
 * use (the next asmb_conn_new). While any connection still exists it releases
 * nothing and returns ASMB_EINUSE. Any thread; not while another thread
 * creates a connection. Call it before OpenSSL's own cleanup (OPENSSL_cleanup,
 * run at exit), not from an atexit handler registered before OpenSSL's. */
ASMB_API int asmb_library_cleanup(void);

/** The library's name and version, "asmb 0.1.0". Static; any thread. */
ASMB_API const char *asmb_version(void);

#ifdef __cplusplus
}
#endif
/* ---- smb:// URLs (issue 14): asmb_url_parse and friends ---------------- */
#include "asmb_url.h"
/* Source compatibility: programs that include only asmb.h keep asmb_conn_new. */
#ifndef ASMB_NO_UV
#include "asmb_uv.h"
#endif
#endif
