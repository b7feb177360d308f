/* list_snapshots: FSCTL_SRV_ENUMERATE_SNAPSHOTS on an open file or directory
 * (MS-SMB2 2.2.31, 2.2.32.2, 3.3.5.15.1). As pysmb does: a first IOCTL with
 * MaxOutputResponse 16 learns NumberOfSnapShots and SnapShotArraySize; when
 * there are snapshots, a second one with 12 + SnapShotArraySize gets the
 * @GMT tokens. Should the list grow in between (the second answer holds no
 * array again), the size is asked anew, a few times at most. */
#include <string.h>

#include "../mem.h"
#include "../ntstatus.h"
#include "../wire/smb2_ioctl.h"
#include "fileop.h"

#define FIRST_MAX_OUT 16u
#define MAX_ARRAY (16u << 20) /* never ask for more than this */
#define MAX_TRIES 4           /* IOCTLs in all */

typedef struct snap_op {
    asmb_fop f;
    uint32_t max_out;
    int tries;
    asmb_snapshot_list *list;
} snap_op;

void asmb__snapshot_list_free(void *p);

void asmb__snapshot_list_free(void *p)
{
    asmb_snapshot_list *l = p;
    if (!l) return;
    asmb__free(l->times);
    asmb__free(l->tokens);
    asmb__free(l);
}

static asmb_snapshot_list *make_list(const asmb_snapshots *s)
{
    asmb_snapshot_list *l = asmb__calloc(1, sizeof *l);
    if (!l) return NULL;
    if (s->count) {
        l->times = asmb__calloc(s->count, sizeof *l->times);
        l->tokens = asmb__calloc(s->count, sizeof *l->tokens);
        if (!l->times || !l->tokens) {
            asmb__snapshot_list_free(l);
            return NULL;
        }
        for (size_t i = 0; i < s->count; i++) {
            l->times[i] = s->items[i].time;
            memcpy(l->tokens[i], s->items[i].token, sizeof l->tokens[i]);
        }
    }
    l->count = s->count;
    return l;
}

static void *make_result(asmb_fop *f, void (**free_fn)(void *))
{
    snap_op *op = (snap_op *)f;
    asmb_snapshot_list *l = op->list;
    op->list = NULL;
    *free_fn = asmb__snapshot_list_free;
    return l;
}

static void cleanup(asmb_fop *f) { asmb__snapshot_list_free(((snap_op *)f)->list); }

static void ask(snap_op *op);

static int enum_encode(asmb_req *r, asmb_wr *w)
{
    snap_op *op = r->ctx;
    return asmb__ioctl_encode(w, op->f.fid, FSCTL_SRV_ENUMERATE_SNAPSHOTS, NULL, 0, op->max_out,
                              1);
}

static void enum_reply(asmb_req *r, const asmb_reply *rep)
{
    asmb_fop *f = asmb__fop_enter(r);
    if (!f) return;
    snap_op *op = (snap_op *)f;
    uint32_t st = asmb__ntstatus_of(rep);
    /* A server may flag a short buffer as a warning with the header as data. */
    if (st != ASMB_STATUS_SUCCESS && st != ASMB_STATUS_BUFFER_OVERFLOW) {
        asmb__fop_fail_status(f, st);
        return;
    }
    const uint8_t *out;
    size_t n;
    asmb_snapshots s;
    int rc = asmb__ioctl_decode(rep->msg, rep->len, &out, &n);
    if (!rc) rc = asmb__snapshots_parse(out, n, &s);
    if (rc == ASMB_ENOMEM) {
        asmb__fop_fail_code(f, ASMB_ENOMEM, NULL);
        return;
    }
    if (rc) {
        asmb__fop_fail_code(f, ASMB_EPROTO, "malformed snapshot array");
        return;
    }
    if (s.returned == 0 && s.number > 0) { /* the array did not fit: ask with its size */
        uint32_t limit = f->c->info.max_transact_size;
        if (!limit || limit > MAX_ARRAY) limit = MAX_ARRAY;
        if (s.array_size < 2 || s.array_size > limit - 12) {
            asmb__fop_fail_code(f, ASMB_EPROTO, "impossible snapshot array size");
            return;
        }
        if (op->tries >= MAX_TRIES) {
            asmb__fop_fail_code(f, ASMB_EPROTO, "the snapshot array never fit");
            return;
        }
        op->max_out = 12 + s.array_size;
        ask(op);
        return;
    }
    op->list = make_list(&s);
    asmb__snapshots_free(&s);
    if (!op->list) {
        asmb__fop_fail_code(f, ASMB_ENOMEM, NULL);
        return;
    }
    asmb__fop_complete(f);
}

static void ask(snap_op *op)
{
    op->tries++;
    if (asmb__fop_send(&op->f, SMB2_IOCTL, asmb__io_charge(op->f.c, op->max_out), enum_encode,
                       enum_reply, NULL))
        asmb__fop_fail_code(&op->f, ASMB_ENOMEM, NULL);
}

static void opened(asmb_fop *f)
{
    snap_op *op = (snap_op *)f;
    op->max_out = FIRST_MAX_OUT;
    ask(op);
}

ASMB_API int asmb_list_snapshots(asmb_conn *c, const char *share, const char *path,
                                 const asmb_opts *opts, asmb_deferred **out)
{
    asmb_opts o = {0};
    if (opts) o.timeout_ms = opts->timeout_ms; /* the live file's list */
    return asmb__simple_op(c, sizeof(snap_op), share, path, "listing the snapshots of",
                           SMB2_FILE_READ_DATA | SMB2_FILE_READ_ATTRIBUTES | SMB2_SYNCHRONIZE,
                           SMB2_FILE_OPEN, 0, opened, make_result, cleanup, &o, out);
}

ASMB_API void asmb_snapshot_list_free(asmb_snapshot_list *list)
{
    asmb__snapshot_list_free(list);
}
