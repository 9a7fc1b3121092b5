/*
 * decode.c - one entry point for every image format: the type is sniffed
 * from the magic bytes (never the name), the format's decoder checks the
 * declared dimensions before it allocates, and the pixels come back as
 * straight RGBA, shrunk on load when asked.
 *
 * Shrink-on-load: with max_side set, an image whose longer side is
 * larger comes back with that side exactly max_side (aspect kept, area
 * averaged); smaller images come back at their own size. JPEG is shrunk
 * first by libjpeg's DCT scaling (a 12 MP photo decodes at 1/4 or 1/8
 * the work), WebP by libwebp's own scaler, the rest row by row here, so
 * a large PNG, GIF or BMP never needs its full RGBA at once (interlaced
 * PNG aside). Every decoder runs in the evaluation worker, under its
 * RLIMIT_AS: no threads, no caches, nothing kept between calls.
 */
#include <stdlib.h>
#include <string.h>
#include <nettle/sha2.h>
#include "image_int.h"
#include "sg_message.h"

void sg_image_default_limits(struct sg_image_limits *lim)
{
    lim->max_pixels = (size_t)64 << 20;
    lim->max_images = 100;
    lim->max_total_pixels = (size_t)256 << 20;
    lim->max_seconds = 10;
}

void sg_image_free(struct sg_image *img)
{
    if (!img)
        return;
    free(img->rgba);
    free(img->label);
    img->rgba = NULL;
    img->label = NULL;
}

const char *sg_image_status_name(enum sg_image_status s)
{
    switch (s) {
    case SG_IMAGE_OK: return "ok";
    case SG_IMAGE_TOO_BIG: return "too-big";
    case SG_IMAGE_CORRUPT: return "corrupt";
    case SG_IMAGE_UNSUPPORTED: return "unsupported";
    }
    return "?";
}

bool sg_image_type_decodable(const char *sniffed)
{
    static const char *const types[] = {"png", "jpeg", "gif", "webp", "bmp", NULL};
    for (size_t i = 0; sniffed && types[i]; i++)
        if (!strcmp(sniffed, types[i]))
            return true;
    return false;
}

bool sg_idec_in_time(const struct sg_idec *d)
{
    if (!d->deadline.tv_sec)
        return true;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec < d->deadline.tv_sec ||
           (now.tv_sec == d->deadline.tv_sec && now.tv_nsec < d->deadline.tv_nsec);
}

enum sg_image_status sg_idec_dims(struct sg_idec *d, uint64_t w, uint64_t h)
{
    if (!w || !h || w > SG_IMAGE_MAX_SIDE || h > SG_IMAGE_MAX_SIDE || w * h > d->max_pixels)
        return SG_IMAGE_TOO_BIG;
    d->src_pixels = (size_t)(w * h);
    return SG_IMAGE_OK;
}

void sg_idec_out_size(const struct sg_idec *d, unsigned w, unsigned h, unsigned *ow, unsigned *oh)
{
    unsigned longer = w > h ? w : h;
    *ow = w;
    *oh = h;
    if (!d->max_side || longer <= d->max_side)
        return;
    /* Rounded, and never 0 for a long thin strip. */
    uint64_t sw = ((uint64_t)w * d->max_side + longer / 2) / longer;
    uint64_t sh = ((uint64_t)h * d->max_side + longer / 2) / longer;
    *ow = w >= h ? d->max_side : (sw ? (unsigned)sw : 1);
    *oh = h >= w ? d->max_side : (sh ? (unsigned)sh : 1);
}

bool sg_rows_init(struct sg_rows *r, unsigned sw, unsigned sh, unsigned dw, unsigned dh)
{
    memset(r, 0, sizeof(*r));
    r->sw = sw, r->sh = sh, r->dw = dw, r->dh = dh;
    /* Plain malloc, not sg_xmalloc: a buffer too big for the worker is a
     * limit hit to report, not a reason to end the worker. */
    r->out = calloc((size_t)dw * dh, 4);
    if (!r->out)
        return false;
    if (dw == sw && dh == sh)
        return true;
    r->acc = calloc((size_t)dw * 4, sizeof(uint64_t));
    r->cnt = calloc(dw, sizeof(uint32_t));
    r->xmap = malloc((size_t)sw * sizeof(uint32_t));
    if (!r->acc || !r->cnt || !r->xmap) {
        sg_rows_free(r);
        return false;
    }
    for (unsigned x = 0; x < sw; x++)
        r->xmap[x] = (uint32_t)((uint64_t)x * dw / sw);
    return true;
}

/* Writes the summed output row and clears the sums. */
static void flush_row(struct sg_rows *r)
{
    uint8_t *o = r->out + (size_t)r->cur * r->dw * 4;
    for (unsigned x = 0; x < r->dw; x++) {
        uint64_t *a = r->acc + (size_t)x * 4;
        uint32_t n = r->cnt[x];
        if (n && a[3]) {
            o[4 * x + 0] = (uint8_t)((a[0] + a[3] / 2) / a[3]);
            o[4 * x + 1] = (uint8_t)((a[1] + a[3] / 2) / a[3]);
            o[4 * x + 2] = (uint8_t)((a[2] + a[3] / 2) / a[3]);
            o[4 * x + 3] = (uint8_t)((a[3] + n / 2) / n);
        }
        a[0] = a[1] = a[2] = a[3] = 0;
        r->cnt[x] = 0;
    }
}

void sg_rows_push(struct sg_rows *r, const uint8_t *rgba)
{
    if (r->y >= r->sh)
        return;
    if (!r->acc) {
        memcpy(r->out + (size_t)r->y * r->sw * 4, rgba, (size_t)r->sw * 4);
        r->y++;
        return;
    }
    unsigned dy = (unsigned)((uint64_t)r->y * r->dh / r->sh);
    if (dy != r->cur) {
        flush_row(r);
        r->cur = dy;
    }
    for (unsigned x = 0; x < r->sw; x++) {
        const uint8_t *p = rgba + (size_t)x * 4;
        uint64_t *a = r->acc + (size_t)r->xmap[x] * 4;
        a[0] += (uint64_t)p[0] * p[3];
        a[1] += (uint64_t)p[1] * p[3];
        a[2] += (uint64_t)p[2] * p[3];
        a[3] += p[3];
        r->cnt[r->xmap[x]]++;
    }
    r->y++;
    if (r->y == r->sh)
        flush_row(r);
}

void sg_rows_finish(struct sg_rows *r, struct sg_image *img)
{
    if (r->acc && r->y && r->y < r->sh)
        flush_row(r);
    img->w = r->dw;
    img->h = r->dh;
    img->rgba = r->out;
    r->out = NULL;
    sg_rows_free(r);
}

void sg_rows_free(struct sg_rows *r)
{
    free(r->out);
    free(r->acc);
    free(r->cnt);
    free(r->xmap);
    r->out = NULL;
    r->acc = NULL;
    r->cnt = NULL;
    r->xmap = NULL;
}

enum sg_image_status sg_image_decode_with(const uint8_t *data, size_t len, struct sg_idec *d, struct sg_image *out)
{
    memset(out, 0, sizeof(*out));
    if (!data || !len)
        return SG_IMAGE_CORRUPT;
    const char *type = sg_sniff_type(data, len, NULL);
    enum sg_image_status (*fn)(const uint8_t *, size_t, struct sg_idec *, struct sg_image *) = NULL;
    if (!strcmp(type, "png"))
        fn = sg_image_decode_png;
    else if (!strcmp(type, "jpeg"))
        fn = sg_image_decode_jpeg;
    else if (!strcmp(type, "gif"))
        fn = sg_image_decode_gif;
    else if (!strcmp(type, "webp"))
        fn = sg_image_decode_webp;
    else if (!strcmp(type, "bmp"))
        fn = sg_image_decode_bmp;
    if (!fn)
        return SG_IMAGE_UNSUPPORTED;
    if (!sg_idec_in_time(d))
        return SG_IMAGE_TOO_BIG;
    enum sg_image_status st = fn(data, len, d, out);
    if (st != SG_IMAGE_OK) {
        free(out->rgba);
        out->rgba = NULL;
        out->w = out->h = 0;
        return st;
    }
    /* Nettle's SHA-256 (with the CPU's SHA extensions where it has them)
     * takes about 1 ms for a 12 MP photo's 1.3 MB where GLib's took 5, a
     * tenth of the picture's budget; it allocates nothing and cannot fail. */
    struct sha256_ctx sum;
    sha256_init(&sum);
    sha256_update(&sum, len, data);
    sha256_digest(&sum, sizeof(out->sha256), out->sha256);
    return st;
}

enum sg_image_status sg_image_decode(const uint8_t *data, size_t len, const struct sg_image_limits *lim,
                                     size_t max_side, struct sg_image *out)
{
    struct sg_image_limits def;
    if (!lim) {
        sg_image_default_limits(&def);
        lim = &def;
    }
    struct sg_idec d = {.max_pixels = lim->max_pixels ? lim->max_pixels : (size_t)64 << 20,
                        .max_side = max_side > SG_IMAGE_MAX_SIDE ? SG_IMAGE_MAX_SIDE : (unsigned)max_side};
    if (lim->max_seconds) {
        clock_gettime(CLOCK_MONOTONIC, &d.deadline);
        d.deadline.tv_sec += (time_t)lim->max_seconds;
    }
    return sg_image_decode_with(data, len, &d, out);
}
