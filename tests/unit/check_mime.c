/*
 * check_mime.c - text extraction against the fixtures in tests/data/mime:
 * each NAME.eml has a NAME.expect of subject=, text~=, text!~=,
 * attachment= and parts= lines.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
        if (!m->parts[i].forwarded_subject && m->parts[i].len)
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

Suite *sg_suite_mime(void)
{
    fixtures = fixture_names();
    Suite *s = suite_create("mime");
    TCase *tc = tcase_create("fixtures");
    tcase_add_loop_test(tc, fixture, 0, (int)sg_strv_len(fixtures));
    tcase_add_test(tc, depth_limit_is_flagged);
    tcase_add_test(tc, size_and_part_limits_are_flagged);
    tcase_add_test(tc, html_to_text_joins_inline);
    tcase_add_test(tc, attachments_sniffed_without_full_decode);
    tcase_add_test(tc, sniff_types);
    suite_add_tcase(s, tc);
    return s;
}
