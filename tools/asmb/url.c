/* smb://[[DOMAIN;]USER[:PASSWORD]@]HOST[:PORT]/SHARE[/PATH]
 * Userinfo, host, share and path are percent-decoded; an IPv6 host goes in
 * brackets. '?' and '#' have no special meaning (they are part of the path). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..n) into a new string; NULL on a bad escape or %00. */
static char *pct_decode(const char *s, size_t n, const char *what, char *err, size_t errlen)
{
    char *out = malloc(n + 1);
    if (!out) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        int hi = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
        int lo = hi >= 0 ? hexval((unsigned char)s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            snprintf(err, errlen, "invalid percent-encoding in the URL's %s (write %% as %%25)",
                     what);
            free(out);
            return NULL;
        }
        out[o++] = (char)(hi * 16 + lo);
        i += 2;
    }
    out[o] = 0;
    return out;
}

/* Decodes s[0..n) into *dst; an empty result stays NULL. 0 or -1. */
static int decode_opt(const char *s, size_t n, const char *what, char **dst, char *err,
                      size_t errlen)
{
    *dst = NULL;
    if (n == 0) return 0;
    *dst = pct_decode(s, n, what, err, errlen);
    return *dst ? 0 : -1;
}

/* [DOMAIN;]USER[:PASSWORD] */
static int parse_userinfo(const char *s, size_t n, cli_creds *c, char *err, size_t errlen)
{
    const char *semi = memchr(s, ';', n);
    if (semi) {
        if (decode_opt(s, (size_t)(semi - s), "domain", &c->domain, err, errlen)) return -1;
        n -= (size_t)(semi + 1 - s);
        s = semi + 1;
    }
    const char *colon = memchr(s, ':', n);
    size_t ulen = colon ? (size_t)(colon - s) : n;
    if (decode_opt(s, ulen, "user name", &c->user, err, errlen)) return -1;
    if (colon) { /* "user:" gives an empty password, not "none" */
        c->password = pct_decode(colon + 1, n - ulen - 1, "password", err, errlen);
        if (!c->password) return -1;
    }
    return 0;
}

static int parse_port(const char *s, size_t n, int *port, char *err, size_t errlen)
{
    long v = 0;
    if (n == 0) return 0; /* "host:" = no port */
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || v > 65535) {
            snprintf(err, errlen, "invalid port in the URL: '%.*s'", (int)n, s);
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535) {
        snprintf(err, errlen, "invalid port in the URL: '%.*s'", (int)n, s);
        return -1;
    }
    *port = (int)v;
    return 0;
}

/* HOST[:PORT] or [IPV6][:PORT] */
static int parse_hostport(const char *s, size_t n, cli_url *u, char *err, size_t errlen)
{
    const char *host = s, *port = NULL;
    size_t hlen = n;
    if (n && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close || (close + 1 < s + n && close[1] != ':')) {
            snprintf(err, errlen, "invalid bracketed host in the URL");
            return -1;
        }
        host = s + 1;
        hlen = (size_t)(close - host);
        if (close + 1 < s + n) port = close + 2;
    } else {
        const char *colon = memchr(s, ':', n);
        if (colon && memchr(colon + 1, ':', n - (size_t)(colon + 1 - s))) {
            snprintf(err, errlen, "an IPv6 address in a URL goes in brackets: smb://[::1]/share");
            return -1;
        }
        if (colon) {
            hlen = (size_t)(colon - s);
            port = colon + 1;
        }
    }
    if (hlen == 0) {
        snprintf(err, errlen, "missing host in the URL");
        return -1;
    }
    u->host = pct_decode(host, hlen, "host", err, errlen);
    if (!u->host) return -1;
    return port ? parse_port(port, (size_t)(s + n - port), &u->port, err, errlen) : 0;
}

int url_password_span(const char *text, size_t *start, size_t *len)
{
    const char *p = strstr(text, "://");
    if (!p) return -1;
    p += 3;
    const char *auth_end = p + strcspn(p, "/"), *at = NULL;
    for (const char *q = p; q < auth_end; q++)
        if (*q == '@') at = q; /* the last one, as url_parse */
    if (!at) return -1;
    const char *semi = memchr(p, ';', (size_t)(at - p));
    const char *user = semi ? semi + 1 : p;
    const char *colon = memchr(user, ':', (size_t)(at - user));
    if (!colon) return -1;
    *start = (size_t)(colon + 1 - text);
    *len = (size_t)(at - colon - 1);
    return 0;
}

char *url_redact(const char *text)
{
    size_t start, len, n = strlen(text);
    if (url_password_span(text, &start, &len)) return strdup(text);
    char *r = malloc(n - len + 4);
    if (r) sprintf(r, "%.*s***%s", (int)start, text, text + start + len);
    return r;
}

void hide_secret(char *s, size_t start, size_t len)
{
    size_t total = strlen(s), keep = len >= 3 ? 3 : 0;
    volatile char *v = s + start;
    for (size_t i = 0; i < len; i++) v[i] = 0; /* not optimised away */
    memset(s + start, '*', keep);
    memmove(s + start + keep, s + start + len, total - start - len + 1);
    memset(s + total - len + keep, 0, len - keep + 1);
}

int url_is_smb(const char *text) { return text && strncasecmp(text, "smb://", 6) == 0; }

int url_parse(const char *text, cli_url *u, char *err, size_t errlen)
{
    memset(u, 0, sizeof *u);
    if (!url_is_smb(text)) {
        char *shown = url_redact(text);
        snprintf(err, errlen, "not an smb:// URL: '%s'", shown ? shown : "");
        free(shown);
        return -1;
    }
    const char *p = text + 6, *auth_end = p + strcspn(p, "/");
    const char *at = NULL;
    for (const char *q = p; q < auth_end; q++)
        if (*q == '@') at = q; /* the last one: an unencoded '@' in a password */
    if (at && parse_userinfo(p, (size_t)(at - p), &u->creds, err, errlen)) goto fail;
    const char *hp = at ? at + 1 : p;
    if (parse_hostport(hp, (size_t)(auth_end - hp), u, err, errlen)) goto fail;
    const char *rest = *auth_end ? auth_end + 1 : auth_end;
    size_t slen = strcspn(rest, "/");
    if (decode_opt(rest, slen, "share", &u->share, err, errlen)) goto fail;
    const char *path = rest[slen] ? rest + slen + 1 : rest + slen;
    size_t plen = strlen(path);
    u->trailing_slash = plen == 0 || path[plen - 1] == '/';
    u->path = pct_decode(path, plen, "path", err, errlen);
    if (!u->path) goto fail;
    return 0;
fail:
    url_free(u);
    return -1;
}

void url_free(cli_url *u)
{
    creds_free(&u->creds);
    free(u->host);
    free(u->share);
    free(u->path);
    memset(u, 0, sizeof *u);
}

char *path_basename(const char *path)
{
    size_t end = strlen(path);
    while (end && (path[end - 1] == '/' || path[end - 1] == '\\')) end--;
    size_t start = end;
    while (start && path[start - 1] != '/' && path[start - 1] != '\\') start--;
    char *b = malloc(end - start + 1);
    if (b) {
        memcpy(b, path + start, end - start);
        b[end - start] = 0;
    }
    return b;
}

char *path_dirname(const char *path)
{
    size_t end = strlen(path);
    while (end && (path[end - 1] == '/' || path[end - 1] == '\\')) end--;
    while (end && path[end - 1] != '/' && path[end - 1] != '\\') end--;
    char *d = malloc(end + 1);
    if (d) {
        memcpy(d, path, end);
        d[end] = 0;
    }
    return d;
}
