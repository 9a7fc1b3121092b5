/*
 * check_pupil_names.c - pupils' names from the directory: each written
 * form found, names of ordinary words not alone, quoted history ignored,
 * evidence without names, a parent hearing about their own child, mail
 * about one pupil sent to another pupil's parent (misdirected), and the
 * directory's optional columns and contacts file.
 *
 * The directory is tests/corpus/directory (fictional pupils). Most scans
 * are built here from segments (so a test says which text is quoted or
 * an attachment's) and the policy's own matcher; the last tests go
 * through the engine with whole messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check_suites.h"
#include "sg_detector.h"
#include "sg_engine.h"
#include "sg_policy.h"
#include "sg_text.h"

#define CORPUS_DIR SRCDIR "/tests/corpus/directory"
#define NAME_WORDS SRCDIR "/contrib/lists/name-words.txt"

/* A policy over the corpus directory with one rule "r", to: outside,
 * whose match: is the given YAML flow mapping. */
static struct sg_policy *load_match(const char *match, char **errors)
{
    struct sg_buf y = {0};
    sg_buf_printf(&y, "school:\n  name: T\n  staff_domains: [northfield.sch.uk]\n"
                      "  pupil_domains: [pupils.northfield.sch.uk]\n"
                      "directory:\n  pupils: " CORPUS_DIR "/pupils.csv\n  contacts: " CORPUS_DIR "/contacts.csv\n"
                      "rules:\n  - id: r\n    category: personal-data\n    to: [outside]\n    action: quarantine\n"
                      "    cite: c\n    match: %s\n", match);
    struct sg_policy *p = sg_test_load_yaml(y.data, errors, NULL);
    sg_buf_free(&y);
    return p;
}

static struct sg_policy *load_ok(const char *match)
{
    char *errors = NULL;
    struct sg_policy *p = load_match(match, &errors);
    ck_assert_msg(p != NULL, "%s: %s", match, errors ? errors : "");
    free(errors);
    return p;
}

struct seg {
    const char *text;
    enum sg_seg_source source;
    const char *label;
    bool quoted;
};

/* Runs rule "r" of p over the segments for the recipients; returns the
 * evidence when every condition found something (caller frees), NULL
 * otherwise; on[] (when not NULL) gets which recipients the hit names. */
static char *run(const struct sg_policy *p, const struct seg *segs, size_t nsegs, const char *const *rcpts,
                 bool *on_out)
{
    struct sg_buf text = {0};
    struct sg_segment *sv = sg_xcalloc(nsegs, sizeof(*sv));
    for (size_t i = 0; i < nsegs; i++) {
        size_t off = text.len;
        ck_assert(sg_text_normalise(segs[i].text, strlen(segs[i].text), &text));
        sg_buf_append(&text, "\n", 1);
        sv[i] = (struct sg_segment){segs[i].source, 0, segs[i].label, off, text.len - off, segs[i].quoted};
    }
    size_t nrcpt = 0;
    while (rcpts[nrcpt])
        nrcpt++;
    char **rv = sg_xcalloc(nrcpt + 1, sizeof(char *));
    for (size_t i = 0; i < nrcpt; i++)
        rv[i] = (char *)rcpts[i];
    enum sg_rclass *rclass = sg_xcalloc(nrcpt + 1, sizeof(*rclass));
    const struct sg_person **who = sg_xcalloc(nrcpt + 1, sizeof(*who));
    for (size_t i = 0; i < nrcpt; i++)
        rclass[i] = sg_policy_classify_person(p, rcpts[i], &who[i]);
    struct sg_envelope env = {.mail_from = "jo.smith@northfield.sch.uk", .rcpts = rv};
    size_t nmatches;
    struct sg_match *matches;
    unsigned char *hits = sg_xcalloc(sg_matcher_count(p->matcher) + 1, 1);
    ck_assert(sg_matcher_scan_all(p->matcher, text.data, text.len, hits, &matches, &nmatches, 100000, NULL));
    struct sg_scan scan = {.policy = p, .env = &env, .text = text.data, .text_len = text.len, .rclass = rclass,
                           .nrcpt = nrcpt, .rcpt_person = who, .segs = sv, .nsegs = nsegs,
                           .matches = matches, .nmatches = nmatches, .pattern_hits = hits};
    const struct sg_rule *r = &p->rules[0];
    bool *on = sg_xcalloc(nrcpt + 1, sizeof(bool));
    for (size_t i = 0; i < nrcpt; i++)
        on[i] = !r->to_mask || (r->to_mask & SG_RCLASS_BIT(rclass[i]));
    struct sg_buf ev = {0};
    bool hit = true;
    for (size_t c = 0; c < r->nconds && hit; c++) {
        struct sg_finding f = {.rcpt_on = on, .nrcpt = nrcpt};
        int rc = r->conds[c].det->scan(r->conds[c].state, &scan, &f);
        ck_assert_int_ge(rc, 0);
        hit = rc == 1;
        if (f.evidence.len)
            sg_buf_printf(&ev, "%s%s", ev.len ? "; " : "", f.evidence.data);
        sg_buf_free(&f.evidence);
    }
    if (on_out)
        memcpy(on_out, on, nrcpt * sizeof(bool));
    free(on);
    free(matches);
    free(hits);
    free(who);
    free(rclass);
    free(rv);
    free(sv);
    sg_buf_free(&text);
    if (!hit) {
        sg_buf_free(&ev);
        return NULL;
    }
    return ev.data ? sg_buf_steal(&ev) : sg_xstrdup("");
}

static const char *const stranger[] = {"someone@example.com", NULL};

/* One body segment, to an outside stranger. */
static char *body(const struct sg_policy *p, const char *text)
{
    struct seg s = {text, SG_SEG_BODY, NULL, false};
    return run(p, &s, 1, stranger, NULL);
}

static void expect(const struct sg_policy *p, const char *text, bool hit)
{
    char *ev = body(p, text);
    ck_assert_msg((ev != NULL) == hit, "\"%s\": %s, expected %s (evidence \"%s\")", text, ev ? "hit" : "no hit",
                  hit ? "a hit" : "none", ev ? ev : "");
    free(ev);
}

START_TEST(directory_keeps_name_parts)
{
    struct sg_policy *p = load_ok("{pupil_names: {ordinary_words: " NAME_WORDS "}}");
    const struct sg_person *a = sg_directory_lookup(p->directory, "amelia.clarke@pupils.northfield.sch.uk", NULL);
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(a->forename, "Amelia");
    ck_assert_str_eq(a->surname, "Clarke");
    ck_assert_str_eq(a->preferred, "Millie");
    ck_assert_str_eq(a->middle, "");
    ck_assert_str_eq(a->name, "Amelia Clarke");      /* the joined name is unchanged */
    const struct sg_person *k = sg_directory_lookup(p->directory, "kemi.okoro@pupils.northfield.sch.uk", NULL);
    ck_assert_str_eq(k->middle, "Adaeze");
    ck_assert_str_eq(k->preferred, "");
    const struct sg_person *e = sg_directory_lookup(p->directory, "ethan.fraser@pupils.northfield.sch.uk", NULL);
    ck_assert_str_eq(e->surname, "Fraser, Jnr");
    ck_assert_ptr_eq(sg_directory_by_upn(p->directory, "a801200002002"),
                     sg_directory_lookup(p->directory, "oliver.wright@pupils.northfield.sch.uk", NULL));
    ck_assert_ptr_null(sg_directory_by_upn(p->directory, "A801200009999"));
    ck_assert_uint_eq(sg_directory_contact_rows(p->directory), 18);
    size_t n;
    const struct sg_contact *const *c = sg_directory_contacts(p->directory, "Nan.Wright@AOL.com", &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(c[0]->pupil->email, "oliver.wright@pupils.northfield.sch.uk");
    ck_assert_str_eq(c[0]->relation, "grandmother");
    ck_assert(!c[0]->responsibility);
    c = sg_directory_contacts(p->directory, "karen.clarke@gmail.com", &n);
    ck_assert_uint_eq(n, 1);
    ck_assert(c[0]->responsibility);
    ck_assert_ptr_null(sg_directory_contacts(p->directory, "someone@example.com", &n));
    ck_assert_uint_eq(n, 0);
    sg_policy_unref(p);
}
END_TEST

START_TEST(each_written_form_found)
{
    struct sg_policy *p = load_ok("{pupil_names: {ordinary_words: " NAME_WORDS "}}");
    static const char *const yes[] = {
        "Amelia Clarke did well today",              /* forename surname */
        "Millie Clarke did well today",              /* preferred surname */
        "I spoke to Kemi Adaeze Okoro's tutor",      /* forename middle surname */
        "Clarke, Amelia - attendance 92%",           /* surname, forename */
        "CLARKE Amelia  9B",                         /* SURNAME Forename, a list's style */
        "Ethan Fraser was absent",                   /* ", Jnr" is not how people write it */
        "Gracie Chester came second",                /* a preferred name that is not a word */
        "Poppy Walsh helped tidy up",                /* one part not an ordinary word */
        "Jack Thompson",
        "A. Clarke, year 9, missed the bus",         /* an initial, with a second signal */
        "the pupil Z. Hussain",
    };
    static const char *const no[] = {
        "Amelia did well today",                     /* a forename alone is not a name here */
        "Mrs Clarke called",
        "A. Clarke called about the boiler",         /* an initial alone */
        "write to amelia.clarke@pupils.northfield.sch.uk",  /* an address */
        "the pupil's father is a.clarke@example.com",       /* an address, not "A. Clarke" */
        "Amelia Clarkeson",                          /* whole words only */
        "Oliver Twist",
    };
    for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
        expect(p, yes[i], true);
    for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
        expect(p, no[i], false);
    sg_policy_unref(p);
}
END_TEST

START_TEST(ordinary_word_names_not_alone)
{
    struct sg_policy *p = load_ok("{pupil_names: {ordinary_words: " NAME_WORDS "}}");
    expect(p, "We walked up Rose Hill on Saturday", false);
    expect(p, "Lily Green is lovely in spring", false);
    expect(p, "Grace Chester is on the way to Wales", false);
    expect(p, "the rose hill garden", false);
    expect(p, "Rose Hill (year 8) was upset at lunch", true);
    expect(p, "Lily Green, a pupil in 8C", true);
    expect(p, "Rose Hill sits next to Amelia Clarke", true);    /* another pupil's name */
    expect(p, "We walk up Rose Hill and past Lily Green", false);   /* two places prove nothing */
    expect(p, "Rose Hill and Lily Green, both in year 8", true);
    expect(p, "Rose Hill, with A. Clarke", false);                  /* an initial is no signal */
    expect(p, "Grace Chester DOB 02/02/2014", true);
    expect(p, "Rose Hill A801200002011", true);                 /* her UPN */
    /* A second signal far away does not count. */
    struct sg_buf far = {0};
    sg_buf_puts(&far, "Rose Hill is steep. ");
    for (int i = 0; i < 30; i++)
        sg_buf_puts(&far, "and then the path goes on. ");
    sg_buf_puts(&far, "The pupils loved it.");
    expect(p, far.data, false);
    sg_buf_free(&far);
    sg_policy_unref(p);
    /* Without the list, a name of ordinary words counts alone. */
    p = load_ok("{pupil_names: {ordinary_words: \"\"}}");
    expect(p, "We walked up Rose Hill on Saturday", true);
    sg_policy_unref(p);
    /* A shorter near: the same signal is too far. */
    p = load_ok("{pupil_names: {ordinary_words: " NAME_WORDS ", near: 5}}");
    expect(p, "Rose Hill (year 8)", true);
    expect(p, "Rose Hill was upset at lunch in year 8", false);
    sg_policy_unref(p);
}
END_TEST

START_TEST(quoted_text_and_display_names_ignored)
{
    struct sg_policy *p = load_ok("{pupil_names: {ordinary_words: " NAME_WORDS "}}");
    struct seg s[] = {
        {"Thank you, I will look into it.", SG_SEG_BODY, NULL, false},
        {"On Monday Karen wrote:\n> Oliver Wright keeps pushing Amelia Clarke", SG_SEG_BODY, NULL, true},
    };
    char *ev = run(p, s, 2, stranger, NULL);
    ck_assert_msg(ev == NULL, "quoted names counted: %s", ev);
    s[0].text = "Thank you, I will speak to Oliver Wright.";
    ev = run(p, s, 2, stranger, NULL);
    ck_assert_ptr_nonnull(ev);
    ck_assert_msg(strstr(ev, "1 pupil named"), "%s", ev);
    free(ev);
    /* Display names in the headers are addressing, not what was written. */
    struct seg h[] = {
        {"Amelia Clarke Oliver Wright", SG_SEG_HEADERS, NULL, false},
        {"Please bring your PE kit on Tuesday.", SG_SEG_BODY, NULL, false},
    };
    ev = run(p, h, 2, stranger, NULL);
    ck_assert_msg(ev == NULL, "display names counted: %s", ev);
    h[1].source = SG_SEG_SUBJECT;
    h[1].text = "Amelia Clarke";
    ev = run(p, h, 2, stranger, NULL);
    ck_assert_ptr_nonnull(ev);
    ck_assert_msg(strstr(ev, "1 pupil named, in the subject"), "%s", ev);
    free(ev);
    sg_policy_unref(p);
    p = load_ok("{pupil_names: {ordinary_words: " NAME_WORDS ", quoted: true}}");
    s[0].text = "Thank you, I will look into it.";
    ev = run(p, s, 2, stranger, NULL);
    ck_assert_ptr_nonnull(ev);
    ck_assert_msg(strstr(ev, "2 pupils named, in quoted text"), "%s", ev);
    free(ev);
    sg_policy_unref(p);
}
END_TEST

START_TEST(evidence_counts_and_where)
{
    struct sg_policy *p = load_ok("{pupil_names: {ordinary_words: " NAME_WORDS ", min: 2}}");
    struct seg s[] = {
        {"class list attached", SG_SEG_SUBJECT, NULL, false},
        {"Please see the attached.", SG_SEG_BODY, NULL, false},
        {"Clarke, Amelia\t9\nWright, Oliver\t11\nHill, Rose\t8\nClarke, Amelia\t9", SG_SEG_ATTACHMENT,
         "class-list.xlsx, sheet 1", false},
    };
    char *ev = run(p, s, 3, stranger, NULL);
    ck_assert_ptr_nonnull(ev);
    ck_assert_msg(strstr(ev, "3 pupils named") && strstr(ev, "in class-list.xlsx, sheet 1") &&
                  strstr(ev, "(1 only with corroboration)"), "%s", ev);
    static const char *const never[] = {"amelia", "Amelia", "clarke", "Clarke", "oliver", "wright", "rose", "hill"};
    for (size_t i = 0; i < sizeof(never) / sizeof(*never); i++)
        ck_assert_msg(!strstr(ev, never[i]), "evidence \"%s\" names \"%s\"", ev, never[i]);
    free(ev);
    /* min counts distinct pupils: one pupil twice is one. */
    expect(p, "Amelia Clarke, and again Amelia Clarke", false);
    expect(p, "Amelia Clarke and Millie Clarke", false);        /* the same pupil */
    expect(p, "Amelia Clarke and Oliver Wright", true);
    sg_policy_unref(p);
}
END_TEST

START_TEST(with_terms_required)
{
    struct sg_policy *p = load_ok("{pupil_names: {ordinary_words: " NAME_WORDS ", with: [report, grades]}}");
    expect(p, "Amelia Clarke did well today", false);
    expect(p, "Amelia Clarke's report is attached", true);
    expect(p, "Grades: Oliver Wright B", true);
    expect(p, "Rose Hill report", true);
    sg_policy_unref(p);
}
END_TEST

START_TEST(own_child_to_own_contact_passes)
{
    struct sg_policy *p = load_ok("{pupil_names: {ordinary_words: " NAME_WORDS "}}");
    struct seg s = {"Amelia Clarke was a star in the play today.", SG_SEG_BODY, NULL, false};
    const char *const mum[] = {"karen.clarke@gmail.com", NULL};
    char *ev = run(p, &s, 1, mum, NULL);
    ck_assert_msg(ev == NULL, "own child to her mother: %s", ev);
    /* Both parents and a stranger: only the stranger is named. */
    const char *const three[] = {"karen.clarke@gmail.com", "steve.clarke@btinternet.com", "someone@example.com", NULL};
    bool on[3];
    ev = run(p, &s, 1, three, on);
    ck_assert_ptr_nonnull(ev);
    ck_assert(!on[0] && !on[1] && on[2]);
    free(ev);
    /* Another pupil named too: the mother is named. */
    s.text = "Amelia Clarke and Oliver Wright were in the play today.";
    ev = run(p, &s, 1, mum, on);
    ck_assert_ptr_nonnull(ev);
    ck_assert(on[0]);
    free(ev);
    /* The pupil's own personal address, hearing about herself. */
    s.text = "Amelia Clarke: your certificate is attached.";
    const char *const self[] = {"millie.clarke2011@gmail.com", NULL};
    ev = run(p, &s, 1, self, NULL);
    ck_assert_msg(ev == NULL, "a pupil hearing about herself: %s", ev);
    /* A grandmother without parental responsibility: by default a contact. */
    s.text = "Oliver Wright was a star today.";
    const char *const nan[] = {"nan.wright@aol.com", NULL};
    ev = run(p, &s, 1, nan, NULL);
    ck_assert_msg(ev == NULL, "listed grandmother: %s", ev);
    sg_policy_unref(p);
    p = load_ok("{pupil_names: {ordinary_words: " NAME_WORDS ", contacts_need_responsibility: true}}");
    ev = run(p, &s, 1, nan, NULL);
    ck_assert_ptr_nonnull(ev);
    free(ev);
    sg_policy_unref(p);
    p = load_ok("{pupil_names: {ordinary_words: " NAME_WORDS ", except_own_contacts: false}}");
    s.text = "Amelia Clarke was a star in the play today.";
    ev = run(p, &s, 1, mum, NULL);
    ck_assert_ptr_nonnull(ev);
    free(ev);
    sg_policy_unref(p);
}
END_TEST

START_TEST(misdirected_both_ways)
{
    struct sg_policy *p = load_ok("{misdirected_pupil_data: {ordinary_words: " NAME_WORDS "}}");
    const char *const mum_and_stranger[] = {"karen.clarke@gmail.com", "someone@example.com", NULL};
    bool on[2];
    struct seg s = {"Oliver Wright pushed a boy in the lunch queue.", SG_SEG_BODY, NULL, false};
    char *ev = run(p, &s, 1, mum_and_stranger, on);
    ck_assert_ptr_nonnull(ev);
    ck_assert(on[0] && !on[1]);                  /* a stranger is not a contact */
    ck_assert_msg(strstr(ev, "names a pupil who is not this contact's child (1 recipient), in the message text"), "%s", ev);
    ck_assert_msg(!strstr(ev, "liver") && !strstr(ev, "right"), "%s", ev);
    free(ev);
    /* Her own child: passes. */
    s.text = "Amelia Clarke was a star in the play.";
    ev = run(p, &s, 1, mum_and_stranger, NULL);
    ck_assert_msg(ev == NULL, "own child: %s", ev);
    s.text = "Millie Clarke and Amelia Clarke";
    ev = run(p, &s, 1, mum_and_stranger, NULL);
    ck_assert_msg(ev == NULL, "own child, two forms: %s", ev);
    /* Her child and another. */
    s.text = "Amelia Clarke and Zara Hussain fell out at break.";
    ev = run(p, &s, 1, mum_and_stranger, on);
    ck_assert_ptr_nonnull(ev);
    ck_assert(on[0]);
    free(ev);
    /* Identified by UPN alone. */
    s.text = "Re the transfer of A801200002002";
    ev = run(p, &s, 1, mum_and_stranger, NULL);
    ck_assert_ptr_nonnull(ev);
    free(ev);
    s.text = "Re the transfer of A801200002001";  /* her own child's */
    ev = run(p, &s, 1, mum_and_stranger, NULL);
    ck_assert_msg(ev == NULL, "own child's UPN: %s", ev);
    /* The parent's own words quoted back do not count. */
    struct seg q[] = {
        {"Thank you, I will look into it.", SG_SEG_BODY, NULL, false},
        {"> Oliver Wright keeps pushing her", SG_SEG_BODY, NULL, true},
    };
    ev = run(p, q, 2, mum_and_stranger, NULL);
    ck_assert_msg(ev == NULL, "quoted: %s", ev);
    /* An ordinary-word name alone is no disclosure; with a signal it is. */
    s.text = "We walked up Rose Hill.";
    ev = run(p, &s, 1, mum_and_stranger, NULL);
    ck_assert_msg(ev == NULL, "place: %s", ev);
    s.text = "Rose Hill in year 8 was upset.";
    ev = run(p, &s, 1, mum_and_stranger, NULL);
    ck_assert_ptr_nonnull(ev);
    free(ev);
    /* Two parents of different pupils: each is named for the other's child. */
    const char *const two[] = {"karen.clarke@gmail.com", "dan.bailey@gmail.com", NULL};
    s.text = "Amelia Clarke and Chloe Bailey were late.";
    ev = run(p, &s, 1, two, on);
    ck_assert_ptr_nonnull(ev);
    ck_assert(on[0] && on[1]);
    ck_assert_msg(strstr(ev, "(2 recipients)"), "%s", ev);
    free(ev);
    s.text = "Chloe Bailey was late.";
    ev = run(p, &s, 1, two, on);
    ck_assert_ptr_nonnull(ev);
    ck_assert(on[0] && !on[1]);
    free(ev);
    /* A contact without parental responsibility. */
    const char *const nan[] = {"nan.wright@aol.com", NULL};
    s.text = "Oliver Wright was a star today.";
    ev = run(p, &s, 1, nan, NULL);
    ck_assert_msg(ev == NULL, "grandmother, default: %s", ev);
    sg_policy_unref(p);
    p = load_ok("{misdirected_pupil_data: {ordinary_words: " NAME_WORDS ", contacts_need_responsibility: true}}");
    ev = run(p, &s, 1, nan, NULL);
    ck_assert_ptr_nonnull(ev);
    free(ev);
    sg_policy_unref(p);
}
END_TEST

static void expect_error(const char *yaml, const char *words)
{
    char *errors = NULL;
    char path[64];
    struct sg_policy *p = sg_test_load_yaml(yaml, &errors, path);
    ck_assert_msg(p == NULL, "loaded: %s", yaml);
    ck_assert_msg(errors && strstr(errors, words), "expected \"%s\" in: %s", words, errors ? errors : "");
    free(errors);
}

static const char head[] = "school:\n  name: T\n  staff_domains: [northfield.sch.uk]\n";
static const char rule[] = "rules:\n  - id: r\n    category: personal-data\n    action: quarantine\n    cite: c\n"
                           "    match: ";

START_TEST(condition_errors)
{
    char y[4096];
    snprintf(y, sizeof(y), "%s%s{pupil_names: true}\n", head, rule);
    expect_error(y, ":9:26: pupil_names needs the pupils' names: set directory: pupils:");
    snprintf(y, sizeof(y), "%sdirectory:\n  pupils: " CORPUS_DIR "/pupils.csv\n%s{misdirected_pupil_data: true}\n",
             head, rule);
    expect_error(y, ":11:37: misdirected_pupil_data needs the pupils' contacts: set directory: contacts:");
    snprintf(y, sizeof(y), "%sdirectory:\n  pupils: " CORPUS_DIR "/pupils.csv\n%s{pupil_names: {ordinary_words: "
             "/nonexistent/words.txt}}\n", head, rule);
    expect_error(y, ":11:43: cannot open list /nonexistent/words.txt");
    /* The default list is relative to the policy file (here in /tmp). */
    snprintf(y, sizeof(y), "%sdirectory:\n  pupils: " CORPUS_DIR "/pupils.csv\n%s{pupil_names: true}\n", head, rule);
    expect_error(y, ":11:26: pupil_names: the default ordinary words list /tmp/lists/name-words.txt cannot be read");
    snprintf(y, sizeof(y), "%sdirectory:\n  pupils: " CORPUS_DIR "/pupils.csv\n%s{pupil_names: {mni: 2}}\n", head,
             rule);
    expect_error(y, "unknown key \"mni\" in pupil_names");
    snprintf(y, sizeof(y), "%sdirectory:\n  pupils: " CORPUS_DIR "/pupils.csv\n%s{pupil_names: {min: 0, "
             "ordinary_words: \"\"}}\n", head, rule);
    expect_error(y, ":11:");
    snprintf(y, sizeof(y), "%sdirectory:\n  pupils: " CORPUS_DIR "/pupils.csv\n%s{pupil_names: {with: [\"  \"], "
             "ordinary_words: \"\"}}\n", head, rule);
    expect_error(y, "pupil_names: with: an empty term");
}
END_TEST

/* Writes text to a fresh file under /tmp; returns its path (caller frees). */
static char *tmp_file(const char *text)
{
    char *path = sg_xstrdup("/tmp/sg-contacts-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

START_TEST(directory_columns_optional_and_checked)
{
    char y[4096];
    char *errors = NULL;
    /* A pupils file without Preferred Forename and Middle Names loads: those defaults are optional. */
    snprintf(y, sizeof(y), "%sdirectory:\n  pupils: %s\n%s{pupil_names: {ordinary_words: \"\"}}\n", head,
             sg_test_data("directory/pupils.csv"), rule);
    struct sg_policy *p = sg_test_load_yaml(y, &errors, NULL);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    const struct sg_person *amy = sg_directory_lookup(p->directory, "amy.pupil@pupils.northfield.sch.uk", NULL);
    ck_assert_str_eq(amy->preferred, "");
    ck_assert_str_eq(amy->forename, "Amy");
    sg_policy_unref(p);
    /* Mapped by the policy, a missing column is an error at the mapping. */
    snprintf(y, sizeof(y), "%sdirectory:\n  pupils: %s\n  columns:\n    pupils: {preferred_name: Known As}\n"
             "%s{phrases: [x]}\n", head, sg_test_data("directory/pupils.csv"), rule);
    expect_error(y, ":7:30: column \"Known As\" is not in the header of");
    snprintf(y, sizeof(y), "%sdirectory:\n  pupils: %s\n  columns:\n    pupils: {middle_names: Middle}\n"
             "%s{phrases: [x]}\n", head, sg_test_data("directory/pupils.csv"), rule);
    expect_error(y, ":7:28: column \"Middle\" is not in the header of");
    /* Contacts: mapped columns, needed columns, keys of other files. */
    snprintf(y, sizeof(y), "%sdirectory:\n  pupils: " CORPUS_DIR "/pupils.csv\n  contacts: " CORPUS_DIR
             "/contacts.csv\n  columns:\n    contacts: {responsibility: PR}\n%s{phrases: [x]}\n", head, rule);
    expect_error(y, ":8:32: column \"PR\" is not in the header of");
    snprintf(y, sizeof(y), "%sdirectory:\n  pupils: " CORPUS_DIR "/pupils.csv\n  contacts: " CORPUS_DIR
             "/contacts.csv\n  columns:\n    contacts: {upn: UPN}\n%s{phrases: [x]}\n", head, rule);
    expect_error(y, "contacts has no upn column (valid keys: pupil, relation, contact, responsibility)");
    snprintf(y, sizeof(y), "%sdirectory:\n  pupils: " CORPUS_DIR "/pupils.csv\n  contacts: " CORPUS_DIR
             "/relatives.csv\n%s{phrases: [x]}\n", head, rule);
    expect_error(y, "relatives.csv:1: no column \"Contact Email\" in the header (map it under directory: "
                    "columns: contacts:)");
    snprintf(y, sizeof(y), "%sdirectory:\n  contacts: " CORPUS_DIR "/contacts.csv\n%s{phrases: [x]}\n", head, rule);
    expect_error(y, ":5:13: directory: contacts: needs directory: pupils:");
    /* Bad rows: warnings by file:line and column, never the row. */
    char *csv = tmp_file("Pupil Email,Contact Email,Relation,Parental Responsibility\n"
                         "amelia.clarke@pupils.northfield.sch.uk,karen.clarke@gmail.com,mother,Yes\n"
                         "nobody.here@pupils.northfield.sch.uk,someone.else@gmail.com,father,yes\n"
                         "amelia.clarke@pupils.northfield.sch.uk,not-an-address,father,yes\n"
                         "oliver.wright@pupils.northfield.sch.uk,nan.wright@aol.com,grandmother,perhaps\n"
                         "amelia.clarke@pupils.northfield.sch.uk,KAREN.clarke@gmail.com,mother,yes\n"
                         "chloe.bailey@pupils.northfield.sch.uk,dan.bailey@gmail.com,father,\n");
    snprintf(y, sizeof(y), "%sdirectory:\n  pupils: " CORPUS_DIR "/pupils.csv\n  contacts: %s\n%s{phrases: [x]}\n",
             head, csv, rule);
    p = sg_test_load_yaml(y, &errors, NULL);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    ck_assert_ptr_nonnull(p->warnings);
    char want[512];
    snprintf(want, sizeof(want), "%s:3: row skipped: the Pupil Email column is not a pupil's address", csv);
    ck_assert_msg(strstr(p->warnings, want), "%s", p->warnings);
    snprintf(want, sizeof(want), "%s:4: row skipped: the Contact Email column is not an email address", csv);
    ck_assert_msg(strstr(p->warnings, want), "%s", p->warnings);
    snprintf(want, sizeof(want), "%s:5: the Parental Responsibility column is neither yes nor no: read as no", csv);
    ck_assert_msg(strstr(p->warnings, want), "%s", p->warnings);
    snprintf(want, sizeof(want), "%s:6: row skipped: this Contact Email is already listed for this pupil", csv);
    ck_assert_msg(strstr(p->warnings, want), "%s", p->warnings);
    static const char *const never[] = {"nobody", "someone", "not-an-address", "perhaps", "karen", "grandmother"};
    for (size_t i = 0; i < sizeof(never) / sizeof(*never); i++)
        ck_assert_msg(!strstr(p->warnings, never[i]), "warning quotes \"%s\": %s", never[i], p->warnings);
    ck_assert_uint_eq(sg_directory_contact_rows(p->directory), 3);
    size_t n;
    const struct sg_contact *const *c = sg_directory_contacts(p->directory, "nan.wright@aol.com", &n);
    ck_assert_uint_eq(n, 1);
    ck_assert(!c[0]->responsibility);
    c = sg_directory_contacts(p->directory, "dan.bailey@gmail.com", &n);
    ck_assert_uint_eq(n, 1);
    ck_assert(c[0]->responsibility);             /* not recorded reads as yes */
    sg_policy_unref(p);
    unlink(csv);
    free(csv);
}
END_TEST

START_TEST(list_file_reloads)
{
    struct sg_policy *p = load_ok("{pupil_names: {ordinary_words: " NAME_WORDS "}}");
    char **files = sg_policy_files(p);
    bool found = false;
    for (size_t i = 0; files[i]; i++)
        found |= !strcmp(files[i], NAME_WORDS);
    sg_strv_free(files);
    ck_assert_msg(found, "the ordinary words list is not among the files watched for reload");
    sg_policy_unref(p);
}
END_TEST

/* Through the engine: a whole message to the recipients; the rule's
 * evidence when it hits (caller frees), and which recipients it names. */
static char *evaluate(const struct sg_policy *p, const char *raw_text, const char *const *rcpts, bool *on_out)
{
    struct sg_message_limits lim;
    sg_message_default_limits(&lim);
    char err[128];
    struct sg_message *m = sg_message_parse_mem(raw_text, strlen(raw_text), &lim, err, sizeof(err));
    ck_assert_msg(m != NULL, "%s", err);
    char **rv = sg_xcalloc(1, sizeof(char *));
    size_t n = 0;
    for (; rcpts[n]; n++)
        rv = sg_strv_push(rv, rcpts[n]);
    struct sg_envelope env = {.mail_from = "jo.smith@northfield.sch.uk", .rcpts = rv, .client_addr = "10.1.2.3",
                              .when = 1795600800};
    struct sg_verdict v;
    sg_verdict_init(&v, n);
    sg_engine_evaluate(p, &env, m, &v);
    ck_assert_msg(!v.error, "engine error: %s", v.error);
    char *ev = NULL;
    for (size_t i = 0; i < v.nhits; i++) {
        if (strcmp(v.hits[i].rule->id, "r"))
            continue;
        ev = sg_xstrdup(v.hits[i].evidence ? v.hits[i].evidence : "");
        if (on_out)
            memcpy(on_out, v.hits[i].rcpt_on, n * sizeof(bool));
    }
    sg_verdict_clear(&v);
    sg_strv_free(rv);
    sg_message_free(m);
    return ev;
}

START_TEST(engine_reply_to_parent)
{
    struct sg_policy *p = load_ok("{pupil_names: {ordinary_words: " NAME_WORDS "}}");
    /* A reply to Amelia's mother: her complaint names another pupil, and
     * the member of staff's own words name only Amelia. */
    static const char reply[] =
        "From: Jo Smith <jo.smith@northfield.sch.uk>\r\nTo: karen.clarke@gmail.com\r\n"
        "Subject: Re: playground\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Dear Mrs Clarke,\r\n\r\nThank you. Amelia Clarke has been moved to another table.\r\n\r\n"
        "On Mon, 2 Mar 2026 at 08:10, Karen Clarke <karen.clarke@gmail.com> wrote:\r\n"
        "> Oliver Wright keeps pushing my daughter in year 9.\r\n";
    const char *const mum[] = {"karen.clarke@gmail.com", NULL};
    char *ev = evaluate(p, reply, mum, NULL);
    ck_assert_msg(ev == NULL, "reply to the mother: %s", ev);
    /* The same words to a stranger: Amelia is named to someone outside. */
    bool on[1];
    ev = evaluate(p, reply, stranger, on);
    ck_assert_ptr_nonnull(ev);
    ck_assert_msg(strstr(ev, "1 pupil named, in the message text"), "%s", ev);
    ck_assert(on[0]);
    free(ev);
    sg_policy_unref(p);
    /* Misdirected: the staff member's own words name Oliver to Amelia's mother. */
    p = load_ok("{misdirected_pupil_data: {ordinary_words: " NAME_WORDS "}}");
    static const char wrong[] =
        "From: Jo Smith <jo.smith@northfield.sch.uk>\r\nTo: karen.clarke@gmail.com\r\n"
        "Subject: Oliver Wright - behaviour\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Dear parent, Oliver has had two detentions this week.\r\n";
    ev = evaluate(p, wrong, mum, on);
    ck_assert_ptr_nonnull(ev);
    ck_assert_msg(strstr(ev, "names a pupil who is not this contact's child (1 recipient), in the subject"), "%s",
                  ev);
    ck_assert(on[0]);
    free(ev);
    ck_assert_ptr_null(evaluate(p, reply, mum, NULL));
    sg_policy_unref(p);
}
END_TEST

Suite *sg_suite_pupil_names(void)
{
    Suite *s = suite_create("pupil_names");
    TCase *tc = tcase_create("pupil_names");
    tcase_add_test(tc, directory_keeps_name_parts);
    tcase_add_test(tc, each_written_form_found);
    tcase_add_test(tc, ordinary_word_names_not_alone);
    tcase_add_test(tc, quoted_text_and_display_names_ignored);
    tcase_add_test(tc, evidence_counts_and_where);
    tcase_add_test(tc, with_terms_required);
    tcase_add_test(tc, own_child_to_own_contact_passes);
    tcase_add_test(tc, misdirected_both_ways);
    tcase_add_test(tc, condition_errors);
    tcase_add_test(tc, directory_columns_optional_and_checked);
    tcase_add_test(tc, list_file_reloads);
    tcase_add_test(tc, engine_reply_to_parent);
    suite_add_tcase(s, tc);
    return s;
}
