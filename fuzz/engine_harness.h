/* Whole-connection harness core, shared by fuzz_engine.c and
 * fuzz_engine_ss.c (fuzz code only; static functions, one includer each).
 *
 * How a connection runs without a socket: asmb_conn_new attaches the real
 * libuv transport (src/loop/uv_transport.c) to a private loop, and
 * asmb_conn_connect is never called. That transport is inert until it has
 * connected: want_write leaves frames in the engine's out queue, shutdown
 * finds no socket, rearm/schedule only arm a timer and an idle handle that
 * never run before the teardown. So no transport is faked and nothing in the
 * conn is overwritten: the harness plays the transport's part through the
 * engine entry points, as on_connect/on_read do:
 *   asmb__eng_start          (what on_connect calls): NEGOTIATE goes out;
 *   asmb__eng_rx_space/_done (what on_alloc/on_read call) with the input;
 *   asmb__conn_dispatch      (what after_event calls) after each chunk;
 *   asmb__eng_take_output    each queued frame is checked, then freed.
 * Teardown is the public one: asmb_conn_free, then the loop runs until the
 * transport has closed its handles and dropped the last reference; the loop
 * must then close (a handle left open = a leaked connection).
 *
 * Link-time wraps (-Wl,--wrap=asmb__crypto_new,--wrap=asmb__crypto_free,
 * --wrap=asmb__random; build.sh and CMakeLists.txt pass them):
 *  - asmb__crypto_new makes a private OpenSSL library context with two
 *    providers, about 2 ms (the rest of an input takes well under 1 ms):
 *    one is made per process and shared;
 *  - asmb__random returns a fixed stream, restarted per input, so that runs
 *    are reproducible (client GUID, salt, NTLM client challenge, session key).
 *
 * Input: byte 0 = options (FZ_OPT_* below), then the bytes the server sends.
 * The operations of engine_script.h start when auth_ok fires; byte 0 chooses
 * anonymous ("guest" share) or user ("share"), chained or concurrent
 * operations, frame-by-frame or fixed-size chunks, and whether the harness
 * signs/seals replies for the fuzzer (fix-up) so that keyed sessions are
 * reachable too. */
#ifndef ASMB_FUZZ_ENGINE_HARNESS_H
#define ASMB_FUZZ_ENGINE_HARNESS_H
#include <uv.h>

#include "core/session.h"
#include "crypto/crypto.h"
#include "engine_script.h"
#include "fuzz_common.h"

/* ---- link-time wraps ---- */
asmb_crypto *__real_asmb__crypto_new(void);
void __real_asmb__crypto_free(asmb_crypto *c);
asmb_crypto *__wrap_asmb__crypto_new(void);
void __wrap_asmb__crypto_free(asmb_crypto *c);
int __wrap_asmb__random(asmb_crypto *c, void *out, size_t n);

static asmb_crypto *fz_crypto;
static uint64_t fz_rand;

asmb_crypto *__wrap_asmb__crypto_new(void)
{
    if (!fz_crypto) fz_crypto = __real_asmb__crypto_new();
    return fz_crypto;
}

void __wrap_asmb__crypto_free(asmb_crypto *c)
{
    if (c && c != fz_crypto) __real_asmb__crypto_free(c);
}

int __wrap_asmb__random(asmb_crypto *c, void *out, size_t n)
{
    (void)c;
    for (size_t i = 0; i < n; i++) { /* splitmix64, a byte at a time */
        uint64_t z = (fz_rand += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        ((uint8_t *)out)[i] = (uint8_t)(z ^ (z >> 31));
    }
    return 0;
}

/* ---- options (byte 0) ---- */
enum {
    FZ_OPT_CHUNK = 0x03,      /* 0: frame by frame, else a fixed chunk size (fz_chunks) */
    FZ_OPT_FIXUP = 0x04,      /* frame mode: the harness signs/seals replies (below) */
    FZ_OPT_ANON = 0x08,       /* anonymous (else user/password) */
    FZ_OPT_SIGN_REQ = 0x10,   /* signing required by the client */
    FZ_OPT_TIMEOUT = 0x20,    /* at the end: jump past every deadline and tick */
    FZ_OPT_CANCEL = 0x40,     /* at the end: cancel every operation still pending */
    FZ_OPT_CONCURRENT = 0x80  /* operations all at once (else chained) */
};
static const size_t fz_chunks[4] = {0, 1, 61, (size_t)-1};

typedef struct fz_engine {
    uv_loop_t loop;
    asmb_conn *c;
    fz_script script;
    int auth_ok, auth_failed, disconnected;
    uint8_t opts;
    asmb_aead *seal;   /* fix-up: the server's sealing side (the client's dec_key) */
    uint64_t seal_ctr;
    uint8_t *scratch;  /* fix-up: a signed or sealed copy of a frame */
    size_t scratch_cap;
} fz_engine;

/* FZ_VERBOSE=1 in the environment: tell what happens (seed debugging). */
static int fz_verbose(void)
{
    static int v = -1;
    if (v < 0) v = getenv("FZ_VERBOSE") && *getenv("FZ_VERBOSE") == '1';
    return v;
}

static void fz_log_step(int step, const asmb_failure *f)
{
    fprintf(stderr, "fuzz: step %d: %s\n", step, f ? f->message : "ok");
}

static void fz_on_auth_ok(asmb_conn *c, void *arg)
{
    fz_engine *e = arg;
    if (fz_verbose()) fprintf(stderr, "fuzz: auth ok (dialect 0x%04x, cipher %d, signing %d)\n", c->info.dialect, c->info.cipher, c->info.signing);
    FZ_CHECK(c == e->c && !e->auth_ok && !e->auth_failed);
    /* Events come in order: auth_ok may arrive after the connection died
     * in the same read (then disconnected follows). */
    FZ_CHECK(asmb_conn_is_ready(c) || c->state == ASMB_ST_DEAD);
    e->auth_ok = 1;
    fz_script_start(&e->script);
}

static void fz_on_auth_failed(asmb_conn *c, const asmb_failure *f, void *arg)
{
    fz_engine *e = arg;
    FZ_CHECK(c == e->c && !e->auth_ok && !e->auth_failed);
    FZ_CHECK(f && f->message[0] && f->code < 0);
    if (fz_verbose()) fprintf(stderr, "fuzz: auth failed: %s\n", f->message);
    e->auth_failed = 1;
}

static void fz_on_disconnected(asmb_conn *c, const asmb_failure *f, void *arg)
{
    fz_engine *e = arg;
    FZ_CHECK(c == e->c && !e->disconnected); /* exactly once */
    FZ_CHECK(f && f->message[0] && f->code < 0);
    if (fz_verbose()) fprintf(stderr, "fuzz: disconnected: %s\n", f->message);
    e->disconnected = 1;
}

/* Every frame the client queues, data[off, len): a direct-TCP header that
 * matches its length, then SMB2 messages with a valid header (compounds
 * chained by NextCommand), or a transform header and a sealed message. */
static void fz_drain(asmb_conn *c)
{
    asmb_frame *f = asmb__eng_take_output(c);
    while (f) {
        asmb_frame *next = f->next;
        FZ_CHECK(f->off < f->len && f->len - f->off >= 4 + SMB2_HDR_LEN);
        const uint8_t *b = f->data + f->off;
        size_t blen = f->len - f->off;
        FZ_CHECK(b[0] == 0);
        size_t mlen = (size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3];
        FZ_CHECK(mlen == blen - 4);
        if (asmb_le32(b + 4) == SMB2_TRANSFORM_ID) {
            FZ_CHECK(mlen >= SMB2_TRANSFORM_LEN + SMB2_HDR_LEN);
            FZ_CHECK(asmb_le32(b + 4 + 36) == mlen - SMB2_TRANSFORM_LEN);
        } else {
            asmb_smb2_hdr h;
            FZ_CHECK(asmb__hdr_decode(b + 4, mlen, &h) == 0);
            FZ_CHECK(!(h.flags & SMB2_FLAGS_SERVER_TO_REDIR));
            FZ_CHECK(h.next_command == 0 || (h.next_command % 8 == 0 && h.next_command < mlen));
        }
        fz_touch(b, blen);
        asmb__frame_free(f);
        f = next;
    }
}

/* Hands n received bytes to the engine, as on_alloc/on_read do. */
static void fz_feed(fz_engine *e, const uint8_t *p, size_t n)
{
    asmb_conn *c = e->c;
    while (n && c->state != ASMB_ST_DEAD) {
        size_t room = 0;
        uint8_t *dst = asmb__eng_rx_space(c, &room);
        FZ_CHECK(dst && room);
        size_t k = n < room ? n : room;
        memcpy(dst, p, k);
        asmb__eng_rx_done(c, k);
        p += k;
        n -= k;
    }
    asmb__conn_dispatch(c);
    fz_drain(c);
}

/* ---- fix-up: the harness plays the server's side of signing and sealing,
 * so that the fuzzer gets past signature and AEAD checks into signed and
 * encrypted sessions. Frame mode only; each frame is fixed just before it is
 * fed, with the keys the client holds at that moment:
 *  - during SESSION_SETUP, once NTLM has produced the session key, every
 *    SESSION_SETUP reply is signed with the signing key derived as
 *    MS-SMB2 3.2.5.3.1 says (3.1.1: from the preauth hash so far), and the
 *    final one's SPNEGO token loses its mechListMIC (an NTLM signature by
 *    the server's key, which the harness does not have);
 *  - once ready on a keyed session, replies are sealed (the session
 *    encrypts everything, or the request went sealed) or else signed. */
static const asmb_req *fz_pending(const asmb_conn *c, uint64_t msg_id)
{
    return asmb__eng_pending_find(c, msg_id);
}

static int fz_ss_signing_key(asmb_conn *c, uint8_t key[16])
{
    uint8_t sk[16];
    if (!c->ntlm || !c->session_id || asmb__ntlm_session_key(c->ntlm, sk)) return -1;
    if (c->info.dialect < ASMB_SMB3_00) {
        memcpy(key, sk, 16);
        return 0;
    }
    if (c->info.dialect == ASMB_SMB3_11)
        return asmb__kdf(c->crypto, sk, 16, "SMBSigningKey", 14, c->preauth, 64, key, 16);
    return asmb__kdf(c->crypto, sk, 16, "SMB2AESCMAC", 12, "SmbSign", 8, key, 16);
}

static uint8_t *fz_scratch(fz_engine *e, size_t n)
{
    if (e->scratch_cap < n) {
        uint8_t *p = realloc(e->scratch, n);
        FZ_CHECK(p);
        e->scratch = p;
        e->scratch_cap = n;
    }
    return e->scratch;
}

/* Returns the frame to feed: p itself, or a fixed copy in e->scratch. */
static const uint8_t *fz_fixup(fz_engine *e, const uint8_t *p, size_t *n)
{
    asmb_conn *c = e->c;
    size_t len = *n;
    if (len < 4 + SMB2_HDR_LEN || p[0] != 0 || asmb_le32(p + 4) != SMB2_PROTO_ID) return p;
    size_t mlen = len - 4;
    int keyed = c->state == ASMB_ST_READY && !c->info.is_guest && !c->info.is_anonymous;
    uint8_t ss_key[16];
    int in_ss = c->state == ASMB_ST_SESSION && fz_ss_signing_key(c, ss_key) == 0;
    if (!keyed && !in_ss) return p;
    const asmb_req *r = fz_pending(c, asmb_le64(p + 4 + 24));
    int seal = keyed && c->dec && (c->encrypt_all || (r && r->encrypted));
    uint8_t *q = fz_scratch(e, len + SMB2_TRANSFORM_LEN);
    uint8_t *msg = q + 4 + (seal ? SMB2_TRANSFORM_LEN : 0);
    memcpy(msg, p + 4, mlen);
    if (in_ss && asmb_le16(msg + 12) == SMB2_SESSION_SETUP && asmb_le32(msg + 8) == 0 &&
        asmb_le32(msg + 20) == 0 && mlen >= SMB2_HDR_LEN + 8) {
        /* The final reply: its SPNEGO mechListMIC is the server's NTLM
         * signature, which the harness cannot make; the security buffer
         * becomes a bare NegTokenResp { accept-completed }. */
        static const uint8_t done[] = {0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01, 0x00};
        uint8_t *b = msg + SMB2_HDR_LEN;
        asmb_st16(b + 4, SMB2_HDR_LEN + 8);
        asmb_st16(b + 6, sizeof done);
        memcpy(b + 8, done, sizeof done);
        mlen = SMB2_HDR_LEN + 8 + sizeof done;
    }
    if (seal) {
        if (!e->seal) {
            e->seal = asmb__aead_new(c->crypto, c->cipher, c->dec_key, 1);
            FZ_CHECK(e->seal);
        }
        uint8_t *t = q + 4;
        memset(t, 0, SMB2_TRANSFORM_LEN);
        asmb_st32(t, SMB2_TRANSFORM_ID);
        asmb_st64(t + 20, ++e->seal_ctr); /* nonce: unique per key */
        asmb_st32(t + 36, (uint32_t)mlen);
        asmb_st16(t + 42, 1);
        asmb_st64(t + 44, c->session_id);
        FZ_CHECK(asmb__aead_seal(e->seal, t + 20, t + 20, 32, msg, mlen, t + 4) == 0);
        mlen += SMB2_TRANSFORM_LEN;
    } else {
        /* sign each message of a compound (3.1.4.1) */
        size_t off = 0;
        while (mlen - off >= SMB2_HDR_LEN) {
            uint8_t *m = msg + off;
            uint32_t next = asmb_le32(m + 20);
            size_t ml = next && next <= mlen - off ? next : mlen - off;
            if (ml < SMB2_HDR_LEN) break;
            if (keyed || asmb_le16(m + 12) == SMB2_SESSION_SETUP) {
                asmb_st32(m + 16, asmb_le32(m + 16) | SMB2_FLAGS_SIGNED);
                FZ_CHECK(asmb__smb2_sign(c->crypto, c->sign_algo, keyed ? c->signing_key : ss_key, m,
                                         &(asmb_iov){m + SMB2_HDR_LEN, ml - SMB2_HDR_LEN}, 1) == 0);
            }
            if (!next || next > mlen - off) break;
            off += next;
        }
    }
    q[0] = 0;
    q[1] = (uint8_t)(mlen >> 16);
    q[2] = (uint8_t)(mlen >> 8);
    q[3] = (uint8_t)mlen;
    *n = 4 + mlen;
    return q;
}

/* Feeds data in the chunks byte 0 asks for, dispatching after each. */
static void fz_feed_all(fz_engine *e, const uint8_t *data, size_t size)
{
    size_t chunk = fz_chunks[e->opts & FZ_OPT_CHUNK];
    while (size && e->c->state != ASMB_ST_DEAD) {
        size_t k;
        if (chunk == 0) { /* one direct-TCP frame, as its header says */
            k = size < 4 ? size : 4 + ((size_t)data[1] << 16 | (size_t)data[2] << 8 | data[3]);
        } else {
            k = chunk;
        }
        if (k > size) k = size;
        if (chunk == 0 && (e->opts & FZ_OPT_FIXUP)) {
            size_t n = k;
            const uint8_t *q = fz_fixup(e, data, &n);
            fz_feed(e, q, n);
        } else {
            fz_feed(e, data, k);
        }
        data += k;
        size -= k;
    }
}

static asmb_conn *fz_engine_begin(fz_engine *e, uint8_t opts)
{
    memset(e, 0, sizeof *e); /* (scratch and seal were released by fz_engine_end) */
    e->opts = opts;
    fz_rand = 0x243F6A8885A308D3ull;
    FZ_CHECK(uv_loop_init(&e->loop) == 0);
    asmb_config cfg;
    asmb_config_init(&cfg);
    if (!(opts & FZ_OPT_ANON)) {
        cfg.username = "user";
        cfg.password = "password";
        cfg.domain = "DOMAIN";
    }
    cfg.signing = opts & FZ_OPT_SIGN_REQ ? ASMB_REQUIRED : ASMB_IF_SUPPORTED;
    asmb_handlers h = {fz_on_auth_ok, fz_on_auth_failed, fz_on_disconnected};
    e->c = asmb_conn_new(&e->loop, &cfg, &h, e);
    FZ_CHECK(e->c);
    e->script.c = e->c;
    e->script.share = opts & FZ_OPT_ANON ? "guest" : "share";
    e->script.concurrent = !!(opts & FZ_OPT_CONCURRENT);
    e->script.hold = 1;
    if (fz_verbose()) e->script.log = fz_log_step;
    asmb__eng_start(e->c);
    fz_drain(e->c);
    return e->c;
}

static void fz_engine_end(fz_engine *e)
{
    asmb_conn *c = e->c;
    if (e->opts & FZ_OPT_TIMEOUT) {
        asmb__eng_set_time(c, c->now + 24ull * 3600 * 1000, c->unix_ms);
        asmb__eng_tick(c);
        asmb__conn_dispatch(c);
        fz_drain(c);
    }
    if (e->opts & FZ_OPT_CANCEL) {
        fz_script_cancel(&e->script);
        asmb__conn_dispatch(c);
        fz_drain(c);
    }
    FZ_CHECK(!(e->auth_ok && e->auth_failed));
    asmb_conn_free(c);
    fz_script_release(&e->script);
    uv_run(&e->loop, UV_RUN_DEFAULT);
    FZ_CHECK(uv_loop_close(&e->loop) == 0); /* every handle closed: the conn is gone */
    asmb__aead_free(e->seal);
    e->seal = NULL;
    free(e->scratch);
    e->scratch = NULL;
    e->scratch_cap = 0;
}

#endif
