/*
 * image_int.h - what the decoders in policy/image/ share: one decode's
 * limits and deadline, the dimension check every decoder makes before it
 * allocates a pixel, and the row sink that shrinks on load.
 */
#ifndef SG_IMAGE_INT_H
#define SG_IMAGE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "sg_image.h"

/* The longest side an image may declare, whatever max_pixels allows:
 * no format we read goes beyond it legitimately (WebP's own cap is
 * 16383) and it keeps every w * 4 row computation far from overflow. */
#define SG_IMAGE_MAX_SIDE 65535u
/* Scans a progressive JPEG may have: libjpeg-turbo's advice against
 * files built of thousands of tiny scans to burn CPU. */
#define SG_IMAGE_MAX_JPEG_SCANS 500

/* One decode: limits, the wanted output side, when to give up. */
struct sg_idec {
    size_t max_pixels;          /* source pixels, from the header */
    unsigned max_side;          /* 0 = full size */
    struct timespec deadline;   /* tv_sec 0 = none */
    size_t src_pixels;          /* set by the decoder once the header is read */
};

/* False once the deadline has passed. */
bool sg_idec_in_time(const struct sg_idec *d);
/* Checks declared dimensions against the limits and records them:
 * SG_IMAGE_OK, or SG_IMAGE_TOO_BIG (also for a zero side, which is
 * CORRUPT in a well-formed file but costs nothing to call big here:
 * the caller reports either as unread). */
enum sg_image_status sg_idec_dims(struct sg_idec *d, uint64_t w, uint64_t h);

/* The output size for a w x h source: itself, or scaled so the longer
 * side is max_side (aspect kept, each side at least 1). */
void sg_idec_out_size(const struct sg_idec *d, unsigned w, unsigned h, unsigned *ow, unsigned *oh);

/* Rows of straight RGBA pushed top to bottom, area-averaged (with alpha
 * weighting, so a transparent pixel's colour does not bleed) into the
 * output size. Rows never pushed (a truncated file) stay transparent. */
struct sg_rows {
    unsigned sw, sh, dw, dh;
    uint8_t *out;               /* dw * dh * 4 */
    uint64_t *acc;              /* dw * 4: sum of r*a, g*a, b*a, a */
    uint32_t *cnt;              /* dw: source pixels in each */
    uint32_t *xmap;             /* sw: output column of each source column */
    unsigned y, cur;            /* next source row; output row being summed */
};

/* False when the output cannot be allocated. */
bool sg_rows_init(struct sg_rows *r, unsigned sw, unsigned sh, unsigned dw, unsigned dh);
void sg_rows_push(struct sg_rows *r, const uint8_t *rgba);
/* Hands the pixels to img (w, h, rgba) and frees the rest. */
void sg_rows_finish(struct sg_rows *r, struct sg_image *img);
void sg_rows_free(struct sg_rows *r);

/* One decoder per format; each fills img->w, h, rgba. */
enum sg_image_status sg_image_decode_png(const uint8_t *data, size_t len, struct sg_idec *d, struct sg_image *img);
enum sg_image_status sg_image_decode_jpeg(const uint8_t *data, size_t len, struct sg_idec *d, struct sg_image *img);
enum sg_image_status sg_image_decode_gif(const uint8_t *data, size_t len, struct sg_idec *d, struct sg_image *img);
enum sg_image_status sg_image_decode_webp(const uint8_t *data, size_t len, struct sg_idec *d, struct sg_image *img);
enum sg_image_status sg_image_decode_bmp(const uint8_t *data, size_t len, struct sg_idec *d, struct sg_image *img);

/* Decodes with a deadline already set (the collector's, per message). */
enum sg_image_status sg_image_decode_with(const uint8_t *data, size_t len, struct sg_idec *d, struct sg_image *out);

#endif
