/* store_file(_from_offset): CREATE (overwrite-if, or open-if to resume),
 * optionally truncate to the offset, WRITEs from the source, CLOSE
 * (MS-SMB2 3.2.4.20). */
#include <errno.h>
#include <unistd.h>

#include "../mem.h"
#include "fileop.h"

/* One WRITE in flight with its own buffer; buffers are recycled. */
typedef struct wb {
    struct wb *next; /* spare list */
    struct wb *all;  /* every buffer of the operation, for cleanup */
    uint8_t *buf;
    size_t cap;
    uint32_t len;
    uint64_t offset;
} wb;

typedef struct store_op {
    asmb_fop f;
    asmb_source src;
    uint64_t offset;
    int flags, src_eof;
    uint32_t chunk;
    size_t bufsize; /* starts small: many small stores at once stay cheap */
    unsigned inflight, window;
    wb *spare, *all;
    wb *ready; /* read ahead of the CREATE, not sent yet (in order) */
    asmb_store_result res;
} store_op;

#define FIRST_BUF (64u * 1024u)

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

static void fill(store_op *op);
static void opened(asmb_fop *f);

static int write_encode(asmb_req *r, asmb_wr *w)
{
    store_op *op = r->ctx;
    wb *b = r->data;
    return asmb__write_encode(w, op->f.fid, b->offset, b->buf, b->len) < 0 ? ASMB_ENOMEM : 0;
}

static void recycle(store_op *op, wb *b)
{
    if (b->cap != op->bufsize) { /* outgrown: give the memory back now */
        asmb__free(b->buf);
        b->buf = NULL;
        b->cap = 0;
        return;
    }
    b->next = op->spare;
    op->spare = b;
}

static void write_reply(asmb_req *r, const asmb_reply *rep)
{
    wb *b = r->data;
    asmb_fop *f = asmb__fop_enter(r);
    if (!f) return; /* over: cleanup frees every buffer */
    store_op *op = (store_op *)f;
    op->inflight--;
    uint32_t count = 0, len = b->len;
    int rc = asmb__write_decode(rep->msg, rep->len, &count);
    recycle(op, b); /* before any failure: that may free the operation */
    if (asmb__fop_check(f, rep, rc)) return;
    if (count != len) {
        asmb__fop_fail_code(f, ASMB_EPROTO, "short write");
        return;
    }
    op->res.bytes += count;
    fill(op);
}

/* A buffer of the current size, filled from the source; NULL at its end. */
static wb *next_buffer(store_op *op, int *err)
{
    wb *b = op->spare;
    if (b) {
        op->spare = b->next;
    } else {
        b = asmb__calloc(1, sizeof *b);
        if (!b) {
            *err = ASMB_ENOMEM;
            return NULL;
        }
        b->all = op->all;
        op->all = b;
        if (!(b->buf = asmb__malloc(op->bufsize))) {
            *err = ASMB_ENOMEM;
            return NULL;
        }
        b->cap = op->bufsize;
    }
    asmb__fop_hold(&op->f);
    long n = source_get(&op->src, b->buf, b->cap);
    if (asmb__fop_unhold(&op->f)) n = 0, *err = 1; /* the source canceled or closed */
    else if (n < 0) *err = ASMB_ELOCAL;
    if (n <= 0 || *err) {
        recycle(op, b);
        op->src_eof = !*err;
        return NULL;
    }
    /* A full buffer: the source may have more; grow by 4 up to the chunk
     * (a source that ends just there costs a small buffer, not a chunk). */
    if ((size_t)n == b->cap && op->bufsize < op->chunk)
        op->bufsize = op->bufsize * 4 < op->chunk ? op->bufsize * 4 : op->chunk;
    b->len = (uint32_t)n;
    return b;
}

/* Sends the WRITE of b (its reply: write_reply); the frame is sized for it. */
static void send_write(store_op *op, wb *b)
{
    if (asmb__fop_send_sized(&op->f, SMB2_WRITE, asmb__io_charge(op->f.c, b->len),
                             (size_t)b->len + 64, write_encode, write_reply, b))
        asmb__fop_fail_code(&op->f, ASMB_ENOMEM, NULL);
}

/* Keeps up to window WRITEs in flight, in source order. */
static void fill(store_op *op)
{
    asmb__fop_hold(&op->f); /* a send can fail at once and end the operation */
    while (!asmb__fop_over(&op->f) && (op->ready || !op->src_eof) && op->inflight < op->window) {
        int err = 0;
        wb *b = op->ready;
        if (b) op->ready = b->next;
        else b = next_buffer(op, &err);
        if (err == 1) break; /* ended by the source's callback */
        if (err) {
            asmb__fop_fail_code(&op->f, err, err == ASMB_ELOCAL ? "the source failed" : NULL);
            break;
        }
        if (!b) break;
        b->offset = op->offset;
        op->offset += b->len;
        op->inflight++;
        send_write(op, b);
    }
    if (!asmb__fop_over(&op->f) && op->src_eof && !op->ready && op->inflight == 0)
        asmb__fop_complete(&op->f);
    asmb__fop_unhold(&op->f);
}

/* A WRITE that the server's shrunken credit window can't carry any more (it
 * was filled before the shrink and never sent): its bytes go as several
 * WRITEs that fit; the pieces after the first get buffers of their own. */
static int resplit(asmb_fop *f, uint16_t command, void *data)
{
    store_op *op = (store_op *)f;
    wb *b = data, *first = NULL, **link = &first;
    uint32_t chunk = asmb__io_chunk(f->c, f->c->info.max_write_size);
    if (command != SMB2_WRITE || chunk >= b->len) return -1;
    for (uint32_t at = chunk; at < b->len; at += chunk) {
        wb *p = asmb__calloc(1, sizeof *p);
        uint32_t len = b->len - at < chunk ? b->len - at : chunk;
        if (p) {
            p->all = op->all; /* cleanup frees it */
            op->all = p;
            p->buf = asmb__malloc(len);
        }
        if (!p || !p->buf) {
            asmb__fop_fail_code(f, ASMB_ENOMEM, NULL);
            return 0;
        }
        memcpy(p->buf, b->buf + at, len);
        p->cap = p->len = len;
        p->offset = b->offset + at;
        *link = p; /* in file order, through the (unused here) spare link */
        link = &p->next;
    }
    b->len = chunk;
    b->next = first;
    asmb__fop_hold(f);
    for (wb *p = b, *next; p && !asmb__fop_over(f); p = next) {
        next = p->next;
        p->next = NULL;
        if (p != b) op->inflight++;
        send_write(op, p);
    }
    asmb__fop_unhold(f);
    return 0;
}

static void sizes(store_op *op)
{
    asmb_conn *c = op->f.c;
    op->chunk = asmb__io_chunk(c, c->info.max_write_size);
    op->bufsize = op->chunk < FIRST_BUF ? op->chunk : FIRST_BUF;
    op->window = c->cfg.io_window;
}

/* Before the CREATE, once the operation is admitted (fileop.c: a store
 * waiting behind others holds no buffer): read the source ahead; a file that
 * fits in the first buffer goes as one compound CREATE+WRITE+CLOSE (one
 * round trip). The second read tells whether it ended there. */
static void prepare(asmb_fop *f)
{
    store_op *op = (store_op *)f;
    sizes(op);
    if (op->flags & ASMB_STORE_TRUNCATE) return; /* SET_INFO first: not one chain */
    int err = 0;
    wb *b = next_buffer(op, &err), *more = NULL;
    if (!err && b) more = next_buffer(op, &err); /* ended there? */
    if (err) {
        if (b) recycle(op, b);
        if (err != 1) asmb__fop_fail_code(f, err, err == ASMB_ELOCAL ? "the source failed" : NULL);
        return;
    }
    if (!b) { /* empty: CREATE + CLOSE */
        asmb__fop_middle(f, 0, NULL, NULL);
        f->on_open = opened;
        return;
    }
    if (more || !op->src_eof) { /* larger: the buffers go first once the file is open */
        b->next = more;
        if (more) more->next = NULL;
        op->ready = b;
        return;
    }
    b->offset = op->offset;
    op->offset += b->len;
    op->inflight = 1;
    asmb__fop_middle(f, SMB2_WRITE, write_encode, write_reply);
    f->x_data = b;
    f->on_open = opened; /* when not compounding: the buffer is sent by fill */
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
    fill((store_op *)f);
}

static void opened(asmb_fop *f)
{
    store_op *op = (store_op *)f;
    if (f->x_data) { /* read ahead for a compound that did not happen */
        wb *b = f->x_data;
        f->x_data = NULL;
        op->offset = b->offset;
        op->inflight = 0;
        b->next = op->ready;
        op->ready = b;
    }
    if (op->flags & ASMB_STORE_TRUNCATE) {
        if (asmb__fop_send(f, SMB2_SET_INFO, 1, eof_encode, eof_reply, NULL))
            asmb__fop_fail_code(f, ASMB_ENOMEM, NULL);
        return;
    }
    fill(op);
}

static void cleanup(asmb_fop *f)
{
    store_op *op = (store_op *)f;
    while (op->all) {
        wb *b = op->all;
        op->all = b->all;
        asmb__free(b->buf);
        asmb__free(b);
    }
}

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
    f->prepare = prepare;
    f->make_result = make_result;
    f->cleanup = cleanup;
    f->resplit = resplit;
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
