/* TREE_CONNECT request and response (MS-SMB2 2.2.9, 2.2.10). */
#include <string.h>

#include "asmb/asmb_errno.h"
#include "smb2.h"

int asmb__tree_connect_encode(asmb_wr *w, const char *path)
{
    size_t start = w->len;
    asmb_wr_u16(w, 9);
    asmb_wr_u16(w, 0);                 /* Flags */
    asmb_wr_u16(w, SMB2_HDR_LEN + 8);  /* PathOffset */
    asmb_wr_u16(w, 0);                 /* PathLength, patched */
    size_t p0 = w->len;
    int rc = asmb_utf8_to_utf16le(w, path, strlen(path));
    if (rc) return rc;
    size_t plen = w->len - p0;
    if (plen > 0xFFFF) return ASMB_EINVAL;
    asmb_wr_put_u16(w, start + 6, (uint16_t)plen);
    if (plen == 0) asmb_wr_u8(w, 0); /* the variable part is never empty on the wire */
    return w->err ? ASMB_ENOMEM : 0;
}

int asmb__tree_connect_decode(const uint8_t *msg, size_t len, asmb_tree_resp *out)
{
    if (len < SMB2_HDR_LEN || asmb__body_check(msg + SMB2_HDR_LEN, len - SMB2_HDR_LEN, 16))
        return ASMB_EPROTO;
    const uint8_t *b = msg + SMB2_HDR_LEN;
    out->share_type = b[2];
    out->share_flags = asmb_le32(b + 4);
    out->capabilities = asmb_le32(b + 8);
    out->maximal_access = asmb_le32(b + 12);
    return 0;
}
