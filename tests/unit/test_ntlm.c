/* NTLMv2 client (MS-NLMP): NTOWFv2, the MS-NLMP 4.2.4 computation, a real
 * Windows exchange (MIC, key exchange, mechListMIC), anonymous, and malformed
 * CHALLENGE messages. Vectors from /work/shared/vectors/ntlm.json. */
#include <stdint.h>
#include <string.h>

#include "asmb/asmb_errno.h"
#include "auth/ntlm.h"
#include "crypto/crypto.h"
#include "mem.h"
#include "test.h"
#include "wire/buf.h"


#define FLAGS_CLIENT 0xE2888235u
#define FLAG_ANONYMOUS 0x00000800u
#define FLAG_KEY_EXCH 0x40000000u

/* ---- MS-NLMP 4.2.4 (NTLMv2) ---- */
static const char v424_challenge[] =
    "4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef00000000"
    "000000002400240044000000060070170000000f53006500720076006500720002000c00"
    "44006f006d00610069006e0001000c0053006500720076006500720000000000";
static const char v424_authenticate[] =
    "4e544c4d5353500003000000180018006c00000054005400840000000c000c0048000000"
    "0800080054000000100010005c00000010001000d8000000358288e20501280a0000000f"
    "44006f006d00610069006e00550073006500720043004f004d0050005500540045005200"
    "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa68cd0ab851e51c96aabc927b"
    "ebef6a1c01010000000000000000000000000000aaaaaaaaaaaaaaaa0000000002000c00"
    "44006f006d00610069006e0001000c005300650072007600650072000000000000000000"
    "c5dad2544fc9799094ce1ce90bc9d03e";
static const char v424_lmv2[] = "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa";
static const char v424_nt_response[] =
    "68cd0ab851e51c96aabc927bebef6a1c01010000000000000000000000000000aaaaaaaa"
    "aaaaaaaa0000000002000c0044006f006d00610069006e0001000c005300650072007600"
    "650072000000000000000000";
static const char v424_enc_key[] = "c5dad2544fc9799094ce1ce90bc9d03e";
static const char v424_ntowfv2[] = "0c868a403bfd7a93a3001ef22ef02e3f";
static const char v424_sign_key[] = "4788dc861b4782f35d43fd98fe1a2d39";
static const char v424_seal_key[] = "59f600973cc4960a25480a7c196e4c58";
static const char v424_plain[] = "50006c00610069006e007400650078007400";
static const char v424_sealed[] = "54e50165bf1936dc996020c1811b0f06fb5f";
static const char v424_wrap_sig[] = "010000007fb38ec5c55d497600000000";

/* ---- Real Windows exchanges (MS Open Specifications blogs) ---- */
static const char real_negotiate[] =
    "4e544c4d5353500001000000978208e20000000000000000000000000000000006038025"
    "0000000f";
static const char real_challenge[] =
    "4e544c4d53535000020000000c000c003800000015828ae20d1d8ba31179d00800000000"
    "0000000050005000440000000a0092270000000f53005500540033003100310002000c00"
    "53005500540033003100310001000c0053005500540033003100310004000c0053005500"
    "540033003100310003000c0053005500540033003100310007000800a1a1f5adcbaed001"
    "00000000";
static const char real_authenticate[] =
    "4e544c4d53535000030000001800180090000000ee00ee00a80000000c000c0058000000"
    "1a001a0064000000120012007e0000001000100096010000158288e2060380250000000f"
    "ecac77a5f385a8bf9c38c706eeeddcd3530055005400330031003100610064006d006900"
    "6e006900730074007200610074006f007200440052004900560045005200330031003100"
    "00000000000000000000000000000000000000000000000063078eb639fe03e20a231c3a"
    "e3bf23080101000000000000a1a1f5adcbaed001bc4ad05f223cc90f0000000002000c00"
    "53005500540033003100310001000c0053005500540033003100310004000c0053005500"
    "540033003100310003000c0053005500540033003100310007000800a1a1f5adcbaed001"
    "06000400020000000800300030000000000000000000000000300000b61fefcaa857ea57"
    "bf1edcebf8974b8e0eba5a6dfd9d07a31d11b548f8c9d0cc0a0010000000000000000000"
    "00000000000000000900160063006900660073002f005300550054003300310031000000"
    "000000000000000000003b9bdff38f5ee8f9663f11a0f4c03a78";
static const char real_temp[] =
    "0101000000000000a1a1f5adcbaed001bc4ad05f223cc90f0000000002000c0053005500"
    "540033003100310001000c0053005500540033003100310004000c005300550054003300"
    "3100310003000c0053005500540033003100310007000800a1a1f5adcbaed00106000400"
    "020000000800300030000000000000000000000000300000b61fefcaa857ea57bf1edceb"
    "f8974b8e0eba5a6dfd9d07a31d11b548f8c9d0cc0a001000000000000000000000000000"
    "000000000900160063006900660073002f00530055005400330031003100000000000000"
    "000000000000";
static const char real_ntowfv2[] = "aee3959b44a815f1eb28c9511b4f533b";
static const char real_nt_hash[] = "7c4fe5eada682714a036e39378362bab";
static const char real_server_challenge[] = "0d1d8ba31179d008";
static const char real_proof[] = "63078eb639fe03e20a231c3ae3bf2308";
static const char real_kek[] = "b4cf22566926b1c069acd80e4d73c814";
static const char real_enc_key[] = "3b9bdff38f5ee8f9663f11a0f4c03a78";
static const char real_esk[] = "270e1ba896585eeb7af3472d3b4c75a7";
static const char real_mic[] = "ecac77a5f385a8bf9c38c706eeeddcd3";
static const char real_mech_types[] = "300c060a2b06010401823702020a";
static const char real_client_mlmic[] = "0100000063775a9a5fd97f0600000000";
static const char real_server_mlmic[] = "010000003b453cdc3524164200000000";
/* What our temp is for that CHALLENGE: the server's AV pairs, MsvAvFlags = 2,
 * MsvAvEOL, Z(4) (Windows adds more pairs after MsvAvFlags; we do not). */
static const char real_our_temp[] =
    "0101000000000000a1a1f5adcbaed001bc4ad05f223cc90f0000000002000c0053005500"
    "540033003100310001000c0053005500540033003100310004000c005300550054003300"
    "3100310003000c0053005500540033003100310007000800a1a1f5adcbaed00106000400"
    "020000000000000000000000";

/* Exchanges 4 and 5 (second channel; 3.1.1 encryption blog): MIC only. */
static const char *const mic_vecs[2][5] = {
    {"4e544c4d5353500001000000978208e20000000000000000000000000000000006038025"
     "0000000f",
     "4e544c4d53535000020000000c000c003800000015828ae23823da68e32d2fe100000000"
     "0000000050005000440000000a0092270000000f53005500540033003100310002000c00"
     "53005500540033003100310001000c0053005500540033003100310004000c0053005500"
     "540033003100310003000c0053005500540033003100310007000800413b42aecbaed001"
     "00000000",
     "4e544c4d53535000030000001800180090000000ee00ee00a80000000c000c0058000000"
     "1a001a0064000000120012007e0000001000100096010000158288e2060380250000000f"
     "ed00e0f3d901f7b77e98071474f83009530055005400330031003100610064006d006900"
     "6e006900730074007200610074006f007200440052004900560045005200330031003100"
     "000000000000000000000000000000000000000000000000a46794da5d2033965d5339e1"
     "a675b79b0101000000000000413b42aecbaed0018e4d343661ba6a750000000002000c00"
     "53005500540033003100310001000c0053005500540033003100310004000c0053005500"
     "540033003100310003000c0053005500540033003100310007000800413b42aecbaed001"
     "06000400020000000800300030000000000000000000000000300000b61fefcaa857ea57"
     "bf1edcebf8974b8e0eba5a6dfd9d07a31d11b548f8c9d0cc0a0010000000000000000000"
     "00000000000000000900160063006900660073002f005300550054003300310031000000"
     "00000000000000000000c8c61d67ce697693891336917655ddd3",
     "84b9dbb730116a8fa6e9889555c265f9", "ed00e0f3d901f7b77e98071474f83009"},
    {"4e544c4d5353500001000000978208e20000000000000000000000000000000006038025"
     "0000000f",
     "4e544c4d53535000020000000c000c003800000015828ae25fc0cb7f886e93d600000000"
     "0000000050005000440000000a0092270000000f53005500540033003100310002000c00"
     "53005500540033003100310001000c0053005500540033003100310004000c0053005500"
     "540033003100310003000c0053005500540033003100310007000800248d5c6ccdaed001"
     "00000000",
     "4e544c4d53535000030000001800180090000000ee00ee00a80000000c000c0058000000"
     "1a001a0064000000120012007e0000001000100096010000158288e2060380250000000f"
     "a5e34268ef143be5816251d02c564e9b530055005400330031003100610064006d006900"
     "6e006900730074007200610074006f007200440052004900560045005200330031003100"
     "0000000000000000000000000000000000000000000000002c263da5c2d54785e8eda055"
     "2472d3a30101000000000000248d5c6ccdaed001bea7a53e2dc098eb0000000002000c00"
     "53005500540033003100310001000c0053005500540033003100310004000c0053005500"
     "540033003100310003000c0053005500540033003100310007000800248d5c6ccdaed001"
     "06000400020000000800300030000000000000000000000000300000b61fefcaa857ea57"
     "bf1edcebf8974b8e0eba5a6dfd9d07a31d11b548f8c9d0cc0a0010000000000000000000"
     "00000000000000000900160063006900660073002f005300550054003300310031000000"
     "00000000000000000000133fa6ea154880bb44576c6e2490bde7",
     "419fddf34c1e001909d362ae7fb6af79", "a5e34268ef143be5816251d02c564e9b"},
};

/* NTOWFv2 from the primitives (MS-NLMP 3.3.2). */
static void ntowfv2(asmb_crypto *c, const char *user, const char *pass, const char *domain,
                    uint8_t nt_hash[16], uint8_t out[16])
{
    asmb_wr pw, id;
    asmb_wr_init(&pw);
    asmb_wr_init(&id);
    CHECK_EQ_INT(asmb_utf8_to_utf16le(&pw, pass, strlen(pass)), 0);
    CHECK_EQ_INT(asmb_utf8_to_utf16le_upper(&id, user, strlen(user)), 0);
    CHECK_EQ_INT(asmb_utf8_to_utf16le(&id, domain, strlen(domain)), 0);
    CHECK_EQ_INT(asmb__md4(c, pw.data, pw.len, nt_hash), 0);
    asmb_iov v = {id.data, id.len};
    CHECK_EQ_INT(asmb__hmac_md5(c, nt_hash, 16, &v, 1, out), 0);
    asmb_wr_free(&pw);
    asmb_wr_free(&id);
}

static void hmac16(asmb_crypto *c, const uint8_t *key, const void *a, size_t an, const void *b,
                   size_t bn, uint8_t out[16])
{
    asmb_iov v[2] = {{a, an}, {b, bn}};
    CHECK_EQ_INT(asmb__hmac_md5(c, key, 16, v, 2, out), 0);
}

static void test_ntowfv2(asmb_crypto *c)
{
    uint8_t h[16], k[16];
    ntowfv2(c, "User", "Password", "Domain", h, k);
    CHECK_MEM(h, t_hex("a4f49c406510bdcab6824ee7c30fd852", NULL), 16); /* MD4 */
    CHECK_MEM(k, t_hex(v424_ntowfv2, NULL), 16);
    ntowfv2(c, "administrator", "Password01!", "SUT311", h, k);
    CHECK_MEM(h, t_hex(real_nt_hash, NULL), 16);
    CHECK_MEM(k, t_hex(real_ntowfv2, NULL), 16);
}

/* Pointer and length of an AUTHENTICATE Len/MaxLen/Offset field. */
static const uint8_t *afield(const asmb_wr *w, size_t at, size_t *len)
{
    static const uint8_t none[1];
    CHECK(w->data != NULL && w->len >= 72);
    if (!w->data || w->len < 72) {
        *len = 0;
        return none;
    }
    size_t l = asmb_le16(w->data + at), off = asmb_le32(w->data + at + 4);
    CHECK(asmb_le16(w->data + at + 2) == l);
    CHECK(off <= w->len && l <= w->len - off);
    *len = l;
    return off <= w->len && l <= w->len - off ? w->data + off : w->data;
}

#define AF_LM 12
#define AF_NT 20
#define AF_DOMAIN 28
#define AF_USER 36
#define AF_WS 44
#define AF_SESSKEY 52

static void test_negotiate(asmb_crypto *c)
{
    asmb_ntlm_params p = {"u", "p", "", "", NULL, NULL};
    asmb_ntlm *n = asmb__ntlm_new(c, &p);
    asmb_wr w;
    asmb_wr_init(&w);
    asmb_wr_bytes(&w, "xy", 2); /* appends after existing content */
    CHECK_EQ_INT(asmb__ntlm_negotiate(n, &w), 0);
    CHECK_EQ_INT(w.len, 42);
    CHECK_MEM(w.data + 2, "NTLMSSP\0\1\0\0\0", 12);
    CHECK_EQ_INT(asmb_le32(w.data + 14), FLAGS_CLIENT);
    CHECK_EQ_INT(w.data[2 + 39], 0x0f); /* NTLMSSP_REVISION_W2K3 */
    asmb_wr_free(&w);
    asmb__ntlm_free(n);
}

/* The connection keeps only the NT hash: an NTLM context given the hash
 * (MS-NLMP 3.3.1: MD4(UNICODE(Passwd)), the spec's 4.2.2.1.2 value) answers the
 * spec's challenge exactly as one given the password. */
static void test_nt_hash_instead_of_password(asmb_crypto *c)
{
    uint8_t hash[16];
    CHECK_EQ_INT(asmb__ntlm_hash(c, "Password", hash), 0);
    CHECK_MEM(hash, t_hex("a4f49c406510bdcab6824ee7c30fd852", NULL), 16);
    const uint8_t *cc = t_hex("aaaaaaaaaaaaaaaa", NULL);
    const uint8_t *esk = t_hex("55555555555555555555555555555555", NULL);
    asmb_ntlm_params by_pw = {"User", "Password", "Domain", "COMPUTER", cc, esk, NULL};
    asmb_ntlm_params by_hash = {"User", NULL, "Domain", "COMPUTER", cc, esk, hash};
    size_t clen;
    const uint8_t *chal = t_hex(v424_challenge, &clen);
    asmb_wr out[2];
    for (int i = 0; i < 2; i++) {
        asmb_ntlm *n = asmb__ntlm_new(c, i ? &by_hash : &by_pw);
        asmb_wr neg;
        asmb_wr_init(&neg);
        asmb_wr_init(&out[i]);
        CHECK(n != NULL);
        CHECK_EQ_INT(asmb__ntlm_negotiate(n, &neg), 0);
        CHECK_EQ_INT(asmb__ntlm_authenticate(n, chal, clen, 0, &out[i]), 0);
        asmb_wr_free(&neg);
        asmb__ntlm_free(n);
    }
    CHECK_EQ_INT(out[0].len, out[1].len);
    if (out[0].len == out[1].len) CHECK_MEM(out[0].data, out[1].data, out[0].len);
    asmb_wr_free(&out[0]);
    asmb_wr_free(&out[1]);
}

/* MS-NLMP 4.2.4: fixed client challenge and random session key; no
 * MsvAvTimestamp, so LMv2, no MsvAvFlags and no MIC. */
static void test_nlmp_424(asmb_crypto *c)
{
    asmb_ntlm_params p = {"User", "Password", "Domain", "COMPUTER", t_hex("aaaaaaaaaaaaaaaa", NULL),
                          t_hex("55555555555555555555555555555555", NULL)};
    asmb_ntlm *n = asmb__ntlm_new(c, &p);
    asmb_wr neg, auth;
    size_t clen, slen, l;
    const uint8_t *chal = t_hex(v424_challenge, &clen), *spec = t_hex(v424_authenticate, &slen);
    uint8_t key[16];
    asmb_wr_init(&neg);
    asmb_wr_init(&auth);
    CHECK(n != NULL);
    CHECK_EQ_INT(asmb__ntlm_negotiate(n, &neg), 0);
    CHECK_EQ_INT(asmb__ntlm_session_key(n, key), ASMB_EINVAL); /* not yet */
    CHECK_EQ_INT(asmb__ntlm_authenticate(n, chal, clen, 0, &auth), 0);
    /* Same layout as the spec's message; only Version (bytes 64..71) differs. */
    CHECK_EQ_INT(auth.len, slen);
    if (auth.len == slen) {
        CHECK_MEM(auth.data, spec, 64);
        CHECK_MEM(auth.data + 72, spec + 72, slen - 72);
    }
    /* And field by field. */
    const uint8_t *f = afield(&auth, AF_LM, &l);
    CHECK_EQ_INT(l, 24);
    CHECK_MEM(f, t_hex(v424_lmv2, NULL), 24);
    f = afield(&auth, AF_NT, &l);
    size_t ntl;
    const uint8_t *want_nt = t_hex(v424_nt_response, &ntl);
    CHECK_EQ_INT(l, ntl);
    if (l == ntl) CHECK_MEM(f, want_nt, ntl);
    f = afield(&auth, AF_SESSKEY, &l);
    CHECK_EQ_INT(l, 16);
    CHECK_MEM(f, t_hex(v424_enc_key, NULL), 16);
    f = afield(&auth, AF_USER, &l);
    CHECK_EQ_INT(l, 8);
    CHECK_MEM(f, "U\0s\0e\0r\0", 8);
    f = afield(&auth, AF_DOMAIN, &l);
    CHECK_EQ_INT(asmb_le32(auth.data + AF_DOMAIN + 4), 72); /* no MIC field */
    CHECK_EQ_INT(asmb_le32(auth.data + 60), FLAGS_CLIENT);
    CHECK_EQ_INT(asmb__ntlm_session_key(n, key), 0);
    CHECK_MEM(key, t_hex("55555555555555555555555555555555", NULL), 16);
    CHECK_EQ_INT(asmb__ntlm_is_anonymous(n), 0);

    /* The spec's keys reproduce its GSS_WrapEx output: RC4(SealKey) over the
     * plaintext, then over HMAC_MD5(SignKey, seq 0 | plaintext)[0..8]. */
    size_t pl;
    const uint8_t *plain = t_hex(v424_plain, &pl), *sk = t_hex(v424_sign_key, NULL),
                  *ek = t_hex(v424_seal_key, NULL);
    uint8_t mac0[16], mac1[16], buf[64], ks[32] = {0}, sig[16];
    hmac16(c, sk, "\0\0\0\0", 4, plain, pl, mac0);
    memcpy(buf, plain, pl);
    memcpy(buf + pl, mac0, 8);
    CHECK_EQ_INT(asmb__rc4(c, ek, buf, pl + 8, buf), 0);
    CHECK_MEM(buf, t_hex(v424_sealed, NULL), pl);
    CHECK_MEM(buf + pl, t_hex(v424_wrap_sig, NULL) + 4, 8);
    /* Our NTLMSSP_MESSAGE_SIGNATURE (no sealing before it): checksum is the
     * HMAC XOR the fresh client sealing key stream, continuing with seq 1. */
    CHECK_EQ_INT(asmb__rc4(c, ek, ks, 16, ks), 0);
    hmac16(c, sk, "\1\0\0\0", 4, plain, pl, mac1);
    CHECK_EQ_INT(asmb__ntlm_sign(n, 0, plain, pl, sig), 0);
    CHECK_EQ_INT(asmb_le32(sig), 1);
    for (int i = 0; i < 8; i++) CHECK_EQ_INT(sig[4 + i], mac0[i] ^ ks[i]);
    CHECK_EQ_INT(asmb_le32(sig + 12), 0);
    CHECK_EQ_INT(asmb__ntlm_sign(n, 1, plain, pl, sig), 0);
    for (int i = 0; i < 8; i++) CHECK_EQ_INT(sig[4 + i], mac1[i] ^ ks[8 + i]);
    CHECK_EQ_INT(asmb_le32(sig + 12), 1);

    asmb_wr_free(&neg);
    asmb_wr_free(&auth);
    asmb__ntlm_free(n);
}

/* The published exchange, from the primitives: NTProofStr, key exchange, MIC. */
static void test_real_primitives(asmb_crypto *c)
{
    size_t tl, nl, cl, al;
    const uint8_t *k = t_hex(real_ntowfv2, NULL), *temp = t_hex(real_temp, &tl);
    const uint8_t *sc = t_hex(real_server_challenge, NULL), *esk = t_hex(real_esk, NULL);
    uint8_t proof[16], kek[16], enc[16], mic[16];
    hmac16(c, k, sc, 8, temp, tl, proof);
    CHECK_MEM(proof, t_hex(real_proof, NULL), 16);
    hmac16(c, k, proof, 16, "", 0, kek);
    CHECK_MEM(kek, t_hex(real_kek, NULL), 16);
    CHECK_EQ_INT(asmb__rc4(c, kek, esk, 16, enc), 0);
    CHECK_MEM(enc, t_hex(real_enc_key, NULL), 16);

    for (int i = 0; i < 3; i++) {
        const char *const *m = i == 0 ? (const char *const[]){real_negotiate, real_challenge,
                                                              real_authenticate, real_esk, real_mic}
                                      : mic_vecs[i - 1];
        const uint8_t *neg = t_hex(m[0], &nl), *chal = t_hex(m[1], &cl);
        uint8_t *auth = t_hex(m[2], &al);
        CHECK_MEM(auth + 72, t_hex(m[4], NULL), 16);
        memset(auth + 72, 0, 16);
        asmb_iov v[3] = {{neg, nl}, {chal, cl}, {auth, al}};
        CHECK_EQ_INT(asmb__hmac_md5(c, t_hex(m[3], NULL), 16, v, 3, mic), 0);
        CHECK_MEM(mic, t_hex(m[4], NULL), 16);
    }
}

/* Our AUTHENTICATE for the published CHALLENGE (MsvAvTimestamp present):
 * Z(24) LM, MsvAvFlags, MIC, key exchange, and the published mechListMICs. */
static void test_real_exchange(asmb_crypto *c)
{
    const uint8_t *esk = t_hex(real_esk, NULL);
    asmb_ntlm_params p = {"administrator", "Password01!", "SUT311", "DRIVER311",
                          t_hex("bc4ad05f223cc90f", NULL), esk};
    asmb_ntlm *n = asmb__ntlm_new(c, &p);
    asmb_wr neg, auth;
    size_t clen, l, tl, ml;
    const uint8_t *chal = t_hex(real_challenge, &clen), *k = t_hex(real_ntowfv2, NULL);
    const uint8_t *temp = t_hex(real_our_temp, &tl), *sc = t_hex(real_server_challenge, NULL);
    uint8_t proof[16], kek[16], enc[16], mic[16], key[16], sig[16];
    static const uint8_t z24[24];
    asmb_wr_init(&neg);
    asmb_wr_init(&auth);

    /* The MIC needs our NEGOTIATE first. */
    CHECK_EQ_INT(asmb__ntlm_authenticate(n, chal, clen, 0, &auth), ASMB_EINVAL);
    CHECK_EQ_INT(auth.len, 0);
    CHECK_EQ_INT(asmb__ntlm_negotiate(n, &neg), 0);
    /* now_filetime is ignored: the server's MsvAvTimestamp is used. */
    CHECK_EQ_INT(asmb__ntlm_authenticate(n, chal, clen, 0x0123456789abcdefull, &auth), 0);
    CHECK_EQ_INT(asmb_le32(auth.data + 60), 0xE2888215u); /* ours & the server's */
    CHECK_EQ_INT(asmb_le32(auth.data + AF_DOMAIN + 4), 88); /* MIC field present */

    const uint8_t *f = afield(&auth, AF_LM, &l);
    CHECK_EQ_INT(l, 24);
    CHECK_MEM(f, z24, 24);
    f = afield(&auth, AF_NT, &l);
    CHECK_EQ_INT(l, 16 + tl);
    hmac16(c, k, sc, 8, temp, tl, proof);
    if (l == 16 + tl) {
        CHECK_MEM(f, proof, 16);
        CHECK_MEM(f + 16, temp, tl);
    }
    hmac16(c, k, proof, 16, "", 0, kek);
    CHECK_EQ_INT(asmb__rc4(c, kek, esk, 16, enc), 0);
    f = afield(&auth, AF_SESSKEY, &l);
    CHECK_EQ_INT(l, 16);
    CHECK_MEM(f, enc, 16);
    f = afield(&auth, AF_USER, &l);
    CHECK_EQ_INT(l, 26);
    CHECK_MEM(f, "a\0d\0m\0i\0n\0i\0s\0t\0r\0a\0t\0o\0r\0", 26);
    f = afield(&auth, AF_DOMAIN, &l);
    CHECK_EQ_INT(l, 12);
    CHECK_MEM(f, "S\0U\0T\0" "3\0" "1\0" "1\0", 12);
    f = afield(&auth, AF_WS, &l);
    CHECK_EQ_INT(l, 18);

    /* MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE | CHALLENGE | AUTHENTICATE
     * with the MIC zeroed). */
    uint8_t got_mic[16];
    memcpy(got_mic, auth.data + 72, 16);
    memset(auth.data + 72, 0, 16);
    asmb_iov v[3] = {{neg.data, neg.len}, {chal, clen}, {auth.data, auth.len}};
    CHECK_EQ_INT(asmb__hmac_md5(c, esk, 16, v, 3, mic), 0);
    CHECK_MEM(got_mic, mic, 16);

    CHECK_EQ_INT(asmb__ntlm_session_key(n, key), 0);
    CHECK_MEM(key, esk, 16);

    /* mechListMIC of the published SESSION_SETUPs: the client's (our sign),
     * the server's (our verify), both seq 0 on fresh RC4 handles. */
    const uint8_t *mt = t_hex(real_mech_types, &ml);
    CHECK_EQ_INT(asmb__ntlm_sign(n, 0, mt, ml, sig), 0);
    CHECK_MEM(sig, t_hex(real_client_mlmic, NULL), 16);
    CHECK_EQ_INT(asmb__ntlm_verify(n, 0, mt, ml, t_hex(real_server_mlmic, NULL)), 0);
    /* The server handle moved on: the same signature no longer verifies. */
    CHECK_EQ_INT(asmb__ntlm_verify(n, 0, mt, ml, t_hex(real_server_mlmic, NULL)), ASMB_ESIGNATURE);

    /* A second run, with a bad server mechListMIC. */
    asmb_wr_free(&auth);
    CHECK_EQ_INT(asmb__ntlm_authenticate(n, chal, clen, 0, &auth), 0);
    uint8_t *bad = t_hex(real_server_mlmic, NULL);
    bad[6] ^= 0x01;
    CHECK_EQ_INT(asmb__ntlm_verify(n, 0, mt, ml, bad), ASMB_ESIGNATURE);
    /* Re-authenticating restarted the client handle too. */
    CHECK_EQ_INT(asmb__ntlm_sign(n, 0, mt, ml, sig), 0);
    CHECK_MEM(sig, t_hex(real_client_mlmic, NULL), 16);

    asmb_wr_free(&neg);
    asmb_wr_free(&auth);
    asmb__ntlm_free(n);
}

/* A CHALLENGE with MsvAvFlags already present: ours ORs in 0x2, one copy. */
static void test_existing_av_flags(asmb_crypto *c)
{
    asmb_wr ch, neg, auth;
    asmb_wr_init(&ch);
    asmb_wr_init(&neg);
    asmb_wr_init(&auth);
    asmb_wr_bytes(&ch, "NTLMSSP\0\2\0\0\0", 12);
    asmb_wr_u16(&ch, 0); asmb_wr_u16(&ch, 0); asmb_wr_u32(&ch, 56); /* TargetName */
    asmb_wr_u32(&ch, 0xe28a8215u);
    asmb_wr_bytes(&ch, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    asmb_wr_zero(&ch, 8);
    asmb_wr_u16(&ch, 24); asmb_wr_u16(&ch, 24); asmb_wr_u32(&ch, 56); /* TargetInfo */
    asmb_wr_zero(&ch, 8); /* Version */
    asmb_wr_u16(&ch, 6); asmb_wr_u16(&ch, 4); asmb_wr_u32(&ch, 0x1);
    asmb_wr_u16(&ch, 7); asmb_wr_u16(&ch, 8); asmb_wr_u64(&ch, 0x01d0aecbadf5a1a1ull);
    asmb_wr_u32(&ch, 0);
    CHECK_EQ_INT(ch.len, 80);

    asmb_ntlm_params p = {"u", "p", "d", "w", NULL, NULL};
    asmb_ntlm *n = asmb__ntlm_new(c, &p);
    CHECK_EQ_INT(asmb__ntlm_negotiate(n, &neg), 0);
    CHECK_EQ_INT(asmb__ntlm_authenticate(n, ch.data, ch.len, 0, &auth), 0);
    size_t l;
    const uint8_t *nt = afield(&auth, AF_NT, &l);
    /* NTProofStr(16) + temp header(28) + pairs (timestamp, flags, EOL) + Z(4) */
    CHECK_EQ_INT(l, 16 + 28 + 12 + 8 + 4 + 4);
    if (l == 72) {
        const uint8_t *av = nt + 44;
        CHECK_EQ_INT(asmb_le16(av), 7);
        CHECK_EQ_INT(asmb_le64(av + 4), 0x01d0aecbadf5a1a1ull);
        CHECK_EQ_INT(asmb_le16(av + 12), 6);
        CHECK_EQ_INT(asmb_le32(av + 16), 0x3);
        CHECK_EQ_INT(asmb_le32(av + 20), 0); /* EOL */
        CHECK_EQ_INT(asmb_le64(nt + 16 + 8), 0x01d0aecbadf5a1a1ull); /* temp Time */
    }
    /* Random client challenge and session key when not given. */
    uint8_t key[16], key2[16];
    CHECK_EQ_INT(asmb__ntlm_session_key(n, key), 0);
    asmb_wr_free(&auth);
    CHECK_EQ_INT(asmb__ntlm_authenticate(n, ch.data, ch.len, 0, &auth), 0);
    CHECK_EQ_INT(asmb__ntlm_session_key(n, key2), 0);
    CHECK(memcmp(key, key2, 16) != 0);
    asmb__ntlm_free(n);
    asmb_wr_free(&ch);
    asmb_wr_free(&neg);
    asmb_wr_free(&auth);
}

/* MS-NLMP 3.2.5.1.2: anonymous. */
static void test_anonymous(asmb_crypto *c)
{
    for (int i = 0; i < 2; i++) {
        asmb_ntlm_params p = {i ? "" : NULL, NULL, NULL, "WS", NULL, NULL};
        asmb_ntlm *n = asmb__ntlm_new(c, &p);
        asmb_wr neg, auth;
        size_t clen, l;
        const uint8_t *chal = t_hex(i ? real_challenge : v424_challenge, &clen);
        uint8_t key[16], sig[16];
        asmb_wr_init(&neg);
        asmb_wr_init(&auth);
        CHECK_EQ_INT(asmb__ntlm_is_anonymous(n), 1);
        CHECK_EQ_INT(asmb__ntlm_negotiate(n, &neg), 0);
        CHECK_EQ_INT(asmb__ntlm_authenticate(n, chal, clen, 0, &auth), 0);
        uint32_t fl = asmb_le32(auth.data + 60);
        CHECK(fl & FLAG_ANONYMOUS);
        CHECK(!(fl & FLAG_KEY_EXCH));
        const uint8_t *f = afield(&auth, AF_LM, &l);
        CHECK_EQ_INT(l, 1);
        CHECK_EQ_INT(f[0], 0);
        afield(&auth, AF_NT, &l);
        CHECK_EQ_INT(l, 0);
        afield(&auth, AF_USER, &l);
        CHECK_EQ_INT(l, 0);
        afield(&auth, AF_SESSKEY, &l);
        CHECK_EQ_INT(l, 0);
        CHECK_EQ_INT(asmb_le32(auth.data + AF_DOMAIN + 4), 72); /* no MIC */
        CHECK_EQ_INT(auth.len, 72 + 1 + 4);
        CHECK_EQ_INT(asmb__ntlm_session_key(n, key), ASMB_EINVAL);
        CHECK_EQ_INT(asmb__ntlm_sign(n, 0, "x", 1, sig), ASMB_EINVAL);
        asmb_wr_free(&neg);
        asmb_wr_free(&auth);
        asmb__ntlm_free(n);
    }
}

struct mutation {
    const char *what;
    size_t at;
    const char *bytes; /* hex, written at `at` */
};

/* Malformed CHALLENGE messages: ASMB_EPROTO, nothing written, no key. */
static void test_malformed(asmb_crypto *c)
{
    /* real_challenge: TargetName at 0x38 (12 bytes), TargetInfo at 0x44 (0x50
     * bytes: pairs 2,1,4,3 of 12 bytes, Timestamp at 0x84, EOL at 0x90). */
    static const struct mutation muts[] = {
        {"signature", 0, "58"},
        {"message type", 8, "03"},
        {"TargetInfo offset huge", 44, "ffffffff"},
        {"TargetInfo offset+len past end", 44, "45000000"},
        {"TargetInfo len past end", 40, "5100"},
        {"TargetInfo len 0xffff", 40, "ffff"},
        {"TargetName offset past end", 16, "90000000"},
        {"TargetName len 0xffff", 12, "ffff"},
        {"AV pair len past TargetInfo", 0x46, "ff00"},
        {"no MsvAvEOL", 40, "4c00"},
        {"EOL with a length", 0x92, "0100"},
        {"Timestamp not 8 bytes", 0x86, "04000000000000000000"},
        {"OEM only", 20, "14"},
    };
    size_t clen;
    const uint8_t *orig = t_hex(real_challenge, &clen);
    uint8_t *m = malloc(clen);
    asmb_ntlm_params p = {"u", "p", "d", "w", NULL, NULL};
    asmb_ntlm *n = asmb__ntlm_new(c, &p);
    asmb_wr neg, auth;
    uint8_t key[16];
    asmb_wr_init(&neg);
    asmb_wr_init(&auth);
    CHECK_EQ_INT(asmb__ntlm_negotiate(n, &neg), 0);
    CHECK_EQ_INT(clen, 0x94);
    for (size_t i = 0; i < ASMB_ARRAY_LEN(muts); i++) {
        size_t bl;
        const uint8_t *b = t_hex(muts[i].bytes, &bl);
        memcpy(m, orig, clen);
        memcpy(m + muts[i].at, b, bl);
        int rc = asmb__ntlm_authenticate(n, m, clen, 0, &auth);
        if (rc != ASMB_EPROTO) fprintf(stderr, "mutation '%s': rc %d\n", muts[i].what, rc);
        CHECK_EQ_INT(rc, ASMB_EPROTO);
        CHECK_EQ_INT(auth.len, 0);
        CHECK_EQ_INT(asmb__ntlm_session_key(n, key), ASMB_EINVAL);
    }
    /* Every truncation (the TargetInfo ends the message). */
    int bad = 0;
    for (size_t len = 0; len < clen; len++) {
        uint8_t *t = malloc(len ? len : 1); /* exact size: ASan sees over-reads */
        memcpy(t, orig, len);
        if (asmb__ntlm_authenticate(n, t, len, 0, &auth) != ASMB_EPROTO || auth.len) bad++;
        free(t);
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(asmb__ntlm_authenticate(n, NULL, 0, 0, &auth), ASMB_EPROTO);
    /* The unmodified message is accepted. */
    memcpy(m, orig, clen);
    CHECK_EQ_INT(asmb__ntlm_authenticate(n, m, clen, 0, &auth), 0);
    CHECK(auth.len > 88);
    free(m);
    asmb_wr_free(&neg);
    asmb_wr_free(&auth);
    asmb__ntlm_free(n);
}

int main(void)
{
    asmb_crypto *c = asmb__crypto_new();
    CHECK(c != NULL);
    if (!c) TEST_DONE();
    test_ntowfv2(c);
    test_negotiate(c);
    test_nlmp_424(c);
    test_nt_hash_instead_of_password(c);
    test_real_primitives(c);
    test_real_exchange(c);
    test_existing_av_flags(c);
    test_anonymous(c);
    test_malformed(c);
    asmb__ntlm_free(NULL);
    asmb__crypto_free(c);
    t_free_all();
    TEST_DONE();
}
