/* tree_connect / tree_disconnect for the caller; file operations connect
 * trees on demand through the same cache (core/tree.c). */
#include <string.h>

#include "../mem.h"
#include "op.h"

static void info_free(void *p) { asmb__free(p); }

static void connected(asmb_conn *c, asmb_tree *t, const asmb_failure *f, void *arg)
{
    (void)c;
    asmb_deferred *d = arg;
    if (f) {
        asmb__deferred_fail_with(d, f);
        return;
    }
    asmb_tree_info *info = asmb__malloc(sizeof *info);
    if (!info) {
        asmb__deferred_fail(d, ASMB_ENOMEM, 0, "out of memory");
        return;
    }
    *info = t->info;
    asmb__deferred_succeed(d, info, info_free);
}

static void disconnected(asmb_conn *c, asmb_tree *t, const asmb_failure *f, void *arg)
{
    (void)c;
    (void)t;
    asmb_deferred *d = arg;
    if (f)
        asmb__deferred_fail_with(d, f);
    else
        asmb__deferred_succeed(d, NULL, NULL);
}

static void unwait(void *arg)
{
    asmb_deferred *d = arg;
    asmb__tree_unwait(d->conn, d);
}

/* A share name: non-empty, no separators, at most 80 characters (MS-SRVS). */
static int valid_share(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n <= 80 && !strpbrk(s, "\\/");
}

ASMB_API int asmb_tree_connect(asmb_conn *c, const char *share, const asmb_opts *opts,
                               asmb_deferred **out)
{
    if (!valid_share(share)) return ASMB_EINVAL;
    asmb_deferred *d;
    int rc = asmb__op_begin(c, out, &d);
    if (rc) return rc;
    d->cancel = unwait;
    d->op = d;
    *out = d;
    rc = asmb__tree_get(c, share, asmb__op_timeout(c, opts), connected, d);
    if (rc) {
        *out = NULL;
        asmb__deferred_discard(d);
    }
    return rc;
}

ASMB_API int asmb_tree_disconnect(asmb_conn *c, const char *share, const asmb_opts *opts,
                                  asmb_deferred **out)
{
    if (!valid_share(share)) return ASMB_EINVAL;
    if (!c || !out) return ASMB_EINVAL;
    int rc = asmb__conn_check_ready(c);
    if (rc) return rc;
    asmb_tree *t = asmb__tree_find(c, share);
    if (!t || t->state != ASMB_TREE_CONNECTED) return ASMB_ENOENT;
    asmb_deferred *d;
    rc = asmb__op_begin(c, out, &d);
    if (rc) return rc;
    *out = d;
    rc = asmb__tree_disconnect(c, t, asmb__op_timeout(c, opts), disconnected, d);
    if (rc) {
        *out = NULL;
        asmb__deferred_discard(d);
    }
    return rc;
}
