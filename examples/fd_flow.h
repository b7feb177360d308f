/* The SMB side shared by the event-loop examples (ex_poll.c, ex_epoll.c,
 * ex_libevent.c), which differ only in the loop that drives the connection:
 * on auth OK store a file, list the folder, retrieve the file and compare,
 * then close. Usage of each: PROG HOST PORT USER PASSWORD SHARE */
#ifndef FD_FLOW_H
#define FD_FLOW_H
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asmb/asmb_fd.h>

typedef struct flow {
    asmb_conn *conn;
    const char *share;
    size_t sent, got;
    char back[128];
    int exit_code; /* 0 once everything matched */
} flow;

static const char flow_text[] = "stored, listed and retrieved through a caller-driven loop\n";

static long flow_source(void *arg, void *buf, size_t len)
{
    flow *s = arg;
    size_t n = sizeof flow_text - 1 - s->sent;
    if (n > len) n = len;
    memcpy(buf, flow_text + s->sent, n);
    s->sent += n;
    return (long)n;
}

static int flow_sink(void *arg, const void *data, size_t len)
{
    flow *s = arg;
    if (s->got + len > sizeof s->back) return -1;
    memcpy(s->back + s->got, data, len);
    s->got += len;
    return 0;
}

static void flow_error(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)d;
    flow *s = arg;
    fprintf(stderr, "operation failed: %s (%s)\n", f->message, asmb_err_name(f->code));
    asmb_conn_close(s->conn);
}

static void flow_retrieved(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    flow *s = arg;
    int same = s->got == sizeof flow_text - 1 && memcmp(s->back, flow_text, s->got) == 0;
    printf("retrieved %zu bytes: %s\n", s->got, same ? "identical" : "DIFFERENT");
    if (same) s->exit_code = 0;
    asmb_conn_close(s->conn);
}

static void flow_listed(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    flow *s = arg;
    const asmb_file_list *l = result;
    printf("listed %zu entries\n", l->count);
    asmb_sink k = {flow_sink, s, -1};
    asmb_deferred *next;
    if (asmb_retrieve_file(s->conn, s->share, "fd-example.txt", &k, NULL, &next) == 0)
        asmb_deferred_then(next, flow_retrieved, flow_error, s);
    else
        asmb_conn_close(s->conn);
}

static void flow_stored(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    flow *s = arg;
    printf("stored %llu bytes\n", (unsigned long long)((const asmb_store_result *)result)->bytes);
    asmb_deferred *next;
    if (asmb_list_path(s->conn, s->share, "", ASMB_SEARCH_DEFAULT, "*", NULL, &next) == 0)
        asmb_deferred_then(next, flow_listed, flow_error, s);
    else
        asmb_conn_close(s->conn);
}

static void flow_auth_ok(asmb_conn *c, void *arg)
{
    flow *s = arg;
    asmb_conn_info info;
    asmb_conn_info_get(c, &info);
    printf("authenticated: %s\n", asmb_dialect_name(info.dialect));
    asmb_source src = {flow_source, s, -1};
    asmb_deferred *d;
    if (asmb_store_file(c, s->share, "fd-example.txt", &src, NULL, &d) == 0)
        asmb_deferred_then(d, flow_stored, flow_error, s);
    else
        asmb_conn_close(c);
}

static void flow_auth_failed(asmb_conn *c, const asmb_failure *f, void *arg)
{
    (void)c;
    (void)arg;
    fprintf(stderr, "authentication failed: %s\n", f->message);
}

static void flow_disconnected(asmb_conn *c, const asmb_failure *f, void *arg)
{
    (void)c;
    (void)arg;
    printf("disconnected: %s\n", f->message);
}

/* Creates and connects the connection; returns 0 or prints why not. */
static int flow_start(flow *s, int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: %s HOST PORT USER PASSWORD SHARE\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN); /* belt and braces: the adapter writes with MSG_NOSIGNAL */
    memset(s, 0, sizeof *s);
    s->exit_code = 1;
    s->share = argv[5];
    asmb_config cfg;
    asmb_config_init(&cfg);
    cfg.username = argv[3];
    cfg.password = argv[4];
    asmb_handlers h = {flow_auth_ok, flow_auth_failed, flow_disconnected};
    s->conn = asmb_fd_conn_new(&cfg, &h, s);
    if (!s->conn || asmb_conn_connect(s->conn, argv[1], atoi(argv[2])) != 0) {
        fprintf(stderr, "cannot start the connection\n");
        return 4;
    }
    return 0;
}

/* The loop is done once the connection has closed its socket and has
 * nothing left to deliver. */
static int flow_done(const flow *s)
{
    return asmb_fd_socket(s->conn) < 0 && asmb_fd_timeout(s->conn) != 0 &&
           !asmb_conn_is_ready(s->conn);
}
#endif
