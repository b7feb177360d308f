/* Load against a real Samba (started by tests/samba/samba.sh run): many
 * operations issued at once on one connection, and the compound small
 * retrieve (CREATE+READ+CLOSE, MS-SMB2 3.2.4.1.4) byte for byte.
 *
 *   echo      10,000 echoes at once: each completes exactly once
 *   small     1,000 stores of 4 KiB (distinct content) at once, 1,000
 *             retrieves at once compared byte for byte, one delete_files
 *             deleting all of them, the folder empty afterwards
 *   memory    10,000 stores of 64 KiB at once: the library's peak live bytes
 *             (counted by an asmb_set_allocator hook) and the process's peak
 *             RSS grow far less than the 640 MiB issued; then all deleted
 *   retrieve  files of 0 .. 4 MiB+1 bytes at many offsets and lengths, on a
 *             default, a no_compound and an SMB 2.0.2 connection; a missing
 *             file, a folder and a refusing sink: the first failing status,
 *             and no handle left open (a deleted file is gone from the disk
 *             at once, which a handle still open would prevent)
 *
 * ASMB_TEST_QUICK set (the valgrind stage): 1,000 echoes, 100 small files,
 * 1,000 stores of 64 KiB; the RSS bound is then printed, not checked (so it
 * is under AddressSanitizer, whose quarantine keeps freed memory). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ihelp.h"
#include "counting.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

#define MIB (1024.0 * 1024.0)

static uv_loop_t *loop;
static int quick;

/* Resets VmHWM to the current RSS (Linux 4.0+); 0 when it worked. */
static int reset_hwm(void)
{
    int fd = open("/proc/self/clear_refs", O_WRONLY);
    if (fd < 0) return -1;
    int rc = write(fd, "5", 1) == 1 ? 0 : -1;
    close(fd);
    return rc;
}

/* Deterministic content: file k's byte j. */
static uint8_t byte_of(unsigned k, uint64_t j)
{
    uint64_t x = (k + 1) * 0x9E3779B97F4A7C15ull ^ (j * 0xBF58476D1CE4E5B9ull);
    x ^= x >> 29;
    return (uint8_t)(x >> 17);
}

/* ---- one operation's outcome ---- */

typedef struct op {
    int ok, failed;
    uint32_t ntstatus;
    int code;
    uint64_t bytes, count;
    char msg[200];
    membuf m; /* retrieve into memory */
    /* store from a generator */
    unsigned k;
    int cheap;
    uint64_t pos, size;
} op;
static unsigned done_ops; /* operations that fired, any way */

static void op_cb(asmb_deferred *d, const void *r, void *arg)
{
    (void)d;
    op *o = arg;
    o->ok++;
    done_ops++;
    (void)r;
}
static void op_eb(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)d;
    op *o = arg;
    o->failed++;
    o->code = f->code;
    o->ntstatus = f->ntstatus;
    snprintf(o->msg, sizeof o->msg, "%s", f->message ? f->message : "");
    done_ops++;
}
static void store_cb(asmb_deferred *d, const void *r, void *arg)
{
    ((op *)arg)->bytes = ((const asmb_store_result *)r)->bytes;
    op_cb(d, r, arg);
}
static void retrieve_cb(asmb_deferred *d, const void *r, void *arg)
{
    const asmb_retrieve_result *rr = r;
    op *o = arg;
    o->bytes = rr->bytes;
    o->count = rr->info.file_size;
    op_cb(d, r, arg);
}
static void delete_cb(asmb_deferred *d, const void *r, void *arg)
{
    ((op *)arg)->count = ((const asmb_delete_result *)r)->count;
    op_cb(d, r, arg);
}

static long gen_read(void *arg, void *buf, size_t n)
{
    op *o = arg;
    uint64_t left = o->size - o->pos;
    if (n > left) n = (size_t)left;
    uint8_t *b = buf;
    if (o->cheap) /* the memory test: distinct, not verified byte by byte */
        memset(b, (int)(o->k + o->pos / 4096), n);
    else
        for (size_t i = 0; i < n; i++) b[i] = byte_of(o->k, o->pos + i);
    o->pos += n;
    return (long)n;
}
/* Runs the loop until done_ops reaches target (or ms pass). */
static int wait_ops(unsigned target, unsigned ms)
{
    double end = now_s() + ms / 1000.0;
    while (done_ops < target && now_s() < end) uv_run(loop, UV_RUN_ONCE);
    return done_ops >= target;
}

static int store_at_once(asmb_conn *c, op *ops, unsigned n, const char *fmt, uint64_t size)
{
    unsigned issued = 0;
    done_ops = 0;
    for (unsigned i = 0; i < n; i++) {
        char name[128];
        snprintf(name, sizeof name, fmt, i);
        ops[i].k = i;
        ops[i].size = size;
        ops[i].cheap = size > 4096;
        asmb_source src = {gen_read, &ops[i], -1};
        asmb_deferred *d;
        if (asmb_store_file(c, "share", name, &src, NULL, &d) == 0) {
            asmb_deferred_then(d, store_cb, op_eb, &ops[i]);
            issued++;
        }
    }
    CHECK_EQ_INT(issued, n);
    return wait_ops(issued, 600000);
}

static uint64_t delete_all(asmb_conn *c, const char *pattern, op *o)
{
    memset(o, 0, sizeof *o);
    done_ops = 0;
    asmb_deferred *d;
    int rc = asmb_delete_files(c, "share", pattern, 0, NULL, &d);
    CHECK_EQ_INT(rc, 0);
    if (rc) return UINT64_MAX;
    asmb_deferred_then(d, delete_cb, op_eb, o);
    wait_ops(1, 600000);
    if (o->failed) fprintf(stderr, "delete_files %s: %s\n", pattern, o->msg);
    return o->ok ? o->count : UINT64_MAX;
}

/* Entries of dir other than "." and "..", or -1. */
static long count_listed(asmb_conn *c, const char *dir)
{
    static long n;
    n = -1;
    asmb_deferred *d;
    if (asmb_list_path(c, "share", dir, ASMB_SEARCH_DEFAULT, NULL, NULL, &d)) return -1;
    asmb_deferred_ref(d);
    op o = {0};
    done_ops = 0;
    asmb_deferred_then(d, op_cb, op_eb, &o);
    wait_ops(1, 60000);
    const asmb_file_list *l = o.ok ? asmb_deferred_result(d) : NULL;
    if (l) {
        n = 0;
        for (size_t i = 0; i < l->count; i++)
            if (strcmp(l->entries[i].filename, ".") && strcmp(l->entries[i].filename, ".."))
                n++;
    }
    asmb_deferred_unref(d);
    return n;
}

/* ---- echo ---- */

static void test_echo(asmb_conn *c)
{
    unsigned n = quick ? 1000 : 10000, issued = 0;
    op *ops = calloc(n, sizeof *ops);
    done_ops = 0;
    for (unsigned i = 0; i < n; i++) {
        asmb_deferred *d;
        if (asmb_echo(c, NULL, &d) == 0) {
            asmb_deferred_then(d, op_cb, op_eb, &ops[i]);
            issued++;
        }
    }
    CHECK_EQ_INT(issued, n);
    CHECK(wait_ops(n, 120000));
    unsigned once = 0, failed = 0;
    for (unsigned i = 0; i < n; i++) {
        once += ops[i].ok == 1 && ops[i].failed == 0;
        failed += ops[i].failed;
    }
    CHECK_EQ_INT(once, n);
    CHECK_EQ_INT(failed, 0);
    CHECK_EQ_INT(done_ops, n); /* nothing fired twice */
    free(ops);
}

/* ---- 1,000 small files ---- */

static void test_small(asmb_conn *c)
{
    unsigned n = quick ? 100 : 1000;
    enum { SIZE = 4096 };
    CHECK_EQ_INT(disk_mkdir("load"), 0);
    op *ops = calloc(n, sizeof *ops);
    CHECK(store_at_once(c, ops, n, "load/f%05u.dat", SIZE));
    unsigned stored = 0;
    for (unsigned i = 0; i < n; i++) stored += ops[i].ok == 1 && ops[i].bytes == SIZE;
    CHECK_EQ_INT(stored, n);

    /* every retrieve at once, each compared byte for byte */
    memset(ops, 0, n * sizeof *ops);
    done_ops = 0;
    for (unsigned i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof name, "load/f%05u.dat", i);
        asmb_sink sink = {mem_write, &ops[i].m, -1};
        asmb_deferred *d;
        if (asmb_retrieve_file(c, "share", name, &sink, NULL, &d) == 0)
            asmb_deferred_then(d, retrieve_cb, op_eb, &ops[i]);
        else
            done_ops++;
    }
    CHECK(wait_ops(n, 600000));
    unsigned same = 0;
    for (unsigned i = 0; i < n; i++) {
        int eq = ops[i].ok == 1 && ops[i].m.len == SIZE && ops[i].bytes == SIZE &&
                 ops[i].count == SIZE;
        for (size_t j = 0; eq && j < SIZE; j++) eq = ops[i].m.p[j] == byte_of(i, j);
        same += eq;
        membuf_free(&ops[i].m);
    }
    CHECK_EQ_INT(same, n);

    /* one delete_files for all of them: concurrent deletions, counted once each */
    op o;
    CHECK_EQ_INT(delete_all(c, "load/*.dat", &o), n);
    CHECK_EQ_INT(count_listed(c, "load"), 0);
    free(ops);
}

/* ---- bounded memory ---- */

static void test_memory(asmb_conn *c)
{
    unsigned n = quick ? 1000 : 10000;
    const uint64_t size = 65536;
    double issued_mib = n * (double)size / MIB;
    CHECK_EQ_INT(disk_mkdir("mem"), 0);
    op *ops = calloc(n, sizeof *ops);
    int hwm_ok = reset_hwm() == 0;
    long rss0 = status_kb("VmRSS:");
    size_t live0 = live_bytes;
    peak_bytes = live_bytes;
    double t0 = now_s();
    CHECK(store_at_once(c, ops, n, "mem/m%05u.dat", size));
    double secs = now_s() - t0;
    long hwm = status_kb("VmHWM:");
    double lib_mib = (double)(peak_bytes - live0) / MIB;
    double rss_mib = hwm_ok ? (double)(hwm - rss0) / 1024.0 : -1;
    unsigned stored = 0;
    for (unsigned i = 0; i < n; i++) stored += ops[i].ok == 1 && ops[i].bytes == size;
    CHECK_EQ_INT(stored, n);
    printf("memory: %u stores of %llu KiB (%.0f MiB) in %.1f s: library peak +%.1f MiB, "
           "process peak RSS +%.1f MiB%s\n",
           n, (unsigned long long)(size / 1024), issued_mib, secs, lib_mib, rss_mib,
           quick || UNDER_ASAN ? " (RSS not checked here)" : "");
    /* What the library holds: a bounded number of operations admitted at
     * once (32, each with its read-ahead: 64 KiB and a 256 KiB probe of
     * the source's end, and its frame), whatever is issued: not the 625
     * MiB (62 MiB in quick mode) that holding every source's data would be. */
    CHECK(lib_mib < 32);
    if (!quick && !UNDER_ASAN && hwm_ok) CHECK(rss_mib < 200);
    op o;
    CHECK_EQ_INT(delete_all(c, "mem/*.dat", &o), n);
    CHECK_EQ_INT(count_listed(c, "mem"), 0);
    free(ops);
}

/* ---- the compound small retrieve ---- */

/* Around the chain's first READ (1 MiB; 64 KiB on SMB 2.0.2) and the I/O
 * chunk (4 MiB): exactly at it, one byte over (a second open for the rest). */
static const uint64_t sizes[] = {0,     1,     4095,    4096,    65535,
                                 65536, 65537, 1048576, 1048577, 4194304 + 1};

typedef struct variant {
    int64_t offset; /* < 0: from the end (size + offset) */
    int64_t max_length;
} variant;
static const variant variants[] = {
    {0, -1}, {0, 0},      {0, 1},     {1, -1},     {-1, -1},    {0, 4096},   {4095, 2},
    {0, 65536}, {65535, -1}, {65536, 65536}, {100, 70000}, {0, -2}, /* -2: exactly the size */
    {-0x7fff, -1}, /* past the end: offset size + 10 (see below) */
};

/* Every size with every variant at once on c; returns the mismatches. */
static unsigned retrieve_matrix(asmb_conn *c, const char *dir, uint8_t **data)
{
    size_t nv = NELEM(variants), n = NELEM(sizes) * nv;
    op *ops = calloc(n, sizeof *ops);
    uint64_t *want_off = calloc(n, sizeof *want_off), *want_len = calloc(n, sizeof *want_len);
    unsigned issued = 0, bad = 0;
    done_ops = 0;
    for (size_t s = 0; s < NELEM(sizes); s++) {
        for (size_t v = 0; v < nv; v++) {
            size_t i = s * nv + v;
            uint64_t size = sizes[s];
            int64_t off = variants[v].offset, max = variants[v].max_length;
            uint64_t o = off == -0x7fff ? size + 10 : off < 0 ? (size >= 1 ? size - 1 : 0)
                                                              : (uint64_t)off;
            if (max == -2) max = (int64_t)size;
            uint64_t avail = o < size ? size - o : 0;
            want_off[i] = o;
            want_len[i] = max < 0 || (uint64_t)max > avail ? avail : (uint64_t)max;
            char name[128];
            snprintf(name, sizeof name, "%s/s%llu.bin", dir, (unsigned long long)size);
            asmb_sink sink = {mem_write, &ops[i].m, -1};
            asmb_deferred *d;
            if (asmb_retrieve_file_from_offset(c, "share", name, &sink, o, max, NULL, &d) == 0) {
                asmb_deferred_then(d, retrieve_cb, op_eb, &ops[i]);
                issued++;
            }
        }
    }
    CHECK_EQ_INT(issued, n);
    CHECK(wait_ops(issued, 300000));
    for (size_t i = 0; i < n; i++) {
        uint64_t size = sizes[i / nv];
        int eq = ops[i].ok == 1 && ops[i].m.len == want_len[i] && ops[i].bytes == want_len[i] &&
                 ops[i].count == size;
        if (eq && want_len[i]) eq = !memcmp(ops[i].m.p, data[i / nv] + want_off[i], want_len[i]);
        if (!eq) {
            bad++;
            fprintf(stderr, "retrieve %s size %llu offset %llu max %lld: ok %d got %zu want %llu %s\n",
                    dir, (unsigned long long)size, (unsigned long long)want_off[i],
                    (long long)variants[i % nv].max_length, ops[i].ok, ops[i].m.len,
                    (unsigned long long)want_len[i], ops[i].msg);
        }
        membuf_free(&ops[i].m);
    }
    free(ops);
    free(want_off);
    free(want_len);
    return bad;
}

/* One retrieve; fills o. */
static void retrieve_one(asmb_conn *c, const char *path, op *o)
{
    memset(o, 0, sizeof *o);
    done_ops = 0;
    asmb_sink sink = {mem_write, &o->m, -1};
    asmb_deferred *d;
    int rc = asmb_retrieve_file(c, "share", path, &sink, NULL, &d);
    CHECK_EQ_INT(rc, 0);
    if (rc) return;
    asmb_deferred_then(d, retrieve_cb, op_eb, o);
    CHECK(wait_ops(1, 60000));
}

static void retrieve_errors(asmb_conn *c)
{
    op o;
    /* missing: the CREATE's status, not the cascaded one of READ or CLOSE */
    retrieve_one(c, "rt/no-such-file.bin", &o);
    CHECK_EQ_INT(o.failed, 1);
    CHECK_EQ_INT(o.ntstatus, 0xC0000034); /* STATUS_OBJECT_NAME_NOT_FOUND */
    CHECK(strstr(o.msg, "STATUS_OBJECT_NAME_NOT_FOUND") != NULL);
    membuf_free(&o.m);
    /* a folder: refused at the CREATE (FILE_NON_DIRECTORY_FILE) */
    retrieve_one(c, "rt", &o);
    CHECK_EQ_INT(o.failed, 1);
    CHECK_EQ_INT(o.ntstatus, 0xC00000BA); /* STATUS_FILE_IS_A_DIRECTORY */
    membuf_free(&o.m);
    /* a sink that refuses the first chunk: ASMB_ELOCAL; the chain's CLOSE
     * still closed the handle (checked below with the others) */
    memset(&o, 0, sizeof o);
    o.m.refuse = 1;
    done_ops = 0;
    asmb_sink sink = {mem_write, &o.m, -1};
    asmb_deferred *d;
    CHECK_EQ_INT(asmb_retrieve_file(c, "share", "rt/s4096.bin", &sink, NULL, &d), 0);
    asmb_deferred_then(d, retrieve_cb, op_eb, &o);
    CHECK(wait_ops(1, 60000));
    CHECK_EQ_INT(o.failed, 1);
    CHECK_EQ_INT(o.code, ASMB_ELOCAL);
    o.m.refuse = 0;
    /* and the connection goes on */
    retrieve_one(c, "rt/s1.bin", &o);
    CHECK(o.ok == 1 && o.m.len == 1);
    membuf_free(&o.m);
}

static void connect_variant(asmb_config *cfg, conn_events *e, asmb_conn **c)
{
    *c = t_connect(loop, cfg, e);
    CHECK(*c && e->auth_ok);
}

static void test_retrieve(asmb_conn *c)
{
    CHECK_EQ_INT(disk_mkdir("rt"), 0);
    uint8_t *data[NELEM(sizes)];
    for (size_t s = 0; s < NELEM(sizes); s++) {
        data[s] = malloc(sizes[s] ? sizes[s] : 1);
        for (uint64_t j = 0; j < sizes[s]; j++) data[s][j] = byte_of((unsigned)s + 7000, j);
        char name[64];
        snprintf(name, sizeof name, "rt/s%llu.bin", (unsigned long long)sizes[s]);
        CHECK_EQ_INT(disk_write(name, data[s], sizes[s]), 0);
    }
    CHECK_EQ_INT(retrieve_matrix(c, "rt", data), 0);
    retrieve_errors(c);

    /* the same without compounding, and over SMB 2.0.2 (64 KiB reads, one credit each) */
    asmb_config cfg;
    conn_events e;
    asmb_conn *c2;
    t_config(&cfg);
    cfg.no_compound = 1;
    connect_variant(&cfg, &e, &c2);
    if (c2 && e.auth_ok) CHECK_EQ_INT(retrieve_matrix(c2, "rt", data), 0);
    if (c2) t_free_side(loop, c2);
    t_config(&cfg);
    cfg.max_dialect = ASMB_SMB2_02;
    connect_variant(&cfg, &e, &c2);
    if (c2 && e.auth_ok) {
        CHECK_EQ_INT(retrieve_matrix(c2, "rt", data), 0);
        retrieve_errors(c2);
    }
    if (c2) t_free_side(loop, c2);

    /* No handle left open by any of them: a file deleted while another
     * handle is open stays on the disk until that one closes. */
    op o;
    CHECK_EQ_INT(delete_all(c, "rt/*.bin", &o), NELEM(sizes));
    unsigned gone = 0;
    for (size_t s = 0; s < NELEM(sizes); s++) {
        char name[64];
        snprintf(name, sizeof name, "rt/s%llu.bin", (unsigned long long)sizes[s]);
        gone += !disk_exists(name);
        free(data[s]);
    }
    CHECK_EQ_INT(gone, NELEM(sizes));
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    quick = getenv("ASMB_TEST_QUICK") && *getenv("ASMB_TEST_QUICK");
    if (share_init()) return 77;
    asmb_allocator counting = counting_allocator;
    CHECK_EQ_INT(asmb_set_allocator(&counting), 0); /* before any connection */
    loop = uv_default_loop();

    asmb_config cfg;
    conn_events e;
    t_config(&cfg);
    asmb_conn *c = t_connect(loop, &cfg, &e);
    CHECK(c && e.auth_ok);
    if (c && e.auth_ok) {
        static const section sections[] = {
            {"echo", test_echo},
            {"small", test_small},
            {"memory", test_memory},
            {"retrieve", test_retrieve},
        };
        run_sections(sections, NELEM(sections), c, argc, argv, 10);
    }
    if (c) t_free(loop, c);
    CHECK_EQ_INT(uv_loop_close(loop), 0);
    CHECK_EQ_INT(live_bytes, 0); /* everything the library allocated came back */
    asmb_set_allocator(NULL);
    TEST_DONE();
}
