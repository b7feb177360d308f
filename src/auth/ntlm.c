/* NTLMv2 client (MS-NLMP). Flow: NEGOTIATE (2.2.1.1) -> CHALLENGE (2.2.1.2,
 * bounds-checked) -> AUTHENTICATE (2.2.1.3) with NTLMv2 responses (3.3.2),
 * key exchange and MIC (3.1.5.1.2); then the signing/sealing keys (3.4.5.2,
 * 3.4.5.3) for NTLMSSP_MESSAGE_SIGNATURE with extended session security
 * (3.4.4.2), which SPNEGO's mechListMIC uses. */
#include "ntlm.h"

#include <string.h>

#include <openssl/crypto.h> /* CRYPTO_memcmp, OPENSSL_cleanse only */

#include "../mem.h"
#include "asmb/asmb_errno.h"

/* NegotiateFlags (MS-NLMP 2.2.2.5). */
#define NTLMSSP_NEGOTIATE_UNICODE 0x00000001u
#define NTLMSSP_REQUEST_TARGET 0x00000004u
#define NTLMSSP_NEGOTIATE_SIGN 0x00000010u
#define NTLMSSP_NEGOTIATE_SEAL 0x00000020u
#define NTLMSSP_NEGOTIATE_NTLM 0x00000200u
#define NTLMSSP_ANONYMOUS 0x00000800u
#define NTLMSSP_NEGOTIATE_ALWAYS_SIGN 0x00008000u
#define NTLMSSP_NEGOTIATE_ESS 0x00080000u /* EXTENDED_SESSIONSECURITY */
#define NTLMSSP_NEGOTIATE_TARGET_INFO 0x00800000u
#define NTLMSSP_NEGOTIATE_VERSION 0x02000000u
#define NTLMSSP_NEGOTIATE_128 0x20000000u
#define NTLMSSP_NEGOTIATE_KEY_EXCH 0x40000000u
#define NTLMSSP_NEGOTIATE_56 0x80000000u

/* = 0xE2888235, what we send in NEGOTIATE. */
#define NTLM_CLIENT_FLAGS                                                               \
    (NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_REQUEST_TARGET | NTLMSSP_NEGOTIATE_SIGN |      \
     NTLMSSP_NEGOTIATE_SEAL | NTLMSSP_NEGOTIATE_NTLM | NTLMSSP_NEGOTIATE_ALWAYS_SIGN |  \
     NTLMSSP_NEGOTIATE_ESS | NTLMSSP_NEGOTIATE_TARGET_INFO | NTLMSSP_NEGOTIATE_VERSION | \
     NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_KEY_EXCH | NTLMSSP_NEGOTIATE_56)

/* AV_PAIR ids (MS-NLMP 2.2.2.1). */
#define MSV_AV_EOL 0
#define MSV_AV_FLAGS 6
#define MSV_AV_TIMESTAMP 7
#define MSV_AV_FLAG_MIC 0x2u

#define NTLM_HDR_LEN 72 /* AUTHENTICATE up to and including Version */
#define NTLM_MIC_OFF 72

static const uint8_t ntlm_sig[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
/* Version (2.2.2.10): 10.0 build 19041, NTLMSSP_REVISION_W2K3 (0x0F). */
static const uint8_t ntlm_version[8] = {10, 0, 0x61, 0x4a, 0, 0, 0, 0x0f};

struct asmb_ntlm {
    asmb_crypto *c;
    char *user, *domain, *workstation;
    uint8_t nt_hash[16]; /* the password itself is never kept */
    int anonymous;
    int sent_mic;
    int have_cc, have_esk_param;
    uint8_t cc[8], esk_param[16];
    uint8_t *nego; /* our NEGOTIATE_MESSAGE, for the MIC */
    size_t nego_len;
    uint32_t flags; /* negotiated */
    int have_key;
    uint8_t session_key[16]; /* ExportedSessionKey */
    uint8_t sign_c2s[16], sign_s2c[16];
    asmb_rc4 *seal_c2s, *seal_s2c;
};

/* Parsed CHALLENGE_MESSAGE; pointers into the message. */
typedef struct ntlm_challenge {
    uint32_t flags;
    const uint8_t *server_challenge; /* 8 bytes */
    const uint8_t *tinfo;
    size_t tinfo_len;
    const uint8_t *timestamp; /* MsvAvTimestamp value (8 bytes) or NULL */
    uint32_t av_flags;        /* MsvAvFlags value, 0 when absent */
} ntlm_challenge;

/* What goes into AUTHENTICATE_MESSAGE. */
typedef struct ntlm_auth {
    asmb_wr lm, nt, domain, user, ws;
    uint8_t enc_key[16];
    size_t enc_key_len;
    int mic;
} ntlm_auth;

static void wr_scrub(asmb_wr *w)
{
    if (w->data) OPENSSL_cleanse(w->data, w->len);
    asmb_wr_free(w);
}

asmb_ntlm *asmb__ntlm_new(asmb_crypto *c, const asmb_ntlm_params *p)
{
    if (!c || !p) return NULL;
    asmb_ntlm *n = asmb__calloc(1, sizeof *n);
    if (!n) return NULL;
    n->c = c;
    n->anonymous = !p->user || !p->user[0];
    n->user = asmb__strdup(p->user ? p->user : "");
    n->domain = asmb__strdup(p->domain ? p->domain : "");
    n->workstation = asmb__strdup(p->workstation ? p->workstation : "");
    int rc = p->nt_hash ? (memcpy(n->nt_hash, p->nt_hash, 16), 0)
                        : asmb__ntlm_hash(c, p->password ? p->password : "", n->nt_hash);
    if (rc || !n->user || !n->domain || !n->workstation) {
        asmb__ntlm_free(n);
        return NULL;
    }
    if (p->client_challenge) {
        memcpy(n->cc, p->client_challenge, 8);
        n->have_cc = 1;
    }
    if (p->exported_session_key) {
        memcpy(n->esk_param, p->exported_session_key, 16);
        n->have_esk_param = 1;
    }
    return n;
}

static void clear_keys(asmb_ntlm *n)
{
    asmb__rc4_free(n->seal_c2s);
    asmb__rc4_free(n->seal_s2c);
    n->seal_c2s = n->seal_s2c = NULL;
    n->have_key = 0;
    OPENSSL_cleanse(n->session_key, 16);
    OPENSSL_cleanse(n->sign_c2s, 16);
    OPENSSL_cleanse(n->sign_s2c, 16);
}

void asmb__ntlm_free(asmb_ntlm *n)
{
    if (!n) return;
    clear_keys(n);
    OPENSSL_cleanse(n->nt_hash, 16);
    asmb__free(n->user);
    asmb__free(n->domain);
    asmb__free(n->workstation);
    asmb__free(n->nego);
    OPENSSL_cleanse(n->esk_param, 16);
    asmb__free(n);
}

int asmb__ntlm_is_anonymous(const asmb_ntlm *n) { return n ? n->anonymous : 0; }

int asmb__ntlm_sent_mic(const asmb_ntlm *n) { return n ? n->sent_mic : 0; }

int asmb__ntlm_session_key(const asmb_ntlm *n, uint8_t key[16])
{
    if (!n || !n->have_key || n->anonymous) return ASMB_EINVAL;
    memcpy(key, n->session_key, 16);
    return 0;
}

/* NEGOTIATE_MESSAGE (2.2.1.1): no OEM domain/workstation, Version. */
int asmb__ntlm_negotiate(asmb_ntlm *n, asmb_wr *out)
{
    if (!n || !out) return ASMB_EINVAL;
    asmb_wr w;
    asmb_wr_init(&w);
    asmb_wr_bytes(&w, ntlm_sig, 8);
    asmb_wr_u32(&w, 1);
    asmb_wr_u32(&w, NTLM_CLIENT_FLAGS);
    asmb_wr_zero(&w, 16); /* DomainNameFields, WorkstationFields */
    asmb_wr_bytes(&w, ntlm_version, 8);
    if (w.err) {
        asmb_wr_free(&w);
        return ASMB_ENOMEM;
    }
    asmb_wr_bytes(out, w.data, w.len);
    if (out->err) {
        asmb_wr_free(&w);
        return ASMB_ENOMEM;
    }
    asmb__free(n->nego);
    n->nego_len = w.len;
    n->nego = asmb_wr_take(&w);
    return 0;
}

/* A Len/MaxLen/Offset field at `at`, checked to lie inside the message. */
static int msg_field(const uint8_t *msg, size_t len, size_t at, const uint8_t **p, size_t *n)
{
    size_t l = asmb_le16(msg + at), off = asmb_le32(msg + at + 4);
    if (off > len || l > len - off) return ASMB_EPROTO;
    *p = l ? msg + off : NULL;
    *n = l;
    return 0;
}

/* AV_PAIR list (2.2.2.1): every pair inside the field, terminated by MsvAvEOL. */
static int parse_target_info(ntlm_challenge *ch)
{
    asmb_rd r;
    asmb_rd_init(&r, ch->tinfo, ch->tinfo_len);
    if (!ch->tinfo_len) return 0;
    for (;;) {
        uint16_t id = asmb_rd_u16(&r), l = asmb_rd_u16(&r);
        const uint8_t *v = asmb_rd_bytes(&r, l);
        if (r.err) return ASMB_EPROTO;
        if (id == MSV_AV_EOL) return l == 0 ? 0 : ASMB_EPROTO;
        if (id == MSV_AV_TIMESTAMP) {
            if (l != 8) return ASMB_EPROTO;
            ch->timestamp = v;
        } else if (id == MSV_AV_FLAGS) {
            if (l != 4) return ASMB_EPROTO;
            ch->av_flags = asmb_le32(v);
        }
    }
}

/* CHALLENGE_MESSAGE (2.2.1.2). Every offset/length must be inside msg. */
static int parse_challenge(const uint8_t *msg, size_t len, ntlm_challenge *ch)
{
    const uint8_t *name;
    size_t name_len;
    memset(ch, 0, sizeof *ch);
    if (!msg || len < 48 || memcmp(msg, ntlm_sig, 8) != 0 || asmb_le32(msg + 8) != 2)
        return ASMB_EPROTO;
    if (msg_field(msg, len, 12, &name, &name_len) ||
        msg_field(msg, len, 40, &ch->tinfo, &ch->tinfo_len))
        return ASMB_EPROTO;
    ch->flags = asmb_le32(msg + 20);
    ch->server_challenge = msg + 24;
    if (!(ch->flags & NTLMSSP_NEGOTIATE_UNICODE)) return ASMB_EPROTO; /* no OEM strings */
    return parse_target_info(ch);
}

int asmb__ntlm_hash(asmb_crypto *c, const char *password, uint8_t out[16])
{
    asmb_wr pw;
    asmb_wr_init(&pw);
    int rc = asmb_utf8_to_utf16le(&pw, password, strlen(password));
    if (!rc) rc = asmb__md4(c, pw.data, pw.len, out);
    wr_scrub(&pw);
    return rc;
}

/* NTOWFv2 = HMAC_MD5(MD4(UTF16LE(Passwd)), UTF16LE(UPPER(User)) || UTF16LE(Domain))
 * (MS-NLMP 3.3.2). */
static int ntowfv2(asmb_ntlm *n, uint8_t out[16])
{
    asmb_wr id;
    asmb_wr_init(&id);
    int rc = asmb_utf8_to_utf16le_upper(&id, n->user, strlen(n->user));
    if (!rc) rc = asmb_utf8_to_utf16le(&id, n->domain, strlen(n->domain));
    if (!rc) {
        asmb_iov v = {id.data, id.len};
        rc = asmb__hmac_md5(n->c, n->nt_hash, 16, &v, 1, out);
    }
    asmb_wr_free(&id);
    return rc;
}

/* temp (3.3.2): 0x01 0x01 Z(6) Time ClientChallenge Z(4) ServerName Z(4), where
 * ServerName is the server's AV_PAIRs; with a MIC, MsvAvFlags gets bit 0x2
 * (3.1.5.1.2) and goes just before MsvAvEOL. */
static int build_temp(const ntlm_challenge *ch, uint64_t time, const uint8_t cc[8], int mic,
                      asmb_wr *t)
{
    asmb_wr_u16(t, 0x0101);
    asmb_wr_zero(t, 6);
    asmb_wr_u64(t, time);
    asmb_wr_bytes(t, cc, 8);
    asmb_wr_zero(t, 4);
    if (ch->tinfo_len) {
        asmb_rd r;
        asmb_rd_init(&r, ch->tinfo, ch->tinfo_len);
        for (;;) { /* already validated by parse_target_info */
            uint16_t id = asmb_rd_u16(&r), l = asmb_rd_u16(&r);
            const uint8_t *v = asmb_rd_bytes(&r, l);
            if (r.err) return ASMB_EPROTO;
            if (id == MSV_AV_EOL) break;
            if (mic && id == MSV_AV_FLAGS) continue;
            asmb_wr_u16(t, id);
            asmb_wr_u16(t, l);
            asmb_wr_bytes(t, v, l);
        }
        if (mic) {
            asmb_wr_u16(t, MSV_AV_FLAGS);
            asmb_wr_u16(t, 4);
            asmb_wr_u32(t, ch->av_flags | MSV_AV_FLAG_MIC);
        }
        asmb_wr_u32(t, 0); /* MsvAvEOL */
    }
    asmb_wr_zero(t, 4);
    return t->err ? ASMB_ENOMEM : 0;
}

/* NTLMv2 responses and session key (3.3.2, 3.1.5.1.2). Fills a->lm, a->nt,
 * a->enc_key and n->session_key (ExportedSessionKey). */
static int v2_responses(asmb_ntlm *n, const ntlm_challenge *ch, uint64_t now, ntlm_auth *a)
{
    uint8_t key[16], cc[8], proof[16], base_key[16];
    asmb_wr temp;
    asmb_wr_init(&temp);
    int rc = ntowfv2(n, key);
    if (!rc && n->have_cc) memcpy(cc, n->cc, 8);
    else if (!rc) rc = asmb__random(n->c, cc, 8);
    if (!rc) rc = build_temp(ch, ch->timestamp ? asmb_le64(ch->timestamp) : now, cc, a->mic,
                             &temp);
    if (!rc) { /* NTProofStr = HMAC_MD5(NTOWFv2, ServerChallenge || temp) */
        asmb_iov v[2] = {{ch->server_challenge, 8}, {temp.data, temp.len}};
        rc = asmb__hmac_md5(n->c, key, 16, v, 2, proof);
    }
    if (!rc) {
        asmb_wr_bytes(&a->nt, proof, 16);
        asmb_wr_bytes(&a->nt, temp.data, temp.len);
        if (ch->timestamp) { /* LmChallengeResponse = Z(24) with MsvAvTimestamp */
            asmb_wr_zero(&a->lm, 24);
        } else { /* LMv2 = HMAC_MD5(NTOWFv2, ServerChallenge || CChal) || CChal */
            asmb_iov v[2] = {{ch->server_challenge, 8}, {cc, 8}};
            uint8_t *lm = asmb_wr_space(&a->lm, 24);
            rc = lm ? asmb__hmac_md5(n->c, key, 16, v, 2, lm) : ASMB_ENOMEM;
            if (lm) memcpy(lm + 16, cc, 8);
        }
    }
    if (!rc) { /* SessionBaseKey = HMAC_MD5(NTOWFv2, NTProofStr) = KeyExchangeKey */
        asmb_iov v = {proof, 16};
        rc = asmb__hmac_md5(n->c, key, 16, &v, 1, base_key);
    }
    if (!rc && (n->flags & NTLMSSP_NEGOTIATE_KEY_EXCH)) {
        if (n->have_esk_param) memcpy(n->session_key, n->esk_param, 16);
        else rc = asmb__random(n->c, n->session_key, 16);
        if (!rc) rc = asmb__rc4(n->c, base_key, n->session_key, 16, a->enc_key);
        a->enc_key_len = 16;
    } else if (!rc) {
        memcpy(n->session_key, base_key, 16);
    }
    if (!rc && (a->nt.err || a->lm.err)) rc = ASMB_ENOMEM;
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(base_key, sizeof base_key);
    asmb_wr_free(&temp);
    return rc;
}

static void put_field(asmb_wr *w, size_t len, size_t off)
{
    asmb_wr_u16(w, (uint16_t)len);
    asmb_wr_u16(w, (uint16_t)len);
    asmb_wr_u32(w, (uint32_t)off);
}

/* AUTHENTICATE_MESSAGE (2.2.1.3); payload order: domain, user, workstation,
 * LM, NT, EncryptedRandomSessionKey (as in MS-NLMP 4.2.4). */
static int write_auth(const asmb_ntlm *n, const ntlm_auth *a, asmb_wr *w)
{
    const asmb_wr *pl[5] = {&a->domain, &a->user, &a->ws, &a->lm, &a->nt};
    size_t off[6], pos = NTLM_HDR_LEN + (a->mic ? 16 : 0);
    for (int i = 0; i < 5; i++) {
        if (pl[i]->len > 0xffff) return ASMB_EINVAL;
        off[i] = pos;
        pos += pl[i]->len;
    }
    off[5] = pos;
    asmb_wr_bytes(w, ntlm_sig, 8);
    asmb_wr_u32(w, 3);
    put_field(w, a->lm.len, off[3]);
    put_field(w, a->nt.len, off[4]);
    put_field(w, a->domain.len, off[0]);
    put_field(w, a->user.len, off[1]);
    put_field(w, a->ws.len, off[2]);
    put_field(w, a->enc_key_len, off[5]);
    asmb_wr_u32(w, n->flags);
    if (n->flags & NTLMSSP_NEGOTIATE_VERSION) asmb_wr_bytes(w, ntlm_version, 8);
    else asmb_wr_zero(w, 8);
    if (a->mic) asmb_wr_zero(w, 16); /* MIC, filled in afterwards */
    for (int i = 0; i < 5; i++) asmb_wr_bytes(w, pl[i]->data, pl[i]->len);
    asmb_wr_bytes(w, a->enc_key, a->enc_key_len);
    return w->err ? ASMB_ENOMEM : 0;
}

/* MD5(key[0..klen) || magic) where magic includes its NUL (3.4.5.2/3.4.5.3). */
static int md5_magic(asmb_crypto *c, const uint8_t *key, size_t klen, const char *magic,
                     uint8_t out[16])
{
    uint8_t buf[16 + 64];
    size_t mlen = strlen(magic) + 1;
    memcpy(buf, key, klen);
    memcpy(buf + klen, magic, mlen);
    int rc = asmb__md5(c, buf, klen + mlen, out);
    OPENSSL_cleanse(buf, sizeof buf);
    return rc;
}

/* SIGNKEY (3.4.5.2) and SEALKEY (3.4.5.3) for both directions, with the RC4
 * sealing handles (RC4Init(SealKey), continuous across messages). */
static int derive_keys(asmb_ntlm *n)
{
    static const char *const magic[4] = {
        "session key to client-to-server signing key magic constant",
        "session key to server-to-client signing key magic constant",
        "session key to client-to-server sealing key magic constant",
        "session key to server-to-client sealing key magic constant"};
    uint8_t seal_c2s[16], seal_s2c[16];
    size_t seal_len = (n->flags & NTLMSSP_NEGOTIATE_128) ? 16
                      : (n->flags & NTLMSSP_NEGOTIATE_56) ? 7 : 5;
    int rc = md5_magic(n->c, n->session_key, 16, magic[0], n->sign_c2s);
    if (!rc) rc = md5_magic(n->c, n->session_key, 16, magic[1], n->sign_s2c);
    if (!rc) rc = md5_magic(n->c, n->session_key, seal_len, magic[2], seal_c2s);
    if (!rc) rc = md5_magic(n->c, n->session_key, seal_len, magic[3], seal_s2c);
    if (!rc) {
        n->seal_c2s = asmb__rc4_new(n->c, seal_c2s, 16);
        n->seal_s2c = asmb__rc4_new(n->c, seal_s2c, 16);
        if (!n->seal_c2s || !n->seal_s2c) rc = ASMB_ENOMEM; /* the keys are valid */
    }
    OPENSSL_cleanse(seal_c2s, 16);
    OPENSSL_cleanse(seal_s2c, 16);
    return rc;
}

/* MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE || AUTHENTICATE)
 * with the MIC field zero (it is, as written by write_auth). */
static int add_mic(asmb_ntlm *n, const uint8_t *chal, size_t chal_len, asmb_wr *w, size_t start)
{
    uint8_t *auth = w->data + start;
    asmb_iov v[3] = {{n->nego, n->nego_len}, {chal, chal_len}, {auth, w->len - start}};
    return asmb__hmac_md5(n->c, n->session_key, 16, v, 3, auth + NTLM_MIC_OFF);
}

static int utf16_fields(const asmb_ntlm *n, ntlm_auth *a)
{
    int rc = 0;
    if (!n->anonymous) {
        rc = asmb_utf8_to_utf16le(&a->domain, n->domain, strlen(n->domain));
        if (!rc) rc = asmb_utf8_to_utf16le(&a->user, n->user, strlen(n->user));
    }
    if (!rc) rc = asmb_utf8_to_utf16le(&a->ws, n->workstation, strlen(n->workstation));
    return rc;
}

int asmb__ntlm_authenticate(asmb_ntlm *n, const uint8_t *challenge, size_t len,
                            uint64_t now_filetime, asmb_wr *out)
{
    ntlm_challenge ch;
    ntlm_auth a;
    if (!n || !out) return ASMB_EINVAL;
    int rc = parse_challenge(challenge, len, &ch);
    if (rc) return rc;
    clear_keys(n);
    /* Negotiated flags: ours as far as the server offers them (REQUEST_TARGET
     * is a request, not echoed as such). */
    n->flags = NTLM_CLIENT_FLAGS & (ch.flags | NTLMSSP_REQUEST_TARGET);
    memset(&a, 0, sizeof a);
    asmb_wr_init(&a.lm);
    asmb_wr_init(&a.nt);
    asmb_wr_init(&a.domain);
    asmb_wr_init(&a.user);
    asmb_wr_init(&a.ws);
    if (n->anonymous) { /* 3.2.5.1.2: LM = Z(1), NT empty, no key, no MIC */
        n->flags = (n->flags | NTLMSSP_ANONYMOUS) & ~NTLMSSP_NEGOTIATE_KEY_EXCH;
        asmb_wr_zero(&a.lm, 1);
    } else {
        a.mic = ch.timestamp != NULL;
        if (a.mic && !n->nego) rc = ASMB_EINVAL; /* the MIC covers our NEGOTIATE */
        if (!rc) rc = v2_responses(n, &ch, now_filetime, &a);
    }
    if (!rc) rc = utf16_fields(n, &a);
    size_t start = out->len;
    if (!rc) rc = write_auth(n, &a, out);
    if (!rc && a.mic) rc = add_mic(n, challenge, len, out, start);
    n->sent_mic = !rc && a.mic;
    if (!rc && !n->anonymous) {
        n->have_key = 1;
        rc = derive_keys(n);
    }
    if (rc) {
        clear_keys(n);
        if (out->len > start && !out->err) out->len = start; /* drop a partial message */
    }
    wr_scrub(&a.lm);
    wr_scrub(&a.nt);
    asmb_wr_free(&a.domain);
    asmb_wr_free(&a.user);
    asmb_wr_free(&a.ws);
    OPENSSL_cleanse(a.enc_key, sizeof a.enc_key);
    return rc;
}

/* NTLMSSP_MESSAGE_SIGNATURE with ESS (3.4.4.2): Version 1 || Checksum ||
 * SeqNum, Checksum = HMAC_MD5(SigningKey, SeqNum || Message)[0..8], RC4-sealed
 * with the direction's handle when KEY_EXCH was negotiated. */
static int ntlm_mac(asmb_ntlm *n, const uint8_t key[16], asmb_rc4 *seal, uint32_t seq,
                    const void *data, size_t len, uint8_t sig[16])
{
    uint8_t seqb[4], mac[16];
    if (!n->have_key) return ASMB_EINVAL;
    if (!(n->flags & NTLMSSP_NEGOTIATE_ESS)) return ASMB_ENOTSUP;
    asmb_st32(seqb, seq);
    asmb_iov v[2] = {{seqb, 4}, {data, len}};
    int rc = asmb__hmac_md5(n->c, key, 16, v, 2, mac);
    if (!rc && (n->flags & NTLMSSP_NEGOTIATE_KEY_EXCH)) rc = asmb__rc4_update(seal, mac, 8, mac);
    if (rc) return rc;
    asmb_st32(sig, 1);
    memcpy(sig + 4, mac, 8);
    asmb_st32(sig + 12, seq);
    return 0;
}

int asmb__ntlm_sign(asmb_ntlm *n, uint32_t seq, const void *data, size_t len, uint8_t sig[16])
{
    if (!n || !sig || (len && !data)) return ASMB_EINVAL;
    return ntlm_mac(n, n->sign_c2s, n->seal_c2s, seq, data, len, sig);
}

int asmb__ntlm_verify(asmb_ntlm *n, uint32_t seq, const void *data, size_t len,
                      const uint8_t sig[16])
{
    uint8_t want[16];
    if (!n || !sig || (len && !data)) return ASMB_EINVAL;
    int rc = ntlm_mac(n, n->sign_s2c, n->seal_s2c, seq, data, len, want);
    if (rc) return rc;
    return CRYPTO_memcmp(want, sig, 16) == 0 ? 0 : ASMB_ESIGNATURE;
}
