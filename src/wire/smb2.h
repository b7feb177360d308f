/* SMB2 wire format: constants, the 64-byte header, and the codecs of the
 * commands the core uses (one .c file per command). Pure functions; every
 * length and offset taken from a peer is checked (ASMB_EPROTO). */
#ifndef ASMB_WIRE_SMB2_H
#define ASMB_WIRE_SMB2_H
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum { /* MS-SMB2 2.2.1 commands */
    SMB2_NEGOTIATE = 0x00, SMB2_SESSION_SETUP = 0x01, SMB2_LOGOFF = 0x02,
    SMB2_TREE_CONNECT = 0x03, SMB2_TREE_DISCONNECT = 0x04, SMB2_CREATE = 0x05,
    SMB2_CLOSE = 0x06, SMB2_FLUSH = 0x07, SMB2_READ = 0x08, SMB2_WRITE = 0x09,
    SMB2_LOCK = 0x0A, SMB2_IOCTL = 0x0B, SMB2_CANCEL = 0x0C, SMB2_ECHO = 0x0D,
    SMB2_QUERY_DIRECTORY = 0x0E, SMB2_CHANGE_NOTIFY = 0x0F, SMB2_QUERY_INFO = 0x10,
    SMB2_SET_INFO = 0x11, SMB2_OPLOCK_BREAK = 0x12, SMB2_NCOMMANDS = 0x13
};

enum { /* header flags */
    SMB2_FLAGS_SERVER_TO_REDIR = 0x1, SMB2_FLAGS_ASYNC_COMMAND = 0x2,
    SMB2_FLAGS_RELATED_OPERATIONS = 0x4, SMB2_FLAGS_SIGNED = 0x8
};

#define SMB2_HDR_LEN 64
#define SMB2_SIG_OFF 48
#define SMB2_PROTO_ID 0x424D53FEu /* 0xFE 'S' 'M' 'B' little-endian */
#define SMB2_TRANSFORM_ID 0x424D53FDu
#define SMB2_COMPRESS_ID 0x424D53FCu

typedef struct asmb_smb2_hdr {
    uint16_t credit_charge;
    uint32_t status; /* responses; requests send ChannelSequence 0 */
    uint16_t command;
    uint16_t credits; /* CreditRequest / CreditResponse */
    uint32_t flags;
    uint32_t next_command;
    uint64_t msg_id;
    uint64_t async_id; /* with SMB2_FLAGS_ASYNC_COMMAND */
    uint32_t tree_id;  /* sync */
    uint64_t session_id;
} asmb_smb2_hdr;

void asmb__hdr_encode(uint8_t out[SMB2_HDR_LEN], const asmb_smb2_hdr *h);
/* Checks ProtocolId and StructureSize (64). */
int asmb__hdr_decode(const uint8_t *p, size_t len, asmb_smb2_hdr *h);

/* Checks a response body's fixed StructureSize (MS-SMB2 2.2: the low bit of
 * an odd size announces a variable part). Callers look at the status first:
 * an error response (2.2.2) is not decoded as the command's body. */
int asmb__body_check(const uint8_t *body, size_t len, uint16_t structure_size);
/* The variable buffer [off, off+n) of a message, where off counts from the
 * start of the SMB2 header (as every SMB2 offset does). NULL when outside. */
const uint8_t *asmb__msg_buffer(const uint8_t *msg, size_t msg_len, size_t off, size_t n);

/* ---- NEGOTIATE (2.2.3, 2.2.4) ---- */
enum { SMB2_NEGOTIATE_SIGNING_ENABLED = 1, SMB2_NEGOTIATE_SIGNING_REQUIRED = 2 };
enum { /* capabilities */
    SMB2_GLOBAL_CAP_DFS = 0x1, SMB2_GLOBAL_CAP_LEASING = 0x2, SMB2_GLOBAL_CAP_LARGE_MTU = 0x4,
    SMB2_GLOBAL_CAP_MULTI_CHANNEL = 0x8, SMB2_GLOBAL_CAP_PERSISTENT_HANDLES = 0x10,
    SMB2_GLOBAL_CAP_DIRECTORY_LEASING = 0x20, SMB2_GLOBAL_CAP_ENCRYPTION = 0x40
};
enum { /* negotiate context types (2.2.3.1) */
    SMB2_PREAUTH_INTEGRITY_CAPABILITIES = 1, SMB2_ENCRYPTION_CAPABILITIES = 2,
    SMB2_COMPRESSION_CAPABILITIES = 3, SMB2_NETNAME_NEGOTIATE_CONTEXT_ID = 5,
    SMB2_TRANSPORT_CAPABILITIES = 6, SMB2_RDMA_TRANSFORM_CAPABILITIES = 7,
    SMB2_SIGNING_CAPABILITIES = 8
};
#define SMB2_PREAUTH_SHA512 1
enum { SMB2_SIGNING_HMAC_SHA256 = 0, SMB2_SIGNING_AES_CMAC = 1, SMB2_SIGNING_AES_GMAC = 2 };

typedef struct asmb_negotiate_req {
    const uint16_t *dialects;
    int ndialects;
    uint16_t security_mode;
    uint32_t capabilities;
    uint8_t client_guid[16];
    /* 3.1.1 contexts, sent when 0x0311 is offered */
    uint8_t salt[32];
    const uint16_t *ciphers;  int nciphers;   /* 0 = no encryption context */
    const uint16_t *signing;  int nsigning;   /* 0 = no signing context */
    const char *netname; /* server name for the NETNAME context, or NULL */
} asmb_negotiate_req;

typedef struct asmb_negotiate_resp {
    uint16_t security_mode, dialect;
    uint8_t server_guid[16];
    uint32_t capabilities, max_transact, max_read, max_write;
    uint64_t system_time;
    const uint8_t *sec_blob; size_t sec_len;
    /* 3.1.1 */
    int have_preauth; uint16_t preauth_hash;
    uint16_t cipher;         /* 0 = none chosen */
    int have_signing; uint16_t signing_algo;
} asmb_negotiate_resp;

int asmb__negotiate_encode(asmb_wr *w, const asmb_negotiate_req *req);
/* msg/len: the whole SMB2 message, header included. */
int asmb__negotiate_decode(const uint8_t *msg, size_t len, asmb_negotiate_resp *out);

/* ---- SESSION_SETUP (2.2.5, 2.2.6) ---- */
enum { SMB2_SESSION_FLAG_IS_GUEST = 1, SMB2_SESSION_FLAG_IS_NULL = 2,
       SMB2_SESSION_FLAG_ENCRYPT_DATA = 4 };
int asmb__session_setup_encode(asmb_wr *w, uint8_t security_mode, const uint8_t *blob,
                               size_t blob_len);
int asmb__session_setup_decode(const uint8_t *msg, size_t len, uint16_t *session_flags,
                               const uint8_t **blob, size_t *blob_len);

/* ---- TREE_CONNECT (2.2.9, 2.2.10) and the 4-byte bodies ---- */
enum { SMB2_SHARE_TYPE_DISK = 1, SMB2_SHARE_TYPE_PIPE = 2, SMB2_SHARE_TYPE_PRINT = 3 };
#define SMB2_SHAREFLAG_ENCRYPT_DATA 0x8000u
typedef struct asmb_tree_resp {
    uint8_t share_type;
    uint32_t share_flags, capabilities, maximal_access;
} asmb_tree_resp;
/* path: UTF-8 "\\server\share". */
int asmb__tree_connect_encode(asmb_wr *w, const char *path);
int asmb__tree_connect_decode(const uint8_t *msg, size_t len, asmb_tree_resp *out);
/* LOGOFF, TREE_DISCONNECT, ECHO and CANCEL: StructureSize 4 + Reserved. */
int asmb__simple_encode(asmb_wr *w);
int asmb__simple_decode(const uint8_t *msg, size_t len);

#endif
