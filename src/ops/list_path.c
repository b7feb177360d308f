/* list_path: open the directory, QUERY_DIRECTORY (FileIdBothDirectoryInformation)
 * until STATUS_NO_MORE_FILES, filter with pysmb's attribute semantics, CLOSE. */
#include <string.h>

#include "../mem.h"
#include "../ntstatus.h"
#include "fileop.h"
#include "list_path.h"

static void send_query(list_op *op, uint8_t flags);

/* pysmb: an entry whose attributes' low byte is 0 or NORMAL is "normal" and
 * kept only for search == NORMAL or with INCL_NORMAL; others are kept when
 * they share a bit with search. */
static int wanted(uint32_t search, uint32_t attrs)
{
    uint32_t low = attrs & 0xFF;
    if (low == 0 || low == ASMB_ATTR_NORMAL)
        return search == ASMB_ATTR_NORMAL || (search & ASMB_SEARCH_INCL_NORMAL);
    return (attrs & search) != 0;
}

static int add_entry(list_op *op, const asmb_dir_entry *e)
{
    if (op->list.count == op->cap) {
        size_t cap = op->cap ? op->cap * 2 : 16;
        asmb_file_info *p = asmb__realloc(op->list.entries, cap * sizeof *p);
        if (!p) return ASMB_ENOMEM;
        op->list.entries = p;
        op->cap = cap;
    }
    char *name = asmb_utf16le_to_utf8(e->name, e->name_len);
    char *sname = asmb_utf16le_to_utf8(e->short_name, e->short_name_len);
    int rc = name && sname ? asmb__file_info_set(&op->list.entries[op->list.count], &e->t, name,
                                                 sname, e->file_id)
                           : ASMB_ENOMEM;
    asmb__free(name);
    asmb__free(sname);
    if (!rc) op->list.count++;
    return rc;
}

static int query_encode(asmb_req *r, asmb_wr *w)
{
    list_op *op = r->ctx;
    return asmb__query_directory_encode(w, op->f.fid, op->flags, op->pattern, op->out_len);
}

static void query_reply(asmb_req *r, const asmb_reply *rep)
{
    asmb_fop *f = asmb__fop_enter(r);
    if (!f) return;
    list_op *op = (list_op *)f;
    uint32_t st = asmb__ntstatus_of(rep);
    /* No more entries; or, on the first call, nothing matched the pattern. */
    if (st == ASMB_STATUS_NO_MORE_FILES || (st == ASMB_STATUS_NO_SUCH_FILE && op->first)) {
        asmb__fop_complete(f);
        return;
    }
    const uint8_t *buf;
    size_t len;
    if (asmb__fop_check(f, rep, asmb__query_directory_decode(rep->msg, rep->len, &buf, &len)))
        return;
    asmb_dir_iter it;
    asmb_dir_entry e;
    int rc;
    asmb__dir_iter_init(&it, buf, len);
    while ((rc = asmb__dir_iter_next(&it, &e)) == 1) {
        if (!wanted(op->search, e.t.attributes)) continue;
        if (add_entry(op, &e)) {
            asmb__fop_fail_code(f, ASMB_ENOMEM, NULL);
            return;
        }
    }
    if (rc < 0) {
        asmb__fop_fail_code(f, ASMB_EPROTO, "malformed directory entries");
        return;
    }
    op->first = 0;
    send_query(op, 0);
}

static void send_query(list_op *op, uint8_t flags)
{
    op->flags = flags;
    op->out_len = asmb__io_chunk(op->f.c, op->f.c->info.max_transact_size); /* fits the window */
    if (asmb__fop_send(&op->f, SMB2_QUERY_DIRECTORY, asmb__io_charge(op->f.c, op->out_len),
                       query_encode, query_reply, NULL))
        asmb__fop_fail_code(&op->f, ASMB_ENOMEM, NULL);
}

static void opened(asmb_fop *f)
{
    list_op *op = (list_op *)f;
    op->first = 1;
    send_query(op, SMB2_RESTART_SCANS);
}

ASMB_API void asmb_file_list_clear(asmb_file_list *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->count; i++) asmb__file_info_clear(&l->entries[i]);
    asmb__free(l->entries);
    l->entries = NULL;
    l->count = 0;
}

void asmb__file_list_free(void *p)
{
    asmb_file_list_clear(p);
    asmb__free(p);
}

static void *make_result(asmb_fop *f, void (**free_fn)(void *))
{
    list_op *op = (list_op *)f;
    asmb_file_list *l = asmb__malloc(sizeof *l);
    if (!l) return NULL;
    *l = op->list; /* the entries move to the result */
    op->list.entries = NULL;
    op->list.count = 0;
    *free_fn = asmb__file_list_free;
    return l;
}

static void cleanup(asmb_fop *f)
{
    list_op *op = (list_op *)f;
    for (size_t i = 0; i < op->list.count; i++) asmb__file_info_clear(&op->list.entries[i]);
    asmb__free(op->list.entries);
    asmb__free(op->pattern);
}

int asmb__list_new(asmb_conn *c, const char *share, const char *path, uint32_t search,
                   const char *pattern, const asmb_opts *opts, list_op **out)
{
    asmb_fop *f;
    int rc = asmb__fop_new(c, sizeof(list_op), share, path, "listing", opts, &f);
    if (rc) return rc;
    list_op *op = (list_op *)f;
    f->cleanup = cleanup;
    op->search = search;
    op->pattern = asmb__strdup(pattern && *pattern ? pattern : "*");
    rc = op->pattern ? asmb__arg_utf8(c, "pattern", op->pattern) : ASMB_ENOMEM;
    if (rc) {
        asmb__fop_discard(f);
        return rc;
    }
    f->cr.desired_access = SMB2_FILE_LIST_DIRECTORY | SMB2_FILE_READ_ATTRIBUTES |
                           SMB2_SYNCHRONIZE;
    f->cr.options = SMB2_FILE_DIRECTORY_FILE;
    f->on_open = opened;
    f->make_result = make_result;
    *out = op;
    return 0;
}

ASMB_API int asmb_list_path(asmb_conn *c, const char *share, const char *path, uint32_t search,
                            const char *pattern, const asmb_opts *opts, asmb_deferred **out)
{
    if (!c || !out) return ASMB_EINVAL;
    int rc = asmb__conn_check_ready(c);
    if (rc) return rc;
    list_op *op;
    rc = asmb__list_new(c, share, path, search, pattern, opts, &op);
    if (rc) return rc;
    return asmb__fop_launch(&op->f, out);
}
