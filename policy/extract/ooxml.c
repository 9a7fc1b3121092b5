/*
 * ooxml.c - Word, Excel and PowerPoint 2007+ files (DOCX, XLSX, PPTX).
 *
 * DOCX: the body, then each header, footer, footnotes, endnotes and
 * comments part; tracked deletions are read too (the recipient can show
 * them). XLSX: each sheet in workbook order, labelled with its name, rows
 * as lines and cells separated by tabs (SG_XCELL), shared strings resolved, and
 * numbers in date-formatted cells shown as dd/mm/yyyy (a date of birth
 * column is day numbers underneath). PPTX:
 * each slide in presentation order ("slide N"), then its speaker notes
 * ("slide N notes"). All three: charts' labels and cached values,
 * SmartArt text, and embedded files (a chart's workbook) as their own
 * type. A package that is none of these is read as a plain zip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <glib.h>
#include "extract_int.h"

#define NS_REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

/* ---- package helpers ---- */

/* Reads and walks one part; a missing part is 0. */
static unsigned walk_part(struct sg_extract_ctx *x, zip_t *za, const char *name, const struct sg_xml_walk *w)
{
    unsigned char *data;
    size_t len;
    unsigned rc = sg_zip_read_name(x, za, name, &data, &len);
    if (data) {
        rc |= sg_xml_walk(x, (const char *)data, len, w);
        free(data);
    }
    return rc;
}

struct rel {
    char *id, *type, *target;
};

struct rels {
    struct rel *v;
    size_t n;
};

static bool rels_start(void *u, const char *name, void *r)
{
    struct rels *rs = u;
    if (strcmp(name, "Relationship") || rs->n >= 100000)
        return true;
    rs->v = sg_xrealloc(rs->v, (rs->n + 1) * sizeof(*rs->v));
    rs->v[rs->n++] = (struct rel){sg_xml_attr(r, "Id"), sg_xml_attr(r, "Type"), sg_xml_attr(r, "Target")};
    return true;
}

static void rels_free(struct rels *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        free(rs->v[i].id);
        free(rs->v[i].type);
        free(rs->v[i].target);
    }
    free(rs->v);
    rs->v = NULL;
    rs->n = 0;
}

static unsigned rels_read(struct sg_extract_ctx *x, zip_t *za, const char *path, struct rels *rs)
{
    struct sg_xml_walk w = {.start = rels_start, .u = rs};
    return walk_part(x, za, path, &w);
}

static const struct rel *rel_by_id(const struct rels *rs, const char *id)
{
    for (size_t i = 0; id && i < rs->n; i++)
        if (rs->v[i].id && rs->v[i].target && !strcmp(rs->v[i].id, id))
            return &rs->v[i];
    return NULL;
}

static const struct rel *rel_by_type(const struct rels *rs, const char *suffix)
{
    size_t sl = strlen(suffix);
    for (size_t i = 0; i < rs->n; i++) {
        const char *t = rs->v[i].type;
        size_t tl = t ? strlen(t) : 0;
        if (tl >= sl && !strcmp(t + tl - sl, suffix) && rs->v[i].target)
            return &rs->v[i];
    }
    return NULL;
}

/* A relationship target as a part name: absolute ("/xl/x.xml") or
 * relative to dir ("ppt/slides/" + "../notesSlides/n.xml"). */
static char *resolve(const char *dir, const char *target)
{
    struct sg_buf b = {0};
    if (target[0] == '/')
        sg_buf_puts(&b, target + 1);
    else {
        sg_buf_puts(&b, dir);
        sg_buf_puts(&b, target);
    }
    /* fold "seg/../" */
    char *s = b.data ? b.data : sg_xstrdup("");
    char *p;
    while ((p = strstr(s, "/../")) != NULL) {
        char *seg = p;
        while (seg > s && seg[-1] != '/')
            seg--;
        memmove(seg, p + 4, strlen(p + 4) + 1);
    }
    return s;
}

/* ---- DOCX ---- */

struct docx {
    struct sg_xout o;
    int in_t;
    int cells;
};

static bool docx_start(void *u, const char *name, void *r)
{
    (void)r;
    struct docx *d = u;
    if (!strcmp(name, "t") || !strcmp(name, "delText"))
        d->in_t++;
    else if (!strcmp(name, "tab"))
        sg_xout_add(&d->o, "\t", 1);
    else if (!strcmp(name, "br") || !strcmp(name, "cr"))
        sg_xout_newline(&d->o);
    else if (!strcmp(name, "tc"))
        d->cells++;
    return !d->o.full;
}

static bool docx_end(void *u, const char *name)
{
    struct docx *d = u;
    if (!strcmp(name, "t") || !strcmp(name, "delText")) {
        if (d->in_t)
            d->in_t--;
    } else if (!strcmp(name, "p")) {
        if (d->cells)
            sg_xout_sep(&d->o, " ");
        else
            sg_xout_newline(&d->o);
    } else if (!strcmp(name, "tc")) {
        if (d->cells)
            d->cells--;
        sg_xout_sep(&d->o, SG_XCELL);
    } else if (!strcmp(name, "tr")) {
        sg_xout_newline(&d->o);
    }
    return !d->o.full;
}

static bool docx_text(void *u, const char *s, size_t n)
{
    struct docx *d = u;
    if (d->in_t)
        sg_xout_add(&d->o, s, n);
    return !d->o.full;
}

static bool name_is_part(const char *name, const char *stem)
{
    /* word/header3.xml for stem "word/header" */
    size_t sl = strlen(stem), nl = strlen(name);
    if (nl < sl + 4 || strncasecmp(name, stem, sl) || strcasecmp(name + nl - 4, ".xml"))
        return false;
    for (size_t i = sl; i < nl - 4; i++)
        if (name[i] < '0' || name[i] > '9')
            return false;
    return true;
}

static unsigned docx_part(struct sg_extract_ctx *x, zip_t *za, const char *part, const char *where, bool *more)
{
    struct docx d = {.o = {.x = x}};
    struct sg_xml_walk w = {docx_start, docx_end, docx_text, &d};
    unsigned rc = walk_part(x, za, part, &w);
    *more = sg_xout_flush(&d.o, where) && !(rc & SG_EXTRACT_BUDGET);
    sg_xout_free(&d.o);
    return rc;
}

static unsigned docx_run(struct sg_extract_ctx *x, zip_t *za)
{
    bool more = true;
    unsigned rc = docx_part(x, za, "word/document.xml", NULL, &more);
    static const struct { const char *stem, *where; } numbered[] = {
        {"word/header", "header"}, {"word/footer", "footer"},
    };
    zip_int64_t n = zip_get_num_entries(za, 0);
    for (size_t k = 0; k < 2 && more; k++)
        for (zip_int64_t i = 0; i < n && more; i++) {
            const char *name = zip_get_name(za, (zip_uint64_t)i, 0);
            if (name && name_is_part(name, numbered[k].stem))
                rc |= docx_part(x, za, name, numbered[k].where, &more);
        }
    static const char *const single[][2] = {
        {"word/footnotes.xml", "footnotes"}, {"word/endnotes.xml", "endnotes"}, {"word/comments.xml", "comments"},
    };
    for (size_t k = 0; k < 3 && more; k++)
        rc |= docx_part(x, za, single[k][0], single[k][1], &more);
    return rc;
}

/* ---- XLSX ---- */

struct sst {
    struct sg_buf pool;
    size_t *off;
    size_t n;
    int in_si, in_t, in_rph;
    size_t start;
};

static bool sst_start(void *u, const char *name, void *r)
{
    (void)r;
    struct sst *t = u;
    if (!strcmp(name, "si")) {
        t->in_si = 1;
        t->start = t->pool.len;
    } else if (!strcmp(name, "t")) {
        t->in_t++;
    } else if (!strcmp(name, "rPh")) {
        t->in_rph++;   /* phonetic guide: not the cell's text */
    }
    return true;
}

static bool sst_end(void *u, const char *name)
{
    struct sst *t = u;
    if (!strcmp(name, "si") && t->in_si) {
        t->in_si = 0;
        sg_buf_append(&t->pool, "", 1);
        t->off = sg_xrealloc(t->off, (t->n + 1) * sizeof(*t->off));
        t->off[t->n++] = t->start;
    } else if (!strcmp(name, "t") && t->in_t) {
        t->in_t--;
    } else if (!strcmp(name, "rPh") && t->in_rph) {
        t->in_rph--;
    }
    return true;
}

static bool sst_text(void *u, const char *s, size_t n)
{
    struct sst *t = u;
    if (t->in_si && t->in_t && !t->in_rph)
        sg_buf_append(&t->pool, s, n);
    return true;
}

/* Which cell formats (xl/styles.xml cellXfs) show a number as a date. */
struct styles {
    bool *xf_date;
    size_t nxf;
    int *custom_ids;            /* numFmt ids whose format code is a date */
    size_t ncustom;
    int in_cellxfs;
    bool date1904;
};

/* A number format code shows a date when, outside quotes, brackets and
 * escapes, it has a day or a year ("m" alone may be minutes). */
static bool format_is_date(const char *code)
{
    bool quoted = false;
    for (const char *p = code; *p; p++) {
        if (quoted) {
            quoted = *p != '"';
        } else if (*p == '"') {
            quoted = true;
        } else if (*p == '\\' && p[1]) {
            p++;
        } else if (*p == '[') {
            const char *q = strchr(p, ']');
            if (!q)
                return false;
            p = q;
        } else if (*p == 'd' || *p == 'D' || *p == 'y' || *p == 'Y') {
            return true;
        }
    }
    return false;
}

static bool builtin_date(int id)
{
    return (id >= 14 && id <= 17) || id == 22 || (id >= 27 && id <= 36) || (id >= 50 && id <= 58);
}

static bool styles_start(void *u, const char *name, void *r)
{
    struct styles *st = u;
    if (!strcmp(name, "numFmt")) {
        char *id = sg_xml_attr(r, "numFmtId"), *code = sg_xml_attr(r, "formatCode");
        if (id && code && format_is_date(code) && st->ncustom < 10000) {
            st->custom_ids = sg_xrealloc(st->custom_ids, (st->ncustom + 1) * sizeof(int));
            st->custom_ids[st->ncustom++] = atoi(id);
        }
        free(id);
        free(code);
    } else if (!strcmp(name, "cellXfs")) {
        st->in_cellxfs = 1;
    } else if (!strcmp(name, "xf") && st->in_cellxfs && st->nxf < 100000) {
        char *id = sg_xml_attr(r, "numFmtId");
        int n = id ? atoi(id) : 0;
        free(id);
        bool date = builtin_date(n);
        for (size_t i = 0; i < st->ncustom && !date; i++)
            date = st->custom_ids[i] == n;
        st->xf_date = sg_xrealloc(st->xf_date, (st->nxf + 1) * sizeof(bool));
        st->xf_date[st->nxf++] = date;
    }
    return true;
}

static bool styles_end(void *u, const char *name)
{
    struct styles *st = u;
    if (!strcmp(name, "cellXfs"))
        st->in_cellxfs = 0;
    return true;
}

/* An Excel day number as dd/mm/yyyy (how a UK school's sheet shows it). */
static bool format_date(double serial, bool date1904, char *out, size_t outlen)
{
    if (serial < 1 || serial > 2958465)
        return false;
    GDate *d = g_date_new_dmy(date1904 ? 1 : 30, date1904 ? G_DATE_JANUARY : G_DATE_DECEMBER,
                              date1904 ? 1904 : 1899);
    g_date_add_days(d, (guint)serial);
    snprintf(out, outlen, "%02u/%02u/%04u", g_date_get_day(d), (unsigned)g_date_get_month(d), g_date_get_year(d));
    g_date_free(d);
    return true;
}

struct sheet {
    struct sg_xout o;
    const struct sst *sst;
    const struct styles *styles;
    long style;                 /* the cell's s attribute */
    char *type;                 /* the cell's t attribute */
    struct sg_buf v;            /* its value or inline string */
    int in_v, in_is_t, in_cell;
};

static bool sheet_start(void *u, const char *name, void *r)
{
    struct sheet *s = u;
    if (!strcmp(name, "c")) {
        free(s->type);
        s->type = sg_xml_attr(r, "t");
        char *style = sg_xml_attr(r, "s");
        s->style = style ? strtol(style, NULL, 10) : 0;
        free(style);
        s->v.len = 0;
        s->in_cell = 1;
    } else if (!strcmp(name, "v") && s->in_cell) {
        s->in_v = 1;
    } else if (!strcmp(name, "t") && s->in_cell) {
        s->in_is_t = 1;
    }
    return !s->o.full;
}

static void sheet_cell(struct sheet *s)
{
    char date[16];
    const char *v = s->v.data ? s->v.data : "";
    size_t vl = s->v.len;
    if (s->type && !strcmp(s->type, "s")) {
        char *end;
        unsigned long i = strtoul(v, &end, 10);
        if (end == v || i >= s->sst->n)
            return;
        v = s->sst->pool.data + s->sst->off[i];
        vl = strlen(v);
    } else if (s->type && !strcmp(s->type, "b")) {
        v = vl && v[0] == '1' ? "TRUE" : "FALSE";
        vl = strlen(v);
    } else if ((!s->type || !strcmp(s->type, "n")) && s->style > 0 && (size_t)s->style < s->styles->nxf &&
               s->styles->xf_date[s->style]) {
        char *end;
        double serial = strtod(v, &end);
        if (end != v && !*end && format_date(serial, s->styles->date1904, date, sizeof(date))) {
            v = date;
            vl = strlen(date);
        }
    }
    while (vl && (*v == ' ' || *v == '\n'))
        v++, vl--;
    if (!vl)
        return;
    sg_xout_sep(&s->o, SG_XCELL);
    sg_xout_add(&s->o, v, vl);
}

static bool sheet_end(void *u, const char *name)
{
    struct sheet *s = u;
    if (!strcmp(name, "c") && s->in_cell) {
        sheet_cell(s);
        s->in_cell = s->in_v = s->in_is_t = 0;
    } else if (!strcmp(name, "v")) {
        s->in_v = 0;
    } else if (!strcmp(name, "t")) {
        s->in_is_t = 0;
    } else if (!strcmp(name, "row")) {
        sg_xout_newline(&s->o);
    }
    return !s->o.full;
}

static bool sheet_text(void *u, const char *t, size_t n)
{
    struct sheet *s = u;
    if (s->in_cell && (s->in_v || s->in_is_t) && s->v.len < 65536)
        sg_buf_append(&s->v, t, n);
    return true;
}

struct wb_sheet {
    char *name, *rid;
};

struct workbook {
    struct wb_sheet *v;
    size_t n;
    struct styles *styles;
};

static bool wb_start(void *u, const char *name, void *r)
{
    struct workbook *wb = u;
    if (!strcmp(name, "workbookPr")) {
        char *d = sg_xml_attr(r, "date1904");
        wb->styles->date1904 = d && (!strcmp(d, "1") || !strcmp(d, "true"));
        free(d);
    }
    if (strcmp(name, "sheet") || wb->n >= 100000)
        return true;
    wb->v = sg_xrealloc(wb->v, (wb->n + 1) * sizeof(*wb->v));
    wb->v[wb->n++] = (struct wb_sheet){sg_xml_attr(r, "name"), sg_xml_attr_ns(r, "id", NS_REL)};
    return true;
}

static unsigned sheet_part(struct sg_extract_ctx *x, zip_t *za, const char *part, const char *where,
                           const struct sst *sst, const struct styles *styles, bool *more)
{
    struct sheet s = {.o = {.x = x}, .sst = sst, .styles = styles};
    struct sg_xml_walk w = {sheet_start, sheet_end, sheet_text, &s};
    unsigned rc = walk_part(x, za, part, &w);
    *more = sg_xout_flush(&s.o, where) && !(rc & SG_EXTRACT_BUDGET);
    sg_xout_free(&s.o);
    sg_buf_free(&s.v);
    free(s.type);
    return rc;
}

static unsigned xlsx_run(struct sg_extract_ctx *x, zip_t *za)
{
    struct sst sst;
    memset(&sst, 0, sizeof(sst));
    struct sg_xml_walk sw = {sst_start, sst_end, sst_text, &sst};
    unsigned rc = walk_part(x, za, "xl/sharedStrings.xml", &sw);
    struct styles styles = {0};
    struct sg_xml_walk stw = {styles_start, styles_end, NULL, &styles};
    rc |= walk_part(x, za, "xl/styles.xml", &stw);
    struct workbook wb = {.styles = &styles};
    struct sg_xml_walk ww = {.start = wb_start, .u = &wb};
    rc |= walk_part(x, za, "xl/workbook.xml", &ww);
    struct rels rs = {0};
    rc |= rels_read(x, za, "xl/_rels/workbook.xml.rels", &rs);
    bool more = !(rc & SG_EXTRACT_BUDGET);
    size_t done = 0;
    for (size_t i = 0; i < wb.n && more; i++) {
        const struct rel *rel = rel_by_id(&rs, wb.v[i].rid);
        if (!rel)
            continue;
        char *part = resolve("xl/", rel->target);
        char label[32];
        snprintf(label, sizeof(label), "sheet %zu", i + 1);
        rc |= sheet_part(x, za, part, wb.v[i].name && *wb.v[i].name ? wb.v[i].name : label, &sst, &styles, &more);
        free(part);
        done++;
    }
    /* No usable workbook: the conventional sheet names. */
    for (unsigned k = 1; !done && more && k <= 10000; k++) {
        char part[64], label[32];
        snprintf(part, sizeof(part), "xl/worksheets/sheet%u.xml", k);
        if (zip_name_locate(za, part, ZIP_FL_NOCASE) < 0)
            break;
        snprintf(label, sizeof(label), "sheet %u", k);
        rc |= sheet_part(x, za, part, label, &sst, &styles, &more);
    }
    for (size_t i = 0; i < wb.n; i++) {
        free(wb.v[i].name);
        free(wb.v[i].rid);
    }
    free(wb.v);
    rels_free(&rs);
    sg_buf_free(&sst.pool);
    free(sst.off);
    free(styles.xf_date);
    free(styles.custom_ids);
    return rc;
}

/* ---- PPTX ---- */

struct slide {
    struct sg_xout o;
    int in_t;
};

static bool slide_start(void *u, const char *name, void *r)
{
    (void)r;
    struct slide *s = u;
    if (!strcmp(name, "t"))
        s->in_t++;
    else if (!strcmp(name, "br"))
        sg_xout_newline(&s->o);
    return !s->o.full;
}

static bool slide_end(void *u, const char *name)
{
    struct slide *s = u;
    if (!strcmp(name, "t") && s->in_t)
        s->in_t--;
    else if (!strcmp(name, "p") || !strcmp(name, "tr"))
        sg_xout_newline(&s->o);
    else if (!strcmp(name, "tc"))
        sg_xout_sep(&s->o, SG_XCELL);
    return !s->o.full;
}

static bool slide_text(void *u, const char *t, size_t n)
{
    struct slide *s = u;
    if (s->in_t)
        sg_xout_add(&s->o, t, n);
    return !s->o.full;
}

static unsigned slide_part(struct sg_extract_ctx *x, zip_t *za, const char *part, const char *where, bool *more)
{
    struct slide s = {.o = {.x = x}};
    struct sg_xml_walk w = {slide_start, slide_end, slide_text, &s};
    unsigned rc = walk_part(x, za, part, &w);
    *more = sg_xout_flush(&s.o, where) && !(rc & SG_EXTRACT_BUDGET);
    sg_xout_free(&s.o);
    return rc;
}

struct sldlist {
    char **rid;
    size_t n;
};

/* sldId carries both id="256" and r:id="rId2"; the relationship is the
 * namespaced one, so look for it by qualified name. */
static bool sld_start_rid(void *u, const char *name, void *r)
{
    struct sldlist *l = u;
    if (strcmp(name, "sldId") || l->n >= 100000)
        return true;
    char *rid = sg_xml_attr_ns(r, "id", NS_REL);
    l->rid = sg_xrealloc(l->rid, (l->n + 1) * sizeof(*l->rid));
    l->rid[l->n++] = rid;
    return true;
}

static unsigned slide_with_notes(struct sg_extract_ctx *x, zip_t *za, const char *part, size_t num, bool *more)
{
    char label[48];
    snprintf(label, sizeof(label), "slide %zu", num);
    unsigned rc = slide_part(x, za, part, label, more);
    if (!*more)
        return rc;
    /* ppt/slides/slide3.xml -> ppt/slides/_rels/slide3.xml.rels */
    const char *base = strrchr(part, '/');
    base = base ? base + 1 : part;
    struct sg_buf relpath = {0}, dir = {0};
    sg_buf_append(&dir, part, (size_t)(base - part));
    sg_buf_printf(&relpath, "%s_rels/%s.rels", dir.data ? dir.data : "", base);
    struct rels rs = {0};
    rc |= rels_read(x, za, relpath.data, &rs);
    const struct rel *notes = rel_by_type(&rs, "/notesSlide");
    if (notes) {
        char *np = resolve(dir.data ? dir.data : "", notes->target);
        snprintf(label, sizeof(label), "slide %zu notes", num);
        rc |= slide_part(x, za, np, label, more);
        free(np);
    }
    rels_free(&rs);
    sg_buf_free(&relpath);
    sg_buf_free(&dir);
    return rc;
}

static unsigned pptx_run(struct sg_extract_ctx *x, zip_t *za)
{
    struct sldlist l = {0};
    struct sg_xml_walk w = {.start = sld_start_rid, .u = &l};
    unsigned rc = walk_part(x, za, "ppt/presentation.xml", &w);
    struct rels rs = {0};
    rc |= rels_read(x, za, "ppt/_rels/presentation.xml.rels", &rs);
    bool more = !(rc & SG_EXTRACT_BUDGET);
    size_t done = 0;
    for (size_t i = 0; i < l.n && more; i++) {
        const struct rel *rel = rel_by_id(&rs, l.rid[i]);
        if (!rel)
            continue;
        char *part = resolve("ppt/", rel->target);
        rc |= slide_with_notes(x, za, part, i + 1, &more);
        free(part);
        done++;
    }
    for (unsigned k = 1; !done && more && k <= 10000; k++) {
        char part[64];
        snprintf(part, sizeof(part), "ppt/slides/slide%u.xml", k);
        if (zip_name_locate(za, part, ZIP_FL_NOCASE) < 0)
            break;
        rc |= slide_with_notes(x, za, part, k, &more);
    }
    for (size_t i = 0; i < l.n; i++)
        free(l.rid[i]);
    free(l.rid);
    rels_free(&rs);
    return rc;
}

/* ---- what any of the three can carry ---- */

/* A chart's text: its title and labels (a:t) and the cached values of its
 * series and categories (c:v), a point a line. */
static bool chart_start(void *u, const char *name, void *r)
{
    (void)r;
    struct docx *d = u;
    if (!strcmp(name, "t") || !strcmp(name, "v"))
        d->in_t++;
    return !d->o.full;
}

static bool chart_end(void *u, const char *name)
{
    struct docx *d = u;
    if ((!strcmp(name, "t") || !strcmp(name, "v")) && d->in_t) {
        d->in_t--;
        sg_xout_sep(&d->o, " ");
    } else if (!strcmp(name, "pt") || !strcmp(name, "p")) {
        sg_xout_newline(&d->o);
    }
    return !d->o.full;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Charts (their labels and cached values: pupil names along an axis),
 * SmartArt diagrams, and embedded files (the workbook behind a chart, a
 * pasted object), each embedded file read as its own sniffed type. */
static unsigned ooxml_extras(struct sg_extract_ctx *x, zip_t *za, unsigned depth)
{
    unsigned rc = 0;
    zip_int64_t n = zip_get_num_entries(za, 0);
    for (zip_int64_t i = 0; i < n && sg_extract_going(x); i++) {
        const char *name = zip_get_name(za, (zip_uint64_t)i, 0);
        if (!name)
            continue;
        char where[128];
        if (strstr(name, "/charts/chart") || strstr(name, "/diagrams/data")) {
            bool chart = strstr(name, "/charts/") != NULL;
            snprintf(where, sizeof(where), "%s %s", chart ? "chart" : "diagram", base_name(name));
            struct docx d = {.o = {.x = x}};
            struct sg_xml_walk w = {chart ? chart_start : docx_start, chart ? chart_end : docx_end, docx_text, &d};
            rc |= walk_part(x, za, name, &w);
            bool more = sg_xout_flush(&d.o, where);
            sg_xout_free(&d.o);
            if (!more)
                break;
        } else if (strstr(name, "/embeddings/")) {
            unsigned stop = sg_extract_enter(x, depth, false);
            if (stop) {
                rc |= stop;
                break;
            }
            unsigned char *data;
            size_t len;
            rc |= sg_zip_read(x, za, (zip_uint64_t)i, &data, &len);
            if (!data)
                continue;
            snprintf(where, sizeof(where), "embedded %s", base_name(name));
            rc |= sg_extract_nested(x, data, len, base_name(name), where, depth + 1);
            free(data);
        }
    }
    return rc;
}

/* ---- the extractor ---- */

static unsigned ooxml_run(const unsigned char *data, size_t len, const char *where, unsigned depth,
                          struct sg_extract_ctx *x)
{
    (void)where;
    zip_t *za = sg_zip_open(data, len);
    if (!za)
        return SG_EXTRACT_MALFORMED;
    /* The main part decides, whatever the name or sniff said. */
    unsigned rc;
    if (zip_name_locate(za, "word/document.xml", ZIP_FL_NOCASE) >= 0)
        rc = docx_run(x, za);
    else if (zip_name_locate(za, "xl/workbook.xml", ZIP_FL_NOCASE) >= 0)
        rc = xlsx_run(x, za);
    else if (zip_name_locate(za, "ppt/presentation.xml", ZIP_FL_NOCASE) >= 0)
        rc = pptx_run(x, za);
    else {
        rc = sg_zip_entries(x, za, depth);
        zip_discard(za);
        return rc;
    }
    if (!(rc & SG_EXTRACT_BUDGET))
        rc |= ooxml_extras(x, za, depth);
    zip_discard(za);
    return rc;
}

static const char *const ooxml_types[] = {"docx", "xlsx", "pptx", NULL};

const struct sg_extractor sg_extractor_ooxml = {
    .name = "ooxml",
    .types = ooxml_types,
    .doc = "Word, Excel and PowerPoint 2007+ (DOCX body, headers, footers, notes, comments; "
           "XLSX sheets by name, rows as lines; PPTX slides and speaker notes; charts, SmartArt and embedded files "
           "in all three)",
    .run = ooxml_run,
};
