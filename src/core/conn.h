/* The connection engine (sans-I/O): state machine, message ids, credits,
 * the send queue, the pending-request table, deadlines, and the queue of
 * completions delivered to the caller from the loop. It never touches a
 * socket or reads a clock: a transport (src/loop) feeds it bytes and the time
 * and takes its frames, through the functions at the end of this header. */
#ifndef ASMB_CORE_CONN_H
#define ASMB_CORE_CONN_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "asmb/asmb.h"
#include "../auth/ntlm.h"
#include "../crypto/crypto.h"
#include "../wire/smb2.h"

typedef struct asmb_req asmb_req;
typedef struct asmb_tree asmb_tree;

/* Queue of things to deliver to the caller, in order (intrusive). */
typedef struct asmb_evnode {
    struct asmb_evnode *next;
    int kind; /* ASMB_EV_* */
    int queued;
} asmb_evnode;
enum { ASMB_EV_DEFERRED, ASMB_EV_AUTH_OK, ASMB_EV_AUTH_FAILED, ASMB_EV_DISCONNECTED };

/* A failure with its own message storage. */
typedef struct asmb_failure_buf {
    asmb_failure f;
    char text[256];
} asmb_failure_buf;
void asmb__failure_set(asmb_failure_buf *fb, int code, uint32_t ntstatus, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void asmb__utf8_trim(char *s); /* drops a truncated trailing UTF-8 sequence */

/* A reply as handed to a request's on_reply: the whole SMB2 message (header
 * included, signature verified) and its decoded header. */
typedef struct asmb_reply {
    const asmb_smb2_hdr *hdr;
    const uint8_t *msg;
    size_t len;
} asmb_reply;

enum { ASMB_REQ_NEW, ASMB_REQ_QUEUED, ASMB_REQ_SENT };

/* One SMB2 request. Allocated by asmb__req_new, owned by the engine from
 * asmb__req_submit on, freed by the engine after on_reply or on_fail
 * returns. The owner of ctx (an operation) must not touch the request after
 * either callback, nor after asmb__req_abandon. */
struct asmb_req {
    asmb_conn *conn;
    asmb_req *qnext, *qprev; /* send queue */
    asmb_req *hnext;         /* pending table chain */
    asmb_req *tnext, *tprev; /* deadline list */
    asmb_req *onext, *oprev; /* free for the owning operation's own list */
    asmb_req *chain_next, *chain_prev; /* a compound chain, sent in one frame */
    uint16_t command;
    uint16_t credit_charge;
    uint32_t tree_id;
    int state;
    int abandoned;   /* the operation gave up: a late reply goes to on_late */
    int encrypted;   /* sent encrypted: the reply must be too */
    int interim;     /* STATUS_PENDING seen */
    int unsigned_ok; /* NEGOTIATE / first SESSION_SETUP legs */
    int must_sign;   /* signed even on an unsigned session, and so must the reply be */
    uint64_t msg_id, async_id;
    uint16_t interim_grant; /* an unsigned interim's credits, held until the final reply */
    uint64_t deadline; /* absolute ms on the engine clock; 0 = none */
    /* Writes the body (the header is written by the engine). */
    int (*encode)(asmb_req *r, asmb_wr *w);
    /* The final reply, any status. */
    void (*on_reply)(asmb_req *r, const asmb_reply *rep);
    /* No reply will come: ASMB_ETIMEDOUT, ASMB_ENOTCONN, ASMB_EPROTO, or an
     * encode error. After a timeout the request stays accounted (abandoned)
     * until its late reply, which goes to on_late when set. */
    void (*on_fail)(asmb_req *r, int code);
    /* Optional: a reply that arrives after the operation gave up (e.g. to
     * CLOSE a handle that was opened after all). */
    void (*on_late)(asmb_req *r, const asmb_reply *rep);
    void *ctx;
    size_t size_hint; /* body bytes the encoder will write, when large */
    /* Small inline storage for encoders (e.g. a path). */
    void *data;
    void (*data_free)(void *);
};

/* A share connected (or being connected) on the session. */
enum { ASMB_TREE_CONNECTING, ASMB_TREE_CONNECTED, ASMB_TREE_GONE };
typedef void (*asmb_tree_cb)(asmb_conn *c, asmb_tree *t, const asmb_failure *f, void *arg);
typedef struct asmb_tree_waiter {
    struct asmb_tree_waiter *next;
    asmb_tree_cb cb;
    void *arg;
} asmb_tree_waiter;
struct asmb_tree {
    asmb_tree *next;
    char *name; /* share name as given (compared case-insensitively) */
    int state;
    asmb_tree_info info;
    asmb_tree_waiter *waiters;
    int parked; /* connected, held back until the negotiation is validated */
};

/* What a transport provides; each is called by the engine. */
typedef struct asmb_transport_ops {
    void (*want_write)(asmb_conn *c); /* frames are ready in the out queue */
    void (*rearm)(asmb_conn *c);      /* the next deadline changed */
    void (*schedule)(asmb_conn *c);   /* events wait for delivery */
    void (*shutdown)(asmb_conn *c);   /* flush what is queued, then close the socket */
    void (*clock)(asmb_conn *c);      /* refresh c->now and c->unix_ms */
    /* Resolve host and start connecting; 0 or a negative code (then nothing
     * else happens). The outcome arrives as asmb__eng_start or conn_fail. */
    int (*connect)(asmb_conn *c, const char *host, int port);
    /* The caller is gone and nothing is left to deliver: close the socket
     * and handles, then drop the transport's reference (c->tp = NULL). */
    void (*release)(asmb_conn *c);
    /* asmb_conn_free was called (before release): an adapter that the
     * caller stops driving delivers what is left now. */
    void (*on_free)(asmb_conn *c);
} asmb_transport_ops;

/* An outgoing frame: a 4-byte transport header and one SMB2 message (or a
 * compound chain). Owned by the out queue, then by the transport, which
 * frees it with asmb__frame_free after writing. */
typedef struct asmb_frame {
    struct asmb_frame *next;
    size_t off, len; /* the bytes to write are data[off, len) */
    size_t cap;      /* allocated size of data */
    uint8_t *data;
} asmb_frame;
void asmb__frame_free(asmb_frame *f);
/* A written frame: large buffers go back to the connection's pool (fresh
 * megabyte buffers would fault their pages in on every request). */
void asmb__frame_release(asmb_conn *c, asmb_frame *f);

enum {
    ASMB_ST_IDLE, ASMB_ST_CONNECTING, ASMB_ST_NBT, ASMB_ST_NEGOTIATE, ASMB_ST_SESSION, ASMB_ST_READY,
    ASMB_ST_CLOSING, ASMB_ST_DEAD
};

#define ASMB_PENDING_BUCKETS 1024

struct asmb_conn {
    int state;
    int refs;      /* the caller, each live deferred, the transport */
    int user_gone; /* asmb_conn_free called: no handler fires */
    asmb_config cfg;        /* strings below are owned copies */
    char *user, *domain, *workstation, *host, *my_name, *remote_name;
    uint8_t nt_hash[16]; /* MD4 of the password (MS-NLMP 3.3.1); the password is not kept */
    asmb_handlers handlers;
    void *arg;
    asmb_crypto *crypto;
    uint64_t now;     /* engine clock, monotonic ms, set by the transport */
    uint64_t unix_ms; /* wall clock, ms since 1970 (NTLM timestamps) */

    /* negotiated */
    asmb_conn_info info;
    uint16_t server_security_mode;
    uint32_t server_caps;
    uint8_t preauth[64];
    uint8_t client_guid[16];

    /* session */
    asmb_ntlm *ntlm;
    uint64_t session_id;
    int sign;          /* sign requests and require signed replies */
    int sign_algo;     /* ASMB_SIGN_*, chosen at negotiation */
    uint8_t session_key[16];
    uint8_t signing_key[16];
    uint8_t enc_key[32], dec_key[32], app_key[16];
    int cipher;          /* ASMB_CIPHER_* negotiated, 0 = none */
    int encrypt_all;     /* the session encrypts everything (3.2.4.1.8) */
    asmb_aead *enc, *dec;
    uint64_t nonce_ctr;
    uint8_t nonce_salt[4];
    uint64_t phase_deadline; /* connect, then negotiate+auth; 0 once ready */
    int vneg; /* VALIDATE_NEGOTIATE_INFO (validate.c): ASMB_VNEG_* */

    /* requests */
    uint64_t next_msg_id;
    uint32_t credits;  /* granted and unused */
    uint32_t inflight; /* credits charged by requests awaiting replies */
    asmb_req *q_head, *q_tail;          /* waiting for credits, FIFO */
    asmb_req *pending[ASMB_PENDING_BUCKETS];
    size_t npending;
    asmb_req *t_head, *t_tail; /* by deadline, earliest first */
    asmb_tree *trees;
    /* File operations (src/ops/fileop.c): how many are admitted to send, and
     * those waiting for a slot, FIFO. A waiting one holds no buffers. */
    unsigned fop_active;
    int fop_admitting;
    struct asmb_fop *fop_wait_head, *fop_wait_tail;
    uint64_t fop_moved; /* engine clock of the last admission */

    /* output */
    asmb_frame *out_head, *out_tail;
    asmb_frame *pool; /* spare large frame buffers */
    unsigned npool;

    /* input: one buffer holding a partial frame */
    uint8_t *rx;
    size_t rx_len, rx_cap;

    /* delivery */
    asmb_evnode *ev_head, *ev_tail;
    asmb_evnode ev_auth_ok, ev_auth_failed, ev_disconnected;
    asmb_failure_buf auth_failure, disc_failure;
    int ended; /* disconnected queued */
    int dispatching;

    /* transport */
    const asmb_transport_ops *tp;
    void *tp_data;

    /* asmb_conn_last_error: why the last call failed at once ("" if unknown). */
    char last_error[256];

    /* The thread that drives the connection, bound by asmb_conn_connect
     * (debug builds check every public call against it). */
    pthread_t owner;
    int has_owner;
};

/* ---- thread rules ---- */
void asmb__thread_bind(asmb_conn *c);
/* Debug builds: abort with a message when called off the owner thread. */
#ifndef NDEBUG
void asmb__thread_check(const asmb_conn *c, const char *what);
#define ASMB_THREAD_CHECK(c, what) asmb__thread_check((c), (what))
#else
#define ASMB_THREAD_CHECK(c, what) ((void)0)
#endif

/* ---- lifetime ---- */
/* A connection without a transport (the caller attaches one); NULL on a bad
 * config or out of memory. asmb__conn_destroy frees one that never got a
 * transport. */
asmb_conn *asmb__conn_create(const asmb_config *cfg, const asmb_handlers *h, void *arg);
void asmb__conn_destroy(asmb_conn *c);
void asmb__conn_ref(asmb_conn *c);
void asmb__conn_unref(asmb_conn *c);
/* Queue an event node for delivery from the loop. */
void asmb__conn_post(asmb_conn *c, asmb_evnode *ev);
/* Runs queued events; called by the transport from loop callbacks only. */
void asmb__conn_dispatch(asmb_conn *c);
/* Ends the connection: fails every request and waiting op with code, queues
 * disconnected(code, message), asks the transport to close. Idempotent.
 * Before authentication ended, auth_failed(code, message) comes first and
 * disconnected's message is ASMB__NEVER_AUTHENTICATED. */
#define ASMB__NEVER_AUTHENTICATED "never authenticated; auth_failed gave the reason"
void asmb__conn_fail(asmb_conn *c, int code, uint32_t ntstatus, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- requests ---- */
asmb_req *asmb__req_new(asmb_conn *c, uint16_t command, void *ctx);
/* Frees a request that was never submitted. */
void asmb__req_free(asmb_req *r);
/* Queues or sends. timeout_ms 0 = no deadline. Afterwards exactly one of
 * on_reply / on_fail runs (unless abandoned). */
void asmb__req_submit(asmb_req *r, unsigned timeout_ms);
/* The operation gives up on r: removed if still queued (freed, nothing runs);
 * if sent, kept until the reply so its message id and credits stay
 * accounted (the reply goes to on_late); cancel = 1 also sends SMB2 CANCEL. */
void asmb__req_abandon(asmb_req *r, int cancel);
/* Queues related requests to go in one frame (compounding, MS-SMB2
 * 3.2.4.1.4; at most 4). Each gets its own reply or on_fail; a chain that
 * is canceled or times out while queued fails as a whole. */
void asmb__req_submit_chain(asmb_req **rs, int n, unsigned timeout_ms);
/* Asks the server to stop r: a queued request is removed and gets
 * on_fail(ASMB_ECANCELED) at once; a sent one gets SMB2 CANCEL and its reply
 * still comes (often STATUS_CANCELLED). */
void asmb__req_cancel(asmb_req *r);
uint32_t asmb__ntstatus_of(const asmb_reply *rep);

/* ---- engine entry points for transports ---- */
void asmb__eng_set_time(asmb_conn *c, uint64_t mono_ms, uint64_t unix_ms);
/* Fails every request with code and frees them (connection ended). */
void asmb__eng_drop_all(asmb_conn *c, int code);
void asmb__eng_start(asmb_conn *c);   /* socket connected: negotiate */
/* Space for received bytes (never NULL unless out of memory). */
uint8_t *asmb__eng_rx_space(asmb_conn *c, size_t *len);
void asmb__eng_rx_done(asmb_conn *c, size_t n);
asmb_frame *asmb__eng_take_output(asmb_conn *c); /* list; caller owns */
void asmb__eng_tick(asmb_conn *c);               /* fire due deadlines */
uint64_t asmb__eng_deadline(const asmb_conn *c); /* 0 = none */
void asmb__eng_output(asmb_conn *c, asmb_frame *f); /* internal: queue a frame */

/* ---- session (session.c) ---- */
#define ASMB_NDIALECTS 5
/* The dialects, capabilities and security mode our NEGOTIATE offers; returns
 * how many dialects. */
int asmb__neg_offer(const asmb_conn *c, uint16_t dialects[ASMB_NDIALECTS], uint32_t *caps,
                    uint16_t *security_mode);
/* 1 once the session has a key (not guest, not anonymous). */
int asmb__session_keyed(const asmb_conn *c);
int asmb__session_start(asmb_conn *c); /* send NEGOTIATE */
int asmb__session_logoff(asmb_conn *c); /* on close */
/* Every outgoing message passes here: preauth hash, then either *encrypt is
 * set (the caller seals it) or it is signed when due. */
int asmb__session_outgoing(asmb_conn *c, uint8_t *msg, size_t len, int must_sign, int *encrypt);
/* Checks an incoming message: signature, or that it came encrypted when it
 * must; ASMB_ESIGNATURE / ASMB_EPROTO. */
int asmb__session_verify(asmb_conn *c, const asmb_smb2_hdr *h, const uint8_t *msg, size_t len,
                         int encrypted);

/* ---- NetBIOS session service (netbios.c) ---- */
int asmb__nbt_request(asmb_conn *c); /* queues the SESSION REQUEST */
/* A session-service packet while waiting for the response (flen = its
 * length field; the packet's 4-byte header and body at p). */
int asmb__nbt_response(asmb_conn *c, const uint8_t *p, size_t flen);
/* While negotiating (or waiting for the NetBIOS answer): 1 when the bytes
 * received (p, have >= 4) are not SMB; the connection then ended with
 * ASMB_ENOTSMB. */
int asmb__peer_not_smb(asmb_conn *c, const uint8_t *p, size_t have);

/* ---- encryption (encrypt.c) ---- */
#define SMB2_TRANSFORM_LEN 52
void asmb__nonce_next(uint64_t *ctr, const uint8_t salt[4], size_t nonce_len, uint8_t out[16]);
int asmb__enc_setup(asmb_conn *c); /* after the keys: the AEAD objects */
void asmb__enc_free(asmb_conn *c);
/* Does a request on tree_id go encrypted (session or share flag)? */
int asmb__enc_wanted(const asmb_conn *c, uint32_t tree_id);
/* t: 52 free bytes, then the message of msg_len bytes, encrypted in place. */
int asmb__enc_seal(asmb_conn *c, uint8_t *t, size_t msg_len);
/* p: a transform frame; decrypts in place, *msg points inside p. */
int asmb__enc_open(asmb_conn *c, uint8_t *p, size_t len, uint8_t **msg, size_t *msg_len);

/* ---- secure dialect negotiation (validate.c, MS-SMB2 3.2.5.5) ---- */
enum { ASMB_VNEG_NONE, ASMB_VNEG_SENT, ASMB_VNEG_DONE };
/* After a successful TREE_CONNECT: 1 when t must wait (parked) until
 * FSCTL_VALIDATE_NEGOTIATE_INFO has answered, 0 when it may be used now. */
int asmb__vneg_hold(asmb_conn *c, asmb_tree *t);

/* ---- trees (tree.c) ---- */
/* Parked trees: connected and their waiters told (f NULL), or failed with f. */
void asmb__trees_unpark(asmb_conn *c, const asmb_failure *f);
asmb_tree *asmb__tree_find(asmb_conn *c, const char *share);
/* Calls cb once the tree is connected or failed: at once when it is already
 * connected, so the caller must not touch its state after this call. The
 * tree argument of cb is NULL on failure. */
int asmb__tree_get(asmb_conn *c, const char *share, unsigned timeout_ms, asmb_tree_cb cb,
                   void *arg);
int asmb__tree_disconnect(asmb_conn *c, asmb_tree *t, unsigned timeout_ms, asmb_tree_cb cb,
                          void *arg);
/* Removes a waiter (its operation was canceled); ASMB_ENOENT if none. */
int asmb__tree_unwait(asmb_conn *c, void *arg);
void asmb__trees_close(asmb_conn *c); /* sends TREE_DISCONNECT for each connected tree */
void asmb__trees_free(asmb_conn *c);  /* after every request was dropped */

/* Readiness check every operation starts with: 0, ASMB_ENOTREADY or
 * ASMB_ENOTCONN. Clears asmb_conn_last_error: a new call begins. */
int asmb__conn_check_ready(asmb_conn *c);

/* ---- messages for immediate errors (errmsg.c) ---- */
/* Sets asmb_conn_last_error's text; returns code. */
int asmb__conn_arg_error(asmb_conn *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* 0 when s is valid UTF-8, else ASMB_EINVAL with the message naming label
 * ("path", "pattern"...), the bad byte and the reason. */
int asmb__arg_utf8(asmb_conn *c, const char *label, const char *s);
unsigned asmb__op_timeout(const asmb_conn *c, const asmb_opts *o);

#endif
