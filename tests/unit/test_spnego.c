/* SPNEGO (RFC 4178) DER: NegTokenInit against a real Windows token, NegTokenResp
 * round trips, real server responses, and malformed DER. Real tokens are the
 * security buffers of the anatomy blog's SESSION_SETUP packets
 * (/work/shared/vectors/preauth.json, first channel). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asmb/asmb_errno.h"
#include "auth/spnego.h"
#include "mem.h"
#include "test.h"
#include "wire/buf.h"


/* SESSION_SETUP request 1: NegTokenInit with the NTLM NEGOTIATE. */
static const char client_init[] =
    "604806062b0601050502a03e303ca00e300c060a2b06010401823702020aa22a04284e54"
    "4c4d5353500001000000978208e200000000000000000000000000000000060380250000"
    "000f";
static const char ntlm_negotiate[] =
    "4e544c4d5353500001000000978208e20000000000000000000000000000000006038025"
    "0000000f";
/* SESSION_SETUP response 1: negState accept-incomplete, supportedMech
 * NTLMSSP, responseToken = CHALLENGE. */
static const char server_resp1[] =
    "a181b03081ada0030a0101a10c060a2b06010401823702020aa281970481944e544c4d53"
    "535000020000000c000c003800000015828ae20d1d8ba31179d008000000000000000050"
    "005000440000000a0092270000000f53005500540033003100310002000c005300550054"
    "0033003100310001000c0053005500540033003100310004000c00530055005400330031"
    "00310003000c0053005500540033003100310007000800a1a1f5adcbaed00100000000";
static const char ntlm_challenge[] =
    "4e544c4d53535000020000000c000c003800000015828ae20d1d8ba31179d00800000000"
    "0000000050005000440000000a0092270000000f53005500540033003100310002000c00"
    "53005500540033003100310001000c0053005500540033003100310004000c0053005500"
    "540033003100310003000c0053005500540033003100310007000800a1a1f5adcbaed001"
    "00000000";
/* SESSION_SETUP request 2: negState, AUTHENTICATE and the client mechListMIC. */
static const char client_resp2[] =
    "a18201cb308201c7a0030a0101a28201aa048201a64e544c4d5353500003000000180018"
    "0090000000ee00ee00a80000000c000c00580000001a001a0064000000120012007e0000"
    "001000100096010000158288e2060380250000000fecac77a5f385a8bf9c38c706eeeddc"
    "d3530055005400330031003100610064006d0069006e006900730074007200610074006f"
    "007200440052004900560045005200330031003100000000000000000000000000000000"
    "00000000000000000063078eb639fe03e20a231c3ae3bf23080101000000000000a1a1f5"
    "adcbaed001bc4ad05f223cc90f0000000002000c0053005500540033003100310001000c"
    "0053005500540033003100310004000c0053005500540033003100310003000c00530055"
    "00540033003100310007000800a1a1f5adcbaed001060004000200000008003000300000"
    "00000000000000000000300000b61fefcaa857ea57bf1edcebf8974b8e0eba5a6dfd9d07"
    "a31d11b548f8c9d0cc0a0010000000000000000000000000000000000009001600630069"
    "00660073002f005300550054003300310031000000000000000000000000003b9bdff38f"
    "5ee8f9663f11a0f4c03a78a31204100100000063775a9a5fd97f0600000000";
static const char ntlm_authenticate[] =
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
/* Final SESSION_SETUP response: accept-completed and the server mechListMIC. */
static const char server_final[] =
    "a11b3019a0030a0100a3120410010000003b453cdc3524164200000000";
static const char client_mlmic[] = "0100000063775a9a5fd97f0600000000";
static const char server_mlmic[] = "010000003b453cdc3524164200000000";
static const char mech_types[] = "300c060a2b06010401823702020a";

static void test_mechlist(void)
{
    size_t n = 0, wl;
    const uint8_t *m = asmb__spnego_mechlist(&n);
    const uint8_t *want = t_hex(mech_types, &wl);
    CHECK_EQ_INT(n, wl);
    CHECK_MEM(m, want, wl);
}

static void test_init(void)
{
    size_t nl, wl;
    const uint8_t *neg = t_hex(ntlm_negotiate, &nl), *want = t_hex(client_init, &wl);
    asmb_wr w;
    asmb_wr_init(&w);
    CHECK_EQ_INT(asmb__spnego_init(neg, nl, &w), 0);
    CHECK_EQ_INT(w.len, wl); /* byte for byte what Windows sends */
    if (w.len == wl) CHECK_MEM(w.data, want, wl);
    asmb_wr_free(&w);

    /* 300-byte token: two-byte long-form lengths at every level. */
    uint8_t tok[300];
    for (size_t i = 0; i < sizeof tok; i++) tok[i] = (uint8_t)i;
    CHECK_EQ_INT(asmb__spnego_init(tok, sizeof tok, &w), 0);
    CHECK_EQ_INT(w.len, 344);
    const uint8_t *hdr = t_hex("6082015406062b0601050502a082014830820144a00e300c060a2b0601040182"
                            "3702020aa28201300482012c", NULL);
    CHECK_MEM(w.data, hdr, 44);
    if (w.len == 344) CHECK_MEM(w.data + 44, tok, 300);
    asmb_wr_free(&w);
    CHECK_EQ_INT(asmb__spnego_init(NULL, 5, &w), ASMB_EINVAL);
}

static void check_roundtrip(const uint8_t *tok, size_t tl, const uint8_t *mic, size_t ml)
{
    asmb_wr w;
    asmb_spnego_resp r;
    asmb_wr_init(&w);
    CHECK_EQ_INT(asmb__spnego_resp(tok, tl, mic, ml, &w), 0);
    CHECK_EQ_INT(asmb__spnego_parse_resp(w.data, w.len, &r), 0);
    CHECK_EQ_INT(r.neg_state, ASMB_SPNEGO_NO_STATE);
    CHECK_EQ_INT(r.mech_is_ntlm, 0);
    CHECK(tok ? r.token != NULL : r.token == NULL);
    CHECK_EQ_INT(r.token_len, tok ? tl : 0);
    if (tok && r.token && r.token_len == tl) {
        CHECK(r.token > w.data && r.token + tl <= w.data + w.len);
        CHECK_MEM(r.token, tok, tl);
    }
    CHECK(mic ? r.mic != NULL : r.mic == NULL);
    CHECK_EQ_INT(r.mic_len, mic ? ml : 0);
    if (mic && r.mic && r.mic_len == ml) CHECK_MEM(r.mic, mic, ml);
    /* Every truncation fails. */
    int bad = 0;
    for (size_t len = 0; len < w.len; len++)
        if (asmb__spnego_parse_resp(w.data, len, &r) != ASMB_EPROTO) bad++;
    CHECK_EQ_INT(bad, 0);
    asmb_wr_free(&w);
}

static void test_resp(void)
{
    uint8_t mic[16];
    for (int i = 0; i < 16; i++) mic[i] = (uint8_t)i;
    asmb_wr w;
    asmb_wr_init(&w);
    CHECK_EQ_INT(asmb__spnego_resp((const uint8_t *)"abc", 3, mic, 16, &w), 0);
    size_t wl;
    const uint8_t *want = t_hex("a11d301ba2050403616263a3120410000102030405060708090a0b0c0d0e0f", &wl);
    CHECK_EQ_INT(w.len, wl);
    if (w.len == wl) CHECK_MEM(w.data, want, wl);
    asmb_wr_free(&w);

    check_roundtrip((const uint8_t *)"abc", 3, mic, 16);
    check_roundtrip((const uint8_t *)"abc", 3, NULL, 0);
    check_roundtrip(NULL, 0, mic, 16);
    check_roundtrip(NULL, 0, NULL, 0);
    check_roundtrip(mic, 0, NULL, 0); /* present but empty */
    size_t al;
    const uint8_t *auth = t_hex(ntlm_authenticate, &al); /* 0x1a6: 0x82 lengths */
    check_roundtrip(auth, al, mic, 16);
    uint8_t *big = calloc(1, 70000); /* 0x83 lengths */
    big[0] = 0x5a;
    big[69999] = 0xa5;
    check_roundtrip(big, 70000, mic, 16);
    free(big);
}

static void test_real(void)
{
    asmb_spnego_resp r;
    size_t n, tl;
    const uint8_t *in = t_hex(server_resp1, &n), *tok = t_hex(ntlm_challenge, &tl);
    CHECK_EQ_INT(asmb__spnego_parse_resp(in, n, &r), 0);
    CHECK_EQ_INT(r.neg_state, ASMB_SPNEGO_ACCEPT_INCOMPLETE);
    CHECK_EQ_INT(r.mech_is_ntlm, 1);
    CHECK_EQ_INT(r.token_len, tl);
    if (r.token && r.token_len == tl) CHECK_MEM(r.token, tok, tl);
    CHECK(r.mic == NULL);
    int bad = 0;
    for (size_t len = 0; len < n; len++) {
        uint8_t *t = malloc(len ? len : 1); /* exact size: ASan sees over-reads */
        memcpy(t, in, len);
        if (asmb__spnego_parse_resp(t, len, &r) != ASMB_EPROTO) bad++;
        free(t);
    }
    CHECK_EQ_INT(bad, 0);

    in = t_hex(server_final, &n);
    CHECK_EQ_INT(asmb__spnego_parse_resp(in, n, &r), 0);
    CHECK_EQ_INT(r.neg_state, ASMB_SPNEGO_ACCEPT_COMPLETED);
    CHECK_EQ_INT(r.mech_is_ntlm, 0);
    CHECK(r.token == NULL);
    CHECK_EQ_INT(r.mic_len, 16);
    if (r.mic && r.mic_len == 16) CHECK_MEM(r.mic, t_hex(server_mlmic, NULL), 16);

    /* The client's second leg is a NegTokenResp too (with a negState). */
    in = t_hex(client_resp2, &n);
    tok = t_hex(ntlm_authenticate, &tl);
    CHECK_EQ_INT(asmb__spnego_parse_resp(in, n, &r), 0);
    CHECK_EQ_INT(r.neg_state, ASMB_SPNEGO_ACCEPT_INCOMPLETE);
    CHECK_EQ_INT(r.token_len, tl);
    if (r.token && r.token_len == tl) CHECK_MEM(r.token, tok, tl);
    CHECK_EQ_INT(r.mic_len, 16);
    if (r.mic && r.mic_len == 16) CHECK_MEM(r.mic, t_hex(client_mlmic, NULL), 16);
}

static void test_malformed(void)
{
    /* Based on server_final: a1 1b | 30 19 | a0 03 0a 01 00 | a3 12 04 10 <16>. */
    static const char *const bad[] = {
        "",
        "a1",
        "a100",
        "a11c3019a0030a0100a3120410010000003b453cdc3524164200000000", /* [1] too long */
        "a11b301aa0030a0100a3120410010000003b453cdc3524164200000000", /* SEQ too long */
        "a11b3018a0030a0100a3120410010000003b453cdc3524164200000000", /* SEQ short */
        "a11b3019a0030a0100a3130410010000003b453cdc3524164200000000", /* [3] too long */
        "a11b3019a0030a0100a3120411010000003b453cdc3524164200000000", /* OCTETS too long */
        "a11b3019a0030a0100a312040f010000003b453cdc3524164200000000", /* OCTETS short */
        "a11b3019a0030a0104a3120410010000003b453cdc3524164200000000", /* negState 4 */
        "a11b3019a0030a0200a3120410010000003b453cdc3524164200000000", /* ENUM len 2 */
        "a11b3019a0030a0100a3120310010000003b453cdc3524164200000000", /* not OCTETS */
        "a11b3019a3120410010000003b453cdc3524164200000000a0030a0100", /* out of order */
        "a10c300aa0030a0100a0030a0100", /* duplicate [0] */
        "a1073005a4030a0100", /* unknown [4] */
        "a1803019a0030a0100a3120410010000003b453cdc35241642000000000000", /* indefinite */
        "a1850000001b3019a0030a0100a3120410010000003b453cdc3524164200000000",
        "a184ffffffff3019a0030a0100a3120410010000003b453cdc3524164200000000",
        "a184ffffffe53019a0030a0100a3120410010000003b453cdc3524164200000000", /* wraps */
        "a01b3019a0030a0100a3120410010000003b453cdc3524164200000000", /* NegTokenInit */
        "bf1b3019a0030a0100a3120410010000003b453cdc3524164200000000", /* high tag */
        "a1083006a1040605aabb", /* OID longer than [1] */
        "a1083006a2040482ffff", /* OCTETS longer than [2] */
    };
    asmb_spnego_resp r;
    for (size_t i = 0; i < ASMB_ARRAY_LEN(bad); i++) {
        size_t n;
        const uint8_t *in = t_hex(bad[i], &n);
        int rc = asmb__spnego_parse_resp(in, n, &r);
        if (rc != ASMB_EPROTO) fprintf(stderr, "accepted bad token %zu: %s\n", i, bad[i]);
        CHECK_EQ_INT(rc, ASMB_EPROTO);
    }
    /* Accepted: long-form (non-minimal) lengths, empty SEQUENCE, trailing
     * bytes after the token, and another mech OID. */
    static const char *const good[] = {
        "a1811b3019a0030a0100a3120410010000003b453cdc3524164200000000",
        "a1840000001b3019a0030a0100a3120410010000003b453cdc3524164200000000",
        "a1023000",
        "a11b3019a0030a0100a3120410010000003b453cdc352416420000000000ffff",
        "a10f300da10b06092a864886f712010202",
    };
    for (size_t i = 0; i < ASMB_ARRAY_LEN(good); i++) {
        size_t n;
        const uint8_t *in = t_hex(good[i], &n);
        CHECK_EQ_INT(asmb__spnego_parse_resp(in, n, &r), 0);
    }
    CHECK_EQ_INT(r.mech_is_ntlm, 0); /* Kerberos OID */
    CHECK_EQ_INT(r.neg_state, ASMB_SPNEGO_NO_STATE);
}

int main(void)
{
    test_mechlist();
    test_init();
    test_resp();
    test_real();
    test_malformed();
    t_free_all();
    TEST_DONE();
}
