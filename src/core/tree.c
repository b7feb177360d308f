/* Trees: one TREE_CONNECT per share name, cached for the session; callers
 * that ask while it is connecting wait for the same reply (MS-SMB2 3.2.4.2.4). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "../mem.h"
#include "../ntstatus.h"
#include "conn.h"

asmb_tree *asmb__tree_find(asmb_conn *c, const char *share)
{
    for (asmb_tree *t = c->trees; t; t = t->next)
        if (strcasecmp(t->name, share) == 0) return t;
    return NULL;
}

static void tree_unlink(asmb_conn *c, asmb_tree *t)
{
    for (asmb_tree **p = &c->trees; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            return;
        }
    }
}

static void tree_free(asmb_tree *t)
{
    while (t->waiters) {
        asmb_tree_waiter *w = t->waiters;
        t->waiters = w->next;
        asmb__free(w);
    }
    asmb__free(t->name);
    asmb__free(t);
}

/* Tells every waiter, in arrival order (f NULL = connected). */
static void tree_notify(asmb_conn *c, asmb_tree *t, const asmb_failure *f)
{
    asmb_tree_waiter *w = t->waiters, *rev = NULL;
    t->waiters = NULL;
    while (w) { /* waiters are pushed at the head: reverse */
        asmb_tree_waiter *n = w->next;
        w->next = rev;
        rev = w;
        w = n;
    }
    while (rev) {
        asmb_tree_waiter *n = rev->next;
        rev->cb(c, f ? NULL : t, f, rev->arg);
        asmb__free(rev);
        rev = n;
    }
}

static int add_waiter(asmb_tree *t, asmb_tree_cb cb, void *arg)
{
    asmb_tree_waiter *w = asmb__malloc(sizeof *w);
    if (!w) return ASMB_ENOMEM;
    w->cb = cb;
    w->arg = arg;
    w->next = t->waiters;
    t->waiters = w;
    return 0;
}

int asmb__tree_unwait(asmb_conn *c, void *arg)
{
    for (asmb_tree *t = c->trees; t; t = t->next) {
        for (asmb_tree_waiter **p = &t->waiters; *p; p = &(*p)->next) {
            if ((*p)->arg == arg) {
                asmb_tree_waiter *w = *p;
                *p = w->next;
                asmb__free(w);
                return 0;
            }
        }
    }
    return ASMB_ENOENT;
}

static int tcon_encode(asmb_req *r, asmb_wr *w)
{
    asmb_tree *t = r->ctx;
    char path[1024];
    int n = snprintf(path, sizeof path, "\\\\%s\\%s", r->conn->host, t->name);
    if (n < 0 || (size_t)n >= sizeof path) return ASMB_EINVAL;
    return asmb__tree_connect_encode(w, path);
}

static void tcon_reply(asmb_req *r, const asmb_reply *rep)
{
    asmb_conn *c = r->conn;
    asmb_tree *t = r->ctx;
    asmb_tree_resp tr;
    uint32_t st = asmb__ntstatus_of(rep);
    asmb_failure_buf fb;
    if (st != ASMB_STATUS_SUCCESS) {
        const char *name = asmb_ntstatus_name(st);
        asmb__failure_set(&fb, ASMB_EFAILURE, st, "%s: connecting to share '%s'",
                          name ? name : "STATUS_?", t->name);
    } else if (asmb__tree_connect_decode(rep->msg, rep->len, &tr)) {
        asmb__failure_set(&fb, ASMB_EPROTO, 0, "malformed TREE_CONNECT response for '%s'",
                          t->name);
    } else if ((tr.share_flags & SMB2_SHAREFLAG_ENCRYPT_DATA) && !c->enc) {
        asmb__failure_set(&fb, ASMB_ENOTSUP, 0, "share '%s' requires encryption, which this "
                          "session cannot do (no cipher, or a guest session)", t->name);
    } else {
        t->info.tree_id = rep->hdr->tree_id;
        t->info.share_type = tr.share_type;
        t->info.share_flags = tr.share_flags;
        t->info.capabilities = tr.capabilities;
        t->info.maximal_access = tr.maximal_access;
        ASMB_LOG(c, ASMB_LOG_DEBUG, "share '%s' connected: tree 0x%x, flags 0x%x", t->name,
                 (unsigned)t->info.tree_id, (unsigned)tr.share_flags);
        if (asmb__vneg_hold(c, t)) return; /* validate.c unparks it */
        t->state = ASMB_TREE_CONNECTED;
        tree_notify(c, t, NULL);
        return;
    }
    tree_unlink(c, t);
    tree_notify(c, t, &fb.f);
    tree_free(t);
}

void asmb__trees_unpark(asmb_conn *c, const asmb_failure *f)
{
    asmb_tree **p = &c->trees;
    while (*p) {
        asmb_tree *t = *p;
        if (!t->parked) {
            p = &t->next;
            continue;
        }
        t->parked = 0;
        if (!f) {
            t->state = ASMB_TREE_CONNECTED;
            p = &t->next;
            tree_notify(c, t, NULL); /* may add trees at the head: p stays valid */
            continue;
        }
        *p = t->next;
        tree_notify(c, t, f);
        tree_free(t);
    }
}

static void tcon_fail(asmb_req *r, int code)
{
    asmb_conn *c = r->conn;
    asmb_tree *t = r->ctx;
    asmb_failure_buf fb;
    asmb__failure_set(&fb, code, 0, "%s: connecting to share '%s'", asmb_strerror(code), t->name);
    tree_unlink(c, t);
    tree_notify(c, t, &fb.f);
    tree_free(t);
}

int asmb__tree_get(asmb_conn *c, const char *share, unsigned timeout_ms, asmb_tree_cb cb,
                   void *arg)
{
    asmb_tree *t = asmb__tree_find(c, share);
    if (t && t->state == ASMB_TREE_CONNECTED) {
        cb(c, t, NULL, arg);
        return 0;
    }
    if (t) return add_waiter(t, cb, arg);
    t = asmb__calloc(1, sizeof *t);
    asmb_req *r = t ? asmb__req_new(c, SMB2_TREE_CONNECT, t) : NULL;
    if (!r || !(t->name = asmb__strdup(share)) || add_waiter(t, cb, arg)) {
        asmb__req_free(r);
        if (t) tree_free(t);
        return ASMB_ENOMEM;
    }
    t->state = ASMB_TREE_CONNECTING;
    t->next = c->trees;
    c->trees = t;
    r->encode = tcon_encode;
    r->on_reply = tcon_reply;
    r->on_fail = tcon_fail;
    asmb__req_submit(r, timeout_ms);
    return 0;
}

/* ---- TREE_DISCONNECT ---- */

typedef struct tdis {
    asmb_tree *t;
    asmb_tree_cb cb;
    void *arg;
} tdis;

static int tdis_encode(asmb_req *r, asmb_wr *w)
{
    (void)r;
    return asmb__simple_encode(w);
}

static void tdis_done(asmb_req *r, const asmb_failure *f)
{
    tdis *x = r->ctx;
    if (x->cb) x->cb(r->conn, NULL, f, x->arg);
    tree_free(x->t);
    asmb__free(x);
}

static void tdis_reply(asmb_req *r, const asmb_reply *rep)
{
    tdis *x = r->ctx;
    uint32_t st = asmb__ntstatus_of(rep);
    asmb_failure_buf fb;
    if (st != ASMB_STATUS_SUCCESS) {
        const char *name = asmb_ntstatus_name(st);
        asmb__failure_set(&fb, ASMB_EFAILURE, st, "%s: disconnecting share '%s'",
                          name ? name : "STATUS_?", x->t->name);
        tdis_done(r, &fb.f);
    } else if (asmb__simple_decode(rep->msg, rep->len)) {
        asmb__failure_set(&fb, ASMB_EPROTO, 0, "malformed TREE_DISCONNECT response");
        tdis_done(r, &fb.f);
    } else {
        tdis_done(r, NULL);
    }
}

static void tdis_fail(asmb_req *r, int code)
{
    tdis *x = r->ctx;
    asmb_failure_buf fb;
    asmb__failure_set(&fb, code, 0, "%s: disconnecting share '%s'", asmb_strerror(code),
                      x->t->name);
    tdis_done(r, &fb.f);
}

int asmb__tree_disconnect(asmb_conn *c, asmb_tree *t, unsigned timeout_ms, asmb_tree_cb cb,
                          void *arg)
{
    tdis *x = asmb__calloc(1, sizeof *x);
    asmb_req *r = x ? asmb__req_new(c, SMB2_TREE_DISCONNECT, x) : NULL;
    if (!r) {
        asmb__free(x);
        return ASMB_ENOMEM;
    }
    /* Forget the tree now: later operations on the share connect anew. */
    tree_unlink(c, t);
    t->state = ASMB_TREE_GONE;
    x->t = t;
    x->cb = cb;
    x->arg = arg;
    r->tree_id = t->info.tree_id;
    r->encode = tdis_encode;
    r->on_reply = tdis_reply;
    r->on_fail = tdis_fail;
    asmb__req_submit(r, timeout_ms);
    return 0;
}

void asmb__trees_close(asmb_conn *c)
{
    asmb_tree *t = c->trees;
    while (t) {
        asmb_tree *n = t->next;
        if (t->state == ASMB_TREE_CONNECTED && asmb__tree_disconnect(c, t, 0, NULL, NULL))
            break;
        t = n;
    }
}

void asmb__trees_free(asmb_conn *c)
{
    while (c->trees) {
        asmb_tree *t = c->trees;
        c->trees = t->next;
        tree_free(t);
    }
}
