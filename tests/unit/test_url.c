/* asmb_url_parse, asmb_url_clear, asmb_url_to_config (src/url.c): every form
 * of smb:// URL, percent-decoding, IPv6, bad input, and who owns what (the
 * password wiped before its memory goes). */
#include <stdlib.h>
#include <string.h>

#include "asmb/asmb.h"
#include "test.h"

/* An allocator that counts blocks and notes whether a freed block still held
 * the password. */
static long live;
static int freed_secret;
static const char secret[] = "s3cr@t";
static void *t_malloc(size_t n, void *ctx)
{
    (void)ctx;
    void *p = malloc(n);
    if (p) live++;
    return p;
}
static void *t_realloc(void *p, size_t n, void *ctx)
{
    (void)ctx;
    return realloc(p, n);
}
static void t_free(void *p, void *ctx)
{
    (void)ctx;
    if (!strncmp(p, secret, sizeof secret)) freed_secret = 1; /* blocks are strings */
    live--;
    free(p);
}

static int eq(const char *a, const char *b) { return a && b ? !strcmp(a, b) : a == b; }

/* Parses text and compares every field ("-" for a NULL string). */
static int parses(const char *text, const char *dom, const char *user, const char *pw,
                  const char *host, int port, const char *share, const char *path, int slash)
{
    asmb_url u;
#define F(s) (strcmp(s, "-") ? s : NULL)
    int ok = asmb_url_parse(text, &u) == 0 && eq(u.domain, F(dom)) && eq(u.username, F(user)) &&
             eq(u.password, F(pw)) && eq(u.host, host) && u.port == port &&
             eq(u.share, F(share)) && eq(u.path, path) && u.trailing_slash == slash &&
             u.error == NULL;
#undef F
    if (!ok) fprintf(stderr, "  parsing %s\n", text);
    asmb_url_clear(&u);
    return ok;
}

static int refused(const char *text, const char *why)
{
    asmb_url u;
    memset(&u, 0x5a, sizeof u); /* whatever was there is not freed */
    int rc = asmb_url_parse(text, &u);
    int ok = rc == ASMB_EINVAL && u.error && strstr(u.error, why) && !u.host && !u.username &&
             !u.password && !u.domain && !u.share && !u.path;
    if (!ok) fprintf(stderr, "  %s: rc %d, error '%s'\n", text, rc, u.error ? u.error : "(null)");
    asmb_url_clear(&u);
    return ok;
}

static void test_forms(void)
{
    CHECK(parses("smb://host", "-", "-", "-", "host", 0, "-", "", 1));
    CHECK(parses("smb://host/", "-", "-", "-", "host", 0, "-", "", 1));
    CHECK(parses("smb://host:1445/share", "-", "-", "-", "host", 1445, "share", "", 1));
    CHECK(parses("SMB://Host/share/a/b.txt", "-", "-", "-", "Host", 0, "share", "a/b.txt", 0));
    CHECK(parses("smb://host/share/dir/", "-", "-", "-", "host", 0, "share", "dir/", 1));
    CHECK(parses("smb://bob@h/s", "-", "bob", "-", "h", 0, "s", "", 1));
    CHECK(parses("smb://bob:@h/s", "-", "bob", "", "h", 0, "s", "", 1));
    CHECK(parses("smb://bob:pw@h:139/s/x", "-", "bob", "pw", "h", 139, "s", "x", 0));
    CHECK(parses("smb://CORP;bob:pw@h/s", "CORP", "bob", "pw", "h", 0, "s", "", 1));
    CHECK(parses("smb://CORP;bob@h/s", "CORP", "bob", "-", "h", 0, "s", "", 1));
    CHECK(parses("smb://us@r:p@ss@h/s", "-", "us@r", "p@ss", "h", 0, "s", "", 1)); /* last '@' */
    CHECK(parses("smb://h:/s", "-", "-", "-", "h", 0, "s", "", 1));          /* "h:" = no port */
    CHECK(parses("smb://h/s/a?b#c", "-", "-", "-", "h", 0, "s", "a?b#c", 0)); /* no query */
    CHECK(parses("smb://h/s/x/a:b@c", "-", "-", "-", "h", 0, "s", "x/a:b@c", 0));
}

static void test_ipv6(void)
{
    CHECK(parses("smb://[::1]/s", "-", "-", "-", "::1", 0, "s", "", 1));
    CHECK(parses("smb://[::1]:4450/s/f", "-", "-", "-", "::1", 4450, "s", "f", 0));
    CHECK(parses("smb://bob:pw@[fe80::1%25eth0]:445/s", "-", "bob", "pw", "fe80::1%eth0", 445,
                 "s", "", 1));
    CHECK(refused("smb://::1/s", "brackets"));
    CHECK(refused("smb://[::1/s", "bracketed"));
    CHECK(refused("smb://[::1]x/s", "bracketed"));
    CHECK(refused("smb://[::1]:0/s", "port"));
}

static void test_decoding(void)
{
    CHECK(parses("smb://d%3Bx;b%40ob:p%25w%3a@h%2Dx/sh%20are/a%2Fb/%E6%B5%8B.txt", "d;x", "b@ob",
                 "p%w:", "h-x", 0, "sh are", "a/b/\xe6\xb5\x8b.txt", 0));
    CHECK(refused("smb://h/s/a%2", "path"));
    CHECK(refused("smb://h/s/a%zz", "path"));
    CHECK(refused("smb://h/s/a%00b", "path"));
    CHECK(refused("smb://h/s%G0/a", "share"));
    CHECK(refused("smb://bob:p%0@h/s", "password"));
    CHECK(refused("smb://b%x;bob@h/s", "domain"));
    CHECK(refused("smb://b%@h/s", "user name"));
    CHECK(refused("smb://h%/s", "host"));
}

static void test_bad(void)
{
    CHECK(refused("http://h/s", "not an smb:// URL"));
    CHECK(refused("smb:/h/s", "not an smb:// URL"));
    CHECK(refused("smb:", "not an smb:// URL"));
    CHECK(refused("", "not an smb:// URL"));
    CHECK(refused("smb:///s", "missing host"));
    CHECK(refused("smb://bob@/s", "missing host"));
    CHECK(refused("smb://h:65536/s", "port"));
    CHECK(refused("smb://h:99999999999999999999/s", "port"));
    CHECK(refused("smb://h:12a/s", "port"));
    CHECK(refused("smb://h:-1/s", "port"));
    asmb_url u;
    CHECK_EQ_INT(asmb_url_parse(NULL, &u), ASMB_EINVAL);
    CHECK(u.error != NULL);
    CHECK_EQ_INT(asmb_url_parse("smb://h/s", NULL), ASMB_EINVAL);
}

static void test_ownership(void)
{
    asmb_allocator a = {t_malloc, t_realloc, t_free, NULL};
    CHECK_EQ_INT(asmb_set_allocator(&a), 0);
    asmb_url u;
    CHECK_EQ_INT(asmb_url_parse("smb://dom;bob:s3cr%40t@host:99/share/p", &u), 0);
    CHECK(u.password && !strcmp(u.password, secret));
    CHECK(live == 6); /* domain, user, password, host, share, path */

    asmb_config cfg;
    asmb_config_init(&cfg);
    cfg.username = "base";
    cfg.workstation = "WS";
    CHECK_EQ_INT(asmb_url_to_config(&u, &cfg), 0);
    CHECK(cfg.username == u.username && cfg.password == u.password && cfg.domain == u.domain);
    CHECK(!strcmp(cfg.workstation, "WS"));
    CHECK_EQ_INT(asmb_url_to_config(NULL, &cfg), ASMB_EINVAL);
    CHECK_EQ_INT(asmb_url_to_config(&u, NULL), ASMB_EINVAL);

    asmb_url_clear(&u);
    CHECK(live == 0);
    CHECK(!freed_secret); /* wiped before it was freed */
    CHECK(!u.password && !u.host && !u.path && u.port == 0);
    asmb_url_clear(&u); /* twice: nothing */
    asmb_url_clear(NULL);
    CHECK(live == 0);

    /* the URL gives no credentials: base's stay */
    CHECK_EQ_INT(asmb_url_parse("smb://host/share", &u), 0);
    asmb_config_init(&cfg);
    cfg.username = "base";
    cfg.password = "bp";
    asmb_url_to_config(&u, &cfg);
    CHECK(!strcmp(cfg.username, "base") && !strcmp(cfg.password, "bp") && cfg.domain == NULL);
    asmb_url_clear(&u);

    /* a failure leaves nothing allocated */
    CHECK_EQ_INT(asmb_url_parse("smb://bob:s3cr%40t@h:bad/s", &u), ASMB_EINVAL);
    CHECK(live == 0 && !freed_secret);
    asmb_set_allocator(NULL);
}

int main(void)
{
    test_forms();
    test_ipv6();
    test_decoding();
    test_bad();
    test_ownership();
    TEST_DONE();
}
