/* The file-operation skeleton: tree, CREATE, work, CLOSE, completion. */
#include "fileop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../mem.h"
#include "../ntstatus.h"

/* ---- paths and results ---- */

char *asmb__path_normalise(const char *path, int *rc)
{
    *rc = ASMB_EINVAL;
    if (!path) path = "";
    size_t n = strlen(path);
    asmb_wr check;
    asmb_wr_init(&check);
    int bad = asmb_utf8_to_utf16le(&check, path, n); /* strict UTF-8, or no */
    asmb_wr_free(&check);
    if (bad) {
        *rc = bad;
        return NULL;
    }
    char *out = asmb__malloc(n + 1);
    if (!out) {
        *rc = ASMB_ENOMEM;
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = path[i] == '/' ? '\\' : path[i];
        if (ch == '\\' && (o == 0 || out[o - 1] == '\\')) continue;
        out[o++] = ch;
    }
    while (o && out[o - 1] == '\\') o--;
    out[o] = 0;
    *rc = 0;
    return out;
}

int asmb__file_info_set(asmb_file_info *fi, const asmb_file_times *t, const char *name,
                        const char *short_name, uint64_t file_id)
{
    memset(fi, 0, sizeof *fi);
    fi->filename = asmb__strdup(name ? name : "");
    fi->short_name = asmb__strdup(short_name ? short_name : "");
    if (!fi->filename || !fi->short_name) {
        asmb__file_info_clear(fi);
        return ASMB_ENOMEM;
    }
    fi->create_time = t->create_time;
    fi->last_access_time = t->access_time;
    fi->last_write_time = t->write_time;
    fi->last_attr_change_time = t->change_time;
    fi->file_size = t->end_of_file;
    fi->alloc_size = t->alloc_size;
    fi->file_attributes = t->attributes;
    fi->file_id = file_id;
    fi->is_directory = !!(t->attributes & ASMB_ATTR_DIRECTORY);
    fi->is_readonly = !!(t->attributes & ASMB_ATTR_READONLY);
    fi->is_normal = (t->attributes & 0xFF) == 0 || (t->attributes & 0xFF) == ASMB_ATTR_NORMAL;
    return 0;
}

void asmb__file_info_clear(asmb_file_info *fi)
{
    asmb__free(fi->filename);
    asmb__free(fi->short_name);
    fi->filename = fi->short_name = NULL;
}

const char *asmb__path_last(const char *path)
{
    const char *p = strrchr(path, '\\');
    return p ? p + 1 : path;
}

/* The credits the server lets us hold (granted + charged to requests in
 * flight), at least 1: a request charging more could never be sent. */
static uint32_t credit_window(const asmb_conn *c)
{
    uint32_t w = c->credits + c->inflight;
    return w ? w : 1;
}

uint32_t asmb__io_chunk(const asmb_conn *c, uint32_t server_max)
{
    int mtu = c->info.dialect >= ASMB_SMB2_10 && (c->server_caps & SMB2_GLOBAL_CAP_LARGE_MTU);
    uint32_t want = mtu ? c->cfg.io_size : 65536u;
    /* A server that keeps its grant small gets requests that fit in it
     * (CreditCharge is one credit per 64 KiB, MS-SMB2 3.2.4.1.5). */
    uint32_t window = credit_window(c);
    if (mtu && want / 65536u > window) want = window * 65536u;
    if (c->cfg.netbios && want > 65536u) want = 65536u; /* 17-bit NBT lengths (RFC 1002 4.3.1) */
    if (server_max && server_max < want) want = server_max;
    return want < 4096 ? 4096 : want;
}

uint16_t asmb__io_charge(const asmb_conn *c, uint32_t len)
{
    if (c->info.dialect < ASMB_SMB2_10 || len <= 65536) return 1;
    return (uint16_t)((len - 1) / 65536 + 1);
}

ASMB_API double asmb_filetime_to_unix(uint64_t ft)
{
    return ((double)ft - 116444736000000000.0) / 1e7;
}

/* ---- orphan CLOSE ---- */

typedef struct orphan {
    asmb_fid fid;
} orphan;

static int orphan_encode(asmb_req *r, asmb_wr *w)
{
    return asmb__close_encode(w, ((orphan *)r->data)->fid, 0);
}

static void orphan_reply(asmb_req *r, const asmb_reply *rep)
{
    (void)r;
    (void)rep;
}

void asmb__close_orphan(asmb_conn *c, uint32_t tree_id, asmb_fid fid)
{
    if (c->state != ASMB_ST_READY) return; /* the handle dies with the session */
    orphan *o = asmb__malloc(sizeof *o);
    asmb_req *r = o ? asmb__req_new(c, SMB2_CLOSE, NULL) : NULL;
    if (!r) {
        asmb__free(o);
        return; /* out of memory: the server frees it at logoff */
    }
    o->fid = fid;
    r->data = o;
    r->data_free = asmb__free;
    r->tree_id = tree_id;
    r->encode = orphan_encode;
    r->on_reply = orphan_reply;
    asmb__req_submit(r, c->cfg.op_timeout_ms);
}

/* ---- state ---- */

/* The admission queue: the ops layer's own state on a connection (the
 * engine only keeps it for us and frees it with the connection). */
typedef struct fop_queue {
    unsigned active;       /* operations holding a slot */
    int admitting;         /* admit_waiting is running */
    asmb_fop *head, *tail; /* WAITING, FIFO */
    uint64_t moved;        /* engine clock of the last admission */
} fop_queue;

static fop_queue *queue_of(asmb_conn *c) { return c->ops_state; }

static int queue_ensure(asmb_conn *c)
{
    if (c->ops_state) return 0;
    c->ops_state = asmb__calloc(1, sizeof(fop_queue));
    if (!c->ops_state) return ASMB_ENOMEM;
    c->ops_state_free = asmb__free;
    return 0;
}

/* Allowed transitions, by bit of the state entered, for each state left. */
#define B(s) (1u << ASMB_FOP_##s)
static const unsigned next_ok[] = {
    [ASMB_FOP_NEW] = B(TREE) | B(DONE),
    [ASMB_FOP_TREE] = B(WAITING) | B(OPENING) | B(CHAIN) | B(DONE),
    [ASMB_FOP_WAITING] = B(OPENING) | B(CHAIN) | B(DONE),
    [ASMB_FOP_OPENING] = B(OPEN) | B(DONE),
    [ASMB_FOP_CHAIN] = B(OPENING) | B(DONE),
    [ASMB_FOP_OPEN] = B(OPEN) | B(CLOSING) | B(DONE),
    [ASMB_FOP_CLOSING] = B(DONE),
    [ASMB_FOP_DONE] = 0,
};
#undef B

/* The one place where an operation's state changes. */
static void set_state(asmb_fop *f, int to)
{
    if (!(next_ok[f->state] & (1u << to))) {
        fprintf(stderr, "asmb: file operation %s: state %d -> %d not allowed\n", f->what,
                f->state, to);
        abort(); /* a bug in the library: never continue in a state we can't reason about */
    }
    f->state = to;
}

/* ---- lifetime ---- */

int asmb__fop_new(asmb_conn *c, size_t size, const char *share, const char *path,
                  const char *what, const asmb_opts *opts, asmb_fop **out)
{
    size_t sn = share ? strlen(share) : 0;
    if (!sn || sn > 80 || strpbrk(share, "\\/")) return ASMB_EINVAL;
    asmb_fop *f = queue_ensure(c) ? NULL : asmb__calloc(1, size);
    if (!f) return ASMB_ENOMEM;
    int rc = 0;
    f->c = c;
    f->what = what;
    f->timeout_ms = asmb__op_timeout(c, opts);
    if (opts) {
        f->progress = opts->progress;
        f->progress_arg = opts->progress_arg;
    }
    f->share = asmb__strdup(share);
    f->path = asmb__path_normalise(path, &rc);
    if (!f->share || !f->path) {
        if (rc == ASMB_EINVAL) asmb__arg_utf8(c, "path", path); /* the message says why */
        asmb__free(f->share);
        asmb__free(f->path);
        asmb__free(f);
        return rc ? rc : ASMB_ENOMEM;
    }
    f->cr.name = f->path;
    if (opts && (opts->snapshot < 0 || opts->snapshot > 253402300799ll)) { /* 9999-12-31 */
        asmb__fop_discard(f);
        return ASMB_EINVAL;
    }
    if (opts && opts->snapshot) {
        /* TWrp (MS-SMB2 2.2.13.2.7): open the version at this time. */
        uint8_t *t = f->twrp;
        asmb_st16(t + 4, 16); /* NameOffset */
        asmb_st16(t + 6, 4);  /* NameLength */
        asmb_st16(t + 10, 24); /* DataOffset */
        asmb_st32(t + 12, 8);  /* DataLength */
        memcpy(t + 16, "TWrp", 4);
        asmb_st64(t + 24, (uint64_t)(opts->snapshot + 11644473600ll) * 10000000ull);
        f->cr.contexts = t;
        f->cr.contexts_len = sizeof f->twrp;
    }
    f->cr.share_access = SMB2_FILE_SHARE_READ | SMB2_FILE_SHARE_WRITE | SMB2_FILE_SHARE_DELETE;
    f->cr.disposition = SMB2_FILE_OPEN;
    *out = f;
    return 0;
}

void asmb__fop_discard(asmb_fop *f)
{
    if (f->cleanup) f->cleanup(f);
    asmb__free(f->share);
    asmb__free(f->path);
    asmb__free(f);
}

static void admit_waiting(asmb_conn *c);
static void wait_unlink(asmb_conn *c, asmb_fop *f);

/* Freed once over and nothing of it is in flight; only then is its slot
 * free for the next waiting operation (its buffers are gone too). */
static void maybe_free(asmb_fop *f)
{
    if (f->state != ASMB_FOP_DONE || f->refs) return;
    asmb_conn *c = f->c;
    int slot = f->slot;
    asmb__fop_discard(f);
    if (slot) {
        queue_of(c)->active--;
        admit_waiting(c);
    }
}

void asmb__fop_hold(asmb_fop *f) { f->refs++; }

int asmb__fop_unhold(asmb_fop *f)
{
    f->refs--;
    if (f->state != ASMB_FOP_DONE) return 0;
    maybe_free(f);
    return 1;
}

int asmb__fop_progress(asmb_fop *f, uint64_t bytes)
{
    if (!f->progress) return 0;
    asmb__fop_hold(f);
    f->progress(bytes, f->progress_arg);
    return asmb__fop_unhold(f);
}

/* The caller hears now; a handle still open is closed in the background. */
static void end_with_failure(asmb_fop *f, const asmb_failure *fail)
{
    if (f->state == ASMB_FOP_DONE) return;
    if (f->state == ASMB_FOP_WAITING) wait_unlink(f->c, f);
    set_state(f, ASMB_FOP_DONE);
    if (f->opened) {
        f->opened = 0;
        asmb__close_orphan(f->c, f->tree_id, f->fid);
    }
    if (f->d) asmb__deferred_fail_with(f->d, fail);
    if (f->done_cb) f->done_cb(f, fail, f->done_arg);
    maybe_free(f);
}

static void describe(asmb_fop *f, char *buf, size_t n)
{
    snprintf(buf, n, "%s \\%s", f->what, f->path);
    asmb__utf8_trim(buf);
}

void asmb__fop_fail_status(asmb_fop *f, uint32_t st)
{
    asmb_failure fb;
    char what[160];
    describe(f, what, sizeof what);
    const char *name = asmb_ntstatus_name(st);
    if (name)
        asmb__failure_set(&fb, ASMB_EFAILURE, st, "%s: %s", name, what);
    else
        asmb__failure_set(&fb, ASMB_EFAILURE, st, "NTSTATUS 0x%08x: %s", st, what);
    end_with_failure(f, &fb);
}

void asmb__fop_fail_code(asmb_fop *f, int code, const char *detail)
{
    asmb_failure fb;
    char what[160];
    describe(f, what, sizeof what);
    if (code == ASMB_ETIMEDOUT)
        asmb__failure_set(&fb, code, 0, "timed out after %u ms: %s", f->timeout_ms, what);
    else if (f->c->state == ASMB_ST_DEAD)
        asmb__failure_set(&fb, code, 0, "%s (%s): %s", asmb_strerror(code),
                          f->c->disc_failure.message, what);
    else
        asmb__failure_set(&fb, code, 0, "%s%s%s: %s", asmb_strerror(code), detail ? ": " : "",
                          detail ? detail : "", what);
    end_with_failure(f, &fb);
}

int asmb__fop_check(asmb_fop *f, const asmb_reply *rep, int decode_rc)
{
    uint32_t st = asmb__ntstatus_of(rep);
    if (st != ASMB_STATUS_SUCCESS) {
        asmb__fop_fail_status(f, st);
        return 1;
    }
    if (decode_rc) {
        asmb__fop_fail_code(f, ASMB_EPROTO, "malformed reply");
        return 1;
    }
    return 0;
}

/* ---- requests ---- */

static void unlink_req(asmb_fop *f, asmb_req *r)
{
    if (r->oprev) r->oprev->onext = r->onext; else f->reqs = r->onext;
    if (r->onext) r->onext->oprev = r->oprev;
    r->onext = r->oprev = NULL;
}

asmb_fop *asmb__fop_enter(asmb_req *r)
{
    asmb_fop *f = r->ctx;
    unlink_req(f, r);
    f->refs--;
    if (f->state == ASMB_FOP_DONE) {
        maybe_free(f);
        return NULL;
    }
    return f;
}

static void fop_req_fail(asmb_req *r, int code)
{
    uint16_t command = r->command;
    void *data = r->data;
    asmb_fop *f = asmb__fop_enter(r);
    if (!f) return;
    if (code == ASMB_ENOTSUP && f->resplit && f->resplit(f, command, data) == 0) return;
    asmb__fop_fail_code(f, code, NULL);
}


/* A request owned by f, listed for cancel and counted until its reply or
 * failure; not submitted yet. */
static asmb_req *own_req(asmb_fop *f, uint16_t command, uint16_t charge,
                         int (*encode)(asmb_req *, asmb_wr *),
                         void (*on_reply)(asmb_req *, const asmb_reply *), void *data)
{
    asmb_req *r = asmb__req_new(f->c, command, f);
    if (!r) return NULL;
    r->credit_charge = charge ? charge : 1;
    r->tree_id = f->tree_id;
    r->encode = encode;
    r->on_reply = on_reply;
    r->on_fail = fop_req_fail;
    r->data = data;
    r->onext = f->reqs;
    if (f->reqs) f->reqs->oprev = r;
    f->reqs = r;
    f->refs++;
    return r;
}

int asmb__fop_send_frame(asmb_fop *f, uint16_t command, uint16_t charge,
                         uint8_t *(*adopt)(asmb_req *, size_t *),
                         int (*encode)(asmb_req *, asmb_wr *),
                         void (*on_reply)(asmb_req *, const asmb_reply *), void *data)
{
    asmb_req *r = own_req(f, command, charge, encode, on_reply, data);
    if (!r) return ASMB_ENOMEM;
    r->adopt = adopt;
    asmb__req_submit(r, f->timeout_ms);
    return 0;
}

int asmb__fop_send(asmb_fop *f, uint16_t command, uint16_t charge,
                   int (*encode)(asmb_req *, asmb_wr *),
                   void (*on_reply)(asmb_req *, const asmb_reply *), void *data)
{
    return asmb__fop_send_frame(f, command, charge, NULL, encode, on_reply, data);
}

/* ---- CLOSE ---- */

/* Internal operations (done_cb) read their results from f itself. */
static void succeed(asmb_fop *f)
{
    if (f->d) {
        void (*free_fn)(void *) = NULL;
        void *result = f->make_result ? f->make_result(f, &free_fn) : NULL;
        if (f->make_result && !result) { /* every result is allocated: no memory */
            asmb__fop_fail_code(f, ASMB_ENOMEM, NULL);
            return;
        }
        set_state(f, ASMB_FOP_DONE);
        asmb__deferred_succeed(f->d, result, free_fn);
    } else {
        set_state(f, ASMB_FOP_DONE);
    }
    if (f->done_cb) f->done_cb(f, NULL, f->done_arg);
    maybe_free(f);
}

static int close_encode(asmb_req *r, asmb_wr *w)
{
    asmb_fop *f = r->ctx;
    return asmb__close_encode(w, f->fid, f->close_query ? SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB : 0);
}

static void reopen_now(asmb_fop *f);

static void close_reply(asmb_req *r, const asmb_reply *rep)
{
    asmb_fop *f = asmb__fop_enter(r);
    if (!f) return;
    f->opened = 0; /* whatever the status: the server forgot the handle or never had it */
    if (f->state == ASMB_FOP_CHAIN) {
        f->chain_closed = 1;
        if (asmb__fop_check(f, rep, asmb__close_decode(rep->msg, rep->len, &f->closed_t)))
            return;
        if (f->chain_x_done && f->chain_reopen) reopen_now(f);
        else if (f->chain_x_done) succeed(f);
        return;
    }
    if (asmb__fop_check(f, rep, asmb__close_decode(rep->msg, rep->len, &f->closed_t))) return;
    succeed(f);
}

void asmb__fop_complete(asmb_fop *f)
{
    if (f->state == ASMB_FOP_CHAIN) { /* the chain's CLOSE reply (or this, if later) ends it */
        f->chain_x_done = 1;
        if (f->chain_closed) succeed(f);
        return;
    }
    if (!f->opened) { /* nothing open (e.g. the CREATE was refused but that is fine) */
        succeed(f);
        return;
    }
    set_state(f, ASMB_FOP_CLOSING);
    if (asmb__fop_send(f, SMB2_CLOSE, 1, close_encode, close_reply, NULL))
        asmb__fop_fail_code(f, ASMB_ENOMEM, NULL);
}

/* ---- CREATE ---- */

static int create_encode(asmb_req *r, asmb_wr *w)
{
    asmb_fop *f = r->ctx;
    return asmb__create_encode(w, &f->cr);
}

/* A CREATE answered after its operation gave up: close what it opened. */
static void create_late(asmb_req *r, const asmb_reply *rep)
{
    asmb_create_resp cr;
    if (asmb__ntstatus_of(rep) == ASMB_STATUS_SUCCESS &&
        asmb__create_decode(rep->msg, rep->len, &cr) == 0)
        asmb__close_orphan(r->conn, r->tree_id, cr.fid);
}

static void create_reply(asmb_req *r, const asmb_reply *rep)
{
    asmb_create_resp cr;
    uint32_t st = asmb__ntstatus_of(rep);
    int rc = st == ASMB_STATUS_SUCCESS ? asmb__create_decode(rep->msg, rep->len, &cr) : 0;
    asmb_fop *f = asmb__fop_enter(r);
    if (!f) { /* canceled meanwhile */
        if (st == ASMB_STATUS_SUCCESS && !rc) asmb__close_orphan(r->conn, r->tree_id, cr.fid);
        return;
    }
    if (asmb__fop_check(f, rep, rc)) return;
    f->created = cr;
    f->create_seen = 1;
    f->fid = cr.fid;
    f->opened = 1;
    set_state(f, ASMB_FOP_OPEN);
    f->on_open(f);
}

/* A plain CREATE; its reply runs on_open. */
static void send_create(asmb_fop *f)
{
    set_state(f, ASMB_FOP_OPENING);
    asmb_req *r = own_req(f, SMB2_CREATE, 1, create_encode, create_reply, NULL);
    if (!r) {
        asmb__fop_fail_code(f, ASMB_ENOMEM, NULL);
        return;
    }
    r->on_late = create_late;
    asmb__req_submit(r, f->timeout_ms);
}

/* ---- compounding: CREATE, the middle request, CLOSE in one frame ---- */

static void x_open(asmb_fop *f)
{
    if (f->x_cmd == 0)
        asmb__fop_complete(f);
    else if (asmb__fop_send(f, f->x_cmd, f->x_charge, f->x_encode, f->x_reply, f->x_data))
        asmb__fop_fail_code(f, ASMB_ENOMEM, NULL);
}

void asmb__fop_middle(asmb_fop *f, uint16_t x_cmd, int (*x_encode)(asmb_req *, asmb_wr *),
                      void (*x_reply)(asmb_req *, const asmb_reply *))
{
    f->has_middle = 1;
    f->x_cmd = x_cmd;
    f->x_encode = x_encode;
    f->x_reply = x_reply;
    f->on_open = x_open; /* when not compounding */
}

/* The chain's CREATE: the handle is the chain's to close. */
static void chain_create_reply(asmb_req *r, const asmb_reply *rep)
{
    asmb_create_resp cr;
    uint32_t st = asmb__ntstatus_of(rep);
    int rc = st == ASMB_STATUS_SUCCESS ? asmb__create_decode(rep->msg, rep->len, &cr) : 0;
    asmb_fop *f = asmb__fop_enter(r);
    if (!f || asmb__fop_check(f, rep, rc)) return; /* the first failing status is the one */
    f->created = cr;
    f->create_seen = 1;
}

/* The chain closed the handle and the work goes on with a new one. */
static void reopen_now(asmb_fop *f)
{
    f->chain_reopen = f->chain_closed = f->chain_x_done = f->create_seen = 0;
    send_create(f);
}

void asmb__fop_reopen(asmb_fop *f)
{
    if (f->state != ASMB_FOP_CHAIN) { /* not chained: the handle is still open, carry on */
        f->on_open(f);
        return;
    }
    f->chain_x_done = f->chain_reopen = 1;
    if (f->chain_closed) reopen_now(f);
}


/* A chain member the engine could not send. ASMB_ENOTSUP: the chain charges
 * more credits than the server now lets us hold (it shrank its window after
 * the chain was built), so none of it went: the operation carries on
 * uncompounded, CREATE first, which fits in one credit. */
static void chain_fail(asmb_req *r, int code)
{
    int create = r->command == SMB2_CREATE;
    asmb_fop *f = asmb__fop_enter(r);
    if (!f) return;
    if (code != ASMB_ENOTSUP) {
        asmb__fop_fail_code(f, code, NULL);
    } else if (create) {
        reopen_now(f);
    } /* the middle request and the CLOSE: nothing was sent for them */
}

static void send_chain(asmb_fop *f)
{
    /* Related requests name the handle the CREATE opens with this FileId. */
    f->fid.persistent = f->fid.volatile_ = UINT64_MAX;
    set_state(f, ASMB_FOP_CHAIN);
    f->chain_x_done = f->x_cmd == 0;
    asmb_req *rs[3];
    int n = 0;
    rs[n++] = own_req(f, SMB2_CREATE, 1, create_encode, chain_create_reply, NULL);
    if (rs[0]) rs[0]->on_late = create_late;
    if (f->x_cmd) {
        rs[n] = own_req(f, f->x_cmd, f->x_charge, f->x_encode, f->x_reply, f->x_data);
        n++;
    }
    rs[n++] = own_req(f, SMB2_CLOSE, 1, close_encode, close_reply, NULL);
    for (int i = 0; i < n; i++) {
        if (rs[i]) {
            rs[i]->on_fail = chain_fail;
            continue;
        }
        for (int j = 0; j < n; j++) { /* out of memory: none goes */
            if (!rs[j]) continue;
            asmb_fop *g = asmb__fop_enter(rs[j]);
            (void)g;
            asmb__req_free(rs[j]);
        }
        asmb__fop_fail_code(f, ASMB_ENOMEM, NULL);
        return;
    }
    asmb__req_submit_chain(rs, n, f->timeout_ms);
}

/* Admitted: read ahead (prepare), then the chain or the CREATE. */
static void go(asmb_fop *f)
{
    if (f->prepare) {
        asmb__fop_hold(f); /* prepare may call the caller's source */
        f->prepare(f);
        if (asmb__fop_unhold(f)) return;
    }
    /* A chain goes in one frame, so its credits must fit the window at once. */
    uint32_t chain_charge = 2u + (f->x_charge ? f->x_charge : 1u);
    if (f->has_middle && !f->c->cfg.no_compound && chain_charge <= credit_window(f->c))
        send_chain(f);
    else
        send_create(f);
}

/* Idempotent: an admitted operation stays WAITING until it sends. */
static void wait_unlink(asmb_conn *c, asmb_fop *f)
{
    fop_queue *q = queue_of(c);
    if (!f->wprev && q->head != f) return; /* not in the queue (any more) */
    if (f->wprev) f->wprev->wnext = f->wnext; else q->head = f->wnext;
    if (f->wnext) f->wnext->wprev = f->wprev; else q->tail = f->wprev;
    f->wnext = f->wprev = NULL;
}

/* A slot is the operation's until it is freed (its buffers with it). */
static void take_slot(asmb_conn *c, asmb_fop *f)
{
    fop_queue *q = queue_of(c);
    q->active++;
    q->moved = c->now;
    f->slot = 1;
}

/* Slots freed: admit waiting operations in order. A loop, not recursion:
 * one admitted here may end at once (connection gone) and free its slot.
 * Waiting behind others does not use up an operation's timeout while the
 * queue moves (10,000 stores issued at once all complete); a queue that did
 * not move for a whole timeout means the server stopped answering, and those
 * that waited that long time out as a request would. */
static void admit_waiting(asmb_conn *c)
{
    fop_queue *q = queue_of(c);
    if (q->admitting) return; /* the loop below goes on */
    q->admitting = 1;
    while (q->head && q->active < ASMB_FOP_ACTIVE_MAX) {
        asmb_fop *f = q->head;
        uint64_t since = f->wait_since > q->moved ? f->wait_since : q->moved;
        wait_unlink(c, f);
        take_slot(c, f);
        if (c->state != ASMB_ST_READY)
            asmb__fop_fail_code(f, ASMB_ENOTCONN, NULL);
        else if (f->timeout_ms && c->now - since >= f->timeout_ms)
            asmb__fop_fail_code(f, ASMB_ETIMEDOUT, NULL);
        else
            go(f);
    }
    q->admitting = 0;
}

static void tree_ready(asmb_conn *c, asmb_tree *t, const asmb_failure *fail, void *arg)
{
    asmb_fop *f = arg;
    f->refs--;
    if (f->state == ASMB_FOP_DONE) {
        maybe_free(f);
        return;
    }
    if (fail) {
        end_with_failure(f, fail);
        return;
    }
    f->tree_id = t->info.tree_id;
    fop_queue *q = queue_of(c);
    if (q->active >= ASMB_FOP_ACTIVE_MAX || q->head) {
        set_state(f, ASMB_FOP_WAITING); /* behind the others: FIFO */
        f->wait_since = c->now;
        f->wprev = q->tail;
        if (q->tail) q->tail->wnext = f; else q->head = f;
        q->tail = f;
        return;
    }
    take_slot(c, f);
    go(f);
}

/* Cancel: the deferred is failed by asmb_deferred_cancel; here the operation
 * stops asking, tells the server, and closes what it opened. */
static void fop_cancel(void *arg)
{
    asmb_fop *f = arg;
    f->d = NULL;
    if (f->state == ASMB_FOP_WAITING) wait_unlink(f->c, f);
    set_state(f, ASMB_FOP_DONE);
    if (f->opened) {
        f->opened = 0;
        asmb__close_orphan(f->c, f->tree_id, f->fid);
    }
    f->refs++; /* hold f while requests are canceled (queued ones finish at once) */
    asmb_req *r = f->reqs;
    while (r) {
        asmb_req *next = r->onext;
        asmb__req_cancel(r);
        r = next;
    }
    if (asmb__tree_unwait(f->c, f) == 0) f->refs--; /* was waiting for its tree */
    f->refs--;
    maybe_free(f);
}

void asmb__fop_start(asmb_fop *f, asmb_deferred *d)
{
    f->d = d;
    if (d) {
        d->cancel = fop_cancel;
        d->op = f;
    }
    f->refs++; /* the tree wait */
    set_state(f, ASMB_FOP_TREE);
    if (asmb__tree_get(f->c, f->share, f->timeout_ms, tree_ready, f)) {
        f->refs--;
        asmb__fop_fail_code(f, ASMB_ENOMEM, NULL);
    }
}

/* The checks and the CREATE parameters both kinds of simple operation share. */
static int new_op(asmb_conn *c, size_t size, const char *share, const char *path,
                  const char *what, uint32_t access, uint32_t disposition, uint32_t options,
                  const asmb_opts *opts, asmb_deferred **out, asmb_fop **f)
{
    if (!c || !out) return ASMB_EINVAL;
    int rc = asmb__conn_check_ready(c);
    if (!rc) rc = asmb__fop_new(c, size, share, path, what, opts, f);
    if (rc) return rc;
    (*f)->cr.desired_access = access;
    (*f)->cr.disposition = disposition;
    (*f)->cr.options = options;
    return 0;
}

int asmb__simple_op(asmb_conn *c, size_t size, const char *share, const char *path,
                    const char *what, uint32_t access, uint32_t disposition, uint32_t options,
                    void (*on_open)(asmb_fop *),
                    void *(*make_result)(asmb_fop *, void (**)(void *)),
                    void (*cleanup)(asmb_fop *), const asmb_opts *opts, asmb_deferred **out)
{
    asmb_fop *f;
    int rc = new_op(c, size, share, path, what, access, disposition, options, opts, out, &f);
    if (rc) return rc;
    f->on_open = on_open;
    f->make_result = make_result;
    f->cleanup = cleanup;
    return asmb__fop_launch(f, out);
}

int asmb__fop_launch(asmb_fop *f, asmb_deferred **out)
{
    asmb_deferred *d;
    int rc = asmb__op_begin(f->c, out, &d);
    if (rc) {
        asmb__fop_discard(f);
        return rc;
    }
    *out = d;
    asmb__fop_start(f, d);
    return 0;
}

int asmb__compound_op(asmb_conn *c, size_t size, const char *share, const char *path,
                      const char *what, uint32_t access, uint32_t disposition, uint32_t options,
                      uint16_t x_cmd, int (*x_encode)(asmb_req *, asmb_wr *),
                      void (*x_reply)(asmb_req *, const asmb_reply *),
                      void *(*make_result)(asmb_fop *, void (**)(void *)),
                      void (*cleanup)(asmb_fop *), const asmb_opts *opts, asmb_deferred **out)
{
    asmb_fop *f;
    int rc = new_op(c, size, share, path, what, access, disposition, options, opts, out, &f);
    if (rc) return rc;
    asmb__fop_middle(f, x_cmd, x_encode, x_reply);
    f->make_result = make_result;
    f->cleanup = cleanup;
    return asmb__fop_launch(f, out);
}

ASMB_API void asmb_file_info_clear(asmb_file_info *info)
{
    if (info) asmb__file_info_clear(info);
}
