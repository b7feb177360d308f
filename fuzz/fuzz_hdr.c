/* SMB2 header decode, body StructureSize checks and the variable-buffer
 * bounds helper (src/wire/header.c). Input: one SMB2 message. */
#include "fuzz_common.h"
#include "wire/smb2.h"

/* Every response StructureSize the codecs check, and some neighbours. */
static const uint16_t sizes[] = {0, 1, 2, 4, 8, 9, 16, 17, 24, 25, 33, 48, 49, 60, 64, 65, 89};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    asmb_smb2_hdr h;
    if (asmb__hdr_decode(data, size, &h) == 0) {
        FZ_CHECK(size >= SMB2_HDR_LEN);
        /* Re-encoding what was decoded gives back the same fields (the
         * signature and the unused half of an async/sync id aside). */
        uint8_t out[SMB2_HDR_LEN];
        asmb__hdr_encode(out, &h);
        asmb_smb2_hdr h2;
        FZ_CHECK(asmb__hdr_decode(out, sizeof out, &h2) == 0);
        FZ_CHECK(h.credit_charge == h2.credit_charge && h.status == h2.status &&
                 h.command == h2.command && h.credits == h2.credits && h.flags == h2.flags &&
                 h.next_command == h2.next_command && h.msg_id == h2.msg_id &&
                 h.async_id == h2.async_id && h.tree_id == h2.tree_id &&
                 h.session_id == h2.session_id);
        FZ_CHECK(memcmp(out, data, 32) == 0);
        FZ_CHECK(memcmp(out + 40, data + 40, 8) == 0);
    }
    if (size < SMB2_HDR_LEN) {
        /* the helpers must refuse, never read, a message shorter than a header */
        FZ_CHECK(asmb__msg_buffer(data, size, SMB2_HDR_LEN, 1) == NULL);
        return 0;
    }
    const uint8_t *body = data + SMB2_HDR_LEN;
    size_t blen = size - SMB2_HDR_LEN;
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        if (asmb__body_check(body, blen, sizes[i]) == 0) {
            FZ_CHECK(blen >= (size_t)(sizes[i] & ~1u) && blen >= 2);
            fz_touch(body, sizes[i] & ~1u);
        }
    }
    if (blen >= 2) (void)asmb__body_check(body, blen, asmb_le16(body));
    /* Offset/length pairs where the codecs find them: 16/16 at body+2
     * (QUERY_DIRECTORY/QUERY_INFO use 16/32), 16/16 at body+4 (SESSION_SETUP),
     * 8/32 (READ), 32/32 at body+80 (CREATE contexts), 16/16 at body+56. */
    struct { size_t off_at, off_w, len_at, len_w; } f[] = {
        {2, 2, 4, 4}, {4, 2, 6, 2}, {2, 1, 4, 4}, {80, 4, 84, 4}, {56, 2, 58, 2}, {60, 4, 6, 2}};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
        if (blen < f[i].off_at + f[i].off_w || blen < f[i].len_at + f[i].len_w) continue;
        size_t off = f[i].off_w == 1 ? body[f[i].off_at]
                     : f[i].off_w == 2 ? asmb_le16(body + f[i].off_at)
                                       : asmb_le32(body + f[i].off_at);
        size_t n = f[i].len_w == 2 ? asmb_le16(body + f[i].len_at) : asmb_le32(body + f[i].len_at);
        const uint8_t *p = asmb__msg_buffer(data, size, off, n);
        if (p && n) FZ_SLICE(data, size, p, n);
        if (n == 0) FZ_CHECK(p != NULL && p >= data && p <= data + size);
    }
    /* Extremes around the end. */
    FZ_CHECK(asmb__msg_buffer(data, size, size, 1) == NULL);
    FZ_CHECK(asmb__msg_buffer(data, size, SMB2_HDR_LEN, blen + 1) == NULL);
    FZ_CHECK(asmb__msg_buffer(data, size, (size_t)-1, 2) == NULL);
    FZ_CHECK(asmb__msg_buffer(data, size, SMB2_HDR_LEN - 1, 1) == NULL);
    if (blen) FZ_CHECK(asmb__msg_buffer(data, size, SMB2_HDR_LEN, blen) == body);
    return 0;
}
