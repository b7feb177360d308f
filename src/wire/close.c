/* CLOSE request and response (MS-SMB2 2.2.15, 2.2.16). */
#include "asmb/asmb_errno.h"
#include "smb2_file.h"

int asmb__close_encode(asmb_wr *w, asmb_fid fid, uint16_t flags)
{
    asmb_wr_u16(w, 24);
    asmb_wr_u16(w, flags);
    asmb_wr_u32(w, 0); /* Reserved */
    asmb_wr_u64(w, fid.persistent);
    asmb_wr_u64(w, fid.volatile_);
    return w->err ? ASMB_ENOMEM : 0;
}

int asmb__close_decode(const uint8_t *msg, size_t len, asmb_file_times *out)
{
    if (len < SMB2_HDR_LEN || asmb__body_check(msg + SMB2_HDR_LEN, len - SMB2_HDR_LEN, 60))
        return ASMB_EPROTO;
    const uint8_t *b = msg + SMB2_HDR_LEN;
    /* The attributes are valid only with SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB. */
    if (!out || !(asmb_le16(b + 2) & SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB)) return 0;
    out->create_time = asmb_le64(b + 8);
    out->access_time = asmb_le64(b + 16);
    out->write_time = asmb_le64(b + 24);
    out->change_time = asmb_le64(b + 32);
    out->alloc_size = asmb_le64(b + 40);
    out->end_of_file = asmb_le64(b + 48);
    out->attributes = asmb_le32(b + 56);
    return 0;
}
