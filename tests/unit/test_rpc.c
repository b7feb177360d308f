/* DCE/RPC (C706 chapter 12, MS-RPCE 2.2.2): BIND bytes derived by hand,
 * BIND_ACK / BIND_NAK, REQUEST, RESPONSE reassembly and its failures; NDR
 * stubs of srvsvc NetrShareEnum level 1 (MS-SRVS 3.1.4.8): the request
 * derived by hand, responses built here, lying ones, and a real one. */
#include <stdint.h>

#include "asmb/asmb_errno.h"
#include "mem.h"
#include "rpc/dcerpc.h"
#include "rpc/srvsvc.h"
#include "test.h"


/* A RESPONSE (or FAULT, with stub = status + reserved) PDU. */
static size_t mkpdu(uint8_t *out, uint8_t ptype, uint8_t flags, uint32_t call_id,
                    const uint8_t *stub, size_t n)
{
    static const uint8_t h[8] = {5, 0, 0, 0, 0x10, 0, 0, 0};
    memcpy(out, h, 8);
    out[2] = ptype;
    out[3] = flags;
    asmb_st16(out + 8, (uint16_t)(24 + n));
    asmb_st16(out + 10, 0);
    asmb_st32(out + 12, call_id);
    asmb_st32(out + 16, (uint32_t)n); /* alloc_hint */
    asmb_st32(out + 20, 0);           /* p_cont_id, cancel_count, reserved */
    memcpy(out + 24, stub, n);
    return 24 + n;
}

/* ---- BIND / BIND_ACK ---- */

/* C706 12.6.3.1 + 12.6.4.3, by hand: vers 5.0, ptype 11, flags first|last,
 * drep 10 00 00 00, frag_length 72, auth_length 0, call_id 1; max frags
 * 4280 (0x10b8), assoc group 0; one context: n 1 + 3 reserved, id 0, one
 * transfer syntax + reserved; srvsvc 4b324fc8-1670-01d3-1278-5a47bf6ee188
 * (first three fields little-endian) v3.0; NDR 8a885d04-1ceb-11c9-9fe8-
 * 08002b104860 v2. Samba's smbclient sends exactly this (-d 10). */
/* clang-format off */
static const char BIND_HEX[] =
    "05000b03" "10000000" "4800" "0000" "01000000"
    "b810" "b810" "00000000"
    "01" "00" "0000"
    "0000" "01" "00"
    "c84f324b" "7016" "d301" "1278" "5a47bf6ee188" "0300" "0000"
    "045d888a" "eb1c" "c911" "9fe8" "08002b104860" "0200" "0000";
/* clang-format on */

/* Samba's BIND_ACK (as printed by smbclient -d 10): assoc group 0xad41,
 * secondary address "\pipe\srvsvc" (13 bytes), 1 pad byte to align 4, one
 * result: acceptance, NDR v2. */
/* clang-format off */
static const char BIND_ACK_HEX[] =
    "05000c03" "10000000" "4400" "0000" "01000000"
    "b810" "b810" "41ad0000"
    "0d00" "5c706970655c73727673766300" "00"
    "01" "00" "0000"
    "0000" "0000" "045d888a" "eb1c" "c911" "9fe8" "08002b104860" "02000000";
/* clang-format on */

static void test_bind(void)
{
    static const asmb_rpc_syntax srvsvc = ASMB_SRVSVC_SYNTAX;
    size_t n;
    const uint8_t *want = t_hex(BIND_HEX, &n);
    asmb_wr w;
    asmb_wr_init(&w);
    CHECK_EQ_INT(asmb__rpc_bind_encode(&w, 1, &srvsvc), 0);
    CHECK_EQ_INT(n, 72);
    CHECK_EQ_INT(w.len, 72);
    CHECK_MEM(w.data, want, 72);
    asmb_wr_free(&w);
    /* Appended after other bytes: frag_length patched in the right place. */
    asmb_wr_u8(&w, 0xEE);
    CHECK_EQ_INT(asmb__rpc_bind_encode(&w, 1, &srvsvc), 0);
    CHECK_EQ_INT(w.len, 73);
    CHECK_MEM(w.data + 1, want, 72);
    asmb_wr_free(&w);
    CHECK_EQ_INT(asmb__rpc_bind_encode(&w, 1, NULL), ASMB_EINVAL);
    asmb_wr_free(&w);
}

static void test_bind_ack(void)
{
    size_t n;
    uint8_t *ack = t_hex(BIND_ACK_HEX, &n);
    asmb_rpc_bind_ack a;
    CHECK_EQ_INT(n, 68);
    CHECK_EQ_INT(asmb__rpc_bind_ack_decode(ack, n, 1, &a), 0);
    CHECK_EQ_INT(a.max_xmit_frag, 4280);
    CHECK_EQ_INT(a.max_recv_frag, 4280);
    CHECK_EQ_INT(a.assoc_group, 0xad41);
    CHECK_EQ_INT(asmb__rpc_frag_length(ack, n), 68);
    CHECK_EQ_INT(asmb__rpc_frag_length(ack, 15), 0);

    /* Another call, a frag_length not matching the bytes, every truncation. */
    CHECK_EQ_INT(asmb__rpc_bind_ack_decode(ack, n, 2, &a), ASMB_EPROTO);
    int bad = 0;
    for (size_t k = 0; k < n; k++) {
        uint8_t *copy = malloc(k ? k : 1);
        memcpy(copy, ack, k);
        if (asmb__rpc_bind_ack_decode(copy, k, 1, &a) != ASMB_EPROTO) bad++;
        free(copy);
    }
    CHECK_EQ_INT(bad, 0);
    uint8_t m[128];
    /* frag_length claims more than present; auth_length; version; drep. */
    static const struct { size_t at; uint8_t v; } pokes[] = {
        {8, 69}, {10, 8}, {0, 4}, {1, 2}, {4, 0x00}, {2, 2}, {24, 0xff}, {40, 0}};
    for (size_t i = 0; i < ASMB_ARRAY_LEN(pokes); i++) {
        memcpy(m, ack, n);
        m[pokes[i].at] = pokes[i].v;
        CHECK_EQ_INT(asmb__rpc_bind_ack_decode(m, n, 1, &a), ASMB_EPROTO);
    }
    /* Accepted with a transfer syntax we did not offer (NDR64's first byte). */
    memcpy(m, ack, n);
    m[48] = 0x33;
    CHECK_EQ_INT(asmb__rpc_bind_ack_decode(m, n, 1, &a), ASMB_EPROTO);
    memcpy(m, ack, n);
    m[64] = 1; /* version 1 */
    CHECK_EQ_INT(asmb__rpc_bind_ack_decode(m, n, 1, &a), ASMB_EPROTO);

    /* The context rejected: result 2 (provider rejection), reason 1
     * (abstract syntax not supported), a zero syntax. */
    memcpy(m, ack, n);
    asmb_st16(m + 44, 2);
    asmb_st16(m + 46, 1);
    memset(m + 48, 0, 20);
    CHECK_EQ_INT(asmb__rpc_bind_ack_decode(m, n, 1, &a), ASMB_ENOTSUP);
    CHECK_EQ_INT(a.reason, 1);

    /* BIND_NAK (12.6.4.5): reason 4 (protocol version not supported), one
     * supported version 5.0. frag_length 21. */
    uint8_t *nak = t_hex("05000d03100000001500000001000000" "0400" "01" "0500", &n);
    CHECK_EQ_INT(n, 21);
    CHECK_EQ_INT(asmb__rpc_bind_ack_decode(nak, n, 1, &a), ASMB_ENOTSUP);
    CHECK_EQ_INT(a.reason, 4);
    CHECK_EQ_INT(asmb__rpc_bind_ack_decode(nak, n, 9, &a), ASMB_EPROTO);
}

/* ---- REQUEST ---- */

static void test_request(void)
{
    asmb_wr w;
    asmb_wr_init(&w);
    static const uint8_t stub[5] = {0xA, 0xB, 0xC, 0xD, 0xE};
    CHECK_EQ_INT(asmb__rpc_request_encode(&w, 7, 15, stub, 5), 0);
    size_t n;
    const uint8_t *want = t_hex("05000003" "10000000" "1d00" "0000" "07000000" /* frag 29 */
                             "05000000" "0000" "0f00" "0a0b0c0d0e", &n);
    CHECK_EQ_INT(w.len, 29);
    CHECK_MEM(w.data, want, n);
    asmb_wr_free(&w);
    CHECK_EQ_INT(asmb__rpc_request_encode(&w, 7, 15, NULL, 0), 0);
    CHECK_EQ_INT(w.len, 24);
    CHECK_EQ_INT(asmb_le16(w.data + 8), 24);
    asmb_wr_free(&w);
    uint8_t *big = calloc(1, DCERPC_MAX_FRAG);
    CHECK_EQ_INT(asmb__rpc_request_encode(&w, 7, 15, big, DCERPC_MAX_FRAG - 24), 0);
    CHECK_EQ_INT(w.len, DCERPC_MAX_FRAG);
    asmb_wr_free(&w);
    CHECK_EQ_INT(asmb__rpc_request_encode(&w, 7, 15, big, DCERPC_MAX_FRAG - 23), ASMB_EINVAL);
    CHECK_EQ_INT(asmb__rpc_request_encode(&w, 7, 15, NULL, 4), ASMB_EINVAL);
    free(big);
    asmb_wr_free(&w);
}

/* ---- srvsvc NetrShareEnum: a real response (Samba 4, smbclient -L -d 10),
 * 7 shares, TotalEntries 7, ResumeHandle 0, WERR_OK. ---- */
static const char REAL_STUB_HEX[] =
    "01000000010000000c0002000700000010000200070000001400020000000000180002001c00020000000000"
    "200002002400020000000000280002002c00020000000000300002003400020000000000380002003c000200"
    "0000000040000200440002000300008048000200060000000000000006000000730068006100720065000000"
    "0e000000000000000e000000610073006d006200200072007700200073006800610072006500000006000000"
    "0000000006000000670075006500730074000000110000000000000011000000610073006d00620020006700"
    "75006500730074002000730068006100720065000000000003000000000000000300000072006f0000000000"
    "150000000000000015000000610073006d006200200072006500610064002d006f006e006c00790020007300"
    "680061007200650000000000080000000000000008000000680069006400640065006e00240000000d000000"
    "000000000d000000680069006400640065006e00200073006800610072006500000000000500000000000000"
    "0500000073006e006100700000000000140000000000000014000000610073006d006200200073006e006100"
    "7000730068006f007400200073006800610072006500000004000000000000000400000065006e0063000000"
    "150000000000000015000000610073006d006200200065006e00630072007900700074006500640020007300"
    "6800610072006500000000000500000000000000050000004900500043002400000000001f00000000000000"
    "1f0000004900500043002000530065007200760069006300650020002800610073006d006200200074006500"
    "730074002000730065007200760065007200290000000000070000004c0002000000000000000000";

static void check_real_shares(const uint8_t *stub, size_t n)
{
    static const char *const names[7] = {"share", "guest", "ro", "hidden$", "snap", "enc", "IPC$"};
    asmb_share_raw *sh = NULL;
    size_t count = 0;
    uint32_t werr = 99;
    CHECK_EQ_INT(asmb__srvsvc_share_enum_decode(stub, n, &sh, &count, &werr), 0);
    CHECK_EQ_INT(werr, 0);
    CHECK_EQ_INT(count, 7);
    int bad = 0;
    for (size_t i = 0; i < count && i < 7; i++) {
        if (strcmp(sh[i].name, names[i]) != 0 || !sh[i].comment) bad++;
        if (sh[i].type != (i == 6 ? 0x80000003u : STYPE_DISKTREE)) bad++;
    }
    CHECK_EQ_INT(bad, 0);
    if (count == 7) {
        CHECK(strcmp(sh[0].comment, "asmb rw share") == 0);
        CHECK(strcmp(sh[3].comment, "hidden share") == 0);
        CHECK(strcmp(sh[6].comment, "IPC Service (asmb test server)") == 0);
        CHECK_EQ_INT(sh[6].type & STYPE_KIND_MASK, STYPE_IPC);
        CHECK(sh[6].type & STYPE_SPECIAL);
    }
    asmb__share_raw_free(sh, count);
}

/* ---- RESPONSE reassembly ---- */

static void test_reassembly(void)
{
    size_t sn;
    const uint8_t *stub = t_hex(REAL_STUB_HEX, &sn);
    CHECK_EQ_INT(sn, 656);
    uint8_t *pdu = malloc(2 * 24 + sn), *p2;
    asmb_rpc_reasm r;

    /* The real response as Samba sent it: one PDU, frag_length 680. */
    size_t n = mkpdu(pdu, DCERPC_RESPONSE, PFC_FIRST_FRAG | PFC_LAST_FRAG, 2, stub, sn);
    CHECK_EQ_INT(n, 680);
    asmb__rpc_reasm_init(&r, 2, 1 << 20);
    CHECK_EQ_INT(asmb__rpc_reasm_add(&r, pdu, n, NULL), 1);
    CHECK_EQ_INT(r.stub.len, 656);
    check_real_shares(r.stub.data, r.stub.len);
    CHECK_EQ_INT(asmb__rpc_reasm_add(&r, pdu, n, NULL), ASMB_EALREADY);
    asmb__rpc_reasm_free(&r);

    /* Split over two fragments at an odd place, back to back in one buffer. */
    size_t n1 = mkpdu(pdu, DCERPC_RESPONSE, PFC_FIRST_FRAG, 2, stub, 301);
    p2 = pdu + n1;
    size_t n2 = mkpdu(p2, DCERPC_RESPONSE, PFC_LAST_FRAG, 2, stub + 301, sn - 301);
    asmb__rpc_reasm_init(&r, 2, 1 << 20);
    size_t used = 0;
    CHECK_EQ_INT(asmb__rpc_reasm_add(&r, pdu, n1 + n2, &used), 0);
    CHECK_EQ_INT(used, n1);
    CHECK_EQ_INT(r.done, 0);
    CHECK_EQ_INT(asmb__rpc_reasm_add(&r, p2, n2, NULL), 1);
    CHECK_EQ_INT(r.nfrags, 2);
    CHECK_EQ_INT(r.stub.len, sn);
    CHECK(r.stub.len == sn && memcmp(r.stub.data, stub, sn) == 0);
    check_real_shares(r.stub.data, r.stub.len);
    asmb__rpc_reasm_free(&r);

    /* Without `used`, extra bytes are an error; a frag_length past the end. */
    asmb__rpc_reasm_init(&r, 2, 1 << 20);
    CHECK_EQ_INT(asmb__rpc_reasm_add(&r, pdu, n1 + 1, NULL), ASMB_EPROTO);
    CHECK_EQ_INT(asmb__rpc_reasm_add(&r, pdu, n1, NULL), ASMB_EPROTO); /* sticky */
    asmb__rpc_reasm_free(&r);
    asmb__rpc_reasm_init(&r, 2, 1 << 20);
    CHECK_EQ_INT(asmb__rpc_reasm_add(&r, pdu, n1 - 1, &used), ASMB_EPROTO);
    asmb__rpc_reasm_free(&r);

    /* Wrong call_id, on the first or a later fragment. */
    asmb__rpc_reasm_init(&r, 3, 1 << 20);
    CHECK_EQ_INT(asmb__rpc_reasm_add(&r, pdu, n1, NULL), ASMB_EPROTO);
    asmb__rpc_reasm_free(&r);
    asmb__rpc_reasm_init(&r, 2, 1 << 20);
    CHECK_EQ_INT(asmb__rpc_reasm_add(&r, pdu, n1, NULL), 0);
    mkpdu(p2, DCERPC_RESPONSE, PFC_LAST_FRAG, 9, stub + 301, sn - 301);
    CHECK_EQ_INT(asmb__rpc_reasm_add(&r, p2, n2, NULL), ASMB_EPROTO);
    asmb__rpc_reasm_free(&r);

    /* Fragment flags out of order: a first without FIRST, FIRST twice. */
    asmb__rpc_reasm_init(&r, 2, 1 << 20);
    mkpdu(p2, DCERPC_RESPONSE, PFC_LAST_FRAG, 2, stub + 301, sn - 301);
    CHECK_EQ_INT(asmb__rpc_reasm_add(&r, p2, n2, NULL), ASMB_EPROTO);
    asmb__rpc_reasm_free(&r);
    asmb__rpc_reasm_init(&r, 2, 1 << 20);
    CHECK_EQ_INT(asmb__rpc_reasm_add(&r, pdu, n1, NULL), 0);
    CHECK_EQ_INT(asmb__rpc_reasm_add(&r, pdu, n1, NULL), ASMB_EPROTO);
    asmb__rpc_reasm_free(&r);

    /* The stub limit; an auth trailer; a BIND_ACK; a RESPONSE too short. */
    asmb__rpc_reasm_init(&r, 2, 300);
    CHECK_EQ_INT(asmb__rpc_reasm_add(&r, pdu, n1, NULL), ASMB_EPROTO);
    asmb__rpc_reasm_free(&r);
    asmb__rpc_reasm_init(&r, 2, 1 << 20);
    pdu[10] = 16;
    CHECK_EQ_INT(asmb__rpc_reasm_add(&r, pdu, n1, NULL), ASMB_EPROTO);
    asmb__rpc_reasm_free(&r);
    pdu[10] = 0;
    asmb__rpc_reasm_init(&r, 2, 1 << 20);
    pdu[2] = DCERPC_BIND_ACK;
    CHECK_EQ_INT(asmb__rpc_reasm_add(&r, pdu, n1, NULL), ASMB_EPROTO);
    asmb__rpc_reasm_free(&r);
    asmb__rpc_reasm_init(&r, 2, 1 << 20);
    n = mkpdu(pdu, DCERPC_RESPONSE, 3, 2, stub, 0);
    asmb_st16(pdu + 8, 20);
    CHECK_EQ_INT(asmb__rpc_reasm_add(&r, pdu, 20, NULL), ASMB_EPROTO);
    asmb__rpc_reasm_free(&r);

    /* FAULT (12.6.4.7): nca_s_op_rng_error 0x1c010002. */
    static const uint8_t fault[8] = {0x02, 0x00, 0x01, 0x1c, 0, 0, 0, 0};
    n = mkpdu(pdu, DCERPC_FAULT, PFC_FIRST_FRAG | PFC_LAST_FRAG, 2, fault, 8);
    asmb__rpc_reasm_init(&r, 2, 1 << 20);
    CHECK_EQ_INT(asmb__rpc_reasm_add(&r, pdu, n, NULL), ASMB_EFAILURE);
    CHECK_EQ_INT(r.fault_status, 0x1c010002);
    asmb__rpc_reasm_free(&r);
    n = mkpdu(pdu, DCERPC_FAULT, PFC_FIRST_FRAG | PFC_LAST_FRAG, 2, fault, 3);
    asmb__rpc_reasm_init(&r, 2, 1 << 20);
    CHECK_EQ_INT(asmb__rpc_reasm_add(&r, pdu, n, NULL), ASMB_EPROTO); /* no room for status */
    asmb__rpc_reasm_free(&r);
    free(pdu);
}

/* ---- NetrShareEnum request ---- */

static void test_enum_request(void)
{
    /* By hand (C706 14.3.10-14.3.12, 14.3.4.2): ServerName unique pointer
     * (referent 0x00020000) -> conformant varying string: max 4, offset 0,
     * actual 4, "\\h" NUL (8 bytes, 4-aligned already); Level 1; switch 1;
     * Level1 pointer (0x00020004) -> container {EntriesRead 0, Buffer NULL};
     * PreferedMaximumLength 0xFFFFFFFF; ResumeHandle pointer (0x00020008) -> 0. */
    size_t n;
    const uint8_t *want = t_hex("00000200" "04000000" "00000000" "04000000"
                             "5c005c0068000000"
                             "01000000" "01000000" "04000200" "00000000" "00000000"
                             "ffffffff" "08000200" "00000000", &n);
    asmb_wr w;
    asmb_wr_init(&w);
    CHECK_EQ_INT(asmb__srvsvc_share_enum_encode(&w, "\\\\h"), 0);
    CHECK_EQ_INT(n, 56);
    CHECK_EQ_INT(w.len, 56);
    CHECK_MEM(w.data, want, 56);
    asmb_wr_free(&w);
    CHECK_EQ_INT(asmb__srvsvc_share_enum_encode(&w, "h"), 0); /* "\\" added */
    CHECK(w.len == 56 && memcmp(w.data, want, 56) == 0);
    asmb_wr_free(&w);

    /* Odd length: "\\ab" NUL = 10 bytes, 2 bytes of padding before Level;
     * alignment counts from the stub start, not from w's. */
    asmb_wr_u8(&w, 0xEE);
    CHECK_EQ_INT(asmb__srvsvc_share_enum_encode(&w, "ab"), 0);
    CHECK_EQ_INT(w.len, 1 + 60);
    CHECK_EQ_INT(asmb_le32(w.data + 1 + 4), 5);
    CHECK_EQ_INT(asmb_le32(w.data + 1 + 12), 5);
    CHECK_MEM(w.data + 1 + 16, "\\\0\\\0a\0b\0\0\0\0\0", 12);
    CHECK_EQ_INT(asmb_le32(w.data + 1 + 28), 1);
    asmb_wr_free(&w);

    /* smbclient sends "127.0.0.1" bare in 68 bytes (alloc_hint 0x44); with
     * the two leading backslashes we add, 2 units more. */
    CHECK_EQ_INT(asmb__srvsvc_share_enum_encode(&w, "127.0.0.1"), 0);
    CHECK_EQ_INT(w.len, 68 + 4);
    asmb_wr_free(&w);

    /* No server: a NULL pointer, and the referents start over. */
    CHECK_EQ_INT(asmb__srvsvc_share_enum_encode(&w, NULL), 0);
    CHECK_EQ_INT(w.len, 36);
    CHECK_EQ_INT(asmb_le32(w.data), 0);
    CHECK_EQ_INT(asmb_le32(w.data + 12), 0x00020000);
    CHECK_EQ_INT(asmb_le32(w.data + 28), 0x00020004);
    asmb_wr_free(&w);

    /* Invalid UTF-8: EINVAL, w as it was. */
    asmb_wr_u32(&w, 0xdeadbeef);
    CHECK_EQ_INT(asmb__srvsvc_share_enum_encode(&w, "bad\xff"), ASMB_EINVAL);
    CHECK_EQ_INT(w.len, 4);
    asmb_wr_free(&w);
}

/* ---- NetrShareEnum responses built here ---- */

typedef struct {
    uint8_t b[4096];
    size_t n;
    size_t str_at[16]; /* where each deferred string (max count) starts */
    int nstr;
} stub_buf;

static void sb_u32(stub_buf *s, uint32_t v)
{
    while (s->n % 4) s->b[s->n++] = 0xCC; /* padding: never read */
    asmb_st32(s->b + s->n, v);
    s->n += 4;
}

/* A conformant varying string of the Latin-1 chars of str, NUL added. */
static void sb_str(stub_buf *s, const char *str)
{
    uint32_t k = (uint32_t)strlen(str) + 1;
    s->str_at[s->nstr++] = (s->n + 3) & ~(size_t)3;
    sb_u32(s, k);
    sb_u32(s, 0);
    sb_u32(s, k);
    for (uint32_t i = 0; i < k; i++, s->n += 2) asmb_st16(s->b + s->n, (uint8_t)str[i]);
}

typedef struct {
    const char *name;
    uint32_t type;
    const char *remark; /* NULL: a NULL pointer */
} share_spec;

static const share_spec FOUR[4] = {{"Donn\xe9" "es", 0, "Data share"},
                                   {"IPC$", 0x80000003u, "IPC Service"},
                                   {"hidden$", 0, ""},
                                   {"noremark", 0, NULL}};

/* entries: EntriesRead and the array's max count; ndata: entries present. */
static void build_enum(stub_buf *s, const share_spec *sp, size_t ndata, uint32_t entries,
                       uint32_t werror)
{
    uint32_t ref = 0x00020000;
    memset(s, 0, sizeof *s);
    sb_u32(s, 1);   /* level */
    sb_u32(s, 1);   /* switch */
    sb_u32(s, ref); /* container */
    ref += 4;
    sb_u32(s, entries);
    sb_u32(s, entries ? ref : 0); /* Buffer */
    ref += 4;
    if (entries) sb_u32(s, entries); /* max count */
    for (size_t i = 0; i < ndata; i++) {
        sb_u32(s, sp[i].name ? (ref += 4) : 0);
        sb_u32(s, sp[i].type);
        sb_u32(s, sp[i].remark ? (ref += 4) : 0);
    }
    for (size_t i = 0; i < ndata; i++) {
        if (sp[i].name) sb_str(s, sp[i].name);
        if (sp[i].remark) sb_str(s, sp[i].remark);
    }
    sb_u32(s, (uint32_t)ndata); /* TotalEntries */
    sb_u32(s, ref + 4);         /* ResumeHandle */
    sb_u32(s, 0);
    sb_u32(s, werror);
}

static int dec(const stub_buf *s, size_t len)
{
    asmb_share_raw *sh = NULL;
    size_t count = 0;
    uint32_t werr;
    int rc = asmb__srvsvc_share_enum_decode(s->b, len, &sh, &count, &werr);
    if (rc && (sh || count)) rc = 1000; /* a failure hands nothing out */
    asmb__share_raw_free(sh, count);
    return rc;
}

static void test_enum_response(void)
{
    static stub_buf s;
    build_enum(&s, FOUR, 4, 4, 0);
    asmb_share_raw *sh = NULL;
    size_t count = 0;
    uint32_t werr = 99;
    CHECK_EQ_INT(asmb__srvsvc_share_enum_decode(s.b, s.n, &sh, &count, &werr), 0);
    CHECK_EQ_INT(werr, 0);
    CHECK_EQ_INT(count, 4);
    if (count == 4) {
        CHECK(strcmp(sh[0].name, "Donn\xc3\xa9" "es") == 0); /* UTF-8 */
        CHECK(strcmp(sh[0].comment, "Data share") == 0);
        CHECK_EQ_INT(sh[0].type, STYPE_DISKTREE);
        CHECK(strcmp(sh[1].name, "IPC$") == 0);
        CHECK_EQ_INT(sh[1].type, 0x80000003u);
        CHECK(strcmp(sh[1].comment, "IPC Service") == 0);
        CHECK(strcmp(sh[2].name, "hidden$") == 0);
        CHECK(sh[2].comment && sh[2].comment[0] == 0);
        CHECK(strcmp(sh[3].name, "noremark") == 0);
        CHECK(sh[3].comment == NULL);
    }
    asmb__share_raw_free(sh, count);

    /* Every truncation fails, cleanly. */
    int bad = 0;
    for (size_t k = 0; k < s.n; k++) {
        uint8_t *copy = malloc(k ? k : 1);
        memcpy(copy, s.b, k);
        sh = NULL;
        count = 0;
        if (asmb__srvsvc_share_enum_decode(copy, k, &sh, &count, &werr) != ASMB_EPROTO || sh)
            bad++;
        free(copy);
    }
    CHECK_EQ_INT(bad, 0);

    /* Counts lying: 1000 or 2^31-1 entries with one entry's bytes. */
    build_enum(&s, FOUR, 1, 1000, 0);
    CHECK_EQ_INT(dec(&s, s.n), ASMB_EPROTO);
    build_enum(&s, FOUR, 1, 0x7FFFFFFF, 0);
    CHECK_EQ_INT(dec(&s, s.n), ASMB_EPROTO);
    build_enum(&s, FOUR, 4, 4, 0);
    asmb_st32(s.b + 20, 5); /* max count != EntriesRead */
    CHECK_EQ_INT(dec(&s, s.n), ASMB_EPROTO);

    /* Strings: actual count past the end, offset, actual > max, no NUL,
     * empty, an embedded NUL. */
    size_t last = s.str_at[s.nstr - 1];
    build_enum(&s, FOUR, 4, 4, 0);
    asmb_st32(s.b + last + 8, 0x40000000);
    asmb_st32(s.b + last, 0x40000000);
    CHECK_EQ_INT(dec(&s, s.n), ASMB_EPROTO);
    build_enum(&s, FOUR, 4, 4, 0);
    asmb_st32(s.b + last + 8, 100); /* 200 bytes: more than what is left */
    asmb_st32(s.b + last, 100);
    CHECK_EQ_INT(dec(&s, s.n), ASMB_EPROTO);
    build_enum(&s, FOUR, 4, 4, 0);
    asmb_st32(s.b + s.str_at[0] + 4, 1);
    CHECK_EQ_INT(dec(&s, s.n), ASMB_EPROTO);
    build_enum(&s, FOUR, 4, 4, 0);
    asmb_st32(s.b + s.str_at[0], 7); /* "Données" + NUL is 8 */
    CHECK_EQ_INT(dec(&s, s.n), ASMB_EPROTO);
    build_enum(&s, FOUR, 4, 4, 0);
    asmb_st16(s.b + s.str_at[0] + 12 + 14, 's'); /* the NUL overwritten */
    CHECK_EQ_INT(dec(&s, s.n), ASMB_EPROTO);
    build_enum(&s, FOUR, 4, 4, 0);
    asmb_st16(s.b + s.str_at[0] + 12 + 2, 0);
    CHECK_EQ_INT(dec(&s, s.n), ASMB_EPROTO);
    static const share_spec empty[1] = {{"", 0, NULL}};
    build_enum(&s, empty, 1, 1, 0);
    CHECK_EQ_INT(dec(&s, s.n), 0); /* "" is a valid (if useless) string... */
    asmb_st32(s.b + s.str_at[0], 0);
    asmb_st32(s.b + s.str_at[0] + 8, 0);
    CHECK_EQ_INT(dec(&s, s.n), ASMB_EPROTO); /* ...but a [string] without NUL is not */

    /* A NULL netname; level 2; a non-zero WERROR (5: access denied). */
    static const share_spec noname[1] = {{NULL, 0, "x"}};
    build_enum(&s, noname, 1, 1, 0);
    CHECK_EQ_INT(dec(&s, s.n), ASMB_EPROTO);
    build_enum(&s, FOUR, 4, 4, 0);
    asmb_st32(s.b, 2);
    CHECK_EQ_INT(dec(&s, s.n), ASMB_EPROTO);
    build_enum(&s, FOUR, 0, 0, 5);
    werr = 0;
    sh = (asmb_share_raw *)&s; /* must be reset */
    CHECK_EQ_INT(asmb__srvsvc_share_enum_decode(s.b, s.n, &sh, &count, &werr), ASMB_EFAILURE);
    CHECK_EQ_INT(werr, 5);
    CHECK(sh == NULL && count == 0);
    build_enum(&s, FOUR, 4, 4, 234); /* with entries too */
    CHECK_EQ_INT(dec(&s, s.n), ASMB_EFAILURE);

    /* Zero shares; a NULL container pointer. */
    build_enum(&s, FOUR, 0, 0, 0);
    CHECK_EQ_INT(asmb__srvsvc_share_enum_decode(s.b, s.n, &sh, &count, &werr), 0);
    CHECK(sh == NULL && count == 0);
    static const uint8_t nullctr[24] = {1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
                                        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK_EQ_INT(asmb__srvsvc_share_enum_decode(nullctr, 24, &sh, &count, &werr), 0);
    CHECK_EQ_INT(asmb__srvsvc_share_enum_decode(nullctr, 23, &sh, &count, &werr), ASMB_EPROTO);
    CHECK_EQ_INT(asmb__srvsvc_share_enum_decode(NULL, 0, &sh, &count, &werr), ASMB_EPROTO);
}

static void test_real_stub(void)
{
    size_t n;
    const uint8_t *stub = t_hex(REAL_STUB_HEX, &n);
    check_real_shares(stub, n);
}

int main(void)
{
    test_bind();
    test_bind_ack();
    test_request();
    test_reassembly();
    test_enum_request();
    test_enum_response();
    test_real_stub();
    t_free_all();
    TEST_DONE();
}
