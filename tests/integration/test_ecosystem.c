/* Logging and thread rules against the real Samba:
 *  - the log callback: levels filter, trace shows decoded SMB2 headers both
 *    ways, failures are logged with their message, silent by default;
 *  - 8 threads, each with its own loop and signed connection, at once;
 *  - debug builds abort when a connection is used off its thread. */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"

/* ---- logging ---- */

typedef struct logbuf {
    int count[ASMB_LOG_TRACE + 1];
    char text[64 * 1024];
    size_t len;
} logbuf;

static void log_cb(int level, const char *msg, void *arg)
{
    logbuf *b = arg;
    CHECK(level >= ASMB_LOG_ERROR && level <= ASMB_LOG_TRACE);
    CHECK(msg && *msg && !strchr(msg, '\n'));
    if (level < ASMB_LOG_ERROR || level > ASMB_LOG_TRACE) return;
    b->count[level]++;
    int n = snprintf(b->text + b->len, sizeof b->text - b->len, "%s: %s\n",
                     asmb_log_level_name(level), msg);
    if (n > 0 && b->len + (size_t)n < sizeof b->text) b->len += (size_t)n;
}

/* The test's config, logging at level into b (emptied). */
static void log_config(asmb_config *cfg, int level, logbuf *b)
{
    memset(b, 0, sizeof *b);
    t_config(cfg);
    cfg->log_level = level;
    cfg->log = log_cb;
    cfg->log_arg = b;
}

/* Connects, runs one echo and one failing operation, closes. */
static void log_session(int level, logbuf *b)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    asmb_config cfg;
    log_config(&cfg, level, b);
    conn_events e;
    asmb_conn *c = t_connect(&loop, &cfg, &e);
    CHECK_EQ_INT(e.auth_ok, 1);
    outcome echo = {0}, missing = {0};
    asmb_deferred *d;
    if (asmb_echo(c, NULL, &d) == 0) asmb_deferred_then(d, t_cb, t_eb, &echo);
    asmb_sink sk = {NULL, NULL, -1};
    if (asmb_retrieve_file(c, "share", "no/such/file.txt", &sk, NULL, &d) == 0)
        asmb_deferred_then(d, t_cb, t_eb, &missing);
    run_until(&loop, &missing.calls, 5000);
    run_until(&loop, &echo.calls, 5000);
    CHECK_EQ_INT(echo.ok, 1);
    CHECK_EQ_INT(missing.failed, 1);
    asmb_conn_close(c);
    run_until(&loop, &e.disconnected, 5000);
    t_free(&loop, c);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

static void test_log(void)
{
    logbuf *b = calloc(1, sizeof *b);
    log_session(ASMB_LOG_TRACE, b);
    CHECK(strstr(b->text, "info: connecting to ") != NULL);
    CHECK(strstr(b->text, "debug: TCP connection to ") != NULL);
    CHECK(strstr(b->text, "info: authenticated: dialect SMB3_11, signing ") != NULL);
    CHECK(strstr(b->text, "trace: send NEGOTIATE mid=0 ") != NULL);
    CHECK(strstr(b->text, "trace: recv NEGOTIATE mid=0 STATUS_SUCCESS") != NULL);
    CHECK(strstr(b->text, "trace: recv SESSION_SETUP mid=1 STATUS_MORE_PROCESSING_REQUIRED") != NULL);
    CHECK(strstr(b->text, "trace: send ECHO mid=") != NULL);
    CHECK(strstr(b->text, "trace: recv CREATE mid=") != NULL);
    CHECK(strstr(b->text, "debug: share 'share' connected: tree 0x") != NULL);
    CHECK(strstr(b->text, "debug: operation failed: STATUS_OBJECT_PATH_NOT_FOUND") != NULL ||
          strstr(b->text, "debug: operation failed: STATUS_OBJECT_NAME_NOT_FOUND") != NULL);
    CHECK(strstr(b->text, "trace: send LOGOFF") != NULL);
    CHECK(strstr(b->text, "info: connection ended: connection closed by the caller (ASMB_ECLOSED)") != NULL);
    CHECK(b->count[ASMB_LOG_TRACE] >= 10);
    CHECK_EQ_INT(b->count[ASMB_LOG_ERROR], 0);

    log_session(ASMB_LOG_INFO, b); /* the level filters: no debug, no trace */
    CHECK(b->count[ASMB_LOG_INFO] >= 3);
    CHECK_EQ_INT(b->count[ASMB_LOG_DEBUG] + b->count[ASMB_LOG_TRACE], 0);
    log_session(0, b); /* off by default */
    CHECK_EQ_INT(b->len, 0);

    /* A failed connection is an error. */
    uv_loop_t loop;
    uv_loop_init(&loop);
    asmb_config cfg;
    log_config(&cfg, ASMB_LOG_ERROR, b);
    conn_events e;
    memset(&e, 0, sizeof e);
    asmb_conn *c = asmb_conn_new(&loop, &cfg, &test_handlers, &e);
    CHECK_EQ_INT(asmb_conn_connect(c, "no-such-host.invalid", 445), 0);
    run_until(&loop, &e.disconnected, 10000);
    CHECK_EQ_INT(b->count[ASMB_LOG_ERROR], 1);
    CHECK(strstr(b->text, "error: connection ended: cannot resolve 'no-such-host.invalid'") != NULL);
    t_free(&loop, c);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
    CHECK(!strcmp(asmb_log_level_name(ASMB_LOG_WARN), "warn"));
    CHECK(!strcmp(asmb_log_level_name(9), ""));
    free(b);
}

/* ---- threads ---- */

enum { NTHREADS = 8, FILE_SIZE = 1 << 20 };

typedef struct worker {
    int id;
    int ok;            /* everything below held */
    int signing, algo; /* what was negotiated */
    char why[256];
} worker;

/* One thread: its own loop and connection (signing required), 20 echoes,
 * a 1 MiB store and retrieve compared, close. No CHECK here (the counters
 * are not thread-safe): the result goes back in w. */
static void *work(void *arg)
{
    worker *w = arg;
    uv_loop_t loop;
    uv_loop_init(&loop);
    asmb_config cfg;
    t_config(&cfg);
    cfg.signing = ASMB_REQUIRED;
    /* Not t_connect: its guard timer is shared by the whole process. */
    conn_events e;
    memset(&e, 0, sizeof e);
    asmb_conn *c = asmb_conn_new(&loop, &cfg, &test_handlers, &e);
    if (!c || asmb_conn_connect(c, it_host(), it_port())) return NULL;
    while (!(e.auth_ok || e.auth_failed || e.disconnected) && uv_run(&loop, UV_RUN_ONCE)) {
    }
    uint8_t *data = malloc(FILE_SIZE);
    for (size_t i = 0; i < FILE_SIZE; i++) data[i] = (uint8_t)(i * 31 + (size_t)w->id * 7);
    char path[64];
    snprintf(path, sizeof path, "thread-%d.bin", w->id);
    asmb_conn_info info;
    asmb_conn_info_get(c, &info);
    w->signing = info.signing;
    w->algo = info.signing_algorithm;
    outcome echoes[20], st = {0}, rt = {0};
    memset(echoes, 0, sizeof echoes);
    asmb_deferred *d;
    for (int i = 0; i < 20; i++)
        if (asmb_echo(c, NULL, &d) == 0) asmb_deferred_then(d, t_cb, t_eb, &echoes[i]);
    memsrc ms = {data, FILE_SIZE, 0};
    asmb_source src = {mem_read, &ms, -1};
    if (asmb_store_file(c, "share", path, &src, NULL, &d) == 0) asmb_deferred_then(d, t_cb, t_eb, &st);
    while (!st.calls && uv_run(&loop, UV_RUN_ONCE)) {
    }
    membuf mk = {0};
    asmb_sink sk = {mem_write, &mk, -1};
    if (asmb_retrieve_file(c, "share", path, &sk, NULL, &d) == 0) asmb_deferred_then(d, t_cb, t_eb, &rt);
    while (!rt.calls && uv_run(&loop, UV_RUN_ONCE)) {
    }
    int echoes_ok = 1;
    for (int i = 0; i < 20; i++) echoes_ok &= echoes[i].ok == 1 && echoes[i].calls == 1;
    w->ok = e.auth_ok == 1 && echoes_ok && st.ok == 1 && rt.ok == 1 && mk.len == FILE_SIZE &&
            memcmp(data, mk.p, FILE_SIZE) == 0;
    snprintf(w->why, sizeof w->why, "auth %d echoes %d store %d/%s retrieve %d/%s len %zu",
             e.auth_ok, echoes_ok, st.ok, st.msg, rt.ok, rt.msg, mk.len);
    asmb_conn_close(c);
    asmb_conn_free(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop)) w->ok = 0;
    free(data);
    membuf_free(&mk);
    return NULL;
}

static void test_threads(void)
{
    pthread_t th[NTHREADS];
    worker w[NTHREADS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < NTHREADS; i++) {
        w[i].id = i;
        CHECK_EQ_INT(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < NTHREADS; i++) {
        CHECK(w[i].ok);
        if (!w[i].ok) fprintf(stderr, "thread %d: %s\n", i, w[i].why);
        CHECK_EQ_INT(w[i].signing, 1);
        CHECK_EQ_INT(w[i].algo, ASMB_SIGN_AES_GMAC); /* 3.1.1 against Samba 4.17 */
    }
}

#ifndef NDEBUG
/* A debug build aborts, naming the rule, when another thread touches a
 * connection; the child process shows it (the parent checks how it died). */
static void *offender(void *arg)
{
    asmb_conn_close(arg);
    return NULL;
}

static void test_thread_check(void)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        uv_loop_t loop;
        uv_loop_init(&loop);
        asmb_config cfg;
        t_config(&cfg);
        conn_events e;
        asmb_conn *c = t_connect(&loop, &cfg, &e);
        pthread_t t;
        pthread_create(&t, NULL, offender, c);
        pthread_join(t, NULL);
        _exit(0); /* not reached in a debug build */
    }
    int st = 0;
    CHECK_EQ_INT(waitpid(pid, &st, 0), pid);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
}
#endif

int main(void)
{
    test_log();
    test_threads();
#ifndef NDEBUG
    if (!getenv("ASMB_TEST_QUICK")) test_thread_check(); /* valgrind: a forked abort is noise */
#endif
    TEST_DONE();
}
