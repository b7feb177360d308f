/* IOCTL response decode, the FSCTL_SRV_ENUMERATE_SNAPSHOTS output
 * (SRV_SNAPSHOT_ARRAY) with its @GMT tokens, and the VALIDATE_NEGOTIATE_INFO
 * response (src/wire/ioctl.c).
 * Input: the whole SMB2 message; the input itself is also parsed as a raw
 * snapshot array (what the fuzzer reaches without building a header).
 * Properties: a token that parses formats back to itself; a time in years
 * 0000-9999 formats to a token that parses back to it. */
#include "fuzz_common.h"
#include "wire/smb2_ioctl.h"

static void check_token(const char *tok)
{
    int64_t t;
    if (asmb__gmt_token_parse(tok, &t) != 0) return;
    char back[ASMB_GMT_TOKEN_LEN + 1];
    asmb__gmt_token_format(t, back);
    FZ_CHECK(strcmp(back, tok) == 0);
}

/* Exactly 24 bytes parse, and their fields are the bytes. */
static void vneg(const uint8_t *p, size_t len)
{
    asmb_vneg v;
    int rc = asmb__vneg_parse(p, len, &v);
    FZ_CHECK((rc == 0) == (len == ASMB_VNEG_RESP_LEN));
    if (rc) return;
    FZ_CHECK(v.capabilities == asmb_le32(p) && v.dialect == asmb_le16(p + 22));
    FZ_CHECK(memcmp(v.guid, p + 4, 16) == 0 && v.security_mode == asmb_le16(p + 20));
}

static void snapshots(const uint8_t *p, size_t len)
{
    asmb_snapshots s;
    int rc = asmb__snapshots_parse(p, len, &s);
    if (rc != 0) {
        FZ_CHECK(rc == ASMB_EPROTO || rc == ASMB_ENOMEM);
        return;
    }
    FZ_CHECK(s.count == s.returned);
    FZ_CHECK((s.count == 0) == (s.items == NULL));
    for (size_t i = 0; i < s.count; i++) {
        FZ_TERMINATED(s.items[i].token, sizeof s.items[i].token);
        FZ_CHECK(strlen(s.items[i].token) == ASMB_GMT_TOKEN_LEN);
        int64_t t;
        FZ_CHECK(asmb__gmt_token_parse(s.items[i].token, &t) == 0 && t == s.items[i].time);
        check_token(s.items[i].token);
    }
    asmb__snapshots_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *out;
    size_t n;
    if (asmb__ioctl_decode(data, size, &out, &n) == 0) {
        FZ_SLICE(data, size, out, n);
        snapshots(out, n);
        vneg(out, n);
    }
    snapshots(data, size);
    vneg(data, size < ASMB_VNEG_RESP_LEN ? size : ASMB_VNEG_RESP_LEN);

    /* the token parser on the input's first bytes as a string */
    char tok[40];
    size_t k = size < sizeof tok - 1 ? size : sizeof tok - 1;
    memcpy(tok, data, k);
    tok[k] = 0;
    check_token(tok);
    /* and the formatter on its first 8 bytes as a time, within years 0-9999 */
    if (size >= 8) {
        int64_t t = (int64_t)asmb_le64(data);
        const int64_t lo = -62167219200LL, hi = 253402300799LL; /* 0000-01-01 .. 9999-12-31 */
        char s[ASMB_GMT_TOKEN_LEN + 1];
        asmb__gmt_token_format(t, s);
        FZ_TERMINATED(s, sizeof s);
        int64_t back;
        FZ_CHECK(asmb__gmt_token_parse(s, &back) == 0);
        if (t >= lo && t <= hi) FZ_CHECK(back == t);
        else FZ_CHECK(back == (t < lo ? lo : hi));
    }
    return 0;
}
