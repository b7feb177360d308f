/* Signing and encryption against a real Samba configured for it (the ctest
 * entries start Samba with the matching options):
 *   test_security encrypt AES-128-GCM   server requires encryption with that cipher
 *   test_security sign AES-128-GMAC     server requires signing with that algorithm
 *   test_security share                 a default server: the "enc" share alone encrypts,
 *                                       and the client's own encryption wishes
 * Each stores and retrieves 64 MiB and compares, and checks what was
 * negotiated, in the library's report and in Samba's own (smbstatus -b). */
#include <stdio.h>
#include <string.h>

#include "itest.h"

static uv_loop_t *loop;

#define BIG (64u << 20)

typedef struct pattern {
    uint64_t pos, bad;
} pattern;

static uint8_t byte_at(uint64_t i) { return (uint8_t)((i * 2654435761u) >> 13); }

static long gen(void *arg, void *buf, size_t len)
{
    pattern *p = arg;
    size_t n = BIG - p->pos < len ? (size_t)(BIG - p->pos) : len;
    for (size_t i = 0; i < n; i++) ((uint8_t *)buf)[i] = byte_at(p->pos + i);
    p->pos += n;
    return (long)n;
}

static int verify(void *arg, const void *data, size_t len)
{
    pattern *p = arg;
    for (size_t i = 0; i < len; i++) p->bad += ((const uint8_t *)data)[i] != byte_at(p->pos + i);
    p->pos += len;
    return 0;
}

/* What Samba reports for our session: the smbstatus -b line of asmbtest. */
static void server_view(char *out, size_t n)
{
    out[0] = 0;
    const char *conf = getenv("ASMB_TEST_CONF");
    if (!conf) return;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "smbstatus --configfile='%s' -b 2>/dev/null | grep asmbtest", conf);
    FILE *f = popen(cmd, "r");
    if (!f) return;
    size_t got = fread(out, 1, n - 1, f);
    out[got] = 0;
    pclose(f);
}

/* rc and *d come from one operation call; d is read after that call ran. */
static outcome run_op(int rc, asmb_deferred *const *d)
{
    outcome o = {0};
    CHECK_EQ_INT(rc, 0);
    if (rc) return o;
    asmb_deferred_then(*d, t_cb, t_eb, &o);
    run_until(loop, &o.calls, 120000);
    if (o.failed) fprintf(stderr, "  failed: %s\n", o.msg);
    return o;
}

/* 64 MiB there and back on share, compared byte for byte. */
static void round_trip(asmb_conn *c, const char *share)
{
    asmb_deferred *d;
    pattern w = {0}, r = {0};
    asmb_source src = {gen, &w, -1};
    outcome o = run_op(asmb_store_file(c, share, "sec-64m.bin", &src, NULL, &d), &d);
    CHECK_EQ_INT(o.ok, 1);
    CHECK_EQ_INT(w.pos, BIG);
    asmb_sink sink = {verify, &r, -1};
    o = run_op(asmb_retrieve_file(c, share, "sec-64m.bin", &sink, NULL, &d), &d);
    CHECK_EQ_INT(o.ok, 1);
    CHECK_EQ_INT(r.pos, BIG);
    CHECK_EQ_INT(r.bad, 0);
    o = run_op(asmb_list_path(c, share, "", ASMB_SEARCH_DEFAULT, "sec-*", NULL, &d), &d);
    CHECK_EQ_INT(o.ok, 1);
}

static asmb_conn *open_conn(asmb_config *cfg, conn_events *e)
{
    asmb_conn *c = t_connect(loop, cfg, e);
    CHECK_EQ_INT(e->auth_ok, 1);
    if (!e->auth_ok) fprintf(stderr, "  auth: %s\n", e->auth_msg);
    return c;
}

static const struct { const char *name; int cipher; } cipher_names[] = {
    {"AES-128-CCM", ASMB_CIPHER_AES_128_CCM}, {"AES-128-GCM", ASMB_CIPHER_AES_128_GCM},
    {"AES-256-CCM", ASMB_CIPHER_AES_256_CCM}, {"AES-256-GCM", ASMB_CIPHER_AES_256_GCM}};

static void test_encrypt(const char *name)
{
    int want = 0;
    for (size_t i = 0; i < 4; i++)
        if (!strcmp(cipher_names[i].name, name)) want = cipher_names[i].cipher;
    CHECK(want != 0);
    asmb_config cfg;
    t_config(&cfg);
    conn_events e;
    asmb_conn *c = open_conn(&cfg, &e);
    asmb_conn_info info;
    asmb_conn_info_get(c, &info);
    CHECK_EQ_INT(info.dialect, ASMB_SMB3_11);
    CHECK_EQ_INT(info.cipher, want);
    round_trip(c, "share");
    char view[1024];
    server_view(view, sizeof view);
    CHECK(!*view || strstr(view, name) != NULL); /* the whole session: not "partial(" */
    if (*view && !strstr(view, name)) fprintf(stderr, "  smbstatus: %s\n", view);
    t_free(loop, c);

    /* 3.0.2 has AES-128-CCM only; the server's cipher list decides whether it may. */
    t_config(&cfg);
    cfg.max_dialect = ASMB_SMB3_02;
    c = t_connect(loop, &cfg, &e);
    if (want == ASMB_CIPHER_AES_128_CCM) {
        CHECK_EQ_INT(e.auth_ok, 1);
        asmb_conn_info_get(c, &info);
        CHECK_EQ_INT(info.cipher, ASMB_CIPHER_AES_128_CCM);
        round_trip(c, "share");
    } else {
        CHECK_EQ_INT(e.auth_ok, 0); /* the server refuses 3.0.2 without CCM */
    }
    t_free(loop, c);

    /* A guest session cannot encrypt: refused (here by Samba itself), opted in or not. */
    t_config(&cfg);
    cfg.username = "no-such-user";
    cfg.allow_guest_fallback = 1;
    c = t_connect(loop, &cfg, &e);
    CHECK_EQ_INT(e.auth_ok, 0);
    CHECK_EQ_INT(e.auth_failed, 1);
    t_free(loop, c);
}

static const struct { const char *name; int algo; } sign_names[] = {
    {"HMAC-SHA256", ASMB_SIGN_HMAC_SHA256}, {"AES-128-CMAC", ASMB_SIGN_AES_CMAC},
    {"AES-128-GMAC", ASMB_SIGN_AES_GMAC}};

static void test_sign(const char *name)
{
    int want = 0;
    for (size_t i = 0; i < 3; i++)
        if (!strcmp(sign_names[i].name, name)) want = sign_names[i].algo;
    CHECK(want != 0);
    asmb_config cfg;
    t_config(&cfg);
    cfg.signing = ASMB_OFF; /* the server requires it: signed anyway */
    conn_events e;
    asmb_conn *c = open_conn(&cfg, &e);
    asmb_conn_info info;
    asmb_conn_info_get(c, &info);
    CHECK_EQ_INT(info.signing, 1);
    CHECK_EQ_INT(info.signing_algorithm, want);
    CHECK_EQ_INT(info.cipher, 0);
    round_trip(c, "share");
    char view[1024];
    server_view(view, sizeof view);
    CHECK(!*view || strstr(view, name) != NULL);
    t_free(loop, c);
}

static void test_share_and_wishes(void)
{
    asmb_config cfg;
    t_config(&cfg);
    conn_events e;
    asmb_conn *c = open_conn(&cfg, &e);
    asmb_conn_info info;
    asmb_conn_info_get(c, &info);
    CHECK_EQ_INT(info.cipher, 0); /* the session itself is plain */
    round_trip(c, "enc");         /* the share alone encrypts */
    char view[1024];
    server_view(view, sizeof view);
    CHECK(!*view || strstr(view, "partial(AES-128-GCM)") != NULL);
    round_trip(c, "share");
    t_free(loop, c);

    /* A guest (opted in) can't reach a share that must be encrypted. */
    t_config(&cfg);
    cfg.username = "no-such-user";
    cfg.allow_guest_fallback = 1;
    c = open_conn(&cfg, &e);
    asmb_deferred *d;
    outcome o = run_op(asmb_tree_connect(c, "enc", NULL, &d), &d);
    CHECK_EQ_INT(o.failed, 1);
    t_free(loop, c);

    /* The client asks for encryption: every message is sealed. */
    t_config(&cfg);
    cfg.encryption = ASMB_IF_SUPPORTED;
    cfg.ciphers[0] = ASMB_CIPHER_AES_256_GCM;
    c = open_conn(&cfg, &e);
    asmb_conn_info_get(c, &info);
    CHECK_EQ_INT(info.cipher, ASMB_CIPHER_AES_256_GCM);
    round_trip(c, "share");
    t_free(loop, c);

    /* Required but impossible: SMB 2.1 has no encryption. */
    t_config(&cfg);
    cfg.encryption = ASMB_REQUIRED;
    cfg.max_dialect = ASMB_SMB2_10;
    c = t_connect(loop, &cfg, &e);
    CHECK_EQ_INT(e.auth_failed, 1);
    CHECK(strstr(e.auth_msg, "did not offer encryption") != NULL);
    t_free(loop, c);
}

int main(int argc, char **argv)
{
    loop = uv_default_loop();
    if (argc == 3 && !strcmp(argv[1], "encrypt"))
        test_encrypt(argv[2]);
    else if (argc == 3 && !strcmp(argv[1], "sign"))
        test_sign(argv[2]);
    else if (argc == 2 && !strcmp(argv[1], "share"))
        test_share_and_wishes();
    else
        CHECK(!"usage: test_security encrypt CIPHER | sign ALGO | share");
    CHECK_EQ_INT(uv_loop_close(loop), 0);
    TEST_DONE();
}
