/*
 * footer.c - the footer for annotated mail, added with GMime (see
 * sg_footer.h).
 *
 * GMime writes the parts it was not asked to change as they came (their
 * raw headers and encoded content), so only the text bodies the footer
 * goes into are decoded, extended and encoded again in their own
 * transfer encoding. HTML footers are written in ASCII with character
 * references, so they fit any charset; text footers are converted into
 * the part's charset.
 */
#include <glib.h>
#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "sg_footer.h"
#include "sg_message.h"

#define MAX_DEPTH 32

struct walk {
    const struct sg_footer *f;
    GMimeObject *root;
    unsigned parts;
    bool protected;
    bool root_charset, root_encoding;  /* the root's content headers changed */
};

const char *sg_footer_rc_name(enum sg_footer_rc rc)
{
    switch (rc) {
    case SG_FOOTER_ADDED: return "added";
    case SG_FOOTER_SIGNED: return "signed";
    case SG_FOOTER_NO_BODY: return "no-text-body";
    case SG_FOOTER_FAILED: break;
    }
    return "unreadable";
}

void sg_footer_out_free(struct sg_footer_out *o)
{
    sg_buf_free(&o->body);
    free(o->content_type);
    free(o->content_encoding);
    memset(o, 0, sizeof(*o));
}

static bool is_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return false;
    return true;
}

/* Changing a signed or encrypted body would break it, or be unreadable. */
static bool protected_type(GMimeContentType *ct)
{
    return ct && (g_mime_content_type_is_type(ct, "multipart", "signed") ||
                  g_mime_content_type_is_type(ct, "multipart", "encrypted") ||
                  g_mime_content_type_is_type(ct, "application", "pkcs7-mime") ||
                  g_mime_content_type_is_type(ct, "application", "x-pkcs7-mime") ||
                  g_mime_content_type_is_type(ct, "application", "pgp-encrypted"));
}

static bool is_attachment(GMimeObject *obj)
{
    if (GMIME_IS_MESSAGE_PART(obj))
        return true;
    if (!GMIME_IS_PART(obj))
        return false;
    return g_mime_part_is_attachment(GMIME_PART(obj)) || g_mime_part_get_filename(GMIME_PART(obj));
}

/* The HTML form: text escaped, lines broken with <br>, and everything
 * beyond ASCII as a character reference. */
static void html_of(const struct sg_footer *f, struct sg_buf *out)
{
    const char *src = f->html ? f->html : f->text;
    if (!f->html)
        sg_buf_puts(out, "<div class=\"safeguard-footer\"><p>");
    for (const char *p = src; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (!f->html && c == '<')
            sg_buf_puts(out, "&lt;");
        else if (!f->html && c == '>')
            sg_buf_puts(out, "&gt;");
        else if (!f->html && c == '&')
            sg_buf_puts(out, "&amp;");
        else if (!f->html && c == '"')
            sg_buf_puts(out, "&quot;");
        else if (!f->html && c == '\n')
            sg_buf_puts(out, "<br>\n");
        else if (c >= 0x80)
            sg_buf_printf(out, "&#%u;", (unsigned)c);
        else
            sg_buf_append(out, p, 1);
    }
    if (!f->html)
        sg_buf_puts(out, "</p></div>");
}

static bool ascii_charset(const char *cs)
{
    return !cs || !g_ascii_strcasecmp(cs, "us-ascii") || !g_ascii_strcasecmp(cs, "ascii") ||
           !g_ascii_strcasecmp(cs, "ansi_x3.4-1968");
}

/* The text footer in the part's charset; *to_utf8 when an ASCII part must
 * become UTF-8 to carry it. NULL when the charset cannot take it at all. */
static char *text_in_charset(const char *text, const char *cs, bool *to_utf8)
{
    *to_utf8 = false;
    if (is_ascii(text, strlen(text)) || (cs && (!g_ascii_strcasecmp(cs, "utf-8") || !g_ascii_strcasecmp(cs, "utf8"))))
        return sg_xstrdup(text);
    if (ascii_charset(cs)) {
        *to_utf8 = true;     /* ASCII text is already UTF-8 */
        return sg_xstrdup(text);
    }
    gsize n = 0;
    gchar *conv = g_convert(text, -1, cs, "UTF-8", NULL, &n, NULL);
    if (!conv) {
        /* glibc's transliteration: an em dash becomes "-", not "?" */
        char *translit = g_strconcat(cs, "//TRANSLIT", NULL);
        conv = g_convert(text, -1, translit, "UTF-8", NULL, &n, NULL);
        g_free(translit);
    }
    if (!conv)
        conv = g_convert_with_fallback(text, -1, cs, "UTF-8", "?", NULL, &n, NULL);
    if (!conv)
        return NULL;
    char *out = sg_xstrndup(conv, n);
    g_free(conv);
    return out;
}

/* Appends src to out with its LF line ends written as nl. */
static void put_lines(struct sg_buf *out, const char *src, const char *nl)
{
    for (const char *p = src; *p; p++) {
        if (*p == '\r')
            continue;
        if (*p == '\n')
            sg_buf_puts(out, nl);
        else
            sg_buf_append(out, p, 1);
    }
}

static const char *find_last_tag(const char *s, size_t n, const char *tag)
{
    size_t tl = strlen(tag);
    for (size_t i = n; i >= tl; i--)
        if (!g_ascii_strncasecmp(s + i - tl, tag, tl))
            return s + i - tl;
    return NULL;
}

static void add_to_part(struct walk *w, GMimePart *part, bool html)
{
    GMimeObject *obj = GMIME_OBJECT(part);
    GMimeStream *mem = g_mime_stream_mem_new();
    GMimeDataWrapper *dw = g_mime_part_get_content(part);
    if (dw)
        g_mime_data_wrapper_write_to_stream(dw, mem);
    GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    const char *data = (const char *)ba->data;
    size_t len = ba->len;
    const char *cs = g_mime_object_get_content_type_parameter(obj, "charset");
    if (memmem(data, len, "-----BEGIN PGP ", 15)) {
        w->protected = true;      /* inline PGP: signed or encrypted text */
        g_object_unref(mem);
        return;
    }
    if (cs && (!g_ascii_strncasecmp(cs, "utf-16", 6) || !g_ascii_strncasecmp(cs, "utf-32", 6) ||
               !g_ascii_strncasecmp(cs, "ucs", 3))) {
        g_object_unref(mem);      /* not ASCII-compatible: no line can be added safely */
        return;
    }
    const char *nl = memmem(data, len, "\r\n", 2) ? "\r\n" : "\n";
    struct sg_buf body = {0};
    bool to_utf8 = false;
    if (html) {
        struct sg_buf foot = {0};
        html_of(w->f, &foot);
        const char *at = find_last_tag(data, len, "</body");
        if (!at)
            at = find_last_tag(data, len, "</html");
        size_t head = at ? (size_t)(at - data) : len;
        sg_buf_append(&body, data, head);
        sg_buf_puts(&body, nl);
        put_lines(&body, foot.data, nl);
        sg_buf_puts(&body, nl);
        sg_buf_append(&body, data + head, len - head);
        sg_buf_free(&foot);
    } else {
        const char *text = w->f->text;
        struct sg_buf plain = {0};
        if (!text) {
            /* Only html: given: its text for the plain alternative. */
            size_t tl = 0;
            char *t = sg_html_to_text(w->f->html, strlen(w->f->html), &tl);
            sg_buf_append(&plain, t ? t : "", t ? tl : 0);
            free(t);
            text = plain.data;
        }
        char *conv = text_in_charset(text, cs, &to_utf8);
        sg_buf_free(&plain);
        if (!conv) {
            g_object_unref(mem);
            return;
        }
        sg_buf_append(&body, data, len);
        if (len && data[len - 1] != '\n')
            sg_buf_puts(&body, nl);
        sg_buf_puts(&body, nl);
        put_lines(&body, conv, nl);
        sg_buf_puts(&body, nl);
        free(conv);
    }
    g_object_unref(mem);

    GMimeContentEncoding enc = g_mime_part_get_content_encoding(part);
    GMimeStream *ns = g_mime_stream_mem_new_with_buffer(body.data, body.len);
    GMimeDataWrapper *ndw = g_mime_data_wrapper_new_with_stream(ns, GMIME_CONTENT_ENCODING_DEFAULT);
    g_mime_part_set_content(part, ndw);
    g_object_unref(ndw);
    g_object_unref(ns);
    if (to_utf8) {
        g_mime_object_set_content_type_parameter(obj, "charset", "utf-8");
        w->root_charset |= obj == w->root;
    }
    /* 7bit is a promise about the bytes: keep it, or say quoted-printable. */
    if ((enc == GMIME_CONTENT_ENCODING_DEFAULT || enc == GMIME_CONTENT_ENCODING_7BIT) && !is_ascii(body.data, body.len)) {
        g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
        w->root_encoding |= obj == w->root;
    } else {
        g_mime_part_set_content_encoding(part, enc);
    }
    sg_buf_free(&body);
    w->parts++;
}

static void walk(struct walk *w, GMimeObject *obj, unsigned depth)
{
    if (depth > MAX_DEPTH || w->protected)
        return;
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    if (protected_type(ct)) {
        w->protected = true;
        return;
    }
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        bool alt = g_mime_content_type_is_type(ct, "multipart", "alternative");
        int n = g_mime_multipart_get_count(mp);
        for (int i = 0; i < n && !w->protected; i++) {
            GMimeObject *c = g_mime_multipart_get_part(mp, i);
            if (!alt && is_attachment(c))
                continue;
            walk(w, c, depth + 1);
            if (!alt)
                break;            /* the first part that is not an attachment is the body */
        }
        return;
    }
    if (!GMIME_IS_PART(obj) || is_attachment(obj) || !ct)
        return;
    if (g_mime_content_type_is_type(ct, "text", "plain"))
        add_to_part(w, GMIME_PART(obj), false);
    else if (g_mime_content_type_is_type(ct, "text", "html"))
        add_to_part(w, GMIME_PART(obj), true);
}

static char *header_value(GMimeObject *obj, const char *name)
{
    const char *v = g_mime_object_get_header(obj, name);
    if (!v)
        return NULL;
    struct sg_buf b = {0};
    for (const char *p = v + strspn(v, " \t"); *p; p++)
        if (*p != '\r' && *p != '\n')
            sg_buf_append(&b, p, 1);
    return sg_buf_steal(&b);
}

/* The milter protocol's line end throughout (GMime writes an epilogue's
 * bare). */
static void crlf(struct sg_buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
            sg_buf_append(out, "\r", 1);
        sg_buf_append(out, s + i, 1);
    }
}

enum sg_footer_rc sg_footer_add(const char *msg, size_t len, const struct sg_footer *f, struct sg_footer_out *out)
{
    memset(out, 0, sizeof(*out));
    if (!f || (!f->text && !f->html))
        return SG_FOOTER_NO_BODY;
    sg_message_init_library();
    GMimeStream *in = g_mime_stream_mem_new_with_buffer(msg, len);
    GMimeParser *parser = g_mime_parser_new_with_stream(in);
    GMimeMessage *m = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    g_object_unref(in);
    if (!m)
        return SG_FOOTER_FAILED;
    enum sg_footer_rc rc = SG_FOOTER_NO_BODY;
    struct walk w = {.f = f, .root = g_mime_message_get_mime_part(m)};
    if (w.root)
        walk(&w, w.root, 0);
    if (w.protected) {
        rc = SG_FOOTER_SIGNED;
    } else if (w.parts) {
        GMimeFormatOptions *opts = g_mime_format_options_new();
        g_mime_format_options_set_newline_format(opts, GMIME_NEWLINE_FORMAT_DOS);
        GMimeStream *os = g_mime_stream_mem_new();
        if (g_mime_object_write_content_to_stream(w.root, opts, os) < 0) {
            rc = SG_FOOTER_FAILED;
        } else {
            GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(os));
            crlf(&out->body, (const char *)ba->data, ba->len);
            /* GMime drops the line end after an epilogue. */
            if (len && msg[len - 1] == '\n' && (!out->body.len || out->body.data[out->body.len - 1] != '\n'))
                sg_buf_puts(&out->body, "\r\n");
            if (w.root_charset)
                out->content_type = header_value(w.root, "Content-Type");
            if (w.root_encoding)
                out->content_encoding = header_value(w.root, "Content-Transfer-Encoding");
            /* Without it the new charset and encoding mean nothing. */
            out->add_mime_version = (out->content_type || out->content_encoding) &&
                                    !g_mime_object_get_header(GMIME_OBJECT(m), "MIME-Version");
            out->parts = w.parts;
            rc = SG_FOOTER_ADDED;
        }
        g_object_unref(os);
        g_mime_format_options_free(opts);
    }
    g_object_unref(m);
    return rc;
}
