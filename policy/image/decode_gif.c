/*
 * decode_gif.c - the first frame of a GIF with giflib's record-level
 * API (not DGifSlurp, which would read every frame of an animation).
 * The logical screen and the frame are both checked against the limits
 * before the frame's index buffer (one byte a pixel) is allocated; the
 * frame is placed on a transparent canvas the size of the screen and
 * fed to the shrinker a row at a time. A file cut short keeps the lines
 * it has; the rest is transparent.
 */
#include <stdlib.h>
#include <string.h>
#include <gif_lib.h>
#include "image_int.h"

struct gif_src {
    const uint8_t *data;
    size_t len, at;
};

static int gif_read(GifFileType *g, GifByteType *out, int n)
{
    struct gif_src *s = g->UserData;
    size_t want = n > 0 ? (size_t)n : 0;
    if (want > s->len - s->at)
        want = s->len - s->at;
    memcpy(out, s->data + s->at, want);
    s->at += want;
    return (int)want;
}

/* Skips extensions up to the first image; the transparent index from a
 * Graphic Control Extension before it, -1 when none. */
static bool to_first_image(GifFileType *g, int *transparent)
{
    *transparent = -1;
    for (;;) {
        GifRecordType rt;
        if (DGifGetRecordType(g, &rt) != GIF_OK)
            return false;
        if (rt == IMAGE_DESC_RECORD_TYPE)
            return DGifGetImageDesc(g) == GIF_OK;
        if (rt != EXTENSION_RECORD_TYPE)
            return false;           /* the trailer: no image at all */
        int code;
        GifByteType *ext;
        if (DGifGetExtension(g, &code, &ext) != GIF_OK)
            return false;
        if (code == GRAPHICS_EXT_FUNC_CODE && ext && ext[0] >= 4) {
            GraphicsControlBlock gcb;
            if (DGifExtensionToGCB(ext[0], ext + 1, &gcb) == GIF_OK)
                *transparent = gcb.TransparentColor;
        }
        while (ext)
            if (DGifGetExtensionNext(g, &ext) != GIF_OK)
                return false;
    }
}

/* Lines of the frame in file order, to rows of the frame: interlaced
 * GIFs store rows 0, 8, 16..., then 4, 12..., then 2, 6..., then 1, 3... */
static unsigned frame_row(unsigned i, unsigned h, bool interlaced)
{
    if (!interlaced)
        return i;
    static const unsigned start[] = {0, 4, 2, 1}, step[] = {8, 8, 4, 2};
    for (unsigned p = 0; p < 4; p++) {
        unsigned n = h > start[p] ? (h - start[p] + step[p] - 1) / step[p] : 0;
        if (i < n)
            return start[p] + i * step[p];
        i -= n;
    }
    return h;
}

enum sg_image_status sg_image_decode_gif(const uint8_t *data, size_t len, struct sg_idec *d, struct sg_image *img)
{
    struct gif_src src = {data, len, 0};
    int err = 0;
    GifFileType *g = DGifOpen(&src, gif_read, &err);
    if (!g)
        return SG_IMAGE_CORRUPT;
    enum sg_image_status st = SG_IMAGE_CORRUPT;
    uint8_t *idx = NULL, *row = NULL;
    struct sg_rows rows = {0};
    int transparent;
    /* The screen first: a huge one is refused before anything else. */
    struct sg_idec probe = *d;
    if (sg_idec_dims(&probe, (unsigned)g->SWidth, (unsigned)g->SHeight) != SG_IMAGE_OK &&
        (g->SWidth || g->SHeight)) {
        st = SG_IMAGE_TOO_BIG;
        goto out;
    }
    if (!to_first_image(g, &transparent))
        goto out;
    const GifImageDesc *f = &g->Image;
    if (f->Left < 0 || f->Top < 0 || f->Width <= 0 || f->Height <= 0)
        goto out;
    /* The canvas: the screen, grown to hold the frame when it lies. */
    uint64_t cw = (uint64_t)f->Left + (unsigned)f->Width, ch = (uint64_t)f->Top + (unsigned)f->Height;
    if (cw < (unsigned)g->SWidth)
        cw = (unsigned)g->SWidth;
    if (ch < (unsigned)g->SHeight)
        ch = (unsigned)g->SHeight;
    if (sg_idec_dims(d, cw, ch) != SG_IMAGE_OK) {
        st = SG_IMAGE_TOO_BIG;
        goto out;
    }
    const ColorMapObject *cmap = f->ColorMap ? f->ColorMap : g->SColorMap;
    if (!cmap || !cmap->Colors || cmap->ColorCount <= 0)
        goto out;
    unsigned fw = (unsigned)f->Width, fh = (unsigned)f->Height;
    unsigned ow, oh;
    sg_idec_out_size(d, (unsigned)cw, (unsigned)ch, &ow, &oh);
    st = SG_IMAGE_TOO_BIG;
    idx = malloc((size_t)fw * fh);
    row = malloc((size_t)cw * 4);
    if (!idx || !row || !sg_rows_init(&rows, (unsigned)cw, (unsigned)ch, ow, oh))
        goto out;
    /* Lines not read stay transparent (an index nothing maps to). */
    bool *got = calloc(fh, sizeof(bool));
    if (!got)
        goto out;
    unsigned lines = 0;
    for (unsigned i = 0; i < fh; i++) {
        unsigned y = frame_row(i, fh, f->Interlace);
        if (y >= fh || !sg_idec_in_time(d) || DGifGetLine(g, idx + (size_t)y * fw, (int)fw) != GIF_OK)
            break;
        got[y] = true;
        lines++;
    }
    if (!sg_idec_in_time(d) || !lines) {
        st = !sg_idec_in_time(d) ? SG_IMAGE_TOO_BIG : SG_IMAGE_CORRUPT;
        free(got);
        goto out;
    }
    for (unsigned y = 0; y < ch; y++) {
        memset(row, 0, (size_t)cw * 4);
        unsigned fy = y - (unsigned)f->Top;
        if (y >= (unsigned)f->Top && fy < fh && got[fy]) {
            const uint8_t *in = idx + (size_t)fy * fw;
            uint8_t *o = row + (size_t)f->Left * 4;
            for (unsigned x = 0; x < fw; x++, o += 4) {
                int c = in[x];
                if (c == transparent || c >= cmap->ColorCount)
                    continue;
                o[0] = cmap->Colors[c].Red;
                o[1] = cmap->Colors[c].Green;
                o[2] = cmap->Colors[c].Blue;
                o[3] = 255;
            }
        }
        sg_rows_push(&rows, row);
    }
    free(got);
    img->src_w = (unsigned)cw;
    img->src_h = (unsigned)ch;
    sg_rows_finish(&rows, img);
    st = SG_IMAGE_OK;
out:
    sg_rows_free(&rows);
    free(idx);
    free(row);
    DGifCloseFile(g, &err);
    return st;
}
