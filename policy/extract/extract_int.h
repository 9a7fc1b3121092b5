/*
 * extract_int.h - what the extractors in policy/extract/ share: the
 * extraction state, a text collector that knows the budget, the streaming
 * XML walker, and zip entry reading with its bomb checks.
 */
#ifndef SG_EXTRACT_INT_H
#define SG_EXTRACT_INT_H

#include <time.h>
#include <zip.h>
#include "sg_extract.h"
#include "sg_util.h"

/* Entries this small are never refused for their ratio: a 40 KB sheet of
 * empty styled cells compresses 300:1 and is no bomb. */
#define SG_EXTRACT_RATIO_FLOOR (1u << 20)

struct sg_extract_ctx {
    struct sg_extract_budget b;
    size_t text_left, input_left, entries_left;
    struct timespec deadline;
    sg_extract_emit emit;
    void *emit_ctx;
    unsigned status;            /* BUDGET set by text/take/in_time */
    bool stopped;               /* the caller said it has enough */
    char *prefix;               /* where this file is inside the attachment */
    const char *type;           /* its sniffed type, as the registry chose by */
};

/* Extractors, one per file (policy/extract/<name>.c). */
extern const struct sg_extractor sg_extractor_text, sg_extractor_ooxml, sg_extractor_odf,
    sg_extractor_pdf, sg_extractor_zip, sg_extractor_archive, sg_extractor_rtf, sg_extractor_tnef, sg_extractor_ole;

/* A fresh extraction state: budgets full (b NULL = the defaults), the
 * deadline max_seconds from now. Also used by the image collector
 * (policy/image/collect.c) to read containers under the same checks. */
void sg_extract_ctx_init(struct sg_extract_ctx *x, const struct sg_extract_budget *b, sg_extract_emit emit,
                         void *ctx);

/* True while nothing has told the extraction to stop (text, input or
 * time budget, or the caller). */
bool sg_extract_going(struct sg_extract_ctx *x);

/* Before opening one more file inside a container at depth: DEPTH when
 * it would be nested too deep, BUDGET when count and the entry budget is
 * spent (it takes one entry), else 0. The caller stops on either. */
unsigned sg_extract_enter(struct sg_extract_ctx *x, unsigned depth, bool count);

/* ---- text collection ---- */

/* Text of one "where", gathered then emitted at once; never grows past
 * what the text budget can still take. */
struct sg_xout {
    struct sg_extract_ctx *x;
    struct sg_buf b;
    bool full;                  /* budget reached: stop reading */
};

void sg_xout_add(struct sg_xout *o, const char *s, size_t n);
void sg_xout_puts(struct sg_xout *o, const char *s);
/* Ends the current line (no blank lines, no trailing separators). */
void sg_xout_newline(struct sg_xout *o);
/* Adds sep unless the line is still empty or already ends in it. */
void sg_xout_sep(struct sg_xout *o, const char *sep);
/* Emits what was gathered (if anything but white space) under where and
 * starts again; false when extraction should stop. */
bool sg_xout_flush(struct sg_xout *o, const char *where);
void sg_xout_free(struct sg_xout *o);

/* ---- XML ---- */

/* Callbacks of a streaming walk: element start (attrs readable through
 * sg_xml_attr while in start), element end, and character data. Names
 * are local names (no prefix). Return false from any to stop early. */
struct sg_xml_walk {
    bool (*start)(void *u, const char *name, void *reader);
    bool (*end)(void *u, const char *name);
    bool (*text)(void *u, const char *s, size_t n);
    void *u;
};

/* Walks an XML document with libxml2's reader: no network, no DTD
 * loading, no entity substitution; a DOCTYPE at all, nesting past
 * SG_XML_MAX_DEPTH or a parse error is MALFORMED; the time budget is
 * BUDGET. Returns status bits. */
#define SG_XML_MAX_DEPTH 200
unsigned sg_xml_walk(struct sg_extract_ctx *x, const char *data, size_t len, const struct sg_xml_walk *w);
/* An attribute of the element being started, by local name; caller frees
 * with free(). NULL when absent. */
char *sg_xml_attr(void *reader, const char *local);
/* The same, in namespace ns only ("r:id" beside a plain "id"). */
char *sg_xml_attr_ns(void *reader, const char *local, const char *ns);

/* ---- zip ---- */

/* Opens a zip held in memory (not copied; data must outlive it). NULL
 * when it is not one. */
zip_t *sg_zip_open(const unsigned char *data, size_t len);
/* Reads entry idx whole into *out (caller frees), after checking what
 * its header declares against the budgets and counting what inflates:
 * ENCRYPTED, BUDGET (input, entries, ratio, time), MALFORMED (read error,
 * or more data than declared). *out is NULL unless the result is 0. */
unsigned sg_zip_read(struct sg_extract_ctx *x, zip_t *za, zip_uint64_t idx,
                     unsigned char **out, size_t *outlen);
/* The same by name (case-insensitive, as OPC part names are); 0 with
 * *out NULL when there is no such entry. */
unsigned sg_zip_read_name(struct sg_extract_ctx *x, zip_t *za, const char *name,
                          unsigned char **out, size_t *outlen);
/* The entries of a zip as nested files (the zip extractor's body, also
 * used for packages that turn out not to be the Office file they seemed). */
unsigned sg_zip_entries(struct sg_extract_ctx *x, zip_t *za, unsigned depth);

/* ---- pdf ---- */

/* Inflates (and throws away) every Flate stream of a PDF that is not an
 * image, counting it against the budgets, before poppler is let near the
 * file: poppler inflates a content stream whole and cannot be stopped.
 * BUDGET when a stream would go past them. */
unsigned sg_pdf_preflight(struct sg_extract_ctx *x, const unsigned char *data, size_t len);

/* Between the cells of a spreadsheet row (CSV, XLSX, ODS, tables): a tab,
 * which normalising reads as a space, so "Oliver<tab>Wright" in a
 * Forename and a Surname column is found as the name a reader sees, and a
 * date of birth in the next cell stays beside it. */
#define SG_XCELL "\t"

#endif
