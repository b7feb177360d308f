/* Transfers against a real Samba (started by tests/samba/samba.sh run), on
 * the fixture test_files uses too (fixture.h): retrieve and store (into and
 * from memory, a file descriptor, a trickling source), store from an offset,
 * many at once, a 5 GiB file, cancel.
 *
 *   test_transfer               every section
 *   test_transfer SECTION...    the fixture, then only those sections:
 *     retrieve store offset concurrency big cancel
 *
 * "cancel" also runs, first and in forked children, cancel / asmb_conn_free
 * from inside sink and source callbacks (a crash there is a failed check).
 * ASMB_TEST_QUICK set (the valgrind stage): the 5 GiB file is skipped
 * (printed "skip") and the concurrent big transfers are smaller. */
#include <sys/wait.h>

#include "fixture.h"

static long trickle_read(void *arg, void *buf, size_t len)
{
    return mem_read(arg, buf, len < 7 ? len : 7);
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
        const asmb_retrieve_result *r = res_run(loop, &x, rc, &d);
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

static void store_cycle(asmb_conn *c, const char *dir, const char *name, const uint8_t *data,
                        size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    res x;
    double t0 = now_s();
    CHECK_EQ_INT(put(c, &x, "share", path, data, n), n);
    CHECK_OK(&x);
    double t1 = now_s();
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
        const asmb_store_result *r = res_run(loop, &x, rc, &d);
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
        const asmb_store_result *r = res_run(loop, &x, rc, &d);
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

/* ---- concurrency ---- */

enum { NCONC = 50 };
static res st[NCONC], rt[NCONC];
static memsrc srcs[NCONC];
static membuf bufs[NCONC];
static uint8_t *data[NCONC];
static size_t len[NCONC];

/* Starts storing data[i] (len[i] bytes) as the path fmt makes of i, i < n; how many started. */
static int start_stores(asmb_conn *c, const char *fmt, int n)
{
    int started = 0;
    for (int i = 0; i < n; i++) {
        srcs[i] = (memsrc){data[i], len[i], 0};
        asmb_source src = {mem_read, &srcs[i], -1};
        char p[128];
        snprintf(p, sizeof p, fmt, i);
        asmb_deferred *d = NULL;
        int rc = asmb_store_file(c, "share", p, &src, NULL, &d);
        res_start(&st[i], rc, &d);
        started += rc == 0;
    }
    return started;
}
/* Waits for those n stores; how many succeeded; *once: each fired once,
 * *bytes_ok: each stored len[i] bytes. */
static int end_stores(int n, unsigned ms, const char *what, int *once, int *bytes_ok)
{
    int ok = 0;
    *once = *bytes_ok = 1;
    for (int i = 0; i < n; i++)
        res_wait(loop, &st[i], ms);
    for (int i = 0; i < n; i++) {
        ok += st[i].ok;
        *once &= st[i].calls == 1;
        const asmb_store_result *r = st[i].ok ? asmb_deferred_result(st[i].d) : NULL;
        *bytes_ok &= r && r->bytes == len[i];
        if (!st[i].ok) fprintf(stderr, "  %s %d: %s\n", what, i, st[i].msg);
        res_free(&st[i]);
    }
    return ok;
}
/* Starts retrieving the path fmt makes of i into bufs[i], i < n. */
static void start_retrieves(asmb_conn *c, const char *fmt, int n)
{
    for (int i = 0; i < n; i++) {
        memset(&bufs[i], 0, sizeof bufs[i]);
        asmb_sink sink = {mem_write, &bufs[i], -1};
        char p[128];
        snprintf(p, sizeof p, fmt, i);
        asmb_deferred *d = NULL;
        int rc = asmb_retrieve_file(c, "share", p, &sink, NULL, &d);
        res_start(&rt[i], rc, &d);
    }
}
/* Waits for those n retrieves; how many succeeded; *equal: how many brought
 * data[i] back. Frees data and bufs. */
static int end_retrieves(int n, unsigned ms, const char *what, int *equal)
{
    int ok = 0;
    *equal = 0;
    for (int i = 0; i < n; i++)
        res_wait(loop, &rt[i], ms);
    for (int i = 0; i < n; i++) {
        ok += rt[i].ok;
        *equal += same_bytes(bufs[i].p, bufs[i].len, data[i], len[i]);
        if (!rt[i].ok) fprintf(stderr, "  %s %d: %s\n", what, i, rt[i].msg);
        res_free(&rt[i]);
        membuf_free(&bufs[i]);
        free(data[i]);
    }
    return ok;
}

static void test_concurrency(asmb_conn *c)
{
    res x;
    mkdir_(c, &x, D_WORK "/conc");
    CHECK_OK(&x);
    res_free(&x);
    for (int i = 0; i < NCONC; i++) {
        len[i] = 1000 + (size_t)i * 7919;
        data[i] = random_bytes(len[i]);
    }
    CHECK_EQ_INT(start_stores(c, D_WORK "/conc/file %02d ü.bin", NCONC), NCONC);
    int once, bytes_ok, equal;
    int ok = end_stores(NCONC, 60000, "store", &once, &bytes_ok);
    CHECK_EQ_INT(ok, NCONC);
    CHECK(once);
    CHECK(bytes_ok);
    start_retrieves(c, D_WORK "/conc/file %02d ü.bin", NCONC);
    ok = end_retrieves(NCONC, 60000, "retrieve", &equal);
    CHECK_EQ_INT(ok, NCONC);
    CHECK_EQ_INT(equal, NCONC);
    CHECK_EQ_INT(del(c, &x, D_WORK "/conc/*", 0), NCONC);
    CHECK_OK(&x);
    res_free(&x);

    /* several multi-megabyte transfers at once (multi-credit requests in parallel) */
    enum { NBIG = 8 };
    size_t big = quick ? (2u << 20) + 333 : (6u << 20) + 333;
    for (int i = 0; i < NBIG; i++) {
        len[i] = big;
        data[i] = random_bytes(big);
    }
    start_stores(c, D_WORK "/conc/big %d.bin", NBIG);
    CHECK_EQ_INT(end_stores(NBIG, 120000, "big store", &once, &bytes_ok), NBIG);
    start_retrieves(c, D_WORK "/conc/big %d.bin", NBIG);
    ok = end_retrieves(NBIG, 120000, "big retrieve", &equal);
    CHECK_EQ_INT(ok, NBIG);
    CHECK_EQ_INT(equal, NBIG);
    CHECK_EQ_INT(del(c, &x, D_WORK "/conc/big*", 0), NBIG);
    res_free(&x);

    /* a fresh connection: twenty operations wait for the same tree connect */
    conn_events e;
    asmb_conn *fresh = t_connect_at(loop, ASMB_SMB2_02, ASMB_SMB3_11, &e);
    if (e.auth_ok) {
        enum { NT = 20 };
        for (int i = 0; i < NT; i++) {
            asmb_deferred *d = NULL;
            int rc = asmb_get_attributes(fresh, "share", i % 2 ? F_R1 : D_ZH, NULL, &d);
            res_start(&st[i], rc, &d);
        }
        ok = 0;
        for (int i = 0; i < NT; i++) {
            const asmb_file_info *fi = res_wait(loop, &st[i], 10000);
            ok += fi && (i % 2 ? fi->file_size == R1_LEN : fi->is_directory == 1);
            res_free(&st[i]);
        }
        CHECK_EQ_INT(ok, NT);
    }
    t_free_side(loop, fresh);
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
    double t0 = now_s();
    int rc = asmb_store_file(c, "share", p, &src, &opts, &d);
    res_start(&x, rc, &d);
    const asmb_store_result *sr = res_wait(loop, &x, 1800000);
    CHECK_OK(&x);
    CHECK(sr && sr->bytes == size);
    res_free(&x);
    double t1 = now_s();
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
    res_start(&x, rc, &d);
    const asmb_retrieve_result *rr = res_wait(loop, &x, 1800000);
    CHECK_OK(&x);
    CHECK(rr && rr->bytes == size);
    CHECK(rr && rr->info.file_size == size);
    CHECK_EQ_INT(chk.pos, size);
    CHECK(chk.mismatch_at == UINT64_MAX);
    if (chk.mismatch_at != UINT64_MAX)
        fprintf(stderr, "  5 GiB: first wrong byte at %llu\n", (unsigned long long)chk.mismatch_at);
    res_free(&x);
    double t2 = now_s();

    /* a slice past 4 GiB */
    pattern_io slice = {(4ull << 30) + 12345, 0, UINT64_MAX, NULL, 0};
    sink.arg = &slice;
    d = NULL;
    rc = asmb_retrieve_file_from_offset(c, "share", p, &sink, (4ull << 30) + 12345, 3000000, NULL,
                                        &d);
    rr = res_run(loop, &x, rc, &d);
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

/* Waits (running the loop) until name is not open on the server; its last count. */
static int wait_closed(const char *name)
{
    int n = -1;
    for (int i = 0; i < 40; i++) {
        t_pause(loop, 50);
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
    res_start(&x, rc, &d);
    res_wait(loop, &x, 20000);
    t_pause(loop, 500); /* anything still arriving */
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
    t_free_side(loop, c);
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
    res_run(loop, &x, rc, &d);
    CHECK_OK(&x);
    CHECK_EQ_INT(spy.bytes, size);
    if (have_status) CHECK(spy.open_seen >= 1);
    res_free(&x);
    if (have_status) CHECK_EQ_INT(wait_closed("cancel big.bin"), 0);

    /* cancel right away */
    memset(&spy, 0, sizeof spy);
    d = NULL;
    rc = asmb_retrieve_file(c, "share", path, &sink, NULL, &d);
    res_start(&x, rc, &d);
    CHECK_EQ_INT(rc ? rc : asmb_deferred_cancel(d), 0);
    CHECK_EQ_INT(x.calls, 0); /* delivered from the loop */
    res_wait(loop, &x, 10000);
    t_pause(loop, 300);
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
    res_start(&x, rc, &d);
    for (int i = 0; i < 2000 && spy.calls == 0 && !x.calls; i++)
        uv_run(loop, UV_RUN_ONCE);
    CHECK(spy.calls >= 1 && x.calls == 0);
    CHECK_EQ_INT(rc ? rc : asmb_deferred_cancel(d), 0);
    int calls_at_cancel = spy.calls;
    res_wait(loop, &x, 10000);
    t_pause(loop, 300);
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
    res_start(&x, rc, &d);
    CHECK_EQ_INT(rc ? rc : asmb_deferred_cancel(d), 0);
    res_wait(loop, &x, 10000);
    CHECK_EQ_INT(x.f.code, ASMB_ECANCELED);
    res_free(&x);
    if (have_status) CHECK_EQ_INT(wait_closed("cancel store.bin"), 0);

    /* a sink that refuses data: ASMB_ELOCAL once, the handle closed */
    memset(&spy, 0, sizeof spy);
    spy.fail = 1;
    d = NULL;
    rc = asmb_retrieve_file(c, "share", path, &sink, NULL, &d);
    res_run(loop, &x, rc, &d);
    t_pause(loop, 100);
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
    res_run(loop, &x, rc, &d);
    t_pause(loop, 100);
    CHECK_EQ_INT(x.calls, 1);
    CHECK_EQ_INT(x.f.code, ASMB_ELOCAL);
    CHECK_EQ_INT(sp.calls, 3);
    res_free(&x);
    if (have_status) CHECK_EQ_INT(wait_closed("failing source.bin"), 0);

    /* cancel right away on a fresh connection (the tree is still connecting) */
    conn_events e;
    asmb_conn *fresh = t_connect_at(loop, ASMB_SMB2_02, ASMB_SMB3_11, &e);
    if (e.auth_ok) {
        memset(&spy, 0, sizeof spy);
        d = NULL;
        rc = asmb_retrieve_file(fresh, "share", path, &sink, NULL, &d);
        res_start(&x, rc, &d);
        CHECK_EQ_INT(rc ? rc : asmb_deferred_cancel(d), 0);
        res_wait(loop, &x, 10000);
        t_pause(loop, 200);
        CHECK_EQ_INT(x.calls, 1);
        CHECK_EQ_INT(x.f.code, ASMB_ECANCELED);
        CHECK_EQ_INT(spy.calls, 0);
        res_free(&x);
        fi = attrs(fresh, &x, "share", F_R1); /* the share works afterwards */
        CHECK_OK(&x);
        res_free(&x);
    }
    t_free_side(loop, fresh);
    CHECK_EQ_INT(del(c, &x, path, 0), 1);
    res_free(&x);
}

/* The cancel file; the callback children when "cancel" is wanted (before the
 * main connection exists, see test_callback_children). */
static int before_sections(int argc, char **argv)
{
    if (make_cancel_file()) return -1;
    if (wanted(argc, argv, "cancel")) {
        int before = t_fail;
        double t0 = now_s();
        test_callback_children();
        printf("%-12s %s (%.1f s)\n", "callbacks", t_fail == before ? "ok" : "FAILED",
               now_s() - t0);
    }
    return 0;
}

/* asmb_opts.progress: monotonic counts of bytes acknowledged (WRITE) or
 * delivered (READ), ending at the size; a cancel from inside it stops the
 * transfer and no call follows. */
typedef struct prog {
    int calls, decreasing, after_cancel, cancel_at_call;
    uint64_t last;
    asmb_deferred *d;
} prog;

static void on_progress(uint64_t done, void *arg)
{
    prog *p = arg;
    if (p->d == NULL && p->cancel_at_call) p->after_cancel++;
    p->calls++;
    p->decreasing += done < p->last;
    p->last = done;
    if (p->cancel_at_call && p->calls == p->cancel_at_call && p->d) {
        asmb_deferred_cancel(p->d);
        p->d = NULL;
    }
}

static void test_progress(asmb_conn *c)
{
    const uint64_t size = 10u << 20; /* several 4 MiB WRITEs and READs */
    const char *path = D_WORK "/progress.bin";
    for (int store = 1; store >= 0; store--) {
        prog p = {0};
        asmb_opts opts = {60000, 0, on_progress, &p};
        pattern_io io = {0, size, UINT64_MAX, NULL, 0};
        asmb_source src = {pattern_read, &io, -1};
        asmb_sink sink = {pattern_check, &io, -1};
        asmb_deferred *d = NULL;
        res x;
        int rc = store ? asmb_store_file(c, "share", path, &src, &opts, &d)
                       : asmb_retrieve_file(c, "share", path, &sink, &opts, &d);
        res_start(&x, rc, &d);
        res_wait(loop, &x, 60000);
        CHECK_OK(&x);
        CHECK(p.calls >= 3);
        CHECK_EQ_INT(p.decreasing, 0);
        CHECK_EQ_INT(p.last, size);
        if (!store) CHECK(io.mismatch_at == UINT64_MAX && io.pos == size);
        res_free(&x);
        free(io.scratch);
    }
    /* Cancel from inside the second call: the errback fires once, no more calls. */
    prog p = {0, 0, 0, 2, 0, NULL};
    asmb_opts opts = {60000, 0, on_progress, &p};
    pattern_io io = {0, size, UINT64_MAX, NULL, 0};
    asmb_source src = {pattern_read, &io, -1};
    asmb_deferred *d = NULL;
    res x;
    int rc = asmb_store_file(c, "share", D_WORK "/progress-cancel.bin", &src, &opts, &d);
    p.d = d;
    res_start(&x, rc, &d);
    res_wait(loop, &x, 60000);
    t_pause(loop, 200);
    CHECK_EQ_INT(x.failed, 1);
    CHECK_EQ_INT(x.f.code, ASMB_ECANCELED);
    CHECK_EQ_INT(p.calls, 2);
    CHECK_EQ_INT(p.after_cancel, 0);
    res_free(&x);
    free(io.scratch);
}

int main(int argc, char **argv)
{
    static const section sections[] = {
        {"retrieve", test_retrieve},       {"store", test_store}, {"offset", test_offset},
        {"concurrency", test_concurrency}, {"big", test_big},     {"cancel", test_cancel},
        {"progress", test_progress},
    };
    return files_main(argc, argv, sections, NELEM(sections), before_sections, NULL);
}
