/* srvsvc (MS-SRVS) over \PIPE\srvsvc: NetrShareEnum at level 1 (3.1.4.8),
 * the share list with names, types and remarks. Stubs only: the caller
 * binds (asmb__rpc_bind_encode with ASMB_SRVSVC_SYNTAX) and wraps the
 * request in a REQUEST PDU with opnum SRVSVC_OPNUM_NETRSHAREENUM. */
#ifndef ASMB_RPC_SRVSVC_H
#define ASMB_RPC_SRVSVC_H
#include <stddef.h>
#include <stdint.h>

#include "dcerpc.h"

/* 4b324fc8-1670-01d3-1278-5a47bf6ee188 v3.0 (MS-SRVS 1.9) */
/* clang-format off */
#define ASMB_SRVSVC_SYNTAX                                                           \
    {{0xc8, 0x4f, 0x32, 0x4b, 0x70, 0x16, 0xd3, 0x01, 0x12, 0x78, 0x5a, 0x47, 0xbf, \
      0x6e, 0xe1, 0x88},                                                             \
     3}
/* clang-format on */
#define SRVSVC_OPNUM_NETRSHAREENUM 15

/* shi1_type (MS-SRVS 2.2.2.4): the low bits are the kind, the high ones flags. */
#define STYPE_DISKTREE 0x0u
#define STYPE_PRINTQ 0x1u
#define STYPE_DEVICE 0x2u
#define STYPE_IPC 0x3u
#define STYPE_KIND_MASK 0xFFu /* above: flags (cluster 0x0E000000, these two) */
#define STYPE_TEMPORARY 0x40000000u
#define STYPE_SPECIAL 0x80000000u /* administrative: IPC$, C$, ADMIN$ */

typedef struct {
    char *name;    /* UTF-8 */
    uint32_t type; /* STYPE_* */
    char *comment; /* UTF-8; NULL when the server sent a NULL remark */
} asmb_share_raw;

/* Appends the NetrShareEnum request stub: ServerName "\\server" (the "\\"
 * is added unless present; server NULL = a NULL pointer), InfoStruct level
 * 1 with an empty container, PreferedMaximumLength 0xFFFFFFFF, ResumeHandle
 * 0. The stub starts at w->len (NDR alignment counts from there). On error
 * w is left as it was (unless out of memory). */
int asmb__srvsvc_share_enum_encode(asmb_wr *w, const char *server);

/* Decodes a NetrShareEnum response stub (level 1). On success *shares is a
 * malloc'd array of *count entries (NULL when 0) to release with
 * asmb__share_raw_free. *werror gets the returned WERROR whenever the stub
 * parses; a non-zero one gives ASMB_EFAILURE and no shares (ERROR_MORE_DATA
 * does not happen with an unlimited PreferedMaximumLength). ASMB_EPROTO when
 * malformed: counts are bounded by the bytes present before any allocation. */
int asmb__srvsvc_share_enum_decode(const uint8_t *stub, size_t len, asmb_share_raw **shares,
                                   size_t *count, uint32_t *werror);
void asmb__share_raw_free(asmb_share_raw *shares, size_t count);

#endif
