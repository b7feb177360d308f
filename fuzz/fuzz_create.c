/* CREATE response decode (src/wire/create.c). */
#include "fuzz_common.h"
#include "wire/smb2_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    asmb_create_resp r;
    (void)asmb__create_decode(data, size, &r);
    return 0;
}
