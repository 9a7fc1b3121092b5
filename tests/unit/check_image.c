/*
 * check_image.c - the image decoders (policy/image/): every format to the
 * right size and pixels, shrink-on-load, and hostile images (a PNG
 * claiming 1,000,000 x 1,000,000, a truncated JPEG, a GIF with a huge
 * logical screen, lying BMP and WebP headers) refused or read within the
 * limits, quickly. Images are written at test time (image_fix.c).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "check_suites.h"
#include "image_fix.h"
#include "sg_image.h"

#define W 64
#define H 48

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The pixel at x, y is within tol of want (alpha exactly unless tol). */
static void expect_px(const struct sg_image *img, unsigned x, unsigned y, const uint8_t want[4], int tol)
{
    const uint8_t *p = img->rgba + ((size_t)y * img->w + x) * 4;
    for (int c = 0; c < 4; c++)
        ck_assert_msg(abs((int)p[c] - (int)want[c]) <= tol, "pixel %u,%u channel %d: %d, want %d (tol %d)", x, y, c,
                      p[c], want[c], tol);
}

/* Samples the middle of each quadrant against the pattern. */
static void expect_pattern(const struct sg_image *img, bool alpha, bool grey, int tol)
{
    unsigned xs[2] = {img->w / 4, img->w * 3 / 4}, ys[2] = {img->h / 4, img->h * 3 / 4};
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 2; k++) {
            uint8_t want[4];
            fx_pattern_at(img->w, img->h, alpha, xs[i], ys[k], want);
            if (grey) {
                uint8_t g = (uint8_t)((want[0] * 299u + want[1] * 587u + want[2] * 114u) / 1000u);
                want[0] = want[1] = want[2] = g;
            }
            if (alpha && !want[3]) {
                /* Colour under full transparency is anyone's. */
                const uint8_t *p = img->rgba + ((size_t)ys[k] * img->w + xs[i]) * 4;
                ck_assert_int_eq(p[3], 0);
                continue;
            }
            expect_px(img, xs[i], ys[k], want, tol);
        }
}

static void decode_ok(const uint8_t *data, size_t len, size_t max_side, unsigned w, unsigned h, struct sg_image *img)
{
    memset(img, 0, sizeof(*img));
    enum sg_image_status st = sg_image_decode(data, len, NULL, max_side, img);
    ck_assert_msg(st == SG_IMAGE_OK, "status %s", sg_image_status_name(st));
    ck_assert_uint_eq(img->w, w);
    ck_assert_uint_eq(img->h, h);
    ck_assert_ptr_nonnull(img->rgba);
}

START_TEST(png_kinds)
{
    static const struct { enum fx_png_kind kind; bool alpha, grey; } cases[] = {
        {FX_PNG_RGBA, true, false}, {FX_PNG_PALETTE, true, false},
        {FX_PNG_GRAY16, false, true}, {FX_PNG_INTERLACED, false, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t *px = fx_pattern(W, H, cases[i].alpha);
        size_t len;
        uint8_t *png = fx_png(px, W, H, cases[i].kind, &len);
        struct sg_image img;
        decode_ok(png, len, 0, W, H, &img);
        ck_assert_uint_eq(img.src_w, W);
        expect_pattern(&img, cases[i].alpha, cases[i].grey, cases[i].grey ? 1 : 0);
        sg_image_free(&img);
        free(png);
        free(px);
    }
}
END_TEST

START_TEST(jpeg_kinds)
{
    static const enum fx_jpeg_cs cs[] = {FX_JPEG_RGB, FX_JPEG_GRAY, FX_JPEG_CMYK, FX_JPEG_PROGRESSIVE};
    for (size_t i = 0; i < 4; i++) {
        uint8_t *px = fx_pattern(W, H, false);
        size_t len;
        uint8_t *jpg = fx_jpeg(px, W, H, cs[i], 92, &len);
        struct sg_image img;
        decode_ok(jpg, len, 0, W, H, &img);
        expect_pattern(&img, false, cs[i] == FX_JPEG_GRAY, 24);
        sg_image_free(&img);
        free(jpg);
        free(px);
    }
}
END_TEST

START_TEST(gif_frames)
{
    for (int interlaced = 0; interlaced < 2; interlaced++) {
        uint8_t *px = fx_pattern(W, H, true);
        size_t len;
        uint8_t *gif = fx_gif(px, W, H, W, H, 0, 0, interlaced, &len);
        struct sg_image img;
        decode_ok(gif, len, 0, W, H, &img);
        /* GIF has no partial alpha: the half-transparent quadrant was
         * written opaque. */
        uint8_t green[4] = {0, 255, 0, 255}, blue[4] = {0, 0, 255, 255};
        expect_px(&img, W * 3 / 4, H / 4, green, 0);
        expect_px(&img, W / 4, H * 3 / 4, blue, 0);
        ck_assert_int_eq(img.rgba[((H / 4) * W + W / 4) * 4 + 3], 0);
        sg_image_free(&img);
        free(gif);
        free(px);
    }
    /* A frame at 10,5 on a larger screen: the canvas is the screen, and
     * outside the frame it is transparent. */
    uint8_t *px = fx_pattern(W, H, false);
    size_t len;
    uint8_t *gif = fx_gif(px, W, H, W + 20, H + 10, 10, 5, false, &len);
    struct sg_image img;
    decode_ok(gif, len, 0, W + 20, H + 10, &img);
    ck_assert_int_eq(img.rgba[3], 0);
    uint8_t red[4] = {255, 0, 0, 255};
    expect_px(&img, 10, 5, red, 0);
    sg_image_free(&img);
    free(gif);
    free(px);
}
END_TEST

START_TEST(webp_kinds)
{
    for (int lossless = 0; lossless < 2; lossless++) {
        uint8_t *px = fx_pattern(W, H, true);
        size_t len;
        uint8_t *wp = fx_webp(px, W, H, lossless, &len);
        struct sg_image img;
        decode_ok(wp, len, 0, W, H, &img);
        expect_pattern(&img, true, false, lossless ? 0 : 24);
        sg_image_free(&img);
        free(wp);
        free(px);
    }
}
END_TEST

START_TEST(bmp_kinds)
{
    static const struct { unsigned bpp; bool top_down, alpha; } cases[] = {
        {24, false, false}, {24, true, false}, {8, false, false}, {32, false, true},
    };
    for (size_t i = 0; i < 4; i++) {
        uint8_t *px = fx_pattern(W + 3, H, cases[i].alpha);   /* odd width: row padding */
        size_t len;
        uint8_t *bmp = fx_bmp(px, W + 3, H, cases[i].bpp, cases[i].top_down, &len);
        struct sg_image img;
        decode_ok(bmp, len, 0, W + 3, H, &img);
        expect_pattern(&img, cases[i].alpha, false, 0);
        sg_image_free(&img);
        /* Strict: a pixel array cut short is corrupt. */
        ck_assert_int_eq(sg_image_decode(bmp, len - 10, NULL, 0, &img), SG_IMAGE_CORRUPT);
        ck_assert_ptr_null(img.rgba);
        free(bmp);
        free(px);
    }
}
END_TEST

START_TEST(sha256_of_bytes)
{
    uint8_t *px = fx_pattern(8, 8, false);
    size_t len;
    uint8_t *png = fx_png(px, 8, 8, FX_PNG_RGBA, &len);
    struct sg_image a, b;
    decode_ok(png, len, 0, 8, 8, &a);
    decode_ok(png, len, 0, 8, 8, &b);
    ck_assert_mem_eq(a.sha256, b.sha256, 32);
    static const uint8_t zero[32];
    ck_assert(memcmp(a.sha256, zero, 32) != 0);
    sg_image_free(&a);
    sg_image_free(&b);
    free(png);
    free(px);
}
END_TEST

/* A 12 MP photo comes back at the detector's scale, quadrants intact,
 * and faster than a full decode would allow. */
START_TEST(shrink_on_load)
{
    unsigned w = 4000, h = 3000;
    uint8_t *px = fx_pattern(w, h, false);
    size_t len;
    uint8_t *jpg = fx_jpeg(px, w, h, FX_JPEG_RGB, 85, &len);
    struct sg_image img;
    double t0 = now_s();
    decode_ok(jpg, len, 1024, 1024, 768, &img);
    double ms = (now_s() - t0) * 1000;
    ck_assert_uint_eq(img.src_w, 4000);
    ck_assert_uint_eq(img.src_h, 3000);
    expect_pattern(&img, false, false, 24);
    sg_image_free(&img);
    ck_assert_msg(ms < 2000, "12 MP JPEG shrink-on-load took %.0f ms", ms);
    free(jpg);

    /* PNG, GIF, BMP and WebP through their own paths; a wide strip keeps
     * a side of at least 1. */
    unsigned pw = 3000, ph = 1000;
    uint8_t *pp = fx_pattern(pw, ph, true);
    uint8_t *png = fx_png(pp, pw, ph, FX_PNG_RGBA, &len);
    decode_ok(png, len, 1024, 1024, 341, &img);
    expect_pattern(&img, true, false, 2);
    sg_image_free(&img);
    free(png);
    uint8_t *wp = fx_webp(pp, pw, ph, true, &len);
    decode_ok(wp, len, 1024, 1024, 341, &img);
    expect_pattern(&img, true, false, 8);
    sg_image_free(&img);
    free(wp);
    uint8_t *gif = fx_gif(pp, pw, ph, pw, ph, 0, 0, true, &len);
    decode_ok(gif, len, 1024, 1024, 341, &img);
    sg_image_free(&img);
    free(gif);
    uint8_t *bmp = fx_bmp(pp, pw, ph, 32, false, &len);
    decode_ok(bmp, len, 1024, 1024, 341, &img);
    expect_pattern(&img, true, false, 2);
    sg_image_free(&img);
    free(bmp);
    free(pp);
    uint8_t *strip = fx_pattern(5000, 2, false);
    png = fx_png(strip, 5000, 2, FX_PNG_RGBA, &len);
    decode_ok(png, len, 1024, 1024, 1, &img);
    sg_image_free(&img);
    free(png);
    free(strip);
    /* Smaller than max_side: its own size. */
    uint8_t *small = fx_pattern(W, H, false);
    png = fx_png(small, W, H, FX_PNG_RGBA, &len);
    decode_ok(png, len, 1024, W, H, &img);
    sg_image_free(&img);
    free(png);
    free(small);
    free(px);
}
END_TEST

START_TEST(hostile_png_huge)
{
    size_t len;
    uint8_t *png = fx_png_header_only(1000000, 1000000, &len);
    struct sg_image img;
    double t0 = now_s();
    ck_assert_int_eq(sg_image_decode(png, len, NULL, 1024, &img), SG_IMAGE_TOO_BIG);
    ck_assert_ptr_null(img.rgba);
    /* Under the side cap but past max_pixels. */
    free(png);
    png = fx_png_header_only(20000, 20000, &len);
    ck_assert_int_eq(sg_image_decode(png, len, NULL, 1024, &img), SG_IMAGE_TOO_BIG);
    free(png);
    /* Within the limits, but the data is not there: corrupt, not a hang. */
    png = fx_png_header_only(4000, 4000, &len);
    ck_assert_int_eq(sg_image_decode(png, len, NULL, 1024, &img), SG_IMAGE_CORRUPT);
    free(png);
    /* A limit set lower refuses what the default allows. */
    struct sg_image_limits lim;
    sg_image_default_limits(&lim);
    lim.max_pixels = 1000;
    uint8_t *px = fx_pattern(W, H, false);
    png = fx_png(px, W, H, FX_PNG_RGBA, &len);
    ck_assert_int_eq(sg_image_decode(png, len, &lim, 0, &img), SG_IMAGE_TOO_BIG);
    free(png);
    free(px);
    ck_assert(now_s() - t0 < 1.0);
}
END_TEST

START_TEST(hostile_truncated)
{
    uint8_t *px = fx_pattern(512, 512, false);
    size_t len;
    uint8_t *jpg = fx_jpeg(px, 512, 512, FX_JPEG_RGB, 90, &len);
    struct sg_image img;
    /* Cut in half: libjpeg pads the rest; the top is still read. */
    ck_assert_int_eq(sg_image_decode(jpg, len / 2, NULL, 0, &img), SG_IMAGE_OK);
    uint8_t red[4] = {255, 0, 0, 255};
    expect_px(&img, 64, 64, red, 24);
    sg_image_free(&img);
    /* Cut inside the headers: corrupt. */
    ck_assert_int_eq(sg_image_decode(jpg, 100, NULL, 0, &img), SG_IMAGE_CORRUPT);
    ck_assert_int_eq(sg_image_decode(jpg, 3, NULL, 0, &img), SG_IMAGE_CORRUPT);
    /* Every cut of a progressive JPEG and a PNG, and the middle of each
     * decoded without a crash (ASan watches). */
    uint8_t *pj = fx_jpeg(px, 512, 512, FX_JPEG_PROGRESSIVE, 90, &len);
    for (size_t cut = 1; cut < len; cut += len / 37 + 1) {
        if (sg_image_decode(pj, cut, NULL, 0, &img) == SG_IMAGE_OK)
            ck_assert_uint_eq(img.w, 512);
        sg_image_free(&img);
    }
    free(pj);
    size_t plen;
    uint8_t *png = fx_png(px, 512, 512, FX_PNG_INTERLACED, &plen);
    for (size_t cut = 1; cut < plen; cut += plen / 37 + 1) {
        ck_assert_int_ne(sg_image_decode(png, cut, NULL, 0, &img), SG_IMAGE_OK);
        ck_assert_ptr_null(img.rgba);
    }
    free(png);
    size_t glen;
    uint8_t *gif = fx_gif(px, 512, 512, 512, 512, 0, 0, false, &glen);
    for (size_t cut = 1; cut < glen; cut += glen / 37 + 1) {
        sg_image_decode(gif, cut, NULL, 0, &img);
        sg_image_free(&img);
    }
    free(gif);
    size_t wlen;
    uint8_t *wp = fx_webp(px, 512, 512, false, &wlen);
    for (size_t cut = 1; cut < wlen; cut += wlen / 37 + 1) {
        ck_assert_int_ne(sg_image_decode(wp, cut, NULL, 0, &img), SG_IMAGE_OK);
        ck_assert_ptr_null(img.rgba);
    }
    free(wp);
    free(jpg);
    free(px);
}
END_TEST

static void put_le16(uint8_t *p, unsigned v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }

START_TEST(hostile_headers)
{
    struct sg_image img;
    double t0 = now_s();
    /* GIF: a 65535 x 65535 logical screen around a 4 x 4 frame. */
    uint8_t *px = fx_pattern(4, 4, false);
    size_t len;
    uint8_t *gif = fx_gif(px, 4, 4, 4, 4, 0, 0, false, &len);
    put_le16(gif + 6, 65535);
    put_le16(gif + 8, 65535);
    ck_assert_int_eq(sg_image_decode(gif, len, NULL, 1024, &img), SG_IMAGE_TOO_BIG);
    free(gif);
    /* A frame that claims more than the screen and the limits. */
    gif = fx_gif(px, 4, 4, 4, 4, 0, 0, false, &len);
    uint8_t *desc = memchr(gif + 13 + 8 * 3, ',', len - 13 - 24);
    ck_assert_ptr_nonnull(desc);
    put_le16(desc + 5, 60000);
    put_le16(desc + 7, 60000);
    ck_assert_int_eq(sg_image_decode(gif, len, NULL, 1024, &img), SG_IMAGE_TOO_BIG);
    free(gif);
    /* BMP: 60000 x 60000 declared in a 100-byte file. */
    uint8_t *bmp = fx_bmp(px, 4, 4, 24, false, &len);
    bmp[18] = 0x60, bmp[19] = 0xea, bmp[22] = 0x60, bmp[23] = 0xea;
    ck_assert_int_eq(sg_image_decode(bmp, len, NULL, 1024, &img), SG_IMAGE_TOO_BIG);
    /* Zero width, negative width, an RLE bitmap, a bad header size. */
    free(bmp);
    bmp = fx_bmp(px, 4, 4, 24, false, &len);
    memset(bmp + 18, 0, 4);
    ck_assert_int_eq(sg_image_decode(bmp, len, NULL, 1024, &img), SG_IMAGE_CORRUPT);
    free(bmp);
    bmp = fx_bmp(px, 4, 4, 8, false, &len);
    bmp[30] = 1;
    ck_assert_int_eq(sg_image_decode(bmp, len, NULL, 1024, &img), SG_IMAGE_UNSUPPORTED);
    bmp[30] = 0;
    bmp[14] = 99;
    ck_assert_int_eq(sg_image_decode(bmp, len, NULL, 1024, &img), SG_IMAGE_UNSUPPORTED);
    free(bmp);
    /* WebP: a lossless header claiming 16383 x 16383, nothing behind it. */
    uint8_t *wp = fx_webp(px, 4, 4, true, &len);
    ck_assert(len > 25 && !memcmp(wp + 12, "VP8L", 4));
    uint32_t bits = (16383 - 1) | (uint32_t)(16383 - 1) << 14;
    wp[21] = (uint8_t)bits, wp[22] = (uint8_t)(bits >> 8), wp[23] = (uint8_t)(bits >> 16);
    wp[24] = (uint8_t)((wp[24] & 0xf0) | ((bits >> 24) & 0x0f));
    struct sg_image_limits lim;
    sg_image_default_limits(&lim);
    lim.max_pixels = 16u << 20;
    ck_assert_int_eq(sg_image_decode(wp, len, &lim, 1024, &img), SG_IMAGE_TOO_BIG);
    ck_assert_int_ne(sg_image_decode(wp, len, NULL, 1024, &img), SG_IMAGE_OK);
    free(wp);
    /* Not an image at all, and magic bytes followed by junk. */
    static const uint8_t junk[] = "\xff\xd8\xff\xe0 not really a jpeg at all, just words";
    ck_assert_int_eq(sg_image_decode(junk, sizeof(junk), NULL, 0, &img), SG_IMAGE_CORRUPT);
    static const uint8_t text[] = "hello";
    ck_assert_int_eq(sg_image_decode(text, 5, NULL, 0, &img), SG_IMAGE_UNSUPPORTED);
    ck_assert_int_eq(sg_image_decode(NULL, 0, NULL, 0, &img), SG_IMAGE_CORRUPT);
    free(px);
    ck_assert(now_s() - t0 < 2.0);
}
END_TEST

/* A huge, valid progressive JPEG within max_pixels: the time budget
 * stops it. */
START_TEST(deadline)
{
    unsigned w = 6000, h = 6000;
    uint8_t *px = fx_pattern(w, h, false);
    size_t len;
    uint8_t *jpg = fx_jpeg(px, w, h, FX_JPEG_PROGRESSIVE, 95, &len);
    free(px);
    struct sg_image_limits lim;
    sg_image_default_limits(&lim);
    lim.max_seconds = 1;
    struct sg_image img;
    double t0 = now_s();
    enum sg_image_status st = sg_image_decode(jpg, len, &lim, 0, &img);
    double s = now_s() - t0;
    ck_assert_msg(s < 3.0, "took %.1f s", s);
    if (st == SG_IMAGE_OK)
        sg_image_free(&img);
    else
        ck_assert_int_eq(st, SG_IMAGE_TOO_BIG);
    free(jpg);
}
END_TEST

Suite *sg_suite_image(void)
{
    Suite *s = suite_create("image");
    TCase *t = tcase_create("decode");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, png_kinds);
    tcase_add_test(t, jpeg_kinds);
    tcase_add_test(t, gif_frames);
    tcase_add_test(t, webp_kinds);
    tcase_add_test(t, bmp_kinds);
    tcase_add_test(t, sha256_of_bytes);
    tcase_add_test(t, shrink_on_load);
    tcase_add_test(t, hostile_png_huge);
    tcase_add_test(t, hostile_truncated);
    tcase_add_test(t, hostile_headers);
    tcase_add_test(t, deadline);
    suite_add_tcase(s, t);
    return s;
}
