/*
 * mime_content.c - the bytes of one MIME leaf as text: transfer decoding
 * by GMime, charsets by GLib's iconv, then the small repairs that keep a
 * reader's view and ours the same.
 */
#include <stdlib.h>
#include <string.h>
#include "mime_int.h"
#include "sg_message.h"
#include "sg_util.h"

/* A NUL ends a C string, and libxml2 and the matchers read C strings:
 * each control byte becomes a space so the text after it is still read. */
void sg_mime_scrub_controls(char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
            s[i] = ' ';
    }
}

/* Decoded (transfer-encoding removed) bytes of a leaf part. */
GByteArray *sg_mime_part_bytes(GMimePart *part)
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

/* A byte-order mark, or Latin text laid out as UTF-16, outranks a label
 * that cannot hold it: Windows tools save "Unicode" text that way and
 * mailers label it us-ascii or nothing, and read as 8-bit every other byte
 * is a NUL, which would space the words out past every phrase. */
static const char *utf16_override(const unsigned char *d, size_t len, const char *charset, size_t *skip)
{
    *skip = 0;
    if (charset && (!g_ascii_strncasecmp(charset, "utf-16", 6) || !g_ascii_strncasecmp(charset, "utf-32", 6) ||
                    !g_ascii_strncasecmp(charset, "ucs", 3)))
        return NULL;
    if (len >= 3 && !memcmp(d, "\xef\xbb\xbf", 3)) {
        *skip = 3;
        return NULL;
    }
    if (len >= 2 && !memcmp(d, "\xff\xfe", 2))
        return *skip = 2, "UTF-16LE";
    if (len >= 2 && !memcmp(d, "\xfe\xff", 2))
        return *skip = 2, "UTF-16BE";
    switch (sg_sniff_utf16(d, len)) {
    case 1: return "UTF-16LE";
    case 2: return "UTF-16BE";
    default: return NULL;
    }
}

/* Bytes in the declared charset to UTF-8; undeclared or wrong labels fall
 * back to windows-1252, the usual culprit in school mail, then to
 * ISO-8859-1, which maps every byte. Also the text extractor's reader. */
char *sg_mime_to_utf8(const char *bytes, size_t len, const char *charset, size_t *out_len)
{
    if (!bytes || !len) {                /* GMime gives NULL for empty content */
        *out_len = 0;
        return sg_xstrdup("");
    }
    size_t skip;
    const char *utf16 = utf16_override((const unsigned char *)bytes, len, charset, &skip);
    bytes += skip;
    len -= skip;
    gsize written = 0;
    char *conv = NULL;
    if (utf16)
        conv = g_convert_with_fallback(bytes, (gssize)len, "UTF-8", utf16, "?", NULL, &written, NULL);
    else if (charset && *charset)
        conv = g_convert(bytes, (gssize)len, "UTF-8", g_mime_charset_iconv_name(charset), NULL, &written, NULL);
    if (!conv && g_utf8_validate(bytes, (gssize)len, NULL)) {
        *out_len = len;
        return sg_xstrndup(bytes, len);
    }
    if (!conv)
        conv = g_convert_with_fallback(bytes, (gssize)len, "UTF-8", "WINDOWS-1252", "?", NULL, &written, NULL);
    if (!conv)
        conv = g_convert(bytes, (gssize)len, "UTF-8", "ISO-8859-1", NULL, &written, NULL);
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
GByteArray *sg_mime_part_head(GMimePart *part, size_t *size)
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

/* vCard and iCalendar fold long content lines with CRLF and a blank; a
 * number split across a fold is one number to the reader. */
size_t sg_mime_unfold(char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        size_t nl = s[i] == '\r' && i + 1 < len && s[i + 1] == '\n' ? 2 : s[i] == '\n' ? 1 : 0;
        if (nl && i + nl < len && (s[i + nl] == ' ' || s[i + nl] == '\t')) {
            i += nl;
            continue;
        }
        s[o++] = s[i];
    }
    s[o] = '\0';
    return o;
}


/* format=flowed (RFC 3676): a line ending in a space continues on the
 * next, and with delsp=yes that space was only added to mark the break.
 * A reader sees one line, so "child protec" + "tion plan" is one phrase. */
size_t sg_mime_unflow(char *s, size_t len, bool delsp)
{
    size_t o = 0, i = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && s[e] != '\n')
            e++;
        size_t end = e > i && s[e - 1] == '\r' ? e - 1 : e;
        size_t start = i < end && s[i] == ' ' ? i + 1 : i;     /* space-stuffing */
        bool sig = end - i == 3 && !memcmp(s + i, "-- ", 3);
        bool soft = e < len && end > start && s[end - 1] == ' ' && !sig;
        size_t keep = soft && delsp ? end - 1 : end;
        memmove(s + o, s + start, keep - start);
        o += keep - start;
        if (!soft && e < len)
            s[o++] = '\n';
        i = e < len ? e + 1 : len;
    }
    s[o] = '\0';
    return o;
}
