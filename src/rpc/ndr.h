/* The few NDR pieces (C706 chapter 14, little-endian) that MS-RPCE stubs
 * need here: aligned u32s and [string] wchar_t* (conformant varying UTF-16
 * strings, 14.3.4.2). Alignment counts from the start of the stub: the
 * reader's buffer start, or `base` in the writer. */
#ifndef ASMB_RPC_NDR_H
#define ASMB_RPC_NDR_H
#include <stddef.h>
#include <stdint.h>

#include "../wire/buf.h"

/* Referent IDs for non-NULL [unique] pointers, as Windows and Samba number
 * them: 0x00020000, then +4 for each further pointer. */
#define ASMB_NDR_REFERENT0 0x00020000u

void asmb__ndr_rd_align(asmb_rd *r, size_t a);
uint32_t asmb__ndr_rd_u32(asmb_rd *r); /* aligns to 4, then reads */
/* max count, offset, actual count, actual UTF-16 units ending in the (only)
 * NUL. offset must be 0 and actual <= max; the units must be in the buffer
 * (checked before anything is allocated). *out: malloc'd UTF-8.
 * 0, ASMB_EPROTO or ASMB_ENOMEM. */
int asmb__ndr_rd_wstring(asmb_rd *r, char **out);

void asmb__ndr_wr_align(asmb_wr *w, size_t base, size_t a);
void asmb__ndr_wr_u32(asmb_wr *w, size_t base, uint32_t v);
/* The deferred part of a [string] wchar_t*: max count = actual count =
 * UTF-16 units including the NUL, offset 0. s: UTF-8 (ASMB_EINVAL if not). */
int asmb__ndr_wr_wstring(asmb_wr *w, size_t base, const char *s);

#endif
