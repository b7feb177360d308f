/* smb://[[DOMAIN;]USER[:PASSWORD]@]HOST[:PORT]/SHARE[/PATH]: string handling
 * only (no event loop). Userinfo, host, share and path are percent-decoded. */
#define ASMB_NO_UV /* no event loop here */
#include <string.h>

#include "asmb/asmb_url.h"
#include "mem.h"
#include "url.h"

/* Why a parse failed: the message, or ASMB_ENOMEM. */
typedef struct url_err {
    const char *msg;
    int code;
} url_err;

static int fail(url_err *e, const char *msg)
{
    e->msg = msg;
    e->code = ASMB_EINVAL;
    return -1;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..n) into *dst (a new string); -1 on a bad escape, %00 or out
 * of memory. */
static int pct_decode(const char *s, size_t n, const char *bad, char **dst, url_err *e)
{
    char *out = asmb__malloc(n + 1);
    if (!out) {
        e->code = ASMB_ENOMEM;
        return -1;
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
            memset(out, 0, o); /* may be part of a password */
            asmb__free(out);
            return fail(e, bad);
        }
        out[o++] = (char)(hi * 16 + lo);
        i += 2;
    }
    out[o] = 0;
    *dst = out;
    return 0;
}

/* As pct_decode, but an empty part stays NULL. */
static int decode_opt(const char *s, size_t n, const char *bad, char **dst, url_err *e)
{
    *dst = NULL;
    return n ? pct_decode(s, n, bad, dst, e) : 0;
}

/* [DOMAIN;]USER[:PASSWORD] */
static int parse_userinfo(const char *s, size_t n, asmb_url *u, url_err *e)
{
    const char *semi = memchr(s, ';', n);
    if (semi) {
        if (decode_opt(s, (size_t)(semi - s), "invalid percent-escape in the domain", &u->domain,
                       e))
            return -1;
        n -= (size_t)(semi + 1 - s);
        s = semi + 1;
    }
    const char *colon = memchr(s, ':', n);
    size_t ulen = colon ? (size_t)(colon - s) : n;
    if (decode_opt(s, ulen, "invalid percent-escape in the user name", &u->username, e))
        return -1;
    if (!colon) return 0;
    /* "user:" gives an empty password, not none */
    return pct_decode(colon + 1, n - ulen - 1, "invalid percent-escape in the password",
                      &u->password, e);
}

static int parse_port(const char *s, size_t n, int *port, url_err *e)
{
    long v = 0;
    if (n == 0) return 0; /* "host:" = no port */
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || v > 65535) return fail(e, "invalid port");
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535) return fail(e, "invalid port");
    *port = (int)v;
    return 0;
}

/* HOST[:PORT] or [IPV6][:PORT] */
static int parse_hostport(const char *s, size_t n, asmb_url *u, url_err *e)
{
    const char *host = s, *port = NULL;
    size_t hlen = n;
    if (n && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close || (close + 1 < s + n && close[1] != ':'))
            return fail(e, "invalid bracketed host");
        host = s + 1;
        hlen = (size_t)(close - host);
        if (close + 1 < s + n) port = close + 2;
    } else {
        const char *colon = memchr(s, ':', n);
        if (colon && memchr(colon + 1, ':', n - (size_t)(colon + 1 - s)))
            return fail(e, "an IPv6 address goes in brackets: smb://[::1]/share");
        if (colon) {
            hlen = (size_t)(colon - s);
            port = colon + 1;
        }
    }
    if (hlen == 0) return fail(e, "missing host");
    if (pct_decode(host, hlen, "invalid percent-escape in the host", &u->host, e)) return -1;
    return port ? parse_port(port, (size_t)(s + n - port), &u->port, e) : 0;
}

static int is_smb_scheme(const char *t)
{
    static const char scheme[] = "smb://";
    for (size_t i = 0; i < sizeof scheme - 1; i++)
        if ((t[i] | (i < 3 ? 0x20 : 0)) != scheme[i]) return 0; /* t[i] 0 ends too */
    return 1;
}

/* Everything after "smb://". */
static int parse_rest(const char *p, asmb_url *u, url_err *e)
{
    const char *auth_end = p + strcspn(p, "/"), *at = NULL;
    for (const char *q = p; q < auth_end; q++)
        if (*q == '@') at = q; /* the last one: an unencoded '@' in a password */
    if (at && parse_userinfo(p, (size_t)(at - p), u, e)) return -1;
    const char *hp = at ? at + 1 : p;
    if (parse_hostport(hp, (size_t)(auth_end - hp), u, e)) return -1;
    const char *rest = *auth_end ? auth_end + 1 : auth_end;
    size_t slen = strcspn(rest, "/");
    if (decode_opt(rest, slen, "invalid percent-escape in the share", &u->share, e)) return -1;
    const char *path = rest[slen] ? rest + slen + 1 : rest + slen;
    size_t plen = strlen(path);
    u->trailing_slash = plen == 0 || path[plen - 1] == '/';
    return pct_decode(path, plen, "invalid percent-escape in the path", &u->path, e);
}

ASMB_API int asmb_url_parse(const char *text, asmb_url *out)
{
    url_err e = {NULL, 0};
    if (!out) return ASMB_EINVAL;
    memset(out, 0, sizeof *out);
    if (!text || !is_smb_scheme(text)) {
        out->error = "not an smb:// URL";
        return ASMB_EINVAL;
    }
    if (parse_rest(text + 6, out, &e) == 0) return 0;
    asmb_url_clear(out);
    out->error = e.code == ASMB_ENOMEM ? "out of memory" : e.msg;
    return e.code;
}

ASMB_API void asmb_url_clear(asmb_url *url)
{
    if (!url) return;
    if (url->password) {
        volatile char *v = url->password; /* not optimised away */
        while (*v) *v++ = 0;
    }
    char *owned[] = {url->domain, url->username, url->password, url->host, url->share, url->path};
    for (size_t i = 0; i < ASMB_ARRAY_LEN(owned); i++) asmb__free(owned[i]);
    memset(url, 0, sizeof *url);
}

ASMB_API int asmb_url_to_config(const asmb_url *url, asmb_config *cfg)
{
    if (!url || !cfg) return ASMB_EINVAL;
    if (url->username) cfg->username = url->username;
    if (url->password) cfg->password = url->password;
    if (url->domain) cfg->domain = url->domain;
    return 0;
}

int asmb__url_connect_params(const char *text, const asmb_config *base, asmb_url *u,
                             asmb_config *cfg, int *port)
{
    int rc = asmb_url_parse(text, u);
    if (rc) return rc;
    if (base) *cfg = *base;
    else asmb_config_init(cfg);
    asmb_url_to_config(u, cfg);
    *port = u->port ? u->port : cfg->netbios ? 139 : 445;
    return 0;
}
