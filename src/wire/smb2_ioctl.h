/* SMB2 IOCTL (MS-SMB2 2.2.31, 2.2.32) and the FSCTL payloads the library
 * uses: named-pipe transactions (FSCTL_PIPE_TRANSCEIVE, MS-FSCC 2.3.49) and
 * previous versions (FSCTL_SRV_ENUMERATE_SNAPSHOTS, MS-SMB2 2.2.32.2).
 * Encoders append a request body (after the 64-byte header) to w; decoders
 * take the whole SMB2 message and check every size and offset (ASMB_EPROTO). */
#ifndef ASMB_WIRE_SMB2_IOCTL_H
#define ASMB_WIRE_SMB2_IOCTL_H
#include <stddef.h>
#include <stdint.h>

#include "smb2_file.h"

#define FSCTL_PIPE_TRANSCEIVE 0x0011C017u
#define FSCTL_SRV_ENUMERATE_SNAPSHOTS 0x00144064u
#define FSCTL_VALIDATE_NEGOTIATE_INFO 0x00140204u
#define SMB2_0_IOCTL_IS_FSCTL 0x1u

/* FileId: the pipe's for FSCTL_PIPE_TRANSCEIVE, the open file or directory's
 * for FSCTL_SRV_ENUMERATE_SNAPSHOTS, all ones for VALIDATE_NEGOTIATE_INFO.
 * InputOffset is 0x78 when in_len > 0, else 0 (with one pad byte as Buffer).
 * MaxInputResponse 0, MaxOutputResponse max_out, Flags IS_FSCTL if is_fsctl. */
int asmb__ioctl_encode(asmb_wr *w, asmb_fid fid, uint32_t ctl_code, const void *in, uint32_t in_len,
                       uint32_t max_out, int is_fsctl);
/* The output buffer (OutputOffset/OutputCount) of a response; points into
 * msg. Parses the body only: the caller judges the header's status (a pipe
 * transceive answered STATUS_BUFFER_OVERFLOW carries valid partial output). */
int asmb__ioctl_decode(const uint8_t *msg, size_t len, const uint8_t **out, size_t *out_len);

/* ---- VALIDATE_NEGOTIATE_INFO (2.2.31.4 request, 2.2.32.6 response) ---- */
typedef struct asmb_vneg {
    uint32_t capabilities;
    uint8_t guid[16];
    uint16_t security_mode;
    uint16_t dialect; /* response only */
} asmb_vneg;
/* The request's input buffer (appended to w): what the client sent in its
 * NEGOTIATE, dialects included. */
int asmb__vneg_request(asmb_wr *w, const asmb_vneg *v, const uint16_t *dialects, int ndialects);
/* The response's output buffer: exactly 24 bytes (ASMB_EPROTO otherwise). */
int asmb__vneg_parse(const uint8_t *p, size_t len, asmb_vneg *out);
#define ASMB_VNEG_RESP_LEN 24

/* ---- SRV_SNAPSHOT_ARRAY (2.2.32.2) ---- */
#define ASMB_GMT_TOKEN_LEN 24 /* "@GMT-YYYY.MM.DD-HH.MM.SS" */
typedef struct asmb_snapshot {
    char token[ASMB_GMT_TOKEN_LEN + 1]; /* NUL-terminated */
    int64_t time;                       /* Unix seconds, UTC */
} asmb_snapshot;

typedef struct asmb_snapshots {
    uint32_t number;      /* NumberOfSnapShots: all the server has */
    uint32_t returned;    /* NumberOfSnapShotsReturned (0 when max_out was too small) */
    uint32_t array_size;  /* SnapShotArraySize; with returned 0: the bytes needed */
    size_t count;         /* == returned */
    asmb_snapshot *items; /* malloc'd, NULL when count is 0 */
} asmb_snapshots;

/* Parses an FSCTL_SRV_ENUMERATE_SNAPSHOTS output buffer. With returned 0 the
 * array is absent (3.3.5.15.1: buffer too small, or no snapshots); to fetch
 * it, ask again with max_out >= 12 + array_size. Otherwise the multi-sz
 * array must fit in len, hold exactly `returned` valid tokens and end with
 * an empty string within array_size. 0, ASMB_EPROTO (out holds nothing to
 * free) or ASMB_ENOMEM. */
int asmb__snapshots_parse(const uint8_t *p, size_t len, asmb_snapshots *out);
void asmb__snapshots_free(asmb_snapshots *s);

/* "@GMT-YYYY.MM.DD-HH.MM.SS" (UTC) <-> Unix seconds. Parsing is strict: the
 * exact format (24 chars, then NUL), a real calendar date, hours 0-23,
 * minutes and seconds 0-59. ASMB_EINVAL otherwise. */
int asmb__gmt_token_parse(const char *token, int64_t *unix_seconds);
/* Times outside years 0000-9999 are clamped to that range. */
void asmb__gmt_token_format(int64_t unix_seconds, char out[ASMB_GMT_TOKEN_LEN + 1]);

#endif
