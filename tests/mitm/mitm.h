/* mitm: a man-in-the-middle TEST TOOL for the security tests (not part of
 * the library). It attacks the protocol between asmb and a real Samba.
 *
 * A parsing TCP proxy on its own pthread (poll, non-blocking sockets) that
 * listens on 127.0.0.1 at an ephemeral port and connects every accepted
 * connection to 127.0.0.1:upstream_port. Both directions are cut into whole
 * direct-TCP frames (1 type byte + 24-bit big-endian length + payload, the
 * 4-byte header included) and each frame is handed to the test's edit
 * callback, on the proxy thread, before it is forwarded. The callback may:
 *   - modify the frame in place (f->p[0..f->len)),
 *   - replace it with one of another length (mitm_frame_resize, then write),
 *   - drop it (return MITM_DROP),
 *   - inject extra frames before it (mitm_inject), e.g. a forged interim reply.
 * Frames of other types (NetBIOS keep-alive 0x85) are handed over too (cmd -1).
 *
 * Helpers read SMB2 header fields (command, flags, status, message id,
 * credits) of a frame's first message, tell plain SMB2 (0xFE 'S' 'M' 'B')
 * from encrypted (0xFD 'S' 'M' 'B') frames, and number each command's
 * occurrences per connection and direction (mitm_frame.nth: "the Nth
 * SESSION_SETUP response"). The proxy also counts credits as a server does
 * (MS-SMB2 3.3.1.2): what the real server granted (its replies as they
 * arrive, before any edit) against the charges of the client's requests (as
 * they leave the proxy), so a test can tell whether a forged grant made the
 * client send beyond what the server allowed. Encrypted frames can't be
 * counted (mitm_credit_stats.unseen).
 *
 * The callback runs on the proxy thread: share state with the test through
 * atomics (or mitm_lock/mitm_unlock). Set MITM_TRACE=1 to log every frame. */
#ifndef ASMB_TEST_MITM_H
#define ASMB_TEST_MITM_H

#include <stddef.h>
#include <stdint.h>

enum { MITM_C2S = 0, MITM_S2C = 1 }; /* client -> server (requests), server -> client */
enum { MITM_PASS = 0, MITM_DROP = 1 }; /* what the edit callback returns */

typedef struct mitm mitm;

typedef struct mitm_frame {
    int conn;         /* connection number, 0-based, in accept order */
    int dir;          /* MITM_C2S or MITM_S2C */
    int index;        /* frame number in this direction on this connection, 0-based */
    int cmd;          /* SMB2 command of the first message; -1: not plain SMB2 */
    int nth;          /* occurrence of cmd in this direction on this connection, 0-based */
    unsigned char *p; /* the whole frame: 4-byte transport header + payload */
    size_t len;       /* 4 + payload length */
    /* private */
    size_t cap;
    struct mitm_out *inject;
} mitm_frame;

typedef int (*mitm_edit_fn)(mitm_frame *f, void *arg);

/* A proxy to 127.0.0.1:upstream_port; edit (NULL: pass everything) gets
 * every frame. NULL on failure. */
mitm *mitm_start(int upstream_port, mitm_edit_fn edit, void *arg);
int mitm_port(const mitm *m);
/* Closes every connection and the listener, joins the thread, frees. NULL ok. */
void mitm_stop(mitm *m);
void mitm_lock(mitm *m);
void mitm_unlock(mitm *m);

/* Gives the frame payload_len payload bytes (the old ones kept up to the
 * shorter length; the transport header's length is rewritten). 0 or -1. */
int mitm_frame_resize(mitm_frame *f, size_t payload_len);
/* Sends a copy of the whole frame fr[0..len) (transport header included)
 * before f, in call order. 0 or -1. */
int mitm_inject(mitm_frame *f, const void *fr, size_t len);

/* ---- reading frames ---- */
int mitm_is_smb2(const mitm_frame *f);      /* payload starts 0xFE 'S' 'M' 'B' */
int mitm_is_encrypted(const mitm_frame *f); /* payload starts 0xFD 'S' 'M' 'B' */
/* The first SMB2 message's header (f->p + 4), or NULL when not plain SMB2. */
unsigned char *mitm_hdr(const mitm_frame *f);
/* Fields of an SMB2 header h (MS-SMB2 2.2.1). */
uint16_t mitm_h_command(const unsigned char *h);
uint32_t mitm_h_flags(const unsigned char *h);
void mitm_h_set_flags(unsigned char *h, uint32_t flags);
uint32_t mitm_h_status(const unsigned char *h);
uint64_t mitm_h_msg_id(const unsigned char *h);
uint16_t mitm_h_credits(const unsigned char *h); /* CreditRequest/CreditResponse */
uint16_t mitm_h_charge(const unsigned char *h);  /* CreditCharge */
uint64_t mitm_h_session(const unsigned char *h);

/* An interim STATUS_PENDING reply (ASYNC|SERVER_TO_REDIR, unsigned, SMB2
 * ERROR body) to the request with this command and message id, as a whole
 * frame in out (at least MITM_INTERIM_LEN bytes). Returns its length. */
#define MITM_INTERIM_LEN (4 + 64 + 9)
size_t mitm_forge_interim(unsigned char *out, uint16_t cmd, uint64_t msg_id, uint64_t session_id,
                          uint64_t async_id, uint16_t credits);

/* ---- credits, as a server counts them ---- */
typedef struct mitm_credit_stats {
    long requests;   /* plain requests seen (CANCEL excluded) */
    long violations; /* requests charged beyond the credits the server granted so far */
    long unseen;     /* encrypted frames (not counted) */
    uint64_t granted; /* credits the real server granted, all connections */
    uint64_t max_excess; /* most credits a request went beyond the grant (charged - granted) */
} mitm_credit_stats;
void mitm_credit_stats_get(mitm *m, mitm_credit_stats *out);

int mitm_connections(mitm *m); /* accepted so far */

/* Little-endian helpers for the tests' edits. */
static inline uint16_t mitm_le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t mitm_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void mitm_st16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
static inline void mitm_st32(unsigned char *p, uint32_t v)
{
    mitm_st16(p, (uint16_t)v);
    mitm_st16(p + 2, (uint16_t)(v >> 16));
}

#endif
