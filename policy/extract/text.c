/*
 * text.c - plain text and CSV attachments.
 *
 * Text is taken as UTF-8 when it is valid UTF-8, as UTF-16 when it starts
 * with a byte order mark (Excel's "Unicode text") or has a zero in every
 * pair of bytes, and otherwise as
 * Windows-1252, which is what a UK Windows machine writes and which
 * covers Latin-1's printable range. CSV rows become lines with cells
 * separated by tabs (SG_XCELL), so a name and a date of birth on one row stay next
 * to each other for the detectors.
 */
#include <stdlib.h>
#include <string.h>
#include <csv.h>
#include <glib.h>
#include "extract_int.h"
#include "sg_message.h"

/* Control characters other than tab and newline become spaces, so a NUL
 * cannot end the text early downstream. */
static void scrub(char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 && s[i] != '\t' && s[i] != '\n')
            s[i] = s[i] == '\r' ? '\n' : ' ';
}

struct csv_out {
    struct sg_xout o;
    bool row_started;
};

static void csv_field(void *field, size_t len, void *u)
{
    struct csv_out *c = u;
    if (c->row_started)
        sg_xout_puts(&c->o, SG_XCELL);
    c->row_started = true;
    char *f = field;
    for (size_t i = 0; i < len; i++)
        if (f[i] == '\n' || f[i] == '\r')
            f[i] = ' ';
    sg_xout_add(&c->o, f, len);
}

static void csv_row(int ch, void *u)
{
    (void)ch;
    struct csv_out *c = u;
    sg_xout_newline(&c->o);
    c->row_started = false;
}

/* The delimiter the first line uses most, outside quotes: , ; or tab. */
static unsigned char guess_delim(const char *s, size_t n)
{
    size_t comma = 0, semi = 0, tab = 0;
    bool quoted = false;
    for (size_t i = 0; i < n && s[i] != '\n'; i++) {
        if (s[i] == '"')
            quoted = !quoted;
        else if (!quoted)
            comma += s[i] == ',', semi += s[i] == ';', tab += s[i] == '\t';
    }
    if (tab > comma && tab >= semi)
        return '\t';
    if (semi > comma)
        return ';';
    return ',';
}

static unsigned csv_text(struct sg_extract_ctx *x, char *u, size_t n)
{
    struct csv_parser p;
    if (csv_init(&p, 0) != 0)
        return SG_EXTRACT_MALFORMED;
    csv_set_delim(&p, guess_delim(u, n));
    struct csv_out c = {.o = {.x = x}};
    /* In slices, so the budgets are looked at as the rows come. */
    for (size_t off = 0; off < n && !c.o.full && sg_extract_going(x);) {
        size_t step = n - off < 65536 ? n - off : 65536;
        if (csv_parse(&p, u + off, step, csv_field, csv_row, &c) != step)
            break;
        off += step;
    }
    csv_fini(&p, csv_field, csv_row, &c);
    csv_free(&p);
    sg_xout_flush(&c.o, NULL);
    sg_xout_free(&c.o);
    return 0;
}

static unsigned text_run(const unsigned char *data, size_t len, const char *where, unsigned depth,
                         struct sg_extract_ctx *x)
{
    (void)where;
    (void)depth;
    size_t n;
    char *u = sg_mime_to_utf8((const char *)data, len, NULL, &n);
    scrub(u, n);
    unsigned rc = 0;
    if (x->type && !strcmp(x->type, "csv"))
        rc = csv_text(x, u, n);
    else
        sg_extract_text(x, NULL, u, n);
    free(u);
    return rc;
}

static const char *const text_types[] = {"text", "csv", NULL};

const struct sg_extractor sg_extractor_text = {
    .name = "text",
    .types = text_types,
    .doc = "plain text (UTF-8, UTF-16 with or without a byte order mark, else Windows-1252) and CSV "
           "(rows as lines, cells separated by tabs)",
    .run = text_run,
};
