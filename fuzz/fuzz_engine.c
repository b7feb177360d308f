/* The whole connection from its first byte: NEGOTIATE and SESSION_SETUP
 * replies, then the replies to the operations of engine_script.h, which
 * start once auth_ok fires. See engine_harness.h for how the connection runs
 * without a socket and for the option byte.
 * Input: byte 0 = options, then the server's byte stream (direct-TCP
 * frames), e.g. one recorded by record-seeds.sh. */
#include "engine_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static fz_engine e;
    fz_engine_begin(&e, data[0]);
    fz_feed_all(&e, data + 1, size - 1);
    fz_engine_end(&e);
    return 0;
}
