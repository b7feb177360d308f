/* UTF-8 <-> UTF-16LE (src/wire/utf16.c). Properties, abort() when broken:
 *  - valid UTF-8 -> UTF-16LE -> UTF-8 is the identity;
 *  - the upper-casing encoder accepts exactly what the plain one accepts,
 *    gives as many code units, and is idempotent;
 *  - well-formed UTF-16LE (no unpaired surrogate, no NUL) -> UTF-8 -> UTF-16LE
 *    is the identity;
 *  - any bytes -> UTF-8 gives valid UTF-8 (unpaired surrogates become U+FFFD). */
#include "../src/mem.h"
#include "fuzz_common.h"
#include "wire/buf.h"

static int well_formed_utf16(const uint8_t *p, size_t n)
{
    if (n % 2) return 0;
    for (size_t i = 0; i < n / 2; i++) {
        uint16_t c = asmb_le16(p + 2 * i);
        if (c == 0) return 0;
        if (c >= 0xDC00 && c <= 0xDFFF) return 0;
        if (c >= 0xD800 && c <= 0xDBFF) {
            if (i + 1 >= n / 2) return 0;
            uint16_t lo = asmb_le16(p + 2 * i + 2);
            if (lo < 0xDC00 || lo > 0xDFFF) return 0;
            i++;
        }
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    asmb_wr w, u, uu;
    asmb_wr_init(&w);
    asmb_wr_init(&u);
    asmb_wr_init(&uu);
    int rc = asmb_utf8_to_utf16le(&w, (const char *)data, size);
    int rcu = asmb_utf8_to_utf16le_upper(&u, (const char *)data, size);
    FZ_CHECK(rc == rcu);
    if (rc == 0) {
        FZ_CHECK(w.len % 2 == 0 && w.len <= 2 * size);
        FZ_CHECK(u.len == w.len);
        char *back = asmb_utf16le_to_utf8(w.data ? w.data : (const uint8_t *)"", w.len);
        FZ_CHECK(back);
        FZ_CHECK(memcmp(back, data, size) == 0 && back[size] == 0);
        asmb__free(back);
        /* upper-casing twice changes nothing more */
        char *up8 = asmb_utf16le_to_utf8(u.data ? u.data : (const uint8_t *)"", u.len);
        FZ_CHECK(up8);
        size_t up8_len = 0;
        /* up8 may hold NULs copied from the input: its length is the sum of
         * the UTF-8 lengths, found by re-encoding each code unit count */
        for (size_t i = 0; i < u.len / 2; i++) {
            uint16_t c = asmb_le16(u.data + 2 * i);
            if (c >= 0xD800 && c <= 0xDBFF) { up8_len += 4; i++; }
            else up8_len += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
        }
        FZ_CHECK(asmb_utf8_to_utf16le_upper(&uu, up8, up8_len) == 0);
        FZ_CHECK(uu.len == u.len && (u.len == 0 || memcmp(uu.data, u.data, u.len) == 0));
        asmb__free(up8);
    } else {
        FZ_CHECK(rc == ASMB_EINVAL);
    }
    asmb_wr_free(&w);
    asmb_wr_free(&u);
    asmb_wr_free(&uu);

    /* The other direction. */
    char *s = asmb_utf16le_to_utf8(data, size);
    FZ_CHECK(s);
    size_t slen = strlen(s);
    asmb_wr_init(&w);
    if (well_formed_utf16(data, size)) {
        FZ_CHECK(asmb_utf8_to_utf16le(&w, s, slen) == 0);
        FZ_CHECK(w.len == size && (size == 0 || memcmp(w.data, data, size) == 0));
    } else {
        /* what comes out is valid UTF-8 (up to its first NUL) */
        FZ_CHECK(asmb_utf8_to_utf16le(&w, s, slen) == 0);
    }
    asmb_wr_free(&w);
    asmb__free(s);
    return 0;
}
