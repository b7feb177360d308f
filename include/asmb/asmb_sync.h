/* Blocking convenience API: each call runs a private libuv loop until its
 * operation completes. For scripts, tools and tests; the asynchronous API in
 * asmb.h stays the primary one. A handle is used by one thread at a time.
 * Every call returns 0 or a negative ASMB_E* code and, on failure, fills err
 * (when not NULL) with the code, the NTSTATUS and the message. */
#ifndef ASMB_SYNC_H
#define ASMB_SYNC_H
#include "asmb.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct asmb_sync asmb_sync;

typedef struct asmb_error {
    int code;
    uint32_t ntstatus;
    char message[256];
} asmb_error;

/* Connects and authenticates. NULL on failure: err->code is ASMB_EAUTH (with
 * the NTSTATUS) when the server refused the credentials, else the reason the
 * connection failed (ASMB_ECONNREFUSED, ASMB_ERESOLVE, ASMB_ETIMEDOUT, ...). */
ASMB_API asmb_sync *asmb_sync_connect(const char *host, int port, const asmb_config *cfg,
                                      asmb_error *err);
/* Logs off, closes and frees. */
ASMB_API void asmb_sync_close(asmb_sync *s);
/* The underlying connection (for asmb_conn_info_get and the like). */
ASMB_API asmb_conn *asmb_sync_conn(asmb_sync *s);

ASMB_API int asmb_sync_echo(asmb_sync *s, const asmb_opts *opts, asmb_error *err);
/* *out: free with asmb_file_list_free. */
ASMB_API int asmb_sync_list_path(asmb_sync *s, const char *share, const char *path,
                                 uint32_t search, const char *pattern, const asmb_opts *opts,
                                 asmb_file_list **out, asmb_error *err);
/* *out: release with asmb_file_info_clear. */
ASMB_API int asmb_sync_get_attributes(asmb_sync *s, const char *share, const char *path,
                                      const asmb_opts *opts, asmb_file_info *out,
                                      asmb_error *err);
/* out may be NULL; else release out->info with asmb_file_info_clear. */
ASMB_API int asmb_sync_retrieve(asmb_sync *s, const char *share, const char *path,
                                const asmb_sink *sink, uint64_t offset, int64_t max_length,
                                const asmb_opts *opts, asmb_retrieve_result *out,
                                asmb_error *err);
/* Stores from offset: with offset 0 and flags ASMB_STORE_TRUNCATE it is
 * asmb_store_file (create or truncate); otherwise asmb_store_file_from_offset. */
ASMB_API int asmb_sync_store(asmb_sync *s, const char *share, const char *path,
                             const asmb_source *src, uint64_t offset, int flags,
                             const asmb_opts *opts, uint64_t *bytes, asmb_error *err);
ASMB_API int asmb_sync_delete_files(asmb_sync *s, const char *share, const char *path_pattern,
                                    int delete_matching_folders, const asmb_opts *opts,
                                    uint64_t *count, asmb_error *err);
ASMB_API int asmb_sync_reset_file_attributes(asmb_sync *s, const char *share, const char *path,
                                             const asmb_opts *opts, asmb_error *err);
ASMB_API int asmb_sync_create_directory(asmb_sync *s, const char *share, const char *path,
                                        const asmb_opts *opts, asmb_error *err);
ASMB_API int asmb_sync_delete_directory(asmb_sync *s, const char *share, const char *path,
                                        const asmb_opts *opts, asmb_error *err);
ASMB_API int asmb_sync_rename(asmb_sync *s, const char *share, const char *old_path,
                              const char *new_path, int flags, const asmb_opts *opts,
                              asmb_error *err);
/* *out: free with asmb_security_free. */
ASMB_API int asmb_sync_get_security(asmb_sync *s, const char *share, const char *path,
                                    const asmb_opts *opts, asmb_security **out,
                                    asmb_error *err);

/* *out: free with asmb_share_list_free. */
ASMB_API int asmb_sync_list_shares(asmb_sync *s, const asmb_opts *opts, asmb_share_list **out,
                                   asmb_error *err);
/* *out: free with asmb_snapshot_list_free. */
ASMB_API int asmb_sync_list_snapshots(asmb_sync *s, const char *share, const char *path,
                                      const asmb_opts *opts, asmb_snapshot_list **out,
                                      asmb_error *err);
ASMB_API void asmb_share_list_free(asmb_share_list *list);
ASMB_API void asmb_snapshot_list_free(asmb_snapshot_list *list);

ASMB_API void asmb_file_list_free(asmb_file_list *list);
ASMB_API void asmb_file_info_clear(asmb_file_info *info);
ASMB_API void asmb_security_free(asmb_security *sec);

#ifdef __cplusplus
}
#endif
#endif
