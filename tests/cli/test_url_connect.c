/* asmb_sync_connect_url and asmb_conn_new_from_url against the harness Samba
 * (tests/samba/samba.sh run): the URL's host, port and credentials reach the
 * server; a wrong password in the URL is refused; a bad URL fails at once. */
#include <asmb/asmb_sync.h>

#include "itest.h"

/* smb://USER:PASS@HOST:PORT/share with pass percent-encoded where needed. */
static void url_of(char *buf, size_t n, const char *user, const char *pass)
{
    snprintf(buf, n, "smb://WORKGROUP;%s:%s@%s:%d/share/ignored/path", user, pass, it_host(),
             it_port());
}

static void test_sync(void)
{
    char url[512];
    asmb_failure err;
    url_of(url, sizeof url, it_user(), it_pass());
    asmb_config base;
    asmb_config_init(&base);
    base.username = "nobody"; /* the URL's user wins */
    asmb_sync *s = asmb_sync_connect_url(url, &base, &err);
    CHECK(s != NULL);
    if (!s) fprintf(stderr, "  %s: %s\n", url, err.message);
    CHECK(s && asmb_sync_echo(s, NULL, &err) == 0);
    asmb_file_list l = {0};
    CHECK(s && asmb_sync_list_path(s, "share", "", ASMB_SEARCH_DEFAULT, NULL, NULL, &l, &err) == 0);
    asmb_file_list_clear(&l);
    asmb_sync_close(s);

    url_of(url, sizeof url, it_user(), "wrong%20password");
    memset(&err, 0, sizeof err);
    CHECK(asmb_sync_connect_url(url, NULL, &err) == NULL);
    CHECK_EQ_INT(err.code, ASMB_EAUTH);

    /* the password comes from base when the URL has none */
    snprintf(url, sizeof url, "smb://%s@%s:%d", it_user(), it_host(), it_port());
    base.password = it_pass();
    s = asmb_sync_connect_url(url, &base, &err);
    CHECK(s != NULL);
    asmb_sync_close(s);

    memset(&err, 0, sizeof err);
    CHECK(asmb_sync_connect_url("smb://bob:secret@host:99999/s", NULL, &err) == NULL);
    CHECK_EQ_INT(err.code, ASMB_EINVAL);
    CHECK(strstr(err.message, "invalid port") != NULL);
    CHECK(strstr(err.message, "secret") == NULL);
    CHECK(asmb_sync_connect_url(NULL, NULL, &err) == NULL && err.code == ASMB_EINVAL);
}

static void test_async(void)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    char url[512];
    url_of(url, sizeof url, it_user(), it_pass());
    conn_events e;
    memset(&e, 0, sizeof e);
    asmb_conn *c = asmb_conn_new_from_url(&loop, url, NULL, &test_handlers, &e);
    CHECK(c != NULL);
    if (c) {
        run_until(&loop, &e.auth_ok, 15000);
        CHECK_EQ_INT(e.auth_ok, 1);
        asmb_conn_close(c);
        run_until(&loop, &e.disconnected, 5000);
        t_free(&loop, c);
    }
    CHECK(asmb_conn_new_from_url(&loop, "http://h/s", NULL, &test_handlers, &e) == NULL);
    CHECK(asmb_conn_new_from_url(NULL, url, NULL, &test_handlers, &e) == NULL);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

int main(void)
{
    test_sync();
    test_async();
    TEST_DONE();
}
