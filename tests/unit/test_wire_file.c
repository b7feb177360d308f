/* SMB2 file commands: request bodies at their MS-SMB2 offsets, response
 * decoding with truncated and out-of-bounds replies, the directory entry
 * iterator, FileAllInformation, SIDs and security descriptors. */
#include "asmb/asmb_errno.h"
#include "test.h"
#include "wire/smb2_file.h"

static const asmb_fid FID = {0x1122334455667788ull, 0x99AABBCCDDEEFF00ull};

/* A whole message: a 64-byte response header for cmd, then the body. */
static size_t mkmsg(uint8_t *out, uint16_t cmd, const uint8_t *body, size_t n)
{
    asmb_smb2_hdr h;
    memset(&h, 0, sizeof h);
    h.command = cmd;
    h.flags = SMB2_FLAGS_SERVER_TO_REDIR;
    h.msg_id = 7;
    asmb__hdr_encode(out, &h);
    memcpy(out + SMB2_HDR_LEN, body, n);
    return SMB2_HDR_LEN + n;
}

static void check_fid(const uint8_t *p)
{
    CHECK(asmb_le64(p) == FID.persistent);
    CHECK(asmb_le64(p + 8) == FID.volatile_);
}

/* Every truncation of a valid message must fail cleanly (the sanitizers
 * catch any read past the end); those cutting the fixed part must fail. */
typedef int (*decode_fn)(const uint8_t *msg, size_t len);
static void check_truncations(const uint8_t *msg, size_t len, size_t min_ok, decode_fn fn)
{
    int bad = 0;
    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, msg, n);
        int rc = fn(copy, n);
        if (n < min_ok && rc != ASMB_EPROTO) bad++;
        free(copy);
    }
    CHECK_EQ_INT(bad, 0);
}

/* ---- CREATE ---- */

static void test_create_encode(void)
{
    asmb_wr w;
    asmb_wr_init(&w);
    asmb_create_req r = {0};
    r.desired_access = SMB2_FILE_READ_DATA | SMB2_SYNCHRONIZE;
    r.file_attributes = SMB2_ATTR_NORMAL;
    r.share_access = SMB2_FILE_SHARE_READ | SMB2_FILE_SHARE_WRITE;
    r.disposition = SMB2_FILE_OPEN_IF;
    r.options = SMB2_FILE_NON_DIRECTORY_FILE;
    r.name = "d\\\xc3\xa9"; /* d\é */
    CHECK_EQ_INT(asmb__create_encode(&w, &r), 0);
    CHECK_EQ_INT(w.len, 56 + 6);
    CHECK_EQ_INT(asmb_le16(w.data), 57);
    CHECK_EQ_INT(w.data[2], 0);                 /* SecurityFlags */
    CHECK_EQ_INT(w.data[3], 0);                 /* RequestedOplockLevel */
    CHECK_EQ_INT(asmb_le32(w.data + 4), 2);     /* ImpersonationLevel */
    CHECK(asmb_le64(w.data + 8) == 0);          /* SmbCreateFlags */
    CHECK_EQ_INT(asmb_le32(w.data + 24), 0x100001);
    CHECK_EQ_INT(asmb_le32(w.data + 28), SMB2_ATTR_NORMAL);
    CHECK_EQ_INT(asmb_le32(w.data + 32), 3);
    CHECK_EQ_INT(asmb_le32(w.data + 36), SMB2_FILE_OPEN_IF);
    CHECK_EQ_INT(asmb_le32(w.data + 40), SMB2_FILE_NON_DIRECTORY_FILE);
    CHECK_EQ_INT(asmb_le16(w.data + 44), 0x78); /* NameOffset */
    CHECK_EQ_INT(asmb_le16(w.data + 46), 6);    /* NameLength */
    CHECK_EQ_INT(asmb_le32(w.data + 48), 0);    /* CreateContextsOffset */
    CHECK_EQ_INT(asmb_le32(w.data + 52), 0);
    CHECK_MEM(w.data + 56, "d\0\\\0\xe9\0", 6);
    asmb_wr_free(&w);

    /* The root: NameLength 0, one byte of Buffer all the same. */
    r.name = "";
    CHECK_EQ_INT(asmb__create_encode(&w, &r), 0);
    CHECK_EQ_INT(w.len, 57);
    CHECK_EQ_INT(asmb_le16(w.data + 44), 0x78);
    CHECK_EQ_INT(asmb_le16(w.data + 46), 0);
    asmb_wr_free(&w);

    /* Contexts: 8-aligned after the name, offsets from the header. */
    static const uint8_t ctx[24] = {0, 0, 0, 0, 16, 0, 4, 0, 0, 0, 24, 0, 0, 0, 0, 0,
                                    'M', 'x', 'A', 'c', 0, 0, 0, 0};
    r.name = "a";
    r.contexts = ctx;
    r.contexts_len = sizeof ctx;
    CHECK_EQ_INT(asmb__create_encode(&w, &r), 0);
    CHECK_EQ_INT(asmb_le16(w.data + 46), 2);
    CHECK_EQ_INT(asmb_le32(w.data + 48), 64 + 64); /* 56 + 2 rounded up to 64 */
    CHECK_EQ_INT(asmb_le32(w.data + 52), sizeof ctx);
    CHECK_EQ_INT(w.len, 64 + sizeof ctx);
    CHECK_MEM(w.data + 64, ctx, sizeof ctx);
    CHECK_MEM(w.data + 58, "\0\0\0\0\0\0", 6);
    asmb_wr_free(&w);

    /* The root with contexts: they start right at 0x78. */
    r.name = "";
    CHECK_EQ_INT(asmb__create_encode(&w, &r), 0);
    CHECK_EQ_INT(asmb_le32(w.data + 48), 0x78);
    CHECK_EQ_INT(w.len, 56 + sizeof ctx);
    asmb_wr_free(&w);

    /* Invalid UTF-8: EINVAL and nothing left behind. */
    r.contexts = NULL;
    r.contexts_len = 0;
    r.name = "bad\xff";
    asmb_wr_u32(&w, 0xdeadbeef);
    CHECK_EQ_INT(asmb__create_encode(&w, &r), ASMB_EINVAL);
    CHECK_EQ_INT(w.len, 4);
    asmb_wr_free(&w);
}

static int create_dec(const uint8_t *m, size_t n)
{
    asmb_create_resp o;
    return asmb__create_decode(m, n, &o);
}

static void create_body(uint8_t b[88])
{
    memset(b, 0, 88);
    asmb_st16(b, 89);
    b[2] = 0;                         /* OplockLevel */
    asmb_st32(b + 4, 2);              /* CreateAction: FILE_CREATED */
    asmb_st64(b + 8, 0x01D000000000001ull);
    asmb_st64(b + 16, 0x01D000000000002ull);
    asmb_st64(b + 24, 0x01D000000000003ull);
    asmb_st64(b + 32, 0x01D000000000004ull);
    asmb_st64(b + 40, 4096);
    asmb_st64(b + 48, 1234);
    asmb_st32(b + 56, SMB2_ATTR_ARCHIVE);
    asmb_st64(b + 64, FID.persistent);
    asmb_st64(b + 72, FID.volatile_);
}

static void test_create_decode(void)
{
    uint8_t body[88 + 8], msg[256];
    memset(body, 0, sizeof body);
    create_body(body);
    size_t len = mkmsg(msg, SMB2_CREATE, body, 88);
    asmb_create_resp o;
    memset(&o, 0xAA, sizeof o);
    CHECK_EQ_INT(asmb__create_decode(msg, len, &o), 0);
    CHECK_EQ_INT(o.oplock, 0);
    CHECK_EQ_INT(o.create_action, 2);
    CHECK(o.t.create_time == 0x01D000000000001ull);
    CHECK(o.t.access_time == 0x01D000000000002ull);
    CHECK(o.t.write_time == 0x01D000000000003ull);
    CHECK(o.t.change_time == 0x01D000000000004ull);
    CHECK(o.t.alloc_size == 4096);
    CHECK(o.t.end_of_file == 1234);
    CHECK_EQ_INT(o.t.attributes, SMB2_ATTR_ARCHIVE);
    CHECK(o.fid.persistent == FID.persistent);
    CHECK(o.fid.volatile_ == FID.volatile_);

    CHECK_EQ_INT(asmb__create_decode(msg, len - 1, &o), ASMB_EPROTO);
    check_truncations(msg, len, len, create_dec);

    /* Contexts inside the message are fine; pointing outside is not. */
    asmb_st32(body + 80, 64 + 88);
    asmb_st32(body + 84, 8);
    len = mkmsg(msg, SMB2_CREATE, body, 96);
    CHECK_EQ_INT(asmb__create_decode(msg, len, &o), 0);
    CHECK_EQ_INT(asmb__create_decode(msg, len - 1, &o), ASMB_EPROTO);
    asmb_st32(body + 84, 9);
    len = mkmsg(msg, SMB2_CREATE, body, 96);
    CHECK_EQ_INT(asmb__create_decode(msg, len, &o), ASMB_EPROTO);
    asmb_st32(body + 80, 0xFFFFFFF8u);
    asmb_st32(body + 84, 0x10);
    len = mkmsg(msg, SMB2_CREATE, body, 96);
    CHECK_EQ_INT(asmb__create_decode(msg, len, &o), ASMB_EPROTO);

    /* A wrong StructureSize. */
    create_body(body);
    asmb_st16(body, 88);
    len = mkmsg(msg, SMB2_CREATE, body, 88);
    CHECK_EQ_INT(asmb__create_decode(msg, len, &o), ASMB_EPROTO);
}

/* ---- CLOSE ---- */

static int close_dec(const uint8_t *m, size_t n)
{
    asmb_file_times t;
    return asmb__close_decode(m, n, &t);
}

static void test_close(void)
{
    asmb_wr w;
    asmb_wr_init(&w);
    CHECK_EQ_INT(asmb__close_encode(&w, FID, SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB), 0);
    CHECK_EQ_INT(w.len, 24);
    CHECK_EQ_INT(asmb_le16(w.data), 24);
    CHECK_EQ_INT(asmb_le16(w.data + 2), 1);
    CHECK_EQ_INT(asmb_le32(w.data + 4), 0);
    check_fid(w.data + 8);
    asmb_wr_free(&w);

    uint8_t body[60], msg[128];
    memset(body, 0, sizeof body);
    asmb_st16(body, 60);
    asmb_st16(body + 2, 1);
    asmb_st64(body + 8, 11);
    asmb_st64(body + 16, 12);
    asmb_st64(body + 24, 13);
    asmb_st64(body + 32, 14);
    asmb_st64(body + 40, 8192);
    asmb_st64(body + 48, 5000);
    asmb_st32(body + 56, SMB2_ATTR_DIRECTORY);
    size_t len = mkmsg(msg, SMB2_CLOSE, body, sizeof body);
    asmb_file_times t;
    memset(&t, 0, sizeof t);
    CHECK_EQ_INT(asmb__close_decode(msg, len, &t), 0);
    CHECK(t.create_time == 11 && t.access_time == 12 && t.write_time == 13 &&
          t.change_time == 14);
    CHECK(t.alloc_size == 8192 && t.end_of_file == 5000);
    CHECK_EQ_INT(t.attributes, SMB2_ATTR_DIRECTORY);
    CHECK_EQ_INT(asmb__close_decode(msg, len, NULL), 0);
    CHECK_EQ_INT(asmb__close_decode(msg, len - 1, &t), ASMB_EPROTO);
    check_truncations(msg, len, len, close_dec);

    /* Without POSTQUERY_ATTRIB the attributes are left alone. */
    asmb_st16(body + 2, 0);
    len = mkmsg(msg, SMB2_CLOSE, body, sizeof body);
    memset(&t, 0x5A, sizeof t);
    CHECK_EQ_INT(asmb__close_decode(msg, len, &t), 0);
    CHECK(t.end_of_file == 0x5A5A5A5A5A5A5A5Aull);
}

/* ---- READ ---- */

static int read_dec(const uint8_t *m, size_t n)
{
    const uint8_t *d;
    size_t dl;
    return asmb__read_decode(m, n, &d, &dl);
}

static void test_read(void)
{
    asmb_wr w;
    asmb_wr_init(&w);
    CHECK_EQ_INT(asmb__read_encode(&w, FID, 0x123456789ull, 65536), 0);
    CHECK_EQ_INT(w.len, 49);
    CHECK_EQ_INT(asmb_le16(w.data), 49);
    CHECK_EQ_INT(w.data[2], 0x50);                 /* Padding */
    CHECK_EQ_INT(w.data[3], 0);                    /* Flags */
    CHECK_EQ_INT(asmb_le32(w.data + 4), 65536);    /* Length */
    CHECK(asmb_le64(w.data + 8) == 0x123456789ull); /* Offset */
    check_fid(w.data + 16);
    CHECK_EQ_INT(asmb_le32(w.data + 32), 0);       /* MinimumCount */
    CHECK_EQ_INT(asmb_le32(w.data + 36), 0);       /* Channel */
    CHECK_EQ_INT(asmb_le32(w.data + 40), 0);       /* RemainingBytes */
    CHECK_EQ_INT(asmb_le16(w.data + 44), 0);
    CHECK_EQ_INT(asmb_le16(w.data + 46), 0);
    CHECK_EQ_INT(w.data[48], 0);
    asmb_wr_free(&w);

    uint8_t body[16 + 5], msg[128];
    memset(body, 0, sizeof body);
    asmb_st16(body, 17);
    body[2] = 0x50;
    asmb_st32(body + 4, 5);
    memcpy(body + 16, "hello", 5);
    size_t len = mkmsg(msg, SMB2_READ, body, sizeof body);
    const uint8_t *d = NULL;
    size_t dl = 0;
    CHECK_EQ_INT(asmb__read_decode(msg, len, &d, &dl), 0);
    CHECK_EQ_INT(dl, 5);
    CHECK(d == msg + 0x50);
    CHECK_MEM(d, "hello", 5);
    CHECK_EQ_INT(asmb__read_decode(msg, len - 1, &d, &dl), ASMB_EPROTO);
    check_truncations(msg, len, len, read_dec);

    asmb_st32(msg + 64 + 4, 6); /* DataLength past the end */
    CHECK_EQ_INT(asmb__read_decode(msg, len, &d, &dl), ASMB_EPROTO);
    asmb_st32(msg + 64 + 4, 0xFFFFFFFFu);
    CHECK_EQ_INT(asmb__read_decode(msg, len, &d, &dl), ASMB_EPROTO);
    asmb_st32(msg + 64 + 4, 5);
    msg[64 + 2] = 0x10; /* DataOffset inside the header */
    CHECK_EQ_INT(asmb__read_decode(msg, len, &d, &dl), ASMB_EPROTO);
    msg[64 + 2] = 0xF0; /* DataOffset past the end */
    CHECK_EQ_INT(asmb__read_decode(msg, len, &d, &dl), ASMB_EPROTO);
    asmb_st32(msg + 64 + 4, 0); /* nothing read: fine */
    CHECK_EQ_INT(asmb__read_decode(msg, len, &d, &dl), 0);
    CHECK_EQ_INT(dl, 0);
}

/* ---- WRITE ---- */

static int write_dec(const uint8_t *m, size_t n)
{
    uint32_t c;
    return asmb__write_decode(m, n, &c);
}

static void test_write(void)
{
    asmb_wr w;
    asmb_wr_init(&w);
    CHECK_EQ_INT(asmb__write_encode(&w, FID, 4096, "abc", 3), 48);
    CHECK_EQ_INT(w.len, 51);
    CHECK_EQ_INT(asmb_le16(w.data), 49);
    CHECK_EQ_INT(asmb_le16(w.data + 2), 0x70);  /* DataOffset */
    CHECK_EQ_INT(asmb_le32(w.data + 4), 3);     /* Length */
    CHECK(asmb_le64(w.data + 8) == 4096);       /* Offset */
    check_fid(w.data + 16);
    CHECK_EQ_INT(asmb_le32(w.data + 32), 0);    /* Channel */
    CHECK_EQ_INT(asmb_le32(w.data + 44), 0);    /* Flags */
    CHECK_MEM(w.data + 48, "abc", 3);
    asmb_wr_free(&w);

    /* After a header already in the writer: the data's position in it. */
    asmb_wr_zero(&w, SMB2_HDR_LEN);
    CHECK_EQ_INT(asmb__write_encode(&w, FID, 0, NULL, 4), 64 + 48);
    CHECK_EQ_INT(w.len, 64 + 52);
    CHECK_MEM(w.data + 112, "\0\0\0\0", 4);
    asmb_wr_free(&w);

    CHECK_EQ_INT(asmb__write_encode(&w, FID, 0, NULL, 0), 48);
    CHECK_EQ_INT(w.len, 49);
    CHECK_EQ_INT(asmb_le32(w.data + 4), 0);
    asmb_wr_free(&w);

    uint8_t body[16], msg[96];
    memset(body, 0, sizeof body);
    asmb_st16(body, 17);
    asmb_st32(body + 4, 70000);
    size_t len = mkmsg(msg, SMB2_WRITE, body, sizeof body);
    uint32_t count = 0;
    CHECK_EQ_INT(asmb__write_decode(msg, len, &count), 0);
    CHECK_EQ_INT(count, 70000);
    CHECK_EQ_INT(asmb__write_decode(msg, len - 1, &count), ASMB_EPROTO);
    check_truncations(msg, len, len, write_dec);
}

/* ---- QUERY_DIRECTORY ---- */

static int qdir_dec(const uint8_t *m, size_t n)
{
    const uint8_t *b;
    size_t bl;
    return asmb__query_directory_decode(m, n, &b, &bl);
}

static void test_query_directory(void)
{
    asmb_wr w;
    asmb_wr_init(&w);
    CHECK_EQ_INT(asmb__query_directory_encode(&w, FID, SMB2_RESTART_SCANS, "*.txt", 65536), 0);
    CHECK_EQ_INT(w.len, 32 + 10);
    CHECK_EQ_INT(asmb_le16(w.data), 33);
    CHECK_EQ_INT(w.data[2], 0x25);
    CHECK_EQ_INT(w.data[3], SMB2_RESTART_SCANS);
    CHECK_EQ_INT(asmb_le32(w.data + 4), 0);     /* FileIndex */
    check_fid(w.data + 8);
    CHECK_EQ_INT(asmb_le16(w.data + 24), 0x60); /* FileNameOffset */
    CHECK_EQ_INT(asmb_le16(w.data + 26), 10);   /* FileNameLength */
    CHECK_EQ_INT(asmb_le32(w.data + 28), 65536);
    CHECK_MEM(w.data + 32, "*\0.\0t\0x\0t\0", 10);
    asmb_wr_free(&w);

    CHECK_EQ_INT(asmb__query_directory_encode(&w, FID, 0, NULL, 1024), 0);
    CHECK_EQ_INT(asmb_le16(w.data + 26), 2);
    CHECK_MEM(w.data + 32, "*\0", 2);
    asmb_wr_free(&w);

    uint8_t body[8 + 12], msg[128];
    memset(body, 0, sizeof body);
    asmb_st16(body, 9);
    asmb_st16(body + 2, 0x48);
    asmb_st32(body + 4, 12);
    memcpy(body + 8, "entries-here", 12);
    size_t len = mkmsg(msg, SMB2_QUERY_DIRECTORY, body, sizeof body);
    const uint8_t *b = NULL;
    size_t bl = 0;
    CHECK_EQ_INT(asmb__query_directory_decode(msg, len, &b, &bl), 0);
    CHECK_EQ_INT(bl, 12);
    CHECK(b == msg + 0x48);
    CHECK_EQ_INT(asmb__query_directory_decode(msg, len - 1, &b, &bl), ASMB_EPROTO);
    check_truncations(msg, len, len, qdir_dec);
    asmb_st16(msg + 64 + 2, 0x49);
    CHECK_EQ_INT(asmb__query_directory_decode(msg, len, &b, &bl), ASMB_EPROTO);
    asmb_st16(msg + 64 + 2, 0x48);
    asmb_st32(msg + 64 + 4, 0x80000000u);
    CHECK_EQ_INT(asmb__query_directory_decode(msg, len, &b, &bl), ASMB_EPROTO);
    asmb_st16(msg + 64 + 2, 0x20);
    asmb_st32(msg + 64 + 4, 4);
    CHECK_EQ_INT(asmb__query_directory_decode(msg, len, &b, &bl), ASMB_EPROTO);
}

/* One FileIdBothDirectoryInformation entry at p; returns its unpadded size. */
static size_t put_entry(uint8_t *p, uint32_t next, const char *name, const char *short_name,
                        uint64_t id)
{
    asmb_wr n;
    asmb_wr_init(&n);
    asmb_utf8_to_utf16le(&n, name, strlen(name));
    memset(p, 0, 104);
    asmb_st32(p, next);
    asmb_st32(p + 4, 0);
    asmb_st64(p + 8, id * 10 + 1);
    asmb_st64(p + 16, id * 10 + 2);
    asmb_st64(p + 24, id * 10 + 3);
    asmb_st64(p + 32, id * 10 + 4);
    asmb_st64(p + 40, id * 100);  /* EndOfFile */
    asmb_st64(p + 48, 4096);      /* AllocationSize */
    asmb_st32(p + 56, SMB2_ATTR_ARCHIVE);
    asmb_st32(p + 60, (uint32_t)n.len);
    if (short_name) {
        asmb_wr s;
        asmb_wr_init(&s);
        asmb_utf8_to_utf16le(&s, short_name, strlen(short_name));
        p[68] = (uint8_t)s.len;
        memcpy(p + 70, s.data, s.len);
        asmb_wr_free(&s);
    }
    asmb_st64(p + 96, id);
    memcpy(p + 104, n.data, n.len);
    size_t sz = 104 + n.len;
    asmb_wr_free(&n);
    return sz;
}

/* Two entries: "long name.txt" (short name LONGNA~1.TXT) at 0, "é文" at 136. */
static size_t two_entries(uint8_t *buf)
{
    memset(buf, 0, 512);
    size_t a = put_entry(buf, 0, "long name.txt", "LONGNA~1.TXT", 1);
    size_t next = (a + 7) & ~(size_t)7;
    put_entry(buf, (uint32_t)next, "long name.txt", "LONGNA~1.TXT", 1);
    size_t b = put_entry(buf + next, 0, "\xc3\xa9\xe6\x96\x87", NULL, 2);
    return next + b;
}

static void test_dir_iter(void)
{
    uint8_t buf[512];
    size_t len = two_entries(buf);
    CHECK_EQ_INT(len, 136 + 108);
    asmb_dir_iter it;
    asmb_dir_entry e;
    asmb__dir_iter_init(&it, buf, len);
    CHECK_EQ_INT(asmb__dir_iter_next(&it, &e), 1);
    CHECK(e.file_id == 1);
    CHECK(e.t.create_time == 11 && e.t.access_time == 12 && e.t.write_time == 13 &&
          e.t.change_time == 14);
    CHECK(e.t.end_of_file == 100 && e.t.alloc_size == 4096);
    CHECK_EQ_INT(e.t.attributes, SMB2_ATTR_ARCHIVE);
    CHECK_EQ_INT(e.name_len, 26);
    CHECK(e.name == buf + 104);
    CHECK_MEM(e.name, "l\0o\0n\0g\0 \0", 10);
    CHECK_EQ_INT(e.short_name_len, 24);
    CHECK_MEM(e.short_name, "L\0O\0N\0G\0N\0A\0~\0" "1\0.\0T\0X\0T\0", 24);
    CHECK_EQ_INT(asmb__dir_iter_next(&it, &e), 1);
    CHECK(e.file_id == 2);
    CHECK(e.t.end_of_file == 200);
    CHECK_EQ_INT(e.name_len, 4);
    CHECK_MEM(e.name, "\xe9\x00\x87\x65", 4);
    CHECK_EQ_INT(e.short_name_len, 0);
    CHECK_EQ_INT(asmb__dir_iter_next(&it, &e), 0);
    CHECK_EQ_INT(asmb__dir_iter_next(&it, &e), 0);

    /* An empty buffer holds nothing. */
    asmb__dir_iter_init(&it, buf, 0);
    CHECK_EQ_INT(asmb__dir_iter_next(&it, &e), 0);

    /* A NextEntryOffset that loops back (-136): the first entry, then an
     * error, which stays. */
    len = two_entries(buf);
    asmb_st32(buf + 136, (uint32_t)-136);
    asmb__dir_iter_init(&it, buf, len);
    CHECK_EQ_INT(asmb__dir_iter_next(&it, &e), 1);
    CHECK_EQ_INT(asmb__dir_iter_next(&it, &e), ASMB_EPROTO);
    CHECK_EQ_INT(asmb__dir_iter_next(&it, &e), ASMB_EPROTO);

    /* One that points at itself (0 ends, so: one shorter than an entry). */
    len = two_entries(buf);
    asmb_st32(buf, 8);
    asmb__dir_iter_init(&it, buf, len);
    CHECK_EQ_INT(asmb__dir_iter_next(&it, &e), ASMB_EPROTO);

    /* One shorter than the entry's own name. */
    len = two_entries(buf);
    asmb_st32(buf, 120);
    asmb__dir_iter_init(&it, buf, len);
    CHECK_EQ_INT(asmb__dir_iter_next(&it, &e), ASMB_EPROTO);

    /* Unaligned but forward and in bounds: accepted. */
    len = two_entries(buf);
    memmove(buf + 131, buf + 136, len - 136);
    asmb_st32(buf, 131);
    asmb__dir_iter_init(&it, buf, len - 5);
    CHECK_EQ_INT(asmb__dir_iter_next(&it, &e), 1);
    CHECK_EQ_INT(asmb__dir_iter_next(&it, &e), 1);
    CHECK(e.file_id == 2);
    CHECK_EQ_INT(asmb__dir_iter_next(&it, &e), 0);

    /* One past the end, or leaving no room for the next entry. */
    len = two_entries(buf);
    asmb_st32(buf, (uint32_t)len + 8);
    asmb__dir_iter_init(&it, buf, len);
    CHECK_EQ_INT(asmb__dir_iter_next(&it, &e), ASMB_EPROTO);
    asmb_st32(buf, (uint32_t)len - 8);
    asmb__dir_iter_init(&it, buf, len);
    CHECK_EQ_INT(asmb__dir_iter_next(&it, &e), ASMB_EPROTO);

    /* The last entry's name running past the end. */
    len = two_entries(buf);
    asmb_st32(buf + 136 + 60, 6);
    asmb__dir_iter_init(&it, buf, len);
    CHECK_EQ_INT(asmb__dir_iter_next(&it, &e), 1);
    CHECK_EQ_INT(asmb__dir_iter_next(&it, &e), ASMB_EPROTO);
    asmb_st32(buf + 136 + 60, 0xFFFFFFFFu);
    asmb__dir_iter_init(&it, buf, len);
    CHECK_EQ_INT(asmb__dir_iter_next(&it, &e), 1);
    CHECK_EQ_INT(asmb__dir_iter_next(&it, &e), ASMB_EPROTO);

    /* ShortNameLength 25. */
    len = two_entries(buf);
    buf[68] = 25;
    asmb__dir_iter_init(&it, buf, len);
    CHECK_EQ_INT(asmb__dir_iter_next(&it, &e), ASMB_EPROTO);

    /* A buffer cut inside the fixed part. */
    len = two_entries(buf);
    asmb__dir_iter_init(&it, buf, 103);
    CHECK_EQ_INT(asmb__dir_iter_next(&it, &e), ASMB_EPROTO);
    asmb__dir_iter_init(&it, buf, 136 + 103);
    CHECK_EQ_INT(asmb__dir_iter_next(&it, &e), ASMB_EPROTO); /* no room for entry 2 */

    /* Every truncation and a run of byte mutations stay in bounds (the
     * sanitizers would tell) and walk a bounded number of steps. */
    int runaway = 0;
    uint32_t x = 0x12345678u;
    for (int round = 0; round < 4000; round++) {
        len = two_entries(buf);
        size_t n = len;
        if (round < (int)len) {
            n = (size_t)round;
        } else {
            for (int k = 0; k < 3; k++) {
                x ^= x << 13, x ^= x >> 17, x ^= x << 5;
                buf[x % len] = (uint8_t)(x >> 8);
            }
        }
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, buf, n);
        asmb__dir_iter_init(&it, copy, n);
        int steps = 0, rc;
        while ((rc = asmb__dir_iter_next(&it, &e)) == 1) {
            if (e.name + e.name_len > copy + n || e.short_name_len > 24) runaway++;
            if (++steps > 10) break;
        }
        if (steps > 2) runaway++;
        free(copy);
    }
    CHECK_EQ_INT(runaway, 0);
}

/* ---- QUERY_INFO ---- */

static int qinfo_dec(const uint8_t *m, size_t n)
{
    const uint8_t *b;
    size_t bl;
    return asmb__query_info_decode(m, n, &b, &bl);
}

static void test_query_info(void)
{
    asmb_wr w;
    asmb_wr_init(&w);
    CHECK_EQ_INT(asmb__query_info_encode(&w, FID, SMB2_0_INFO_SECURITY, 0,
                                         SMB2_OWNER_SECURITY_INFORMATION |
                                             SMB2_DACL_SECURITY_INFORMATION,
                                         4096),
                 0);
    CHECK_EQ_INT(w.len, 41);
    CHECK_EQ_INT(asmb_le16(w.data), 41);
    CHECK_EQ_INT(w.data[2], SMB2_0_INFO_SECURITY);
    CHECK_EQ_INT(w.data[3], 0);
    CHECK_EQ_INT(asmb_le32(w.data + 4), 4096);   /* OutputBufferLength */
    CHECK_EQ_INT(asmb_le16(w.data + 8), 0x68);   /* InputBufferOffset */
    CHECK_EQ_INT(asmb_le32(w.data + 12), 0);     /* InputBufferLength */
    CHECK_EQ_INT(asmb_le32(w.data + 16), 5);     /* AdditionalInformation */
    CHECK_EQ_INT(asmb_le32(w.data + 20), 0);     /* Flags */
    check_fid(w.data + 24);
    asmb_wr_free(&w);

    CHECK_EQ_INT(asmb__query_info_encode(&w, FID, SMB2_0_INFO_FILE, SMB2_FILE_ALL_INFORMATION,
                                         0, 1024),
                 0);
    CHECK_EQ_INT(w.data[2], 1);
    CHECK_EQ_INT(w.data[3], 18);
    asmb_wr_free(&w);

    uint8_t body[8 + 40], msg[128];
    memset(body, 0, sizeof body);
    asmb_st16(body, 9);
    asmb_st16(body + 2, 0x48);
    asmb_st32(body + 4, 40);
    for (int i = 0; i < 40; i++) body[8 + i] = (uint8_t)i;
    size_t len = mkmsg(msg, SMB2_QUERY_INFO, body, sizeof body);
    const uint8_t *b = NULL;
    size_t bl = 0;
    CHECK_EQ_INT(asmb__query_info_decode(msg, len, &b, &bl), 0);
    CHECK_EQ_INT(bl, 40);
    CHECK(b == msg + 0x48);
    CHECK_EQ_INT(asmb__query_info_decode(msg, len - 1, &b, &bl), ASMB_EPROTO);
    check_truncations(msg, len, len, qinfo_dec);
    asmb_st16(msg + 64 + 2, 0xFFFF);
    CHECK_EQ_INT(asmb__query_info_decode(msg, len, &b, &bl), ASMB_EPROTO);
    asmb_st16(msg + 64 + 2, 0x48);
    asmb_st32(msg + 64 + 4, 41);
    CHECK_EQ_INT(asmb__query_info_decode(msg, len, &b, &bl), ASMB_EPROTO);
}

static void test_all_info(void)
{
    uint8_t b[100 + 8];
    memset(b, 0, sizeof b);
    asmb_st64(b, 101);
    asmb_st64(b + 8, 102);
    asmb_st64(b + 16, 103);
    asmb_st64(b + 24, 104);
    asmb_st32(b + 32, SMB2_ATTR_DIRECTORY | SMB2_ATTR_HIDDEN);
    asmb_st64(b + 40, 65536);    /* AllocationSize */
    asmb_st64(b + 48, 65000);    /* EndOfFile */
    asmb_st32(b + 56, 3);        /* NumberOfLinks */
    b[60] = 1;                   /* DeletePending */
    b[61] = 1;                   /* Directory */
    asmb_st64(b + 64, 0xABCDEF); /* IndexNumber */
    asmb_st32(b + 96, 8);
    memcpy(b + 100, "\\\0d\0i\0r\0", 8);
    asmb_all_info ai;
    memset(&ai, 0, sizeof ai);
    CHECK_EQ_INT(asmb__parse_all_info(b, sizeof b, &ai), 0);
    CHECK(ai.t.create_time == 101 && ai.t.access_time == 102 && ai.t.write_time == 103 &&
          ai.t.change_time == 104);
    CHECK_EQ_INT(ai.t.attributes, 0x12);
    CHECK(ai.t.alloc_size == 65536 && ai.t.end_of_file == 65000);
    CHECK_EQ_INT(ai.nlinks, 3);
    CHECK_EQ_INT(ai.delete_pending, 1);
    CHECK_EQ_INT(ai.directory, 1);
    CHECK(ai.file_id == 0xABCDEF);
    CHECK_EQ_INT(asmb__parse_all_info(b, 100, &ai), 0);
    CHECK_EQ_INT(asmb__parse_all_info(b, 96, &ai), 0);
    CHECK_EQ_INT(asmb__parse_all_info(b, 95, &ai), ASMB_EPROTO);
    CHECK_EQ_INT(asmb__parse_all_info(b, 0, &ai), ASMB_EPROTO);
}

/* ---- SET_INFO ---- */

static void test_set_info(void)
{
    asmb_wr info, w;
    asmb_wr_init(&info);
    asmb_wr_init(&w);
    asmb_file_times t;
    memset(&t, 0, sizeof t);
    t.write_time = 0x01D9000000000000ull;
    t.attributes = SMB2_ATTR_READONLY;
    CHECK_EQ_INT(asmb__info_basic(&info, &t), 0);
    CHECK_EQ_INT(info.len, 40);
    CHECK(asmb_le64(info.data) == 0 && asmb_le64(info.data + 8) == 0);
    CHECK(asmb_le64(info.data + 16) == 0x01D9000000000000ull);
    CHECK(asmb_le64(info.data + 24) == 0);
    CHECK_EQ_INT(asmb_le32(info.data + 32), 1);
    CHECK_EQ_INT(asmb_le32(info.data + 36), 0);

    CHECK_EQ_INT(asmb__set_info_encode(&w, FID, SMB2_0_INFO_FILE, SMB2_FILE_BASIC_INFORMATION,
                                       0, info.data, (uint32_t)info.len),
                 0);
    CHECK_EQ_INT(w.len, 32 + 40);
    CHECK_EQ_INT(asmb_le16(w.data), 33);
    CHECK_EQ_INT(w.data[2], 1);
    CHECK_EQ_INT(w.data[3], 4);
    CHECK_EQ_INT(asmb_le32(w.data + 4), 40);   /* BufferLength */
    CHECK_EQ_INT(asmb_le16(w.data + 8), 0x60); /* BufferOffset */
    CHECK_EQ_INT(asmb_le16(w.data + 10), 0);
    CHECK_EQ_INT(asmb_le32(w.data + 12), 0);   /* AdditionalInformation */
    check_fid(w.data + 16);
    CHECK_MEM(w.data + 32, info.data, 40);
    asmb_wr_free(&w);
    asmb_wr_free(&info);

    CHECK_EQ_INT(asmb__set_info_encode(&w, FID, SMB2_0_INFO_SECURITY, 0, 4, NULL, 0), 0);
    CHECK_EQ_INT(w.len, 33);
    CHECK_EQ_INT(asmb_le32(w.data + 4), 0);
    CHECK_EQ_INT(asmb_le32(w.data + 12), 4);
    asmb_wr_free(&w);
    CHECK_EQ_INT(asmb__set_info_encode(&w, FID, 1, 4, 0, NULL, 4), ASMB_EINVAL);
    asmb_wr_free(&w);

    /* Rename: a short name is padded to 24 bytes. */
    CHECK_EQ_INT(asmb__info_rename(&info, 1, "b"), 0);
    CHECK_EQ_INT(info.len, 24);
    CHECK_EQ_INT(info.data[0], 1);
    CHECK_MEM(info.data + 1, "\0\0\0\0\0\0\0", 7);
    CHECK(asmb_le64(info.data + 8) == 0);
    CHECK_EQ_INT(asmb_le32(info.data + 16), 2);
    CHECK_MEM(info.data + 20, "b\0\0\0", 4);
    asmb_wr_free(&info);
    CHECK_EQ_INT(asmb__info_rename(&info, 0, "dir\\new.txt"), 0);
    CHECK_EQ_INT(info.len, 20 + 22);
    CHECK_EQ_INT(info.data[0], 0);
    CHECK_EQ_INT(asmb_le32(info.data + 16), 22);
    CHECK_MEM(info.data + 20, "d\0i\0r\0\\\0n\0e\0w\0.\0t\0x\0t\0", 22);
    asmb_wr_free(&info);
    CHECK_EQ_INT(asmb__info_rename(&info, 0, ""), ASMB_EINVAL);
    CHECK_EQ_INT(asmb__info_rename(&info, 0, "x\xc0\x80"), ASMB_EINVAL);
    CHECK_EQ_INT(info.len, 0);
    asmb_wr_free(&info);

    CHECK_EQ_INT(asmb__info_disposition(&info, 7), 0);
    CHECK_EQ_INT(info.len, 1);
    CHECK_EQ_INT(info.data[0], 1);
    asmb_wr_free(&info);
    CHECK_EQ_INT(asmb__info_end_of_file(&info, 0x100000001ull), 0);
    CHECK_EQ_INT(info.len, 8);
    CHECK(asmb_le64(info.data) == 0x100000001ull);
    asmb_wr_free(&info);

    uint8_t body[2] = {2, 0}, msg[80];
    size_t len = mkmsg(msg, SMB2_SET_INFO, body, 2);
    CHECK_EQ_INT(asmb__set_info_decode(msg, len), 0);
    CHECK_EQ_INT(asmb__set_info_decode(msg, len - 1), ASMB_EPROTO);
    CHECK_EQ_INT(asmb__set_info_decode(msg, 10), ASMB_EPROTO);
    msg[64] = 4;
    CHECK_EQ_INT(asmb__set_info_decode(msg, len), ASMB_EPROTO);
}

/* ---- SIDs and security descriptors ---- */

static void check_sid(const char *hex, int want_rc, const char *want)
{
    size_t n;
    uint8_t *b = t_unhex(hex, &n);
    asmb_sid_str s;
    memset(&s, 0, sizeof s);
    int rc = asmb__sid_format(b, n, &s);
    CHECK_EQ_INT(rc, want_rc);
    if (want && strcmp(s.s, want) != 0) {
        fprintf(stderr, "SID %s: want %s, got %s\n", hex, want, s.s);
        CHECK(0);
    }
    free(b);
}

#define SID_DOMAIN "010500000000000515000000010000000200000003000000f4010000"

static void test_sid(void)
{
    check_sid("010100000000000512000000", 12, "S-1-5-18");
    check_sid("010100000000000100000000", 12, "S-1-1-0");
    check_sid(SID_DOMAIN, 28, "S-1-5-21-1-2-3-500");
    check_sid(SID_DOMAIN "ffff", 28, "S-1-5-21-1-2-3-500"); /* trailing bytes not consumed */
    check_sid("0102000000000005200000002002000000", 16, "S-1-5-32-544");
    check_sid("0100000000000005", 8, "S-1-5");
    check_sid("01010000ffffffffffffffff", 12, "S-1-4294967295-4294967295");
    check_sid("010100010000000000000000", 12, "S-1-0x000100000000-0");
    check_sid("0101ABCDEF01234500000000", 12, "S-1-0xABCDEF012345-0");
    check_sid("020100000000000512000000", ASMB_EPROTO, NULL); /* revision 2 */
    check_sid("0110000000000005"
              "01000000010000000100000001000000010000000100000001000000010000000100000001000000"
              "010000000100000001000000010000000100000001000000",
              ASMB_EPROTO, NULL); /* 16 sub-authorities */
    check_sid("010500000000000515000000010000000200000003000000f40100", ASMB_EPROTO, NULL);
    check_sid("01010000000000051200", ASMB_EPROTO, NULL);
    check_sid("01010000000005", ASMB_EPROTO, NULL);
    check_sid("", ASMB_EPROTO, NULL);

    /* 15 sub-authorities of 4294967295 and a hex authority: the longest. */
    char hex[200] = "010fffffffffffff";
    for (int i = 0; i < 15; i++) strcat(hex, "ffffffff");
    size_t n;
    uint8_t *b = t_unhex(hex, &n);
    asmb_sid_str s;
    CHECK_EQ_INT(asmb__sid_format(b, n, &s), 68);
    CHECK_EQ_INT(strlen(s.s), 6 + 12 + 15 * 11);
    CHECK(strncmp(s.s, "S-1-0xFFFFFFFFFFFF-4294967295-", 30) == 0);
    free(b);
}

/* Owner S-1-5-21-1-2-3-500 at 20, group S-1-5-18 at 48, DACL at 60:
 * ALLOWED (CI|OI) 0x1F01FF to S-1-1-0, DENIED DELETE to the owner. */
#define SD_HDR "0100" "0480" "14000000" "30000000" "00000000" "3c000000"
#define SD_OWNER SID_DOMAIN
#define SD_GROUP "010100000000000512000000"
#define SD_ACE1 "0003" "1400" "ff011f00" "010100000000000100000000"
#define SD_ACE2 "0000" "2400" "00000100" SID_DOMAIN
#define SD_HEX(aclsize, ace2size) \
    SD_HDR SD_OWNER SD_GROUP "0200" aclsize "0200" "0000" SD_ACE1 "0100" ace2size "00000100" SID_DOMAIN

static int sd_parse_hex(const char *hex, asmb_secdesc *sd)
{
    size_t n;
    uint8_t *b = t_unhex(hex, &n);
    int rc = asmb__secdesc_parse(b, n, sd);
    free(b);
    return rc;
}

static void test_secdesc(void)
{
    asmb_secdesc sd;
    CHECK_EQ_INT(sd_parse_hex(SD_HEX("4000", "2400"), &sd), 0);
    CHECK_EQ_INT(sd.control, 0x8004);
    CHECK(sd.has_owner && sd.has_group && sd.has_dacl);
    CHECK(strcmp(sd.owner.s, "S-1-5-21-1-2-3-500") == 0);
    CHECK(strcmp(sd.group.s, "S-1-5-18") == 0);
    CHECK_EQ_INT(sd.nace, 2);
    if (sd.nace == 2) {
        CHECK_EQ_INT(sd.aces[0].type, 0);
        CHECK_EQ_INT(sd.aces[0].flags, 3);
        CHECK_EQ_INT(sd.aces[0].mask, 0x1F01FF);
        CHECK(strcmp(sd.aces[0].sid.s, "S-1-1-0") == 0);
        CHECK_EQ_INT(sd.aces[1].type, 1);
        CHECK_EQ_INT(sd.aces[1].flags, 0);
        CHECK_EQ_INT(sd.aces[1].mask, 0x10000);
        CHECK(strcmp(sd.aces[1].sid.s, "S-1-5-21-1-2-3-500") == 0);
    }
    asmb__secdesc_free(&sd);
    CHECK(sd.aces == NULL && sd.nace == 0);

    /* The second ACE runs past AclSize (but not past the buffer). */
    CHECK_EQ_INT(sd_parse_hex(SD_HEX("4000", "2800") "00000000", &sd), ASMB_EPROTO);
    CHECK(sd.aces == NULL && sd.nace == 0);
    /* AclSize past the buffer; AceSize under 8; AceCount beyond what fits. */
    CHECK_EQ_INT(sd_parse_hex(SD_HEX("4400", "2400"), &sd), ASMB_EPROTO);
    CHECK_EQ_INT(sd_parse_hex(SD_HEX("4000", "0400"), &sd), ASMB_EPROTO);
    CHECK_EQ_INT(sd_parse_hex(SD_HDR SD_OWNER SD_GROUP "0200" "4000" "e803" "0000" SD_ACE1
                              SD_ACE2, &sd),
                 ASMB_EPROTO);
    /* A SID that runs past its ACE. */
    CHECK_EQ_INT(sd_parse_hex(SD_HDR SD_OWNER SD_GROUP "0200" "3c00" "0200" "0000" SD_ACE1
                              "0000" "2000" "00000100" SID_DOMAIN, &sd),
                 ASMB_EPROTO);
    /* Owner offset outside, inside the header, revision 2, truncated header. */
    CHECK_EQ_INT(sd_parse_hex("0100" "0480" "00010000" "00000000" "00000000" "00000000", &sd),
                 ASMB_EPROTO);
    CHECK_EQ_INT(sd_parse_hex("0100" "0480" "04000000" "00000000" "00000000" "00000000", &sd),
                 ASMB_EPROTO);
    CHECK_EQ_INT(sd_parse_hex("0200" "0480" "00000000" "00000000" "00000000" "00000000", &sd),
                 ASMB_EPROTO);
    CHECK_EQ_INT(sd_parse_hex("0100" "0480" "00000000" "00000000" "00000000" "000000", &sd),
                 ASMB_EPROTO);

    /* Nothing but a header; a NULL DACL (present, offset 0); an empty DACL. */
    CHECK_EQ_INT(sd_parse_hex("0100" "0080" "00000000" "00000000" "00000000" "00000000", &sd),
                 0);
    CHECK(!sd.has_owner && !sd.has_group && !sd.has_dacl && sd.nace == 0);
    CHECK_EQ_INT(sd_parse_hex("0100" "0480" "00000000" "00000000" "00000000" "00000000", &sd),
                 0);
    CHECK(!sd.has_dacl && (sd.control & 4));
    CHECK_EQ_INT(sd_parse_hex("0100" "0480" "00000000" "00000000" "00000000" "14000000"
                              "0200" "0800" "0000" "0000", &sd),
                 0);
    CHECK(sd.has_dacl && sd.nace == 0 && sd.aces == NULL);
    asmb__secdesc_free(&sd);

    /* An object ACE with an ObjectType GUID, and a mandatory label ACE
     * (type 0x11: recorded without its SID). */
    CHECK_EQ_INT(sd_parse_hex("0100" "0480" "00000000" "00000000" "00000000" "14000000"
                              "0400" "4400" "0200" "0000"
                              "0502" "2800" "30000000" "01000000"
                              "00112233445566778899aabbccddeeff" SD_GROUP
                              "1100" "1400" "01000000" "010100000000001000300000",
                              &sd),
                 0);
    CHECK_EQ_INT(sd.nace, 2);
    if (sd.nace == 2) {
        CHECK_EQ_INT(sd.aces[0].type, 5);
        CHECK_EQ_INT(sd.aces[0].flags, 2);
        CHECK_EQ_INT(sd.aces[0].mask, 0x30);
        CHECK(strcmp(sd.aces[0].sid.s, "S-1-5-18") == 0);
        CHECK_EQ_INT(sd.aces[1].type, 0x11);
        CHECK_EQ_INT(sd.aces[1].mask, 1);
        CHECK(sd.aces[1].sid.s[0] == 0);
    }
    asmb__secdesc_free(&sd);
    /* The same object ACE claiming both GUIDs: its SID no longer fits. */
    CHECK_EQ_INT(sd_parse_hex("0100" "0480" "00000000" "00000000" "00000000" "14000000"
                              "0400" "3000" "0100" "0000"
                              "0502" "2800" "30000000" "03000000"
                              "00112233445566778899aabbccddeeff" SD_GROUP,
                              &sd),
                 ASMB_EPROTO);

    /* Truncations and mutations of the valid descriptor: clean failures,
     * no leaks (the sanitizer checks both). */
    size_t n;
    uint8_t *good = t_unhex(SD_HEX("4000", "2400"), &n);
    int bad = 0;
    uint32_t x = 0x9E3779B9u;
    for (int round = 0; round < 4000; round++) {
        size_t m = n;
        uint8_t *b = malloc(n);
        memcpy(b, good, n);
        if (round < (int)n) {
            m = (size_t)round;
        } else {
            for (int k = 0; k < 2; k++) {
                x ^= x << 13, x ^= x >> 17, x ^= x << 5;
                b[x % n] = (uint8_t)(x >> 8);
            }
        }
        uint8_t *c = malloc(m ? m : 1);
        memcpy(c, b, m);
        int rc = asmb__secdesc_parse(c, m, &sd);
        if (rc == 0) {
            if (sd.nace > (m / 8)) bad++;
            asmb__secdesc_free(&sd);
        } else if (sd.aces || sd.nace) {
            bad++;
        }
        if (round < (int)n && rc != ASMB_EPROTO) bad++; /* every truncation cuts the DACL */
        free(c);
        free(b);
    }
    free(good);
    CHECK_EQ_INT(bad, 0);
}

int main(void)
{
    test_create_encode();
    test_create_decode();
    test_close();
    test_read();
    test_write();
    test_query_directory();
    test_dir_iter();
    test_query_info();
    test_all_info();
    test_set_info();
    test_sid();
    test_secdesc();
    TEST_DONE();
}
