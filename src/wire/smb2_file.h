/* SMB2 file commands: CREATE, CLOSE, READ, WRITE, QUERY_DIRECTORY,
 * QUERY_INFO, SET_INFO, and the structures they carry (MS-SMB2 2.2.13-2.2.40,
 * MS-FSCC 2.4, MS-DTYP 2.4.6). Encoders append a request body (everything
 * after the 64-byte header) to w; the header precedes the body by
 * SMB2_HDR_LEN bytes, so body offsets are SMB2_HDR_LEN + position in the
 * body. Decoders take the whole SMB2 message (header included) and check
 * every size and offset: ASMB_EPROTO when anything is out of bounds. */
#ifndef ASMB_WIRE_SMB2_FILE_H
#define ASMB_WIRE_SMB2_FILE_H
#include <stddef.h>
#include <stdint.h>

#include "smb2.h"

typedef struct asmb_fid {
    uint64_t persistent, volatile_;
} asmb_fid;

/* ---- CREATE (2.2.13, 2.2.14) ---- */
enum { /* CreateDisposition */
    SMB2_FILE_SUPERSEDE = 0, SMB2_FILE_OPEN = 1, SMB2_FILE_CREATE = 2, SMB2_FILE_OPEN_IF = 3,
    SMB2_FILE_OVERWRITE = 4, SMB2_FILE_OVERWRITE_IF = 5
};
enum { /* CreateOptions */
    SMB2_FILE_DIRECTORY_FILE = 0x1, SMB2_FILE_WRITE_THROUGH = 0x2,
    SMB2_FILE_SEQUENTIAL_ONLY = 0x4, SMB2_FILE_NON_DIRECTORY_FILE = 0x40,
    SMB2_FILE_DELETE_ON_CLOSE = 0x1000, SMB2_FILE_OPEN_REPARSE_POINT = 0x200000
};
enum { /* ShareAccess */
    SMB2_FILE_SHARE_READ = 1, SMB2_FILE_SHARE_WRITE = 2, SMB2_FILE_SHARE_DELETE = 4
};
enum { /* access mask bits (MS-SMB2 2.2.13.1) */
    SMB2_FILE_READ_DATA = 0x1, SMB2_FILE_LIST_DIRECTORY = 0x1, SMB2_FILE_WRITE_DATA = 0x2,
    SMB2_FILE_APPEND_DATA = 0x4, SMB2_FILE_READ_EA = 0x8, SMB2_FILE_WRITE_EA = 0x10,
    SMB2_FILE_READ_ATTRIBUTES = 0x80, SMB2_FILE_WRITE_ATTRIBUTES = 0x100,
    SMB2_DELETE = 0x10000, SMB2_READ_CONTROL = 0x20000, SMB2_SYNCHRONIZE = 0x100000,
    SMB2_MAXIMUM_ALLOWED = 0x02000000, SMB2_GENERIC_READ = (int)0x80000000u,
    SMB2_GENERIC_WRITE = 0x40000000
};
enum { /* FileAttributes (MS-FSCC 2.6) */
    SMB2_ATTR_READONLY = 0x1, SMB2_ATTR_HIDDEN = 0x2, SMB2_ATTR_SYSTEM = 0x4,
    SMB2_ATTR_DIRECTORY = 0x10, SMB2_ATTR_ARCHIVE = 0x20, SMB2_ATTR_NORMAL = 0x80
};

typedef struct asmb_create_req {
    uint32_t desired_access, file_attributes, share_access, disposition, options;
    const char *name; /* UTF-8, already normalised with backslashes, no leading one; "" = root */
    /* Optional create contexts, already encoded (each 8-aligned, chained
     * with Next offsets per 2.2.13.2); NULL = none. */
    const uint8_t *contexts;
    size_t contexts_len;
} asmb_create_req;

/* The basic attributes shared by CREATE, CLOSE and directory entries. */
typedef struct asmb_file_times {
    uint64_t create_time, access_time, write_time, change_time; /* FILETIME */
    uint64_t alloc_size, end_of_file;
    uint32_t attributes;
} asmb_file_times;

typedef struct asmb_create_resp {
    uint8_t oplock;
    uint32_t create_action;
    asmb_file_times t;
    asmb_fid fid;
} asmb_create_resp;

int asmb__create_encode(asmb_wr *w, const asmb_create_req *r);
int asmb__create_decode(const uint8_t *msg, size_t len, asmb_create_resp *out);

/* ---- CLOSE (2.2.15, 2.2.16) ---- */
#define SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB 0x1
int asmb__close_encode(asmb_wr *w, asmb_fid fid, uint16_t flags);
/* out may be NULL; filled only when the server returned attributes. */
int asmb__close_decode(const uint8_t *msg, size_t len, asmb_file_times *out);

/* ---- READ (2.2.19, 2.2.20) ---- */
int asmb__read_encode(asmb_wr *w, asmb_fid fid, uint64_t offset, uint32_t length);
/* data points into msg. */
int asmb__read_decode(const uint8_t *msg, size_t len, const uint8_t **data, size_t *data_len);

/* ---- WRITE (2.2.21, 2.2.22) ---- */
#define ASMB_WRITE_REQ_FIXED 48 /* the body before its data: data at 64 + 48 = 0x70 */
/* Appends the fixed part, then data (data may be NULL to leave n zero bytes
 * for the caller to fill at the returned position; data already at that
 * position, written in place, is kept; -1 on error). */
long asmb__write_encode(asmb_wr *w, asmb_fid fid, uint64_t offset, const void *data, uint32_t n);
int asmb__write_decode(const uint8_t *msg, size_t len, uint32_t *count);

/* ---- QUERY_DIRECTORY (2.2.33, 2.2.34) ---- */
#define SMB2_FILE_ID_BOTH_DIRECTORY_INFORMATION 0x25
enum { SMB2_RESTART_SCANS = 0x1, SMB2_RETURN_SINGLE_ENTRY = 0x2, SMB2_INDEX_SPECIFIED = 0x4,
       SMB2_REOPEN = 0x10 };
int asmb__query_directory_encode(asmb_wr *w, asmb_fid fid, uint8_t flags, const char *pattern,
                                 uint32_t out_len);
/* The output buffer of a response; entries are parsed by the iterator below. */
int asmb__query_directory_decode(const uint8_t *msg, size_t len, const uint8_t **buf,
                                 size_t *buf_len);

typedef struct asmb_dir_entry {
    asmb_file_times t;
    uint64_t file_id;
    const uint8_t *name;  /* UTF-16LE, not terminated */
    size_t name_len;      /* bytes */
    const uint8_t *short_name;
    size_t short_name_len; /* bytes, <= 24 */
} asmb_dir_entry;

typedef struct asmb_dir_iter {
    const uint8_t *buf;
    size_t len, pos;
    int done, err;
} asmb_dir_iter;
void asmb__dir_iter_init(asmb_dir_iter *it, const uint8_t *buf, size_t len);
/* 1 = an entry, 0 = end, ASMB_EPROTO = malformed, sticky (NextEntryOffset
 * must move past the entry's fixed part and name and stay in bounds; it is
 * 8-aligned in practice but not required; every entry must fit). */
int asmb__dir_iter_next(asmb_dir_iter *it, asmb_dir_entry *e);

/* ---- QUERY_INFO (2.2.37, 2.2.38) ---- */
enum { SMB2_0_INFO_FILE = 1, SMB2_0_INFO_FILESYSTEM = 2, SMB2_0_INFO_SECURITY = 3 };
enum { /* file information classes (MS-FSCC 2.4) */
    SMB2_FILE_BASIC_INFORMATION = 4, SMB2_FILE_STANDARD_INFORMATION = 5,
    SMB2_FILE_INTERNAL_INFORMATION = 6, SMB2_FILE_RENAME_INFORMATION = 10,
    SMB2_FILE_DISPOSITION_INFORMATION = 13, SMB2_FILE_ALL_INFORMATION = 18,
    SMB2_FILE_END_OF_FILE_INFORMATION = 20, SMB2_FILE_NETWORK_OPEN_INFORMATION = 34
};
enum { SMB2_OWNER_SECURITY_INFORMATION = 1, SMB2_GROUP_SECURITY_INFORMATION = 2,
       SMB2_DACL_SECURITY_INFORMATION = 4, SMB2_SACL_SECURITY_INFORMATION = 8 };
int asmb__query_info_encode(asmb_wr *w, asmb_fid fid, uint8_t info_type, uint8_t info_class,
                            uint32_t additional, uint32_t out_len);
int asmb__query_info_decode(const uint8_t *msg, size_t len, const uint8_t **buf,
                            size_t *buf_len);

/* FileAllInformation (MS-FSCC 2.4.2): the parts we use. */
typedef struct asmb_all_info {
    asmb_file_times t;
    uint32_t nlinks;
    uint8_t delete_pending, directory;
    uint64_t file_id; /* IndexNumber */
} asmb_all_info;
int asmb__parse_all_info(const uint8_t *buf, size_t len, asmb_all_info *out);

/* ---- SET_INFO (2.2.39, 2.2.40) ---- */
int asmb__set_info_encode(asmb_wr *w, asmb_fid fid, uint8_t info_type, uint8_t info_class,
                          uint32_t additional, const void *buf, uint32_t buf_len);
int asmb__set_info_decode(const uint8_t *msg, size_t len);
/* Info buffers for SET_INFO, appended to w. */
int asmb__info_basic(asmb_wr *w, const asmb_file_times *t); /* times 0 = unchanged */
/* FileRenameInformation for SMB2 (MS-FSCC 2.4.37.2); new_name UTF-8 with backslashes. */
int asmb__info_rename(asmb_wr *w, int replace, const char *new_name);
int asmb__info_disposition(asmb_wr *w, int delete_pending);
int asmb__info_end_of_file(asmb_wr *w, uint64_t eof);

/* ---- security descriptors (MS-DTYP 2.4.6, self-relative) ---- */
typedef struct asmb_sid_str {
    char s[192]; /* "S-1-5-21-…" */
} asmb_sid_str;
/* Formats a SID at p (len bytes available); returns bytes consumed or ASMB_EPROTO. */
int asmb__sid_format(const uint8_t *p, size_t len, asmb_sid_str *out);

/* A parsed self-relative security descriptor: owner, group and the DACL's
 * ACEs (the SACL is not parsed). has_dacl is 0 for an absent or NULL DACL
 * (control tells them apart: SE_DACL_PRESENT = 0x0004). aces is malloc'd
 * (NULL when nace is 0); release with asmb__secdesc_free. */
typedef struct asmb_secdesc {
    uint16_t control;
    int has_owner, has_group, has_dacl;
    asmb_sid_str owner, group;
    size_t nace;
    struct asmb_ace_raw {
        uint8_t type, flags;
        uint32_t mask;
        asmb_sid_str sid; /* "" for ACE types without a parsed SID */
    } *aces;
} asmb_secdesc;
/* 0, ASMB_EPROTO (malformed; out holds nothing to free) or ASMB_ENOMEM. */
int asmb__secdesc_parse(const uint8_t *p, size_t len, asmb_secdesc *out);
void asmb__secdesc_free(asmb_secdesc *sd);

#endif
