/* SET_INFO response decode (src/wire/set_info.c). */
#include "fuzz_common.h"
#include "wire/smb2_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)asmb__set_info_decode(data, size);
    return 0;
}
