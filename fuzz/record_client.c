/* record_client HOST PORT USER PASSWORD SHARE MAX_DIALECT
 * Connects with asmb and runs the operations of engine_script.h (chained),
 * as fuzz_engine does, so that a recording proxy in between captures server
 * replies that line up with the harness's requests. USER "" = anonymous.
 * MAX_DIALECT: 0x0202 ... 0x0311. Built and run by record-seeds.sh; not a
 * fuzz harness. Exit status 0 when authentication succeeded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asmb/asmb.h"
#include "engine_script.h"

typedef struct {
    asmb_conn *c;
    fz_script script;
    int ok;
} rec;

static void step_log(int step, const asmb_failure *f)
{
    fprintf(stderr, "record_client: step %d: %s\n", step, f ? f->message : "ok");
}

static void auth_ok(asmb_conn *c, void *arg)
{
    (void)c;
    rec *r = arg;
    r->ok = 1;
    fz_script_start(&r->script);
}

static void auth_failed(asmb_conn *c, const asmb_failure *f, void *arg)
{
    (void)c;
    (void)arg;
    fprintf(stderr, "record_client: auth failed: %s\n", f->message);
}

static void disconnected(asmb_conn *c, const asmb_failure *f, void *arg)
{
    rec *r = arg;
    fprintf(stderr, "record_client: disconnected: %s (sink %llu bytes)\n", f->message,
            (unsigned long long)r->script.sink_bytes);
    asmb_conn_free(c);
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: record_client HOST PORT USER PASSWORD SHARE MAX_DIALECT\n");
        return 2;
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    asmb_config cfg;
    asmb_config_init(&cfg);
    cfg.username = argv[3];
    cfg.password = argv[4];
    cfg.max_dialect = (uint16_t)strtoul(argv[6], NULL, 0);
    cfg.op_timeout_ms = 20000;
    rec r;
    memset(&r, 0, sizeof r);
    asmb_handlers h = {auth_ok, auth_failed, disconnected};
    r.c = asmb_conn_new(&loop, &cfg, &h, &r);
    if (!r.c) return 1;
    r.script.c = r.c;
    r.script.share = argv[5];
    r.script.log = step_log;
    if (asmb_conn_connect(r.c, argv[1], atoi(argv[2])) != 0) return 1;
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return r.ok ? 0 : 1;
}
