/* The connection after a scripted NEGOTIATE response (SMB 3.1.1, SHA-512
 * preauth, AES-128-GCM encryption, AES-CMAC signing, as Samba answers), so
 * that the input starts
 * with the SESSION_SETUP replies (message id 1 on). See engine_harness.h.
 * Input: byte 0 = options, then the server's bytes after its NEGOTIATE
 * response. */
#include "engine_harness.h"

/* A NEGOTIATE response frame (MS-SMB2 2.2.4) for 3.1.1: the 4-byte transport
 * header, the header, the body, an empty security buffer and three contexts. */
static size_t negotiate_311(uint8_t *out)
{
    asmb_wr w;
    asmb_wr_init(&w);
    asmb_wr_zero(&w, 4);
    asmb_smb2_hdr h = {0};
    h.command = SMB2_NEGOTIATE;
    h.credits = 1;
    h.flags = SMB2_FLAGS_SERVER_TO_REDIR;
    asmb__hdr_encode(asmb_wr_space(&w, SMB2_HDR_LEN), &h);
    asmb_wr_u16(&w, 65);
    asmb_wr_u16(&w, SMB2_NEGOTIATE_SIGNING_ENABLED);
    asmb_wr_u16(&w, 0x0311);
    asmb_wr_u16(&w, 3); /* NegotiateContextCount */
    for (int i = 0; i < 16; i++) asmb_wr_u8(&w, (uint8_t)(0xA0 + i)); /* ServerGuid */
    asmb_wr_u32(&w, SMB2_GLOBAL_CAP_LARGE_MTU | SMB2_GLOBAL_CAP_ENCRYPTION);
    asmb_wr_u32(&w, 8u << 20); /* MaxTransactSize */
    asmb_wr_u32(&w, 8u << 20); /* MaxReadSize */
    asmb_wr_u32(&w, 8u << 20); /* MaxWriteSize */
    asmb_wr_u64(&w, 0x01DA000000000000ull); /* SystemTime */
    asmb_wr_u64(&w, 0);                     /* ServerStartTime */
    asmb_wr_u16(&w, SMB2_HDR_LEN + 64);     /* SecurityBufferOffset */
    asmb_wr_u16(&w, 0);                     /* SecurityBufferLength */
    asmb_wr_u32(&w, SMB2_HDR_LEN + 64);     /* NegotiateContextOffset (8-aligned) */
    /* PREAUTH_INTEGRITY_CAPABILITIES: SHA-512, a 32-byte salt */
    asmb_wr_u16(&w, SMB2_PREAUTH_INTEGRITY_CAPABILITIES);
    asmb_wr_u16(&w, 38);
    asmb_wr_u32(&w, 0);
    asmb_wr_u16(&w, 1);
    asmb_wr_u16(&w, 32);
    asmb_wr_u16(&w, SMB2_PREAUTH_SHA512);
    for (int i = 0; i < 32; i++) asmb_wr_u8(&w, (uint8_t)i);
    asmb_wr_zero(&w, (8 - (w.len - 4) % 8) % 8); /* 8-aligned from the header */
    asmb_wr_u16(&w, SMB2_ENCRYPTION_CAPABILITIES);
    asmb_wr_u16(&w, 4);
    asmb_wr_u32(&w, 0);
    asmb_wr_u16(&w, 1);
    asmb_wr_u16(&w, ASMB_CIPHER_AES_128_GCM);
    asmb_wr_zero(&w, (8 - (w.len - 4) % 8) % 8);
    asmb_wr_u16(&w, SMB2_SIGNING_CAPABILITIES);
    asmb_wr_u16(&w, 4);
    asmb_wr_u32(&w, 0);
    asmb_wr_u16(&w, 1);
    asmb_wr_u16(&w, SMB2_SIGNING_AES_CMAC);
    FZ_CHECK(!w.err && w.len <= 256);
    size_t mlen = w.len - 4;
    w.data[1] = (uint8_t)(mlen >> 16);
    w.data[2] = (uint8_t)(mlen >> 8);
    w.data[3] = (uint8_t)mlen;
    size_t n = w.len;
    memcpy(out, w.data, n);
    asmb_wr_free(&w);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t neg[256];
    static size_t neg_len;
    if (!neg_len) neg_len = negotiate_311(neg);
    if (size < 1) return 0;
    static fz_engine e;
    asmb_conn *c = fz_engine_begin(&e, data[0]);
    fz_feed(&e, neg, neg_len);
    /* the scripted reply must have been taken: SESSION_SETUP is out */
    FZ_CHECK(c->state == ASMB_ST_SESSION && c->info.dialect == ASMB_SMB3_11 &&
             c->cipher == ASMB_CIPHER_AES_128_GCM);
    fz_feed_all(&e, data + 1, size - 1);
    fz_engine_end(&e);
    return 0;
}
