/*
 * message.c - the message model from raw bytes, with GMime doing all the
 * MIME work: structure, transfer decoding, RFC 2047/2231, charsets.
 *
 * The walk is bounded by depth and part count; a bound reached is
 * recorded in limits_hit for the engine to act on, never an error.
 * Whatever a reader's mail client would show is screened: every text
 * part of any subtype (attachments too), display names, header lines GMime dropped,
 * the raw body of a multipart it found no parts in, and a message with
 * no headers at all as plain text.
 */
#include <glib.h>
#include <gmime/gmime.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mime_int.h"
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
    lim->max_attachment_keep = 25u << 20;
    lim->decode_attachments = true;
    lim->html_images = false;
}

struct walk {
    struct sg_message *m;
    const struct sg_message_limits *lim;
    size_t nparts_seen;
    size_t text_bytes;
    unsigned forwarded;         /* the attached message being walked, 0 = none */
    unsigned nforwarded;
};

enum text_origin { FROM_BODY, FROM_HTML, FROM_SUBJECT, FROM_HEADERS };

static void add_text(struct walk *w, char *text, size_t len, enum text_origin origin)
{
    sg_mime_scrub_controls(text, len);
    if (w->text_bytes + len > w->lim->max_text_bytes) {
        w->m->limits_hit |= SG_LIMIT_TEXT;
        len = w->lim->max_text_bytes > w->text_bytes ? w->lim->max_text_bytes - w->text_bytes : 0;
        text[len] = '\0';
    }
    w->text_bytes += len;
    w->m->parts = sg_xrealloc(w->m->parts, (w->m->nparts + 1) * sizeof(*w->m->parts));
    w->m->parts[w->m->nparts++] = (struct sg_text_part){
        .text = text, .len = len, .from_html = origin == FROM_HTML,
        .forwarded_subject = origin == FROM_SUBJECT, .from_headers = origin == FROM_HEADERS,
        .forwarded = w->forwarded,
    };
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
    a.forwarded = w->forwarded;
    a.sniffed_type = ba->data ? sg_sniff_type(ba->data, ba->len, a.filename) : "unknown";
    a.data_len = ba->len < w->lim->max_attachment_keep ? ba->len : w->lim->max_attachment_keep;
    /* Only a rule that reads the bytes misses the rest. */
    if (w->lim->decode_attachments && a.data_len < ba->len)
        w->m->limits_hit |= SG_LIMIT_ATTACHMENT;
    if (a.data_len) {
        a.data = sg_xmalloc(a.data_len);
        memcpy(a.data, ba->data, a.data_len);
    }
    w->m->atts = sg_xrealloc(w->m->atts, (w->m->natts + 1) * sizeof(*w->m->atts));
    w->m->atts[w->m->natts++] = a;
}

/* How a reader's client shows a part, if as text at all. */
enum text_kind { NOT_TEXT, TEXT_PLAIN, TEXT_HTML, TEXT_TAGGED, TEXT_FOLDED };

static enum text_kind text_kind(GMimeContentType *ct)
{
    if (g_mime_content_type_is_type(ct, "text", "html"))
        return TEXT_HTML;
    if (g_mime_content_type_is_type(ct, "text", "enriched") || g_mime_content_type_is_type(ct, "text", "richtext"))
        return TEXT_TAGGED;
    static const char *const folded[] = {"vcard", "x-vcard", "directory", "calendar", "x-vcalendar", NULL};
    for (size_t i = 0; folded[i]; i++)
        if (g_mime_content_type_is_type(ct, "text", folded[i]))
            return TEXT_FOLDED;
    if (g_mime_content_type_is_type(ct, "text", "*") ||
        g_mime_content_type_is_type(ct, "message", "delivery-status") ||
        g_mime_content_type_is_type(ct, "message", "disposition-notification"))
        return TEXT_PLAIN;
    return NOT_TEXT;
}

/* An attachment that is not a MIME part of its own (a data: URI picture,
 * a uuencoded file): filename and declared are taken over. */
static void push_blob(struct walk *w, char *filename, char *declared, const unsigned char *data, size_t n,
                      bool in_html)
{
    struct sg_attachment a = {0};
    a.filename = filename;
    a.declared_type = declared;
    a.size = n;
    a.sniffed_type = n ? sg_sniff_type(data, n, filename) : "unknown";
    a.data_len = n;
    if (n) {
        a.data = sg_xmalloc(n);
        memcpy(a.data, data, n);
    }
    a.forwarded = w->forwarded;
    a.in_html = in_html;
    w->m->atts = sg_xrealloc(w->m->atts, (w->m->natts + 1) * sizeof(*w->m->atts));
    w->m->atts[w->m->natts++] = a;
}

/* Pictures written into HTML as data: URIs (some clients put a
 * signature's crest there) are listed as attachments, as a cid: picture
 * in a multipart/related part is, for rules that read pictures; each
 * counts as a part, and is kept to attachment_keep like one. */
static void add_data_images(struct walk *w, const char *html, size_t len)
{
    static const char key[] = "data:image/";
    const char *end = html + len;
    for (const char *p = html; (p = memmem(p, (size_t)(end - p), key, sizeof(key) - 1)) != NULL;) {
        const char *sub = p + sizeof(key) - 1;
        p = sub;
        const char *b64 = memmem(sub, (size_t)(end - sub) < 64 ? (size_t)(end - sub) : 64, ";base64,", 8);
        if (!b64)
            continue;
        const char *s = b64 + 8, *e = s;
        while (e < end && *e != '"' && *e != '\'' && *e != ')' && *e != '>' && *e != '<')
            e++;
        p = e;
        if (++w->nparts_seen > w->lim->max_parts) {
            w->m->limits_hit |= SG_LIMIT_PARTS;
            return;
        }
        size_t chars = (size_t)(e - s), keep = w->lim->max_attachment_keep;
        if (chars / 4 * 3 > keep) {
            w->m->limits_hit |= SG_LIMIT_ATTACHMENT;
            chars = keep / 3 * 4;
        }
        GByteArray *ba = g_byte_array_sized_new((guint)(chars / 4 * 3 + 3));
        gint state = 0;
        guint save = 0;
        gsize n = g_base64_decode_step(s, chars, ba->data, &state, &save);
        g_byte_array_set_size(ba, (guint)n);
        struct sg_buf t = {0};
        sg_buf_printf(&t, "image/%.*s", (int)(b64 - sub), sub);
        push_blob(w, NULL, sg_buf_steal(&t), ba->data, n, true);
        g_byte_array_unref(ba);
    }
}

static void add_uu_file(void *u, const char *name, const unsigned char *data, size_t n, bool cut)
{
    struct walk *w = u;
    if (++w->nparts_seen > w->lim->max_parts) {
        w->m->limits_hit |= SG_LIMIT_PARTS;
        return;
    }
    if (cut)
        w->m->limits_hit |= SG_LIMIT_ATTACHMENT;
    push_blob(w, sg_xstrdup(name), sg_xstrdup("application/octet-stream"), data, n, false);
    /* A text file reads as one, as a text attachment does. */
    if (!strcmp(w->m->atts[w->m->natts - 1].sniffed_type, "text")) {
        size_t len;
        char *utf8 = sg_mime_to_utf8((const char *)data, n, NULL, &len);
        add_text(w, utf8, len, FROM_BODY);
    }
}

static void add_leaf_text(struct walk *w, enum text_kind kind, GMimeContentType *ct, GByteArray *ba)
{
    size_t len;
    char *utf8 = sg_mime_to_utf8((const char *)ba->data, ba->len, g_mime_content_type_get_parameter(ct, "charset"), &len);
    sg_mime_scrub_controls(utf8, len);
    if (kind == TEXT_HTML && w->lim->html_images)
        add_data_images(w, utf8, len);
    if (kind == TEXT_HTML || kind == TEXT_TAGGED) {
        size_t tlen;
        bool fell_back = false;
        char *t = kind == TEXT_HTML ? sg_html_text(utf8, len, &tlen, &fell_back) : sg_html_strip(utf8, len, &tlen);
        if (fell_back)
            w->m->limits_hit |= SG_LIMIT_HTML;
        free(utf8);
        utf8 = t;
        len = tlen;
    } else if (kind == TEXT_FOLDED) {
        len = sg_mime_unfold(utf8, len);
    } else if (kind == TEXT_PLAIN) {
        const char *format = g_mime_content_type_get_parameter(ct, "format");
        const char *delsp = g_mime_content_type_get_parameter(ct, "delsp");
        if (format && !g_ascii_strcasecmp(format, "flowed"))
            len = sg_mime_unflow(utf8, len, delsp && !g_ascii_strcasecmp(delsp, "yes"));
    }
    add_text(w, utf8, len, kind == TEXT_HTML ? FROM_HTML : FROM_BODY);
    if (kind == TEXT_PLAIN && w->m->nparts) {
        /* After the body's own part, so parts keep the reader's order.
         * Adding parts moves the array, not the body's text. */
        const char *body = w->m->parts[w->m->nparts - 1].text;
        size_t body_len = w->m->parts[w->m->nparts - 1].len;
        sg_mime_uu_blocks(body, body_len, w->lim->max_attachment_keep, add_uu_file, w);
    }
}

static void walk_leaf(struct walk *w, GMimeObject *obj)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    GMimeContentDisposition *disp = g_mime_object_get_content_disposition(obj);
    bool attachment = disp && g_mime_content_disposition_is_attachment(disp);
    enum text_kind kind = text_kind(ct);
    if (kind != NOT_TEXT) {
        /* A text attachment opens as text in one click: read it, and list it. */
        GByteArray *ba = sg_mime_part_bytes(GMIME_PART(obj));
        add_leaf_text(w, kind, ct, ba);
        if (attachment)
            add_attachment(w, obj, ba, ba->len, false);
        g_byte_array_unref(ba);
        return;
    }
    size_t size = 0;
    bool estimated = !w->lim->decode_attachments;
    GByteArray *ba = estimated ? sg_mime_part_head(GMIME_PART(obj), &size) : sg_mime_part_bytes(GMIME_PART(obj));
    /* Plain text under another label (notes.txt as octet-stream) is read
     * like a text part: one click shows it. */
    if (ba->data && !strcmp(sg_sniff_type(ba->data, ba->len, NULL), "text")) {
        if (estimated) {
            g_byte_array_unref(ba);
            ba = sg_mime_part_bytes(GMIME_PART(obj));
            estimated = false;
        }
        add_leaf_text(w, TEXT_PLAIN, ct, ba);
    }
    add_attachment(w, obj, ba, estimated ? size : ba->len, estimated);
    g_byte_array_unref(ba);
}

/* Raw text, as a client shows a body it cannot take apart. */
static void add_raw(struct walk *w, const char *raw)
{
    if (!raw || !*raw)
        return;
    size_t len;
    char *utf8 = sg_mime_to_utf8(raw, strlen(raw), NULL, &len);
    add_text(w, utf8, len, FROM_BODY);
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
        /* No boundary, or one that never appears: GMime leaves the whole
         * body in the prologue. */
        if (n == 0) {
            add_raw(w, g_mime_multipart_get_prologue(mp));
            add_raw(w, g_mime_multipart_get_epilogue(mp));
        }
        for (int i = 0; i < n; i++)
            walk_object(w, g_mime_multipart_get_part(mp, i), depth + 1);
    } else if (GMIME_IS_MESSAGE_PART(obj)) {
        GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
        if (inner)
            walk_message(w, inner, depth + 1);
        else
            w->m->limits_hit |= SG_LIMIT_STRUCTURE;
    } else if (GMIME_IS_PART(obj)) {
        walk_leaf(w, obj);
    }
}

static void walk_message(struct walk *w, GMimeMessage *msg, unsigned depth)
{
    unsigned outer = w->forwarded;
    if (depth > 0)
        w->forwarded = ++w->nforwarded;
    if (depth > 0) {
        /* A forwarded mail's subject is content of the outer mail. */
        const char *subj = g_mime_message_get_subject(msg);
        if (subj && *subj) {
            struct sg_buf b = {0};
            sg_buf_printf(&b, "Subject: %s", subj);
            size_t len = b.len;
            add_text(w, sg_buf_steal(&b), len, FROM_SUBJECT);
        }
    }
    walk_object(w, g_mime_message_get_mime_part(msg), depth);
    w->forwarded = outer;
}

/* What GMime reported while parsing. */
struct parse_notes {
    struct sg_buf dropped;      /* header lines it could not read */
    size_t cap;
    unsigned limits;
};

static void parser_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer data)
{
    (void)offset;
    struct parse_notes *notes = data;
    /* A client may show a line without a colon as the start of the body. */
    if (code == GMIME_CRIT_INVALID_HEADER_NAME && item && notes->dropped.len < notes->cap)
        sg_buf_printf(&notes->dropped, "%s\n", item);
    else if (code == GMIME_CRIT_NESTING_OVERFLOW)
        notes->limits |= SG_LIMIT_DEPTH;
}

static struct sg_message *parse_bytes(char *buf, size_t len, unsigned limits,
                                      const struct sg_message_limits *lim)
{
    sg_message_init_library();
    struct sg_message *m = sg_xcalloc(1, sizeof(*m));
    m->raw_size = len;
    struct walk w = {.m = m, .lim = lim};
    len = sg_mime_bound(buf, len, lim, &limits);
    GByteArray *ba = g_byte_array_new_take((guint8 *)buf, len);
    GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(ba);
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);   /* buf stays the caller's */
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeParserOptions *opts = g_mime_parser_options_new();
    const char *fallback[] = {"UTF-8", "WINDOWS-1252", NULL};
    g_mime_parser_options_set_fallback_charsets(opts, fallback);
    struct parse_notes notes = {.cap = lim->max_text_bytes};
    g_mime_parser_options_set_warning_callback(opts, parser_warning, &notes);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, opts);
    g_mime_parser_options_free(opts);
    g_object_unref(parser);
    if (msg) {
        const char *subj = g_mime_message_get_subject(msg);
        m->subject = sg_xstrdup(subj ? subj : "");
        sg_mime_scrub_controls(m->subject, strlen(m->subject));
        const char *mid = g_mime_message_get_message_id(msg);
        m->message_id = mid ? sg_xstrdup(mid) : NULL;
        GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));
        m->is_reply = g_mime_header_list_contains(hl, "In-Reply-To") ||
                      g_mime_header_list_contains(hl, "References");
        size_t nlen;
        char *names = sg_mime_read_addresses(msg, &m->from_header, &m->header_rcpts, &nlen);
        if (nlen)
            add_text(&w, names, nlen, FROM_HEADERS);
        else
            free(names);
        if (notes.dropped.len) {
            size_t dlen = notes.dropped.len;
            add_text(&w, sg_buf_steal(&notes.dropped), dlen, FROM_HEADERS);
        }
        walk_message(&w, msg, 0);
        g_object_unref(msg);
    } else {
        /* No header GMime could read: what is there is all body. */
        m->subject = sg_xstrdup("");
        m->header_rcpts = sg_xcalloc(1, sizeof(char *));
        size_t tlen;
        char *t = sg_mime_to_utf8(buf, len, NULL, &tlen);
        add_text(&w, t, tlen, FROM_BODY);
    }
    sg_buf_free(&notes.dropped);
    g_object_unref(stream);
    g_byte_array_free(ba, FALSE);
    m->limits_hit |= limits | notes.limits;
    return m;
}

/* GMime keeps header values as C strings, so a NUL in a Subject would cut
 * it (and whatever follows) short; in bodies it does no harm, and the text
 * is scrubbed once decoded (add_text). */
static bool has_nul(const char *buf, size_t len)
{
    return len && memchr(buf, '\0', len) != NULL;
}

/* The largest prefix of size bytes the limits let in. */
static size_t capped(size_t size, const struct sg_message_limits *lim, unsigned *limits)
{
    size_t max = lim->max_message_size < G_MAXUINT ? lim->max_message_size : G_MAXUINT;
    if (size > max) {
        *limits |= SG_LIMIT_SIZE;
        return max;
    }
    return size;
}

struct sg_message *sg_message_parse_mem(const char *buf, size_t len, const struct sg_message_limits *lim,
                                        char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    unsigned limits = 0;
    len = capped(len, lim, &limits);
    if (!has_nul(buf, len))
        return parse_bytes((char *)buf, len, limits, lim);    /* read, never written */
    char *copy = sg_xmalloc(len);
    memcpy(copy, buf, len);
    sg_mime_header_nuls(copy, len);
    struct sg_message *m = parse_bytes(copy, len, limits, lim);
    free(copy);
    return m;
}

struct sg_message *sg_message_parse_fd(int fd, const struct sg_message_limits *lim, char *err, size_t errlen)
{
    struct stat st;
    /* Only a regular file has a size to trust: an empty read of anything
     * else must not pass as an empty message. */
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 0) {
        snprintf(err, errlen, "cannot read the spooled message");
        return NULL;
    }
    unsigned limits = 0;
    size_t len = capped((size_t)st.st_size, lim, &limits);
    if (!len)
        return parse_bytes((char *)"", 0, limits, lim);
    /* A private mapping: NULs are replaced in our copy of the pages only. */
    char *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        snprintf(err, errlen, "cannot map the spooled message");
        return NULL;
    }
    if (has_nul(map, len))
        sg_mime_header_nuls(map, len);
    struct sg_message *m = parse_bytes(map, len, limits, lim);
    munmap(map, len);
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
        "encrypted", "extract", "unreadable", "image",
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
