/* The core's own parts: negotiation and session setup, signing, the
 * NetBIOS session service, encryption, secure dialect negotiation, and the
 * trees' lifetime with the session. */
#ifndef ASMB_CORE_SESSION_H
#define ASMB_CORE_SESSION_H
#include "req.h"
#include "transport.h"

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

/* Parked trees: connected and their waiters told (f NULL), or failed with f. */
void asmb__trees_unpark(asmb_conn *c, const asmb_failure *f);
void asmb__trees_close(asmb_conn *c); /* sends TREE_DISCONNECT for each connected tree */
void asmb__trees_free(asmb_conn *c);  /* after every request was dropped */

#endif
