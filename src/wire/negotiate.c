/* NEGOTIATE request and response with 3.1.1 negotiate contexts
 * (MS-SMB2 2.2.3, 2.2.3.1, 2.2.4, 2.2.4.1). */
#include <string.h>

#include "asmb/asmb_errno.h"
#include "smb2.h"

/* Appends one context, 8-byte aligned relative to the SMB2 header; body_base
 * is the writer position of the header's first byte. Returns the data offset. */
static size_t ctx_begin(asmb_wr *w, size_t hdr_base, uint16_t type)
{
    while ((w->len - hdr_base) % 8) asmb_wr_u8(w, 0);
    asmb_wr_u16(w, type);
    asmb_wr_u16(w, 0); /* DataLength, patched by ctx_end */
    asmb_wr_u32(w, 0);
    return w->len;
}

static void ctx_end(asmb_wr *w, size_t data_off)
{
    asmb_wr_put_u16(w, data_off - 6, (uint16_t)(w->len - data_off));
}

static int has_311(const asmb_negotiate_req *r)
{
    for (int i = 0; i < r->ndialects; i++)
        if (r->dialects[i] == 0x0311) return 1;
    return 0;
}

int asmb__negotiate_encode(asmb_wr *w, const asmb_negotiate_req *r)
{
    /* The writer holds only the body; offsets count from the header, which
     * precedes the body by SMB2_HDR_LEN bytes. */
    size_t base = w->len;
    size_t hdr_base = base - SMB2_HDR_LEN; /* virtual: used for alignment only */
    int v311 = has_311(r);
    asmb_wr_u16(w, 36);
    asmb_wr_u16(w, (uint16_t)r->ndialects);
    asmb_wr_u16(w, r->security_mode);
    asmb_wr_u16(w, 0);
    asmb_wr_u32(w, r->capabilities);
    asmb_wr_bytes(w, r->client_guid, 16);
    size_t ctx_fields = w->len;
    asmb_wr_u64(w, 0); /* NegotiateContextOffset/Count/Reserved2, or ClientStartTime */
    for (int i = 0; i < r->ndialects; i++) asmb_wr_u16(w, r->dialects[i]);
    if (!v311) return w->err ? ASMB_ENOMEM : 0;

    uint16_t nctx = 0;
    size_t off = ctx_begin(w, hdr_base, SMB2_PREAUTH_INTEGRITY_CAPABILITIES);
    asmb_wr_put_u32(w, ctx_fields, (uint32_t)(off - 8 - hdr_base));
    asmb_wr_u16(w, 1);  /* HashAlgorithmCount */
    asmb_wr_u16(w, 32); /* SaltLength */
    asmb_wr_u16(w, SMB2_PREAUTH_SHA512);
    asmb_wr_bytes(w, r->salt, 32);
    ctx_end(w, off);
    nctx++;
    if (r->nciphers) {
        off = ctx_begin(w, hdr_base, SMB2_ENCRYPTION_CAPABILITIES);
        asmb_wr_u16(w, (uint16_t)r->nciphers);
        for (int i = 0; i < r->nciphers; i++) asmb_wr_u16(w, r->ciphers[i]);
        ctx_end(w, off);
        nctx++;
    }
    if (r->nsigning) {
        off = ctx_begin(w, hdr_base, SMB2_SIGNING_CAPABILITIES);
        asmb_wr_u16(w, (uint16_t)r->nsigning);
        for (int i = 0; i < r->nsigning; i++) asmb_wr_u16(w, r->signing[i]);
        ctx_end(w, off);
        nctx++;
    }
    if (r->netname && *r->netname) {
        off = ctx_begin(w, hdr_base, SMB2_NETNAME_NEGOTIATE_CONTEXT_ID);
        int rc = asmb_utf8_to_utf16le(w, r->netname, strlen(r->netname));
        if (rc) return rc;
        ctx_end(w, off);
        nctx++;
    }
    asmb_wr_put_u16(w, ctx_fields + 4, nctx);
    return w->err ? ASMB_ENOMEM : 0;
}

/* Parses the 3.1.1 contexts of a response (2.2.4.1): exactly one preauth
 * context, at most one encryption and one signing context, each choosing one
 * algorithm. */
static int parse_contexts(const uint8_t *msg, size_t len, size_t off, unsigned count,
                          asmb_negotiate_resp *o)
{
    asmb_rd r;
    asmb_rd_init(&r, msg, len);
    if (asmb_rd_seek(&r, off)) return ASMB_EPROTO;
    int seen_enc = 0;
    for (unsigned i = 0; i < count; i++) {
        if (i && asmb_rd_skip(&r, (8 - r.pos % 8) % 8)) return ASMB_EPROTO;
        uint16_t type = asmb_rd_u16(&r), dlen = asmb_rd_u16(&r);
        asmb_rd_skip(&r, 4);
        const uint8_t *d = asmb_rd_bytes(&r, dlen);
        if (!d) return ASMB_EPROTO;
        asmb_rd c;
        asmb_rd_init(&c, d, dlen);
        switch (type) {
        case SMB2_PREAUTH_INTEGRITY_CAPABILITIES:
            if (o->have_preauth || asmb_rd_u16(&c) != 1) return ASMB_EPROTO;
            asmb_rd_u16(&c); /* SaltLength; the salt is not used by the client */
            o->preauth_hash = asmb_rd_u16(&c);
            o->have_preauth = 1;
            break;
        case SMB2_ENCRYPTION_CAPABILITIES:
            if (seen_enc++ || asmb_rd_u16(&c) != 1) return ASMB_EPROTO;
            o->cipher = asmb_rd_u16(&c);
            break;
        case SMB2_SIGNING_CAPABILITIES:
            if (o->have_signing || asmb_rd_u16(&c) != 1) return ASMB_EPROTO;
            o->signing_algo = asmb_rd_u16(&c);
            o->have_signing = 1;
            break;
        default: break; /* compression, netname, transport, rdma: not used */
        }
        if (c.err) return ASMB_EPROTO;
    }
    return r.err ? ASMB_EPROTO : 0;
}

int asmb__negotiate_decode(const uint8_t *msg, size_t len, asmb_negotiate_resp *o)
{
    memset(o, 0, sizeof *o);
    if (len < SMB2_HDR_LEN || asmb__body_check(msg + SMB2_HDR_LEN, len - SMB2_HDR_LEN, 65))
        return ASMB_EPROTO;
    const uint8_t *b = msg + SMB2_HDR_LEN;
    o->security_mode = asmb_le16(b + 2);
    o->dialect = asmb_le16(b + 4);
    unsigned nctx = asmb_le16(b + 6);
    memcpy(o->server_guid, b + 8, 16);
    o->capabilities = asmb_le32(b + 24);
    o->max_transact = asmb_le32(b + 28);
    o->max_read = asmb_le32(b + 32);
    o->max_write = asmb_le32(b + 36);
    o->system_time = asmb_le64(b + 40);
    size_t soff = asmb_le16(b + 56), slen = asmb_le16(b + 58);
    o->sec_blob = asmb__msg_buffer(msg, len, soff, slen);
    o->sec_len = slen;
    if (!o->sec_blob) return ASMB_EPROTO;
    if (o->dialect == 0x0311) {
        if (nctx == 0 || parse_contexts(msg, len, asmb_le32(b + 60), nctx, o))
            return ASMB_EPROTO;
        if (!o->have_preauth) return ASMB_EPROTO;
    }
    return 0;
}
