/* SPNEGO (RFC 4178) tokens for NTLMSSP, DER by hand: the encoder computes the
 * lengths bottom-up; the decoder walks the fixed NegTokenResp shape (no
 * recursion) and checks every length against its container. */
#include "spnego.h"

#include <string.h>

#include "asmb/asmb_errno.h"

/* DER tags. */
#define DER_ENUMERATED 0x0a
#define DER_OCTET_STRING 0x04
#define DER_OID 0x06
#define DER_SEQUENCE 0x30
#define DER_CTX(n) (0xa0 | (n)) /* [n] constructed, context-specific */
#define DER_APPLICATION0 0x60   /* GSS-API InitialContextToken (RFC 2743 3.1) */

/* OID 1.3.6.1.5.5.2 (SPNEGO), with tag and length. */
static const uint8_t spnego_oid[] = {0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
/* OID 1.3.6.1.4.1.311.2.2.10 (NTLMSSP), value only. */
static const uint8_t ntlmssp_oid[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a};
/* MechTypeList ::= SEQUENCE OF MechType { NTLMSSP }. */
static const uint8_t mech_list[] = {0x30, 0x0c, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04,
                                    0x01, 0x82, 0x37, 0x02, 0x02, 0x0a};

#define DER_MAX_LEN 0xffffffu /* our tokens stay far below 16 MiB */

const uint8_t *asmb__spnego_mechlist(size_t *len)
{
    if (len) *len = sizeof mech_list;
    return mech_list;
}

/* ---- encoder ---- */

static size_t der_len_size(size_t len)
{
    return len < 0x80 ? 1 : len <= 0xff ? 2 : len <= 0xffff ? 3 : len <= 0xffffff ? 4 : 5;
}

/* Size of a whole TLV whose value is len bytes. */
static size_t der_tlv_size(size_t len) { return 1 + der_len_size(len) + len; }

static void der_hdr(asmb_wr *w, uint8_t tag, size_t len)
{
    size_t n = der_len_size(len);
    asmb_wr_u8(w, tag);
    if (n == 1) {
        asmb_wr_u8(w, (uint8_t)len);
        return;
    }
    asmb_wr_u8(w, (uint8_t)(0x80 | (n - 1)));
    for (size_t i = n - 1; i > 0; i--) asmb_wr_u8(w, (uint8_t)(len >> (8 * (i - 1))));
}

/* [ctx] { OCTET STRING data }: returns the size of the whole element. */
static size_t ctx_octets_size(size_t len) { return der_tlv_size(der_tlv_size(len)); }

static void ctx_octets(asmb_wr *w, uint8_t ctx, const uint8_t *p, size_t len)
{
    der_hdr(w, DER_CTX(ctx), der_tlv_size(len));
    der_hdr(w, DER_OCTET_STRING, len);
    asmb_wr_bytes(w, p, len);
}

/* InitialContextToken ::= [APPLICATION 0] { thisMech OID, innerToken }, with
 * innerToken = [0] NegTokenInit ::= SEQUENCE { [0] mechTypes, [2] mechToken }
 * (RFC 4178 4.2.1). */
int asmb__spnego_init(const uint8_t *mech_token, size_t len, asmb_wr *out)
{
    if (!out || (len && !mech_token) || len > DER_MAX_LEN) return ASMB_EINVAL;
    size_t types = der_tlv_size(sizeof mech_list);
    size_t seq = types + ctx_octets_size(len);
    size_t init = der_tlv_size(der_tlv_size(seq));
    der_hdr(out, DER_APPLICATION0, sizeof spnego_oid + init);
    asmb_wr_bytes(out, spnego_oid, sizeof spnego_oid);
    der_hdr(out, DER_CTX(0), der_tlv_size(seq));
    der_hdr(out, DER_SEQUENCE, seq);
    der_hdr(out, DER_CTX(0), sizeof mech_list);
    asmb_wr_bytes(out, mech_list, sizeof mech_list);
    ctx_octets(out, 2, mech_token, len);
    return out->err ? ASMB_ENOMEM : 0;
}

/* [1] NegTokenResp ::= SEQUENCE { [2] responseToken, [3] mechListMIC }. */
int asmb__spnego_resp(const uint8_t *token, size_t len, const uint8_t *mic, size_t mic_len,
                      asmb_wr *out)
{
    if (!out || (len && !token) || (mic_len && !mic) || len > DER_MAX_LEN ||
        mic_len > DER_MAX_LEN)
        return ASMB_EINVAL;
    size_t seq = (token ? ctx_octets_size(len) : 0) + (mic ? ctx_octets_size(mic_len) : 0);
    der_hdr(out, DER_CTX(1), der_tlv_size(seq));
    der_hdr(out, DER_SEQUENCE, seq);
    if (token) ctx_octets(out, 2, token, len);
    if (mic) ctx_octets(out, 3, mic, mic_len);
    return out->err ? ASMB_ENOMEM : 0;
}

/* ---- decoder ---- */

/* Reads one TLV at *pos of [p, p+len): single-byte tag, short or long (up to
 * 4 bytes) length, value inside the container. Advances *pos past it. */
static int der_next(const uint8_t *p, size_t len, size_t *pos, uint8_t *tag, const uint8_t **val,
                    size_t *vlen)
{
    size_t i = *pos, l;
    if (len - i < 2) return ASMB_EPROTO;
    *tag = p[i++];
    if ((*tag & 0x1f) == 0x1f) return ASMB_EPROTO; /* high tag numbers: never used here */
    l = p[i++];
    if (l & 0x80) {
        size_t n = l & 0x7f;
        if (n == 0 || n > 4 || len - i < n) return ASMB_EPROTO; /* indefinite/too long */
        for (l = 0; n; n--) l = l << 8 | p[i++];
    }
    if (l > len - i) return ASMB_EPROTO;
    *val = p + i;
    *vlen = l;
    *pos = i + l;
    return 0;
}

/* A TLV with tag `want` that fills [p, p+len) exactly. */
static int der_only(const uint8_t *p, size_t len, uint8_t want, const uint8_t **val, size_t *vlen)
{
    size_t pos = 0;
    uint8_t tag;
    if (der_next(p, len, &pos, &tag, val, vlen) || tag != want || pos != len) return ASMB_EPROTO;
    return 0;
}

static int resp_field(asmb_spnego_resp *out, uint8_t tag, const uint8_t *v, size_t vlen)
{
    const uint8_t *in;
    size_t n;
    switch (tag) {
    case DER_CTX(0): /* negState ENUMERATED */
        if (der_only(v, vlen, DER_ENUMERATED, &in, &n) || n != 1 || in[0] > 3) return ASMB_EPROTO;
        out->neg_state = in[0];
        return 0;
    case DER_CTX(1): /* supportedMech OID */
        if (der_only(v, vlen, DER_OID, &in, &n)) return ASMB_EPROTO;
        out->mech_is_ntlm = n == sizeof ntlmssp_oid && memcmp(in, ntlmssp_oid, n) == 0;
        return 0;
    case DER_CTX(2): /* responseToken OCTET STRING */
        if (der_only(v, vlen, DER_OCTET_STRING, &in, &n)) return ASMB_EPROTO;
        out->token = in;
        out->token_len = n;
        return 0;
    case DER_CTX(3): /* mechListMIC OCTET STRING */
        if (der_only(v, vlen, DER_OCTET_STRING, &in, &n)) return ASMB_EPROTO;
        out->mic = in;
        out->mic_len = n;
        return 0;
    default: return ASMB_EPROTO;
    }
}

/* NegTokenResp (RFC 4178 4.2.2): [1] SEQUENCE of optional [0]..[3], each at
 * most once and in order. Bytes after the [1] element are ignored. */
int asmb__spnego_parse_resp(const uint8_t *in, size_t len, asmb_spnego_resp *out)
{
    const uint8_t *body, *seq;
    size_t pos = 0, body_len, seq_len;
    uint8_t tag;
    int last = -1;
    if (!in || !out) return ASMB_EINVAL;
    memset(out, 0, sizeof *out);
    out->neg_state = ASMB_SPNEGO_NO_STATE;
    if (der_next(in, len, &pos, &tag, &body, &body_len) || tag != DER_CTX(1) ||
        der_only(body, body_len, DER_SEQUENCE, &seq, &seq_len))
        return ASMB_EPROTO;
    for (pos = 0; pos < seq_len;) {
        const uint8_t *v;
        size_t vlen;
        if (der_next(seq, seq_len, &pos, &tag, &v, &vlen)) return ASMB_EPROTO;
        int idx = tag - DER_CTX(0);
        if (idx <= last || idx > 3) return ASMB_EPROTO;
        last = idx;
        if (resp_field(out, tag, v, vlen)) return ASMB_EPROTO;
    }
    return 0;
}
