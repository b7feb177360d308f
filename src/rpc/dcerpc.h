/* The minimum of connection-oriented DCE/RPC (C706 chapter 12, MS-RPCE 2.2.2)
 * to call one interface over an SMB2 named pipe: BIND / BIND_ACK, REQUEST,
 * RESPONSE (possibly in several fragments) and FAULT. No RPC-level auth (the
 * SMB2 session protects the pipe): auth_length must be 0. Little-endian NDR
 * only (packed drep 10 00 00 00). Every length from the peer is checked. */
#ifndef ASMB_RPC_DCERPC_H
#define ASMB_RPC_DCERPC_H
#include <stddef.h>
#include <stdint.h>

#include "../wire/buf.h"

enum { /* PTYPE (C706 12.6.3.1) */
    DCERPC_REQUEST = 0, DCERPC_RESPONSE = 2, DCERPC_FAULT = 3,
    DCERPC_BIND = 11, DCERPC_BIND_ACK = 12, DCERPC_BIND_NAK = 13
};
#define PFC_FIRST_FRAG 0x01
#define PFC_LAST_FRAG 0x02

#define DCERPC_HDR_LEN 16    /* common header */
#define DCERPC_RESP_HDR 24   /* REQUEST / RESPONSE / FAULT header */
#define DCERPC_MAX_FRAG 4280 /* max_xmit_frag = max_recv_frag we offer */

/* p_syntax_id_t: an interface or transfer syntax. uuid in wire order (the
 * first three fields little-endian); if_version = major | minor << 16. */
typedef struct asmb_rpc_syntax {
    uint8_t uuid[16];
    uint32_t version;
} asmb_rpc_syntax;

/* NDR transfer syntax 8a885d04-1ceb-11c9-9fe8-08002b104860 v2 */
/* clang-format off */
#define ASMB_RPC_NDR_SYNTAX                                                          \
    {{0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, \
      0x10, 0x48, 0x60},                                                             \
     2}
/* clang-format on */

typedef struct asmb_rpc_hdr {
    uint8_t ptype, flags;
    uint16_t frag_length;
    uint32_t call_id;
} asmb_rpc_hdr;

/* The common header of the PDU at p: version 5.0 (or 5.1), little-endian drep,
 * DCERPC_HDR_LEN <= frag_length <= len, auth_length 0. ASMB_EPROTO otherwise. */
int asmb__rpc_hdr_decode(const uint8_t *p, size_t len, asmb_rpc_hdr *h);
/* frag_length of a PDU whose first bytes are at p (for reading the rest of
 * it off the pipe); 0 when fewer than DCERPC_HDR_LEN bytes or not a PDU. */
size_t asmb__rpc_frag_length(const uint8_t *p, size_t len);

/* BIND (ptype 11) of one presentation context (id 0): iface over NDR. */
int asmb__rpc_bind_encode(asmb_wr *w, uint32_t call_id, const asmb_rpc_syntax *iface);

typedef struct asmb_rpc_bind_ack {
    uint16_t max_xmit_frag, max_recv_frag;
    uint32_t assoc_group;
    uint16_t reason; /* on ASMB_ENOTSUP: the NAK's reject reason or the context's */
} asmb_rpc_bind_ack;
/* 0 when the BIND_ACK (ptype 12) of call_id accepts context 0 with NDR;
 * ASMB_ENOTSUP for a BIND_NAK (13) or a rejected context; ASMB_EPROTO when
 * malformed or for another call. len must hold exactly one PDU. */
int asmb__rpc_bind_ack_decode(const uint8_t *p, size_t len, uint32_t call_id,
                              asmb_rpc_bind_ack *out);

/* REQUEST (ptype 0) in one fragment for context 0: alloc_hint = stub_len.
 * ASMB_EINVAL when it would not fit in DCERPC_MAX_FRAG. */
int asmb__rpc_request_encode(asmb_wr *w, uint32_t call_id, uint16_t opnum, const void *stub,
                             size_t stub_len);

/* Reassembles the stub of a RESPONSE sent in fragments (C706 12.6.4.10):
 * feed PDUs in order; stub data is appended to r->stub. */
typedef struct asmb_rpc_reasm {
    uint32_t call_id;
    size_t max_stub; /* refuse (ASMB_EPROTO) a stub growing past this */
    int nfrags, done;
    int err;               /* sticky: the first error returned */
    uint32_t fault_status; /* set by a FAULT */
    asmb_wr stub;
} asmb_rpc_reasm;
void asmb__rpc_reasm_init(asmb_rpc_reasm *r, uint32_t call_id, size_t max_stub);
void asmb__rpc_reasm_free(asmb_rpc_reasm *r);
/* One PDU at p. With used NULL, len must be exactly its frag_length; else
 * len may hold more and *used gets the PDU's size. Returns 1 when this was
 * the last fragment, 0 when more are expected, ASMB_EFAILURE for a FAULT
 * (r->fault_status: the NCA / Win32 status), ASMB_EPROTO when malformed (a
 * frag_length past len, another call_id, fragment flags out of order, auth),
 * ASMB_EALREADY after the last fragment, ASMB_ENOMEM. Errors are final. */
int asmb__rpc_reasm_add(asmb_rpc_reasm *r, const uint8_t *p, size_t len, size_t *used);

#endif
