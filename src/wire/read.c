/* READ request and response (MS-SMB2 2.2.19, 2.2.20). */
#include "asmb/asmb_errno.h"
#include "smb2_file.h"

int asmb__read_encode(asmb_wr *w, asmb_fid fid, uint64_t offset, uint32_t length)
{
    asmb_wr_u16(w, 49);
    asmb_wr_u8(w, 0x50); /* Padding: where Windows wants the data of the reply */
    asmb_wr_u8(w, 0);    /* Flags */
    asmb_wr_u32(w, length);
    asmb_wr_u64(w, offset);
    asmb_wr_u64(w, fid.persistent);
    asmb_wr_u64(w, fid.volatile_);
    asmb_wr_u32(w, 0); /* MinimumCount */
    asmb_wr_u32(w, 0); /* Channel: none */
    asmb_wr_u32(w, 0); /* RemainingBytes */
    asmb_wr_u16(w, 0); /* ReadChannelInfoOffset */
    asmb_wr_u16(w, 0); /* ReadChannelInfoLength */
    asmb_wr_u8(w, 0);  /* Buffer: one byte, never empty */
    return w->err ? ASMB_ENOMEM : 0;
}

int asmb__read_decode(const uint8_t *msg, size_t len, const uint8_t **data, size_t *data_len)
{
    if (len < SMB2_HDR_LEN || asmb__body_check(msg + SMB2_HDR_LEN, len - SMB2_HDR_LEN, 17))
        return ASMB_EPROTO;
    const uint8_t *b = msg + SMB2_HDR_LEN;
    size_t off = b[2]; /* DataOffset: one byte, from the header start */
    size_t n = asmb_le32(b + 4);
    const uint8_t *d = asmb__msg_buffer(msg, len, off, n);
    if (!d) return ASMB_EPROTO;
    *data = d;
    *data_len = n;
    return 0;
}
