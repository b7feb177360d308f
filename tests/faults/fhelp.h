/* Shared by the fault tests: a connection through faultsrv, and the five
 * operation types the tests break (echo, retrieve_file, store_file,
 * list_path, get_attributes), each recorded in an outcome. */
#ifndef ASMB_TEST_FHELP_H
#define ASMB_TEST_FHELP_H
#include <stdio.h>
#include <string.h>

#include "faultsrv.h"
#include "itest.h"

enum { SMB2_CREATE_CMD = 0x05, SMB2_CLOSE_CMD = 0x06, SMB2_READ_CMD = 0x08,
       SMB2_WRITE_CMD = 0x09, SMB2_ECHO_CMD = 0x0D, SMB2_QUERY_DIR_CMD = 0x0E,
       SMB2_QUERY_INFO_CMD = 0x10 };

static uv_loop_t *loop;

/* Under valgrind (ASMB_TEST_QUICK) everything runs ~20x slower. */
static inline int quick(void) { return getenv("ASMB_TEST_QUICK") != NULL; }

static inline asmb_conn *connect_to(int port, const asmb_config *cfg, conn_events *e)
{
    memset(e, 0, sizeof *e);
    asmb_conn *c = asmb_conn_new(loop, cfg, &test_handlers, e);
    CHECK(c != NULL);
    CHECK_EQ_INT(asmb_conn_connect(c, "127.0.0.1", port), 0);
    return c;
}

/* Authenticated through the proxy, or NULL (checked). Unsigned by default:
 * the proxy edits headers that a signature would cover. */
static inline asmb_conn *proxied_cfg(faultsrv *fs, asmb_config *cfg, conn_events *e)
{
    asmb_conn *c = connect_to(fs_port(fs), cfg, e);
    run_until(loop, &e->auth_ok, 10000);
    CHECK_EQ_INT(e->auth_ok, 1);
    if (!e->auth_ok) fprintf(stderr, "  auth: %s %s\n", e->auth_msg, e->disc_msg);
    return c;
}

static inline asmb_conn *proxied_unsigned(faultsrv *fs, conn_events *e)
{
    asmb_config cfg;
    t_config(&cfg);
    cfg.signing = ASMB_OFF;
    return proxied_cfg(fs, &cfg, e);
}

static inline void echo_into(asmb_conn *c, unsigned timeout_ms, outcome *o)
{
    asmb_deferred *d;
    asmb_opts opts = {timeout_ms, 0};
    CHECK_EQ_INT(asmb_echo(c, &opts, &d), 0);
    asmb_deferred_then(d, t_cb, t_eb, o);
}

/* Runs the loop until n outcomes have fired (or ms pass); returns how many. */
static inline int run_calls(outcome *o, int n, unsigned ms)
{
    uint64_t until = uv_hrtime() + (uint64_t)ms * 1000000u;
    for (;;) {
        int done = 0;
        for (int i = 0; i < n; i++) done += o[i].calls > 0;
        if (done == n || uv_hrtime() > until) return done;
        t_pause(loop, 20);
    }
}

/* ---- the operation types ---- */

enum { OP_ECHO, OP_RETRIEVE, OP_STORE, OP_LIST, OP_ATTR, OP_COUNT };
static const char *const op_names[] = {"echo", "retrieve_file", "store_file", "list_path",
                                       "get_attributes"};

#define SEED_PATH "ft_seed.bin"
#define SEED_LEN 3000

typedef struct op_slot {
    outcome o;
    const unsigned char *data; /* store: what goes out */
    size_t len, off;
    size_t got; /* retrieve: bytes that came in */
} op_slot;

static inline long slot_read(void *arg, void *buf, size_t len)
{
    op_slot *s = arg;
    size_t n = s->len - s->off < len ? s->len - s->off : len;
    memcpy(buf, s->data + s->off, n);
    s->off += n;
    return (long)n;
}
static inline int slot_write(void *arg, const void *data, size_t len)
{
    (void)data;
    ((op_slot *)arg)->got += len;
    return 0;
}

static inline const unsigned char *seed_bytes(void)
{
    static unsigned char b[SEED_LEN];
    for (size_t i = 0; i < SEED_LEN; i++) b[i] = (unsigned char)(i * 7 + 1);
    return b;
}

/* Starts operation kind on c; its outcome lands in s->o. Returns the call's code. */
static inline int start_op(asmb_conn *c, int kind, op_slot *s, unsigned timeout_ms, int idx)
{
    asmb_opts opts = {timeout_ms, 0};
    asmb_deferred *d = NULL;
    char path[64];
    int rc = ASMB_EINVAL;
    memset(s, 0, sizeof *s);
    switch (kind) {
    case OP_ECHO: rc = asmb_echo(c, &opts, &d); break;
    case OP_RETRIEVE: {
        asmb_sink sk = {slot_write, s, -1};
        rc = asmb_retrieve_file(c, "share", SEED_PATH, &sk, &opts, &d);
        break;
    }
    case OP_STORE: {
        s->data = seed_bytes();
        s->len = 1000 + (size_t)idx % 7;
        asmb_source src = {slot_read, s, -1};
        snprintf(path, sizeof path, "ft_store_%d.bin", idx);
        rc = asmb_store_file(c, "share", path, &src, &opts, &d);
        break;
    }
    case OP_LIST: rc = asmb_list_path(c, "share", "", ASMB_SEARCH_DEFAULT, "ft_*", &opts, &d); break;
    case OP_ATTR: rc = asmb_get_attributes(c, "share", SEED_PATH, &opts, &d); break;
    }
    CHECK_EQ_INT(rc, 0);
    if (rc == 0) asmb_deferred_then(d, t_cb, t_eb, &s->o);
    return rc;
}

/* Stores the file retrieve_file and get_attributes read, straight to Samba. */
static inline void seed_share(void)
{
    asmb_config cfg;
    t_config(&cfg);
    conn_events e;
    asmb_conn *c = t_connect(loop, &cfg, &e);
    CHECK_EQ_INT(e.auth_ok, 1);
    op_slot s;
    memset(&s, 0, sizeof s);
    s.data = seed_bytes();
    s.len = SEED_LEN;
    asmb_source src = {slot_read, &s, -1};
    asmb_deferred *d;
    CHECK_EQ_INT(asmb_store_file(c, "share", SEED_PATH, &src, NULL, &d), 0);
    asmb_deferred_then(d, t_cb, t_eb, &s.o);
    run_until(loop, &s.o.calls, 10000);
    CHECK_EQ_INT(s.o.ok, 1);
    t_free(loop, c);
}
#endif
