/* NEGOTIATE response decode, 3.1.1 negotiate contexts included
 * (src/wire/negotiate.c). Input: the whole SMB2 message. */
#include "fuzz_common.h"
#include "wire/smb2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    asmb_negotiate_resp r;
    if (asmb__negotiate_decode(data, size, &r) != 0) return 0;
    FZ_SLICE(data, size, r.sec_blob, r.sec_len);
    if (r.dialect == 0x0311) FZ_CHECK(r.have_preauth);
    return 0;
}
