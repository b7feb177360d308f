/* TREE_CONNECT response decode and the 4-byte bodies (LOGOFF,
 * TREE_DISCONNECT, ECHO) (src/wire/tree_connect.c, simple.c). */
#include "fuzz_common.h"
#include "wire/smb2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    asmb_tree_resp t;
    (void)asmb__tree_connect_decode(data, size, &t);
    (void)asmb__simple_decode(data, size);
    return 0;
}
