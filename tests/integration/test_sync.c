/* The blocking API against Samba: the same names and defaults as the
 * asynchronous calls (a store over a longer file leaves only the new bytes;
 * store_file_from_offset keeps the tail), caller-owned results released by
 * their clear functions, one failure type, and asmb_sync_cancel from another
 * thread, from a signal handler, and before a call. */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asmb/asmb_sync.h>

#include "itest.h"

typedef struct textsrc {
    const char *p;
    size_t len, pos;
} textsrc;

static long text_read(void *arg, void *buf, size_t n)
{
    textsrc *m = arg;
    size_t k = m->len - m->pos < n ? m->len - m->pos : n;
    memcpy(buf, m->p + m->pos, k);
    m->pos += k;
    return (long)k;
}

typedef struct back {
    char buf[256];
    size_t len;
    unsigned slow_us; /* per chunk: keeps a big retrieve running */
    uint64_t total;
} back;

static int back_write(void *arg, const void *data, size_t n)
{
    back *b = arg;
    size_t k = n < sizeof b->buf - b->len ? n : sizeof b->buf - b->len;
    memcpy(b->buf + b->len, data, k);
    b->len += k;
    b->total += n;
    if (b->slow_us) usleep(b->slow_us);
    return 0;
}

static int store(asmb_sync *s, const char *path, const char *text, asmb_failure *e)
{
    textsrc m = {text, strlen(text), 0};
    asmb_source src = {text_read, &m, -1};
    asmb_store_result r;
    int rc = asmb_sync_store_file(s, "share", path, &src, NULL, &r, e);
    if (!rc) CHECK_EQ_INT(r.bytes, strlen(text));
    return rc;
}

static void content(asmb_sync *s, const char *path, const char *want)
{
    back b = {0};
    asmb_sink sink = {back_write, &b, -1};
    asmb_retrieve_result r;
    asmb_failure e;
    CHECK_EQ_INT(asmb_sync_retrieve_file(s, "share", path, &sink, NULL, &r, &e), 0);
    CHECK_EQ_INT(b.len, strlen(want));
    CHECK(b.len == strlen(want) && memcmp(b.buf, want, b.len) == 0);
    CHECK_EQ_INT(r.info.file_size, strlen(want));
    asmb_retrieve_result_clear(&r);
}

/* Same defaults as the asynchronous calls. */
static void test_defaults(asmb_sync *s)
{
    asmb_failure e;
    CHECK_EQ_INT(store(s, "sync-defaults.txt", "a longer first content", &e), 0);
    CHECK_EQ_INT(store(s, "sync-defaults.txt", "short", &e), 0);
    content(s, "sync-defaults.txt", "short"); /* not "short" + the old tail */
    textsrc m = {"SH", 2, 0};
    asmb_source src = {text_read, &m, -1};
    CHECK_EQ_INT(asmb_sync_store_file_from_offset(s, "share", "sync-defaults.txt", &src, 0, 0,
                                                  NULL, NULL, &e),
                 0);
    content(s, "sync-defaults.txt", "SHort"); /* from an offset: the tail stays */
    asmb_file_list l;
    CHECK_EQ_INT(asmb_sync_list_path(s, "share", "", ASMB_SEARCH_DEFAULT, "sync-defaults.*",
                                     NULL, &l, &e),
                 0);
    CHECK(l.count == 1 && strcmp(l.entries[0].filename, "sync-defaults.txt") == 0);
    asmb_file_list_clear(&l);
    CHECK(l.count == 0 && l.entries == NULL);
    asmb_delete_result d;
    CHECK_EQ_INT(asmb_sync_delete_files(s, "share", "sync-defaults.txt", 0, NULL, &d, &e), 0);
    CHECK_EQ_INT(d.count, 1);
    /* One failure type: what an errback would get, copied whole. */
    asmb_file_info fi;
    CHECK_EQ_INT(asmb_sync_get_attributes(s, "share", "sync-defaults.txt", NULL, &fi, &e),
                 ASMB_EFAILURE);
    asmb_failure copy = e; /* the message travels with the copy */
    CHECK_EQ_INT(copy.ntstatus, 0xC0000034u);
    CHECK(strstr(copy.message, "STATUS_OBJECT_NAME_NOT_FOUND") != NULL);
    CHECK_EQ_INT(asmb_sync_delete_files(s, "share", "x", 4, NULL, NULL, &e), ASMB_EINVAL);
}

/* A big file for the cancel cases: 16 MiB, read slowly. */
#define BIG (16u << 20)

static int big_ready;

static void make_big(asmb_sync *s)
{
    static char zeros[65536];
    asmb_failure e;
    asmb_source src = {NULL, NULL, -1};
    int fd[2];
    if (pipe(fd)) return;
    pid_t pid = fork();
    if (pid == 0) { /* the writer: BIG bytes down the pipe */
        close(fd[0]);
        for (unsigned i = 0; i < BIG / sizeof zeros; i++)
            if (write(fd[1], zeros, sizeof zeros) != (ssize_t)sizeof zeros) _exit(1);
        _exit(0);
    }
    close(fd[1]);
    src.fd = fd[0];
    big_ready = asmb_sync_store_file(s, "share", "sync-big.bin", &src, NULL, NULL, &e) == 0;
    close(fd[0]);
    waitpid(pid, NULL, 0);
    CHECK(big_ready);
}

static int slow_retrieve(asmb_sync *s, back *b, asmb_failure *e)
{
    asmb_sink sink = {back_write, b, -1};
    b->slow_us = 20000; /* 20 ms per 64 KiB: the whole file would take 5 s */
    return asmb_sync_retrieve_file(s, "share", "sync-big.bin", &sink, NULL, NULL, e);
}

static asmb_sync *canceling;

static void *cancel_later(void *arg)
{
    usleep(300000);
    asmb_sync_cancel(arg);
    return NULL;
}

static void on_alarm(int sig)
{
    (void)sig;
    asmb_sync_cancel(canceling); /* async-signal-safe */
}

static void expect_canceled(int rc, const asmb_failure *e, const back *b, double secs)
{
    CHECK_EQ_INT(rc, ASMB_ECANCELED);
    CHECK_EQ_INT(e->code, ASMB_ECANCELED);
    CHECK(b->total < BIG); /* it stopped before the end */
    CHECK(secs < 5.0);
}

static double now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static void test_cancel(asmb_sync *s)
{
    make_big(s);
    if (!big_ready) return;
    asmb_failure e;
    back b = {0};
    /* From another thread. */
    pthread_t th;
    pthread_create(&th, NULL, cancel_later, s);
    double t0 = now();
    int rc = slow_retrieve(s, &b, &e);
    expect_canceled(rc, &e, &b, now() - t0);
    pthread_join(th, NULL);
    CHECK_EQ_INT(asmb_sync_echo(s, NULL, &e), 0); /* the handle goes on */

    /* From a signal handler. */
    canceling = s;
    signal(SIGALRM, on_alarm);
    struct itimerval it = {{0, 0}, {0, 300000}};
    setitimer(ITIMER_REAL, &it, NULL);
    memset(&b, 0, sizeof b);
    t0 = now();
    rc = slow_retrieve(s, &b, &e);
    expect_canceled(rc, &e, &b, now() - t0);
    signal(SIGALRM, SIG_DFL);
    CHECK_EQ_INT(asmb_sync_echo(s, NULL, &e), 0);

    /* Before a call: the next call is canceled, the one after is not. */
    asmb_sync_cancel(s);
    memset(&b, 0, sizeof b);
    rc = slow_retrieve(s, &b, &e);
    CHECK_EQ_INT(rc, ASMB_ECANCELED);
    CHECK_EQ_INT(asmb_sync_echo(s, NULL, &e), 0);
    asmb_sync_cancel(NULL); /* nothing */
    CHECK_EQ_INT(asmb_sync_delete_files(s, "share", "sync-big.bin", 0, NULL, NULL, &e), 0);
}

int main(void)
{
    asmb_config cfg;
    t_config(&cfg);
    cfg.io_size = 65536; /* many small READs: the slow sink keeps a retrieve running */
    asmb_failure e;
    asmb_sync *s = asmb_sync_connect(it_host(), it_port(), &cfg, &e);
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "  connect: %s\n", e.message);
        TEST_DONE();
    }
    test_defaults(s);
    test_cancel(s);
    asmb_sync_close(s);
    TEST_DONE();
}
