/* The scaffolding shared by the libuv examples (ex_files.c, ex_dirs.c,
 * ex_shares.c, ex_security.c, ex_concurrent.c; ex_sync.c uses ex_args and
 * ex_mem only), so that each of them shows its operations and nothing else.
 * Static functions in a header: each example stays one file plus this one.
 *
 * An example keeps its state in a struct whose first member is an `example`;
 * a pointer to that struct is the arg of every handler and callback, so the
 * helpers below take it as an example * and the example's own callbacks as
 * its own type.
 *
 *   typedef struct files { example ex; ... } files;
 *   static void auth_ok(asmb_conn *c, void *arg) { files *s = arg; ... }
 *   int main(int argc, char **argv)
 *   {
 *       files s = {0};
 *       return ex_run(argc, argv, "share", auth_ok, &s.ex);
 *   }
 *
 * Exit codes: 0 all done, 1 an operation failed, 2 usage, 3 authentication
 * failed, 4 no connection or connection lost.
 *
 * The functions are static inline only so that an example which does without
 * one of them gets no unused-function warning. */
#ifndef EXAMPLE_H
#define EXAMPLE_H
#include <asmb/asmb.h> /* first: under -std=c11 it asks for the POSIX that <uv.h> needs */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct example {
    asmb_conn *conn;
    const char *share; /* SHARE, or ex_run's default_share */
    int exit_code;
    /* Set before ex_run, both optional: */
    void (*configure)(asmb_config *cfg); /* changes the config before connecting */
    const char *more_usage;              /* arguments after SHARE, e.g. " [PATH]" */
} example;

/* ---- a buffer in memory, as a source and as a sink ---- */

typedef struct ex_mem {
    char data[256]; /* always NUL-terminated */
    size_t len;     /* bytes in data */
    size_t pos;     /* read position, as a source */
} ex_mem;

static inline void ex_mem_set(ex_mem *m, const char *text)
{
    m->len = strlen(text);
    if (m->len >= sizeof m->data) m->len = sizeof m->data - 1; /* cut to fit */
    memcpy(m->data, text, m->len);
    m->data[m->len] = 0;
    m->pos = 0;
}

/* asmb_source.read: hands out data[pos..len); 0 = end of file. */
static inline long ex_mem_read(void *arg, void *buf, size_t len)
{
    ex_mem *m = arg;
    size_t n = m->len - m->pos;
    if (n > len) n = len;
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    return (long)n;
}

/* asmb_sink.write: appends; -1 (the retrieve fails with ASMB_ELOCAL) when
 * the data would not fit. */
static inline int ex_mem_write(void *arg, const void *data, size_t len)
{
    ex_mem *m = arg;
    if (m->len + len >= sizeof m->data) return -1;
    memcpy(m->data + m->len, data, len);
    m->len += len;
    m->data[m->len] = 0;
    return 0;
}

/* ---- failures ---- */

/* Prints what failed and closes: pending operations fail, disconnected fires. */
static inline void ex_fail(example *ex, const char *what, const char *message)
{
    fprintf(stderr, "%s: %s\n", what, message);
    ex->exit_code = 1;
    asmb_conn_close(ex->conn);
}

/* The errback for every operation whose arg is the example. */
static inline void ex_error(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)d;
    ex_fail(arg, asmb_err_name(f->code), f->message); /* e.g. "STATUS_ACCESS_DENIED: ..." */
}

/* Attaches cb (arg: ex) and ex_error to the deferred an operation returned.
 * An operation either returns 0 and a deferred, or fails at once (then no
 * deferred exists and nothing will fire: we must close ourselves). */
static inline void ex_then(example *ex, int rc, asmb_deferred *d, asmb_callback cb)
{
    if (rc == 0) rc = asmb_deferred_then(d, cb, ex_error, ex);
    if (rc != 0) ex_fail(ex, "cannot start the operation", asmb_strerror(rc));
}

/* ---- connection handlers ---- */

static inline void ex_auth_failed(asmb_conn *c, const asmb_failure *f, void *arg)
{
    (void)c;
    example *ex = arg;
    fprintf(stderr, "authentication failed: %s\n", f->message);
    ex->exit_code = 3; /* the connection ends by itself: disconnected follows */
}

static inline void ex_disconnected(asmb_conn *c, const asmb_failure *f, void *arg)
{
    (void)c;
    example *ex = arg;
    if (f->code != ASMB_ECLOSED) { /* not our asmb_conn_close: lost */
        fprintf(stderr, "connection lost: %s\n", f->message);
        if (!ex->exit_code) ex->exit_code = 4;
    }
}

/* ---- main ---- */

/* Parses HOST PORT [USER [PASSWORD [SHARE...]]] into *cfg (no USER:
 * anonymous) and *share; returns 0, or 2 after printing the usage. */
static inline int ex_args(int argc, char **argv, const char *default_share, const char *more_usage,
                          asmb_config *cfg, const char **share)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s HOST PORT [USER [PASSWORD [SHARE%s]]]\n", argv[0],
                more_usage ? more_usage : "");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN); /* as in any libuv program */
    *share = argc > 5 ? argv[5] : default_share;
    asmb_config_init(cfg);
    cfg->username = argc > 3 ? argv[3] : NULL; /* NULL: anonymous */
    cfg->password = argc > 4 ? argv[4] : NULL;
    return 0;
}

/* Parses the arguments, connects (on_auth_ok starts the example's flow, arg
 * ex), runs the default loop until the connection has ended, frees it and
 * returns the exit code. */
static inline int ex_run(int argc, char **argv, const char *default_share,
                         void (*on_auth_ok)(asmb_conn *c, void *arg), example *ex)
{
    asmb_config cfg;
    int rc = ex_args(argc, argv, default_share, ex->more_usage, &cfg, &ex->share);
    if (rc != 0) return rc;
    if (ex->configure) ex->configure(&cfg);
    asmb_handlers h = {on_auth_ok, ex_auth_failed, ex_disconnected};

    uv_loop_t *loop = uv_default_loop();
    ex->conn = asmb_conn_new(loop, &cfg, &h, ex);
    if (!ex->conn || asmb_conn_connect(ex->conn, argv[1], atoi(argv[2])) != 0) {
        fprintf(stderr, "cannot start the connection\n");
        ex->exit_code = 4;
    } else {
        uv_run(loop, UV_RUN_DEFAULT); /* returns once the connection has ended */
    }
    asmb_conn_free(ex->conn);     /* NULL is fine */
    uv_run(loop, UV_RUN_DEFAULT); /* lets the connection's handles close */
    return uv_loop_close(loop) == 0 ? ex->exit_code : 1;
}
#endif
