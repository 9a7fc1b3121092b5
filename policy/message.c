/*
 * message.c - the message model from raw bytes, with GMime doing all the
 * MIME work: structure, transfer decoding, RFC 2047/2231, charsets.
 *
 * The walk is bounded by depth and part count; a bound reached is
 * recorded in limits_hit for the engine to act on, never an error.
 */
#include <glib.h>
#include <gmime/gmime.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sg_message.h"
#include "sg_util.h"

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void gmime_setup(void)
{
    g_mime_init();
}

void sg_message_init_library(void)
{
    pthread_once(&gmime_once, gmime_setup);
}

void sg_message_default_limits(struct sg_message_limits *lim)
{
    lim->max_message_size = 50u << 20;
    lim->max_depth = 16;
    lim->max_parts = 500;
    lim->max_text_bytes = 8u << 20;
    lim->max_attachment_keep = 4u << 20;
    lim->decode_attachments = true;
}

struct walk {
    struct sg_message *m;
    const struct sg_message_limits *lim;
    size_t nparts_seen;
    size_t text_bytes;
};

static void add_text(struct walk *w, char *text, size_t len, bool html, bool subject)
{
    if (w->text_bytes + len > w->lim->max_text_bytes) {
        w->m->limits_hit |= SG_LIMIT_TEXT;
        len = w->lim->max_text_bytes > w->text_bytes ? w->lim->max_text_bytes - w->text_bytes : 0;
        text[len] = '\0';
    }
    w->text_bytes += len;
    w->m->parts = sg_xrealloc(w->m->parts, (w->m->nparts + 1) * sizeof(*w->m->parts));
    w->m->parts[w->m->nparts++] = (struct sg_text_part){.text = text, .len = len, .from_html = html, .forwarded_subject = subject};
}

/* Decoded (transfer-encoding removed) bytes of a leaf part. */
static GByteArray *part_bytes(GMimePart *part)
{
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    GMimeStream *mem = g_mime_stream_mem_new();
    if (content)
        g_mime_data_wrapper_write_to_stream(content, mem);
    GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
    g_object_unref(mem);
    return ba;
}

/* Bytes in the declared charset to UTF-8; undeclared or wrong labels fall
 * back to windows-1252, the usual culprit in school mail. */
static char *to_utf8(const char *bytes, size_t len, const char *charset, size_t *out_len)
{
    if (!bytes || !len) {                /* GMime gives NULL for empty content */
        *out_len = 0;
        return sg_xstrdup("");
    }
    gsize written = 0;
    char *conv = NULL;
    if (charset && *charset) {
        const char *iconv_name = g_mime_charset_iconv_name(charset);
        conv = g_convert(bytes, (gssize)len, "UTF-8", iconv_name, NULL, &written, NULL);
    }
    if (!conv && g_utf8_validate(bytes, (gssize)len, NULL)) {
        *out_len = len;
        return sg_xstrndup(bytes, len);
    }
    if (!conv)
        conv = g_convert_with_fallback(bytes, (gssize)len, "UTF-8", "WINDOWS-1252", "?", NULL, &written, NULL);
    if (!conv) {
        *out_len = len;
        return sg_xstrndup(bytes, len);     /* normalisation repairs what is left */
    }
    char *out = sg_xstrndup(conv, written);
    g_free(conv);
    *out_len = written;
    return out;
}

/* The first bytes of an attachment, decoded with GMime's own decoder,
 * and its decoded size estimated from the encoded one: enough to name its
 * type without decoding megabytes that no rule will read. */
#define SG_SNIFF_BYTES 8192
static GByteArray *part_head(GMimePart *part, size_t *size)
{
    GByteArray *ba = g_byte_array_new();
    *size = 0;
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    GMimeStream *raw = content ? g_mime_data_wrapper_get_stream(content) : NULL;
    if (!raw)
        return ba;
    GMimeContentEncoding enc = g_mime_data_wrapper_get_encoding(content);
    gint64 enclen = g_mime_stream_length(raw);
    char in[SG_SNIFF_BYTES];
    g_mime_stream_reset(raw);
    ssize_t n = g_mime_stream_read(raw, in, sizeof(in));
    g_mime_stream_reset(raw);
    if (n > 0) {
        GMimeEncoding state;
        g_mime_encoding_init_decode(&state, enc);
        g_byte_array_set_size(ba, (guint)g_mime_encoding_outlen(&state, (size_t)n));
        size_t out = g_mime_encoding_step(&state, in, (size_t)n, (char *)ba->data);
        g_byte_array_set_size(ba, (guint)out);
        /* base64 carries 3 bytes in 4, plus a line break every 76. */
        *size = enc == GMIME_CONTENT_ENCODING_BASE64 ? (size_t)(enclen > 0 ? enclen : 0) * 57 / 78
                                                     : (size_t)(enclen > 0 ? enclen : 0);
    }
    return ba;
}

static void add_attachment(struct walk *w, GMimeObject *obj, GByteArray *ba, size_t size, bool estimated)
{
    struct sg_attachment a = {0};
    const char *name = g_mime_part_get_filename(GMIME_PART(obj));
    a.filename = name ? sg_xstrdup(name) : NULL;
    char *mt = g_mime_content_type_get_mime_type(g_mime_object_get_content_type(obj));
    a.declared_type = sg_xstrdup(mt ? mt : "application/octet-stream");
    g_free(mt);
    a.size = size;
    a.size_estimated = estimated;
    a.sniffed_type = ba->data ? sg_sniff_type(ba->data, ba->len, a.filename) : "unknown";
    a.data_len = ba->len < w->lim->max_attachment_keep ? ba->len : w->lim->max_attachment_keep;
    if (a.data_len) {
        a.data = sg_xmalloc(a.data_len);
        memcpy(a.data, ba->data, a.data_len);
    }
    w->m->atts = sg_xrealloc(w->m->atts, (w->m->natts + 1) * sizeof(*w->m->atts));
    w->m->atts[w->m->natts++] = a;
}

static void walk_leaf(struct walk *w, GMimeObject *obj)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    GMimeContentDisposition *disp = g_mime_object_get_content_disposition(obj);
    bool attachment = disp && g_mime_content_disposition_is_attachment(disp);
    bool plain = g_mime_content_type_is_type(ct, "text", "plain");
    bool html = g_mime_content_type_is_type(ct, "text", "html");
    bool text = (plain || html) && !attachment;
    size_t size = 0;
    GByteArray *ba = text || w->lim->decode_attachments ? part_bytes(GMIME_PART(obj))
                                                       : part_head(GMIME_PART(obj), &size);
    if (text) {
        size_t len;
        char *utf8 = to_utf8((const char *)ba->data, ba->len,
                             g_mime_content_type_get_parameter(ct, "charset"), &len);
        if (html) {
            size_t tlen;
            char *t = sg_html_to_text(utf8, len, &tlen);
            free(utf8);
            utf8 = t;
            len = tlen;
        }
        add_text(w, utf8, len, html, false);
    } else {
        bool estimated = !w->lim->decode_attachments;
        add_attachment(w, obj, ba, estimated ? size : ba->len, estimated);
    }
    g_byte_array_unref(ba);
}

static void walk_message(struct walk *w, GMimeMessage *msg, unsigned depth);

static void walk_object(struct walk *w, GMimeObject *obj, unsigned depth)
{
    if (!obj)
        return;
    if (depth >= w->lim->max_depth) {
        w->m->limits_hit |= SG_LIMIT_DEPTH;
        return;
    }
    if (++w->nparts_seen > w->lim->max_parts) {
        w->m->limits_hit |= SG_LIMIT_PARTS;
        return;
    }
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        int n = g_mime_multipart_get_count(mp);
        for (int i = 0; i < n; i++)
            walk_object(w, g_mime_multipart_get_part(mp, i), depth + 1);
    } else if (GMIME_IS_MESSAGE_PART(obj)) {
        GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
        if (inner)
            walk_message(w, inner, depth + 1);
    } else if (GMIME_IS_PART(obj)) {
        walk_leaf(w, obj);
    }
}

static void walk_message(struct walk *w, GMimeMessage *msg, unsigned depth)
{
    if (depth > 0) {
        /* A forwarded mail's subject is content of the outer mail. */
        const char *subj = g_mime_message_get_subject(msg);
        if (subj && *subj) {
            struct sg_buf b = {0};
            sg_buf_printf(&b, "Subject: %s", subj);
            size_t len = b.len;
            add_text(w, sg_buf_steal(&b), len, false, true);
        }
    }
    walk_object(w, g_mime_message_get_mime_part(msg), depth);
}

static char **collect_addrs(char **v, InternetAddressList *list, unsigned depth)
{
    int n = list ? internet_address_list_length(list) : 0;
    for (int i = 0; i < n && depth < 4; i++) {
        InternetAddress *ia = internet_address_list_get_address(list, i);
        if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
            const char *a = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
            if (a && *a)
                v = sg_strv_push(v, a);
        } else if (INTERNET_ADDRESS_IS_GROUP(ia)) {
            v = collect_addrs(v, internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), depth + 1);
        }
    }
    return v;
}

static struct sg_message *parse_stream(GMimeStream *stream, size_t raw_size,
                                       const struct sg_message_limits *lim, char *err, size_t errlen)
{
    sg_message_init_library();
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeParserOptions *opts = g_mime_parser_options_new();
    const char *fallback[] = {"UTF-8", "WINDOWS-1252", NULL};
    g_mime_parser_options_set_fallback_charsets(opts, fallback);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, opts);
    g_mime_parser_options_free(opts);
    g_object_unref(parser);
    if (!msg) {
        snprintf(err, errlen, "no message headers could be parsed");
        return NULL;
    }
    struct sg_message *m = sg_xcalloc(1, sizeof(*m));
    m->raw_size = raw_size;
    const char *subj = g_mime_message_get_subject(msg);
    m->subject = sg_xstrdup(subj ? subj : "");
    const char *mid = g_mime_message_get_message_id(msg);
    m->message_id = mid ? sg_xstrdup(mid) : NULL;
    char **from = collect_addrs(NULL, g_mime_message_get_from(msg), 0);
    m->from_header = from && from[0] ? sg_xstrdup(from[0]) : NULL;
    sg_strv_free(from);
    m->header_rcpts = sg_xcalloc(1, sizeof(char *));
    m->header_rcpts = collect_addrs(m->header_rcpts, g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_TO), 0);
    m->header_rcpts = collect_addrs(m->header_rcpts, g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_CC), 0);
    m->header_rcpts = collect_addrs(m->header_rcpts, g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_BCC), 0);
    struct walk w = {.m = m, .lim = lim};
    walk_message(&w, msg, 0);
    g_object_unref(msg);
    return m;
}

struct sg_message *sg_message_parse_mem(const char *buf, size_t len, const struct sg_message_limits *lim,
                                        char *err, size_t errlen)
{
    unsigned limits = 0;
    if (len > lim->max_message_size) {
        len = lim->max_message_size;
        limits |= SG_LIMIT_SIZE;
    }
    sg_message_init_library();
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(buf, len);
    struct sg_message *m = parse_stream(stream, len, lim, err, errlen);
    g_object_unref(stream);
    if (m)
        m->limits_hit |= limits;
    return m;
}

struct sg_message *sg_message_parse_fd(int fd, const struct sg_message_limits *lim, char *err, size_t errlen)
{
    sg_message_init_library();
    off_t size = lseek(fd, 0, SEEK_END);
    int copy = dup(fd);
    if (size < 0 || copy < 0 || lseek(copy, 0, SEEK_SET) < 0) {
        snprintf(err, errlen, "cannot read the spooled message");
        if (copy >= 0)
            close(copy);
        return NULL;
    }
    unsigned limits = 0;
    off_t end = size;
    if ((size_t)size > lim->max_message_size) {
        end = (off_t)lim->max_message_size;
        limits |= SG_LIMIT_SIZE;
    }
    GMimeStream *stream = g_mime_stream_fs_new_with_bounds(copy, 0, end);
    struct sg_message *m = parse_stream(stream, (size_t)end, lim, err, errlen);
    g_object_unref(stream);
    if (m)
        m->limits_hit |= limits;
    return m;
}

void sg_message_free(struct sg_message *m)
{
    if (!m)
        return;
    free(m->subject);
    free(m->from_header);
    free(m->message_id);
    sg_strv_free(m->header_rcpts);
    for (size_t i = 0; i < m->nparts; i++)
        free(m->parts[i].text);
    free(m->parts);
    for (size_t i = 0; i < m->natts; i++) {
        free(m->atts[i].filename);
        free(m->atts[i].declared_type);
        free(m->atts[i].data);
    }
    free(m->atts);
    free(m);
}

void sg_envelope_clear(struct sg_envelope *e)
{
    free(e->mail_from);
    sg_strv_free(e->rcpts);
    free(e->auth_login);
    free(e->client_addr);
    free(e->queue_id);
    memset(e, 0, sizeof(*e));
}

void sg_limit_names(unsigned bits, char *out, size_t outlen)
{
    static const char *const names[] = {
        "depth", "parts", "size", "text", "html", "regex", "attachment", "time", "memory", "structure",
    };
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!(bits & (1u << i)))
            continue;
        int n = snprintf(out + used, outlen - used, "%s%s", used ? "," : "", names[i]);
        if (n < 0 || (size_t)n >= outlen - used)
            break;
        used += (size_t)n;
    }
    if (!used)
        snprintf(out, outlen, "-");
}
