/* delete_files: list what matches the last component, then delete each
 * match; with ASMB_DELETE_FOLDERS a matching folder is emptied
 * depth-first and removed (pysmb's deleteFiles).
 *
 * Up to RUN_MAX pieces of work run at once: file deletions, listings and
 * folder removals, each one compound chain. A folder is removed only once
 * everything below it is gone: each folder being emptied counts the work
 * still pending below it, and its removal is queued when that reaches zero.
 * Work waits on an explicit stack (no recursion on server data), taken
 * last-in first-out so that a deep tree is finished branch by branch. */
#include <stdio.h>
#include <string.h>

#include "../mem.h"
#include "dirs.h"
#include "list_path.h"

enum { W_LIST, W_DELETE, W_RMDIR };

/* Bounds the requests of one delete_files in flight (a 100,000-entry folder
 * is not 100,000 requests at once) while keeping smbd busy. */
#define RUN_MAX 64

/* A folder being listed or emptied. */
typedef struct dnode {
    struct dnode *parent; /* NULL: the top (the pattern's folder, never removed) */
    struct dnode *all;    /* every node of the operation, for freeing */
    char *path;
    size_t left; /* work below still pending, +1 while its listing runs */
} dnode;

typedef struct work {
    struct work *next;
    int kind;
    char *path;  /* W_DELETE: the file */
    dnode *node; /* W_DELETE: its folder; W_LIST / W_RMDIR: the folder itself */
} work;

typedef struct del_op {
    asmb_conn *c;
    asmb_deferred *d;
    char *share, *dir, *pattern;
    asmb_opts opts;
    int folders;
    int over; /* failed, canceled or out of memory: start nothing more */
    int pumping;
    unsigned running;
    uint64_t count;
    work *stack;
    dnode *nodes;
} del_op;

/* One piece of work in flight. */
typedef struct ctx {
    del_op *op;
    int kind;
    dnode *node;
} ctx;

static void pump(del_op *op);

static void del_free(del_op *op)
{
    while (op->stack) {
        work *w = op->stack;
        op->stack = w->next;
        asmb__free(w->path);
        asmb__free(w);
    }
    while (op->nodes) {
        dnode *n = op->nodes;
        op->nodes = n->all;
        asmb__free(n->path);
        asmb__free(n);
    }
    asmb__free(op->share);
    asmb__free(op->dir);
    asmb__free(op->pattern);
    asmb__free(op);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = asmb__malloc(n);
    if (p) snprintf(p, n, "%s%s%s", dir, *dir && *name ? "\\" : "", name);
    return p;
}

static dnode *node_new(del_op *op, dnode *parent, char *path)
{
    dnode *n = asmb__calloc(1, sizeof *n);
    if (!n) return NULL;
    n->parent = parent;
    n->path = path;
    n->all = op->nodes;
    op->nodes = n;
    return n;
}

/* path is taken (freed on failure). */
static int push(del_op *op, int kind, char *path, dnode *node)
{
    work *w = asmb__malloc(sizeof *w);
    if (!w) {
        asmb__free(path);
        return ASMB_ENOMEM;
    }
    w->kind = kind;
    w->path = path;
    w->node = node;
    w->next = op->stack;
    op->stack = w;
    return 0;
}

/* The caller hears now (once); work in flight ends on its own, then the
 * operation is freed. */
static void report(del_op *op, const asmb_failure *fail)
{
    op->over = 1;
    if (!op->d) return;
    asmb_deferred *d = op->d;
    op->d = NULL;
    if (fail) {
        asmb__deferred_fail_with(d, fail);
        return;
    }
    asmb_delete_result *n = asmb__malloc(sizeof *n);
    if (n) {
        n->count = op->count;
        asmb__deferred_succeed(d, n, asmb__free);
    } else {
        asmb__deferred_fail(d, ASMB_ENOMEM, 0, "out of memory");
    }
}

static void report_code(del_op *op, int rc)
{
    asmb_failure fb;
    asmb__failure_set(&fb, rc, 0, "%s: deleting files", asmb_strerror(rc));
    report(op, &fb);
}

/* One piece of work below n ended: the last one queues n's removal. */
static int below_done(del_op *op, dnode *n)
{
    if (--n->left || !n->parent) return 0; /* the top folder itself stays */
    return push(op, W_RMDIR, NULL, n);
}

/* A listing ended: queue the work for each entry. */
static int queue_entries(del_op *op, list_op *l, dnode *node)
{
    for (size_t i = 0; i < l->list.count; i++) {
        const asmb_file_info *e = &l->list.entries[i];
        if (!strcmp(e->filename, ".") || !strcmp(e->filename, "..")) continue;
        if (e->is_directory && !op->folders) continue;
        char *p = join(node->path, e->filename);
        if (!p) return ASMB_ENOMEM;
        int rc;
        if (e->is_directory) {
            dnode *sub = node_new(op, node, p);
            if (!sub) {
                asmb__free(p);
                return ASMB_ENOMEM;
            }
            sub->left = 1; /* its listing */
            rc = push(op, W_LIST, NULL, sub);
        } else {
            rc = push(op, W_DELETE, p, node);
        }
        if (rc) return rc;
        node->left++;
    }
    return 0;
}

static void sub_done(asmb_fop *f, const asmb_failure *fail, void *arg)
{
    ctx *x = arg;
    del_op *op = x->op;
    op->running--;
    if (!fail && !op->over) {
        int rc = 0;
        if (x->kind == W_LIST) {
            rc = queue_entries(op, (list_op *)f, x->node);
            if (!rc) rc = below_done(op, x->node); /* the listing's own count */
        } else {
            op->count++;
            rc = below_done(op, x->kind == W_RMDIR ? x->node->parent : x->node);
        }
        if (rc) report_code(op, rc);
    } else if (fail) {
        report(op, fail); /* the first failure is the one the caller hears */
    }
    asmb__free(x);
    pump(op);
}

/* One file: CREATE with FILE_DELETE_ON_CLOSE and CLOSE, one compound chain
 * (MS-SMB2 3.2.4.1.4; the file goes at the CLOSE, MS-FSA 2.1.5.4). */
static int delete_file_new(del_op *op, const char *path, asmb_fop **out)
{
    int rc = asmb__fop_new(op->c, sizeof(asmb_fop), op->share, path, "deleting", &op->opts, out);
    if (rc) return rc;
    asmb_fop *f = *out;
    f->cr.desired_access = SMB2_DELETE | SMB2_FILE_READ_ATTRIBUTES | SMB2_SYNCHRONIZE;
    f->cr.options = SMB2_FILE_NON_DIRECTORY_FILE | SMB2_FILE_DELETE_ON_CLOSE;
    asmb__fop_middle(f, 0, NULL, NULL);
    return 0;
}

/* Starts one piece of work (w is consumed). */
static int start(del_op *op, work *w)
{
    asmb_fop *f = NULL;
    list_op *l = NULL;
    ctx *x = asmb__calloc(1, sizeof *x);
    int rc = x ? 0 : ASMB_ENOMEM;
    if (!rc && w->kind == W_LIST)
        rc = asmb__list_new(op->c, op->share, w->node->path, ASMB_SEARCH_DEFAULT, "*",
                            &op->opts, &l);
    else if (!rc && w->kind == W_RMDIR)
        rc = asmb__delete_new(op->c, op->share, w->node->path, 1, &op->opts, &f);
    else if (!rc)
        rc = delete_file_new(op, w->path, &f);
    if (l) f = &l->f;
    if (!rc) {
        x->op = op;
        x->kind = w->kind;
        x->node = w->node;
        f->done_cb = sub_done;
        f->done_arg = x;
        op->running++;
    }
    asmb__free(w->path);
    asmb__free(w);
    if (rc) {
        asmb__free(x);
        return rc;
    }
    asmb__fop_start(f, NULL); /* may end at once: sub_done runs inside */
    return 0;
}

/* Keeps up to RUN_MAX pieces of work running; reports success when all is
 * done, frees the operation once nothing runs after it was reported. A
 * piece that ends inside start() (e.g. the connection is gone) re-enters
 * here: that call returns and this loop sees its effect. */
static void pump(del_op *op)
{
    if (op->pumping) return;
    op->pumping = 1;
    while (!op->over && op->stack && op->running < RUN_MAX) {
        work *w = op->stack;
        op->stack = w->next;
        int rc = start(op, w);
        if (rc) report_code(op, rc);
    }
    op->pumping = 0;
    if (op->running) return;
    if (!op->over) report(op, NULL); /* nothing queued, nothing running: done */
    if (!op->d) del_free(op);
}

static void del_cancel(void *arg)
{
    del_op *op = arg;
    op->d = NULL;
    op->over = 1; /* the work in flight ends, then the op is freed */
    if (!op->running) del_free(op);
}

static int has_wildcard(const char *s) { return strpbrk(s, "*?") != NULL; }

ASMB_API int asmb_delete_files(asmb_conn *c, const char *share, const char *path_pattern,
                               int flags, const asmb_opts *opts, asmb_deferred **out)
{
    if (!c || !out || !share || !*share || strpbrk(share, "\\/") || (flags & ~ASMB_DELETE_FOLDERS))
        return ASMB_EINVAL;
    int rc = asmb__conn_check_ready(c);
    if (rc) return rc;
    del_op *op = asmb__calloc(1, sizeof *op);
    if (!op) return ASMB_ENOMEM;
    op->c = c;
    op->folders = !!(flags & ASMB_DELETE_FOLDERS);
    if (opts) op->opts = *opts;
    op->share = asmb__strdup(share);
    char *full = asmb__path_normalise(path_pattern, &rc);
    if (!op->share || !full || !*full) {
        if (rc == ASMB_EINVAL) asmb__arg_utf8(c, "path pattern", path_pattern);
        if (!rc) rc = op->share && full ? ASMB_EINVAL : ASMB_ENOMEM; /* before op goes */
        asmb__free(full);
        del_free(op);
        return rc;
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
    /* The top listing: matches of the pattern, folders only when asked. */
    list_op *l = NULL;
    char *top_path = asmb__strdup(op->dir);
    dnode *top = top_path ? node_new(op, NULL, top_path) : NULL;
    ctx *x = top ? asmb__calloc(1, sizeof *x) : NULL;
    uint32_t search = ASMB_SEARCH_DEFAULT & ~(uint32_t)(op->folders ? 0 : ASMB_ATTR_DIRECTORY);
    rc = x ? asmb__list_new(c, share, op->dir, search, op->pattern, &op->opts, &l) : ASMB_ENOMEM;
    asmb_deferred *d = NULL;
    if (!rc) rc = asmb__op_begin(c, out, &d);
    if (rc) {
        if (!top) asmb__free(top_path);
        if (l) asmb__fop_discard(&l->f);
        asmb__free(x);
        del_free(op);
        return rc;
    }
    op->d = d;
    d->cancel = del_cancel;
    d->op = op;
    *out = d;
    top->left = 1; /* its listing */
    x->op = op;
    x->kind = W_LIST;
    x->node = top;
    l->f.done_cb = sub_done;
    l->f.done_arg = x;
    op->running = 1;
    asmb__fop_start(&l->f, NULL);
    return 0;
}
