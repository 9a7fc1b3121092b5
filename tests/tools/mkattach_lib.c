/*
 * mkattach_lib.c - fixture writers: Office Open XML, OpenDocument, PDF,
 * CSV, OLE2 and zip files made from plain text, and hostile ones (bombs,
 * lying headers, encryption) made without ever holding the huge data.
 *
 * Well-formed packages go through libzip (with a fixed timestamp, so a
 * fixture is the same bytes every build); hostile zips are written by
 * hand, because libzip will not write a header that lies. PDFs are
 * written by hand with byte-exact xref offsets.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zip.h>
#include <zlib.h>
#include "mkattach.h"

const char *const mka_types[] = {"docx", "xlsx", "pptx", "odt", "pdf", "zip", "csv", "doc",
                                 "zipbomb", "pdfbomb", "deepdocx", "enczip", "encpdf",
                                 "encoffice", "lyingzip", "imgdocx", "imgpdf", "imgbombdocx",
                                 "hugeimgpdf", "gz", "tgz", "7z", "rtf", "tnef", "utf16", "gzbomb", NULL};

/* 2024-01-15 09:00:00 UTC: fixtures carry one date, not the build's. */
#define MKA_MTIME ((time_t)1705309200)

/* ---- a growable byte buffer ---- */

struct mb {
    char *d;
    size_t len, cap;
};

static void mb_add(struct mb *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->d, cap);
        if (!d) {
            fprintf(stderr, "mkattach: out of memory\n");
            exit(2);
        }
        b->d = d;
        b->cap = cap;
    }
    memcpy(b->d + b->len, p, n);
    b->len += n;
    b->d[b->len] = '\0';
}

static void mb_puts(struct mb *b, const char *s) { mb_add(b, s, strlen(s)); }

__attribute__((format(printf, 2, 3)))
static void mb_printf(struct mb *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(tmp)) {
        mb_add(b, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big)
        exit(2);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    mb_add(b, big, (size_t)n);
    free(big);
}

static void mb_u16(struct mb *b, unsigned v)
{
    unsigned char c[2] = {v & 0xff, (v >> 8) & 0xff};
    mb_add(b, c, 2);
}

static void mb_u32(struct mb *b, uint32_t v)
{
    unsigned char c[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff};
    mb_add(b, c, 4);
}

static void mb_xml(struct mb *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&': mb_puts(b, "&amp;"); break;
        case '<': mb_puts(b, "&lt;"); break;
        case '>': mb_puts(b, "&gt;"); break;
        case '"': mb_puts(b, "&quot;"); break;
        default:
            /* XML 1.0 has no place for most control characters. */
            if ((unsigned char)s[i] >= 0x20 || s[i] == '\t')
                mb_add(b, s + i, 1);
        }
    }
}

/* ---- input lines ---- */

struct line {
    const char *s;
    size_t n;
};

/* Splits text into lines (without "\n" or a trailing "\r"); a final line
 * without a newline counts, a final empty one does not. */
static struct line *split_lines(const char *text, size_t len, size_t *nlines)
{
    size_t cap = 16, n = 0;
    struct line *v = malloc(cap * sizeof(*v));
    size_t i = 0;
    while (v && i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len, e = end;
        if (e > i && text[e - 1] == '\r')
            e--;
        if (n == cap) {
            cap *= 2;
            struct line *w = realloc(v, cap * sizeof(*v));
            if (!w) {
                free(v);
                return NULL;
            }
            v = w;
        }
        v[n++] = (struct line){text + i, e - i};
        i = end + 1;
    }
    *nlines = n;
    return v;
}

static bool line_is(const struct line *l, const char *s)
{
    return l->n == strlen(s) && !memcmp(l->s, s, l->n);
}

static bool line_starts(const struct line *l, const char *s)
{
    return l->n >= strlen(s) && !memcmp(l->s, s, strlen(s));
}

/* "===" or "=== Title": the next slide or page ("=== notes" is not). */
static bool line_breaks(const struct line *l)
{
    return line_is(l, "===") || (line_starts(l, "=== ") && !line_is(l, "=== notes"));
}

/* ---- libzip packages ---- */

static zip_t *zw_open(const char *out)
{
    int err = 0;
    zip_t *za = zip_open(out, ZIP_CREATE | ZIP_TRUNCATE, &err);
    if (!za) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, err);
        fprintf(stderr, "mkattach: %s: %s\n", out, zip_error_strerror(&ze));
        zip_error_fini(&ze);
    }
    return za;
}

/* Adds a copy of data as name; store keeps it uncompressed. */
static int zw_add(zip_t *za, const char *name, const void *data, size_t len, bool store)
{
    void *copy = malloc(len ? len : 1);
    if (!copy)
        return -1;
    memcpy(copy, data, len);
    zip_source_t *src = zip_source_buffer(za, copy, len, 1);
    if (!src) {
        free(copy);
        return -1;
    }
    zip_int64_t idx = zip_file_add(za, name, src, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8);
    if (idx < 0) {
        zip_source_free(src);
        fprintf(stderr, "mkattach: %s: %s\n", name, zip_strerror(za));
        return -1;
    }
    zip_set_file_compression(za, (zip_uint64_t)idx, store ? ZIP_CM_STORE : ZIP_CM_DEFLATE, 0);
    zip_file_set_mtime(za, (zip_uint64_t)idx, MKA_MTIME, 0);
    return 0;
}

static int zw_add_mb(zip_t *za, const char *name, struct mb *b)
{
    int rc = zw_add(za, name, b->d ? b->d : "", b->len, false);
    free(b->d);
    *b = (struct mb){0};
    return rc;
}

static int zw_close(zip_t *za, const char *out, int rc)
{
    if (rc) {
        zip_discard(za);
        return -1;
    }
    if (zip_close(za) < 0) {
        fprintf(stderr, "mkattach: %s: %s\n", out, zip_strerror(za));
        zip_discard(za);
        return -1;
    }
    return 0;
}

#define XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
#define NS_W "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define NS_R "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_PKG_REL "http://schemas.openxmlformats.org/package/2006/relationships"
#define NS_CT "http://schemas.openxmlformats.org/package/2006/content-types"
#define REL_OFFDOC "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
#define CT_BASE "application/vnd.openxmlformats-officedocument."

static void content_types(struct mb *b, const char *const *overrides)
{
    mb_puts(b, XML_DECL "<Types xmlns=\"" NS_CT "\">"
               "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
               "<Default Extension=\"xml\" ContentType=\"application/xml\"/>");
    for (size_t i = 0; overrides[i]; i += 2)
        mb_printf(b, "<Override PartName=\"%s\" ContentType=\"" CT_BASE "%s\"/>", overrides[i], overrides[i + 1]);
    mb_puts(b, "</Types>");
}

static void root_rels(struct mb *b, const char *main_part)
{
    mb_printf(b, XML_DECL "<Relationships xmlns=\"" NS_PKG_REL "\">"
                 "<Relationship Id=\"rId1\" Type=\"" REL_OFFDOC "\" Target=\"%s\"/></Relationships>", main_part);
}

/* ---- DOCX ---- */

/* One input line as a w:p; tabs become w:tab. */
static void docx_para(struct mb *b, const struct line *l)
{
    if (!l->n) {
        mb_puts(b, "<w:p/>");
        return;
    }
    mb_puts(b, "<w:p><w:r>");
    size_t i = 0;
    while (i <= l->n) {
        const char *tab = memchr(l->s + i, '\t', l->n - i);
        size_t end = tab ? (size_t)(tab - l->s) : l->n;
        if (end > i) {
            mb_puts(b, "<w:t xml:space=\"preserve\">");
            mb_xml(b, l->s + i, end - i);
            mb_puts(b, "</w:t>");
        }
        if (!tab)
            break;
        mb_puts(b, "<w:tab/>");
        i = end + 1;
    }
    mb_puts(b, "</w:r></w:p>");
}

enum { DOCX_BODY, DOCX_HEADER, DOCX_FOOTER, DOCX_FOOTNOTES, DOCX_COMMENTS, DOCX_NPARTS };

static const char *const docx_part_names[DOCX_NPARTS] = {"body", "header", "footer", "footnotes", "comments"};

static int write_docx(const char *out, const char *document_xml_override, const char *text, size_t len)
{
    size_t n = 0;
    struct line *lines = split_lines(text, len, &n);
    if (!lines && len)
        return -1;
    struct mb part[DOCX_NPARTS] = {{0}};
    bool used[DOCX_NPARTS] = {false};
    int cur = DOCX_BODY;
    for (size_t i = 0; i < n; i++) {
        bool sw = false;
        for (int p = 0; p < DOCX_NPARTS && line_starts(&lines[i], "=== "); p++) {
            if (lines[i].n == 4 + strlen(docx_part_names[p]) && !memcmp(lines[i].s + 4, docx_part_names[p], lines[i].n - 4)) {
                cur = p;
                sw = true;
            }
        }
        if (sw)
            continue;
        used[cur] = true;
        docx_para(&part[cur], &lines[i]);
    }
    free(lines);

    zip_t *za = zw_open(out);
    if (!za)
        return -1;
    int rc = 0;
    struct mb b = {0};
    const char *ov[16];
    size_t o = 0;
    ov[o++] = "/word/document.xml";
    ov[o++] = "wordprocessingml.document.main+xml";
    if (used[DOCX_HEADER]) {
        ov[o++] = "/word/header1.xml";
        ov[o++] = "wordprocessingml.header+xml";
    }
    if (used[DOCX_FOOTER]) {
        ov[o++] = "/word/footer1.xml";
        ov[o++] = "wordprocessingml.footer+xml";
    }
    if (used[DOCX_FOOTNOTES]) {
        ov[o++] = "/word/footnotes.xml";
        ov[o++] = "wordprocessingml.footnotes+xml";
    }
    if (used[DOCX_COMMENTS]) {
        ov[o++] = "/word/comments.xml";
        ov[o++] = "wordprocessingml.comments+xml";
    }
    ov[o] = NULL;
    content_types(&b, ov);
    rc |= zw_add_mb(za, "[Content_Types].xml", &b);
    root_rels(&b, "word/document.xml");
    rc |= zw_add_mb(za, "_rels/.rels", &b);

    mb_puts(&b, XML_DECL "<Relationships xmlns=\"" NS_PKG_REL "\">");
    static const char *const rel_type[DOCX_NPARTS] = {NULL, "header", "footer", "footnotes", "comments"};
    static const char *const rel_target[DOCX_NPARTS] = {NULL, "header1.xml", "footer1.xml", "footnotes.xml", "comments.xml"};
    for (int p = 1; p < DOCX_NPARTS; p++)
        if (used[p])
            mb_printf(&b, "<Relationship Id=\"rId%d\" Type=\"" NS_R "/%s\" Target=\"%s\"/>", p, rel_type[p], rel_target[p]);
    mb_puts(&b, "</Relationships>");
    rc |= zw_add_mb(za, "word/_rels/document.xml.rels", &b);

    if (document_xml_override) {
        mb_puts(&b, document_xml_override);
    } else {
        mb_puts(&b, XML_DECL "<w:document xmlns:w=\"" NS_W "\" xmlns:r=\"" NS_R "\"><w:body>");
        if (part[DOCX_BODY].d)
            mb_add(&b, part[DOCX_BODY].d, part[DOCX_BODY].len);
        mb_puts(&b, "<w:sectPr>");
        if (used[DOCX_HEADER])
            mb_printf(&b, "<w:headerReference w:type=\"default\" r:id=\"rId%d\"/>", DOCX_HEADER);
        if (used[DOCX_FOOTER])
            mb_printf(&b, "<w:footerReference w:type=\"default\" r:id=\"rId%d\"/>", DOCX_FOOTER);
        mb_puts(&b, "<w:pgSz w:w=\"11906\" w:h=\"16838\"/></w:sectPr></w:body></w:document>");
    }
    rc |= zw_add_mb(za, "word/document.xml", &b);

    static const char *const open_tag[DOCX_NPARTS] = {
        NULL, "<w:hdr xmlns:w=\"" NS_W "\">", "<w:ftr xmlns:w=\"" NS_W "\">",
        "<w:footnotes xmlns:w=\"" NS_W "\"><w:footnote w:id=\"1\">",
        "<w:comments xmlns:w=\"" NS_W "\"><w:comment w:id=\"0\" w:author=\"mkattach\" w:initials=\"MK\">"};
    static const char *const close_tag[DOCX_NPARTS] = {NULL, "</w:hdr>", "</w:ftr>", "</w:footnote></w:footnotes>",
                                                        "</w:comment></w:comments>"};
    for (int p = 1; p < DOCX_NPARTS; p++) {
        if (!used[p])
            continue;
        mb_puts(&b, XML_DECL);
        mb_puts(&b, open_tag[p]);
        mb_add(&b, part[p].d, part[p].len);
        mb_puts(&b, close_tag[p]);
        char name[64];
        snprintf(name, sizeof(name), "word/%s", rel_target[p]);
        rc |= zw_add_mb(za, name, &b);
    }
    for (int p = 0; p < DOCX_NPARTS; p++)
        free(part[p].d);
    return zw_close(za, out, rc);
}

int mka_docx(const char *out, const char *text, size_t len)
{
    return write_docx(out, NULL, text, len);
}

int mka_docx_xml(const char *out, const char *document_xml)
{
    return write_docx(out, document_xml, "", 0);
}

int mka_deepdocx(const char *out)
{
    const size_t depth = 100000;
    struct mb b = {0};
    mb_puts(&b, XML_DECL "<w:document xmlns:w=\"" NS_W "\"><w:body>"
                "<w:p><w:r><w:t>Text before the deep part.</w:t></w:r></w:p>");
    /* Short names keep the part under 1 MB, so it is the nesting a reader
     * meets, not the compression ratio. */
    for (size_t i = 0; i < depth; i++)
        mb_puts(&b, "<a>");
    mb_puts(&b, "<w:r><w:t>Text at the bottom.</w:t></w:r>");
    for (size_t i = 0; i < depth; i++)
        mb_puts(&b, "</a>");
    mb_puts(&b, "</w:body></w:document>");
    int rc = write_docx(out, b.d, "", 0);
    free(b.d);
    return rc;
}

/* ---- XLSX ---- */

static void col_ref(char *out, unsigned col)
{
    char tmp[8];
    size_t n = 0;
    col++;
    while (col && n < sizeof(tmp)) {
        tmp[n++] = (char)('A' + (col - 1) % 26);
        col = (col - 1) / 26;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

static bool is_number(const char *s, size_t n)
{
    if (!n || n > 30 || s[0] == ' ' || s[0] == '+' || (n > 1 && s[0] == '0' && s[1] != '.'))
        return false;
    char tmp[32];
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *end;
    strtod(tmp, &end);
    return *end == '\0' && strspn(tmp, "0123456789.-eE") == n;
}

/* Days since 0000-03-01 of a proleptic Gregorian date. */
static long civil_days(long y, long m, long d)
{
    long yy = m <= 2 ? y - 1 : y, era = yy / 400, yoe = yy - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy;
}

/* "dd/mm/yyyy" as an Excel serial day number (1900 system: days since
 * 1899-12-30, right from March 1900 on), or -1. */
static long excel_date(const char *s, size_t n)
{
    if (n != 10 || s[2] != '/' || s[5] != '/')
        return -1;
    for (size_t i = 0; i < n; i++)
        if (i != 2 && i != 5 && (s[i] < '0' || s[i] > '9'))
            return -1;
    long d = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    long y = atol(s + 6);
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || y < 1901 ||
        (m == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400))))
        return -1;   /* not a date: kept as text */
    return civil_days(y, m, d) - civil_days(1899, 12, 30);
}

struct sst {
    struct mb xml;
    char **s;
    size_t n, cap;
};

static size_t sst_index(struct sst *t, const char *s, size_t n)
{
    for (size_t i = 0; i < t->n; i++)
        if (strlen(t->s[i]) == n && !memcmp(t->s[i], s, n))
            return i;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 32;
        t->s = realloc(t->s, t->cap * sizeof(*t->s));
        if (!t->s)
            exit(2);
    }
    t->s[t->n] = strndup(s, n);
    mb_puts(&t->xml, "<si><t xml:space=\"preserve\">");
    mb_xml(&t->xml, s, n);
    mb_puts(&t->xml, "</t></si>");
    return t->n++;
}

int mka_xlsx(const char *out, const char *text, size_t len)
{
    size_t n = 0;
    struct line *lines = split_lines(text, len, &n);
    if (!lines && len)
        return -1;
    struct sst sst = {0};
    struct mb sheets[256];
    char *names[256];
    size_t nsheets = 0;
    unsigned row = 0;
    for (size_t i = 0; i < n; i++) {
        bool named = line_starts(&lines[i], "=== ");
        if (named || nsheets == 0) {
            if (nsheets == 256) {
                fprintf(stderr, "mkattach: more than 256 sheets\n");
                free(lines);
                return -1;
            }
            sheets[nsheets] = (struct mb){0};
            names[nsheets] = named ? strndup(lines[i].s + 4, lines[i].n - 4) : strdup("Sheet1");
            mb_puts(&sheets[nsheets], XML_DECL "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>");
            nsheets++;
            row = 0;
            if (named)
                continue;
        }
        struct mb *b = &sheets[nsheets - 1];
        row++;
        mb_printf(b, "<row r=\"%u\">", row);
        size_t c = 0, col = 0;
        while (c <= lines[i].n) {
            const char *tab = memchr(lines[i].s + c, '\t', lines[i].n - c);
            size_t end = tab ? (size_t)(tab - lines[i].s) : lines[i].n;
            const char *cell = lines[i].s + c;
            size_t clen = end - c;
            char ref[16];
            col_ref(ref, (unsigned)col);
            long serial;
            if (!clen) {
                /* an empty cell is simply absent */
            } else if ((serial = excel_date(cell, clen)) > 0) {
                /* a date, as Excel keeps one: a day number styled as a date */
                mb_printf(b, "<c r=\"%s%u\" s=\"1\"><v>%ld</v></c>", ref, row, serial);
            } else if (is_number(cell, clen)) {
                mb_printf(b, "<c r=\"%s%u\"><v>%.*s</v></c>", ref, row, (int)clen, cell);
            } else if (cell[0] == '\'') {
                mb_printf(b, "<c r=\"%s%u\" t=\"inlineStr\"><is><t>", ref, row);
                mb_xml(b, cell + 1, clen - 1);
                mb_puts(b, "</t></is></c>");
            } else {
                mb_printf(b, "<c r=\"%s%u\" t=\"s\"><v>%zu</v></c>", ref, row, sst_index(&sst, cell, clen));
            }
            col++;
            if (!tab)
                break;
            c = end + 1;
        }
        mb_puts(b, "</row>");
    }
    free(lines);
    if (nsheets == 0) {
        sheets[0] = (struct mb){0};
        names[0] = strdup("Sheet1");
        mb_puts(&sheets[0], XML_DECL "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>");
        nsheets = 1;
    }

    zip_t *za = zw_open(out);
    if (!za)
        return -1;
    int rc = 0;
    struct mb b = {0};
    mb_puts(&b, XML_DECL "<Types xmlns=\"" NS_CT "\">"
                "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
                "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
                "<Override PartName=\"/xl/workbook.xml\" ContentType=\"" CT_BASE "spreadsheetml.sheet.main+xml\"/>"
                "<Override PartName=\"/xl/sharedStrings.xml\" ContentType=\"" CT_BASE "spreadsheetml.sharedStrings+xml\"/>"
                "<Override PartName=\"/xl/styles.xml\" ContentType=\"" CT_BASE "spreadsheetml.styles+xml\"/>");
    for (size_t s = 0; s < nsheets; s++)
        mb_printf(&b, "<Override PartName=\"/xl/worksheets/sheet%zu.xml\" ContentType=\"" CT_BASE "spreadsheetml.worksheet+xml\"/>", s + 1);
    mb_puts(&b, "</Types>");
    rc |= zw_add_mb(za, "[Content_Types].xml", &b);
    root_rels(&b, "xl/workbook.xml");
    rc |= zw_add_mb(za, "_rels/.rels", &b);

    mb_puts(&b, XML_DECL "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"" NS_R "\"><sheets>");
    for (size_t s = 0; s < nsheets; s++) {
        mb_puts(&b, "<sheet name=\"");
        mb_xml(&b, names[s], strlen(names[s]));
        mb_printf(&b, "\" sheetId=\"%zu\" r:id=\"rId%zu\"/>", s + 1, s + 1);
    }
    mb_puts(&b, "</sheets></workbook>");
    rc |= zw_add_mb(za, "xl/workbook.xml", &b);

    mb_puts(&b, XML_DECL "<Relationships xmlns=\"" NS_PKG_REL "\">");
    for (size_t s = 0; s < nsheets; s++)
        mb_printf(&b, "<Relationship Id=\"rId%zu\" Type=\"" NS_R "/worksheet\" Target=\"worksheets/sheet%zu.xml\"/>", s + 1, s + 1);
    mb_printf(&b, "<Relationship Id=\"rId%zu\" Type=\"" NS_R "/sharedStrings\" Target=\"sharedStrings.xml\"/>", nsheets + 1);
    mb_printf(&b, "<Relationship Id=\"rId%zu\" Type=\"" NS_R "/styles\" Target=\"styles.xml\"/>", nsheets + 2);
    mb_puts(&b, "</Relationships>");
    rc |= zw_add_mb(za, "xl/_rels/workbook.xml.rels", &b);

    mb_puts(&b, XML_DECL "<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
                "<numFmts count=\"1\"><numFmt numFmtId=\"164\" formatCode=\"dd/mm/yyyy\"/></numFmts>"
                "<fonts count=\"1\"><font><sz val=\"11\"/><name val=\"Calibri\"/></font></fonts>"
                "<fills count=\"1\"><fill><patternFill patternType=\"none\"/></fill></fills>"
                "<borders count=\"1\"><border/></borders>"
                "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>"
                "<cellXfs count=\"2\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>"
                "<xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/></cellXfs>"
                "</styleSheet>");
    rc |= zw_add_mb(za, "xl/styles.xml", &b);

    mb_printf(&b, XML_DECL "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"%zu\" uniqueCount=\"%zu\">", sst.n, sst.n);
    if (sst.xml.d)
        mb_add(&b, sst.xml.d, sst.xml.len);
    mb_puts(&b, "</sst>");
    rc |= zw_add_mb(za, "xl/sharedStrings.xml", &b);

    for (size_t s = 0; s < nsheets; s++) {
        mb_puts(&sheets[s], "</sheetData></worksheet>");
        char name[64];
        snprintf(name, sizeof(name), "xl/worksheets/sheet%zu.xml", s + 1);
        rc |= zw_add_mb(za, name, &sheets[s]);
        free(names[s]);
    }
    for (size_t i = 0; i < sst.n; i++)
        free(sst.s[i]);
    free(sst.s);
    free(sst.xml.d);
    return zw_close(za, out, rc);
}

/* ---- PPTX ---- */

#define NS_A "http://schemas.openxmlformats.org/drawingml/2006/main"
#define NS_P "http://schemas.openxmlformats.org/presentationml/2006/main"

static void pptx_shape(struct mb *b, const struct line *lines, size_t n)
{
    mb_puts(b, "<p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id=\"1\" name=\"\"/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr>"
               "<p:grpSpPr/><p:sp><p:nvSpPr><p:cNvPr id=\"2\" name=\"Text 1\"/><p:cNvSpPr txBox=\"1\"/><p:nvPr/></p:nvSpPr>"
               "<p:spPr><a:xfrm><a:off x=\"457200\" y=\"457200\"/><a:ext cx=\"8229600\" cy=\"5943600\"/></a:xfrm>"
               "<a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></p:spPr><p:txBody><a:bodyPr/><a:lstStyle/>");
    for (size_t i = 0; i < n; i++) {
        mb_puts(b, "<a:p><a:r><a:rPr lang=\"en-GB\"/><a:t>");
        mb_xml(b, lines[i].s, lines[i].n);
        mb_puts(b, "</a:t></a:r></a:p>");
    }
    if (!n)
        mb_puts(b, "<a:p/>");
    mb_puts(b, "</p:txBody></p:sp></p:spTree></p:cSld>");
}

int mka_pptx(const char *out, const char *text, size_t len)
{
    size_t n = 0;
    struct line *lines = split_lines(text, len, &n);
    if (!lines && len)
        return -1;
    /* Slides as ranges of lines: [body_start, notes_at) body, then notes. */
    size_t cap = 16, ns = 0;
    struct slide { size_t start, notes, end; } *sl = malloc(cap * sizeof(*sl));
    if (!sl)
        return -1;
    sl[ns++] = (struct slide){0, SIZE_MAX, n};
    for (size_t i = 0; i < n; i++) {
        if (i == 0 && line_breaks(&lines[i])) {
            sl[0].start = 1;   /* a title line before the first slide */
        } else if (line_breaks(&lines[i])) {
            sl[ns - 1].end = i;
            if (ns == cap) {
                cap *= 2;
                sl = realloc(sl, cap * sizeof(*sl));
                if (!sl)
                    return -1;
            }
            sl[ns++] = (struct slide){i + 1, SIZE_MAX, n};
        } else if (line_is(&lines[i], "=== notes") && sl[ns - 1].notes == SIZE_MAX) {
            sl[ns - 1].notes = i;
        }
    }
    zip_t *za = zw_open(out);
    if (!za) {
        free(sl);
        free(lines);
        return -1;
    }
    int rc = 0;
    struct mb b = {0};
    mb_puts(&b, XML_DECL "<Types xmlns=\"" NS_CT "\">"
                "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
                "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
                "<Override PartName=\"/ppt/presentation.xml\" ContentType=\"" CT_BASE "presentationml.presentation.main+xml\"/>");
    for (size_t s = 0; s < ns; s++) {
        mb_printf(&b, "<Override PartName=\"/ppt/slides/slide%zu.xml\" ContentType=\"" CT_BASE "presentationml.slide+xml\"/>", s + 1);
        if (sl[s].notes != SIZE_MAX)
            mb_printf(&b, "<Override PartName=\"/ppt/notesSlides/notesSlide%zu.xml\" ContentType=\"" CT_BASE "presentationml.notesSlide+xml\"/>", s + 1);
    }
    mb_puts(&b, "</Types>");
    rc |= zw_add_mb(za, "[Content_Types].xml", &b);
    root_rels(&b, "ppt/presentation.xml");
    rc |= zw_add_mb(za, "_rels/.rels", &b);

    mb_puts(&b, XML_DECL "<p:presentation xmlns:a=\"" NS_A "\" xmlns:r=\"" NS_R "\" xmlns:p=\"" NS_P "\"><p:sldIdLst>");
    for (size_t s = 0; s < ns; s++)
        mb_printf(&b, "<p:sldId id=\"%zu\" r:id=\"rId%zu\"/>", 256 + s, s + 1);
    mb_puts(&b, "</p:sldIdLst><p:sldSz cx=\"9144000\" cy=\"6858000\"/><p:notesSz cx=\"6858000\" cy=\"9144000\"/></p:presentation>");
    rc |= zw_add_mb(za, "ppt/presentation.xml", &b);

    mb_puts(&b, XML_DECL "<Relationships xmlns=\"" NS_PKG_REL "\">");
    for (size_t s = 0; s < ns; s++)
        mb_printf(&b, "<Relationship Id=\"rId%zu\" Type=\"" NS_R "/slide\" Target=\"slides/slide%zu.xml\"/>", s + 1, s + 1);
    mb_puts(&b, "</Relationships>");
    rc |= zw_add_mb(za, "ppt/_rels/presentation.xml.rels", &b);

    for (size_t s = 0; s < ns; s++) {
        size_t body_end = sl[s].notes != SIZE_MAX ? sl[s].notes : sl[s].end;
        mb_puts(&b, XML_DECL "<p:sld xmlns:a=\"" NS_A "\" xmlns:r=\"" NS_R "\" xmlns:p=\"" NS_P "\">");
        pptx_shape(&b, lines + sl[s].start, body_end - sl[s].start);
        mb_puts(&b, "</p:sld>");
        char name[80];
        snprintf(name, sizeof(name), "ppt/slides/slide%zu.xml", s + 1);
        rc |= zw_add_mb(za, name, &b);
        if (sl[s].notes == SIZE_MAX)
            continue;
        mb_printf(&b, XML_DECL "<Relationships xmlns=\"" NS_PKG_REL "\"><Relationship Id=\"rId1\" Type=\"" NS_R
                               "/notesSlide\" Target=\"../notesSlides/notesSlide%zu.xml\"/></Relationships>", s + 1);
        snprintf(name, sizeof(name), "ppt/slides/_rels/slide%zu.xml.rels", s + 1);
        rc |= zw_add_mb(za, name, &b);
        mb_puts(&b, XML_DECL "<p:notes xmlns:a=\"" NS_A "\" xmlns:r=\"" NS_R "\" xmlns:p=\"" NS_P "\">");
        pptx_shape(&b, lines + sl[s].notes + 1, sl[s].end - sl[s].notes - 1);
        mb_puts(&b, "</p:notes>");
        snprintf(name, sizeof(name), "ppt/notesSlides/notesSlide%zu.xml", s + 1);
        rc |= zw_add_mb(za, name, &b);
    }
    free(sl);
    free(lines);
    return zw_close(za, out, rc);
}

/* ---- ODT ---- */

#define NS_OFFICE "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
#define NS_TEXT "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
#define NS_STYLE "urn:oasis:names:tc:opendocument:xmlns:style:1.0"

static void odt_para(struct mb *b, const struct line *l)
{
    mb_puts(b, "<text:p>");
    for (size_t i = 0; i < l->n; i++) {
        if (l->s[i] == '\t')
            mb_puts(b, "<text:tab/>");
        else
            mb_xml(b, l->s + i, 1);
    }
    mb_puts(b, "</text:p>");
}

int mka_odt(const char *out, const char *text, size_t len)
{
    size_t n = 0;
    struct line *lines = split_lines(text, len, &n);
    if (!lines && len)
        return -1;
    struct mb body = {0}, header = {0}, footer = {0}, *cur = &body;
    for (size_t i = 0; i < n; i++) {
        if (line_is(&lines[i], "=== body"))
            cur = &body;
        else if (line_is(&lines[i], "=== header"))
            cur = &header;
        else if (line_is(&lines[i], "=== footer"))
            cur = &footer;
        else
            odt_para(cur, &lines[i]);
    }
    free(lines);
    zip_t *za = zw_open(out);
    if (!za)
        return -1;
    static const char mime[] = "application/vnd.oasis.opendocument.text";
    int rc = zw_add(za, "mimetype", mime, strlen(mime), true);
    struct mb b = {0};
    mb_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-content xmlns:office=\"" NS_OFFICE
                "\" xmlns:text=\"" NS_TEXT "\" office:version=\"1.2\"><office:body><office:text>");
    if (body.d)
        mb_add(&b, body.d, body.len);
    mb_puts(&b, "</office:text></office:body></office:document-content>");
    rc |= zw_add_mb(za, "content.xml", &b);
    mb_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-styles xmlns:office=\"" NS_OFFICE
                "\" xmlns:text=\"" NS_TEXT "\" xmlns:style=\"" NS_STYLE "\" office:version=\"1.2\"><office:master-styles>"
                "<style:master-page style:name=\"Standard\">");
    if (header.d) {
        mb_puts(&b, "<style:header>");
        mb_add(&b, header.d, header.len);
        mb_puts(&b, "</style:header>");
    }
    if (footer.d) {
        mb_puts(&b, "<style:footer>");
        mb_add(&b, footer.d, footer.len);
        mb_puts(&b, "</style:footer>");
    }
    mb_puts(&b, "</style:master-page></office:master-styles></office:document-styles>");
    rc |= zw_add_mb(za, "styles.xml", &b);
    mb_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.2\">"
                "<manifest:file-entry manifest:full-path=\"/\" manifest:version=\"1.2\" manifest:media-type=\"application/vnd.oasis.opendocument.text\"/>"
                "<manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>"
                "<manifest:file-entry manifest:full-path=\"styles.xml\" manifest:media-type=\"text/xml\"/>"
                "</manifest:manifest>");
    rc |= zw_add_mb(za, "META-INF/manifest.xml", &b);
    free(body.d);
    free(header.d);
    free(footer.d);
    return zw_close(za, out, rc);
}

/* ---- CSV ---- */

int mka_csv(const char *out, const char *text, size_t len)
{
    size_t n = 0;
    struct line *lines = split_lines(text, len, &n);
    if (!lines && len)
        return -1;
    struct mb b = {0};
    for (size_t i = 0; i < n; i++) {
        size_t c = 0;
        while (c <= lines[i].n) {
            const char *tab = memchr(lines[i].s + c, '\t', lines[i].n - c);
            size_t end = tab ? (size_t)(tab - lines[i].s) : lines[i].n;
            const char *cell = lines[i].s + c;
            size_t clen = end - c;
            if (memchr(cell, ',', clen) || memchr(cell, '"', clen)) {
                mb_puts(&b, "\"");
                for (size_t k = 0; k < clen; k++)
                    mb_add(&b, cell[k] == '"' ? "\"\"" : cell + k, cell[k] == '"' ? 2 : 1);
                mb_puts(&b, "\"");
            } else {
                mb_add(&b, cell, clen);
            }
            if (!tab)
                break;
            mb_puts(&b, ",");
            c = end + 1;
        }
        mb_puts(&b, "\r\n");
    }
    free(lines);
    FILE *f = fopen(out, "wb");
    int rc = f && fwrite(b.d ? b.d : "", 1, b.len, f) == b.len ? 0 : -1;
    if (f && fclose(f))
        rc = -1;
    if (rc)
        perror(out);
    free(b.d);
    return rc;
}

/* ---- writing whole files ---- */

static int write_file(const char *out, const void *data, size_t len)
{
    FILE *f = fopen(out, "wb");
    int rc = f && fwrite(data, 1, len, f) == len ? 0 : -1;
    if (f && fclose(f))
        rc = -1;
    if (rc)
        perror(out);
    return rc;
}

/* ---- highly compressible streams without holding them ---- */

/* Raw deflate of prefix followed by fill bytes of value fill, total
 * bytes of them; crc32 and adler32 of the whole. A 1 MB block of one
 * byte compresses the same after every full flush, so it is compressed
 * once and repeated. */
static int deflate_fill(struct mb *out, const void *prefix, size_t plen, int fill, uint64_t total,
                        uint32_t *crc, uint32_t *adler)
{
    const size_t chunk = 1u << 20;
    unsigned char *block = malloc(chunk);
    if (!block)
        return -1;
    memset(block, fill, chunk);
    z_stream z = {0};
    if (deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(block);
        return -1;
    }
    size_t bufcap = 2 * chunk;
    unsigned char *buf = malloc(bufcap);
    struct mb unit[2] = {{0}};
    uint32_t c = (uint32_t)crc32(0L, Z_NULL, 0), a = (uint32_t)adler32(0L, Z_NULL, 0);
    int rc = buf ? 0 : -1;
    /* prefix, then two identical blocks: the second is the repeating unit */
    const unsigned char *ins[3] = {prefix, block, block};
    size_t lens[3] = {plen, chunk, chunk};
    for (int k = 0; k < 3 && !rc; k++) {
        z.next_in = (unsigned char *)ins[k];
        z.avail_in = (uInt)lens[k];
        z.next_out = buf;
        z.avail_out = (uInt)bufcap;
        if (deflate(&z, Z_FULL_FLUSH) != Z_OK || z.avail_in)
            rc = -1;
        else if (k == 0)
            mb_add(out, buf, bufcap - z.avail_out);
        else
            mb_add(&unit[k - 1], buf, bufcap - z.avail_out);
    }
    if (!rc && (unit[0].len != unit[1].len || memcmp(unit[0].d, unit[1].d, unit[0].len)))
        rc = -1;   /* zlib did not repeat itself: refuse rather than write a wrong stream */
    if (plen) {
        c = (uint32_t)crc32(c, prefix, (uInt)plen);
        a = (uint32_t)adler32(a, prefix, (uInt)plen);
    }
    uint32_t cblock = (uint32_t)crc32(crc32(0L, Z_NULL, 0), block, (uInt)chunk);
    uint32_t ablock = (uint32_t)adler32(adler32(0L, Z_NULL, 0), block, (uInt)chunk);
    uint64_t whole = total / chunk, rest = total % chunk;
    for (uint64_t i = 0; i < whole && !rc; i++) {
        mb_add(out, unit[1].d, unit[1].len);
        c = (uint32_t)crc32_combine(c, cblock, (z_off_t)chunk);
        a = (uint32_t)adler32_combine(a, ablock, (z_off_t)chunk);
    }
    if (!rc) {
        z.next_in = block;
        z.avail_in = (uInt)rest;
        z.next_out = buf;
        z.avail_out = (uInt)bufcap;
        if (deflate(&z, Z_FINISH) != Z_STREAM_END)
            rc = -1;
        else
            mb_add(out, buf, bufcap - z.avail_out);
        c = (uint32_t)crc32(c, block, (uInt)rest);
        a = (uint32_t)adler32(a, block, (uInt)rest);
    }
    deflateEnd(&z);
    free(unit[0].d);
    free(unit[1].d);
    free(buf);
    free(block);
    if (crc)
        *crc = c;
    if (adler)
        *adler = a;
    if (rc)
        fprintf(stderr, "mkattach: deflate failed\n");
    return rc;
}

static int deflate_buf(struct mb *out, const void *data, size_t len, bool zlib_wrap)
{
    z_stream z = {0};
    if (deflateInit2(&z, 9, Z_DEFLATED, zlib_wrap ? 15 : -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    size_t cap = deflateBound(&z, (uLong)len);
    unsigned char *buf = malloc(cap);
    if (!buf) {
        deflateEnd(&z);
        return -1;
    }
    z.next_in = (unsigned char *)data;
    z.avail_in = (uInt)len;
    z.next_out = buf;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH) == Z_STREAM_END ? 0 : -1;
    if (!rc)
        mb_add(out, buf, cap - z.avail_out);
    deflateEnd(&z);
    free(buf);
    return rc;
}

/* ---- zips written by hand (they may lie) ---- */

struct rawzip {
    struct mb file, cd;
    unsigned n;
};

/* Adds an entry whose compressed bytes are data (method 0 or 8); the
 * headers say usize, which need not be true. */
static void rawzip_add(struct rawzip *z, const char *name, int method, uint32_t crc,
                       const void *data, size_t clen, uint32_t usize)
{
    uint32_t off = (uint32_t)z->file.len;
    size_t nl = strlen(name);
    /* 2024-01-15 09:00 in DOS date and time */
    const unsigned dtime = 9 << 11, ddate = ((2024 - 1980) << 9) | (1 << 5) | 15;
    mb_u32(&z->file, 0x04034b50);
    mb_u16(&z->file, 20);
    mb_u16(&z->file, 0);
    mb_u16(&z->file, (unsigned)method);
    mb_u16(&z->file, dtime);
    mb_u16(&z->file, ddate);
    mb_u32(&z->file, crc);
    mb_u32(&z->file, (uint32_t)clen);
    mb_u32(&z->file, usize);
    mb_u16(&z->file, (unsigned)nl);
    mb_u16(&z->file, 0);
    mb_add(&z->file, name, nl);
    mb_add(&z->file, data, clen);

    mb_u32(&z->cd, 0x02014b50);
    mb_u16(&z->cd, 20);
    mb_u16(&z->cd, 20);
    mb_u16(&z->cd, 0);
    mb_u16(&z->cd, (unsigned)method);
    mb_u16(&z->cd, dtime);
    mb_u16(&z->cd, ddate);
    mb_u32(&z->cd, crc);
    mb_u32(&z->cd, (uint32_t)clen);
    mb_u32(&z->cd, usize);
    mb_u16(&z->cd, (unsigned)nl);
    mb_u16(&z->cd, 0);
    mb_u16(&z->cd, 0);
    mb_u16(&z->cd, 0);
    mb_u16(&z->cd, 0);
    mb_u32(&z->cd, 0);
    mb_u32(&z->cd, off);
    mb_add(&z->cd, name, nl);
    z->n++;
}

/* Appends the central directory; the whole zip is then z->file. */
static void rawzip_finish(struct rawzip *z)
{
    uint32_t cdoff = (uint32_t)z->file.len;
    mb_add(&z->file, z->cd.d, z->cd.len);
    mb_u32(&z->file, 0x06054b50);
    mb_u16(&z->file, 0);
    mb_u16(&z->file, 0);
    mb_u16(&z->file, z->n);
    mb_u16(&z->file, z->n);
    mb_u32(&z->file, (uint32_t)z->cd.len);
    mb_u32(&z->file, cdoff);
    mb_u16(&z->file, 0);
    free(z->cd.d);
    z->cd = (struct mb){0};
}

int mka_zipbomb(const char *out)
{
    /* 4 zips inside, each of 4 entries of 64 MB of zeros: 1 GB in all. */
    const uint64_t each = 64ull << 20;
    struct mb zeros = {0};
    uint32_t crc;
    if (deflate_fill(&zeros, NULL, 0, 0, each, &crc, NULL))
        return -1;
    struct rawzip inner;
    memset(&inner, 0, sizeof(inner));
    for (int i = 1; i <= 4; i++) {
        char name[32];
        snprintf(name, sizeof(name), "zeros-%d.bin", i);
        rawzip_add(&inner, name, 8, crc, zeros.d, zeros.len, (uint32_t)each);
    }
    rawzip_finish(&inner);
    free(zeros.d);
    struct mb packed = {0};
    if (deflate_buf(&packed, inner.file.d, inner.file.len, false)) {
        free(inner.file.d);
        return -1;
    }
    uint32_t icrc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), (unsigned char *)inner.file.d, (uInt)inner.file.len);
    struct rawzip outer;
    memset(&outer, 0, sizeof(outer));
    for (int i = 1; i <= 4; i++) {
        char name[32];
        snprintf(name, sizeof(name), "part-%d.zip", i);
        rawzip_add(&outer, name, 8, icrc, packed.d, packed.len, (uint32_t)inner.file.len);
    }
    rawzip_finish(&outer);
    int rc = write_file(out, outer.file.d, outer.file.len);
    free(inner.file.d);
    free(packed.d);
    free(outer.file.d);
    return rc;
}

int mka_lyingzip(const char *out)
{
    /* The headers say 1 KB; the data inflates to 256 MB of "A". */
    static const char start[] = "Minutes of the meeting. ";
    struct mb data = {0};
    uint32_t crc;
    if (deflate_fill(&data, start, strlen(start), 'A', 256ull << 20, &crc, NULL))
        return -1;
    struct rawzip z;
    memset(&z, 0, sizeof(z));
    rawzip_add(&z, "minutes.txt", 8, crc, data.d, data.len, 1024);
    rawzip_finish(&z);
    int rc = write_file(out, z.file.d, z.file.len);
    free(data.d);
    free(z.file.d);
    return rc;
}

int mka_enczip(const char *out)
{
    zip_t *za = zw_open(out);
    if (!za)
        return -1;
    static const char secret[] = "Safeguarding notes: the password is not in this file.\n";
    int rc = zw_add(za, "notes.txt", secret, strlen(secret), false);
    zip_uint16_t em = zip_encryption_method_supported(ZIP_EM_AES_256, 1) ? ZIP_EM_AES_256 : ZIP_EM_TRAD_PKWARE;
    if (!rc && zip_file_set_encryption(za, 0, em, "correct horse battery staple") < 0) {
        fprintf(stderr, "mkattach: encryption: %s\n", zip_strerror(za));
        rc = -1;
    }
    return zw_close(za, out, rc);
}

int mka_zip(const char *out, char *const *files, int nfiles)
{
    zip_t *za = zw_open(out);
    if (!za)
        return -1;
    int rc = 0;
    for (int i = 0; i < nfiles && !rc; i++) {
        FILE *f = fopen(files[i], "rb");
        if (!f) {
            perror(files[i]);
            rc = -1;
            break;
        }
        struct mb b = {0};
        char buf[65536];
        size_t got;
        while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
            mb_add(&b, buf, got);
        fclose(f);
        const char *base = strrchr(files[i], '/');
        rc = zw_add(za, base ? base + 1 : files[i], b.d ? b.d : "", b.len, false);
        free(b.d);
    }
    return zw_close(za, out, rc);
}

/* ---- PDF ---- */

/* UTF-8 to the WinAnsi bytes of a standard Type 1 font, as a PDF string
 * body; what WinAnsi lacks becomes "?". */
static void pdf_string(struct mb *b, const char *s, size_t n)
{
    static const struct { uint32_t cp; unsigned char c; } extra[] = {
        {0x20ac, 0x80}, {0x2018, 0x91}, {0x2019, 0x92}, {0x201c, 0x93}, {0x201d, 0x94},
        {0x2022, 0x95}, {0x2013, 0x96}, {0x2014, 0x97}, {0x2026, 0x85},
    };
    mb_puts(b, "(");
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp = c;
        size_t k = 1;
        if (c >= 0xc0 && c < 0xe0 && i + 1 < n) {
            cp = ((c & 0x1fu) << 6) | (s[i + 1] & 0x3fu);
            k = 2;
        } else if (c >= 0xe0 && c < 0xf0 && i + 2 < n) {
            cp = ((c & 0x0fu) << 12) | ((s[i + 1] & 0x3fu) << 6) | (s[i + 2] & 0x3fu);
            k = 3;
        } else if (c >= 0xf0 && i + 3 < n) {
            cp = 0xfffd;
            k = 4;
        }
        i += k;
        unsigned char out = '?';
        if (cp < 0x80 || (cp >= 0xa0 && cp <= 0xff))
            out = (unsigned char)cp;
        for (size_t e = 0; e < sizeof(extra) / sizeof(extra[0]); e++)
            if (extra[e].cp == cp)
                out = extra[e].c;
        if (out == '(' || out == ')' || out == '\\')
            mb_add(b, "\\", 1);
        if (out == '\t')
            out = ' ';
        if (out < 0x20)
            continue;
        mb_add(b, &out, 1);
    }
    mb_puts(b, ")");
}

struct pdfw {
    struct mb f;
    size_t off[4096];
    unsigned nobj;
};

static void pdf_obj_start(struct pdfw *p, unsigned num)
{
    if (num < 4096)
        p->off[num] = p->f.len;
    if (num > p->nobj)
        p->nobj = num;
    mb_printf(&p->f, "%u 0 obj\n", num);
}

static void pdf_stream(struct pdfw *p, unsigned num, const char *extra_dict, const struct mb *deflated)
{
    pdf_obj_start(p, num);
    mb_printf(&p->f, "<</Length %zu/Filter/FlateDecode%s>>\nstream\n", deflated->len, extra_dict ? extra_dict : "");
    mb_add(&p->f, deflated->d, deflated->len);
    mb_puts(&p->f, "\nendstream\nendobj\n");
}

/* Catalog 1, pages 2, font 3, then page k at 4 + 2k with its content at
 * 5 + 2k; encrypt adds an Encrypt dictionary nobody has the password to. */
static int pdf_finish(struct pdfw *p, unsigned npages, bool encrypt, const char *out)
{
    unsigned enc = 4 + 2 * npages;
    pdf_obj_start(p, 1);
    mb_puts(&p->f, "<</Type/Catalog/Pages 2 0 R>>\nendobj\n");
    pdf_obj_start(p, 2);
    mb_puts(&p->f, "<</Type/Pages/Kids[");
    for (unsigned k = 0; k < npages; k++)
        mb_printf(&p->f, "%s%u 0 R", k ? " " : "", 4 + 2 * k);
    mb_printf(&p->f, "]/Count %u>>\nendobj\n", npages);
    pdf_obj_start(p, 3);
    mb_puts(&p->f, "<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>\nendobj\n");
    for (unsigned k = 0; k < npages; k++) {
        pdf_obj_start(p, 4 + 2 * k);
        mb_printf(&p->f, "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 3 0 R>>>>/Contents %u 0 R>>\nendobj\n",
                  5 + 2 * k);
    }
    if (encrypt) {
        pdf_obj_start(p, enc);
        mb_puts(&p->f, "<</Filter/Standard/V 2/R 3/Length 128/P -3904/O<");
        for (int i = 0; i < 32; i++)
            mb_printf(&p->f, "%02x", (unsigned)(i * 37 + 11) & 0xff);
        mb_puts(&p->f, ">/U<");
        for (int i = 0; i < 32; i++)
            mb_printf(&p->f, "%02x", (unsigned)(i * 53 + 7) & 0xff);
        mb_puts(&p->f, ">>>\nendobj\n");
    }
    size_t xref = p->f.len;
    unsigned size = p->nobj + 1;
    mb_printf(&p->f, "xref\n0 %u\n0000000000 65535 f \n", size);
    for (unsigned i = 1; i < size; i++)
        mb_printf(&p->f, "%010zu 00000 n \n", i < 4096 ? p->off[i] : 0);
    mb_printf(&p->f, "trailer\n<</Size %u/Root 1 0 R", size);
    if (encrypt)
        mb_printf(&p->f, "/Encrypt %u 0 R/ID[<6d6b61747461636870646669643031><6d6b61747461636870646669643031>]", enc);
    mb_printf(&p->f, ">>\nstartxref\n%zu\n%%%%EOF\n", xref);
    int rc = write_file(out, p->f.d, p->f.len);
    free(p->f.d);
    return rc;
}

static void pdf_begin(struct pdfw *p)
{
    memset(p, 0, sizeof(*p));
    mb_puts(&p->f, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
}

static int write_pdf(const char *out, const char *text, size_t len, bool encrypt)
{
    size_t n = 0;
    struct line *lines = split_lines(text, len, &n);
    if (!lines && len)
        return -1;
    struct pdfw *p = malloc(sizeof(*p));
    if (!p) {
        free(lines);
        return -1;
    }
    pdf_begin(p);
    unsigned page = 0;
    size_t i = n && line_breaks(&lines[0]) ? 1 : 0;   /* a title before the first page */
    int rc = 0;
    do {
        struct mb content = {0}, z = {0};
        mb_puts(&content, "BT\n/F1 11 Tf\n14 TL\n56 786 Td\n");
        for (; i < n && !line_breaks(&lines[i]); i++) {
            pdf_string(&content, lines[i].s, lines[i].n);
            mb_puts(&content, " Tj T*\n");
        }
        mb_puts(&content, "ET\n");
        if (deflate_buf(&z, content.d, content.len, true))
            rc = -1;
        if (page >= 2000)
            rc = -1;
        if (!rc)
            pdf_stream(p, 5 + 2 * page, NULL, &z);
        free(content.d);
        free(z.d);
        page++;
        if (i < n)
            i++;   /* the "===" line */
        else
            break;
    } while (!rc);
    free(lines);
    if (rc) {
        free(p->f.d);
        free(p);
        return -1;
    }
    rc = pdf_finish(p, page, encrypt, out);
    free(p);
    return rc;
}

int mka_pdf(const char *out, const char *text, size_t len)
{
    return write_pdf(out, text, len, false);
}

int mka_encpdf(const char *out)
{
    static const char text[] = "Confidential: exclusion meeting notes.\n";
    return write_pdf(out, text, strlen(text), true);
}

int mka_pdfbomb(const char *out)
{
    /* One page whose content stream inflates to 1 GB (of spaces, after
     * one line of real text). */
    static const char start[] = "BT\n/F1 11 Tf\n56 786 Td\n(Text before the bomb.) Tj\nET\n";
    struct mb raw = {0}, z = {0};
    uint32_t adler;
    if (deflate_fill(&raw, start, strlen(start), ' ', 1ull << 30, NULL, &adler))
        return -1;
    const unsigned char hdr[2] = {0x78, 0xda};
    mb_add(&z, hdr, 2);
    mb_add(&z, raw.d, raw.len);
    unsigned char tail[4] = {adler >> 24, (adler >> 16) & 0xff, (adler >> 8) & 0xff, adler & 0xff};
    mb_add(&z, tail, 4);
    free(raw.d);
    struct pdfw *p = malloc(sizeof(*p));
    if (!p) {
        free(z.d);
        return -1;
    }
    pdf_begin(p);
    pdf_stream(p, 5, NULL, &z);
    free(z.d);
    int rc = pdf_finish(p, 1, false, out);
    free(p);
    return rc;
}

/* ---- OLE2 / compound file ---- */

#define CFB_END 0xfffffffeu
#define CFB_FREE 0xffffffffu
#define CFB_FATSECT 0xfffffffdu

struct cfb_stream {
    const char *name;
    const void *data;
    size_t len;
};

/* A version 3 compound file: sector 0 the FAT, sector 1 the directory,
 * then each stream padded to at least 4096 bytes (so no mini stream is
 * needed). Streams must come in directory order (shorter names first). */
static int write_cfb(const char *out, const struct cfb_stream *st, size_t n)
{
    if (n > 3)
        return -1;
    uint32_t fat[128];
    for (int i = 0; i < 128; i++)
        fat[i] = CFB_FREE;
    fat[0] = CFB_FATSECT;
    fat[1] = CFB_END;
    uint32_t next = 2, start[3], size[3];
    for (size_t s = 0; s < n; s++) {
        size_t padded = st[s].len < 4096 ? 4096 : (st[s].len + 511) / 512 * 512;
        uint32_t secs = (uint32_t)(padded / 512);
        if (next + secs > 128) {
            fprintf(stderr, "mkattach: ole streams too large for one FAT sector\n");
            return -1;
        }
        start[s] = next;
        size[s] = (uint32_t)padded;
        for (uint32_t k = 0; k < secs; k++)
            fat[next + k] = k + 1 < secs ? next + k + 1 : CFB_END;
        next += secs;
    }
    struct mb b = {0};
    mb_add(&b, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8);
    for (int i = 0; i < 4; i++)
        mb_u32(&b, 0);              /* CLSID */
    mb_u16(&b, 0x3e);
    mb_u16(&b, 3);
    mb_u16(&b, 0xfffe);
    mb_u16(&b, 9);
    mb_u16(&b, 6);
    mb_add(&b, "\0\0\0\0\0\0", 6);
    mb_u32(&b, 0);                  /* directory sectors (0 in version 3) */
    mb_u32(&b, 1);                  /* FAT sectors */
    mb_u32(&b, 1);                  /* first directory sector */
    mb_u32(&b, 0);
    mb_u32(&b, 4096);
    mb_u32(&b, CFB_END);            /* mini FAT */
    mb_u32(&b, 0);
    mb_u32(&b, CFB_END);            /* DIFAT */
    mb_u32(&b, 0);
    mb_u32(&b, 0);                  /* DIFAT[0]: the FAT is sector 0 */
    for (int i = 1; i < 109; i++)
        mb_u32(&b, CFB_FREE);
    for (int i = 0; i < 128; i++)
        mb_u32(&b, fat[i]);
    for (size_t e = 0; e < 4; e++) {
        const char *name = e == 0 ? "Root Entry" : e <= n ? st[e - 1].name : "";
        size_t nl = strlen(name);
        for (size_t k = 0; k < 32; k++)
            mb_u16(&b, k < nl ? (unsigned char)name[k] : 0);
        mb_u16(&b, nl ? (unsigned)(nl + 1) * 2 : 0);
        unsigned char type = e == 0 ? 5 : e <= n ? 2 : 0, color = 1;
        mb_add(&b, &type, 1);
        mb_add(&b, &color, 1);
        mb_u32(&b, CFB_FREE);                                   /* left */
        mb_u32(&b, e >= 1 && e < n ? (uint32_t)e + 1 : CFB_FREE); /* right */
        mb_u32(&b, e == 0 && n ? 1 : CFB_FREE);                 /* child */
        for (int i = 0; i < 4; i++)
            mb_u32(&b, 0);
        mb_u32(&b, 0);
        for (int i = 0; i < 4; i++)
            mb_u32(&b, 0);                                      /* times */
        mb_u32(&b, e == 0 || e > n ? CFB_END : start[e - 1]);
        mb_u32(&b, e == 0 || e > n ? 0 : size[e - 1]);
        mb_u32(&b, 0);
    }
    for (size_t s = 0; s < n; s++) {
        mb_add(&b, st[s].data, st[s].len);
        for (size_t k = st[s].len; k < size[s]; k++)
            mb_add(&b, "", 1);
    }
    int rc = write_file(out, b.d, b.len);
    free(b.d);
    return rc;
}

int mka_encoffice(const char *out)
{
    struct mb info = {0}, pkg = {0};
    mb_u16(&info, 4);
    mb_u16(&info, 4);
    mb_u32(&info, 0x40);
    mb_puts(&info, XML_DECL "<encryption xmlns=\"http://schemas.microsoft.com/office/2006/encryption\" "
                   "xmlns:p=\"http://schemas.microsoft.com/office/2006/keyEncryptor/password\">"
                   "<keyData saltSize=\"16\" blockSize=\"16\" keyBits=\"256\" hashSize=\"64\" cipherAlgorithm=\"AES\" "
                   "cipherChaining=\"ChainingModeCBC\" hashAlgorithm=\"SHA512\" saltValue=\"bWthdHRhY2hzYWx0MDAwMQ==\"/>"
                   "<keyEncryptors><keyEncryptor uri=\"http://schemas.microsoft.com/office/2006/keyEncryptor/password\">"
                   "<p:encryptedKey spinCount=\"100000\" saltSize=\"16\" blockSize=\"16\" keyBits=\"256\" hashSize=\"64\" "
                   "cipherAlgorithm=\"AES\" cipherChaining=\"ChainingModeCBC\" hashAlgorithm=\"SHA512\" "
                   "saltValue=\"bWthdHRhY2hzYWx0MDAwMg==\"/></keyEncryptor></keyEncryptors></encryption>");
    mb_u32(&pkg, 4096);
    mb_u32(&pkg, 0);
    uint32_t x = 2463534242u;       /* xorshift: noise standing in for ciphertext */
    for (int i = 0; i < 4096; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        unsigned char c = x & 0xff;
        mb_add(&pkg, &c, 1);
    }
    struct cfb_stream st[2] = {{"EncryptionInfo", info.d, info.len}, {"EncryptedPackage", pkg.d, pkg.len}};
    int rc = write_cfb(out, st, 2);
    free(info.d);
    free(pkg.d);
    return rc;
}

int mka_doc(const char *out, const char *text, size_t len)
{
    /* A token FIB (wIdent 0xA5EC, nFib 193, not encrypted) then the text
     * as UTF-16LE, lines ending in CR as Word stores paragraphs. */
    struct mb w = {0};
    mb_u16(&w, 0xa5ec);
    mb_u16(&w, 193);
    for (int i = 0; i < 254; i++)
        mb_u16(&w, 0);
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)text[i];
        uint32_t cp = c;
        size_t k = 1;
        if (c >= 0xc0 && c < 0xe0 && i + 1 < len) {
            cp = ((c & 0x1fu) << 6) | (text[i + 1] & 0x3fu);
            k = 2;
        } else if (c >= 0xe0 && c < 0xf0 && i + 2 < len) {
            cp = ((c & 0x0fu) << 12) | ((text[i + 1] & 0x3fu) << 6) | (text[i + 2] & 0x3fu);
            k = 3;
        } else if (c >= 0xf0) {
            cp = 0xfffd;
            k = 4;
        }
        i += k;
        mb_u16(&w, cp == '\n' ? '\r' : (unsigned)cp);
    }
    if (w.len > 60000) {
        free(w.d);
        fprintf(stderr, "mkattach: doc text too long\n");
        return -1;
    }
    struct cfb_stream st[1] = {{"WordDocument", w.d, w.len}};
    int rc = write_cfb(out, st, 1);
    free(w.d);
    return rc;
}

/* ---- pictures inside documents (the logo rule's containers) ---- */

/* The size a JPEG's SOF marker declares; false when none is found. */
static bool jpeg_dims(const unsigned char *d, size_t len, unsigned *w, unsigned *h)
{
    size_t i = 2;
    while (i + 9 < len && d[i] == 0xff) {
        unsigned m = d[i + 1], seg = (unsigned)d[i + 2] << 8 | d[i + 3];
        if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
            *h = (unsigned)d[i + 5] << 8 | d[i + 6];
            *w = (unsigned)d[i + 7] << 8 | d[i + 8];
            return true;
        }
        i += 2 + seg;
    }
    return false;
}

int mka_imgdocx(const char *out, const unsigned char *img, size_t len, const char *media)
{
    zip_t *za = zw_open(out);
    if (!za)
        return -1;
    int rc = 0;
    struct mb b = {0};
    mb_puts(&b, XML_DECL "<Types xmlns=\"" NS_CT "\">"
                "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
                "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
                "<Default Extension=\"png\" ContentType=\"image/png\"/>"
                "<Default Extension=\"jpeg\" ContentType=\"image/jpeg\"/>"
                "<Override PartName=\"/word/document.xml\" ContentType=\"" CT_BASE
                "wordprocessingml.document.main+xml\"/></Types>");
    rc |= zw_add_mb(za, "[Content_Types].xml", &b);
    root_rels(&b, "word/document.xml");
    rc |= zw_add_mb(za, "_rels/.rels", &b);
    mb_printf(&b, XML_DECL "<Relationships xmlns=\"" NS_PKG_REL "\"><Relationship Id=\"rId9\" Type=\"" NS_R
                  "/image\" Target=\"media/%s\"/></Relationships>", media);
    rc |= zw_add_mb(za, "word/_rels/document.xml.rels", &b);
    mb_puts(&b, XML_DECL "<w:document xmlns:w=\"" NS_W "\" xmlns:r=\"" NS_R "\"><w:body>"
                "<w:p><w:r><w:t>Letter with a picture.</w:t></w:r></w:p></w:body></w:document>");
    rc |= zw_add_mb(za, "word/document.xml", &b);
    char name[256];
    snprintf(name, sizeof(name), "word/media/%s", media);
    /* Stored, as Word keeps already-compressed pictures. */
    rc |= zw_add(za, name, img, len, true);
    return zw_close(za, out, rc);
}

int mka_imgbombdocx(const char *out)
{
    /* word/media/image1.png: a PNG signature and then 256 MB of zeros,
     * deflated about 1000:1, beside a real document part. */
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const uint64_t total = 256ull << 20;
    struct mb z = {0};
    uint32_t crc;
    if (deflate_fill(&z, sig, sizeof(sig), 0, total, &crc, NULL))
        return -1;
    struct rawzip rz;
    memset(&rz, 0, sizeof(rz));
    static const char ct[] = XML_DECL "<Types xmlns=\"" NS_CT "\"><Override PartName=\"/word/document.xml\" "
                             "ContentType=\"" CT_BASE "wordprocessingml.document.main+xml\"/></Types>";
    static const char doc[] = XML_DECL "<w:document xmlns:w=\"" NS_W "\"><w:body><w:p><w:r><w:t>Hi"
                              "</w:t></w:r></w:p></w:body></w:document>";
    rawzip_add(&rz, "[Content_Types].xml", 0, (uint32_t)crc32(0, (const Bytef *)ct, sizeof(ct) - 1), ct,
               sizeof(ct) - 1, sizeof(ct) - 1);
    rawzip_add(&rz, "word/document.xml", 0, (uint32_t)crc32(0, (const Bytef *)doc, sizeof(doc) - 1), doc,
               sizeof(doc) - 1, sizeof(doc) - 1);
    rawzip_add(&rz, "word/media/image1.png", 8, crc, z.d, z.len, (uint32_t)(total + sizeof(sig)));
    rawzip_finish(&rz);
    free(z.d);
    int rc = write_file(out, rz.file.d, rz.file.len);
    free(rz.file.d);
    return rc;
}

/* One A4 page drawing one DCT image XObject (object 5), its dictionary
 * declaring dw x dh. */
static int write_imgpdf(const char *out, const unsigned char *jpeg, size_t len, unsigned dw, unsigned dh)
{
    struct pdfw *p = malloc(sizeof(*p));
    if (!p)
        return -1;
    pdf_begin(p);
    pdf_obj_start(p, 1);
    mb_puts(&p->f, "<</Type/Catalog/Pages 2 0 R>>\nendobj\n");
    pdf_obj_start(p, 2);
    mb_puts(&p->f, "<</Type/Pages/Kids[3 0 R]/Count 1>>\nendobj\n");
    pdf_obj_start(p, 3);
    mb_puts(&p->f, "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</XObject<</Im1 5 0 R>>>>"
                   "/Contents 4 0 R>>\nendobj\n");
    static const char draw[] = "q 300 0 0 225 150 500 cm /Im1 Do Q\n";
    pdf_obj_start(p, 4);
    mb_printf(&p->f, "<</Length %zu>>\nstream\n%s\nendstream\nendobj\n", sizeof(draw) - 1, draw);
    pdf_obj_start(p, 5);
    mb_printf(&p->f, "<</Type/XObject/Subtype/Image/Width %u/Height %u/ColorSpace/DeviceRGB"
                     "/BitsPerComponent 8/Filter/DCTDecode/Length %zu>>\nstream\n", dw, dh, len);
    mb_add(&p->f, jpeg, len);
    mb_puts(&p->f, "\nendstream\nendobj\n");
    size_t xref = p->f.len;
    mb_printf(&p->f, "xref\n0 6\n0000000000 65535 f \n");
    for (unsigned i = 1; i < 6; i++)
        mb_printf(&p->f, "%010zu 00000 n \n", p->off[i]);
    mb_printf(&p->f, "trailer\n<</Size 6/Root 1 0 R>>\nstartxref\n%zu\n%%%%EOF\n", xref);
    int rc = write_file(out, p->f.d, p->f.len);
    free(p->f.d);
    free(p);
    return rc;
}

int mka_imgpdf(const char *out, const unsigned char *jpeg, size_t len)
{
    unsigned w, h;
    if (!jpeg_dims(jpeg, len, &w, &h)) {
        fprintf(stderr, "mkattach: imgpdf: not a JPEG (no SOF marker)\n");
        return -1;
    }
    return write_imgpdf(out, jpeg, len, w, h);
}

int mka_hugeimgpdf(const char *out)
{
    /* A 1 x 1 grey baseline JPEG whose XObject claims 100000 x 100000. */
    static const unsigned char tiny[] = {
        0xff, 0xd8, 0xff, 0xdb, 0x00, 0x43, 0x00, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x01, 0x00, 0x01, 0x01, 0x01, 0x11, 0x00, 0xff, 0xc4,
        0x00, 0x14, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0xff, 0xda, 0x00, 0x08, 0x01,
        0x01, 0x00, 0x00, 0x3f, 0x00, 0x00, 0xff, 0xd9};
    return write_imgpdf(out, tiny, sizeof(tiny), 100000, 100000);
}
