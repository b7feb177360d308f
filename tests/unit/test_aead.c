/* SMB3 encryption: the published TRANSFORM vectors (MS blogs, via
 * shared/vectors/encryption.json) for AES-128-CCM (3.0, 3.1.1) and
 * AES-128-GCM (3.1.1), decrypted and re-encrypted; tampering detected;
 * AES-256 round trips; nonce uniqueness over 1,000,000 messages. */
#include <string.h>

#include "asmb/asmb.h"
#include "core/session.h"
#include "crypto/crypto.h"
#include "test.h"

typedef struct {
    const char *id;
    int cipher;
    const char *key, *plain, *transform, *session;
} vec;

static const vec vecs[] = {
    {"enc30-write-request", ASMB_CIPHER_AES_128_CCM, "261b72350558f2e9dcf613070383edbf", "fe534d4240000100000000000900400008000000000000000400000000000000fffe0000010000001100001400e4080000000000000000000000000000000000310070001700000000000000000000001501000039000002010000003902000000000000000000007000000000000000536d623320656e6372797074696f6e2074657374696e67", "fd534d4281a286535415445dae393921e44fa42e66e69a111892584fb5ed524a744da3ee87000000000001001100001400e4080025c8fee16605a437832d1cd52da9f4645333482a175fe5384563f45fcdafaef38bc62ba4d5c62897996625a44c29be5658de2e6117585779e7b59ffd971278d08580d7fa899e410e910eabf5aa1db43050b33b49182637759ac15d84bfcdf5b6b238993c0f4cf4d6012023f6c627297075d84b7803912d0a9639634453595ef3e33ffe4e7ac2ab", "0008e40014000011"},
    {"enc30-read-response", ASMB_CIPHER_AES_128_CCM, "8fe2b57ec34d2db5b1a9727f526bbdb5", "fe534d4240000100000000000800210009000000000000000500000000000000fffe0000010000001100001400e408000000000000000000000000000000000011005000170000000000000000000000536d623320656e6372797074696f6e2074657374696e67", "fd534d42abd518b68c2f04d7879f482b689eb83f87000000000000001100001400e4080067000000000001001100001400e40800493d6fe2bdbeb435cf5f546970c7bb57bf20e713c75a3d045507e0d68e5c0346659d6ffb8ac1504a786ca2bb89c9e7fe4f313e910a04180d2d0ea7df636329e5a3285984500ef86fe9d55da4fab9531cfdd4c551d47f3c73124bb4590a45052b694048b991ccf5", "0008e40014000011"},
    {"enc311-gcm-write-request", ASMB_CIPHER_AES_128_GCM, "a2f5e80e5d59103034f32e52f698e5ec", "fe534d4240000100000000000900010008000000000000000500000000000000fffe000001000000250000000010000000000000000000000000000000000000310070001700000000000000000000000600000004000000010000000400000000000000000000007000000000000000536d623320656e6372797074696f6e2074657374696e67", "fd534d42bd73d97d2bc9001bcafac0fdff5feebcc7d6822d269caf48904c664c00000000870000000000010025000000001000006ecdd2a7afc7b47763057a041b8fd4daffe990b70c9e09d36c084e02d14ef247f8bde38acf6256f8b1d3b56f77fbdeb312fea5e92cbcc1ed8fb2ebbfaa75e49a4a394bb44576545567c24d4c014d47c9fbdfdafd2c4f9b72f8d256452620a299f48e29e53d6b61d1c13a19e91af013f00d17e3abc2fc3d36c8c1b6b93973253852dbd442e46ee8", "0000100000000025"},
    {"enc311-gcm-read-response", ASMB_CIPHER_AES_128_GCM, "748c50868c90f302962a5c35f5f9a8bf", "fe534d4240000100000000000800010001000000000000000600000000000000fffe00000100000025000000001000000000000000000000000000000000000011005000170000000000000000000000536d623320656e6372797074696f6e2074657374696e67", "fd534d427f714b3b9d8fa1198584e71c2baa1cb6e16831dd2e8eb7b4000000000000000067000000000001002500000000100000fecedf4d03bb11a6cc5d8a53be33d6d8701986342b4197d306e16f9cbb218e92f7f8281f51ce68bb85a20d87de90ebbf80538066d1c37513c0a58d70936d537b624f5500202a612b6cd30d448a82791a0b2e049ed512afaefb06e98ab3d6f931d7d50db2dbd36a", "0000100000000025"},
    {"enc311-ccm-write-request", ASMB_CIPHER_AES_128_CCM, "dfaaa31aae40a2485d47ac4df09fda1d", "fe534d4240000100000000000900010008000000000000000500000000000000fffe000001000000210000000010000000000000000000000000000000000000310070001700000000000000000000000500000004000000010000000400000000000000000000007000000000000000536d623320656e6372797074696f6e2074657374696e67", "fd534d42e89551d666dab8993488f5a97103116c9f6f1eaad7e9f24aacd38f00000000008700000000000100210000000010000056a74778199a9d2b6e9c3a376fd88d27680694fed253a313beb07381ae8689f973acdb8d716e4477803bce53a92e1b81fa3e965ad9af2c89c08ce66a344664453b8fc88118edc9814cf58e92aa465e6efb09958a9fdad96fbd55b36a710c30d5e7c64ad7b9449f9f17edd024fe8ba79154f340a82740d1d5180c69b0a2de6a4ba893bd55d3210e", "0000100000000021"},
    {"enc311-ccm-read-response", ASMB_CIPHER_AES_128_CCM, "95c544aef6072680da1ce49a68a97fa6", "fe534d4240000100000000000800010001000000000000000600000000000000fffe00000100000021000000001000000000000000000000000000000000000011005000170000000000000000000000536d623320656e6372797074696f6e2074657374696e67", "fd534d42e241a13c7e1ee42ecf1fd69f3b8668c6da6831dd2e8eb7b400000000000000006700000000000100210000000010000015d67234fc8358d7ba1bf037abc8efd41a0a8f9bb04b16deb1e85606bd8c2770823fe6239a286cb3e3d5762abbd53fd8de11ed491fe905e146a8ffce09414ab741103d637e28b19c6ba759b399dcc21fae24cf2a455a13b215fc2857abb513927f9f271d1c208b", "0000100000000021"},
};

/* Decrypts the published message and re-seals the plaintext with its nonce. */
static void check_vector(asmb_crypto *cr, const vec *v)
{
    size_t klen, plen, tlen;
    unsigned char *key = t_unhex(v->key, &klen), *plain = t_unhex(v->plain, &plen);
    unsigned char *msg = t_unhex(v->transform, &tlen);
    CHECK_EQ_INT(tlen, plen + 52);
    asmb_aead *dec = asmb__aead_new(cr, v->cipher, key, 0), *enc = asmb__aead_new(cr, v->cipher, key, 1);
    CHECK(dec && enc);
    unsigned char *buf = malloc(tlen);
    memcpy(buf, msg, tlen);
    CHECK_EQ_INT(asmb__aead_open(dec, buf + 20, buf + 20, 32, buf + 52, plen, buf + 4), 0);
    CHECK_MEM(buf + 52, plain, plen);
    uint8_t tag[16];
    memcpy(buf + 52, plain, plen);
    CHECK_EQ_INT(asmb__aead_seal(enc, buf + 20, buf + 20, 32, buf + 52, plen, tag), 0);
    CHECK_MEM(tag, msg + 4, 16);
    CHECK_MEM(buf + 52, msg + 52, plen);
    for (size_t at = 20; at < tlen; at += 37) { /* a flipped byte anywhere fails */
        memcpy(buf, msg, tlen);
        buf[at] ^= 1;
        CHECK_EQ_INT(asmb__aead_open(dec, buf + 20, buf + 20, 32, buf + 52, plen, buf + 4),
                     ASMB_EDECRYPT);
    }
    asmb__aead_free(dec);
    asmb__aead_free(enc);
    free(buf);
    free(key);
    free(plain);
    free(msg);
}

static void check_256(asmb_crypto *cr, int cipher)
{
    uint8_t key[32], nonce[16] = {1, 2, 3}, aad[32] = {9}, buf[1000], orig[1000], tag[16];
    for (int i = 0; i < 32; i++) key[i] = (uint8_t)i;
    for (int i = 0; i < 1000; i++) orig[i] = buf[i] = (uint8_t)(i * 7);
    CHECK_EQ_INT(asmb__aead_key_len(cipher), 32);
    asmb_aead *enc = asmb__aead_new(cr, cipher, key, 1), *dec = asmb__aead_new(cr, cipher, key, 0);
    CHECK_EQ_INT(asmb__aead_seal(enc, nonce, aad, 32, buf, 1000, tag), 0);
    CHECK(memcmp(buf, orig, 1000) != 0);
    CHECK_EQ_INT(asmb__aead_open(dec, nonce, aad, 32, buf, 1000, tag), 0);
    CHECK_MEM(buf, orig, 1000);
    key[0] ^= 1; /* the wrong key fails */
    asmb_aead *bad = asmb__aead_new(cr, cipher, key, 0);
    CHECK_EQ_INT(asmb__aead_seal(enc, nonce, aad, 32, buf, 1000, tag), 0);
    CHECK_EQ_INT(asmb__aead_open(bad, nonce, aad, 32, buf, 1000, tag), ASMB_EDECRYPT);
    asmb__aead_free(enc);
    asmb__aead_free(dec);
    asmb__aead_free(bad);
}

static int cmp16(const void *a, const void *b) { return memcmp(a, b, 16); }

static void check_nonces(void)
{
    enum { N = 1000000 };
    uint8_t (*n)[16] = malloc((size_t)N * 16);
    uint8_t salt[4] = {0xAA, 0xBB, 0xCC, 0xDD};
    uint64_t ctr = 0;
    for (int i = 0; i < N; i++) asmb__nonce_next(&ctr, salt, i & 1 ? 11 : 12, n[i]);
    CHECK_EQ_INT(n[0][11], 0xDD);  /* GCM: 12 bytes used */
    CHECK_EQ_INT(n[1][11], 0);     /* CCM: 11 bytes used */
    CHECK_EQ_INT(n[5][12], 0);
    qsort(n, N, 16, cmp16);
    int dup = 0;
    for (int i = 1; i < N; i++) dup += memcmp(n[i - 1], n[i], 16) == 0;
    CHECK_EQ_INT(dup, 0);
    free(n);
}

int main(void)
{
    asmb_crypto *cr = asmb__crypto_new();
    CHECK(cr != NULL);
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) check_vector(cr, &vecs[i]);
    check_256(cr, ASMB_CIPHER_AES_256_GCM);
    check_256(cr, ASMB_CIPHER_AES_256_CCM);
    CHECK_EQ_INT(asmb__aead_nonce_len(ASMB_CIPHER_AES_128_CCM), 11);
    CHECK_EQ_INT(asmb__aead_nonce_len(ASMB_CIPHER_AES_256_GCM), 12);
    CHECK(asmb__aead_new(cr, 99, (const uint8_t *)"0123456789abcdef", 1) == NULL);
    check_nonces();
    /* The names asmb_conn_info's values print as (MS-SMB2 2.2.3.1.2 ids). */
    CHECK(!strcmp(asmb_cipher_name(ASMB_CIPHER_NONE), "none"));
    CHECK(!strcmp(asmb_cipher_name(ASMB_CIPHER_AES_128_CCM), "AES-128-CCM"));
    CHECK(!strcmp(asmb_cipher_name(ASMB_CIPHER_AES_256_GCM), "AES-256-GCM"));
    CHECK(!strcmp(asmb_cipher_name(5), ""));
    CHECK(!strcmp(asmb_signing_name(ASMB_SIGN_NONE), "none"));
    CHECK(!strcmp(asmb_signing_name(ASMB_SIGN_AES_GMAC), "AES-128-GMAC"));
    CHECK(!strcmp(asmb_signing_name(ASMB_SIGN_HMAC_SHA256), "HMAC-SHA256"));
    CHECK(!strcmp(asmb_signing_name(-1), ""));
    CHECK(!strcmp(asmb_signing_name(4), ""));
    asmb__crypto_free(cr);
    TEST_DONE();
}
