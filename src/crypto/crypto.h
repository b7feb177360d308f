/* Thin wrappers over OpenSSL 3 libcrypto. One private OSSL_LIB_CTX per
 * process (default and legacy providers, legacy for MD4/RC4 of NTLM; never
 * the process default context), made by the first asmb__crypto_new and
 * released by asmb_library_cleanup; its algorithms are fetched once and
 * shared. Each connection owns one asmb_crypto: its reusable MAC/digest/
 * cipher contexts (made on first use), so it is not thread-safe: use it from
 * one thread at a time (its connection's).
 * All functions return 0 or a negative ASMB_E* code: ASMB_ENOMEM when
 * OpenSSL ran out of memory, else ASMB_ECRYPTO. */
#ifndef ASMB_CRYPTO_H
#define ASMB_CRYPTO_H
#include <stddef.h>
#include <stdint.h>

typedef struct asmb_crypto asmb_crypto;

typedef struct asmb_iov {
    const void *base;
    size_t len;
} asmb_iov;

/* NULL on failure (no memory, or the shared context could not be made). */
asmb_crypto *asmb__crypto_new(void);
void asmb__crypto_free(asmb_crypto *c);
/* After an OpenSSL call failed outside these wrappers: ASMB_ENOMEM or
 * ASMB_ECRYPTO from the thread's OpenSSL error queue, which it clears. */
int asmb__crypto_error(void);

/* Random bytes (RAND_bytes_ex on the shared private context). */
int asmb__random(asmb_crypto *c, void *out, size_t n);

int asmb__md4(asmb_crypto *c, const void *p, size_t n, uint8_t out[16]);
int asmb__md5(asmb_crypto *c, const void *p, size_t n, uint8_t out[16]);
/* HMAC-MD5 over the concatenation of iov[0..n). */
int asmb__hmac_md5(asmb_crypto *c, const uint8_t *key, size_t keylen, const asmb_iov *iov,
                   int n, uint8_t out[16]);
/* One-shot RC4 with a fresh key state (NTLM key exchange, MS-NLMP 3.1.5.1.2). */
int asmb__rc4(asmb_crypto *c, const uint8_t key[16], const void *in, size_t n, uint8_t *out);
/* Continuous RC4 key stream (NTLM sealing handles, MS-NLMP 3.4.4.2): the state
 * carries over between updates. keylen is 1..16 bytes. */
typedef struct asmb_rc4 asmb_rc4;
/* NULL: a bad key, or no memory. */
asmb_rc4 *asmb__rc4_new(asmb_crypto *c, const uint8_t *key, size_t keylen);
int asmb__rc4_update(asmb_rc4 *r, const void *in, size_t n, uint8_t *out);
void asmb__rc4_free(asmb_rc4 *r);
int asmb__hmac_sha256(asmb_crypto *c, const uint8_t *key, size_t keylen, const asmb_iov *iov,
                      int n, uint8_t out[32]);
/* hash = SHA-512(hash || msg): the preauth integrity chain (MS-SMB2 3.2.5.2). */
int asmb__preauth_update(asmb_crypto *c, uint8_t hash[64], const asmb_iov *iov, int n);

/* SP800-108 KDF in counter mode, HMAC-SHA256 PRF (MS-SMB2 3.1.4.2).
 * label/context include their terminating NUL where MS-SMB2 says so.
 * out_len is 16 or 32 bytes (L = 128 or 256). */
int asmb__kdf(asmb_crypto *c, const uint8_t *key, size_t keylen, const void *label,
              size_t label_len, const void *context, size_t context_len, uint8_t *out,
              size_t out_len);

/* Raw AES-128-CMAC (RFC 4493) and AES-128-GMAC (the GCM tag with iov as AAD
 * and no plaintext, 12-byte nonce) over iov[0..n); SMB2 signing uses these
 * same primitives. */
int asmb__aes_cmac(asmb_crypto *c, const uint8_t key[16], const asmb_iov *iov, int n,
                   uint8_t mac[16]);
int asmb__aes_gmac(asmb_crypto *c, const uint8_t key[16], const uint8_t nonce[12],
                   const asmb_iov *iov, int n, uint8_t tag[16]);

/* SMB2 message signing (MS-SMB2 3.1.4.1). algo is ASMB_SIGN_* from asmb.h.
 * The message is iov[0..n) and iov[0] starts with the 64-byte SMB2 header.
 * Computes the signature as if the Signature field (bytes 48..63) were zero;
 * AES-GMAC takes its nonce from the header (MessageId, and the response and
 * cancel flags, MS-SMB2 3.1.4.1). key is 16 bytes. */
int asmb__smb2_signature(asmb_crypto *c, int algo, const uint8_t key[16], const asmb_iov *iov,
                         int n, uint8_t sig[16]);
/* Same, for a message made of the 64-byte header hdr followed by rest[0..n);
 * writes the signature into hdr[48..63] and sets nothing else. */
int asmb__smb2_sign(asmb_crypto *c, int algo, const uint8_t key[16], uint8_t *hdr,
                    const asmb_iov *rest, int n);
/* 0 when the signature in iov[0] bytes 48..63 matches, else ASMB_ESIGNATURE. */
int asmb__smb2_verify(asmb_crypto *c, int algo, const uint8_t key[16], const asmb_iov *iov, int n);


/* The shared private OSSL_LIB_CTX (as void *, to keep OpenSSL types out of here). */
void *asmb__crypto_libctx(asmb_crypto *c);
/* The shared fetched EVP_CIPHER of an AEAD ("AES-128-CCM", "AES-128-GCM",
 * "AES-256-CCM", "AES-256-GCM"); NULL for another name. */
const void *asmb__crypto_cipher(asmb_crypto *c, const char *name);

/* AEAD for SMB3 encryption (MS-SMB2 3.1.4.3): AES-128/256-CCM (11-byte
 * nonce) and -GCM (12-byte nonce), 16-byte tag, in place. One object per key
 * and direction keeps its OpenSSL context (the key schedule is done once). */
typedef struct asmb_aead asmb_aead;
asmb_aead *asmb__aead_new(asmb_crypto *c, int cipher, const uint8_t *key, int encrypt);
void asmb__aead_free(asmb_aead *a);
size_t asmb__aead_nonce_len(int cipher); /* 11 or 12; 0 for an unknown cipher */
size_t asmb__aead_key_len(int cipher);   /* 16 or 32 */
int asmb__aead_seal(asmb_aead *a, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                    uint8_t *buf, size_t len, uint8_t tag[16]);
/* ASMB_EDECRYPT when the tag does not match (buf is then garbage). */
int asmb__aead_open(asmb_aead *a, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                    uint8_t *buf, size_t len, const uint8_t tag[16]);

#endif
