/* SMB3 encryption: the TRANSFORM_HEADER around a message (MS-SMB2 2.2.41,
 * 3.1.4.3, 3.2.4.1.8, 3.2.5.1.1.1). Keys come from session.c; the AEAD from
 * crypto/aead.c. Encrypted messages are not signed: the AEAD tag covers them. */
#include <string.h>

#include "../mem.h"
#include "conn.h"

#define NONCE_OFF 20
#define AAD_LEN 32 /* Nonce through SessionId */

void asmb__nonce_next(uint64_t *ctr, const uint8_t salt[4], size_t nonce_len, uint8_t out[16])
{
    /* Unique per key (3.1.4.3): a 64-bit message counter, then a per-session
     * random salt in the remaining nonce bytes; the rest of the field is zero. */
    memset(out, 0, 16);
    asmb_st64(out, (*ctr)++);
    memcpy(out + 8, salt, nonce_len - 8);
}

int asmb__enc_setup(asmb_conn *c)
{
    c->enc = asmb__aead_new(c->crypto, c->cipher, c->enc_key, 1);
    c->dec = asmb__aead_new(c->crypto, c->cipher, c->dec_key, 0);
    /* The cipher is one we offered and the default provider has: no
     * object means no memory. */
    if (!c->enc || !c->dec) return ASMB_ENOMEM;
    return asmb__random(c->crypto, c->nonce_salt, sizeof c->nonce_salt);
}

void asmb__enc_free(asmb_conn *c)
{
    asmb__aead_free(c->enc);
    asmb__aead_free(c->dec);
    c->enc = c->dec = NULL;
}

int asmb__enc_seal(asmb_conn *c, uint8_t *t, size_t msg_len)
{
    if (msg_len > 0xFFFFFFFFu) return ASMB_EINVAL;
    asmb_st32(t, SMB2_TRANSFORM_ID);
    asmb__nonce_next(&c->nonce_ctr, c->nonce_salt, asmb__aead_nonce_len(c->cipher),
                     t + NONCE_OFF);
    asmb_st32(t + 36, (uint32_t)msg_len);
    asmb_st16(t + 40, 0);
    asmb_st16(t + 42, 1); /* Flags: Encrypted (3.1.1); EncryptionAlgorithm AES-128-CCM (3.0) */
    asmb_st64(t + 44, c->session_id);
    return asmb__aead_seal(c->enc, t + NONCE_OFF, t + NONCE_OFF, AAD_LEN, t + SMB2_TRANSFORM_LEN,
                           msg_len, t + 4);
}

int asmb__enc_open(asmb_conn *c, uint8_t *p, size_t len, uint8_t **msg, size_t *msg_len)
{
    if (!c->dec) return ASMB_EPROTO; /* encrypted before any key: not ours */
    if (len < SMB2_TRANSFORM_LEN + SMB2_HDR_LEN || asmb_le32(p) != SMB2_TRANSFORM_ID ||
        asmb_le32(p + 36) != len - SMB2_TRANSFORM_LEN || asmb_le16(p + 42) != 1 ||
        asmb_le64(p + 44) != c->session_id)
        return ASMB_EPROTO;
    int rc = asmb__aead_open(c->dec, p + NONCE_OFF, p + NONCE_OFF, AAD_LEN,
                             p + SMB2_TRANSFORM_LEN, len - SMB2_TRANSFORM_LEN, p + 4);
    if (rc) return rc;
    *msg = p + SMB2_TRANSFORM_LEN;
    *msg_len = len - SMB2_TRANSFORM_LEN;
    return 0;
}

int asmb__enc_wanted(const asmb_conn *c, uint32_t tree_id)
{
    if (!c->enc) return 0;
    if (c->encrypt_all) return 1;
    for (const asmb_tree *t = c->trees; t; t = t->next)
        if (t->state == ASMB_TREE_CONNECTED && t->info.tree_id == tree_id)
            return !!(t->info.share_flags & SMB2_SHAREFLAG_ENCRYPT_DATA);
    return 0;
}
