/*
 * check_text.c - normalisation, the phrase matcher, and the engine's use
 * of both over a whole message and envelope.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check_suites.h"
#include "sg_engine.h"
#include "sg_text.h"
#include "../../policy/rxlit.h"

static char *norm(const char *s)
{
    struct sg_buf b = {0};
    ck_assert(sg_text_normalise(s, strlen(s), &b));
    return sg_buf_steal(&b);
}

START_TEST(normalise_folds_case_space_and_tricks)
{
    char *t = norm("  Child\tPROTECTION \n\n plan ");
    ck_assert_str_eq(t, "child protection plan ");
    free(t);
    t = norm("chi\xe2\x80\x8bld");               /* zero-width space */
    ck_assert_str_eq(t, "child");
    free(t);
    t = norm("\xef\xbd\x86\xef\xbd\x95" "ck");        /* full-width letters */
    ck_assert_str_eq(t, "fuck");
    free(t);
    t = norm("r\xc3\xa9sum\xc3\xa9");              /* accents stripped */
    ck_assert_str_eq(t, "resume");
    free(t);
    /* Cyrillic and Greek letters that look Latin read as Latin. */
    t = norm("w\xd0\xb0nker \xd0\xa1\xd0\x9e\xd0\xa0 \xce\xbf\xce\xba");
    ck_assert_str_eq(t, "wanker cop ok");
    free(t);
    /* Quotation marks of every kind read as ' and ". */
    t = norm("\xe2\x80\x9cX\xe2\x80\x9d \xe2\x80\x98Y\xe2\x80\x99 \xc2\xabZ\xc2\xbb");
    ck_assert_str_eq(t, "\"x\" 'y' \"z\"");
    free(t);
    t = norm("bad \xff byte");                     /* invalid UTF-8 survives */
    ck_assert_ptr_nonnull(strstr(t, "bad"));
    ck_assert_ptr_nonnull(strstr(t, "byte"));
    free(t);
}
END_TEST

/* policy/text.c's utf8proc-only path, kept as the reference the ASCII
 * fast path must equal byte for byte; not in sg_text.h on purpose. */
bool sg_text_normalise_reference(const char *in, size_t len, struct sg_buf *out);

/* Both paths over the same bytes, also after a non-empty prefix in out
 * (the engine appends block after block, and the fold looks at the last
 * byte already there). Returns whether they agree; prints the first
 * disagreement so a failure can be turned into a fixed case. */
static bool same_as_reference(const char *in, size_t len)
{
    static const char *prefixes[] = { NULL, "x", "x ", "x\n" };
    for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
        struct sg_buf a = {0}, b = {0};
        if (prefixes[p]) {
            sg_buf_puts(&a, prefixes[p]);
            sg_buf_puts(&b, prefixes[p]);
        }
        ck_assert(sg_text_normalise(in, len, &a));
        ck_assert(sg_text_normalise_reference(in, len, &b));
        bool same = a.len == b.len && memcmp(a.data, b.data, a.len) == 0 &&
                    a.data[a.len] == '\0';
        if (!same) {
            fprintf(stderr, "normalise differs from reference on %zu bytes:", len);
            for (size_t i = 0; i < len && i < 200; i++)
                fprintf(stderr, " %02x", (unsigned char)in[i]);
            fprintf(stderr, "\n  fast: %.*s\n  ref:  %.*s\n", (int)a.len, a.data,
                    (int)b.len, b.data);
        }
        sg_buf_free(&a);
        sg_buf_free(&b);
        if (!same)
            return false;
    }
    return true;
}

/* A fixed-seed generator, so a failure reproduces on every machine. */
static unsigned long long rng_state;
static unsigned rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state >> 16);
}

START_TEST(normalise_fast_path_edges)
{
    /* Where the ASCII table and utf8proc meet: each case once alone and,
     * through the prefixes, after earlier text. */
    static const char *cases[] = {
        "", " ", "  ", "\t", "\r\n", "\r", "\n\n", "A", "e\xcc\x81", "E\xcc\x81x",
        "\xcc\x81", "a \xcc\x81 b", "a\xe2\x80\x8b" "b", "a\xe2\x80\x8b\xe2\x80\x8c" "b",
        "\xe2\x80\x8b a", "a\xc2\xa0" "b", "a \xc2\xa0 b", "\xc2\xa0\xc2\xa0x", "a\xe2\x80\x83" "b",
        "a\r\xe2\x80\x8b\nb", "\r\xcc\x81\n", "a\x01" "b", " \x01 ", "a\x7f" "b",
        "a\xc2\x85" "b", "a\x0b\x0c" "b", "\xff", "a\xff" "b", "\xe2\x80", "a\xe2\x80" "b",
        "\xe2\x80 x", "\xf0\x9f\x98\x80", "hi \xf0\x9f\x98\x80 there", "<\xcc\xb8",
        "\xed\xa0\x80", "\xc0\x80", "\xef\xbb\xbf" "Dear", "Mr\xc2\xad" "Smith",
        "\xef\xbc\xa6uck", "caf\xc3\xa9 na\xc3\xafve", "\xe1\x84\x80\xe1\x85\xa1",
        "\xe1\x84\x80" "a\xe1\x85\xa1", "Stra\xc3\x9f" "e", "\xe2\x80\x98quote\xe2\x80\x99",
        "\xe2\x80\xa8line\xe2\x80\xa9", "x\xe3\x80\x80y",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_msg(same_as_reference(cases[i], strlen(cases[i])), "case %zu", i);
    /* Embedded NULs, which strlen would hide. */
    ck_assert(same_as_reference("a\0b", 3));
    ck_assert(same_as_reference("\0\xc3\xa9\0", 4));
    /* Every byte value alone and between letters. */
    for (int c = 0; c < 256; c++) {
        char one[3] = { 'a', (char)c, 'B' };
        ck_assert_msg(same_as_reference(one + 1, 1), "byte %02x", c);
        ck_assert_msg(same_as_reference(one, 3), "byte %02x in context", c);
    }
}
END_TEST

/* Every fixture of the corpus and the MIME tests, as raw bytes. */
static unsigned check_dir(const char *rel)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/%s", SRCDIR, rel);
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    unsigned files = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        struct sg_buf b = {0};
        char chunk[65536];
        size_t n;
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
            sg_buf_append(&b, chunk, n);
        fclose(f);
        ck_assert_msg(same_as_reference(b.data ? b.data : "", b.len), "%s", path);
        sg_buf_free(&b);
        files++;
    }
    closedir(d);
    return files;
}

START_TEST(normalise_fast_path_equals_reference_on_fixtures)
{
    ck_assert_uint_gt(check_dir("tests/corpus/mail"), 0);
    ck_assert_uint_gt(check_dir("tests/data/mime"), 0);
}
END_TEST

START_TEST(normalise_fast_path_equals_reference_on_random_text)
{
    /* Pieces a school mail is made of, and the ones that attack a
     * normaliser: precomposed and combining accents, zero-width and
     * other ignorables, Unicode spaces, controls, emoji, bad bytes. */
    static const char *pieces[] = {
        "a", "e", "E", "z", "Q", "0", " ", "  ", "\t", "\r\n", "\n", "\r", ".", "'", "-",
        "the ", "Child ", "PROTECTION", "\xc3\xa9", "\xc3\x89", "\xc3\xb1", "\xc3\xbc",
        "\xc3\x9f", "\xc3\xa5", "\xcc\x81", "\xcc\x88", "\xcc\xa7", "\xcc\xb8",
        "\xe2\x80\x8b", "\xe2\x80\x8c", "\xe2\x80\x8d", "\xe2\x81\xa0", "\xef\xbb\xbf",
        "\xc2\xad", "\xc2\xa0", "\xe2\x80\x83", "\xe2\x80\xaf", "\xe3\x80\x80", "\xc2\x85",
        "\xe2\x80\xa8", "\x01", "\x7f", "\x0b", "\x0c", "\x1b", "\xf0\x9f\x98\x80",
        "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", "\xe2\x9d\xa4\xef\xb8\x8f", "\xef\xbd\x86",
        "\xef\xac\x81", "\xe2\x84\xa2", "\xe2\x80\x99", "\xe2\x80\x94", "\xe1\x84\x80",
        "\xe1\x85\xa1", "\xea\xb0\x80", "\xd0\x9f", "\xce\xa3", "\xff", "\xc3", "\xe2\x80",
        "\xf0\x9f\x98", "\x80", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80",
    };
    const size_t npieces = sizeof(pieces) / sizeof(pieces[0]);
    char buf[256];
    rng_state = 0x5eed5afe6a4dULL;
    for (int round = 0; round < 150000; round++) {
        size_t len = 0;
        if (round % 3 == 0) {
            /* Random bytes, biased to ASCII so runs meet stretches. */
            size_t n = rng() % 40;
            for (size_t i = 0; i < n; i++) {
                unsigned r = rng();
                buf[len++] = (char)(r % 4 ? r >> 8 & 0x7f : r >> 8 & 0xff);
            }
        } else {
            size_t n = rng() % 24;
            for (size_t i = 0; i < n; i++) {
                const char *p = pieces[rng() % npieces];
                size_t pl = strlen(p);
                if (len + pl > sizeof(buf))
                    break;
                memcpy(buf + len, p, pl);
                len += pl;
            }
        }
        ck_assert_msg(same_as_reference(buf, len), "round %d", round);
    }
}
END_TEST

START_TEST(evidence_cut_on_character_edge)
{
    struct sg_buf b = {0};
    sg_evidence_quote(&b, "phrase", "ab\xc3\xa9" "cd", 6, 3);      /* "abé..." cut inside é */
    ck_assert_str_eq(b.data, "phrase \"ab\"");
    b.len = 0;
    sg_evidence_quote(&b, "phrase", "abc", 3, 50);
    ck_assert_str_eq(b.data, "phrase \"abc\"");
    sg_buf_free(&b);
}
END_TEST

static int collect_offsets(const char *m, size_t mlen, void *ctx)
{
    sg_buf_printf(ctx, "%zu+%zu ", (size_t)(uintptr_t)m, mlen);
    return 0;
}

/* Windows around anchors find exactly what a whole pass finds, when every
 * match lies near an anchor: joined windows report nothing twice. */
START_TEST(rx_near_anchors_equals_whole_pass)
{
    char err[128];
    struct sg_rx *rx = sg_rx_new("(?<![a-z])[a-z]+@[a-z]+\\.com", err, sizeof(err), NULL);
    ck_assert_ptr_nonnull(rx);
    const char *text = "mail jo@a.com or al@b.com, then much later xx@c.com and see@d.com";
    size_t len = strlen(text), anchors[8], n = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '@')
            anchors[n++] = i + 1;
    struct sg_buf whole = {0}, near = {0}, tight = {0};
    ck_assert_int_eq(sg_rx_each(rx, text, len, collect_offsets, &whole), 0);
    ck_assert_int_eq(sg_rx_each_near(rx, text, len, anchors, n, 512, 64, collect_offsets, &near), 0);
    ck_assert_str_eq(whole.data, near.data);
    /* Small windows, each its own stretch: still every match, once. */
    ck_assert_int_eq(sg_rx_each_near(rx, text, len, anchors, n, 8, 2, collect_offsets, &tight), 0);
    ck_assert_str_eq(whole.data, tight.data);
    /* No anchors: nothing read. */
    ck_assert_int_eq(sg_rx_each_near(rx, text, len, anchors, 0, 8, 2, collect_offsets, NULL), 0);
    sg_buf_free(&whole);
    sg_buf_free(&near);
    sg_buf_free(&tight);
    sg_rx_free(rx);
}
END_TEST

/* "a|b|c" from a list of phrases, which it frees; NULL for none. */
static char *joined_strv(char **v)
{
    if (!v)
        return NULL;
    struct sg_buf b = {0};
    for (size_t i = 0; v[i]; i++)
        sg_buf_printf(&b, "%s%s", i ? "|" : "", v[i]);
    sg_strv_free(v);
    return sg_buf_steal(&b);
}

static char *joined_lits(const char *pattern, unsigned *edges)
{
    return joined_strv(sg_rxlit_expand(pattern, 64, edges));
}

/* Finite list regexes become their phrases; anything else stays a regex. */
START_TEST(rxlit_expands_only_finite_patterns)
{
    unsigned e = 9;
    char *got = joined_lits("\\b(newsdesk|news desk|Editor)\\b", &e);
    ck_assert_str_eq(got, "newsdesk|news desk|editor");
    ck_assert_uint_eq(e, 3);
    free(got);
    got = joined_lits("\\b(the )?northshire (?:gazette|echo)\\b", &e);
    ck_assert_str_eq(got, "the northshire gazette|the northshire echo|northshire gazette|northshire echo");
    free(got);
    got = joined_lits("\\bfoo\\.com", &e);
    ck_assert_str_eq(got, "foo.com");
    ck_assert_uint_eq(e, 1);
    free(got);
    got = joined_lits("on\\s+the record", &e);
    ck_assert_str_eq(got, "on the record");
    ck_assert_uint_eq(e, 0);
    free(got);
    static const char *const not_finite[] = {
        "[^a]b", "[\\w]x", "(?<!think )lies", "a+b", "a.b", "foo\\bbar", "x{2}", "\\d\\d",
        "(a|)", "\\b-x\\b", "(ab", "ab)", "(?i)ab", "caf\xc3\xa9", "a??",
    };
    for (size_t i = 0; i < sizeof(not_finite) / sizeof(*not_finite); i++)
        ck_assert_msg(!sg_rxlit_expand(not_finite[i], 64, &e), "%s read as phrases", not_finite[i]);
    /* More phrases than allowed: stays a regex. */
    ck_assert_ptr_null(sg_rxlit_expand("(a|b)(c|d)(e|f)(g|h)(i|j)(k|l)(m|n)", 64, &e));
    /* Classes of characters and ranges spell one phrase a character. */
    got = joined_lits("\\b(yr|y) ?(1[0-2]|[8-9])\\b", &e);
    ck_assert_str_eq(got, "yr 10|yr 11|yr 12|yr 8|yr 9|yr10|yr11|yr12|yr8|yr9|y 10|y 11|y 12|y 8|y 9|y10|y11|y12|y8|y9");
    ck_assert_uint_eq(e, 3);
    free(got);
    got = joined_lits("section [BfI\\d]", &e);
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, "section b|section f|section i|section 0|section 1|section 2|section 3|section 4|"
                          "section 5|section 6|section 7|section 8|section 9");
    free(got);
}
END_TEST

/* What every match of a look-around pattern ends with, for Hyperscan to
 * find its candidates by. */
START_TEST(rxlit_tail_of_lookaround_patterns)
{
    static const struct {
        const char *pattern, *tail;
        unsigned edges;
    } cases[] = {
        {"(?<!not )\\b(?:you are|ur) (?:(?:so|a) )*(?:useless|a joke)\\b", "useless|a joke", 2},
        {"\\b(?:you|u) (?:prick|twat)s?\\b(?! ?(?:your|my)\\b)",
         "you pricks|you prick|you twats|you twat|u pricks|u prick|u twats|u twat", 3},
        {"(?<!en )\\bretards?\\b", "retards|retard", 3},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        unsigned e = 9;
        char *got = joined_strv(sg_rxlit_tail(cases[i].pattern, 64, 3, &e));
        ck_assert_msg(got && !strcmp(got, cases[i].tail), "%s: tail %s", cases[i].pattern, got ? got : "none");
        ck_assert_uint_eq(e, cases[i].edges);
        free(got);
    }
    unsigned e;
    /* "|" at the top, an end that repeats, or a tail too short: none. */
    static const char *const none[] = {"(?<!a)b|c", "(?<!a)x+", "(?<!a) (x|y)\\b", "(?<!a)foo[a-z]{2,}"};
    for (size_t i = 0; i < sizeof(none) / sizeof(*none); i++)
        ck_assert_msg(!sg_rxlit_tail(none[i], 64, 3, &e), "%s gave a tail", none[i]);
}
END_TEST

START_TEST(matcher_word_boundaries)
{
    struct sg_matcher *m = sg_matcher_new();
    unsigned cp = sg_matcher_add_phrase(m, "Child Protection Plan");
    unsigned ass = sg_matcher_add_phrase(m, "ass");
    unsigned ft = sg_matcher_add_phrase(m, "fixed-term exclusion");
    ck_assert_uint_eq(sg_matcher_add_phrase(m, "child protection plan"), cp);
    char err[256];
    ck_assert_msg(sg_matcher_compile(m, err, sizeof(err)), "%s", err);
    unsigned char hits[3];
    const char *t1 = "the child protection plan is attached; a class assembly";
    memset(hits, 0, sizeof(hits));
    ck_assert(sg_matcher_scan(m, t1, strlen(t1), hits));
    ck_assert_int_eq(hits[cp], 1);
    ck_assert_int_eq(hits[ass], 0);                /* not inside "class" or "assembly" */
    const char *t2 = "a fixed term exclusion";
    memset(hits, 0, sizeof(hits));
    ck_assert(sg_matcher_scan(m, t2, strlen(t2), hits));
    ck_assert_int_eq(hits[ft], 1);
    sg_matcher_free(m);
}
END_TEST

static struct sg_message *parse(const char *raw)
{
    struct sg_message_limits lim;
    sg_message_default_limits(&lim);
    char err[128];
    struct sg_message *m = sg_message_parse_mem(raw, strlen(raw), &lim, err, sizeof(err));
    ck_assert_ptr_nonnull(m);
    return m;
}

START_TEST(engine_scopes_rules_by_recipient_class)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/contrib/example-policy.yaml", SRCDIR);
    char *errors = NULL;
    struct sg_policy *p = sg_policy_load(path, &errors);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    struct sg_message *m = parse("From: a@northfield.sch.uk\nSubject: Review\n\n"
                                 "Attached is the Child Protection Plan for R. in Year 9.\n");
    char *rcpts[] = {"colleague@northfield.sch.uk", "parent@gmail.com", NULL};
    struct sg_envelope env = {.mail_from = "a@northfield.sch.uk", .rcpts = rcpts};
    struct sg_verdict v;
    sg_verdict_init(&v, 2);
    sg_engine_evaluate(p, &env, m, &v);
    ck_assert_int_eq(v.action, SG_ACTION_QUARANTINE);
    ck_assert_uint_eq(v.nhits, 1);
    ck_assert(!v.hits[0].rcpt_on[0]);
    ck_assert(v.hits[0].rcpt_on[1]);
    ck_assert_ptr_nonnull(strstr(v.hits[0].evidence, "child protection plan"));
    sg_verdict_clear(&v);

    char *internal[] = {"colleague@northfield.sch.uk", NULL};
    env.rcpts = internal;
    sg_verdict_init(&v, 1);
    sg_engine_evaluate(p, &env, m, &v);
    ck_assert_int_eq(v.action, SG_ACTION_ACCEPT);
    ck_assert_uint_eq(v.nhits, 0);
    sg_verdict_clear(&v);
    sg_message_free(m);
    sg_policy_unref(p);
}
END_TEST

START_TEST(engine_limit_never_clean_accept)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/contrib/example-policy.yaml", SRCDIR);
    struct sg_policy *p = sg_policy_load(path, NULL);
    ck_assert_ptr_nonnull(p);
    struct sg_message *m = parse("Subject: hi\n\nhello\n");
    m->limits_hit |= SG_LIMIT_DEPTH;
    char *rcpts[] = {"x@example.com", NULL};
    struct sg_envelope env = {.mail_from = "a@northfield.sch.uk", .rcpts = rcpts};
    struct sg_verdict v;
    sg_verdict_init(&v, 1);
    sg_engine_evaluate(p, &env, m, &v);
    ck_assert_int_eq(v.action, p->limits.on_limit);
    ck_assert_int_ne(v.action, SG_ACTION_ACCEPT);
    sg_verdict_clear(&v);
    sg_message_free(m);
    sg_policy_unref(p);
}
END_TEST

Suite *sg_suite_text(void)
{
    Suite *s = suite_create("text");
    TCase *tc = tcase_create("text");
    tcase_add_test(tc, normalise_folds_case_space_and_tricks);
    tcase_add_test(tc, rx_near_anchors_equals_whole_pass);
    tcase_add_test(tc, rxlit_expands_only_finite_patterns);
    tcase_add_test(tc, rxlit_tail_of_lookaround_patterns);
    tcase_add_test(tc, normalise_fast_path_edges);
    tcase_add_test(tc, normalise_fast_path_equals_reference_on_fixtures);
    tcase_add_test(tc, evidence_cut_on_character_edge);
    tcase_add_test(tc, matcher_word_boundaries);
    tcase_add_test(tc, engine_scopes_rules_by_recipient_class);
    tcase_add_test(tc, engine_limit_never_clean_accept);
    suite_add_tcase(s, tc);
    /* A few hundred thousand comparisons: seconds, longer under ASan. */
    TCase *eq = tcase_create("fast-path-equality");
    tcase_set_timeout(eq, 120);
    tcase_add_test(eq, normalise_fast_path_equals_reference_on_random_text);
    suite_add_tcase(s, eq);
    return s;
}
