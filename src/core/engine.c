/* The sans-I/O engine: frames in and out, message ids and credits
 * (MS-SMB2 3.2.4.1.5, 3.2.5.1.4), the FIFO send queue, the pending table,
 * STATUS_PENDING interim replies (3.2.5.1.5), deadlines and CANCEL. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "../mem.h"
#include "../ntstatus.h"
#include "session.h"

#define RX_MIN (16u * 1024u)    /* receive space offered at first for small frames */
#define RX_CHUNK (256u * 1024u) /* ... grown up to this while reads fill it */
#define FRAME_MAX 0xFFFFFFu     /* 24-bit direct-TCP length (MS-SMB2 2.1) */
/* An idle connection (nothing sent, nothing queued) lets its large buffers go
 * (receive buffer, frame pool, a grown pending table) after this long: kept
 * while large frames keep coming, so that a transfer does not fault fresh
 * pages in for every frame, and not held by thousands of idle connections. */
#define TRIM_MS 1000u

/* ---- requests ---- */

asmb_req *asmb__req_new(asmb_conn *c, uint16_t command, void *ctx)
{
    asmb_req *r = asmb__calloc(1, sizeof *r);
    if (!r) return NULL;
    r->conn = c;
    r->command = command;
    r->credit_charge = 1;
    r->ctx = ctx;
    return r;
}

void asmb__req_free(asmb_req *r)
{
    if (!r) return;
    if (r->data_free) r->data_free(r->data);
    asmb__free(r);
}

uint32_t asmb__ntstatus_of(const asmb_reply *rep) { return rep->hdr->status; }

static asmb_req **bucket(const asmb_conn *c, uint64_t id)
{
    return &c->pending[id & (c->npbuckets - 1)];
}

/* Room for n more sent requests: the table exists (else ASMB_ENOMEM) and has
 * grown with what is in flight (two per chain on average; message ids are
 * consecutive). A table that can't grow keeps working, with longer chains. */
static int pending_reserve(asmb_conn *c, size_t n)
{
    size_t want = c->npbuckets ? c->npbuckets : ASMB_PENDING_MIN_BUCKETS;
    while (want < ASMB_PENDING_MAX_BUCKETS && c->npending + n > want * 2) want *= 2;
    if (want == c->npbuckets) return 0;
    asmb_req **t = asmb__calloc(want, sizeof *t);
    if (!t) return c->pending ? 0 : ASMB_ENOMEM;
    for (size_t i = 0; i < c->npbuckets; i++) {
        asmb_req *r;
        while ((r = c->pending[i])) {
            c->pending[i] = r->hnext;
            asmb_req **b = &t[r->msg_id & (want - 1)];
            r->hnext = *b;
            *b = r;
        }
    }
    asmb__free(c->pending);
    c->pending = t;
    c->npbuckets = want;
    return 0;
}

static void pending_free(asmb_conn *c)
{
    asmb__free(c->pending);
    c->pending = NULL;
    c->npbuckets = 0;
}

/* After pending_reserve. */
static void pending_add(asmb_conn *c, asmb_req *r)
{
    asmb_req **b = bucket(c, r->msg_id);
    r->hnext = *b;
    *b = r;
    c->npending++;
}

static asmb_req *pending_find(const asmb_conn *c, uint64_t id)
{
    if (!c->pending) return NULL;
    for (asmb_req *r = *bucket(c, id); r; r = r->hnext)
        if (r->msg_id == id) return r;
    return NULL;
}

const asmb_req *asmb__eng_pending_find(const asmb_conn *c, uint64_t id)
{
    return pending_find(c, id);
}

static void pending_del(asmb_conn *c, asmb_req *r)
{
    if (!c->pending) return;
    for (asmb_req **p = bucket(c, r->msg_id); *p; p = &(*p)->hnext) {
        if (*p == r) {
            *p = r->hnext;
            c->npending--;
            return;
        }
    }
}

/* Deadline list, earliest first. Deadlines mostly grow, so insertion walks
 * from the tail and is O(1) in the common case. */
static void timer_add(asmb_conn *c, asmb_req *r)
{
    asmb_req *p = c->t_tail;
    while (p && p->deadline > r->deadline) p = p->tprev;
    r->tprev = p;
    r->tnext = p ? p->tnext : c->t_head;
    if (r->tnext) r->tnext->tprev = r; else c->t_tail = r;
    if (p) p->tnext = r; else c->t_head = r;
}

static void timer_del(asmb_conn *c, asmb_req *r)
{
    if (!r->deadline) return;
    if (r->tprev) r->tprev->tnext = r->tnext; else c->t_head = r->tnext;
    if (r->tnext) r->tnext->tprev = r->tprev; else c->t_tail = r->tprev;
    r->tnext = r->tprev = NULL;
    r->deadline = 0;
}

static void queue_del(asmb_conn *c, asmb_req *r)
{
    if (r->qprev) r->qprev->qnext = r->qnext; else c->q_head = r->qnext;
    if (r->qnext) r->qnext->qprev = r->qprev; else c->q_tail = r->qprev;
    r->qnext = r->qprev = NULL;
}

/* ---- output ---- */

void asmb__frame_free(asmb_frame *f)
{
    if (!f) return;
    asmb__free(f->data);
    asmb__free(f);
}

#define POOL_MIN (256u * 1024u)
#define POOL_MAX 8u

static int conn_idle(const asmb_conn *c) { return !c->npending && !c->q_head; }

static void pool_free(asmb_conn *c)
{
    while (c->pool) {
        asmb_frame *n = c->pool->next;
        asmb__frame_free(c->pool);
        c->pool = n;
    }
    c->npool = 0;
}

void asmb__frame_release(asmb_conn *c, asmb_frame *f)
{
    /* Nothing in flight: no transfer that would take the buffer again soon. */
    if (f->cap < POOL_MIN || c->npool >= POOL_MAX || conn_idle(c)) {
        asmb__frame_free(f);
        return;
    }
    f->next = c->pool;
    c->pool = f;
    c->npool++;
}

uint8_t *asmb__frame_buf_get(asmb_conn *c, size_t n, size_t *cap)
{
    for (asmb_frame **p = &c->pool; *p; p = &(*p)->next) {
        if ((*p)->cap < n) continue;
        asmb_frame *f = *p;
        uint8_t *d = f->data;
        *p = f->next;
        c->npool--;
        *cap = f->cap;
        asmb__free(f);
        return d;
    }
    uint8_t *d = asmb__malloc(n);
    *cap = d ? n : 0;
    return d;
}

void asmb__eng_output(asmb_conn *c, asmb_frame *f)
{
    f->next = NULL;
    if (c->out_tail) c->out_tail->next = f; else c->out_head = f;
    c->out_tail = f;
    if (c->tp) c->tp->want_write(c);
}

asmb_frame *asmb__eng_take_output(asmb_conn *c)
{
    asmb_frame *f = c->out_head;
    c->out_head = c->out_tail = NULL;
    return f;
}

/* Frames are built with room for a transform header in front:
 * [4 transport][52 transform][64 SMB2 header][body]. */
#define PREFIX (4 + SMB2_TRANSFORM_LEN)
_Static_assert(ASMB_FRAME_BODY_OFF == PREFIX + SMB2_HDR_LEN, "frame layout");

/* Seals (when encrypt) and wraps the message at w->data + PREFIX in the
 * direct-TCP header, then queues it. Takes w's buffer. */
static int emit(asmb_conn *c, asmb_wr *w, int encrypt)
{
    size_t mlen = w->len - PREFIX;
    if (encrypt) {
        int rc = asmb__enc_seal(c, w->data + 4, mlen);
        if (rc) return rc;
        mlen += SMB2_TRANSFORM_LEN;
    }
    if (mlen > FRAME_MAX) return ASMB_EINVAL;
    asmb_frame *f = asmb__malloc(sizeof *f);
    if (!f) return ASMB_ENOMEM;
    f->off = encrypt ? 0 : SMB2_TRANSFORM_LEN;
    uint8_t *nbt = w->data + f->off;
    nbt[0] = 0;
    nbt[1] = (uint8_t)(mlen >> 16);
    nbt[2] = (uint8_t)(mlen >> 8);
    nbt[3] = (uint8_t)mlen;
    f->len = w->len;
    f->cap = w->cap;
    f->data = asmb_wr_take(w);
    asmb__eng_output(c, f);
    return 0;
}

static uint16_t credit_request(const asmb_conn *c, uint16_t charge)
{
    uint32_t have = c->credits + c->inflight;
    uint32_t ask = charge;
    if (have < c->cfg.credit_target) ask += c->cfg.credit_target - have;
    return (uint16_t)(ask > 0xFFFF ? 0xFFFF : ask);
}

#define CHAIN_MAX 4

static uint16_t chain_charge(const asmb_req *r)
{
    uint32_t n = 0;
    for (; r; r = r->chain_next) n += r->credit_charge;
    return (uint16_t)(n > 0xFFFF ? 0xFFFF : n);
}

/* Encodes one message (header placeholder + body) at the writer's end, 8-byte
 * aligned from the first message (MS-SMB2 3.2.4.1.4); returns its offset. */
static int encode_at(asmb_req *r, asmb_wr *w, size_t *start)
{
    while ((w->len - PREFIX) % 8) asmb_wr_u8(w, 0);
    *start = w->len;
    if (!asmb_wr_space(w, SMB2_HDR_LEN)) return ASMB_ENOMEM;
    int rc = r->encode(r, w);
    return rc ? rc : w->err ? ASMB_ENOMEM : 0;
}

/* Sends a request, or a compound chain of related requests in one frame:
 * consecutive message ids, NextCommand offsets, SMB2_FLAGS_RELATED_OPERATIONS
 * after the first, each message signed on its own (with its padding), the
 * whole frame sealed once when encrypted. */
static int send_one(asmb_conn *c, asmb_req *head)
{
    if (pending_reserve(c, CHAIN_MAX)) return ASMB_ENOMEM; /* room for the chain's replies */
    asmb_wr w;
    asmb_wr_init(&w);
    /* A body already written in place (zero-copy WRITE): its buffer is the frame. */
    if (head->adopt && !head->chain_next) w.data = head->adopt(head, &w.cap);
    if (!asmb_wr_space(&w, PREFIX)) return ASMB_ENOMEM;
    size_t start[CHAIN_MAX + 1];
    asmb_req *rs[CHAIN_MAX];
    int n = 0, rc = 0;
    for (asmb_req *r = head; r && !rc; r = r->chain_next) {
        rs[n] = r;
        rc = n == CHAIN_MAX ? ASMB_EINVAL : encode_at(r, &w, &start[n]);
        n++;
    }
    start[n] = w.len;
    uint64_t id = c->next_msg_id;
    int encrypt = 0;
    for (int i = 0; i < n && !rc; i++) {
        asmb_req *r = rs[i];
        asmb_smb2_hdr h = {0};
        /* SMB 2.0.2 has no multi-credit requests: CreditCharge stays 0 (3.2.4.1.5). */
        h.credit_charge = c->info.dialect > ASMB_SMB2_02 ? r->credit_charge : 0;
        h.command = r->command;
        /* A one-off request that must be signed asks for no more than it
         * uses: its reply's grant is the one a credit-shaping middlebox (our
         * fault proxy too) can't rewrite; ordinary replies top the window up. */
        h.credits = i == 0 && !r->must_sign ? credit_request(c, chain_charge(head))
                                            : r->credit_charge;
        h.flags = i ? SMB2_FLAGS_RELATED_OPERATIONS : 0;
        h.next_command = i + 1 < n ? (uint32_t)(start[i + 1] - start[i]) : 0;
        h.msg_id = id;
        h.tree_id = r->tree_id;
        h.session_id = r->command == SMB2_NEGOTIATE ? 0 : c->session_id;
        asmb__hdr_encode(w.data + start[i], &h);
        r->msg_id = id;
        id += r->credit_charge ? r->credit_charge : 1;
        int enc = 0;
        rc = asmb__session_outgoing(c, w.data + start[i], start[i + 1] - start[i], r->must_sign,
                                    &enc);
        encrypt |= enc;
        asmb__log_hdr(c, "send", &h, enc);
    }
    if (!rc) rc = emit(c, &w, encrypt);
    if (rc) {
        asmb_wr_free(&w);
        return rc;
    }
    c->next_msg_id = id;
    for (int i = 0; i < n; i++) {
        asmb_req *r = rs[i];
        r->encrypted = encrypt;
        c->credits -= r->credit_charge;
        c->inflight += r->credit_charge;
        r->state = ASMB_REQ_SENT;
        pending_add(c, r);
    }
    return 0;
}

static void finish(asmb_conn *c, asmb_req *r)
{
    timer_del(c, r);
    asmb__req_free(r);
}

/* A queued chain that will not be sent: each member fails, in order. */
static void drop_queued(asmb_conn *c, asmb_req *head, int code)
{
    while (head) {
        asmb_req *next = head->chain_next;
        head->state = ASMB_REQ_NEW;
        if (head->on_fail) head->on_fail(head, code);
        finish(c, head);
        head = next;
    }
}

/* Sends queued requests (or chains) while the grant covers them, in FIFO order. */
static void pump(asmb_conn *c)
{
    while (c->q_head && c->state != ASMB_ST_DEAD) {
        asmb_req *r = c->q_head;
        if (c->credits < chain_charge(r)) {
            /* Credits come only with replies (3.2.5.1.4): with none
             * outstanding, a chain charging more than the server left us
             * (it may keep the grant that small, 3.3.1.2) can never go. It
             * fails rather than hold the queue behind it until every
             * deadline passes. No credit at all is the server's fault,
             * handled where the last reply comes (handle_message). */
            if (c->inflight || !c->credits) break;
            queue_del(c, r);
            drop_queued(c, r, ASMB_ENOTSUP);
            continue;
        }
        queue_del(c, r);
        int rc = send_one(c, r);
        if (rc) drop_queued(c, r, rc);
    }
}

/* The queued chain r belongs to (r itself when not chained). */
static asmb_req *chain_head(asmb_req *r)
{
    while (r->chain_prev) r = r->chain_prev;
    return r;
}

void asmb__req_submit_chain(asmb_req **rs, int n, unsigned timeout_ms)
{
    for (int i = 0; i < n; i++) {
        rs[i]->chain_next = i + 1 < n ? rs[i + 1] : NULL;
        rs[i]->chain_prev = i ? rs[i - 1] : NULL;
    }
    asmb_conn *c = rs[0]->conn;
    if (c->state == ASMB_ST_DEAD) {
        drop_queued(c, rs[0], ASMB_ENOTCONN);
        return;
    }
    for (int i = 1; i < n; i++) { /* members ride with the head; their own deadlines */
        rs[i]->state = ASMB_REQ_QUEUED;
        if (timeout_ms) {
            rs[i]->deadline = c->now + timeout_ms;
            timer_add(c, rs[i]);
        }
    }
    asmb__req_submit(rs[0], timeout_ms);
}

void asmb__req_submit(asmb_req *r, unsigned timeout_ms)
{
    asmb_conn *c = r->conn;
    if (c->state == ASMB_ST_DEAD) {
        if (r->on_fail) r->on_fail(r, ASMB_ENOTCONN);
        asmb__req_free(r);
        return;
    }
    if (timeout_ms) {
        r->deadline = c->now + timeout_ms;
        timer_add(c, r);
        if (c->tp) c->tp->rearm(c);
    }
    r->state = ASMB_REQ_QUEUED;
    r->qprev = c->q_tail;
    if (c->q_tail) c->q_tail->qnext = r; else c->q_head = r;
    c->q_tail = r;
    pump(c);
}

/* SMB2 CANCEL (2.2.30, 3.2.4.24): same MessageId (or AsyncId once an interim
 * reply came), no credit charged, no reply. */
static void send_cancel(asmb_conn *c, asmb_req *r)
{
    asmb_wr w;
    asmb_wr_init(&w);
    if (!asmb_wr_space(&w, PREFIX + SMB2_HDR_LEN) || asmb__simple_encode(&w)) goto fail;
    asmb_smb2_hdr h = {0};
    h.command = SMB2_CANCEL;
    h.msg_id = r->msg_id;
    h.session_id = c->session_id;
    if (r->interim) {
        h.flags = SMB2_FLAGS_ASYNC_COMMAND;
        h.async_id = r->async_id;
    } else {
        h.tree_id = r->tree_id;
    }
    asmb__hdr_encode(w.data + PREFIX, &h);
    int encrypt = 0;
    if (asmb__session_outgoing(c, w.data + PREFIX, w.len - PREFIX, 0, &encrypt) ||
        emit(c, &w, encrypt))
        goto fail;
    return;
fail:
    asmb_wr_free(&w); /* best effort: the reply still arrives and is dropped */
}

void asmb__req_abandon(asmb_req *r, int cancel)
{
    asmb_conn *c = r->conn;
    if (r->state == ASMB_REQ_QUEUED) {
        asmb_req *h = chain_head(r);
        queue_del(c, h);
        while (h) { /* the whole chain: it travels as one */
            asmb_req *next = h->chain_next;
            if (h != r && h->on_fail) h->on_fail(h, ASMB_ECANCELED);
            finish(c, h);
            h = next;
        }
        return;
    }
    r->abandoned = 1;
    timer_del(c, r);
    if (cancel && c->state != ASMB_ST_DEAD) send_cancel(c, r);
}

void asmb__req_cancel(asmb_req *r)
{
    asmb_conn *c = r->conn;
    if (r->state == ASMB_REQ_QUEUED) {
        asmb_req *h = chain_head(r);
        queue_del(c, h);
        drop_queued(c, h, ASMB_ECANCELED);
    } else if (r->state == ASMB_REQ_SENT && c->state != ASMB_ST_DEAD) {
        send_cancel(c, r);
    }
}

/* ---- input ---- */

/* An interim reply (STATUS_PENDING) may come unsigned (MS-SMB2 3.3.4.2); a
 * signed one is checked, and on an encrypted request it must be encrypted
 * (checked by the caller) like the final reply. */
static int interim_verify(asmb_conn *c, const asmb_smb2_hdr *h, const uint8_t *msg, size_t len,
                          int encrypted)
{
    if (encrypted || !(h->flags & SMB2_FLAGS_SIGNED) || !asmb__session_keyed(c)) return 0;
    return asmb__session_verify(c, h, msg, len, 0);
}

static int handle_message(asmb_conn *c, const uint8_t *msg, size_t len, int encrypted)
{
    asmb_smb2_hdr h;
    if (asmb__hdr_decode(msg, len, &h) || !(h.flags & SMB2_FLAGS_SERVER_TO_REDIR)) {
        asmb__conn_fail(c, ASMB_EPROTO, 0, "malformed SMB2 header from the server");
        return -1;
    }
    asmb__log_hdr(c, "recv", &h, encrypted);
    if (h.msg_id == UINT64_MAX && h.command == SMB2_OPLOCK_BREAK) return 0; /* no oplocks asked */
    asmb_req *r = pending_find(c, h.msg_id);
    if (!r || r->command != h.command) {
        asmb__conn_fail(c, ASMB_EPROTO, 0, "reply for unknown message id %llu (command %u)",
                        (unsigned long long)h.msg_id, h.command);
        return -1;
    }
    /* One session per connection: once it exists, a reply for another one
     * is not ours (3.2.5.1.3 discards a reply whose session is unknown).
     * Taking it would complete our request with someone else's answer;
     * dropping it would leave the request hanging: a protocol error, as an
     * unknown message id. SESSION_SETUP replies bring the id itself; 0 (no
     * session named) is let through as before. */
    if (c->session_id && h.session_id && h.session_id != c->session_id &&
        h.command != SMB2_NEGOTIATE && h.command != SMB2_SESSION_SETUP) {
        asmb__conn_fail(c, ASMB_EPROTO, 0, "reply for session 0x%llx, not ours (command %u)",
                        (unsigned long long)h.session_id, h.command);
        return -1;
    }
    int interim = (h.flags & SMB2_FLAGS_ASYNC_COMMAND) && h.status == ASMB_STATUS_PENDING;
    int rc = r->encrypted && !encrypted ? ASMB_EPROTO
             : interim                 ? interim_verify(c, &h, msg, len, encrypted)
                                       : asmb__session_verify(c, &h, msg, len, encrypted);
    if (!rc && r->must_sign && !encrypted && !(h.flags & SMB2_FLAGS_SIGNED)) rc = ASMB_ESIGNATURE;
    if (rc) {
        /* Some servers (impacket) sign a compounded reply before they set its
         * NextCommand and padding: name the knob that avoids compounding. */
        int chained = h.next_command || (h.flags & SMB2_FLAGS_RELATED_OPERATIONS);
        asmb__conn_fail(c, rc, 0, "%s in the %s%sreply to command %u (%s)%s",
                        rc == ASMB_ESIGNATURE ? "bad signature" : "unsigned or unencrypted message",
                        interim ? "interim " : "", chained ? "compounded " : "", h.command,
                        asmb__command_name(h.command),
                        rc == ASMB_ESIGNATURE && chained
                            ? ": the server signs compounded replies wrongly (impacket does); set "
                              "asmb_config.no_compound = 1 (asmb --no-compound)"
                            : "");
        return -1;
    }
    /* Every reply, interim and error ones included, grants credits
     * (3.2.5.1.4). An interim that nothing authenticated (unsigned ones are
     * allowed) is believed only when the verified final reply confirms it
     * (async, same AsyncId), and for no more than its request charged. */
    uint32_t grant = h.credits;
    if (interim && !encrypted && !(h.flags & SMB2_FLAGS_SIGNED) && asmb__session_keyed(c)) {
        r->interim_grant = (uint16_t)(grant < r->credit_charge ? grant : r->credit_charge);
        grant = 0;
    } else if (!interim && r->interim_grant && (h.flags & SMB2_FLAGS_ASYNC_COMMAND) &&
               h.async_id == r->async_id) {
        grant += r->interim_grant;
    }
    uint32_t granted = c->credits + grant;
    c->credits = granted > 0xFFFFu * 4 ? 0xFFFFu * 4 : granted;
    if (interim) {
        r->interim = 1; /* 3.2.5.1.5: the final reply follows with this AsyncId */
        r->async_id = h.async_id;
        return 0;
    }
    pending_del(c, r);
    c->inflight -= r->credit_charge <= c->inflight ? r->credit_charge : c->inflight;
    asmb_reply rep = {&h, msg, len};
    if (!r->abandoned) {
        timer_del(c, r);
        r->on_reply(r, &rep);
    } else if (r->on_late) {
        r->on_late(r, &rep);
    }
    finish(c, r);
    /* Nothing outstanding and no credit left: nothing can ever be sent
     * again. A server MUST NOT do that (3.3.1.2). */
    if (c->state == ASMB_ST_READY && !c->credits && !c->inflight)
        asmb__conn_fail(c, ASMB_EPROTO, 0, "the server left the client no credits");
    return c->state == ASMB_ST_DEAD ? -1 : 0;
}

/* A frame may be encrypted, and may hold a compound chain (NextCommand,
 * 3.3.4.1.3). Decryption happens in place in the receive buffer. */
static int handle_frame(asmb_conn *c, uint8_t *p, size_t len)
{
    int encrypted = len >= 4 && asmb_le32(p) == SMB2_TRANSFORM_ID;
    if (encrypted) {
        uint8_t *msg;
        int rc = asmb__enc_open(c, p, len, &msg, &len);
        if (rc) {
            asmb__conn_fail(c, rc, 0, "%s", rc == ASMB_EDECRYPT ? "an encrypted reply failed to "
                                                                 "decrypt (tampered or bad key)"
                                                               : "malformed encrypted frame");
            return -1;
        }
        p = msg;
    }
    if (len >= 4 && asmb_le32(p) != SMB2_PROTO_ID) {
        asmb__conn_fail(c, ASMB_EPROTO, 0, "not an SMB2 frame from the server");
        return -1;
    }
    while (len) {
        size_t n = len;
        if (len >= SMB2_HDR_LEN) {
            uint32_t next = asmb_le32(p + 20);
            if (next && (next % 8 || next < SMB2_HDR_LEN || next >= len)) {
                asmb__conn_fail(c, ASMB_EPROTO, 0, "bad NextCommand in a compound reply");
                return -1;
            }
            if (next) n = next;
        }
        if (handle_message(c, p, n, encrypted)) return -1;
        p += n;
        len -= n;
    }
    return 0;
}

static size_t frame_need(const asmb_conn *c)
{
    if (c->rx_len < 4) return 4;
    return 4 + ((size_t)c->rx[1] << 16 | (size_t)c->rx[2] << 8 | c->rx[3]);
}

static void rx_free(asmb_conn *c)
{
    asmb__free(c->rx);
    c->rx = NULL;
    c->rx_cap = c->rx_len = 0;
    c->rx_chunk = RX_MIN;
}

/* What an idle connection holds beyond its state: a small receive buffer
 * and a small pending table go at once (they cost nothing to make again,
 * and libuv does not always report "nothing more to read"); the large
 * things (a grown table, a receive buffer grown for large frames, the frame
 * pool) when force, i.e. once the idle deadline passed, which is armed here
 * until then. */
static void trim(asmb_conn *c, int force)
{
    if (!conn_idle(c)) return;
    if (!c->rx_len && (force || c->rx_cap <= RX_MIN)) rx_free(c);
    if (force || c->npbuckets <= ASMB_PENDING_MIN_BUCKETS) pending_free(c);
    if (force) pool_free(c);
    if (!force && !c->trim_at && (c->rx || c->pending || c->pool)) c->trim_at = c->now + TRIM_MS;
}

void asmb__eng_rx_unused(asmb_conn *c)
{
    if (c->state == ASMB_ST_DEAD || (!c->rx_len && c->rx_cap <= RX_MIN && conn_idle(c)))
        rx_free(c);
}

uint8_t *asmb__eng_rx_space(asmb_conn *c, size_t *len)
{
    size_t need = frame_need(c);
    if (c->rx_chunk < RX_MIN) c->rx_chunk = RX_MIN;
    size_t want = need > c->rx_chunk ? need : c->rx_chunk;
    if (c->rx_cap < want) {
        uint8_t *p = asmb__realloc(c->rx, want);
        if (!p) return NULL;
        c->rx = p;
        c->rx_cap = want;
    }
    /* For a large frame, read exactly its remainder so nothing must move. */
    size_t avail = c->rx_cap - c->rx_len;
    if (need > RX_CHUNK && need - c->rx_len < avail) avail = need - c->rx_len;
    *len = avail;
    return c->rx + c->rx_len;
}

void asmb__eng_rx_done(asmb_conn *c, size_t n)
{
    c->rx_len += n;
    /* The read filled what was offered: more is waiting, offer more. */
    if (c->rx_len == c->rx_cap && c->rx_chunk < RX_CHUNK) c->rx_chunk *= 2;
    size_t off = 0;
    while (c->state != ASMB_ST_DEAD && c->rx_len - off >= 4) {
        uint8_t *p = c->rx + off;
        size_t flen = (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
        if (p[0] == 0x85 && flen == 0) { /* NetBIOS keep-alive */
            off += 4;
            continue;
        }
        if (asmb__peer_not_smb(c, p, c->rx_len - off)) break; /* an HTTP server, say */
        if (c->state == ASMB_ST_NBT) { /* the answer to our SESSION REQUEST */
            if (flen > 1) {
                asmb__conn_fail(c, ASMB_EPROTO, 0, "bad NetBIOS session response");
                break;
            }
            if (c->rx_len - off - 4 < flen) break;
            if (asmb__nbt_response(c, p, flen)) break;
            off += 4 + flen;
            continue;
        }
        if (p[0] != 0 || flen < SMB2_HDR_LEN) {
            asmb__conn_fail(c, ASMB_EPROTO, 0, "bad transport frame (type %u, length %zu)",
                            p[0], flen);
            break;
        }
        if (c->rx_len - off - 4 < flen) break;
        off += 4 + flen;
        if (handle_frame(c, p + 4, flen)) break;
    }
    if (c->state == ASMB_ST_DEAD) {
        rx_free(c);
        return;
    }
    /* The buffer is kept while requests are in flight (large frames come in
     * runs: re-allocating each one would fault fresh pages in every time). */
    memmove(c->rx, c->rx + off, c->rx_len - off);
    c->rx_len -= off;
    pump(c);
    trim(c, 0);
    if (c->tp) c->tp->rearm(c);
}

void asmb__eng_start(asmb_conn *c)
{
    ASMB_LOG(c, ASMB_LOG_DEBUG, "TCP connection to %s established", c->host);
    c->phase_deadline = c->now + c->cfg.auth_timeout_ms;
    int rc;
    if (c->cfg.netbios) {
        c->state = ASMB_ST_NBT;
        rc = asmb__nbt_request(c);
    } else {
        rc = asmb__session_start(c);
    }
    if (rc) asmb__conn_fail(c, rc, 0, "starting negotiation: %s", asmb_strerror(rc));
    if (c->tp) c->tp->rearm(c);
}

/* ---- time ---- */

void asmb__eng_set_time(asmb_conn *c, uint64_t mono_ms, uint64_t unix_ms)
{
    c->now = mono_ms;
    c->unix_ms = unix_ms;
}

uint64_t asmb__eng_deadline(const asmb_conn *c)
{
    uint64_t d = c->phase_deadline;
    if (c->t_head && (!d || c->t_head->deadline < d)) d = c->t_head->deadline;
    if (c->trim_at && (!d || c->trim_at < d)) d = c->trim_at;
    return c->state == ASMB_ST_DEAD ? 0 : d;
}

void asmb__eng_tick(asmb_conn *c)
{
    if (c->trim_at && c->now >= c->trim_at) {
        c->trim_at = 0;
        trim(c, 1); /* still busy: armed again when it is idle next */
    }
    if (c->phase_deadline && c->now >= c->phase_deadline) {
        c->phase_deadline = 0;
        if (c->state == ASMB_ST_CONNECTING)
            asmb__conn_fail(c, ASMB_ETIMEDOUT, 0, "connect timed out after %u ms",
                            c->cfg.connect_timeout_ms);
        else if (c->state == ASMB_ST_NBT)
            asmb__conn_fail(c, ASMB_ETIMEDOUT, 0, "no NetBIOS session response after %u ms",
                            c->cfg.auth_timeout_ms);
        else if (c->state == ASMB_ST_NEGOTIATE || c->state == ASMB_ST_SESSION)
            asmb__conn_fail(c, ASMB_ETIMEDOUT, 0, "%s timed out after %u ms",
                            c->state == ASMB_ST_NEGOTIATE ? "negotiation" : "authentication",
                            c->cfg.auth_timeout_ms);
    }
    while (c->state != ASMB_ST_DEAD && c->t_head && c->t_head->deadline <= c->now) {
        asmb_req *r = c->t_head;
        timer_del(c, r);
        if (r->state == ASMB_REQ_QUEUED) { /* never sent: the whole chain goes */
            asmb_req *h = chain_head(r);
            queue_del(c, h);
            drop_queued(c, h, ASMB_ETIMEDOUT);
        } else {
            /* Retire the message id safely: the request stays in the table so
             * a late reply is recognised and its credits counted. */
            r->abandoned = 1;
            ASMB_LOG(c, ASMB_LOG_WARN, "request mid=%llu (command %u) timed out; sending CANCEL",
                     (unsigned long long)r->msg_id, r->command);
            send_cancel(c, r);
            if (r->on_fail) r->on_fail(r, ASMB_ETIMEDOUT);
        }
    }
    if (c->tp && c->state != ASMB_ST_DEAD) c->tp->rearm(c);
}

/* ---- teardown ---- */

void asmb__eng_drop_all(asmb_conn *c, int code)
{
    while (c->q_head) {
        asmb_req *r = c->q_head;
        queue_del(c, r);
        drop_queued(c, r, code);
    }
    for (size_t i = 0; i < c->npbuckets; i++) {
        while (c->pending[i]) {
            asmb_req *r = c->pending[i];
            c->pending[i] = r->hnext;
            c->npending--;
            timer_del(c, r);
            if (!r->abandoned && r->on_fail) r->on_fail(r, code);
            asmb__req_free(r);
        }
    }
    pending_free(c);
    c->credits = c->inflight = 0;
}
