/* retrieve_file(_from_offset): CREATE, READs in file order into the sink,
 * CLOSE (MS-SMB2 3.2.4.19). Reads stop at the end of file learnt from the
 * CREATE response, so no extra round trip asks past it. */
#include <errno.h>
#include <unistd.h>

#include "../mem.h"
#include "../ntstatus.h"
#include "fileop.h"

typedef struct retrieve_op {
    asmb_fop f;
    asmb_sink sink;
    uint64_t offset, end, next;
    int64_t max_length;
    uint32_t chunk, asked;
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

static void send_read(retrieve_op *op);

static int read_encode(asmb_req *r, asmb_wr *w)
{
    retrieve_op *op = r->ctx;
    return asmb__read_encode(w, op->f.fid, op->next, op->asked);
}

static void read_reply(asmb_req *r, const asmb_reply *rep)
{
    asmb_fop *f = asmb__fop_enter(r);
    if (!f) return;
    retrieve_op *op = (retrieve_op *)f;
    if (asmb__ntstatus_of(rep) == ASMB_STATUS_END_OF_FILE) {
        asmb__fop_complete(f);
        return;
    }
    const uint8_t *data;
    size_t n;
    if (asmb__fop_check(f, rep, asmb__read_decode(rep->msg, rep->len, &data, &n))) return;
    if (n > op->asked) {
        asmb__fop_fail_code(f, ASMB_EPROTO, "more data than asked for");
        return;
    }
    asmb__fop_hold(f);
    int rc = n ? asmb__sink_put(&op->sink, data, n) : 0;
    if (asmb__fop_unhold(f)) return; /* the sink canceled or closed */
    if (rc) {
        asmb__fop_fail_code(f, ASMB_ELOCAL, "the sink refused the data");
        return;
    }
    op->res.bytes += n;
    op->next += n;
    if (n == 0 || op->next >= op->end)
        asmb__fop_complete(f);
    else
        send_read(op);
}

static void send_read(retrieve_op *op)
{
    uint64_t left = op->end - op->next;
    op->asked = left < op->chunk ? (uint32_t)left : op->chunk;
    if (asmb__fop_send(&op->f, SMB2_READ, asmb__io_charge(op->f.c, op->asked), read_encode,
                       read_reply, NULL))
        asmb__fop_fail_code(&op->f, ASMB_ENOMEM, NULL);
}

static void opened(asmb_fop *f)
{
    retrieve_op *op = (retrieve_op *)f;
    uint64_t eof = f->created.t.end_of_file;
    op->end = eof;
    if (op->max_length >= 0 && (uint64_t)op->max_length < eof - op->offset && op->offset < eof)
        op->end = op->offset + (uint64_t)op->max_length;
    op->next = op->offset;
    op->chunk = asmb__io_chunk(f->c, f->c->info.max_read_size);
    if (op->max_length == 0 || op->offset >= op->end)
        asmb__fop_complete(f);
    else
        send_read(op);
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
    return asmb__fop_launch(f, out);
}

ASMB_API int asmb_retrieve_file(asmb_conn *c, const char *share, const char *path,
                                const asmb_sink *sink, const asmb_opts *opts, asmb_deferred **out)
{
    return asmb_retrieve_file_from_offset(c, share, path, sink, 0, -1, opts, out);
}
