/*
 * sg_image.h - pictures found in a message, decoded under limits, for the
 * logo detector.
 *
 * Images come from attachments and inline parts (sniffed by magic bytes,
 * never by name), from Office files' media folders, from PDF image
 * XObjects, from zip archives and from forwarded messages. Every image is
 * decoded with its dimensions checked before any pixel is allocated.
 */
#ifndef SG_IMAGE_H
#define SG_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Straight (not premultiplied) RGBA, 8 bits a channel, rows packed. */
struct sg_image {
    unsigned w, h;
    uint8_t *rgba;               /* w * h * 4 bytes */
    char *label;                 /* where it was: "design.pdf#image2", "crest.png" */
    uint8_t sha256[32];          /* of the encoded bytes, for the scan cache */
};

struct sg_image_limits {
    size_t max_pixels;           /* per image, checked from the header */
    size_t max_images;           /* per message */
    size_t max_total_pixels;     /* decoded per message */
    size_t max_seconds;          /* wall time for all images of a message */
};

/* Why an image went unread: a limit hit, never "no logo". */
enum sg_image_status {
    SG_IMAGE_OK = 0,
    SG_IMAGE_TOO_BIG,            /* dimensions or a per-message budget */
    SG_IMAGE_CORRUPT,            /* the decoder gave up */
    SG_IMAGE_UNSUPPORTED,        /* looks like an image, no decoder for it */
};

void sg_image_free(struct sg_image *img);

#endif
