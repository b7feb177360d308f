/** \file asmb_sync.h
 * \brief Blocking convenience API over asmb.h.
 *
 * Each call runs a private libuv loop until its operation completes. For
 * scripts, tools and tests; the asynchronous API in asmb.h stays the primary
 * one. A handle is used by one thread at a time (it may move between threads
 * between calls). Every call returns 0 or a negative ASMB_E* code and, on
 * failure, fills err (when not NULL) with the code, the NTSTATUS and the
 * message. The codes are those of the asynchronous operation (immediate
 * errors and failures alike), plus ASMB_EINVAL for a NULL handle or a NULL
 * required out pointer (err is then not filled). Sinks and sources are
 * called from inside the call. Results returned through out pointers belong
 * to the caller, who frees them with the function named for each.
 */
#ifndef ASMB_SYNC_H
#define ASMB_SYNC_H
#include "asmb.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A blocking connection (opaque): asmb_sync_connect creates it, the caller
 * owns it until asmb_sync_close. */
typedef struct asmb_sync asmb_sync;

/** A failure, copied into caller-owned storage. */
typedef struct asmb_error {
    int code;          ///< ASMB_E* (as asmb_failure.code)
    uint32_t ntstatus; ///< the server's NTSTATUS for ASMB_EFAILURE/ASMB_EAUTH, else 0
    char message[256]; ///< e.g. "STATUS_OBJECT_NAME_NOT_FOUND: retrieving \a.txt"
} asmb_error;

/** Connects and authenticates (cfg: NULL = defaults; copied). NULL on failure:
 * err->code is ASMB_EAUTH (with the NTSTATUS) when the server refused the
 * credentials, else the reason the connection failed (ASMB_ECONNREFUSED,
 * ASMB_ERESOLVE, ASMB_ETIMEDOUT, ASMB_EINVAL for a bad config or address,
 * ...). */
ASMB_API asmb_sync *asmb_sync_connect(const char *host, int port, const asmb_config *cfg,
                                      asmb_error *err);
/** asmb_sync_connect to the server of an smb:// URL (asmb_url.h): its host
 * and port (445 when it gives none, 139 with base->netbios), with base (NULL
 * = defaults; copied) whose user, password and domain the URL's replace
 * where it gives them. The URL's share and path are not used. NULL on
 * failure, as asmb_sync_connect; a URL that does not parse gives
 * ASMB_EINVAL with a message saying what is wrong (never the password). */
ASMB_API asmb_sync *asmb_sync_connect_url(const char *url, const asmb_config *base,
                                          asmb_error *err);
/** Logs off, closes and frees s (NULL: nothing). */
ASMB_API void asmb_sync_close(asmb_sync *s);
/** The underlying connection (for asmb_conn_info_get and the like); owned by
 * s, valid until asmb_sync_close. Don't start asynchronous operations on it:
 * its loop runs only inside asmb_sync_* calls. */
ASMB_API asmb_conn *asmb_sync_conn(asmb_sync *s);

/** asmb_echo, blocking. */
ASMB_API int asmb_sync_echo(asmb_sync *s, const asmb_opts *opts, asmb_error *err);
/** asmb_list_path, blocking. *out: free with asmb_file_list_free. */
ASMB_API int asmb_sync_list_path(asmb_sync *s, const char *share, const char *path,
                                 uint32_t search, const char *pattern, const asmb_opts *opts,
                                 asmb_file_list **out, asmb_error *err);
/** asmb_get_attributes, blocking, into caller-owned *out. *out: release with
 * asmb_file_info_clear. */
ASMB_API int asmb_sync_get_attributes(asmb_sync *s, const char *share, const char *path,
                                      const asmb_opts *opts, asmb_file_info *out,
                                      asmb_error *err);
/** asmb_retrieve_file_from_offset, blocking (max_length < 0: to the end).
 * out may be NULL; else release out->info with asmb_file_info_clear. */
ASMB_API int asmb_sync_retrieve(asmb_sync *s, const char *share, const char *path,
                                const asmb_sink *sink, uint64_t offset, int64_t max_length,
                                const asmb_opts *opts, asmb_retrieve_result *out,
                                asmb_error *err);
/** Stores from offset: with offset 0 and flags ASMB_STORE_TRUNCATE it is
 * asmb_store_file (create or truncate); otherwise asmb_store_file_from_offset.
 * *bytes (when bytes is not NULL): the bytes written. */
ASMB_API int asmb_sync_store(asmb_sync *s, const char *share, const char *path,
                             const asmb_source *src, uint64_t offset, int flags,
                             const asmb_opts *opts, uint64_t *bytes, asmb_error *err);
/** asmb_delete_files, blocking. *count (when count is not NULL): how many
 * entries were deleted. */
ASMB_API int asmb_sync_delete_files(asmb_sync *s, const char *share, const char *path_pattern,
                                    int delete_matching_folders, const asmb_opts *opts,
                                    uint64_t *count, asmb_error *err);
/** asmb_reset_file_attributes, blocking. */
ASMB_API int asmb_sync_reset_file_attributes(asmb_sync *s, const char *share, const char *path,
                                             const asmb_opts *opts, asmb_error *err);
/** asmb_create_directory, blocking. */
ASMB_API int asmb_sync_create_directory(asmb_sync *s, const char *share, const char *path,
                                        const asmb_opts *opts, asmb_error *err);
/** asmb_delete_directory, blocking. */
ASMB_API int asmb_sync_delete_directory(asmb_sync *s, const char *share, const char *path,
                                        const asmb_opts *opts, asmb_error *err);
/** asmb_rename, blocking (flags: ASMB_RENAME_REPLACE or 0). */
ASMB_API int asmb_sync_rename(asmb_sync *s, const char *share, const char *old_path,
                              const char *new_path, int flags, const asmb_opts *opts,
                              asmb_error *err);
/** asmb_get_security, blocking. *out: free with asmb_security_free. */
ASMB_API int asmb_sync_get_security(asmb_sync *s, const char *share, const char *path,
                                    const asmb_opts *opts, asmb_security **out,
                                    asmb_error *err);

/** asmb_list_shares, blocking. *out: free with asmb_share_list_free. */
ASMB_API int asmb_sync_list_shares(asmb_sync *s, const asmb_opts *opts, asmb_share_list **out,
                                   asmb_error *err);
/** asmb_list_snapshots, blocking. *out: free with asmb_snapshot_list_free. */
ASMB_API int asmb_sync_list_snapshots(asmb_sync *s, const char *share, const char *path,
                                      const asmb_opts *opts, asmb_snapshot_list **out,
                                      asmb_error *err);
/* The free/clear functions of the result types (asmb_file_list_free,
 * asmb_file_info_clear, asmb_security_free, asmb_share_list_free,
 * asmb_snapshot_list_free) are in asmb.h, beside their types. */

#ifdef __cplusplus
}
#endif
#endif
