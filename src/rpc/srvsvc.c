/* NetrShareEnum, opnum 15 (MS-SRVS 3.1.4.8), level 1 (SHARE_INFO_1_CONTAINER,
 * 2.2.4.33; SHARE_INFO_1, 2.2.4.23), marshalled in NDR (C706 chapter 14):
 *   [in, string, unique] wchar_t *ServerName
 *   [in, out] SHARE_ENUM_STRUCT *InfoStruct       (ref: inline)
 *   [in] DWORD PreferedMaximumLength
 *   [out] DWORD *TotalEntries                     (ref: inline)
 *   [in, out, unique] DWORD *ResumeHandle
 *   returns NET_API_STATUS (a WERROR)            */
#include "srvsvc.h"

#include <string.h>

#include "../mem.h"
#include "asmb/asmb_errno.h"
#include "ndr.h"

#define SHARE_INFO_1_SIZE 12 /* shi1_netname ptr, shi1_type, shi1_remark ptr */

/* "\\" + server, unless it is there already. */
static char *unc_name(const char *server)
{
    size_t skip = strncmp(server, "\\\\", 2) == 0 ? 2 : 0, n = strlen(server + skip);
    char *s = asmb__malloc(n + 3);
    if (!s) return NULL;
    memcpy(s, "\\\\", 2);
    memcpy(s + 2, server + skip, n + 1);
    return s;
}

int asmb__srvsvc_share_enum_encode(asmb_wr *w, const char *server)
{
    const size_t base = w->len;
    uint32_t ref = ASMB_NDR_REFERENT0;
    if (server) {
        char *unc = unc_name(server);
        if (!unc) return ASMB_ENOMEM;
        asmb__ndr_wr_u32(w, base, ref);
        ref += 4;
        int rc = asmb__ndr_wr_wstring(w, base, unc);
        asmb__free(unc);
        if (rc) {
            if (!w->err) w->len = base;
            return rc;
        }
    } else {
        asmb__ndr_wr_u32(w, base, 0);
    }
    asmb__ndr_wr_u32(w, base, 1);   /* InfoStruct.Level */
    asmb__ndr_wr_u32(w, base, 1);   /* union switch (Level) */
    asmb__ndr_wr_u32(w, base, ref); /* Level1: SHARE_INFO_1_CONTAINER* */
    ref += 4;
    asmb__ndr_wr_u32(w, base, 0);           /* EntriesRead */
    asmb__ndr_wr_u32(w, base, 0);           /* Buffer: NULL */
    asmb__ndr_wr_u32(w, base, 0xFFFFFFFFu); /* PreferedMaximumLength: all */
    asmb__ndr_wr_u32(w, base, ref);         /* ResumeHandle */
    asmb__ndr_wr_u32(w, base, 0);
    return w->err ? ASMB_ENOMEM : 0;
}

void asmb__share_raw_free(asmb_share_raw *shares, size_t count)
{
    if (!shares) return;
    for (size_t i = 0; i < count; i++) {
        asmb__free(shares[i].name);
        asmb__free(shares[i].comment);
    }
    asmb__free(shares);
}

/* The pointee of Level1: EntriesRead, Buffer pointer, then (deferred) the
 * conformant array: max count, the fixed SHARE_INFO_1 entries, and then the
 * strings they point to, netname and remark of each entry in order. */
static int read_container(asmb_rd *r, asmb_share_raw **out, size_t *count)
{
    uint32_t n = asmb__ndr_rd_u32(r), buf_ptr = asmb__ndr_rd_u32(r);
    if (r->err) return ASMB_EPROTO;
    if (!buf_ptr) return n == 0 ? 0 : ASMB_EPROTO;
    uint32_t max = asmb__ndr_rd_u32(r);
    /* size_is(EntriesRead); the entries must all be present before we
     * allocate for them (a lying count would otherwise cost n * 24 bytes). */
    if (r->err || max != n || n > asmb_rd_left(r) / SHARE_INFO_1_SIZE) return ASMB_EPROTO;
    if (n == 0) return 0;
    const uint8_t *ents = asmb_rd_bytes(r, (size_t)n * SHARE_INFO_1_SIZE);
    asmb_share_raw *sh = asmb__calloc(n, sizeof *sh);
    if (!sh) return ASMB_ENOMEM;
    int rc = 0;
    for (uint32_t i = 0; i < n && !rc; i++) {
        const uint8_t *e = ents + (size_t)i * SHARE_INFO_1_SIZE;
        sh[i].type = asmb_le32(e + 4);
        if (!asmb_le32(e)) /* a share without a name */
            rc = ASMB_EPROTO;
        else
            rc = asmb__ndr_rd_wstring(r, &sh[i].name);
        if (!rc && asmb_le32(e + 8)) rc = asmb__ndr_rd_wstring(r, &sh[i].comment);
    }
    if (rc) {
        asmb__share_raw_free(sh, n);
        return rc;
    }
    *out = sh;
    *count = n;
    return 0;
}

int asmb__srvsvc_share_enum_decode(const uint8_t *stub, size_t len, asmb_share_raw **shares,
                                   size_t *count, uint32_t *werror)
{
    *shares = NULL;
    *count = 0;
    *werror = 0;
    if (!stub) return ASMB_EPROTO;
    asmb_rd r;
    asmb_rd_init(&r, stub, len);
    uint32_t level = asmb__ndr_rd_u32(&r), sw = asmb__ndr_rd_u32(&r);
    uint32_t ctr_ptr = asmb__ndr_rd_u32(&r);
    if (r.err || level != 1 || sw != 1) return ASMB_EPROTO;
    asmb_share_raw *sh = NULL;
    size_t n = 0;
    if (ctr_ptr) {
        int rc = read_container(&r, &sh, &n);
        if (rc) return rc;
    }
    (void)asmb__ndr_rd_u32(&r);                           /* TotalEntries */
    if (asmb__ndr_rd_u32(&r)) (void)asmb__ndr_rd_u32(&r); /* ResumeHandle */
    uint32_t status = asmb__ndr_rd_u32(&r);
    if (r.err) {
        asmb__share_raw_free(sh, n);
        return ASMB_EPROTO;
    }
    *werror = status;
    if (status) {
        asmb__share_raw_free(sh, n);
        return ASMB_EFAILURE;
    }
    *shares = sh;
    *count = n;
    return 0;
}
