/* File operations against a real Samba (started by tests/samba/samba.sh run):
 * pysmb's acceptance cases recreated with our own fixture, plus what asmb adds
 * (store from offset, rename with replace, security, >4 GiB files, cancel,
 * every dialect).
 *
 * The fixture is written directly on disk under $ASMB_TEST_DIR/share (the
 * share "share") at start, each entry chowned to the share's user so that
 * Samba may change it: it does not depend on the library's write path, and
 * the 999- and 100,000-entry folders cost no round trips. Everything the
 * tests store, rename and delete goes through the library (below work/).
 *
 *   test_files                  every section
 *   test_files SECTION...       the fixture, then only those sections:
 *     list attrs retrieve store offset rename dirs delete misc errors
 *     concurrency big hugedir cancel dialects
 *   test_files quick-dialects   = test_files dialects
 *
 * "cancel" also runs, first and in forked children, cancel / asmb_conn_free
 * from inside sink and source callbacks (a crash there is a failed check).
 * ASMB_TEST_QUICK set (the valgrind stage): the 5 GiB file and the
 * 100,000-entry folder are skipped (printed "skip"). ASMB_TEST_VERBOSE set:
 * the root listing is printed with its attributes. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"

static uv_loop_t *loop;
static char share_dir[1024]; /* $ASMB_TEST_DIR/share */
static uid_t share_uid;
static gid_t share_gid;
static int quick;

/* ---- the fixture's names ---- */

#define D_LONG                                                                                     \
    "Test Folder With Spaces And A Rather Long Name That Goes On And On For A While 0123"          \
    "456789 abcdefghijklmnopqrstuvwxyz"
#define D_ZH "中文文件夹"
#define D_LATIN "Dossier àéîõü Ñandú"
#define D_EMOJI "Emoji 🎉📁 folder"
#define D_ASCII "ascii_folder"
#define D_TESTDIR "TestDir"
#define D_MANY "many999"
#define D_DIR "dir"
#define D_ZH_MATCH "目录测试" /* a folder ending with 测试 */
#define D_WORK "work"         /* everything the tests make goes below */
#define F_ZH_MATCH "数据测试" /* a file ending with 测试 */
#define F_TESTFILE "TestFile.txt"
#define F_R1 "rand_158437.bin"
#define F_R2 "rand_421269.bin"
#define F_R3 "rand_256000.bin"
#define F_ACCENT "café résumé.txt"
#define F_EMOJI "😀 smile.txt"
#define F_HIDDEN ".hidden_file.txt" /* Samba's "hide dot files": HIDDEN */
#define F_INNER "inner 🎈.txt"       /* in D_EMOJI */

static const char *root_dirs[] = {D_LONG,    D_ZH,   D_LATIN, D_EMOJI,    D_ASCII,
                                  D_TESTDIR, D_MANY, D_DIR,   D_ZH_MATCH, D_WORK};
static const char *root_files[] = {F_ZH_MATCH, F_TESTFILE, F_R1,    F_R2,
                                   F_R3,       F_ACCENT,   F_EMOJI, F_HIDDEN};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

enum { R1_LEN = 158437, R2_LEN = 421269, R3_LEN = 256000 };
static uint8_t *r1, *r2, *r3; /* the random files' bytes, kept to compare */
static const char inner_text[] = "balloon inside the emoji folder\n";

/* ---- small utilities ---- */

static uint64_t rng_state = 0x243F6A8885A308D3ull;
static uint64_t rng(void) /* xorshift64*: reproducible "random" bytes */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}
static uint8_t *random_bytes(size_t n)
{
    uint8_t *b = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(rng() >> 33);
    return b;
}

static void sha256(const void *p, size_t n, unsigned char out[32])
{
    unsigned len = 0;
    if (!EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) || len != 32) memset(out, 0, 32);
}
/* Equal length and SHA-256. */
static int same_bytes(const void *a, size_t an, const void *b, size_t bn)
{
    unsigned char ha[32], hb[32];
    if (an != bn) return 0;
    sha256(a, an, ha);
    sha256(b, bn, hb);
    return memcmp(ha, hb, 32) == 0;
}

/* Strict UTF-8 (no overlong forms, no surrogates, no cut sequences). */
static int utf8_valid(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        int n = *s < 0x80             ? 0
                : (*s & 0xE0) == 0xC0 ? 1
                : (*s & 0xF0) == 0xE0 ? 2
                : (*s & 0xF8) == 0xF0 ? 3
                                      : -1;
        if (n < 0) return 0;
        uint32_t cp = n == 0 ? *s : (uint32_t)(*s & (0x3F >> n));
        for (int i = 1; i <= n; i++) {
            if ((s[i] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (s[i] & 0x3F);
        }
        static const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        s += n + 1;
    }
    return 1;
}

static double now_unix(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static const char *disk(const char *rel)
{
    static char buf[8192];
    snprintf(buf, sizeof buf, "%s/%s", share_dir, rel);
    return buf;
}
static int disk_mkdir(const char *rel)
{
    const char *p = disk(rel);
    if (mkdir(p, 0755) && errno != EEXIST) return -1;
    return chown(p, share_uid, share_gid);
}
static int disk_write(const char *rel, const void *data, size_t n)
{
    int fd = open(disk(rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    const uint8_t *p = data;
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, p + off, n - off);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    int rc = fchown(fd, share_uid, share_gid);
    return close(fd) || rc ? -1 : 0;
}
static int disk_exists(const char *rel)
{
    struct stat st;
    return lstat(disk(rel), &st) == 0;
}
static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}
static void disk_rm_rf(const char *rel) { nftw(disk(rel), rm_entry, 64, FTW_DEPTH | FTW_PHYS); }

/* ---- running operations ---- */

/* One operation's outcome; the deferred is referenced (so its result stays
 * readable) until res_free. */
/* Attaches res_cb/res_eb to d (when rc is 0) without waiting. */
static void res_start(res *x, int rc, asmb_deferred *d)
{
    memset(x, 0, sizeof *x);
    x->rc = rc;
    if (rc) {
        snprintf(x->msg, sizeof x->msg, "returned %s", asmb_err_name(rc));
        return;
    }
    x->d = d;
    asmb_deferred_ref(d);
    asmb_deferred_then(d, res_cb, res_eb, x);
}
/* Waits for it; the result, or NULL when it failed (or has none). */
static const void *res_wait(res *x, unsigned ms)
{
    if (x->rc || !x->d) return NULL;
    if (!run_until(loop, &x->calls, ms)) {
        snprintf(x->msg, sizeof x->msg, "no outcome within %u ms", ms);
        fprintf(stderr, "  %s\n", x->msg);
    }
    return x->ok ? asmb_deferred_result(x->d) : NULL;
}
static const void *res_run(res *x, int rc, asmb_deferred *d)
{
    res_start(x, rc, d);
    return res_wait(x, 60000);
}
static void res_free(res *x)
{
    if (x->d) asmb_deferred_unref(x->d);
    x->d = NULL;
}

#define CHECK_OK(x)                                                                                \
    do {                                                                                           \
        CHECK_EQ_INT((x)->rc, 0);                                                                  \
        CHECK_EQ_INT((x)->ok, 1);                                                                  \
        if (!(x)->ok) fprintf(stderr, "%s:%d:   -> %s\n", __FILE__, __LINE__, (x)->msg);           \
    } while (0)
/* Failed through the errback with ASMB_EFAILURE and this NTSTATUS. */
#define CHECK_NT(x, st)                                                                            \
    do {                                                                                           \
        CHECK_EQ_INT((x)->rc, 0);                                                                  \
        CHECK_EQ_INT((x)->failed, 1);                                                              \
        CHECK_EQ_INT((x)->f.code, ASMB_EFAILURE);                                                  \
        CHECK_EQ_INT((x)->f.ntstatus, (st));                                                       \
        if ((x)->f.ntstatus != (st))                                                               \
            fprintf(stderr, "%s:%d:   -> %s\n", __FILE__, __LINE__,                                \
                    (x)->ok ? "succeeded" : (x)->msg);                                             \
    } while (0)

/* Retrieved bytes, kept in memory. */
typedef struct membuf {
    uint8_t *p;
    size_t len, cap;
    int calls;
} membuf;
static int mem_write(void *arg, const void *data, size_t len)
{
    membuf *m = arg;
    m->calls++;
    if (m->len + len > m->cap) {
        size_t cap = m->cap ? m->cap : 65536;
        while (cap < m->len + len)
            cap *= 2;
        uint8_t *p = realloc(m->p, cap);
        if (!p) return -1;
        m->p = p;
        m->cap = cap;
    }
    memcpy(m->p + m->len, data, len);
    m->len += len;
    return 0;
}
static void membuf_free(membuf *m)
{
    free(m->p);
    memset(m, 0, sizeof *m);
}

/* Bytes to store, from memory. */
typedef struct memsrc {
    const uint8_t *p;
    size_t len, pos;
} memsrc;
static long mem_read(void *arg, void *buf, size_t len)
{
    memsrc *s = arg;
    size_t n = s->len - s->pos < len ? s->len - s->pos : len;
    if (n) memcpy(buf, s->p + s->pos, n);
    s->pos += n;
    return (long)n;
}

static long trickle_read(void *arg, void *buf, size_t len)
{
    return mem_read(arg, buf, len < 7 ? len : 7);
}

static const asmb_file_list *ls(asmb_conn *c, res *x, const char *share, const char *path,
                                uint32_t search, const char *pattern)
{
    asmb_deferred *d = NULL;
    int rc = asmb_list_path(c, share, path, search, pattern, NULL, &d);
    return res_run(x, rc, d);
}
static const asmb_file_info *attrs(asmb_conn *c, res *x, const char *share, const char *path)
{
    asmb_deferred *d = NULL;
    int rc = asmb_get_attributes(c, share, path, NULL, &d);
    return res_run(x, rc, d);
}
static const asmb_retrieve_result *get(asmb_conn *c, res *x, const char *share, const char *path,
                                       uint64_t offset, int64_t max, membuf *m)
{
    asmb_sink sink = {mem_write, m, -1};
    asmb_deferred *d = NULL;
    int rc = asmb_retrieve_file_from_offset(c, share, path, &sink, offset, max, NULL, &d);
    return res_run(x, rc, d);
}
static uint64_t put(asmb_conn *c, res *x, const char *share, const char *path, const void *data,
                    size_t n)
{
    memsrc s = {data, n, 0};
    asmb_source src = {mem_read, &s, -1};
    asmb_deferred *d = NULL;
    int rc = asmb_store_file(c, share, path, &src, NULL, &d);
    const asmb_store_result *r = res_run(x, rc, d);
    return r ? r->bytes : UINT64_MAX;
}
static uint64_t put_at(asmb_conn *c, res *x, const char *path, const void *data, size_t n,
                       uint64_t offset, int flags)
{
    memsrc s = {data, n, 0};
    asmb_source src = {mem_read, &s, -1};
    asmb_deferred *d = NULL;
    int rc = asmb_store_file_from_offset(c, "share", path, &src, offset, flags, NULL, &d);
    const asmb_store_result *r = res_run(x, rc, d);
    return r ? r->bytes : UINT64_MAX;
}
static void mkdir_(asmb_conn *c, res *x, const char *path)
{
    asmb_deferred *d = NULL;
    int rc = asmb_create_directory(c, "share", path, NULL, &d);
    res_run(x, rc, d);
}
static void rmdir_(asmb_conn *c, res *x, const char *path)
{
    asmb_deferred *d = NULL;
    int rc = asmb_delete_directory(c, "share", path, NULL, &d);
    res_run(x, rc, d);
}
static void rename_(asmb_conn *c, res *x, const char *from, const char *to, int flags)
{
    asmb_deferred *d = NULL;
    int rc = asmb_rename(c, "share", from, to, flags, NULL, &d);
    res_run(x, rc, d);
}
/* How many entries were deleted, or UINT64_MAX when it failed. */
static uint64_t del(asmb_conn *c, res *x, const char *pattern, int folders)
{
    asmb_deferred *d = NULL;
    int rc = asmb_delete_files(c, "share", pattern, folders, NULL, &d);
    const uint64_t *n = res_run(x, rc, d);
    return n ? *n : UINT64_MAX;
}

static const asmb_file_info *find(const asmb_file_list *l, const char *name)
{
    for (size_t i = 0; l && i < l->count; i++)
        if (strcmp(l->entries[i].filename, name) == 0) return &l->entries[i];
    return NULL;
}
/* The list holds exactly these names (each once), nothing else. */
static int exactly(const asmb_file_list *l, const char *const *names, size_t n)
{
    if (!l) return 0;
    int ok = l->count == n;
    for (size_t i = 0; i < n; i++) {
        size_t seen = 0;
        for (size_t j = 0; j < l->count; j++)
            seen += strcmp(l->entries[j].filename, names[i]) == 0;
        if (seen != 1) {
            fprintf(stderr, "  expected once: '%s' (seen %zu)\n", names[i], seen);
            ok = 0;
        }
    }
    if (!ok) {
        fprintf(stderr, "  listing has %zu entries:", l->count);
        for (size_t j = 0; j < l->count; j++)
            fprintf(stderr, " '%s'(0x%x)", l->entries[j].filename,
                    (unsigned)l->entries[j].file_attributes);
        fprintf(stderr, "\n");
    }
    return ok;
}
/* Is path present (as seen through get_attributes)? 1 yes, 0 no (not found), -1 other. */
static int exists(asmb_conn *c, const char *path)
{
    res x;
    const asmb_file_info *fi = attrs(c, &x, "share", path);
    int r = fi                                                                       ? 1
            : x.failed && (x.f.ntstatus == 0xC0000034 || x.f.ntstatus == 0xC000003A) ? 0
                                                                                     : -1;
    if (r < 0) fprintf(stderr, "  exists(%s): %s\n", path, x.msg);
    res_free(&x);
    return r;
}

/* Frees a second connection while the main one stays on the loop (t_free
 * would wait for every handle, the main connection's included). */
static void free_side(asmb_conn *c)
{
    int never = 0;
    asmb_conn_free(c);
    run_until(loop, &never, 200);
}

static asmb_conn *connect_at(uint16_t min, uint16_t max, conn_events *e)
{
    asmb_config cfg;
    t_config(&cfg);
    cfg.min_dialect = min;
    cfg.max_dialect = max;
    asmb_conn *c = t_connect(loop, &cfg, e);
    CHECK(c != NULL);
    CHECK_EQ_INT(e->auth_ok, 1);
    if (!e->auth_ok) fprintf(stderr, "  auth: %s\n", e->auth_msg);
    return c;
}

/* ---- fixture ---- */

static int make_fixture(void)
{
    const char *base = getenv("ASMB_TEST_DIR");
    if (!base || !*base) {
        fprintf(stderr, "ASMB_TEST_DIR is not set: run through tests/samba/samba.sh run\n");
        return -1;
    }
    snprintf(share_dir, sizeof share_dir, "%s/share", base);
    struct passwd *pw = getpwnam(it_user());
    if (!pw) {
        fprintf(stderr, "no local user %s\n", it_user());
        return -1;
    }
    share_uid = pw->pw_uid;
    share_gid = pw->pw_gid;
    r1 = random_bytes(R1_LEN);
    r2 = random_bytes(R2_LEN);
    r3 = random_bytes(R3_LEN);
    int rc = 0;
    for (size_t i = 0; i < NELEM(root_dirs); i++)
        rc |= disk_mkdir(root_dirs[i]);
    rc |= disk_write(F_R1, r1, R1_LEN);
    rc |= disk_write(F_R2, r2, R2_LEN);
    rc |= disk_write(F_R3, r3, R3_LEN);
    rc |= disk_write(F_TESTFILE, "test file\n", 10);
    rc |= disk_write(F_ZH_MATCH, "数据", strlen("数据"));
    rc |= disk_write(F_ACCENT, "café\n", strlen("café\n"));
    rc |= disk_write(F_EMOJI, "😀\n", strlen("😀\n"));
    rc |= disk_write(F_HIDDEN, "hidden\n", 7);
    rc |= disk_write(D_EMOJI "/" F_INNER, inner_text, strlen(inner_text));
    rc |= disk_write(D_DIR "/present.txt", "here\n", 5);
    rc |= disk_write(D_ZH "/文件.txt", "zh\n", 3);
    for (int i = 0; i < 999; i++) {
        char name[64];
        snprintf(name, sizeof name, D_MANY "/f%03d.txt", i);
        rc |= disk_write(name, name, strlen(name));
    }
    if (rc) fprintf(stderr, "making the fixture in %s failed: %s\n", share_dir, strerror(errno));
    return rc ? -1 : 0;
}

/* ---- list_path ---- */

static void test_list(asmb_conn *c)
{
    res x;
    const asmb_file_list *l = ls(c, &x, "share", "", ASMB_SEARCH_DEFAULT, NULL);
    CHECK_OK(&x);
    {
        const char *all[NELEM(root_dirs) + NELEM(root_files) + 2];
        size_t n = 0;
        all[n++] = ".";
        all[n++] = "..";
        for (size_t i = 0; i < NELEM(root_dirs); i++)
            all[n++] = root_dirs[i];
        for (size_t i = 0; i < NELEM(root_files); i++)
            all[n++] = root_files[i];
        CHECK(exactly(l, all, n));
    }
    /* the Unicode, spaces-and-long-name and ASCII folders, as folders */
    const char *must[] = {D_ZH, D_LATIN, D_EMOJI, D_LONG, D_ASCII};
    for (size_t i = 0; i < NELEM(must); i++) {
        const asmb_file_info *e = find(l, must[i]);
        CHECK(e != NULL);
        CHECK(e && e->is_directory == 1);
    }
    if (getenv("ASMB_TEST_VERBOSE"))
        for (size_t i = 0; l && i < l->count; i++)
            printf("  %-40s attrs 0x%02x size %llu short '%s'\n", l->entries[i].filename,
                   (unsigned)l->entries[i].file_attributes,
                   (unsigned long long)l->entries[i].file_size, l->entries[i].short_name);
    const asmb_file_info *e = find(l, F_R2);
    CHECK(e && e->file_size == R2_LEN && e->is_directory == 0);
    e = find(l, F_EMOJI);
    CHECK(e && e->file_size == strlen("😀\n"));
    uint64_t r2_id = e ? find(l, F_R2)->file_id : 0;
    res_free(&x);

    /* 999 files, and . and .. */
    l = ls(c, &x, "share", D_MANY, ASMB_SEARCH_DEFAULT, NULL);
    CHECK_OK(&x);
    CHECK_EQ_INT(l ? l->count : 0, 1001);
    {
        static char seen[999];
        memset(seen, 0, sizeof seen);
        int files = 0, dots = 0, bad = 0;
        for (size_t i = 0; l && i < l->count; i++) {
            const asmb_file_info *f = &l->entries[i];
            int k;
            if (!strcmp(f->filename, ".") || !strcmp(f->filename, "..")) {
                dots++;
                bad += !f->is_directory;
            } else if (sscanf(f->filename, "f%03d.txt", &k) == 1 && k >= 0 && k < 999 && !seen[k]) {
                seen[k] = 1;
                files++;
                bad += f->is_directory || f->file_size != strlen(D_MANY "/f000.txt");
            } else {
                bad++;
            }
        }
        CHECK_EQ_INT(files, 999);
        CHECK_EQ_INT(dots, 2);
        CHECK_EQ_INT(bad, 0);
    }
    res_free(&x);

    /* directories only */
    l = ls(c, &x, "share", "", ASMB_ATTR_DIRECTORY, NULL);
    CHECK_OK(&x);
    {
        const char *want[NELEM(root_dirs) + 2];
        size_t n = 0;
        want[n++] = ".";
        want[n++] = "..";
        for (size_t i = 0; i < NELEM(root_dirs); i++)
            want[n++] = root_dirs[i];
        CHECK(exactly(l, want, n));
    }
    res_free(&x);

    /* files only */
    l = ls(c, &x, "share", "",
           ASMB_ATTR_READONLY | ASMB_ATTR_HIDDEN | ASMB_ATTR_SYSTEM | ASMB_ATTR_ARCHIVE |
               ASMB_SEARCH_INCL_NORMAL,
           NULL);
    CHECK_OK(&x);
    CHECK(exactly(l, root_files, NELEM(root_files)));
    res_free(&x);

    /* hidden only: the dot file; files without INCL_NORMAL: the fixture's
     * files are "normal" (0x80) on Samba, so only the hidden one is left */
    l = ls(c, &x, "share", "", ASMB_ATTR_HIDDEN, NULL);
    CHECK_OK(&x);
    {
        const char *want[] = {F_HIDDEN};
        CHECK(exactly(l, want, 1));
        CHECK(l && l->count == 1 && l->entries[0].is_normal == 0);
    }
    res_free(&x);
    l = ls(c, &x, "share", "",
           ASMB_ATTR_READONLY | ASMB_ATTR_HIDDEN | ASMB_ATTR_SYSTEM | ASMB_ATTR_ARCHIVE, NULL);
    CHECK_OK(&x);
    {
        const char *want[] = {F_HIDDEN};
        CHECK(exactly(l, want, 1));
    }
    res_free(&x);
    /* search == NORMAL: the normal entries only */
    l = ls(c, &x, "share", "", ASMB_ATTR_NORMAL, NULL);
    CHECK_OK(&x);
    {
        const char *want[NELEM(root_files)];
        size_t n = 0;
        for (size_t i = 0; i < NELEM(root_files); i++)
            if (strcmp(root_files[i], F_HIDDEN)) want[n++] = root_files[i];
        CHECK(exactly(l, want, n));
        int normal = 1;
        for (size_t i = 0; l && i < l->count; i++)
            normal &= l->entries[i].is_normal == 1;
        CHECK(normal);
    }
    res_free(&x);

    /* Test* */
    l = ls(c, &x, "share", "", ASMB_SEARCH_DEFAULT, "Test*");
    CHECK_OK(&x);
    {
        const char *want[] = {D_LONG, D_TESTDIR, F_TESTFILE};
        CHECK(exactly(l, want, NELEM(want)));
    }
    res_free(&x);

    /* a Unicode suffix */
    l = ls(c, &x, "share", "", ASMB_SEARCH_DEFAULT, "*测试");
    CHECK_OK(&x);
    {
        const char *want[] = {D_ZH_MATCH, F_ZH_MATCH};
        CHECK(exactly(l, want, NELEM(want)));
    }
    res_free(&x);

    /* a pattern matching nothing: an empty list, not an error */
    l = ls(c, &x, "share", "", ASMB_SEARCH_DEFAULT, "nothing-matches-*.xyz");
    CHECK_OK(&x);
    CHECK(l != NULL);
    CHECK_EQ_INT(l ? l->count : 99, 0);
    res_free(&x);
    l = ls(c, &x, "share", D_MANY, ASMB_SEARCH_DEFAULT, "g*"); /* in a non-empty folder too */
    CHECK_OK(&x);
    CHECK_EQ_INT(l ? l->count : 99, 0);
    res_free(&x);

    /* one exact name; a Unicode folder's content, with '/' separators */
    l = ls(c, &x, "share", "/", ASMB_SEARCH_DEFAULT, F_R2);
    CHECK_OK(&x);
    CHECK_EQ_INT(l ? l->count : 0, 1);
    CHECK(l && l->count == 1 && l->entries[0].file_id == r2_id && r2_id != 0);
    res_free(&x);
    const asmb_file_info *fi = attrs(c, &x, "share", F_R2); /* the same file id */
    CHECK(fi && fi->file_id == r2_id);
    res_free(&x);
    /* an emoji in a pattern (a surrogate pair on the wire) */
    l = ls(c, &x, "share", "", ASMB_SEARCH_DEFAULT, "*📁*");
    CHECK_OK(&x);
    {
        const char *want[] = {D_EMOJI};
        CHECK(exactly(l, want, 1));
    }
    res_free(&x);
    l = ls(c, &x, "share", "", ASMB_ATTR_DIRECTORY, "*é*"); /* accents: the folder only */
    CHECK_OK(&x);
    {
        const char *want[] = {D_LATIN};
        CHECK(exactly(l, want, 1));
    }
    res_free(&x);
    l = ls(c, &x, "share", "/" D_EMOJI "/", ASMB_SEARCH_DEFAULT, NULL);
    CHECK_OK(&x);
    {
        const char *want[] = {".", "..", F_INNER};
        CHECK(exactly(l, want, NELEM(want)));
        e = find(l, F_INNER);
        CHECK(e && e->file_size == strlen(inner_text));
    }
    res_free(&x);

    /* a missing folder, and a file where a folder is expected */
    ls(c, &x, "share", "no such folder", ASMB_SEARCH_DEFAULT, NULL);
    CHECK_NT(&x, 0xC0000034);
    CHECK(strstr(x.msg, "\\no such folder") != NULL);
    res_free(&x);
    ls(c, &x, "share", F_TESTFILE, ASMB_SEARCH_DEFAULT, NULL);
    CHECK_NT(&x, 0xC0000103); /* STATUS_NOT_A_DIRECTORY */
    res_free(&x);
}

/* ---- get_attributes ---- */

static void test_attrs(asmb_conn *c)
{
    res x;
    double t = now_unix();
    const asmb_file_info *fi = attrs(c, &x, "share", F_R1);
    CHECK_OK(&x);
    CHECK(fi && fi->file_size == R1_LEN);
    CHECK(fi && fi->is_directory == 0);
    CHECK(fi && strcmp(fi->filename, F_R1) == 0);
    /* written by the fixture a moment ago */
    CHECK(fi && asmb_filetime_to_unix(fi->last_write_time) > t - 120 &&
          asmb_filetime_to_unix(fi->last_write_time) < t + 3);
    res_free(&x);

    fi = attrs(c, &x, "share", D_ASCII);
    CHECK_OK(&x);
    CHECK(fi && fi->is_directory == 1 && (fi->file_attributes & ASMB_ATTR_DIRECTORY));
    CHECK(fi && strcmp(fi->filename, D_ASCII) == 0);
    res_free(&x);

    const char *uni[] = {D_ZH, D_LATIN, D_EMOJI, D_LONG};
    for (size_t i = 0; i < NELEM(uni); i++) {
        fi = attrs(c, &x, "share", uni[i]);
        CHECK_OK(&x);
        CHECK(fi && fi->is_directory == 1);
        CHECK(fi && strcmp(fi->filename, uni[i]) == 0);
        res_free(&x);
    }
    fi = attrs(c, &x, "share", "\\" D_EMOJI "\\" F_INNER);
    CHECK_OK(&x);
    CHECK(fi && fi->file_size == strlen(inner_text) && fi->is_directory == 0);
    CHECK(fi && strcmp(fi->filename, F_INNER) == 0);
    res_free(&x);
    fi = attrs(c, &x, "share", ""); /* the share's root */
    CHECK_OK(&x);
    CHECK(fi && fi->is_directory == 1);
    res_free(&x);

    /* A file deep down: FileAllInformation carries the whole path, so the
     * reply must not depend on the path's length. */
    char rel[4096] = D_WORK;
    char seg[201];
    memset(seg, 'd', 200);
    seg[200] = 0;
    int rc = 0;
    for (int i = 0; i < 12; i++) {
        seg[0] = (char)('a' + i);
        strcat(rel, "/");
        strcat(rel, seg);
        rc |= disk_mkdir(rel);
    }
    strcat(rel, "/deep.txt");
    rc |= disk_write(rel, "deep\n", 5);
    CHECK_EQ_INT(rc, 0);
    fi = attrs(c, &x, "share", rel); /* about 2,400 characters */
    CHECK_OK(&x);
    CHECK(fi && fi->file_size == 5 && strcmp(fi->filename, "deep.txt") == 0);
    res_free(&x);
    membuf m = {0};
    get(c, &x, "share", rel, 0, -1, &m); /* the same path works for a read */
    CHECK_OK(&x);
    CHECK(m.len == 5 && memcmp(m.p, "deep\n", 5) == 0);
    res_free(&x);
    membuf_free(&m);
    char top[300];
    snprintf(top, sizeof top, D_WORK "/a%s", seg + 1);
    disk_rm_rf(top);

    attrs(c, &x, "share", "no-such-file.txt");
    CHECK_NT(&x, 0xC0000034);
    res_free(&x);
}

/* ---- retrieve ---- */

static void check_get(asmb_conn *c, const char *path, uint64_t offset, int64_t max,
                      const uint8_t *want, size_t want_len, uint64_t file_size)
{
    res x;
    membuf m = {0};
    const asmb_retrieve_result *r = get(c, &x, "share", path, offset, max, &m);
    CHECK_OK(&x);
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_INT(r->bytes, want_len);
        CHECK_EQ_INT(r->info.file_size, file_size);
        CHECK_EQ_INT(r->info.is_directory, 0);
    }
    CHECK_EQ_INT(m.len, want_len);
    CHECK(same_bytes(m.p, m.len, want, want_len));
    if (want_len == 0) CHECK_EQ_INT(m.calls, 0);
    res_free(&x);
    membuf_free(&m);
}

static void test_retrieve(asmb_conn *c)
{
    check_get(c, F_R1, 0, -1, r1, R1_LEN, R1_LEN);
    check_get(c, F_R2, 0, -1, r2, R2_LEN, R2_LEN);
    check_get(c, F_R3, 0, -1, r3, R3_LEN, R3_LEN);
    check_get(c, F_R2, 100000, -1, r2 + 100000, R2_LEN - 100000, R2_LEN); /* to the end */
    check_get(c, F_R2, 100000, 100000, r2 + 100000, 100000, R2_LEN);
    check_get(c, F_R1, 100000, 100000, r1 + 100000, R1_LEN - 100000, R1_LEN); /* short */
    check_get(c, F_R2, 0, 10, r2, 10, R2_LEN);
    check_get(c, F_R2, 0, 0, r2, 0, R2_LEN); /* max 0: 0 bytes, a success */
    check_get(c, F_R2, 5000, 0, r2, 0, R2_LEN);
    check_get(c, F_R2, R2_LEN + 1000, -1, r2, 0, R2_LEN); /* past the end */
    check_get(c, F_R2, R2_LEN, 10, r2, 0, R2_LEN);        /* at the end */
    check_get(c, F_R2, R2_LEN - 9, 100, r2 + R2_LEN - 9, 9, R2_LEN);
    check_get(c, F_R2, 400000, -5, r2 + 400000, R2_LEN - 400000, R2_LEN); /* < 0: to the end */
    check_get(c, F_R3, 65536, 65536, r3 + 65536, 65536, R3_LEN);          /* chunk-aligned */
    check_get(c, D_EMOJI "/" F_INNER, 0, -1, (const uint8_t *)inner_text, strlen(inner_text),
              strlen(inner_text));

    /* into a file descriptor */
    FILE *tf = tmpfile();
    CHECK(tf != NULL);
    if (tf) {
        res x;
        asmb_sink sink = {NULL, NULL, fileno(tf)};
        asmb_deferred *d = NULL;
        int rc = asmb_retrieve_file(c, "share", F_R3, &sink, NULL, &d);
        const asmb_retrieve_result *r = res_run(&x, rc, d);
        CHECK_OK(&x);
        CHECK(r && r->bytes == R3_LEN);
        res_free(&x);
        uint8_t *back = malloc(R3_LEN + 1);
        rewind(tf);
        size_t got = fread(back, 1, R3_LEN + 1, tf);
        CHECK(same_bytes(back, got, r3, R3_LEN));
        free(back);
        fclose(tf);
    }

    /* a folder is not a file */
    res x;
    membuf m = {0};
    get(c, &x, "share", D_ASCII, 0, -1, &m);
    CHECK_NT(&x, 0xC00000BA); /* STATUS_FILE_IS_A_DIRECTORY */
    res_free(&x);
    membuf_free(&m);
}

/* ---- store, list, retrieve, delete ---- */

static void expect_content(asmb_conn *c, const char *path, const uint8_t *want, size_t n);

static void store_cycle(asmb_conn *c, const char *dir, const char *name, const uint8_t *data,
                        size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    res x;
    double t0 = now_unix();
    CHECK_EQ_INT(put(c, &x, "share", path, data, n), n);
    CHECK_OK(&x);
    double t1 = now_unix();
    res_free(&x);

    const asmb_file_list *l = ls(c, &x, "share", dir, ASMB_SEARCH_DEFAULT, NULL);
    CHECK_OK(&x);
    const asmb_file_info *e = find(l, name);
    CHECK(e != NULL);
    if (e) {
        CHECK_EQ_INT(e->file_size, n);
        CHECK_EQ_INT(e->is_directory, 0);
        double wt = asmb_filetime_to_unix(e->last_write_time);
        CHECK(wt >= t0 - 3 && wt <= t1 + 3);
        if (!(wt >= t0 - 3 && wt <= t1 + 3))
            fprintf(stderr, "  write time %.3f, client clock %.3f..%.3f\n", wt, t0, t1);
    }
    res_free(&x);

    membuf m = {0};
    get(c, &x, "share", path, 0, -1, &m);
    CHECK_OK(&x);
    CHECK(same_bytes(m.p, m.len, data, n));
    res_free(&x);
    membuf_free(&m);

    CHECK_EQ_INT(del(c, &x, path, 0), 1); /* the exact name */
    CHECK_OK(&x);
    res_free(&x);
    l = ls(c, &x, "share", dir, ASMB_SEARCH_DEFAULT, NULL);
    CHECK_OK(&x);
    CHECK(l && find(l, name) == NULL);
    res_free(&x);
    CHECK_EQ_INT(exists(c, path), 0);
}

static void test_store(asmb_conn *c)
{
    res x;
    mkdir_(c, &x, D_WORK "/store");
    CHECK_OK(&x);
    res_free(&x);
    uint8_t *data = random_bytes(R3_LEN);
    store_cycle(c, D_WORK "/store", "stored.bin", data, R3_LEN);
    store_cycle(c, D_WORK "/store", "上传 ✓ é 🚀.bin", data, 70000);
    store_cycle(c, D_WORK "/store", "empty.txt", data, 0);
    store_cycle(c, D_WORK "/store", "one.txt", data, 1);

    /* store truncates: a longer file, then a shorter one */
    CHECK_EQ_INT(put(c, &x, "share", D_WORK "/store/trunc.bin", data, 200000), 200000);
    CHECK_OK(&x);
    res_free(&x);
    CHECK_EQ_INT(put(c, &x, "share", D_WORK "/store/trunc.bin", data + 7, 1234), 1234);
    CHECK_OK(&x);
    res_free(&x);
    membuf m = {0};
    get(c, &x, "share", D_WORK "/store/trunc.bin", 0, -1, &m);
    CHECK_OK(&x);
    CHECK(same_bytes(m.p, m.len, data + 7, 1234));
    res_free(&x);
    membuf_free(&m);

    /* a source that returns a few bytes at a time */
    {
        memsrc ms = {data, 3001, 0};
        asmb_source src = {trickle_read, &ms, -1};
        asmb_deferred *d = NULL;
        int rc = asmb_store_file(c, "share", D_WORK "/store/trickle.bin", &src, NULL, &d);
        const asmb_store_result *r = res_run(&x, rc, d);
        CHECK_OK(&x);
        CHECK(r && r->bytes == 3001);
        res_free(&x);
        expect_content(c, D_WORK "/store/trickle.bin", data, 3001);
    }

    /* from a file descriptor */
    FILE *tf = tmpfile();
    if (tf && fwrite(data, 1, 100001, tf) == 100001 && fflush(tf) == 0) {
        rewind(tf);
        asmb_source src = {NULL, NULL, fileno(tf)};
        asmb_deferred *d = NULL;
        int rc = asmb_store_file(c, "share", D_WORK "/store/fromfd.bin", &src, NULL, &d);
        const asmb_store_result *r = res_run(&x, rc, d);
        CHECK_OK(&x);
        CHECK(r && r->bytes == 100001);
        res_free(&x);
        get(c, &x, "share", D_WORK "/store/fromfd.bin", 0, -1, &m);
        CHECK_OK(&x);
        CHECK(same_bytes(m.p, m.len, data, 100001));
        res_free(&x);
        membuf_free(&m);
    } else {
        CHECK(0);
    }
    if (tf) fclose(tf);
    free(data);
}

/* ---- store_file_from_offset ---- */

static void expect_content(asmb_conn *c, const char *path, const uint8_t *want, size_t n)
{
    res x;
    membuf m = {0};
    get(c, &x, "share", path, 0, -1, &m);
    CHECK_OK(&x);
    CHECK_EQ_INT(m.len, n);
    CHECK(same_bytes(m.p, m.len, want, n));
    res_free(&x);
    membuf_free(&m);
}

static void test_offset(asmb_conn *c)
{
    res x;
    const char *p = D_WORK "/offset.bin";
    uint8_t *a = random_bytes(300000), *b = random_bytes(300000);
    uint8_t *want = malloc(700000);
    CHECK_EQ_INT(put(c, &x, "share", p, a, 200000), 200000);
    CHECK_OK(&x);
    res_free(&x);

    /* resume: write the rest from offset 150000 over the old tail; the head stays */
    CHECK_EQ_INT(put_at(c, &x, p, b, 100000, 150000, 0), 100000);
    CHECK_OK(&x);
    res_free(&x);
    memcpy(want, a, 150000);
    memcpy(want + 150000, b, 100000);
    expect_content(c, p, want, 250000);

    /* a patch inside the file: no truncation, the tail stays */
    CHECK_EQ_INT(put_at(c, &x, p, b + 5000, 1000, 10, 0), 1000);
    CHECK_OK(&x);
    res_free(&x);
    memcpy(want + 10, b + 5000, 1000);
    expect_content(c, p, want, 250000);

    /* append at the end */
    CHECK_EQ_INT(put_at(c, &x, p, a + 1, 123457, 250000, 0), 123457);
    CHECK_OK(&x);
    res_free(&x);
    memcpy(want + 250000, a + 1, 123457);
    expect_content(c, p, want, 373457);

    /* truncate to the offset, then write */
    CHECK_EQ_INT(put_at(c, &x, p, b + 9, 500, 1000, ASMB_STORE_TRUNCATE), 500);
    CHECK_OK(&x);
    res_free(&x);
    memcpy(want + 1000, b + 9, 500);
    expect_content(c, p, want, 1500);
    /* truncate with nothing to write: the file ends at the offset */
    CHECK_EQ_INT(put_at(c, &x, p, b, 0, 700, ASMB_STORE_TRUNCATE), 0);
    CHECK_OK(&x);
    res_free(&x);
    expect_content(c, p, want, 700);

    /* a missing file is created; a gap before the offset reads as zeros */
    const char *q = D_WORK "/offset-new.bin";
    CHECK_EQ_INT(put_at(c, &x, q, a, 100, 4000, 0), 100);
    CHECK_OK(&x);
    res_free(&x);
    memset(want, 0, 4000);
    memcpy(want + 4000, a, 100);
    expect_content(c, q, want, 4100);

    CHECK_EQ_INT(put_at(c, &x, p, a, 10, 0, 7), UINT64_MAX); /* unknown flags */
    CHECK_EQ_INT(x.rc, ASMB_EINVAL);
    free(a);
    free(b);
    free(want);
}

/* ---- rename ---- */

static void test_rename(asmb_conn *c)
{
    res x;
    const char *w = D_WORK "/rename";
    mkdir_(c, &x, w);
    CHECK_OK(&x);
    res_free(&x);
    put(c, &x, "share", D_WORK "/rename/a.txt", "AAAA", 4);
    res_free(&x);
    put(c, &x, "share", D_WORK "/rename/b.txt", "BB", 2);
    res_free(&x);

    /* a file */
    rename_(c, &x, D_WORK "/rename/a.txt", D_WORK "/rename/a2.txt", 0);
    CHECK_OK(&x);
    res_free(&x);
    CHECK_EQ_INT(exists(c, D_WORK "/rename/a.txt"), 0);
    expect_content(c, D_WORK "/rename/a2.txt", (const uint8_t *)"AAAA", 4);
    /* to a Unicode name and back under another */
    rename_(c, &x, D_WORK "/rename/a2.txt", D_WORK "/rename/переименован 文件 é 🎈.txt", 0);
    CHECK_OK(&x);
    res_free(&x);
    expect_content(c, D_WORK "/rename/переименован 文件 é 🎈.txt", (const uint8_t *)"AAAA", 4);
    rename_(c, &x, D_WORK "/rename/переименован 文件 é 🎈.txt", D_WORK "/rename/a3.txt", 0);
    CHECK_OK(&x);
    res_free(&x);
    CHECK_EQ_INT(exists(c, D_WORK "/rename/переименован 文件 é 🎈.txt"), 0);

    /* onto an existing name: refused, both files intact; replaced with the flag */
    rename_(c, &x, D_WORK "/rename/a3.txt", D_WORK "/rename/b.txt", 0);
    CHECK_NT(&x, 0xC0000035); /* STATUS_OBJECT_NAME_COLLISION */
    res_free(&x);
    expect_content(c, D_WORK "/rename/b.txt", (const uint8_t *)"BB", 2);
    expect_content(c, D_WORK "/rename/a3.txt", (const uint8_t *)"AAAA", 4);
    rename_(c, &x, D_WORK "/rename/a3.txt", D_WORK "/rename/b.txt", ASMB_RENAME_REPLACE);
    CHECK_OK(&x);
    res_free(&x);
    expect_content(c, D_WORK "/rename/b.txt", (const uint8_t *)"AAAA", 4);
    CHECK_EQ_INT(exists(c, D_WORK "/rename/a3.txt"), 0);

    /* folders, English and Unicode, with content */
    mkdir_(c, &x, D_WORK "/rename/Folder One");
    CHECK_OK(&x);
    res_free(&x);
    put(c, &x, "share", D_WORK "/rename/Folder One/in.txt", "in", 2);
    res_free(&x);
    rename_(c, &x, D_WORK "/rename/Folder One", D_WORK "/rename/Folder Two", 0);
    CHECK_OK(&x);
    res_free(&x);
    expect_content(c, D_WORK "/rename/Folder Two/in.txt", (const uint8_t *)"in", 2);
    rename_(c, &x, D_WORK "/rename/Folder Two", D_WORK "/rename/Папка 文件夹 ñ 🎉", 0);
    CHECK_OK(&x);
    res_free(&x);
    expect_content(c, D_WORK "/rename/Папка 文件夹 ñ 🎉/in.txt", (const uint8_t *)"in", 2);
    const asmb_file_info *fi = attrs(c, &x, "share", D_WORK "/rename/Папка 文件夹 ñ 🎉");
    CHECK(fi && fi->is_directory == 1);
    res_free(&x);
    CHECK_EQ_INT(exists(c, D_WORK "/rename/Folder One"), 0);
    CHECK_EQ_INT(exists(c, D_WORK "/rename/Folder Two"), 0);
    /* a folder onto an existing file's name */
    rename_(c, &x, D_WORK "/rename/Папка 文件夹 ñ 🎉", D_WORK "/rename/b.txt", 0);
    CHECK_NT(&x, 0xC0000035);
    res_free(&x);

    /* a move into a folder (within the share) */
    rename_(c, &x, D_WORK "/rename/b.txt", D_WORK "/rename/Папка 文件夹 ñ 🎉/moved.txt", 0);
    CHECK_OK(&x);
    res_free(&x);
    expect_content(c, D_WORK "/rename/Папка 文件夹 ñ 🎉/moved.txt", (const uint8_t *)"AAAA", 4);

    rename_(c, &x, D_WORK "/rename/missing.txt", D_WORK "/rename/x.txt", 0);
    CHECK_NT(&x, 0xC0000034);
    CHECK(strstr(x.msg, "\\work\\rename\\missing.txt") != NULL);
    res_free(&x);
}

/* ---- create_directory / delete_directory ---- */

static void test_dirs(asmb_conn *c)
{
    res x;
    const char *names[] = {D_WORK "/New Folder", D_WORK "/新建文件夹 ü 🗂"};
    for (size_t i = 0; i < NELEM(names); i++) {
        mkdir_(c, &x, names[i]);
        CHECK_OK(&x);
        res_free(&x);
        const asmb_file_info *fi = attrs(c, &x, "share", names[i]);
        CHECK(fi && fi->is_directory == 1);
        res_free(&x);
        mkdir_(c, &x, names[i]); /* again */
        CHECK_NT(&x, 0xC0000035);
        res_free(&x);
        const asmb_file_list *l = ls(c, &x, "share", names[i], ASMB_SEARCH_DEFAULT, NULL);
        CHECK_OK(&x);
        CHECK_EQ_INT(l ? l->count : 0, 2); /* . and .. */
        res_free(&x);
        rmdir_(c, &x, names[i]);
        CHECK_OK(&x);
        res_free(&x);
        CHECK_EQ_INT(exists(c, names[i]), 0);
    }
    /* not empty */
    mkdir_(c, &x, D_WORK "/full 满");
    res_free(&x);
    put(c, &x, "share", D_WORK "/full 满/x.txt", "x", 1);
    res_free(&x);
    rmdir_(c, &x, D_WORK "/full 满");
    CHECK_NT(&x, 0xC0000101); /* STATUS_DIRECTORY_NOT_EMPTY */
    res_free(&x);
    CHECK_EQ_INT(exists(c, D_WORK "/full 满/x.txt"), 1);
    /* a file is not a folder; a missing one */
    rmdir_(c, &x, D_WORK "/full 满/x.txt");
    CHECK_NT(&x, 0xC0000103);
    res_free(&x);
    rmdir_(c, &x, D_WORK "/no such dir");
    CHECK_NT(&x, 0xC0000034);
    res_free(&x);
    /* nested creation needs the parent */
    mkdir_(c, &x, D_WORK "/no parent/child");
    CHECK_NT(&x, 0xC000003A); /* STATUS_OBJECT_PATH_NOT_FOUND */
    res_free(&x);
}

/* ---- delete_files ---- */

static void test_delete(asmb_conn *c)
{
    res x;
    int rc = disk_mkdir(D_WORK "/del");
    const char *files[] = {"aa1.txt",    "aa2.txt", "aaTest.txt",
                           "aaTest.doc", "ab.txt",  "aaa.txt.bak"};
    for (size_t i = 0; i < NELEM(files); i++) {
        char p[128];
        snprintf(p, sizeof p, D_WORK "/del/%s", files[i]);
        rc |= disk_write(p, files[i], strlen(files[i]));
    }
    /* folders matching the patterns, with nested content */
    rc |= disk_mkdir(D_WORK "/del/aaFolder.txt");
    rc |= disk_write(D_WORK "/del/aaFolder.txt/x.txt", "x", 1);
    rc |= disk_mkdir(D_WORK "/del/aaFolder.txt/sub");
    rc |= disk_write(D_WORK "/del/aaFolder.txt/sub/deep.txt", "d", 1);
    rc |= disk_mkdir(D_WORK "/del/aaFolder.txt/sub/empty");
    rc |= disk_mkdir(D_WORK "/del/aaTest.dir");
    rc |= disk_write(D_WORK "/del/aaTest.dir/文件.txt", "z", 1);
    CHECK_EQ_INT(rc, 0);

    /* aa*.txt without folders: the three files; the folder and the others stay */
    CHECK_EQ_INT(del(c, &x, D_WORK "/del/aa*.txt", 0), 3);
    CHECK_OK(&x);
    res_free(&x);
    const asmb_file_list *l = ls(c, &x, "share", D_WORK "/del", ASMB_SEARCH_DEFAULT, NULL);
    {
        const char *want[] = {".",           "..",           "aaTest.doc", "ab.txt",
                              "aaa.txt.bak", "aaFolder.txt", "aaTest.dir"};
        CHECK(exactly(l, want, NELEM(want)));
    }
    res_free(&x);
    CHECK(disk_exists(D_WORK "/del/aaFolder.txt/sub/deep.txt"));

    /* aaTest.* without folders */
    CHECK_EQ_INT(del(c, &x, D_WORK "/del/aaTest.*", 0), 1);
    CHECK_OK(&x);
    res_free(&x);
    CHECK(!disk_exists(D_WORK "/del/aaTest.doc"));
    CHECK(disk_exists(D_WORK "/del/aaTest.dir/文件.txt"));

    /* with folders: removed recursively, nested content included */
    CHECK_EQ_INT(del(c, &x, D_WORK "/del/aa*.txt", 1), 5); /* x, deep, empty, sub, folder */
    CHECK_OK(&x);
    res_free(&x);
    CHECK(!disk_exists(D_WORK "/del/aaFolder.txt"));
    CHECK_EQ_INT(del(c, &x, D_WORK "/del/aaTest.*", 1), 2);
    CHECK_OK(&x);
    res_free(&x);
    CHECK(!disk_exists(D_WORK "/del/aaTest.dir"));
    l = ls(c, &x, "share", D_WORK "/del", ASMB_SEARCH_DEFAULT, NULL);
    {
        const char *want[] = {".", "..", "ab.txt", "aaa.txt.bak"};
        CHECK(exactly(l, want, NELEM(want)));
    }
    res_free(&x);

    /* a missing single file: a success, nothing deleted */
    CHECK_EQ_INT(del(c, &x, D_WORK "/del/missing.txt", 0), 0);
    CHECK_OK(&x);
    res_free(&x);
    /* a pattern matching nothing */
    CHECK_EQ_INT(del(c, &x, D_WORK "/del/zz*", 1), 0);
    CHECK_OK(&x);
    res_free(&x);
    /* one exact name; a Unicode one */
    disk_write(D_WORK "/del/删除 é.txt", "x", 1);
    CHECK_EQ_INT(del(c, &x, D_WORK "/del/删除 é.txt", 0), 1);
    CHECK_OK(&x);
    res_free(&x);
    CHECK(!disk_exists(D_WORK "/del/删除 é.txt"));
    /* ? wildcard */
    CHECK_EQ_INT(del(c, &x, D_WORK "/del/a?.txt", 0), 1);
    CHECK_OK(&x);
    res_free(&x);
    CHECK(!disk_exists(D_WORK "/del/ab.txt"));
    CHECK(disk_exists(D_WORK "/del/aaa.txt.bak"));
    /* wildcards only in the last component */
    asmb_deferred *d = NULL;
    CHECK_EQ_INT(asmb_delete_files(c, "share", D_WORK "/d*/x.txt", 0, NULL, &d), ASMB_EINVAL);
    CHECK(d == NULL);
}

/* ---- reset_file_attributes, get_security ---- */

static void test_misc(asmb_conn *c)
{
    res x;
    put(c, &x, "share", D_WORK "/attrs.txt", "attrs", 5);
    res_free(&x);
    asmb_deferred *d = NULL;
    int rc = asmb_reset_file_attributes(c, "share", D_WORK "/attrs.txt", NULL, &d);
    res_run(&x, rc, d);
    CHECK_OK(&x);
    res_free(&x);
    const asmb_file_info *fi = attrs(c, &x, "share", D_WORK "/attrs.txt");
    CHECK(fi && fi->file_size == 5 && fi->is_directory == 0);
    CHECK(fi &&
          (fi->file_attributes & (ASMB_ATTR_READONLY | ASMB_ATTR_HIDDEN | ASMB_ATTR_SYSTEM)) == 0);
    res_free(&x);
    d = NULL;
    rc = asmb_reset_file_attributes(c, "share", D_WORK "/no-such.txt", NULL, &d);
    res_run(&x, rc, d);
    CHECK_NT(&x, 0xC0000034);
    res_free(&x);

    const char *paths[] = {D_WORK "/attrs.txt", D_ZH};
    for (size_t i = 0; i < NELEM(paths); i++) {
        d = NULL;
        rc = asmb_get_security(c, "share", paths[i], NULL, &d);
        const asmb_security *s = res_run(&x, rc, d);
        CHECK_OK(&x);
        CHECK(s && strncmp(s->owner, "S-1-", 4) == 0);
        CHECK(s && strncmp(s->group, "S-1-", 4) == 0);
        CHECK(s && s->has_dacl && s->nace >= 1);
        int sids_ok = s != NULL;
        for (size_t k = 0; s && k < s->nace; k++)
            sids_ok &= strncmp(s->aces[k].sid, "S-1-", 4) == 0 && s->aces[k].mask != 0;
        CHECK(sids_ok);
        res_free(&x);
    }
}

/* ---- errors ---- */

static void test_errors(asmb_conn *c)
{
    res x;
    membuf m = {0};
    get(c, &x, "share", "dir/missing.txt", 0, -1, &m);
    CHECK_NT(&x, 0xC0000034);
    CHECK(strcmp(x.msg, "STATUS_OBJECT_NAME_NOT_FOUND: retrieving \\dir\\missing.txt") == 0);
    if (strcmp(x.msg, "STATUS_OBJECT_NAME_NOT_FOUND: retrieving \\dir\\missing.txt"))
        fprintf(stderr, "  message: %s\n", x.msg);
    res_free(&x);
    get(c, &x, "share", "/dir//missing.txt/", 0, -1, &m); /* separators normalised */
    CHECK(strcmp(x.msg, "STATUS_OBJECT_NAME_NOT_FOUND: retrieving \\dir\\missing.txt") == 0);
    res_free(&x);
    get(c, &x, "share", "no-dir/missing.txt", 0, -1, &m);
    CHECK_NT(&x, 0xC000003A); /* STATUS_OBJECT_PATH_NOT_FOUND */
    CHECK(strstr(x.msg, "STATUS_OBJECT_PATH_NOT_FOUND: retrieving \\no-dir\\missing.txt") != NULL);
    res_free(&x);
    CHECK_EQ_INT(m.calls, 0);

    /* a long Unicode path in the message: still valid UTF-8, however it is cut */
    for (int shift = 0; shift < 3; shift++) {
        char p[1024] = D_DIR "/";
        for (int i = 0; i < shift; i++)
            strcat(p, "a");
        for (int i = 0; i < 80; i++)
            strcat(p, "缺"); /* 240 bytes: a legal name */
        get(c, &x, "share", p, 0, -1, &m);
        CHECK_NT(&x, 0xC0000034);
        CHECK(utf8_valid(x.msg));
        if (!utf8_valid(x.msg)) fprintf(stderr, "  message is not UTF-8: %s\n", x.msg);
        const char *pre = "STATUS_OBJECT_NAME_NOT_FOUND: retrieving \\dir\\";
        CHECK(strncmp(x.msg, pre, strlen(pre)) == 0);
        res_free(&x);
    }

    /* bad arguments: at once, no deferred */
    {
        asmb_deferred *d = NULL;
        CHECK_EQ_INT(asmb_rename(c, "share", "", "x.txt", 0, NULL, &d), ASMB_EINVAL);
        CHECK_EQ_INT(asmb_rename(c, "share", F_TESTFILE, "/", 0, NULL, &d), ASMB_EINVAL);
        CHECK_EQ_INT(asmb_rename(c, "share", F_TESTFILE, "x", 2, NULL, &d), ASMB_EINVAL);
        CHECK_EQ_INT(asmb_get_attributes(c, NULL, "x", NULL, &d), ASMB_EINVAL);
        CHECK_EQ_INT(asmb_get_attributes(c, "", "x", NULL, &d), ASMB_EINVAL);
        CHECK_EQ_INT(asmb_get_attributes(c, "a\\b", "x", NULL, &d), ASMB_EINVAL);
        CHECK_EQ_INT(asmb_list_path(c, "sh/are", "", 0, NULL, NULL, &d), ASMB_EINVAL);
        CHECK_EQ_INT(asmb_delete_files(c, "share", "", 0, NULL, &d), ASMB_EINVAL);
        CHECK_EQ_INT(asmb_retrieve_file(c, "share", "x", NULL, NULL, &d), ASMB_EINVAL);
        CHECK_EQ_INT(asmb_store_file(c, "share", "x", NULL, NULL, &d), ASMB_EINVAL);
        CHECK(d == NULL);
    }

    /* a missing share */
    ls(c, &x, "no-such-share", "", ASMB_SEARCH_DEFAULT, NULL);
    CHECK_NT(&x, 0xC00000CC);
    CHECK(strstr(x.msg, "STATUS_BAD_NETWORK_NAME") != NULL);
    res_free(&x);
    get(c, &x, "no-such-share", "a.txt", 0, -1, &m);
    CHECK_NT(&x, 0xC00000CC);
    res_free(&x);

    /* the read-only share: reading works, storing is refused (as the user and as guest) */
    get(c, &x, "ro", "readme.txt", 0, -1, &m);
    CHECK_OK(&x);
    CHECK(m.len > 0);
    res_free(&x);
    membuf_free(&m);
    CHECK_EQ_INT(put(c, &x, "ro", "new.txt", "no", 2), UINT64_MAX);
    CHECK_NT(&x, 0xC0000022);
    CHECK(strstr(x.msg, "STATUS_ACCESS_DENIED: storing \\new.txt") != NULL);
    res_free(&x);
    asmb_config cfg;
    t_config(&cfg);
    cfg.username = "no-such-user-here"; /* map to guest = Bad User */
    cfg.password = "x";
    conn_events e;
    asmb_conn *g = t_connect(loop, &cfg, &e);
    CHECK_EQ_INT(e.auth_ok, 1);
    if (e.auth_ok) {
        CHECK_EQ_INT(put(g, &x, "ro", "guest.txt", "no", 2), UINT64_MAX);
        CHECK_NT(&x, 0xC0000022);
        res_free(&x);
        asmb_deferred *d = NULL;
        int rc = asmb_delete_files(g, "ro", "readme.txt", 0, NULL, &d);
        res_run(&x, rc, d);
        CHECK_EQ_INT(x.failed, 1);
        res_free(&x);
    }
    free_side(g);
    CHECK(access(disk("../ro/readme.txt"), F_OK) == 0);

    /* invalid UTF-8 in a path or a pattern: ASMB_EINVAL at once, no deferred */
    static const char *bad[] = {"bad\xff.txt", "bad\xc3", "\xed\xa0\x80surrogate", "\xc0\xafover",
                                "dir/\xf8\x88\x80\x80\x80"};
    asmb_sink sink = {mem_write, &m, -1};
    memsrc ms = {(const uint8_t *)"x", 1, 0};
    asmb_source src = {mem_read, &ms, -1};
    int all_einval = 1, none_made = 1;
    for (size_t i = 0; i < NELEM(bad); i++) {
        const char *p = bad[i];
        int rcs[14];
        asmb_deferred *ds[14];
        for (int k = 0; k < 14; k++)
            ds[k] = (asmb_deferred *)&ds; /* must stay untouched */
        int k = 0;
        rcs[k] = asmb_retrieve_file(c, "share", p, &sink, NULL, &ds[k]), k++;
        rcs[k] = asmb_retrieve_file_from_offset(c, "share", p, &sink, 5, 5, NULL, &ds[k]), k++;
        rcs[k] = asmb_store_file(c, "share", p, &src, NULL, &ds[k]), k++;
        rcs[k] = asmb_store_file_from_offset(c, "share", p, &src, 0, 0, NULL, &ds[k]), k++;
        rcs[k] = asmb_list_path(c, "share", p, ASMB_SEARCH_DEFAULT, NULL, NULL, &ds[k]), k++;
        rcs[k] = asmb_list_path(c, "share", "", ASMB_SEARCH_DEFAULT, p, NULL, &ds[k]), k++;
        rcs[k] = asmb_get_attributes(c, "share", p, NULL, &ds[k]), k++;
        rcs[k] = asmb_reset_file_attributes(c, "share", p, NULL, &ds[k]), k++;
        rcs[k] = asmb_create_directory(c, "share", p, NULL, &ds[k]), k++;
        rcs[k] = asmb_delete_directory(c, "share", p, NULL, &ds[k]), k++;
        rcs[k] = asmb_rename(c, "share", p, "ok.txt", 0, NULL, &ds[k]), k++;
        rcs[k] = asmb_rename(c, "share", F_TESTFILE, p, 0, NULL, &ds[k]), k++;
        rcs[k] = asmb_delete_files(c, "share", p, 1, NULL, &ds[k]), k++;
        rcs[k] = asmb_get_security(c, "share", p, NULL, &ds[k]), k++;
        for (int j = 0; j < k; j++) {
            if (rcs[j] != ASMB_EINVAL) {
                fprintf(stderr, "  invalid UTF-8 #%zu, call %d: %s\n", i, j, asmb_err_name(rcs[j]));
                all_einval = 0;
            }
            if (ds[j] != (asmb_deferred *)&ds) none_made = 0;
        }
    }
    CHECK(all_einval);
    CHECK(none_made);
    CHECK_EQ_INT(m.calls, 0);
    CHECK(disk_exists(F_TESTFILE)); /* the rename with a bad target did nothing */
    /* nothing was left behind: the connection still works */
    attrs(c, &x, "share", F_TESTFILE);
    CHECK_OK(&x);
    res_free(&x);
}

/* ---- concurrency ---- */

enum { NCONC = 50 };

static void test_concurrency(asmb_conn *c)
{
    static res st[NCONC], rt[NCONC];
    static memsrc srcs[NCONC];
    static membuf bufs[NCONC];
    static uint8_t *data[NCONC];
    static size_t len[NCONC];
    res x;
    mkdir_(c, &x, D_WORK "/conc");
    CHECK_OK(&x);
    res_free(&x);
    int started = 0;
    for (int i = 0; i < NCONC; i++) {
        len[i] = 1000 + (size_t)i * 7919;
        data[i] = random_bytes(len[i]);
        srcs[i] = (memsrc){data[i], len[i], 0};
        asmb_source src = {mem_read, &srcs[i], -1};
        char p[128];
        snprintf(p, sizeof p, D_WORK "/conc/file %02d ü.bin", i);
        asmb_deferred *d = NULL;
        int rc = asmb_store_file(c, "share", p, &src, NULL, &d);
        res_start(&st[i], rc, d);
        started += rc == 0;
    }
    CHECK_EQ_INT(started, NCONC);
    for (int i = 0; i < NCONC; i++)
        res_wait(&st[i], 60000);
    int ok = 0, once = 1, bytes_ok = 1;
    for (int i = 0; i < NCONC; i++) {
        ok += st[i].ok;
        once &= st[i].calls == 1;
        const asmb_store_result *r = st[i].ok ? asmb_deferred_result(st[i].d) : NULL;
        bytes_ok &= r && r->bytes == len[i];
        if (!st[i].ok) fprintf(stderr, "  store %d: %s\n", i, st[i].msg);
        res_free(&st[i]);
    }
    CHECK_EQ_INT(ok, NCONC);
    CHECK(once);
    CHECK(bytes_ok);

    for (int i = 0; i < NCONC; i++) {
        memset(&bufs[i], 0, sizeof bufs[i]);
        asmb_sink sink = {mem_write, &bufs[i], -1};
        char p[128];
        snprintf(p, sizeof p, D_WORK "/conc/file %02d ü.bin", i);
        asmb_deferred *d = NULL;
        int rc = asmb_retrieve_file(c, "share", p, &sink, NULL, &d);
        res_start(&rt[i], rc, d);
    }
    for (int i = 0; i < NCONC; i++)
        res_wait(&rt[i], 60000);
    int equal = 0;
    ok = 0;
    for (int i = 0; i < NCONC; i++) {
        ok += rt[i].ok;
        equal += same_bytes(bufs[i].p, bufs[i].len, data[i], len[i]);
        if (!rt[i].ok) fprintf(stderr, "  retrieve %d: %s\n", i, rt[i].msg);
        res_free(&rt[i]);
        membuf_free(&bufs[i]);
        free(data[i]);
    }
    CHECK_EQ_INT(ok, NCONC);
    CHECK_EQ_INT(equal, NCONC);
    CHECK_EQ_INT(del(c, &x, D_WORK "/conc/*", 0), NCONC);
    CHECK_OK(&x);
    res_free(&x);

    /* several multi-megabyte transfers at once (multi-credit requests in parallel) */
    enum { NBIG = 8 };
    size_t big = quick ? (2u << 20) + 333 : (6u << 20) + 333;
    for (int i = 0; i < NBIG; i++) {
        data[i] = random_bytes(big);
        srcs[i] = (memsrc){data[i], big, 0};
        asmb_source src = {mem_read, &srcs[i], -1};
        char p[128];
        snprintf(p, sizeof p, D_WORK "/conc/big %d.bin", i);
        asmb_deferred *d = NULL;
        int rc = asmb_store_file(c, "share", p, &src, NULL, &d);
        res_start(&st[i], rc, d);
    }
    ok = 0;
    for (int i = 0; i < NBIG; i++) {
        res_wait(&st[i], 120000);
        ok += st[i].ok;
        if (!st[i].ok) fprintf(stderr, "  big store %d: %s\n", i, st[i].msg);
        res_free(&st[i]);
    }
    CHECK_EQ_INT(ok, NBIG);
    for (int i = 0; i < NBIG; i++) {
        memset(&bufs[i], 0, sizeof bufs[i]);
        asmb_sink sink = {mem_write, &bufs[i], -1};
        char p[128];
        snprintf(p, sizeof p, D_WORK "/conc/big %d.bin", i);
        asmb_deferred *d = NULL;
        int rc = asmb_retrieve_file(c, "share", p, &sink, NULL, &d);
        res_start(&rt[i], rc, d);
    }
    ok = equal = 0;
    for (int i = 0; i < NBIG; i++) {
        res_wait(&rt[i], 120000);
        ok += rt[i].ok;
        if (!rt[i].ok) fprintf(stderr, "  big retrieve %d: %s\n", i, rt[i].msg);
        equal += same_bytes(bufs[i].p, bufs[i].len, data[i], big);
        res_free(&rt[i]);
        membuf_free(&bufs[i]);
        free(data[i]);
    }
    CHECK_EQ_INT(ok, NBIG);
    CHECK_EQ_INT(equal, NBIG);
    CHECK_EQ_INT(del(c, &x, D_WORK "/conc/big*", 0), NBIG);
    res_free(&x);

    /* a fresh connection: twenty operations wait for the same tree connect */
    conn_events e;
    asmb_conn *fresh = connect_at(ASMB_SMB2_02, ASMB_SMB3_11, &e);
    if (e.auth_ok) {
        enum { NT = 20 };
        for (int i = 0; i < NT; i++) {
            asmb_deferred *d = NULL;
            int rc = asmb_get_attributes(fresh, "share", i % 2 ? F_R1 : D_ZH, NULL, &d);
            res_start(&st[i], rc, d);
        }
        ok = 0;
        for (int i = 0; i < NT; i++) {
            const asmb_file_info *fi = res_wait(&st[i], 10000);
            ok += fi && (i % 2 ? fi->file_size == R1_LEN : fi->is_directory == 1);
            res_free(&st[i]);
        }
        CHECK_EQ_INT(ok, NT);
    }
    free_side(fresh);
}

/* ---- a file over 4 GiB, streamed ---- */

/* The pattern: 64-bit word k of the file is mix(k), little-endian. */
static uint64_t mix(uint64_t k)
{
    uint64_t z = k * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static void pattern_fill(uint64_t pos, uint8_t *buf, size_t n)
{
    size_t i = 0;
    while (i < n && ((pos + i) & 7)) {
        uint64_t p = pos + i;
        buf[i++] = (uint8_t)(mix(p >> 3) >> ((p & 7) * 8));
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t w = mix((pos + i) >> 3);
        for (int b = 0; b < 8; b++)
            buf[i + (size_t)b] = (uint8_t)(w >> (8 * b));
    }
    for (; i < n; i++) {
        uint64_t p = pos + i;
        buf[i] = (uint8_t)(mix(p >> 3) >> ((p & 7) * 8));
    }
}

typedef struct pattern_io {
    uint64_t pos, total;
    uint64_t mismatch_at; /* UINT64_MAX: none */
    uint8_t *scratch;
    size_t scratch_len;
} pattern_io;

static long pattern_read(void *arg, void *buf, size_t len)
{
    pattern_io *s = arg;
    uint64_t left = s->total - s->pos;
    size_t n = left < len ? (size_t)left : len;
    pattern_fill(s->pos, buf, n);
    s->pos += n;
    return (long)n;
}
static int pattern_check(void *arg, const void *data, size_t len)
{
    pattern_io *s = arg;
    if (s->scratch_len < len) {
        free(s->scratch);
        s->scratch = malloc(len);
        s->scratch_len = len;
    }
    pattern_fill(s->pos, s->scratch, len);
    if (s->mismatch_at == UINT64_MAX && memcmp(s->scratch, data, len) != 0) {
        size_t i = 0;
        while (s->scratch[i] == ((const uint8_t *)data)[i])
            i++;
        s->mismatch_at = s->pos + i;
    }
    s->pos += len;
    return 0;
}

static void test_big(asmb_conn *c)
{
    if (quick) {
        printf("skip: 5 GiB file (ASMB_TEST_QUICK)\n");
        return;
    }
    const uint64_t size = 5ull << 30;
    const char *p = D_WORK "/five GiB.bin";
    res x;
    asmb_opts opts = {120000};
    pattern_io src_st = {0, size, UINT64_MAX, NULL, 0};
    asmb_source src = {pattern_read, &src_st, -1};
    asmb_deferred *d = NULL;
    double t0 = now_unix();
    int rc = asmb_store_file(c, "share", p, &src, &opts, &d);
    res_start(&x, rc, d);
    const asmb_store_result *sr = res_wait(&x, 1800000);
    CHECK_OK(&x);
    CHECK(sr && sr->bytes == size);
    res_free(&x);
    double t1 = now_unix();
    struct stat st;
    CHECK(stat(disk(p), &st) == 0 && (uint64_t)st.st_size == size);
    /* what landed on disk (tells a store bug from a retrieve bug) */
    {
        pattern_io on_disk = {0, size, UINT64_MAX, NULL, 0};
        int fd = open(disk(p), O_RDONLY);
        uint8_t *buf = malloc(4u << 20);
        ssize_t got;
        while (fd >= 0 && (got = read(fd, buf, 4u << 20)) > 0)
            pattern_check(&on_disk, buf, (size_t)got);
        if (fd >= 0) close(fd);
        free(buf);
        free(on_disk.scratch);
        CHECK_EQ_INT(on_disk.pos, size);
        CHECK(on_disk.mismatch_at == UINT64_MAX);
        if (on_disk.mismatch_at != UINT64_MAX)
            fprintf(stderr, "  5 GiB on disk: first wrong byte at %llu\n",
                    (unsigned long long)on_disk.mismatch_at);
    }

    const asmb_file_info *fi = attrs(c, &x, "share", p);
    CHECK_OK(&x);
    CHECK(fi && fi->file_size == size);
    res_free(&x);
    const asmb_file_list *l = ls(c, &x, "share", D_WORK, ASMB_SEARCH_DEFAULT, "five*");
    CHECK(l && l->count == 1 && l->entries[0].file_size == size);
    res_free(&x);

    pattern_io chk = {0, size, UINT64_MAX, NULL, 0};
    asmb_sink sink = {pattern_check, &chk, -1};
    d = NULL;
    rc = asmb_retrieve_file(c, "share", p, &sink, &opts, &d);
    res_start(&x, rc, d);
    const asmb_retrieve_result *rr = res_wait(&x, 1800000);
    CHECK_OK(&x);
    CHECK(rr && rr->bytes == size);
    CHECK(rr && rr->info.file_size == size);
    CHECK_EQ_INT(chk.pos, size);
    CHECK(chk.mismatch_at == UINT64_MAX);
    if (chk.mismatch_at != UINT64_MAX)
        fprintf(stderr, "  5 GiB: first wrong byte at %llu\n", (unsigned long long)chk.mismatch_at);
    res_free(&x);
    double t2 = now_unix();

    /* a slice past 4 GiB */
    pattern_io slice = {(4ull << 30) + 12345, 0, UINT64_MAX, NULL, 0};
    sink.arg = &slice;
    d = NULL;
    rc = asmb_retrieve_file_from_offset(c, "share", p, &sink, (4ull << 30) + 12345, 3000000, NULL,
                                        &d);
    rr = res_run(&x, rc, d);
    CHECK_OK(&x);
    CHECK(rr && rr->bytes == 3000000);
    CHECK_EQ_INT(slice.pos, (4ull << 30) + 12345 + 3000000);
    CHECK(slice.mismatch_at == UINT64_MAX);
    res_free(&x);
    /* resume past 4 GiB: patch 10 bytes at 4 GiB + 7 and read them back */
    uint8_t ten[10];
    memcpy(ten, "0123456789", 10);
    CHECK_EQ_INT(put_at(c, &x, p, ten, 10, (4ull << 30) + 7, 0), 10);
    CHECK_OK(&x);
    res_free(&x);
    membuf m = {0};
    get(c, &x, "share", p, (4ull << 30) + 7, 10, &m);
    CHECK(m.len == 10 && memcmp(m.p, ten, 10) == 0);
    res_free(&x);
    membuf_free(&m);
    free(chk.scratch);
    free(slice.scratch);
    printf("5 GiB: stored in %.1f s, retrieved and verified in %.1f s\n", t1 - t0, t2 - t1);
    CHECK_EQ_INT(del(c, &x, p, 0), 1);
    res_free(&x);
}

/* ---- 100,000 entries ---- */

static void test_hugedir(asmb_conn *c)
{
    if (quick) {
        printf("skip: 100,000-entry folder (ASMB_TEST_QUICK)\n");
        return;
    }
    enum { N = 100000 };
    const char *dir = D_WORK "/huge";
    int rc = disk_mkdir(dir);
    char base[2048];
    snprintf(base, sizeof base, "%s", disk(dir));
    for (int i = 0; i < N && !rc; i++) {
        char p[2100];
        snprintf(p, sizeof p, "%s/entry_%06d", base, i);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || fchown(fd, share_uid, share_gid)) rc = -1;
        if (fd >= 0) close(fd);
    }
    CHECK_EQ_INT(rc, 0);
    res x;
    double t0 = now_unix();
    const asmb_file_list *l = ls(c, &x, "share", dir, ASMB_SEARCH_DEFAULT, NULL);
    double t1 = now_unix();
    CHECK_OK(&x);
    CHECK_EQ_INT(l ? l->count : 0, N + 2);
    char *seen = calloc(N, 1);
    int distinct = 0;
    for (size_t i = 0; l && i < l->count; i++) {
        int k;
        if (sscanf(l->entries[i].filename, "entry_%06d", &k) == 1 && k >= 0 && k < N && !seen[k]) {
            seen[k] = 1;
            distinct++;
        }
    }
    CHECK_EQ_INT(distinct, N);
    free(seen);
    res_free(&x);
    printf("100,000 entries listed in %.1f s\n", t1 - t0);
    disk_rm_rf(dir);
}

/* ---- cancel ---- */

/* Lines of smbstatus -L naming path (relative to the share); -1 when unknown. */
static int open_on_server(const char *name)
{
    const char *conf = getenv("ASMB_TEST_CONF");
    if (!conf || !*conf) return -1;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "smbstatus --configfile='%s' -L 2>/dev/null", conf);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, p))
        n += strstr(line, name) != NULL;
    return pclose(p) == 0 ? n : -1;
}

static void pause_ms(unsigned ms)
{
    int never = 0;
    run_until(loop, &never, ms);
}

/* Waits (running the loop) until name is not open on the server; its last count. */
static int wait_closed(const char *name)
{
    int n = -1;
    for (int i = 0; i < 40; i++) {
        pause_ms(50);
        n = open_on_server(name);
        if (n <= 0) break;
    }
    return n;
}

typedef struct spy_sink {
    int calls;
    uint64_t bytes;
    int open_seen;            /* smbstatus saw the file open during the transfer */
    int check_status;         /* run smbstatus on the first chunk */
    int fail;                 /* return -1 on the first chunk */
    asmb_deferred *cancel_me; /* cancel from inside the sink (first chunk) */
    int cancel_rc;
    asmb_conn *free_me; /* asmb_conn_free from inside the sink (first chunk) */
} spy_sink;
static int spy_write(void *arg, const void *data, size_t len)
{
    (void)data;
    spy_sink *s = arg;
    s->calls++;
    s->bytes += len;
    /* The second chunk: the first may come from the compound CREATE+READ+CLOSE,
     * whose CLOSE went with it (the rest is read through a new open). */
    if (s->calls == 2 && s->check_status) s->open_seen = open_on_server("cancel big.bin");
    if (s->calls == 1 && s->cancel_me) s->cancel_rc = asmb_deferred_cancel(s->cancel_me);
    if (s->calls == 1 && s->free_me) asmb_conn_free(s->free_me);
    return s->fail ? -1 : 0;
}

/* A source of endless bytes that can cancel or fail. */
typedef struct spy_source {
    int calls;
    int fail_at;              /* return -1 at this call (1-based); 0 never */
    asmb_deferred *cancel_me; /* cancel from inside the source (first call) */
    int cancel_rc;
} spy_source;
static long spy_read(void *arg, void *buf, size_t len)
{
    spy_source *s = arg;
    s->calls++;
    if (s->calls == 1 && s->cancel_me) {
        s->cancel_rc = asmb_deferred_cancel(s->cancel_me);
        return 0; /* buf is not touched after the cancel */
    }
    if (s->fail_at && s->calls == s->fail_at) return -1;
    memset(buf, 'q', len);
    return (long)len;
}

/* Cancel (or free the connection) from inside a sink or source callback,
 * in a child process so that a crash is a failed check here. The operation
 * must end exactly once and the library must not touch it afterwards. */
enum { CHILD_CANCEL_IN_SINK, CHILD_CANCEL_IN_SOURCE, CHILD_FREE_IN_SINK };
static int callback_child(int mode, const char *path)
{
    uv_loop_t child_loop;
    uv_loop_init(&child_loop);
    loop = &child_loop;
    conn_events e;
    asmb_config cfg;
    t_config(&cfg);
    asmb_conn *c = t_connect(loop, &cfg, &e);
    int bad = !e.auth_ok;
    spy_sink spy = {0};
    spy_source sp = {0};
    asmb_sink sink = {spy_write, &spy, -1};
    asmb_source src = {spy_read, &sp, -1};
    asmb_deferred *d = NULL;
    res x;
    int rc = mode == CHILD_CANCEL_IN_SOURCE
                 ? asmb_store_file(c, "share", D_WORK "/cancel in source.bin", &src, NULL, &d)
                 : asmb_retrieve_file(c, "share", path, &sink, NULL, &d);
    if (mode == CHILD_CANCEL_IN_SINK) spy.cancel_me = rc ? NULL : d;
    if (mode == CHILD_CANCEL_IN_SOURCE) sp.cancel_me = rc ? NULL : d;
    if (mode == CHILD_FREE_IN_SINK) spy.free_me = c;
    res_start(&x, rc, d);
    res_wait(&x, 20000);
    pause_ms(500); /* anything still arriving */
    int want = mode == CHILD_FREE_IN_SINK ? ASMB_ENOTCONN : ASMB_ECANCELED;
    bad |= x.calls != 1 || x.failed != 1 || x.f.code != want;
    if (mode == CHILD_CANCEL_IN_SOURCE)
        bad |= sp.cancel_rc != 0 || sp.calls != 1;
    else
        bad |= spy.cancel_rc != 0 || spy.calls != 1;
    if (bad)
        fprintf(stderr, "  child %d: outcome calls %d code %s; callback calls %d cancel rc %d\n",
                mode, x.calls, asmb_err_name(x.f.code),
                mode == CHILD_CANCEL_IN_SOURCE ? sp.calls : spy.calls,
                mode == CHILD_CANCEL_IN_SOURCE ? sp.cancel_rc : spy.cancel_rc);
    res_free(&x);
    if (mode != CHILD_FREE_IN_SINK) {
        bad |= wait_closed(mode == CHILD_CANCEL_IN_SOURCE ? "cancel in source.bin"
                                                          : "cancel big.bin") > 0;
        t_free(loop, c);
    } else {
        uv_run(loop, UV_RUN_DEFAULT);
    }
    bad |= uv_loop_close(loop) != 0;
    return bad;
}

static void run_child(int mode, const char *path, const char *what)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) exit(callback_child(mode, path)); /* exit: libuv's threads are joined */
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "  %s: the child %s %d\n", what,
                WIFEXITED(status) ? "exited with" : "was killed by signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

#define CANCEL_FILE D_WORK "/cancel big.bin"
enum { CANCEL_SIZE = 48 << 20 };
static int make_cancel_file(void)
{
    uint8_t *junk = malloc(CANCEL_SIZE);
    for (size_t i = 0; i < CANCEL_SIZE; i += 4096)
        memset(junk + i, (int)(i >> 12), 4096);
    int rc = disk_write(CANCEL_FILE, junk, CANCEL_SIZE);
    free(junk);
    return rc;
}

/* Runs before the main connection exists: a child forked after libuv's
 * resolver threads started would show their memory as "possibly lost"
 * under valgrind. */
static void test_callback_children(void)
{
    run_child(CHILD_CANCEL_IN_SINK, CANCEL_FILE, "cancel from inside the sink");
    run_child(CHILD_CANCEL_IN_SOURCE, CANCEL_FILE, "cancel from inside the source");
    run_child(CHILD_FREE_IN_SINK, CANCEL_FILE, "asmb_conn_free from inside the sink");
}

static void test_cancel_on(asmb_conn *c);

/* On a connection of its own with small requests, one at a time: a 48 MiB
 * transfer then takes hundreds of round trips, so a cancel "while data flows"
 * lands mid-transfer however fast the machine (with the default 4 MiB × 2,
 * one loop turn can carry the whole file). */
static void test_cancel(asmb_conn *shared)
{
    (void)shared;
    asmb_config cfg;
    t_config(&cfg);
    cfg.io_size = 65536;
    cfg.io_window = 1;
    conn_events e;
    asmb_conn *c = t_connect(loop, &cfg, &e);
    CHECK_EQ_INT(e.auth_ok, 1);
    if (e.auth_ok) test_cancel_on(c);
    free_side(c);
}

static void test_cancel_on(asmb_conn *c)
{
    const char *path = CANCEL_FILE;
    const size_t size = CANCEL_SIZE;
    int have_status = open_on_server("cancel big.bin") >= 0;
    if (!have_status) printf("skip: smbstatus checks (no ASMB_TEST_CONF)\n");

    /* control: while a transfer runs, smbstatus does show the file open */
    res x;
    spy_sink spy = {0};
    spy.check_status = have_status;
    asmb_sink sink = {spy_write, &spy, -1};
    asmb_deferred *d = NULL;
    int rc = asmb_retrieve_file(c, "share", path, &sink, NULL, &d);
    res_run(&x, rc, d);
    CHECK_OK(&x);
    CHECK_EQ_INT(spy.bytes, size);
    if (have_status) CHECK(spy.open_seen >= 1);
    res_free(&x);
    if (have_status) CHECK_EQ_INT(wait_closed("cancel big.bin"), 0);

    /* cancel right away */
    memset(&spy, 0, sizeof spy);
    d = NULL;
    rc = asmb_retrieve_file(c, "share", path, &sink, NULL, &d);
    res_start(&x, rc, d);
    CHECK_EQ_INT(rc ? rc : asmb_deferred_cancel(d), 0);
    CHECK_EQ_INT(x.calls, 0); /* delivered from the loop */
    res_wait(&x, 10000);
    pause_ms(300);
    CHECK_EQ_INT(x.calls, 1);
    CHECK_EQ_INT(x.failed, 1);
    CHECK_EQ_INT(x.f.code, ASMB_ECANCELED);
    CHECK_EQ_INT(asmb_deferred_cancel(d), ASMB_EALREADY);
    res_free(&x);
    if (have_status) CHECK_EQ_INT(wait_closed("cancel big.bin"), 0);

    /* cancel once data flows (a READ in flight) */
    memset(&spy, 0, sizeof spy);
    d = NULL;
    rc = asmb_retrieve_file(c, "share", path, &sink, NULL, &d);
    res_start(&x, rc, d);
    for (int i = 0; i < 2000 && spy.calls == 0 && !x.calls; i++)
        uv_run(loop, UV_RUN_ONCE);
    CHECK(spy.calls >= 1 && x.calls == 0);
    CHECK_EQ_INT(rc ? rc : asmb_deferred_cancel(d), 0);
    int calls_at_cancel = spy.calls;
    res_wait(&x, 10000);
    pause_ms(300);
    CHECK_EQ_INT(x.calls, 1);
    CHECK_EQ_INT(x.f.code, ASMB_ECANCELED);
    CHECK_EQ_INT(spy.calls, calls_at_cancel); /* no data after the cancel */
    res_free(&x);
    if (have_status) CHECK_EQ_INT(wait_closed("cancel big.bin"), 0);

    /* the connection is fine afterwards */
    const asmb_file_info *fi = attrs(c, &x, "share", path);
    CHECK(fi && fi->file_size == size);
    res_free(&x);

    /* cancel a store right away: no handle left, no error later */
    memsrc ms = {(const uint8_t *)"abc", 3, 0};
    asmb_source src = {mem_read, &ms, -1};
    d = NULL;
    rc = asmb_store_file(c, "share", D_WORK "/cancel store.bin", &src, NULL, &d);
    res_start(&x, rc, d);
    CHECK_EQ_INT(rc ? rc : asmb_deferred_cancel(d), 0);
    res_wait(&x, 10000);
    CHECK_EQ_INT(x.f.code, ASMB_ECANCELED);
    res_free(&x);
    if (have_status) CHECK_EQ_INT(wait_closed("cancel store.bin"), 0);

    /* a sink that refuses data: ASMB_ELOCAL once, the handle closed */
    memset(&spy, 0, sizeof spy);
    spy.fail = 1;
    d = NULL;
    rc = asmb_retrieve_file(c, "share", path, &sink, NULL, &d);
    res_run(&x, rc, d);
    pause_ms(100);
    CHECK_EQ_INT(x.calls, 1);
    CHECK_EQ_INT(x.f.code, ASMB_ELOCAL);
    CHECK_EQ_INT(spy.calls, 1);
    res_free(&x);
    if (have_status) CHECK_EQ_INT(wait_closed("cancel big.bin"), 0);
    /* a source that fails (at its third call): ASMB_ELOCAL once, the handle closed */
    spy_source sp = {0};
    sp.fail_at = 3;
    asmb_source bad_src = {spy_read, &sp, -1};
    d = NULL;
    rc = asmb_store_file(c, "share", D_WORK "/failing source.bin", &bad_src, NULL, &d);
    res_run(&x, rc, d);
    pause_ms(100);
    CHECK_EQ_INT(x.calls, 1);
    CHECK_EQ_INT(x.f.code, ASMB_ELOCAL);
    CHECK_EQ_INT(sp.calls, 3);
    res_free(&x);
    if (have_status) CHECK_EQ_INT(wait_closed("failing source.bin"), 0);

    /* cancel right away on a fresh connection (the tree is still connecting) */
    conn_events e;
    asmb_conn *fresh = connect_at(ASMB_SMB2_02, ASMB_SMB3_11, &e);
    if (e.auth_ok) {
        memset(&spy, 0, sizeof spy);
        d = NULL;
        rc = asmb_retrieve_file(fresh, "share", path, &sink, NULL, &d);
        res_start(&x, rc, d);
        CHECK_EQ_INT(rc ? rc : asmb_deferred_cancel(d), 0);
        res_wait(&x, 10000);
        pause_ms(200);
        CHECK_EQ_INT(x.calls, 1);
        CHECK_EQ_INT(x.f.code, ASMB_ECANCELED);
        CHECK_EQ_INT(spy.calls, 0);
        res_free(&x);
        fi = attrs(fresh, &x, "share", F_R1); /* the share works afterwards */
        CHECK_OK(&x);
        res_free(&x);
    }
    free_side(fresh);
    CHECK_EQ_INT(del(c, &x, path, 0), 1);
    res_free(&x);
}

/* ---- the basic subset at every dialect ---- */

static void basic_at(uint16_t dialect)
{
    conn_events e;
    asmb_conn *c = connect_at(dialect, dialect, &e);
    if (!e.auth_ok) {
        t_free(loop, c);
        return;
    }
    asmb_conn_info info;
    asmb_conn_info_get(c, &info);
    CHECK_EQ_INT(info.dialect, dialect);
    res x;
    char dir[128], p[256], q[256];
    snprintf(dir, sizeof dir, D_WORK "/dialect %s ü", asmb_dialect_name(dialect));

    const asmb_file_list *l = ls(c, &x, "share", "", ASMB_SEARCH_DEFAULT, NULL);
    CHECK_OK(&x);
    CHECK(find(l, D_ZH) && find(l, D_EMOJI) && find(l, D_LONG) && find(l, D_ASCII));
    res_free(&x);
    l = ls(c, &x, "share", D_MANY, ASMB_SEARCH_DEFAULT, NULL);
    CHECK_EQ_INT(l ? l->count : 0, 1001);
    res_free(&x);
    const asmb_file_info *fi = attrs(c, &x, "share", F_R2);
    CHECK(fi && fi->file_size == R2_LEN && !fi->is_directory);
    res_free(&x);
    check_get(c, F_R2, 0, -1, r2, R2_LEN, R2_LEN);
    check_get(c, F_R2, 100000, 100000, r2 + 100000, 100000, R2_LEN);

    mkdir_(c, &x, dir);
    CHECK_OK(&x);
    res_free(&x);
    snprintf(p, sizeof p, "%s/stored 文件.bin", dir);
    CHECK_EQ_INT(put(c, &x, "share", p, r2, R2_LEN), R2_LEN);
    CHECK_OK(&x);
    res_free(&x);
    expect_content(c, p, r2, R2_LEN);
    CHECK_EQ_INT(put_at(c, &x, p, r1, 1000, R2_LEN, 0), 1000); /* append */
    res_free(&x);
    fi = attrs(c, &x, "share", p);
    CHECK(fi && fi->file_size == R2_LEN + 1000);
    res_free(&x);
    snprintf(q, sizeof q, "%s/renamed 🎉.bin", dir);
    rename_(c, &x, p, q, 0);
    CHECK_OK(&x);
    res_free(&x);
    check_get(c, q, R2_LEN, -1, r1, 1000, R2_LEN + 1000);
    snprintf(p, sizeof p, "%s/*.bin", dir);
    CHECK_EQ_INT(del(c, &x, p, 0), 1);
    CHECK_OK(&x);
    res_free(&x);
    l = ls(c, &x, "share", dir, ASMB_SEARCH_DEFAULT, NULL);
    CHECK_EQ_INT(l ? l->count : 0, 2);
    res_free(&x);
    rmdir_(c, &x, dir);
    CHECK_OK(&x);
    res_free(&x);
    CHECK_EQ_INT(exists(c, dir), 0);
    t_free(loop, c);
}

static void test_dialects(void)
{
    static const uint16_t all[] = {ASMB_SMB2_02, ASMB_SMB2_10, ASMB_SMB3_00, ASMB_SMB3_02,
                                   ASMB_SMB3_11};
    for (size_t i = 0; i < NELEM(all); i++) {
        int before = t_fail;
        basic_at(all[i]);
        printf("dialect %s: %s\n", asmb_dialect_name(all[i]), t_fail == before ? "ok" : "FAILED");
    }
}

/* ---- main ---- */

static int want(int argc, char **argv, const char *name)
{
    if (argc < 2) return 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], name)) return 1;
        if (!strcmp(argv[i], "quick-dialects") && !strcmp(name, "dialects")) return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGPIPE, SIG_IGN);
    loop = uv_default_loop();
    quick = getenv("ASMB_TEST_QUICK") && *getenv("ASMB_TEST_QUICK");
    int fixture_ok = make_fixture() == 0 && make_cancel_file() == 0;
    CHECK(fixture_ok);
    if (fixture_ok && want(argc, argv, "cancel")) {
        /* cancel (or free the connection) from inside the callbacks */
        int before = t_fail;
        double t0 = now_unix();
        test_callback_children();
        printf("%-12s %s (%.1f s)\n", "callbacks", t_fail == before ? "ok" : "FAILED",
               now_unix() - t0);
    }
    if (fixture_ok) {
        conn_events e;
        asmb_conn *c = connect_at(ASMB_SMB2_02, ASMB_SMB3_11, &e);
        if (e.auth_ok) {
            static const struct {
                const char *name;
                void (*fn)(asmb_conn *);
            } sections[] = {
                {"list", test_list},
                {"attrs", test_attrs},
                {"retrieve", test_retrieve},
                {"store", test_store},
                {"offset", test_offset},
                {"rename", test_rename},
                {"dirs", test_dirs},
                {"delete", test_delete},
                {"misc", test_misc},
                {"errors", test_errors},
                {"concurrency", test_concurrency},
                {"big", test_big},
                {"hugedir", test_hugedir},
                {"cancel", test_cancel},
            };
            for (size_t i = 0; i < NELEM(sections); i++) {
                if (!want(argc, argv, sections[i].name)) continue;
                int before = t_fail;
                double t0 = now_unix();
                sections[i].fn(c);
                printf("%-12s %s (%.1f s)\n", sections[i].name, t_fail == before ? "ok" : "FAILED",
                       now_unix() - t0);
            }
        }
        t_free(loop, c);
        if (want(argc, argv, "dialects")) test_dialects();
    }
    free(r1);
    free(r2);
    free(r3);
    CHECK_EQ_INT(uv_loop_close(loop), 0); /* every handle closed: nothing leaked on the loop */
    TEST_DONE();
}
