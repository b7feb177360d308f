/* SET_INFO request and response (MS-SMB2 2.2.39, 2.2.40) and the info
 * buffers it carries (MS-FSCC 2.4.7, 2.4.11, 2.4.14, 2.4.37.2). */
#include <string.h>

#include "asmb/asmb_errno.h"
#include "smb2_file.h"

#define SETINFO_REQ_FIXED 32 /* Buffer at 64 + 32 = 0x60 */

int asmb__set_info_encode(asmb_wr *w, asmb_fid fid, uint8_t info_type, uint8_t info_class,
                          uint32_t additional, const void *buf, uint32_t buf_len)
{
    if (buf_len && !buf) return ASMB_EINVAL;
    asmb_wr_u16(w, 33);
    asmb_wr_u8(w, info_type);
    asmb_wr_u8(w, info_class);
    asmb_wr_u32(w, buf_len);                          /* BufferLength */
    asmb_wr_u16(w, SMB2_HDR_LEN + SETINFO_REQ_FIXED); /* BufferOffset */
    asmb_wr_u16(w, 0);                                /* Reserved */
    asmb_wr_u32(w, additional);                       /* AdditionalInformation */
    asmb_wr_u64(w, fid.persistent);
    asmb_wr_u64(w, fid.volatile_);
    if (buf_len)
        asmb_wr_bytes(w, buf, buf_len);
    else
        asmb_wr_u8(w, 0); /* the Buffer is never empty on the wire */
    return w->err ? ASMB_ENOMEM : 0;
}

int asmb__set_info_decode(const uint8_t *msg, size_t len)
{
    if (len < SMB2_HDR_LEN) return ASMB_EPROTO;
    return asmb__body_check(msg + SMB2_HDR_LEN, len - SMB2_HDR_LEN, 2);
}

/* FileBasicInformation (MS-FSCC 2.4.7): four FILETIMEs, FileAttributes,
 * Reserved. 0 leaves a time (or the attributes) unchanged. */
int asmb__info_basic(asmb_wr *w, const asmb_file_times *t)
{
    asmb_file_times none;
    if (!t) {
        memset(&none, 0, sizeof none);
        t = &none;
    }
    asmb_wr_u64(w, t->create_time);
    asmb_wr_u64(w, t->access_time);
    asmb_wr_u64(w, t->write_time);
    asmb_wr_u64(w, t->change_time);
    asmb_wr_u32(w, t->attributes);
    asmb_wr_u32(w, 0);
    return w->err ? ASMB_ENOMEM : 0;
}

/* FileRenameInformation, SMB2 form (MS-FSCC 2.4.37.2): ReplaceIfExists,
 * Reserved[7], RootDirectory (0), FileNameLength, FileName. Windows rejects
 * a buffer shorter than its structure (24 bytes), so short names are padded. */
int asmb__info_rename(asmb_wr *w, int replace, const char *new_name)
{
    if (!new_name || !*new_name) return ASMB_EINVAL;
    size_t start = w->len;
    asmb_wr_u8(w, replace ? 1 : 0);
    asmb_wr_zero(w, 7);
    asmb_wr_u64(w, 0); /* RootDirectory */
    asmb_wr_u32(w, 0); /* FileNameLength, patched */
    if (w->err) return ASMB_ENOMEM;
    size_t n0 = w->len;
    int rc = asmb_utf8_to_utf16le(w, new_name, strlen(new_name));
    size_t n = w->len - n0;
    if (!rc && n > 0xFFFF) rc = ASMB_EINVAL; /* a path longer than any server takes */
    if (rc) {
        if (!w->err) w->len = start;
        return rc;
    }
    asmb_wr_put_u32(w, start + 16, (uint32_t)n);
    if (w->len - start < 24) asmb_wr_zero(w, 24 - (w->len - start));
    return w->err ? ASMB_ENOMEM : 0;
}

/* FileDispositionInformation (MS-FSCC 2.4.11): DeletePending. */
int asmb__info_disposition(asmb_wr *w, int delete_pending)
{
    asmb_wr_u8(w, delete_pending ? 1 : 0);
    return w->err ? ASMB_ENOMEM : 0;
}

/* FileEndOfFileInformation (MS-FSCC 2.4.14): EndOfFile. */
int asmb__info_end_of_file(asmb_wr *w, uint64_t eof)
{
    asmb_wr_u64(w, eof);
    return w->err ? ASMB_ENOMEM : 0;
}
