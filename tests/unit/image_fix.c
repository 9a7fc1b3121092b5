/*
 * image_fix.c - test images (image_fix.h).
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gif_lib.h>
#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>
#include <zlib.h>
#include "image_fix.h"

void fx_pattern_at(unsigned w, unsigned h, bool alpha, unsigned x, unsigned y, uint8_t o[4])
{
    bool right = x >= w / 2, bottom = y >= h / 2;
    static const uint8_t q[4][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}};
    unsigned i = (bottom ? 2 : 0) + (right ? 1 : 0);
    memcpy(o, q[i], 3);
    o[3] = 255;
    if (alpha && i == 0)
        o[0] = o[1] = o[2] = o[3] = 0;
    else if (alpha && i == 1)
        o[3] = 128;
}

uint8_t *fx_pattern(unsigned w, unsigned h, bool alpha)
{
    uint8_t *p = malloc((size_t)w * h * 4);
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++)
            fx_pattern_at(w, h, alpha, x, y, p + ((size_t)y * w + x) * 4);
    return p;
}

struct membuf {
    uint8_t *data;
    size_t len;
};

static void mem_put(struct membuf *m, const void *p, size_t n)
{
    m->data = realloc(m->data, m->len + n);
    memcpy(m->data + m->len, p, n);
    m->len += n;
}

static void png_write_mem(png_structp png, png_bytep data, size_t n)
{
    mem_put(png_get_io_ptr(png), data, n);
}

static void png_flush_mem(png_structp png)
{
    (void)png;
}

uint8_t *fx_png(const uint8_t *rgba, unsigned w, unsigned h, enum fx_png_kind kind, size_t *len)
{
    struct membuf m = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png)))
        abort();
    png_set_write_fn(png, &m, png_write_mem, png_flush_mem);
    int ct = kind == FX_PNG_PALETTE ? PNG_COLOR_TYPE_PALETTE : kind == FX_PNG_GRAY16 ? PNG_COLOR_TYPE_GRAY
             : kind == FX_PNG_INTERLACED ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA;
    png_set_IHDR(png, info, w, h, kind == FX_PNG_GRAY16 ? 16 : 8, ct,
                 kind == FX_PNG_INTERLACED ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    /* Palette: the pattern's colours, by first appearance; tRNS for alpha. */
    png_color pal[16];
    png_byte trns[16];
    int npal = 0;
    uint8_t *idx = NULL;
    if (kind == FX_PNG_PALETTE) {
        idx = malloc((size_t)w * h);
        for (size_t i = 0; i < (size_t)w * h; i++) {
            const uint8_t *p = rgba + i * 4;
            int k;
            for (k = 0; k < npal; k++)
                if (pal[k].red == p[0] && pal[k].green == p[1] && pal[k].blue == p[2] && trns[k] == p[3])
                    break;
            if (k == npal && npal < 16) {
                pal[npal] = (png_color){p[0], p[1], p[2]};
                trns[npal++] = p[3];
            }
            idx[i] = (uint8_t)k;
        }
        png_set_PLTE(png, info, pal, npal);
        png_set_tRNS(png, info, trns, npal, NULL);
    }
    png_write_info(png, info);
    int passes = png_set_interlace_handling(png);
    uint8_t *row = malloc((size_t)w * 4 + 8);
    for (int pass = 0; pass < passes; pass++)
        for (unsigned y = 0; y < h; y++) {
            const uint8_t *src = rgba + (size_t)y * w * 4;
            for (unsigned x = 0; x < w; x++) {
                const uint8_t *p = src + x * 4;
                if (kind == FX_PNG_RGBA)
                    memcpy(row + x * 4, p, 4);
                else if (kind == FX_PNG_INTERLACED)
                    memcpy(row + x * 3, p, 3);
                else if (kind == FX_PNG_PALETTE)
                    row[x] = idx[(size_t)y * w + x];
                else {
                    unsigned g = (p[0] * 299u + p[1] * 587u + p[2] * 114u) / 1000u;
                    unsigned g16 = g * 257u;
                    row[x * 2] = (uint8_t)(g16 >> 8);
                    row[x * 2 + 1] = (uint8_t)g16;
                }
            }
            png_write_row(png, row);
        }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(row);
    free(idx);
    *len = m.len;
    return m.data;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

uint8_t *fx_png_header_only(uint32_t w, uint32_t h, size_t *len)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    uint8_t ihdr[25];
    put_be32(ihdr, 13);
    memcpy(ihdr + 4, "IHDR", 4);
    put_be32(ihdr + 8, w);
    put_be32(ihdr + 12, h);
    ihdr[16] = 8, ihdr[17] = 6, ihdr[18] = 0, ihdr[19] = 0, ihdr[20] = 0;
    put_be32(ihdr + 21, (uint32_t)crc32(0, ihdr + 4, 17));
    /* An IDAT of a zlib stream of zeros: a decoder that tried would
     * find rows to inflate. */
    uint8_t raw[4096] = {0}, z[4096 + 64];
    uLongf zl = sizeof(z);
    compress(z, &zl, raw, sizeof(raw));
    uint8_t head[8];
    put_be32(head, (uint32_t)zl);
    memcpy(head + 4, "IDAT", 4);
    uLong crc = crc32(0, head + 4, 4);
    crc = crc32(crc, z, (uInt)zl);
    uint8_t tail[4];
    put_be32(tail, (uint32_t)crc);
    struct membuf m = {0};
    mem_put(&m, sig, 8);
    mem_put(&m, ihdr, sizeof(ihdr));
    mem_put(&m, head, 8);
    mem_put(&m, z, zl);
    mem_put(&m, tail, 4);
    *len = m.len;
    return m.data;
}

uint8_t *fx_jpeg(const uint8_t *rgba, unsigned w, unsigned h, enum fx_jpeg_cs cs, int quality, size_t *len)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    unsigned char *out = NULL;
    unsigned long outlen = 0;
    jpeg_mem_dest(&c, &out, &outlen);
    c.image_width = w;
    c.image_height = h;
    c.input_components = cs == FX_JPEG_GRAY ? 1 : cs == FX_JPEG_CMYK ? 4 : 3;
    c.in_color_space = cs == FX_JPEG_GRAY ? JCS_GRAYSCALE : cs == FX_JPEG_CMYK ? JCS_CMYK : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    if (cs == FX_JPEG_PROGRESSIVE)
        jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    uint8_t *row = malloc((size_t)w * 4);
    while (c.next_scanline < h) {
        const uint8_t *src = rgba + (size_t)c.next_scanline * w * 4;
        for (unsigned x = 0; x < w; x++) {
            const uint8_t *p = src + x * 4;
            if (cs == FX_JPEG_GRAY) {
                row[x] = (uint8_t)((p[0] * 299u + p[1] * 587u + p[2] * 114u) / 1000u);
            } else if (cs == FX_JPEG_CMYK) {
                /* Adobe's inverted CMYK, as Photoshop writes it (libjpeg
                 * adds the Adobe marker for CMYK). */
                unsigned k = 255 - (p[0] > p[1] ? (p[0] > p[2] ? p[0] : p[2]) : (p[1] > p[2] ? p[1] : p[2]));
                unsigned cc = k == 255 ? 0 : (255 - p[0] - k) * 255 / (255 - k);
                unsigned mm = k == 255 ? 0 : (255 - p[1] - k) * 255 / (255 - k);
                unsigned yy = k == 255 ? 0 : (255 - p[2] - k) * 255 / (255 - k);
                row[x * 4] = (uint8_t)(255 - cc), row[x * 4 + 1] = (uint8_t)(255 - mm);
                row[x * 4 + 2] = (uint8_t)(255 - yy), row[x * 4 + 3] = (uint8_t)(255 - k);
            } else {
                memcpy(row + x * 3, p, 3);
            }
        }
        JSAMPROW rp = row;
        jpeg_write_scanlines(&c, &rp, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    uint8_t *copy = malloc(outlen);
    memcpy(copy, out, outlen);
    free(out);
    *len = outlen;
    return copy;
}

static int gif_write(GifFileType *g, const GifByteType *p, int n)
{
    mem_put(g->UserData, p, (size_t)n);
    return n;
}

uint8_t *fx_gif(const uint8_t *rgba, unsigned w, unsigned h, unsigned sw, unsigned sh, unsigned left,
                unsigned top, bool interlaced, size_t *len)
{
    struct membuf m = {0};
    int err;
    GifFileType *g = EGifOpen(&m, gif_write, &err);
    GifColorType cols[8] = {{0, 0, 0}};
    int ncol = 1, transparent = 0;     /* index 0: transparent */
    uint8_t *idx = malloc((size_t)w * h);
    for (size_t i = 0; i < (size_t)w * h; i++) {
        const uint8_t *p = rgba + i * 4;
        if (p[3] < 128) {
            idx[i] = 0;
            continue;
        }
        int k;
        for (k = 1; k < ncol; k++)
            if (cols[k].Red == p[0] && cols[k].Green == p[1] && cols[k].Blue == p[2])
                break;
        if (k == ncol && ncol < 8)
            cols[ncol++] = (GifColorType){p[0], p[1], p[2]};
        idx[i] = (uint8_t)k;
    }
    ColorMapObject *map = GifMakeMapObject(8, cols);
    EGifSetGifVersion(g, true);
    EGifPutScreenDesc(g, (int)sw, (int)sh, 8, 0, map);
    GraphicsControlBlock gcb = {.DisposalMode = DISPOSAL_UNSPECIFIED, .TransparentColor = transparent};
    GifByteType ext[4];
    size_t el = EGifGCBToExtension(&gcb, ext);
    EGifPutExtension(g, GRAPHICS_EXT_FUNC_CODE, (int)el, ext);
    EGifPutImageDesc(g, (int)left, (int)top, (int)w, (int)h, interlaced, NULL);
    static const unsigned start[] = {0, 4, 2, 1}, step[] = {8, 8, 4, 2};
    if (interlaced) {
        for (unsigned p = 0; p < 4; p++)
            for (unsigned y = start[p]; y < h; y += step[p])
                EGifPutLine(g, idx + (size_t)y * w, (int)w);
    } else {
        for (unsigned y = 0; y < h; y++)
            EGifPutLine(g, idx + (size_t)y * w, (int)w);
    }
    EGifCloseFile(g, &err);
    GifFreeMapObject(map);
    free(idx);
    *len = m.len;
    return m.data;
}

uint8_t *fx_webp(const uint8_t *rgba, unsigned w, unsigned h, bool lossless, size_t *len)
{
    uint8_t *out = NULL;
    size_t n = lossless ? WebPEncodeLosslessRGBA(rgba, (int)w, (int)h, (int)w * 4, &out)
                        : WebPEncodeRGBA(rgba, (int)w, (int)h, (int)w * 4, 90, &out);
    uint8_t *copy = malloc(n);
    memcpy(copy, out, n);
    WebPFree(out);
    *len = n;
    return copy;
}

static void put_le16(uint8_t *p, unsigned v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void put_le32(uint8_t *p, uint32_t v) { put_le16(p, v & 0xffff), put_le16(p + 2, v >> 16); }

uint8_t *fx_bmp(const uint8_t *rgba, unsigned w, unsigned h, unsigned bpp, bool top_down, size_t *len)
{
    size_t stride = (((size_t)w * bpp + 31) / 32) * 4;
    size_t masks = bpp == 32 ? 16 : 0, npal = bpp == 8 ? 256 : 0;
    size_t off = 14 + 40 + masks + npal * 4, total = off + stride * h;
    uint8_t *b = calloc(1, total);
    b[0] = 'B', b[1] = 'M';
    put_le32(b + 2, (uint32_t)total);
    put_le32(b + 10, (uint32_t)off);
    uint8_t *hd = b + 14;
    put_le32(hd, 40);
    put_le32(hd + 4, w);
    put_le32(hd + 8, top_down ? (uint32_t)-(int32_t)h : h);
    put_le16(hd + 12, 1);
    put_le16(hd + 14, bpp);
    put_le32(hd + 16, bpp == 32 ? 6 : 0);   /* BI_ALPHABITFIELDS */
    put_le32(hd + 32, (uint32_t)npal);
    if (bpp == 32) {
        put_le32(b + 54, 0x00ff0000), put_le32(b + 58, 0x0000ff00);
        put_le32(b + 62, 0x000000ff), put_le32(b + 66, 0xff000000);
    }
    uint8_t *pal = b + 14 + 40 + masks;
    unsigned n = 0;
    for (unsigned y = 0; y < h; y++) {
        unsigned fy = top_down ? y : h - 1 - y;
        uint8_t *row = b + off + (size_t)fy * stride;
        for (unsigned x = 0; x < w; x++) {
            const uint8_t *p = rgba + ((size_t)y * w + x) * 4;
            if (bpp == 24) {
                row[x * 3] = p[2], row[x * 3 + 1] = p[1], row[x * 3 + 2] = p[0];
            } else if (bpp == 32) {
                row[x * 4] = p[2], row[x * 4 + 1] = p[1], row[x * 4 + 2] = p[0], row[x * 4 + 3] = p[3];
            } else {
                unsigned k;
                for (k = 0; k < n; k++)
                    if (pal[k * 4 + 2] == p[0] && pal[k * 4 + 1] == p[1] && pal[k * 4] == p[2])
                        break;
                if (k == n && n < 256) {
                    pal[n * 4 + 2] = p[0], pal[n * 4 + 1] = p[1], pal[n * 4] = p[2];
                    n++;
                }
                row[x] = (uint8_t)k;
            }
        }
    }
    *len = total;
    return b;
}
