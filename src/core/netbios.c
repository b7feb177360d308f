/* The NetBIOS session service in front of SMB (RFC 1002 4.3; MS-SMB2 2.1):
 * a SESSION REQUEST with the called and calling names, answered by a
 * positive or negative SESSION RESPONSE; then session messages. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "../mem.h"
#include "session.h"

enum { NBT_REQUEST = 0x81, NBT_POSITIVE = 0x82, NBT_NEGATIVE = 0x83, NBT_RETARGET = 0x84 };

static const struct { uint8_t code; const char *text; } nbt_errors[] = {
    {0x80, "not listening on called name"},
    {0x81, "not listening for calling name"},
    {0x82, "called name not present"},
    {0x83, "called name present, but insufficient resources"},
    {0x8F, "unspecified error"},
};

/* First-level encoding (RFC 1001 14.1): 15 characters padded with spaces,
 * upper-cased, the suffix byte, each nibble as 'A' + nibble. */
static void encode_name(uint8_t out[34], const char *name, uint8_t suffix)
{
    uint8_t raw[16];
    memset(raw, ' ', 15);
    for (size_t i = 0; i < 15 && name[i]; i++) raw[i] = (uint8_t)toupper((unsigned char)name[i]);
    raw[15] = suffix;
    out[0] = 32;
    for (int i = 0; i < 16; i++) {
        out[1 + 2 * i] = (uint8_t)('A' + (raw[i] >> 4));
        out[2 + 2 * i] = (uint8_t)('A' + (raw[i] & 0xF));
    }
    out[33] = 0; /* no scope */
}

static int is_address(const char *h)
{
    return strchr(h, ':') != NULL || strspn(h, "0123456789.") == strlen(h);
}

/* The called name: as configured, else the host's first DNS label. */
static void called_name(const asmb_conn *c, char out[16])
{
    const char *n = c->cfg.remote_name;
    if (!n || !*n) n = is_address(c->host) ? "*SMBSERVER" : c->host;
    size_t len = strcspn(n, ".");
    if (n[0] == '*') len = strlen(n);
    if (len > 15) len = 15;
    memcpy(out, n, len);
    out[len] = 0;
}

int asmb__nbt_request(asmb_conn *c)
{
    char called[16];
    called_name(c, called);
    const char *calling = c->cfg.my_name && *c->cfg.my_name ? c->cfg.my_name : c->workstation;
    asmb_frame *f = asmb__calloc(1, sizeof *f);
    uint8_t *p = asmb__malloc(4 + 68);
    if (!f || !p) {
        asmb__free(f);
        asmb__free(p);
        return ASMB_ENOMEM;
    }
    p[0] = NBT_REQUEST;
    p[1] = 0;
    p[2] = 0;
    p[3] = 68;
    encode_name(p + 4, called, 0x20);  /* the server service */
    encode_name(p + 38, calling, 0x00); /* the workstation */
    f->data = p;
    f->len = f->cap = 4 + 68;
    asmb__eng_output(c, f);
    return 0;
}

int asmb__nbt_response(asmb_conn *c, const uint8_t *p, size_t flen)
{
    if (p[0] == NBT_POSITIVE && flen == 0) return asmb__session_start(c);
    if (p[0] == NBT_NEGATIVE && flen == 1) {
        const char *text = "unknown error";
        for (size_t i = 0; i < ASMB_ARRAY_LEN(nbt_errors); i++)
            if (nbt_errors[i].code == p[4]) text = nbt_errors[i].text;
        char called[16];
        called_name(c, called);
        asmb__conn_fail(c, ASMB_ECONNREFUSED, 0,
                        "NetBIOS session refused (error 0x%02X: %s) for called name '%s'", p[4],
                        text, called);
        return ASMB_ECONNREFUSED;
    }
    asmb__conn_fail(c, ASMB_EPROTO, 0, "%s", p[0] == NBT_RETARGET
                                                ? "NetBIOS session retarget is not supported"
                                                : "bad NetBIOS session response");
    return ASMB_EPROTO;
}

/* The first bytes a peer sends tell whether it speaks SMB at all. Direct TCP
 * (MS-SMB2 2.1) frames start with a zero byte and a 24-bit length, and the
 * NEGOTIATE reply with ProtocolId 0xFE 'SMB' (0xFF 'SMB' from an SMB1-only
 * server, still SMB); the NetBIOS session service answers a SESSION REQUEST
 * with packet type 0x82, 0x83 or 0x84 (RFC 1002 4.3.1). Anything else (an
 * HTTP server's "HTTP/1.1 400", say) would otherwise be read as a frame of
 * absurd length: end the connection with ASMB_ENOTSMB, quoting the start of
 * what came. Returns 1 when it ended the connection. */
int asmb__peer_not_smb(asmb_conn *c, const uint8_t *p, size_t have)
{
    int bad;
    if (c->state == ASMB_ST_NBT)
        bad = p[0] < NBT_POSITIVE || p[0] > NBT_RETARGET;
    else if (c->state == ASMB_ST_NEGOTIATE)
        bad = p[0] != 0 ||
              (have >= 8 && ((p[4] != 0xFE && p[4] != 0xFF) || memcmp(p + 5, "SMB", 3) != 0));
    else
        return 0;
    if (!bad) return 0;
    char seen[4 * 32 + 1];
    size_t o = 0;
    for (size_t i = 0; i < have && i < 32 && p[i] != '\r' && p[i] != '\n'; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7F && p[i] != '"' && p[i] != '\\')
            seen[o++] = (char)p[i];
        else
            o += (size_t)snprintf(seen + o, sizeof seen - o, "\\x%02X", p[i]);
    }
    seen[o] = 0;
    asmb__conn_fail(c, ASMB_ENOTSMB, 0, "not an SMB server: %s answered \"%s\"", c->host, seen);
    return 1;
}
