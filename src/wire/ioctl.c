/* IOCTL request and response (MS-SMB2 2.2.31, 2.2.32), the SRV_SNAPSHOT_ARRAY
 * of FSCTL_SRV_ENUMERATE_SNAPSHOTS (2.2.32.2) and its @GMT tokens (MS-SMB2
 * 2.2.13.2.7 / MS-SMB 2.2.1.1.1: "@GMT-YYYY.MM.DD-HH.MM.SS", UTC). */
#include "smb2_ioctl.h"

#include <string.h>

#include "../mem.h"
#include "asmb/asmb_errno.h"

#define IOCTL_REQ_FIXED 56 /* Buffer at 64 + 56 = 0x78 */

int asmb__ioctl_encode(asmb_wr *w, asmb_fid fid, uint32_t ctl_code, const void *in, uint32_t in_len,
                       uint32_t max_out, int is_fsctl)
{
    if (in_len && !in) return ASMB_EINVAL;
    asmb_wr_u16(w, 57);
    asmb_wr_u16(w, 0); /* Reserved */
    asmb_wr_u32(w, ctl_code);
    asmb_wr_u64(w, fid.persistent);
    asmb_wr_u64(w, fid.volatile_);
    asmb_wr_u32(w, in_len ? SMB2_HDR_LEN + IOCTL_REQ_FIXED : 0); /* InputOffset */
    asmb_wr_u32(w, in_len);                                      /* InputCount */
    asmb_wr_u32(w, 0);                                           /* MaxInputResponse */
    asmb_wr_u32(w, 0); /* OutputOffset: SHOULD be 0 (3.2.4.20.4) */
    asmb_wr_u32(w, 0); /* OutputCount */
    asmb_wr_u32(w, max_out);
    asmb_wr_u32(w, is_fsctl ? SMB2_0_IOCTL_IS_FSCTL : 0);
    asmb_wr_u32(w, 0); /* Reserved2 */
    if (in_len)
        asmb_wr_bytes(w, in, in_len);
    else
        asmb_wr_u8(w, 0); /* Buffer: one byte, never empty */
    return w->err ? ASMB_ENOMEM : 0;
}

int asmb__ioctl_decode(const uint8_t *msg, size_t len, const uint8_t **out, size_t *out_len)
{
    if (len < SMB2_HDR_LEN || asmb__body_check(msg + SMB2_HDR_LEN, len - SMB2_HDR_LEN, 49))
        return ASMB_EPROTO;
    const uint8_t *b = msg + SMB2_HDR_LEN;
    /* Input (24, 28) is ignored by clients (3.2.5.14.7); Output at 32, 36. */
    size_t off = asmb_le32(b + 32), n = asmb_le32(b + 36);
    const uint8_t *p = asmb__msg_buffer(msg, len, off, n);
    if (!p) return ASMB_EPROTO;
    *out = p;
    *out_len = n;
    return 0;
}

int asmb__vneg_request(asmb_wr *w, const asmb_vneg *v, const uint16_t *dialects, int ndialects)
{
    if (ndialects < 1 || ndialects > 0xFFFF) return ASMB_EINVAL;
    asmb_wr_u32(w, v->capabilities);
    asmb_wr_bytes(w, v->guid, 16);
    asmb_wr_u16(w, v->security_mode);
    asmb_wr_u16(w, (uint16_t)ndialects);
    for (int i = 0; i < ndialects; i++) asmb_wr_u16(w, dialects[i]);
    return w->err ? ASMB_ENOMEM : 0;
}

int asmb__vneg_parse(const uint8_t *p, size_t len, asmb_vneg *out)
{
    if (len != ASMB_VNEG_RESP_LEN) return ASMB_EPROTO;
    out->capabilities = asmb_le32(p);
    memcpy(out->guid, p + 4, 16);
    out->security_mode = asmb_le16(p + 20);
    out->dialect = asmb_le16(p + 22);
    return 0;
}

/* ---- @GMT tokens: proleptic Gregorian calendar, days-from-civil arithmetic
 * (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms"). ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);                       /* [0, 399] */
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const uint8_t dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return dm[m - 1] + (m == 2 && leap);
}

static unsigned num(const char *s, int n)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (unsigned)(s[i] - '0');
    return v;
}

int asmb__gmt_token_parse(const char *t, int64_t *unix_seconds)
{
    static const char form[] = "@GMT-dddd.dd.dd-dd.dd.dd";
    if (!t) return ASMB_EINVAL;
    for (int i = 0; i < ASMB_GMT_TOKEN_LEN; i++) { /* stops at a short string's NUL */
        if (form[i] == 'd' ? t[i] < '0' || t[i] > '9' : t[i] != form[i]) return ASMB_EINVAL;
    }
    if (t[ASMB_GMT_TOKEN_LEN] != 0) return ASMB_EINVAL;
    unsigned y = num(t + 5, 4), mo = num(t + 10, 2), d = num(t + 13, 2);
    unsigned h = num(t + 16, 2), mi = num(t + 19, 2), s = num(t + 22, 2);
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59)
        return ASMB_EINVAL;
    *unix_seconds = days_from_civil(y, mo, d) * 86400 + (int64_t)(h * 3600 + mi * 60 + s);
    return 0;
}

static void put_num(char *p, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
}

void asmb__gmt_token_format(int64_t unix_seconds, char out[ASMB_GMT_TOKEN_LEN + 1])
{
    const int64_t lo = days_from_civil(0, 1, 1) * 86400;
    const int64_t hi = days_from_civil(9999, 12, 31) * 86400 + 86399;
    int64_t t = unix_seconds < lo ? lo : unix_seconds > hi ? hi : unix_seconds;
    int64_t days = t / 86400, rem = t % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    memcpy(out, "@GMT-0000.00.00-00.00.00", ASMB_GMT_TOKEN_LEN + 1);
    put_num(out + 5, (unsigned)y, 4);
    put_num(out + 10, m, 2);
    put_num(out + 13, d, 2);
    put_num(out + 16, (unsigned)(rem / 3600), 2);
    put_num(out + 19, (unsigned)(rem / 60 % 60), 2);
    put_num(out + 22, (unsigned)(rem % 60), 2);
}

/* ---- SRV_SNAPSHOT_ARRAY ---- */

#define TOKEN_BYTES ((ASMB_GMT_TOKEN_LEN + 1) * 2) /* UTF-16LE with its NUL: 50 */

/* One multi-sz entry at u (TOKEN_BYTES available): ASCII token + NUL. */
static int token_at(const uint8_t *u, asmb_snapshot *s)
{
    for (int k = 0; k < ASMB_GMT_TOKEN_LEN; k++) {
        uint16_t c = asmb_le16(u + 2 * k);
        if (c == 0 || c >= 0x80) return ASMB_EPROTO;
        s->token[k] = (char)c;
    }
    s->token[ASMB_GMT_TOKEN_LEN] = 0;
    if (asmb_le16(u + 2 * ASMB_GMT_TOKEN_LEN) != 0) return ASMB_EPROTO;
    return asmb__gmt_token_parse(s->token, &s->time) ? ASMB_EPROTO : 0;
}

int asmb__snapshots_parse(const uint8_t *p, size_t len, asmb_snapshots *out)
{
    memset(out, 0, sizeof *out);
    if (!p || len < 12) return ASMB_EPROTO;
    uint32_t number = asmb_le32(p), returned = asmb_le32(p + 4), size = asmb_le32(p + 8);
    if (returned > number) return ASMB_EPROTO;
    if (returned > 0) {
        /* The array must be where it says, and big enough for the tokens it
         * claims plus the final empty string: this bounds the allocation. */
        if (size > len - 12 || (uint64_t)returned * TOKEN_BYTES + 2 > size) return ASMB_EPROTO;
        asmb_snapshot *items = asmb__calloc(returned, sizeof *items);
        if (!items) return ASMB_ENOMEM;
        const uint8_t *a = p + 12;
        for (uint32_t i = 0; i < returned; i++) {
            if (token_at(a + (size_t)i * TOKEN_BYTES, &items[i])) {
                asmb__free(items);
                return ASMB_EPROTO;
            }
        }
        if (asmb_le16(a + (size_t)returned * TOKEN_BYTES) != 0) { /* more than returned */
            asmb__free(items);
            return ASMB_EPROTO;
        }
        out->items = items;
    }
    out->number = number;
    out->returned = returned;
    out->array_size = size;
    out->count = returned;
    return 0;
}

void asmb__snapshots_free(asmb_snapshots *s)
{
    if (!s) return;
    asmb__free(s->items);
    memset(s, 0, sizeof *s);
}
