/* Unit tests of the asmb tool's defences (tools/asmb): the client-side name
 * match of a multi-file get, the terminal and JSON escaping, and the password
 * redaction of URLs and argv. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/asmb/cli.h"
#include "test.h"

int cli_port(const cli_opts *o, int url_port) /* main.c's, not linked here */
{
    (void)o;
    return url_port;
}

/* What f(s) prints, in a static buffer. */
static const char *printed(void (*f)(FILE *, const char *), const char *s)
{
    static char buf[256];
    FILE *m = fmemopen(buf, sizeof buf, "w");
    f(m, s);
    fclose(m);
    return buf;
}
static void safe(FILE *f, const char *s) { out_safe(f, s); }

static void test_match(void)
{
    CHECK(name_match("*.txt", "a.txt"));
    CHECK(name_match("*.txt", "A.TXT"));
    CHECK(name_match("*.TxT", "x.y.txt"));
    CHECK(!name_match("*.txt", ".bash_logout"));
    CHECK(!name_match("*.txt", "a.txt.sh"));
    CHECK(name_match("a*b*c", "aXbYbZc"));   /* the star retries */
    CHECK(!name_match("a*b*c", "aXbYbZ"));
    CHECK(name_match("?.dat", "\xc3\xa9.dat")); /* ? is one code point, not one byte */
    CHECK(!name_match("??.dat", "\xc3\xa9.dat"));
    CHECK(name_match("\xc3\x89T\xc3\x89", "\xc3\xa9t\xc3\xa9")); /* É = é */
    CHECK(name_match("\xd0\x94*", "\xd0\xb4om"));               /* Cyrillic Д = д */
    CHECK(name_match("*.*", "README"));
    CHECK(name_match("report", "REPORT"));
    CHECK(!name_match("report", "report2"));
    CHECK(!name_match("a\xff", "a\xfe")); /* invalid bytes equal only themselves */
}

static void test_refusal(void)
{
    CHECK(name_refusal("*", "ok.txt") == NULL);
    CHECK(name_refusal("*", "") != NULL);
    CHECK(name_refusal("*", ".") != NULL);
    CHECK(name_refusal("*", "..") != NULL);
    CHECK(name_refusal("*", "..\\x") != NULL);
    CHECK(name_refusal("*", "a/b") != NULL);
    CHECK(name_refusal("*", "a\x1b[2J") != NULL);
    CHECK(name_refusal("*", "a\xc2\x9b" "2J") != NULL);
    CHECK(name_refusal("*", "a\xe2\x80\xae" "txt.exe") != NULL); /* U+202E */
    CHECK(name_refusal("*", "bad\xc3") != NULL);
    CHECK(name_refusal("*.txt", ".profile") != NULL);
}

static void test_escape(void)
{
    CHECK(!strcmp(printed(safe, "plain \xc3\xa9"), "plain \xc3\xa9"));
    CHECK(!strcmp(printed(safe, "\x1b]0;t\x07"), "\\x1b]0;t\\x07"));
    CHECK(!strcmp(printed(safe, "a\xc2\x9b" "b\x7f"), "a\\u009bb\\x7f"));
    CHECK(!strcmp(printed(safe, "x\xff\xc0\xaf"), "x\\xff\\xc0\\xaf")); /* overlong '/' */
    CHECK(!strcmp(printed(safe, "\xe2\x80\xae"), "\\u202e"));
    CHECK_EQ_INT(out_safe(NULL, "\x1b" "ab"), 6);
    CHECK(!strcmp(printed(out_json_string, "q\"\x1b\xc2\x9b\xff\xc3\xa9"),
                  "\"q\\\"\\u001b\\u009b\\ufffd\xc3\xa9\""));
    CHECK(out_is_plain("caf\xc3\xa9"));
    CHECK(!out_is_plain("a\tb"));
}

static void test_passwords(void)
{
    char *r = url_redact("smb://dom;bob:p@ss:w0rd@host/share");
    CHECK(r && !strcmp(r, "smb://dom;bob:***@host/share"));
    free(r);
    r = url_redact("smb://bob@host/share");
    CHECK(r && !strcmp(r, "smb://bob@host/share"));
    free(r);
    r = url_redact("smb://host/share/a:b@c");
    CHECK(r && !strcmp(r, "smb://host/share/a:b@c")); /* '@' in the path: no userinfo */
    free(r);
    char arg[] = "smb://bob:secret@h/s";
    size_t start, len;
    CHECK(url_password_span(arg, &start, &len) == 0 && start == 10 && len == 6);
    hide_secret(arg, start, len);
    CHECK(!strcmp(arg, "smb://bob:***@h/s"));
    CHECK(!memcmp(arg + sizeof arg - 4, "\0\0\0\0", 4)); /* the length shows as NULs */
    char u[] = "bob%pw";
    hide_secret(u, 4, 2);
    CHECK(!strcmp(u, "bob%") && !memcmp(u, "bob%\0\0\0", 7));
}

int main(void)
{
    test_match();
    test_refusal();
    test_escape();
    test_passwords();
    TEST_DONE();
}
