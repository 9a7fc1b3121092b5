/*
 * decode_bmp.c - Windows bitmaps, read by hand: no Debian library is
 * needed for a header this small. Kept strict: BITMAPCOREHEADER,
 * BITMAPINFOHEADER and its V2-V5 extensions; 1, 4 and 8 bits with a
 * palette, 16 and 32 bits plain or with bit masks, 24 bits; no RLE
 * (unsupported), no embedded JPEG/PNG. The whole pixel array must be
 * in the file: a short one is corrupt, not padded.
 */
#include <stdlib.h>
#include <string.h>
#include "image_int.h"

static uint32_t le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const uint8_t *p) { return le16(p) | le16(p + 2) << 16; }

enum { BI_RGB = 0, BI_RLE8 = 1, BI_RLE4 = 2, BI_BITFIELDS = 3, BI_ALPHABITFIELDS = 6 };

struct mask {
    uint32_t m;
    unsigned shift, max;
};

static struct mask mask_of(uint32_t m)
{
    struct mask r = {m, 0, 0};
    if (!m)
        return r;
    while (!(m & 1)) {
        m >>= 1;
        r.shift++;
    }
    /* Only the low contiguous run counts: 1..16 bits of a channel. */
    unsigned bits = 0;
    while ((m & 1) && bits < 16) {
        m >>= 1;
        bits++;
    }
    r.max = (1u << bits) - 1;
    return r;
}

static uint8_t channel(uint32_t px, const struct mask *k, uint8_t absent)
{
    if (!k->m)
        return absent;
    uint32_t v = ((px & k->m) >> k->shift) & k->max;
    return (uint8_t)((v * 255 + k->max / 2) / k->max);
}

struct bmp {
    int64_t w, h;
    unsigned bpp, comp;
    bool top_down, core;
    size_t hdr, off;
    struct mask k[4];           /* r g b a */
    uint8_t pal[256][4];
    unsigned npal;
};

/* The headers; CORRUPT, UNSUPPORTED or OK. */
static enum sg_image_status parse(const uint8_t *data, size_t len, struct bmp *b)
{
    if (len < 26 || data[0] != 'B' || data[1] != 'M')
        return SG_IMAGE_CORRUPT;
    b->off = le32(data + 10);
    b->hdr = le32(data + 14);
    if (b->hdr != 12 && b->hdr != 40 && b->hdr != 52 && b->hdr != 56 && b->hdr != 108 && b->hdr != 124)
        return SG_IMAGE_UNSUPPORTED;
    if (14 + b->hdr > len)
        return SG_IMAGE_CORRUPT;
    const uint8_t *h = data + 14;
    unsigned planes;
    if (b->hdr == 12) {
        b->core = true;
        b->w = le16(h + 4);
        b->h = le16(h + 6);
        planes = le16(h + 8);
        b->bpp = le16(h + 10);
        b->comp = BI_RGB;
    } else {
        b->w = (int32_t)le32(h + 4);
        b->h = (int32_t)le32(h + 8);
        planes = le16(h + 12);
        b->bpp = le16(h + 14);
        b->comp = le32(h + 16);
    }
    if (planes != 1 || b->w <= 0 || !b->h)
        return SG_IMAGE_CORRUPT;
    if (b->h < 0) {
        b->top_down = true;
        b->h = -b->h;
    }
    size_t pal_at = 14 + b->hdr;
    if (b->comp == BI_BITFIELDS || b->comp == BI_ALPHABITFIELDS) {
        if (b->bpp != 16 && b->bpp != 32)
            return SG_IMAGE_CORRUPT;
        /* Masks sit in the V2+ header, or just after a plain one. */
        size_t at = 14 + 40, n = b->comp == BI_ALPHABITFIELDS || b->hdr >= 56 ? 4 : 3;
        if (b->hdr == 40)
            pal_at += n * 4;
        if (at + n * 4 > len)
            return SG_IMAGE_CORRUPT;
        for (size_t i = 0; i < n; i++)
            b->k[i] = mask_of(le32(data + at + 4 * i));
    } else if (b->comp == BI_RGB) {
        if (b->bpp == 16) {
            b->k[0] = mask_of(0x7c00), b->k[1] = mask_of(0x03e0), b->k[2] = mask_of(0x001f);
        } else if (b->bpp == 32) {
            /* Plain 32-bit is BGRX: the fourth byte is not alpha. */
            b->k[0] = mask_of(0xff0000), b->k[1] = mask_of(0xff00), b->k[2] = mask_of(0xff);
        } else if (b->bpp != 1 && b->bpp != 4 && b->bpp != 8 && b->bpp != 24) {
            return SG_IMAGE_CORRUPT;
        }
    } else {
        return b->comp == BI_RLE8 || b->comp == BI_RLE4 ? SG_IMAGE_UNSUPPORTED : SG_IMAGE_CORRUPT;
    }
    if (b->bpp <= 8) {
        unsigned most = 1u << b->bpp, esz = b->core ? 3 : 4;
        unsigned n = b->core ? most : le32(h + 32);
        if (!n || n > most)
            n = most;
        if (pal_at + (size_t)n * esz > b->off || b->off > len)
            return SG_IMAGE_CORRUPT;
        for (unsigned i = 0; i < n; i++) {
            const uint8_t *e = data + pal_at + (size_t)i * esz;
            b->pal[i][0] = e[2], b->pal[i][1] = e[1], b->pal[i][2] = e[0], b->pal[i][3] = 255;
        }
        b->npal = n;
    }
    return SG_IMAGE_OK;
}

static void read_row(const struct bmp *b, const uint8_t *in, uint8_t *out)
{
    for (int64_t x = 0; x < b->w; x++, out += 4) {
        if (b->bpp <= 8) {
            unsigned per = 8 / b->bpp;
            unsigned byte = in[x / per], shift = 8 - b->bpp * (unsigned)(x % per + 1);
            unsigned i = (byte >> shift) & ((1u << b->bpp) - 1);
            if (i < b->npal)
                memcpy(out, b->pal[i], 4);
            else
                memset(out, 0, 4);
        } else if (b->bpp == 24) {
            const uint8_t *p = in + x * 3;
            out[0] = p[2], out[1] = p[1], out[2] = p[0], out[3] = 255;
        } else {
            uint32_t px = b->bpp == 16 ? le16(in + x * 2) : le32(in + x * 4);
            out[0] = channel(px, &b->k[0], 0);
            out[1] = channel(px, &b->k[1], 0);
            out[2] = channel(px, &b->k[2], 0);
            out[3] = channel(px, &b->k[3], 255);
        }
    }
}

enum sg_image_status sg_image_decode_bmp(const uint8_t *data, size_t len, struct sg_idec *d, struct sg_image *img)
{
    struct bmp b;
    memset(&b, 0, sizeof(b));
    enum sg_image_status st = parse(data, len, &b);
    if (st != SG_IMAGE_OK)
        return st;
    if (sg_idec_dims(d, (uint64_t)b.w, (uint64_t)b.h) != SG_IMAGE_OK)
        return SG_IMAGE_TOO_BIG;
    size_t stride = (((size_t)b.w * b.bpp + 31) / 32) * 4;
    if (b.off > len || stride * (size_t)b.h > len - b.off)
        return SG_IMAGE_CORRUPT;
    unsigned w = (unsigned)b.w, h = (unsigned)b.h, ow, oh;
    sg_idec_out_size(d, w, h, &ow, &oh);
    struct sg_rows rows;
    uint8_t *row = malloc((size_t)w * 4);
    if (!row || !sg_rows_init(&rows, w, h, ow, oh)) {
        free(row);
        return SG_IMAGE_TOO_BIG;
    }
    for (unsigned y = 0; y < h; y++) {
        if (!(y & 255) && !sg_idec_in_time(d)) {
            sg_rows_free(&rows);
            free(row);
            return SG_IMAGE_TOO_BIG;
        }
        size_t sy = b.top_down ? y : h - 1 - y;
        read_row(&b, data + b.off + sy * stride, row);
        sg_rows_push(&rows, row);
    }
    free(row);
    img->src_w = w;
    img->src_h = h;
    sg_rows_finish(&rows, img);
    return SG_IMAGE_OK;
}
