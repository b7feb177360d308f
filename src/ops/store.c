/* store_file(_from_offset): CREATE (overwrite-if, or open-if to resume),
 * optionally truncate to the offset, WRITEs from the source, CLOSE
 * (MS-SMB2 3.2.4.20). */
#include <errno.h>
#include <unistd.h>

#include "../mem.h"
#include "fileop.h"

typedef struct store_op {
    asmb_fop f;
    asmb_source src;
    uint64_t offset;
    int flags;
    uint8_t *buf;
    uint32_t chunk, len;
    asmb_store_result res;
} store_op;

static long source_get(const asmb_source *s, uint8_t *buf, size_t n)
{
    if (s->read) return s->read(s->arg, buf, n);
    size_t got = 0; /* fill the chunk: pipes return short reads */
    while (got < n) {
        ssize_t r = read(s->fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (long)got;
}

static void send_write(store_op *op);

static int write_encode(asmb_req *r, asmb_wr *w)
{
    store_op *op = r->ctx;
    return asmb__write_encode(w, op->f.fid, op->offset, op->buf, op->len) < 0 ? ASMB_ENOMEM : 0;
}

static void write_reply(asmb_req *r, const asmb_reply *rep)
{
    asmb_fop *f = asmb__fop_enter(r);
    if (!f) return;
    store_op *op = (store_op *)f;
    uint32_t count = 0;
    if (asmb__fop_check(f, rep, asmb__write_decode(rep->msg, rep->len, &count))) return;
    if (count != op->len) {
        asmb__fop_fail_code(f, ASMB_EPROTO, "short write");
        return;
    }
    op->offset += count;
    op->res.bytes += count;
    send_write(op);
}

static void send_write(store_op *op)
{
    asmb__fop_hold(&op->f);
    long n = source_get(&op->src, op->buf, op->chunk);
    if (asmb__fop_unhold(&op->f)) return; /* the source canceled or closed */
    if (n < 0) {
        asmb__fop_fail_code(&op->f, ASMB_ELOCAL, "the source failed");
        return;
    }
    if (n == 0) {
        asmb__fop_complete(&op->f);
        return;
    }
    op->len = (uint32_t)n;
    if (asmb__fop_send(&op->f, SMB2_WRITE, asmb__io_charge(op->f.c, op->len), write_encode,
                       write_reply, NULL))
        asmb__fop_fail_code(&op->f, ASMB_ENOMEM, NULL);
}

static int eof_encode(asmb_req *r, asmb_wr *w)
{
    store_op *op = r->ctx;
    asmb_wr info;
    asmb_wr_init(&info);
    int rc = asmb__info_end_of_file(&info, op->offset);
    if (!rc)
        rc = asmb__set_info_encode(w, op->f.fid, SMB2_0_INFO_FILE,
                                   SMB2_FILE_END_OF_FILE_INFORMATION, 0, info.data,
                                   (uint32_t)info.len);
    asmb_wr_free(&info);
    return rc;
}

static void eof_reply(asmb_req *r, const asmb_reply *rep)
{
    asmb_fop *f = asmb__fop_enter(r);
    if (!f || asmb__fop_check(f, rep, asmb__set_info_decode(rep->msg, rep->len))) return;
    send_write((store_op *)f);
}

static void opened(asmb_fop *f)
{
    store_op *op = (store_op *)f;
    op->chunk = asmb__io_chunk(f->c, f->c->info.max_write_size);
    op->buf = asmb__malloc(op->chunk);
    if (!op->buf) {
        asmb__fop_fail_code(f, ASMB_ENOMEM, NULL);
        return;
    }
    if (op->flags & ASMB_STORE_TRUNCATE) {
        if (asmb__fop_send(f, SMB2_SET_INFO, 1, eof_encode, eof_reply, NULL))
            asmb__fop_fail_code(f, ASMB_ENOMEM, NULL);
        return;
    }
    send_write(op);
}

static void cleanup(asmb_fop *f) { asmb__free(((store_op *)f)->buf); }

static void *make_result(asmb_fop *f, void (**free_fn)(void *))
{
    asmb_store_result *r = asmb__malloc(sizeof *r);
    if (!r) return NULL;
    *r = ((store_op *)f)->res;
    *free_fn = asmb__free;
    return r;
}

static int store_start(asmb_conn *c, const char *share, const char *path,
                       const asmb_source *src, uint64_t offset, int flags, uint32_t disposition,
                       const asmb_opts *opts, asmb_deferred **out)
{
    if (!c || !src || !out || (flags & ~ASMB_STORE_TRUNCATE)) return ASMB_EINVAL;
    int rc = asmb__conn_check_ready(c);
    if (rc) return rc;
    asmb_fop *f;
    rc = asmb__fop_new(c, sizeof(store_op), share, path, "storing", opts, &f);
    if (rc) return rc;
    store_op *op = (store_op *)f;
    op->src = *src;
    op->offset = offset;
    op->flags = flags;
    f->cr.desired_access = SMB2_FILE_WRITE_DATA | SMB2_FILE_APPEND_DATA |
                           SMB2_FILE_READ_ATTRIBUTES | SMB2_FILE_WRITE_ATTRIBUTES |
                           SMB2_SYNCHRONIZE;
    f->cr.file_attributes = SMB2_ATTR_NORMAL;
    f->cr.disposition = disposition;
    f->cr.options = SMB2_FILE_NON_DIRECTORY_FILE;
    f->on_open = opened;
    f->make_result = make_result;
    f->cleanup = cleanup;
    return asmb__fop_launch(f, out);
}

/* Resume or append: the file is created when missing, kept otherwise. */
ASMB_API int asmb_store_file_from_offset(asmb_conn *c, const char *share, const char *path,
                                         const asmb_source *src, uint64_t offset, int flags,
                                         const asmb_opts *opts, asmb_deferred **out)
{
    return store_start(c, share, path, src, offset, flags, SMB2_FILE_OPEN_IF, opts, out);
}

/* pysmb's storeFile: always create or truncate (FILE_OVERWRITE_IF). */
ASMB_API int asmb_store_file(asmb_conn *c, const char *share, const char *path,
                             const asmb_source *src, const asmb_opts *opts, asmb_deferred **out)
{
    return store_start(c, share, path, src, 0, 0, SMB2_FILE_OVERWRITE_IF, opts, out);
}
