/* SMB2 IOCTL: the request body at its MS-SMB2 2.2.31 offsets, response
 * decoding (2.2.32) with truncated and out-of-range replies, the
 * SRV_SNAPSHOT_ARRAY (2.2.32.2) and @GMT tokens. */
#include <stdint.h>

#include "asmb/asmb_errno.h"
#include "mem.h"
#include "test.h"
#include "wire/smb2_ioctl.h"

static const asmb_fid FID = {0x1122334455667788ull, 0x99AABBCCDDEEFF00ull};

/* A whole message: a 64-byte response header, then the body. */
static size_t mkmsg(uint8_t *out, const uint8_t *body, size_t n)
{
    asmb_smb2_hdr h;
    memset(&h, 0, sizeof h);
    h.command = SMB2_IOCTL;
    h.flags = SMB2_FLAGS_SERVER_TO_REDIR;
    asmb__hdr_encode(out, &h);
    memcpy(out + SMB2_HDR_LEN, body, n);
    return SMB2_HDR_LEN + n;
}

static void test_encode(void)
{
    asmb_wr w;
    asmb_wr_init(&w);
    static const uint8_t in[5] = {1, 2, 3, 4, 5};
    CHECK_EQ_INT(asmb__ioctl_encode(&w, FID, FSCTL_PIPE_TRANSCEIVE, in, 5, 4280, 1), 0);
    CHECK_EQ_INT(w.len, 56 + 5);
    CHECK_EQ_INT(asmb_le16(w.data), 57);
    CHECK_EQ_INT(asmb_le16(w.data + 2), 0);
    CHECK_EQ_INT(asmb_le32(w.data + 4), 0x0011C017);
    CHECK(asmb_le64(w.data + 8) == FID.persistent);
    CHECK(asmb_le64(w.data + 16) == FID.volatile_);
    CHECK_EQ_INT(asmb_le32(w.data + 24), 0x78); /* InputOffset */
    CHECK_EQ_INT(asmb_le32(w.data + 28), 5);    /* InputCount */
    CHECK_EQ_INT(asmb_le32(w.data + 32), 0);    /* MaxInputResponse */
    CHECK_EQ_INT(asmb_le32(w.data + 36), 0);    /* OutputOffset */
    CHECK_EQ_INT(asmb_le32(w.data + 40), 0);    /* OutputCount */
    CHECK_EQ_INT(asmb_le32(w.data + 44), 4280); /* MaxOutputResponse */
    CHECK_EQ_INT(asmb_le32(w.data + 48), 1);    /* Flags: SMB2_0_IOCTL_IS_FSCTL */
    CHECK_EQ_INT(asmb_le32(w.data + 52), 0);    /* Reserved2 */
    CHECK_MEM(w.data + 56, in, 5);
    asmb_wr_free(&w);

    /* No input: InputOffset 0, a single pad byte; not an FSCTL. */
    CHECK_EQ_INT(asmb__ioctl_encode(&w, FID, FSCTL_SRV_ENUMERATE_SNAPSHOTS, NULL, 0, 16, 0), 0);
    CHECK_EQ_INT(w.len, 57);
    CHECK_EQ_INT(asmb_le32(w.data + 4), 0x00144064);
    CHECK_EQ_INT(asmb_le32(w.data + 24), 0);
    CHECK_EQ_INT(asmb_le32(w.data + 28), 0);
    CHECK_EQ_INT(asmb_le32(w.data + 44), 16);
    CHECK_EQ_INT(asmb_le32(w.data + 48), 0);
    asmb_wr_free(&w);

    CHECK_EQ_INT(asmb__ioctl_encode(&w, FID, FSCTL_VALIDATE_NEGOTIATE_INFO, NULL, 4, 24, 1),
                 ASMB_EINVAL);
    CHECK_EQ_INT(FSCTL_VALIDATE_NEGOTIATE_INFO, 0x00140204);
    asmb_wr_free(&w);
}

/* A response body: OutputOffset 0x70 (right after the fixed part). */
static void resp_body(uint8_t b[48], uint32_t out_off, uint32_t out_n)
{
    memset(b, 0, 48);
    asmb_st16(b, 49);
    asmb_st32(b + 4, FSCTL_PIPE_TRANSCEIVE);
    asmb_st64(b + 8, FID.persistent);
    asmb_st64(b + 16, FID.volatile_);
    asmb_st32(b + 24, 0x70); /* InputOffset */
    asmb_st32(b + 32, out_off);
    asmb_st32(b + 36, out_n);
}

static void test_decode(void)
{
    uint8_t body[48 + 10], msg[256];
    resp_body(body, 0x70, 10);
    for (int i = 0; i < 10; i++)
        body[48 + i] = (uint8_t)(0xA0 + i);
    size_t len = mkmsg(msg, body, sizeof body);
    const uint8_t *out = NULL;
    size_t out_len = 0;
    CHECK_EQ_INT(asmb__ioctl_decode(msg, len, &out, &out_len), 0);
    CHECK(out == msg + 0x70);
    CHECK_EQ_INT(out_len, 10);
    CHECK_EQ_INT(out[9], 0xA9);

    /* Every truncation fails: the output runs to the end. */
    int bad = 0;
    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, msg, n);
        if (asmb__ioctl_decode(copy, n, &out, &out_len) != ASMB_EPROTO) bad++;
        free(copy);
    }
    CHECK_EQ_INT(bad, 0);

    /* Out of range: past the end, into the header, overflowing, huge. */
    static const uint32_t offs[][2] = {
        {0x71, 10}, {0x30, 10}, {0xFFFFFFF0u, 0x20}, {0x70, 0xFFFFFFFFu}, {0x1000, 1}};
    for (size_t i = 0; i < ASMB_ARRAY_LEN(offs); i++) {
        resp_body(body, offs[i][0], offs[i][1]);
        len = mkmsg(msg, body, sizeof body);
        CHECK_EQ_INT(asmb__ioctl_decode(msg, len, &out, &out_len), ASMB_EPROTO);
    }
    /* No output: OutputOffset ignored. */
    resp_body(body, 0, 0);
    len = mkmsg(msg, body, 48);
    CHECK_EQ_INT(asmb__ioctl_decode(msg, len, &out, &out_len), 0);
    CHECK_EQ_INT(out_len, 0);
    /* Wrong StructureSize. */
    resp_body(body, 0x70, 10);
    asmb_st16(body, 57);
    len = mkmsg(msg, body, sizeof body);
    CHECK_EQ_INT(asmb__ioctl_decode(msg, len, &out, &out_len), ASMB_EPROTO);
}

/* ---- @GMT tokens ---- */

static void test_gmt_parse(void)
{
    int64_t t = 0;
    CHECK_EQ_INT(asmb__gmt_token_parse("@GMT-2026.01.02-03.04.05", &t), 0);
    CHECK_EQ_INT(t, 1767323045);
    CHECK_EQ_INT(asmb__gmt_token_parse("@GMT-2024.02.29-23.59.59", &t), 0);
    CHECK_EQ_INT(t, 1709251199);
    CHECK_EQ_INT(asmb__gmt_token_parse("@GMT-2000.02.29-12.00.00", &t), 0);
    CHECK_EQ_INT(t, 951825600);
    CHECK_EQ_INT(asmb__gmt_token_parse("@GMT-2100.03.01-00.00.00", &t), 0);
    CHECK_EQ_INT(t, 4107542400ll);
    CHECK_EQ_INT(asmb__gmt_token_parse("@GMT-1600.02.29-00.00.00", &t), 0);
    CHECK_EQ_INT(t, -11670998400ll);
    CHECK_EQ_INT(asmb__gmt_token_parse("@GMT-1969.12.31-23.59.59", &t), 0);
    CHECK_EQ_INT(t, -1);
    CHECK_EQ_INT(asmb__gmt_token_parse("@GMT-0001.01.01-00.00.00", &t), 0);
    CHECK_EQ_INT(t, -62135596800ll);
    CHECK_EQ_INT(asmb__gmt_token_parse("@GMT-9999.12.31-23.59.59", &t), 0);
    CHECK_EQ_INT(t, 253402300799ll);

    static const char *const bad[] = {"@GMT-2026.13.02-03.04.05", /* month 13 */
                                      "@GMT-2026.00.02-03.04.05",
                                      "@GMT-2026.01.00-03.04.05",
                                      "@GMT-2026.01.32-03.04.05",
                                      "@GMT-2023.02.29-03.04.05", /* not a leap year */
                                      "@GMT-1900.02.29-03.04.05", /* nor is 1900 */
                                      "@GMT-2026.04.31-03.04.05",
                                      "@GMT-2026.01.02-24.00.00",
                                      "@GMT-2026.01.02-03.60.05",
                                      "@GMT-2026.01.02-03.04.60", /* no leap seconds */
                                      "@GMT-2026.01.02-03.04.0",
                                      "@GMT-2026.01.02-03.04.055", /* short, long */
                                      "@GMT-2026.0a.02-03.04.05",
                                      "@GMT-2O26.01.02-03.04.05", /* letters */
                                      "@gmt-2026.01.02-03.04.05",
                                      "GMT-2026.01.02-03.04.05@",
                                      "@GMT-2026-01-02-03.04.05",
                                      "@GMT-2026.01.02_03.04.05",
                                      "@GMT-2026.01.02-03:04:05",
                                      "@GMT- 026.01.02-03.04.05",
                                      "@GMT-+026.01.02-03.04.05",
                                      "",
                                      "@GMT-"};
    int accepted = 0;
    for (size_t i = 0; i < ASMB_ARRAY_LEN(bad); i++) {
        t = 42;
        if (asmb__gmt_token_parse(bad[i], &t) != ASMB_EINVAL || t != 42) {
            fprintf(stderr, "accepted: %s\n", bad[i]);
            accepted++;
        }
    }
    CHECK_EQ_INT(accepted, 0);
    CHECK_EQ_INT(asmb__gmt_token_parse(NULL, &t), ASMB_EINVAL);
}

static void test_gmt_format(void)
{
    char s[ASMB_GMT_TOKEN_LEN + 1];
    asmb__gmt_token_format(1767323045, s);
    CHECK(strcmp(s, "@GMT-2026.01.02-03.04.05") == 0);
    asmb__gmt_token_format(0, s);
    CHECK(strcmp(s, "@GMT-1970.01.01-00.00.00") == 0);
    asmb__gmt_token_format(-1, s);
    CHECK(strcmp(s, "@GMT-1969.12.31-23.59.59") == 0);
    asmb__gmt_token_format(951825600, s);
    CHECK(strcmp(s, "@GMT-2000.02.29-12.00.00") == 0);
    asmb__gmt_token_format(-11670998400ll, s);
    CHECK(strcmp(s, "@GMT-1600.02.29-00.00.00") == 0);
    asmb__gmt_token_format(INT64_MAX, s); /* clamped */
    CHECK(strcmp(s, "@GMT-9999.12.31-23.59.59") == 0);
    asmb__gmt_token_format(INT64_MIN, s);
    CHECK(strcmp(s, "@GMT-0000.01.01-00.00.00") == 0);
}

/* Every day of 1583-2500 (leap rules included) against a naive day count,
 * and format(parse(x)) == x, parse(format(t)) == t at odd times of day. */
static void test_gmt_roundtrip(void)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t days = 0; /* days from 1970-01-01 of 1583-01-01, counted naively */
    for (int y = 1583; y < 1970; y++)
        days -= ((y % 4 == 0 && y % 100) || y % 400 == 0) ? 366 : 365;
    int bad = 0, n = 0;
    for (int y = 1583; y <= 2500; y++) {
        int leap = (y % 4 == 0 && y % 100) || y % 400 == 0;
        for (int m = 1; m <= 12; m++) {
            int nd = dm[m - 1] + (m == 2 && leap);
            for (int d = 1; d <= nd; d++, days++, n++) {
                int64_t want = days * 86400 + (n % 86400), got = 0;
                char tok[64], back[ASMB_GMT_TOKEN_LEN + 1];
                snprintf(tok, sizeof tok, "@GMT-%04d.%02d.%02d-%02d.%02d.%02d", y, m, d,
                         n % 86400 / 3600, n % 3600 / 60, n % 60);
                if (asmb__gmt_token_parse(tok, &got) || got != want) bad++;
                asmb__gmt_token_format(want, back);
                if (strcmp(back, tok) != 0) bad++;
            }
            /* The day after the month's last is invalid. */
            char tok[64];
            int64_t t;
            snprintf(tok, sizeof tok, "@GMT-%04d.%02d.%02d-00.00.00", y, m, nd + 1);
            if (asmb__gmt_token_parse(tok, &t) != ASMB_EINVAL) bad++;
        }
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(n > 330000);
    /* Whole range, large odd steps, negative times included. */
    bad = 0;
    for (int64_t t = -62167219200ll; t <= 253402300799ll; t += 999999937) {
        char s[ASMB_GMT_TOKEN_LEN + 1];
        int64_t back = 0;
        asmb__gmt_token_format(t, s);
        if (asmb__gmt_token_parse(s, &back) || back != t) bad++;
    }
    CHECK_EQ_INT(bad, 0);
}

/* ---- SRV_SNAPSHOT_ARRAY ---- */

/* Writes the 12-byte header and the multi-sz of ntok tokens (+ final NUL);
 * returns the length. */
static size_t mksnap(uint8_t *p, uint32_t number, uint32_t returned, uint32_t size,
                     const char *const *tok, size_t ntok)
{
    asmb_st32(p, number);
    asmb_st32(p + 4, returned);
    asmb_st32(p + 8, size);
    size_t o = 12;
    for (size_t i = 0; i < ntok; i++) {
        for (size_t k = 0; k <= strlen(tok[i]); k++, o += 2)
            asmb_st16(p + o, (uint8_t)tok[i][k]);
    }
    asmb_st16(p + o, 0);
    return o + 2;
}

static void test_snapshots(void)
{
    static const char *const tok[] = {"@GMT-2026.01.02-03.04.05", "@GMT-2024.02.29-23.59.59"};
    uint8_t p[512];
    asmb_snapshots s;
    size_t len = mksnap(p, 2, 2, 102, tok, 2);
    CHECK_EQ_INT(len, 12 + 102);
    CHECK_EQ_INT(asmb__snapshots_parse(p, len, &s), 0);
    CHECK_EQ_INT(s.number, 2);
    CHECK_EQ_INT(s.returned, 2);
    CHECK_EQ_INT(s.array_size, 102);
    CHECK_EQ_INT(s.count, 2);
    CHECK(s.items && strcmp(s.items[0].token, tok[0]) == 0);
    CHECK(s.items && strcmp(s.items[1].token, tok[1]) == 0);
    CHECK_EQ_INT(s.items ? s.items[0].time : 0, 1767323045);
    CHECK_EQ_INT(s.items ? s.items[1].time : 0, 1709251199);
    asmb__snapshots_free(&s);
    CHECK(s.items == NULL && s.count == 0);

    /* Every truncation fails (the array is exactly as long as it says). */
    int bad = 0;
    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, p, n);
        if (asmb__snapshots_parse(copy, n, &s) != ASMB_EPROTO || s.items) bad++;
        free(copy);
    }
    CHECK_EQ_INT(bad, 0);

    /* A bigger array size than needed is fine (trailing bytes). */
    len = mksnap(p, 2, 2, 106, tok, 2);
    memset(p + len, 0, 4);
    CHECK_EQ_INT(asmb__snapshots_parse(p, len + 4, &s), 0);
    CHECK_EQ_INT(s.count, 2);
    asmb__snapshots_free(&s);

    /* MaxOutputResponse 16: nothing returned, array_size is the size needed. */
    asmb_st32(p, 2);
    asmb_st32(p + 4, 0);
    asmb_st32(p + 8, 102);
    asmb_st32(p + 12, 0);
    CHECK_EQ_INT(asmb__snapshots_parse(p, 16, &s), 0);
    CHECK_EQ_INT(s.number, 2);
    CHECK_EQ_INT(s.count, 0);
    CHECK_EQ_INT(s.array_size, 102);
    CHECK(s.items == NULL);
    asmb__snapshots_free(&s);
    CHECK_EQ_INT(asmb__snapshots_parse(p, 12, &s), 0); /* no pad at all */
    CHECK_EQ_INT(asmb__snapshots_parse(p, 11, &s), ASMB_EPROTO);
    CHECK_EQ_INT(asmb__snapshots_parse(NULL, 0, &s), ASMB_EPROTO);

    /* Array size lying: beyond the buffer; too small for the tokens. */
    len = mksnap(p, 2, 2, 202, tok, 2);
    CHECK_EQ_INT(asmb__snapshots_parse(p, len, &s), ASMB_EPROTO);
    len = mksnap(p, 2, 2, 100, tok, 2); /* no room for the final NUL */
    CHECK_EQ_INT(asmb__snapshots_parse(p, len, &s), ASMB_EPROTO);
    len = mksnap(p, 2, 2, 52, tok, 2);
    CHECK_EQ_INT(asmb__snapshots_parse(p, len, &s), ASMB_EPROTO);
    /* Counts lying: more returned than present, more than the total, fewer
     * than present (no terminator after them), a huge count. */
    len = mksnap(p, 3, 3, 102, tok, 2);
    CHECK_EQ_INT(asmb__snapshots_parse(p, len, &s), ASMB_EPROTO);
    len = mksnap(p, 1, 2, 102, tok, 2);
    CHECK_EQ_INT(asmb__snapshots_parse(p, len, &s), ASMB_EPROTO);
    len = mksnap(p, 2, 1, 102, tok, 2);
    CHECK_EQ_INT(asmb__snapshots_parse(p, len, &s), ASMB_EPROTO);
    len = mksnap(p, 0xFFFFFFFFu, 0xFFFFFFFFu, 102, tok, 2);
    CHECK_EQ_INT(asmb__snapshots_parse(p, len, &s), ASMB_EPROTO);
    CHECK(s.items == NULL && s.count == 0);

    /* Bad tokens inside the array. */
    static const char *const badtok[][1] = {{"@GMT-2026.13.02-03.04.05"},
                                            {"@GMT-2026.01.02-03.04.0x"},
                                            {"@GMT-2026.01.02-03.04.5\x01"}};
    for (size_t i = 0; i < ASMB_ARRAY_LEN(badtok); i++) {
        len = mksnap(p, 1, 1, 52, badtok[i], 1);
        CHECK_EQ_INT(asmb__snapshots_parse(p, len, &s), ASMB_EPROTO);
    }
    static const char *const shorttok[] = {"@GMT-2026.01.02-03.04.0"}; /* 23 chars + NUL */
    len = mksnap(p, 1, 1, 52, shorttok, 1);
    CHECK_EQ_INT(asmb__snapshots_parse(p, len + 2, &s), ASMB_EPROTO);
    len = mksnap(p, 1, 1, 52, tok, 1);
    asmb_st16(p + 12 + 10, 0x0132); /* a non-ASCII unit in place of a digit */
    CHECK_EQ_INT(asmb__snapshots_parse(p, len, &s), ASMB_EPROTO);
    len = mksnap(p, 1, 1, 52, tok, 1);
    CHECK_EQ_INT(asmb__snapshots_parse(p, len, &s), 0); /* and the same one intact */
    asmb__snapshots_free(&s);
}

int main(void)
{
    test_encode();
    test_decode();
    test_gmt_parse();
    test_gmt_format();
    test_gmt_roundtrip();
    test_snapshots();
    TEST_DONE();
}
