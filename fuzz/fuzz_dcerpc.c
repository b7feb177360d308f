/* DCE/RPC PDUs as the pipe returns them (src/rpc/dcerpc.c): the common
 * header, BIND_ACK, and the reassembly of a RESPONSE from the fragments
 * that follow each other in the input; a complete stub then goes through
 * the srvsvc NetrShareEnum decoder, as the share listing does.
 * Input: one or more PDUs. */
#include "../src/mem.h"
#include "fuzz_common.h"
#include "rpc/srvsvc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    asmb_rpc_hdr h;
    if (asmb__rpc_hdr_decode(data, size, &h) == 0) {
        FZ_CHECK(h.frag_length >= DCERPC_HDR_LEN && h.frag_length <= size);
        FZ_CHECK(asmb__rpc_frag_length(data, size) == h.frag_length);
        asmb_rpc_bind_ack ack;
        (void)asmb__rpc_bind_ack_decode(data, size, h.call_id, &ack);
        (void)asmb__rpc_bind_ack_decode(data, h.frag_length, h.call_id, &ack);
    }
    (void)asmb__rpc_frag_length(data, size);

    uint32_t call_id = size >= 16 ? asmb_le32(data + 12) : 0;
    asmb_rpc_reasm r;
    asmb__rpc_reasm_init(&r, call_id, 1u << 20);
    size_t pos = 0;
    int rc = 0;
    while (pos < size) {
        size_t used = 0;
        rc = asmb__rpc_reasm_add(&r, data + pos, size - pos, &used);
        if (rc < 0) break;
        FZ_CHECK(used >= DCERPC_RESP_HDR && used <= size - pos);
        pos += used;
        if (rc == 1) break;
    }
    if (rc == 1) {
        FZ_CHECK(r.done);
        FZ_CHECK(asmb__rpc_reasm_add(&r, data, size, NULL) == ASMB_EALREADY);
        asmb_share_raw *shares;
        size_t count;
        uint32_t werror;
        if (asmb__srvsvc_share_enum_decode(r.stub.data ? r.stub.data : (const uint8_t *)"",
                                           r.stub.len, &shares, &count, &werror) == 0)
            asmb__share_raw_free(shares, count);
    } else if (rc < 0) {
        FZ_CHECK(asmb__rpc_reasm_add(&r, data, size, NULL) == rc); /* errors are sticky */
    }
    asmb__rpc_reasm_free(&r);
    return 0;
}
