/* CREATE request and response (MS-SMB2 2.2.13, 2.2.14). */
#include <string.h>

#include "asmb/asmb_errno.h"
#include "smb2_file.h"

#define CREATE_REQ_FIXED 56 /* the Buffer starts at 64 + 56 = 0x78 */

int asmb__create_encode(asmb_wr *w, const asmb_create_req *r)
{
    if (!r || (r->contexts_len && !r->contexts) || r->contexts_len > 0xFFFFFFFFu - 0x20000)
        return ASMB_EINVAL;
    const char *name = r->name ? r->name : "";
    size_t start = w->len;
    asmb_wr_u16(w, 57);
    asmb_wr_u8(w, 0);  /* SecurityFlags */
    asmb_wr_u8(w, 0);  /* RequestedOplockLevel: SMB2_OPLOCK_LEVEL_NONE */
    asmb_wr_u32(w, 2); /* ImpersonationLevel: Impersonation */
    asmb_wr_u64(w, 0); /* SmbCreateFlags */
    asmb_wr_u64(w, 0); /* Reserved */
    asmb_wr_u32(w, r->desired_access);
    asmb_wr_u32(w, r->file_attributes);
    asmb_wr_u32(w, r->share_access);
    asmb_wr_u32(w, r->disposition);
    asmb_wr_u32(w, r->options);
    asmb_wr_u16(w, SMB2_HDR_LEN + CREATE_REQ_FIXED); /* NameOffset */
    asmb_wr_u16(w, 0);                               /* NameLength, patched */
    asmb_wr_u32(w, 0);                               /* CreateContextsOffset, patched */
    asmb_wr_u32(w, 0);                               /* CreateContextsLength, patched */
    if (w->err) return ASMB_ENOMEM;

    size_t n0 = w->len;
    int rc = asmb_utf8_to_utf16le(w, name, strlen(name));
    size_t nlen = w->len - n0;
    if (!rc && nlen > 0xFFFF) rc = ASMB_EINVAL;
    if (rc) {
        if (!w->err) w->len = start;
        return rc;
    }
    asmb_wr_put_u16(w, start + 46, (uint16_t)nlen);
    if (r->contexts_len) {
        /* 8-aligned from the header start; the header is 64 bytes long, so
         * aligning the body position is the same. */
        while ((w->len - start) % 8) asmb_wr_u8(w, 0);
        asmb_wr_put_u32(w, start + 48, (uint32_t)(SMB2_HDR_LEN + w->len - start));
        asmb_wr_put_u32(w, start + 52, (uint32_t)r->contexts_len);
        asmb_wr_bytes(w, r->contexts, r->contexts_len);
    } else if (nlen == 0) {
        asmb_wr_u8(w, 0); /* the Buffer is never empty on the wire */
    }
    return w->err ? ASMB_ENOMEM : 0;
}

int asmb__create_decode(const uint8_t *msg, size_t len, asmb_create_resp *out)
{
    if (len < SMB2_HDR_LEN || asmb__body_check(msg + SMB2_HDR_LEN, len - SMB2_HDR_LEN, 89))
        return ASMB_EPROTO;
    const uint8_t *b = msg + SMB2_HDR_LEN;
    /* The contexts are not returned, but a reply pointing outside itself is
     * malformed all the same. */
    size_t coff = asmb_le32(b + 80), clen = asmb_le32(b + 84);
    if (clen && !asmb__msg_buffer(msg, len, coff, clen)) return ASMB_EPROTO;
    out->oplock = b[2];
    out->create_action = asmb_le32(b + 4);
    out->t.create_time = asmb_le64(b + 8);
    out->t.access_time = asmb_le64(b + 16);
    out->t.write_time = asmb_le64(b + 24);
    out->t.change_time = asmb_le64(b + 32);
    out->t.alloc_size = asmb_le64(b + 40);
    out->t.end_of_file = asmb_le64(b + 48);
    out->t.attributes = asmb_le32(b + 56);
    out->fid.persistent = asmb_le64(b + 64);
    out->fid.volatile_ = asmb_le64(b + 72);
    return 0;
}
