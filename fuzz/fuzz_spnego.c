/* SPNEGO NegTokenResp parsing (src/auth/spnego.c). Input: the token. */
#include "auth/spnego.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    asmb_spnego_resp sp;
    if (asmb__spnego_parse_resp(data, size, &sp) != 0) return 0;
    FZ_CHECK(fz_inside(sp.token, sp.token_len, data, data + size));
    FZ_CHECK(fz_inside(sp.mic, sp.mic_len, data, data + size));
    FZ_CHECK(sp.token || !sp.token_len);
    FZ_CHECK(sp.mic || !sp.mic_len);
    fz_touch(sp.token, sp.token_len);
    fz_touch(sp.mic, sp.mic_len);
    FZ_CHECK(sp.neg_state >= ASMB_SPNEGO_NO_STATE && sp.neg_state <= ASMB_SPNEGO_REQUEST_MIC);
    return 0;
}
