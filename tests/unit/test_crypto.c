/* Crypto wrappers: digests, HMACs, RC4, KDF (MS-SMB2 3.1.4.2), preauth chain
 * (MS-SMB2 3.2.5.2) and SMB2 signing (MS-SMB2 3.1.4.1). Vectors come from
 * /work/shared/vectors (copied here; see each comment for the source). */
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "asmb/asmb.h"
#include "asmb/asmb_errno.h"
#include "crypto/crypto.h"
#include "mem.h"
#include "test.h"
#include "wire/buf.h"


static void test_random(asmb_crypto *c)
{
    uint8_t a[32] = {0}, b[32] = {0}, z[32] = {0};
    CHECK_EQ_INT(asmb__random(c, a, sizeof a), 0);
    CHECK_EQ_INT(asmb__random(c, b, sizeof b), 0);
    CHECK(memcmp(a, b, 32) != 0);
    CHECK(memcmp(a, z, 32) != 0);
    CHECK_EQ_INT(asmb__random(c, NULL, 0), 0);
}

static void test_digests(asmb_crypto *c)
{
    uint8_t out[32];
    /* RFC 1320: MD4("") */
    CHECK_EQ_INT(asmb__md4(c, "", 0, out), 0);
    CHECK_MEM(out, t_hex("31d6cfe0d16ae931b73c59d7e0c089c0", NULL), 16);
    /* MS-NLMP 4.2.2.1.2 NTOWFv1 = MD4(UNICODE("Password")) */
    CHECK_EQ_INT(asmb__md4(c, "P\0a\0s\0s\0w\0o\0r\0d\0", 16, out), 0);
    CHECK_MEM(out, t_hex("a4f49c406510bdcab6824ee7c30fd852", NULL), 16);
    /* RFC 1321: MD5("abc") */
    CHECK_EQ_INT(asmb__md5(c, "abc", 3, out), 0);
    CHECK_MEM(out, t_hex("900150983cd24fb0d6963f7d28e17f72", NULL), 16);

    /* RFC 2202 test case 1: HMAC-MD5(0x0b x16, "Hi There") */
    uint8_t k1[16];
    memset(k1, 0x0b, 16);
    asmb_iov v1 = {"Hi There", 8};
    CHECK_EQ_INT(asmb__hmac_md5(c, k1, 16, &v1, 1, out), 0);
    CHECK_MEM(out, t_hex("9294727a3638bb1c13f48ef8158bfc9d", NULL), 16);
    /* RFC 4231 test case 2, message split over three iovs (one empty). */
    asmb_iov v2[3] = {{"what do ya want ", 16}, {"", 0}, {"for nothing?", 12}};
    CHECK_EQ_INT(asmb__hmac_sha256(c, (const uint8_t *)"Jefe", 4, v2, 3, out), 0);
    CHECK_MEM(out, t_hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", NULL),
              32);
    /* Same context re-keyed: RFC 2202 test case 2 for HMAC-MD5 afterwards. */
    asmb_iov v3 = {"what do ya want for nothing?", 28};
    CHECK_EQ_INT(asmb__hmac_md5(c, (const uint8_t *)"Jefe", 4, &v3, 1, out), 0);
    CHECK_MEM(out, t_hex("750c783e6ab0b503eaa86e310a5db738", NULL), 16);
}

static void test_rc4(asmb_crypto *c)
{
    static const uint8_t zero[32];
    uint8_t out[32], out2[32];
    /* RFC 6229, 128-bit key 0x0102..10, keystream offset 0. */
    const uint8_t *key = t_hex("0102030405060708090a0b0c0d0e0f10", NULL);
    CHECK_EQ_INT(asmb__rc4(c, key, zero, 16, out), 0);
    CHECK_MEM(out, t_hex("9ac7cc9a609d1ef7b2932899cde41b97", NULL), 16);
    /* Continuous stream: 7 + 25 bytes in two updates == 32 in one. */
    asmb_rc4 *r = asmb__rc4_new(c, key, 16);
    CHECK(r != NULL);
    CHECK_EQ_INT(asmb__rc4_update(r, zero, 7, out2), 0);
    CHECK_EQ_INT(asmb__rc4_update(r, zero + 7, 25, out2 + 7), 0);
    asmb__rc4_free(r);
    CHECK_EQ_INT(asmb__rc4(c, key, zero, 32, out), 0);
    CHECK_MEM(out, out2, 32);
    /* RFC 6229, 40-bit key 0x0102030405 (NTLM 40-bit sealing keys). */
    r = asmb__rc4_new(c, t_hex("0102030405", NULL), 5);
    CHECK(r != NULL);
    CHECK_EQ_INT(asmb__rc4_update(r, zero, 16, out), 0);
    CHECK_MEM(out, t_hex("b2396305f03dc027ccc3524a0a1118a8", NULL), 16);
    asmb__rc4_free(r);
    /* 56-bit key 0x01020304050607 (python-cryptography ARC4). */
    r = asmb__rc4_new(c, t_hex("01020304050607", NULL), 7);
    CHECK(r != NULL);
    CHECK_EQ_INT(asmb__rc4_update(r, zero, 16, out), 0);
    CHECK_MEM(out, t_hex("293f02d47f37c9b633f2af5285feb46b", NULL), 16);
    asmb__rc4_free(r);
    CHECK(asmb__rc4_new(c, key, 0) == NULL);
}

/* ---- KDF (kdf.json) ---- */

struct kdf_vec {
    const char *id, *session_key, *preauth; /* preauth NULL: SMB 3.0 */
    const char *signing, *encryption, *decryption, *application;
};

static const struct kdf_vec kdf_vecs[] = {
    {"anatomy-3.0-first-channel", "7cd451825d0450d235424e44ba6e78cc", NULL,
     "0b7e9c5cac36c0f6ea9ab275298cedce", "fad27796665b313ebb578f388632b4f7",
     "b0f0427f7ceb416d1d9dcc0cd4f99447", "bb23a4575aa26c721af525af15a87b4f"},
    {"anatomy-3.0-second-channel", "4e01a2b313bcf660cc250bef021aede6", NULL,
     "ba1a17dbbfec349bca105563d598952f", NULL, NULL, NULL},
    {"enc30-blog", "b4546771b515f766a86735532dd6c4f0", NULL,
     "f773cd23c18fd1e08ee510cada7cf852", "261b72350558f2e9dcf613070383edbf",
     "8fe2b57ec34d2db5b1a9727f526bbdb5", "77432f808ce99156b5bc6a3676d730d1"},
    {"smbj-3.0", "09921d4431b171b977370bf8910900f9", NULL,
     "8f5a6907bce9ec89b8f89e560d4e2e18", "858e8cba1f7068969e825b2b538830c4",
     "df91d31ef09a01fd4d2a093c42deef46", NULL},
    {"anatomy-3.1.1-first-channel", "270e1ba896585eeb7af3472d3b4c75a7",
     "0dd13628cc3ed218ef9df9772d436d0887ab9814bfae63a80aa845f36909db7928622ddd"
     "ad522d9751640a459762c5a9d6bb084cbb3ce6bdadef5d5bce3c6c01",
     "73fe7a9a77bef0bde49c650d8ccb5f76", "629bcbc54422a0f572b97f45989b6073",
     "e2af0dcefac68da71a0dfbd0d1350d74", "6d7ad7954e9ec61e907b4d473dc178ff"},
    {"anatomy-3.1.1-second-channel", "84b9dbb730116a8fa6e9889555c265f9",
     "ea3bf912b11cbfec5b1889e8209614218687f82fa5294521ad3063425e49e88a10bd0221"
     "24ce25123bc9111f52d9566ba88bf46344e6063dc5e3ff0389026f6c",
     "c962bca1a9dd1697b030644199705431", NULL, NULL, NULL},
    {"enc311-gcm-blog", "419fddf34c1e001909d362ae7fb6af79",
     "b23f3cbfd69487d9832b79b1594a367cdd950909b774c3a4c412b4fcea9edddba7db256b"
     "a2ea30e977f11f9b113247578e0e915c6d2a513b8f2fca5707dc8770",
     "8765949dfeaee105ce9118b45be988f0", "a2f5e80e5d59103034f32e52f698e5ec",
     "748c50868c90f302962a5c35f5f9a8bf", "099d610789fbe82055b313601c3e8cc4"},
    {"enc311-ccm-blog", "07b7f69c1e2581662df6987e88f9e891",
     "decf98a420718718f22090d3580fcc5e484bd310fa1268210c6e86335a8891e767f5bcd9"
     "9fa5a7859d665ad07a73ea94e1bcdb7cfa69a6962a28a244138340b1",
     "3dcc82c5795ae27f383242761078c59b", "dfaaa31aae40a2485d47ac4df09fda1d",
     "95c544aef6072680da1ce49a68a97fa6", "7a2f0f73ec2d530879b2913bbfce242f"},
};

static void check_kdf(asmb_crypto *c, const uint8_t *key, const char *label,
                      const void *ctx, size_t ctx_len, const char *want)
{
    uint8_t out[16];
    if (!want) return;
    /* Labels and 3.0 contexts include their terminating NUL (MS-SMB2 3.1.4.2). */
    CHECK_EQ_INT(asmb__kdf(c, key, 16, label, strlen(label) + 1, ctx, ctx_len, out, 16), 0);
    CHECK_MEM(out, t_hex(want, NULL), 16);
}

static void test_kdf(asmb_crypto *c)
{
    for (size_t i = 0; i < ASMB_ARRAY_LEN(kdf_vecs); i++) {
        const struct kdf_vec *v = &kdf_vecs[i];
        const uint8_t *key = t_hex(v->session_key, NULL);
        if (!v->preauth) { /* SMB 3.0 / 3.0.2 labels and contexts */
            check_kdf(c, key, "SMB2AESCMAC", "SmbSign", 8, v->signing);
            check_kdf(c, key, "SMB2AESCCM", "ServerIn ", 10, v->encryption);
            check_kdf(c, key, "SMB2AESCCM", "ServerOut", 10, v->decryption);
            check_kdf(c, key, "SMB2APP", "SmbRpc", 7, v->application);
        } else { /* SMB 3.1.1: context = PreauthIntegrityHashValue */
            size_t hl;
            const uint8_t *h = t_hex(v->preauth, &hl);
            CHECK_EQ_INT(hl, 64);
            check_kdf(c, key, "SMBSigningKey", h, hl, v->signing);
            check_kdf(c, key, "SMBC2SCipherKey", h, hl, v->encryption);
            check_kdf(c, key, "SMBS2CCipherKey", h, hl, v->decryption);
            check_kdf(c, key, "SMBAppKey", h, hl, v->application);
        }
    }
    /* 256-bit keys (AES-256 ciphers): L = 256. No published SMB vector; the
     * expected values are HMAC-SHA256(key, 00000001 | label | 00 | ctx |
     * 00000100) computed with Python's hmac on the anatomy 3.1.1 session. */
    uint8_t out[32];
    size_t hl;
    const uint8_t *key = t_hex(kdf_vecs[4].session_key, NULL);
    const uint8_t *h = t_hex(kdf_vecs[4].preauth, &hl);
    CHECK_EQ_INT(asmb__kdf(c, key, 16, "SMBC2SCipherKey", 16, h, hl, out, 32), 0);
    CHECK_MEM(out, t_hex("049c27fd8a340262e32c643dea2ba507af7a4c085fd2505aeffcbdeae6d6d8ab", NULL),
              32);
    CHECK_EQ_INT(asmb__kdf(c, key, 16, "SMBS2CCipherKey", 16, h, hl, out, 32), 0);
    CHECK_MEM(out, t_hex("35952fed051bf2471af5f7acc63674b887a54b47af46959f7caff1ce537d7419", NULL),
              32);
    CHECK_EQ_INT(asmb__kdf(c, key, 16, "SMBSigningKey", 14, h, hl, out, 24), ASMB_EINVAL);
}

/* ---- preauth chain (preauth.json, anatomy blog, first channel) ---- */

static const char *const preauth_pkts[5] = {
    "fe534d4240000100000000000000800000000000000000000100000000000000fffe0000"
    "000000000000000000000000000000000000000000000000000000002400050000000000"
    "3f000000ecd86f326276024f9f7752b89bb33f3a70000000020000000202100200030203"
    "110300000100260000000000010020000100fa49e6578f1f3a9f4cd3e9cc14a67aa884b3"
    "d05844e0e5a118225c15887f32ff00000200060000000000020002000100",
    "fe534d4240000100000000000000010001000000000000000100000000000000fffe0000"
    "000000000000000000000000000000000000000000000000000000004100010011030200"
    "39cbcaf329714942bdce5d60f09ab3fb2f000000000080000000800000008000d8dae5ad"
    "cbaed00109094ab095aed00180004001c00100006082013c06062b0601050502a0820130"
    "3082012ca01a3018060a2b06010401823702021e060a2b06010401823702020aa282010c"
    "048201084e45474f45585453010000000000000060000000700000007c7cc0fd06d6362d"
    "02dde1cf343bfe292900f49750b4aa97934d9c4296b26e51fd370471b235e15a50dae15b"
    "d5489c870000000000000000600000000100000000000000000000005c33530deaf90d4d"
    "b2ec4ae3786ec3084e45474f45585453030000000100000040000000980000007c7cc0fd"
    "06d6362d02dde1cf343bfe295c33530deaf90d4db2ec4ae3786ec3084000000058000000"
    "3056a05430523027802530233121301f06035504031318546f6b656e205369676e696e67"
    "205075626c6963204b65793027802530233121301f06035504031318546f6b656e205369"
    "676e696e67205075626c6963204b6579010026000000000001002000010060a3c3b95c3c"
    "7ccd51ec536648d9b3ac74c483ca5b65385a251117beb30712e500000200040000000000"
    "01000200",
    "fe534d4240000100000000000100800000000000000000000200000000000000fffe0000"
    "000000000000000000000000000000000000000000000000000000001900000101000000"
    "0000000058004a000000000000000000604806062b0601050502a03e303ca00e300c060a"
    "2b06010401823702020aa22a04284e544c4d5353500001000000978208e2000000000000"
    "00000000000000000000060380250000000f",
    "fe534d4240000100160000c00100010001000000000000000200000000000000fffe0000"
    "00000000190000000010000000000000000000000000000000000000090000004800b300"
    "a181b03081ada0030a0101a10c060a2b06010401823702020aa281970481944e544c4d53"
    "535000020000000c000c003800000015828ae20d1d8ba31179d008000000000000000050"
    "005000440000000a0092270000000f53005500540033003100310002000c005300550054"
    "0033003100310001000c0053005500540033003100310004000c00530055005400330031"
    "00310003000c0053005500540033003100310007000800a1a1f5adcbaed00100000000",
    "fe534d4240000100000000000100800000000000000000000300000000000000fffe0000"
    "000000001900000000100000000000000000000000000000000000001900000101000000"
    "000000005800cf010000000000000000a18201cb308201c7a0030a0101a28201aa048201"
    "a64e544c4d53535000030000001800180090000000ee00ee00a80000000c000c00580000"
    "001a001a0064000000120012007e0000001000100096010000158288e206038025000000"
    "0fecac77a5f385a8bf9c38c706eeeddcd3530055005400330031003100610064006d0069"
    "006e006900730074007200610074006f0072004400520049005600450052003300310031"
    "0000000000000000000000000000000000000000000000000063078eb639fe03e20a231c"
    "3ae3bf23080101000000000000a1a1f5adcbaed001bc4ad05f223cc90f0000000002000c"
    "0053005500540033003100310001000c0053005500540033003100310004000c00530055"
    "00540033003100310003000c0053005500540033003100310007000800a1a1f5adcbaed0"
    "0106000400020000000800300030000000000000000000000000300000b61fefcaa857ea"
    "57bf1edcebf8974b8e0eba5a6dfd9d07a31d11b548f8c9d0cc0a00100000000000000000"
    "0000000000000000000900160063006900660073002f0053005500540033003100310000"
    "00000000000000000000003b9bdff38f5ee8f9663f11a0f4c03a78a31204100100000063"
    "775a9a5fd97f0600000000",
};
static const char *const preauth_hashes[5] = {
    "dd94efc5321bb618a2e208ba8920d2f422992526947a409b5037de1e0fe8c7362b8c4712"
    "2594cde0ce26aa9dfc8bcdbde0621957672623351a7540f1e54a0426",
    "324bfa92a4f3a190e466ebea08d9c110dc88bfed758d9846ecc6f541cc1d02ae3c94a79f"
    "36011e997e13f841b91b50957ad07b19c8e2539c0b23fdae09d2c513",
    "ac0b0f2b9986257700365e416d142a6edc96df03594a19e52a15f6bd0d041cd5d432f8ed"
    "42c55e33197a50c9ec00f1462b50c592211b1471a04b56088fdfd5f9",
    "2729e3440dfddd839e37193f6e8f20c20cefb3469e453a70cd980eec06b8835740a73760"
    "085633364c8989895ece81bf102deeb14d4b7d48afa76901a7a38387",
    "0dd13628cc3ed218ef9df9772d436d0887ab9814bfae63a80aa845f36909db7928622ddd"
    "ad522d9751640a459762c5a9d6bb084cbb3ce6bdadef5d5bce3c6c01",
};

static void test_preauth(asmb_crypto *c)
{
    uint8_t hash[64] = {0}, split[64] = {0};
    for (int i = 0; i < 5; i++) {
        size_t n;
        const uint8_t *p = t_hex(preauth_pkts[i], &n);
        asmb_iov v = {p, n};
        CHECK_EQ_INT(asmb__preauth_update(c, hash, &v, 1), 0);
        CHECK_MEM(hash, t_hex(preauth_hashes[i], NULL), 64);
        /* Header and body as separate iovs give the same chain. */
        asmb_iov v2[2] = {{p, 64}, {p + 64, n - 64}};
        CHECK_EQ_INT(asmb__preauth_update(c, split, v2, 2), 0);
        CHECK_MEM(split, hash, 64);
    }
    /* The final hash is the 3.1.1 KDF context of kdf.json's anatomy vector. */
    CHECK_MEM(hash, t_hex(kdf_vecs[4].preauth, NULL), 64);
}

/* ---- raw CMAC / GMAC ---- */

static void test_cmac_gmac(asmb_crypto *c)
{
    uint8_t out[16];
    /* RFC 4493 section 4 examples 1-4. */
    static const char *const msgs[4] = {
        "",
        "6bc1bee22e409f96e93d7e117393172a",
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46"
        "a35ce411",
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46"
        "a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"};
    static const char *const macs[4] = {
        "bb1d6929e95937287fa37d129b756746",
        "070a16b46b4d4144f79bdd9dd04a287c",
        "dfa66747de9ae63030ca32611497c827",
        "51f0bebf7e3b9d92fc49741779363cfe"};
    const uint8_t *key = t_hex("2b7e151628aed2a6abf7158809cf4f3c", NULL);
    for (int i = 0; i < 4; i++) {
        size_t n;
        const uint8_t *m = t_hex(msgs[i], &n);
        asmb_iov v = {m, n};
        CHECK_EQ_INT(asmb__aes_cmac(c, key, &v, 1, out), 0);
        CHECK_MEM(out, t_hex(macs[i], NULL), 16);
        if (n > 17) { /* split at an odd, non-block boundary */
            asmb_iov v2[2] = {{m, 17}, {m + 17, n - 17}};
            memset(out, 0, 16);
            CHECK_EQ_INT(asmb__aes_cmac(c, key, v2, 2, out), 0);
            CHECK_MEM(out, t_hex(macs[i], NULL), 16);
        }
    }
    /* NIST CAVP gcmEncryptExtIV128, PTlen=0 AADlen=128 (GMAC). */
    for (int i = 0; i < 2; i++) {
        static const char *const g[2][4] = {
            {"77be63708971c4e240d1cb79e8d77feb",
             "e0e00f19fed7ba0136a797f3",
             "7a43ec1d9c0a5a78a0b16533a6213cab",
             "209fcc8d3675ed938e9c7166709dd946"},
            {"7680c5d3ca6154758e510f4d25b98820",
             "f8f105f9c3df4965780321f8",
             "c94c410194c765e3dcc7964379758ed3",
             "94dca8edfcf90bb74b153c8d48a17930"}};
        size_t n;
        const uint8_t *aad = t_hex(g[i][2], &n);
        asmb_iov v[2] = {{aad, 5}, {aad + 5, n - 5}};
        CHECK_EQ_INT(asmb__aes_gmac(c, t_hex(g[i][0], NULL), t_hex(g[i][1], NULL), v, 2, out), 0);
        CHECK_MEM(out, t_hex(g[i][3], NULL), 16);
    }
}

/* ---- SMB2 signatures (signing.json) ---- */

static void check_smb2_vec(asmb_crypto *c, int algo, const char *key_hex, const char *pkt_hex,
                           const char *sig_hex)
{
    size_t n;
    uint8_t *pkt = t_hex(pkt_hex, &n);
    const uint8_t *key = t_hex(key_hex, NULL), *want = t_hex(sig_hex, NULL);
    uint8_t sig[16], hdr[64];
    CHECK(n > 64);
    CHECK_MEM(pkt + 48, want, 16);

    /* Whole message in one iov; the signature field is ignored. */
    asmb_iov v = {pkt, n};
    CHECK_EQ_INT(asmb__smb2_signature(c, algo, key, &v, 1, sig), 0);
    CHECK_MEM(sig, want, 16);
    CHECK_EQ_INT(asmb__smb2_verify(c, algo, key, &v, 1), 0);

    /* Header alone, body in two pieces: sign writes only bytes 48..63. */
    memcpy(hdr, pkt, 64);
    memset(hdr + 48, 0xee, 16);
    size_t half = (n - 64) / 2;
    asmb_iov rest[2] = {{pkt + 64, half}, {pkt + 64 + half, n - 64 - half}};
    CHECK_EQ_INT(asmb__smb2_sign(c, algo, key, hdr, rest, 2), 0);
    CHECK_MEM(hdr + 48, want, 16);
    CHECK_MEM(hdr, pkt, 48);
    asmb_iov v3[3] = {{hdr, 64}, rest[0], rest[1]};
    CHECK_EQ_INT(asmb__smb2_verify(c, algo, key, v3, 3), 0);

    /* One flipped bit anywhere must fail. */
    pkt[n - 1] ^= 0x01;
    CHECK_EQ_INT(asmb__smb2_verify(c, algo, key, &v, 1), ASMB_ESIGNATURE);
    pkt[n - 1] ^= 0x01;
    pkt[20] ^= 0x80;
    CHECK_EQ_INT(asmb__smb2_verify(c, algo, key, &v, 1), ASMB_ESIGNATURE);
    pkt[20] ^= 0x80;
    pkt[63] ^= 0x01;
    CHECK_EQ_INT(asmb__smb2_verify(c, algo, key, &v, 1), ASMB_ESIGNATURE);
    pkt[63] ^= 0x01;
    CHECK_EQ_INT(asmb__smb2_verify(c, algo, key, &v, 1), 0);
    /* The wrong algorithm does not verify either. */
    int other = algo == ASMB_SIGN_AES_CMAC ? ASMB_SIGN_HMAC_SHA256 : ASMB_SIGN_AES_CMAC;
    CHECK_EQ_INT(asmb__smb2_verify(c, other, key, &v, 1), ASMB_ESIGNATURE);
}

static void test_smb2_hmac_cmac(asmb_crypto *c)
{
    /* SMB 2.x HMAC-SHA256: TalAloni/SMBLibrary SMB2SigningTests. */
    check_smb2_vec(c, ASMB_SIGN_HMAC_SHA256, "d38354cc374339f0524f789146789921",
                   "fe534d4240000100280100c00b00070009000000000000000400000000000000fffe0000"
                   "010000000100000000040000fbd284340324c62fbebb65dd1051f3ae0900000000000000"
                   "ff",
                   "fbd284340324c62fbebb65dd1051f3ae");
    check_smb2_vec(c, ASMB_SIGN_HMAC_SHA256, "04e707571f8e0353b77a94c3653b87b5",
                   "fe534d4240000100280100c00b00070009000000000000000400000000000000fffe0000"
                   "010000000500000000040000a164ffe53d6811981f386772e387e06f0900000000000000"
                   "ff",
                   "a164ffe53d6811981f386772e387e06f");
    /* SMB 3.1.1 AES-CMAC: MS Open Specifications blogs (anatomy; 3.1.1
     * encryption), including the session-binding packets. */
    static const char *const cmac[7][3] = {
        {"73fe7a9a77bef0bde49c650d8ccb5f76",
         "fe534d4240000100000000000100800009000000000000000300000000000000fffe0000"
         "000000001900000000100000ebe146da120ba25fc3376a49dfe31bc10900000048001d00"
         "a11b3019a0030a0100a3120410010000003b453cdc3524164200000000",
         "ebe146da120ba25fc3376a49dfe31bc1"},
        {"73fe7a9a77bef0bde49c650d8ccb5f76",
         "fe534d4240000100000000000100800008000000000000000200000000000000fffe0000"
         "00000000190000000010000068bd0c58f613ce1334b1eb51c68d39ea1900010101000000"
         "0000000058004a000000000000000000604806062b0601050502a03e303ca00e300c060a"
         "2b06010401823702020aa22a04284e544c4d5353500001000000978208e2000000000000"
         "00000000000000000000060380250000000f",
         "68bd0c58f613ce1334b1eb51c68d39ea"},
        {"73fe7a9a77bef0bde49c650d8ccb5f76",
         "fe534d4240000100160000c00100010009000000000000000200000000000000fffe0000"
         "000000001900000000100000014a71cae724995e612430e2be87578c090000004800b300"
         "a181b03081ada0030a0101a10c060a2b06010401823702020aa281970481944e544c4d53"
         "535000020000000c000c003800000015828ae23823da68e32d2fe1000000000000000050"
         "005000440000000a0092270000000f53005500540033003100310002000c005300550054"
         "0033003100310001000c0053005500540033003100310004000c00530055005400330031"
         "00310003000c0053005500540033003100310007000800413b42aecbaed00100000000",
         "014a71cae724995e612430e2be87578c"},
        {"73fe7a9a77bef0bde49c650d8ccb5f76",
         "fe534d4240000100000000000100800008000000000000000300000000000000fffe0000"
         "0000000019000000001000003ca64529acae57b26dcec17b14e477d71900010101000000"
         "000000005800cf010000000000000000a18201cb308201c7a0030a0101a28201aa048201"
         "a64e544c4d53535000030000001800180090000000ee00ee00a80000000c000c00580000"
         "001a001a0064000000120012007e0000001000100096010000158288e206038025000000"
         "0fed00e0f3d901f7b77e98071474f83009530055005400330031003100610064006d0069"
         "006e006900730074007200610074006f0072004400520049005600450052003300310031"
         "00000000000000000000000000000000000000000000000000a46794da5d2033965d5339"
         "e1a675b79b0101000000000000413b42aecbaed0018e4d343661ba6a750000000002000c"
         "0053005500540033003100310001000c0053005500540033003100310004000c00530055"
         "00540033003100310003000c0053005500540033003100310007000800413b42aecbaed0"
         "0106000400020000000800300030000000000000000000000000300000b61fefcaa857ea"
         "57bf1edcebf8974b8e0eba5a6dfd9d07a31d11b548f8c9d0cc0a00100000000000000000"
         "0000000000000000000900160063006900660073002f0053005500540033003100310000"
         "0000000000000000000000c8c61d67ce697693891336917655ddd3a31204100100000051"
         "22f070a7314a9b00000000",
         "3ca64529acae57b26dcec17b14e477d7"},
        {"c962bca1a9dd1697b030644199705431",
         "fe534d4240000100000000000100800009000000000000000300000000000000fffe0000"
         "0000000019000000001000008d604217ffbacf40635bf9d8729921500900000048001d00"
         "a11b3019a0030a0100a312041001000000cfb046fc5d368e2200000000",
         "8d604217ffbacf40635bf9d872992150"},
        {"8765949dfeaee105ce9118b45be988f0",
         "fe534d4240000100000000000100800009000000000000000200000000000000fffe0000"
         "0000000025000000001000006b85a4519a0f3eea35ba946dd3afe6b80900000048001d00"
         "a11b3019a0030a0100a3120410010000003932a87523ab660100000000",
         "6b85a4519a0f3eea35ba946dd3afe6b8"},
        {"3dcc82c5795ae27f383242761078c59b",
         "fe534d4240000100000000000100800009000000000000000200000000000000fffe0000"
         "0000000021000000001000003676196aee8ca17e5d50a53642ef2be40900000048001d00"
         "a11b3019a0030a0100a3120410010000000f57444342a2717e00000000",
         "3676196aee8ca17e5d50a53642ef2be4"},
    };
    for (int i = 0; i < 7; i++)
        check_smb2_vec(c, ASMB_SIGN_AES_CMAC, cmac[i][0], cmac[i][1], cmac[i][2]);
}

/* Reference GMAC with OpenSSL directly (process default context): the GCM
 * tag of AAD-only input. Independent of the library's code path. */
static void ref_gmac(const uint8_t key[16], const uint8_t nonce[12], const uint8_t *aad,
                     size_t n, uint8_t tag[16])
{
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int outl = 0;
    uint8_t dummy[16];
    EVP_EncryptInit_ex(x, EVP_aes_128_gcm(), NULL, key, nonce);
    EVP_EncryptUpdate(x, NULL, &outl, aad, (int)n);
    EVP_EncryptFinal_ex(x, dummy, &outl);
    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, 16, tag);
    EVP_CIPHER_CTX_free(x);
}

static void test_smb2_gmac(asmb_crypto *c)
{
    /* No published SMB GMAC example exists: build headers and check the MS-SMB2
     * 3.1.4.1 nonce (MessageId | response bit | cancel bit) against a reference
     * GCM computation. */
    static const struct {
        uint16_t cmd;
        uint32_t flags;
        uint8_t nonce_bits;
    } cases[] = {{0x0008, 0x00000008, 0}, {0x0008, 0x00000009, 1}, {0x000C, 0x00000008, 2},
                 {0x0005, 0x00000000, 0}};
    const uint8_t *key = t_hex("77be63708971c4e240d1cb79e8d77feb", NULL);
    uint8_t sigs[4][16];
    for (int i = 0; i < 4; i++) {
        uint8_t msg[64 + 41], nonce[12] = {0}, tag[16];
        for (size_t j = 0; j < sizeof msg; j++) msg[j] = (uint8_t)(j * 7 + 3);
        memcpy(msg, "\xfeSMB", 4);
        asmb_st16(msg + 4, 64);
        asmb_st16(msg + 12, cases[i].cmd);
        asmb_st32(msg + 16, cases[i].flags);
        asmb_st64(msg + 24, 0x0102030405060708ull + (uint64_t)i);
        asmb_iov body = {msg + 64, sizeof msg - 64};
        CHECK_EQ_INT(asmb__smb2_sign(c, ASMB_SIGN_AES_GMAC, key, msg, &body, 1), 0);
        memcpy(sigs[i], msg + 48, 16);

        memcpy(nonce, msg + 24, 8);
        nonce[8] = cases[i].nonce_bits;
        uint8_t aad[sizeof msg];
        memcpy(aad, msg, sizeof msg);
        memset(aad + 48, 0, 16);
        ref_gmac(key, nonce, aad, sizeof aad, tag);
        CHECK_MEM(msg + 48, tag, 16);

        asmb_iov whole = {msg, sizeof msg};
        CHECK_EQ_INT(asmb__smb2_verify(c, ASMB_SIGN_AES_GMAC, key, &whole, 1), 0);
        msg[24] ^= 0x01; /* another MessageId: another nonce */
        CHECK_EQ_INT(asmb__smb2_verify(c, ASMB_SIGN_AES_GMAC, key, &whole, 1), ASMB_ESIGNATURE);
        msg[24] ^= 0x01;
        msg[16] ^= 0x01; /* request <-> response */
        CHECK_EQ_INT(asmb__smb2_verify(c, ASMB_SIGN_AES_GMAC, key, &whole, 1), ASMB_ESIGNATURE);
        msg[16] ^= 0x01;
        msg[sizeof msg - 1] ^= 0x40;
        CHECK_EQ_INT(asmb__smb2_verify(c, ASMB_SIGN_AES_GMAC, key, &whole, 1), ASMB_ESIGNATURE);
        msg[sizeof msg - 1] ^= 0x40;
        CHECK_EQ_INT(asmb__smb2_verify(c, ASMB_SIGN_AES_GMAC, key, &whole, 1), 0);
    }
    CHECK(memcmp(sigs[0], sigs[1], 16) != 0);
}

static void test_bad_args(asmb_crypto *c)
{
    uint8_t key[16] = {1}, hdr[64] = {0}, sig[16];
    asmb_iov shortv = {hdr, 63}, v = {hdr, 64};
    CHECK_EQ_INT(asmb__smb2_signature(c, ASMB_SIGN_AES_CMAC, key, &shortv, 1, sig), ASMB_EINVAL);
    CHECK_EQ_INT(asmb__smb2_signature(c, ASMB_SIGN_AES_CMAC, key, &v, 0, sig), ASMB_EINVAL);
    CHECK_EQ_INT(asmb__smb2_signature(c, ASMB_SIGN_NONE, key, &v, 1, sig), ASMB_EINVAL);
    CHECK_EQ_INT(asmb__smb2_signature(c, 4, key, &v, 1, sig), ASMB_EINVAL);
    CHECK_EQ_INT(asmb__smb2_signature(c, ASMB_SIGN_AES_GMAC, key, &v, 1, sig), 0);
}

/* Two contexts are independent and agree. */
static void test_two_contexts(asmb_crypto *c)
{
    asmb_crypto *d = asmb__crypto_new();
    CHECK(d != NULL);
    if (!d) return;
    uint8_t a[16], b[16];
    asmb_iov v = {"abc", 3};
    CHECK_EQ_INT(asmb__hmac_md5(c, (const uint8_t *)"k", 1, &v, 1, a), 0);
    CHECK_EQ_INT(asmb__hmac_md5(d, (const uint8_t *)"k", 1, &v, 1, b), 0);
    CHECK_MEM(a, b, 16);
    asmb__crypto_free(d);
}

/* One shared library context: held while any asmb_crypto lives, released
 * by asmb_library_cleanup, made again on next use; many objects cost no
 * library context each (the old per-object one failed near 500). */
static void test_shared_context(asmb_crypto *c)
{
    asmb_crypto *d = asmb__crypto_new();
    CHECK(d != NULL);
    if (!d) return;
    CHECK(asmb__crypto_libctx(c) == asmb__crypto_libctx(d));
    CHECK(asmb__crypto_cipher(d, "AES-256-CCM") != NULL);
    CHECK(asmb__crypto_cipher(d, "RC4") == NULL);
    CHECK_EQ_INT(asmb_library_cleanup(), ASMB_EINUSE);
    asmb__crypto_free(d);

    enum { MANY = 2000 };
    asmb_crypto **many = calloc(MANY, sizeof *many);
    int made = 0, random_ok = 0;
    for (int i = 0; i < MANY; i++) {
        many[i] = asmb__crypto_new();
        if (!many[i]) continue;
        made++;
        uint8_t b[16];
        random_ok += asmb__random(many[i], b, sizeof b) == 0;
    }
    CHECK_EQ_INT(made, MANY);
    CHECK_EQ_INT(random_ok, MANY);
    for (int i = 0; i < MANY; i++) asmb__crypto_free(many[i]);
    free(many);
}

/* After the last object: released, and made again by the next one. */
static void test_cleanup_and_again(void)
{
    CHECK_EQ_INT(asmb_library_cleanup(), 0);
    CHECK_EQ_INT(asmb_library_cleanup(), 0); /* nothing left: still fine */
    asmb_crypto *c = asmb__crypto_new();
    CHECK(c != NULL);
    if (!c) return;
    uint8_t out[16];
    static const uint8_t md4_abc[16] = {0xa4, 0x48, 0x01, 0x7a, 0xaf, 0x21, 0xd8, 0x52,
                                        0x5f, 0xc1, 0x0a, 0xe8, 0x7a, 0xa6, 0x72, 0x9d};
    CHECK_EQ_INT(asmb__md4(c, "abc", 3, out), 0); /* the legacy provider is back */
    CHECK_MEM(out, md4_abc, 16);
    asmb__crypto_free(c);
    CHECK_EQ_INT(asmb_library_cleanup(), 0);
}

int main(void)
{
    asmb_crypto *c = asmb__crypto_new();
    CHECK(c != NULL);
    if (!c) TEST_DONE();
    test_random(c);
    test_digests(c);
    test_rc4(c);
    test_kdf(c);
    test_preauth(c);
    test_cmac_gmac(c);
    test_smb2_hmac_cmac(c);
    test_smb2_gmac(c);
    test_bad_args(c);
    test_two_contexts(c);
    test_shared_context(c);
    asmb__crypto_free(c);
    asmb__crypto_free(NULL);
    test_cleanup_and_again();
    t_free_all();
    TEST_DONE();
}
