/* The srvsvc NetrShareEnum level-1 response stub and the NDR strings in it
 * (src/rpc/srvsvc.c, ndr.c). Input: the stub. */
#include "../src/mem.h"
#include "fuzz_common.h"
#include "rpc/ndr.h"
#include "rpc/srvsvc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    asmb_share_raw *shares = NULL;
    size_t count = 0;
    uint32_t werror = 0;
    int rc = asmb__srvsvc_share_enum_decode(data, size, &shares, &count, &werror);
    if (rc == 0) {
        FZ_CHECK((count == 0) == (shares == NULL));
        FZ_CHECK(count <= size / 12); /* each entry takes 12 bytes of the array at least */
        for (size_t i = 0; i < count; i++) {
            FZ_CHECK(shares[i].name);
            fz_touch(shares[i].name, strlen(shares[i].name));
            if (shares[i].comment) fz_touch(shares[i].comment, strlen(shares[i].comment));
        }
        asmb__share_raw_free(shares, count);
    } else {
        FZ_CHECK(rc == ASMB_EPROTO || rc == ASMB_ENOMEM || rc == ASMB_EFAILURE);
    }
    /* a [string] wchar_t* on its own */
    asmb_rd r;
    asmb_rd_init(&r, data, size);
    char *s = NULL;
    if (asmb__ndr_rd_wstring(&r, &s) == 0) {
        FZ_CHECK(s && !r.err && r.pos <= size);
        asmb__free(s);
    }
    return 0;
}
