/** \file asmb_sync.h
 * \brief Blocking convenience API over asmb.h.
 *
 * Each call runs a private libuv loop until its operation completes. For
 * scripts, tools and tests; the asynchronous API in asmb.h stays the primary
 * one. Every blocking call is named and behaves as its asynchronous
 * counterpart (asmb_sync_store_file is asmb_store_file: same defaults, same
 * result type), with `asmb_sync_` for `asmb_`. A handle is used by one thread
 * at a time (it may move between threads between calls); asmb_sync_cancel is
 * the exception.
 *
 * Every call returns 0 or a negative ASMB_E* code and, on failure, fills err
 * (when not NULL) with the same asmb_failure an errback would get (for an
 * immediate error, asmb_conn_last_error's text when it has one, e.g. "path is
 * not valid UTF-8 at byte 7 ..."). The codes
 * are those of the asynchronous operation (immediate errors and failures
 * alike), plus ASMB_EINVAL for a NULL handle or a NULL required out pointer
 * (err is then not filled). Sinks and sources are called from inside the
 * call. Results are written into caller-owned structures (out); those that
 * hold memory are released with their type's clear function (asmb.h):
 * asmb_file_list_clear, asmb_file_info_clear, asmb_retrieve_result_clear,
 * asmb_security_clear, asmb_share_list_clear, asmb_snapshot_list_clear. On
 * failure out holds nothing to release.
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

/** Connects and authenticates (cfg: NULL = defaults; copied). NULL on failure:
 * err->code is ASMB_EAUTH (with the NTSTATUS) when the server refused the
 * credentials, else the reason the connection failed (ASMB_ECONNREFUSED,
 * ASMB_ERESOLVE, ASMB_ENOTSMB, ASMB_ETIMEDOUT, ASMB_EINVAL for a bad config
 * or address, ...). */
ASMB_API asmb_sync *asmb_sync_connect(const char *host, int port, const asmb_config *cfg,
                                      asmb_failure *err);
/** asmb_sync_connect to the server of an smb:// URL (asmb_url.h): its host
 * and port (445 when it gives none, 139 with base->netbios), with base (NULL
 * = defaults; copied) whose user, password and domain the URL's replace
 * where it gives them. The URL's share and path are not used. NULL on
 * failure, as asmb_sync_connect; a URL that does not parse gives
 * ASMB_EINVAL with a message saying what is wrong (never the password). */
ASMB_API asmb_sync *asmb_sync_connect_url(const char *url, const asmb_config *base,
                                          asmb_failure *err);
/** Logs off, closes and frees s (NULL: nothing). */
ASMB_API void asmb_sync_close(asmb_sync *s);
/** Cancels the call running on s, from any thread or from a signal handler
 * (async-signal-safe: it only sets a flag and wakes the handle's loop with
 * uv_async_send). The running call returns ASMB_ECANCELED without waiting for
 * the server; its operation is canceled as asmb_deferred_cancel does (what it
 * opened is closed in the background). A cancel that finds no call running
 * cancels the next call on s. asmb_sync_connect can't be canceled: there is
 * no handle before it returns. NULL: nothing. */
ASMB_API void asmb_sync_cancel(asmb_sync *s);
/** The underlying asynchronous connection (for asmb_conn_info_get etc.);
 * its loop runs only inside asmb_sync_* calls. */
ASMB_API asmb_conn *asmb_sync_conn(asmb_sync *s);

/** asmb_echo, blocking. */
ASMB_API int asmb_sync_echo(asmb_sync *s, const asmb_opts *opts, asmb_failure *err);
/** asmb_list_path, blocking; out: release with asmb_file_list_clear. */
ASMB_API int asmb_sync_list_path(asmb_sync *s, const char *share, const char *path,
                                 uint32_t search, const char *pattern, const asmb_opts *opts,
                                 asmb_file_list *out, asmb_failure *err);
/** asmb_get_attributes, blocking; out: release with asmb_file_info_clear. */
ASMB_API int asmb_sync_get_attributes(asmb_sync *s, const char *share, const char *path,
                                      const asmb_opts *opts, asmb_file_info *out,
                                      asmb_failure *err);
/** asmb_retrieve_file, blocking. out may be NULL; else release it with
 * asmb_retrieve_result_clear. */
ASMB_API int asmb_sync_retrieve_file(asmb_sync *s, const char *share, const char *path,
                                     const asmb_sink *sink, const asmb_opts *opts,
                                     asmb_retrieve_result *out, asmb_failure *err);
/** asmb_retrieve_file_from_offset, blocking. out as asmb_sync_retrieve_file. */
ASMB_API int asmb_sync_retrieve_file_from_offset(asmb_sync *s, const char *share,
                                                 const char *path, const asmb_sink *sink,
                                                 uint64_t offset, int64_t max_length,
                                                 const asmb_opts *opts,
                                                 asmb_retrieve_result *out, asmb_failure *err);
/** asmb_store_file, blocking: creates the file or truncates it. out may be NULL. */
ASMB_API int asmb_sync_store_file(asmb_sync *s, const char *share, const char *path,
                                  const asmb_source *src, const asmb_opts *opts,
                                  asmb_store_result *out, asmb_failure *err);
/** asmb_store_file_from_offset, blocking: writes at offset, keeping the file
 * (flags ASMB_STORE_TRUNCATE first truncates it to offset). out may be NULL. */
ASMB_API int asmb_sync_store_file_from_offset(asmb_sync *s, const char *share, const char *path,
                                              const asmb_source *src, uint64_t offset,
                                              int flags, const asmb_opts *opts,
                                              asmb_store_result *out, asmb_failure *err);
/** asmb_delete_files, blocking (flags: ASMB_DELETE_FOLDERS or 0). out may be NULL. */
ASMB_API int asmb_sync_delete_files(asmb_sync *s, const char *share, const char *path_pattern,
                                    int flags, const asmb_opts *opts, asmb_delete_result *out,
                                    asmb_failure *err);
/** asmb_reset_file_attributes, blocking. */
ASMB_API int asmb_sync_reset_file_attributes(asmb_sync *s, const char *share, const char *path,
                                             const asmb_opts *opts, asmb_failure *err);
/** asmb_create_directory, blocking. */
ASMB_API int asmb_sync_create_directory(asmb_sync *s, const char *share, const char *path,
                                        const asmb_opts *opts, asmb_failure *err);
/** asmb_delete_directory, blocking. */
ASMB_API int asmb_sync_delete_directory(asmb_sync *s, const char *share, const char *path,
                                        const asmb_opts *opts, asmb_failure *err);
/** asmb_rename, blocking (flags: ASMB_RENAME_REPLACE or 0). */
ASMB_API int asmb_sync_rename(asmb_sync *s, const char *share, const char *old_path,
                              const char *new_path, int flags, const asmb_opts *opts,
                              asmb_failure *err);
/** asmb_get_security, blocking; out: release with asmb_security_clear. */
ASMB_API int asmb_sync_get_security(asmb_sync *s, const char *share, const char *path,
                                    const asmb_opts *opts, asmb_security *out,
                                    asmb_failure *err);
/** asmb_list_shares, blocking; out: release with asmb_share_list_clear. */
ASMB_API int asmb_sync_list_shares(asmb_sync *s, const asmb_opts *opts, asmb_share_list *out,
                                   asmb_failure *err);
/** asmb_list_snapshots, blocking; out: release with asmb_snapshot_list_clear. */
ASMB_API int asmb_sync_list_snapshots(asmb_sync *s, const char *share, const char *path,
                                      const asmb_opts *opts, asmb_snapshot_list *out,
                                      asmb_failure *err);

#ifdef __cplusplus
}
#endif
#endif
