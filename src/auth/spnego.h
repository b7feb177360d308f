/* SPNEGO (RFC 4178) with a minimal DER encoder/decoder: only what NTLMSSP in
 * SMB2 SESSION_SETUP needs. Every length is checked against its container. */
#ifndef ASMB_AUTH_SPNEGO_H
#define ASMB_AUTH_SPNEGO_H
#include <stddef.h>
#include <stdint.h>

#include "../wire/buf.h"

enum { ASMB_SPNEGO_ACCEPT_COMPLETED = 0, ASMB_SPNEGO_ACCEPT_INCOMPLETE = 1,
       ASMB_SPNEGO_REJECT = 2, ASMB_SPNEGO_REQUEST_MIC = 3, ASMB_SPNEGO_NO_STATE = -1 };

typedef struct asmb_spnego_resp {
    int neg_state;                 /* ASMB_SPNEGO_*, NO_STATE when absent */
    int mech_is_ntlm;              /* supportedMech present and == NTLMSSP OID */
    const uint8_t *token; size_t token_len;   /* responseToken, NULL when absent */
    const uint8_t *mic; size_t mic_len;       /* mechListMIC, NULL when absent */
} asmb_spnego_resp;

/* GSS-API InitialContextToken: [APPLICATION 0] { SPNEGO OID, NegTokenInit {
 * mechTypes = [NTLMSSP], mechToken } }. */
int asmb__spnego_init(const uint8_t *mech_token, size_t len, asmb_wr *out);
/* NegTokenResp { responseToken, mechListMIC (optional) }. */
int asmb__spnego_resp(const uint8_t *token, size_t len, const uint8_t *mic, size_t mic_len,
                      asmb_wr *out);
/* Parses a NegTokenResp ([1] tagged). Pointers point into in. ASMB_EPROTO. */
int asmb__spnego_parse_resp(const uint8_t *in, size_t len, asmb_spnego_resp *out);
/* The DER MechTypeList we sent (SEQUENCE OF OID { NTLMSSP }), which the
 * mechListMIC covers (RFC 4178 5). */
const uint8_t *asmb__spnego_mechlist(size_t *len);

#endif
