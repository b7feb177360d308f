/* Secrets at rest (issue 12, finding 7), against Samba: a recording allocator
 * (asmb_set_allocator) scans every block the library frees, and every block
 * still live after authentication, for the password (UTF-8 and UTF-16LE), its
 * NT hash and the session's keys (session, signing, encryption, decryption,
 * application), read from the connection's internals just before it is freed.
 * Nothing may be found: the password is never kept (only its NT hash), and
 * keys and hash are cleansed before their memory goes back.
 * Linked with the library's objects to read the keys (struct asmb_conn). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/session.h"
#include "itest.h"

typedef struct block {
    struct block *prev, *next;
    size_t size;
    max_align_t pad[]; /* the caller's bytes follow, aligned */
} block;

typedef struct needle {
    const char *what;
    uint8_t bytes[64];
    size_t len;
} needle;

static block live = {&live, &live, 0};
static needle needles[16];
static int nneedles, hits_freed, hits_live;

static int scan(const uint8_t *p, size_t n, const char *when)
{
    int hits = 0;
    for (int i = 0; i < nneedles; i++) {
        const needle *s = &needles[i];
        for (size_t k = 0; s->len && k + s->len <= n; k++) {
            if (memcmp(p + k, s->bytes, s->len) == 0) {
                fprintf(stderr, "  %s found in a block %s (%zu bytes)\n", s->what, when, n);
                hits++;
                break;
            }
        }
    }
    return hits;
}

static void link_block(block *b)
{
    b->next = live.next;
    b->prev = &live;
    live.next->prev = b;
    live.next = b;
}

static void unlink_block(block *b)
{
    b->prev->next = b->next;
    b->next->prev = b->prev;
}

static void *rec_malloc(size_t n, void *ctx)
{
    (void)ctx;
    block *b = malloc(sizeof *b + n);
    if (!b) return NULL;
    /* Filled: the scan reads every byte of a freed block, also the ones the
     * library never wrote (valgrind would flag those reads). */
    memset(b->pad, 0xA5, n);
    b->size = n;
    link_block(b);
    return b->pad;
}

static void rec_free(void *p, void *ctx)
{
    (void)ctx;
    block *b = (block *)((char *)p - offsetof(block, pad));
    unlink_block(b);
    hits_freed += scan(p, b->size, "when freed");
    free(b);
}

/* A moved block's old bytes are freed too: scanned as such. */
static void *rec_realloc(void *p, size_t n, void *ctx)
{
    block *b = (block *)((char *)p - offsetof(block, pad));
    void *q = rec_malloc(n, ctx);
    if (!q) return NULL;
    memcpy(q, p, b->size < n ? b->size : n);
    rec_free(p, ctx);
    return q;
}

static void add_needle(const char *what, const void *p, size_t n)
{
    needle *s = &needles[nneedles++];
    s->what = what;
    memcpy(s->bytes, p, n);
    s->len = n;
}

static void add_password(const char *pw)
{
    uint8_t u16[64];
    size_t n = strlen(pw);
    for (size_t i = 0; i < n; i++) {
        u16[2 * i] = (uint8_t)pw[i]; /* ASCII test password */
        u16[2 * i + 1] = 0;
    }
    add_needle("the password (UTF-8)", pw, n);
    add_needle("the password (UTF-16LE)", u16, 2 * n);
}

static int scan_live(void)
{
    int hits = 0;
    for (block *b = live.next; b != &live; b = b->next) hits += scan((uint8_t *)b->pad, b->size, "still live");
    return hits;
}

static void run(uv_loop_t *loop, int encrypt)
{
    asmb_config cfg;
    t_config(&cfg);
    cfg.encryption = encrypt ? ASMB_REQUIRED : ASMB_OFF;
    cfg.signing = ASMB_REQUIRED;
    conn_events e;
    nneedles = 0;
    add_password(cfg.password);
    asmb_conn *c = t_connect(loop, &cfg, &e);
    CHECK_EQ_INT(e.auth_ok, 1);
    if (!e.auth_ok) return;
    /* After authentication: the password is nowhere in the library's memory. */
    hits_live += scan_live();
    asmb_deferred *d;
    outcome o = {0};
    CHECK_EQ_INT(asmb_echo(c, NULL, &d), 0);
    asmb_deferred_then(d, t_cb, t_eb, &o);
    run_until(loop, &o.calls, 5000);
    CHECK_EQ_INT(o.ok, 1);
    add_needle("the NT hash", c->nt_hash, 16);
    add_needle("the session key", c->session_key, 16);
    add_needle("the signing key", c->signing_key, 16);
    add_needle("the application key", c->app_key, 16);
    if (encrypt) {
        CHECK(c->encrypt_all);
        add_needle("the encryption key", c->enc_key, 16);
        add_needle("the decryption key", c->dec_key, 16);
    }
    int before = hits_freed;
    t_free(loop, c);
    CHECK_EQ_INT(hits_freed - before, 0);
    CHECK(live.next == &live); /* every block went back, and was scanned */
}

int main(void)
{
    static uv_loop_t lp;
    uv_loop_init(&lp);
    asmb_allocator a = {rec_malloc, rec_realloc, rec_free, NULL};
    CHECK_EQ_INT(asmb_set_allocator(&a), 0);
    /* The scanner must see what it looks for: a block holding a key is found. */
    nneedles = 0;
    add_needle("a planted key", "0123456789abcdef", 16);
    void *probe = rec_malloc(40, NULL);
    memcpy((char *)probe + 7, "0123456789abcdef", 16);
    rec_free(probe, NULL);
    CHECK_EQ_INT(hits_freed, 1);
    hits_freed = 0;

    run(&lp, 0);
    run(&lp, 1);
    CHECK_EQ_INT(hits_live, 0);
    CHECK_EQ_INT(hits_freed, 0);
    asmb_set_allocator(NULL);
    uv_loop_close(&lp);
    TEST_DONE();
}
