/* create_directory, delete_directory, rename, and deleting one file
 * (CREATE + SET_INFO FileDispositionInformation / FileRenameInformation + CLOSE). */
#include <string.h>

#include "../mem.h"
#include "dirs.h"

typedef struct name_op {
    asmb_fop f;
    char *new_path; /* rename target, normalised */
    int replace;
} name_op;

ASMB_API int asmb_create_directory(asmb_conn *c, const char *share, const char *path,
                                   const asmb_opts *opts, asmb_deferred **out)
{
    return asmb__compound_op(c, sizeof(name_op), share, path, "creating directory",
                             SMB2_FILE_READ_ATTRIBUTES | SMB2_SYNCHRONIZE, SMB2_FILE_CREATE,
                             SMB2_FILE_DIRECTORY_FILE, 0, NULL, NULL, NULL, NULL, opts, out);
}

/* ---- delete (disposition) ---- */

static int disp_encode(asmb_req *r, asmb_wr *w)
{
    asmb_fop *f = r->ctx;
    uint8_t one = 1; /* DeletePending (MS-FSCC 2.4.11) */
    return asmb__set_info_encode(w, f->fid, SMB2_0_INFO_FILE, SMB2_FILE_DISPOSITION_INFORMATION,
                                 0, &one, 1);
}

static void set_reply(asmb_req *r, const asmb_reply *rep)
{
    asmb_fop *f = asmb__fop_enter(r);
    if (!f || asmb__fop_check(f, rep, asmb__set_info_decode(rep->msg, rep->len))) return;
    asmb__fop_complete(f);
}

ASMB_API int asmb_delete_directory(asmb_conn *c, const char *share, const char *path,
                                   const asmb_opts *opts, asmb_deferred **out)
{
    return asmb__compound_op(c, sizeof(name_op), share, path, "deleting directory",
                             SMB2_DELETE | SMB2_FILE_READ_ATTRIBUTES | SMB2_SYNCHRONIZE,
                             SMB2_FILE_OPEN, SMB2_FILE_DIRECTORY_FILE, SMB2_SET_INFO, disp_encode,
                             set_reply, NULL, NULL, opts, out);
}

int asmb__delete_new(asmb_conn *c, const char *share, const char *path, int directory,
                     const asmb_opts *opts, asmb_fop **out)
{
    int rc = asmb__fop_new(c, sizeof(name_op), share, path,
                           directory ? "deleting directory" : "deleting", opts, out);
    if (rc) return rc;
    asmb_fop *f = *out;
    f->cr.desired_access = SMB2_DELETE | SMB2_FILE_READ_ATTRIBUTES | SMB2_SYNCHRONIZE;
    f->cr.options = directory ? SMB2_FILE_DIRECTORY_FILE : SMB2_FILE_NON_DIRECTORY_FILE;
    asmb__fop_middle(f, SMB2_SET_INFO, disp_encode, set_reply);
    return 0;
}

/* ---- rename ---- */

static int rename_encode(asmb_req *r, asmb_wr *w)
{
    name_op *op = r->ctx;
    asmb_wr info;
    asmb_wr_init(&info);
    int rc = asmb__info_rename(&info, op->replace, op->new_path);
    if (!rc)
        rc = asmb__set_info_encode(w, op->f.fid, SMB2_0_INFO_FILE, SMB2_FILE_RENAME_INFORMATION,
                                   0, info.data, (uint32_t)info.len);
    asmb_wr_free(&info);
    return rc;
}

static void rename_cleanup(asmb_fop *f) { asmb__free(((name_op *)f)->new_path); }

ASMB_API int asmb_rename(asmb_conn *c, const char *share, const char *old_path,
                         const char *new_path, int flags, const asmb_opts *opts,
                         asmb_deferred **out)
{
    if (!c || !out || !new_path || (flags & ~ASMB_RENAME_REPLACE)) return ASMB_EINVAL;
    int rc = asmb__conn_check_ready(c);
    if (rc) return rc;
    asmb_fop *f;
    rc = asmb__fop_new(c, sizeof(name_op), share, old_path, "renaming", opts, &f);
    if (rc) return rc;
    name_op *op = (name_op *)f;
    f->cleanup = rename_cleanup;
    op->new_path = asmb__path_normalise(new_path, &rc);
    if (!op->new_path || !*op->new_path || !*f->path) {
        if (rc == ASMB_EINVAL) asmb__arg_utf8(c, "new path", new_path);
        asmb__fop_discard(f);
        return rc ? rc : ASMB_EINVAL;
    }
    op->replace = flags & ASMB_RENAME_REPLACE;
    f->cr.desired_access = SMB2_DELETE | SMB2_FILE_READ_ATTRIBUTES | SMB2_SYNCHRONIZE;
    asmb__fop_middle(f, SMB2_SET_INFO, rename_encode, set_reply);
    return asmb__fop_launch(f, out);
}
