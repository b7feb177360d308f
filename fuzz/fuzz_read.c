/* READ response decode (src/wire/read.c); the data slice is read in full. */
#include "fuzz_common.h"
#include "wire/smb2_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *d;
    size_t n;
    if (asmb__read_decode(data, size, &d, &n) == 0) FZ_SLICE(data, size, d, n);
    return 0;
}
