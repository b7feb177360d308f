/* SMB2 packet header (MS-SMB2 2.2.1) and checks shared by every reply. */
#include <string.h>

#include "asmb/asmb_errno.h"
#include "smb2.h"

void asmb__hdr_encode(uint8_t out[SMB2_HDR_LEN], const asmb_smb2_hdr *h)
{
    memset(out, 0, SMB2_HDR_LEN);
    asmb_st32(out, SMB2_PROTO_ID);
    asmb_st16(out + 4, SMB2_HDR_LEN);
    asmb_st16(out + 6, h->credit_charge);
    asmb_st32(out + 8, h->status);
    asmb_st16(out + 12, h->command);
    asmb_st16(out + 14, h->credits);
    asmb_st32(out + 16, h->flags);
    asmb_st32(out + 20, h->next_command);
    asmb_st64(out + 24, h->msg_id);
    if (h->flags & SMB2_FLAGS_ASYNC_COMMAND) {
        asmb_st64(out + 32, h->async_id);
    } else {
        asmb_st32(out + 36, h->tree_id);
    }
    asmb_st64(out + 40, h->session_id);
}

int asmb__hdr_decode(const uint8_t *p, size_t len, asmb_smb2_hdr *h)
{
    if (len < SMB2_HDR_LEN || asmb_le32(p) != SMB2_PROTO_ID || asmb_le16(p + 4) != SMB2_HDR_LEN)
        return ASMB_EPROTO;
    h->credit_charge = asmb_le16(p + 6);
    h->status = asmb_le32(p + 8);
    h->command = asmb_le16(p + 12);
    h->credits = asmb_le16(p + 14);
    h->flags = asmb_le32(p + 16);
    h->next_command = asmb_le32(p + 20);
    h->msg_id = asmb_le64(p + 24);
    h->async_id = (h->flags & SMB2_FLAGS_ASYNC_COMMAND) ? asmb_le64(p + 32) : 0;
    h->tree_id = (h->flags & SMB2_FLAGS_ASYNC_COMMAND) ? 0 : asmb_le32(p + 36);
    h->session_id = asmb_le64(p + 40);
    return 0;
}

int asmb__body_check(const uint8_t *body, size_t len, uint16_t structure_size)
{
    /* Fixed part = StructureSize rounded down to even (the odd bit says a
     * variable buffer follows, which may be a single byte or empty). */
    size_t fixed = structure_size & ~1u;
    if (len < 2 || len < fixed) return ASMB_EPROTO;
    return asmb_le16(body) == structure_size ? 0 : ASMB_EPROTO;
}

const uint8_t *asmb__msg_buffer(const uint8_t *msg, size_t msg_len, size_t off, size_t n)
{
    if (n == 0) return msg + (off <= msg_len ? off : msg_len); /* empty: never read */
    if (off < SMB2_HDR_LEN || off > msg_len || n > msg_len - off) return NULL;
    return msg + off;
}
