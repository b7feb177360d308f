/* Messages for calls that fail at once. Such a call returns a code and fires
 * nothing, so there is no asmb_failure to carry a message: the connection
 * keeps the last one (asmb_conn_last_error, like sqlite3_errmsg), cleared by
 * every operation as it starts (asmb__conn_check_ready). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "../wire/buf.h"

ASMB_API const char *asmb_conn_last_error(const asmb_conn *c) { return c ? c->last_error : ""; }

int asmb__conn_arg_error(asmb_conn *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->last_error, sizeof c->last_error, fmt, ap);
    va_end(ap);
    asmb__utf8_trim(c->last_error);
    return code;
}

/* Appends s[0, n) to out (o bytes used, cap in all), control characters and,
 * unless keep_utf8, every non-ASCII byte as \xHH; stops at cap - 1 (no
 * escape is cut). Returns the new length. */
static size_t append_escaped(char *out, size_t o, size_t cap, const char *s, size_t n,
                             int keep_utf8)
{
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        unsigned char b = (unsigned char)s[i];
        if (b >= 0x20 && b != 0x7F && (b < 0x80 || keep_utf8)) {
            out[o++] = (char)b;
        } else {
            if (o + 5 > cap) break;
            o += (size_t)snprintf(out + o, cap - o, "\\x%02X", b);
        }
    }
    out[o] = 0;
    return o;
}

enum { PREFIX_SHOWN = 96, REST_SHOWN = 24 };

/* "path is not valid UTF-8 at byte 7 (a truncated sequence): \docs\\xE2":
 * the byte counted from 1, the valid prefix as it is (its last PREFIX_SHOWN
 * bytes), then the rest escaped (its first REST_SHOWN bytes), so the message
 * itself stays valid UTF-8 and shows where the bad byte is. */
int asmb__arg_utf8(asmb_conn *c, const char *label, const char *s)
{
    size_t n = strlen(s);
    const char *why = "";
    size_t bad = asmb_utf8_invalid_at(s, n, &why);
    if (bad == n) return 0;
    char shown[PREFIX_SHOWN * 4 + REST_SHOWN * 4 + 16];
    size_t o = 0, from = 0;
    if (bad > PREFIX_SHOWN) { /* keep the end of the prefix, from a character start */
        from = bad - PREFIX_SHOWN;
        while (from < bad && ((unsigned char)s[from] & 0xC0) == 0x80) from++;
        o = append_escaped(shown, o, sizeof shown, "...", 3, 0);
    }
    o = append_escaped(shown, o, sizeof shown, s + from, bad - from, 1);
    size_t rest = n - bad;
    o = append_escaped(shown, o, sizeof shown, s + bad, rest < REST_SHOWN ? rest : REST_SHOWN, 0);
    if (rest > REST_SHOWN) append_escaped(shown, o, sizeof shown, "...", 3, 0);
    return asmb__conn_arg_error(c, ASMB_EINVAL, "%s is not valid UTF-8 at byte %zu (%s): %s",
                                label, bad + 1, why, shown);
}
