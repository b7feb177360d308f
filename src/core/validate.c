/* Secure dialect negotiation (MS-SMB2 3.2.5.5, 3.2.5.14.12): below 3.1.1
 * nothing protects the NEGOTIATE exchange, so a man in the middle can strike
 * the newer dialects from our request and the server picks an older one. After
 * the first TREE_CONNECT of a keyed session the client repeats what it offered
 * in a signed FSCTL_VALIDATE_NEGOTIATE_INFO; the server compares it with what
 * it received, and the client compares the signed answer with what it was
 * told. Trees connected meanwhile are parked: no operation uses the session
 * before the negotiation is known to be the one both sides saw. (3.1.1 binds
 * the negotiation into its keys through the preauth hash instead.) */
#include <string.h>

#include "log.h"
#include "../ntstatus.h"
#include "../wire/smb2_ioctl.h"
#include "conn.h"

static const asmb_fid all_ones = {UINT64_MAX, UINT64_MAX};

static int vneg_encode(asmb_req *r, asmb_wr *w)
{
    asmb_conn *c = r->conn;
    uint16_t dialects[ASMB_NDIALECTS];
    asmb_vneg v;
    memcpy(v.guid, c->client_guid, 16);
    int n = asmb__neg_offer(c, dialects, &v.capabilities, &v.security_mode);
    asmb_wr in;
    asmb_wr_init(&in);
    int rc = asmb__vneg_request(&in, &v, dialects, n);
    if (!rc) rc = asmb__ioctl_encode(w, all_ones, FSCTL_VALIDATE_NEGOTIATE_INFO, in.data,
                                     (uint32_t)in.len, ASMB_VNEG_RESP_LEN, 1);
    asmb_wr_free(&in);
    return rc;
}

/* Ends the connection: the parked trees' waiters learn why first (the
 * connection's end frees the trees). */
static void vneg_fail(asmb_conn *c, int code, uint32_t st, const char *why)
{
    asmb_failure_buf fb;
    asmb__failure_set(&fb, code, st, "validating the negotiation: %s", why);
    asmb__trees_unpark(c, &fb.f);
    asmb__conn_fail(c, code, st, "%s", fb.text);
}

/* The signed answer must repeat what the NEGOTIATE response said. */
static void vneg_check(asmb_conn *c, const asmb_reply *rep)
{
    const uint8_t *out;
    size_t n;
    asmb_vneg v;
    if (asmb__ioctl_decode(rep->msg, rep->len, &out, &n) || asmb__vneg_parse(out, n, &v)) {
        vneg_fail(c, ASMB_EPROTO, 0, "malformed VALIDATE_NEGOTIATE_INFO response");
        return;
    }
    if (v.capabilities != c->server_caps || memcmp(v.guid, c->info.server_guid, 16) ||
        v.security_mode != c->server_security_mode || v.dialect != c->info.dialect) {
        vneg_fail(c, ASMB_EPROTO, 0, "the server's answer differs from its NEGOTIATE response "
                                     "(tampered with on the way: a downgrade attack?)");
        return;
    }
    c->vneg = ASMB_VNEG_DONE;
    ASMB_LOG(c, ASMB_LOG_DEBUG, "negotiation validated (%s)", asmb_dialect_name(c->info.dialect));
    asmb__trees_unpark(c, NULL);
}

static void vneg_reply(asmb_req *r, const asmb_reply *rep)
{
    asmb_conn *c = r->conn;
    uint32_t st = asmb__ntstatus_of(rep);
    if (st == ASMB_STATUS_SUCCESS) {
        vneg_check(c, rep);
    } else if (st == ASMB_STATUS_NOT_SUPPORTED || st == ASMB_STATUS_INVALID_DEVICE_REQUEST ||
               st == ASMB_STATUS_FILE_CLOSED) {
        /* A server without it (older Windows, some NAS) says so in a signed
         * reply (the engine required the signature): accepted, as Samba's
         * and Linux's clients do. */
        c->vneg = ASMB_VNEG_DONE;
        ASMB_LOG(c, ASMB_LOG_WARN, "the server does not validate negotiation (%s)",
                 asmb_ntstatus_name(st));
        asmb__trees_unpark(c, NULL);
    } else {
        const char *name = asmb_ntstatus_name(st);
        vneg_fail(c, ASMB_EPROTO, st, name ? name : "STATUS_?");
    }
}

static void vneg_req_fail(asmb_req *r, int code)
{
    vneg_fail(r->conn, code, 0, asmb_strerror(code));
}

int asmb__vneg_hold(asmb_conn *c, asmb_tree *t)
{
    if (c->vneg == ASMB_VNEG_DONE) return 0;
    if (c->info.dialect >= ASMB_SMB3_11 || !asmb__session_keyed(c)) {
        c->vneg = ASMB_VNEG_DONE; /* 3.1.1: preauth; unkeyed: nothing to sign with */
        return 0;
    }
    t->parked = 1;
    if (c->vneg == ASMB_VNEG_SENT) return 1;
    asmb_req *r = asmb__req_new(c, SMB2_IOCTL, NULL);
    if (!r) {
        vneg_fail(c, ASMB_ENOMEM, 0, "out of memory");
        return 1;
    }
    c->vneg = ASMB_VNEG_SENT;
    r->tree_id = t->info.tree_id;
    r->must_sign = 1; /* 3.2.5.5: signed even when the session does not sign */
    r->encode = vneg_encode;
    r->on_reply = vneg_reply;
    r->on_fail = vneg_req_fail;
    asmb__req_submit(r, c->cfg.op_timeout_ms);
    return 1;
}
