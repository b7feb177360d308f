/* AES-CCM / AES-GCM through OpenSSL for the SMB3 transform (MS-SMB2 3.1.4.3). */
#include <limits.h>

#include <openssl/evp.h>

#include "../mem.h"
#include "asmb/asmb.h"
#include "crypto.h"

struct asmb_aead {
    EVP_CIPHER_CTX *ctx;
    int ccm, encrypt;
};

static const struct { int cipher; const char *name; size_t key, nonce; int ccm; } ciphers[] = {
    {ASMB_CIPHER_AES_128_CCM, "AES-128-CCM", 16, 11, 1},
    {ASMB_CIPHER_AES_128_GCM, "AES-128-GCM", 16, 12, 0},
    {ASMB_CIPHER_AES_256_CCM, "AES-256-CCM", 32, 11, 1},
    {ASMB_CIPHER_AES_256_GCM, "AES-256-GCM", 32, 12, 0},
};

static int find(int cipher)
{
    for (size_t i = 0; i < ASMB_ARRAY_LEN(ciphers); i++)
        if (ciphers[i].cipher == cipher) return (int)i;
    return -1;
}

ASMB_API const char *asmb_cipher_name(int cipher)
{
    if (cipher == ASMB_CIPHER_NONE) return "none";
    int i = find(cipher);
    return i < 0 ? "" : ciphers[i].name;
}

size_t asmb__aead_nonce_len(int cipher)
{
    int i = find(cipher);
    return i < 0 ? 0 : ciphers[i].nonce;
}

size_t asmb__aead_key_len(int cipher)
{
    int i = find(cipher);
    return i < 0 ? 0 : ciphers[i].key;
}

asmb_aead *asmb__aead_new(asmb_crypto *c, int cipher, const uint8_t *key, int encrypt)
{
    int i = find(cipher);
    if (i < 0) return NULL;
    const EVP_CIPHER *ci = asmb__crypto_cipher(c, ciphers[i].name); /* shared, fetched once */
    asmb_aead *a = asmb__calloc(1, sizeof *a);
    if (!a || !ci || !(a->ctx = EVP_CIPHER_CTX_new())) goto fail;
    a->ccm = ciphers[i].ccm;
    a->encrypt = encrypt;
    /* The nonce length (and for CCM the tag length) must be set before the key. */
    if (!EVP_CipherInit_ex(a->ctx, ci, NULL, NULL, NULL, encrypt) ||
        !EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_IVLEN, (int)ciphers[i].nonce, NULL) ||
        (a->ccm && !EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG, 16, NULL)) ||
        !EVP_CipherInit_ex(a->ctx, NULL, NULL, key, NULL, encrypt))
        goto fail;
    return a;
fail:
    asmb__aead_free(a);
    return NULL;
}

void asmb__aead_free(asmb_aead *a)
{
    if (!a) return;
    EVP_CIPHER_CTX_free(a->ctx);
    asmb__free(a);
}

/* Nonce, (CCM: tag and total length), AAD, then the data in place. */
static int run(asmb_aead *a, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
               uint8_t *buf, size_t len, const uint8_t *tag_in)
{
    int outl;
    if (len > INT_MAX || aad_len > INT_MAX) return ASMB_EINVAL;
    if (a->ccm && !a->encrypt &&
        !EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG, 16, (void *)tag_in))
        return asmb__crypto_error();
    if (!EVP_CipherInit_ex(a->ctx, NULL, NULL, NULL, nonce, a->encrypt)) return asmb__crypto_error();
    if (a->ccm && !EVP_CipherUpdate(a->ctx, NULL, &outl, NULL, (int)len)) return asmb__crypto_error();
    if (!EVP_CipherUpdate(a->ctx, NULL, &outl, aad, (int)aad_len)) return asmb__crypto_error();
    /* CCM checks the tag inside this call when decrypting. */
    if (!EVP_CipherUpdate(a->ctx, buf, &outl, buf, (int)len))
        return a->encrypt ? asmb__crypto_error() : ASMB_EDECRYPT;
    return 0;
}

int asmb__aead_seal(asmb_aead *a, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                    uint8_t *buf, size_t len, uint8_t tag[16])
{
    int outl, rc = run(a, nonce, aad, aad_len, buf, len, NULL);
    if (rc) return rc;
    if (!a->ccm && !EVP_CipherFinal_ex(a->ctx, buf + len, &outl)) return asmb__crypto_error();
    return EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag) ? 0 : asmb__crypto_error();
}

int asmb__aead_open(asmb_aead *a, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                    uint8_t *buf, size_t len, const uint8_t tag[16])
{
    int outl, rc = run(a, nonce, aad, aad_len, buf, len, tag);
    if (rc || a->ccm) return rc;
    if (!EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG, 16, (void *)tag)) return asmb__crypto_error();
    return EVP_CipherFinal_ex(a->ctx, buf + len, &outl) ? 0 : ASMB_EDECRYPT;
}
