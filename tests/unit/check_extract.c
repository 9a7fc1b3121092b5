/*
 * check_extract.c - attachment text extraction: each format's text and
 * where labels, nesting, the sniffer's names, and the hostile files
 * (bombs, deep XML, lying headers, encryption, DTD tricks) stopping with
 * the status the engine turns into on_limit or on_encrypted, in time.
 *
 * Fixtures are written by the same code as tests/tools/mkattach
 * (mkattach_lib.c), into a temporary folder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <glib.h>
#include <zip.h>
#include "check_suites.h"
#include "mkattach.h"
#include "sg_extract.h"
#include "sg_message.h"
#include "sg_util.h"

static char tmpdir[64];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/sg-extract-XXXXXX");
    if (!mkdtemp(tmpdir))
        abort();
}

static void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "check_extract: could not remove %s\n", tmpdir);
}

static const char *tmp(const char *name)
{
    static __thread char path[2][256];
    static __thread int k;
    k ^= 1;
    snprintf(path[k], sizeof(path[k]), "%s/%s", tmpdir, name);
    return path[k];
}

struct got {
    struct sg_buf all;          /* "[where]\ntext\n" for each emit */
    int emits;
    int stop_after;             /* return false after this many (0: never) */
};

static bool collect(void *ctx, const char *where, const char *text, size_t len)
{
    struct got *g = ctx;
    sg_buf_printf(&g->all, "[%s]\n", where ? where : "-");
    sg_buf_append(&g->all, text, len);
    sg_buf_append(&g->all, "\n", 1);
    g->emits++;
    return !(g->stop_after && g->emits >= g->stop_after);
}

/* Extracts the file at path as attachment name (sniffed here). */
static unsigned extract_file(const char *path, const char *name, const struct sg_extract_budget *b, struct got *g)
{
    gchar *data;
    gsize len;
    ck_assert_msg(g_file_get_contents(path, &data, &len, NULL), "cannot read %s", path);
    const char *type = sg_sniff_type((const unsigned char *)data, len, name);
    unsigned rc = sg_extract_attachment((const unsigned char *)data, len, type, name, b, collect, g);
    g_free(data);
    if (!g->all.data)
        sg_buf_puts(&g->all, "");
    return rc;
}

static const char *sniff_file(const char *path, const char *name)
{
    gchar *data;
    gsize len;
    ck_assert(g_file_get_contents(path, &data, &len, NULL));
    const char *type = sg_sniff_type((const unsigned char *)data, len, name);
    g_free(data);
    return type;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define HAS(g, s) ck_assert_msg(strstr((g).all.data, (s)) != NULL, "missing %s in:\n%s", (s), (g).all.data)
#define HASNT(g, s) ck_assert_msg(strstr((g).all.data, (s)) == NULL, "unexpected %s in:\n%s", (s), (g).all.data)

static int write_text(int (*fn)(const char *, const char *, size_t), const char *name, const char *text)
{
    return fn(tmp(name), text, strlen(text));
}

/* A bomb stops on its ratio, quickly, and with the ratio out of reach
 * the input budget still stops it. */
static void assert_bomb_stops(const char *path, const char *name)
{
    double t0 = now();
    struct got g = {0};
    unsigned rc = extract_file(path, name, NULL, &g);
    ck_assert_msg(rc & SG_EXTRACT_BUDGET, "%s: status %u", name, rc);
    ck_assert_msg(now() - t0 < 3, "%s took %.1fs", name, now() - t0);
    struct sg_extract_budget b;
    sg_extract_default_budget(&b);
    b.max_ratio = 100000;
    t0 = now();
    rc = extract_file(path, name, &b, &g);
    ck_assert_msg(rc & SG_EXTRACT_BUDGET, "%s: status %u", name, rc);
    ck_assert_msg(now() - t0 < 5, "%s took %.1fs", name, now() - t0);
    sg_buf_free(&g.all);
}

START_TEST(docx_parts_and_labels)
{
    ck_assert_int_eq(write_text(mka_docx, "a.docx",
                                "Dear parent,\nRose Hill\twas excluded.\n=== header\nNorthfield Academy\n"
                                "=== footer\nPage footer\n=== footnotes\nSee the behaviour policy.\n"
                                "=== comments\nCheck with the DSL first.\n"), 0);
    ck_assert_str_eq(sniff_file(tmp("a.docx"), "a.docx"), "docx");
    ck_assert_str_eq(sniff_file(tmp("a.docx"), NULL), "docx");
    struct got g = {0};
    ck_assert_uint_eq(extract_file(tmp("a.docx"), "a.docx", NULL, &g), SG_EXTRACT_OK);
    HAS(g, "[-]\nDear parent,\nRose Hill\twas excluded.\n");
    HAS(g, "[header]\nNorthfield Academy\n");
    HAS(g, "[footer]\nPage footer\n");
    HAS(g, "[footnotes]\nSee the behaviour policy.\n");
    HAS(g, "[comments]\nCheck with the DSL first.\n");
    ck_assert_int_eq(g.emits, 5);
    sg_buf_free(&g.all);
}
END_TEST

START_TEST(xlsx_sheets_rows_cells)
{
    ck_assert_int_eq(write_text(mka_xlsx, "c.xlsx",
                                "=== Year 7\nName\tDOB\tGroup\nRose Hill\t01/02/2013\t7\n'Grace Chester\t\t3.5\n"
                                "DOB 29/02/2012\t29/02/2013\n=== Staff\nSarah Ahmed\tHead\n"), 0);
    ck_assert_str_eq(sniff_file(tmp("c.xlsx"), NULL), "xlsx");
    struct got g = {0};
    ck_assert_uint_eq(extract_file(tmp("c.xlsx"), "c.xlsx", NULL, &g), SG_EXTRACT_OK);
    /* 01/02/2013 is stored as day 41306 in a dd/mm/yyyy cell; 29/02/2013
     * is no date, so it stays a string */
    HAS(g, "[Year 7]\nName\tDOB\tGroup\nRose Hill\t01/02/2013\t7\nGrace Chester\t3.5\n"
           "DOB 29/02/2012\t29/02/2013\n");
    HASNT(g, "41306");
    HAS(g, "[Staff]\nSarah Ahmed\tHead\n");
    HASNT(g, "'Grace");
    sg_buf_free(&g.all);
}
END_TEST

START_TEST(pptx_slides_and_notes)
{
    ck_assert_int_eq(write_text(mka_pptx, "s.pptx",
                                "Trip briefing\n=== notes\nMention the medical forms.\n===\nSecond slide\n"), 0);
    ck_assert_str_eq(sniff_file(tmp("s.pptx"), NULL), "pptx");
    struct got g = {0};
    ck_assert_uint_eq(extract_file(tmp("s.pptx"), "s.pptx", NULL, &g), SG_EXTRACT_OK);
    HAS(g, "[slide 1]\nTrip briefing\n");
    HAS(g, "[slide 1 notes]\nMention the medical forms.\n");
    HAS(g, "[slide 2]\nSecond slide\n");
    HASNT(g, "[slide 2 notes]");
    sg_buf_free(&g.all);
    /* titled markers, the first one only beginning slide 1 */
    ck_assert_int_eq(write_text(mka_pptx, "t.pptx", "=== Slide 1\nFirst\n=== Slide 2\nSecond\n"), 0);
    struct got t = {0};
    ck_assert_uint_eq(extract_file(tmp("t.pptx"), "t.pptx", NULL, &t), SG_EXTRACT_OK);
    HAS(t, "[slide 1]\nFirst\n");
    HAS(t, "[slide 2]\nSecond\n");
    HASNT(t, "===");
    HASNT(t, "[slide 3]");
    sg_buf_free(&t.all);
}
END_TEST

START_TEST(docx_charts_and_embedded_workbooks)
{
    /* Word keeps the workbook behind a chart inside the document, and the
     * chart's own cached labels: both travel with it. */
    ck_assert_int_eq(write_text(mka_docx, "c.docx", "Attendance this term\n"), 0);
    ck_assert_int_eq(write_text(mka_xlsx, "inner.xlsx", "Pupil\tDOB\nRose Hill\t01/02/2013\n"), 0);
    static const char chart[] =
        "<?xml version=\"1.0\"?><c:chartSpace xmlns:c=\"http://schemas.openxmlformats.org/drawingml/2006/chart\" "
        "xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\"><c:chart><c:title><c:tx><c:rich><a:p><a:r>"
        "<a:t>Absence by pupil</a:t></a:r></a:p></c:rich></c:tx></c:title><c:plotArea><c:barChart><c:ser><c:cat>"
        "<c:strRef><c:strCache><c:pt idx=\"0\"><c:v>Tyler Brookes</c:v></c:pt><c:pt idx=\"1\"><c:v>Rose Hill</c:v>"
        "</c:pt></c:strCache></c:strRef></c:cat></c:ser></c:barChart></c:plotArea></c:chart></c:chartSpace>";
    int err = 0;
    zip_t *za = zip_open(tmp("c.docx"), 0, &err);
    ck_assert_ptr_nonnull(za);
    zip_source_t *s1 = zip_source_file(za, tmp("inner.xlsx"), 0, -1);
    zip_source_t *s2 = zip_source_buffer(za, chart, sizeof(chart) - 1, 0);
    ck_assert(s1 && s2);
    ck_assert_int_ge(zip_file_add(za, "word/embeddings/Microsoft_Excel_Worksheet1.xlsx", s1, 0), 0);
    ck_assert_int_ge(zip_file_add(za, "word/charts/chart1.xml", s2, 0), 0);
    ck_assert_int_eq(zip_close(za), 0);
    struct got g = {0};
    ck_assert_uint_eq(extract_file(tmp("c.docx"), "c.docx", NULL, &g), SG_EXTRACT_OK);
    HAS(g, "Attendance this term");
    HAS(g, "[chart chart1.xml]\nAbsence by pupil");
    HAS(g, "Tyler Brookes\nRose Hill");
    HAS(g, "[embedded Microsoft_Excel_Worksheet1.xlsx");
    HAS(g, "Rose Hill\t01/02/2013");
    sg_buf_free(&g.all);
}
END_TEST

START_TEST(pdf_form_fields_and_comments)
{
    /* A referral form filled in, with a sticky note: a reader sees both. */
    static const char pdf[] =
        "%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R/AcroForm <</Fields[5 0 R]>> >> endobj\n"
        "2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n"
        "3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Annots[4 0 R 5 0 R]>> endobj\n"
        "4 0 obj <</Type/Annot/Subtype/Text/Rect[10 10 30 30]/Contents(He disclosed at break time)>> endobj\n"
        "5 0 obj <</Type/Annot/Subtype/Widget/FT/Tx/T(child)/V(Tyler Brookes)/Rect[50 50 200 70]/P 3 0 R>> endobj\n"
        "trailer <</Root 1 0 R>>\n%%EOF\n";
    char *path = sg_xstrdup(tmp("form.pdf"));
    ck_assert(g_file_set_contents(path, pdf, sizeof(pdf) - 1, NULL));
    struct got g = {0};
    ck_assert_uint_eq(extract_file(path, "form.pdf", NULL, &g), SG_EXTRACT_OK);
    HAS(g, "[page 1]");
    HAS(g, "Tyler Brookes");
    HAS(g, "He disclosed at break time");
    free(path);
    sg_buf_free(&g.all);
}
END_TEST

START_TEST(odt_body_header_footer)
{
    ck_assert_int_eq(write_text(mka_odt, "o.odt", "Minutes\tdraft\n=== header\nConfidential\n=== footer\nTrust office\n"), 0);
    ck_assert_str_eq(sniff_file(tmp("o.odt"), NULL), "odt");
    struct got g = {0};
    ck_assert_uint_eq(extract_file(tmp("o.odt"), "o.odt", NULL, &g), SG_EXTRACT_OK);
    HAS(g, "[-]\nMinutes\tdraft\n");
    HAS(g, "[header]\nConfidential\n");
    HAS(g, "[footer]\nTrust office\n");
    sg_buf_free(&g.all);
}
END_TEST

START_TEST(pdf_pages)
{
    ck_assert_int_eq(write_text(mka_pdf, "p.pdf", "Exclusion letter\nfor Rose Hill (Year 7)\n===\nSecond page \xc2\xa3" "5\n"), 0);
    ck_assert_str_eq(sniff_file(tmp("p.pdf"), NULL), "pdf");
    struct got g = {0};
    ck_assert_uint_eq(extract_file(tmp("p.pdf"), "p.pdf", NULL, &g), SG_EXTRACT_OK);
    HAS(g, "[page 1]\nExclusion letter\nfor Rose Hill (Year 7)");
    HAS(g, "[page 2]\nSecond page \xc2\xa3" "5");
    ck_assert_int_eq(g.emits, 2);
    sg_buf_free(&g.all);
    ck_assert_int_eq(write_text(mka_pdf, "t.pdf", "=== Page 1\nFirst\n=== Page 2\nSecond\n"), 0);
    struct got t = {0};
    ck_assert_uint_eq(extract_file(tmp("t.pdf"), "t.pdf", NULL, &t), SG_EXTRACT_OK);
    HAS(t, "[page 1]\nFirst");
    HAS(t, "[page 2]\nSecond");
    ck_assert_int_eq(t.emits, 2);
    sg_buf_free(&t.all);
}
END_TEST

START_TEST(csv_and_text)
{
    ck_assert_int_eq(write_text(mka_csv, "l.csv", "Name\tDOB\nRose Hill\t01/02/2013\n\"Hill, Rose\"\tx\n"), 0);
    ck_assert_str_eq(sniff_file(tmp("l.csv"), "l.csv"), "csv");
    ck_assert_str_eq(sniff_file(tmp("l.csv"), NULL), "text");
    struct got g = {0};
    ck_assert_uint_eq(extract_file(tmp("l.csv"), "l.csv", NULL, &g), SG_EXTRACT_OK);
    HAS(g, "[-]\nName\tDOB\nRose Hill\t01/02/2013\n\"Hill, Rose\"\tx\n");
    sg_buf_free(&g.all);

    /* Windows-1252 (not UTF-8): curly quotes and a pound sign. */
    static const unsigned char cp[] = "caf\xe9 \x93quoted\x94 \xa3" "5";
    struct got t = {0};
    ck_assert_uint_eq(sg_extract_attachment(cp, sizeof(cp) - 1, "text", "n.txt", NULL, collect, &t), 0);
    HAS(t, "caf\xc3\xa9 \xe2\x80\x9cquoted\xe2\x80\x9d \xc2\xa3" "5");
    sg_buf_free(&t.all);
    /* UTF-16 without a byte order mark, as some tools write it and as an
     * octet-stream .txt would carry it: sniffed as text, read as text. */
    static const unsigned char u16[] = "m\0y\0 \0s\0n\0a\0p\0 \0i\0s\0 \0@\0j\0o\0\n\0";
    ck_assert_int_eq(sg_sniff_utf16(u16, sizeof(u16) - 1), 1);
    ck_assert_str_eq(sg_sniff_type(u16, sizeof(u16) - 1, "notes.bin"), "text");
    struct got u = {0};
    ck_assert_uint_eq(sg_extract_attachment(u16, sizeof(u16) - 1, "text", "notes.bin", NULL, collect, &u), 0);
    HAS(u, "my snap is @jo");
    sg_buf_free(&u.all);
    ck_assert_int_eq(sg_sniff_utf16((const unsigned char *)"plain ascii text", 16), 0);
    /* semicolon CSV */
    static const char semi[] = "a;b;c\n1;2;3\n";
    struct got s = {0};
    ck_assert_uint_eq(sg_extract_attachment((const unsigned char *)semi, strlen(semi), "csv", "x.csv", NULL, collect, &s), 0);
    HAS(s, "a\tb\tc\n1\t2\t3");
    sg_buf_free(&s.all);
}
END_TEST

START_TEST(zip_entries_labelled)
{
    ck_assert_int_eq(write_text(mka_docx, "notes.docx", "Staff notes\n=== footer\nFoot\n"), 0);
    ck_assert_int_eq(write_text(mka_pdf, "plan.pdf", "Page A\n===\nPage B\n"), 0);
    char *f0 = sg_xstrdup(tmp("notes.docx")), *f1 = sg_xstrdup(tmp("plan.pdf"));
    char *fl[] = {f0, f1};
    ck_assert_int_eq(mka_zip(tmp("bundle.zip"), fl, 2), 0);
    ck_assert_str_eq(sniff_file(tmp("bundle.zip"), NULL), "zip");
    struct got g = {0};
    ck_assert_uint_eq(extract_file(tmp("bundle.zip"), "bundle.zip", NULL, &g), SG_EXTRACT_OK);
    HAS(g, "[notes.docx]\nStaff notes\n");
    HAS(g, "[notes.docx, footer]\nFoot\n");
    HAS(g, "[plan.pdf, page 2]\nPage B");
    sg_buf_free(&g.all);

    /* zip in zip in zip: the docx is at depth 3, one past max_depth 3 */
    char *z1[] = {f0};
    ck_assert_int_eq(mka_zip(tmp("z1.zip"), z1, 1), 0);
    char *p1 = sg_xstrdup(tmp("z1.zip"));
    char *z2[] = {p1};
    ck_assert_int_eq(mka_zip(tmp("z2.zip"), z2, 1), 0);
    char *p2 = sg_xstrdup(tmp("z2.zip"));
    char *z3[] = {p2};
    ck_assert_int_eq(mka_zip(tmp("z3.zip"), z3, 1), 0);
    struct got d = {0};
    ck_assert_uint_eq(extract_file(tmp("z2.zip"), "z2.zip", NULL, &d), SG_EXTRACT_OK);
    HAS(d, "[z1.zip, notes.docx]\nStaff notes\n");
    sg_buf_free(&d.all);
    struct got e = {0};
    ck_assert_uint_eq(extract_file(tmp("z3.zip"), "z3.zip", NULL, &e), SG_EXTRACT_DEPTH);
    HASNT(e, "Staff notes");
    sg_buf_free(&e.all);
    /* max_depth 1: open the attachment only */
    struct sg_extract_budget b;
    sg_extract_default_budget(&b);
    b.max_depth = 1;
    struct got f = {0};
    ck_assert_uint_eq(extract_file(tmp("bundle.zip"), "bundle.zip", &b, &f), SG_EXTRACT_DEPTH);
    ck_assert_int_eq(f.emits, 0);
    struct got h = {0};
    ck_assert_uint_eq(extract_file(tmp("notes.docx"), "notes.docx", &b, &h), SG_EXTRACT_OK);
    HAS(h, "Staff notes");
    sg_buf_free(&f.all);
    sg_buf_free(&h.all);
    free(f0);
    free(f1);
    free(p1);
    free(p2);
}
END_TEST

START_TEST(legacy_doc_strings)
{
    ck_assert_int_eq(write_text(mka_doc, "old.doc", "Report on the incident\nSecond paragraph \xc2\xa3" "10\n"), 0);
    ck_assert_str_eq(sniff_file(tmp("old.doc"), "old.doc"), "ole");
    struct got g = {0};
    ck_assert_uint_eq(extract_file(tmp("old.doc"), "old.doc", NULL, &g), SG_EXTRACT_OK);
    HAS(g, "Report on the incident\nSecond paragraph \xc2\xa3" "10");
    HASNT(g, "Root Entry");
    sg_buf_free(&g.all);
}
END_TEST

START_TEST(packed_files_are_read)
{
    static const struct { int (*fn)(const char *, const char *, size_t); const char *name, *type, *label; } packs[] = {
        {mka_gz, "notes.txt.gz", "gzip", "[notes.txt.gz]"}, {mka_tgz, "notes.tgz", "gzip", "[notes.txt]"},
        {mka_7z, "notes.7z", "7z", "[notes.txt]"},
    };
    for (size_t i = 0; i < sizeof(packs) / sizeof(packs[0]); i++) {
        ck_assert_int_eq(write_text(packs[i].fn, packs[i].name, "Child protection plan for Rose\nsecond line\n"), 0);
        ck_assert_str_eq(sniff_file(tmp(packs[i].name), packs[i].name), packs[i].type);
        struct got g = {0};
        ck_assert_uint_eq(extract_file(tmp(packs[i].name), packs[i].name, NULL, &g), SG_EXTRACT_OK);
        HAS(g, "Child protection plan for Rose\nsecond line");
        /* a compressed file's text is its own; an archive's is its entry's */
        if (packs[i].fn == mka_gz)
            HAS(g, "[-]");
        else
            HAS(g, packs[i].label);
        sg_buf_free(&g.all);
    }
}
END_TEST

START_TEST(tnef_body_and_attachments)
{
    ck_assert_int_eq(write_text(mka_tnef, "winmail.dat", "Child protection plan for Rose\nsecond line\n"), 0);
    ck_assert_str_eq(sniff_file(tmp("winmail.dat"), "winmail.dat"), "tnef");
    struct got g = {0};
    ck_assert_uint_eq(extract_file(tmp("winmail.dat"), "winmail.dat", NULL, &g), SG_EXTRACT_OK);
    HAS(g, "[message body]\nChild protection plan for Rose\nsecond line");
    HAS(g, "[notes.txt]\nChild protection plan for Rose\nsecond line");
    sg_buf_free(&g.all);
    /* a signature and then nonsense: unreadable, not passed as empty */
    char *path = sg_xstrdup(tmp("bad.dat"));
    ck_assert(g_file_set_contents(path, "\x78\x9f\x3e\x22\x01\x00\x01\x0c\x80\x02\x00\x00\x00\x00\x00", 15, NULL));
    struct got h = {0};
    ck_assert_uint_eq(extract_file(path, "winmail.dat", NULL, &h), SG_EXTRACT_MALFORMED);
    free(path);
    sg_buf_free(&h.all);
}
END_TEST

START_TEST(gzbomb_stops_on_budget)
{
    ck_assert_int_eq(mka_gzbomb(tmp("bomb.gz")), 0);
    assert_bomb_stops(tmp("bomb.gz"), "log.gz");
}
END_TEST

START_TEST(rtf_reads_what_a_reader_sees)
{
    ck_assert_int_eq(write_text(mka_rtf, "n.rtf", "Child protection plan for Rose\nCaf\xc3\xa9 \xe2\x80\x94 ok\n"), 0);
    ck_assert_str_eq(sniff_file(tmp("n.rtf"), "n.rtf"), "rtf");
    struct got g = {0};
    ck_assert_uint_eq(extract_file(tmp("n.rtf"), "n.rtf", NULL, &g), SG_EXTRACT_OK);
    HAS(g, "Child protection plan for Rose\nCaf\xc3\xa9 \xe2\x80\x94 ok");
    HASNT(g, "Arial");
    HASNT(g, "mkattach");
    sg_buf_free(&g.all);
    /* a Cyrillic code page, an unknown \* group, a link's target */
    static const char rtf[] = "{\\rtf1\\ansi\\ansicpg1251{\\*\\shpinst secret}\\'e0\\'e1 "
                              "{\\field{\\*\\fldinst HYPERLINK \"http://example.com/x\"}{\\fldrslt here}}}";
    char *path = sg_xstrdup(tmp("c.rtf"));
    ck_assert(g_file_set_contents(path, rtf, sizeof(rtf) - 1, NULL));
    struct got h = {0};
    ck_assert_uint_eq(extract_file(path, "c.rtf", NULL, &h), SG_EXTRACT_OK);
    HAS(h, "\xd0\xb0\xd0\xb1");
    HAS(h, "http://example.com/x");
    HAS(h, "here");
    HASNT(h, "secret");
    free(path);
    sg_buf_free(&h.all);
}
END_TEST

START_TEST(encrypted_files)
{
    static const struct { int (*fn)(const char *); const char *name, *type; } enc[] = {
        {mka_enczip, "e.zip", "zip"}, {mka_encpdf, "e.pdf", "pdf"}, {mka_encoffice, "e.docx", "ole"},
    };
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(enc[i].fn(tmp(enc[i].name)), 0);
        ck_assert_str_eq(sniff_file(tmp(enc[i].name), enc[i].name), enc[i].type);
        struct got g = {0};
        ck_assert_msg(extract_file(tmp(enc[i].name), enc[i].name, NULL, &g) == SG_EXTRACT_ENCRYPTED, "%s", enc[i].name);
        HASNT(g, "Safeguarding notes");
        HASNT(g, "exclusion meeting");
        sg_buf_free(&g.all);
    }
}
END_TEST

START_TEST(zipbomb_stops_on_budget)
{
    ck_assert_int_eq(mka_zipbomb(tmp("bomb.zip")), 0);
    assert_bomb_stops(tmp("bomb.zip"), "bomb.zip");
}
END_TEST

START_TEST(pdfbomb_stops_before_poppler)
{
    ck_assert_int_eq(mka_pdfbomb(tmp("bomb.pdf")), 0);
    double t0 = now();
    struct got g = {0};
    unsigned rc = extract_file(tmp("bomb.pdf"), "bomb.pdf", NULL, &g);
    ck_assert_uint_eq(rc, SG_EXTRACT_BUDGET);
    ck_assert_msg(now() - t0 < 3, "took %.1fs", now() - t0);
    sg_buf_free(&g.all);
}
END_TEST

START_TEST(lying_zip_is_malformed)
{
    ck_assert_int_eq(mka_lyingzip(tmp("lie.zip")), 0);
    double t0 = now();
    struct got g = {0};
    unsigned rc = extract_file(tmp("lie.zip"), "lie.zip", NULL, &g);
    ck_assert_msg(rc & SG_EXTRACT_MALFORMED, "status %u", rc);
    ck_assert_msg(now() - t0 < 2, "took %.1fs", now() - t0);
    HASNT(g, "AAAAAAAA");
    sg_buf_free(&g.all);
}
END_TEST

START_TEST(deep_xml_is_malformed)
{
    ck_assert_int_eq(mka_deepdocx(tmp("deep.docx")), 0);
    double t0 = now();
    struct got g = {0};
    ck_assert_uint_eq(extract_file(tmp("deep.docx"), "deep.docx", NULL, &g), SG_EXTRACT_MALFORMED);
    ck_assert_msg(now() - t0 < 2, "took %.1fs", now() - t0);
    HAS(g, "Text before the deep part.");
    HASNT(g, "Text at the bottom.");
    sg_buf_free(&g.all);
}
END_TEST

START_TEST(dtd_is_refused)
{
    /* billion laughs and an external entity: neither is expanded */
    static const char laughs[] =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE w:document [\n<!ENTITY a \"lollollollollollollollollollol\">\n"
        "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
        "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
        "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">\n"
        "<!ENTITY x SYSTEM \"file:///etc/passwd\">\n]>\n"
        "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>"
        "<w:p><w:r><w:t>&g;&x;</w:t></w:r></w:p></w:body></w:document>";
    ck_assert_int_eq(mka_docx_xml(tmp("laughs.docx"), laughs), 0);
    double t0 = now();
    struct got g = {0};
    ck_assert_uint_eq(extract_file(tmp("laughs.docx"), "laughs.docx", NULL, &g), SG_EXTRACT_MALFORMED);
    ck_assert_msg(now() - t0 < 2, "took %.1fs", now() - t0);
    HASNT(g, "lol");
    HASNT(g, "root:");
    sg_buf_free(&g.all);
}
END_TEST

START_TEST(budgets_set_budget)
{
    ck_assert_int_eq(write_text(mka_docx, "long.docx", "caf\xc3\xa9 caf\xc3\xa9 caf\xc3\xa9 caf\xc3\xa9 caf\xc3\xa9\n=== footer\nfooter\n"), 0);
    struct sg_extract_budget b;
    sg_extract_default_budget(&b);
    b.max_text = 9;   /* inside the second é */
    struct got g = {0};
    ck_assert_uint_eq(extract_file(tmp("long.docx"), "long.docx", &b, &g), SG_EXTRACT_BUDGET);
    ck_assert_int_eq(g.emits, 1);
    HAS(g, "[-]\ncaf\xc3\xa9 caf\n");
    ck_assert(g_utf8_validate(g.all.data, (gssize)g.all.len, NULL));
    HASNT(g, "footer");
    sg_buf_free(&g.all);

    /* entries: a three-file zip with room for two */
    ck_assert_int_eq(write_text(mka_csv, "1.csv", "one\n"), 0);
    ck_assert_int_eq(write_text(mka_csv, "2.csv", "two\n"), 0);
    ck_assert_int_eq(write_text(mka_csv, "3.csv", "three\n"), 0);
    char *a = sg_xstrdup(tmp("1.csv")), *c = sg_xstrdup(tmp("2.csv")), *d = sg_xstrdup(tmp("3.csv"));
    char *files[] = {a, c, d};
    ck_assert_int_eq(mka_zip(tmp("three.zip"), files, 3), 0);
    sg_extract_default_budget(&b);
    b.max_entries = 2;
    struct got e = {0};
    ck_assert_uint_eq(extract_file(tmp("three.zip"), "three.zip", &b, &e), SG_EXTRACT_BUDGET);
    HAS(e, "[1.csv]\none");
    HAS(e, "[2.csv]\ntwo");
    HASNT(e, "three");
    sg_buf_free(&e.all);

    /* input: 6 bytes, room for the first 5-byte entry only */
    sg_extract_default_budget(&b);
    b.max_input = 6;
    struct got i = {0};
    ck_assert_uint_eq(extract_file(tmp("three.zip"), "three.zip", &b, &i), SG_EXTRACT_BUDGET);
    HASNT(i, "three");
    sg_buf_free(&i.all);

    /* time: none at all */
    sg_extract_default_budget(&b);
    b.max_seconds = 0;
    struct got t = {0};
    ck_assert_uint_eq(extract_file(tmp("three.zip"), "three.zip", &b, &t), SG_EXTRACT_BUDGET);
    ck_assert_int_eq(t.emits, 0);
    sg_buf_free(&t.all);
    free(a);
    free(c);
    free(d);
}
END_TEST

START_TEST(caller_stop_is_not_budget)
{
    ck_assert_int_eq(write_text(mka_pdf, "three.pdf", "one\n===\ntwo\n===\nthree\n"), 0);
    struct got g = {.stop_after = 1};
    ck_assert_uint_eq(extract_file(tmp("three.pdf"), "three.pdf", NULL, &g), SG_EXTRACT_OK);
    ck_assert_int_eq(g.emits, 1);
    sg_buf_free(&g.all);
}
END_TEST

START_TEST(malformed_and_unknown)
{
    static const unsigned char junkzip[] = "PK\x03\x04 this is not really a zip";
    struct got g = {0};
    ck_assert_uint_eq(sg_extract_attachment(junkzip, sizeof(junkzip) - 1, "zip", "x.zip", NULL, collect, &g),
                      SG_EXTRACT_MALFORMED);
    static const unsigned char junkpdf[] = "%PDF-1.4\nnothing here\n";
    ck_assert_uint_eq(sg_extract_attachment(junkpdf, sizeof(junkpdf) - 1, "pdf", "x.pdf", NULL, collect, &g),
                      SG_EXTRACT_MALFORMED);
    static const unsigned char png[] = "\x89PNG\r\n\x1a\n....";
    ck_assert_uint_eq(sg_extract_attachment(png, sizeof(png) - 1, "png", "x.png", NULL, collect, &g), SG_EXTRACT_OK);
    ck_assert_uint_eq(sg_extract_attachment(NULL, 0, "pdf", "x.pdf", NULL, collect, &g), SG_EXTRACT_OK);
    ck_assert_int_eq(g.emits, 0);
    sg_buf_free(&g.all);
}
END_TEST

START_TEST(sniff_names)
{
    ck_assert_str_eq(sg_sniff_type((const unsigned char *)"PK\x03\x04word/", 9, NULL), "docx");
    ck_assert_str_eq(sg_sniff_type((const unsigned char *)"PK\x03\x04xl/", 7, NULL), "xlsx");
    ck_assert_str_eq(sg_sniff_type((const unsigned char *)"PK\x03\x04", 4, "a.pptx"), "pptx");
    ck_assert_str_eq(sg_sniff_type((const unsigned char *)"PK\x03\x04", 4, "a.zip"), "zip");
    ck_assert_str_eq(sg_sniff_type((const unsigned char *)"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8, "a.xls"), "ole");
    ck_assert_str_eq(sg_sniff_type((const unsigned char *)"a,b\n", 4, "a.CSV"), "csv");
    ck_assert_str_eq(sg_sniff_type((const unsigned char *)"a,b\n", 4, "a.txt"), "text");
    static const struct { const char *magic; size_t n; const char *type; } packed[] = {
        {"\x1f\x8b\x08", 3, "gzip"}, {"BZh9", 4, "bzip2"}, {"\xfd" "7zXZ\0", 6, "xz"},
        {"\x28\xb5\x2f\xfd", 4, "zstd"}, {"7z\xbc\xaf\x27\x1c", 6, "7z"}, {"Rar!\x1a\x07\x01", 7, "rar"},
        {"MSCF\0\0\0\0", 8, "cab"}, {"\x78\x9f\x3e\x22\x01\x00", 6, "tnef"}, {"{\\rtf1\\ansi", 11, "rtf"},
    };
    for (size_t i = 0; i < sizeof(packed) / sizeof(packed[0]); i++)
        ck_assert_str_eq(sg_sniff_type((const unsigned char *)packed[i].magic, packed[i].n, NULL), packed[i].type);
    unsigned char tar[512] = "notes.txt";
    memcpy(tar + 257, "ustar", 5);
    ck_assert_str_eq(sg_sniff_type(tar, sizeof(tar), NULL), "tar");
    /* a zip whose name says docx but whose directory says otherwise */
    ck_assert_int_eq(write_text(mka_csv, "plain.csv", "x\n"), 0);
    char *f = sg_xstrdup(tmp("plain.csv"));
    char *files[] = {f};
    ck_assert_int_eq(mka_zip(tmp("fake.docx"), files, 1), 0);
    ck_assert_str_eq(sniff_file(tmp("fake.docx"), "fake.docx"), "zip");
    free(f);
}
END_TEST

START_TEST(registry_and_names)
{
    const struct sg_extractor *const *all = sg_extractor_all();
    static const char *const want[] = {"text", "csv", "docx", "xlsx", "pptx", "odt", "ods", "odp", "pdf", "zip", "ole",
                                       "gzip", "bzip2", "xz", "zstd", "tar", "7z", "rar", "cab", "rtf", "tnef"};
    for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
        bool found = false;
        for (size_t i = 0; all[i]; i++) {
            ck_assert(all[i]->name && all[i]->doc && all[i]->run);
            for (size_t t = 0; all[i]->types[t]; t++)
                found |= !strcmp(all[i]->types[t], want[w]);
        }
        ck_assert_msg(found, "no extractor for %s", want[w]);
    }
    char s[64];
    sg_extract_status_names(0, s, sizeof(s));
    ck_assert_str_eq(s, "-");
    sg_extract_status_names(SG_EXTRACT_ENCRYPTED | SG_EXTRACT_BUDGET, s, sizeof(s));
    ck_assert_str_eq(s, "encrypted,budget");
    sg_extract_status_names(SG_EXTRACT_DEPTH | SG_EXTRACT_MALFORMED, s, sizeof(s));
    ck_assert_str_eq(s, "depth,malformed");
    struct sg_extract_budget b;
    sg_extract_default_budget(&b);
    ck_assert_uint_eq(b.max_text, 2u << 20);
    ck_assert_uint_eq(b.max_input, 64u << 20);
    ck_assert_uint_eq(b.max_depth, 3);
}
END_TEST

Suite *sg_suite_extract(void)
{
    Suite *s = suite_create("extract");
    TCase *tc = tcase_create("extract");
    tcase_add_unchecked_fixture(tc, make_tmpdir, remove_tmpdir);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, docx_parts_and_labels);
    tcase_add_test(tc, xlsx_sheets_rows_cells);
    tcase_add_test(tc, pptx_slides_and_notes);
    tcase_add_test(tc, odt_body_header_footer);
    tcase_add_test(tc, pdf_pages);
    tcase_add_test(tc, csv_and_text);
    tcase_add_test(tc, zip_entries_labelled);
    tcase_add_test(tc, legacy_doc_strings);
    tcase_add_test(tc, packed_files_are_read);
    tcase_add_test(tc, pdf_form_fields_and_comments);
    tcase_add_test(tc, docx_charts_and_embedded_workbooks);
    tcase_add_test(tc, gzbomb_stops_on_budget);
    tcase_add_test(tc, tnef_body_and_attachments);
    tcase_add_test(tc, rtf_reads_what_a_reader_sees);
    tcase_add_test(tc, encrypted_files);
    tcase_add_test(tc, zipbomb_stops_on_budget);
    tcase_add_test(tc, pdfbomb_stops_before_poppler);
    tcase_add_test(tc, lying_zip_is_malformed);
    tcase_add_test(tc, deep_xml_is_malformed);
    tcase_add_test(tc, dtd_is_refused);
    tcase_add_test(tc, budgets_set_budget);
    tcase_add_test(tc, caller_stop_is_not_budget);
    tcase_add_test(tc, malformed_and_unknown);
    tcase_add_test(tc, sniff_names);
    tcase_add_test(tc, registry_and_names);
    suite_add_tcase(s, tc);
    return s;
}
