/* NTLMv2 client (MS-NLMP): NEGOTIATE, CHALLENGE parsing, AUTHENTICATE with
 * MsvAvTimestamp/MIC, key exchange, and the NTLMSSP signature used for the
 * SPNEGO mechListMIC. Messages are produced into asmb_wr buffers. */
#ifndef ASMB_AUTH_NTLM_H
#define ASMB_AUTH_NTLM_H
#include <stddef.h>
#include <stdint.h>

#include "../crypto/crypto.h"
#include "../wire/buf.h"

typedef struct asmb_ntlm asmb_ntlm;

typedef struct asmb_ntlm_params {
    const char *user;        /* UTF-8; NULL or "" = anonymous (MS-NLMP 3.2.5.1.2) */
    const char *password;    /* UTF-8; ignored when nt_hash is set */
    const char *domain;      /* UTF-8; "" = use none */
    const char *workstation; /* UTF-8 */
    /* For tests only; NULL = random from OpenSSL. */
    const uint8_t *client_challenge;   /* 8 bytes */
    const uint8_t *exported_session_key; /* 16 bytes (the random session key) */
    const uint8_t *nt_hash; /* 16 bytes: MD4(UTF16LE(password)), given instead of it */
} asmb_ntlm_params;

/* Strings are copied; the password is not kept, only its NT hash (wiped on
 * free). NULL on no memory. */
asmb_ntlm *asmb__ntlm_new(asmb_crypto *c, const asmb_ntlm_params *p);
void asmb__ntlm_free(asmb_ntlm *n);

/* NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1); kept internally for the MIC. */
int asmb__ntlm_negotiate(asmb_ntlm *n, asmb_wr *out);
/* Parses CHALLENGE_MESSAGE (bounds-checked; ASMB_EPROTO when malformed) and
 * produces AUTHENTICATE_MESSAGE. now_filetime is used only when the target info
 * has no MsvAvTimestamp (then no MIC is sent, MS-NLMP 3.1.5.1.2). */
int asmb__ntlm_authenticate(asmb_ntlm *n, const uint8_t *challenge, size_t len,
                            uint64_t now_filetime, asmb_wr *out);
/* ExportedSessionKey after authenticate; 0 or ASMB_EINVAL (anonymous: none). */
int asmb__ntlm_session_key(const asmb_ntlm *n, uint8_t key[16]);
int asmb__ntlm_is_anonymous(const asmb_ntlm *n);
/* 1 when the AUTHENTICATE carried a MIC (MS-NLMP 3.1.5.1.2): the server then
 * proves the SPNEGO mechanism list with a mechListMIC of its own. */
int asmb__ntlm_sent_mic(const asmb_ntlm *n);
/* NT hash of a password: MD4(UTF16LE(password)) (MS-NLMP 3.3.1). */
int asmb__ntlm_hash(asmb_crypto *c, const char *password, uint8_t out[16]);
/* NTLMSSP_MESSAGE_SIGNATURE (MS-NLMP 3.4.4.2, with ESS and key exchange) of data
 * with the client signing key and sequence number seq; used for mechListMIC. */
int asmb__ntlm_sign(asmb_ntlm *n, uint32_t seq, const void *data, size_t len, uint8_t sig[16]);
/* Verifies a server signature (server signing/sealing keys); ASMB_ESIGNATURE. */
int asmb__ntlm_verify(asmb_ntlm *n, uint32_t seq, const void *data, size_t len,
                      const uint8_t sig[16]);

#endif
