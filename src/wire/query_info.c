/* QUERY_INFO request and response (MS-SMB2 2.2.37, 2.2.38) and the
 * FileAllInformation they return (MS-FSCC 2.4.2). */
#include "asmb/asmb_errno.h"
#include "smb2_file.h"

#define QINFO_REQ_FIXED 40 /* Buffer at 64 + 40 = 0x68 */

int asmb__query_info_encode(asmb_wr *w, asmb_fid fid, uint8_t info_type, uint8_t info_class,
                            uint32_t additional, uint32_t out_len)
{
    asmb_wr_u16(w, 41);
    asmb_wr_u8(w, info_type);
    asmb_wr_u8(w, info_class);
    asmb_wr_u32(w, out_len);                        /* OutputBufferLength */
    asmb_wr_u16(w, SMB2_HDR_LEN + QINFO_REQ_FIXED); /* InputBufferOffset, as Windows sends */
    asmb_wr_u16(w, 0);                              /* Reserved */
    asmb_wr_u32(w, 0);                              /* InputBufferLength */
    asmb_wr_u32(w, additional);                     /* AdditionalInformation */
    asmb_wr_u32(w, 0);                              /* Flags */
    asmb_wr_u64(w, fid.persistent);
    asmb_wr_u64(w, fid.volatile_);
    asmb_wr_u8(w, 0); /* Buffer: one byte, never empty */
    return w->err ? ASMB_ENOMEM : 0;
}

int asmb__query_info_decode(const uint8_t *msg, size_t len, const uint8_t **buf,
                            size_t *buf_len)
{
    if (len < SMB2_HDR_LEN || asmb__body_check(msg + SMB2_HDR_LEN, len - SMB2_HDR_LEN, 9))
        return ASMB_EPROTO;
    const uint8_t *b = msg + SMB2_HDR_LEN;
    size_t off = asmb_le16(b + 2), n = asmb_le32(b + 4);
    const uint8_t *p = asmb__msg_buffer(msg, len, off, n);
    if (!p) return ASMB_EPROTO;
    *buf = p;
    *buf_len = n;
    return 0;
}

/* FileAllInformation: Basic (0, 40 bytes), Standard (40, 24), Internal (64),
 * EA (72), Access (76), Position (80), Mode (88), Alignment (92), Name (96:
 * FileNameLength u32 + name). The name is not used, and may be cut short or
 * absent (a too-small buffer), so only the 96 bytes before it are required. */
int asmb__parse_all_info(const uint8_t *buf, size_t len, asmb_all_info *out)
{
    if (!buf || len < 96) return ASMB_EPROTO;
    out->t.create_time = asmb_le64(buf);
    out->t.access_time = asmb_le64(buf + 8);
    out->t.write_time = asmb_le64(buf + 16);
    out->t.change_time = asmb_le64(buf + 24);
    out->t.attributes = asmb_le32(buf + 32);
    out->t.alloc_size = asmb_le64(buf + 40);
    out->t.end_of_file = asmb_le64(buf + 48);
    out->nlinks = asmb_le32(buf + 56);
    out->delete_pending = buf[60];
    out->directory = buf[61];
    out->file_id = asmb_le64(buf + 64);
    return 0;
}
