/* Requests and replies, and the trees they go to: what an operation (src/ops)
 * needs of the core. */
#ifndef ASMB_CORE_REQ_H
#define ASMB_CORE_REQ_H
#include "conn.h"

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
    /* Optional, for a request sent alone: the buffer (from
     * asmb__frame_buf_get) that its body was already written into at
     * ASMB_FRAME_BODY_OFF; the engine takes it over as the frame, so the
     * bulk bytes are not copied again (zero-copy WRITE). NULL: the engine
     * allocates and the encoder writes everything. */
    uint8_t *(*adopt)(asmb_req *r, size_t *cap);
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

/* A frame buffer of at least n bytes (pooled when one fits, else new; NULL
 * when out of memory): for a request body written in place (asmb_req.adopt),
 * which starts ASMB_FRAME_BODY_OFF bytes in (transport header, transform
 * header room, SMB2 header). */
uint8_t *asmb__frame_buf_get(asmb_conn *c, size_t n, size_t *cap);
#define ASMB_FRAME_BODY_OFF (4 + 52 + 64)

/* ---- trees (tree.c) ---- */
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

#endif
