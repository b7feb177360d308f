/* echo: one ECHO request (MS-SMB2 2.2.28), the simplest operation. */
#include "../mem.h"
#include "../ntstatus.h"
#include "op.h"

typedef struct echo_op {
    asmb_deferred *d;
    asmb_req *req;
    unsigned timeout_ms;
} echo_op;

static int echo_encode(asmb_req *r, asmb_wr *w)
{
    (void)r;
    return asmb__simple_encode(w);
}

static void echo_reply(asmb_req *r, const asmb_reply *rep)
{
    echo_op *op = r->ctx;
    uint32_t st = asmb__ntstatus_of(rep);
    if (st != ASMB_STATUS_SUCCESS)
        asmb__op_fail_status(op->d, st, "echo");
    else if (asmb__simple_decode(rep->msg, rep->len))
        asmb__op_fail_code(op->d, ASMB_EPROTO, 0, "malformed ECHO response");
    else
        asmb__deferred_succeed(op->d, NULL, NULL);
    asmb__free(op);
}

static void echo_fail(asmb_req *r, int code)
{
    echo_op *op = r->ctx;
    asmb__op_fail_code(op->d, code, op->timeout_ms, "echo");
    asmb__free(op);
}

static void echo_cancel(void *arg)
{
    echo_op *op = arg;
    asmb__req_abandon(op->req, 1);
    asmb__free(op);
}

ASMB_API int asmb_echo(asmb_conn *c, const asmb_opts *opts, asmb_deferred **out)
{
    asmb_deferred *d;
    int rc = asmb__op_begin(c, out, &d);
    if (rc) return rc;
    echo_op *op = asmb__calloc(1, sizeof *op);
    asmb_req *r = op ? asmb__req_new(c, SMB2_ECHO, op) : NULL;
    if (!r) {
        asmb__free(op);
        asmb__deferred_discard(d);
        return ASMB_ENOMEM;
    }
    op->d = d;
    op->req = r;
    op->timeout_ms = asmb__op_timeout(c, opts);
    r->encode = echo_encode;
    r->on_reply = echo_reply;
    r->on_fail = echo_fail;
    d->cancel = echo_cancel;
    d->op = op;
    *out = d;
    asmb__req_submit(r, op->timeout_ms);
    return 0;
}
