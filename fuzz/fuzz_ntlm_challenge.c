/* NTLM CHALLENGE_MESSAGE parsing and the AUTHENTICATE_MESSAGE built from it
 * (src/auth/ntlm.c), for a user and for an anonymous client. The crypto
 * context (an OpenSSL library context with two providers: slow to make) is
 * made once per process; each input gets fresh asmb_ntlm objects, with a
 * fixed client challenge and session key so that runs are reproducible.
 * Input: the CHALLENGE message. */
#include "auth/ntlm.h"
#include "fuzz_common.h"

static asmb_crypto *crypto;

static void one(const asmb_ntlm_params *p, const uint8_t *data, size_t size)
{
    asmb_ntlm *n = asmb__ntlm_new(crypto, p);
    FZ_CHECK(n);
    asmb_wr w;
    asmb_wr_init(&w);
    FZ_CHECK(asmb__ntlm_negotiate(n, &w) == 0);
    asmb_wr_free(&w);
    int rc = asmb__ntlm_authenticate(n, data, size, 0x01d9000000000000ull, &w);
    if (rc == 0) {
        FZ_CHECK(w.len >= 64 && memcmp(w.data, "NTLMSSP\0\3\0\0\0", 12) == 0);
        uint8_t key[16], sig[16];
        if (!asmb__ntlm_is_anonymous(n)) {
            FZ_CHECK(asmb__ntlm_session_key(n, key) == 0);
            /* signing needs extended session security from the server */
            int src = asmb__ntlm_sign(n, 0, data, size, sig);
            FZ_CHECK(src == 0 || src == ASMB_ENOTSUP);
            if (src == 0) (void)asmb__ntlm_verify(n, 0, data, size, sig);
        }
    } else {
        FZ_CHECK(rc == ASMB_EPROTO);
    }
    asmb_wr_free(&w);
    asmb__ntlm_free(n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t cc[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const uint8_t esk[16] = {0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
                                    0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55};
    if (!crypto) FZ_CHECK((crypto = asmb__crypto_new()) != NULL);
    asmb_ntlm_params user = {"User", "Password", "Domain", "COMPUTER", cc, esk, NULL};
    asmb_ntlm_params anon = {"", "", "", "COMPUTER", cc, esk, NULL};
    one(&user, data, size);
    one(&anon, data, size);
    return 0;
}
