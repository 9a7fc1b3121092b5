/*
 * collect_pdf.c - the images of a PDF through poppler-glib, the library
 * the text extractor reads PDFs with: poppler_page_get_image_mapping()
 * lists each page's images and poppler_page_get_image() renders one at
 * its own pixel size as a cairo surface, whatever its filter (DCT, Flate
 * with any colour space and bit depth, JPX, JBIG2, CCITT) and with its
 * SMask or colour-key mask applied as alpha. That is the maintained
 * route; passing DCT streams through to our own JPEG decoder would
 * allow shrink-on-load for huge photos but means a second PDF parser
 * for the object graph, filters and masks (libqpdf), for a gain only
 * on very large embedded photos.
 *
 * poppler cannot be interrupted and allocates an image's full surface,
 * so before it sees the file: the text extractor's stream preflight
 * (content-stream bombs), and every image XObject's declared /Width and
 * /Height (stream dictionaries are never inside object streams, so all
 * are in the file's bytes) must be direct numbers within image_pixels;
 * otherwise the PDF's images are not read and that is a limit hit.
 * The sha256 of a PDF image is of its decoded pixels (no encoded bytes
 * come out of poppler), which is as stable a cache key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <poppler.h>
#include "image_collect.h"
#include "sg_message.h"

#define DICT_WINDOW 4096

static bool is_delim(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\f' || ch == '/' || ch == '>' ||
           ch == '<' || ch == '[' || ch == '(' || ch == 0;
}

static const uint8_t *skip_ws(const uint8_t *p, const uint8_t *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '\f'))
        p++;
    return p;
}

/* The direct integer after key in [from, to); -1 when absent, -2 when
 * it is not a plain number (an indirect reference, junk). */
static long long dict_int(const uint8_t *from, const uint8_t *to, const char *key)
{
    size_t kl = strlen(key);
    for (const uint8_t *p = from; p + kl < to; p++) {
        p = memmem(p, (size_t)(to - p), key, kl);
        if (!p)
            return -1;
        if (!is_delim(p[kl]) || p[kl] == '/')
            continue;       /* /WidthX, not /Width */
        const uint8_t *q = skip_ws(p + kl, to);
        long long v = 0;
        const uint8_t *digits = q;
        while (q < to && *q >= '0' && *q <= '9' && v < (1ll << 40))
            v = v * 10 + (*q++ - '0');
        if (q == digits)
            return -2;
        /* "12 0 R" is a reference: its number is not the width. */
        const uint8_t *r = skip_ws(q, to);
        const uint8_t *gen = r;
        while (r < to && *r >= '0' && *r <= '9')
            r++;
        if (r > gen && skip_ws(r, to) < to && *skip_ws(r, to) == 'R')
            return -2;
        return v;
    }
    return -1;
}

/* Checks every image XObject's declared size; false when one is over
 * max_pixels or cannot be read as plain numbers. */
static bool declared_sizes_ok(const uint8_t *data, size_t len, size_t max_pixels)
{
    const uint8_t *end = data + len;
    static const char key[] = "/Subtype";
    for (const uint8_t *p = data; (p = memmem(p, (size_t)(end - p), key, sizeof(key) - 1)) != NULL; p++) {
        const uint8_t *v = skip_ws(p + sizeof(key) - 1, end);
        if (end - v < 7 || memcmp(v, "/Image", 6) || !is_delim(v[6]))
            continue;
        /* The dictionary: back to its "obj", on to its "stream". */
        const uint8_t *from = p - data > DICT_WINDOW ? p - DICT_WINDOW : data, *obj = NULL;
        for (const uint8_t *q = from; (q = memmem(q, (size_t)(p - q), "obj", 3)) != NULL; q += 3)
            obj = q;
        if (obj)
            from = obj;
        const uint8_t *to = end - p > DICT_WINDOW ? p + DICT_WINDOW : end;
        const uint8_t *st = memmem(p, (size_t)(to - p), "stream", 6);
        if (st)
            to = st;
        long long w = dict_int(from, to, "/Width"), h = dict_int(from, to, "/Height");
        if (w < 0 || h < 0 || (unsigned long long)w * (unsigned long long)h > max_pixels)
            return false;
    }
    return true;
}

/* Cairo's premultiplied ARGB32 (native-endian words) to straight RGBA,
 * row by row into the shrinker. */
static bool surface_to_image(cairo_surface_t *s, const struct sg_idec *d, struct sg_image *img)
{
    if (cairo_surface_get_type(s) != CAIRO_SURFACE_TYPE_IMAGE)
        return false;
    cairo_surface_flush(s);
    cairo_format_t fmt = cairo_image_surface_get_format(s);
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const uint8_t *px = cairo_image_surface_get_data(s);
    if ((fmt != CAIRO_FORMAT_ARGB32 && fmt != CAIRO_FORMAT_RGB24) || w <= 0 || h <= 0 || !px)
        return false;
    unsigned ow, oh;
    sg_idec_out_size(d, (unsigned)w, (unsigned)h, &ow, &oh);
    struct sg_rows rows;
    uint8_t *row = malloc((size_t)w * 4);
    if (!row || !sg_rows_init(&rows, (unsigned)w, (unsigned)h, ow, oh)) {
        free(row);
        return false;
    }
    for (int y = 0; y < h; y++) {
        const uint32_t *in = (const uint32_t *)(const void *)(px + (size_t)y * (size_t)stride);
        for (int x = 0; x < w; x++) {
            uint32_t v = in[x];
            unsigned a = fmt == CAIRO_FORMAT_RGB24 ? 255 : v >> 24;
            unsigned r = (v >> 16) & 0xff, g = (v >> 8) & 0xff, b = v & 0xff;
            if (a && a < 255) {
                r = (r * 255 + a / 2) / a, g = (g * 255 + a / 2) / a, b = (b * 255 + a / 2) / a;
                r = r > 255 ? 255 : r, g = g > 255 ? 255 : g, b = b > 255 ? 255 : b;
            }
            uint8_t *o = row + (size_t)x * 4;
            o[0] = (uint8_t)r, o[1] = (uint8_t)g, o[2] = (uint8_t)b, o[3] = (uint8_t)a;
        }
        sg_rows_push(&rows, row);
    }
    free(row);
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    for (int y = 0; y < h; y++)
        g_checksum_update(sum, px + (size_t)y * (size_t)stride, (gssize)w * 4);
    gsize dl = sizeof(img->sha256);
    g_checksum_get_digest(sum, img->sha256, &dl);
    g_checksum_free(sum);
    img->src_w = (unsigned)w;
    img->src_h = (unsigned)h;
    sg_rows_finish(&rows, img);
    return true;
}

void sg_collect_pdf(struct sg_collect *c, const uint8_t *data, size_t len, const char *prefix)
{
    unsigned rc = sg_pdf_preflight(&c->x, data, len);
    if (rc) {
        c->out->limits |= sg_collect_limits_of(rc);
        return;
    }
    size_t most = c->dec.max_pixels < c->total_left ? c->dec.max_pixels : c->total_left;
    if (!declared_sizes_ok(data, len, most)) {
        c->out->limits |= SG_LIMIT_IMAGE;
        c->out->unread++;
        return;
    }
    GBytes *bytes = g_bytes_new_static(data, len);
    GError *err = NULL;
    PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &err);
    g_bytes_unref(bytes);
    if (!doc) {
        c->out->limits |= err && g_error_matches(err, POPPLER_ERROR, POPPLER_ERROR_ENCRYPTED) ? SG_LIMIT_ENCRYPTED
                                                                                              : SG_LIMIT_UNREADABLE;
        g_clear_error(&err);
        return;
    }
    int pages = poppler_document_get_n_pages(doc);
    unsigned n = 0;
    for (int i = 0; i < pages && sg_collect_going(c); i++) {
        if (!sg_extract_going(&c->x) || !sg_extract_take(&c->x, 0, true)) {
            c->out->limits |= SG_LIMIT_EXTRACT;
            break;
        }
        PopplerPage *page = poppler_document_get_page(doc, i);
        if (!page) {
            c->out->limits |= SG_LIMIT_UNREADABLE;
            continue;
        }
        GList *map = poppler_page_get_image_mapping(page);
        for (GList *l = map; l; l = l->next) {
            const PopplerImageMapping *m = l->data;
            if (!sg_collect_take(c))
                break;
            n++;
            cairo_surface_t *s = poppler_page_get_image(page, m->image_id);
            struct sg_image img = {0};
            if (!s || !surface_to_image(s, &c->dec, &img)) {
                sg_collect_unread(c, SG_IMAGE_CORRUPT);
            } else {
                size_t px = (size_t)img.src_w * img.src_h;
                c->total_left = px < c->total_left ? c->total_left - px : 0;
                char label[64];
                snprintf(label, sizeof(label), "image%u", n);
                char *full = g_strdup_printf("%s#%s", prefix, label);
                sg_collect_add(c, &img, full);
                g_free(full);
            }
            if (s)
                cairo_surface_destroy(s);
        }
        poppler_page_free_image_mapping(map);
        g_object_unref(page);
    }
    g_object_unref(doc);
}
