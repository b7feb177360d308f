/* UTF-8 <-> UTF-16LE for names on the wire (MS-SMB2 2.2: names are UTF-16LE). */
#include <string.h>

#include "../mem.h"
#include "asmb/asmb_errno.h"
#include "buf.h"

/* Decodes one strict UTF-8 sequence; returns its length or 0 when invalid. */
static size_t utf8_next(const uint8_t *s, size_t n, uint32_t *cp)
{
    static const struct { uint8_t mask, lead; uint32_t min; } forms[] = {
        {0x80, 0x00, 0}, {0xE0, 0xC0, 0x80}, {0xF0, 0xE0, 0x800}, {0xF8, 0xF0, 0x10000}};
    for (size_t len = 1; len <= 4; len++) {
        if ((s[0] & forms[len - 1].mask) != forms[len - 1].lead) continue;
        if (len > n) return 0;
        uint32_t c = len == 1 ? s[0] : (uint32_t)(s[0] & (0x7F >> len));
        for (size_t i = 1; i < len; i++) {
            if ((s[i] & 0xC0) != 0x80) return 0;
            c = c << 6 | (s[i] & 0x3F);
        }
        if (c < forms[len - 1].min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
        *cp = c;
        return len;
    }
    return 0;
}

/* Why the sequence at s (n bytes left) is not UTF-8, for messages: the
 * cases RFC 3629 section 3 rules out, told apart. */
static const char *utf8_why(const uint8_t *s, size_t n)
{
    uint8_t b = s[0];
    if (b >= 0x80 && b < 0xC0) return "a continuation byte without a lead byte";
    if (b == 0xC0 || b == 0xC1 || b >= 0xF5) return "a byte that never appears in UTF-8";
    size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
    for (size_t i = 1; i < len; i++)
        if (i >= n || (s[i] & 0xC0) != 0x80) return "a truncated sequence";
    if (b == 0xED) return "a UTF-16 surrogate"; /* ED A0..BF: U+D800..U+DFFF */
    if (b == 0xF4) return "a code point beyond U+10FFFF";
    return "an overlong encoding"; /* E0 80..9F, F0 80..8F */
}

size_t asmb_utf8_invalid_at(const char *str, size_t n, const char **why)
{
    const uint8_t *s = (const uint8_t *)str;
    size_t i = 0;
    uint32_t c;
    while (i < n) {
        size_t len = utf8_next(s + i, n - i, &c);
        if (!len) {
            if (why) *why = utf8_why(s + i, n - i);
            return i;
        }
        i += len;
    }
    return n;
}

static uint32_t upper(uint32_t c)
{
    if (c >= 'a' && c <= 'z') return c - 32;
    if ((c >= 0xE0 && c <= 0xFE && c != 0xF7)) return c - 32;      /* Latin-1 */
    if (c == 0xFF) return 0x178;
    if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 && c != 0x17F) {
        /* Latin Extended-A: pairs (even upper, odd lower), shifted in 0x139-0x148, 0x179-0x17E */
        int shifted = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
        if (shifted ? (c & 1) == 0 : (c & 1) == 1) return c - 1;
        return c;
    }
    if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) return c - 32;    /* Greek */
    if (c >= 0x430 && c <= 0x44F) return c - 32;                    /* Cyrillic */
    if (c >= 0x450 && c <= 0x45F) return c - 80;
    return c;
}

static int to_utf16(asmb_wr *w, const char *str, size_t n, int up)
{
    const uint8_t *s = (const uint8_t *)str;
    size_t i = 0;
    while (i < n) {
        uint32_t c;
        size_t len = utf8_next(s + i, n - i, &c);
        if (!len) return ASMB_EINVAL;
        i += len;
        if (up) c = upper(c);
        if (c >= 0x10000) {
            c -= 0x10000;
            asmb_wr_u16(w, (uint16_t)(0xD800 | (c >> 10)));
            asmb_wr_u16(w, (uint16_t)(0xDC00 | (c & 0x3FF)));
        } else {
            asmb_wr_u16(w, (uint16_t)c);
        }
    }
    return w->err ? ASMB_ENOMEM : 0;
}

int asmb_utf8_to_utf16le(asmb_wr *w, const char *s, size_t n) { return to_utf16(w, s, n, 0); }
int asmb_utf8_to_utf16le_upper(asmb_wr *w, const char *s, size_t n) { return to_utf16(w, s, n, 1); }

char *asmb_utf16le_to_utf8(const uint8_t *p, size_t nbytes)
{
    size_t units = nbytes / 2;
    char *out = asmb__malloc(units * 3 + 1); /* a unit becomes at most 3 bytes; a pair 4 */
    if (!out) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < units; i++) {
        uint32_t c = asmb_le16(p + 2 * i);
        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < units) {
            uint32_t lo = asmb_le16(p + 2 * i + 2);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                i++;
            }
        }
        if (c >= 0xD800 && c <= 0xDFFF) c = 0xFFFD;
        if (c < 0x80) {
            out[o++] = (char)c;
        } else if (c < 0x800) {
            out[o++] = (char)(0xC0 | c >> 6);
            out[o++] = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out[o++] = (char)(0xE0 | c >> 12);
            out[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (c & 0x3F));
        } else {
            out[o++] = (char)(0xF0 | c >> 18);
            out[o++] = (char)(0x80 | ((c >> 12) & 0x3F));
            out[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (c & 0x3F));
        }
    }
    out[o] = 0;
    return out;
}
