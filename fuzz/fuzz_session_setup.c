/* SESSION_SETUP response decode (src/wire/session_setup.c), then the SPNEGO
 * NegTokenResp of its security buffer, as the session code does. Input: the
 * whole SMB2 message. */
#include "auth/spnego.h"
#include "fuzz_common.h"
#include "wire/smb2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint16_t flags;
    const uint8_t *blob;
    size_t blen;
    if (asmb__session_setup_decode(data, size, &flags, &blob, &blen) != 0) return 0;
    FZ_SLICE(data, size, blob, blen);
    asmb_spnego_resp sp;
    if (asmb__spnego_parse_resp(blob, blen, &sp) == 0) {
        FZ_CHECK(fz_inside(sp.token, sp.token_len, blob, blob + blen));
        FZ_CHECK(fz_inside(sp.mic, sp.mic_len, blob, blob + blen));
        fz_touch(sp.token, sp.token_len);
        fz_touch(sp.mic, sp.mic_len);
    }
    return 0;
}
