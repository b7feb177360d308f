/* delete_files: list what matches the last component, then delete each
 * match; with delete_matching_folders a matching folder is emptied
 * depth-first and removed (pysmb's deleteFiles). One request chain at a
 * time, driven by an explicit stack: no recursion on server data. */
#include <stdio.h>
#include <string.h>

#include "../mem.h"
#include "dirs.h"
#include "list_path.h"

enum { W_LIST, W_DELETE, W_RMDIR };

typedef struct work {
    struct work *next;
    int kind;
    char *path;
} work;

typedef struct del_op {
    asmb_conn *c;
    asmb_deferred *d;
    char *share, *dir, *pattern;
    asmb_opts opts;
    int folders, busy, canceled;
    uint64_t count;
    work *stack;
} del_op;

static void step(del_op *op);

static void del_free(del_op *op)
{
    while (op->stack) {
        work *w = op->stack;
        op->stack = w->next;
        asmb__free(w->path);
        asmb__free(w);
    }
    asmb__free(op->share);
    asmb__free(op->dir);
    asmb__free(op->pattern);
    asmb__free(op);
}

static int push(del_op *op, int kind, const char *dir, const char *name)
{
    work *w = asmb__malloc(sizeof *w);
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = asmb__malloc(n);
    if (!w || !p) {
        asmb__free(w);
        asmb__free(p);
        return ASMB_ENOMEM;
    }
    snprintf(p, n, "%s%s%s", dir, *dir && *name ? "\\" : "", name);
    w->kind = kind;
    w->path = p;
    w->next = op->stack;
    op->stack = w;
    return 0;
}

static void finish(del_op *op, const asmb_failure *fail)
{
    if (op->d) {
        if (fail) {
            asmb__deferred_fail_with(op->d, fail);
        } else {
            uint64_t *n = asmb__malloc(sizeof *n);
            if (n) *n = op->count;
            if (n) asmb__deferred_succeed(op->d, n, asmb__free);
            else asmb__deferred_fail(op->d, ASMB_ENOMEM, 0, "out of memory");
        }
    }
    del_free(op);
}

/* A listing ended: queue the work for each entry. */
static int queue_entries(del_op *op, list_op *l, const char *dir)
{
    for (size_t i = 0; i < l->list.count; i++) {
        const asmb_file_info *e = &l->list.entries[i];
        if (!strcmp(e->filename, ".") || !strcmp(e->filename, "..")) continue;
        int rc;
        if (e->is_directory) {
            if (!op->folders) continue;
            char *sub = asmb__malloc(strlen(dir) + strlen(e->filename) + 2);
            if (!sub) return ASMB_ENOMEM;
            sprintf(sub, "%s%s%s", dir, *dir ? "\\" : "", e->filename);
            rc = push(op, W_RMDIR, sub, ""); /* after its contents */
            if (!rc) rc = push(op, W_LIST, sub, "");
            asmb__free(sub);
        } else {
            rc = push(op, W_DELETE, dir, e->filename);
        }
        if (rc) return rc;
    }
    return 0;
}

typedef struct ctx {
    del_op *op;
    char *dir; /* for listings: the directory listed */
    int kind;
} ctx;

static void sub_done(asmb_fop *f, const asmb_failure *fail, void *arg)
{
    ctx *x = arg;
    del_op *op = x->op;
    op->busy = 0;
    int rc = 0;
    if (!fail && !op->canceled) {
        if (x->kind == W_LIST) rc = queue_entries(op, (list_op *)f, x->dir);
        else op->count++;
    }
    asmb__free(x->dir);
    asmb__free(x);
    if (op->canceled) {
        del_free(op);
    } else if (fail) {
        finish(op, fail);
    } else if (rc) {
        asmb_failure_buf fb;
        asmb__failure_set(&fb, rc, 0, "%s: deleting files", asmb_strerror(rc));
        finish(op, &fb.f);
    } else {
        step(op);
    }
}

static void step(del_op *op)
{
    work *w = op->stack;
    if (!w) {
        finish(op, NULL);
        return;
    }
    op->stack = w->next;
    asmb_fop *f = NULL;
    list_op *l = NULL;
    ctx *x = asmb__calloc(1, sizeof *x);
    int rc = x ? 0 : ASMB_ENOMEM;
    if (!rc && w->kind == W_LIST)
        rc = asmb__list_new(op->c, op->share, w->path, ASMB_SEARCH_DEFAULT, "*", &op->opts, &l);
    else if (!rc)
        rc = asmb__delete_new(op->c, op->share, w->path, w->kind == W_RMDIR, &op->opts, &f);
    if (l) f = &l->f;
    if (!rc) {
        x->op = op;
        x->kind = w->kind;
        x->dir = w->path;
        w->path = NULL;
        f->done_cb = sub_done;
        f->done_arg = x;
        op->busy = 1;
    }
    asmb__free(w->path);
    asmb__free(w);
    if (rc) {
        asmb__free(x);
        asmb_failure_buf fb;
        asmb__failure_set(&fb, rc, 0, "%s: deleting files", asmb_strerror(rc));
        finish(op, &fb.f);
        return;
    }
    asmb__fop_start(f, NULL);
}

static void del_cancel(void *arg)
{
    del_op *op = arg;
    op->d = NULL;
    op->canceled = 1; /* the request chain in flight ends, then the op is freed */
    if (!op->busy) del_free(op);
}

static int has_wildcard(const char *s) { return strpbrk(s, "*?") != NULL; }

ASMB_API int asmb_delete_files(asmb_conn *c, const char *share, const char *path_pattern,
                               int delete_matching_folders, const asmb_opts *opts,
                               asmb_deferred **out)
{
    if (!c || !out || !share || !*share || strpbrk(share, "\\/")) return ASMB_EINVAL;
    int rc = asmb__conn_check_ready(c);
    if (rc) return rc;
    del_op *op = asmb__calloc(1, sizeof *op);
    if (!op) return ASMB_ENOMEM;
    op->c = c;
    op->folders = !!delete_matching_folders;
    if (opts) op->opts = *opts;
    op->share = asmb__strdup(share);
    char *full = asmb__path_normalise(path_pattern, &rc);
    if (!op->share || !full || !*full) {
        asmb__free(full);
        del_free(op);
        return rc ? rc : (full ? ASMB_EINVAL : ASMB_ENOMEM);
    }
    /* Wildcards are allowed in the last component only. */
    char *last = strrchr(full, '\\');
    op->pattern = asmb__strdup(last ? last + 1 : full);
    if (last) *last = 0;
    op->dir = asmb__strdup(last ? full : "");
    asmb__free(full);
    if (!op->pattern || !op->dir || has_wildcard(op->dir)) {
        rc = op->pattern && op->dir ? ASMB_EINVAL : ASMB_ENOMEM;
        del_free(op);
        return rc;
    }
    asmb_deferred *d;
    rc = asmb__op_begin(c, out, &d);
    if (rc) {
        del_free(op);
        return rc;
    }
    op->d = d;
    d->cancel = del_cancel;
    d->op = op;
    *out = d;
    /* The top listing: matches of the pattern, folders only when asked. */
    list_op *l;
    uint32_t search = ASMB_SEARCH_DEFAULT & ~(uint32_t)(op->folders ? 0 : ASMB_ATTR_DIRECTORY);
    rc = asmb__list_new(c, share, op->dir, search, op->pattern, &op->opts, &l);
    ctx *x = rc ? NULL : asmb__calloc(1, sizeof *x);
    if (!x) {
        if (!rc) asmb__fop_discard(&l->f);
        *out = NULL;
        op->d = NULL;
        asmb__deferred_discard(d);
        del_free(op);
        return rc ? rc : ASMB_ENOMEM;
    }
    x->op = op;
    x->kind = W_LIST;
    x->dir = asmb__strdup(op->dir);
    l->f.done_cb = sub_done;
    l->f.done_arg = x;
    op->busy = 1;
    asmb__fop_start(&l->f, NULL);
    return 0;
}
