/* WRITE request and response (MS-SMB2 2.2.21, 2.2.22). */
#include <limits.h>

#include "asmb/asmb_errno.h"
#include "smb2_file.h"


long asmb__write_encode(asmb_wr *w, asmb_fid fid, uint64_t offset, const void *data, uint32_t n)
{
    asmb_wr_u16(w, 49);
    asmb_wr_u16(w, SMB2_HDR_LEN + ASMB_WRITE_REQ_FIXED); /* DataOffset */
    asmb_wr_u32(w, n);                              /* Length */
    asmb_wr_u64(w, offset);
    asmb_wr_u64(w, fid.persistent);
    asmb_wr_u64(w, fid.volatile_);
    asmb_wr_u32(w, 0); /* Channel: none */
    asmb_wr_u32(w, 0); /* RemainingBytes */
    asmb_wr_u16(w, 0); /* WriteChannelInfoOffset */
    asmb_wr_u16(w, 0); /* WriteChannelInfoLength */
    asmb_wr_u32(w, 0); /* Flags */
    size_t pos = w->len;
    if (n == 0)
        asmb_wr_u8(w, 0); /* the Buffer is never empty on the wire */
    else if (data)
        asmb_wr_bytes(w, data, n);
    else
        asmb_wr_zero(w, n);
    if (w->err || pos > (size_t)LONG_MAX) return -1;
    return (long)pos;
}

int asmb__write_decode(const uint8_t *msg, size_t len, uint32_t *count)
{
    if (len < SMB2_HDR_LEN || asmb__body_check(msg + SMB2_HDR_LEN, len - SMB2_HDR_LEN, 17))
        return ASMB_EPROTO;
    *count = asmb_le32(msg + SMB2_HDR_LEN + 4);
    return 0;
}
