/*
 * check_image.c - the image decoders (policy/image/): every format to the
 * right size and pixels, shrink-on-load, and hostile images (a PNG
 * claiming 1,000,000 x 1,000,000, a truncated JPEG, a GIF with a huge
 * logical screen, lying BMP and WebP headers) refused or read within the
 * limits, quickly. Images are written at test time (image_fix.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <glib.h>
#include "check_suites.h"
#include "image_fix.h"
#include "../../policy/image/image_int.h"
#include "mkattach.h"
#include "sg_image.h"
#include "sg_message.h"
#include "sg_detector.h"
#include "sg_engine.h"
#include "sg_policy.h"
#include "sg_verdict.h"
#include "sg_util.h"

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

/* Decodes stop at the deadline: each decoder looks at the clock as it
 * reads (libpng's reads, libjpeg's progress monitor, GIF lines, BMP
 * rows), so a valid but slow image costs the budget, not more. */
START_TEST(deadline)
{
    unsigned w = 3000, h = 2000;
    uint8_t *px = fx_pattern(w, h, false);
    size_t len[4];
    uint8_t *img[4] = {
        fx_png(px, w, h, FX_PNG_RGBA, &len[0]), fx_jpeg(px, w, h, FX_JPEG_PROGRESSIVE, 90, &len[1]),
        fx_gif(px, w, h, w, h, 0, 0, false, &len[2]), fx_bmp(px, w, h, 24, false, &len[3]),
    };
    free(px);
    for (int i = 0; i < 4; i++) {
        struct sg_idec d = {.max_pixels = (size_t)64 << 20};
        clock_gettime(CLOCK_MONOTONIC, &d.deadline);
        d.deadline.tv_nsec += 1000000;   /* 1 ms: far less than 6 MP take */
        if (d.deadline.tv_nsec >= 1000000000L) {
            d.deadline.tv_sec++;
            d.deadline.tv_nsec -= 1000000000L;
        }
        struct sg_image out;
        double t0 = now_s();
        enum sg_image_status st = sg_image_decode_with(img[i], len[i], &d, &out);
        ck_assert_msg(st == SG_IMAGE_TOO_BIG, "format %d: %s", i, sg_image_status_name(st));
        ck_assert_ptr_null(out.rgba);
        ck_assert_msg(now_s() - t0 < 1.0, "format %d stopped late", i);
        free(img[i]);
    }
}
END_TEST

/* ---- collection from messages ---- */

struct part {
    const char *type, *name;
    uint8_t *data;
    size_t len;
};

static char tmpdir[64];

static const char *tmpfile_named(const char *name)
{
    static char path[160];
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/sg-image-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    }
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    return path;
}

static uint8_t *slurp_file(const char *path, size_t *len)
{
    gchar *d = NULL;
    gsize n = 0;
    ck_assert_msg(g_file_get_contents(path, &d, &n, NULL), "cannot read %s", path);
    unlink(path);
    *len = n;
    return (uint8_t *)d;
}

static void add_b64_part(struct sg_buf *b, const char *boundary, const struct part *p)
{
    gchar *enc = g_base64_encode(p->data, p->len);
    sg_buf_printf(b, "--%s\r\nContent-Type: %s\r\nContent-Disposition: attachment; filename=\"%s\"\r\n"
                     "Content-Transfer-Encoding: base64\r\n\r\n", boundary, p->type, p->name);
    for (size_t i = 0, n = strlen(enc); i < n; i += 76) {
        sg_buf_append(b, enc + i, n - i < 76 ? n - i : 76);
        sg_buf_puts(b, "\r\n");
    }
    g_free(enc);
}

/* A message of parts (and a forwarded message of fparts); caller frees. */
static struct sg_message *build(const struct part *parts, size_t n, const struct part *fparts, size_t fn)
{
    struct sg_buf b = {0};
    sg_buf_puts(&b, "From: a@t.sch.uk\r\nTo: b@example.com\r\nSubject: pictures\r\nMIME-Version: 1.0\r\n"
                    "Content-Type: multipart/mixed; boundary=\"OUTER\"\r\n\r\n--OUTER\r\n"
                    "Content-Type: text/plain\r\n\r\nSee attached.\r\n");
    for (size_t i = 0; i < n; i++)
        add_b64_part(&b, "OUTER", &parts[i]);
    if (fn) {
        sg_buf_puts(&b, "--OUTER\r\nContent-Type: message/rfc822\r\n\r\nFrom: c@example.com\r\nSubject: fwd\r\n"
                        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"INNER\"\r\n\r\n"
                        "--INNER\r\nContent-Type: text/plain\r\n\r\nold\r\n");
        for (size_t i = 0; i < fn; i++)
            add_b64_part(&b, "INNER", &fparts[i]);
        sg_buf_puts(&b, "--INNER--\r\n");
    }
    sg_buf_puts(&b, "--OUTER--\r\n");
    struct sg_message_limits lim;
    sg_message_default_limits(&lim);
    lim.decode_attachments = true;
    char err[128];
    struct sg_message *m = sg_message_parse_mem(b.data, b.len, &lim, err, sizeof(err));
    sg_buf_free(&b);
    ck_assert_ptr_nonnull(m);
    return m;
}

static const struct sg_image *find_label(const struct sg_image_list *l, const char *label)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].label, label))
            return &l->v[i];
    return NULL;
}

static void expect_label(const struct sg_image_list *l, const char *label, unsigned w, unsigned h)
{
    const struct sg_image *img = find_label(l, label);
    if (!img) {
        struct sg_buf all = {0};
        for (size_t i = 0; i < l->n; i++)
            sg_buf_printf(&all, " [%s]", l->v[i].label);
        ck_abort_msg("no image labelled %s; have%s", label, all.data ? all.data : " none");
    }
    ck_assert_uint_eq(img->w, w);
    ck_assert_uint_eq(img->h, h);
}

START_TEST(collect_containers)
{
    uint8_t *px = fx_pattern(120, 80, true);
    size_t plen, jlen, glen, dlen, flen, zlen;
    uint8_t *png = fx_png(px, 120, 80, FX_PNG_RGBA, &plen);
    uint8_t *jpg = fx_jpeg(px, 120, 80, FX_JPEG_RGB, 90, &jlen);
    uint8_t *gif = fx_gif(px, 120, 80, 120, 80, 0, 0, false, &glen);
    ck_assert_int_eq(mka_imgdocx(tmpfile_named("report.docx"), png, plen, "image1.png"), 0);
    uint8_t *docx = slurp_file(tmpfile_named("report.docx"), &dlen);
    ck_assert_int_eq(mka_imgpdf(tmpfile_named("design.pdf"), jpg, jlen), 0);
    uint8_t *pdf = slurp_file(tmpfile_named("design.pdf"), &flen);
    /* A zip holding a picture and the DOCX. */
    FILE *f = fopen(tmpfile_named("crest.png"), "wb");
    fwrite(png, 1, plen, f);
    fclose(f);
    f = fopen(tmpfile_named("letter.docx"), "wb");
    fwrite(docx, 1, dlen, f);
    fclose(f);
    char zin1[160], zin2[160];
    snprintf(zin1, sizeof(zin1), "%s", tmpfile_named("crest.png"));
    snprintf(zin2, sizeof(zin2), "%s", tmpfile_named("letter.docx"));
    char *files[] = {zin1, zin2};
    ck_assert_int_eq(mka_zip(tmpfile_named("pack.zip"), files, 2), 0);
    uint8_t *zip = slurp_file(tmpfile_named("pack.zip"), &zlen);
    unlink(zin1);
    unlink(zin2);

    /* The PNG is sent under another name and type: sniffed, not named. */
    struct part parts[] = {
        {"application/octet-stream", "crest.dat", png, plen},
        {"image/jpeg", "photo.jpg", jpg, jlen},
        {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "report.docx", docx, dlen},
        {"application/pdf", "design.pdf", pdf, flen},
        {"application/zip", "pack.zip", zip, zlen},
    };
    struct part fparts[] = {{"image/gif", "old.gif", gif, glen}};
    struct sg_message *m = build(parts, 5, fparts, 1);
    struct sg_image_list l;
    sg_image_collect(m, NULL, NULL, 0, &l);
    ck_assert_msg(l.limits == 0, "limits %#x", l.limits);
    expect_label(&l, "crest.dat", 120, 80);
    expect_label(&l, "photo.jpg", 120, 80);
    expect_label(&l, "report.docx#word/media/image1.png", 120, 80);
    expect_label(&l, "design.pdf#image1", 120, 80);
    expect_label(&l, "pack.zip#crest.png", 120, 80);
    expect_label(&l, "pack.zip#letter.docx#word/media/image1.png", 120, 80);
    expect_label(&l, "forwarded message 1, old.gif", 120, 80);
    ck_assert_uint_eq(l.n, 7);
    /* Pixels survive every route: the PDF's JPEG bottom left is blue. */
    const struct sg_image *pi = find_label(&l, "design.pdf#image1");
    uint8_t blue[4] = {0, 0, 255, 255};
    expect_px(pi, 30, 60, blue, 24);
    const struct sg_image *di = find_label(&l, "report.docx#word/media/image1.png");
    ck_assert_int_eq(di->rgba[(20 * 120 + 30) * 4 + 3], 0);   /* transparent top left */
    /* The same bytes, the same hash, wherever they were found. */
    ck_assert_mem_eq(find_label(&l, "crest.dat")->sha256, di->sha256, 32);
    sg_image_list_free(&l);

    /* Budgets: two images at most, then a limit hit, not silence. */
    struct sg_image_limits lim;
    sg_image_default_limits(&lim);
    lim.max_images = 2;
    sg_image_collect(m, &lim, NULL, 0, &l);
    ck_assert_uint_eq(l.n, 2);
    ck_assert(l.limits & SG_LIMIT_IMAGE);
    ck_assert(l.unread >= 1);
    sg_image_list_free(&l);
    sg_image_default_limits(&lim);
    lim.max_total_pixels = 120 * 80 * 3;
    sg_image_collect(m, &lim, NULL, 0, &l);
    ck_assert_uint_eq(l.n, 3);
    ck_assert(l.limits & SG_LIMIT_IMAGE);
    sg_image_list_free(&l);
    /* Shrink-on-load through the collector. */
    sg_image_collect(m, NULL, NULL, 60, &l);
    expect_label(&l, "design.pdf#image1", 60, 40);
    expect_label(&l, "pack.zip#letter.docx#word/media/image1.png", 60, 40);
    sg_image_list_free(&l);
    sg_message_free(m);
    free(png), free(jpg), free(gif), free(docx), free(pdf), free(zip), free(px);
}
END_TEST

START_TEST(collect_hostile)
{
    size_t blen, hlen, plen;
    ck_assert_int_eq(mka_imgbombdocx(tmpfile_named("bomb.docx")), 0);
    uint8_t *bomb = slurp_file(tmpfile_named("bomb.docx"), &blen);
    ck_assert_int_eq(mka_hugeimgpdf(tmpfile_named("huge.pdf")), 0);
    uint8_t *huge = slurp_file(tmpfile_named("huge.pdf"), &hlen);
    uint8_t *claim = fx_png_header_only(1000000, 1000000, &plen);
    static uint8_t broken[] = "\x89PNG\r\n\x1a\n but nothing a decoder can use";
    double t0 = now_s();
    struct part one[] = {{"application/octet-stream", "bomb.docx", bomb, blen}};
    struct sg_message *m = build(one, 1, NULL, 0);
    struct sg_image_list l;
    sg_image_collect(m, NULL, NULL, 1024, &l);
    ck_assert_uint_eq(l.n, 0);
    ck_assert_msg(l.limits & SG_LIMIT_EXTRACT, "bomb.docx: limits %#x", l.limits);
    sg_image_list_free(&l);
    sg_message_free(m);
    struct part two[] = {{"application/pdf", "huge.pdf", huge, hlen}};
    m = build(two, 1, NULL, 0);
    sg_image_collect(m, NULL, NULL, 1024, &l);
    ck_assert_uint_eq(l.n, 0);
    ck_assert_msg(l.limits & SG_LIMIT_IMAGE, "huge.pdf: limits %#x", l.limits);
    sg_image_list_free(&l);
    sg_message_free(m);
    struct part three[] = {{"image/png", "claim.png", claim, plen}, {"image/png", "broken.png", broken, sizeof(broken)}};
    m = build(three, 2, NULL, 0);
    sg_image_collect(m, NULL, NULL, 1024, &l);
    ck_assert_uint_eq(l.n, 0);
    ck_assert_uint_eq(l.unread, 2);
    ck_assert(l.limits & SG_LIMIT_IMAGE);
    ck_assert(l.limits & SG_LIMIT_UNREADABLE);
    sg_image_list_free(&l);
    sg_message_free(m);
    ck_assert_msg(now_s() - t0 < 5.0, "hostile collection took %.1f s", now_s() - t0);
    free(bomb), free(huge), free(claim);
}
END_TEST

/* A crest written into an HTML signature as a data: URI is a picture of
 * the message too; only when pictures are wanted is it decoded. */
START_TEST(collect_data_uri)
{
    uint8_t *px = fx_pattern(32, 24, false);
    size_t plen;
    uint8_t *png = fx_png(px, 32, 24, FX_PNG_RGBA, &plen);
    gchar *b64 = g_base64_encode(png, plen);
    /* Folded as some clients fold long attribute values. */
    struct sg_buf folded = {0};
    for (size_t i = 0, n = strlen(b64); i < n; i += 60) {
        sg_buf_append(&folded, b64 + i, n - i < 60 ? n - i : 60);
        sg_buf_puts(&folded, "\r\n");
    }
    struct sg_buf raw = {0};
    sg_buf_printf(&raw, "From: a@t.sch.uk\r\nTo: b@example.com\r\nSubject: sig\r\nMIME-Version: 1.0\r\n"
                        "Content-Type: text/html\r\n\r\n<p>Regards</p><img alt=\"crest\" src=\"data:image/png;base64,%s\">"
                        "<img src='data:image/gif;base64,R0lGODlhAQAB'>\r\n", folded.data);
    struct sg_message_limits lim;
    sg_message_default_limits(&lim);
    lim.decode_attachments = lim.html_images = true;
    char err[128];
    struct sg_message *m = sg_message_parse_mem(raw.data, raw.len, &lim, err, sizeof(err));
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(m->natts, 2);
    ck_assert_str_eq(m->atts[0].sniffed_type, "png");
    ck_assert(m->atts[0].in_html);
    ck_assert_ptr_null(m->atts[0].filename);
    struct sg_image_list l;
    sg_image_collect(m, NULL, NULL, 0, &l);
    expect_label(&l, "body image 1", 32, 24);
    ck_assert_uint_eq(l.n, 1);
    ck_assert(l.limits & SG_LIMIT_UNREADABLE);   /* the cut GIF */
    sg_image_list_free(&l);
    sg_message_free(m);
    /* No rule reads pictures: nothing is decoded or listed. */
    lim.html_images = false;
    m = sg_message_parse_mem(raw.data, raw.len, &lim, err, sizeof(err));
    ck_assert_uint_eq(m->natts, 0);
    sg_message_free(m);
    sg_buf_free(&raw);
    sg_buf_free(&folded);
    g_free(b64);
    free(png);
    free(px);
}
END_TEST

/* The engine collects only for a policy whose rule reads pictures and
 * has a recipient in scope, and a picture left unread is a limit hit
 * that on_limit answers. The logo detector is not here yet: a stand-in
 * that asks for images and counts what it is given. */
static size_t fake_seen = (size_t)-1;

static int fake_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    (void)state, (void)out;
    fake_seen = scan->nimages;
    return 0;
}

static const struct sg_detector fake_images = {.key = "fake_images", .needs_images = true, .scan = fake_scan};

static struct sg_verdict judge(const struct sg_policy *p, const struct sg_message *m, const char *rcpt)
{
    char **rcpts = sg_strv_push(sg_xcalloc(1, sizeof(char *)), rcpt);
    struct sg_envelope env = {.mail_from = "x@t.sch.uk", .rcpts = rcpts, .client_addr = "10.1.2.3",
                              .when = 1795600800};
    struct sg_verdict v;
    sg_verdict_init(&v, 1);
    sg_engine_evaluate(p, &env, m, &v);
    sg_strv_free(rcpts);
    return v;
}

START_TEST(engine_collects)
{
    struct sg_policy *p = sg_test_one_rule("logo1", "logo", "quarantine", "{lexicon: {terms: [zebra]}}");
    ck_assert(!p->needs_images);
    ck_assert_uint_eq(p->limits.image_pixels, (size_t)64 << 20);
    ck_assert_uint_eq(p->limits.images, 100);
    ck_assert_uint_eq(p->limits.image_total_pixels, (size_t)256 << 20);
    ck_assert_uint_eq(p->limits.image_seconds, 10);
    const struct sg_detector *real = p->rules[0].conds[0].det;
    p->rules[0].conds[0].det = &fake_images;
    p->rules[0].to_mask = SG_RCLASS_BIT(SG_RCLASS_EXTERNAL);
    p->needs_images = true;

    uint8_t *px = fx_pattern(40, 30, false);
    size_t plen, clen;
    uint8_t *png = fx_png(px, 40, 30, FX_PNG_RGBA, &plen);
    uint8_t *claim = fx_png_header_only(1000000, 1000000, &clen);
    struct part parts[] = {{"image/png", "crest.png", png, plen}, {"image/png", "claim.png", claim, clen}};
    struct sg_message *m = build(parts, 2, NULL, 0);
    fake_seen = (size_t)-1;
    struct sg_verdict v = judge(p, m, "someone@example.com");
    ck_assert_uint_eq(fake_seen, 1);
    ck_assert(v.limits_hit & SG_LIMIT_IMAGE);
    ck_assert_int_eq(v.action, p->limits.on_limit);
    char names[128];
    sg_limit_names(v.limits_hit, names, sizeof(names));
    ck_assert_msg(strstr(names, "image") != NULL, "%s", names);
    sg_verdict_clear(&v);
    /* Staff to staff: the rule has nobody in scope, nothing is decoded. */
    fake_seen = (size_t)-1;
    v = judge(p, m, "colleague@t.sch.uk");
    ck_assert_uint_eq(fake_seen, (size_t)-1);
    ck_assert(!(v.limits_hit & SG_LIMIT_IMAGE));
    ck_assert_int_eq(v.action, SG_ACTION_ACCEPT);
    sg_verdict_clear(&v);
    sg_message_free(m);
    p->rules[0].conds[0].det = real;
    sg_policy_unref(p);
    free(px), free(png), free(claim);
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
    TCase *c = tcase_create("collect");
    tcase_set_timeout(c, 60);
    tcase_add_test(c, collect_containers);
    tcase_add_test(c, collect_hostile);
    tcase_add_test(c, collect_data_uri);
    tcase_add_test(c, engine_collects);
    suite_add_tcase(s, c);
    return s;
}
