/* retrieve_file(_from_offset): CREATE, READs in file order into the sink,
 * CLOSE (MS-SMB2 3.2.4.19). Reads stop at the end of file learnt from the
 * CREATE response, so no extra round trip asks past it. */
#include <errno.h>
#include <unistd.h>

#include "../mem.h"
#include "../ntstatus.h"
#include "fileop.h"

/* One READ in flight. Replies may come in any order; data is delivered to
 * the sink in file order: the oldest read's data goes straight from the
 * receive buffer, a younger one's is held (copied) until its turn. */
typedef struct rd {
    struct rd *next;
    uint64_t offset;
    uint32_t len;
    int done;
    uint8_t *held;
    size_t n; /* bytes the server returned */
} rd;

typedef struct retrieve_op {
    asmb_fop f;
    asmb_sink sink;
    uint64_t offset, end, next;
    int64_t max_length;
    uint32_t chunk;
    unsigned inflight, window;
    int eof; /* a short read or STATUS_END_OF_FILE: ask no further */
    rd *head, *tail;
    asmb_retrieve_result res;
} retrieve_op;

int asmb__sink_put(const asmb_sink *s, const uint8_t *p, size_t n);
int asmb__sink_put(const asmb_sink *s, const uint8_t *p, size_t n)
{
    if (s->write) return s->write(s->arg, p, n) < 0 ? ASMB_ELOCAL : 0;
    while (n) {
        ssize_t w = write(s->fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return ASMB_ELOCAL;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void send_reads(retrieve_op *op);

static int read_encode(asmb_req *r, asmb_wr *w)
{
    retrieve_op *op = r->ctx;
    rd *x = r->data;
    return asmb__read_encode(w, op->f.fid, x->offset, x->len);
}

/* Hands the head read's bytes to the sink (data: the reply, or the copy the
 * read holds); 1 when the operation ended. */
static int deliver(retrieve_op *op, const uint8_t *data, size_t n)
{
    rd *x = op->head;
    op->head = x->next;
    if (!op->head) op->tail = NULL;
    if (n < x->len) op->eof = 1; /* the file ends here */
    int rc = 0, ended = 0;
    if (n) {
        asmb__fop_hold(&op->f);
        rc = asmb__sink_put(&op->sink, data, n);
        ended = asmb__fop_unhold(&op->f); /* the sink canceled or closed */
    }
    asmb__free(x->held);
    asmb__free(x);
    if (ended) return 1;
    if (rc) {
        asmb__fop_fail_code(&op->f, ASMB_ELOCAL, "the sink refused the data");
        return 1;
    }
    op->res.bytes += n;
    return 0;
}

static void read_reply(asmb_req *r, const asmb_reply *rep)
{
    rd *x = r->data;
    asmb_fop *f = asmb__fop_enter(r);
    if (!f) return;
    retrieve_op *op = (retrieve_op *)f;
    op->inflight--;
    const uint8_t *data = NULL;
    size_t n = 0;
    if (asmb__ntstatus_of(rep) != ASMB_STATUS_END_OF_FILE) {
        if (asmb__fop_check(f, rep, asmb__read_decode(rep->msg, rep->len, &data, &n))) return;
        if (n > x->len) {
            asmb__fop_fail_code(f, ASMB_EPROTO, "more data than asked for");
            return;
        }
    }
    x->done = 1;
    x->n = n;
    if (x != op->head) { /* early: keep a copy until the reads before it are in */
        if (n && !(x->held = asmb__malloc(n))) {
            asmb__fop_fail_code(f, ASMB_ENOMEM, NULL);
            return;
        }
        if (n) memcpy(x->held, data, n);
    } else if (deliver(op, op->eof ? NULL : data, op->eof ? 0 : n)) {
        return;
    }
    while (op->head && op->head->done) {
        rd *h = op->head;
        size_t hn = op->eof ? 0 : h->n; /* past a short read nothing counts */
        if (deliver(op, h->held, hn)) return;
    }
    if (op->eof) op->next = op->end;
    if (op->inflight == 0 && op->next >= op->end)
        asmb__fop_complete(f);
    else
        send_reads(op);
}

/* Keeps up to window READs in flight, in file order. */
static void send_reads(retrieve_op *op)
{
    asmb__fop_hold(&op->f); /* a send can fail at once and end the operation */
    while (!op->f.done && op->inflight < op->window && op->next < op->end) {
        rd *x = asmb__calloc(1, sizeof *x);
        if (!x) {
            asmb__fop_fail_code(&op->f, ASMB_ENOMEM, NULL);
            break;
        }
        uint64_t left = op->end - op->next;
        x->offset = op->next;
        x->len = left < op->chunk ? (uint32_t)left : op->chunk;
        if (op->tail) op->tail->next = x; else op->head = x;
        op->tail = x;
        op->next += x->len;
        op->inflight++;
        if (asmb__fop_send(&op->f, SMB2_READ, asmb__io_charge(op->f.c, x->len), read_encode,
                           read_reply, x))
            asmb__fop_fail_code(&op->f, ASMB_ENOMEM, NULL);
    }
    asmb__fop_unhold(&op->f);
}

static void opened(asmb_fop *f)
{
    retrieve_op *op = (retrieve_op *)f;
    uint64_t eof = f->created.t.end_of_file;
    op->end = eof;
    if (op->max_length >= 0 && op->offset < eof && (uint64_t)op->max_length < eof - op->offset)
        op->end = op->offset + (uint64_t)op->max_length;
    op->next = op->offset;
    op->chunk = asmb__io_chunk(f->c, f->c->info.max_read_size);
    op->window = f->c->cfg.io_window;
    if (op->max_length == 0 || op->offset >= op->end)
        asmb__fop_complete(f);
    else
        send_reads(op);
}

static void cleanup(asmb_fop *f)
{
    retrieve_op *op = (retrieve_op *)f;
    while (op->head) {
        rd *x = op->head;
        op->head = x->next;
        asmb__free(x->held);
        asmb__free(x);
    }
}

static void result_free(void *p)
{
    asmb_retrieve_result *r = p;
    asmb__file_info_clear(&r->info);
    asmb__free(r);
}

static void *make_result(asmb_fop *f, void (**free_fn)(void *))
{
    retrieve_op *op = (retrieve_op *)f;
    asmb_retrieve_result *r = asmb__malloc(sizeof *r);
    if (!r) return NULL;
    *r = op->res;
    if (asmb__file_info_set(&r->info, &f->created.t, asmb__path_last(f->path), NULL, 0)) {
        asmb__free(r);
        return NULL;
    }
    *free_fn = result_free;
    return r;
}

ASMB_API int asmb_retrieve_file_from_offset(asmb_conn *c, const char *share, const char *path,
                                            const asmb_sink *sink, uint64_t offset,
                                            int64_t max_length, const asmb_opts *opts,
                                            asmb_deferred **out)
{
    if (!c || !sink || !out) return ASMB_EINVAL;
    int rc = asmb__conn_check_ready(c);
    if (rc) return rc;
    asmb_fop *f;
    rc = asmb__fop_new(c, sizeof(retrieve_op), share, path, "retrieving", opts, &f);
    if (rc) return rc;
    retrieve_op *op = (retrieve_op *)f;
    op->sink = *sink;
    op->offset = offset;
    op->max_length = max_length;
    f->cr.desired_access = SMB2_FILE_READ_DATA | SMB2_FILE_READ_ATTRIBUTES | SMB2_SYNCHRONIZE;
    f->cr.options = SMB2_FILE_NON_DIRECTORY_FILE | SMB2_FILE_SEQUENTIAL_ONLY;
    f->on_open = opened;
    f->make_result = make_result;
    f->cleanup = cleanup;
    return asmb__fop_launch(f, out);
}

ASMB_API int asmb_retrieve_file(asmb_conn *c, const char *share, const char *path,
                                const asmb_sink *sink, const asmb_opts *opts, asmb_deferred **out)
{
    return asmb_retrieve_file_from_offset(c, share, path, sink, 0, -1, opts, out);
}
