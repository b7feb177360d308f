/* What a transport (src/loop) needs of the core: the operations it
 * provides, the frames it writes, and the engine's entry points it calls. */
#ifndef ASMB_CORE_TRANSPORT_H
#define ASMB_CORE_TRANSPORT_H
#include "conn.h"

/* What a transport provides; each is called by the engine. */
struct asmb_transport_ops {
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
};

/* An outgoing frame: a 4-byte transport header and one SMB2 message (or a
 * compound chain). Owned by the out queue, then by the transport, which
 * frees it with asmb__frame_free after writing. */
struct asmb_frame {
    struct asmb_frame *next;
    size_t off, len; /* the bytes to write are data[off, len) */
    size_t cap;      /* allocated size of data */
    uint8_t *data;
};
void asmb__frame_free(asmb_frame *f);
/* A written frame: large buffers go back to the connection's pool (fresh
 * megabyte buffers would fault their pages in on every request). */
void asmb__frame_release(asmb_conn *c, asmb_frame *f);

/* ---- engine entry points for transports ---- */
void asmb__eng_set_time(asmb_conn *c, uint64_t mono_ms, uint64_t unix_ms);
/* Fails every request with code and frees them (connection ended). */
void asmb__eng_drop_all(asmb_conn *c, int code);
void asmb__eng_start(asmb_conn *c);   /* socket connected: negotiate */
/* Space for received bytes (never NULL unless out of memory). */
uint8_t *asmb__eng_rx_space(asmb_conn *c, size_t *len);
void asmb__eng_rx_done(asmb_conn *c, size_t n);
/* The space was offered but nothing came (the socket has nothing to read
 * now, or the connection ended): an idle connection lets its small receive
 * buffer go, so that thousands of idle connections hold none; an ended one
 * lets any go. */
void asmb__eng_rx_unused(asmb_conn *c);
asmb_frame *asmb__eng_take_output(asmb_conn *c); /* list; caller owns */
void asmb__eng_tick(asmb_conn *c);               /* fire due deadlines */
uint64_t asmb__eng_deadline(const asmb_conn *c); /* 0 = none */
/* The sent request with message id id (fuzz harness, tests); NULL if none. */
const asmb_req *asmb__eng_pending_find(const asmb_conn *c, uint64_t id);
void asmb__eng_output(asmb_conn *c, asmb_frame *f); /* internal: queue a frame */

#endif
