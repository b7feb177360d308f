/* Bounds-checked byte reader and growable writer, little-endian (SMB) and
 * big-endian (NBT, DER, RPC) helpers. Every read checks its bounds: a reader
 * that ran past its end stays failed (r->err) and returns zeros. */
#ifndef ASMB_WIRE_BUF_H
#define ASMB_WIRE_BUF_H
#include <stddef.h>
#include <stdint.h>

typedef struct asmb_rd {
    const uint8_t *p;
    size_t len, pos;
    int err; /* sticky: set on any out-of-bounds access */
} asmb_rd;

static inline void asmb_rd_init(asmb_rd *r, const void *p, size_t len)
{
    r->p = (const uint8_t *)p;
    r->len = len;
    r->pos = 0;
    r->err = 0;
}
static inline size_t asmb_rd_left(const asmb_rd *r) { return r->err ? 0 : r->len - r->pos; }
/* Pointer to n bytes at the cursor, advancing; NULL (and err) when short. */
const uint8_t *asmb_rd_bytes(asmb_rd *r, size_t n);
int asmb_rd_skip(asmb_rd *r, size_t n);
int asmb_rd_seek(asmb_rd *r, size_t pos); /* absolute */
uint8_t asmb_rd_u8(asmb_rd *r);
uint16_t asmb_rd_u16(asmb_rd *r);
uint32_t asmb_rd_u32(asmb_rd *r);
uint64_t asmb_rd_u64(asmb_rd *r);
uint16_t asmb_rd_u16be(asmb_rd *r);
uint32_t asmb_rd_u32be(asmb_rd *r);
/* A sub-range [off, off+n) of the whole buffer; NULL when outside. */
const uint8_t *asmb_rd_at(const asmb_rd *r, size_t off, size_t n);

typedef struct asmb_wr {
    uint8_t *data;
    size_t len, cap;
    int err; /* sticky: allocation failed */
} asmb_wr;

void asmb_wr_init(asmb_wr *w);
void asmb_wr_free(asmb_wr *w);          /* frees data, resets */
uint8_t *asmb_wr_take(asmb_wr *w);      /* hands data to the caller, resets */
int asmb_wr_reserve(asmb_wr *w, size_t extra);
uint8_t *asmb_wr_space(asmb_wr *w, size_t n); /* appends n zero bytes, returns them */
/* Appends n bytes from p; p already at the writer's end (w->data + w->len,
 * within cap) is kept where it is, not copied. */
void asmb_wr_bytes(asmb_wr *w, const void *p, size_t n);
void asmb_wr_zero(asmb_wr *w, size_t n);
void asmb_wr_u8(asmb_wr *w, uint8_t v);
void asmb_wr_u16(asmb_wr *w, uint16_t v);
void asmb_wr_u32(asmb_wr *w, uint32_t v);
void asmb_wr_u64(asmb_wr *w, uint64_t v);
void asmb_wr_u16be(asmb_wr *w, uint16_t v);
void asmb_wr_u32be(asmb_wr *w, uint32_t v);
void asmb_wr_align(asmb_wr *w, size_t a); /* zero-pad len to a multiple of a */
/* Patch already written bytes (no growth). */
void asmb_wr_put_u16(asmb_wr *w, size_t at, uint16_t v);
void asmb_wr_put_u32(asmb_wr *w, size_t at, uint32_t v);

/* Unaligned little-endian loads/stores on raw memory. */
static inline uint16_t asmb_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t asmb_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t asmb_le64(const uint8_t *p)
{
    return (uint64_t)asmb_le32(p) | (uint64_t)asmb_le32(p + 4) << 32;
}
static inline void asmb_st16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void asmb_st32(uint8_t *p, uint32_t v)
{
    asmb_st16(p, (uint16_t)v);
    asmb_st16(p + 2, (uint16_t)(v >> 16));
}
static inline void asmb_st64(uint8_t *p, uint64_t v)
{
    asmb_st32(p, (uint32_t)v);
    asmb_st32(p + 4, (uint32_t)(v >> 32));
}

/* UTF-8 <-> UTF-16LE. Strict: invalid UTF-8 (overlong, surrogates, > U+10FFFF)
 * returns ASMB_EINVAL. Appends to w. */
int asmb_utf8_to_utf16le(asmb_wr *w, const char *s, size_t n);
/* Returns a NUL-terminated malloc'd UTF-8 string, or NULL on bad UTF-16
 * (unpaired surrogates are replaced by U+FFFD) or no memory. */
char *asmb_utf16le_to_utf8(const uint8_t *p, size_t nbytes);
/* The offset of the first byte of s (n bytes) that starts no valid UTF-8
 * sequence, by asmb_utf8_to_utf16le's rules, with *why (static, may be NULL)
 * saying what is wrong there; n when s is valid. */
size_t asmb_utf8_invalid_at(const char *s, size_t n, const char **why);
/* Like asmb_utf8_to_utf16le, upper-casing on the way (NTOWFv2 upper-cases the
 * user name, MS-NLMP 3.3.2): ASCII, Latin-1, Latin Extended-A, Greek and
 * Cyrillic by rule; other characters unchanged. Locale-independent. */
int asmb_utf8_to_utf16le_upper(asmb_wr *w, const char *s, size_t n);

#endif
