/* The connection object of the sans-I/O core: its state, what it
 * negotiated, its requests' bookkeeping and the queue of events delivered to
 * the caller. Who needs what includes more:
 *   req.h        requests, replies, trees: what the ops layer uses
 *   transport.h  frames and the engine's entry points: what src/loop uses
 *   session.h    negotiation, keys, signing, encryption: the core's own */
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
typedef struct asmb_frame asmb_frame;
typedef struct asmb_transport_ops asmb_transport_ops;

/* Queue of things to deliver to the caller, in order (intrusive). */
typedef struct asmb_evnode {
    struct asmb_evnode *next;
    int kind; /* ASMB_EV_* */
    int queued;
} asmb_evnode;
enum { ASMB_EV_DEFERRED, ASMB_EV_AUTH_OK, ASMB_EV_AUTH_FAILED, ASMB_EV_DISCONNECTED };

/* Fills a failure (its message formatted, truncated on a UTF-8 boundary). */
void asmb__failure_set(asmb_failure *fb, int code, uint32_t ntstatus, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void asmb__utf8_trim(char *s); /* drops a truncated trailing UTF-8 sequence */

enum {
    ASMB_ST_IDLE, ASMB_ST_CONNECTING, ASMB_ST_NBT, ASMB_ST_NEGOTIATE, ASMB_ST_SESSION, ASMB_ST_READY,
    ASMB_ST_CLOSING, ASMB_ST_DEAD
};

/* The pending table: allocated with the first request, grown (doubling, up
 * to PENDING_MAX_BUCKETS) as requests pile up, freed when the connection is
 * idle (src/core/engine.c). */
#define ASMB_PENDING_MIN_BUCKETS 16u
#define ASMB_PENDING_MAX_BUCKETS 65536u

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
    asmb_req **pending; /* npbuckets chains by message id; NULL while none */
    size_t npbuckets, npending;
    asmb_req *t_head, *t_tail; /* by deadline, earliest first */
    asmb_tree *trees;
    /* The ops layer's own state on this connection (its admission queue);
     * the core only frees it with the connection. */
    void *ops_state;
    void (*ops_state_free)(void *);

    /* output */
    asmb_frame *out_head, *out_tail;
    asmb_frame *pool; /* spare large frame buffers */
    unsigned npool;

    /* input: one buffer holding a partial frame, sized to what comes: small
     * reads grow rx_chunk while they fill it, a large frame gets a buffer of
     * its size; what is beyond the small size (and the frame pool, and the
     * pending table) goes once the connection has been idle ASMB_TRIM_MS. */
    uint8_t *rx;
    size_t rx_len, rx_cap, rx_chunk;
    uint64_t trim_at; /* engine clock of the idle trim; 0 = none due */

    /* delivery */
    asmb_evnode *ev_head, *ev_tail;
    asmb_evnode ev_auth_ok, ev_auth_failed, ev_disconnected;
    asmb_failure auth_failure, disc_failure;
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

/* Refreshes c->now (and unix_ms) from the transport's clock. */
void asmb__conn_clock(asmb_conn *c);
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
