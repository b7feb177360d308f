/* The blocking API: a private loop per handle, run until the deferred fires. */
#include <stdio.h>
#include <string.h>

#include "asmb/asmb_sync.h"
#include "core/deferred.h"
#include "mem.h"
#include "ops/fileop.h"
#include "ops/list_path.h"

struct asmb_sync {
    uv_loop_t loop;
    asmb_conn *c;
    int auth_done, auth_ok, ended;
    asmb_error auth_err;
};

static void set_err(asmb_error *e, const asmb_failure *f)
{
    if (!e) return;
    e->code = f->code;
    e->ntstatus = f->ntstatus;
    snprintf(e->message, sizeof e->message, "%s", f->message ? f->message : "");
}

static void set_code(asmb_error *e, int code, const char *what)
{
    if (!e) return;
    e->code = code;
    e->ntstatus = 0;
    snprintf(e->message, sizeof e->message, "%s: %s", asmb_strerror(code), what);
}

static void on_auth_ok(asmb_conn *c, void *arg)
{
    (void)c;
    asmb_sync *s = arg;
    s->auth_done = s->auth_ok = 1;
}

static void on_auth_failed(asmb_conn *c, const asmb_failure *f, void *arg)
{
    (void)c;
    asmb_sync *s = arg;
    s->auth_done = 1;
    set_err(&s->auth_err, f);
}

static void on_disconnected(asmb_conn *c, const asmb_failure *f, void *arg)
{
    (void)c;
    asmb_sync *s = arg;
    s->ended = 1;
    if (!s->auth_done) {
        s->auth_done = 1;
        set_err(&s->auth_err, f);
    }
}

static void destroy(asmb_sync *s)
{
    if (s->c) asmb_conn_free(s->c);
    uv_run(&s->loop, UV_RUN_DEFAULT); /* lets the connection's handles close */
    uv_loop_close(&s->loop);
    asmb__free(s);
}

ASMB_API asmb_sync *asmb_sync_connect(const char *host, int port, const asmb_config *cfg,
                                      asmb_error *err)
{
    asmb_sync *s = asmb__calloc(1, sizeof *s);
    if (!s || uv_loop_init(&s->loop)) {
        asmb__free(s);
        set_code(err, ASMB_ENOMEM, "creating the loop");
        return NULL;
    }
    static const asmb_handlers h = {on_auth_ok, on_auth_failed, on_disconnected};
    s->c = asmb_conn_new(&s->loop, cfg, &h, s);
    int rc = s->c ? asmb_conn_connect(s->c, host, port) : ASMB_EINVAL;
    if (rc) {
        set_code(err, rc, "connecting");
        destroy(s);
        return NULL;
    }
    while (!s->auth_done && uv_run(&s->loop, UV_RUN_ONCE)) {
    }
    if (!s->auth_ok) {
        if (err) *err = s->auth_err;
        destroy(s);
        return NULL;
    }
    return s;
}

ASMB_API void asmb_sync_close(asmb_sync *s)
{
    if (!s) return;
    asmb__thread_bind(s->c); /* a handle may move between threads between calls */
    asmb_conn_close(s->c);
    destroy(s);
}

ASMB_API asmb_conn *asmb_sync_conn(asmb_sync *s) { return s ? s->c : NULL; }

/* Waits for d; returns 0 with d still referenced (release with unref), or
 * the failure code with err filled and d released. */
static int wait(asmb_sync *s, int rc, asmb_deferred *d, asmb_error *err, const char *what)
{
    if (rc) {
        set_code(err, rc, what);
        /* The library's detail (an invalid path, say) beats "invalid argument". */
        const char *why = s ? asmb_conn_last_error(s->c) : "";
        if (err && *why) snprintf(err->message, sizeof err->message, "%s", why);
        return rc;
    }
    asmb_deferred_ref(d);
    while (asmb_deferred_state(d) == ASMB_DEFERRED_PENDING && uv_run(&s->loop, UV_RUN_ONCE)) {
    }
    /* Let the completion be delivered (the library drops its reference). */
    while (d->lib_ref && uv_run(&s->loop, UV_RUN_ONCE)) {
    }
    const asmb_failure *f = asmb_deferred_failure(d);
    if (f) {
        rc = f->code;
        set_err(err, f);
        asmb_deferred_unref(d);
        return rc;
    }
    return 0;
}

#define SYNC_CALL(s, err, what, call)                       \
    asmb_deferred *d = NULL;                                \
    int rc = (s) ? (asmb__thread_bind(s->c), (call)) : ASMB_EINVAL; \
    rc = wait((s), rc, d, (err), (what));                   \
    if (rc) return rc

ASMB_API int asmb_sync_echo(asmb_sync *s, const asmb_opts *opts, asmb_error *err)
{
    SYNC_CALL(s, err, "echo", asmb_echo(s->c, opts, &d));
    asmb_deferred_unref(d);
    return 0;
}

static int copy_info(asmb_file_info *dst, const asmb_file_info *src)
{
    *dst = *src;
    dst->filename = asmb__strdup(src->filename);
    dst->short_name = asmb__strdup(src->short_name);
    if (dst->filename && dst->short_name) return 0;
    asmb__file_info_clear(dst);
    return ASMB_ENOMEM;
}

ASMB_API int asmb_sync_list_path(asmb_sync *s, const char *share, const char *path,
                                 uint32_t search, const char *pattern, const asmb_opts *opts,
                                 asmb_file_list **out, asmb_error *err)
{
    if (!out) return ASMB_EINVAL;
    SYNC_CALL(s, err, "listing", asmb_list_path(s->c, share, path, search, pattern, opts, &d));
    /* Take the entries over from the deferred's result. */
    asmb_file_list *l = asmb__malloc(sizeof *l), *r = d->result;
    if (l) {
        *l = *r;
        r->entries = NULL;
        r->count = 0;
    }
    asmb_deferred_unref(d);
    *out = l;
    return l ? 0 : ASMB_ENOMEM;
}

ASMB_API int asmb_sync_get_attributes(asmb_sync *s, const char *share, const char *path,
                                      const asmb_opts *opts, asmb_file_info *out,
                                      asmb_error *err)
{
    if (!out) return ASMB_EINVAL;
    SYNC_CALL(s, err, "getting attributes", asmb_get_attributes(s->c, share, path, opts, &d));
    rc = copy_info(out, asmb_deferred_result(d));
    asmb_deferred_unref(d);
    return rc;
}

ASMB_API int asmb_sync_retrieve(asmb_sync *s, const char *share, const char *path,
                                const asmb_sink *sink, uint64_t offset, int64_t max_length,
                                const asmb_opts *opts, asmb_retrieve_result *out,
                                asmb_error *err)
{
    SYNC_CALL(s, err, "retrieving",
              asmb_retrieve_file_from_offset(s->c, share, path, sink, offset, max_length, opts,
                                             &d));
    const asmb_retrieve_result *r = asmb_deferred_result(d);
    if (out) {
        out->bytes = r->bytes;
        rc = copy_info(&out->info, &r->info);
    }
    asmb_deferred_unref(d);
    return rc;
}

ASMB_API int asmb_sync_store(asmb_sync *s, const char *share, const char *path,
                             const asmb_source *src, uint64_t offset, int flags,
                             const asmb_opts *opts, uint64_t *bytes, asmb_error *err)
{
    int whole = offset == 0 && flags == ASMB_STORE_TRUNCATE;
    SYNC_CALL(s, err, "storing",
              whole ? asmb_store_file(s->c, share, path, src, opts, &d)
                    : asmb_store_file_from_offset(s->c, share, path, src, offset, flags, opts,
                                                  &d));
    if (bytes) *bytes = ((const asmb_store_result *)asmb_deferred_result(d))->bytes;
    asmb_deferred_unref(d);
    return 0;
}

ASMB_API int asmb_sync_delete_files(asmb_sync *s, const char *share, const char *path_pattern,
                                    int delete_matching_folders, const asmb_opts *opts,
                                    uint64_t *count, asmb_error *err)
{
    SYNC_CALL(s, err, "deleting",
              asmb_delete_files(s->c, share, path_pattern, delete_matching_folders, opts, &d));
    if (count) *count = *(const uint64_t *)asmb_deferred_result(d);
    asmb_deferred_unref(d);
    return 0;
}

ASMB_API int asmb_sync_reset_file_attributes(asmb_sync *s, const char *share, const char *path,
                                             const asmb_opts *opts, asmb_error *err)
{
    SYNC_CALL(s, err, "resetting attributes",
              asmb_reset_file_attributes(s->c, share, path, opts, &d));
    asmb_deferred_unref(d);
    return 0;
}

ASMB_API int asmb_sync_create_directory(asmb_sync *s, const char *share, const char *path,
                                        const asmb_opts *opts, asmb_error *err)
{
    SYNC_CALL(s, err, "creating a directory", asmb_create_directory(s->c, share, path, opts, &d));
    asmb_deferred_unref(d);
    return 0;
}

ASMB_API int asmb_sync_delete_directory(asmb_sync *s, const char *share, const char *path,
                                        const asmb_opts *opts, asmb_error *err)
{
    SYNC_CALL(s, err, "deleting a directory", asmb_delete_directory(s->c, share, path, opts, &d));
    asmb_deferred_unref(d);
    return 0;
}

ASMB_API int asmb_sync_rename(asmb_sync *s, const char *share, const char *old_path,
                              const char *new_path, int flags, const asmb_opts *opts,
                              asmb_error *err)
{
    SYNC_CALL(s, err, "renaming", asmb_rename(s->c, share, old_path, new_path, flags, opts, &d));
    asmb_deferred_unref(d);
    return 0;
}

ASMB_API int asmb_sync_get_security(asmb_sync *s, const char *share, const char *path,
                                    const asmb_opts *opts, asmb_security **out, asmb_error *err)
{
    if (!out) return ASMB_EINVAL;
    SYNC_CALL(s, err, "reading security", asmb_get_security(s->c, share, path, opts, &d));
    asmb_security *sec = d->result; /* take it over from the deferred */
    d->result = NULL;
    d->result_free = NULL;
    asmb_deferred_unref(d);
    *out = sec;
    return 0;
}


/* ---- shares and snapshots (src/ops/shares.c, src/ops/snapshots.c) ---- */

void asmb__share_list_free(void *p);
void asmb__snapshot_list_free(void *p);

/* Takes the result over from a succeeded deferred (and releases d). */
static void *take_result(asmb_deferred *d)
{
    void *r = d->result;
    d->result = NULL;
    d->result_free = NULL;
    asmb_deferred_unref(d);
    return r;
}

ASMB_API int asmb_sync_list_shares(asmb_sync *s, const asmb_opts *opts, asmb_share_list **out,
                                   asmb_error *err)
{
    if (!out) return ASMB_EINVAL;
    *out = NULL;
    SYNC_CALL(s, err, "listing shares", asmb_list_shares(s->c, opts, &d));
    *out = take_result(d);
    if (*out) return 0;
    set_code(err, ASMB_ENOMEM, "listing shares");
    return ASMB_ENOMEM;
}

ASMB_API int asmb_sync_list_snapshots(asmb_sync *s, const char *share, const char *path,
                                      const asmb_opts *opts, asmb_snapshot_list **out,
                                      asmb_error *err)
{
    if (!out) return ASMB_EINVAL;
    *out = NULL;
    SYNC_CALL(s, err, "listing snapshots", asmb_list_snapshots(s->c, share, path, opts, &d));
    *out = take_result(d);
    if (*out) return 0;
    set_code(err, ASMB_ENOMEM, "listing snapshots");
    return ASMB_ENOMEM;
}
