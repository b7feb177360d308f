/* asmb: an asynchronous SMB2/3 client library.
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
 * Building: <uv.h> needs POSIX declarations; compile with -D_GNU_SOURCE (or
 * _POSIX_C_SOURCE=200809L) under -std=c11. As in any libuv program, ignore
 * SIGPIPE (signal(SIGPIPE, SIG_IGN)): a peer that resets the connection while
 * we write would otherwise kill the process.
 */
#ifndef ASMB_H
#define ASMB_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "asmb_errno.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define ASMB_API
#else
#define ASMB_API __attribute__((visibility("default")))
#endif

/* ---- errors ------------------------------------------------------------ */

/* Static description of a library code (ASMB_E*); never allocates. */
ASMB_API const char *asmb_strerror(int code);
/* Static name of a library code, e.g. "ASMB_ETIMEDOUT". */
ASMB_API const char *asmb_err_name(int code);
/* Static name of an NTSTATUS, e.g. "STATUS_LOGON_FAILURE"; NULL when unknown. */
ASMB_API const char *asmb_ntstatus_name(uint32_t status);

/* What an errback (and auth_failed/disconnected) receives. */
typedef struct asmb_failure {
    int code;            /* ASMB_EFAILURE (server said no), ASMB_ETIMEDOUT, ASMB_ENOTCONN, ... */
    uint32_t ntstatus;   /* the server's NTSTATUS for ASMB_EFAILURE/ASMB_EAUTH, else 0 */
    const char *message; /* e.g. "STATUS_LOGON_FAILURE: session setup as user 'bob'" */
} asmb_failure;

/* ---- configuration ------------------------------------------------------ */

enum { /* dialects */
    ASMB_SMB2_02 = 0x0202,
    ASMB_SMB2_10 = 0x0210,
    ASMB_SMB3_00 = 0x0300,
    ASMB_SMB3_02 = 0x0302,
    ASMB_SMB3_11 = 0x0311
};

enum { ASMB_OFF = 0, ASMB_IF_SUPPORTED = 1, ASMB_REQUIRED = 2 }; /* signing, encryption */

typedef struct asmb_config {
    const char *username;    /* NULL or "" = anonymous */
    const char *password;    /* NULL = "" */
    const char *domain;      /* NULL = "" */
    const char *workstation; /* our name, sent in NTLM; NULL = "ASMB" */
    uint16_t min_dialect;    /* default ASMB_SMB2_02 */
    uint16_t max_dialect;    /* default ASMB_SMB3_11 */
    /* ASMB_OFF: only when the server requires it (signing: signs anyway;
     * encryption: encrypts the sessions/shares the server marks);
     * ASMB_IF_SUPPORTED: whenever the server can; ASMB_REQUIRED: fail
     * authentication when the server can't. */
    int signing;             /* default ASMB_IF_SUPPORTED */
    int encryption;          /* default ASMB_OFF */
    /* SMB 3.1.1 ciphers in order of preference (ASMB_CIPHER_*), 0-terminated;
     * all 0 = AES-128-GCM, AES-128-CCM, AES-256-GCM, AES-256-CCM. */
    uint16_t ciphers[4];
    unsigned connect_timeout_ms; /* DNS + TCP connect; default 10000 */
    unsigned auth_timeout_ms;    /* negotiate + session setup; default 10000 */
    unsigned op_timeout_ms;      /* operations called with opts == NULL; default 30000 */
    /* Throughput (0 = default): credits the client keeps asking for (512);
     * bytes per READ/WRITE (4 MiB, capped by the server's maximum and by the
     * dialect: 64 KiB without multi-credit requests); READs or WRITEs kept in
     * flight per transfer (2). Measured on loopback against Samba 4.17
     * (bench/run.sh): deeper windows of smaller requests made smbd fault its
     * buffers in again and again; over links with more round-trip time a
     * deeper window may win. */
    unsigned credit_target;
    unsigned io_size;
    unsigned io_window;
    int no_compound; /* 1: never compound CREATE+request+CLOSE (MS-SMB2 3.2.4.1.4) */
    /* NetBIOS session service (pysmb's is_direct_tcp=False, usually port
     * 139): a SESSION REQUEST (RFC 1002 4.3.2) precedes SMB. */
    int netbios;
    const char *my_name;     /* calling name; NULL = workstation */
    const char *remote_name; /* called name; NULL = the host's first label, or
                                "*SMBSERVER" when connecting to an address */
} asmb_config;

/* Fills every field with its default. */
ASMB_API void asmb_config_init(asmb_config *cfg);

/* ---- connection --------------------------------------------------------- */

typedef struct asmb_conn asmb_conn;
typedef struct asmb_deferred asmb_deferred;

/* Connection events. Any pointer may be NULL. Exactly one of auth_ok and
 * auth_failed fires once negotiation/authentication ends (auth_failed for a
 * refusal by the server, a requirement the server can't meet, or the auth
 * timeout). disconnected fires exactly once when a connection started with
 * asmb_conn_connect ends, for whatever reason, including asmb_conn_close
 * (code ASMB_ECLOSED); no handler fires after asmb_conn_free. */
typedef struct asmb_handlers {
    void (*auth_ok)(asmb_conn *conn, void *arg);
    void (*auth_failed)(asmb_conn *conn, const asmb_failure *why, void *arg);
    void (*disconnected)(asmb_conn *conn, const asmb_failure *why, void *arg);
} asmb_handlers;

/* NULL on bad arguments or out of memory. cfg and handlers may be NULL. */
ASMB_API asmb_conn *asmb_conn_new(uv_loop_t *loop, const asmb_config *cfg,
                                  const asmb_handlers *handlers, void *arg);
/* Resolves host (name, IPv4 or IPv6 literal), connects, negotiates and
 * authenticates; the outcome arrives through the handlers. Returns 0 or
 * ASMB_EINVAL / ASMB_EALREADY / ASMB_ENOMEM at once (then nothing fires). */
ASMB_API int asmb_conn_connect(asmb_conn *conn, const char *host, int port);
/* Sends TREE_DISCONNECT and LOGOFF when it can, then closes the socket. Every
 * pending operation fails with ASMB_ENOTCONN; disconnected fires (ASMB_ECLOSED). */
ASMB_API void asmb_conn_close(asmb_conn *conn);
/* Closes if needed and releases the caller's ownership. Safe from any callback.
 * Pending deferreds still fire (ASMB_ENOTCONN) from the loop. */
ASMB_API void asmb_conn_free(asmb_conn *conn);

/* 1 once auth_ok fired and until the connection ends. */
ASMB_API int asmb_conn_is_ready(const asmb_conn *conn);

typedef struct asmb_conn_info {
    uint16_t dialect;       /* 0 before negotiation */
    int signing;            /* 1 when messages are signed */
    int signing_algorithm;  /* ASMB_SIGN_* */
    int cipher;             /* ASMB_CIPHER_* of the session; 0 = not encrypted */
    int is_guest;           /* session flags from the server */
    int is_anonymous;
    uint32_t max_read_size, max_write_size, max_transact_size;
    uint8_t server_guid[16];
    uint64_t session_id;
} asmb_conn_info;

enum { ASMB_SIGN_NONE = 0, ASMB_SIGN_HMAC_SHA256 = 1, ASMB_SIGN_AES_CMAC = 2, ASMB_SIGN_AES_GMAC = 3 };
enum {
    ASMB_CIPHER_NONE = 0,
    ASMB_CIPHER_AES_128_CCM = 1, /* values as MS-SMB2 2.2.3.1.2 */
    ASMB_CIPHER_AES_128_GCM = 2,
    ASMB_CIPHER_AES_256_CCM = 3,
    ASMB_CIPHER_AES_256_GCM = 4
};

ASMB_API int asmb_conn_info_get(const asmb_conn *conn, asmb_conn_info *out);
/* "SMB3_11" etc.; "" for 0. Static. */
ASMB_API const char *asmb_dialect_name(uint16_t dialect);

/* ---- deferred ----------------------------------------------------------- */

typedef void (*asmb_callback)(asmb_deferred *d, const void *result, void *arg);
typedef void (*asmb_errback)(asmb_deferred *d, const asmb_failure *failure, void *arg);

/* Attach a (callback, errback, arg) triple; either function may be NULL. Any
 * number, run in order when the deferred fires, never inside this call. */
ASMB_API int asmb_deferred_then(asmb_deferred *d, asmb_callback cb, asmb_errback eb, void *arg);
/* Completes a pending operation with ASMB_ECANCELED (delivered from the loop)
 * and sends SMB2 CANCEL when a request is outstanding. ASMB_EALREADY if it
 * already fired. */
ASMB_API int asmb_deferred_cancel(asmb_deferred *d);
/* Keep a deferred past firing; each ref needs one unref. */
ASMB_API void asmb_deferred_ref(asmb_deferred *d);
ASMB_API void asmb_deferred_unref(asmb_deferred *d);

enum { ASMB_DEFERRED_PENDING = 0, ASMB_DEFERRED_SUCCEEDED = 1, ASMB_DEFERRED_FAILED = 2 };
ASMB_API int asmb_deferred_state(const asmb_deferred *d);
/* Valid once fired: the failure, or NULL when it succeeded. */
ASMB_API const asmb_failure *asmb_deferred_failure(const asmb_deferred *d);
/* Valid once fired: the result, or NULL when it failed (or has none). */
ASMB_API const void *asmb_deferred_result(const asmb_deferred *d);

/* ---- operations ----------------------------------------------------------
 * Every operation returns 0 and sets *out, or a negative code at once
 * (ASMB_ENOTREADY before auth_ok, ASMB_ENOTCONN once the connection ended,
 * ASMB_EINVAL, ASMB_ENOMEM) and then no deferred exists and nothing fires. */

typedef struct asmb_opts {
    unsigned timeout_ms; /* 0 = the connection's op_timeout_ms */
    /* File operations open the version of the snapshot taken at this time
     * (Unix seconds, UTC, as listed by asmb_list_snapshots; the TWrp create
     * context, MS-SMB2 2.2.13.2.7): retrieve_file, list_path, get_attributes
     * and get_security read it; the server refuses changes to a snapshot.
     * 0 = the live file; outside 1970..9999 is ASMB_EINVAL. */
    int64_t snapshot;
} asmb_opts;

/* ECHO (MS-SMB2 2.2.28). Result: NULL. */
ASMB_API int asmb_echo(asmb_conn *conn, const asmb_opts *opts, asmb_deferred **out);

/* Result of asmb_tree_connect. */
typedef struct asmb_tree_info {
    uint32_t tree_id;
    uint8_t share_type; /* 1 disk, 2 pipe, 3 print (MS-SMB2 2.2.10) */
    uint32_t share_flags;
    uint32_t capabilities;
    uint32_t maximal_access;
} asmb_tree_info;

/* Connects to a share (cached per share name; file operations do it on
 * demand). Result: const asmb_tree_info *. */
ASMB_API int asmb_tree_connect(asmb_conn *conn, const char *share, const asmb_opts *opts,
                               asmb_deferred **out);
/* Disconnects a cached share. ASMB_ENOENT at once when not connected to it.
 * Result: NULL. */
ASMB_API int asmb_tree_disconnect(asmb_conn *conn, const char *share, const asmb_opts *opts,
                                  asmb_deferred **out);

/* ---- files ----------------------------------------------------------------
 * Paths are UTF-8, with '/' or '\' as separators; leading and trailing
 * separators are ignored ("" or "/" is the share's root). Invalid UTF-8 is
 * ASMB_EINVAL at once. Times are FILETIME: 100 ns units since 1601-01-01 UTC;
 * asmb_filetime_to_unix converts. A server refusal fails with ASMB_EFAILURE,
 * the NTSTATUS, and a message naming the path, e.g.
 * "STATUS_OBJECT_NAME_NOT_FOUND: retrieving \dir\missing.txt". Whatever an
 * operation opened is closed on every path (success, error, timeout, cancel). */

enum { /* file attributes (MS-FSCC 2.6) and list_path search flags */
    ASMB_ATTR_READONLY = 0x01,
    ASMB_ATTR_HIDDEN = 0x02,
    ASMB_ATTR_SYSTEM = 0x04,
    ASMB_ATTR_VOLUME = 0x08,
    ASMB_ATTR_DIRECTORY = 0x10,
    ASMB_ATTR_ARCHIVE = 0x20,
    ASMB_ATTR_NORMAL = 0x80,
    ASMB_SEARCH_INCL_NORMAL = 0x10000, /* pysmb's: also keep "normal" entries */
    ASMB_SEARCH_DEFAULT = 0x01 | 0x02 | 0x04 | 0x10 | 0x20 | 0x10000
};

typedef struct asmb_file_info {
    char *filename;   /* UTF-8; for get_attributes the last path component */
    char *short_name; /* UTF-8 8.3 name, "" when none */
    uint64_t create_time, last_access_time, last_write_time, last_attr_change_time;
    uint64_t file_size;  /* end of file */
    uint64_t alloc_size;
    uint32_t file_attributes;
    uint64_t file_id;
    int is_directory, is_readonly, is_normal;
} asmb_file_info;

typedef struct asmb_file_list {
    size_t count;
    asmb_file_info *entries;
} asmb_file_list;

/* Seconds since 1970 (with fraction) from a FILETIME. */
ASMB_API double asmb_filetime_to_unix(uint64_t filetime);

/* Where retrieved bytes go: write() (return 0, or a negative value to abort:
 * the operation fails with ASMB_ELOCAL) or, when write is NULL, the file
 * descriptor fd (written with write(2), blocking). Chunks arrive in file order. */
typedef struct asmb_sink {
    int (*write)(void *arg, const void *data, size_t len);
    void *arg;
    int fd;
} asmb_sink;

/* Where stored bytes come from: read() returns bytes placed in buf (0 = end,
 * negative = abort with ASMB_ELOCAL) or, when read is NULL, the file
 * descriptor fd. The first read may happen inside the store call itself
 * (when the share is already connected: a small file then goes in one
 * compound round trip); later ones run from the loop. */
typedef struct asmb_source {
    long (*read)(void *arg, void *buf, size_t len);
    void *arg;
    int fd;
} asmb_source;

/* Result of retrieve_file: bytes written to the sink and the file's info. */
typedef struct asmb_retrieve_result {
    uint64_t bytes;
    asmb_file_info info;
} asmb_retrieve_result;

typedef struct asmb_store_result {
    uint64_t bytes;
} asmb_store_result;

/* retrieve_file(_from_offset): max_length < 0 reads to the end, 0 opens and
 * closes only; an offset past the end gives 0 bytes. The sink and its arg
 * must stay valid until the deferred fires. Result: const asmb_retrieve_result *. */
ASMB_API int asmb_retrieve_file(asmb_conn *conn, const char *share, const char *path,
                                const asmb_sink *sink, const asmb_opts *opts,
                                asmb_deferred **out);
ASMB_API int asmb_retrieve_file_from_offset(asmb_conn *conn, const char *share,
                                            const char *path, const asmb_sink *sink,
                                            uint64_t offset, int64_t max_length,
                                            const asmb_opts *opts, asmb_deferred **out);
/* store_file creates or truncates; store_file_from_offset writes at offset
 * (resume/append; ASMB_STORE_TRUNCATE first truncates the file to offset).
 * Result: const asmb_store_result *. */
enum { ASMB_STORE_TRUNCATE = 1 };
ASMB_API int asmb_store_file(asmb_conn *conn, const char *share, const char *path,
                             const asmb_source *src, const asmb_opts *opts, asmb_deferred **out);
ASMB_API int asmb_store_file_from_offset(asmb_conn *conn, const char *share, const char *path,
                                         const asmb_source *src, uint64_t offset, int flags,
                                         const asmb_opts *opts, asmb_deferred **out);
/* list_path: entries of a directory matching pattern (NULL = "*"), filtered
 * with pysmb's attribute semantics; "." and ".." included as the server sends
 * them. Nothing matching is an empty list. Result: const asmb_file_list *. */
ASMB_API int asmb_list_path(asmb_conn *conn, const char *share, const char *path,
                            uint32_t search, const char *pattern, const asmb_opts *opts,
                            asmb_deferred **out);
/* Result: const asmb_file_info *. */
ASMB_API int asmb_get_attributes(asmb_conn *conn, const char *share, const char *path,
                                 const asmb_opts *opts, asmb_deferred **out);
/* Clears every attribute (FILE_ATTRIBUTE_NORMAL). Result: NULL. */
ASMB_API int asmb_reset_file_attributes(asmb_conn *conn, const char *share, const char *path,
                                        const asmb_opts *opts, asmb_deferred **out);
/* Result: NULL. */
ASMB_API int asmb_create_directory(asmb_conn *conn, const char *share, const char *path,
                                   const asmb_opts *opts, asmb_deferred **out);
/* The directory must be empty (STATUS_DIRECTORY_NOT_EMPTY otherwise). */
ASMB_API int asmb_delete_directory(asmb_conn *conn, const char *share, const char *path,
                                   const asmb_opts *opts, asmb_deferred **out);
/* Within the share; ASMB_RENAME_REPLACE replaces an existing target. */
enum { ASMB_RENAME_REPLACE = 1 };
ASMB_API int asmb_rename(asmb_conn *conn, const char *share, const char *old_path,
                         const char *new_path, int flags, const asmb_opts *opts,
                         asmb_deferred **out);
/* Deletes the files matching the last component (wildcards * and ?); with
 * delete_matching_folders, matching folders are emptied and removed too. A
 * missing single file is a success (as pysmb on SMB2). Result: const uint64_t *
 * (how many entries were deleted). */
ASMB_API int asmb_delete_files(asmb_conn *conn, const char *share, const char *path_pattern,
                               int delete_matching_folders, const asmb_opts *opts,
                               asmb_deferred **out);

typedef struct asmb_ace {
    uint8_t type;  /* 0 allowed, 1 denied, 2 audit, ... (MS-DTYP 2.4.4.1) */
    uint8_t flags; /* inheritance flags */
    uint32_t mask; /* access mask */
    char sid[192]; /* "S-1-5-21-..." */
} asmb_ace;

typedef struct asmb_security {
    uint16_t control;
    char owner[192], group[192]; /* "" when absent */
    int has_dacl;
    size_t nace;
    asmb_ace *aces;
} asmb_security;

/* Owner, group and DACL. Result: const asmb_security *. */
ASMB_API int asmb_get_security(asmb_conn *conn, const char *share, const char *path,
                               const asmb_opts *opts, asmb_deferred **out);

/* ---- shares and snapshots ----------------------------------------------- */

typedef struct asmb_share_info {
    char *name;             /* UTF-8 */
    uint32_t type;          /* raw STYPE value (MS-SRVS 2.2.2.4) */
    int kind;               /* type & 0xFFFF: 0 disk, 1 print queue, 2 device, 3 IPC */
    int is_special;         /* type & 0x80000000: administrative (IPC$, C$, ...) */
    int is_temporary;       /* type & 0x40000000 */
    char *comment;          /* UTF-8, "" when none */
} asmb_share_info;

typedef struct asmb_share_list {
    size_t count;
    asmb_share_info *shares;
} asmb_share_list;

/* NetrShareEnum level 1 over \\PIPE\srvsvc on IPC$ (MS-SRVS 3.1.4.8).
 * Result: const asmb_share_list *. */
ASMB_API int asmb_list_shares(asmb_conn *conn, const asmb_opts *opts, asmb_deferred **out);

typedef struct asmb_snapshot_list {
    size_t count;
    int64_t *times;     /* Unix seconds, UTC, in the server's order */
    char (*tokens)[25]; /* the "@GMT-YYYY.MM.DD-HH.MM.SS" strings */
} asmb_snapshot_list;

/* FSCTL_SRV_ENUMERATE_SNAPSHOTS on path (file or directory).
 * Result: const asmb_snapshot_list *. */
ASMB_API int asmb_list_snapshots(asmb_conn *conn, const char *share, const char *path,
                                 const asmb_opts *opts, asmb_deferred **out);

/* "asmb 0.1.0" */
ASMB_API const char *asmb_version(void);

#ifdef __cplusplus
}
#endif
#endif
