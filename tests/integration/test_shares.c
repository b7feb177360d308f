/* Shares and snapshots against a real Samba (tests/samba/samba.sh run):
 * NetrShareEnum over \PIPE\srvsvc (every harness share with its comment and
 * type, at every dialect, encrypted, anonymous, concurrent, canceled) and
 * previous versions on the shadow_copy2 share `snap` (the snapshot
 * @GMT-2026.01.02-03.04.05 holds f.txt "old\n", the live f.txt is "new\n").
 *   test_shares            all cases
 *   test_shares many N     only: the server also has the N generated shares
 *                          many0000.. (comment "generated share number I"), a
 *                          reply of many DCE/RPC fragments read off the pipe */
#include <asmb/asmb_sync.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ihelp.h"

#define SNAP_TIME 1767323045 /* 2026-01-02 03:04:05 UTC */
#define SNAP_TOKEN "@GMT-2026.01.02-03.04.05"
#define STATUS_OBJECT_NAME_NOT_FOUND 0xC0000034u
#define STATUS_INVALID_DEVICE_REQUEST 0xC0000010u

static uv_loop_t *loop;

static const asmb_share_list *list_shares(asmb_conn *c, res *x)
{
    asmb_deferred *d = NULL;
    res_start(x, asmb_list_shares(c, NULL, &d), &d);
    const asmb_share_list *l = res_wait(loop, x, 10000);
    if (!l) fprintf(stderr, "  list_shares: %s\n", x->msg);
    return l;
}

static const asmb_share_info *find_share(const asmb_share_list *l, const char *name)
{
    for (size_t i = 0; l && i < l->count; i++)
        if (strcmp(l->shares[i].name, name) == 0) return &l->shares[i];
    return NULL;
}

/* ---- shares ---- */

/* The harness's shares (tests/samba/samba.sh), as Samba reports them: disk
 * shares have type 0, also hidden$ (Samba sets STYPE_SPECIAL only on IPC$
 * and administrative shares, never for a name ending in '$'). */
static const struct {
    const char *name, *comment;
} harness[] = {
    {"share", "asmb rw share"},         {"guest", "asmb guest share"},
    {"ro", "asmb read-only share"},     {"hidden$", "hidden share"},
    {"snap", "asmb snapshot share"},    {"enc", "asmb encrypted share"},
};
#define NHARNESS (sizeof harness / sizeof harness[0])

/* Checks a full listing of the harness server; returns the failures seen. */
static int check_harness_list(const asmb_share_list *l, const char *when)
{
    int before = t_fail;
    CHECK(l != NULL);
    if (!l) return 1;
    CHECK_EQ_INT(l->count, NHARNESS + 1); /* + IPC$ */
    for (size_t i = 0; i < NHARNESS; i++) {
        const asmb_share_info *s = find_share(l, harness[i].name);
        CHECK(s != NULL);
        if (!s) {
            fprintf(stderr, "  %s: share %s missing\n", when, harness[i].name);
            continue;
        }
        CHECK(strcmp(s->comment, harness[i].comment) == 0);
        CHECK_EQ_INT(s->type, 0);
        CHECK_EQ_INT(s->kind, 0);
        CHECK_EQ_INT(s->is_special, 0);
        CHECK_EQ_INT(s->is_temporary, 0);
    }
    const asmb_share_info *ipc = find_share(l, "IPC$");
    CHECK(ipc != NULL);
    if (ipc) {
        CHECK_EQ_INT(ipc->type, 0x80000003u);
        CHECK_EQ_INT(ipc->kind, 3);
        CHECK_EQ_INT(ipc->is_special, 1);
        CHECK_EQ_INT(ipc->is_temporary, 0);
        /* Samba: "IPC Service (<server string>)" */
        CHECK(strcmp(ipc->comment, "IPC Service (asmb test server)") == 0);
    }
    for (size_t i = 0; i < l->count; i++) { /* names unique, non-empty; comments set */
        CHECK(l->shares[i].name && l->shares[i].name[0] && l->shares[i].comment);
        for (size_t j = i + 1; j < l->count; j++)
            CHECK(strcmp(l->shares[i].name, l->shares[j].name) != 0);
    }
    if (t_fail != before) fprintf(stderr, "  (%s)\n", when);
    return t_fail - before;
}

static void test_list(asmb_conn *c)
{
    res x;
    const asmb_share_list *l = list_shares(c, &x);
    check_harness_list(l, "list");
    res_free(&x);
    /* Again on the same connection (the IPC$ tree is cached, a fresh pipe). */
    l = list_shares(c, &x);
    check_harness_list(l, "list again");
    res_free(&x);
}

static void test_list_dialects(void)
{
    static const uint16_t all[] = {ASMB_SMB2_02, ASMB_SMB2_10, ASMB_SMB3_00, ASMB_SMB3_02,
                                   ASMB_SMB3_11};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        conn_events e;
        asmb_conn *c = t_connect_at(loop, all[i], all[i], &e);
        asmb_conn_info info;
        CHECK_EQ_INT(asmb_conn_info_get(c, &info), 0);
        CHECK_EQ_INT(info.dialect, all[i]);
        res x;
        int bad = check_harness_list(list_shares(c, &x), asmb_dialect_name(all[i]));
        printf("  dialect %s: %s\n", asmb_dialect_name(all[i]), bad ? "FAILED" : "ok");
        res_free(&x);
        t_free(loop, c);
    }
}

/* Encrypted session, anonymous session, guest session. */
static void test_list_sessions(void)
{
    asmb_config cfg;
    conn_events e;
    res x;

    t_config(&cfg);
    cfg.encryption = ASMB_REQUIRED;
    asmb_conn *c = t_connect_ok(loop, &cfg, &e);
    asmb_conn_info info;
    asmb_conn_info_get(c, &info);
    CHECK(info.cipher != 0);
    check_harness_list(list_shares(c, &x), "encrypted");
    res_free(&x);
    t_free(loop, c);

    t_config(&cfg); /* Samba lets anonymous sessions enumerate (restrict anonymous = 0) */
    cfg.username = NULL;
    cfg.password = NULL;
    c = t_connect_ok(loop, &cfg, &e);
    asmb_conn_info_get(c, &info);
    CHECK_EQ_INT(info.is_anonymous, 1);
    check_harness_list(list_shares(c, &x), "anonymous");
    res_free(&x);
    t_free(loop, c);

    t_config(&cfg);
    cfg.username = "no-such-user-here"; /* map to guest = Bad User */
    cfg.allow_guest_fallback = 1;
    cfg.password = "x";
    c = t_connect_ok(loop, &cfg, &e);
    asmb_conn_info_get(c, &info);
    CHECK_EQ_INT(info.is_guest, 1);
    check_harness_list(list_shares(c, &x), "guest");
    res_free(&x);
    t_free(loop, c);
}

/* Several listings at once, each on its own pipe; then a cancel. */
static void test_list_concurrent_and_cancel(asmb_conn *c)
{
    enum { N = 8 };
    res x[N];
    for (int i = 0; i < N; i++) {
        asmb_deferred *d = NULL;
        res_start(&x[i], asmb_list_shares(c, NULL, &d), &d);
    }
    for (int i = 0; i < N; i++) {
        const asmb_share_list *l = res_wait(loop, &x[i], 15000);
        if (!l) fprintf(stderr, "  concurrent %d: %s\n", i, x[i].msg);
        check_harness_list(l, "concurrent");
        res_free(&x[i]);
    }

    /* Canceled right away, and after the first round trip: ECANCELED once,
     * and the connection goes on (whatever was opened gets closed). */
    for (int spins = 0; spins < 3; spins++) {
        res k;
        asmb_deferred *d = NULL;
        res_start(&k, asmb_list_shares(c, NULL, &d), &d);
        for (int s = 0; s < spins; s++) uv_run(loop, UV_RUN_NOWAIT);
        int rc = asmb_deferred_cancel(d);
        CHECK(rc == 0 || rc == ASMB_EALREADY);
        res_wait(loop, &k, 5000);
        CHECK_EQ_INT(k.calls, 1);
        if (rc == 0) CHECK_EQ_INT(k.f.code, ASMB_ECANCELED);
        res_free(&k);
    }
    res y;
    check_harness_list(list_shares(c, &y), "after cancel");
    res_free(&y);
}

static void test_bad_args(asmb_conn *c)
{
    asmb_deferred *d = NULL;
    CHECK_EQ_INT(asmb_list_shares(NULL, NULL, &d), ASMB_EINVAL);
    CHECK_EQ_INT(asmb_list_shares(c, NULL, NULL), ASMB_EINVAL);
    CHECK_EQ_INT(asmb_list_snapshots(c, "", "f.txt", NULL, &d), ASMB_EINVAL);
    CHECK_EQ_INT(asmb_list_snapshots(c, "a/b", "f.txt", NULL, &d), ASMB_EINVAL);
    CHECK_EQ_INT(asmb_list_snapshots(c, "snap", "\xff", NULL, &d), ASMB_EINVAL);
    CHECK_EQ_INT(asmb_list_snapshots(c, "snap", "f.txt", NULL, NULL), ASMB_EINVAL);
    CHECK(d == NULL);

    asmb_config cfg;
    t_config(&cfg);
    asmb_conn *fresh = asmb_conn_new(loop, &cfg, NULL, NULL);
    CHECK_EQ_INT(asmb_list_shares(fresh, NULL, &d), ASMB_ENOTREADY);
    CHECK_EQ_INT(asmb_list_snapshots(fresh, "snap", "", NULL, &d), ASMB_ENOTREADY);
    asmb_conn_free(fresh);
}

/* ---- snapshots ---- */

static const asmb_snapshot_list *list_snapshots(asmb_conn *c, res *x, const char *share,
                                                const char *path)
{
    asmb_deferred *d = NULL;
    res_start(x, asmb_list_snapshots(c, share, path, NULL, &d), &d);
    return res_wait(loop, x, 10000);
}

static void check_one_snapshot(const asmb_snapshot_list *l, res *x, const char *what)
{
    CHECK(l != NULL);
    if (!l) {
        fprintf(stderr, "  snapshots of %s: %s\n", what, x->msg);
        return;
    }
    CHECK_EQ_INT(l->count, 1);
    if (l->count != 1) return;
    CHECK_EQ_INT(l->times[0], SNAP_TIME);
    CHECK(strcmp(l->tokens[0], SNAP_TOKEN) == 0);
}

static void test_snapshots(asmb_conn *c)
{
    res x;
    check_one_snapshot(list_snapshots(c, &x, "snap", "f.txt"), &x, "f.txt");
    res_free(&x);
    check_one_snapshot(list_snapshots(c, &x, "snap", ""), &x, "the root");
    res_free(&x);
    check_one_snapshot(list_snapshots(c, &x, "snap", "/"), &x, "/");
    res_free(&x);

    /* A missing file: the CREATE fails. */
    CHECK(list_snapshots(c, &x, "snap", "no-such-file.txt") == NULL);
    CHECK_EQ_INT(x.f.code, ASMB_EFAILURE);
    CHECK_EQ_INT(x.f.ntstatus, STATUS_OBJECT_NAME_NOT_FOUND);
    CHECK(strstr(x.msg, "STATUS_OBJECT_NAME_NOT_FOUND: listing the snapshots of "
                        "\\no-such-file.txt") != NULL);
    res_free(&x);

    /* A share without a snapshot module: Samba's VFS has no
     * get_shadow_copy_data there and answers STATUS_INVALID_DEVICE_REQUEST. */
    const asmb_snapshot_list *l = list_snapshots(c, &x, "share", "");
    CHECK(l == NULL);
    CHECK_EQ_INT(x.f.code, ASMB_EFAILURE);
    CHECK_EQ_INT(x.f.ntstatus, STATUS_INVALID_DEVICE_REQUEST);
    if (l) fprintf(stderr, "  share: %zu snapshots\n", l->count);
    res_free(&x);

    /* opts.snapshot does not apply to listing them: the live file's list. */
    asmb_opts o = {0};
    o.snapshot = SNAP_TIME;
    asmb_deferred *d = NULL;
    res_start(&x, asmb_list_snapshots(c, "snap", "f.txt", &o, &d), &d);
    check_one_snapshot(res_wait(loop, &x, 10000), &x, "f.txt with opts.snapshot");
    res_free(&x);
}

/* ---- reading a snapshot ---- */

typedef struct buf {
    char data[256];
    size_t len;
} buf;

static int buf_write(void *arg, const void *p, size_t n)
{
    buf *b = arg;
    if (n > sizeof b->data - 1 - b->len) return -1;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

/* retrieve_file of snap/path at time t (0 = live) into b; the res outcome. */
static const asmb_retrieve_result *retrieve(asmb_conn *c, res *x, const char *path, int64_t t,
                                            buf *b)
{
    asmb_opts o = {0};
    o.snapshot = t;
    asmb_sink sink = {buf_write, b, -1};
    memset(b, 0, sizeof *b);
    asmb_deferred *d = NULL;
    res_start(x, asmb_retrieve_file(c, "snap", path, &sink, &o, &d), &d);
    return res_wait(loop, x, 10000);
}

static void test_snapshot_read(asmb_conn *c)
{
    res x;
    buf b;
    asmb_opts o = {0};
    asmb_deferred *d = NULL;

    const asmb_retrieve_result *r = retrieve(c, &x, "f.txt", SNAP_TIME, &b);
    CHECK(r != NULL);
    if (!r) fprintf(stderr, "  retrieve at the snapshot: %s\n", x.msg);
    CHECK(strcmp(b.data, "old\n") == 0);
    if (r) CHECK_EQ_INT(r->bytes, 4);
    res_free(&x);
    r = retrieve(c, &x, "f.txt", 0, &b);
    CHECK(r != NULL);
    CHECK(strcmp(b.data, "new\n") == 0);
    res_free(&x);

    /* get_attributes: the snapshot's file (mtime set to the snapshot's time). */
    o.snapshot = SNAP_TIME;
    res_start(&x, asmb_get_attributes(c, "snap", "f.txt", &o, &d), &d);
    const asmb_file_info *fi = res_wait(loop, &x, 10000);
    CHECK(fi != NULL);
    if (fi) {
        CHECK_EQ_INT(fi->file_size, 4);
        CHECK_EQ_INT((int64_t)asmb_filetime_to_unix(fi->last_write_time), SNAP_TIME);
        CHECK(strcmp(fi->filename, "f.txt") == 0);
    } else {
        fprintf(stderr, "  get_attributes at the snapshot: %s\n", x.msg);
    }
    res_free(&x);
    res_start(&x, asmb_get_attributes(c, "snap", "f.txt", NULL, &d), &d);
    fi = res_wait(loop, &x, 10000);
    CHECK(fi != NULL);
    if (fi) CHECK((int64_t)asmb_filetime_to_unix(fi->last_write_time) > SNAP_TIME + 86400);
    res_free(&x);

    /* list_path of the root at the snapshot: f.txt with the snapshot's time. */
    res_start(&x, asmb_list_path(c, "snap", "", ASMB_SEARCH_DEFAULT, NULL, &o, &d), &d);
    const asmb_file_list *fl = res_wait(loop, &x, 10000);
    CHECK(fl != NULL);
    int found = 0;
    for (size_t i = 0; fl && i < fl->count; i++) {
        if (strcmp(fl->entries[i].filename, "f.txt")) continue;
        found++;
        CHECK_EQ_INT(fl->entries[i].file_size, 4);
        CHECK_EQ_INT((int64_t)asmb_filetime_to_unix(fl->entries[i].last_write_time), SNAP_TIME);
    }
    CHECK_EQ_INT(found, 1);
    if (!fl) fprintf(stderr, "  list_path at the snapshot: %s\n", x.msg);
    res_free(&x);
    /* with a pattern too */
    res_start(&x, asmb_list_path(c, "snap", "", ASMB_SEARCH_DEFAULT, "f.*", &o, &d), &d);
    fl = res_wait(loop, &x, 10000);
    CHECK(fl != NULL && fl->count == 1 && strcmp(fl->entries[0].filename, "f.txt") == 0);
    res_free(&x);

    /* A time with no snapshot: Samba's shadow_copy2 finds no such path
     * (STATUS_OBJECT_NAME_NOT_FOUND), for every kind of open. */
    const int64_t missing[] = {SNAP_TIME + 1, SNAP_TIME - 3600, 946684800 /* 2000-01-01 */};
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
        CHECK(retrieve(c, &x, "f.txt", missing[i], &b) == NULL);
        CHECK_EQ_INT(x.f.code, ASMB_EFAILURE);
        CHECK_EQ_INT(x.f.ntstatus, STATUS_OBJECT_NAME_NOT_FOUND);
        CHECK(strstr(x.msg, "STATUS_OBJECT_NAME_NOT_FOUND: retrieving \\f.txt") != NULL);
        CHECK_EQ_INT(b.len, 0);
        res_free(&x);
    }
    o.snapshot = SNAP_TIME + 1;
    res_start(&x, asmb_get_attributes(c, "snap", "f.txt", &o, &d), &d);
    CHECK(res_wait(loop, &x, 10000) == NULL);
    CHECK_EQ_INT(x.f.ntstatus, STATUS_OBJECT_NAME_NOT_FOUND);
    res_free(&x);
    res_start(&x, asmb_list_path(c, "snap", "", ASMB_SEARCH_DEFAULT, NULL, &o, &d), &d);
    CHECK(res_wait(loop, &x, 10000) == NULL);
    CHECK_EQ_INT(x.f.ntstatus, STATUS_OBJECT_NAME_NOT_FOUND);
    res_free(&x);
}

/* Snapshots made and removed on the server's disk (we run as root next to
 * it): a second one (newest first: shadow:sort = desc), and none at all. */
static void test_snapshot_changes(asmb_conn *c)
{
    const char *base = getenv("ASMB_TEST_DIR");
    if (!base || !*base) {
        printf("  (ASMB_TEST_DIR not set: skipped)\n");
        return;
    }
    char snapdir[512], dir2[600], file2[640], moved[600], orig[600];
    snprintf(snapdir, sizeof snapdir, "%s/snap/.snapshots", base);
    snprintf(dir2, sizeof dir2, "%s/@GMT-2026.03.04-05.06.07", snapdir);
    snprintf(file2, sizeof file2, "%s/f.txt", dir2);
    snprintf(orig, sizeof orig, "%s/" SNAP_TOKEN, snapdir);
    snprintf(moved, sizeof moved, "%s/not-a-snapshot", snapdir);
    struct tm tm = {0};
    tm.tm_year = 2026 - 1900;
    tm.tm_mon = 2;
    tm.tm_mday = 4;
    tm.tm_hour = 5;
    tm.tm_min = 6;
    tm.tm_sec = 7;
    const int64_t t2 = (int64_t)timegm(&tm);

    CHECK_EQ_INT(mkdir(dir2, 0755), 0);
    FILE *fp = fopen(file2, "w");
    CHECK(fp != NULL);
    if (fp) {
        fputs("newer\n", fp);
        fclose(fp);
    }
    res x;
    const asmb_snapshot_list *l = list_snapshots(c, &x, "snap", "f.txt");
    CHECK(l != NULL);
    if (l) {
        CHECK_EQ_INT(l->count, 2);
        if (l->count == 2) {
            CHECK(strcmp(l->tokens[0], "@GMT-2026.03.04-05.06.07") == 0);
            CHECK_EQ_INT(l->times[0], t2);
            CHECK(strcmp(l->tokens[1], SNAP_TOKEN) == 0);
            CHECK_EQ_INT(l->times[1], SNAP_TIME);
        }
    } else {
        fprintf(stderr, "  two snapshots: %s\n", x.msg);
    }
    res_free(&x);
    buf b;
    CHECK(retrieve(c, &x, "f.txt", t2, &b) != NULL);
    CHECK(strcmp(b.data, "newer\n") == 0);
    res_free(&x);
    CHECK(retrieve(c, &x, "f.txt", SNAP_TIME, &b) != NULL);
    CHECK(strcmp(b.data, "old\n") == 0);
    res_free(&x);
    CHECK_EQ_INT(unlink(file2), 0);
    CHECK_EQ_INT(rmdir(dir2), 0);

    /* No snapshot left: an empty list, not an error. */
    CHECK_EQ_INT(rename(orig, moved), 0);
    l = list_snapshots(c, &x, "snap", "f.txt");
    CHECK(l != NULL);
    if (l) CHECK_EQ_INT(l->count, 0);
    else fprintf(stderr, "  no snapshots: %s\n", x.msg);
    res_free(&x);
    CHECK_EQ_INT(rename(moved, orig), 0);
    check_one_snapshot(list_snapshots(c, &x, "snap", "f.txt"), &x, "f.txt, restored");
    res_free(&x);
}

/* ---- the blocking API ---- */

static void test_sync(void)
{
    asmb_config cfg;
    t_config(&cfg);
    asmb_error e;
    memset(&e, 0, sizeof e);
    asmb_sync *s = asmb_sync_connect(it_host(), it_port(), &cfg, &e);
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "  sync connect: %s\n", e.message);
        return;
    }
    asmb_share_list *l = NULL;
    CHECK_EQ_INT(asmb_sync_list_shares(s, NULL, &l, &e), 0);
    check_harness_list(l, "sync");
    asmb_share_list_free(l);
    CHECK_EQ_INT(asmb_sync_list_shares(s, NULL, NULL, &e), ASMB_EINVAL);

    asmb_snapshot_list *sl = NULL;
    CHECK_EQ_INT(asmb_sync_list_snapshots(s, "snap", "f.txt", NULL, &sl, &e), 0);
    CHECK(sl && sl->count == 1 && sl->times[0] == SNAP_TIME &&
          strcmp(sl->tokens[0], SNAP_TOKEN) == 0);
    asmb_snapshot_list_free(sl);
    sl = (asmb_snapshot_list *)1;
    CHECK_EQ_INT(asmb_sync_list_snapshots(s, "snap", "missing", NULL, &sl, &e), ASMB_EFAILURE);
    CHECK(sl == NULL);
    CHECK_EQ_INT(e.ntstatus, STATUS_OBJECT_NAME_NOT_FOUND);
    CHECK(strstr(e.message, "STATUS_OBJECT_NAME_NOT_FOUND") != NULL);
    asmb_share_list_free(NULL);
    asmb_snapshot_list_free(NULL);
    asmb_sync_close(s);
}

/* ---- many shares: a reply in many fragments ---- */

static void test_many(int n)
{
    conn_events e;
    asmb_conn *c = t_connect_at(loop, ASMB_SMB2_02, ASMB_SMB3_11, &e);
    res x;
    const asmb_share_list *l = list_shares(c, &x);
    CHECK(l != NULL);
    if (l) {
        CHECK_EQ_INT(l->count, (size_t)n + NHARNESS + 1);
        int good = 0;
        for (int i = 0; i < n; i++) {
            char name[32], comment[64];
            snprintf(name, sizeof name, "many%04d", i);
            snprintf(comment, sizeof comment, "generated share number %d", i);
            const asmb_share_info *s = find_share(l, name);
            good += s && strcmp(s->comment, comment) == 0 && s->type == 0;
        }
        CHECK_EQ_INT(good, n);
        for (size_t i = 0; i < NHARNESS; i++) CHECK(find_share(l, harness[i].name) != NULL);
        CHECK(find_share(l, "IPC$") != NULL);
    }
    res_free(&x);
    /* the same through an encrypted SMB 3.1.1 session, and at SMB 2.0.2 */
    t_free(loop, c);
    c = t_connect_at(loop, ASMB_SMB2_02, ASMB_SMB2_02, &e);
    l = list_shares(c, &x);
    CHECK(l != NULL && l->count == (size_t)n + NHARNESS + 1);
    res_free(&x);
    t_free(loop, c);
    asmb_config cfg;
    t_config(&cfg);
    cfg.encryption = ASMB_REQUIRED;
    c = t_connect_ok(loop, &cfg, &e);
    l = list_shares(c, &x);
    CHECK(l != NULL && l->count == (size_t)n + NHARNESS + 1);
    res_free(&x);
    t_free(loop, c);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGPIPE, SIG_IGN);
    loop = uv_default_loop();
    if (argc == 3 && strcmp(argv[1], "many") == 0) {
        test_many(atoi(argv[2]));
    } else {
        conn_events e;
        asmb_conn *c = t_connect_at(loop, ASMB_SMB2_02, ASMB_SMB3_11, &e);
        if (e.auth_ok) {
            static const section sections[] = {
                {"list", test_list},
                {"concurrent", test_list_concurrent_and_cancel},
                {"bad args", test_bad_args},
                {"snapshots", test_snapshots},
                {"snapshot read", test_snapshot_read},
                {"snapshot changes", test_snapshot_changes},
            };
            run_sections(sections, NELEM(sections), c, 0, NULL, 16); /* all of them */
        }
        t_free(loop, c);
        int before = t_fail;
        test_list_dialects();
        printf("%-16s %s\n", "dialects", t_fail == before ? "ok" : "FAILED");
        before = t_fail;
        test_list_sessions();
        printf("%-16s %s\n", "sessions", t_fail == before ? "ok" : "FAILED");
        before = t_fail;
        test_sync();
        printf("%-16s %s\n", "sync", t_fail == before ? "ok" : "FAILED");
    }
    CHECK_EQ_INT(uv_loop_close(loop), 0); /* every handle closed */
    TEST_DONE();
}
