/* asmb_bench: throughput and latency measurements on the public async API,
 * one connection, one libuv loop.
 *
 *   asmb_bench [options] get FILE            retrieve FILE into a sink that discards
 *   asmb_bench [options] put SIZE FILE       store SIZE bytes (K/M/G suffixes, 1024-based)
 *                                            from a generating source
 *   asmb_bench [options] small N SIZE DIR    N files of SIZE bytes in DIR: store all at
 *                                            once, list DIR, retrieve all at once,
 *                                            delete_files "DIR/" "*"; each phase timed
 *   asmb_bench [options] attrs N FILE        N get_attributes, --inflight at a time
 *
 * options: --host H (127.0.0.1) --port N ($ASMB_TEST_PORT) --user U --pass P
 *          --share S (share) --dialect 2.02|2.10|3.00|3.02|3.11 (pins min and max)
 *          --signing off|auto|required --encryption off|auto|required
 *          --cipher aes-128-gcm|aes-128-ccm|aes-256-gcm|aes-256-ccm (only that one)
 *          --io-size N --window N --credits N --inflight N (attrs; 64)
 *          --timeout-ms N (per operation; 600000) --prefix STR (prepended to phase names)
 *
 * Output, one line per measurement on stdout:
 *   phase seconds user_cpu sys_cpu bytes
 * seconds: wall time of the phase (connection setup excluded); user_cpu, sys_cpu:
 * getrusage(RUSAGE_SELF) deltas over the phase; bytes: payload moved (0 for
 * phases that move none: list, delete, attrs). Phases: get, put, small_store,
 * small_list, small_retrieve, small_delete, attrs. What was negotiated goes to
 * stderr as a line starting with '#'. Exit status 0 only when every operation
 * succeeded (and moved/listed/deleted what it should).
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/time.h>

#include <asmb/asmb.h>

/* ---- measurement ---------------------------------------------------------- */

typedef struct meter {
    const char *name;
    uint64_t t0;
    struct rusage ru0;
} meter;

static const char *g_prefix = "";

static double tv_sec(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void meter_start(meter *m, const char *name)
{
    m->name = name;
    getrusage(RUSAGE_SELF, &m->ru0);
    m->t0 = uv_hrtime();
}

static void meter_stop(const meter *m, uint64_t bytes)
{
    uint64_t t1 = uv_hrtime();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%s%s %.6f %.6f %.6f %" PRIu64 "\n", g_prefix, m->name, (double)(t1 - m->t0) / 1e9,
           tv_sec(ru.ru_utime) - tv_sec(m->ru0.ru_utime),
           tv_sec(ru.ru_stime) - tv_sec(m->ru0.ru_stime), bytes);
    fflush(stdout);
}

/* ---- sources and sinks ---------------------------------------------------- */

/* Generates `left` bytes: each call fills the buffer once with one byte value
 * (memset: about the cheapest way to produce fresh data). */
typedef struct gen {
    uint64_t left;
    uint8_t pattern;
} gen;

static long gen_read(void *arg, void *buf, size_t len)
{
    gen *g = arg;
    size_t n = g->left < len ? (size_t)g->left : len;
    if (n) memset(buf, g->pattern++, n);
    g->left -= n;
    return (long)n;
}

/* Discards; only counts. */
static int discard_write(void *arg, const void *data, size_t len)
{
    (void)data;
    *(uint64_t *)arg += len;
    return 0;
}

/* ---- state ------------------------------------------------------------------- */

enum { M_GET, M_PUT, M_SMALL, M_ATTRS };

typedef struct bench {
    uv_loop_t *loop;
    asmb_conn *conn;
    const char *share;
    unsigned timeout_ms;
    int mode;
    int rc;
    int closing;
    meter m;
    /* get / put */
    const char *file;
    uint64_t size;
    gen g;
    uint64_t got;
    /* small */
    unsigned n;
    const char *dir;
    char **names;
    gen *gens;
    uint64_t *counts;
    unsigned pending;
    uint64_t moved;
    int step;
    /* attrs */
    unsigned inflight, issued, completed;
} bench;

static asmb_opts g_opts;

static void finish(bench *b)
{
    if (b->closing) return;
    b->closing = 1;
    asmb_conn_close(b->conn);
}

static void fail(bench *b, const char *what, const char *msg)
{
    fprintf(stderr, "asmb_bench: %s: %s\n", what, msg);
    b->rc = 1;
    finish(b);
}

static void on_error(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)d;
    bench *b = arg;
    char msg[512];
    snprintf(msg, sizeof msg, "%s (%s)", f->message ? f->message : "?", asmb_err_name(f->code));
    fail(b, "operation failed", msg);
}

/* ---- get / put ------------------------------------------------------------ */

static void get_done(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    bench *b = arg;
    const asmb_retrieve_result *r = result;
    meter_stop(&b->m, r->bytes);
    if (r->bytes != r->info.file_size || b->got != r->bytes) {
        fprintf(stderr, "asmb_bench: get: %" PRIu64 " bytes (sink %" PRIu64 "), file has %" PRIu64
                        "\n", r->bytes, b->got, r->info.file_size);
        b->rc = 1;
    }
    finish(b);
}

static void put_done(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    bench *b = arg;
    const asmb_store_result *r = result;
    meter_stop(&b->m, r->bytes);
    if (r->bytes != b->size) {
        fprintf(stderr, "asmb_bench: put: stored %" PRIu64 " of %" PRIu64 " bytes\n", r->bytes,
                b->size);
        b->rc = 1;
    }
    finish(b);
}

static void start_get(bench *b)
{
    asmb_sink sink = {discard_write, &b->got, -1};
    asmb_deferred *d;
    meter_start(&b->m, "get");
    int rc = asmb_retrieve_file(b->conn, b->share, b->file, &sink, &g_opts, &d);
    if (rc) {
        fail(b, "retrieve_file", asmb_strerror(rc));
        return;
    }
    asmb_deferred_then(d, get_done, on_error, b);
}

static void start_put(bench *b)
{
    b->g.left = b->size;
    asmb_source src = {gen_read, &b->g, -1};
    asmb_deferred *d;
    meter_start(&b->m, "put");
    int rc = asmb_store_file(b->conn, b->share, b->file, &src, &g_opts, &d);
    if (rc) {
        fail(b, "store_file", asmb_strerror(rc));
        return;
    }
    asmb_deferred_then(d, put_done, on_error, b);
}

/* ---- small ------------------------------------------------------------------ */

static void small_step(bench *b);

static void small_next(bench *b)
{
    b->step++;
    small_step(b);
}

static void mkdir_done(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    small_next(arg);
}

static void mkdir_err(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)d;
    if (f->code == ASMB_EFAILURE) { /* most likely there already */
        small_next(arg);
        return;
    }
    on_error(d, f, arg);
}

static void one_stored(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    bench *b = arg;
    b->moved += ((const asmb_store_result *)result)->bytes;
    if (--b->pending) return;
    meter_stop(&b->m, b->moved);
    if (b->moved != (uint64_t)b->n * b->size) {
        fprintf(stderr, "asmb_bench: small_store: %" PRIu64 " bytes stored, expected %" PRIu64
                        "\n", b->moved, (uint64_t)b->n * b->size);
        b->rc = 1;
    }
    small_next(b);
}

static void listed(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    bench *b = arg;
    const asmb_file_list *l = result;
    meter_stop(&b->m, 0);
    size_t files = 0;
    for (size_t i = 0; i < l->count; i++)
        if (!l->entries[i].is_directory) files++;
    if (files != b->n) {
        fprintf(stderr, "asmb_bench: small_list: %zu files listed, expected %u\n", files, b->n);
        b->rc = 1;
    }
    small_next(b);
}

static void one_retrieved(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    bench *b = arg;
    b->moved += ((const asmb_retrieve_result *)result)->bytes;
    if (--b->pending) return;
    meter_stop(&b->m, b->moved);
    if (b->moved != (uint64_t)b->n * b->size) {
        fprintf(stderr, "asmb_bench: small_retrieve: %" PRIu64 " bytes, expected %" PRIu64 "\n",
                b->moved, (uint64_t)b->n * b->size);
        b->rc = 1;
    }
    small_next(b);
}

static void deleted(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    bench *b = arg;
    meter_stop(&b->m, 0);
    uint64_t count = *(const uint64_t *)result;
    if (count != b->n) {
        fprintf(stderr, "asmb_bench: small_delete: %" PRIu64 " deleted, expected %u\n", count,
                b->n);
        b->rc = 1;
    }
    small_next(b);
}

static void rmdir_done(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    finish(arg);
}

static void small_step(bench *b)
{
    if (b->closing) return;
    asmb_deferred *d;
    int rc = 0;
    switch (b->step) {
    case 0: /* setup, untimed */
        if ((rc = asmb_create_directory(b->conn, b->share, b->dir, &g_opts, &d))) break;
        asmb_deferred_then(d, mkdir_done, mkdir_err, b);
        return;
    case 1: /* every store issued at once; the library queues within its credits */
        meter_start(&b->m, "small_store");
        b->pending = b->n;
        b->moved = 0;
        for (unsigned i = 0; i < b->n; i++) {
            b->gens[i].left = b->size;
            b->gens[i].pattern = (uint8_t)i;
            asmb_source src = {gen_read, &b->gens[i], -1};
            if ((rc = asmb_store_file(b->conn, b->share, b->names[i], &src, &g_opts, &d))) break;
            asmb_deferred_then(d, one_stored, on_error, b);
        }
        if (rc) break;
        return;
    case 2:
        meter_start(&b->m, "small_list");
        if ((rc = asmb_list_path(b->conn, b->share, b->dir, ASMB_SEARCH_DEFAULT, NULL, &g_opts,
                                 &d)))
            break;
        asmb_deferred_then(d, listed, on_error, b);
        return;
    case 3:
        meter_start(&b->m, "small_retrieve");
        b->pending = b->n;
        b->moved = 0;
        for (unsigned i = 0; i < b->n; i++) {
            b->counts[i] = 0;
            asmb_sink sink = {discard_write, &b->counts[i], -1};
            if ((rc = asmb_retrieve_file(b->conn, b->share, b->names[i], &sink, &g_opts, &d)))
                break;
            asmb_deferred_then(d, one_retrieved, on_error, b);
        }
        if (rc) break;
        return;
    case 4: {
        char pat[1024];
        snprintf(pat, sizeof pat, "%s/*", b->dir);
        meter_start(&b->m, "small_delete");
        if ((rc = asmb_delete_files(b->conn, b->share, pat, 0, &g_opts, &d))) break;
        asmb_deferred_then(d, deleted, on_error, b);
        return;
    }
    case 5: /* cleanup, untimed */
        if ((rc = asmb_delete_directory(b->conn, b->share, b->dir, &g_opts, &d))) break;
        asmb_deferred_then(d, rmdir_done, on_error, b);
        return;
    default:
        finish(b);
        return;
    }
    fail(b, "small: cannot start an operation", asmb_strerror(rc));
}

/* ---- attrs ------------------------------------------------------------------ */

static void attrs_issue(bench *b);

static void attr_done(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    bench *b = arg;
    b->completed++;
    if (b->completed == b->n) {
        meter_stop(&b->m, 0);
        finish(b);
        return;
    }
    attrs_issue(b);
}

static void attrs_issue(bench *b)
{
    while (!b->closing && b->issued < b->n && b->issued - b->completed < b->inflight) {
        asmb_deferred *d;
        int rc = asmb_get_attributes(b->conn, b->share, b->file, &g_opts, &d);
        if (rc) {
            fail(b, "get_attributes", asmb_strerror(rc));
            return;
        }
        b->issued++;
        asmb_deferred_then(d, attr_done, on_error, b);
    }
}

/* ---- connection ------------------------------------------------------------- */

static void auth_ok(asmb_conn *c, void *arg)
{
    bench *b = arg;
    asmb_conn_info info;
    if (asmb_conn_info_get(c, &info) == 0)
        fprintf(stderr,
                "# dialect %s signing %s cipher %s max_read %" PRIu32 " max_write %" PRIu32 "\n",
                asmb_dialect_name(info.dialect),
                asmb_signing_name(info.signing ? info.signing_algorithm : ASMB_SIGN_NONE),
                asmb_cipher_name(info.cipher), info.max_read_size, info.max_write_size);
    switch (b->mode) {
    case M_GET: start_get(b); break;
    case M_PUT: start_put(b); break;
    case M_SMALL: small_step(b); break;
    case M_ATTRS:
        meter_start(&b->m, "attrs");
        attrs_issue(b);
        break;
    }
}

static void auth_failed(asmb_conn *c, const asmb_failure *f, void *arg)
{
    (void)c;
    bench *b = arg;
    fprintf(stderr, "asmb_bench: authentication failed: %s\n", f->message);
    b->rc = 1;
    b->closing = 1;
}

static void disconnected(asmb_conn *c, const asmb_failure *f, void *arg)
{
    (void)c;
    bench *b = arg;
    if (f->code != ASMB_ECLOSED) {
        fprintf(stderr, "asmb_bench: disconnected: %s\n", f->message);
        b->rc = 1;
    }
    b->closing = 1;
}

/* ---- arguments ---------------------------------------------------------------- */

static void usage(void)
{
    fputs("usage: asmb_bench [options] get FILE | put SIZE FILE | small N SIZE DIR | attrs N FILE\n"
          "options: --host H --port N --user U --pass P --share S --dialect 3.11\n"
          "         --signing off|auto|required --encryption off|auto|required\n"
          "         --cipher aes-128-gcm|aes-128-ccm|aes-256-gcm|aes-256-ccm\n"
          "         --io-size N --window N --credits N --inflight N --timeout-ms N --prefix S\n",
          stderr);
    exit(2);
}

static uint64_t parse_size(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    switch (*end) {
    case 'k': case 'K': v <<= 10; end++; break;
    case 'm': case 'M': v <<= 20; end++; break;
    case 'g': case 'G': v <<= 30; end++; break;
    default: break;
    }
    if (end == s || *end) {
        fprintf(stderr, "asmb_bench: bad size '%s'\n", s);
        exit(2);
    }
    return v;
}

static unsigned parse_uint(const char *s)
{
    uint64_t v = parse_size(s);
    if (v > 0xFFFFFFFFu) {
        fprintf(stderr, "asmb_bench: '%s' too large\n", s);
        exit(2);
    }
    return (unsigned)v;
}

static int parse_level(const char *s)
{
    if (!strcmp(s, "off")) return ASMB_OFF;
    if (!strcmp(s, "auto") || !strcmp(s, "if_supported")) return ASMB_IF_SUPPORTED;
    if (!strcmp(s, "required") || !strcmp(s, "on")) return ASMB_REQUIRED;
    fprintf(stderr, "asmb_bench: '%s': expected off, auto or required\n", s);
    exit(2);
}

static uint16_t parse_dialect(const char *s)
{
    static const struct { const char *n; uint16_t d; } t[] = {
        {"2.02", ASMB_SMB2_02}, {"2.10", ASMB_SMB2_10}, {"3.00", ASMB_SMB3_00},
        {"3.02", ASMB_SMB3_02}, {"3.11", ASMB_SMB3_11}, {"SMB2_02", ASMB_SMB2_02},
        {"SMB2_10", ASMB_SMB2_10}, {"SMB3_00", ASMB_SMB3_00}, {"SMB3_02", ASMB_SMB3_02},
        {"SMB3_11", ASMB_SMB3_11}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(s, t[i].n)) return t[i].d;
    fprintf(stderr, "asmb_bench: unknown dialect '%s'\n", s);
    exit(2);
}

static uint16_t parse_cipher(const char *s)
{
    static const struct { const char *n; uint16_t c; } t[] = {
        {"aes-128-ccm", ASMB_CIPHER_AES_128_CCM}, {"aes-128-gcm", ASMB_CIPHER_AES_128_GCM},
        {"aes-256-ccm", ASMB_CIPHER_AES_256_CCM}, {"aes-256-gcm", ASMB_CIPHER_AES_256_GCM}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcasecmp(s, t[i].n)) return t[i].c;
    fprintf(stderr, "asmb_bench: unknown cipher '%s'\n", s);
    exit(2);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    asmb_config cfg;
    asmb_config_init(&cfg);
    cfg.username = "asmbtest";
    cfg.password = "asmbpass";
    const char *host = "127.0.0.1";
    const char *env_port = getenv("ASMB_TEST_PORT");
    int port = env_port ? atoi(env_port) : 445;
    bench b;
    memset(&b, 0, sizeof b);
    b.share = "share";
    b.inflight = 64;
    b.timeout_ms = 600000;

    enum { O_HOST = 1, O_PORT, O_USER, O_PASS, O_SHARE, O_DIALECT, O_SIGNING, O_ENC, O_CIPHER,
           O_IOSIZE, O_WINDOW, O_CREDITS, O_INFLIGHT, O_TIMEOUT, O_PREFIX };
    static const struct option lo[] = {
        {"host", 1, 0, O_HOST},         {"port", 1, 0, O_PORT},
        {"user", 1, 0, O_USER},         {"pass", 1, 0, O_PASS},
        {"share", 1, 0, O_SHARE},       {"dialect", 1, 0, O_DIALECT},
        {"signing", 1, 0, O_SIGNING},   {"encryption", 1, 0, O_ENC},
        {"cipher", 1, 0, O_CIPHER},     {"io-size", 1, 0, O_IOSIZE},
        {"window", 1, 0, O_WINDOW},     {"credits", 1, 0, O_CREDITS},
        {"inflight", 1, 0, O_INFLIGHT}, {"timeout-ms", 1, 0, O_TIMEOUT},
        {"prefix", 1, 0, O_PREFIX},     {"help", 0, 0, 'h'},
        {0, 0, 0, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (o) {
        case O_HOST: host = optarg; break;
        case O_PORT: port = atoi(optarg); break;
        case O_USER: cfg.username = optarg; break;
        case O_PASS: cfg.password = optarg; break;
        case O_SHARE: b.share = optarg; break;
        case O_DIALECT: cfg.min_dialect = cfg.max_dialect = parse_dialect(optarg); break;
        case O_SIGNING: cfg.signing = parse_level(optarg); break;
        case O_ENC: cfg.encryption = parse_level(optarg); break;
        case O_CIPHER: cfg.ciphers[0] = parse_cipher(optarg); break;
        case O_IOSIZE: cfg.io_size = parse_uint(optarg); break;
        case O_WINDOW: cfg.io_window = parse_uint(optarg); break;
        case O_CREDITS: cfg.credit_target = parse_uint(optarg); break;
        case O_INFLIGHT: b.inflight = parse_uint(optarg); break;
        case O_TIMEOUT: b.timeout_ms = parse_uint(optarg); break;
        case O_PREFIX: g_prefix = optarg; break;
        default: usage();
        }
    }
    char **a = argv + optind;
    int na = argc - optind;
    if (na < 1) usage();
    if (!strcmp(a[0], "get") && na == 2) {
        b.mode = M_GET;
        b.file = a[1];
    } else if (!strcmp(a[0], "put") && na == 3) {
        b.mode = M_PUT;
        b.size = parse_size(a[1]);
        b.file = a[2];
    } else if (!strcmp(a[0], "small") && na == 4) {
        b.mode = M_SMALL;
        b.n = parse_uint(a[1]);
        b.size = parse_size(a[2]);
        b.dir = a[3];
        if (!b.n) usage();
        b.names = calloc(b.n, sizeof *b.names);
        b.gens = calloc(b.n, sizeof *b.gens);
        b.counts = calloc(b.n, sizeof *b.counts);
        if (!b.names || !b.gens || !b.counts) return 1;
        for (unsigned i = 0; i < b.n; i++) {
            size_t len = strlen(b.dir) + 16;
            if (!(b.names[i] = malloc(len))) return 1;
            snprintf(b.names[i], len, "%s/f%06u", b.dir, i);
        }
    } else if (!strcmp(a[0], "attrs") && na == 3) {
        b.mode = M_ATTRS;
        b.n = parse_uint(a[1]);
        b.file = a[2];
        if (!b.n || !b.inflight) usage();
    } else {
        usage();
    }
    cfg.op_timeout_ms = b.timeout_ms;
    g_opts.timeout_ms = b.timeout_ms;

    b.loop = uv_default_loop();
    asmb_handlers h = {auth_ok, auth_failed, disconnected};
    b.conn = asmb_conn_new(b.loop, &cfg, &h, &b);
    if (!b.conn) {
        fprintf(stderr, "asmb_bench: bad configuration\n");
        return 2;
    }
    int rc = asmb_conn_connect(b.conn, host, port);
    if (rc) {
        fprintf(stderr, "asmb_bench: connect: %s\n", asmb_strerror(rc));
        return 1;
    }
    uv_run(b.loop, UV_RUN_DEFAULT);
    asmb_conn_free(b.conn);
    uv_run(b.loop, UV_RUN_DEFAULT);
    uv_loop_close(b.loop);
    if (b.names)
        for (unsigned i = 0; i < b.n; i++) free(b.names[i]);
    free(b.names);
    free(b.gens);
    free(b.counts);
    return b.rc;
}
