/* OpenSSL 3 wrappers: a private OSSL_LIB_CTX per asmb_crypto with the default
 * and legacy (MD4, RC4) providers; every algorithm is fetched once in
 * asmb__crypto_new, and the MAC/digest/cipher contexts are kept and re-keyed
 * per call so that SMB2 signing (the hot path) allocates and fetches nothing.
 * AES-GMAC is the AES-128-GCM tag over AAD only (EVP_CIPHER; the EVP_MAC
 * "GMAC" of OpenSSL 3.0 gives the same tags but trips valgrind with AES-NI). */
#include "crypto.h"

#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include "../mem.h"
#include "../wire/buf.h"
#include "asmb/asmb.h"
#include "asmb/asmb_errno.h"

struct asmb_crypto {
    OSSL_LIB_CTX *libctx;
    OSSL_PROVIDER *prov_default, *prov_legacy;
    EVP_MD *md4, *md5, *sha512;
    EVP_MAC *hmac, *cmac;
    EVP_CIPHER *rc4, *aes128gcm;
    EVP_KDF *kbkdf;
    /* Reusable contexts; the MAC ones have their digest/cipher set once. */
    EVP_MD_CTX *md_ctx;
    EVP_MAC_CTX *hmac_md5, *hmac_sha256, *aes_cmac;
    EVP_CIPHER_CTX *gcm_ctx; /* AES-128-GCM set, keyed per call */
};

struct asmb_rc4 {
    EVP_CIPHER_CTX *ctx;
};

/* A MAC context with one string parameter (digest or cipher name) set. */
static EVP_MAC_CTX *mac_ctx_new(EVP_MAC *mac, const char *param, const char *value)
{
    EVP_MAC_CTX *m = EVP_MAC_CTX_new(mac);
    OSSL_PARAM p[2] = {OSSL_PARAM_construct_utf8_string(param, (char *)value, 0),
                       OSSL_PARAM_construct_end()};
    if (m && !EVP_MAC_CTX_set_params(m, p)) {
        EVP_MAC_CTX_free(m);
        m = NULL;
    }
    return m;
}

asmb_crypto *asmb__crypto_new(void)
{
    asmb_crypto *c = asmb__calloc(1, sizeof *c);
    if (!c) return NULL;
    c->libctx = OSSL_LIB_CTX_new();
    if (!c->libctx) goto fail;
    c->prov_default = OSSL_PROVIDER_load(c->libctx, "default");
    c->prov_legacy = OSSL_PROVIDER_load(c->libctx, "legacy");
    if (!c->prov_default || !c->prov_legacy) goto fail;
    c->md4 = EVP_MD_fetch(c->libctx, "MD4", NULL);
    c->md5 = EVP_MD_fetch(c->libctx, "MD5", NULL);
    c->sha512 = EVP_MD_fetch(c->libctx, "SHA512", NULL);
    c->hmac = EVP_MAC_fetch(c->libctx, "HMAC", NULL);
    c->cmac = EVP_MAC_fetch(c->libctx, "CMAC", NULL);
    c->rc4 = EVP_CIPHER_fetch(c->libctx, "RC4", NULL);
    c->aes128gcm = EVP_CIPHER_fetch(c->libctx, "AES-128-GCM", NULL);
    c->kbkdf = EVP_KDF_fetch(c->libctx, "KBKDF", NULL);
    if (!c->md4 || !c->md5 || !c->sha512 || !c->hmac || !c->cmac || !c->rc4 || !c->aes128gcm ||
        !c->kbkdf)
        goto fail;
    c->md_ctx = EVP_MD_CTX_new();
    c->hmac_md5 = mac_ctx_new(c->hmac, OSSL_MAC_PARAM_DIGEST, "MD5");
    c->hmac_sha256 = mac_ctx_new(c->hmac, OSSL_MAC_PARAM_DIGEST, "SHA256");
    c->aes_cmac = mac_ctx_new(c->cmac, OSSL_MAC_PARAM_CIPHER, "AES-128-CBC");
    c->gcm_ctx = EVP_CIPHER_CTX_new();
    if (!c->md_ctx || !c->hmac_md5 || !c->hmac_sha256 || !c->aes_cmac || !c->gcm_ctx ||
        !EVP_EncryptInit_ex2(c->gcm_ctx, c->aes128gcm, NULL, NULL, NULL))
        goto fail;
    return c;
fail:
    asmb__crypto_free(c);
    return NULL;
}

void asmb__crypto_free(asmb_crypto *c)
{
    if (!c) return;
    EVP_MAC_CTX_free(c->hmac_md5);
    EVP_MAC_CTX_free(c->hmac_sha256);
    EVP_MAC_CTX_free(c->aes_cmac);
    EVP_CIPHER_CTX_free(c->gcm_ctx);
    EVP_MD_CTX_free(c->md_ctx);
    EVP_KDF_free(c->kbkdf);
    EVP_CIPHER_free(c->aes128gcm);
    EVP_CIPHER_free(c->rc4);
    EVP_MAC_free(c->cmac);
    EVP_MAC_free(c->hmac);
    EVP_MD_free(c->sha512);
    EVP_MD_free(c->md5);
    EVP_MD_free(c->md4);
    if (c->prov_legacy) OSSL_PROVIDER_unload(c->prov_legacy);
    if (c->prov_default) OSSL_PROVIDER_unload(c->prov_default);
    OSSL_LIB_CTX_free(c->libctx);
    asmb__free(c);
}

int asmb__random(asmb_crypto *c, void *out, size_t n)
{
    if (!c || (!out && n)) return ASMB_EINVAL;
    if (!n) return 0;
    return RAND_bytes_ex(c->libctx, out, n, 0) == 1 ? 0 : ASMB_ECRYPTO;
}

/* ---- digests ---- */

static int digest_iov(asmb_crypto *c, const EVP_MD *md, const asmb_iov *iov, int n, uint8_t *out)
{
    if (!EVP_DigestInit_ex2(c->md_ctx, md, NULL)) return ASMB_ECRYPTO;
    for (int i = 0; i < n; i++)
        if (iov[i].len && !EVP_DigestUpdate(c->md_ctx, iov[i].base, iov[i].len))
            return ASMB_ECRYPTO;
    return EVP_DigestFinal_ex(c->md_ctx, out, NULL) ? 0 : ASMB_ECRYPTO;
}

int asmb__md4(asmb_crypto *c, const void *p, size_t n, uint8_t out[16])
{
    asmb_iov v = {p, n};
    return digest_iov(c, c->md4, &v, 1, out);
}

int asmb__md5(asmb_crypto *c, const void *p, size_t n, uint8_t out[16])
{
    asmb_iov v = {p, n};
    return digest_iov(c, c->md5, &v, 1, out);
}

/* hash = SHA-512(hash || msg) (MS-SMB2 3.2.5.2, 3.3.5.4). */
int asmb__preauth_update(asmb_crypto *c, uint8_t hash[64], const asmb_iov *iov, int n)
{
    if (!EVP_DigestInit_ex2(c->md_ctx, c->sha512, NULL) ||
        !EVP_DigestUpdate(c->md_ctx, hash, 64))
        return ASMB_ECRYPTO;
    for (int i = 0; i < n; i++)
        if (iov[i].len && !EVP_DigestUpdate(c->md_ctx, iov[i].base, iov[i].len))
            return ASMB_ECRYPTO;
    return EVP_DigestFinal_ex(c->md_ctx, hash, NULL) ? 0 : ASMB_ECRYPTO;
}

/* ---- MACs ---- */

static int mac_update(EVP_MAC_CTX *m, const void *p, size_t n)
{
    return !n || EVP_MAC_update(m, p, n) ? 0 : ASMB_ECRYPTO;
}

/* Keys the reusable context m, MACs iov[0..n) and writes outlen bytes. */
static int mac_iov(EVP_MAC_CTX *m, const uint8_t *key, size_t keylen, const asmb_iov *iov, int n,
                   uint8_t *out, size_t outlen)
{
    static const uint8_t nokey[1];
    uint8_t buf[EVP_MAX_MD_SIZE];
    size_t got = 0;
    if ((!key && keylen) || n < 0 || (n && !iov)) return ASMB_EINVAL;
    if (!EVP_MAC_init(m, key ? key : nokey, keylen, NULL)) return ASMB_ECRYPTO;
    for (int i = 0; i < n; i++)
        if (mac_update(m, iov[i].base, iov[i].len)) return ASMB_ECRYPTO;
    if (!EVP_MAC_final(m, buf, &got, sizeof buf) || got < outlen) return ASMB_ECRYPTO;
    memcpy(out, buf, outlen);
    OPENSSL_cleanse(buf, sizeof buf);
    return 0;
}

int asmb__hmac_md5(asmb_crypto *c, const uint8_t *key, size_t keylen, const asmb_iov *iov,
                   int n, uint8_t out[16])
{
    return mac_iov(c->hmac_md5, key, keylen, iov, n, out, 16);
}

int asmb__hmac_sha256(asmb_crypto *c, const uint8_t *key, size_t keylen, const asmb_iov *iov,
                      int n, uint8_t out[32])
{
    return mac_iov(c->hmac_sha256, key, keylen, iov, n, out, 32);
}

/* One MAC computation: an EVP_MAC context, or the GCM context for GMAC. */
typedef struct mac_op {
    EVP_MAC_CTX *m; /* NULL: GMAC on gcm */
    EVP_CIPHER_CTX *gcm;
} mac_op;

static int op_update(mac_op *o, const void *p, size_t n)
{
    const uint8_t *b = p;
    if (o->m) return mac_update(o->m, p, n);
    while (n) { /* GMAC: everything is AAD */
        int chunk = n > INT_MAX / 2 ? INT_MAX / 2 : (int)n, outl = 0;
        if (!EVP_EncryptUpdate(o->gcm, NULL, &outl, b, chunk)) return ASMB_ECRYPTO;
        b += chunk;
        n -= (size_t)chunk;
    }
    return 0;
}

/* Feeds iov[0..n) and writes the first 16 bytes of the MAC (the GCM tag). */
static int op_finish16(mac_op *o, const asmb_iov *iov, int n, uint8_t out[16])
{
    uint8_t buf[EVP_MAX_MD_SIZE];
    size_t got = 0;
    int outl = 0;
    if (n < 0 || (n && !iov)) return ASMB_EINVAL;
    for (int i = 0; i < n; i++)
        if (op_update(o, iov[i].base, iov[i].len)) return ASMB_ECRYPTO;
    if (!o->m)
        return EVP_EncryptFinal_ex(o->gcm, buf, &outl) &&
                       EVP_CIPHER_CTX_ctrl(o->gcm, EVP_CTRL_AEAD_GET_TAG, 16, out) > 0
                   ? 0
                   : ASMB_ECRYPTO;
    if (!EVP_MAC_final(o->m, buf, &got, sizeof buf) || got < 16) return ASMB_ECRYPTO;
    memcpy(out, buf, 16);
    return 0;
}

/* Starts a MAC: HMAC-SHA256 / AES-CMAC keyed on the kept contexts, or GMAC
 * (AES-128-GCM with a 12-byte nonce, no plaintext). */
static int op_begin(asmb_crypto *c, mac_op *o, int algo, const uint8_t key[16],
                    const uint8_t nonce[12])
{
    o->m = NULL;
    o->gcm = c->gcm_ctx;
    switch (algo) {
    case ASMB_SIGN_HMAC_SHA256: o->m = c->hmac_sha256; break;
    case ASMB_SIGN_AES_CMAC: o->m = c->aes_cmac; break;
    case ASMB_SIGN_AES_GMAC:
        return EVP_EncryptInit_ex2(o->gcm, NULL, key, nonce, NULL) ? 0 : ASMB_ECRYPTO;
    default: return ASMB_EINVAL;
    }
    return EVP_MAC_init(o->m, key, 16, NULL) ? 0 : ASMB_ECRYPTO;
}

int asmb__aes_cmac(asmb_crypto *c, const uint8_t key[16], const asmb_iov *iov, int n,
                   uint8_t mac[16])
{
    mac_op o;
    if (!c || !key) return ASMB_EINVAL;
    int rc = op_begin(c, &o, ASMB_SIGN_AES_CMAC, key, NULL);
    return rc ? rc : op_finish16(&o, iov, n, mac);
}

int asmb__aes_gmac(asmb_crypto *c, const uint8_t key[16], const uint8_t nonce[12],
                   const asmb_iov *iov, int n, uint8_t tag[16])
{
    mac_op o;
    if (!c || !key || !nonce) return ASMB_EINVAL;
    int rc = op_begin(c, &o, ASMB_SIGN_AES_GMAC, key, nonce);
    return rc ? rc : op_finish16(&o, iov, n, tag);
}

/* ---- RC4 ---- */

static int cipher_update(EVP_CIPHER_CTX *x, const uint8_t *in, size_t n, uint8_t *out)
{
    while (n) {
        int chunk = n > INT_MAX / 2 ? INT_MAX / 2 : (int)n, outl = 0;
        if (!EVP_EncryptUpdate(x, out, &outl, in, chunk) || outl != chunk) return ASMB_ECRYPTO;
        in += chunk;
        out += chunk;
        n -= (size_t)chunk;
    }
    return 0;
}

asmb_rc4 *asmb__rc4_new(asmb_crypto *c, const uint8_t *key, size_t keylen)
{
    if (!c || !key || !keylen || keylen > 16) return NULL;
    asmb_rc4 *r = asmb__calloc(1, sizeof *r);
    if (!r) return NULL;
    r->ctx = EVP_CIPHER_CTX_new();
    if (!r->ctx || !EVP_EncryptInit_ex2(r->ctx, c->rc4, NULL, NULL, NULL) ||
        EVP_CIPHER_CTX_set_key_length(r->ctx, (int)keylen) <= 0 ||
        !EVP_EncryptInit_ex2(r->ctx, NULL, key, NULL, NULL)) {
        asmb__rc4_free(r);
        return NULL;
    }
    return r;
}

int asmb__rc4_update(asmb_rc4 *r, const void *in, size_t n, uint8_t *out)
{
    if (!r || (n && (!in || !out))) return ASMB_EINVAL;
    return cipher_update(r->ctx, in, n, out);
}

void asmb__rc4_free(asmb_rc4 *r)
{
    if (!r) return;
    EVP_CIPHER_CTX_free(r->ctx);
    asmb__free(r);
}

int asmb__rc4(asmb_crypto *c, const uint8_t key[16], const void *in, size_t n, uint8_t *out)
{
    asmb_rc4 *r = asmb__rc4_new(c, key, 16);
    if (!r) return ASMB_ENOMEM; /* the key is valid: only memory can be missing */
    int rc = asmb__rc4_update(r, in, n, out);
    asmb__rc4_free(r);
    return rc;
}

/* ---- SP800-108 counter-mode KDF, HMAC-SHA256 (MS-SMB2 3.1.4.2) ----
 * OpenSSL's KBKDF builds [i]_32BE || Label || 0x00 || Context || [L]_32BE with
 * r = 32, which is exactly the MS-SMB2 fixed input. */
int asmb__kdf(asmb_crypto *c, const uint8_t *key, size_t keylen, const void *label,
              size_t label_len, const void *context, size_t context_len, uint8_t *out,
              size_t out_len)
{
    static const uint8_t empty[1];
    if (!c || !key || !keylen || !out || (out_len != 16 && out_len != 32)) return ASMB_EINVAL;
    EVP_KDF_CTX *k = EVP_KDF_CTX_new(c->kbkdf);
    if (!k) return ASMB_ENOMEM;
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, (char *)"counter", 0),
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, (char *)"HMAC", 0),
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, keylen),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                          (void *)(label ? label : empty), label_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                          (void *)(context ? context : empty), context_len),
        OSSL_PARAM_construct_end()};
    int ok = EVP_KDF_derive(k, out, out_len, p);
    EVP_KDF_CTX_free(k);
    return ok > 0 ? 0 : ASMB_ECRYPTO;
}

/* ---- SMB2 signing (MS-SMB2 3.1.4.1) ---- */

#define SMB2_HDR_LEN 64
#define SMB2_SIG_OFF 48
#define SMB2_CANCEL 0x000C
#define SMB2_FLAGS_SERVER_TO_REDIR 0x1u

/* MAC of hdr[0..64) (signature as zeros) || tail || iov[0..n). */
static int smb2_mac(asmb_crypto *c, int algo, const uint8_t key[16], const uint8_t *hdr,
                    const uint8_t *tail, size_t tail_len, const asmb_iov *iov, int n,
                    uint8_t sig[16])
{
    static const uint8_t zero_sig[16];
    uint8_t nonce[12] = {0};
    mac_op o;
    if (!c || !key || !hdr) return ASMB_EINVAL;
    if (algo == ASMB_SIGN_AES_GMAC) {
        /* Nonce: MessageId (8 bytes LE) || 4 bytes LE: bit 0 = response
         * (SMB2_FLAGS_SERVER_TO_REDIR), bit 1 = CANCEL request. */
        memcpy(nonce, hdr + 24, 8);
        nonce[8] = (uint8_t)(((asmb_le32(hdr + 16) & SMB2_FLAGS_SERVER_TO_REDIR) ? 1 : 0) |
                             (asmb_le16(hdr + 12) == SMB2_CANCEL ? 2 : 0));
    }
    int rc = op_begin(c, &o, algo, key, nonce);
    if (!rc && (op_update(&o, hdr, SMB2_SIG_OFF) || op_update(&o, zero_sig, 16) ||
                op_update(&o, tail, tail_len)))
        rc = ASMB_ECRYPTO;
    return rc ? rc : op_finish16(&o, iov, n, sig);
}

int asmb__smb2_signature(asmb_crypto *c, int algo, const uint8_t key[16], const asmb_iov *iov,
                         int n, uint8_t sig[16])
{
    if (!iov || n < 1 || !iov[0].base || iov[0].len < SMB2_HDR_LEN) return ASMB_EINVAL;
    const uint8_t *hdr = iov[0].base;
    return smb2_mac(c, algo, key, hdr, hdr + SMB2_HDR_LEN, iov[0].len - SMB2_HDR_LEN, iov + 1,
                    n - 1, sig);
}

int asmb__smb2_sign(asmb_crypto *c, int algo, const uint8_t key[16], uint8_t *hdr,
                    const asmb_iov *rest, int n)
{
    uint8_t sig[16];
    int rc = smb2_mac(c, algo, key, hdr, NULL, 0, rest, n, sig);
    if (rc == 0) memcpy(hdr + SMB2_SIG_OFF, sig, 16);
    return rc;
}

int asmb__smb2_verify(asmb_crypto *c, int algo, const uint8_t key[16], const asmb_iov *iov, int n)
{
    uint8_t sig[16];
    int rc = asmb__smb2_signature(c, algo, key, iov, n, sig);
    if (rc) return rc;
    const uint8_t *hdr = iov[0].base;
    return CRYPTO_memcmp(sig, hdr + SMB2_SIG_OFF, 16) == 0 ? 0 : ASMB_ESIGNATURE;
}

void *asmb__crypto_libctx(asmb_crypto *c) { return c->libctx; }
