/*
 * rtf.c - the text of Rich Text Format files (WordPad, older Word, many
 * MIS report exports).
 *
 * Read as plain text, RTF hides words from the phrases: "pro{\b tec}tion",
 * accented or every-letter "\'65" hex escapes, \u8217? for curly quotes.
 * This reader keeps only what a reader sees: text of the body and of
 * fields (a HYPERLINK's target included, as it is in HTML), with groups
 * that hold no text (font and colour tables, pictures, embedded objects,
 * and every "\*" destination it does not know) skipped. Bytes are in the
 * document's \ansicpg code page, converted by GLib's iconv a run at a time.
 */
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include "extract_int.h"

#define SG_RTF_MAX_DEPTH 512

struct rtf {
    struct sg_xout o;
    const char *p, *end;
    struct sg_buf bytes;          /* 8-bit run waiting for conversion */
    char codepage[16];
    unsigned skip_depth;          /* inside a skipped group from this depth (0: not) */
    unsigned depth;
    unsigned uc[SG_RTF_MAX_DEPTH + 1]; /* fallback characters after \uN, per group */
    unsigned fallback;            /* left to drop after the last \uN */
};

static void flush_bytes(struct rtf *r)
{
    if (!r->bytes.len)
        return;
    gsize written = 0;
    gchar *u = g_convert_with_fallback(r->bytes.data, (gssize)r->bytes.len, "UTF-8", r->codepage, "?", NULL,
                                       &written, NULL);
    if (!u)
        u = g_convert(r->bytes.data, (gssize)r->bytes.len, "UTF-8", "WINDOWS-1252", NULL, &written, NULL);
    if (u)
        sg_xout_add(&r->o, u, written);
    g_free(u);
    r->bytes.len = 0;
}

static void put_byte(struct rtf *r, unsigned char c)
{
    if (r->skip_depth)
        return;
    if (r->fallback) {
        r->fallback--;
        return;
    }
    if (c < 0x80) {
        flush_bytes(r);
        sg_xout_add(&r->o, (const char *)&c, 1);
    } else {
        sg_buf_append(&r->bytes, (const char *)&c, 1);
    }
}

static void put_text(struct rtf *r, const char *s)
{
    if (r->skip_depth)
        return;
    flush_bytes(r);
    sg_xout_puts(&r->o, s);
}

static void put_unicode(struct rtf *r, long v)
{
    if (r->skip_depth)
        return;
    if (v < 0)
        v += 65536;                     /* RTF writes 16-bit values signed */
    char u[8];
    int n = v > 0 && g_unichar_validate((gunichar)v) ? g_unichar_to_utf8((gunichar)v, u) : 0;
    u[n] = '\0';
    put_text(r, n ? u : "?");
    r->fallback = r->uc[r->depth];
}

/* Destinations with no text a reader sees. */
static bool skipped_destination(const char *w)
{
    static const char *const names[] = {
        "fonttbl", "colortbl", "stylesheet", "listtable", "listoverridetable", "pict", "object", "objdata",
        "themedata", "colorschememapping", "datastore", "latentstyles", "rsidtbl", "generator", "xmlnstbl",
        "revtbl", "filetbl", "pgdsctbl", "info", "header", "footer", "headerl", "headerr", "footerl",
        "footerr", "nonshppict", "bin",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
        if (!strcmp(w, names[i]))
            return true;
    return false;
}

/* Destinations marked \* that still hold text a reader sees. */
static bool kept_starred(const char *w)
{
    return !strcmp(w, "fldinst") || !strcmp(w, "shptxt");
}

static void control_word(struct rtf *r, const char *w, bool has_arg, long arg, bool starred)
{
    if (starred && !kept_starred(w)) {
        if (!r->skip_depth)
            r->skip_depth = r->depth;
        return;
    }
    if (skipped_destination(w)) {
        if (!r->skip_depth)
            r->skip_depth = r->depth;
        /* \bin N: N raw bytes follow, whatever they are. */
        if (!strcmp(w, "bin") && has_arg && arg > 0)
            r->p += (size_t)arg < (size_t)(r->end - r->p) ? (size_t)arg : (size_t)(r->end - r->p);
        return;
    }
    if (!strcmp(w, "par") || !strcmp(w, "line") || !strcmp(w, "sect") || !strcmp(w, "page") ||
        !strcmp(w, "row")) {
        if (!r->skip_depth) {
            flush_bytes(r);
            sg_xout_newline(&r->o);
        }
    } else if (!strcmp(w, "tab") || !strcmp(w, "cell")) {
        put_text(r, SG_XCELL);
    } else if (!strcmp(w, "u") && has_arg) {
        put_unicode(r, arg);
    } else if (!strcmp(w, "uc") && has_arg && arg >= 0 && arg < 16) {
        r->uc[r->depth] = (unsigned)arg;
    } else if (!strcmp(w, "ansicpg") && has_arg && arg > 0 && arg < 100000) {
        flush_bytes(r);
        snprintf(r->codepage, sizeof(r->codepage), "CP%ld", arg);
    } else if (!strcmp(w, "emdash") || !strcmp(w, "endash")) {
        put_text(r, "-");
    } else if (!strcmp(w, "lquote") || !strcmp(w, "rquote")) {
        put_text(r, "'");
    } else if (!strcmp(w, "ldblquote") || !strcmp(w, "rdblquote")) {
        put_text(r, "\"");
    }
}

static int hexval(char c)
{
    return g_ascii_isxdigit(c) ? g_ascii_xdigit_value(c) : -1;
}

/* After a backslash: a control symbol or a control word with its
 * optional numeric argument and one delimiting space. */
static void escape(struct rtf *r, bool *starred)
{
    if (r->p >= r->end)
        return;
    char c = *r->p++;
    if (!g_ascii_isalpha(c)) {
        bool star = c == '*';
        if (c == '\'' && r->end - r->p >= 2 && hexval(r->p[0]) >= 0 && hexval(r->p[1]) >= 0) {
            put_byte(r, (unsigned char)(hexval(r->p[0]) << 4 | hexval(r->p[1])));
            r->p += 2;
        } else if (c == '~') {
            put_text(r, " ");
        } else if (c == '_') {
            put_text(r, "-");
        } else if (c == '\\' || c == '{' || c == '}') {
            put_byte(r, (unsigned char)c);
        } else if (c == '\n' || c == '\r') {
            control_word(r, "par", false, 0, false);
        }
        *starred = star;                /* \- and the rest: nothing to show */
        return;
    }
    char word[33];
    size_t n = 0;
    word[n++] = c;
    while (r->p < r->end && g_ascii_isalpha(*r->p)) {
        if (n < sizeof(word) - 1)
            word[n++] = *r->p;
        r->p++;
    }
    word[n] = '\0';
    bool has_arg = false, neg = false;
    long arg = 0;
    if (r->p < r->end && *r->p == '-' && r->end - r->p > 1 && g_ascii_isdigit(r->p[1]))
        neg = true, r->p++;
    while (r->p < r->end && g_ascii_isdigit(*r->p)) {
        if (arg < 10000000)
            arg = arg * 10 + (*r->p - '0');
        has_arg = true;
        r->p++;
    }
    if (r->p < r->end && *r->p == ' ')
        r->p++;
    control_word(r, word, has_arg, neg ? -arg : arg, *starred);
    *starred = false;
}

static unsigned rtf_run(const unsigned char *data, size_t len, const char *where, unsigned depth,
                        struct sg_extract_ctx *x)
{
    (void)where;
    (void)depth;
    struct rtf r = {.o = {.x = x}, .p = (const char *)data, .end = (const char *)data + len};
    snprintf(r.codepage, sizeof(r.codepage), "CP1252");
    r.uc[0] = 1;
    unsigned rc = 0;
    bool starred = false;
    for (size_t steps = 0; r.p < r.end && !r.o.full; steps++) {
        if (!(steps & 0xffff) && !sg_extract_going(x))
            break;
        char c = *r.p++;
        if (c == '{' || c == '}')
            starred = false;
        if (c == '{') {
            if (r.depth >= SG_RTF_MAX_DEPTH) {
                rc |= SG_EXTRACT_MALFORMED;
                break;
            }
            r.depth++;
            r.uc[r.depth] = r.uc[r.depth - 1];
        } else if (c == '}') {
            if (r.skip_depth && r.skip_depth >= r.depth)
                r.skip_depth = 0;
            if (r.depth)
                r.depth--;
            r.fallback = 0;
        } else if (c == '\\') {
            escape(&r, &starred);
        } else if (c != '\r' && c != '\n') {
            put_byte(&r, (unsigned char)c);
        }
    }
    flush_bytes(&r);
    sg_xout_flush(&r.o, NULL);
    sg_xout_free(&r.o);
    sg_buf_free(&r.bytes);
    return rc;
}

static const char *const rtf_types[] = {"rtf", NULL};

const struct sg_extractor sg_extractor_rtf = {
    .name = "rtf",
    .types = rtf_types,
    .doc = "Rich Text Format: body and field text (link targets included) in the document's code page, "
           "formatting groups, tables of fonts and colours, pictures and embedded objects skipped",
    .run = rtf_run,
};
