/*
 * pdf.c - PDF text, page by page ("page N"), with poppler-glib, and the
 * files attached inside a PDF as nested files.
 *
 * Poppler inflates a content stream whole before it reads it, and cannot
 * be interrupted, so a PDF whose streams inflate past the input budget
 * (or at a bomb's ratio) is refused before poppler sees it: every Flate
 * stream that is not an image is inflated here first, counted and thrown
 * away. Images are skipped because text extraction never decodes them
 * and a blank scanned page legitimately compresses a thousandfold.
 */
#include <stdio.h>
#include <string.h>
#include <poppler.h>
#include <zlib.h>
#include "extract_int.h"

/* How far back from "stream" the stream's dictionary is looked for. */
#define DICT_WINDOW 4096

static const unsigned char *find(const unsigned char *h, size_t hl, const char *n)
{
    return memmem(h, hl, n, strlen(n));
}

/* The dictionary before the stream keyword at p: back to the last "obj". */
static bool dict_says(const unsigned char *data, const unsigned char *p, const char *what)
{
    const unsigned char *from = p - data > DICT_WINDOW ? p - DICT_WINDOW : data;
    const unsigned char *obj = NULL;
    for (const unsigned char *q = from; (q = find(q, (size_t)(p - q), "obj")) != NULL; q += 3)
        obj = q;
    if (obj)
        from = obj;
    return find(from, (size_t)(p - from), what) != NULL;
}

/* Inflates one stream into nowhere; how far the compressed data went. */
static unsigned inflate_count(struct sg_extract_ctx *x, const unsigned char *s, size_t avail, size_t *used)
{
    unsigned char out[65536];
    z_stream z = {0};
    *used = 0;
    if (inflateInit2(&z, 15 + 32) != Z_OK)
        return 0;
    z.next_in = (unsigned char *)s;
    z.avail_in = avail > UINT32_MAX ? UINT32_MAX : (uInt)avail;
    unsigned rc = 0;
    unsigned ratio = sg_extract_budget_of(x)->max_ratio;
    for (;;) {
        z.next_out = out;
        z.avail_out = sizeof(out);
        int zr = inflate(&z, Z_NO_FLUSH);
        size_t got = sizeof(out) - z.avail_out;
        if (got && (!sg_extract_take(x, got, false) || !sg_extract_going(x))) {
            rc = SG_EXTRACT_BUDGET;
            break;
        }
        if (z.total_out > SG_EXTRACT_RATIO_FLOOR && z.total_out / (z.total_in ? z.total_in : 1) >= ratio) {
            x->status |= SG_EXTRACT_BUDGET;
            rc = SG_EXTRACT_BUDGET;
            break;
        }
        if (zr != Z_OK || (!got && !z.avail_in))
            break;   /* the end, or not Flate after all (encrypted, another filter first) */
    }
    *used = z.total_in;
    inflateEnd(&z);
    return rc;
}

unsigned sg_pdf_preflight(struct sg_extract_ctx *x, const unsigned char *data, size_t len)
{
    size_t pos = 0;
    while (pos < len && sg_extract_going(x)) {
        const unsigned char *p = find(data + pos, len - pos, "stream");
        if (!p)
            break;
        size_t at = (size_t)(p - data) + 6;
        pos = at;
        if ((p - data >= 3 && !memcmp(p - 3, "end", 3)))
            continue;
        if (at < len && data[at] == '\r')
            at++;
        if (at < len && data[at] == '\n')
            at++;
        if (at == pos || !dict_says(data, p, "/FlateDecode") || dict_says(data, p, "/Image"))
            continue;
        size_t used;
        if (inflate_count(x, data + at, len - at, &used))
            return SG_EXTRACT_BUDGET;
        pos = at + used;
    }
    return sg_extract_going(x) ? 0 : SG_EXTRACT_BUDGET;
}

struct grab {
    struct sg_extract_ctx *x;
    struct sg_buf b;
    bool over;
};

static gboolean grab_chunk(const gchar *buf, gsize count, gpointer data, GError **error)
{
    (void)error;
    struct grab *g = data;
    if (g->over || !sg_extract_take(g->x, count, false)) {
        g->over = true;
        return FALSE;
    }
    sg_buf_append(&g->b, buf, count);
    return TRUE;
}

/* Files attached to the PDF, each read as its own type. */
static unsigned pdf_attachments(struct sg_extract_ctx *x, PopplerDocument *doc, unsigned depth)
{
    if (!poppler_document_has_attachments(doc))
        return 0;
    unsigned rc = 0;
    GList *atts = poppler_document_get_attachments(doc);
    for (GList *l = atts; l && sg_extract_going(x); l = l->next) {
        PopplerAttachment *a = l->data;
        unsigned stop = sg_extract_enter(x, depth, true);
        if (stop) {
            rc |= stop;
            break;
        }
        struct grab g = {.x = x};
        if (!poppler_attachment_save_to_callback(a, grab_chunk, &g, NULL) || g.over) {
            rc |= g.over ? SG_EXTRACT_BUDGET : SG_EXTRACT_MALFORMED;
        } else if (g.b.len) {
            const char *name = a->name ? a->name : "attachment";
            rc |= sg_extract_nested(x, (const unsigned char *)g.b.data, g.b.len, name, name, depth + 1);
        }
        sg_buf_free(&g.b);
        if (rc & SG_EXTRACT_BUDGET)
            break;
    }
    g_list_free_full(atts, g_object_unref);
    return rc;
}

/* What a reader sees on a page beside its text: filled-in form fields (a
 * referral form's answers) and the notes of comment annotations. Links
 * and the form's own widgets carry nothing more. */
static void page_extras(PopplerPage *page, struct sg_buf *out)
{
    GList *fields = poppler_page_get_form_field_mapping(page);
    for (GList *l = fields; l; l = l->next) {
        PopplerFormField *f = ((PopplerFormFieldMapping *)l->data)->field;
        gchar *v = NULL;
        if (poppler_form_field_get_field_type(f) == POPPLER_FORM_FIELD_TEXT) {
            v = poppler_form_field_text_get_text(f);
        } else if (poppler_form_field_get_field_type(f) == POPPLER_FORM_FIELD_CHOICE) {
            v = poppler_form_field_choice_get_text(f);
            for (gint k = 0; !v && k < poppler_form_field_choice_get_n_items(f); k++)
                if (poppler_form_field_choice_is_item_selected(f, k))
                    v = poppler_form_field_choice_get_item(f, k);
        }
        if (v && *v)
            sg_buf_printf(out, "\n%s", v);
        g_free(v);
    }
    poppler_page_free_form_field_mapping(fields);
    GList *annots = poppler_page_get_annot_mapping(page);
    for (GList *l = annots; l; l = l->next) {
        PopplerAnnot *a = ((PopplerAnnotMapping *)l->data)->annot;
        PopplerAnnotType t = poppler_annot_get_annot_type(a);
        if (t == POPPLER_ANNOT_LINK || t == POPPLER_ANNOT_WIDGET)
            continue;
        gchar *c = poppler_annot_get_contents(a);
        if (c && *c)
            sg_buf_printf(out, "\n%s", c);
        g_free(c);
    }
    poppler_page_free_annot_mapping(annots);
}

static unsigned pdf_run(const unsigned char *data, size_t len, const char *where, unsigned depth,
                        struct sg_extract_ctx *x)
{
    (void)where;
    unsigned rc = sg_pdf_preflight(x, data, len);
    if (rc)
        return rc;
    GBytes *bytes = g_bytes_new_static(data, len);
    GError *err = NULL;
    PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &err);
    g_bytes_unref(bytes);
    if (!doc) {
        rc = err && g_error_matches(err, POPPLER_ERROR, POPPLER_ERROR_ENCRYPTED) ? SG_EXTRACT_ENCRYPTED
                                                                                 : SG_EXTRACT_MALFORMED;
        g_clear_error(&err);
        return rc;
    }
    int pages = poppler_document_get_n_pages(doc);
    for (int i = 0; i < pages; i++) {
        if (!sg_extract_going(x) || !sg_extract_take(x, 0, true)) {
            rc |= SG_EXTRACT_BUDGET;
            break;
        }
        PopplerPage *page = poppler_document_get_page(doc, i);
        if (!page) {
            rc |= SG_EXTRACT_MALFORMED;
            continue;
        }
        char *text = poppler_page_get_text(page);
        struct sg_buf all = {0};
        sg_buf_puts(&all, text ? text : "");
        g_free(text);
        page_extras(page, &all);
        g_object_unref(page);
        bool more = true;
        if (all.len) {
            char label[32];
            snprintf(label, sizeof(label), "page %d", i + 1);
            more = sg_extract_text(x, label, all.data, all.len);
        }
        sg_buf_free(&all);
        if (!more)
            break;
    }
    if (sg_extract_going(x))
        rc |= pdf_attachments(x, doc, depth);
    g_object_unref(doc);
    return rc;
}

static const char *const pdf_types[] = {"pdf", NULL};

const struct sg_extractor sg_extractor_pdf = {
    .name = "pdf",
    .types = pdf_types,
    .doc = "PDF text page by page with its filled-in form fields and comment notes, and files attached inside it; a PDF that needs a password is "
           "reported encrypted; streams that would inflate past the budget stop it first",
    .run = pdf_run,
};
