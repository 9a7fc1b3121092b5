/*
 * decode_jpeg.c - JPEG with libjpeg-turbo. The header's dimensions are
 * checked before anything is decompressed; a large photo is shrunk by
 * the DCT scaling (scale_num/8, the smallest that still leaves at least
 * max_side) and the shrinker does the rest. The memory libjpeg may ask
 * for is capped (a progressive file's coefficient buffer is the big
 * one), and a progress monitor ends files made of endless scans and
 * decodes past the deadline. A truncated file decodes with its missing
 * part grey, as libjpeg pads it: what was sent is still looked at.
 * Grey and YCbCr come out as RGBA from libjpeg-turbo itself; CMYK and
 * YCCK (Adobe's inverted convention) are converted here.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>
#include "image_int.h"

/* libjpeg's own allocations for one decode. */
#define JPEG_MEMORY_MAX ((long)512 << 20)

struct jpeg_err {
    struct jpeg_error_mgr mgr;
    jmp_buf jmp;
    bool too_big;
};

struct jpeg_prog {
    struct jpeg_progress_mgr mgr;
    const struct sg_idec *d;
    struct jpeg_err *err;
};

static void jpeg_fail(j_common_ptr c)
{
    struct jpeg_err *e = (struct jpeg_err *)c->err;
    if (c->err->msg_code == JERR_OUT_OF_MEMORY)
        e->too_big = true;
    longjmp(e->jmp, 1);
}

/* Warnings (corrupt data, premature end) are not fatal and not printed. */
static void jpeg_quiet(j_common_ptr c, int level)
{
    (void)c, (void)level;
}

static void jpeg_progress(j_common_ptr c)
{
    struct jpeg_prog *p = (struct jpeg_prog *)c->progress;
    j_decompress_ptr dc = (j_decompress_ptr)c;
    if ((dc->is_decompressor && dc->input_scan_number > SG_IMAGE_MAX_JPEG_SCANS) || !sg_idec_in_time(p->d)) {
        p->err->too_big = true;
        longjmp(p->err->jmp, 1);
    }
}

struct jpeg_job {
    struct jpeg_decompress_struct c;
    struct jpeg_err err;
    struct jpeg_prog prog;
    struct sg_rows rows;
    uint8_t *row, *rgba;
    enum sg_image_status st;
};

/* Adobe writes CMYK inverted (as do most, Photoshop first): then the
 * samples are 255 - ink already and R = C * K / 255. */
static void cmyk_row(const uint8_t *in, uint8_t *out, unsigned w, bool inverted)
{
    for (unsigned x = 0; x < w; x++) {
        unsigned c = in[4 * x], m = in[4 * x + 1], y = in[4 * x + 2], k = in[4 * x + 3];
        if (!inverted)
            c = 255 - c, m = 255 - m, y = 255 - y, k = 255 - k;
        out[4 * x + 0] = (uint8_t)((c * k + 127) / 255);
        out[4 * x + 1] = (uint8_t)((m * k + 127) / 255);
        out[4 * x + 2] = (uint8_t)((y * k + 127) / 255);
        out[4 * x + 3] = 255;
    }
}

static void jpeg_body(struct jpeg_job *j, const uint8_t *data, size_t len, struct sg_idec *d, struct sg_image *img)
{
    j_decompress_ptr c = &j->c;
    jpeg_create_decompress(c);
    c->mem->max_memory_to_use = JPEG_MEMORY_MAX;
    j->prog.mgr.progress_monitor = jpeg_progress;
    c->progress = &j->prog.mgr;
    jpeg_mem_src(c, data, (unsigned long)len);
    if (jpeg_read_header(c, TRUE) != JPEG_HEADER_OK)
        return;
    if (sg_idec_dims(d, c->image_width, c->image_height) != SG_IMAGE_OK) {
        j->st = SG_IMAGE_TOO_BIG;
        return;
    }
    bool cmyk = c->jpeg_color_space == JCS_CMYK || c->jpeg_color_space == JCS_YCCK;
    c->out_color_space = cmyk ? JCS_CMYK : JCS_EXT_RGBA;
    unsigned longer = c->image_width > c->image_height ? c->image_width : c->image_height;
    c->scale_num = 8;
    c->scale_denom = 8;
    if (d->max_side && longer > d->max_side) {
        /* The smallest n/8 whose output still reaches max_side. */
        unsigned n = 1;
        while (n < 8 && ((uint64_t)longer * n + 7) / 8 < d->max_side)
            n++;
        c->scale_num = n;
        /* Shrinking further anyway: the fast paths lose nothing seen. */
        c->dct_method = JDCT_IFAST;
        c->do_fancy_upsampling = FALSE;
    }
    if (!jpeg_start_decompress(c))
        return;
    unsigned w = c->output_width, h = c->output_height;
    if (c->output_components != 4 || !w || !h)
        return;
    unsigned ow, oh;
    /* Output size against the original's: DCT scaling rounds up. */
    sg_idec_out_size(d, c->image_width, c->image_height, &ow, &oh);
    if (ow > w)
        ow = w;
    if (oh > h)
        oh = h;
    j->st = SG_IMAGE_TOO_BIG;
    if (!sg_rows_init(&j->rows, w, h, ow, oh) || !(j->row = malloc((size_t)w * 4)) ||
        (cmyk && !(j->rgba = malloc((size_t)w * 4))))
        return;
    j->st = SG_IMAGE_CORRUPT;
    bool inverted = c->saw_Adobe_marker;
    while (c->output_scanline < h) {
        JSAMPROW rp = j->row;
        if (jpeg_read_scanlines(c, &rp, 1) != 1)
            break;
        if (cmyk) {
            cmyk_row(j->row, j->rgba, w, inverted);
            sg_rows_push(&j->rows, j->rgba);
        } else {
            sg_rows_push(&j->rows, j->row);
        }
    }
    /* Not jpeg_finish_decompress: what follows the last scanline is not
     * needed, and a truncated file would only warn again there. */
    img->src_w = c->image_width;
    img->src_h = c->image_height;
    sg_rows_finish(&j->rows, img);
    j->st = SG_IMAGE_OK;
}

enum sg_image_status sg_image_decode_jpeg(const uint8_t *data, size_t len, struct sg_idec *d, struct sg_image *img)
{
    struct jpeg_job *j = calloc(1, sizeof(*j));
    if (!j)
        return SG_IMAGE_TOO_BIG;
    j->st = SG_IMAGE_CORRUPT;
    j->c.err = jpeg_std_error(&j->err.mgr);
    j->err.mgr.error_exit = jpeg_fail;
    j->err.mgr.emit_message = jpeg_quiet;
    j->prog.d = d;
    j->prog.err = &j->err;
    if (!setjmp(j->err.jmp))
        jpeg_body(j, data, len, d, img);
    else if (j->err.too_big)
        j->st = SG_IMAGE_TOO_BIG;
    jpeg_destroy_decompress(&j->c);
    sg_rows_free(&j->rows);
    free(j->row);
    free(j->rgba);
    enum sg_image_status st = j->st;
    free(j);
    return st;
}
