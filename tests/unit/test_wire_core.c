/* Codecs the core uses: header, NEGOTIATE (with 3.1.1 contexts),
 * SESSION_SETUP, TREE_CONNECT, the 4-byte bodies; UTF-8/UTF-16. */
#include <string.h>

#include "test.h"
#include "asmb/asmb_errno.h"
#include "wire/smb2.h"

static void test_header(void)
{
    asmb_smb2_hdr h = {0}, o;
    h.credit_charge = 3;
    h.status = 0xC0000016;
    h.command = SMB2_SESSION_SETUP;
    h.credits = 77;
    h.flags = SMB2_FLAGS_SERVER_TO_REDIR;
    h.msg_id = 0x0102030405060708ull;
    h.tree_id = 0xAABBCCDD;
    h.session_id = 0x1122334455667788ull;
    uint8_t b[64];
    asmb__hdr_encode(b, &h);
    CHECK(b[0] == 0xFE && b[1] == 'S' && b[2] == 'M' && b[3] == 'B');
    CHECK_EQ_INT(asmb_le16(b + 4), 64);
    CHECK_EQ_INT(asmb_le64(b + 24), 0x0102030405060708ull);
    CHECK_EQ_INT(asmb__hdr_decode(b, 64, &o), 0);
    CHECK_EQ_INT(o.status, 0xC0000016);
    CHECK_EQ_INT(o.credits, 77);
    CHECK_EQ_INT(o.tree_id, 0xAABBCCDD);
    CHECK_EQ_INT(o.session_id, 0x1122334455667788ull);
    h.flags |= SMB2_FLAGS_ASYNC_COMMAND;
    h.async_id = 42;
    asmb__hdr_encode(b, &h);
    CHECK_EQ_INT(asmb__hdr_decode(b, 64, &o), 0);
    CHECK_EQ_INT(o.async_id, 42);
    CHECK_EQ_INT(asmb__hdr_decode(b, 63, &o), ASMB_EPROTO); /* short */
    b[0] = 0xFD;
    CHECK_EQ_INT(asmb__hdr_decode(b, 64, &o), ASMB_EPROTO); /* not SMB2 */
}

/* A NEGOTIATE response with contexts, built by hand (MS-SMB2 2.2.4). */
static size_t negotiate_resp(uint8_t *m, int with_ctx, int ctx_off_bad)
{
    memset(m, 0, 512);
    asmb_smb2_hdr h = {0};
    h.flags = SMB2_FLAGS_SERVER_TO_REDIR;
    asmb__hdr_encode(m, &h);
    uint8_t *b = m + 64;
    asmb_st16(b, 65);
    asmb_st16(b + 2, 1);         /* signing enabled */
    asmb_st16(b + 4, 0x0311);
    asmb_st16(b + 6, with_ctx ? 3 : 0);
    memset(b + 8, 0xAB, 16);     /* server guid */
    asmb_st32(b + 28, 8388608);
    asmb_st32(b + 32, 8388608);
    asmb_st32(b + 36, 8388608);
    asmb_st16(b + 56, 128);      /* security buffer at 128, 4 bytes */
    asmb_st16(b + 58, 4);
    memcpy(m + 128, "\x60\x02\x05\x00", 4);
    size_t off = 136;
    asmb_st32(b + 60, (uint32_t)(ctx_off_bad ? 5000 : off));
    uint8_t *c = m + off; /* preauth: count 1, salt 32, SHA-512 */
    asmb_st16(c, 1);
    asmb_st16(c + 2, 38);
    asmb_st16(c + 8, 1);
    asmb_st16(c + 10, 32);
    asmb_st16(c + 12, 1);
    off += 8 + 38;
    off = (off + 7) & ~7u;
    c = m + off; /* encryption: AES-128-GCM */
    asmb_st16(c, 2);
    asmb_st16(c + 2, 4);
    asmb_st16(c + 8, 1);
    asmb_st16(c + 10, 2);
    off += 12;
    off = (off + 7) & ~7u;
    c = m + off; /* signing: AES-GMAC */
    asmb_st16(c, 8);
    asmb_st16(c + 2, 4);
    asmb_st16(c + 8, 1);
    asmb_st16(c + 10, 2);
    return off + 12;
}

static void test_negotiate(void)
{
    static const uint16_t d[] = {0x0202, 0x0210, 0x0300, 0x0302, 0x0311};
    static const uint16_t sig[] = {2, 1, 0};
    asmb_negotiate_req r = {0};
    r.dialects = d;
    r.ndialects = 5;
    r.security_mode = 1;
    r.capabilities = 4;
    r.signing = sig;
    r.nsigning = 3;
    r.netname = "srv";
    memset(r.salt, 7, 32);
    asmb_wr w;
    asmb_wr_init(&w);
    asmb_wr_space(&w, 68); /* as in a frame: transport header and SMB2 header first */
    CHECK_EQ_INT(asmb__negotiate_encode(&w, &r), 0);
    const uint8_t *b = w.data + 68;
    CHECK_EQ_INT(asmb_le16(b), 36);
    CHECK_EQ_INT(asmb_le16(b + 2), 5);
    CHECK_EQ_INT(asmb_le16(b + 36), 0x0202);
    CHECK_EQ_INT(asmb_le16(b + 44), 0x0311);
    uint32_t ctx_off = asmb_le32(b + 28);
    CHECK_EQ_INT(ctx_off % 8, 0);
    CHECK_EQ_INT(asmb_le16(b + 32), 3); /* preauth, signing, netname */
    const uint8_t *c = w.data + 4 + ctx_off;
    CHECK_EQ_INT(asmb_le16(c), 1);
    CHECK_EQ_INT(asmb_le16(c + 2), 38);
    CHECK_EQ_INT(asmb_le16(c + 12), 1); /* SHA-512 */
    asmb_wr_free(&w);

    uint8_t m[512];
    asmb_negotiate_resp o;
    size_t n = negotiate_resp(m, 1, 0);
    CHECK_EQ_INT(asmb__negotiate_decode(m, n, &o), 0);
    CHECK_EQ_INT(o.dialect, 0x0311);
    CHECK_EQ_INT(o.max_read, 8388608);
    CHECK_EQ_INT(o.sec_len, 4);
    CHECK_EQ_INT(o.preauth_hash, 1);
    CHECK_EQ_INT(o.cipher, 2);
    CHECK_EQ_INT(o.have_signing, 1);
    CHECK_EQ_INT(o.signing_algo, 2);
    for (size_t cut = 64; cut < n; cut += 3) /* every truncation fails cleanly */
        CHECK_EQ_INT(asmb__negotiate_decode(m, cut, &o), ASMB_EPROTO);
    n = negotiate_resp(m, 1, 1);
    CHECK_EQ_INT(asmb__negotiate_decode(m, n, &o), ASMB_EPROTO); /* context offset outside */
    n = negotiate_resp(m, 0, 0);
    CHECK_EQ_INT(asmb__negotiate_decode(m, n, &o), ASMB_EPROTO); /* 3.1.1 without contexts */
    negotiate_resp(m, 1, 0);
    asmb_st16(m + 64 + 58, 400); /* security buffer past the end */
    CHECK_EQ_INT(asmb__negotiate_decode(m, 300, &o), ASMB_EPROTO);
}

static void test_session_and_tree(void)
{
    asmb_wr w;
    asmb_wr_init(&w);
    CHECK_EQ_INT(asmb__session_setup_encode(&w, 1, (const uint8_t *)"blob", 4), 0);
    CHECK_EQ_INT(asmb_le16(w.data), 25);
    CHECK_EQ_INT(asmb_le16(w.data + 12), 88);
    CHECK_EQ_INT(asmb_le16(w.data + 14), 4);
    CHECK_MEM(w.data + 24, "blob", 4);
    asmb_wr_free(&w);

    uint8_t m[128] = {0};
    asmb_smb2_hdr h = {0};
    asmb__hdr_encode(m, &h);
    asmb_st16(m + 64, 9);
    asmb_st16(m + 66, 1); /* guest */
    asmb_st16(m + 68, 72);
    asmb_st16(m + 70, 3);
    uint16_t flags;
    const uint8_t *blob;
    size_t blen;
    CHECK_EQ_INT(asmb__session_setup_decode(m, 75, &flags, &blob, &blen), 0);
    CHECK_EQ_INT(flags, 1);
    CHECK(blob == m + 72 && blen == 3);
    CHECK_EQ_INT(asmb__session_setup_decode(m, 74, &flags, &blob, &blen), ASMB_EPROTO);
    asmb_st16(m + 68, 10); /* inside the header */
    CHECK_EQ_INT(asmb__session_setup_decode(m, 75, &flags, &blob, &blen), ASMB_EPROTO);

    asmb_wr_init(&w);
    CHECK_EQ_INT(asmb__tree_connect_encode(&w, "\\\\h\\é"), 0);
    CHECK_EQ_INT(asmb_le16(w.data), 9);
    CHECK_EQ_INT(asmb_le16(w.data + 4), 72);
    CHECK_EQ_INT(asmb_le16(w.data + 6), 10); /* 5 UTF-16 units */
    CHECK_EQ_INT(asmb_le16(w.data + 16), 0xE9);
    asmb_wr_free(&w);
    asmb_wr_init(&w);
    CHECK_EQ_INT(asmb__tree_connect_encode(&w, "\\\\h\\\xC3"), ASMB_EINVAL); /* bad UTF-8 */
    asmb_wr_free(&w);

    memset(m, 0, sizeof m);
    asmb__hdr_encode(m, &h);
    asmb_st16(m + 64, 16);
    m[66] = 1;
    asmb_st32(m + 68, 0x8000);
    asmb_tree_resp tr;
    CHECK_EQ_INT(asmb__tree_connect_decode(m, 80, &tr), 0);
    CHECK_EQ_INT(tr.share_type, 1);
    CHECK_EQ_INT(tr.share_flags, 0x8000);
    CHECK_EQ_INT(asmb__tree_connect_decode(m, 79, &tr), ASMB_EPROTO);
    asmb_st16(m + 64, 4);
    CHECK_EQ_INT(asmb__simple_decode(m, 68), 0);
    CHECK_EQ_INT(asmb__simple_decode(m, 67), ASMB_EPROTO);
}

static void test_utf(void)
{
    const char *s = "a\xC3\xA9\xE6\xB5\x8B\xF0\x9F\x98\x80"; /* a é 测 😀 */
    asmb_wr w;
    asmb_wr_init(&w);
    CHECK_EQ_INT(asmb_utf8_to_utf16le(&w, s, strlen(s)), 0);
    CHECK_EQ_INT(w.len, 10); /* 3 units + a surrogate pair */
    CHECK_EQ_INT(asmb_le16(w.data + 6), 0xD83D);
    char *back = asmb_utf16le_to_utf8(w.data, w.len);
    CHECK(back && strcmp(back, s) == 0);
    free(back);
    asmb_wr_free(&w);
    static const char *bad[] = {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE6\xB5",
                                "\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        asmb_wr_init(&w);
        CHECK_EQ_INT(asmb_utf8_to_utf16le(&w, bad[i], strlen(bad[i])), ASMB_EINVAL);
        asmb_wr_free(&w);
    }
    asmb_wr_init(&w);
    CHECK_EQ_INT(asmb_utf8_to_utf16le_upper(&w, "user\xC3\xA9", 6), 0);
    CHECK_EQ_INT(asmb_le16(w.data), 'U');
    CHECK_EQ_INT(asmb_le16(w.data + 8), 0xC9);
    asmb_wr_free(&w);
    uint8_t lone[2] = {0x00, 0xD8}; /* unpaired surrogate -> U+FFFD */
    back = asmb_utf16le_to_utf8(lone, 2);
    CHECK(back && strcmp(back, "\xEF\xBF\xBD") == 0);
    free(back);
}

int main(void)
{
    test_header();
    test_negotiate();
    test_session_and_tree();
    test_utf();
    TEST_DONE();
}
