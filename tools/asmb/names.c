/* Names a server lists for a multi-file get. The server did the matching, but
 * a hostile one may list anything (scp's CVE-2019-6111): every name is matched
 * again here and must be a plain name for a file in the target folder. */
#include <string.h>

#include "cli.h"

/* Simple case folding (one code point to one) for Latin, Greek and Cyrillic:
 * enough for the patterns people type; other scripts compare exactly, so a
 * name the server matched case-insensitively there is skipped, not trusted. */
static uint32_t fold(uint32_t c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7) ||
        (c >= 0x391 && c <= 0x3AB && c != 0x3A2) || (c >= 0x410 && c <= 0x42F))
        return c + 0x20;
    if (c >= 0x400 && c <= 0x40F) return c + 0x50;
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) return c | 1;
    if (c >= 0x139 && c <= 0x148) return c + (c & 1);
    return c;
}

/* The code point at s and its length; an invalid byte is a code point of its
 * own that only equals itself. */
static size_t next_cp(const char *s, uint32_t *cp)
{
    size_t n = utf8_seq((const unsigned char *)s, cp);
    if (n) return n;
    *cp = 0x110000u + (unsigned char)*s;
    return 1;
}

int name_match(const char *pattern, const char *name)
{
    const char *p = strcmp(pattern, "*.*") ? pattern : "*"; /* servers treat it as "*" */
    const char *n = name, *star = NULL, *retry = NULL;
    uint32_t pc, nc;
    while (*n) {
        size_t nl = next_cp(n, &nc);
        if (*p == '*') { /* remember where to retry with the star eating one more */
            star = ++p;
            retry = n;
            continue;
        }
        size_t pl = *p ? next_cp(p, &pc) : 0;
        if (*p && (*p == '?' || fold(pc) == fold(nc))) {
            p += pl;
            n += nl;
        } else if (star) {
            retry += next_cp(retry, &nc);
            p = star;
            n = retry;
        } else {
            return 0;
        }
    }
    while (*p == '*') p++;
    return !*p;
}

const char *name_refusal(const char *pattern, const char *name)
{
    if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
        return "not a file name";
    if (strpbrk(name, "/\\")) return "a path, not a name (contains '/' or '\\')";
    if (!out_is_plain(name)) return "control characters or invalid UTF-8 in the name";
    if (!name_match(pattern, name)) return "does not match the requested name or pattern";
    return NULL;
}
