/* The shape every file operation shares: connect the tree, CREATE, do the
 * work, CLOSE, complete. It keeps the open handle's fate in one place: on
 * success the result waits for the CLOSE reply; on failure, timeout or cancel
 * the caller hears at once and the CLOSE still goes out (MS-SMB2 3.2.4.5), so
 * no handle is left open on the server. */
#ifndef ASMB_OPS_FILEOP_H
#define ASMB_OPS_FILEOP_H
#include "../wire/smb2_file.h"
#include "op.h"

typedef struct asmb_fop asmb_fop;
typedef void (*asmb_fop_done)(asmb_fop *f, const asmb_failure *fail, void *arg);

/* Where an operation is. Every change goes through one function (fileop.c,
 * set_state), which checks it against the transitions allowed:
 *   NEW -> TREE -> [WAITING ->] OPENING | CHAIN
 *   OPENING -> OPEN -> [OPEN ...] -> CLOSING -> DONE
 *   CHAIN -> DONE, or -> OPENING (the chain's work goes on with a new handle)
 *   any state -> DONE (failure, timeout, cancel) */
enum asmb_fop_state {
    ASMB_FOP_NEW,     /* made, not started */
    ASMB_FOP_TREE,    /* waiting for its tree (or admitted, preparing) */
    ASMB_FOP_WAITING, /* tree there, waiting for a slot: holds no buffers */
    ASMB_FOP_OPENING, /* CREATE sent */
    ASMB_FOP_CHAIN,   /* CREATE + middle request + CLOSE sent in one frame */
    ASMB_FOP_OPEN,    /* handle open: the work runs */
    ASMB_FOP_CLOSING, /* CLOSE sent: success waits for its reply */
    ASMB_FOP_DONE     /* fired or canceled: replies are ignored; freed when
                         nothing of it is in flight */
};

struct asmb_fop {
    asmb_conn *c;
    int state;               /* ASMB_FOP_*; changed by set_state only */
    asmb_deferred *d;        /* NULL for internal operations (done_cb) or once canceled */
    asmb_fop_done done_cb;   /* internal completion instead of a deferred */
    void *done_arg;
    const char *what;        /* "retrieving" */
    char *share, *path;      /* path normalised: "dir\file", "" = root */
    unsigned timeout_ms;
    uint32_t tree_id;
    asmb_create_req cr;      /* what to open; cr.name is path */
    uint8_t twrp[32];        /* the TWrp create context when reading a snapshot */
    asmb_create_resp created;
    int create_seen;         /* created holds this open's CREATE response */
    asmb_fid fid;
    int opened;              /* the server holds a handle we must close */
    int slot;                /* holds one of the connection's admission slots */
    int refs;                /* requests in flight, and holds */
    asmb_req *reqs;          /* requests in flight, for cancel */
    int close_query;         /* CLOSE with POSTQUERY_ATTRIB */
    asmb_file_times closed_t; /* attributes from the CLOSE reply, when asked */
    /* Hooks set by the operation. */
    void (*on_open)(asmb_fop *f);          /* handle open: do the work */
    void *(*make_result)(asmb_fop *f, void (**free_fn)(void *)); /* after CLOSE */
    void (*cleanup)(asmb_fop *f);          /* frees the operation's own state */
    /* Optional: a request of the operation (command, data) was never sent
     * because it charges more credits than the server's window now holds
     * (ASMB_ENOTSUP from the engine: the window shrank after it was
     * sized). 0: the operation re-issued that work in smaller requests. */
    int (*resplit)(asmb_fop *f, uint16_t command, void *data);
    /* Optional, once the tree is there and the operation admitted, before
     * CREATE: may call asmb__fop_middle (e.g. a store that found its
     * source small). */
    void (*prepare)(asmb_fop *f);
    /* One request between CREATE and CLOSE (asmb__fop_middle): then the
     * three travel compounded in one frame (MS-SMB2 3.2.4.1.4). */
    int has_middle;
    uint16_t x_cmd; /* 0: CREATE and CLOSE only */
    uint16_t x_charge; /* the middle request's credit charge (0: 1) */
    int (*x_encode)(asmb_req *, asmb_wr *);
    void (*x_reply)(asmb_req *, const asmb_reply *);
    void *x_data;    /* the middle request's data */
    /* In CHAIN: the chain ends when both its middle request is done and its
     * CLOSE answered; then success, or a new CREATE when reopen is set. */
    int chain_x_done, chain_closed, chain_reopen;
    /* Admission queue (FIFO) links, in WAITING. */
    asmb_fop *wnext, *wprev;
    uint64_t wait_since; /* engine clock; see admit_waiting for the timeout */
};

/* 1 once the operation is over (fired or canceled). */
static inline int asmb__fop_over(const asmb_fop *f) { return f->state == ASMB_FOP_DONE; }

/* File operations past their tree that may send at once on one connection;
 * later ones wait in FIFO order, holding no buffers (a store reads its
 * source when admitted). Bounds memory whatever the caller issues at once
 * (10,000 stores of 1 MiB: ~100 MiB peak RSS with 32, ~200 with 64) and
 * still keeps smbd busy: 1,000 small files take the same time with 16, 32
 * or 64 against Samba on loopback (bench/run.sh), where smbd's CPU is the
 * limit. */
#define ASMB_FOP_ACTIVE_MAX 32u

/* Allocates size bytes (an operation's struct whose first member is an
 * asmb_fop). path is normalised here. ASMB_EINVAL for a bad path. */
int asmb__fop_new(asmb_conn *c, size_t size, const char *share, const char *path,
                  const char *what, const asmb_opts *opts, asmb_fop **out);
/* Frees an operation that never started. */
void asmb__fop_discard(asmb_fop *f);
/* Binds the deferred (the caller's view) and starts: tree, CREATE, on_open. */
void asmb__fop_start(asmb_fop *f, asmb_deferred *d);

/* The operation is CREATE, one request x_cmd (0: none), CLOSE: sent as a
 * compound chain (or one by one when the connection does not compound).
 * x_reply ends with asmb__fop_complete like any handler. */
void asmb__fop_middle(asmb_fop *f, uint16_t x_cmd, int (*x_encode)(asmb_req *, asmb_wr *),
                      void (*x_reply)(asmb_req *, const asmb_reply *));
/* In the middle request's reply handler of a chain, instead of
 * asmb__fop_complete: the work is not over (e.g. a retrieve whose first READ
 * did not reach the end). Once the chain's CLOSE is in, the path is opened
 * again with a plain CREATE and on_open continues. */
void asmb__fop_reopen(asmb_fop *f);
/* asmb__simple_op for such an operation. */
int asmb__compound_op(asmb_conn *c, size_t size, const char *share, const char *path,
                      const char *what, uint32_t access, uint32_t disposition, uint32_t options,
                      uint16_t x_cmd, int (*x_encode)(asmb_req *, asmb_wr *),
                      void (*x_reply)(asmb_req *, const asmb_reply *),
                      void *(*make_result)(asmb_fop *, void (**)(void *)),
                      void (*cleanup)(asmb_fop *), const asmb_opts *opts, asmb_deferred **out);

/* Makes the deferred and starts f; on error f is discarded. */
int asmb__fop_launch(asmb_fop *f, asmb_deferred **out);

/* Sends a request owned by f. encode/on_reply as for any request; the reply
 * handler must begin with asmb__fop_enter. charge: credits (1 for small). */
int asmb__fop_send(asmb_fop *f, uint16_t command, uint16_t charge,
                   int (*encode)(asmb_req *, asmb_wr *),
                   void (*on_reply)(asmb_req *, const asmb_reply *), void *data);
/* The same for a request with a large body (a WRITE): its frame buffer is
 * sized (and pooled) for size_hint bytes. */
int asmb__fop_send_sized(asmb_fop *f, uint16_t command, uint16_t charge, size_t size_hint,
                         int (*encode)(asmb_req *, asmb_wr *),
                         void (*on_reply)(asmb_req *, const asmb_reply *), void *data);
/* In a reply handler: the operation, or NULL when it is over (then return). */
asmb_fop *asmb__fop_enter(asmb_req *r);

/* Validates, makes and starts an operation of the common shape: open path
 * with access/disposition/options, then on_open does the work. */
int asmb__simple_op(asmb_conn *c, size_t size, const char *share, const char *path,
                    const char *what, uint32_t access, uint32_t disposition, uint32_t options,
                    void (*on_open)(asmb_fop *),
                    void *(*make_result)(asmb_fop *, void (**)(void *)),
                    void (*cleanup)(asmb_fop *), const asmb_opts *opts, asmb_deferred **out);

/* Around a call into the caller's code (a sink or source), which may cancel
 * the operation or close the connection: unhold returns 1 when the
 * operation ended meanwhile (then f may be freed: return at once). */
void asmb__fop_hold(asmb_fop *f);
int asmb__fop_unhold(asmb_fop *f);

/* Ends the operation. After these, do not touch f. */
void asmb__fop_complete(asmb_fop *f);                 /* CLOSE, then success */
void asmb__fop_fail_status(asmb_fop *f, uint32_t st); /* server said no */
void asmb__fop_fail_code(asmb_fop *f, int code, const char *detail); /* detail may be NULL */
/* Fails on a status that is not success, or a malformed reply; returns 1 when it did. */
int asmb__fop_check(asmb_fop *f, const asmb_reply *rep, int decode_rc);

/* Normalises a path: '/' -> '\', separators collapsed, none leading or
 * trailing, strict UTF-8. Returns a malloc'd string or NULL (ASMB_EINVAL in *rc). */
char *asmb__path_normalise(const char *path, int *rc);
/* Sends a CLOSE nobody waits for (a handle opened by an abandoned request). */
void asmb__close_orphan(asmb_conn *c, uint32_t tree_id, asmb_fid fid);
/* Fills an asmb_file_info from basic attributes; name copied (NULL = ""). */
int asmb__file_info_set(asmb_file_info *fi, const asmb_file_times *t, const char *name,
                        const char *short_name, uint64_t file_id);
void asmb__file_info_clear(asmb_file_info *fi);
/* The last component of a normalised path ("" for the root). */
const char *asmb__path_last(const char *path);

/* I/O sizes: up to cfg.io_size per request where the dialect has multi-credit
 * requests (2.1+ with LARGE_MTU), else 64 KiB, and never above the server's
 * maximum. The credit charge of a request of len bytes (3.1.5.2). */
uint32_t asmb__io_chunk(const asmb_conn *c, uint32_t server_max);
uint16_t asmb__io_charge(const asmb_conn *c, uint32_t len);

#endif
