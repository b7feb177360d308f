/* SIDs and self-relative security descriptors (MS-DTYP 2.4.2, 2.4.5, 2.4.6). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../mem.h"
#include "asmb/asmb_errno.h"
#include "smb2_file.h"

#define SD_HDR_LEN 20         /* Revision .. OffsetDacl */
#define ACL_HDR_LEN 8         /* AclRevision, Sbz1, AclSize, AceCount, Sbz2 */
#define ACE_MIN_LEN 8         /* ACE_HEADER + Mask: every ACE type has both */
#define SE_DACL_PRESENT 0x0004
#define ACE_OBJECT_TYPE_PRESENT 0x1
#define ACE_INHERITED_OBJECT_TYPE_PRESENT 0x2

/* SID (2.4.2.2): Revision (1), SubAuthorityCount (<= 15), a 48-bit
 * big-endian IdentifierAuthority, SubAuthority[] little-endian. String form
 * per 2.4.2.1: the authority in decimal below 2^32, else "0x" + 12 hex digits. */
int asmb__sid_format(const uint8_t *p, size_t len, asmb_sid_str *out)
{
    if (!p || len < 8 || p[0] != 1 || p[1] > 15) return ASMB_EPROTO;
    size_t count = p[1], need = 8 + 4 * count;
    if (len < need) return ASMB_EPROTO;
    uint64_t auth = 0;
    for (int i = 2; i < 8; i++) auth = auth << 8 | p[i];
    /* 192 bytes hold the longest form: "S-1-0x" + 12 + 15 * 11 + NUL = 184. */
    size_t o;
    if (auth < ((uint64_t)1 << 32))
        o = (size_t)snprintf(out->s, sizeof out->s, "S-1-%" PRIu64, auth);
    else
        o = (size_t)snprintf(out->s, sizeof out->s, "S-1-0x%012" PRIX64, auth);
    for (size_t i = 0; i < count && o < sizeof out->s; i++)
        o += (size_t)snprintf(out->s + o, sizeof out->s - o, "-%" PRIu32,
                              asmb_le32(p + 8 + 4 * i));
    return (int)need;
}

/* Formats the SID at [off, ...) of the descriptor: off must lie past the
 * descriptor header and the SID inside the buffer. */
static int sd_sid(const uint8_t *p, size_t len, size_t off, asmb_sid_str *out)
{
    if (off < SD_HDR_LEN || off >= len) return ASMB_EPROTO;
    int n = asmb__sid_format(p + off, len - off, out);
    return n < 0 ? n : 0;
}

/* One ACE (2.4.4) of size bytes at a (size >= 8, checked by the caller). */
static int parse_ace(const uint8_t *a, size_t size, struct asmb_ace_raw *ace)
{
    ace->type = a[0];
    ace->flags = a[1];
    ace->mask = asmb_le32(a + 4);
    ace->sid.s[0] = 0;
    size_t sid_off;
    if (ace->type <= 3) {
        /* ACCESS_ALLOWED, ACCESS_DENIED, SYSTEM_AUDIT, SYSTEM_ALARM (2.4.4.2-5) */
        sid_off = 8;
    } else if (ace->type >= 5 && ace->type <= 8) {
        /* the object ACEs (2.4.4.3): Mask, Flags, optional GUIDs, SID */
        if (size < 12) return ASMB_EPROTO;
        uint32_t oflags = asmb_le32(a + 8);
        sid_off = 12;
        if (oflags & ACE_OBJECT_TYPE_PRESENT) sid_off += 16;
        if (oflags & ACE_INHERITED_OBJECT_TYPE_PRESENT) sid_off += 16;
    } else {
        return 0; /* callback, label, resource ACEs...: type, flags, mask only */
    }
    if (sid_off >= size) return ASMB_EPROTO;
    int n = asmb__sid_format(a + sid_off, size - sid_off, &ace->sid);
    return n < 0 ? n : 0;
}

/* The DACL (ACL, 2.4.5) at off: the ACEs must stay within AclSize, which
 * must stay within the descriptor. */
static int parse_dacl(const uint8_t *p, size_t len, size_t off, asmb_secdesc *out)
{
    if (off < SD_HDR_LEN || off > len || len - off < ACL_HDR_LEN) return ASMB_EPROTO;
    const uint8_t *acl = p + off;
    size_t aclsz = asmb_le16(acl + 2), count = asmb_le16(acl + 4);
    if (aclsz < ACL_HDR_LEN || aclsz > len - off) return ASMB_EPROTO;
    /* Each ACE takes at least 8 bytes: a larger count cannot fit, and the
     * allocation below stays bounded by what the buffer holds. */
    if (count > (aclsz - ACL_HDR_LEN) / ACE_MIN_LEN) return ASMB_EPROTO;
    out->has_dacl = 1;
    if (count == 0) return 0;
    out->aces = asmb__malloc(count * sizeof *out->aces);
    if (!out->aces) return ASMB_ENOMEM;
    size_t pos = ACL_HDR_LEN;
    for (size_t i = 0; i < count; i++) {
        if (aclsz - pos < 4) return ASMB_EPROTO;
        size_t size = asmb_le16(acl + pos + 2); /* AceSize */
        if (size < ACE_MIN_LEN || size > aclsz - pos) return ASMB_EPROTO;
        int rc = parse_ace(acl + pos, size, &out->aces[i]);
        if (rc) return rc;
        out->nace = i + 1;
        pos += size;
    }
    return 0;
}

/* SECURITY_DESCRIPTOR, self-relative (2.4.6): Revision (1), Sbz1, Control,
 * OffsetOwner, OffsetGroup, OffsetSacl, OffsetDacl; offsets from its start,
 * 0 = absent. A DACL is read only when SE_DACL_PRESENT is set. */
int asmb__secdesc_parse(const uint8_t *p, size_t len, asmb_secdesc *out)
{
    memset(out, 0, sizeof *out);
    if (!p || len < SD_HDR_LEN || p[0] != 1) return ASMB_EPROTO;
    out->control = asmb_le16(p + 2);
    size_t owner = asmb_le32(p + 4), group = asmb_le32(p + 8), dacl = asmb_le32(p + 16);
    int rc = 0;
    if (owner) {
        rc = sd_sid(p, len, owner, &out->owner);
        out->has_owner = !rc;
    }
    if (!rc && group) {
        rc = sd_sid(p, len, group, &out->group);
        out->has_group = !rc;
    }
    if (!rc && dacl && (out->control & SE_DACL_PRESENT)) rc = parse_dacl(p, len, dacl, out);
    if (rc) asmb__secdesc_free(out);
    return rc;
}

void asmb__secdesc_free(asmb_secdesc *sd)
{
    if (!sd) return;
    asmb__free(sd->aces);
    memset(sd, 0, sizeof *sd);
}
