/* asmb_conns: connection-scale benchmark - N asmb connections on ONE libuv loop (one thread).
 *
 *   asmb_conns [options] idle N    connect N, wait until every one is authenticated (or has
 *                                  failed), one ECHO on each (all at once), then close all
 *   asmb_conns [options] io N      as idle, then every connection stores SIZE bytes
 *                                  (--size, default 1M) to its own file conns_<i>.bin and
 *                                  retrieves it, all connections at once; the retrieved
 *                                  bytes are compared with what was stored; each file is
 *                                  deleted afterwards (untimed)
 *
 * options: --host H (127.0.0.1) --port N ($ASMB_TEST_PORT) --user U --pass P (default
 *          asmbtest/asmbpass, Samba's test user) --anonymous (no user: anonymous session,
 *          for bench/lightsrv) --share S (share) --signing off|auto|required (auto)
 *          --parallel P (connections being set up at once, default 256: a burst of
 *          thousands of SYNs overflows the listen queue and costs 1 s SYN retransmits)
 *          --size N (io, K/M suffixes) --timeout-ms N (connect, auth and operation
 *          timeouts; default 60000) --deadline-s N (the whole run; default 900)
 *          --hold-s N (keep every connection idle N s after the last one authenticated,
 *          before the echoes: shows whether the server keeps idle sessions)
 *          --tree (each connection also connects to the share before it counts as held:
 *          Samba 4.17 closes an authenticated connection with no tree after ~60 s idle)
 *
 * How to run: against Samba (smbd forks a process per connection, so the server side holds
 * N processes), e.g. with tests/samba/samba.sh start --dir DIR, then
 *   asmb_conns --port PORT idle 1000
 *   asmb_conns --port PORT io 1000
 * against the light server (bench/lightsrv: one thread, epoll, anonymous sessions):
 *   lightsrv & asmb_conns --port PORT --anonymous idle 10000
 * bench/conns.sh does all three (and builds everything).
 *
 * What it measures, printed as "key: value" lines on stdout:
 *   limit           RLIMIT_NOFILE after raising it (to 1048576 when allowed, else the hard
 *                   limit)
 *   held            connections authenticated at the end of the connect phase
 *   auth failures   connections that failed to connect or authenticate, grouped by
 *                   message (the library's failure text) with their counts
 *   connect time    from the first asmb_conn_connect to the last auth outcome
 *   rss/conn        (VmRSS after all authenticated - VmRSS once connection 0 alone had
 *                   authenticated) / (held - 1), from /proc/self/status (a connection
 *                   that fails is freed in its disconnected handler, so mostly the held
 *                   ones count; glibc may keep freed memory, though): connection 0
 *                   goes first, alone, so one-time costs (OpenSSL's and libuv's
 *                   initialisation, the loop) are outside the difference; "after echo"
 *                   repeats it once every connection has done one ECHO
 *   fds/conn        the same difference of the number of entries of /proc/self/fd
 *   echo            ECHOs that succeeded / failed, and the time for all of them
 *   io              connections whose retrieved bytes equal the stored ones (byte-exact),
 *                   mismatches and failures, the time from the first store to the last
 *                   retrieve, and the aggregate rate (2 x N x SIZE / time)
 *   dropped         connections that ended after authenticating, before the close phase
 * Exit status 0 only when every connection authenticated and every operation succeeded.
 */
#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <asmb/asmb.h>

enum { S_NEW, S_CONNECTING, S_READY, S_FAILED, S_GONE };

typedef struct slot {
    asmb_conn *conn;
    unsigned idx;
    int state;
    int io_busy;
    /* io */
    uint64_t gen_off, sink_off, mismatch;
    char name[32];
} slot;

typedef struct group {
    char msg[200];
    unsigned count;
} group;

#define MAX_GROUPS 32

static struct {
    uv_loop_t *loop;
    asmb_config cfg;
    const char *host, *share;
    int port;
    unsigned n, parallel, timeout_ms;
    int io;
    uint64_t size;
    slot *s;
    unsigned started, connecting, ready, failed, dropped, gone;
    unsigned echo_ok, echo_fail, echo_pending;
    unsigned io_pending, io_exact, io_mismatch, io_fail, del_pending;
    group groups[MAX_GROUPS + 1];
    unsigned ngroups;
    int phase; /* 0 warm-up, 1 connecting, 2 echo, 3 io, 4 delete, 5 closing */
    uint64_t t0, t_connected, t_echo0, t_echo1, t_io0, t_io1;
    long rss0, rss_conn, rss_echo, rss_io, rss_start;
    long fd0, fd_conn, fd_echo;
    uv_timer_t deadline, hold;
    unsigned hold_s;
    int tree;
    int deadline_hit;
    int rc;
} g;

/* ---- process measurements ---- */

static long vm_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) {
            v = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

static long fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    long n = 0;
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n - 1; /* the directory's own fd */
}

static void add_failure(const char *msg)
{
    if (!msg) msg = "?";
    for (unsigned i = 0; i < g.ngroups; i++)
        if (!strcmp(g.groups[i].msg, msg)) {
            g.groups[i].count++;
            return;
        }
    group *gr = g.ngroups < MAX_GROUPS ? &g.groups[g.ngroups++] : &g.groups[MAX_GROUPS];
    snprintf(gr->msg, sizeof gr->msg, "%s", gr == &g.groups[MAX_GROUPS] ? "(other messages)" : msg);
    gr->count++;
}

/* ---- data pattern (io) ---- */

static uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Byte off of connection idx's file. */
static void pattern(unsigned idx, uint64_t off, uint8_t *out, size_t len)
{
    uint64_t key = (uint64_t)idx << 40;
    size_t i = 0;
    while (i < len) {
        uint64_t word = mix64(key ^ ((off + i) >> 3));
        for (unsigned b = (unsigned)((off + i) & 7); b < 8 && i < len; b++, i++)
            out[i] = (uint8_t)(word >> (8 * b));
    }
}

static long gen_read(void *arg, void *buf, size_t len)
{
    slot *s = arg;
    uint64_t left = g.size - s->gen_off;
    size_t n = left < len ? (size_t)left : len;
    pattern(s->idx, s->gen_off, buf, n);
    s->gen_off += n;
    return (long)n;
}

static int check_write(void *arg, const void *data, size_t len)
{
    slot *s = arg;
    uint8_t tmp[4096];
    const uint8_t *d = data;
    for (size_t done = 0; done < len;) {
        size_t k = len - done < sizeof tmp ? len - done : sizeof tmp;
        pattern(s->idx, s->sink_off + done, tmp, k);
        if (memcmp(tmp, d + done, k)) s->mismatch++;
        done += k;
    }
    s->sink_off += len;
    return 0;
}

/* ---- phases ---- */

static void launch(void);
static void start_echo(void);
static void start_io(void);
static void start_close(void);

static void report(void);
static void start_echo(void);

static void on_hold(uv_timer_t *t)
{
    uv_close((uv_handle_t *)t, NULL);
    if (g.phase == 1) start_echo();
}

static void maybe_connected(void)
{
    if (g.phase != 1 || g.ready + g.failed < g.n) return;
    g.t_connected = uv_hrtime();
    g.rss_conn = vm_rss_kib();
    g.fd_conn = fd_count();
    if (g.hold_s) {
        uv_timer_start(&g.hold, on_hold, (uint64_t)g.hold_s * 1000, 0);
        return;
    }
    start_echo();
}

static void on_auth_ok2(slot *s);

static void tree_ok(asmb_deferred *d, const void *r, void *arg)
{
    (void)d;
    (void)r;
    on_auth_ok2(arg);
}

static void tree_err(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)d;
    slot *s = arg;
    asmb_conn_close(s->conn); /* disconnected counts it as failed */
    (void)f;
}

static void on_auth_ok(asmb_conn *c, void *arg)
{
    slot *s = arg;
    asmb_deferred *d;
    if (g.tree && !asmb_tree_connect(c, g.share, NULL, &d)) {
        asmb_deferred_then(d, tree_ok, tree_err, s);
        return;
    }
    on_auth_ok2(s);
}

static void on_auth_ok2(slot *s)
{
    s->state = S_READY;
    g.connecting--;
    g.ready++;
    if (g.phase == 0) { /* connection 0, alone: the baseline */
        g.rss0 = vm_rss_kib();
        g.fd0 = fd_count();
        g.phase = 1;
    }
    launch();
}

static void conn_failed(slot *s, const char *msg)
{
    s->state = S_FAILED;
    g.connecting--;
    g.failed++;
    add_failure(msg);
    if (g.phase == 0) {
        g.rss0 = vm_rss_kib();
        g.fd0 = fd_count();
        g.phase = 1;
    }
    launch();
}

static void on_auth_failed(asmb_conn *c, const asmb_failure *f, void *arg)
{
    (void)c;
    slot *s = arg;
    if (s->state == S_CONNECTING) conn_failed(s, f->message);
}

static void on_disconnected(asmb_conn *c, const asmb_failure *f, void *arg)
{
    (void)c;
    slot *s = arg;
    if (s->state == S_CONNECTING) conn_failed(s, f->message);
    if (s->state == S_READY && g.phase < 5) {
        g.dropped++;
        add_failure(f->message);
    }
    s->state = S_GONE;
    g.gone++;
    /* free it now: a failed connection's memory must not count as a held one's */
    asmb_conn_free(c);
    s->conn = NULL;
    if (g.phase == 5 && g.gone == g.started) uv_close((uv_handle_t *)&g.deadline, NULL);
}

static void launch(void)
{
    unsigned cap = g.phase == 0 ? 1 : g.parallel;
    while (g.started < g.n && g.connecting < cap) {
        slot *s = &g.s[g.started++];
        asmb_handlers h = {on_auth_ok, on_auth_failed, on_disconnected};
        s->idx = (unsigned)(s - g.s);
        s->conn = asmb_conn_new(g.loop, &g.cfg, &h, s);
        int rc = s->conn ? asmb_conn_connect(s->conn, g.host, g.port) : ASMB_ENOMEM;
        if (rc) { /* nothing will fire for it */
            char m[120];
            snprintf(m, sizeof m, "asmb_conn_new/connect: %s", asmb_strerror(rc));
            s->state = S_GONE;
            g.gone++;
            g.failed++;
            add_failure(m);
            if (g.phase == 0) {
                g.rss0 = vm_rss_kib();
                g.fd0 = fd_count();
                g.phase = 1;
                cap = g.parallel;
            }
            continue;
        }
        s->state = S_CONNECTING;
        g.connecting++;
    }
    maybe_connected();
}

static void echo_done(asmb_deferred *d, const void *r, void *arg)
{
    (void)d;
    (void)r;
    (void)arg;
    g.echo_ok++;
    if (--g.echo_pending == 0) {
        g.t_echo1 = uv_hrtime();
        g.rss_echo = vm_rss_kib();
        g.fd_echo = fd_count();
        g.io ? start_io() : start_close();
    }
}

static void echo_err(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)d;
    (void)arg;
    g.echo_fail++;
    add_failure(f->message);
    if (--g.echo_pending == 0) {
        g.t_echo1 = uv_hrtime();
        g.rss_echo = vm_rss_kib();
        g.fd_echo = fd_count();
        g.io ? start_io() : start_close();
    }
}

static void start_echo(void)
{
    g.phase = 2;
    g.t_echo0 = uv_hrtime();
    g.echo_pending = 1; /* held until every echo is issued */
    for (unsigned i = 0; i < g.n; i++) {
        asmb_deferred *d;
        if (g.s[i].state != S_READY) continue;
        if (asmb_echo(g.s[i].conn, NULL, &d)) {
            g.echo_fail++;
            continue;
        }
        g.echo_pending++;
        asmb_deferred_then(d, echo_done, echo_err, &g.s[i]);
    }
    echo_done(NULL, NULL, NULL);
    g.echo_ok--; /* the hold was not an echo */
}

/* io: store, then retrieve, then delete (untimed) */

static void deleted(asmb_deferred *d, const void *r, void *arg)
{
    (void)d;
    (void)r;
    (void)arg;
    if (--g.del_pending == 0) start_close();
}

static void delete_err(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)f;
    deleted(d, NULL, arg);
}

static void io_finished_one(void)
{
    if (--g.io_pending) return;
    g.t_io1 = uv_hrtime();
    g.rss_io = vm_rss_kib();
    g.phase = 4;
    g.del_pending = 1; /* held until every DELETE is issued */
    for (unsigned i = 0; i < g.n; i++) {
        slot *s = &g.s[i];
        asmb_deferred *d;
        if (s->state != S_READY || !s->io_busy) continue;
        if (asmb_delete_files(s->conn, g.share, s->name, 0, NULL, &d)) continue;
        g.del_pending++;
        asmb_deferred_then(d, deleted, delete_err, s);
    }
    deleted(NULL, NULL, NULL);
}

static void retrieved(asmb_deferred *d, const void *r, void *arg)
{
    (void)d;
    slot *s = arg;
    const asmb_retrieve_result *res = r;
    if (res->bytes == g.size && s->sink_off == g.size && !s->mismatch) g.io_exact++;
    else g.io_mismatch++;
    io_finished_one();
}

static void io_err(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)d;
    (void)arg;
    g.io_fail++;
    add_failure(f->message);
    io_finished_one();
}

static void stored(asmb_deferred *d, const void *r, void *arg)
{
    (void)d;
    slot *s = arg;
    const asmb_store_result *res = r;
    if (res->bytes != g.size) {
        g.io_mismatch++;
        io_finished_one();
        return;
    }
    asmb_sink sink = {check_write, s, -1};
    asmb_deferred *rd;
    if (asmb_retrieve_file(s->conn, g.share, s->name, &sink, NULL, &rd)) {
        g.io_fail++;
        add_failure("retrieve_file refused at once");
        io_finished_one();
        return;
    }
    asmb_deferred_then(rd, retrieved, io_err, s);
}

static void start_io(void)
{
    g.phase = 3;
    g.t_io0 = uv_hrtime();
    g.io_pending = 1;
    for (unsigned i = 0; i < g.n; i++) {
        slot *s = &g.s[i];
        asmb_deferred *d;
        if (s->state != S_READY) continue;
        snprintf(s->name, sizeof s->name, "conns_%05u.bin", i);
        asmb_source src = {gen_read, s, -1};
        if (asmb_store_file(s->conn, g.share, s->name, &src, NULL, &d)) {
            g.io_fail++;
            continue;
        }
        s->io_busy = 1;
        g.io_pending++;
        asmb_deferred_then(d, stored, io_err, s);
    }
    io_finished_one();
}

static void start_close(void)
{
    g.phase = 5;
    for (unsigned i = 0; i < g.started; i++)
        if (g.s[i].state == S_READY || g.s[i].state == S_CONNECTING) asmb_conn_close(g.s[i].conn);
    if (!uv_is_closing((uv_handle_t *)&g.hold)) uv_close((uv_handle_t *)&g.hold, NULL);
    if (g.gone == g.started && !uv_is_closing((uv_handle_t *)&g.deadline))
        uv_close((uv_handle_t *)&g.deadline, NULL);
}

static void on_deadline(uv_timer_t *t)
{
    (void)t;
    g.deadline_hit = 1;
    fprintf(stderr, "asmb_conns: deadline hit in phase %d; closing everything\n", g.phase);
    start_close();
}

/* ---- report ---- */

static double secs(uint64_t a, uint64_t b) { return b > a ? (double)(b - a) / 1e9 : 0; }

static void report(void)
{
    unsigned held = g.ready;
    printf("connections: %u requested, %u held (authenticated), %u failed, parallel %u\n", g.n,
           held, g.failed, g.parallel);
    printf("connect time: %.3f s (all %u outcomes)\n", secs(g.t0, g.t_connected), g.ready + g.failed);
    if (g.ngroups) {
        printf("failures by message:\n");
        for (unsigned i = 0; i <= MAX_GROUPS; i++)
            if (g.groups[i].count) printf("  %6u  %s\n", g.groups[i].count, g.groups[i].msg);
    }
    double k = held > 1 ? (double)(held - 1) : 1;
    printf("rss: %ld KiB at start, %ld KiB with connection 0, %ld KiB with all, %ld KiB after "
           "echo\n", g.rss_start, g.rss0, g.rss_conn, g.rss_echo);
    printf("rss/conn: %.1f KiB (all authenticated), %.1f KiB (after echo)\n",
           (double)(g.rss_conn - g.rss0) / k, (double)(g.rss_echo - g.rss0) / k);
    printf("fds/conn: %.3f (%ld fds with connection 0, %ld with all, %ld after echo)\n",
           (double)(g.fd_conn - g.fd0) / k, g.fd0, g.fd_conn, g.fd_echo);
    printf("echo: %u ok, %u failed, %.3f s for all\n", g.echo_ok, g.echo_fail,
           secs(g.t_echo0, g.t_echo1));
    if (g.io) {
        double t = secs(g.t_io0, g.t_io1);
        printf("io: %" PRIu64 " bytes per connection; %u byte-exact, %u mismatched, %u failed; "
               "%.3f s store+retrieve; %.1f MB/s aggregate; rss %ld KiB after\n", g.size,
               g.io_exact, g.io_mismatch, g.io_fail, t,
               t > 0 ? 2.0 * (double)g.io_exact * (double)g.size / t / 1e6 : 0, g.rss_io);
    }
    printf("dropped after auth: %u%s\n", g.dropped, g.deadline_hit ? " (deadline hit)" : "");
    fflush(stdout);
}

static uint64_t parse_size(const char *a)
{
    char *e;
    uint64_t v = strtoull(a, &e, 10);
    if (*e == 'k' || *e == 'K') v <<= 10, e++;
    else if (*e == 'm' || *e == 'M') v <<= 20, e++;
    if (*e || e == a) {
        fprintf(stderr, "asmb_conns: bad number '%s'\n", a);
        exit(2);
    }
    return v;
}

static void usage(void)
{
    fputs("usage: asmb_conns [--host H] [--port N] [--user U --pass P | --anonymous] [--share S]\n"
          "                  [--signing off|auto|required] [--parallel P] [--size N]\n"
          "                  [--timeout-ms N] [--deadline-s N] [--hold-s N] idle|io N\n", stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl, want = {1048576, 1048576};
    if (setrlimit(RLIMIT_NOFILE, &want) && !getrlimit(RLIMIT_NOFILE, &rl)) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    getrlimit(RLIMIT_NOFILE, &rl);
    g.rss_start = vm_rss_kib();
    asmb_config_init(&g.cfg);
    g.cfg.username = "asmbtest";
    g.cfg.password = "asmbpass";
    g.host = "127.0.0.1";
    g.share = "share";
    const char *ep = getenv("ASMB_TEST_PORT");
    g.port = ep ? atoi(ep) : 445;
    g.parallel = 256;
    g.timeout_ms = 60000;
    g.size = 1 << 20;
    unsigned deadline_s = 900;
    enum { O_HOST = 1, O_PORT, O_USER, O_PASS, O_ANON, O_SHARE, O_SIGNING, O_PAR, O_SIZE,
           O_TIMEOUT, O_DEADLINE, O_HOLD, O_TREE };
    static const struct option lo[] = {
        {"host", 1, 0, O_HOST}, {"port", 1, 0, O_PORT}, {"user", 1, 0, O_USER},
        {"pass", 1, 0, O_PASS}, {"anonymous", 0, 0, O_ANON}, {"share", 1, 0, O_SHARE},
        {"signing", 1, 0, O_SIGNING}, {"parallel", 1, 0, O_PAR}, {"size", 1, 0, O_SIZE},
        {"timeout-ms", 1, 0, O_TIMEOUT}, {"deadline-s", 1, 0, O_DEADLINE}, {"hold-s", 1, 0, O_HOLD}, {"tree", 0, 0, O_TREE}, {0, 0, 0, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (o) {
        case O_HOST: g.host = optarg; break;
        case O_PORT: g.port = atoi(optarg); break;
        case O_USER: g.cfg.username = optarg; break;
        case O_PASS: g.cfg.password = optarg; break;
        case O_ANON: g.cfg.username = NULL; g.cfg.password = NULL; break;
        case O_SHARE: g.share = optarg; break;
        case O_SIGNING:
            g.cfg.signing = !strcmp(optarg, "off") ? ASMB_OFF
                          : !strcmp(optarg, "required") ? ASMB_REQUIRED : ASMB_IF_SUPPORTED;
            break;
        case O_PAR: g.parallel = (unsigned)parse_size(optarg); break;
        case O_SIZE: g.size = parse_size(optarg); break;
        case O_TIMEOUT: g.timeout_ms = (unsigned)parse_size(optarg); break;
        case O_DEADLINE: deadline_s = (unsigned)parse_size(optarg); break;
        case O_HOLD: g.hold_s = (unsigned)parse_size(optarg); break;
        case O_TREE: g.tree = 1; break;
        default: usage();
        }
    }
    if (argc - optind != 2) usage();
    if (!strcmp(argv[optind], "io")) g.io = 1;
    else if (strcmp(argv[optind], "idle")) usage();
    g.n = (unsigned)parse_size(argv[optind + 1]);
    if (!g.n || g.n > 1000000 || !g.parallel || !deadline_s) usage();
    g.cfg.connect_timeout_ms = g.cfg.auth_timeout_ms = g.cfg.op_timeout_ms = g.timeout_ms;
    printf("asmb_conns: %s %u against %s:%d (%s), RLIMIT_NOFILE %llu, %s\n", g.io ? "io" : "idle",
           g.n, g.host, g.port, g.cfg.username ? g.cfg.username : "anonymous",
           (unsigned long long)rl.rlim_cur, asmb_version());
    if (rl.rlim_cur < (rlim_t)g.n + 64)
        printf("warning: RLIMIT_NOFILE %llu is below N + 64\n", (unsigned long long)rl.rlim_cur);
    fflush(stdout);

    g.s = calloc(g.n, sizeof *g.s);
    if (!g.s) return 1;
    g.loop = uv_default_loop();
    uv_timer_init(g.loop, &g.deadline);
    uv_timer_init(g.loop, &g.hold);
    uv_timer_start(&g.deadline, on_deadline, (uint64_t)deadline_s * 1000, 0);
    g.t0 = uv_hrtime();
    launch();
    uv_run(g.loop, UV_RUN_DEFAULT);
    report();
    for (unsigned i = 0; i < g.started; i++) asmb_conn_free(g.s[i].conn);
    uv_run(g.loop, UV_RUN_DEFAULT);
    uv_loop_close(g.loop);
    free(g.s);
    int ok = g.ready == g.n && !g.echo_fail && !g.dropped && !g.deadline_hit &&
             (!g.io || g.io_exact == g.ready);
    return ok ? 0 : 1;
}
