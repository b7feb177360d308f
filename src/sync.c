/* The blocking API: a private loop per handle, run until the deferred fires. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "asmb/asmb_sync.h"
#include "core/deferred.h"
#include "mem.h"

struct asmb_sync {
    uv_loop_t loop;
    uv_async_t wake;      /* asmb_sync_cancel wakes the loop */
    atomic_int cancel;    /* a cancel waits to be taken by a call */
    asmb_conn *c;
    asmb_deferred *cur;   /* what the running call waits for */
    int auth_done, auth_ok, ended;
    asmb_failure auth_err;
};

static void set_err(asmb_failure *e, const asmb_failure *f)
{
    if (e) *e = *f;
}

static void set_code(asmb_failure *e, int code, const char *what)
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

/* On the loop, inside a call: the cancel asked for from elsewhere. */
static void on_wake(uv_async_t *h)
{
    asmb_sync *s = h->data;
    if (s->cur && atomic_exchange(&s->cancel, 0)) asmb_deferred_cancel(s->cur);
}

static void destroy(asmb_sync *s)
{
    if (s->c) asmb_conn_free(s->c);
    uv_close((uv_handle_t *)&s->wake, NULL);
    uv_run(&s->loop, UV_RUN_DEFAULT); /* lets the connection's handles close */
    uv_loop_close(&s->loop);
    asmb__free(s);
}

ASMB_API asmb_sync *asmb_sync_connect(const char *host, int port, const asmb_config *cfg,
                                      asmb_failure *err)
{
    asmb_sync *s = asmb__calloc(1, sizeof *s);
    if (!s || uv_loop_init(&s->loop)) {
        asmb__free(s);
        set_code(err, ASMB_ENOMEM, "creating the loop");
        return NULL;
    }
    uv_async_init(&s->loop, &s->wake, on_wake);
    s->wake.data = s;
    uv_unref((uv_handle_t *)&s->wake); /* never what keeps a call waiting */
    atomic_init(&s->cancel, 0);
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
        set_err(err, &s->auth_err);
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

ASMB_API void asmb_sync_cancel(asmb_sync *s)
{
    if (!s) return;
    atomic_store(&s->cancel, 1);
    uv_async_send(&s->wake); /* async-signal-safe */
}

ASMB_API asmb_conn *asmb_sync_conn(asmb_sync *s) { return s ? s->c : NULL; }

/* Waits for d; returns 0 with d still referenced (release with unref), or
 * the failure code with err filled and d released. */
static int wait(asmb_sync *s, int rc, asmb_deferred *d, asmb_failure *err, const char *what)
{
    if (rc) {
        set_code(err, rc, what);
        /* The library's detail (an invalid path, say) beats "invalid argument". */
        const char *why = s ? asmb_conn_last_error(s->c) : "";
        if (err && *why) snprintf(err->message, sizeof err->message, "%s", why);
        return rc;
    }
    asmb_deferred_ref(d);
    s->cur = d;
    if (atomic_load(&s->cancel)) on_wake(&s->wake); /* asked for before this call */
    while (asmb_deferred_state(d) == ASMB_DEFERRED_PENDING && uv_run(&s->loop, UV_RUN_ONCE)) {
    }
    s->cur = NULL;
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

#define SYNC_CALL(s, err, what, call)                                \
    asmb_deferred *d = NULL;                                         \
    int rc = (s) ? (asmb__thread_bind(s->c), (call)) : ASMB_EINVAL;  \
    rc = wait((s), rc, d, (err), (what));                            \
    if (rc) return rc

/* Moves a succeeded deferred's result into the caller's out (size bytes:
 * the result's structure, whose memory goes with it), then releases d. Every
 * result is one allocated structure whose pointers the copy takes over. */
static void take(asmb_deferred *d, void *out, size_t size)
{
    if (out) {
        memcpy(out, d->result, size);
        asmb__free(d->result);
        d->result = NULL;
        d->result_free = NULL;
    }
    asmb_deferred_unref(d);
}

#define SYNC_TAKE(s, err, what, call, out)  \
    do {                                    \
        SYNC_CALL(s, err, what, call);      \
        take(d, (out), sizeof *(out));      \
        return 0;                           \
    } while (0)

ASMB_API int asmb_sync_echo(asmb_sync *s, const asmb_opts *opts, asmb_failure *err)
{
    SYNC_CALL(s, err, "echo", asmb_echo(s->c, opts, &d));
    asmb_deferred_unref(d);
    return 0;
}

ASMB_API int asmb_sync_list_path(asmb_sync *s, const char *share, const char *path,
                                 uint32_t search, const char *pattern, const asmb_opts *opts,
                                 asmb_file_list *out, asmb_failure *err)
{
    if (!out) return ASMB_EINVAL;
    memset(out, 0, sizeof *out);
    SYNC_TAKE(s, err, "listing", asmb_list_path(s->c, share, path, search, pattern, opts, &d),
              out);
}

ASMB_API int asmb_sync_get_attributes(asmb_sync *s, const char *share, const char *path,
                                      const asmb_opts *opts, asmb_file_info *out,
                                      asmb_failure *err)
{
    if (!out) return ASMB_EINVAL;
    memset(out, 0, sizeof *out);
    SYNC_TAKE(s, err, "getting attributes", asmb_get_attributes(s->c, share, path, opts, &d),
              out);
}

ASMB_API int asmb_sync_retrieve_file_from_offset(asmb_sync *s, const char *share,
                                                 const char *path, const asmb_sink *sink,
                                                 uint64_t offset, int64_t max_length,
                                                 const asmb_opts *opts,
                                                 asmb_retrieve_result *out, asmb_failure *err)
{
    if (out) memset(out, 0, sizeof *out);
    SYNC_TAKE(s, err, "retrieving",
              asmb_retrieve_file_from_offset(s->c, share, path, sink, offset, max_length, opts,
                                             &d),
              out);
}

ASMB_API int asmb_sync_retrieve_file(asmb_sync *s, const char *share, const char *path,
                                     const asmb_sink *sink, const asmb_opts *opts,
                                     asmb_retrieve_result *out, asmb_failure *err)
{
    return asmb_sync_retrieve_file_from_offset(s, share, path, sink, 0, -1, opts, out, err);
}

ASMB_API int asmb_sync_store_file(asmb_sync *s, const char *share, const char *path,
                                  const asmb_source *src, const asmb_opts *opts,
                                  asmb_store_result *out, asmb_failure *err)
{
    if (out) memset(out, 0, sizeof *out);
    SYNC_TAKE(s, err, "storing", asmb_store_file(s->c, share, path, src, opts, &d), out);
}

ASMB_API int asmb_sync_store_file_from_offset(asmb_sync *s, const char *share, const char *path,
                                              const asmb_source *src, uint64_t offset,
                                              int flags, const asmb_opts *opts,
                                              asmb_store_result *out, asmb_failure *err)
{
    if (out) memset(out, 0, sizeof *out);
    SYNC_TAKE(s, err, "storing",
              asmb_store_file_from_offset(s->c, share, path, src, offset, flags, opts, &d), out);
}

ASMB_API int asmb_sync_delete_files(asmb_sync *s, const char *share, const char *path_pattern,
                                    int flags, const asmb_opts *opts, asmb_delete_result *out,
                                    asmb_failure *err)
{
    if (out) memset(out, 0, sizeof *out);
    SYNC_TAKE(s, err, "deleting", asmb_delete_files(s->c, share, path_pattern, flags, opts, &d),
              out);
}

ASMB_API int asmb_sync_reset_file_attributes(asmb_sync *s, const char *share, const char *path,
                                             const asmb_opts *opts, asmb_failure *err)
{
    SYNC_CALL(s, err, "resetting attributes",
              asmb_reset_file_attributes(s->c, share, path, opts, &d));
    asmb_deferred_unref(d);
    return 0;
}

ASMB_API int asmb_sync_create_directory(asmb_sync *s, const char *share, const char *path,
                                        const asmb_opts *opts, asmb_failure *err)
{
    SYNC_CALL(s, err, "creating a directory", asmb_create_directory(s->c, share, path, opts, &d));
    asmb_deferred_unref(d);
    return 0;
}

ASMB_API int asmb_sync_delete_directory(asmb_sync *s, const char *share, const char *path,
                                        const asmb_opts *opts, asmb_failure *err)
{
    SYNC_CALL(s, err, "deleting a directory", asmb_delete_directory(s->c, share, path, opts, &d));
    asmb_deferred_unref(d);
    return 0;
}

ASMB_API int asmb_sync_rename(asmb_sync *s, const char *share, const char *old_path,
                              const char *new_path, int flags, const asmb_opts *opts,
                              asmb_failure *err)
{
    SYNC_CALL(s, err, "renaming", asmb_rename(s->c, share, old_path, new_path, flags, opts, &d));
    asmb_deferred_unref(d);
    return 0;
}

ASMB_API int asmb_sync_get_security(asmb_sync *s, const char *share, const char *path,
                                    const asmb_opts *opts, asmb_security *out,
                                    asmb_failure *err)
{
    if (!out) return ASMB_EINVAL;
    memset(out, 0, sizeof *out);
    SYNC_TAKE(s, err, "reading security", asmb_get_security(s->c, share, path, opts, &d), out);
}

ASMB_API int asmb_sync_list_shares(asmb_sync *s, const asmb_opts *opts, asmb_share_list *out,
                                   asmb_failure *err)
{
    if (!out) return ASMB_EINVAL;
    memset(out, 0, sizeof *out);
    SYNC_TAKE(s, err, "listing shares", asmb_list_shares(s->c, opts, &d), out);
}

ASMB_API int asmb_sync_list_snapshots(asmb_sync *s, const char *share, const char *path,
                                      const asmb_opts *opts, asmb_snapshot_list *out,
                                      asmb_failure *err)
{
    if (!out) return ASMB_EINVAL;
    memset(out, 0, sizeof *out);
    SYNC_TAKE(s, err, "listing snapshots", asmb_list_snapshots(s->c, share, path, opts, &d),
              out);
}
