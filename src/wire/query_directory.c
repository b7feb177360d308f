/* QUERY_DIRECTORY request and response (MS-SMB2 2.2.33, 2.2.34) and the
 * FileIdBothDirectoryInformation entries they carry (MS-FSCC 2.4.17). */
#include <string.h>

#include "asmb/asmb_errno.h"
#include "smb2_file.h"

#define QDIR_REQ_FIXED 32 /* FileName at 64 + 32 = 0x60 */
#define DIRENT_FIXED 104  /* FileIdBothDirectoryInformation up to FileName */

int asmb__query_directory_encode(asmb_wr *w, asmb_fid fid, uint8_t flags, const char *pattern,
                                 uint32_t out_len)
{
    /* An empty search pattern is not portable across servers: ask for "*". */
    if (!pattern || !*pattern) pattern = "*";
    size_t start = w->len;
    asmb_wr_u16(w, 33);
    asmb_wr_u8(w, SMB2_FILE_ID_BOTH_DIRECTORY_INFORMATION);
    asmb_wr_u8(w, flags);
    asmb_wr_u32(w, 0); /* FileIndex */
    asmb_wr_u64(w, fid.persistent);
    asmb_wr_u64(w, fid.volatile_);
    asmb_wr_u16(w, SMB2_HDR_LEN + QDIR_REQ_FIXED); /* FileNameOffset */
    asmb_wr_u16(w, 0);                             /* FileNameLength, patched */
    asmb_wr_u32(w, out_len);                       /* OutputBufferLength */
    if (w->err) return ASMB_ENOMEM;
    size_t n0 = w->len;
    int rc = asmb_utf8_to_utf16le(w, pattern, strlen(pattern));
    size_t n = w->len - n0;
    if (!rc && n > 0xFFFF) rc = ASMB_EINVAL;
    if (rc) {
        if (!w->err) w->len = start;
        return rc;
    }
    asmb_wr_put_u16(w, start + 26, (uint16_t)n);
    return w->err ? ASMB_ENOMEM : 0;
}

int asmb__query_directory_decode(const uint8_t *msg, size_t len, const uint8_t **buf,
                                 size_t *buf_len)
{
    if (len < SMB2_HDR_LEN || asmb__body_check(msg + SMB2_HDR_LEN, len - SMB2_HDR_LEN, 9))
        return ASMB_EPROTO;
    const uint8_t *b = msg + SMB2_HDR_LEN;
    size_t off = asmb_le16(b + 2), n = asmb_le32(b + 4);
    const uint8_t *p = asmb__msg_buffer(msg, len, off, n);
    if (!p) return ASMB_EPROTO;
    *buf = p;
    *buf_len = n;
    return 0;
}

void asmb__dir_iter_init(asmb_dir_iter *it, const uint8_t *buf, size_t len)
{
    it->buf = buf;
    it->len = buf ? len : 0;
    it->pos = 0;
    it->done = it->len == 0; /* an empty buffer holds no entries */
    it->err = 0;
}

static int iter_fail(asmb_dir_iter *it)
{
    it->done = 1;
    it->err = ASMB_EPROTO;
    return ASMB_EPROTO;
}

int asmb__dir_iter_next(asmb_dir_iter *it, asmb_dir_entry *e)
{
    if (it->err) return it->err;
    if (it->done) return 0;
    size_t left = it->len - it->pos;
    if (left < DIRENT_FIXED) return iter_fail(it);
    const uint8_t *p = it->buf + it->pos;
    size_t next = asmb_le32(p);           /* NextEntryOffset */
    size_t name_len = asmb_le32(p + 60);  /* FileNameLength */
    size_t short_len = p[68];             /* ShortNameLength */
    /* The entry spans up to the next one, or to the end of the buffer. */
    size_t span = next ? next : left;
    if (span > left || short_len > 24) return iter_fail(it);
    if (span < DIRENT_FIXED || name_len > span - DIRENT_FIXED) return iter_fail(it);
    /* The following entry's fixed part must fit as well. */
    if (next && left - next < DIRENT_FIXED) return iter_fail(it);

    e->t.create_time = asmb_le64(p + 8);
    e->t.access_time = asmb_le64(p + 16);
    e->t.write_time = asmb_le64(p + 24);
    e->t.change_time = asmb_le64(p + 32);
    e->t.end_of_file = asmb_le64(p + 40);
    e->t.alloc_size = asmb_le64(p + 48);
    e->t.attributes = asmb_le32(p + 56);
    /* EaSize (64), Reserved1 (69) and Reserved2 (94) are not used. */
    e->short_name = p + 70;
    e->short_name_len = short_len;
    e->file_id = asmb_le64(p + 96);
    e->name = p + DIRENT_FIXED;
    e->name_len = name_len;
    if (next)
        it->pos += next;
    else
        it->done = 1;
    return 1;
}
