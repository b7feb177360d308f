/* Allocation failures against a real Samba (started by tests/samba/samba.sh
 * run): a counting allocator (asmb_set_allocator) fails the Nth allocation of
 * the library, for every N along one whole flow: connect, authenticate, store
 * a 300 KiB file and a small one (at once), list their folder, retrieve both
 * (at once) and compare, delete them, close. Every outcome must be clean:
 *  - the flow succeeds (the failure hit a path that recovered), or
 *  - a public call returns ASMB_ENOMEM at once (no deferred, nothing fires), or
 *  - a deferred or handler reports the failure once (ASMB_ENOMEM, or
 *    ASMB_ENOTCONN / ASMB_EPROTO when the connection had to end);
 * and, either way, every deferred fires exactly once, disconnected at most
 * once (exactly once after a successful asmb_conn_connect), the loop ends
 * with no handle left, and no block of the library is still allocated.
 *
 *   test_alloc            every N from 1 to K (the allocations of the flow)
 *   ASMB_TEST_QUICK=1     (valgrind) N = 1..50 and every 13th
 *   ASMB_ALLOC_N=n        only N = n; ASMB_ALLOC_TRACE=1 also prints the
 *                         stack of the failed allocation (under ASan)
 *   ASMB_ALLOC_VARIANT=i  only the i-th configuration (0: defaults)
 *   ASMB_TEST_VERBOSE=1   a line per run */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "itest.h"

/* Under ASan: where the failed allocation came from (debugging aid). */
extern void __sanitizer_print_stack_trace(void) __attribute__((weak));

static uv_loop_t *loop; /* replaced after a run that left handles in it */

/* ---- the counting allocator ---- */

typedef struct counter {
    long n;       /* allocations (malloc and realloc) so far in this run */
    long fail_at; /* the one that returns NULL; 0 = none */
    int sticky;   /* and every one after it too (memory stays exhausted) */
    int hit;      /* it did */
    long live;    /* blocks allocated and not freed */
    int trace;
} counter;
static counter cnt;

static int fail_now(counter *k)
{
    ++k->n;
    if (!k->fail_at || (k->sticky ? k->n < k->fail_at : k->n != k->fail_at)) return 0;
    if (k->hit++) return 1;
    if (k->trace && __sanitizer_print_stack_trace) {
        fprintf(stderr, "allocation %ld fails here:\n", k->n);
        __sanitizer_print_stack_trace();
    }
    return 1;
}
static void *cnt_malloc(size_t n, void *ctx)
{
    counter *k = ctx;
    if (fail_now(k)) return NULL;
    void *p = malloc(n);
    if (p) k->live++;
    return p;
}
static void *cnt_realloc(void *p, size_t n, void *ctx)
{
    return fail_now(ctx) ? NULL : realloc(p, n); /* the block stays one block */
}
static void cnt_free(void *p, void *ctx)
{
    counter *k = ctx;
    k->live--;
    free(p);
}

/* ---- the flow ---- */

#define DIR_NAME "alloc"
#define BIG_PATH DIR_NAME "/big.bin"
#define SMALL_PATH DIR_NAME "/small.txt"
enum { BIG_LEN = 300 * 1024 };
static const char small_data[] = "a small file, stored next to a big one\n";
#define SMALL_LEN (sizeof small_data - 1)
static uint8_t big_data[BIG_LEN];

enum { OP_PUT_BIG, OP_PUT_SMALL, OP_LIST, OP_GET_BIG, OP_GET_SMALL, OP_DEL, NOPS };
static const char *const op_names[NOPS] = {"store big", "store small", "list",
                                           "retrieve big", "retrieve small", "delete"};
/* How a run went wrong, first failure only. */
enum { END_NONE, END_OK, END_NOW, END_CALLBACK };

typedef struct flow flow;
typedef struct op_state {
    flow *fl;
    int idx;
    int issued; /* the call returned 0 */
    int ok, failed, code;
    size_t pos;        /* source read position / bytes received */
    uint8_t *got;      /* retrieve: what the sink received (plain malloc) */
    size_t cap;
} op_state;

struct flow {
    asmb_conn *c;
    int connected; /* asmb_conn_connect returned 0 */
    int auth_ok, auth_failed, disconnected, disc_code, auth_code;
    int ending, freed;
    int end;      /* END_* */
    int end_code; /* the code reported */
    char where[64];
    char bad[160]; /* first contract violation seen inside a callback */
    op_state ops[NOPS];
    int guard_fired;
};

static int code_ok(int code)
{
    return code == ASMB_ENOMEM || code == ASMB_ENOTCONN || code == ASMB_EPROTO;
}

static void violation(flow *fl, const char *what, int code)
{
    if (!fl->bad[0])
        snprintf(fl->bad, sizeof fl->bad, "%s (%s)", what, code ? asmb_err_name(code) : "-");
}

/* The first failure decides the run's class. */
static void failed(flow *fl, int how, int code, const char *where)
{
    if (fl->end != END_NONE) return;
    fl->end = how;
    fl->end_code = code;
    snprintf(fl->where, sizeof fl->where, "%s", where);
    if (!code_ok(code)) violation(fl, where, code);
}

/* Ends the flow: close (disconnected then frees) or free at once. */
static void finish(flow *fl)
{
    if (fl->ending) return;
    fl->ending = 1;
    if (fl->disconnected || !fl->connected) {
        fl->freed = 1;
        asmb_conn_free(fl->c);
    } else {
        asmb_conn_close(fl->c);
    }
}

static long src_read(void *arg, void *buf, size_t len)
{
    op_state *o = arg;
    const uint8_t *data = o->idx == OP_PUT_BIG ? big_data : (const uint8_t *)small_data;
    size_t total = o->idx == OP_PUT_BIG ? BIG_LEN : SMALL_LEN;
    size_t n = total - o->pos < len ? total - o->pos : len;
    memcpy(buf, data + o->pos, n);
    o->pos += n;
    return (long)n;
}

static int sink_write(void *arg, const void *data, size_t len)
{
    op_state *o = arg;
    if (len > o->cap - o->pos) return -1; /* more than was stored: fails the check */
    memcpy(o->got + o->pos, data, len);
    o->pos += len;
    return 0;
}

static void op_cb(asmb_deferred *d, const void *result, void *arg);
static void op_eb(asmb_deferred *d, const asmb_failure *f, void *arg);

/* Starts operation i; a call that fails at once ends the flow. */
static void issue(flow *fl, int i)
{
    if (fl->end != END_NONE) return;
    op_state *o = &fl->ops[i];
    asmb_deferred *d = NULL;
    int rc = ASMB_EINVAL;
    asmb_source src = {src_read, o, -1};
    asmb_sink sink = {sink_write, o, -1};
    switch (i) {
    case OP_PUT_BIG: rc = asmb_store_file(fl->c, "share", BIG_PATH, &src, NULL, &d); break;
    case OP_PUT_SMALL: rc = asmb_store_file(fl->c, "share", SMALL_PATH, &src, NULL, &d); break;
    case OP_LIST:
        rc = asmb_list_path(fl->c, "share", DIR_NAME, ASMB_SEARCH_DEFAULT, "*", NULL, &d);
        break;
    case OP_GET_BIG: rc = asmb_retrieve_file(fl->c, "share", BIG_PATH, &sink, NULL, &d); break;
    case OP_GET_SMALL:
        rc = asmb_retrieve_file(fl->c, "share", SMALL_PATH, &sink, NULL, &d);
        break;
    case OP_DEL: rc = asmb_delete_files(fl->c, "share", DIR_NAME "/*", 0, NULL, &d); break;
    }
    if (rc) {
        if (d) violation(fl, "a failed call set its deferred", rc);
        /* ENOTCONN: an earlier call of the same batch ended the connection. */
        if (rc != ASMB_ENOMEM && !(rc == ASMB_ENOTCONN && fl->disconnected))
            violation(fl, op_names[i], rc);
        failed(fl, END_NOW, ASMB_ENOMEM, op_names[i]);
        finish(fl);
        return;
    }
    o->issued = 1;
    int trc = asmb_deferred_then(d, op_cb, op_eb, o);
    if (trc) violation(fl, "asmb_deferred_then", trc); /* the first pair has room */
}

static int list_ok(const asmb_file_list *l)
{
    int big = 0, small = 0, files = 0;
    for (size_t i = 0; i < l->count; i++) {
        const asmb_file_info *e = &l->entries[i];
        if (e->is_directory) continue;
        files++;
        if (!strcmp(e->filename, "big.bin") && e->file_size == BIG_LEN) big++;
        if (!strcmp(e->filename, "small.txt") && e->file_size == SMALL_LEN) small++;
    }
    return big == 1 && small == 1 && files == 2;
}

/* Next step once every operation of the current one succeeded. */
static void advance(flow *fl)
{
    op_state *o = fl->ops;
    if (fl->end != END_NONE) return;
    if (o[OP_DEL].ok) {
        fl->end = END_OK;
        finish(fl);
    } else if (o[OP_GET_BIG].ok && o[OP_GET_SMALL].ok) {
        if (o[OP_GET_BIG].pos != BIG_LEN || memcmp(o[OP_GET_BIG].got, big_data, BIG_LEN) ||
            o[OP_GET_SMALL].pos != SMALL_LEN ||
            memcmp(o[OP_GET_SMALL].got, small_data, SMALL_LEN))
            violation(fl, "retrieved data differ", 0);
        issue(fl, OP_DEL);
    } else if (o[OP_LIST].ok && !o[OP_GET_BIG].issued) {
        issue(fl, OP_GET_BIG);
        issue(fl, OP_GET_SMALL);
    } else if (o[OP_PUT_BIG].ok && o[OP_PUT_SMALL].ok && !o[OP_LIST].issued) {
        issue(fl, OP_LIST);
    }
}

static void op_cb(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    op_state *o = arg;
    flow *fl = o->fl;
    o->ok++;
    switch (o->idx) {
    case OP_PUT_BIG:
    case OP_PUT_SMALL: {
        const asmb_store_result *s = result;
        if (s->bytes != (o->idx == OP_PUT_BIG ? BIG_LEN : SMALL_LEN))
            violation(fl, "stored size", 0);
        break;
    }
    case OP_LIST:
        if (!list_ok(result)) violation(fl, "listing", 0);
        break;
    case OP_DEL:
        if (((const asmb_delete_result *)result)->count != 2) violation(fl, "deleted count", 0);
        break;
    default: break;
    }
    advance(fl);
}

static void op_eb(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)d;
    op_state *o = arg;
    o->failed++;
    o->code = f->code;
    failed(o->fl, END_CALLBACK, f->code, op_names[o->idx]);
    finish(o->fl);
}

static void h_auth_ok(asmb_conn *c, void *arg)
{
    (void)c;
    flow *fl = arg;
    fl->auth_ok++;
    issue(fl, OP_PUT_BIG);
    issue(fl, OP_PUT_SMALL);
}
static void h_auth_failed(asmb_conn *c, const asmb_failure *f, void *arg)
{
    (void)c;
    flow *fl = arg;
    fl->auth_failed++;
    fl->auth_code = f->code;
    failed(fl, END_CALLBACK, f->code, "authentication");
    finish(fl);
}
static void h_disconnected(asmb_conn *c, const asmb_failure *f, void *arg)
{
    (void)c;
    flow *fl = arg;
    fl->disconnected++;
    fl->disc_code = f->code;
    if (!fl->ending) failed(fl, END_CALLBACK, f->code, "disconnected");
    if (fl->disconnected == 1 && !fl->freed) {
        fl->freed = 1;
        asmb_conn_free(fl->c);
    }
}
static const asmb_handlers flow_handlers = {h_auth_ok, h_auth_failed, h_disconnected};

/* A run that does not end in time is a hang: stop the loop. The timer does
 * not keep the loop alive itself (unref'd). */
static void guard_cb(uv_timer_t *h)
{
    flow *fl = h->data;
    fl->guard_fired = 1;
    uv_stop(h->loop);
}

static void count_handle(uv_handle_t *h, void *arg)
{
    (void)h;
    (*(int *)arg)++;
}

typedef struct tally {
    long ran, ok_clean, recovered, now, callback, not_reached, bad;
    long codes[32]; /* failures in a callback, by -code */
} tally;

/* One run with allocation fail_at failing (0: none); returns the number of
 * allocations it made. Records its class in t and checks the contract. */
/* The contract, whatever happened: why[0] == 0 when the run was clean. */
static void judge(const flow *fl, int hung, int handles, char *why, size_t n)
{
    why[0] = 0;
    for (int i = 0; i < NOPS; i++) {
        const op_state *o = &fl->ops[i];
        if (o->issued != o->ok + o->failed) /* a deferred fires once, or never existed */
            snprintf(why, n, "%s: issued %d, fired %d+%d", op_names[i], o->issued, o->ok,
                     o->failed);
    }
    if (why[0]) return;
    if (hung) snprintf(why, n, "hung (last step: %s)", fl->where);
    else if (fl->bad[0]) snprintf(why, n, "%s", fl->bad);
    else if (fl->disconnected > 1) snprintf(why, n, "disconnected %d times", fl->disconnected);
    else if (fl->connected && fl->disconnected != 1) snprintf(why, n, "no disconnected");
    else if (fl->auth_ok + fl->auth_failed > 1) snprintf(why, n, "auth fired twice");
    else if (fl->end == END_NONE) snprintf(why, n, "the flow neither ended nor failed");
    else if (fl->end != END_OK && !cnt.hit)
        snprintf(why, n, "failed with no failure injected: %s %s", fl->where,
                 asmb_err_name(fl->end_code));
    else if (!fl->freed && fl->c) snprintf(why, n, "connection not freed");
    else if (cnt.live != 0) snprintf(why, n, "%ld blocks still allocated", cnt.live);
    else if (handles != 0) snprintf(why, n, "%d libuv handles left", handles);
}

/* The same flow over other paths of the library. */
typedef struct variant {
    const char *name;
    int encrypt;      /* ASMB_REQUIRED: every message sealed */
    unsigned io_size; /* 64 KiB: several READs and WRITEs in flight */
    uint16_t max_dialect;
    int no_compound;
} variant;
static const variant variants[] = {
    {"defaults", ASMB_OFF, 0, 0, 0},
    {"encrypted, 64 KiB I/O", ASMB_REQUIRED, 65536, 0, 0},
    {"SMB 2.0.2, no compounding", ASMB_OFF, 0, ASMB_SMB2_02, 1},
};

static long run_flow(const variant *v, long fail_at, tally *t, int verbose)
{
    static flow fl;
    memset(&fl, 0, sizeof fl);
    for (int i = 0; i < NOPS; i++) {
        fl.ops[i].fl = &fl;
        fl.ops[i].idx = i;
    }
    fl.ops[OP_GET_BIG].cap = BIG_LEN;
    fl.ops[OP_GET_SMALL].cap = SMALL_LEN;
    fl.ops[OP_GET_BIG].got = malloc(BIG_LEN);
    fl.ops[OP_GET_SMALL].got = malloc(SMALL_LEN);
    cnt.n = 0;
    cnt.hit = 0;
    cnt.fail_at = fail_at;

    uv_timer_t guard;
    uv_timer_init(loop, &guard);
    guard.data = &fl;
    uv_timer_start(&guard, guard_cb, 10000, 0);
    uv_unref((uv_handle_t *)&guard);

    asmb_config cfg;
    t_config(&cfg);
    cfg.encryption = v->encrypt;
    cfg.io_size = v->io_size;
    if (v->max_dialect) cfg.min_dialect = cfg.max_dialect = v->max_dialect;
    cfg.no_compound = v->no_compound;
    fl.c = asmb_conn_new(loop, &cfg, &flow_handlers, &fl);
    if (!fl.c) {
        failed(&fl, END_NOW, ASMB_ENOMEM, "asmb_conn_new");
    } else {
        int rc = asmb_conn_connect(fl.c, it_host(), it_port());
        fl.connected = rc == 0;
        if (rc) {
            if (rc != ASMB_ENOMEM) violation(&fl, "asmb_conn_connect", rc);
            failed(&fl, END_NOW, rc, "asmb_conn_connect");
            finish(&fl);
        }
    }
    uv_run(loop, UV_RUN_DEFAULT);
    int hung = fl.guard_fired;
    if (hung) { /* let the connection go, then see whether the rest ends */
        if (!fl.freed && fl.c) asmb_conn_free(fl.c);
        fl.freed = 1;
        uv_timer_start(&guard, guard_cb, 10000, 0);
        uv_run(loop, UV_RUN_DEFAULT);
    }
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(loop, hung ? UV_RUN_NOWAIT : UV_RUN_DEFAULT); /* a hung loop would not return */
    int handles = 0;
    uv_walk(loop, count_handle, &handles);

    char why[256];
    judge(&fl, hung, handles, why, sizeof why);
    int clean = !why[0];
    CHECK(clean);
    if (!clean || verbose)
        fprintf(stderr, "%s%s, N=%ld (of %ld): %s%s; end %d at %s (%s)\n", v->name,
                cnt.sticky ? " (sticky)" : "", fail_at, cnt.n, clean ? "ok" : "NOT CLEAN: ", why,
                fl.end, fl.where, asmb_err_name(fl.end_code));
    t->ran++;
    if (!clean) t->bad++;
    else if (fl.end == END_OK && !fail_at) t->ok_clean++;
    else if (fl.end == END_OK) *(cnt.hit ? &t->recovered : &t->not_reached) += 1;
    else if (fl.end == END_NOW) t->now++;
    else {
        t->callback++;
        if (fl.end_code < 0 && fl.end_code > -32) t->codes[-fl.end_code]++;
    }
    if (cnt.live) cnt.live = 0; /* reported; don't blame the next run */
    if (handles) { /* reported: the next run gets a clean loop (this one is lost) */
        loop = malloc(sizeof *loop);
        uv_loop_init(loop);
    }
    free(fl.ops[OP_GET_BIG].got);
    free(fl.ops[OP_GET_SMALL].got);
    return cnt.n;
}

/* The flow's folder, made once with nothing failing (it may exist). */
static void make_dir(void)
{
    asmb_config cfg;
    t_config(&cfg);
    conn_events e;
    asmb_conn *c = t_connect(loop, &cfg, &e);
    CHECK(c && e.auth_ok == 1);
    if (!c || !e.auth_ok) return;
    asmb_deferred *d;
    res r = {0};
    CHECK_EQ_INT(asmb_create_directory(c, "share", DIR_NAME, NULL, &d), 0);
    asmb_deferred_then(d, res_cb, res_eb, &r);
    run_until(loop, &r.calls, 10000);
    CHECK(r.ok == 1 || r.f.ntstatus == 0xC0000035); /* STATUS_OBJECT_NAME_COLLISION */
    t_free(loop, c);
}

int main(void)
{
    loop = malloc(sizeof *loop);
    uv_loop_init(loop);
    for (size_t i = 0; i < BIG_LEN; i++) big_data[i] = (uint8_t)(i * 2654435761u >> 13);
    cnt.trace = getenv("ASMB_ALLOC_TRACE") != NULL;
    int quick = getenv("ASMB_TEST_QUICK") != NULL;
    const char *only = getenv("ASMB_ALLOC_N");
    int verbose = getenv("ASMB_TEST_VERBOSE") != NULL;

    asmb_allocator bad = {cnt_malloc, NULL, cnt_free, &cnt};
    CHECK_EQ_INT(asmb_set_allocator(&bad), ASMB_EINVAL);
    asmb_allocator a = {cnt_malloc, cnt_realloc, cnt_free, &cnt};
    CHECK_EQ_INT(asmb_set_allocator(&a), 0);
    make_dir();
    CHECK_EQ_INT(cnt.live, 0);

    const char *only_v = getenv("ASMB_ALLOC_VARIANT");
    for (size_t vi = 0; vi < sizeof variants / sizeof variants[0]; vi++) {
        const variant *v = &variants[vi];
        if (only_v && (size_t)atoi(only_v) != vi) continue;
        tally t = {0};
        long k = run_flow(v, 0, &t, 0); /* nothing fails: how many allocations there are */
        long k2 = run_flow(v, 0, &t, 0);
        CHECK_EQ_INT(t.ok_clean, 2);
        CHECK(k > 100);
        long kmax = k > k2 ? k : k2;
        printf("%s: allocations in the flow: %ld (again: %ld)\n", v->name, k, k2);
        /* Allocation N fails; then N and every later one (no memory comes
         * back: ending and cleaning up must not need any). */
        for (cnt.sticky = 0; cnt.sticky < 2; cnt.sticky++) {
            t = (tally){0};
            if (only) {
                run_flow(v, atol(only), &t, 1);
            } else {
                for (long n = 1; n <= kmax; n++)
                    if (!quick || n <= 50 || n % 13 == 0) run_flow(v, n, &t, verbose);
            }
            printf("%s, %s: runs %ld: succeeded %ld (failure recovered %ld, not reached %ld), "
                   "ENOMEM at once %ld, failed in a callback %ld, not clean %ld\n",
                   v->name, cnt.sticky ? "from N on" : "N only", t.ran,
                   t.ok_clean + t.recovered + t.not_reached, t.recovered, t.not_reached, t.now,
                   t.callback, t.bad);
            for (int i = 1; i < 32; i++)
                if (t.codes[i]) printf("  %s: %ld\n", asmb_err_name(-i), t.codes[i]);
            if (!only) CHECK(t.now > 0 && t.callback > 0); /* both kinds were seen */
        }
        cnt.sticky = 0;
    }

    CHECK_EQ_INT(asmb_set_allocator(NULL), 0); /* malloc again: nothing counted */
    long before = cnt.n;
    asmb_conn *c = asmb_conn_new(loop, NULL, NULL, NULL);
    CHECK(c != NULL);
    CHECK_EQ_INT(cnt.n, before);
    asmb_conn_free(c);
    uv_run(loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(uv_loop_close(loop), 0);
    free(loop);
    TEST_DONE();
}
