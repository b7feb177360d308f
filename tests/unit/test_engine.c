/* The sans-I/O engine driven by hand, as a transport would (no socket, a
 * clock we set): STATUS_PENDING interim replies and the async id, CANCEL
 * after an interim reply, the FIFO queue within credits, a late reply after
 * a timeout, compound replies, and hostile frames. The connection is put
 * straight into the authenticated state: these are engine rules, not the
 * negotiation, which the integration tests cover against Samba. */
#include <string.h>

#include "core/conn.h"
#include "core/deferred.h"
#include "mem.h"
#include "test.h"

static uv_loop_t loop;

typedef struct seen {
    int ok, failed, code;
} seen;
static void on_ok(asmb_deferred *d, const void *r, void *arg)
{
    (void)d;
    (void)r;
    ((seen *)arg)->ok++;
}
static void on_err(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)d;
    ((seen *)arg)->failed++;
    ((seen *)arg)->code = f->code;
}

static asmb_conn *ready_conn(uint32_t credits)
{
    asmb_config cfg;
    asmb_config_init(&cfg);
    cfg.signing = ASMB_OFF;
    asmb_conn *c = asmb_conn_new(&loop, &cfg, NULL, NULL);
    c->host = asmb__strdup("server");
    c->state = ASMB_ST_READY; /* as after auth_ok, unsigned */
    c->info.dialect = ASMB_SMB2_10;
    c->session_id = 0x55;
    c->credits = credits;
    c->next_msg_id = 1;
    return c;
}

/* Takes the queued frames; returns how many and the last message id seen. */
static int take(asmb_conn *c, uint64_t *ids, uint16_t *cmds, uint32_t *flags)
{
    int n = 0;
    asmb_frame *f = asmb__eng_take_output(c);
    while (f) {
        asmb_frame *next = f->next;
        const uint8_t *m = f->data + f->off + 4;
        if (ids) ids[n] = asmb_le64(m + 24);
        if (cmds) cmds[n] = asmb_le16(m + 12);
        if (flags) flags[n] = asmb_le32(m + 16);
        n++;
        asmb__frame_free(f);
        f = next;
    }
    return n;
}

/* Feeds one reply frame: an SMB2 header (+ a 4-byte body) with these fields. */
static void feed(asmb_conn *c, uint16_t cmd, uint64_t id, uint32_t status, uint16_t credits,
                 uint32_t flags, uint64_t async_id)
{
    uint8_t m[4 + 64 + 9] = {0};
    asmb_smb2_hdr h = {0};
    h.command = cmd;
    h.msg_id = id;
    h.status = status;
    h.credits = credits;
    h.flags = SMB2_FLAGS_SERVER_TO_REDIR | flags;
    h.async_id = async_id;
    h.session_id = c->session_id;
    asmb__hdr_encode(m + 4, &h);
    size_t body = status == 0 ? 4 : 9; /* ECHO reply, or an error body */
    asmb_st16(m + 68, (uint16_t)body);
    m[3] = (uint8_t)(64 + body);
    size_t len = 0;
    uint8_t *space = asmb__eng_rx_space(c, &len);
    memcpy(space, m, 4 + 64 + body);
    asmb__eng_rx_done(c, 4 + 64 + body);
    asmb__conn_dispatch(c);
}

static void finish(asmb_conn *c)
{
    asmb_conn_free(c);
    uv_run(&loop, UV_RUN_DEFAULT);
}

static void test_interim(void)
{
    asmb_conn *c = ready_conn(10);
    asmb_deferred *d;
    seen s = {0};
    CHECK_EQ_INT(asmb_echo(c, NULL, &d), 0);
    asmb_deferred_then(d, on_ok, on_err, &s);
    uint64_t id[4];
    CHECK_EQ_INT(take(c, id, NULL, NULL), 1);
    uint32_t before = c->credits;
    feed(c, SMB2_ECHO, id[0], 0x00000103, 5, SMB2_FLAGS_ASYNC_COMMAND, 77); /* STATUS_PENDING */
    CHECK_EQ_INT(s.ok + s.failed, 0);               /* still pending */
    /* An unsigned interim on a keyed session: its credits wait for the final
     * reply, and count for no more than the request charged. */
    CHECK_EQ_INT(c->credits, before);
    CHECK_EQ_INT(c->npending, 1);
    feed(c, SMB2_ECHO, id[0], 0, 1, SMB2_FLAGS_ASYNC_COMMAND, 77);
    CHECK_EQ_INT(s.ok, 1);
    CHECK_EQ_INT(c->npending, 0);
    CHECK_EQ_INT(c->credits, before + 1 + 1); /* the final's grant and the interim's, confirmed */

    /* A forged interim (65535 credits) before a synchronous final reply: the
     * final reply proves it false, its credits never count. */
    seen f = {0};
    CHECK_EQ_INT(asmb_echo(c, NULL, &d), 0);
    asmb_deferred_then(d, on_ok, on_err, &f);
    CHECK_EQ_INT(take(c, id, NULL, NULL), 1);
    before = c->credits;
    feed(c, SMB2_ECHO, id[0], 0x00000103, 65535, SMB2_FLAGS_ASYNC_COMMAND, 99);
    feed(c, SMB2_ECHO, id[0], 0, 1, 0, 0);
    CHECK_EQ_INT(f.ok, 1);
    CHECK_EQ_INT(c->credits, before + 1);

    /* Cancel after an interim reply: CANCEL goes out async, with the async id. */
    seen x = {0};
    CHECK_EQ_INT(asmb_echo(c, NULL, &d), 0);
    asmb_deferred_then(d, on_ok, on_err, &x);
    CHECK_EQ_INT(take(c, id, NULL, NULL), 1);
    feed(c, SMB2_ECHO, id[0], 0x00000103, 1, SMB2_FLAGS_ASYNC_COMMAND, 99);
    CHECK_EQ_INT(asmb_deferred_cancel(d), 0);
    uint16_t cmd[4];
    uint32_t fl[4];
    uint64_t cid[4];
    CHECK_EQ_INT(take(c, cid, cmd, fl), 1);
    CHECK_EQ_INT(cmd[0], SMB2_CANCEL);
    CHECK(fl[0] & SMB2_FLAGS_ASYNC_COMMAND);
    CHECK_EQ_INT(cid[0], id[0]);
    asmb__conn_dispatch(c);
    CHECK_EQ_INT(x.failed, 1);
    CHECK_EQ_INT(x.code, ASMB_ECANCELED);
    /* The server's STATUS_CANCELLED answer is recognised and dropped. */
    feed(c, SMB2_ECHO, id[0], 0xC0000120, 1, SMB2_FLAGS_ASYNC_COMMAND, 99);
    CHECK_EQ_INT(c->state, ASMB_ST_READY);
    CHECK_EQ_INT(x.failed + x.ok, 1);
    CHECK_EQ_INT(c->npending, 0);
    finish(c);
}

static void test_fifo_within_credits(void)
{
    asmb_conn *c = ready_conn(1);
    c->cfg.credit_target = 1; /* ask for no more than one at a time */
    seen s[3] = {{0}};
    asmb_deferred *d;
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(asmb_echo(c, NULL, &d), 0);
        asmb_deferred_then(d, on_ok, on_err, &s[i]);
    }
    uint64_t id[4];
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(take(c, id, NULL, NULL), 1); /* one at a time: one credit */
        CHECK_EQ_INT(c->credits, 0);
        feed(c, SMB2_ECHO, id[0], 0, 1, 0, 0);
        CHECK_EQ_INT(s[i].ok, 1);
        if (i < 2) CHECK_EQ_INT(s[i + 1].ok, 0); /* in order */
    }
    CHECK_EQ_INT(take(c, NULL, NULL, NULL), 0);
    finish(c);
}

static void test_late_reply(void)
{
    asmb_conn *c = ready_conn(10);
    asmb_deferred *d;
    seen s = {0};
    asmb_opts o = {25, 0};
    CHECK_EQ_INT(asmb_echo(c, &o, &d), 0);
    asmb_deferred_then(d, on_ok, on_err, &s);
    uint64_t id[4];
    CHECK_EQ_INT(take(c, id, NULL, NULL), 1);
    uint64_t due = asmb__eng_deadline(c);
    CHECK_EQ_INT(due, c->now + 25);
    asmb__eng_set_time(c, due - 1, 0);
    asmb__eng_tick(c);
    asmb__conn_dispatch(c);
    CHECK_EQ_INT(s.failed, 0); /* not a millisecond early */
    asmb__eng_set_time(c, due, 0);
    asmb__eng_tick(c);
    asmb__conn_dispatch(c);
    CHECK_EQ_INT(s.failed, 1);
    CHECK_EQ_INT(s.code, ASMB_ETIMEDOUT);
    uint16_t cmd[4];
    CHECK_EQ_INT(take(c, NULL, cmd, NULL), 1); /* a CANCEL for the server */
    CHECK_EQ_INT(cmd[0], SMB2_CANCEL);
    uint32_t before = c->credits;
    feed(c, SMB2_ECHO, id[0], 0, 3, 0, 0); /* the late reply: dropped, credits kept */
    CHECK_EQ_INT(c->state, ASMB_ST_READY);
    CHECK_EQ_INT(c->credits, before + 3);
    CHECK_EQ_INT(s.ok + s.failed, 1);
    finish(c);
}

static void test_hostile(void)
{
    /* A reply to a message id never sent. */
    asmb_conn *c = ready_conn(10);
    asmb_deferred *d;
    seen s = {0};
    CHECK_EQ_INT(asmb_echo(c, NULL, &d), 0);
    asmb_deferred_then(d, on_ok, on_err, &s);
    take(c, NULL, NULL, NULL);
    feed(c, SMB2_ECHO, 12345, 0, 1, 0, 0);
    CHECK_EQ_INT(c->state, ASMB_ST_DEAD);
    CHECK_EQ_INT(s.failed, 1);
    CHECK_EQ_INT(s.code, ASMB_EPROTO);
    finish(c);

    /* A frame whose length field is below an SMB2 header; then one that is
     * not SMB2; then a wrong command for the id. */
    static const uint8_t tiny[] = {0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
    for (int k = 0; k < 3; k++) {
        c = ready_conn(10);
        seen t = {0};
        CHECK_EQ_INT(asmb_echo(c, NULL, &d), 0);
        asmb_deferred_then(d, on_ok, on_err, &t);
        uint64_t id[2];
        take(c, id, NULL, NULL);
        if (k == 0) {
            size_t len;
            memcpy(asmb__eng_rx_space(c, &len), tiny, sizeof tiny);
            asmb__eng_rx_done(c, sizeof tiny);
        } else if (k == 1) {
            uint8_t junk[4 + 80] = {0, 0, 0, 80, 0xFD, 'S', 'M', 'B'};
            size_t len;
            memcpy(asmb__eng_rx_space(c, &len), junk, sizeof junk);
            asmb__eng_rx_done(c, sizeof junk); /* "encrypted" with no key */
        } else {
            feed(c, SMB2_READ, id[0], 0, 1, 0, 0);
        }
        asmb__conn_dispatch(c);
        CHECK_EQ_INT(c->state, ASMB_ST_DEAD);
        CHECK_EQ_INT(t.failed, 1);
        CHECK_EQ_INT(t.code, ASMB_EPROTO);
        finish(c);
    }
}

/* Two replies in one frame, chained with NextCommand (MS-SMB2 3.3.4.1.3). */
static void test_compound_reply(void)
{
    asmb_conn *c = ready_conn(10);
    seen s[2] = {{0}};
    asmb_deferred *d;
    for (int i = 0; i < 2; i++) {
        CHECK_EQ_INT(asmb_echo(c, NULL, &d), 0);
        asmb_deferred_then(d, on_ok, on_err, &s[i]);
    }
    uint64_t id[4];
    CHECK_EQ_INT(take(c, id, NULL, NULL), 2);
    uint8_t m[4 + 72 + 68] = {0};
    for (int i = 0; i < 2; i++) {
        asmb_smb2_hdr h = {0};
        h.command = SMB2_ECHO;
        h.msg_id = id[i];
        h.credits = 1;
        h.flags = SMB2_FLAGS_SERVER_TO_REDIR;
        h.next_command = i == 0 ? 72 : 0;
        uint8_t *p = m + 4 + (i ? 72 : 0);
        asmb__hdr_encode(p, &h);
        asmb_st16(p + 64, 4);
    }
    m[3] = 72 + 68;
    size_t len;
    memcpy(asmb__eng_rx_space(c, &len), m, sizeof m);
    asmb__eng_rx_done(c, sizeof m);
    asmb__conn_dispatch(c);
    CHECK_EQ_INT(s[0].ok + s[1].ok, 2);
    CHECK_EQ_INT(c->state, ASMB_ST_READY);
    finish(c);
}

/* A fake connected tree, as after TREE_CONNECT. */
static void add_tree(asmb_conn *c, const char *name, uint32_t id)
{
    asmb_tree *t = calloc(1, sizeof *t);
    t->name = asmb__strdup(name);
    t->state = ASMB_TREE_CONNECTED;
    t->info.tree_id = id;
    t->next = c->trees;
    c->trees = t;
}

/* get_attributes goes as one compound frame: CREATE, QUERY_INFO, CLOSE,
 * related, consecutive ids; a failing CREATE fails it with that status. */
static void test_compound_request(void)
{
    asmb_conn *c = ready_conn(10);
    add_tree(c, "share", 7);
    asmb_deferred *d;
    seen s = {0};
    CHECK_EQ_INT(asmb_get_attributes(c, "share", "dir/missing.txt", NULL, &d), 0);
    asmb_deferred_then(d, on_ok, on_err, &s);
    asmb_frame *f = asmb__eng_take_output(c);
    CHECK(f && !f->next);
    const uint8_t *m = f->data + f->off + 4;
    size_t left = f->len - f->off - 4;
    static const uint16_t want[3] = {SMB2_CREATE, SMB2_QUERY_INFO, SMB2_CLOSE};
    uint64_t ids[3] = {0};
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(asmb_le16(m + 12), want[i]);
        CHECK_EQ_INT(!!(asmb_le32(m + 16) & SMB2_FLAGS_RELATED_OPERATIONS), i > 0);
        CHECK_EQ_INT(asmb_le32(m + 36), 7); /* tree id */
        ids[i] = asmb_le64(m + 24);
        uint32_t next = asmb_le32(m + 20);
        CHECK_EQ_INT(next % 8, 0);
        CHECK_EQ_INT(next == 0, i == 2);
        if (i > 0) CHECK_EQ_INT(ids[i], ids[i - 1] + 1);
        if (i == 1) CHECK_EQ_INT(asmb_le64(m + 64 + 24), UINT64_MAX); /* related FileId */
        if (!next) break;
        CHECK(next < left);
        m += next;
        left -= next;
    }
    asmb__frame_free(f);
    /* The server: CREATE fails; the related ones fail in cascade. */
    feed(c, SMB2_CREATE, ids[0], 0xC0000034, 1, 0, 0);
    feed(c, SMB2_QUERY_INFO, ids[1], 0xC0000034, 1, 0, 0);
    CHECK_EQ_INT(s.failed, 1);
    CHECK_EQ_INT(s.code, ASMB_EFAILURE);
    feed(c, SMB2_CLOSE, ids[2], 0xC0000034, 1, 0, 0);
    CHECK_EQ_INT(s.failed + s.ok, 1);
    CHECK_EQ_INT(c->npending, 0);
    CHECK_EQ_INT(c->state, ASMB_ST_READY);
    finish(c);
}

/* Feeds one reply message with a body (the header is built here). */
static uint16_t feed_grant = 1; /* credits each feed_body reply grants */
static void feed_body(asmb_conn *c, uint16_t cmd, uint64_t id, uint32_t status,
                      const uint8_t *body, size_t blen)
{
    uint8_t *m = calloc(1, 4 + 64 + blen);
    asmb_smb2_hdr h = {0};
    h.command = cmd;
    h.msg_id = id;
    h.status = status;
    h.credits = feed_grant;
    h.flags = SMB2_FLAGS_SERVER_TO_REDIR;
    h.session_id = c->session_id;
    asmb__hdr_encode(m + 4, &h);
    memcpy(m + 68, body, blen);
    size_t n = 64 + blen, len;
    m[1] = (uint8_t)(n >> 16);
    m[2] = (uint8_t)(n >> 8);
    m[3] = (uint8_t)n;
    /* In the pieces the engine offers room for, as a transport reads. */
    for (size_t off = 0; off < 4 + n && c->state != ASMB_ST_DEAD;) {
        uint8_t *space = asmb__eng_rx_space(c, &len);
        size_t k = 4 + n - off < len ? 4 + n - off : len;
        memcpy(space, m + off, k);
        asmb__eng_rx_done(c, k);
        off += k;
    }
    asmb__conn_dispatch(c);
    free(m);
}

/* A CREATE response (2.2.14) for a file of eof bytes. */
static void create_body(uint8_t b[89], uint64_t eof)
{
    memset(b, 0, 89);
    asmb_st16(b, 89);
    asmb_st64(b + 48, eof);
    asmb_st64(b + 64, 0x1111); /* FileId */
}

typedef struct sinkbuf {
    uint8_t data[16384];
    size_t n;
} sinkbuf;
static int sink_put(void *arg, const void *p, size_t n)
{
    sinkbuf *s = arg;
    if (s->n + n > sizeof s->data) return -1;
    memcpy(s->data + s->n, p, n);
    s->n += n;
    return 0;
}

/* A server that shrinks its grant while a 2-credit READ waits in the queue:
 * that READ can never fit any more (1 credit, nothing outstanding), so it
 * goes as two 1-credit READs instead of failing (retrieve.c: resplit). */
typedef struct patsink {
    size_t n, bad;
} patsink;
static int pat_put(void *arg, const void *p, size_t n)
{
    patsink *s = arg;
    for (size_t i = 0; i < n; i++) s->bad += ((const uint8_t *)p)[i] != (uint8_t)((s->n + i) / 7);
    s->n += n;
    return 0;
}

static void feed_read(asmb_conn *c, uint64_t id, uint64_t off, size_t n)
{
    uint8_t *rb = calloc(1, 16 + n);
    asmb_st16(rb, 17);
    rb[2] = 64 + 16; /* DataOffset */
    asmb_st32(rb + 4, (uint32_t)n);
    for (size_t k = 0; k < n; k++) rb[16 + k] = (uint8_t)((off + k) / 7);
    feed_body(c, SMB2_READ, id, 0, rb, 16 + n);
    free(rb);
}

/* Two credits to start, 128 KiB (2-credit) requests, 2 in flight, no
 * compounding: one request goes, the next waits for credits. */
static asmb_conn *split_conn(void)
{
    asmb_conn *c = ready_conn(2);
    c->cfg.io_size = 2 * 65536;
    c->cfg.io_window = 2;
    c->cfg.no_compound = 1;
    c->server_caps = SMB2_GLOBAL_CAP_LARGE_MTU;
    add_tree(c, "share", 9);
    return c;
}

static void test_read_resplit(void)
{
    enum { K64 = 65536, SIZE = 4 * K64 };
    asmb_conn *c = split_conn();
    patsink out = {0, 0};
    asmb_sink sink = {pat_put, &out, -1};
    asmb_deferred *d;
    seen s = {0};
    CHECK_EQ_INT(asmb_retrieve_file(c, "share", "f.bin", &sink, NULL, &d), 0);
    asmb_deferred_then(d, on_ok, on_err, &s);
    uint64_t id[8];
    uint16_t cmd[8];
    CHECK_EQ_INT(take(c, id, cmd, NULL), 1); /* CREATE: 1 credit left, +1 granted */
    uint8_t cb[89];
    create_body(cb, SIZE);
    feed_body(c, SMB2_CREATE, id[0], 0, cb, sizeof cb);
    CHECK_EQ_INT(take(c, id, cmd, NULL), 1); /* READ [0,128K): both credits; the next waits */
    CHECK_EQ_INT(cmd[0], SMB2_READ);
    CHECK_EQ_INT(c->q_head != NULL, 1);
    feed_read(c, id[0], 0, 2 * K64); /* grants 1: the waiting 2-credit READ can't ever go */
    CHECK_EQ_INT(out.n, 2 * K64);
    CHECK_EQ_INT(take(c, id, cmd, NULL), 1); /* [128K,192K) */
    CHECK_EQ_INT(cmd[0], SMB2_READ);
    CHECK_EQ_INT(s.failed, 0);
    feed_read(c, id[0], 2 * K64, K64);
    CHECK_EQ_INT(take(c, id, cmd, NULL), 1); /* [192K,256K) */
    CHECK_EQ_INT(cmd[0], SMB2_READ);
    feed_read(c, id[0], 3 * K64, K64);
    CHECK_EQ_INT(out.n, SIZE);
    CHECK_EQ_INT(out.bad, 0);
    CHECK_EQ_INT(take(c, id, cmd, NULL), 1);
    CHECK_EQ_INT(cmd[0], SMB2_CLOSE);
    uint8_t clb[60] = {0};
    asmb_st16(clb, 60);
    feed_body(c, SMB2_CLOSE, id[0], 0, clb, sizeof clb);
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK_EQ_INT(s.ok, 1);
    finish(c);
}

/* The same for a store: a 2-credit WRITE, filled and queued, when the
 * server's grant shrinks to 1 goes as two 1-credit WRITEs (store.c:
 * resplit). The server's side here checks every byte lands once. */
typedef struct patsrc {
    size_t off, size;
} patsrc;
static long pat_get(void *arg, void *buf, size_t len)
{
    patsrc *s = arg;
    size_t n = s->size - s->off < len ? s->size - s->off : len;
    for (size_t i = 0; i < n; i++) ((uint8_t *)buf)[i] = (uint8_t)((s->off + i) / 7);
    s->off += n;
    return (long)n;
}

static void test_write_resplit(void)
{
    enum { K64 = 65536, SIZE = 4 * K64 };
    asmb_conn *c = split_conn();
    patsrc src_state = {0, SIZE};
    asmb_source src = {pat_get, &src_state, -1};
    asmb_deferred *d;
    seen s = {0};
    CHECK_EQ_INT(asmb_store_file(c, "share", "f.bin", &src, NULL, &d), 0);
    asmb_deferred_then(d, on_ok, on_err, &s);
    static uint8_t file[SIZE];
    static uint8_t hits[SIZE / K64 * 2];
    memset(hits, 0, sizeof hits);
    int writes = 0, small = 0, closed = 0, grant_zero_done = 0;
    for (int round = 0; round < 40 && !closed; round++) {
        asmb_frame *f = asmb__eng_take_output(c);
        while (f) {
            asmb_frame *next = f->next;
            const uint8_t *m = f->data + f->off + 4;
            uint16_t cmd = asmb_le16(m + 12);
            uint64_t id = asmb_le64(m + 24);
            if (cmd == SMB2_CREATE) {
                uint8_t cb[89];
                create_body(cb, 0);
                feed_body(c, SMB2_CREATE, id, 0, cb, sizeof cb);
            } else if (cmd == SMB2_WRITE) {
                uint32_t len = asmb_le32(m + 64 + 4);
                uint64_t off = asmb_le64(m + 64 + 8);
                const uint8_t *data = m + asmb_le16(m + 64 + 2);
                CHECK(off + len <= SIZE);
                if (off + len <= SIZE) memcpy(file + off, data, len);
                for (uint64_t k = off / (K64 / 2); k < (off + len) / (K64 / 2); k++) hits[k]++;
                writes++;
                small += len == K64 && off % (2 * K64) == K64; /* the second half of a split */
                uint8_t wr[17] = {0};
                asmb_st16(wr, 17);
                asmb_st32(wr + 4, len);
                /* The first WRITE's reply grants nothing: 1 credit left. */
                feed_grant = grant_zero_done++ ? 1 : 0;
                feed_body(c, SMB2_WRITE, id, 0, wr, sizeof wr);
                feed_grant = 1;
            } else if (cmd == SMB2_CLOSE) {
                uint8_t clb[60] = {0};
                asmb_st16(clb, 60);
                feed_body(c, SMB2_CLOSE, id, 0, clb, sizeof clb);
                closed = 1;
            }
            asmb__frame_free(f);
            f = next;
        }
    }
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK_EQ_INT(s.ok, 1);
    CHECK_EQ_INT(s.failed, 0);
    CHECK_EQ_INT(closed, 1);
    CHECK(small >= 1); /* a 128 KiB WRITE went as two 64 KiB ones */
    int once = 1, same = 1;
    for (size_t k = 0; k < sizeof hits; k++) once &= hits[k] == 1;
    for (size_t i = 0; i < SIZE; i++) same &= file[i] == (uint8_t)(i / 7);
    CHECK(once);
    CHECK(same);
    (void)writes;
    finish(c);
}

/* READs answered in reverse order still reach the sink in file order. */
static void test_reads_reordered(void)
{
    asmb_config cfg;
    asmb_conn *c = ready_conn(100);
    c->cfg.io_size = 4096; /* the smallest request size: 3 READs for this file */
    c->cfg.io_window = 3;
    c->cfg.no_compound = 1; /* CREATE alone, then the READ window (no CREATE+READ+CLOSE) */
    c->server_caps = SMB2_GLOBAL_CAP_LARGE_MTU;
    (void)cfg;
    add_tree(c, "share", 9);
    sinkbuf out = {{0}, 0};
    asmb_sink sink = {sink_put, &out, -1};
    asmb_deferred *d;
    seen s = {0};
    CHECK_EQ_INT(asmb_retrieve_file(c, "share", "f.bin", &sink, NULL, &d), 0);
    asmb_deferred_then(d, on_ok, on_err, &s);
    uint64_t id[8];
    uint16_t cmd[8];
    CHECK_EQ_INT(take(c, id, cmd, NULL), 1);
    CHECK_EQ_INT(cmd[0], SMB2_CREATE);
    uint8_t cb[89];
    enum { EOF_ = 2 * 4096 + 1000 };
    create_body(cb, EOF_);
    feed_body(c, SMB2_CREATE, id[0], 0, cb, sizeof cb);
    CHECK_EQ_INT(take(c, id, cmd, NULL), 3); /* the whole window at once */
    for (int i = 0; i < 3; i++) CHECK_EQ_INT(cmd[i], SMB2_READ);
    static uint8_t rb[16 + 4096];
    for (int i = 2; i >= 0; i--) { /* last first */
        size_t n = i == 2 ? 1000 : 4096;
        memset(rb, 0, sizeof rb);
        asmb_st16(rb, 17);
        rb[2] = 64 + 16; /* DataOffset */
        asmb_st32(rb + 4, (uint32_t)n);
        for (size_t k = 0; k < n; k++) rb[16 + k] = (uint8_t)((size_t)i * 4096 + k);
        feed_body(c, SMB2_READ, id[i], 0, rb, 16 + n);
        CHECK_EQ_INT(out.n, i == 0 ? EOF_ : 0); /* nothing until the first one is in */
    }
    int in_order = out.n == EOF_;
    for (size_t k = 0; k < out.n; k++) in_order &= out.data[k] == (uint8_t)k;
    CHECK(in_order);
    CHECK_EQ_INT(take(c, id, cmd, NULL), 1);
    CHECK_EQ_INT(cmd[0], SMB2_CLOSE);
    uint8_t clb[60] = {0};
    asmb_st16(clb, 60);
    feed_body(c, SMB2_CLOSE, id[0], 0, clb, sizeof clb);
    CHECK_EQ_INT(s.ok, 1);
    finish(c);
}

/* A compound chain whose middle request fails: that status is reported and
 * the chain's own CLOSE closed the handle (no extra CLOSE goes out). */
static void test_compound_middle_fails(void)
{
    asmb_conn *c = ready_conn(10);
    add_tree(c, "share", 7);
    asmb_deferred *d;
    seen s = {0};
    CHECK_EQ_INT(asmb_delete_directory(c, "share", "full", NULL, &d), 0);
    asmb_deferred_then(d, on_ok, on_err, &s);
    uint64_t id[4];
    uint16_t cmd[4];
    asmb_frame *f = asmb__eng_take_output(c);
    CHECK(f && !f->next);
    const uint8_t *m = f->data + f->off + 4;
    for (int i = 0; i < 3; i++) {
        id[i] = asmb_le64(m + 24);
        cmd[i] = asmb_le16(m + 12);
        m += asmb_le32(m + 20);
    }
    asmb__frame_free(f);
    CHECK_EQ_INT(cmd[1], SMB2_SET_INFO);
    uint8_t cb[89];
    create_body(cb, 0);
    feed_body(c, SMB2_CREATE, id[0], 0, cb, sizeof cb);
    feed(c, SMB2_SET_INFO, id[1], 0xC0000101, 1, 0, 0); /* STATUS_DIRECTORY_NOT_EMPTY */
    CHECK_EQ_INT(s.failed, 1);
    CHECK_EQ_INT(s.code, ASMB_EFAILURE);
    uint8_t clb[60] = {0};
    asmb_st16(clb, 60);
    feed_body(c, SMB2_CLOSE, id[2], 0, clb, sizeof clb);
    CHECK_EQ_INT(take(c, NULL, NULL, NULL), 0); /* no orphan CLOSE: the chain closed it */
    CHECK_EQ_INT(s.failed + s.ok, 1);
    CHECK_EQ_INT(c->npending, 0);
    finish(c);
}

/* Memory sized to what is in flight: an idle connection holds no receive
 * buffer and no pending table; many requests grow the table; a large frame
 * grows the receive buffer, which stays while requests are in flight and
 * goes once the connection has been idle for the trim delay (1 s). */
static void test_lazy_buffers(void)
{
    asmb_conn *c = ready_conn(4000);
    c->cfg.credit_target = 4000;
    CHECK(c->rx == NULL && c->pending == NULL);
    CHECK_EQ_INT(asmb__eng_deadline(c), 0);

    enum { N = 3000 };
    static seen s[N];
    asmb_deferred *d;
    for (int i = 0; i < N; i++) {
        CHECK_EQ_INT(asmb_echo(c, NULL, &d), 0);
        asmb_deferred_then(d, on_ok, on_err, &s[i]);
    }
    CHECK_EQ_INT(c->npending, N);
    CHECK(c->npbuckets >= N / 2 && c->npbuckets <= 2 * N); /* grown: short chains */
    asmb_frame *f = asmb__eng_take_output(c);
    while (f) {
        asmb_frame *n = f->next;
        asmb__frame_free(f);
        f = n;
    }
    /* The replies arrive together: reads that fill the offer get a larger one. */
    size_t one = 4 + 64 + 4, total = N * one, fed = 0, offers = 0, biggest = 0;
    uint8_t *all = calloc(N, one);
    for (int i = 0; i < N; i++) {
        uint8_t *m = all + i * one;
        asmb_smb2_hdr h = {0};
        h.command = SMB2_ECHO;
        h.msg_id = 1 + (uint64_t)i;
        h.credits = 1;
        h.flags = SMB2_FLAGS_SERVER_TO_REDIR;
        h.session_id = c->session_id;
        asmb__hdr_encode(m + 4, &h);
        asmb_st16(m + 68, 4);
        m[3] = 64 + 4;
    }
    while (fed < total) {
        size_t len = 0;
        uint8_t *space = asmb__eng_rx_space(c, &len);
        size_t k = total - fed < len ? total - fed : len;
        if (len > biggest) biggest = len;
        memcpy(space, all + fed, k);
        asmb__eng_rx_done(c, k);
        fed += k;
        offers++;
    }
    free(all);
    asmb__conn_dispatch(c);
    int ok = 0;
    for (int i = 0; i < N; i++) ok += s[i].ok;
    CHECK_EQ_INT(ok, N);
    CHECK(biggest > 16 * 1024 && biggest <= 256 * 1024); /* grew from the small start */
    /* Idle: the grown table and buffer stay until the trim delay passes. */
    CHECK_EQ_INT(c->npending, 0);
    uint64_t due = asmb__eng_deadline(c);
    CHECK_EQ_INT(due, c->now + 1000);
    asmb__eng_set_time(c, due - 1, 0);
    asmb__eng_tick(c);
    CHECK(c->pending != NULL && c->rx != NULL);
    asmb__eng_set_time(c, due, 0);
    asmb__eng_tick(c);
    CHECK(c->pending == NULL && c->rx == NULL && c->pool == NULL);
    CHECK_EQ_INT(asmb__eng_deadline(c), 0);

    /* One request and its reply: nothing left once idle, no deadline armed. */
    seen e = {0};
    CHECK_EQ_INT(asmb_echo(c, NULL, &d), 0);
    asmb_deferred_then(d, on_ok, on_err, &e);
    uint64_t id[4];
    CHECK_EQ_INT(take(c, id, NULL, NULL), 1);
    CHECK(c->pending != NULL && c->npbuckets == ASMB_PENDING_MIN_BUCKETS);
    feed(c, SMB2_ECHO, id[0], 0, 1, 0, 0);
    CHECK_EQ_INT(e.ok, 1);
    CHECK(c->pending == NULL && c->rx == NULL);
    CHECK_EQ_INT(asmb__eng_deadline(c), 0);
    size_t len;
    CHECK(asmb__eng_rx_space(c, &len) != NULL && len == 16 * 1024); /* a wakeup, nothing came */
    asmb__eng_rx_unused(c);
    CHECK(c->rx == NULL);

    /* A large frame: a buffer of its size, kept while another request is in
     * flight (no fresh pages per frame), released after the idle delay. */
    enum { BIG = 200000 };
    seen x[2] = {{0}};
    for (int i = 0; i < 2; i++) {
        CHECK_EQ_INT(asmb_echo(c, NULL, &d), 0);
        asmb_deferred_then(d, on_ok, on_err, &x[i]);
    }
    CHECK_EQ_INT(take(c, id, NULL, NULL), 2);
    uint8_t *big = calloc(1, BIG);
    asmb_st16(big, 4);
    feed_body(c, SMB2_ECHO, id[0], 0, big, BIG);
    free(big);
    CHECK_EQ_INT(x[0].ok, 1);
    CHECK(c->rx_cap >= 4 + 64 + BIG);
    uint8_t *kept = c->rx;
    asmb__eng_rx_unused(c); /* busy: kept */
    CHECK(c->rx == kept);
    feed(c, SMB2_ECHO, id[1], 0, 1, 0, 0);
    CHECK_EQ_INT(x[1].ok, 1);
    asmb__eng_rx_unused(c); /* idle, but large: kept until the delay */
    CHECK(c->rx != NULL);
    due = asmb__eng_deadline(c);
    CHECK_EQ_INT(due, c->now + 1000);
    asmb__eng_set_time(c, due, 0);
    asmb__eng_tick(c);
    CHECK(c->rx == NULL);
    finish(c);
}

int main(void)
{
    uv_loop_init(&loop);
    test_lazy_buffers();
    test_interim();
    test_fifo_within_credits();
    test_late_reply();
    test_hostile();
    test_compound_reply();
    test_compound_request();
    test_reads_reordered();
    test_read_resplit();
    test_write_resplit();
    test_compound_middle_fails();
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
    TEST_DONE();
}
