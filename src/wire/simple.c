/* The four commands whose request and response bodies are just
 * StructureSize 4 + Reserved: LOGOFF (2.2.7/2.2.8), TREE_DISCONNECT
 * (2.2.11/2.2.12), ECHO (2.2.28/2.2.29) and CANCEL (2.2.30, no response). */
#include "asmb/asmb_errno.h"
#include "smb2.h"

int asmb__simple_encode(asmb_wr *w)
{
    asmb_wr_u16(w, 4);
    asmb_wr_u16(w, 0);
    return w->err ? ASMB_ENOMEM : 0;
}

int asmb__simple_decode(const uint8_t *msg, size_t len)
{
    if (len < SMB2_HDR_LEN) return ASMB_EPROTO;
    return asmb__body_check(msg + SMB2_HDR_LEN, len - SMB2_HDR_LEN, 4);
}
