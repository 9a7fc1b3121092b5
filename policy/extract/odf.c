/*
 * odf.c - OpenDocument text, spreadsheets and presentations (ODT, ODS,
 * ODP): content.xml, then the page headers and footers in styles.xml.
 *
 * Spreadsheet tables are labelled with their names and presentation
 * pages "slide N" (their notes "slide N notes"); table rows become lines
 * with cells separated by tabs (SG_XCELL). Repeated cells and rows
 * (number-columns-repeated="16384") are read once: the repeat is layout,
 * and expanding it is a cheap way to make a reader do work. A document
 * whose manifest has encryption-data is password-protected: ENCRYPTED.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "extract_int.h"

enum odf_mode { ODF_TEXT, ODF_SHEET, ODF_SLIDES };

struct odf {
    struct sg_xout o;
    enum odf_mode mode;
    bool styles;                /* walking styles.xml */
    int in_body, cells, hf, in_notes;
    char *label;
    size_t tables, pages;
};

static void set_label(struct odf *d, const char *s)
{
    free(d->label);
    d->label = s ? sg_xstrdup(s) : NULL;
}

static bool is_hf(const char *name)
{
    return !strncmp(name, "header", 6) || !strncmp(name, "footer", 6);
}

static bool odf_start(void *u, const char *name, void *r)
{
    struct odf *d = u;
    char buf[48];
    if (d->styles) {
        if (is_hf(name) && strcmp(name, "header-style") && strcmp(name, "footer-style")) {
            if (!d->hf)
                set_label(d, name[0] == 'h' ? "header" : "footer");
            d->hf++;
        }
    } else if (!strcmp(name, "body")) {
        d->in_body = 1;
    } else if (!strcmp(name, "spreadsheet")) {
        d->mode = ODF_SHEET;
    } else if (!strcmp(name, "presentation") && d->in_body) {
        d->mode = ODF_SLIDES;
    } else if (!strcmp(name, "table") && d->mode == ODF_SHEET && !d->cells) {
        if (!sg_xout_flush(&d->o, d->label))
            return false;
        char *tn = sg_xml_attr(r, "name");
        snprintf(buf, sizeof(buf), "sheet %zu", ++d->tables);
        set_label(d, tn && *tn ? tn : buf);
        free(tn);
    } else if (!strcmp(name, "page") && d->mode == ODF_SLIDES) {
        if (!sg_xout_flush(&d->o, d->label))
            return false;
        snprintf(buf, sizeof(buf), "slide %zu", ++d->pages);
        set_label(d, buf);
    } else if (!strcmp(name, "notes") && d->mode == ODF_SLIDES && d->pages) {
        if (!sg_xout_flush(&d->o, d->label))
            return false;
        snprintf(buf, sizeof(buf), "slide %zu notes", d->pages);
        set_label(d, buf);
        d->in_notes = 1;
    } else if (!strcmp(name, "table-cell") || !strcmp(name, "covered-table-cell")) {
        d->cells++;
    } else if (!strcmp(name, "tab")) {
        sg_xout_add(&d->o, "\t", 1);
    } else if (!strcmp(name, "s")) {
        sg_xout_add(&d->o, " ", 1);
    } else if (!strcmp(name, "line-break")) {
        sg_xout_newline(&d->o);
    }
    return !d->o.full;
}

static bool odf_end(void *u, const char *name)
{
    struct odf *d = u;
    char buf[48];
    if (d->styles && is_hf(name) && d->hf) {
        if (!--d->hf && !sg_xout_flush(&d->o, d->label))
            return false;
    } else if (!strcmp(name, "p") || !strcmp(name, "h")) {
        if (d->cells)
            sg_xout_sep(&d->o, " ");
        else
            sg_xout_newline(&d->o);
    } else if (!strcmp(name, "table-cell") || !strcmp(name, "covered-table-cell")) {
        if (d->cells)
            d->cells--;
        sg_xout_sep(&d->o, SG_XCELL);
    } else if (!strcmp(name, "table-row")) {
        sg_xout_newline(&d->o);
    } else if (!strcmp(name, "notes") && d->in_notes) {
        d->in_notes = 0;
        if (!sg_xout_flush(&d->o, d->label))
            return false;
        snprintf(buf, sizeof(buf), "slide %zu", d->pages);
        set_label(d, buf);
    }
    return !d->o.full;
}

static bool odf_text(void *u, const char *s, size_t n)
{
    struct odf *d = u;
    if (d->styles ? d->hf > 0 : d->in_body > 0)
        sg_xout_add(&d->o, s, n);
    return !d->o.full;
}

static unsigned odf_part(struct sg_extract_ctx *x, zip_t *za, const char *part, bool styles, bool *more)
{
    unsigned char *data;
    size_t len;
    unsigned rc = sg_zip_read_name(x, za, part, &data, &len);
    if (!data) {
        *more = !(rc & SG_EXTRACT_BUDGET);
        return rc;
    }
    struct odf d = {.o = {.x = x}, .styles = styles};
    struct sg_xml_walk w = {odf_start, odf_end, odf_text, &d};
    rc |= sg_xml_walk(x, (const char *)data, len, &w);
    free(data);
    *more = sg_xout_flush(&d.o, d.label) && !(rc & SG_EXTRACT_BUDGET);
    sg_xout_free(&d.o);
    free(d.label);
    return rc;
}

static unsigned odf_run(const unsigned char *data, size_t len, const char *where, unsigned depth,
                        struct sg_extract_ctx *x)
{
    (void)where;
    zip_t *za = sg_zip_open(data, len);
    if (!za)
        return SG_EXTRACT_MALFORMED;
    unsigned rc;
    unsigned char *manifest;
    size_t mlen;
    rc = sg_zip_read_name(x, za, "META-INF/manifest.xml", &manifest, &mlen);
    /* A password-protected document lists how each part is encrypted. */
    bool encrypted = manifest && memmem(manifest, mlen, "encryption-data", 15);
    free(manifest);
    if (encrypted) {
        rc |= SG_EXTRACT_ENCRYPTED;
    } else if (zip_name_locate(za, "content.xml", 0) < 0) {
        rc |= sg_zip_entries(x, za, depth);
    } else {
        bool more = true;
        rc |= odf_part(x, za, "content.xml", false, &more);
        if (more)
            rc |= odf_part(x, za, "styles.xml", true, &more);
    }
    zip_discard(za);
    return rc;
}

static const char *const odf_types[] = {"odt", "ods", "odp", NULL};

const struct sg_extractor sg_extractor_odf = {
    .name = "odf",
    .types = odf_types,
    .doc = "OpenDocument text, spreadsheets (tables by name) and presentations (slides, notes), "
           "with page headers and footers",
    .run = odf_run,
};
