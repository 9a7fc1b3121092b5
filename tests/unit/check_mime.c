/*
 * check_mime.c - text extraction against the fixtures in tests/data/mime:
 * each NAME.eml has a NAME.expect of subject=, text~=, text!~=,
 * attachment= and parts= lines. Then hostile input built in memory: NUL
 * bytes, cut attachments, and floods of parts, fields and addresses that
 * must cost time and memory in proportion to the limits, not the input.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "check_suites.h"
#include "sg_message.h"
#include "sg_util.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    struct sg_buf b = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        sg_buf_append(&b, chunk, n);
    fclose(fp);
    *len = b.len;
    return sg_buf_steal(&b);
}

static char **fixture_names(void)
{
    char **names = sg_xcalloc(1, sizeof(char *));
    DIR *d = opendir(sg_test_data("mime"));
    if (!d) {
        perror(sg_test_data("mime"));
        return names;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n > 7 && !strcmp(e->d_name + n - 7, ".expect")) {
            char *base = sg_xstrndup(e->d_name, n - 7);
            names = sg_strv_push(names, base);
            free(base);
        }
    }
    closedir(d);
    return names;
}

static char *all_text(const struct sg_message *m, size_t *nparts)
{
    struct sg_buf b = {0};
    sg_buf_append(&b, "", 0);
    *nparts = 0;
    for (size_t i = 0; i < m->nparts; i++) {
        sg_buf_append(&b, m->parts[i].text, m->parts[i].len);
        sg_buf_append(&b, "\n", 1);
        if (!m->parts[i].forwarded_subject && !m->parts[i].from_headers && m->parts[i].len)
            (*nparts)++;
    }
    return sg_buf_steal(&b);
}

static void check_attachment(const struct sg_message *m, const char *spec, const char *name)
{
    char *copy = sg_xstrdup(spec);
    char *file = copy, *type = strchr(copy, '|'), *sniff = NULL;
    ck_assert_msg(type != NULL, "%s: bad attachment= line", name);
    *type++ = '\0';
    sniff = strchr(type, '|');
    ck_assert_msg(sniff != NULL, "%s: bad attachment= line", name);
    *sniff++ = '\0';
    bool found = false;
    for (size_t i = 0; i < m->natts && !found; i++) {
        const struct sg_attachment *a = &m->atts[i];
        if (a->filename && !strcmp(a->filename, file)) {
            found = true;
            ck_assert_msg(!strcmp(a->declared_type, type), "%s: %s declared %s, expected %s", name, file, a->declared_type, type);
            ck_assert_msg(!strcmp(a->sniffed_type, sniff), "%s: %s sniffed %s, expected %s", name, file, a->sniffed_type, sniff);
        }
    }
    ck_assert_msg(found, "%s: attachment %s not listed", name, file);
    free(copy);
}

static char **fixtures;

/* Parses tests/data/mime/NAME.eml under lim (default limits when NULL). */
static struct sg_message *parse_fixture(const char *name, const struct sg_message_limits *lim)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.eml", sg_test_data("mime"), name);
    size_t len;
    char *raw = slurp(path, &len);
    struct sg_message_limits def;
    sg_message_default_limits(&def);
    char err[256];
    struct sg_message *m = sg_message_parse_mem(raw, len, lim ? lim : &def, err, sizeof(err));
    free(raw);
    ck_assert_msg(m != NULL, "%s: parse failed: %s", name, err);
    return m;
}

START_TEST(fixture)
{
    const char *name = fixtures[_i];
    struct sg_message *m = parse_fixture(name, NULL);
    size_t nparts;
    char path[4096];
    char *text = all_text(m, &nparts);

    snprintf(path, sizeof(path), "%s/%s.expect", sg_test_data("mime"), name);
    FILE *fp = fopen(path, "r");
    ck_assert_ptr_nonnull(fp);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, fp)) > 0) {
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (!n || line[0] == '#')
            continue;
        if (!strncmp(line, "subject=", 8))
            ck_assert_msg(!strcmp(m->subject, line + 8), "%s: subject \"%s\", expected \"%s\"", name, m->subject, line + 8);
        else if (!strncmp(line, "text~=", 6))
            ck_assert_msg(strstr(text, line + 6) != NULL, "%s: text lacks \"%s\"", name, line + 6);
        else if (!strncmp(line, "text!~=", 7))
            ck_assert_msg(strstr(text, line + 7) == NULL, "%s: text has \"%s\"", name, line + 7);
        else if (!strncmp(line, "attachment=", 11))
            check_attachment(m, line + 11, name);
        else if (!strncmp(line, "parts=", 6))
            ck_assert_msg(nparts == strtoul(line + 6, NULL, 10), "%s: %zu text parts, expected %s", name, nparts, line + 6);
        else
            ck_abort_msg("%s: unknown expectation \"%s\"", name, line);
    }
    free(line);
    fclose(fp);
    free(text);
    sg_message_free(m);
}
END_TEST

START_TEST(depth_limit_is_flagged)
{
    struct sg_message *m = parse_fixture("deep-nesting", NULL);
    ck_assert(m->limits_hit & SG_LIMIT_DEPTH);
    sg_message_free(m);
    struct sg_message_limits lim;
    sg_message_default_limits(&lim);
    lim.max_depth = 64;
    m = parse_fixture("deep-nesting", &lim);
    ck_assert(!(m->limits_hit & SG_LIMIT_DEPTH));
    sg_message_free(m);
}
END_TEST

START_TEST(size_and_part_limits_are_flagged)
{
    struct sg_buf b = {0};
    sg_buf_puts(&b, "From: a@b.c\r\nSubject: many\r\nMIME-Version: 1.0\r\n"
                    "Content-Type: multipart/mixed; boundary=\"X\"\r\n\r\n");
    for (int i = 0; i < 50; i++)
        sg_buf_puts(&b, "--X\r\nContent-Type: text/plain\r\n\r\nhello\r\n");
    sg_buf_puts(&b, "--X--\r\n");
    struct sg_message_limits lim;
    sg_message_default_limits(&lim);
    lim.max_parts = 10;
    char err[256];
    struct sg_message *m = sg_message_parse_mem(b.data, b.len, &lim, err, sizeof(err));
    ck_assert_ptr_nonnull(m);
    ck_assert(m->limits_hit & SG_LIMIT_PARTS);
    ck_assert_uint_lt(m->nparts, 11);
    sg_message_free(m);
    sg_message_default_limits(&lim);
    lim.max_message_size = 100;
    m = sg_message_parse_mem(b.data, b.len, &lim, err, sizeof(err));
    ck_assert_ptr_nonnull(m);
    ck_assert(m->limits_hit & SG_LIMIT_SIZE);
    sg_message_free(m);
    sg_buf_free(&b);
}
END_TEST

START_TEST(html_to_text_joins_inline)
{
    const char *html = "<p>Call 07<span>700</span> 900<b>123</b></p><script>x()</script><p>a &amp; b</p>";
    size_t len;
    char *t = sg_html_to_text(html, strlen(html), &len);
    ck_assert_ptr_nonnull(strstr(t, "07700 900123"));
    ck_assert_ptr_null(strstr(t, "x()"));
    ck_assert_ptr_nonnull(strstr(t, "a & b"));
    free(t);
}
END_TEST

/* Hidden text splitting a number does not split it for the screen, and
 * what was hidden is still screened, after the visible text. */
START_TEST(html_hidden_text_read_apart)
{
    const char *html = "<p>Ring 07700<span style=\"Display: None\">zz</span>900<i hidden>q</i>123"
                       "<b style=\"font-size:0px\">w</b> <u style=\"font-size:0.9em\">soon</u></p>"
                       "<div style=\"visibility:hidden\">secret 07700 900999</div>";
    size_t len;
    char *t = sg_html_to_text(html, strlen(html), &len);
    ck_assert_msg(strstr(t, "Ring 07700900123 soon"), "text: %s", t);
    ck_assert_msg(strstr(t, "secret 07700 900999") && strstr(t, "zz"), "text: %s", t);
    free(t);
}
END_TEST

START_TEST(attachments_sniffed_without_full_decode)
{
    struct sg_message *full = parse_fixture("attachments", NULL);
    struct sg_message_limits lim;
    sg_message_default_limits(&lim);
    lim.decode_attachments = false;
    struct sg_message *head = parse_fixture("attachments", &lim);
    ck_assert_uint_eq(full->natts, head->natts);
    for (size_t i = 0; i < full->natts; i++) {
        ck_assert_str_eq(full->atts[i].sniffed_type, head->atts[i].sniffed_type);
        ck_assert(!full->atts[i].size_estimated);
        ck_assert(head->atts[i].size_estimated);
        /* The estimate is within a line's worth of base64 of the truth. */
        ck_assert_msg(head->atts[i].size + 64 >= full->atts[i].size && head->atts[i].size <= full->atts[i].size + 64,
                      "%s: estimated %zu, real %zu", full->atts[i].filename, head->atts[i].size, full->atts[i].size);
    }
    sg_message_free(full);
    sg_message_free(head);
}
END_TEST

START_TEST(sniff_types)
{
    ck_assert_str_eq(sg_sniff_type((const unsigned char *)"%PDF-1.7", 8, NULL), "pdf");
    ck_assert_str_eq(sg_sniff_type((const unsigned char *)"\xff\xd8\xff\xe0", 4, "x.bin"), "jpeg");
    ck_assert_str_eq(sg_sniff_type((const unsigned char *)"PK\x03\x04word/", 9, NULL), "docx");
    ck_assert_str_eq(sg_sniff_type((const unsigned char *)"hello", 5, NULL), "text");
    ck_assert_str_eq(sg_sniff_type((const unsigned char *)"", 0, NULL), "unknown");
}
END_TEST

/* Parses a message built in the test under the default limits, or lim. */
static struct sg_message *parse_buf(const struct sg_buf *b, const struct sg_message_limits *lim)
{
    struct sg_message_limits def;
    sg_message_default_limits(&def);
    char err[256];
    struct sg_message *m = sg_message_parse_mem(b->data ? b->data : "", b->len, lim ? lim : &def, err, sizeof(err));
    ck_assert_msg(m != NULL, "parse failed: %s", err);
    return m;
}

static bool text_has(const struct sg_message *m, const char *needle)
{
    size_t n;
    char *t = all_text(m, &n);
    bool found = strstr(t, needle) != NULL;
    free(t);
    return found;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

#define HDR "From: Ms Ada Teacher <ada.teacher@northfield.sch.uk>\r\nTo: lily.green@pupils.northfield.sch.uk\r\n"

static void html_message(struct sg_buf *b, unsigned depth)
{
    sg_buf_puts(b, HDR "Subject: deep\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n<p>hi</p>");
    for (unsigned i = 0; i < depth; i++)
        sg_buf_puts(b, "<span>");
    sg_buf_puts(b, "inside 07700 900123");
    for (unsigned i = 0; i < depth; i++)
        sg_buf_puts(b, "</span>");
    sg_buf_puts(b, "<p>after 07700 900124</p>\r\n");
}

START_TEST(deep_html_is_read)
{
    /* Past libxml2's old limit of 256 and html.c's old 512: read by the tree. */
    struct sg_buf b = {0};
    html_message(&b, 800);
    struct sg_message *m = parse_buf(&b, NULL);
    ck_assert(text_has(m, "inside 07700 900123"));
    ck_assert(text_has(m, "after 07700 900124"));
    ck_assert(!(m->limits_hit & SG_LIMIT_HTML));
    sg_message_free(m);
    sg_buf_free(&b);
    /* Past the depth libxml2 is let go to: tag stripping, flagged. */
    html_message(&b, 5000);
    m = parse_buf(&b, NULL);
    ck_assert(text_has(m, "inside 07700 900123"));
    ck_assert(text_has(m, "after 07700 900124"));
    ck_assert(m->limits_hit & SG_LIMIT_HTML);
    sg_message_free(m);
    sg_buf_free(&b);
}
END_TEST

START_TEST(html_strip_reads_what_a_reader_sees)
{
    const char *html = "<p>Call 07<span>700</span> 900&#49;23</p><script>x()</script><style>p{}</style>"
                       "<!-- hidden --><a href=\"https://wa.me/447700900124\">chat</a>"
                       "<img alt='07700 900125' src=x>a &amp; b &lt; c &pound;<!-->shown 07700 900126";
    size_t len;
    char *t = sg_html_strip(html, strlen(html), &len);
    ck_assert_uint_eq(len, strlen(t));
    ck_assert_ptr_nonnull(strstr(t, "Call 07700 900123"));
    ck_assert_ptr_nonnull(strstr(t, "<https://wa.me/447700900124>"));
    ck_assert_ptr_nonnull(strstr(t, "07700 900125"));
    ck_assert_ptr_nonnull(strstr(t, "a & b < c \xc2\xa3"));
    ck_assert_ptr_nonnull(strstr(t, "shown 07700 900126"));
    ck_assert_ptr_null(strstr(t, "x()"));
    ck_assert_ptr_null(strstr(t, "hidden"));
    ck_assert_ptr_null(strstr(t, "p{}"));
    free(t);
}
END_TEST

START_TEST(nul_bytes_do_not_cut_text)
{
    struct sg_buf b = {0};
    static const char head[] = "From: Ms Ada\0Teacher 07700 900124 <ada.teacher@northfield.sch.uk>\r\n"
                               "To: lily.green@pupils.northfield.sch.uk\r\n"
                               "Subject: Hi\0 ring 07700 900123\r\nMIME-Version: 1.0\r\n"
                               "Content-Type: multipart/mixed; boundary=\"n\"\r\n\r\n"
                               "--n\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                               "body\0\0\0 then 07700 900125\r\n"
                               "--n\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    sg_buf_append(&b, head, sizeof(head) - 1);
    /* base64 of "<p>a\0b</p><p>07700 900126</p>" */
    sg_buf_puts(&b, "PHA+YQBiPC9wPjxwPjA3NzAwIDkwMDEyNjwvcD4=\r\n--n--\r\n");
    struct sg_message *m = parse_buf(&b, NULL);
    ck_assert_ptr_nonnull(strstr(m->subject, "07700 900123"));
    ck_assert(text_has(m, "07700 900124"));
    ck_assert(text_has(m, "then 07700 900125"));
    ck_assert(text_has(m, "07700 900126"));
    for (size_t i = 0; i < m->nparts; i++)
        ck_assert_uint_eq(strlen(m->parts[i].text), m->parts[i].len);
    sg_message_free(m);
    sg_buf_free(&b);
}
END_TEST

START_TEST(text_under_another_type_is_read)
{
    struct sg_buf b = {0};
    sg_buf_puts(&b, HDR "Subject: notes\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"o\"\r\n\r\n"
                    "--o\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
                    "--o\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"notes.txt\"\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\n"
                    /* "My mobile: 07700 900123\n" */
                    "TXkgbW9iaWxlOiAwNzcwMCA5MDAxMjMK\r\n--o--\r\n");
    struct sg_message_limits lim;
    sg_message_default_limits(&lim);
    for (int decode = 0; decode < 2; decode++) {
        lim.decode_attachments = decode;
        struct sg_message *m = parse_buf(&b, &lim);
        ck_assert(text_has(m, "My mobile: 07700 900123"));
        ck_assert_uint_eq(m->natts, 1);
        ck_assert_str_eq(m->atts[0].filename, "notes.txt");
        ck_assert_str_eq(m->atts[0].sniffed_type, "text");
        sg_message_free(m);
    }
    sg_buf_free(&b);
}
END_TEST

START_TEST(uuencoded_files_in_a_body_are_attachments)
{
    /* "My mobile: 07700 900123\n" as uuencode(1) writes it, after a line
     * of the body; mail clients show the block as an attachment. */
    struct sg_buf b = {0};
    sg_buf_puts(&b, HDR "Subject: notes\r\nContent-Type: text/plain\r\n\r\nsee the file\r\n"
                    "begin 644 notes.txt\r\n837D@;6]B:6QE.B P-S<P,\" Y,# Q,C,*\r\n`\r\nend\r\n");
    struct sg_message *m = parse_buf(&b, NULL);
    ck_assert_uint_eq(m->natts, 1);
    ck_assert_str_eq(m->atts[0].filename, "notes.txt");
    ck_assert_str_eq(m->atts[0].sniffed_type, "text");
    ck_assert(text_has(m, "My mobile: 07700 900123"));
    ck_assert(text_has(m, "see the file"));
    sg_message_free(m);
    sg_buf_free(&b);
}
END_TEST

START_TEST(utf16_body_keeps_its_nuls)
{
    /* Raw NULs in a body are UTF-16's, not noise: only header lines lose them. */
    static const char msg[] = HDR "Subject: wide\0 07700 900124\r\nMIME-Version: 1.0\r\n"
                              "Content-Type: text/plain; charset=utf-16le\r\nContent-Transfer-Encoding: binary\r\n\r\n"
                              "\xff\xfe\x43\x00\x61\x00\x6c\x00\x6c\x00\x20\x00\x30\x00\x37\x00\x37\x00\x30\x00\x30\x00\x20\x00\x39\x00\x30\x00\x30\x00\x31\x00\x32\x00\x33\x00\x0a\x00";
    struct sg_buf b = {0};
    sg_buf_append(&b, msg, sizeof(msg) - 1);
    struct sg_message *m = parse_buf(&b, NULL);
    ck_assert_ptr_nonnull(strstr(m->subject, "07700 900124"));
    ck_assert(text_has(m, "Call 07700 900123"));
    sg_message_free(m);
    sg_buf_free(&b);
}
END_TEST

START_TEST(utf16_under_an_8bit_label_is_decoded)
{
    /* Notepad's "Unicode" text attached with no charset, or labelled
     * us-ascii: read as 8-bit, every other byte is a NUL and the words
     * come out spaced. With and without a byte order mark. */
    static const char wide[] = "C\0a\0l\0l\0 \0" "0\0" "7\0" "7\0" "0\0" "0\0 \0" "9\0" "0\0" "0\0" "1\0" "2\0" "3\0\n\0";
    static const char *const labels[] = {"", "; charset=us-ascii"};
    for (int bom = 0; bom < 2; bom++)
        for (int l = 0; l < 2; l++) {
            struct sg_buf b = {0};
            sg_buf_puts(&b, HDR "Subject: wide\r\nMIME-Version: 1.0\r\nContent-Type: text/plain");
            sg_buf_puts(&b, labels[l]);
            sg_buf_puts(&b, "\r\nContent-Transfer-Encoding: binary\r\n\r\n");
            if (bom)
                sg_buf_append(&b, "\xff\xfe", 2);
            sg_buf_append(&b, wide, sizeof(wide) - 1);
            struct sg_message *m = parse_buf(&b, NULL);
            ck_assert_msg(text_has(m, "Call 07700 900123"), "bom %d, label '%s'", bom, labels[l]);
            sg_message_free(m);
            sg_buf_free(&b);
        }
}
END_TEST

START_TEST(parse_fd_reads_a_spool_file)
{
    static const char msg[] = HDR "Subject: spooled\0 07700 900123\r\n\r\nbody 07700 900124\r\n";
    char path[] = "/tmp/check_mime.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    ck_assert_int_eq(write(fd, msg, sizeof(msg) - 1), (ssize_t)(sizeof(msg) - 1));
    struct sg_message_limits lim;
    sg_message_default_limits(&lim);
    char err[256];
    struct sg_message *m = sg_message_parse_fd(fd, &lim, err, sizeof(err));
    ck_assert_msg(m != NULL, "%s", err);
    ck_assert_ptr_nonnull(strstr(m->subject, "07700 900123"));
    ck_assert(text_has(m, "body 07700 900124"));
    sg_message_free(m);
    close(fd);
    /* A pipe has no size: an error, never an empty message. */
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_ptr_null(sg_message_parse_fd(p[0], &lim, err, sizeof(err)));
    close(p[0]);
    close(p[1]);
}
END_TEST

START_TEST(empty_input_is_a_message)
{
    struct sg_buf b = {0};
    struct sg_message *m = parse_buf(&b, NULL);
    ck_assert_str_eq(m->subject, "");
    ck_assert_ptr_nonnull(m->header_rcpts);
    sg_message_free(m);
}
END_TEST

START_TEST(cut_attachment_is_flagged)
{
    struct sg_buf b = {0};
    sg_buf_puts(&b, HDR "Subject: big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"a\"\r\n\r\n"
                    "--a\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
                    "--a\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"x.bin\"\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\n");
    for (int i = 0; i < 200; i++)
        sg_buf_puts(&b, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1\r\n");
    sg_buf_puts(&b, "--a--\r\n");
    struct sg_message_limits lim;
    sg_message_default_limits(&lim);
    lim.max_attachment_keep = 1000;
    struct sg_message *m = parse_buf(&b, &lim);
    ck_assert(m->limits_hit & SG_LIMIT_ATTACHMENT);
    ck_assert_uint_eq(m->natts, 1);
    ck_assert_uint_eq(m->atts[0].data_len, 1000);
    sg_message_free(m);
    /* No rule reads the bytes: nothing went unread. */
    lim.decode_attachments = false;
    m = parse_buf(&b, &lim);
    ck_assert(!(m->limits_hit & SG_LIMIT_ATTACHMENT));
    sg_message_free(m);
    sg_buf_free(&b);
}
END_TEST

START_TEST(empty_part_flood_is_bounded)
{
    struct sg_buf b = {0};
    sg_buf_puts(&b, HDR "Subject: flood\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
                    "--b\r\nContent-Type: text/plain\r\n\r\nfirst 07700 900123\r\n");
    static const char empty[] = "--b\r\n\r\n";
    size_t n = (40u << 20) / (sizeof(empty) - 1);
    for (size_t i = 0; i < n; i++)
        sg_buf_append(&b, empty, sizeof(empty) - 1);
    sg_buf_puts(&b, "--b--\r\n");
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct sg_message *m = parse_buf(&b, NULL);
    double took = seconds_since(&t0);
    ck_assert(m->limits_hit & SG_LIMIT_PARTS);
    ck_assert(text_has(m, "first 07700 900123"));
    ck_assert_msg(took < 5.0, "40 MB of empty parts took %.1f s", took);
    sg_message_free(m);
    sg_buf_free(&b);
}
END_TEST

START_TEST(header_flood_is_bounded)
{
    struct sg_buf b = {0};
    sg_buf_puts(&b, HDR "Subject: fields\r\n");
    for (int i = 0; i < 2000000; i++)
        sg_buf_puts(&b, "X: y\r\n");
    sg_buf_puts(&b, "\r\nbody\r\n");
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct sg_message *m = parse_buf(&b, NULL);
    double took = seconds_since(&t0);
    ck_assert(m->limits_hit & SG_LIMIT_STRUCTURE);
    ck_assert_str_eq(m->subject, "fields");
    ck_assert_msg(took < 5.0, "2M header fields took %.1f s", took);
    sg_message_free(m);
    sg_buf_free(&b);
}
END_TEST

START_TEST(many_cc_addresses_are_linear)
{
    struct sg_buf b = {0};
    sg_buf_puts(&b, HDR "Subject: everyone\r\nCc: ");
    for (int i = 0; i < 306000; i++)
        sg_buf_printf(&b, "%sp%d@example.org", i ? ",\r\n " : "", i);
    sg_buf_puts(&b, "\r\n\r\nhello\r\n");
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct sg_message *m = parse_buf(&b, NULL);
    double took = seconds_since(&t0);
    /* A field that long is cut (GMime's buffer growth is quadratic where
     * realloc copies), and the cut flagged; what was read is all listed. */
    ck_assert(m->limits_hit & SG_LIMIT_STRUCTURE);
    ck_assert_uint_gt(sg_strv_len(m->header_rcpts), 10000);
    ck_assert_msg(took < 5.0, "306,000 Cc addresses took %.1f s", took);
    sg_message_free(m);
    sg_buf_free(&b);
    /* Under the field cap, every address is collected. */
    sg_buf_puts(&b, HDR "Subject: staff\r\nCc: ");
    for (int i = 0; i < 20000; i++)
        sg_buf_printf(&b, "%sp%d@x.org", i ? ", " : "", i);
    sg_buf_puts(&b, "\r\n\r\nhello\r\n");
    m = parse_buf(&b, NULL);
    ck_assert(!m->limits_hit);
    ck_assert_uint_eq(sg_strv_len(m->header_rcpts), 20001);
    ck_assert_str_eq(m->header_rcpts[20000], "p19999@x.org");
    sg_message_free(m);
    sg_buf_free(&b);
}
END_TEST

START_TEST(deep_multipart_is_bounded)
{
    struct sg_buf b = {0};
    sg_buf_puts(&b, HDR "Subject: nest\r\nMIME-Version: 1.0\r\n");
    for (int i = 0; i < 10000; i++)
        sg_buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"d%d\"\r\n\r\n--d%d\r\n", i, i);
    sg_buf_puts(&b, "Content-Type: text/plain\r\n\r\nbottom\r\n");
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct sg_message *m = parse_buf(&b, NULL);
    double took = seconds_since(&t0);
    ck_assert(m->limits_hit & SG_LIMIT_DEPTH);
    ck_assert_msg(took < 5.0, "10000 nested multiparts took %.1f s", took);
    sg_message_free(m);
    sg_buf_free(&b);
}
END_TEST

START_TEST(display_names_are_text)
{
    struct sg_buf b = {0};
    sg_buf_puts(&b, "From: \"Ada 07700 900123\" <ada.teacher@northfield.sch.uk>\r\n"
                    "To: Lily <lily.green@pupils.northfield.sch.uk>, Team: \"Ring 07700 900124\" <t@x.org>;,\r\n"
                    " \"'jo.parent@gmail.com'\" <jo.parent@gmail.com>, \"jo@gmail.com 07700 900125\" <JO@gmail.com>\r\n"
                    "Subject: names\r\n\r\nhello\r\n");
    struct sg_message *m = parse_buf(&b, NULL);
    ck_assert(text_has(m, "From: Ada 07700 900123"));
    ck_assert(text_has(m, "Ring 07700 900124"));
    ck_assert_str_eq(m->from_header, "ada.teacher@northfield.sch.uk");
    ck_assert_uint_eq(sg_strv_len(m->header_rcpts), 4);
    /* Addresses are recipients, not content, even when written as names. */
    ck_assert(!text_has(m, "lily.green@"));
    ck_assert(!text_has(m, "gmail"));
    ck_assert(text_has(m, "07700 900125"));
    sg_message_free(m);
    sg_buf_free(&b);
}
END_TEST

Suite *sg_suite_mime(void)
{
    fixtures = fixture_names();
    Suite *s = suite_create("mime");
    TCase *tc = tcase_create("fixtures");
    tcase_add_loop_test(tc, fixture, 0, (int)sg_strv_len(fixtures));
    tcase_add_test(tc, depth_limit_is_flagged);
    tcase_add_test(tc, size_and_part_limits_are_flagged);
    tcase_add_test(tc, html_to_text_joins_inline);
    tcase_add_test(tc, html_hidden_text_read_apart);
    tcase_add_test(tc, attachments_sniffed_without_full_decode);
    tcase_add_test(tc, sniff_types);
    tcase_add_test(tc, deep_html_is_read);
    tcase_add_test(tc, html_strip_reads_what_a_reader_sees);
    tcase_add_test(tc, nul_bytes_do_not_cut_text);
    tcase_add_test(tc, empty_input_is_a_message);
    tcase_add_test(tc, parse_fd_reads_a_spool_file);
    tcase_add_test(tc, utf16_body_keeps_its_nuls);
    tcase_add_test(tc, uuencoded_files_in_a_body_are_attachments);
    tcase_add_test(tc, utf16_under_an_8bit_label_is_decoded);
    tcase_add_test(tc, text_under_another_type_is_read);
    tcase_add_test(tc, cut_attachment_is_flagged);
    tcase_add_test(tc, display_names_are_text);
    suite_add_tcase(s, tc);
    /* Built inputs of tens of megabytes; the 5 s bounds are asserted in
     * the tests, this only keeps Check from killing a slow (ASan) run. */
    TCase *bounds = tcase_create("bounds");
    tcase_set_timeout(bounds, 120);
    tcase_add_test(bounds, empty_part_flood_is_bounded);
    tcase_add_test(bounds, header_flood_is_bounded);
    tcase_add_test(bounds, many_cc_addresses_are_linear);
    tcase_add_test(bounds, deep_multipart_is_bounded);
    suite_add_tcase(s, bounds);
    return s;
}
