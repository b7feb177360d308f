/* SESSION_SETUP request and response (MS-SMB2 2.2.5, 2.2.6). */
#include "asmb/asmb_errno.h"
#include "smb2.h"

int asmb__session_setup_encode(asmb_wr *w, uint8_t security_mode, const uint8_t *blob,
                               size_t blob_len)
{
    if (blob_len > 0xFFFF) return ASMB_EINVAL;
    asmb_wr_u16(w, 25);
    asmb_wr_u8(w, 0);             /* Flags: no binding */
    asmb_wr_u8(w, security_mode);
    asmb_wr_u32(w, 0);            /* Capabilities: DFS not used */
    asmb_wr_u32(w, 0);            /* Channel */
    asmb_wr_u16(w, SMB2_HDR_LEN + 24);
    asmb_wr_u16(w, (uint16_t)blob_len);
    asmb_wr_u64(w, 0);            /* PreviousSessionId */
    if (blob_len)
        asmb_wr_bytes(w, blob, blob_len);
    else
        asmb_wr_u8(w, 0);
    return w->err ? ASMB_ENOMEM : 0;
}

int asmb__session_setup_decode(const uint8_t *msg, size_t len, uint16_t *session_flags,
                               const uint8_t **blob, size_t *blob_len)
{
    if (len < SMB2_HDR_LEN || asmb__body_check(msg + SMB2_HDR_LEN, len - SMB2_HDR_LEN, 9))
        return ASMB_EPROTO;
    const uint8_t *b = msg + SMB2_HDR_LEN;
    *session_flags = asmb_le16(b + 2);
    size_t off = asmb_le16(b + 4), n = asmb_le16(b + 6);
    *blob = asmb__msg_buffer(msg, len, off, n);
    *blob_len = n;
    return *blob ? 0 : ASMB_EPROTO;
}
