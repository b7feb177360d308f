#include "buf.h"

#include <string.h>

#include "../mem.h"
#include "asmb/asmb_errno.h"

char *asmb__strdup(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = asmb__malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

const uint8_t *asmb_rd_bytes(asmb_rd *r, size_t n)
{
    if (r->err || n > r->len - r->pos) {
        r->err = 1;
        return NULL;
    }
    const uint8_t *p = r->p + r->pos;
    r->pos += n;
    return p;
}

int asmb_rd_skip(asmb_rd *r, size_t n) { return asmb_rd_bytes(r, n) ? 0 : -1; }

int asmb_rd_seek(asmb_rd *r, size_t pos)
{
    if (r->err || pos > r->len) {
        r->err = 1;
        return -1;
    }
    r->pos = pos;
    return 0;
}

const uint8_t *asmb_rd_at(const asmb_rd *r, size_t off, size_t n)
{
    if (off > r->len || n > r->len - off) return NULL;
    return r->p + off;
}

uint8_t asmb_rd_u8(asmb_rd *r)
{
    const uint8_t *p = asmb_rd_bytes(r, 1);
    return p ? p[0] : 0;
}
uint16_t asmb_rd_u16(asmb_rd *r)
{
    const uint8_t *p = asmb_rd_bytes(r, 2);
    return p ? asmb_le16(p) : 0;
}
uint32_t asmb_rd_u32(asmb_rd *r)
{
    const uint8_t *p = asmb_rd_bytes(r, 4);
    return p ? asmb_le32(p) : 0;
}
uint64_t asmb_rd_u64(asmb_rd *r)
{
    const uint8_t *p = asmb_rd_bytes(r, 8);
    return p ? asmb_le64(p) : 0;
}
uint16_t asmb_rd_u16be(asmb_rd *r)
{
    const uint8_t *p = asmb_rd_bytes(r, 2);
    return p ? (uint16_t)((unsigned)p[0] << 8 | p[1]) : 0;
}
uint32_t asmb_rd_u32be(asmb_rd *r)
{
    const uint8_t *p = asmb_rd_bytes(r, 4);
    return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

void asmb_wr_init(asmb_wr *w) { memset(w, 0, sizeof *w); }

void asmb_wr_free(asmb_wr *w)
{
    asmb__free(w->data);
    asmb_wr_init(w);
}

uint8_t *asmb_wr_take(asmb_wr *w)
{
    uint8_t *d = w->data;
    asmb_wr_init(w);
    return d;
}

int asmb_wr_reserve(asmb_wr *w, size_t extra)
{
    if (w->err) return ASMB_ENOMEM;
    if (extra <= w->cap - w->len && w->data) return 0; /* data is never NULL after this */
    if (extra > SIZE_MAX / 2 - w->len) {
        w->err = 1;
        return ASMB_ENOMEM;
    }
    size_t cap = w->cap ? w->cap : 64;
    while (cap - w->len < extra) cap *= 2;
    uint8_t *d = asmb__realloc(w->data, cap);
    if (!d) {
        w->err = 1;
        return ASMB_ENOMEM;
    }
    w->data = d;
    w->cap = cap;
    return 0;
}

uint8_t *asmb_wr_space(asmb_wr *w, size_t n)
{
    if (asmb_wr_reserve(w, n)) return NULL;
    uint8_t *p = w->data + w->len;
    if (n) memset(p, 0, n);
    w->len += n;
    return p;
}

void asmb_wr_bytes(asmb_wr *w, const void *p, size_t n)
{
    if (!n) return;
    /* Already in place (written there before the writer took the buffer
     * over, as a zero-copy WRITE's data is): nothing to copy. */
    if (w->data && !w->err && p == w->data + w->len && n <= w->cap - w->len) {
        w->len += n;
        return;
    }
    if (asmb_wr_reserve(w, n)) return;
    memcpy(w->data + w->len, p, n); /* no zeroing first: bulk data passes here */
    w->len += n;
}

void asmb_wr_zero(asmb_wr *w, size_t n) { (void)asmb_wr_space(w, n); }
void asmb_wr_u8(asmb_wr *w, uint8_t v) { asmb_wr_bytes(w, &v, 1); }
void asmb_wr_u16(asmb_wr *w, uint16_t v)
{
    uint8_t *p = asmb_wr_space(w, 2);
    if (p) asmb_st16(p, v);
}
void asmb_wr_u32(asmb_wr *w, uint32_t v)
{
    uint8_t *p = asmb_wr_space(w, 4);
    if (p) asmb_st32(p, v);
}
void asmb_wr_u64(asmb_wr *w, uint64_t v)
{
    uint8_t *p = asmb_wr_space(w, 8);
    if (p) asmb_st64(p, v);
}
void asmb_wr_u16be(asmb_wr *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    asmb_wr_bytes(w, b, 2);
}
void asmb_wr_u32be(asmb_wr *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    asmb_wr_bytes(w, b, 4);
}
void asmb_wr_align(asmb_wr *w, size_t a)
{
    size_t pad = (a - w->len % a) % a;
    asmb_wr_zero(w, pad);
}
void asmb_wr_put_u16(asmb_wr *w, size_t at, uint16_t v)
{
    if (!w->err && at + 2 <= w->len) asmb_st16(w->data + at, v);
}
void asmb_wr_put_u32(asmb_wr *w, size_t at, uint32_t v)
{
    if (!w->err && at + 4 <= w->len) asmb_st32(w->data + at, v);
}
