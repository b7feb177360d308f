/* WRITE response decode (src/wire/write.c). */
#include "fuzz_common.h"
#include "wire/smb2_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t count;
    (void)asmb__write_decode(data, size, &count);
    return 0;
}
