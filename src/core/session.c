/* NEGOTIATE and SESSION_SETUP (NTLMv2 in SPNEGO), key derivation, the
 * preauth integrity hash and signing (MS-SMB2 3.2.4.2, 3.2.5.2, 3.2.5.3). */
#include <stdio.h>
#include <string.h>

#include "../auth/spnego.h"
#include "log.h"
#include "../mem.h"
#include "../ntstatus.h"
#include "session.h"

static const uint16_t all_dialects[] = {0x0202, 0x0210, 0x0300, 0x0302, 0x0311};
/* 3.1.1 signing algorithms, most preferred first (GMAC is the fastest). */
static const uint16_t sign_algos[] = {SMB2_SIGNING_AES_GMAC, SMB2_SIGNING_AES_CMAC,
                                      SMB2_SIGNING_HMAC_SHA256};

static const uint16_t default_ciphers[] = {ASMB_CIPHER_AES_128_GCM, ASMB_CIPHER_AES_128_CCM,
                                           ASMB_CIPHER_AES_256_GCM, ASMB_CIPHER_AES_256_CCM};

static void session_setup_send(asmb_conn *c, const uint8_t *blob, size_t len);

/* The configured cipher list, or the default (GCM first: fastest with AES-NI). */
static int cipher_list(const asmb_conn *c, uint16_t out[4])
{
    int n = 0;
    for (int i = 0; i < 4 && c->cfg.ciphers[i]; i++) out[n++] = c->cfg.ciphers[i];
    if (n) return n;
    memcpy(out, default_ciphers, sizeof default_ciphers);
    return 4;
}

static void auth_fail(asmb_conn *c, int code, uint32_t st, const char *what)
{
    asmb__conn_fail(c, code, st, "%s", what);
}

static void auth_req_fail(asmb_req *r, int code)
{
    asmb_conn *c = r->conn;
    if (c->state != ASMB_ST_DEAD)
        asmb__conn_fail(c, code, 0, "%s during %s", asmb_strerror(code),
                        r->command == SMB2_NEGOTIATE ? "negotiation" : "session setup");
}

/* ---- NEGOTIATE ---- */

/* What our NEGOTIATE offers; VALIDATE_NEGOTIATE_INFO repeats it exactly. */
int asmb__neg_offer(const asmb_conn *c, uint16_t dialects[ASMB_NDIALECTS], uint32_t *caps,
                    uint16_t *security_mode)
{
    int n = 0;
    for (size_t i = 0; i < ASMB_ARRAY_LEN(all_dialects); i++)
        if (all_dialects[i] >= c->cfg.min_dialect && all_dialects[i] <= c->cfg.max_dialect)
            dialects[n++] = all_dialects[i];
    *security_mode = SMB2_NEGOTIATE_SIGNING_ENABLED |
                     (c->cfg.signing == ASMB_REQUIRED ? SMB2_NEGOTIATE_SIGNING_REQUIRED : 0);
    *caps = (c->cfg.max_dialect >= ASMB_SMB2_10 ? SMB2_GLOBAL_CAP_LARGE_MTU : 0) |
            (c->cfg.max_dialect >= ASMB_SMB3_00 ? SMB2_GLOBAL_CAP_ENCRYPTION : 0);
    return n;
}

static int negotiate_encode(asmb_req *r, asmb_wr *w)
{
    asmb_conn *c = r->conn;
    uint16_t dialects[ASMB_NDIALECTS];
    asmb_negotiate_req q = {0};
    q.dialects = dialects;
    q.ndialects = asmb__neg_offer(c, dialects, &q.capabilities, &q.security_mode);
    uint16_t ciphers[4];
    q.ciphers = ciphers;
    q.nciphers = cipher_list(c, ciphers);
    memcpy(q.client_guid, c->client_guid, 16);
    int rc = asmb__random(c->crypto, q.salt, sizeof q.salt); /* ASMB_ENOMEM or _ECRYPTO */
    if (rc) return rc;
    q.signing = sign_algos;
    q.nsigning = (int)ASMB_ARRAY_LEN(sign_algos);
    q.netname = c->host;
    return asmb__negotiate_encode(w, &q);
}

static int pick_signing(asmb_conn *c, const asmb_negotiate_resp *n)
{
    if (n->dialect < ASMB_SMB3_00) return ASMB_SIGN_HMAC_SHA256;
    if (n->dialect < ASMB_SMB3_11 || !n->have_signing) return ASMB_SIGN_AES_CMAC;
    switch (n->signing_algo) {
    case SMB2_SIGNING_HMAC_SHA256: return ASMB_SIGN_HMAC_SHA256;
    case SMB2_SIGNING_AES_CMAC: return ASMB_SIGN_AES_CMAC;
    case SMB2_SIGNING_AES_GMAC: return ASMB_SIGN_AES_GMAC;
    default: (void)c; return -1;
    }
}

static void negotiate_reply(asmb_req *r, const asmb_reply *rep)
{
    asmb_conn *c = r->conn;
    asmb_negotiate_resp n;
    uint32_t st = asmb__ntstatus_of(rep);
    if (st != ASMB_STATUS_SUCCESS) {
        asmb__conn_fail(c, ASMB_EFAILURE, st, "%s: negotiate refused by the server",
                        asmb_ntstatus_name(st) ? asmb_ntstatus_name(st) : "STATUS_?");
        return;
    }
    if (asmb__negotiate_decode(rep->msg, rep->len, &n)) {
        auth_fail(c, ASMB_EPROTO, 0, "malformed NEGOTIATE response");
        return;
    }
    if (n.dialect < c->cfg.min_dialect || n.dialect > c->cfg.max_dialect) {
        asmb__conn_fail(c, ASMB_ENOTSUP, 0, "server chose dialect 0x%04x outside %s..%s",
                        n.dialect, asmb_dialect_name(c->cfg.min_dialect),
                        asmb_dialect_name(c->cfg.max_dialect));
        return;
    }
    int known = 0;
    for (size_t i = 0; i < ASMB_ARRAY_LEN(all_dialects); i++) known |= all_dialects[i] == n.dialect;
    int algo = pick_signing(c, &n);
    if (!known || algo < 0 || (n.dialect == ASMB_SMB3_11 && n.preauth_hash != SMB2_PREAUTH_SHA512)) {
        auth_fail(c, ASMB_EPROTO, 0, "server chose an algorithm or dialect we did not offer");
        return;
    }
    if (n.dialect == ASMB_SMB3_11 &&
        asmb__preauth_update(c->crypto, c->preauth, &(asmb_iov){rep->msg, rep->len}, 1)) {
        auth_fail(c, ASMB_ECRYPTO, 0, "preauth hash failed");
        return;
    }
    /* 3.0/3.0.2 have one cipher, announced by a capability (3.2.5.2). */
    if (n.dialect == ASMB_SMB3_11) {
        uint16_t ciphers[4];
        int nc = cipher_list(c, ciphers), offered = 0;
        for (int i = 0; i < nc; i++) offered |= ciphers[i] == n.cipher;
        if (n.cipher && !offered) {
            auth_fail(c, ASMB_EPROTO, 0, "server chose a cipher we did not offer");
            return;
        }
        c->cipher = n.cipher;
    } else if (n.dialect >= ASMB_SMB3_00 && (n.capabilities & SMB2_GLOBAL_CAP_ENCRYPTION)) {
        c->cipher = ASMB_CIPHER_AES_128_CCM;
    }
    if (c->cfg.encryption == ASMB_REQUIRED && !c->cipher) {
        asmb__conn_fail(c, ASMB_EAUTH, 0, "encryption required, but the server did not offer "
                                            "encryption at dialect %s",
                        asmb_dialect_name(n.dialect));
        return;
    }
    c->info.dialect = n.dialect;
    c->sign_algo = algo;
    c->info.max_read_size = n.max_read;
    c->info.max_write_size = n.max_write;
    c->info.max_transact_size = n.max_transact;
    memcpy(c->info.server_guid, n.server_guid, 16);
    c->server_security_mode = n.security_mode;
    c->server_caps = n.capabilities;
    c->state = ASMB_ST_SESSION;

    asmb_ntlm_params p = {c->user, NULL, c->domain, c->workstation, NULL, NULL, c->nt_hash};
    c->ntlm = asmb__ntlm_new(c->crypto, &p);
    asmb_wr tok, blob;
    asmb_wr_init(&tok);
    asmb_wr_init(&blob);
    if (!c->ntlm || asmb__ntlm_negotiate(c->ntlm, &tok) ||
        asmb__spnego_init(tok.data, tok.len, &blob)) {
        auth_fail(c, ASMB_ENOMEM, 0, "building the NTLM NEGOTIATE message failed");
    } else {
        session_setup_send(c, blob.data, blob.len);
    }
    asmb_wr_free(&tok);
    asmb_wr_free(&blob);
}

int asmb__session_start(asmb_conn *c)
{
    c->state = ASMB_ST_NEGOTIATE;
    c->credits = 1; /* the client starts with one credit (3.2.4.1.5) */
    c->next_msg_id = 0;
    memset(c->preauth, 0, sizeof c->preauth);
    int rc = asmb__random(c->crypto, c->client_guid, 16); /* ASMB_ENOMEM or _ECRYPTO */
    if (rc) return rc;
    asmb_req *r = asmb__req_new(c, SMB2_NEGOTIATE, NULL);
    if (!r) return ASMB_ENOMEM;
    r->encode = negotiate_encode;
    r->on_reply = negotiate_reply;
    r->on_fail = auth_req_fail;
    r->unsigned_ok = 1;
    asmb__req_submit(r, 0); /* the phase deadline covers it */
    return 0;
}

/* ---- SESSION_SETUP ---- */

static int ss_encode(asmb_req *r, asmb_wr *w)
{
    asmb_wr *blob = r->data;
    uint8_t mode = SMB2_NEGOTIATE_SIGNING_ENABLED |
                   (r->conn->cfg.signing == ASMB_REQUIRED ? SMB2_NEGOTIATE_SIGNING_REQUIRED : 0);
    return asmb__session_setup_encode(w, mode, blob->data, blob->len);
}

static void wr_delete(void *p)
{
    asmb_wr_free(p);
    asmb__free(p);
}

static void ss_reply(asmb_req *r, const asmb_reply *rep);

static void session_setup_send(asmb_conn *c, const uint8_t *blob, size_t len)
{
    asmb_req *r = asmb__req_new(c, SMB2_SESSION_SETUP, NULL);
    asmb_wr *copy = asmb__calloc(1, sizeof *copy);
    if (copy) asmb_wr_bytes(copy, blob, len);
    if (!r || !copy || copy->err) {
        if (copy) asmb_wr_free(copy);
        asmb__free(copy);
        asmb__req_free(r);
        auth_fail(c, ASMB_ENOMEM, 0, "out of memory in session setup");
        return;
    }
    r->data = copy;
    r->data_free = wr_delete;
    r->encode = ss_encode;
    r->on_reply = ss_reply;
    r->on_fail = auth_req_fail;
    asmb__req_submit(r, 0);
}

static uint64_t filetime_now(const asmb_conn *c)
{
    return (c->unix_ms + 11644473600000ull) * 10000ull; /* 100 ns since 1601 */
}

/* First reply: STATUS_MORE_PROCESSING_REQUIRED carrying the NTLM CHALLENGE. */
static void ss_challenge(asmb_conn *c, const asmb_reply *rep, const uint8_t *blob, size_t blen)
{
    asmb_spnego_resp sp;
    if (asmb__spnego_parse_resp(blob, blen, &sp) || !sp.token ||
        sp.neg_state == ASMB_SPNEGO_REJECT) {
        auth_fail(c, ASMB_EPROTO, 0, "malformed SPNEGO challenge from the server");
        return;
    }
    c->session_id = rep->hdr->session_id;
    c->info.session_id = c->session_id;
    if (c->info.dialect == ASMB_SMB3_11 &&
        asmb__preauth_update(c->crypto, c->preauth, &(asmb_iov){rep->msg, rep->len}, 1)) {
        auth_fail(c, ASMB_ECRYPTO, 0, "preauth hash failed");
        return;
    }
    asmb_wr tok, out;
    asmb_wr_init(&tok);
    asmb_wr_init(&out);
    int rc = asmb__ntlm_authenticate(c->ntlm, sp.token, sp.token_len, filetime_now(c), &tok);
    uint8_t mic[16];
    int have_mic = 0;
    if (!rc && !asmb__ntlm_is_anonymous(c->ntlm)) {
        size_t ml;
        const uint8_t *mechlist = asmb__spnego_mechlist(&ml);
        rc = asmb__ntlm_sign(c->ntlm, 0, mechlist, ml, mic);
        have_mic = 1;
    }
    if (!rc) rc = asmb__spnego_resp(tok.data, tok.len, have_mic ? mic : NULL, have_mic ? 16 : 0,
                                    &out);
    if (rc)
        auth_fail(c, rc, 0, rc == ASMB_EPROTO ? "malformed NTLM CHALLENGE from the server"
                                              : "building the NTLM AUTHENTICATE message failed");
    else
        session_setup_send(c, out.data, out.len);
    asmb_wr_free(&tok);
    asmb_wr_free(&out);
}

static const struct { const char *label, *ctx30; const char *label311; } kdf_labels[] = {
    {"SMB2AESCMAC", "SmbSign", "SMBSigningKey"},
    {"SMB2AESCCM", "ServerIn ", "SMBC2SCipherKey"},
    {"SMB2AESCCM", "ServerOut", "SMBS2CCipherKey"},
    {"SMB2APP", "SmbRpc", "SMBAppKey"},
};

/* Session keys (MS-SMB2 3.2.5.3.1). */
static int derive_keys(asmb_conn *c)
{
    if (asmb__ntlm_session_key(c->ntlm, c->session_key)) return ASMB_EINVAL;
    if (c->info.dialect < ASMB_SMB3_00) {
        memcpy(c->signing_key, c->session_key, 16);
        return 0;
    }
    uint8_t *outs[] = {c->signing_key, c->enc_key, c->dec_key, c->app_key};
    /* AES-256 ciphers take 256-bit keys (L = 256) from the same labels. */
    size_t cipher_key = c->cipher ? asmb__aead_key_len(c->cipher) : 16;
    for (size_t i = 0; i < ASMB_ARRAY_LEN(kdf_labels); i++) {
        int v311 = c->info.dialect == ASMB_SMB3_11;
        const char *label = v311 ? kdf_labels[i].label311 : kdf_labels[i].label;
        const void *ctx = v311 ? (const void *)c->preauth : kdf_labels[i].ctx30;
        size_t ctx_len = v311 ? 64 : strlen(kdf_labels[i].ctx30) + 1;
        size_t out_len = (i == 1 || i == 2) ? cipher_key : 16;
        int rc = asmb__kdf(c->crypto, c->session_key, 16, label, strlen(label) + 1, ctx, ctx_len,
                           outs[i], out_len);
        if (rc) return rc;
    }
    return 0;
}

/* The session flags of the final reply against what the caller allows. A
 * guest or null flag is not covered by anything a man in the middle can't
 * forge below 3.1.1, and even there the client would skip the check that
 * catches it: so a guest session for a user who gave credentials is refused
 * unless the caller opted in (as Windows' AllowInsecureGuestAuth = 0). */
static int check_session_kind(asmb_conn *c, int keyless, int server_wants_enc)
{
    if (keyless && c->user[0] && !c->cfg.allow_guest_fallback) {
        asmb__conn_fail(c, ASMB_EAUTH, 0, "the server offered a %s session to user '%s', which "
                        "can't be signed or encrypted (a man in the middle can do that too); "
                        "refused (set allow_guest_fallback to accept it)",
                        c->info.is_guest ? "guest" : "null", c->user);
        return -1;
    }
    if ((server_wants_enc || c->cfg.encryption == ASMB_REQUIRED) && (keyless || !c->cipher)) {
        auth_fail(c, ASMB_EAUTH, 0, !keyless ? "the server requires encryption but chose no cipher"
                                             : "encryption required, but a guest or anonymous "
                                               "session cannot encrypt");
        return -1;
    }
    if (c->cfg.signing == ASMB_REQUIRED && keyless) {
        auth_fail(c, ASMB_EAUTH, 0, "signing required but the server gave a guest or anonymous "
                                    "session, which cannot sign");
        return -1;
    }
    return 0;
}

/* The final response is signed with the new key (MS-SMB2 3.3.5.5.3). In
 * 3.1.1 that signature binds the preauth hash; on every 3.x dialect it
 * covers SessionFlags, so it is required whenever the session will sign, and
 * checked whenever it is there and we hold a key (a flipped guest flag on a
 * reply the server signed fails here). */
static int check_final_signature(asmb_conn *c, const asmb_reply *rep, int keyless)
{
    int signed_ = !!(rep->hdr->flags & SMB2_FLAGS_SIGNED);
    int will_sign = c->cfg.signing != ASMB_OFF ||
                    (c->server_security_mode & SMB2_NEGOTIATE_SIGNING_REQUIRED);
    int required = !keyless && (c->info.dialect == ASMB_SMB3_11 ||
                                (c->info.dialect >= ASMB_SMB3_00 && will_sign));
    if (!signed_ && !required) return 0;
    if (!signed_) {
        auth_fail(c, ASMB_ESIGNATURE, 0, "the final SESSION_SETUP response is not signed");
        return -1;
    }
    if (asmb__smb2_verify(c->crypto, c->sign_algo, c->signing_key,
                          &(asmb_iov){rep->msg, rep->len}, 1)) {
        auth_fail(c, ASMB_ESIGNATURE, 0, "bad signature on the final SESSION_SETUP response");
        return -1;
    }
    return 0;
}

/* The server's mechListMIC proves the mechanism list was not tampered with
 * (RFC 4178 5). When our AUTHENTICATE carried a MIC, Samba and Windows send
 * one; some servers (impacket) never do. Where a verified SMB2 signature
 * covers the final response (signed, the key from this very exchange) the
 * SPNEGO token can't have been stripped, so an absent mechListMIC is allowed;
 * where nothing covers it, it is required (MS-SPNG 3.2.5.1: a MIC was sent).
 * One that is present is always checked. */
static int check_mechlist_mic(asmb_conn *c, const asmb_reply *rep, const uint8_t *blob,
                              size_t blen)
{
    asmb_spnego_resp sp;
    memset(&sp, 0, sizeof sp);
    if (blen && asmb__spnego_parse_resp(blob, blen, &sp)) {
        auth_fail(c, ASMB_EPROTO, 0, "malformed SPNEGO in the final SESSION_SETUP response");
        return -1;
    }
    if (!sp.mic) {
        int covered = !!(rep->hdr->flags & SMB2_FLAGS_SIGNED); /* verified just before */
        if (covered || !asmb__ntlm_sent_mic(c->ntlm)) return 0;
        auth_fail(c, ASMB_ESIGNATURE, 0, "the server's SPNEGO mechListMIC is missing (and no "
                                         "signature covers the final SESSION_SETUP response)");
        return -1;
    }
    size_t ml;
    const uint8_t *mechlist = asmb__spnego_mechlist(&ml);
    if (sp.mic_len != 16 || asmb__ntlm_verify(c->ntlm, 0, mechlist, ml, sp.mic)) {
        auth_fail(c, ASMB_ESIGNATURE, 0, "bad SPNEGO mechListMIC from the server");
        return -1;
    }
    return 0;
}

/* Keys, checks of the final reply, then signing and encryption. */
static int session_keys(asmb_conn *c, const asmb_reply *rep, int keyless, int server_wants,
                        const uint8_t *blob, size_t blen)
{
    int have_key = !asmb__ntlm_is_anonymous(c->ntlm);
    int rc = have_key ? derive_keys(c) : 0;
    if (rc) {
        auth_fail(c, rc, 0, "session key derivation failed");
        return -1;
    }
    if (have_key && check_final_signature(c, rep, keyless)) return -1;
    if (keyless) return 0; /* (opted in) the server holds no key: nothing more to prove */
    if (check_mechlist_mic(c, rep, blob, blen)) return -1;
    c->sign = c->cfg.signing != ASMB_OFF ||
              (c->server_security_mode & SMB2_NEGOTIATE_SIGNING_REQUIRED);
    if (c->cipher && (rc = asmb__enc_setup(c)) != 0) {
        auth_fail(c, rc, 0, "setting up encryption failed");
        return -1;
    }
    c->encrypt_all = c->cipher && (server_wants || c->cfg.encryption != ASMB_OFF);
    return 0;
}

/* A protection asked for "if supported" and not obtained is not an error,
 * but it must not pass silently: a downgrade to 2.x loses encryption. */
static void warn_unmet(asmb_conn *c)
{
    if (c->cfg.signing == ASMB_IF_SUPPORTED && !c->sign)
        ASMB_LOG(c, ASMB_LOG_WARN, "signing was asked for if supported, but the session is "
                                   "not signed (%s session)",
                 c->info.is_guest ? "guest" : c->info.is_anonymous ? "anonymous" : "unkeyed");
    if (c->cfg.encryption == ASMB_IF_SUPPORTED && !c->encrypt_all)
        ASMB_LOG(c, ASMB_LOG_WARN, "encryption was asked for if supported, but the session is "
                                   "not encrypted (dialect %s%s); min_dialect SMB3_11 or "
                                   "encryption required prevent this",
                 asmb_dialect_name(c->info.dialect), c->cipher ? "" : ", no cipher");
}

/* Final reply: STATUS_SUCCESS. */
static void ss_done(asmb_conn *c, const asmb_reply *rep, uint16_t flags, const uint8_t *blob,
                    size_t blen)
{
    c->info.is_guest = !!(flags & SMB2_SESSION_FLAG_IS_GUEST);
    c->info.is_anonymous = !!(flags & SMB2_SESSION_FLAG_IS_NULL) || asmb__ntlm_is_anonymous(c->ntlm);
    int keyless = c->info.is_guest || c->info.is_anonymous;
    int server_wants = !!(flags & SMB2_SESSION_FLAG_ENCRYPT_DATA);
    if (check_session_kind(c, keyless, server_wants) ||
        session_keys(c, rep, keyless, server_wants, blob, blen))
        return;
    c->info.cipher = c->encrypt_all ? c->cipher : ASMB_CIPHER_NONE;
    c->info.signing = c->sign;
    c->info.signing_algorithm = c->sign ? c->sign_algo : ASMB_SIGN_NONE;
    asmb__ntlm_free(c->ntlm);
    c->ntlm = NULL;
    c->state = ASMB_ST_READY;
    c->phase_deadline = 0;
    ASMB_LOG(c, ASMB_LOG_INFO, "authenticated%s: dialect %s, signing %s, encryption %s",
             c->info.is_anonymous ? " anonymously" : c->info.is_guest ? " as guest" : "",
             asmb_dialect_name(c->info.dialect), asmb_signing_name(c->info.signing_algorithm),
             asmb_cipher_name(c->info.cipher));
    warn_unmet(c);
    asmb__conn_post(c, &c->ev_auth_ok);
}

static void ss_reply(asmb_req *r, const asmb_reply *rep)
{
    asmb_conn *c = r->conn;
    uint32_t st = asmb__ntstatus_of(rep);
    uint16_t flags = 0;
    const uint8_t *blob = NULL;
    size_t blen = 0;
    if (st != ASMB_STATUS_SUCCESS && st != ASMB_STATUS_MORE_PROCESSING_REQUIRED) {
        const char *name = asmb_ntstatus_name(st);
        if (c->user[0])
            asmb__conn_fail(c, ASMB_EAUTH, st, "%s: session setup as user '%s%s%s'",
                            name ? name : "STATUS_?", c->domain, c->domain[0] ? "\\" : "", c->user);
        else
            asmb__conn_fail(c, ASMB_EAUTH, st, "%s: anonymous session setup", name ? name : "STATUS_?");
        return;
    }
    if (asmb__session_setup_decode(rep->msg, rep->len, &flags, &blob, &blen)) {
        auth_fail(c, ASMB_EPROTO, 0, "malformed SESSION_SETUP response");
        return;
    }
    if (st == ASMB_STATUS_MORE_PROCESSING_REQUIRED) {
        if (c->session_id && rep->hdr->session_id != c->session_id) {
            auth_fail(c, ASMB_EPROTO, 0, "session id changed during session setup");
            return;
        }
        if (c->session_id) { /* NTLM has exactly one challenge round */
            auth_fail(c, ASMB_EPROTO, 0, "unexpected extra session setup round");
            return;
        }
        ss_challenge(c, rep, blob, blen);
    } else {
        if (!c->session_id || rep->hdr->session_id != c->session_id) {
            auth_fail(c, ASMB_EPROTO, 0, "session setup completed out of order");
            return;
        }
        ss_done(c, rep, flags, blob, blen);
    }
}

/* ---- LOGOFF, signing ---- */

static int logoff_encode(asmb_req *r, asmb_wr *w)
{
    (void)r;
    return asmb__simple_encode(w);
}

static void ignore_reply(asmb_req *r, const asmb_reply *rep)
{
    (void)r;
    (void)rep;
}

int asmb__session_logoff(asmb_conn *c)
{
    asmb_req *r = asmb__req_new(c, SMB2_LOGOFF, NULL);
    if (!r) return ASMB_ENOMEM;
    r->encode = logoff_encode;
    r->on_reply = ignore_reply;
    asmb__req_submit(r, 0);
    return 0;
}

static int has_key(const asmb_conn *c)
{
    return c->state >= ASMB_ST_READY && !c->info.is_guest && !c->info.is_anonymous;
}

int asmb__session_keyed(const asmb_conn *c) { return has_key(c); }

int asmb__session_outgoing(asmb_conn *c, uint8_t *msg, size_t len, int must_sign, int *encrypt)
{
    uint16_t cmd = asmb_le16(msg + 12);
    *encrypt = 0;
    if ((cmd == SMB2_NEGOTIATE || cmd == SMB2_SESSION_SETUP) && c->state < ASMB_ST_READY) {
        /* The preauth chain covers NEGOTIATE and SESSION_SETUP requests
         * (3.2.5.2); it is discarded unless 3.1.1 is chosen. */
        return asmb__preauth_update(c->crypto, c->preauth, &(asmb_iov){msg, len}, 1);
    }
    if (has_key(c) && asmb__enc_wanted(c, asmb_le32(msg + 36))) {
        *encrypt = 1; /* sealed, not signed (3.2.4.1.8) */
        return 0;
    }
    /* 3.1.1 TREE_CONNECT is always signed when not encrypted (3.2.4.1.1). */
    int sign = c->sign || must_sign ||
               (cmd == SMB2_TREE_CONNECT && c->info.dialect == ASMB_SMB3_11 && has_key(c));
    if (!sign || !has_key(c)) return 0;
    asmb_st32(msg + 16, asmb_le32(msg + 16) | SMB2_FLAGS_SIGNED);
    return asmb__smb2_sign(c->crypto, c->sign_algo, c->signing_key, msg,
                           &(asmb_iov){msg + SMB2_HDR_LEN, len - SMB2_HDR_LEN}, 1);
}

int asmb__session_verify(asmb_conn *c, const asmb_smb2_hdr *h, const uint8_t *msg, size_t len,
                         int encrypted)
{
    if (!has_key(c)) return 0; /* nothing to check with; session setup checks its own */
    if (encrypted) return 0;   /* the AEAD tag authenticated it */
    if (c->encrypt_all) return ASMB_EPROTO; /* no plain replies, interims included (3.2.5.1.1.1) */
    if (h->flags & SMB2_FLAGS_SIGNED)
        return asmb__smb2_verify(c->crypto, c->sign_algo, c->signing_key, &(asmb_iov){msg, len}, 1);
    /* A signed session requires signed replies (3.2.5.1.3). */
    return c->sign ? ASMB_ESIGNATURE : 0;
}
