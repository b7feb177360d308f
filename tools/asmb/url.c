/* smb:// URLs: the library's asmb_url_parse, with messages that never show a
 * password; hiding a password in argv; path components. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

int url_password_span(const char *text, size_t *start, size_t *len)
{
    const char *p = strstr(text, "://");
    if (!p) return -1;
    p += 3;
    const char *auth_end = p + strcspn(p, "/"), *at = NULL;
    for (const char *q = p; q < auth_end; q++)
        if (*q == '@') at = q; /* the last one, as asmb_url_parse */
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

int url_parse(const char *text, asmb_url *u)
{
    int rc = asmb_url_parse(text, u);
    if (rc == 0) return CLI_OK;
    if (rc == ASMB_ENOMEM) return cli_error(CLI_FAIL, "out of memory");
    char *shown = url_redact(text);
    cli_error(CLI_USAGE, "%s: '%s'", u->error, shown ? shown : "");
    free(shown);
    return CLI_USAGE;
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
