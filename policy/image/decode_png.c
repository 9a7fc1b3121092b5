/*
 * decode_png.c - PNG with libpng: png_set_user_limits() refuses large
 * dimensions inside libpng itself, before the header is even handed
 * back, and the chunk allocation cap keeps a giant iCCP or zTXt from
 * costing memory. Palette, grey, 16-bit and tRNS all expand to RGBA.
 * A non-interlaced image is read row by row into the shrinker; an
 * interlaced one needs its full RGBA for Adam7's passes.
 */
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include "image_int.h"

/* Largest ancillary chunk libpng may allocate (an ICC profile is ~1 MB at most). */
#define PNG_CHUNK_MAX (4u << 20)

struct png_src {
    const uint8_t *data;
    size_t len, at;
    const struct sg_idec *d;
    bool late;                  /* the deadline passed while reading */
};

static void png_read_mem(png_structp png, png_bytep out, size_t n)
{
    struct png_src *s = png_get_io_ptr(png);
    if (n > s->len - s->at)
        png_error(png, "truncated");
    if (!sg_idec_in_time(s->d)) {
        s->late = true;
        png_error(png, "deadline");
    }
    memcpy(out, s->data + s->at, n);
    s->at += n;
}

/* No stderr in a worker: errors longjmp, warnings are dropped. */
static void png_err(png_structp png, png_const_charp msg)
{
    (void)msg;
    png_longjmp(png, 1);
}

static void png_warn(png_structp png, png_const_charp msg)
{
    (void)png, (void)msg;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* What survives the longjmp lives here, in memory, not in registers. */
struct png_job {
    struct sg_rows rows;
    uint8_t *full, *row;
    png_bytep *ptrs;
    enum sg_image_status st;
};

static void png_body(png_structp png, png_infop info, struct sg_idec *d, struct sg_image *img, struct png_job *j)
{
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    if (sg_idec_dims(d, w, h) != SG_IMAGE_OK) {
        j->st = SG_IMAGE_TOO_BIG;
        return;
    }
    int color = png_get_color_type(png, info);
    png_set_expand(png);          /* palette and low-bit grey to 8 bits, tRNS to alpha */
    png_set_strip_16(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(png);
    png_set_add_alpha(png, 0xff, PNG_FILLER_AFTER);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 4)
        return;
    unsigned ow, oh;
    sg_idec_out_size(d, w, h, &ow, &oh);
    j->st = SG_IMAGE_TOO_BIG;   /* until the buffers are there */
    if (!sg_rows_init(&j->rows, w, h, ow, oh))
        return;
    if (passes > 1) {
        j->full = malloc((size_t)w * h * 4);
        j->ptrs = malloc(sizeof(png_bytep) * h);
        if (!j->full || !j->ptrs)
            return;
        for (png_uint_32 y = 0; y < h; y++)
            j->ptrs[y] = j->full + (size_t)y * w * 4;
        j->st = SG_IMAGE_CORRUPT;
        png_read_image(png, j->ptrs);
        for (png_uint_32 y = 0; y < h; y++)
            sg_rows_push(&j->rows, j->ptrs[y]);
    } else {
        if (!(j->row = malloc((size_t)w * 4)))
            return;
        j->st = SG_IMAGE_CORRUPT;
        for (png_uint_32 y = 0; y < h; y++) {
            png_read_row(png, j->row, NULL);
            sg_rows_push(&j->rows, j->row);
        }
    }
    /* The image data is all read; the chunks after it are not needed. */
    img->src_w = w;
    img->src_h = h;
    sg_rows_finish(&j->rows, img);
    j->st = SG_IMAGE_OK;
}

enum sg_image_status sg_image_decode_png(const uint8_t *data, size_t len, struct sg_idec *d, struct sg_image *img)
{
    /* IHDR comes first (signature, length, "IHDR", width, height): a
     * declared size past the limits is refused before libpng starts,
     * so it reads as too big rather than as libpng's own error. */
    if (len < 33 || memcmp(data + 12, "IHDR", 4))
        return SG_IMAGE_CORRUPT;
    struct sg_idec probe = *d;
    if (sg_idec_dims(&probe, be32(data + 16), be32(data + 20)) != SG_IMAGE_OK)
        return SG_IMAGE_TOO_BIG;
    struct png_src src = {data, len, 0, d, false};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, png_err, png_warn);
    if (!png)
        return SG_IMAGE_TOO_BIG;
    png_infop info = png_create_info_struct(png);
    struct png_job job = {.st = SG_IMAGE_CORRUPT};
    struct png_job *j = &job;
    if (info && !setjmp(png_jmpbuf(png))) {
        png_set_user_limits(png, SG_IMAGE_MAX_SIDE, SG_IMAGE_MAX_SIDE);
        png_set_chunk_malloc_max(png, PNG_CHUNK_MAX);
        png_set_read_fn(png, &src, png_read_mem);
        png_body(png, info, d, img, j);
    } else if (src.late) {
        j->st = SG_IMAGE_TOO_BIG;
    }
    png_destroy_read_struct(&png, info ? &info : NULL, NULL);
    sg_rows_free(&j->rows);
    free(j->full);
    free(j->ptrs);
    free(j->row);
    return j->st;
}
