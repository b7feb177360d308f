/* Connection-oriented DCE/RPC PDUs (C706 12.6, MS-RPCE 2.2.2): BIND,
 * BIND_ACK / BIND_NAK, REQUEST, RESPONSE with fragment reassembly, FAULT. */
#include "dcerpc.h"

#include <string.h>

#include "asmb/asmb_errno.h"

#define DREP_LE_ASCII_IEEE 0x10 /* packed_drep[0]: little-endian ints, ASCII chars */
#define FAULT_MIN_LEN 28        /* 24 + status */

/* C706 12.6.3.1 common header; frag_length is patched by hdr_end. */
static size_t hdr_begin(asmb_wr *w, uint8_t ptype, uint32_t call_id)
{
    size_t start = w->len;
    asmb_wr_u8(w, 5); /* rpc_vers */
    asmb_wr_u8(w, 0); /* rpc_vers_minor */
    asmb_wr_u8(w, ptype);
    asmb_wr_u8(w, PFC_FIRST_FRAG | PFC_LAST_FRAG);
    asmb_wr_u8(w, DREP_LE_ASCII_IEEE);
    asmb_wr_zero(w, 3); /* rest of packed_drep: IEEE floats, reserved */
    asmb_wr_u16(w, 0);  /* frag_length */
    asmb_wr_u16(w, 0);  /* auth_length */
    asmb_wr_u32(w, call_id);
    return start;
}

static int hdr_end(asmb_wr *w, size_t start)
{
    if (w->err) return ASMB_ENOMEM;
    size_t n = w->len - start;
    if (n > 0xFFFF) return ASMB_EINVAL;
    asmb_wr_put_u16(w, start + 8, (uint16_t)n);
    return 0;
}

int asmb__rpc_hdr_decode(const uint8_t *p, size_t len, asmb_rpc_hdr *h)
{
    if (!p || len < DCERPC_HDR_LEN) return ASMB_EPROTO;
    if (p[0] != 5 || p[1] > 1) return ASMB_EPROTO; /* MS-RPCE 2.2.2.1: 5.0 or 5.1 */
    if ((p[4] & 0xF0) != 0x10) return ASMB_EPROTO; /* big-endian NDR: unsupported */
    uint16_t frag = asmb_le16(p + 8), auth = asmb_le16(p + 10);
    if (frag < DCERPC_HDR_LEN || frag > len || auth != 0) return ASMB_EPROTO;
    h->ptype = p[2];
    h->flags = p[3];
    h->frag_length = frag;
    h->call_id = asmb_le32(p + 12);
    return 0;
}

size_t asmb__rpc_frag_length(const uint8_t *p, size_t len)
{
    if (!p || len < DCERPC_HDR_LEN || p[0] != 5 || p[1] > 1) return 0;
    size_t frag = asmb_le16(p + 8);
    return frag < DCERPC_HDR_LEN ? 0 : frag;
}

static void syntax_put(asmb_wr *w, const asmb_rpc_syntax *s)
{
    asmb_wr_bytes(w, s->uuid, 16);
    asmb_wr_u32(w, s->version);
}

/* C706 12.6.4.3: one context (p_cont_id 0) with one transfer syntax. */
int asmb__rpc_bind_encode(asmb_wr *w, uint32_t call_id, const asmb_rpc_syntax *iface)
{
    static const asmb_rpc_syntax ndr = ASMB_RPC_NDR_SYNTAX;
    if (!iface) return ASMB_EINVAL;
    size_t start = hdr_begin(w, DCERPC_BIND, call_id);
    asmb_wr_u16(w, DCERPC_MAX_FRAG); /* max_xmit_frag */
    asmb_wr_u16(w, DCERPC_MAX_FRAG); /* max_recv_frag */
    asmb_wr_u32(w, 0);               /* assoc_group_id: a new group */
    asmb_wr_u8(w, 1);                /* p_context_elem.n_context_elem */
    asmb_wr_u8(w, 0);
    asmb_wr_u16(w, 0);
    asmb_wr_u16(w, 0); /* p_cont_id */
    asmb_wr_u8(w, 1);  /* n_transfer_syn */
    asmb_wr_u8(w, 0);
    syntax_put(w, iface);
    syntax_put(w, &ndr);
    return hdr_end(w, start);
}

/* C706 12.6.4.4 (BIND_ACK): max frags, assoc group, the secondary address
 * (port_any_t: u16 length + bytes), 4-byte alignment, the result list. */
int asmb__rpc_bind_ack_decode(const uint8_t *p, size_t len, uint32_t call_id,
                              asmb_rpc_bind_ack *out)
{
    static const asmb_rpc_syntax ndr = ASMB_RPC_NDR_SYNTAX;
    asmb_rpc_hdr h;
    memset(out, 0, sizeof *out);
    if (asmb__rpc_hdr_decode(p, len, &h) || h.frag_length != len || h.call_id != call_id)
        return ASMB_EPROTO;
    if (h.ptype == DCERPC_BIND_NAK) { /* 12.6.4.5: provider_reject_reason */
        out->reason = len >= DCERPC_HDR_LEN + 2 ? asmb_le16(p + DCERPC_HDR_LEN) : 0;
        return ASMB_ENOTSUP;
    }
    if (h.ptype != DCERPC_BIND_ACK) return ASMB_EPROTO;
    asmb_rd r;
    asmb_rd_init(&r, p, len);
    asmb_rd_skip(&r, DCERPC_HDR_LEN);
    out->max_xmit_frag = asmb_rd_u16(&r);
    out->max_recv_frag = asmb_rd_u16(&r);
    out->assoc_group = asmb_rd_u32(&r);
    asmb_rd_skip(&r, asmb_rd_u16(&r)); /* sec_addr.port_spec */
    asmb_rd_skip(&r, (4 - r.pos % 4) % 4);
    uint8_t nres = asmb_rd_u8(&r);
    asmb_rd_skip(&r, 3);
    uint16_t result = asmb_rd_u16(&r), reason = asmb_rd_u16(&r);
    const uint8_t *syn = asmb_rd_bytes(&r, 20);
    if (r.err || nres < 1) return ASMB_EPROTO;
    if (result != 0) { /* 1 user rejection, 2 provider rejection */
        out->reason = reason;
        return ASMB_ENOTSUP;
    }
    if (memcmp(syn, ndr.uuid, 16) != 0 || asmb_le32(syn + 16) != ndr.version)
        return ASMB_EPROTO; /* accepted a syntax we did not offer */
    return 0;
}

/* C706 12.6.4.9: alloc_hint, p_cont_id, opnum, stub. */
int asmb__rpc_request_encode(asmb_wr *w, uint32_t call_id, uint16_t opnum, const void *stub,
                             size_t stub_len)
{
    if ((stub_len && !stub) || stub_len > DCERPC_MAX_FRAG - DCERPC_RESP_HDR) return ASMB_EINVAL;
    size_t start = hdr_begin(w, DCERPC_REQUEST, call_id);
    asmb_wr_u32(w, (uint32_t)stub_len); /* alloc_hint */
    asmb_wr_u16(w, 0);                  /* p_cont_id */
    asmb_wr_u16(w, opnum);
    if (stub_len) asmb_wr_bytes(w, stub, stub_len);
    return hdr_end(w, start);
}

void asmb__rpc_reasm_init(asmb_rpc_reasm *r, uint32_t call_id, size_t max_stub)
{
    memset(r, 0, sizeof *r);
    r->call_id = call_id;
    r->max_stub = max_stub;
    asmb_wr_init(&r->stub);
}

void asmb__rpc_reasm_free(asmb_rpc_reasm *r) { asmb_wr_free(&r->stub); }

static int reasm_fail(asmb_rpc_reasm *r, int err)
{
    r->err = err;
    return err;
}

/* C706 12.6.4.10 (RESPONSE): alloc_hint, p_cont_id, cancel_count, reserved,
 * stub. alloc_hint is only a hint: nothing is allocated from it. The first
 * fragment carries PFC_FIRST_FRAG, the last PFC_LAST_FRAG (12.4.1.3). */
int asmb__rpc_reasm_add(asmb_rpc_reasm *r, const uint8_t *p, size_t len, size_t *used)
{
    if (r->err) return r->err;
    if (r->done) return ASMB_EALREADY;
    asmb_rpc_hdr h;
    if (asmb__rpc_hdr_decode(p, len, &h) || (!used && h.frag_length != len) ||
        h.call_id != r->call_id)
        return reasm_fail(r, ASMB_EPROTO);
    if (h.ptype == DCERPC_FAULT) { /* 12.6.4.7: status at 24 */
        if (h.frag_length < FAULT_MIN_LEN) return reasm_fail(r, ASMB_EPROTO);
        r->fault_status = asmb_le32(p + DCERPC_RESP_HDR);
        return reasm_fail(r, ASMB_EFAILURE);
    }
    int first = (h.flags & PFC_FIRST_FRAG) != 0;
    if (h.ptype != DCERPC_RESPONSE || h.frag_length < DCERPC_RESP_HDR || first != (r->nfrags == 0))
        return reasm_fail(r, ASMB_EPROTO);
    size_t n = h.frag_length - DCERPC_RESP_HDR;
    if (n > r->max_stub - r->stub.len) return reasm_fail(r, ASMB_EPROTO);
    asmb_wr_bytes(&r->stub, p + DCERPC_RESP_HDR, n);
    if (r->stub.err) return reasm_fail(r, ASMB_ENOMEM);
    r->nfrags++;
    if (used) *used = h.frag_length;
    if (h.flags & PFC_LAST_FRAG) {
        r->done = 1;
        return 1;
    }
    return 0;
}
