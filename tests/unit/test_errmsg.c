/* Messages for calls refused at once: the UTF-8 checker's offsets and
 * reasons, and the text asmb_conn_last_error gives for an invalid path. */
#include <string.h>

#include "core/conn.h"
#include "test.h"
#include "wire/buf.h"

static void test_invalid_at(void)
{
    static const struct {
        const char *s;
        size_t at;
        const char *why;
    } cases[] = {
        {"plain\\path", 10, NULL},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, NULL}, /* 2-, 3- and 4-byte forms */
        {"\\docs\\\xe2\x82x", 6, "a truncated sequence"},
        {"ab\xc3", 2, "a truncated sequence"},
        {"\x80x", 0, "a continuation byte without a lead byte"},
        {"x\xc0\xaf", 1, "a byte that never appears in UTF-8"},
        {"x\xff", 1, "a byte that never appears in UTF-8"},
        {"\xe0\x80\xaf", 0, "an overlong encoding"},
        {"\xf0\x80\x80\xaf", 0, "an overlong encoding"},
        {"a\xed\xa0\x80", 1, "a UTF-16 surrogate"},
        {"\xf4\x90\x80\x80", 0, "a code point beyond U+10FFFF"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *why = NULL;
        size_t at = asmb_utf8_invalid_at(cases[i].s, strlen(cases[i].s), &why);
        CHECK_EQ_INT((int)at, (int)cases[i].at);
        if (cases[i].why) {
            CHECK(why && strcmp(why, cases[i].why) == 0);
            if (!why || strcmp(why, cases[i].why))
                fprintf(stderr, "  case %zu: got %s\n", i, why ? why : "(null)");
        }
    }
}

static void check_msg(asmb_conn *c, const char *label, const char *arg, const char *want)
{
    CHECK_EQ_INT(asmb__arg_utf8(c, label, arg), ASMB_EINVAL);
    const char *got = asmb_conn_last_error(c);
    CHECK(strcmp(got, want) == 0);
    if (strcmp(got, want)) fprintf(stderr, "  got  \"%s\"\n  want \"%s\"\n", got, want);
}

static void test_messages(void)
{
    asmb_conn *c = asmb__conn_create(NULL, NULL, NULL);
    CHECK(c != NULL);
    if (!c) return;
    CHECK_EQ_INT(strcmp(asmb_conn_last_error(c), ""), 0);
    CHECK_EQ_INT(strcmp(asmb_conn_last_error(NULL), ""), 0);
    /* Valid: 0, and the message is left alone. */
    CHECK_EQ_INT(asmb__arg_utf8(c, "path", "ok\\caf\xc3\xa9"), 0);
    CHECK_EQ_INT(strcmp(asmb_conn_last_error(c), ""), 0);

    /* The byte counted from 1; the valid prefix as it is (UTF-8 kept,
     * control characters escaped), the rest escaped. */
    check_msg(c, "path", "\\docs\\\xe2\x82x",
              "path is not valid UTF-8 at byte 7 (a truncated sequence): \\docs\\\\xE2\\x82x");
    check_msg(c, "pattern", "caf\xc3\xa9\x1b[31m\xff*",
              "pattern is not valid UTF-8 at byte 11 (a byte that never appears in UTF-8): "
              "caf\xc3\xa9\\x1B[31m\\xFF*");
    /* After the bad byte, non-ASCII is escaped too, even when valid. */
    check_msg(c, "new path", "\xff\xc3\xa9", "new path is not valid UTF-8 at byte 1 (a byte "
                                             "that never appears in UTF-8): \\xFF\\xC3\\xA9");

    /* Long paths: the end of the prefix (from a character start) and the
     * start of the rest, with "..." where cut. */
    char p[400];
    size_t o = 0;
    for (int i = 0; i < 60; i++) o += (size_t)snprintf(p + o, sizeof p - o, "\xc3\xa9"); /* 120 B */
    p[o++] = (char)0xFF;
    memset(p + o, 'z', 100);
    p[o + 100] = 0;
    CHECK_EQ_INT(asmb__arg_utf8(c, "path", p), ASMB_EINVAL);
    const char *m = asmb_conn_last_error(c);
    CHECK(strncmp(m, "path is not valid UTF-8 at byte 121 (a byte that never appears in UTF-8): "
                     "...\xc3\xa9",
                  strlen("path is not valid UTF-8 at byte 121 (a byte that never appears in "
                         "UTF-8): ...\xc3\xa9")) == 0);
    CHECK(strstr(m, "\xc3\xa9\\xFFzzzzzzzzzzzzzzzzzzzzzzz...") != NULL); /* 1 + 23 shown */
    CHECK_EQ_INT((int)asmb_utf8_invalid_at(m, strlen(m), NULL), (int)strlen(m)); /* valid UTF-8 */
    CHECK(strlen(m) < sizeof c->last_error - 1); /* nothing cut by the buffer */

    /* An operation's readiness check clears it (a new call begins). */
    CHECK_EQ_INT(asmb__conn_check_ready(c), ASMB_ENOTREADY);
    CHECK_EQ_INT(strcmp(asmb_conn_last_error(c), ""), 0);
    asmb__conn_destroy(c);
}

int main(void)
{
    test_invalid_at();
    test_messages();
    TEST_DONE();
}
