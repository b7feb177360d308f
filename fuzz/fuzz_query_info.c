/* QUERY_INFO response decode, then its buffer as FileAllInformation and as a
 * security descriptor (the two info classes the operations ask for)
 * (src/wire/query_info.c, secdesc.c). Input: the whole SMB2 message. */
#include "fuzz_common.h"
#include "wire/smb2_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *buf;
    size_t blen;
    asmb_all_info ai;
    if (asmb__query_info_decode(data, size, &buf, &blen) == 0) {
        FZ_SLICE(data, size, buf, blen);
        if (asmb__parse_all_info(buf, blen, &ai) == 0) FZ_CHECK(blen >= 96);
        asmb_secdesc sd;
        if (asmb__secdesc_parse(buf, blen, &sd) == 0) asmb__secdesc_free(&sd);
    }
    (void)asmb__parse_all_info(data, size, &ai);
    return 0;
}
