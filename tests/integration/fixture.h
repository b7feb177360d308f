/* The fixture test_files and test_transfer share, and their way of running
 * operations (each waits for its outcome, recorded in a res).
 *
 * The fixture is written directly on disk under $ASMB_TEST_DIR/share (the
 * share "share") at start, each entry chowned to the share's user so that
 * Samba may change it: it does not depend on the library's write path, and
 * the 999-entry folder costs no round trips. Everything the tests store,
 * rename and delete goes through the library (below work/).
 *
 * The program (files_main): the fixture, then the sections the arguments
 * name (all when none) on one connection. ASMB_TEST_QUICK set (the valgrind
 * stage): the slowest cases are skipped or smaller (printed "skip"). */
#ifndef ASMB_FIXTURE_H
#define ASMB_FIXTURE_H
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ihelp.h"

static uv_loop_t *loop;
static int quick; /* ASMB_TEST_QUICK */

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

enum { R1_LEN = 158437, R2_LEN = 421269, R3_LEN = 256000 };
static uint8_t *r1, *r2, *r3; /* the random files' bytes, kept to compare */
static const char inner_text[] = "balloon inside the emoji folder\n";

/* ---- bytes ---- */

static uint64_t rng_state = 0x243F6A8885A308D3ull;
/* xorshift64*: reproducible "random" bytes. */
static inline uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}
/* n such bytes, malloc'd. */
static inline uint8_t *random_bytes(size_t n)
{
    uint8_t *b = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(rng() >> 33);
    return b;
}

/* SHA-256 of p[0..n) (zeros when OpenSSL fails). */
static inline void sha256(const void *p, size_t n, unsigned char out[32])
{
    unsigned len = 0;
    if (!EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) || len != 32) memset(out, 0, 32);
}
/* Equal length and SHA-256. */
static inline int same_bytes(const void *a, size_t an, const void *b, size_t bn)
{
    unsigned char ha[32], hb[32];
    if (an != bn) return 0;
    sha256(a, an, ha);
    sha256(b, bn, hb);
    return memcmp(ha, hb, 32) == 0;
}

/* ---- running operations (each waits for its outcome, in x) ---- */

/* list_path of share/path with search and pattern. */
static inline const asmb_file_list *ls(asmb_conn *c, res *x, const char *share, const char *path,
                                       uint32_t search, const char *pattern)
{
    asmb_deferred *d = NULL;
    int rc = asmb_list_path(c, share, path, search, pattern, NULL, &d);
    return res_run(loop, x, rc, &d);
}
/* get_attributes of share/path. */
static inline const asmb_file_info *attrs(asmb_conn *c, res *x, const char *share, const char *path)
{
    asmb_deferred *d = NULL;
    int rc = asmb_get_attributes(c, share, path, NULL, &d);
    return res_run(loop, x, rc, &d);
}
/* Retrieves share/path from offset (at most max bytes) into m. */
static inline const asmb_retrieve_result *get(asmb_conn *c, res *x, const char *share,
                                              const char *path, uint64_t offset, int64_t max,
                                              membuf *m)
{
    asmb_sink sink = {mem_write, m, -1};
    asmb_deferred *d = NULL;
    int rc = asmb_retrieve_file_from_offset(c, share, path, &sink, offset, max, NULL, &d);
    return res_run(loop, x, rc, &d);
}
/* Stores data as share/path; the bytes stored, or UINT64_MAX when it failed. */
static inline uint64_t put(asmb_conn *c, res *x, const char *share, const char *path,
                           const void *data, size_t n)
{
    memsrc s = {data, n, 0};
    asmb_source src = {mem_read, &s, -1};
    asmb_deferred *d = NULL;
    int rc = asmb_store_file(c, share, path, &src, NULL, &d);
    const asmb_store_result *r = res_run(loop, x, rc, &d);
    return r ? r->bytes : UINT64_MAX;
}
/* put from offset (with flags) on the share "share". */
static inline uint64_t put_at(asmb_conn *c, res *x, const char *path, const void *data, size_t n,
                              uint64_t offset, int flags)
{
    memsrc s = {data, n, 0};
    asmb_source src = {mem_read, &s, -1};
    asmb_deferred *d = NULL;
    int rc = asmb_store_file_from_offset(c, "share", path, &src, offset, flags, NULL, &d);
    const asmb_store_result *r = res_run(loop, x, rc, &d);
    return r ? r->bytes : UINT64_MAX;
}
/* create_directory on "share". */
static inline void mkdir_(asmb_conn *c, res *x, const char *path)
{
    asmb_deferred *d = NULL;
    int rc = asmb_create_directory(c, "share", path, NULL, &d);
    res_run(loop, x, rc, &d);
}
/* delete_directory on "share". */
static inline void rmdir_(asmb_conn *c, res *x, const char *path)
{
    asmb_deferred *d = NULL;
    int rc = asmb_delete_directory(c, "share", path, NULL, &d);
    res_run(loop, x, rc, &d);
}
/* rename on "share". */
static inline void rename_(asmb_conn *c, res *x, const char *from, const char *to, int flags)
{
    asmb_deferred *d = NULL;
    int rc = asmb_rename(c, "share", from, to, flags, NULL, &d);
    res_run(loop, x, rc, &d);
}
/* delete_files on "share": how many entries went, or UINT64_MAX when it failed. */
static inline uint64_t del(asmb_conn *c, res *x, const char *pattern, int folders)
{
    asmb_deferred *d = NULL;
    int rc = asmb_delete_files(c, "share", pattern, folders ? ASMB_DELETE_FOLDERS : 0, NULL, &d);
    const asmb_delete_result *n = res_run(loop, x, rc, &d);
    return n ? n->count : UINT64_MAX;
}

/* The entry called name in l, or NULL. */
static inline const asmb_file_info *find(const asmb_file_list *l, const char *name)
{
    for (size_t i = 0; l && i < l->count; i++)
        if (strcmp(l->entries[i].filename, name) == 0) return &l->entries[i];
    return NULL;
}
/* The list holds exactly these names (each once), nothing else. */
static inline int exactly(const asmb_file_list *l, const char *const *names, size_t n)
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
static inline int exists(asmb_conn *c, const char *path)
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

/* ---- what the tests check ---- */

/* Retrieves path from offset (at most max bytes): want_len bytes equal to
 * want, in a file of file_size bytes. */
static inline void check_get(asmb_conn *c, const char *path, uint64_t offset, int64_t max,
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
/* The whole of path is want (n bytes). */
static inline void expect_content(asmb_conn *c, const char *path, const uint8_t *want, size_t n)
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

/* ---- fixture ---- */

/* Writes the fixture below share_dir (0, or -1 said on stderr). */
static inline int make_fixture(void)
{
    if (share_init()) return -1;
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

/* The program: the fixture; before (when set: more of it, or what must run
 * before the main connection exists; 0 or -1); the wanted sections on one
 * connection; after (when set) once that connection is freed. */
static inline int files_main(int argc, char **argv, const section *s, size_t n,
                             int (*before)(int, char **), void (*after)(int, char **))
{
    setvbuf(stdout, NULL, _IONBF, 0);
    loop = uv_default_loop();
    quick = getenv("ASMB_TEST_QUICK") && *getenv("ASMB_TEST_QUICK");
    int fixture_ok = make_fixture() == 0 && (!before || before(argc, argv) == 0);
    CHECK(fixture_ok);
    if (fixture_ok) {
        conn_events e;
        asmb_conn *c = t_connect_at(loop, ASMB_SMB2_02, ASMB_SMB3_11, &e);
        if (e.auth_ok) run_sections(s, n, c, argc, argv, 12);
        t_free(loop, c);
        if (after) after(argc, argv);
    }
    free(r1);
    free(r2);
    free(r3);
    CHECK_EQ_INT(uv_loop_close(loop), 0); /* every handle closed: nothing leaked on the loop */
    TEST_DONE();
}
#endif
