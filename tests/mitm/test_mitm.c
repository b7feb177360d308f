/* Man-in-the-middle attacks on the protocol (tests/mitm/mitm.h sits between
 * the client and the harness Samba and rewrites frames). Each case checks
 * that its edit really ran (a hit counter) and what the client must do.
 *
 * Sections (argv[1]; all but "encserver" when none):
 *   guest      SessionFlags IS_GUEST / IS_NULL set in the final SESSION_SETUP response
 *   downgrade  the NEGOTIATE request's dialects rewritten down (3.0.2, 3.0, 2.1):
 *              FSCTL_VALIDATE_NEGOTIATE_INFO must end the connection
 *   sign       SIGNED cleared on the final SESSION_SETUP response at 3.0.2;
 *              SPNEGO mechListMIC stripped at 2.1 without signing
 *   interim    a forged plaintext unsigned interim reply: on an encrypted session
 *              (EPROTO), on a signed one (no sending beyond the real grants)
 *   encserver  (Samba with smb encrypt = required) SIGNED and ENCRYPT_DATA
 *              cleared on the final SESSION_SETUP response at 3.0.2
 * Not registered, to look at Samba (prints what it saw):
 *   observe, observe_enc  the interim replies of a fresh Samba's first srvsvc
 *              call on a signed / an encrypted session. Samba 4.17: unsigned on
 *              a signed session, encrypted on an encrypted one. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "itest.h"
#include "mitm.h"

enum { CMD_NEGOTIATE = 0x00, CMD_SESSION_SETUP = 0x01, CMD_TREE_CONNECT = 0x03,
       CMD_IOCTL = 0x0B, CMD_ECHO = 0x0D };
#define F_SIGNED 0x8u
#define SF_GUEST 0x1u
#define SF_NULL 0x2u
#define SF_ENCRYPT 0x4u
#define FSCTL_VALIDATE_NEGOTIATE_INFO 0x00140204u

static uv_loop_t *loop;
static int quick; /* ASMB_TEST_QUICK: valgrind */

/* ---- the attack the proxy runs, and what it saw ---- */

enum { A_NONE, A_SESSION_FLAGS, A_DOWNGRADE, A_UNSIGN, A_STRIP_MIC, A_INTERIM_ENC,
       A_INTERIM_SIGNED };

typedef struct attack {
    int kind;
    uint16_t set_flags;   /* A_SESSION_FLAGS: SessionFlags bits to set */
    int clear_signed;     /* A_SESSION_FLAGS, A_STRIP_MIC: clear SMB2_FLAGS_SIGNED too */
    int clear_encrypt;    /* A_UNSIGN: clear SESSION_FLAG_ENCRYPT_DATA (must be set) */
    int every;            /* A_INTERIM_SIGNED: before every ECHO reply, not just the first */
    uint16_t dialect;     /* A_DOWNGRADE: the dialect Samba is to pick */
    atomic_int hits;      /* the edit ran */
    atomic_int validate;  /* FSCTL_VALIDATE_NEGOTIATE_INFO requests seen (plain) */
    atomic_int final_signed, final_mic, final_flags; /* the real final SESSION_SETUP response */
    atomic_int neg_dialect;                          /* the dialect of the NEGOTIATE response */
    atomic_int interims, interims_signed;            /* real plain interim replies seen */
    atomic_int interim_credits, final_credits;       /* ... what they and the finals granted */
    atomic_ullong interim_mid;
    atomic_int validate_signed;                      /* VALIDATE_NEGOTIATE requests signed */
    /* A_INTERIM_ENC: the log names the ECHO request's message id (before it is sent) */
    atomic_ullong target_mid;
    atomic_int armed;
} attack;

static attack A;
static mitm *M;

static void attack_reset(int kind)
{
    memset(&A, 0, sizeof A);
    A.kind = kind;
}

/* DER: a length at p (at most n bytes); *hl gets the bytes it took. -1: bad. */
static long der_len(const unsigned char *p, size_t n, size_t *hl)
{
    if (n < 1) return -1;
    if (p[0] < 0x80) {
        *hl = 1;
        return p[0];
    }
    size_t k = p[0] & 0x7F;
    if (k < 1 || k > 3 || n < 1 + k) return -1;
    long v = 0;
    for (size_t i = 0; i < k; i++) v = v << 8 | p[1 + i];
    *hl = 1 + k;
    return v;
}
static size_t der_put_len(unsigned char *o, size_t v)
{
    if (v < 0x80) {
        o[0] = (unsigned char)v;
        return 1;
    }
    if (v < 0x100) {
        o[0] = 0x81;
        o[1] = (unsigned char)v;
        return 2;
    }
    o[0] = 0x82;
    o[1] = (unsigned char)(v >> 8);
    o[2] = (unsigned char)v;
    return 3;
}

/* The elements of a NegTokenResp (a1 { 30 { [0] [1] [2] [3] } }): *seq and
 * *seq_len the SEQUENCE's content. 0 or -1. */
static int negtokenresp(const unsigned char *b, size_t n, const unsigned char **seq, size_t *seq_len)
{
    size_t hl;
    if (n < 2 || b[0] != 0xA1) return -1;
    long l1 = der_len(b + 1, n - 1, &hl);
    if (l1 < 0 || 1 + hl + (size_t)l1 > n) return -1;
    const unsigned char *s = b + 1 + hl;
    if (l1 < 2 || s[0] != 0x30) return -1;
    size_t hl2;
    long l2 = der_len(s + 1, (size_t)l1 - 1, &hl2);
    if (l2 < 0 || 1 + hl2 + (size_t)l2 > (size_t)l1) return -1;
    *seq = s + 1 + hl2;
    *seq_len = (size_t)l2;
    return 0;
}

/* Does the NegTokenResp carry a mechListMIC ([3])? */
static int has_mic(const unsigned char *b, size_t n)
{
    const unsigned char *s;
    size_t sl, off = 0, hl;
    if (negtokenresp(b, n, &s, &sl)) return 0;
    while (off + 2 <= sl) {
        long l = der_len(s + off + 1, sl - off - 1, &hl);
        if (l < 0) return 0;
        if (s[off] == 0xA3) return 1;
        off += 1 + hl + (size_t)l;
    }
    return 0;
}

/* The NegTokenResp without its [3] element, in out; its length, 0 when none. */
static size_t strip_mic(const unsigned char *b, size_t n, unsigned char *out)
{
    const unsigned char *s;
    size_t sl, off = 0, hl, inner = 0;
    unsigned char body[4096];
    if (negtokenresp(b, n, &s, &sl) || sl > sizeof body) return 0;
    int found = 0;
    while (off + 2 <= sl) {
        long l = der_len(s + off + 1, sl - off - 1, &hl);
        if (l < 0) return 0;
        size_t el = 1 + hl + (size_t)l;
        if (off + el > sl) return 0;
        if (s[off] == 0xA3)
            found = 1;
        else {
            memcpy(body + inner, s + off, el);
            inner += el;
        }
        off += el;
    }
    if (!found) return 0;
    unsigned char seqh[4], outh[4];
    seqh[0] = 0x30;
    size_t sh = 1 + der_put_len(seqh + 1, inner);
    outh[0] = 0xA1;
    size_t oh = 1 + der_put_len(outh + 1, sh + inner);
    memcpy(out, outh, oh);
    memcpy(out + oh, seqh, sh);
    memcpy(out + oh + sh, body, inner);
    return oh + sh + inner;
}

/* The final SESSION_SETUP response: its security buffer. */
static int ss_blob(mitm_frame *f, size_t *off, size_t *len)
{
    unsigned char *h = f->p + 4;
    size_t pl = f->len - 4;
    if (pl < 64 + 8) return -1;
    *off = mitm_le16(h + 64 + 4);
    *len = mitm_le16(h + 64 + 6);
    return *off + *len <= pl ? 0 : -1;
}

static int edit(mitm_frame *f, void *arg)
{
    (void)arg;
    unsigned char *h = mitm_hdr(f);
    if (f->dir == MITM_C2S) {
        if (h && f->cmd == CMD_IOCTL && f->len >= 4 + 64 + 8 &&
            mitm_le32(h + 64 + 4) == FSCTL_VALIDATE_NEGOTIATE_INFO) {
            A.validate++;
            A.validate_signed += !!(mitm_h_flags(h) & F_SIGNED);
        }
        if (A.kind == A_DOWNGRADE && h && f->cmd == CMD_NEGOTIATE && f->nth == 0) {
            uint16_t n = mitm_le16(h + 64 + 2);
            int changed = 0;
            for (uint16_t i = 0; i < n && 4 + 64 + 36 + 2u * i + 2 <= f->len; i++) {
                unsigned char *d = h + 64 + 36 + 2 * i;
                if (mitm_le16(d) > A.dialect) {
                    mitm_st16(d, A.dialect);
                    changed = 1;
                }
            }
            A.hits += changed;
        }
        return MITM_PASS;
    }
    /* server -> client */
    if (A.kind == A_INTERIM_ENC && mitm_is_encrypted(f) && A.armed) {
        /* the reply to the armed ECHO (the only request outstanding) */
        unsigned char fr[MITM_INTERIM_LEN];
        uint64_t sid = 0;
        for (int i = 7; i >= 0; i--) sid = sid << 8 | f->p[4 + 44 + i]; /* transform SessionId */
        mitm_forge_interim(fr, CMD_ECHO, A.target_mid, sid, 0x1234, 65535);
        if (!mitm_inject(f, fr, sizeof fr)) A.hits++;
        A.armed = 0;
        return MITM_PASS;
    }
    if (!h) return MITM_PASS;
    if (f->cmd == CMD_NEGOTIATE && f->len >= 4 + 64 + 6) A.neg_dialect = mitm_le16(h + 64 + 4);
    if ((mitm_h_flags(h) & 0x2u) && mitm_h_status(h) == 0x103u) {
        A.interims++;
        A.interims_signed += !!(mitm_h_flags(h) & F_SIGNED);
        A.interim_credits += mitm_h_credits(h);
        A.interim_mid = mitm_h_msg_id(h) + 1;
    } else if (A.interim_mid && mitm_h_msg_id(h) + 1 == A.interim_mid) {
        A.final_credits += mitm_h_credits(h);
    }
    if (A.kind == A_INTERIM_SIGNED && f->cmd == CMD_ECHO && (f->nth == 0 || A.every)) {
        unsigned char fr[MITM_INTERIM_LEN];
        mitm_forge_interim(fr, CMD_ECHO, mitm_h_msg_id(h), mitm_h_session(h), 0x1234, 65535);
        if (!mitm_inject(f, fr, sizeof fr)) A.hits++;
        return MITM_PASS;
    }
    if (f->cmd != CMD_SESSION_SETUP || mitm_h_status(h) != 0 || f->len < 4 + 64 + 8)
        return MITM_PASS;
    /* the final SESSION_SETUP response: observe, then attack */
    size_t boff, blen;
    A.final_signed = !!(mitm_h_flags(h) & F_SIGNED);
    A.final_flags = mitm_le16(h + 64 + 2);
    if (!ss_blob(f, &boff, &blen)) A.final_mic = has_mic(h + boff, blen);
    switch (A.kind) {
    case A_SESSION_FLAGS:
        mitm_st16(h + 64 + 2, mitm_le16(h + 64 + 2) | A.set_flags);
        if (A.clear_signed) mitm_h_set_flags(h, mitm_h_flags(h) & ~F_SIGNED);
        A.hits++;
        break;
    case A_UNSIGN:
        if (!(mitm_h_flags(h) & F_SIGNED)) break; /* nothing to attack */
        if (A.clear_encrypt && !(mitm_le16(h + 64 + 2) & SF_ENCRYPT)) break;
        mitm_h_set_flags(h, mitm_h_flags(h) & ~F_SIGNED);
        if (A.clear_encrypt) mitm_st16(h + 64 + 2, mitm_le16(h + 64 + 2) & ~SF_ENCRYPT);
        A.hits++;
        break;
    case A_STRIP_MIC: {
        unsigned char nb[4096];
        size_t nl;
        if (ss_blob(f, &boff, &blen) || blen > sizeof nb || !(nl = strip_mic(h + boff, blen, nb)))
            break;
        size_t tail = f->len - 4 - (boff + blen); /* nothing should follow; kept if it does */
        unsigned char *rest = NULL;
        if (tail) {
            rest = malloc(tail);
            memcpy(rest, h + boff + blen, tail);
        }
        if (mitm_frame_resize(f, boff + nl + tail) == 0) {
            h = f->p + 4;
            memcpy(h + boff, nb, nl);
            if (tail) memcpy(h + boff + nl, rest, tail);
            mitm_st16(h + 64 + 6, (uint16_t)nl);
            if (A.clear_signed) mitm_h_set_flags(h, mitm_h_flags(h) & ~F_SIGNED);
            A.hits++;
        }
        free(rest);
        break;
    }
    default: break;
    }
    return MITM_PASS;
}

/* The log names each request's message id before it is sent: arm the
 * interim attack on the first ECHO sent after authentication. */
static void log_sink(int level, const char *msg, void *arg)
{
    (void)level;
    (void)arg;
    unsigned long long mid;
    if (A.kind == A_INTERIM_ENC && !A.hits && !A.armed &&
        sscanf(msg, "send ECHO mid=%llu", &mid) == 1) {
        A.target_mid = mid;
        A.armed = 1;
    }
}

/* ---- connections through the proxy ---- */

/* Connects through M; returns once auth ended either way (15 s at most). */
static asmb_conn *mconnect(const asmb_config *cfg, conn_events *e)
{
    memset(e, 0, sizeof *e);
    asmb_conn *c = asmb_conn_new(loop, cfg, &test_handlers, e);
    CHECK(c != NULL);
    if (!c) return NULL;
    CHECK_EQ_INT(asmb_conn_connect(c, "127.0.0.1", mitm_port(M)), 0);
    uint64_t until = uv_hrtime() + 15000000000ull;
    while (!(e->auth_ok || e->auth_failed || e->disconnected) && uv_hrtime() < until)
        t_pause(loop, 10);
    return c;
}

static void start_mitm(void)
{
    M = mitm_start(it_port(), edit, NULL);
    CHECK(M != NULL);
    if (!M) exit(1);
}
static void stop_mitm(void)
{
    mitm_stop(M);
    M = NULL;
}

static void cfg_at(asmb_config *cfg, uint16_t max)
{
    t_config(cfg);
    cfg->max_dialect = max;
}

/* ---- 1. guest flip ---- */

static void expect_auth_fail(const char *what, const conn_events *e, int code, const char *words)
{
    CHECK_EQ_INT(e->auth_ok, 0);
    CHECK_EQ_INT(e->auth_failed, 1);
    CHECK_EQ_INT(e->auth_fail.code, code);
    int has_words = 0;
    for (const char *w = words; w && *w; w += strlen(w) + 1)
        has_words |= strstr(e->auth_msg, w) != NULL;
    if (words) CHECK(has_words);
    if (e->auth_ok || e->auth_fail.code != code || (words && !has_words))
        fprintf(stderr, "  %s: auth_ok %d auth_failed %d (%s) %s\n", what, e->auth_ok,
                e->auth_failed, asmb_err_name(e->auth_fail.code), e->auth_msg);
}

static void guest_case(uint16_t max, uint16_t flags, int allow, int clear_signed, int anonymous)
{
    char what[128];
    snprintf(what, sizeof what, "guest flip 0x%x at %s%s%s%s", flags, asmb_dialect_name(max),
             allow ? ", allow_guest_fallback" : "", clear_signed ? ", SIGNED cleared" : "",
             anonymous ? ", anonymous" : "");
    printf("%s\n", what);
    attack_reset(A_SESSION_FLAGS);
    A.set_flags = flags;
    A.clear_signed = clear_signed;
    start_mitm();
    asmb_config cfg;
    cfg_at(&cfg, max);
    cfg.allow_guest_fallback = allow;
    if (anonymous) cfg.username = cfg.password = NULL;
    conn_events e;
    asmb_conn *c = mconnect(&cfg, &e);
    CHECK_EQ_INT(A.hits, 1);
    int was_signed = A.final_signed;
    asmb_conn_info info;
    memset(&info, 0, sizeof info);
    asmb_conn_info_get(c, &info);
    if (anonymous) {
        /* nothing to protect: accepted */
        CHECK_EQ_INT(e.auth_ok, 1);
        if (!e.auth_ok) fprintf(stderr, "  %s: %s\n", what, e.auth_msg);
    } else if (!allow) {
        expect_auth_fail(what, &e, ASMB_EAUTH, "guest\0anonymous\0");
    } else if (!clear_signed && was_signed) {
        /* the signed final response no longer verifies */
        expect_auth_fail(what, &e, ASMB_ESIGNATURE, NULL);
    } else if (clear_signed) {
        /* the documented insecure opt-in */
        CHECK_EQ_INT(e.auth_ok, 1);
        CHECK_EQ_INT(info.is_guest, 1);
        CHECK_EQ_INT(info.signing, 0);
        if (!e.auth_ok) fprintf(stderr, "  %s: %s\n", what, e.auth_msg);
    }
    printf("  final SESSION_SETUP response signed by Samba: %d, SessionFlags 0x%x, mechListMIC %d\n"
           "  -> auth_ok %d (guest %d, signing %d), %s: %s\n",
           was_signed, A.final_flags, A.final_mic, e.auth_ok, info.is_guest, info.signing,
           asmb_err_name(e.auth_fail.code), e.auth_msg);
    t_free(loop, c);
    stop_mitm();
}

static void test_guest(void)
{
    static const uint16_t dialects[] = {ASMB_SMB3_11, ASMB_SMB3_02, ASMB_SMB2_10};
    for (size_t i = 0; i < 3; i++) {
        guest_case(dialects[i], SF_GUEST, 0, 0, 0);
        guest_case(dialects[i], SF_NULL, 0, 0, 0);
    }
    guest_case(ASMB_SMB3_11, SF_GUEST, 1, 0, 0);
    guest_case(ASMB_SMB3_02, SF_GUEST, 1, 0, 0);
    guest_case(ASMB_SMB2_10, SF_GUEST, 1, 0, 0); /* Samba signs it at 2.1 too */
    guest_case(ASMB_SMB3_11, SF_GUEST, 1, 1, 0);
    guest_case(ASMB_SMB3_11, SF_GUEST, 0, 0, 1);
}

/* ---- 2. dialect downgrade ---- */

/* One share operation; its outcome. */
static void share_op(asmb_conn *c, res *x)
{
    asmb_deferred *d = NULL;
    int rc = asmb_list_path(c, "share", "", ASMB_SEARCH_DEFAULT, "*", NULL, &d);
    res_start(x, rc, &d);
    res_wait(loop, x, 20000);
}

static void downgrade_case(uint16_t target)
{
    printf("downgrade: NEGOTIATE request rewritten to %s\n", asmb_dialect_name(target));
    attack_reset(A_DOWNGRADE);
    A.dialect = target;
    start_mitm();
    asmb_config cfg;
    t_config(&cfg);
    conn_events e;
    asmb_conn *c = mconnect(&cfg, &e);
    CHECK_EQ_INT(A.hits, 1);
    CHECK_EQ_INT(A.neg_dialect, target); /* Samba picked what the attacker wanted */
    if (e.auth_ok) {
        res x;
        share_op(c, &x);
        CHECK_EQ_INT(x.ok, 0); /* no operation on the share succeeded */
        CHECK_EQ_INT(x.failed, 1);
        /* a second one cannot succeed either */
        res y;
        share_op(c, &y);
        CHECK_EQ_INT(y.ok, 0);
        uint64_t until = uv_hrtime() + 5000000000ull;
        while (!e.disconnected && uv_hrtime() < until) t_pause(loop, 10);
        CHECK_EQ_INT(e.disconnected, 1);
        if (x.ok || !e.disconnected)
            fprintf(stderr, "  downgrade to %s: op ok %d (%s), disconnected %d, validate sent %d\n",
                    asmb_dialect_name(target), x.ok, x.msg, e.disconnected, (int)A.validate);
        printf("  -> auth_ok, validate sent %d, operation: %s; disconnected %d: %s\n",
               (int)A.validate, x.ok ? "ok" : x.msg, e.disconnected, e.disc_msg);
        res_free(&x);
        res_free(&y);
    } else {
        printf("  -> auth failed: %s\n", e.auth_msg);
        CHECK_EQ_INT(e.auth_failed, 1); /* caught during authentication: also fine */
    }
    t_pause(loop, 50);
    CHECK_EQ_INT(e.disconnected, 1);
    t_free(loop, c);
    CHECK_EQ_INT(e.disconnected, 1); /* once */
    stop_mitm();
}

/* No tampering: VALIDATE_NEGOTIATE passes against Samba, and is really sent. */
static void validate_clean(uint16_t max)
{
    printf("no tampering at %s: validate negotiate sent and passes\n", asmb_dialect_name(max));
    attack_reset(A_NONE);
    start_mitm();
    asmb_config cfg;
    cfg_at(&cfg, max);
    conn_events e;
    asmb_conn *c = mconnect(&cfg, &e);
    CHECK_EQ_INT(e.auth_ok, 1);
    res x;
    share_op(c, &x);
    CHECK_EQ_INT(x.ok, 1);
    if (!x.ok) fprintf(stderr, "  %s: %s\n", asmb_dialect_name(max), x.msg);
    res_free(&x);
    CHECK_EQ_INT(A.validate, 1);
    CHECK_EQ_INT(A.validate_signed, 1); /* signed, not encrypted, at these dialects */
    CHECK_EQ_INT(e.disconnected, 0);
    t_free(loop, c);
    stop_mitm();
}

static void test_downgrade(void)
{
    validate_clean(ASMB_SMB3_02);
    validate_clean(ASMB_SMB2_10);
    downgrade_case(ASMB_SMB3_02);
    downgrade_case(ASMB_SMB3_00);
    downgrade_case(ASMB_SMB2_10);
}

/* ---- 3. unsigned final SESSION_SETUP, mechListMIC stripped ---- */

static void unsign_case(int signing)
{
    printf("final SESSION_SETUP response at 3.0.2 with SIGNED cleared (signing %d)\n", signing);
    attack_reset(A_UNSIGN);
    start_mitm();
    asmb_config cfg;
    cfg_at(&cfg, ASMB_SMB3_02);
    cfg.signing = signing;
    conn_events e;
    asmb_conn *c = mconnect(&cfg, &e);
    printf("  Samba signed it: %d\n", (int)A.final_signed);
    CHECK_EQ_INT(A.hits, 1);
    expect_auth_fail("unsigned final SESSION_SETUP", &e, ASMB_ESIGNATURE, NULL);
    printf("  -> auth_ok %d, %s: %s\n", e.auth_ok, asmb_err_name(e.auth_fail.code), e.auth_msg);
    t_free(loop, c);
    stop_mitm();
}

/* Samba signs the final SESSION_SETUP response even at 2.1 with the client's
 * signing off, so the SMB2 signature covers the blob: stripping the MIC
 * alone is caught by the signature (clear_signed 0). With SIGNED cleared too
 * only the client's own checks are left: the missing mechListMIC (or the
 * missing signature) must fail authentication. */
static void strip_mic_case(int clear_signed)
{
    printf("mechListMIC stripped at 2.1, signing off%s\n", clear_signed ? ", SIGNED cleared" : "");
    attack_reset(A_STRIP_MIC);
    A.clear_signed = clear_signed;
    start_mitm();
    asmb_config cfg;
    cfg_at(&cfg, ASMB_SMB2_10);
    cfg.signing = ASMB_OFF;
    conn_events e;
    asmb_conn *c = mconnect(&cfg, &e);
    printf("  Samba sent a mechListMIC: %d, signed the response: %d\n", (int)A.final_mic,
           (int)A.final_signed);
    CHECK_EQ_INT(A.final_mic, 1);
    CHECK_EQ_INT(A.hits, 1);
    CHECK_EQ_INT(e.auth_ok, 0);
    CHECK_EQ_INT(e.auth_failed, 1);
    CHECK(e.auth_fail.code == ASMB_ESIGNATURE || e.auth_fail.code == ASMB_EAUTH);
    int named = strstr(e.auth_msg, "mechListMIC") || (!clear_signed && strstr(e.auth_msg, "signature"));
    CHECK(named);
    printf("  -> auth_ok %d, %s: %s\n", e.auth_ok, asmb_err_name(e.auth_fail.code), e.auth_msg);
    t_free(loop, c);
    stop_mitm();
}

static void test_sign(void)
{
    unsign_case(ASMB_IF_SUPPORTED);
    unsign_case(ASMB_REQUIRED);
    strip_mic_case(0);
    strip_mic_case(1);
}

/* Samba requires encryption (smb encrypt = required): SIGNED and ENCRYPT_DATA
 * both cleared at 3.0.2. */
static void test_encserver(void)
{
    printf("final SESSION_SETUP response at 3.0.2 with SIGNED and ENCRYPT_DATA cleared\n");
    attack_reset(A_UNSIGN);
    A.clear_encrypt = 1;
    start_mitm();
    asmb_config cfg;
    cfg_at(&cfg, ASMB_SMB3_02);
    conn_events e;
    asmb_conn *c = mconnect(&cfg, &e);
    printf("  Samba signed it: %d, SessionFlags 0x%x\n", (int)A.final_signed, (int)A.final_flags);
    CHECK_EQ_INT(A.hits, 1);
    expect_auth_fail("unsigned, unencrypted final SESSION_SETUP", &e, ASMB_ESIGNATURE, NULL);
    printf("  -> auth_ok %d, %s: %s\n", e.auth_ok, asmb_err_name(e.auth_fail.code), e.auth_msg);
    t_free(loop, c);
    stop_mitm();
}

/* ---- 4. forged interim replies ---- */

static void interim_encrypted(void)
{
    printf("forged plaintext interim on an encrypted session\n");
    attack_reset(A_INTERIM_ENC);
    start_mitm();
    asmb_config cfg;
    t_config(&cfg);
    cfg.encryption = ASMB_REQUIRED;
    cfg.log_level = ASMB_LOG_TRACE;
    cfg.log = log_sink;
    conn_events e;
    asmb_conn *c = mconnect(&cfg, &e);
    CHECK_EQ_INT(e.auth_ok, 1);
    asmb_conn_info info;
    asmb_conn_info_get(c, &info);
    CHECK(info.cipher != ASMB_CIPHER_NONE);
    outcome o;
    memset(&o, 0, sizeof o);
    asmb_deferred *d;
    CHECK_EQ_INT(asmb_echo(c, NULL, &d), 0);
    asmb_deferred_then(d, t_cb, t_eb, &o);
    run_until(loop, &o.calls, 10000);
    uint64_t until = uv_hrtime() + 3000000000ull;
    while (!e.disconnected && uv_hrtime() < until) t_pause(loop, 10);
    CHECK_EQ_INT(A.hits, 1);
    CHECK_EQ_INT(o.calls, 1);
    CHECK_EQ_INT(o.failed, 1);
    CHECK_EQ_INT(e.disconnected, 1);
    CHECK_EQ_INT(e.disc.code, ASMB_EPROTO);
    if (o.ok || e.disc.code != ASMB_EPROTO)
        fprintf(stderr, "  encrypted interim: echo ok %d failed %d (%s), disconnected %d (%s) %s\n",
                o.ok, o.failed, o.msg, e.disconnected, asmb_err_name(e.disc.code), e.disc_msg);
    printf("  -> echo %s, disconnected %d (%s): %s\n", o.ok ? "ok" : o.msg, e.disconnected,
           asmb_err_name(e.disc.code), e.disc_msg);
    t_pause(loop, 50);
    CHECK_EQ_INT(o.calls, 1);
    t_free(loop, c);
    stop_mitm();
}

/* attacked 0: the same without the forged interim, to show the proxy's
 * credit count finds no violation in an honest run. */
static void interim_signed(int attacked, int every)
{
    int n = quick ? 1000 : 3000;
    printf("%s on a signed session, %d echoes, credit target 16\n",
           !attacked ? "no attack"
           : every   ? "a forged unsigned interim granting 65535 credits before every reply"
                     : "a forged unsigned interim granting 65535 credits",
           n);
    attack_reset(attacked ? A_INTERIM_SIGNED : A_NONE);
    A.every = every;
    start_mitm();
    asmb_config cfg;
    t_config(&cfg);
    cfg.signing = ASMB_REQUIRED;
    /* A small window (Samba grants what the client asks): the echoes wait
     * for credits, so a forged grant shows whatever the timing (valgrind). */
    cfg.credit_target = 16;
    conn_events e;
    asmb_conn *c = mconnect(&cfg, &e);
    CHECK_EQ_INT(e.auth_ok, 1);
    asmb_conn_info info;
    asmb_conn_info_get(c, &info);
    CHECK_EQ_INT(info.signing, 1);
    CHECK_EQ_INT(info.cipher, ASMB_CIPHER_NONE);
    outcome *o = calloc((size_t)n, sizeof *o);
    int started = 0;
    for (int i = 0; i < n; i++) {
        asmb_deferred *d;
        asmb_opts opts = {60000, 0};
        if (asmb_echo(c, &opts, &d) == 0) {
            asmb_deferred_then(d, t_cb, t_eb, &o[i]);
            started++;
        }
    }
    CHECK_EQ_INT(started, n);
    uint64_t until = uv_hrtime() + 60000000000ull;
    int done = 0;
    while (uv_hrtime() < until) {
        done = 0;
        for (int i = 0; i < n; i++) done += o[i].calls > 0;
        if (done == n) break;
        t_pause(loop, 20);
    }
    CHECK_EQ_INT(done, n);
    int twice = 0, ok = 0;
    for (int i = 0; i < n; i++) {
        twice += o[i].calls > 1;
        ok += o[i].ok;
    }
    CHECK_EQ_INT(twice, 0);
    mitm_credit_stats st;
    mitm_credit_stats_get(M, &st);
    if (every)
        CHECK(A.hits >= n / 2);
    else
        CHECK_EQ_INT(A.hits, attacked);
    CHECK(st.requests >= n);
    CHECK_EQ_INT(st.violations, 0);
    printf("  %d echoes ok, %ld requests, %ld beyond the real grants (by up to %llu credits), "
           "%llu granted, disconnected %d (%s)\n",
           ok, st.requests, st.violations, (unsigned long long)st.max_excess,
           (unsigned long long)st.granted, e.disconnected, e.disc_msg);
    free(o);
    t_free(loop, c);
    stop_mitm();
}

static void test_interim(void)
{
    interim_encrypted();
    interim_signed(0, 0);
    interim_signed(1, 0);
    interim_signed(1, 1);
}

/* Not a test: what Samba does with interim replies. The first srvsvc call of
 * a fresh Samba starts its RPC daemons; a reply later than 0.5 s is
 * preceded by an interim one. Prints what the proxy saw. */
static atomic_int log_pending, log_pending_enc;
static void pending_sink(int level, const char *msg, void *arg)
{
    (void)level;
    (void)arg;
    if (!strncmp(msg, "recv ", 5) && strstr(msg, "STATUS_PENDING")) {
        log_pending++;
        log_pending_enc += strstr(msg, " encrypted") != NULL;
    }
}

static void observe_interims(int encrypted)
{
    attack_reset(A_NONE);
    start_mitm();
    asmb_config cfg;
    t_config(&cfg);
    cfg.signing = ASMB_REQUIRED;
    if (encrypted) cfg.encryption = ASMB_REQUIRED;
    cfg.log_level = ASMB_LOG_TRACE;
    cfg.log = pending_sink;
    conn_events e;
    asmb_conn *c = mconnect(&cfg, &e);
    CHECK_EQ_INT(e.auth_ok, 1);
    res x;
    asmb_deferred *d = NULL;
    int rc = asmb_list_shares(c, NULL, &d);
    res_run(loop, &x, rc, &d);
    res_free(&x);
    printf("%s session, list_shares ok %d: the proxy saw %d plain interim replies (%d signed); "
           "the client got %d (%d encrypted); credits: interims %d, their final replies %d\n",
           encrypted ? "encrypted" : "signed", x.ok, (int)A.interims, (int)A.interims_signed,
           (int)log_pending, (int)log_pending_enc, (int)A.interim_credits, (int)A.final_credits);
    t_free(loop, c);
    stop_mitm();
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    quick = getenv("ASMB_TEST_QUICK") != NULL;
    loop = uv_default_loop();
    if (!only || !strcmp(only, "guest")) test_guest();
    if (!only || !strcmp(only, "downgrade")) test_downgrade();
    if (!only || !strcmp(only, "sign")) test_sign();
    if (!only || !strcmp(only, "interim")) test_interim();
    if (only && !strcmp(only, "encserver")) test_encserver();
    if (only && !strcmp(only, "observe")) observe_interims(0);
    if (only && !strcmp(only, "observe_enc")) observe_interims(1);
    uv_loop_close(loop);
    TEST_DONE();
}
