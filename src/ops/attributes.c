/* get_attributes (QUERY_INFO FileAllInformation), reset_file_attributes
 * (SET_INFO FileBasicInformation) and get_security (QUERY_INFO security). */
#include <string.h>

#include "../mem.h"
#include "../ntstatus.h"
#include "asmb/asmb_sync.h"
#include "fileop.h"

typedef struct attr_op {
    asmb_fop f;
    asmb_all_info all;
    asmb_secdesc sd;
    int have_sd;
} attr_op;

/* ---- get_attributes ---- */

static int all_encode(asmb_req *r, asmb_wr *w)
{
    asmb_fop *f = r->ctx;
    return asmb__query_info_encode(w, f->fid, SMB2_0_INFO_FILE, SMB2_FILE_ALL_INFORMATION, 0,
                                   4096);
}

static void all_reply(asmb_req *r, const asmb_reply *rep)
{
    asmb_fop *f = asmb__fop_enter(r);
    if (!f) return;
    attr_op *op = (attr_op *)f;
    const uint8_t *buf;
    size_t len;
    int rc = asmb__query_info_decode(rep->msg, rep->len, &buf, &len);
    uint32_t st = asmb__ntstatus_of(rep);
    /* A long path overflows the name at the end; the fixed part we use is
     * there (STATUS_BUFFER_OVERFLOW is a warning with data, MS-SMB2 3.3.4.4). */
    if (st == ASMB_STATUS_BUFFER_OVERFLOW) st = 0;
    if (!rc && st == 0) rc = asmb__parse_all_info(buf, len, &op->all);
    if (st) {
        asmb__fop_fail_status(f, st);
        return;
    }
    if (rc) {
        asmb__fop_fail_code(f, ASMB_EPROTO, "malformed reply");
        return;
    }
    asmb__fop_complete(f);
}

static void info_free(void *p)
{
    asmb__file_info_clear(p);
    asmb__free(p);
}

static void *all_result(asmb_fop *f, void (**free_fn)(void *))
{
    attr_op *op = (attr_op *)f;
    asmb_file_info *fi = asmb__malloc(sizeof *fi);
    if (!fi) return NULL;
    if (asmb__file_info_set(fi, &op->all.t, asmb__path_last(f->path), NULL, op->all.file_id)) {
        asmb__free(fi);
        return NULL;
    }
    *free_fn = info_free;
    return fi;
}

ASMB_API int asmb_get_attributes(asmb_conn *c, const char *share, const char *path,
                                 const asmb_opts *opts, asmb_deferred **out)
{
    return asmb__compound_op(c, sizeof(attr_op), share, path, "getting attributes of",
                             SMB2_FILE_READ_ATTRIBUTES | SMB2_SYNCHRONIZE, SMB2_FILE_OPEN, 0,
                             SMB2_QUERY_INFO, all_encode, all_reply, all_result, NULL, opts, out);
}

/* ---- reset_file_attributes ---- */

static int basic_encode(asmb_req *r, asmb_wr *w)
{
    asmb_fop *f = r->ctx;
    asmb_file_times t;
    memset(&t, 0, sizeof t);
    t.attributes = SMB2_ATTR_NORMAL; /* clears every other attribute */
    asmb_wr info;
    asmb_wr_init(&info);
    int rc = asmb__info_basic(&info, &t);
    if (!rc)
        rc = asmb__set_info_encode(w, f->fid, SMB2_0_INFO_FILE, SMB2_FILE_BASIC_INFORMATION, 0,
                                   info.data, (uint32_t)info.len);
    asmb_wr_free(&info);
    return rc;
}

static void set_reply(asmb_req *r, const asmb_reply *rep)
{
    asmb_fop *f = asmb__fop_enter(r);
    if (!f || asmb__fop_check(f, rep, asmb__set_info_decode(rep->msg, rep->len))) return;
    asmb__fop_complete(f);
}

ASMB_API int asmb_reset_file_attributes(asmb_conn *c, const char *share, const char *path,
                                        const asmb_opts *opts, asmb_deferred **out)
{
    return asmb__compound_op(c, sizeof(attr_op), share, path, "resetting attributes of",
                             SMB2_FILE_WRITE_ATTRIBUTES | SMB2_FILE_READ_ATTRIBUTES |
                                 SMB2_SYNCHRONIZE,
                             SMB2_FILE_OPEN, 0, SMB2_SET_INFO, basic_encode, set_reply, NULL, NULL,
                             opts, out);
}

/* ---- get_security ---- */

static int sec_encode(asmb_req *r, asmb_wr *w)
{
    asmb_fop *f = r->ctx;
    return asmb__query_info_encode(w, f->fid, SMB2_0_INFO_SECURITY, 0,
                                   SMB2_OWNER_SECURITY_INFORMATION |
                                       SMB2_GROUP_SECURITY_INFORMATION |
                                       SMB2_DACL_SECURITY_INFORMATION,
                                   65536);
}

static void sec_reply(asmb_req *r, const asmb_reply *rep)
{
    asmb_fop *f = asmb__fop_enter(r);
    if (!f) return;
    attr_op *op = (attr_op *)f;
    const uint8_t *buf;
    size_t len;
    int rc = asmb__query_info_decode(rep->msg, rep->len, &buf, &len);
    if (!rc && asmb__ntstatus_of(rep) == 0) {
        rc = asmb__secdesc_parse(buf, len, &op->sd);
        op->have_sd = rc == 0;
    }
    if (asmb__fop_check(f, rep, rc)) return;
    asmb__fop_complete(f);
}

ASMB_API void asmb_security_free(asmb_security *sec)
{
    if (!sec) return;
    asmb__free(sec->aces);
    asmb__free(sec);
}

static void sec_free(void *p) { asmb_security_free(p); }

static void *sec_result(asmb_fop *f, void (**free_fn)(void *))
{
    attr_op *op = (attr_op *)f;
    asmb_security *s = asmb__calloc(1, sizeof *s);
    if (!s) return NULL;
    s->control = op->sd.control;
    memcpy(s->owner, op->sd.owner.s, sizeof s->owner);
    memcpy(s->group, op->sd.group.s, sizeof s->group);
    if (!op->sd.has_owner) s->owner[0] = 0;
    if (!op->sd.has_group) s->group[0] = 0;
    s->has_dacl = op->sd.has_dacl;
    s->aces = asmb__calloc(op->sd.nace ? op->sd.nace : 1, sizeof *s->aces);
    if (!s->aces) {
        asmb__free(s);
        return NULL;
    }
    s->nace = op->sd.nace;
    for (size_t i = 0; i < s->nace; i++) {
        s->aces[i].type = op->sd.aces[i].type;
        s->aces[i].flags = op->sd.aces[i].flags;
        s->aces[i].mask = op->sd.aces[i].mask;
        memcpy(s->aces[i].sid, op->sd.aces[i].sid.s, sizeof s->aces[i].sid);
    }
    *free_fn = sec_free;
    return s;
}

static void sec_cleanup(asmb_fop *f)
{
    attr_op *op = (attr_op *)f;
    if (op->have_sd) asmb__secdesc_free(&op->sd);
}

ASMB_API int asmb_get_security(asmb_conn *c, const char *share, const char *path,
                               const asmb_opts *opts, asmb_deferred **out)
{
    return asmb__compound_op(c, sizeof(attr_op), share, path, "reading the security of",
                             SMB2_READ_CONTROL | SMB2_SYNCHRONIZE, SMB2_FILE_OPEN, 0,
                             SMB2_QUERY_INFO, sec_encode, sec_reply, sec_result, sec_cleanup, opts,
                             out);
}
