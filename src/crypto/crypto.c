/* OpenSSL 3 wrappers over ONE private OSSL_LIB_CTX per process, with the
 * default and legacy (MD4, RC4) providers. It is made on first use and every
 * algorithm (EVP_MD, EVP_MAC, EVP_CIPHER, EVP_KDF) is fetched once into it
 * and shared read-only by every connection (fetched algorithms are reference
 * counted and safe to use from any thread). A library context per connection
 * took thread-local keys (pthread keys are capped at 1,024 per process), its
 * own providers and DRBGs: about 500 connections was the ceiling.
 * What stays per connection (asmb_crypto) is what must: the MAC/digest/cipher
 * contexts, made on first use and re-keyed per call, so that SMB2 signing
 * (the hot path) allocates and fetches nothing.
 * AES-GMAC is the AES-128-GCM tag over AAD only (EVP_CIPHER; the EVP_MAC
 * "GMAC" of OpenSSL 3.0 gives the same tags but trips valgrind with AES-NI). */
#include "crypto.h"

#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <pthread.h>

#include "../mem.h"
#include "../wire/buf.h"
#include "asmb/asmb.h"
#include "asmb/asmb_errno.h"

/* The process-wide state: made by the first asmb__crypto_new, released by
 * asmb_library_cleanup once no asmb_crypto is left. */
typedef struct crypto_shared {
    OSSL_LIB_CTX *libctx;
    OSSL_PROVIDER *prov_default, *prov_legacy;
    EVP_MD *md4, *md5, *sha512;
    EVP_MAC *hmac, *cmac;
    EVP_CIPHER *rc4, *aes128gcm;
    EVP_CIPHER *aead[4]; /* by name, see aead_names */
    EVP_KDF *kbkdf;
} crypto_shared;

static const char *const aead_names[4] = {"AES-128-CCM", "AES-128-GCM", "AES-256-CCM",
                                          "AES-256-GCM"};

static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static crypto_shared shared_state; /* static: never from the allocator hook */
static crypto_shared *shared;      /* &shared_state once made; under shared_lock */
static size_t shared_users;   /* live asmb_crypto objects, under shared_lock */

static void shared_free(crypto_shared *s)
{
    if (!s) return;
    EVP_KDF_free(s->kbkdf);
    for (size_t i = 0; i < ASMB_ARRAY_LEN(s->aead); i++) EVP_CIPHER_free(s->aead[i]);
    EVP_CIPHER_free(s->aes128gcm);
    EVP_CIPHER_free(s->rc4);
    EVP_MAC_free(s->cmac);
    EVP_MAC_free(s->hmac);
    EVP_MD_free(s->sha512);
    EVP_MD_free(s->md5);
    EVP_MD_free(s->md4);
    if (s->prov_legacy) OSSL_PROVIDER_unload(s->prov_legacy);
    if (s->prov_default) OSSL_PROVIDER_unload(s->prov_default);
    OSSL_LIB_CTX_free(s->libctx);
    memset(s, 0, sizeof *s);
}

/* NULL on failure (out of memory, or a provider or algorithm missing). */
static crypto_shared *shared_new(void)
{
    crypto_shared *s = &shared_state;
    ERR_set_mark();
    s->libctx = OSSL_LIB_CTX_new();
    if (!s->libctx) goto fail;
    s->prov_default = OSSL_PROVIDER_load(s->libctx, "default");
    s->prov_legacy = OSSL_PROVIDER_load(s->libctx, "legacy");
    if (!s->prov_default || !s->prov_legacy) goto fail;
    s->md4 = EVP_MD_fetch(s->libctx, "MD4", NULL);
    s->md5 = EVP_MD_fetch(s->libctx, "MD5", NULL);
    s->sha512 = EVP_MD_fetch(s->libctx, "SHA512", NULL);
    s->hmac = EVP_MAC_fetch(s->libctx, "HMAC", NULL);
    s->cmac = EVP_MAC_fetch(s->libctx, "CMAC", NULL);
    s->rc4 = EVP_CIPHER_fetch(s->libctx, "RC4", NULL);
    s->aes128gcm = EVP_CIPHER_fetch(s->libctx, "AES-128-GCM", NULL);
    s->kbkdf = EVP_KDF_fetch(s->libctx, "KBKDF", NULL);
    if (!s->md4 || !s->md5 || !s->sha512 || !s->hmac || !s->cmac || !s->rc4 || !s->aes128gcm ||
        !s->kbkdf)
        goto fail;
    for (size_t i = 0; i < ASMB_ARRAY_LEN(s->aead); i++)
        if (!(s->aead[i] = EVP_CIPHER_fetch(s->libctx, aead_names[i], NULL))) goto fail;
    ERR_pop_to_mark();
    return s;
fail:
    ERR_pop_to_mark();
    shared_free(s);
    return NULL;
}

/* Takes a reference on the shared state, making it when there is none. */
static crypto_shared *shared_get(void)
{
    pthread_mutex_lock(&shared_lock);
    if (!shared) shared = shared_new();
    crypto_shared *s = shared;
    if (s) shared_users++;
    pthread_mutex_unlock(&shared_lock);
    return s;
}

static void shared_put(void)
{
    pthread_mutex_lock(&shared_lock);
    shared_users--;
    pthread_mutex_unlock(&shared_lock);
}

ASMB_API int asmb_library_cleanup(void)
{
    pthread_mutex_lock(&shared_lock);
    crypto_shared *s = NULL;
    int rc = shared_users ? ASMB_EINUSE : 0;
    if (!rc) {
        s = shared;
        shared = NULL;
    }
    pthread_mutex_unlock(&shared_lock);
    shared_free(s);
    return rc;
}

/* An OpenSSL call failed: ASMB_ENOMEM when it ran out of memory (so that the
 * connection says what ran out), else ASMB_ECRYPTO. Clears the thread's
 * OpenSSL error queue. */
static int ossl_fail(void)
{
    unsigned long e = ERR_peek_last_error();
    ERR_clear_error();
    return e && ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE ? ASMB_ENOMEM : ASMB_ECRYPTO;
}

int asmb__crypto_error(void) { return ossl_fail(); }

struct asmb_crypto {
    crypto_shared *s;
    /* Reusable contexts, made on first use; the MAC ones have their
     * digest/cipher set once. */
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

/* The kept contexts, made on first use (NULL: out of memory). */
static EVP_MD_CTX *md_ctx(asmb_crypto *c)
{
    if (!c->md_ctx) c->md_ctx = EVP_MD_CTX_new();
    return c->md_ctx;
}

static EVP_MAC_CTX *kept_mac(EVP_MAC_CTX **slot, EVP_MAC *mac, const char *param,
                             const char *value)
{
    if (!*slot) *slot = mac_ctx_new(mac, param, value);
    return *slot;
}

static EVP_CIPHER_CTX *gcm_ctx(asmb_crypto *c)
{
    if (c->gcm_ctx) return c->gcm_ctx;
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    if (x && !EVP_EncryptInit_ex2(x, c->s->aes128gcm, NULL, NULL, NULL)) {
        EVP_CIPHER_CTX_free(x);
        x = NULL;
    }
    return c->gcm_ctx = x;
}

asmb_crypto *asmb__crypto_new(void)
{
    asmb_crypto *c = asmb__calloc(1, sizeof *c);
    if (!c) return NULL;
    c->s = shared_get();
    if (!c->s) {
        asmb__free(c);
        return NULL;
    }
    return c;
}

void asmb__crypto_free(asmb_crypto *c)
{
    if (!c) return;
    EVP_MAC_CTX_free(c->hmac_md5);
    EVP_MAC_CTX_free(c->hmac_sha256);
    EVP_MAC_CTX_free(c->aes_cmac);
    EVP_CIPHER_CTX_free(c->gcm_ctx);
    EVP_MD_CTX_free(c->md_ctx);
    if (c->s) shared_put();
    asmb__free(c);
}

int asmb__random(asmb_crypto *c, void *out, size_t n)
{
    if (!c || (!out && n)) return ASMB_EINVAL;
    if (!n) return 0;
    return RAND_bytes_ex(c->s->libctx, out, n, 0) == 1 ? 0 : ossl_fail();
}

/* ---- digests ---- */

static int digest_iov(asmb_crypto *c, const EVP_MD *md, const asmb_iov *iov, int n, uint8_t *out)
{
    EVP_MD_CTX *x = md_ctx(c);
    if (!x) return ASMB_ENOMEM;
    if (!EVP_DigestInit_ex2(x, md, NULL)) return ossl_fail();
    for (int i = 0; i < n; i++)
        if (iov[i].len && !EVP_DigestUpdate(x, iov[i].base, iov[i].len)) return ossl_fail();
    return EVP_DigestFinal_ex(x, out, NULL) ? 0 : ossl_fail();
}

int asmb__md4(asmb_crypto *c, const void *p, size_t n, uint8_t out[16])
{
    asmb_iov v = {p, n};
    return digest_iov(c, c->s->md4, &v, 1, out);
}

int asmb__md5(asmb_crypto *c, const void *p, size_t n, uint8_t out[16])
{
    asmb_iov v = {p, n};
    return digest_iov(c, c->s->md5, &v, 1, out);
}

/* hash = SHA-512(hash || msg) (MS-SMB2 3.2.5.2, 3.3.5.4). */
int asmb__preauth_update(asmb_crypto *c, uint8_t hash[64], const asmb_iov *iov, int n)
{
    EVP_MD_CTX *x = md_ctx(c);
    if (!x) return ASMB_ENOMEM;
    if (!EVP_DigestInit_ex2(x, c->s->sha512, NULL) || !EVP_DigestUpdate(x, hash, 64))
        return ossl_fail();
    for (int i = 0; i < n; i++)
        if (iov[i].len && !EVP_DigestUpdate(x, iov[i].base, iov[i].len)) return ossl_fail();
    return EVP_DigestFinal_ex(x, hash, NULL) ? 0 : ossl_fail();
}

/* ---- MACs ---- */

static int mac_update(EVP_MAC_CTX *m, const void *p, size_t n)
{
    return !n || EVP_MAC_update(m, p, n) ? 0 : ossl_fail();
}

/* Keys the reusable context m, MACs iov[0..n) and writes outlen bytes. */
static int mac_iov(EVP_MAC_CTX *m, const uint8_t *key, size_t keylen, const asmb_iov *iov, int n,
                   uint8_t *out, size_t outlen)
{
    static const uint8_t nokey[1];
    uint8_t buf[EVP_MAX_MD_SIZE];
    size_t got = 0;
    if ((!key && keylen) || n < 0 || (n && !iov)) return ASMB_EINVAL;
    if (!m) return ASMB_ENOMEM;
    if (!EVP_MAC_init(m, key ? key : nokey, keylen, NULL)) return ossl_fail();
    for (int i = 0; i < n; i++) {
        int rc = mac_update(m, iov[i].base, iov[i].len);
        if (rc) return rc;
    }
    if (!EVP_MAC_final(m, buf, &got, sizeof buf) || got < outlen) return ossl_fail();
    memcpy(out, buf, outlen);
    OPENSSL_cleanse(buf, sizeof buf);
    return 0;
}

int asmb__hmac_md5(asmb_crypto *c, const uint8_t *key, size_t keylen, const asmb_iov *iov,
                   int n, uint8_t out[16])
{
    EVP_MAC_CTX *m = kept_mac(&c->hmac_md5, c->s->hmac, OSSL_MAC_PARAM_DIGEST, "MD5");
    return mac_iov(m, key, keylen, iov, n, out, 16);
}

int asmb__hmac_sha256(asmb_crypto *c, const uint8_t *key, size_t keylen, const asmb_iov *iov,
                      int n, uint8_t out[32])
{
    EVP_MAC_CTX *m = kept_mac(&c->hmac_sha256, c->s->hmac, OSSL_MAC_PARAM_DIGEST, "SHA256");
    return mac_iov(m, key, keylen, iov, n, out, 32);
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
        if (!EVP_EncryptUpdate(o->gcm, NULL, &outl, b, chunk)) return ossl_fail();
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
    for (int i = 0; i < n; i++) {
        int rc = op_update(o, iov[i].base, iov[i].len);
        if (rc) return rc;
    }
    if (!o->m)
        return EVP_EncryptFinal_ex(o->gcm, buf, &outl) &&
                       EVP_CIPHER_CTX_ctrl(o->gcm, EVP_CTRL_AEAD_GET_TAG, 16, out) > 0
                   ? 0
                   : ossl_fail();
    if (!EVP_MAC_final(o->m, buf, &got, sizeof buf) || got < 16) return ossl_fail();
    memcpy(out, buf, 16);
    return 0;
}

/* Starts a MAC: HMAC-SHA256 / AES-CMAC keyed on the kept contexts, or GMAC
 * (AES-128-GCM with a 12-byte nonce, no plaintext). */
static int op_begin(asmb_crypto *c, mac_op *o, int algo, const uint8_t key[16],
                    const uint8_t nonce[12])
{
    o->m = NULL;
    o->gcm = NULL;
    switch (algo) {
    case ASMB_SIGN_HMAC_SHA256:
        o->m = kept_mac(&c->hmac_sha256, c->s->hmac, OSSL_MAC_PARAM_DIGEST, "SHA256");
        break;
    case ASMB_SIGN_AES_CMAC:
        o->m = kept_mac(&c->aes_cmac, c->s->cmac, OSSL_MAC_PARAM_CIPHER, "AES-128-CBC");
        break;
    case ASMB_SIGN_AES_GMAC:
        if (!(o->gcm = gcm_ctx(c))) return ASMB_ENOMEM;
        return EVP_EncryptInit_ex2(o->gcm, NULL, key, nonce, NULL) ? 0 : ossl_fail();
    default: return ASMB_EINVAL;
    }
    if (!o->m) return ASMB_ENOMEM;
    return EVP_MAC_init(o->m, key, 16, NULL) ? 0 : ossl_fail();
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
        if (!EVP_EncryptUpdate(x, out, &outl, in, chunk) || outl != chunk) return ossl_fail();
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
    if (!r->ctx || !EVP_EncryptInit_ex2(r->ctx, c->s->rc4, NULL, NULL, NULL) ||
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
    EVP_KDF_CTX *k = EVP_KDF_CTX_new(c->s->kbkdf);
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
    return ok > 0 ? 0 : ossl_fail();
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
    if (!rc) rc = op_update(&o, hdr, SMB2_SIG_OFF);
    if (!rc) rc = op_update(&o, zero_sig, 16);
    if (!rc) rc = op_update(&o, tail, tail_len);
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

void *asmb__crypto_libctx(asmb_crypto *c) { return c->s->libctx; }

const void *asmb__crypto_cipher(asmb_crypto *c, const char *name)
{
    for (size_t i = 0; i < ASMB_ARRAY_LEN(aead_names); i++)
        if (!strcmp(aead_names[i], name)) return c->s->aead[i];
    return NULL;
}
