/*
 * html.c - text from HTML bodies with libxml2's forgiving HTML parser.
 *
 * Inline elements join without a gap, so "07<span>700</span>" reads as
 * "07700" just as a pupil would see it; block elements end a line.
 *
 * libxml2 gives up on some documents (nesting deeper than it will go,
 * more tags than we let it build a tree for, no memory) and then keeps
 * nothing from the point it stopped. A reader's mail client still shows
 * that text, so when the parser stopped early, or its tree holds visibly
 * less text than the document does, the whole document is read again by
 * plain tag stripping, and the caller is told so (SG_LIMIT_HTML).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libxml/HTMLparser.h>
#include <libxml/SAX2.h>
#include "sg_message.h"
#include "sg_util.h"

/* The tree walk has no depth limit of its own; these bound what libxml2
 * is asked to build. Its end-tag recovery searches the open-element
 * stack, so time grows with tags times depth: both are capped. */
#define SG_HTML_MAX_DEPTH 1024
#define SG_HTML_MAX_TAGS 400000
/* Text the stripper finds beyond the tree's that still counts as "the
 * same": entity spellings and stray '<' differ by a character or two. */
#define SG_HTML_SLACK 8

static bool is_block(const char *name, size_t n)
{
    static const char *const blocks[] = {
        "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4",
        "h5", "h6", "blockquote", "pre", "hr", "section", "article", "header",
        "footer", "td", "th", "dt", "dd", "title", NULL,
    };
    for (size_t i = 0; blocks[i]; i++)
        if (strlen(blocks[i]) == n && !strncasecmp(name, blocks[i], n))
            return true;
    return false;
}

static bool is_skipped(const char *name, size_t n)
{
    return (n == 6 && !strncasecmp(name, "script", 6)) || (n == 5 && !strncasecmp(name, "style", 5));
}

/* Code points that are not ASCII white space: the measure both readings
 * are compared by, blind to how each lays out lines and spaces. */
static size_t visible(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if ((b & 0xC0) != 0x80 && b != ' ' && (b < '\t' || b > '\r'))
            c++;
    }
    return c;
}

static void newline(struct sg_buf *out)
{
    if (out->len && out->data[out->len - 1] != '\n')
        sg_buf_puts(out, "\n");
}

/* ---- the tree walk ---- */

/* What a reader sees on entering an element; false when its content is
 * not shown at all. */
static bool enter(xmlNode *n, struct sg_buf *out)
{
    const char *name = (const char *)n->name;
    size_t len = strlen(name);
    if (is_skipped(name, len))
        return false;
    if (is_block(name, len))
        newline(out);
    if (!strcasecmp(name, "img")) {
        /* Alt text is what a reader sees when images are off. */
        xmlChar *alt = xmlGetProp(n, (const xmlChar *)"alt");
        if (alt) {
            sg_buf_printf(out, " %s ", (const char *)alt);
            xmlFree(alt);
        }
    }
    return true;
}

static void leave(xmlNode *n, struct sg_buf *out)
{
    const char *name = (const char *)n->name;
    if (!strcasecmp(name, "a")) {
        /* Link targets matter too (a social profile behind "click here"). */
        xmlChar *href = xmlGetProp(n, (const xmlChar *)"href");
        if (href) {
            sg_buf_printf(out, " <%s> ", (const char *)href);
            xmlFree(href);
        }
    } else if (is_block(name, strlen(name))) {
        newline(out);
    }
}

/* "0" as a whole CSS length: 0, 0px, 0em; not 0.9em. */
static bool css_zero(const char *v)
{
    return v[0] == '0' && v[1] != '.' && !(v[1] >= '0' && v[1] <= '9');
}

/* Content a reader does not see: the hidden attribute, or an inline style
 * of display:none, visibility:hidden, font-size:0 or opacity:0. */
static bool is_hidden(xmlNode *n)
{
    if (xmlHasProp(n, (const xmlChar *)"hidden"))
        return true;
    xmlChar *style = xmlGetProp(n, (const xmlChar *)"style");
    if (!style)
        return false;
    char css[256];
    size_t k = 0;
    for (const xmlChar *c = style; *c && k + 1 < sizeof(css); c++)
        if (*c != ' ' && *c != '\t' && *c != '\n' && *c != '\r')
            css[k++] = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    css[k] = '\0';
    xmlFree(style);
    const char *v;
    return strstr(css, "display:none") || strstr(css, "visibility:hidden") ||
           ((v = strstr(css, "font-size:")) && css_zero(v + 10)) || ((v = strstr(css, "opacity:")) && css_zero(v + 8));
}

/* Iterative, so that no nesting depth libxml2 accepts can overflow the
 * stack or hide the text beneath it. Hidden elements are read apart and
 * added after the visible text: "07700<span hidden>x</span>900123" reads
 * as the reader sees it, and what was hidden is still screened. Returns
 * the visible size of the text nodes alone, for the comparison with tag
 * stripping. */
static size_t walk(xmlDoc *doc, struct sg_buf *out)
{
    size_t seen = 0;
    struct sg_buf hidden = {0};
    struct sg_buf *dst = out;
    xmlNode *hidden_root = NULL;
    xmlNode *top = (xmlNode *)doc;
    xmlNode *n = doc->children;
    while (n) {
        bool down = false;
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (n->content) {
                size_t len = strlen((const char *)n->content);
                sg_buf_append(dst, (const char *)n->content, len);
                seen += visible((const char *)n->content, len);
            }
        } else if (n->type == XML_ELEMENT_NODE) {
            if (!hidden_root && is_hidden(n)) {
                hidden_root = n;
                dst = &hidden;
            }
            down = enter(n, dst) && n->children;
            if (!down && !is_skipped((const char *)n->name, strlen((const char *)n->name)))
                leave(n, dst);
            if (!down && n == hidden_root) {
                hidden_root = NULL;
                sg_buf_puts(&hidden, "\n");
                dst = out;
            }
        }
        if (down) {
            n = n->children;
            continue;
        }
        while (n && n != top && !n->next) {
            n = n->parent;
            if (n && n != top && n->type == XML_ELEMENT_NODE) {
                leave(n, dst);
                if (n == hidden_root) {
                    hidden_root = NULL;
                    sg_buf_puts(&hidden, "\n");
                    dst = out;
                }
            }
        }
        n = n && n != top ? n->next : NULL;
    }
    if (hidden.len) {
        newline(out);
        sg_buf_append(out, hidden.data, hidden.len);
    }
    sg_buf_free(&hidden);
    return seen;
}

/* ---- tag stripping, the fallback ---- */

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == ':' || c == '.';
}

static const char *find_ci(const char *s, const char *end, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = s; p + n <= end; p++)
        if (!strncasecmp(p, needle, n))
            return p;
    return NULL;
}

static void put_codepoint(struct sg_buf *out, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    sg_buf_append(out, u, n);
}

/* One character reference at s ('&'); returns the bytes consumed. The
 * common names and every numeric form are decoded. An unknown name is
 * kept as written, or as a lone '&' when only counting (libxml2 knows
 * them all and makes each one character). */
static size_t entity(const char *s, const char *end, struct sg_buf *out, bool counting)
{
    static const struct { const char *name; unsigned long cp; } names[] = {
        {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''},
        {"nbsp", 0xA0}, {"pound", 0xA3}, {"euro", 0x20AC}, {"copy", 0xA9},
        {"ndash", 0x2013}, {"mdash", 0x2014}, {"lsquo", 0x2018}, {"rsquo", 0x2019},
        {"ldquo", 0x201C}, {"rdquo", 0x201D}, {"hellip", 0x2026}, {"zwnj", 0x200C},
        {"zwj", 0x200D}, {"shy", 0xAD},
    };
    const char *p = s + 1;
    if (p < end && *p == '#') {
        p++;
        bool hex = p < end && (*p == 'x' || *p == 'X');
        p += hex;
        unsigned long cp = 0;
        const char *digits = p;
        while (p < end && (hex ? strchr("0123456789abcdefABCDEF", *p) != NULL : (*p >= '0' && *p <= '9')) && *p) {
            if (cp < 0x110000)
                cp = cp * (hex ? 16 : 10) + (unsigned long)(*p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10);
            p++;
        }
        if (p == digits) {
            sg_buf_append(out, "&", 1);
            return 1;
        }
        put_codepoint(out, cp);
        return (size_t)(p - s) + (p < end && *p == ';');
    }
    const char *name = p;
    while (p < end && is_name_char(*p) && p - name < 32)
        p++;
    size_t n = (size_t)(p - name);
    for (size_t i = 0; n && i < sizeof(names) / sizeof(names[0]); i++) {
        if (strlen(names[i].name) == n && !strncmp(name, names[i].name, n)) {
            put_codepoint(out, names[i].cp);
            return (size_t)(p - s) + (p < end && *p == ';');
        }
    }
    if (counting) {
        sg_buf_append(out, "&", 1);
        return n ? (size_t)(p - s) + (p < end && *p == ';') : 1;
    }
    sg_buf_append(out, "&", 1);
    return 1;
}

static void text_with_entities(const char *s, const char *end, struct sg_buf *out, bool counting)
{
    while (s < end) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        if (!amp) {
            sg_buf_append(out, s, (size_t)(end - s));
            return;
        }
        sg_buf_append(out, s, (size_t)(amp - s));
        s = amp + entity(amp, end, out, counting);
    }
}

/* Attributes of one tag (between its name and '>'): alt and href values
 * are shown as the tree walk shows them. Returns the position of the
 * closing '>' (or end). */
static const char *attributes(const char *p, const char *end, bool is_a, struct sg_buf *out, bool counting)
{
    while (p < end && *p != '>') {
        if (!is_name_char(*p)) {
            p++;
            continue;
        }
        const char *name = p;
        while (p < end && is_name_char(*p))
            p++;
        size_t n = (size_t)(p - name);
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
            p++;
        if (p >= end || *p != '=')
            continue;
        p++;
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
            p++;
        const char *v = p, *vend;
        if (p < end && (*p == '"' || *p == '\'')) {
            const char *q = memchr(p + 1, *p, (size_t)(end - p - 1));
            v = p + 1;
            vend = q ? q : end;
            p = q ? q + 1 : end;
        } else {
            while (p < end && *p != '>' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
                p++;
            vend = p;
        }
        if (counting)
            continue;
        bool alt = n == 3 && !strncasecmp(name, "alt", 3);
        bool href = is_a && n == 4 && !strncasecmp(name, "href", 4);
        if (alt || href) {
            sg_buf_puts(out, href ? " <" : " ");
            text_with_entities(v, vend, out, false);
            sg_buf_puts(out, href ? "> " : " ");
        }
    }
    return p;
}

/* Tags dropped, comments, scripts and styles with their content dropped,
 * entities decoded. When counting, attribute values are left out, as the
 * tree's count leaves them out. */
static void strip(const char *s, size_t len, struct sg_buf *out, bool counting)
{
    const char *p = s, *end = s + len;
    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        if (!lt) {
            text_with_entities(p, end, out, counting);
            break;
        }
        text_with_entities(p, lt, out, counting);
        p = lt + 1;
        if (p + 3 <= end && !strncmp(p, "!--", 3)) {
            /* "<!-->" and "<!--->" are whole (empty) comments to a
             * browser, and what follows them is shown. */
            const char *body = p + 3;
            if (body < end && *body == '>') {
                p = body + 1;
                continue;
            }
            if (body + 1 < end && body[0] == '-' && body[1] == '>') {
                p = body + 2;
                continue;
            }
            const char *close = find_ci(body, end, "-->");
            p = close ? close + 3 : end;
            continue;
        }
        bool closing = p < end && *p == '/';
        const char *name = p + closing;
        const char *q = name;
        while (q < end && is_name_char(*q))
            q++;
        size_t n = (size_t)(q - name);
        bool markup = n && ((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z'));
        if (!markup && p < end && (*p == '!' || *p == '?')) {
            const char *gt = memchr(p, '>', (size_t)(end - p));
            p = gt ? gt + 1 : end;
            continue;
        }
        if (!markup) {
            sg_buf_append(out, "<", 1);     /* "a < b" is text */
            continue;
        }
        bool block = is_block(name, n);
        if (block)
            newline(out);
        bool is_a = n == 1 && (*name | 0x20) == 'a';
        const char *gt = attributes(q, end, is_a, out, counting || closing);
        p = gt < end ? gt + 1 : end;
        if (!closing && is_skipped(name, n)) {
            char close[10];
            snprintf(close, sizeof(close), "</%.*s", (int)n, name);
            const char *c = find_ci(p, end, close);
            p = c ? c : end;
        }
        if (block && closing)
            newline(out);
    }
}

char *sg_html_strip(const char *html, size_t len, size_t *out_len)
{
    struct sg_buf out = {0};
    sg_buf_append(&out, "", 0);
    strip(html, len, &out, false);
    *out_len = out.len;
    return sg_buf_steal(&out);
}

static size_t stripped_visible(const char *html, size_t len)
{
    struct sg_buf b = {0};
    sg_buf_append(&b, "", 0);
    strip(html, len, &b, true);
    size_t n = visible(b.data, b.len);
    sg_buf_free(&b);
    return n;
}

/* ---- libxml2 ---- */

/* Stops the parser at SG_HTML_MAX_DEPTH, which with XML_PARSE_HUGE it
 * would otherwise never do; the caller sees the stop and strips tags. */
static void bounded_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
    htmlParserCtxtPtr ctxt = ctx;
    xmlSAX2StartElement(ctx, name, atts);
    if (ctxt->nameNr > SG_HTML_MAX_DEPTH)
        xmlStopParser(ctxt);
}

static size_t count_tags(const char *s, size_t len)
{
    size_t n = 0;
    for (const char *p = s, *end = s + len; (p = memchr(p, '<', (size_t)(end - p))); p++)
        n++;
    return n;
}

/* Returns the tree, or NULL when libxml2 did not read the whole input. */
static htmlDocPtr parse(const char *html, size_t len)
{
    if (len > (size_t)INT_MAX || count_tags(html, len) > SG_HTML_MAX_TAGS)
        return NULL;
    htmlParserCtxtPtr ctxt = htmlNewParserCtxt();
    if (!ctxt)
        return NULL;
    ctxt->sax->startElement = bounded_start;    /* the context owns its handler copy */
    htmlDocPtr doc = htmlCtxtReadMemory(ctxt, html, (int)len, NULL, "UTF-8",
                                        HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                        HTML_PARSE_NONET | XML_PARSE_HUGE);
    bool stopped = ctxt->disableSAX != 0;       /* halted: too deep, our stop, no memory */
    htmlFreeParserCtxt(ctxt);
    if (stopped && doc) {
        xmlFreeDoc(doc);
        doc = NULL;
    }
    return doc;
}

char *sg_html_text(const char *html, size_t len, size_t *out_len, bool *fell_back)
{
    struct sg_buf out = {0};
    sg_buf_append(&out, "", 0);
    *fell_back = false;
    if (!len) {
        *out_len = 0;
        return sg_buf_steal(&out);
    }
    htmlDocPtr doc = parse(html, len);
    size_t seen = 0;
    if (doc) {
        seen = walk(doc, &out);
        xmlFreeDoc(doc);
    }
    if (!doc || stripped_visible(html, len) > seen + SG_HTML_SLACK) {
        sg_buf_free(&out);
        sg_buf_append(&out, "", 0);
        strip(html, len, &out, false);
        *fell_back = true;
    }
    *out_len = out.len;
    return sg_buf_steal(&out);
}

char *sg_html_to_text(const char *html, size_t len, size_t *out_len)
{
    bool fell_back;
    return sg_html_text(html, len, out_len, &fell_back);
}
