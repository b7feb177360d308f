/* list_shares: srvsvc NetrShareEnum level 1 (MS-SRVS 3.1.4.8) over the named
 * pipe \PIPE\srvsvc on IPC$ (MS-SMB2 3.2.4.20.3: FSCTL_PIPE_TRANSCEIVE, then
 * READs for what did not fit). Steps: open the pipe; transceive the BIND and
 * collect the BIND_ACK; transceive the REQUEST and collect the RESPONSE
 * fragments until the last one; decode; CLOSE.
 *
 * Bytes from the pipe are a stream of PDUs: an IOCTL's output or a READ's
 * data may hold part of a PDU (STATUS_BUFFER_OVERFLOW: the rest is still in
 * the pipe) or several. They gather in rx and whole PDUs are taken from its
 * front; as long as the answer is incomplete we READ more. */
#include <stdio.h>
#include <string.h>

#include "../mem.h"
#include "../ntstatus.h"
#include "../rpc/dcerpc.h"
#include "../rpc/srvsvc.h"
#include "../wire/smb2_ioctl.h"
#include "fileop.h"

#define PIPE_ACCESS 0x0012019Fu /* read/write data, EAs, attributes, READ_CONTROL, SYNCHRONIZE */
#define BIND_CALL_ID 1u
#define ENUM_CALL_ID 2u
#define MAX_STUB (16u << 20)          /* the reassembled NetrShareEnum response */
#define MAX_PIPE_BYTES (2 * MAX_STUB) /* everything read from the pipe, headers included */

enum { ST_BIND, ST_ENUM };

typedef struct shares_op {
    asmb_fop f;
    int stage;
    asmb_wr tx;   /* the PDU being transceived */
    asmb_wr rx;   /* bytes read from the pipe, not yet a whole PDU */
    size_t total; /* bytes read from the pipe so far */
    asmb_rpc_reasm reasm;
    asmb_share_list *list;
    char what[200]; /* f->what when a failure needs more words */
} shares_op;

void asmb__share_list_free(void *p);

/* ---- results ---- */

void asmb__share_list_free(void *p)
{
    asmb_share_list *l = p;
    if (!l) return;
    for (size_t i = 0; i < l->count; i++) {
        asmb__free(l->shares[i].name);
        asmb__free(l->shares[i].comment);
    }
    asmb__free(l->shares);
    asmb__free(l);
}

/* The public list from the decoded entries (which it takes over). */
static asmb_share_list *make_list(asmb_share_raw *raw, size_t n)
{
    asmb_share_list *l = asmb__calloc(1, sizeof *l);
    if (!l) return NULL;
    l->shares = n ? asmb__calloc(n, sizeof *l->shares) : NULL;
    if (n && !l->shares) {
        asmb__free(l);
        return NULL;
    }
    int oom = 0;
    for (size_t i = 0; i < n; i++) {
        asmb_share_info *s = &l->shares[i];
        s->name = raw[i].name;
        raw[i].name = NULL;
        s->comment = raw[i].comment ? raw[i].comment : asmb__strdup("");
        raw[i].comment = NULL;
        s->type = raw[i].type;
        s->kind = (int)(raw[i].type & 0xFFFFu);
        s->is_special = !!(raw[i].type & STYPE_SPECIAL);
        s->is_temporary = !!(raw[i].type & STYPE_TEMPORARY);
        l->count = i + 1;
        if (!s->comment) oom = 1;
    }
    if (oom) {
        asmb__share_list_free(l);
        return NULL;
    }
    return l;
}

static void *make_result(asmb_fop *f, void (**free_fn)(void *))
{
    shares_op *op = (shares_op *)f;
    asmb_share_list *l = op->list;
    op->list = NULL;
    *free_fn = asmb__share_list_free;
    return l;
}

static void cleanup(asmb_fop *f)
{
    shares_op *op = (shares_op *)f;
    asmb_wr_free(&op->tx);
    asmb_wr_free(&op->rx);
    asmb__rpc_reasm_free(&op->reasm);
    asmb__share_list_free(op->list);
}

/* ---- failures that carry more than the skeleton's words ---- */

static const char *fault_name(uint32_t st)
{
    switch (st) { /* C706 appendix E, MS-RPCE 2.2.2.11 (as Samba and Windows send them) */
    case 0x00000005u: return "nca_s_fault_access_denied";
    case 0x000006D8u: return "nca_s_fault_cant_perform";
    case 0x000006F7u: return "nca_s_fault_ndr";
    case 0x1C000006u: return "nca_s_fault_invalid_tag";
    case 0x1C00001Au: return "nca_s_fault_context_mismatch";
    case 0x1C010002u: return "nca_s_op_rng_error";
    case 0x1C010003u: return "nca_s_unk_if";
    case 0x1C01000Bu: return "nca_s_proto_error";
    default: return NULL;
    }
}

static const char *werror_name(uint32_t w)
{
    switch (w) {
    case 5: return "WERR_ACCESS_DENIED";
    case 8: return "WERR_NOT_ENOUGH_MEMORY";
    case 0x32: return "WERR_NOT_SUPPORTED";
    case 0x57: return "WERR_INVALID_PARAMETER";
    case 0x7C: return "WERR_INVALID_LEVEL";
    case 0xEA: return "WERR_MORE_DATA";
    case 0x84B: return "WERR_NERR_BUFTOOSMALL";
    default: return NULL;
    }
}

/* ASMB_EFAILURE with the status in ntstatus; the message says what it is:
 * "NTSTATUS 0x1c010002: DCE/RPC fault nca_s_op_rng_error from srvsvc
 * NetrShareEnum: listing shares via \srvsvc". */
static void fail_rpc(shares_op *op, uint32_t st, const char *kind, const char *name)
{
    if (name)
        snprintf(op->what, sizeof op->what, "%s %s from srvsvc NetrShareEnum: %s", kind, name,
                 op->f.what);
    else
        snprintf(op->what, sizeof op->what, "%s 0x%08x from srvsvc NetrShareEnum: %s", kind, st,
                 op->f.what);
    op->f.what = op->what;
    asmb__fop_fail_status(&op->f, st);
}

static void fail_proto(shares_op *op, const char *detail)
{
    asmb__fop_fail_code(&op->f, ASMB_EPROTO, detail);
}

/* ---- the pipe ---- */

static void on_pipe_bytes(shares_op *op, const uint8_t *p, size_t n, int more);

static int transceive_encode(asmb_req *r, asmb_wr *w)
{
    shares_op *op = r->ctx;
    return asmb__ioctl_encode(w, op->f.fid, FSCTL_PIPE_TRANSCEIVE, op->tx.data,
                              (uint32_t)op->tx.len, DCERPC_MAX_FRAG, 1);
}

/* STATUS_BUFFER_OVERFLOW is a warning: the data is there, more waits in the
 * pipe (MS-SMB2 3.3.4.4; MS-FSCC 2.3.49). */
static int data_status(shares_op *op, const asmb_reply *rep)
{
    uint32_t st = asmb__ntstatus_of(rep);
    if (st == ASMB_STATUS_SUCCESS || st == ASMB_STATUS_BUFFER_OVERFLOW) return 0;
    asmb__fop_fail_status(&op->f, st);
    return -1;
}

static void transceive_reply(asmb_req *r, const asmb_reply *rep)
{
    asmb_fop *f = asmb__fop_enter(r);
    if (!f) return;
    shares_op *op = (shares_op *)f;
    if (data_status(op, rep)) return;
    const uint8_t *out;
    size_t n;
    if (asmb__ioctl_decode(rep->msg, rep->len, &out, &n)) {
        fail_proto(op, "malformed IOCTL response");
        return;
    }
    if (n == 0) { /* a READ would wait for data that never comes */
        fail_proto(op, "empty transceive output from the pipe");
        return;
    }
    asmb_wr_free(&op->tx);
    on_pipe_bytes(op, out, n, asmb__ntstatus_of(rep) == ASMB_STATUS_BUFFER_OVERFLOW);
}

static void transceive(shares_op *op)
{
    if (asmb__fop_send(&op->f, SMB2_IOCTL, 1, transceive_encode, transceive_reply, NULL))
        asmb__fop_fail_code(&op->f, ASMB_ENOMEM, NULL);
}

static int read_encode(asmb_req *r, asmb_wr *w)
{
    shares_op *op = r->ctx;
    return asmb__read_encode(w, op->f.fid, 0, DCERPC_MAX_FRAG);
}

static void read_reply(asmb_req *r, const asmb_reply *rep)
{
    asmb_fop *f = asmb__fop_enter(r);
    if (!f) return;
    shares_op *op = (shares_op *)f;
    if (data_status(op, rep)) return;
    const uint8_t *data;
    size_t n;
    if (asmb__read_decode(rep->msg, rep->len, &data, &n)) {
        fail_proto(op, "malformed READ response");
        return;
    }
    if (n == 0) { /* nothing would ever come: do not spin */
        fail_proto(op, "empty read from the pipe before the end of the DCE/RPC reply");
        return;
    }
    on_pipe_bytes(op, data, n, asmb__ntstatus_of(rep) == ASMB_STATUS_BUFFER_OVERFLOW);
}

static void read_more(shares_op *op)
{
    if (asmb__fop_send(&op->f, SMB2_READ, 1, read_encode, read_reply, NULL))
        asmb__fop_fail_code(&op->f, ASMB_ENOMEM, NULL);
}

/* ---- the calls ---- */

static void send_enum(shares_op *op)
{
    asmb_wr stub;
    asmb_wr_init(&stub);
    int rc = asmb__srvsvc_share_enum_encode(&stub, op->f.c->host);
    if (!rc)
        rc = asmb__rpc_request_encode(&op->tx, ENUM_CALL_ID, SRVSVC_OPNUM_NETRSHAREENUM,
                                      stub.data, stub.len);
    asmb_wr_free(&stub);
    if (rc) {
        asmb__fop_fail_code(&op->f, rc, "encoding NetrShareEnum");
        return;
    }
    op->stage = ST_ENUM;
    transceive(op);
}

/* The BIND_ACK: exactly one PDU. */
static void on_bind_ack(shares_op *op, const uint8_t *p, size_t n)
{
    asmb_rpc_bind_ack ack;
    int rc = asmb__rpc_bind_ack_decode(p, n, BIND_CALL_ID, &ack);
    if (rc == ASMB_ENOTSUP) {
        char detail[96];
        snprintf(detail, sizeof detail, "the server refused to bind to srvsvc (reason %u)",
                 ack.reason);
        asmb__fop_fail_code(&op->f, ASMB_ENOTSUP, detail);
        return;
    }
    if (rc) {
        fail_proto(op, "malformed BIND_ACK");
        return;
    }
    send_enum(op);
}

/* The response stub is complete: decode, build the result, CLOSE. */
static void on_stub(shares_op *op)
{
    asmb_share_raw *raw;
    size_t n;
    uint32_t werror;
    int rc = asmb__srvsvc_share_enum_decode(op->reasm.stub.data, op->reasm.stub.len, &raw, &n,
                                            &werror);
    if (rc == ASMB_EFAILURE) {
        fail_rpc(op, werror, "error", werror_name(werror));
        return;
    }
    if (rc == ASMB_ENOMEM) {
        asmb__fop_fail_code(&op->f, ASMB_ENOMEM, NULL);
        return;
    }
    if (rc) {
        fail_proto(op, "malformed NetrShareEnum response");
        return;
    }
    op->list = make_list(raw, n);
    asmb__share_raw_free(raw, n);
    if (!op->list) {
        asmb__fop_fail_code(&op->f, ASMB_ENOMEM, NULL);
        return;
    }
    asmb__fop_complete(&op->f);
}

/* more: the server said the pipe message goes on (STATUS_BUFFER_OVERFLOW);
 * otherwise a PDU cut short is a lie about its length, not data to wait for. */
static void on_pipe_bytes(shares_op *op, const uint8_t *p, size_t n, int more)
{
    op->total += n;
    if (op->total > MAX_PIPE_BYTES) {
        fail_proto(op, "the DCE/RPC reply is too large");
        return;
    }
    asmb_wr_bytes(&op->rx, p, n);
    if (op->rx.err) {
        asmb__fop_fail_code(&op->f, ASMB_ENOMEM, NULL);
        return;
    }
    size_t pos = 0;
    while (op->rx.len - pos >= DCERPC_HDR_LEN) {
        const uint8_t *pdu = op->rx.data + pos;
        size_t left = op->rx.len - pos, fl = asmb__rpc_frag_length(pdu, left);
        if (fl == 0) {
            fail_proto(op, "not a DCE/RPC PDU");
            return;
        }
        if (fl > left && !more) {
            fail_proto(op, "a DCE/RPC fragment longer than the pipe message");
            return;
        }
        if (fl > left) break; /* the rest is still in the pipe */
        if (op->stage == ST_BIND) {
            if (fl != op->rx.len) {
                fail_proto(op, "unexpected data after the BIND_ACK");
                return;
            }
            op->rx.len = 0;
            on_bind_ack(op, pdu, fl);
            return;
        }
        int rc = asmb__rpc_reasm_add(&op->reasm, pdu, fl, NULL);
        pos += fl;
        if (rc == 1) {
            if (pos != op->rx.len) {
                fail_proto(op, "unexpected data after the last fragment");
                return;
            }
            on_stub(op);
            return;
        }
        if (rc == ASMB_EFAILURE) {
            fail_rpc(op, op->reasm.fault_status, "DCE/RPC fault",
                     fault_name(op->reasm.fault_status));
            return;
        }
        if (rc == ASMB_ENOMEM) {
            asmb__fop_fail_code(&op->f, ASMB_ENOMEM, NULL);
            return;
        }
        if (rc) {
            fail_proto(op, "malformed DCE/RPC response");
            return;
        }
    }
    /* Keep the partial PDU: rx never holds more than one (frag_length is
     * 16 bits) plus one read. */
    memmove(op->rx.data, op->rx.data + pos, op->rx.len - pos);
    op->rx.len -= pos;
    read_more(op);
}

static void opened(asmb_fop *f)
{
    static const asmb_rpc_syntax srvsvc = ASMB_SRVSVC_SYNTAX;
    shares_op *op = (shares_op *)f;
    op->stage = ST_BIND;
    int rc = asmb__rpc_bind_encode(&op->tx, BIND_CALL_ID, &srvsvc);
    if (rc) {
        asmb__fop_fail_code(f, rc, NULL);
        return;
    }
    transceive(op);
}

ASMB_API int asmb_list_shares(asmb_conn *c, const asmb_opts *opts, asmb_deferred **out)
{
    if (!c || !out) return ASMB_EINVAL;
    int rc = asmb__conn_check_ready(c);
    if (rc) return rc;
    asmb_opts o = {0};
    if (opts) o.timeout_ms = opts->timeout_ms; /* no snapshot for a pipe */
    asmb_fop *f;
    rc = asmb__fop_new(c, sizeof(shares_op), "IPC$", "srvsvc", "listing shares via", &o, &f);
    if (rc) return rc;
    shares_op *op = (shares_op *)f;
    asmb_wr_init(&op->tx);
    asmb_wr_init(&op->rx);
    asmb__rpc_reasm_init(&op->reasm, ENUM_CALL_ID, MAX_STUB);
    f->cr.desired_access = PIPE_ACCESS;
    f->cr.share_access = SMB2_FILE_SHARE_READ | SMB2_FILE_SHARE_WRITE;
    f->cr.disposition = SMB2_FILE_OPEN;
    f->cr.options = 0;
    f->on_open = opened;
    f->make_result = make_result;
    f->cleanup = cleanup;
    return asmb__fop_launch(f, out);
}

ASMB_API void asmb_share_list_free(asmb_share_list *list) { asmb__share_list_free(list); }
