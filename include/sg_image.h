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
    unsigned src_w, src_h;       /* as the file declares it, before shrink-on-load */
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

/* The logo detector works at this scale: the side the collector asks
 * the decoders to shrink larger images to. */
#define SG_IMAGE_DETECT_SIDE 1024

/* 64 M pixels an image, 100 images and 256 M pixels a message, 10 s. */
void sg_image_default_limits(struct sg_image_limits *lim);

/* Decodes one PNG, JPEG, GIF (first frame), WebP (first frame) or BMP,
 * chosen by its magic bytes, into out (rgba, w, h, src_w, src_h,
 * sha256; out is overwritten whole, label NULL). The declared
 * dimensions are checked against lim->max_pixels before any pixel is
 * allocated (lim NULL = the defaults); lim->max_seconds bounds this
 * one decode.
 *
 * Shrink-on-load: max_side 0 gives the full size; otherwise an image
 * whose longer side is larger than max_side comes back with that side
 * exactly max_side (aspect kept, area-averaged with alpha weighting),
 * and smaller images at their own size. JPEG and WebP are shrunk by
 * their decoders (DCT scaling, libwebp's scaler), so a 12 MP photo
 * costs a fraction of a full decode.
 *
 * Grey, palette, 16-bit, CMYK/YCCK JPEG, interlaced PNG/GIF and alpha
 * all come back as straight RGBA. A truncated JPEG or GIF keeps what it
 * has (libjpeg pads grey, the GIF's missing lines are transparent); a
 * truncated PNG or BMP is CORRUPT. On any status but OK, out->rgba is
 * NULL. Runs in the caller's process: call it inside the evaluation
 * worker. */
enum sg_image_status sg_image_decode(const uint8_t *data, size_t len, const struct sg_image_limits *lim,
                                     size_t max_side, struct sg_image *out);
/* "ok", "too-big", "corrupt", "unsupported". */
const char *sg_image_status_name(enum sg_image_status s);
/* True for the sg_sniff_type() names sg_image_decode reads. */
bool sg_image_type_decodable(const char *sniffed);

/* Every image of a message, decoded, in the order found. limits says
 * what went unread and why, as enum sg_limit_flag bits the engine turns
 * into limits.on_limit (or on_encrypted): IMAGE for an image over
 * image_pixels or past the per-message count, pixel or time budget;
 * UNREADABLE for one that looks like an image but does not decode (or
 * a container that does not open); EXTRACT for a container's own
 * budgets (zip bomb, depth, entries); ENCRYPTED for a locked container.
 * An image not read is never "no logo". */
struct sg_image_list {
    struct sg_image *v;
    size_t n;
    unsigned limits;             /* enum sg_limit_flag bits */
    size_t unread;               /* images seen but not decoded */
};

struct sg_message;
struct sg_extract_budget;
struct sg_policy;

/* Collects the images of every attachment and inline part, by sniffed
 * type: the picture files themselves, Office and OpenDocument media
 * (DOCX/XLSX/PPTX word/, xl/, ppt/media/; ODF Pictures/), PDF image
 * XObjects (through poppler, as drawn, SMask applied), zip archives'
 * entries (nested as deep as containers->max_depth), the attachments of
 * forwarded messages, and pictures written into HTML as data: URIs
 * (message.c lists them as attachments with in_html set). Labels:
 * "crest.png", "report.docx#word/media/image1.png", "design.pdf#image2",
 * "photos.zip#trip/crest.png", "forwarded message 1, crest.png", "body
 * image 1". Containers are read through the text extractors' zip and
 * PDF checks with the containers budget (NULL = the defaults), per
 * attachment; images are shrunk on load to max_side (0 = none). */
void sg_image_collect(const struct sg_message *msg, const struct sg_image_limits *lim,
                      const struct sg_extract_budget *containers, size_t max_side, struct sg_image_list *out);
/* The same with the policy's limits: image_pixels, images,
 * image_total_pixels, image_timeout, and the extract_* budgets for
 * containers, at SG_IMAGE_DETECT_SIDE. */
void sg_image_collect_for(const struct sg_policy *p, const struct sg_message *msg, struct sg_image_list *out);
void sg_image_list_free(struct sg_image_list *l);

#endif
