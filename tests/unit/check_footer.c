/*
 * check_footer.c - the footer on plain, HTML, alternative, mixed,
 * quoted-printable and base64 mail, read back with GMime: structure,
 * charset and transfer encoding kept, the footer in every text body,
 * attachments byte for byte; signed and encrypted mail left alone.
 */
#include <glib.h>
#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>
#include "check_suites.h"
#include "sg_footer.h"
#include "sg_message.h"

static const struct sg_footer ascii_footer = {.text = "Northfield Academy: this email is confidential.", .html = NULL};
static const struct sg_footer utf8_footer = {.text = "Northfield Academy \xe2\x80\x94 caf\xc3\xa9 confidential.\nSecond line",
                                             .html = NULL};

/* The message as the MTA passes it on: the old header block with the
 * content headers the footer changed, then the new body. */
static GMimeMessage *rebuilt(const char *msg, const struct sg_footer_out *o)
{
    const char *end = strstr(msg, "\r\n\r\n");
    ck_assert_ptr_nonnull(end);
    struct sg_buf b = {0};
    for (const char *l = msg; l < end + 2;) {
        const char *nl = strstr(l, "\r\n");
        bool ct = !g_ascii_strncasecmp(l, "Content-Type:", 13), cte = !g_ascii_strncasecmp(l, "Content-Transfer-Encoding:", 26);
        if (!((ct && o->content_type) || (cte && o->content_encoding)))
            sg_buf_append(&b, l, (size_t)(nl + 2 - l));
        l = nl + 2;
    }
    if (o->content_type)
        sg_buf_printf(&b, "Content-Type: %s\r\n", o->content_type);
    if (o->content_encoding)
        sg_buf_printf(&b, "Content-Transfer-Encoding: %s\r\n", o->content_encoding);
    sg_buf_puts(&b, "\r\n");
    sg_buf_append(&b, o->body.data, o->body.len);
    GMimeStream *s = g_mime_stream_mem_new_with_buffer(b.data, b.len);
    GMimeParser *parser = g_mime_parser_new_with_stream(s);
    GMimeMessage *m = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    g_object_unref(s);
    sg_buf_free(&b);
    ck_assert_ptr_nonnull(m);
    return m;
}

static GMimeMessage *footed(const char *msg, const struct sg_footer *f, unsigned parts, struct sg_footer_out *o)
{
    sg_message_init_library();
    ck_assert_int_eq(sg_footer_add(msg, strlen(msg), f, o), SG_FOOTER_ADDED);
    ck_assert_uint_eq(o->parts, parts);
    for (size_t i = 0; i < o->body.len; i++)
        if (o->body.data[i] == '\n')
            ck_assert_msg(i > 0 && o->body.data[i - 1] == '\r', "bare LF at %zu", i);
    return rebuilt(msg, o);
}

static char *text_of(GMimeObject *obj)
{
    ck_assert(GMIME_IS_TEXT_PART(obj));
    return g_mime_text_part_get_text(GMIME_TEXT_PART(obj));
}

static const char *charset_of(GMimeObject *obj)
{
    return g_mime_object_get_content_type_parameter(obj, "charset");
}

START_TEST(plain_ascii_keeps_everything)
{
    const char *msg = "From: a@northfield.sch.uk\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
                      "Content-Type: text/plain; charset=us-ascii\r\n\r\nHello,\r\nsee you.\r\n";
    struct sg_footer_out o;
    GMimeMessage *m = footed(msg, &ascii_footer, 1, &o);
    ck_assert_ptr_null(o.content_type);
    ck_assert_ptr_null(o.content_encoding);
    ck_assert(!o.add_mime_version);
    GMimeObject *root = g_mime_message_get_mime_part(m);
    ck_assert_str_eq(charset_of(root), "us-ascii");
    char *t = text_of(root);
    ck_assert_msg(g_str_has_prefix(t, "Hello,\r\nsee you.\r\n\r\nNorthfield Academy: this email is confidential."), "%s", t);
    g_free(t);
    g_object_unref(m);
    sg_footer_out_free(&o);
}
END_TEST

START_TEST(plain_ascii_becomes_utf8_quoted_printable_for_8bit_footer)
{
    const char *msg = "From: a@northfield.sch.uk\r\nSubject: x\r\nContent-Type: text/plain\r\n\r\nHello\r\n";
    struct sg_footer_out o;
    GMimeMessage *m = footed(msg, &utf8_footer, 1, &o);
    ck_assert_ptr_nonnull(o.content_type);
    ck_assert_str_eq(o.content_encoding, "quoted-printable");
    ck_assert(o.add_mime_version);
    GMimeObject *root = g_mime_message_get_mime_part(m);
    ck_assert_str_eq(charset_of(root), "utf-8");
    ck_assert_int_eq(g_mime_part_get_content_encoding(GMIME_PART(root)), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
    ck_assert_ptr_null(memchr(o.body.data, 0xe2, o.body.len));     /* 7-bit on the wire */
    char *t = text_of(root);
    ck_assert_msg(strstr(t, "Northfield Academy \xe2\x80\x94 caf\xc3\xa9 confidential.\r\nSecond line"), "%s", t);
    g_free(t);
    g_object_unref(m);
    sg_footer_out_free(&o);
}
END_TEST

START_TEST(latin1_quoted_printable_keeps_charset_and_encoding)
{
    const char *msg = "From: a@northfield.sch.uk\r\nSubject: x\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
                      "Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9 at ten.\r\n";
    struct sg_footer_out o;
    GMimeMessage *m = footed(msg, &utf8_footer, 1, &o);
    ck_assert_ptr_null(o.content_type);
    ck_assert_ptr_null(o.content_encoding);
    GMimeObject *root = g_mime_message_get_mime_part(m);
    ck_assert_str_eq(charset_of(root), "iso-8859-1");
    ck_assert_int_eq(g_mime_part_get_content_encoding(GMIME_PART(root)), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
    char *t = text_of(root);
    /* é is in Latin-1; the dash is not, and is written as a stand-in */
    ck_assert_msg(strstr(t, "Caf\xc3\xa9 at ten.") && strstr(t, "caf\xc3\xa9 confidential."), "%s", t);
    g_free(t);
    g_object_unref(m);
    sg_footer_out_free(&o);
}
END_TEST

START_TEST(html_base64_footer_before_body_end)
{
    /* "<html><body><p>Caf\u00e9</p></body></html>" in UTF-8, base64 */
    const char *msg = "From: a@northfield.sch.uk\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n"
                      "Content-Transfer-Encoding: base64\r\n\r\nPGh0bWw+PGJvZHk+PHA+Q2Fmw6k8L3A+PC9ib2R5PjwvaHRtbD4=\r\n";
    struct sg_footer_out o;
    GMimeMessage *m = footed(msg, &utf8_footer, 1, &o);
    GMimeObject *root = g_mime_message_get_mime_part(m);
    ck_assert_int_eq(g_mime_part_get_content_encoding(GMIME_PART(root)), GMIME_CONTENT_ENCODING_BASE64);
    ck_assert_str_eq(charset_of(root), "utf-8");
    char *t = text_of(root);
    const char *foot = strstr(t, "Northfield Academy &#8212; caf&#233; confidential.<br>");
    const char *body_end = strstr(t, "</body>");
    ck_assert_msg(foot && body_end && foot < body_end && strstr(t, "<p>Caf\xc3\xa9</p>") < foot, "%s", t);
    g_free(t);
    g_object_unref(m);
    sg_footer_out_free(&o);
}
END_TEST

START_TEST(alternative_gets_it_in_both_and_keeps_boundary)
{
    const char *msg = "From: a@northfield.sch.uk\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
                      "Content-Type: multipart/alternative; boundary=\"=_alt\"\r\n\r\n"
                      "--=_alt\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                      "Caf\xc3\xa9 notes\r\n"
                      "--=_alt\r\nContent-Type: text/html; charset=windows-1252\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                      "<html><body>Caf=E9 notes</body></html>\r\n"
                      "--=_alt--\r\n";
    struct sg_footer_out o;
    GMimeMessage *m = footed(msg, &utf8_footer, 2, &o);
    GMimeObject *root = g_mime_message_get_mime_part(m);
    ck_assert(GMIME_IS_MULTIPART(root));
    ck_assert_str_eq(g_mime_multipart_get_boundary(GMIME_MULTIPART(root)), "=_alt");
    ck_assert_int_eq(g_mime_multipart_get_count(GMIME_MULTIPART(root)), 2);
    GMimeObject *plain = g_mime_multipart_get_part(GMIME_MULTIPART(root), 0);
    GMimeObject *html = g_mime_multipart_get_part(GMIME_MULTIPART(root), 1);
    ck_assert_str_eq(charset_of(plain), "utf-8");
    ck_assert_int_eq(g_mime_part_get_content_encoding(GMIME_PART(plain)), GMIME_CONTENT_ENCODING_8BIT);
    ck_assert_str_eq(charset_of(html), "windows-1252");
    ck_assert_int_eq(g_mime_part_get_content_encoding(GMIME_PART(html)), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
    char *t = text_of(plain);
    ck_assert_msg(strstr(t, "Caf\xc3\xa9 notes\r\n\r\nNorthfield Academy \xe2\x80\x94 caf\xc3\xa9 confidential."), "%s", t);
    g_free(t);
    t = text_of(html);
    ck_assert_msg(strstr(t, "Caf\xc3\xa9 notes") && strstr(t, "&#8212;") && strstr(t, "</body></html>"), "%s", t);
    g_free(t);
    g_object_unref(m);
    sg_footer_out_free(&o);
}
END_TEST

START_TEST(mixed_attachments_untouched)
{
    const char *msg = "From: a@northfield.sch.uk\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
                      "Content-Type: multipart/mixed; boundary=MIX\r\n\r\n"
                      "--MIX\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
                      "--MIX\r\nContent-Type: text/plain; name=notes.txt\r\nContent-Disposition: attachment; filename=notes.txt\r\n\r\n"
                      "attached text stays as it is\r\n"
                      "--MIX\r\nContent-Type: message/rfc822\r\n\r\nFrom: b@example.com\r\nSubject: old\r\n\r\nforwarded body\r\n"
                      "--MIX\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n"
                      "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJeLjz9MK\r\n"
                      "--MIX--\r\n";
    struct sg_footer_out o;
    GMimeMessage *m = footed(msg, &ascii_footer, 1, &o);
    GMimeMultipart *mp = GMIME_MULTIPART(g_mime_message_get_mime_part(m));
    ck_assert_int_eq(g_mime_multipart_get_count(mp), 4);
    char *t = text_of(g_mime_multipart_get_part(mp, 0));
    ck_assert_msg(strstr(t, "See attached.\r\n\r\nNorthfield Academy"), "%s", t);
    g_free(t);
    t = text_of(g_mime_multipart_get_part(mp, 1));
    ck_assert_msg(!strstr(t, "Northfield"), "%s", t);
    g_free(t);
    ck_assert(memmem(o.body.data, o.body.len, "JVBERi0xLjQKJeLjz9MK\r\n", 22));
    ck_assert(memmem(o.body.data, o.body.len, "forwarded body\r\n--MIX", 21));
    ck_assert_int_eq((int)(strstr(o.body.data, "Northfield") != NULL), 1);
    ck_assert_ptr_null(strstr(strstr(o.body.data, "Northfield") + 1, "Northfield"));
    g_object_unref(m);
    sg_footer_out_free(&o);
}
END_TEST

START_TEST(signed_and_encrypted_left_alone)
{
    sg_message_init_library();
    const char *msgs[] = {
        "From: a@b\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=S\r\n\r\n"
        "--S\r\nContent-Type: text/plain\r\n\r\nsigned words\r\n--S\r\nContent-Type: application/pkcs7-signature\r\n\r\nAAAA\r\n--S--\r\n",
        "From: a@b\r\nContent-Type: multipart/mixed; boundary=M\r\n\r\n--M\r\nContent-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=S\r\n\r\n"
        "--S\r\nContent-Type: text/plain\r\n\r\nsigned words\r\n--S\r\nContent-Type: application/pgp-signature\r\n\r\nAAAA\r\n--S--\r\n--M--\r\n",
        "From: a@b\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQ==\r\n",
        "From: a@b\r\nContent-Type: text/plain\r\n\r\n-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA256\r\n\r\nhello\r\n-----BEGIN PGP SIGNATURE-----\r\n",
    };
    for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
        struct sg_footer_out o;
        ck_assert_int_eq(sg_footer_add(msgs[i], strlen(msgs[i]), &ascii_footer, &o), SG_FOOTER_SIGNED);
        ck_assert_uint_eq(o.body.len, 0);
        sg_footer_out_free(&o);
    }
    struct sg_footer_out o;
    const char *att = "From: a@b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\nx\r\n";
    ck_assert_int_eq(sg_footer_add(att, strlen(att), &ascii_footer, &o), SG_FOOTER_NO_BODY);
    sg_footer_out_free(&o);
    ck_assert_str_eq(sg_footer_rc_name(SG_FOOTER_SIGNED), "signed");
}
END_TEST

Suite *sg_suite_footer(void)
{
    Suite *s = suite_create("footer");
    TCase *tc = tcase_create("footer");
    tcase_add_test(tc, plain_ascii_keeps_everything);
    tcase_add_test(tc, plain_ascii_becomes_utf8_quoted_printable_for_8bit_footer);
    tcase_add_test(tc, latin1_quoted_printable_keeps_charset_and_encoding);
    tcase_add_test(tc, html_base64_footer_before_body_end);
    tcase_add_test(tc, alternative_gets_it_in_both_and_keeps_boundary);
    tcase_add_test(tc, mixed_attachments_untouched);
    tcase_add_test(tc, signed_and_encrypted_left_alone);
    suite_add_tcase(s, tc);
    return s;
}
