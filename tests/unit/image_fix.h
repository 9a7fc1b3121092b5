/*
 * image_fix.h - images written at test time with the encoders of the
 * libraries the decoders read with (and BMP by hand), for
 * tests/unit/check_image.c. Each returns malloc'd bytes and their length.
 */
#ifndef IMAGE_FIX_H
#define IMAGE_FIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Four quadrants: red top left, green top right, blue bottom left,
 * white bottom right; with alpha, the top left is fully transparent and
 * the top right half transparent. */
uint8_t *fx_pattern(unsigned w, unsigned h, bool alpha);
/* The colour the pattern has at x, y. */
void fx_pattern_at(unsigned w, unsigned h, bool alpha, unsigned x, unsigned y, uint8_t out[4]);

enum fx_png_kind { FX_PNG_RGBA, FX_PNG_PALETTE, FX_PNG_GRAY16, FX_PNG_INTERLACED };
uint8_t *fx_png(const uint8_t *rgba, unsigned w, unsigned h, enum fx_png_kind kind, size_t *len);
/* A PNG signature and an IHDR (with its CRC right) claiming w x h, and
 * a few bytes of IDAT: for the decoders' size checks. */
uint8_t *fx_png_header_only(uint32_t w, uint32_t h, size_t *len);

enum fx_jpeg_cs { FX_JPEG_RGB, FX_JPEG_GRAY, FX_JPEG_CMYK, FX_JPEG_PROGRESSIVE };
uint8_t *fx_jpeg(const uint8_t *rgba, unsigned w, unsigned h, enum fx_jpeg_cs cs, int quality, size_t *len);

/* The pattern's colours as a palette (alpha 0 = the transparent index);
 * the frame at left, top on a screen of sw x sh. */
uint8_t *fx_gif(const uint8_t *rgba, unsigned w, unsigned h, unsigned sw, unsigned sh, unsigned left,
                unsigned top, bool interlaced, size_t *len);

uint8_t *fx_webp(const uint8_t *rgba, unsigned w, unsigned h, bool lossless, size_t *len);

/* bpp 8 (palette of the pattern's colours), 24, or 32 (BI_BITFIELDS
 * with an alpha mask). */
uint8_t *fx_bmp(const uint8_t *rgba, unsigned w, unsigned h, unsigned bpp, bool top_down, size_t *len);

#endif
