/* NDR primitives for RPC stubs (C706 14.2.2 alignment, 14.3.4.2 strings). */
#include "ndr.h"

#include <string.h>

#include "asmb/asmb_errno.h"

void asmb__ndr_rd_align(asmb_rd *r, size_t a) { asmb_rd_skip(r, (a - r->pos % a) % a); }

uint32_t asmb__ndr_rd_u32(asmb_rd *r)
{
    asmb__ndr_rd_align(r, 4);
    return asmb_rd_u32(r);
}

int asmb__ndr_rd_wstring(asmb_rd *r, char **out)
{
    *out = NULL;
    uint32_t max = asmb__ndr_rd_u32(r), off = asmb__ndr_rd_u32(r), n = asmb__ndr_rd_u32(r);
    if (r->err || off != 0 || n == 0 || n > max || n > asmb_rd_left(r) / 2) return ASMB_EPROTO;
    const uint8_t *s = asmb_rd_bytes(r, (size_t)n * 2);
    if (!s) return ASMB_EPROTO;
    for (size_t i = 0; i + 1 < n; i++) {
        if (asmb_le16(s + 2 * i) == 0) return ASMB_EPROTO; /* embedded NUL */
    }
    if (asmb_le16(s + 2 * ((size_t)n - 1)) != 0) return ASMB_EPROTO; /* [string]: terminated */
    *out = asmb_utf16le_to_utf8(s, ((size_t)n - 1) * 2);
    return *out ? 0 : ASMB_ENOMEM;
}

void asmb__ndr_wr_align(asmb_wr *w, size_t base, size_t a)
{
    size_t pad = (a - (w->len - base) % a) % a;
    if (pad) asmb_wr_zero(w, pad); /* never 0: no memset on a NULL buffer */
}

void asmb__ndr_wr_u32(asmb_wr *w, size_t base, uint32_t v)
{
    asmb__ndr_wr_align(w, base, 4);
    asmb_wr_u32(w, v);
}

int asmb__ndr_wr_wstring(asmb_wr *w, size_t base, const char *s)
{
    asmb__ndr_wr_align(w, base, 4);
    size_t at = w->len;
    asmb_wr_zero(w, 12); /* max count, offset, actual count: patched below */
    int rc = asmb_utf8_to_utf16le(w, s, strlen(s));
    if (rc) return rc;
    asmb_wr_u16(w, 0);
    if (w->err) return ASMB_ENOMEM;
    size_t units = (w->len - at - 12) / 2;
    if (units > UINT32_MAX) return ASMB_EINVAL;
    asmb_wr_put_u32(w, at, (uint32_t)units);
    asmb_wr_put_u32(w, at + 8, (uint32_t)units);
    return 0;
}
