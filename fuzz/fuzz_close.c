/* CLOSE response decode, with and without the attributes (src/wire/close.c). */
#include "fuzz_common.h"
#include "wire/smb2_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    asmb_file_times t;
    int a = asmb__close_decode(data, size, &t);
    int b = asmb__close_decode(data, size, NULL);
    FZ_CHECK(a == b);
    return 0;
}
