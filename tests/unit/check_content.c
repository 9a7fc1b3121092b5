/*
 * check_content.c - the scanned text as segments: quoted history told from
 * the member of staff's words (quote.c), where evidence says it was found,
 * lookalike and spelt-out spellings (matcher.c), and the weighted lexicon
 * condition with its window, threshold, corroboration and plurals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check_suites.h"
#include "sg_engine.h"
#include "sg_mention.h"
#include "sg_quote.h"
#include "sg_text.h"

/* The kinds of the spans covering text, as a string: "o" own, "r" reply,
 * "f" forwarded, one letter per line. */
static char *kinds_of(const char *text, bool forwarding, bool replying)
{
    size_t n = 0, len = strlen(text);
    struct sg_quote_span *sp = sg_quote_split(text, len, forwarding, replying, &n);
    struct sg_buf b = {0};
    size_t covered = 0;
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(sp[i].off, covered);
        covered += sp[i].len;
        for (size_t j = sp[i].off; j < sp[i].off + sp[i].len; j++)
            if (text[j] == '\n' || j + 1 == sp[i].off + sp[i].len)
                sg_buf_puts(&b, sp[i].kind == SG_QUOTE_OWN ? "o" : sp[i].kind == SG_QUOTE_REPLY ? "r" : "f");
    }
    ck_assert_uint_eq(covered, len);
    free(sp);
    sg_buf_append(&b, "", 0);
    return sg_buf_steal(&b);
}

static void expect_kinds(const char *text, bool forwarding, const char *want)
{
    char *got = kinds_of(text, forwarding, true);
    ck_assert_msg(!strcmp(got, want), "%s: got %s, want %s", text, got, want);
    free(got);
}

START_TEST(quote_marks)
{
    /* "> " lines, interleaved with answers. */
    expect_kinds("Thanks, see below.\n\nOn Tue, 3 Nov 2026 at 09:12, Karen Clarke <k@x.com> wrote:\n"
                 "> Is she in trouble?\nNo, not at all.\n> And the trip?\nYes.\n", false, "oorroro");
    /* Top posting without marks (an HTML mail reduced to text). */
    expect_kinds("I will look into it.\nOn 3 Nov 2026, at 09:12, Karen Clarke wrote:\nYou are useless\nand rude\n",
                 false, "orrr");
    /* Attribution wrapped over two lines. */
    expect_kinds("Fine.\nOn Tue, 3 Nov 2026 at 09:12, Karen Clarke\n<k@x.com> wrote:\nold text\n", false, "orrr");
    /* Outlook's header block, as a reply and (by Subject) as a forward. */
    const char *outlook = "Please see below.\n\nFrom: Karen Clarke <k@x.com>\nSent: 03 November 2026 09:12\n"
                          "To: Jo Smith\nSubject: Trip\n\nold words\n";
    expect_kinds(outlook, false, "oorrrrrr");
    expect_kinds(outlook, true, "ooffffff");
    /* Banners. */
    expect_kinds("FYI\n---------- Forwarded message ---------\nFrom: a\nbody\n", false, "offf");
    expect_kinds("Reply\n-----Original Message-----\nFrom: a\nbody\n", false, "orrr");
    /* "From:" in the member of staff's own sentence is not a block. */
    expect_kinds("From: next week the trip is on.\nThanks\n", false, "oo");
    /* A new message (no Re:, no In-Reply-To) has no reply history: "> "
     * dressing on the sender's own words hides nothing. */
    char *got = kinds_of("see below\n> section 47 enquiry\n", false, false);
    ck_assert_str_eq(got, "oo");
    free(got);
    /* In a real reply too, "> " lines above any attribution are the
     * sender's own: every client writes "On ... wrote:" or a header block
     * above what it quotes. */
    expect_kinds("> add me on snap: @jo\nthanks\n", false, "oo");
    expect_kinds("> my words\nOn Mon, 2 Nov 2026 at 10:00, Jack <j@x.com> wrote:\n> his words\n", false, "orr");
    ck_assert(sg_quote_subject_replies("RE: trip"));
    ck_assert(!sg_quote_subject_replies("Reading list"));
    ck_assert(sg_quote_subject_forwards("FW: trip"));
    ck_assert(sg_quote_subject_forwards("  Fwd: trip"));
    ck_assert(!sg_quote_subject_forwards("RE: FW: trip"));
    ck_assert(!sg_quote_subject_forwards("Forward planning"));
}
END_TEST

static struct sg_policy *lexicon_policy(const char *match)
{
    struct sg_buf m = {0};
    sg_buf_printf(&m, "{lexicon: %s}", match);
    struct sg_policy *p = sg_test_one_rule("lx", "confidential", "quarantine", m.data);
    sg_buf_free(&m);
    return p;
}

static char *body_evidence(const struct sg_policy *p, const char *subject, const char *body)
{
    struct sg_buf raw = {0};
    sg_buf_printf(&raw, "From: x@t.sch.uk\r\nTo: y@example.com\r\nSubject: %s\r\n"
                        "Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", subject, body);
    char *ev = sg_test_rule_evidence(p, raw.data, "y@example.com", "lx");
    sg_buf_free(&raw);
    return ev;
}

static void expect_hit(const struct sg_policy *p, const char *subject, const char *body, const char *in_evidence)
{
    char *ev = body_evidence(p, subject, body);
    ck_assert_msg(ev != NULL, "\"%s\": expected a hit", body);
    ck_assert_msg(!in_evidence || strstr(ev, in_evidence), "\"%s\": evidence \"%s\" lacks \"%s\"", body, ev,
                  in_evidence);
    free(ev);
}

static void expect_none(const struct sg_policy *p, const char *subject, const char *body)
{
    char *ev = body_evidence(p, subject, body);
    ck_assert_msg(ev == NULL, "\"%s\": expected no hit, got \"%s\"", body, ev ? ev : "");
}

START_TEST(lexicon_threshold_window)
{
    struct sg_policy *p = lexicon_policy(
        "{terms: [\"3 child protection plan\", \"2 social worker\", \"1 pupil\"], threshold: 5, window: 80}");
    expect_hit(p, "update", "Her child protection plan was reviewed with the social worker today.",
               "\"child protection plan\"");
    /* One heavy term alone, and a repeated term, stay below 5. */
    expect_none(p, "update", "The child protection plan template is attached.");
    expect_none(p, "update", "social worker, social worker, social worker, social worker, pupil");
    /* Too far apart for the window. */
    struct sg_buf far = {0};
    sg_buf_puts(&far, "child protection plan. ");
    for (int i = 0; i < 20; i++)
        sg_buf_puts(&far, "Nothing to see here. ");
    sg_buf_puts(&far, "The social worker called.");
    expect_none(p, "update", far.data);
    sg_buf_free(&far);
    /* Plurals, and the subject counts with the body. */
    expect_hit(p, "Child protection plans", "Both social workers agreed.", "in the subject");
    sg_policy_unref(p);
}
END_TEST

START_TEST(lexicon_evidence_names_every_place)
{
    struct sg_policy *p = lexicon_policy(
        "{terms: [\"3 child protection plan\", \"2 social worker\", \"1 core group\"], threshold: 5}");
    /* One term in the subject, the rest in the body: the body leads. */
    expect_hit(p, "Child protection plan",
               "The social worker chaired the core group. The child protection plan stays; the social worker "
               "visits weekly.", "in the message text and in the subject");
    sg_policy_unref(p);
}
END_TEST

START_TEST(lexicon_corroboration)
{
    struct sg_policy *p = lexicon_policy(
        "{terms: ['4 re:\\bsection\\s+(17|47)\\b'], corroborate: [child, pupil, social care], near: 60}");
    expect_hit(p, "s", "A section 47 enquiry about the child has started.", NULL);
    expect_none(p, "s", "See section 47 of the lease for the landlord's duties.");
    expect_hit(p, "s", "SECTION 17 assessment for the pupil", "pattern");
    sg_policy_unref(p);
    /* A word that both scores and corroborates ("ofsted") does both; a
     * corroborating word inside a longer scoring term does not. */
    p = lexicon_policy("{terms: ['1 re:\\bofsted\\b', '3 requires improvement', '4 exclusion hearing'], "
                       "corroborate: [ofsted, exclusion], near: 60}");
    expect_hit(p, "s", "Ofsted: we will get requires improvement", NULL);
    expect_none(p, "s", "The exclusion hearing is on Friday.");
    sg_policy_unref(p);
}
END_TEST

START_TEST(lexicon_quoted_history)
{
    struct sg_policy *p = lexicon_policy("{terms: [\"4 disciplinary hearing\"]}");
    /* The parent's words quoted back are not the member of staff's. */
    expect_none(p, "Re: complaint",
                "Thank you, I will pass this on.\n\nOn Mon, 2 Nov 2026 at 10:00, Parent <p@x.com> wrote:\n"
                "> Is the teacher facing a disciplinary hearing?\n");
    expect_hit(p, "Re: complaint",
               "Yes, the disciplinary hearing is on Friday.\n\nOn Mon, 2 Nov 2026 at 10:00, Parent <p@x.com> wrote:\n"
               "> What is happening?\n", "in the message text");
    /* Forwarded history is passed on by the member of staff: it counts. */
    expect_hit(p, "Fwd: hearing", "FYI\n---------- Forwarded message ---------\nFrom: hr@t.sch.uk\n"
               "The disciplinary hearing is on Friday.\n", "in forwarded message");
    sg_policy_unref(p);
    p = lexicon_policy("{terms: [\"4 disciplinary hearing\"], quoted: true}");
    expect_hit(p, "Re: complaint", "Noted.\n\nOn Mon, 2 Nov 2026 at 10:00, Parent <p@x.com> wrote:\n"
               "> Is the teacher facing a disciplinary hearing?\n", "in quoted text");
    sg_policy_unref(p);
}
END_TEST

START_TEST(quote_marks_need_a_reply)
{
    struct sg_policy *p = lexicon_policy("{terms: [\"4 disciplinary hearing\"]}");
    expect_hit(p, "notes", "see below\n> The disciplinary hearing is on Friday.\n", NULL);
    expect_none(p, "Re: notes", "Noted.\n\nOn Mon, 2 Nov 2026 at 10:00, Parent <p@x.com> wrote:\n"
                "> The disciplinary hearing is on Friday.\n");
    sg_policy_unref(p);
}
END_TEST

START_TEST(phrases_and_regex_leave_reply_history)
{
    char *errors = NULL;
    struct sg_policy *p = sg_test_load_yaml(
        "school:\n  name: T\n  staff_domains: [t.sch.uk]\n"
        "rules:\n  - id: lx\n    category: offensive\n    action: reject\n    cite: c\n"
        "    match: {phrases: [useless idiot]}\n"
        "  - id: rx\n    category: offensive\n    action: reject\n    cite: c\n"
        "    match: {regex: ['\\buseless\\s+idiot\\b']}\n", &errors, NULL);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    const char *quoted = "I am sorry you feel that way.\n\nOn Mon, 2 Nov 2026 at 10:00, Parent <p@x.com> wrote:\n"
                         "> You are a useless idiot\n";
    expect_none(p, "Re: x", quoted);
    expect_hit(p, "Re: x", "You are a useless idiot.\n", NULL);
    struct sg_buf raw = {0};
    sg_buf_printf(&raw, "From: x@t.sch.uk\r\nTo: y@example.com\r\nSubject: Re: x\r\n\r\n%s", quoted);
    char *ev = sg_test_rule_evidence(p, raw.data, "y@example.com", "rx");
    ck_assert_msg(ev == NULL, "regex counted reply history: %s", ev ? ev : "");
    sg_buf_free(&raw);
    sg_policy_unref(p);
}
END_TEST

/* A policy whose one rule "lx" is match: {<cond>: true}. */
static struct sg_policy *one_condition(const char *cond)
{
    struct sg_buf m = {0};
    sg_buf_printf(&m, "{%s: true}", cond);
    struct sg_policy *p = sg_test_one_rule("lx", "contact-details", "quarantine", m.data);
    sg_buf_free(&m);
    return p;
}

START_TEST(contact_details_quoted_back_are_theirs)
{
    struct sg_policy *p = one_condition("mobile");
    expect_none(p, "Re: trip", "Thanks, noted.\n\nOn Mon, 2 Nov 2026 at 10:00, Jack <j@x.com> wrote:\n"
                "> my mum's number is 07700 900123 if you need it\n");
    expect_hit(p, "Re: trip", "Text me on 07700 900123.\n", "in the message text");
    sg_policy_unref(p);
    p = one_condition("personal_email");
    expect_none(p, "Re: trip", "Thanks.\n\nOn Mon, 2 Nov 2026 at 10:00, Jack <jack.t2011@gmail.com> wrote:\n"
                "> or email me at jack.t2011@gmail.com\n");
    expect_hit(p, "Re: trip", "Email me at my.own@gmail.com\n", NULL);
    sg_policy_unref(p);
}
END_TEST

START_TEST(lookalikes_and_spelt_out)
{
    struct sg_policy *p = lexicon_policy("{terms: [\"4 shit\", \"4 bastard\"]}");
    expect_hit(p, "s", "what a load of sh1t", NULL);
    expect_hit(p, "s", "you b@stard", NULL);
    expect_hit(p, "s", "s h i t happens", NULL);
    expect_hit(p, "s", "s.h.i.t", NULL);
    /* A lone "a" before the spelt word joins the run, and NBSP spaces. */
    expect_hit(p, "s", "what a s h i t day", NULL);
    expect_hit(p, "s", "you are a b a s t a r d", NULL);
    expect_hit(p, "s", "you b\xc2\xa0" "a\xc2\xa0" "s\xc2\xa0t\xc2\xa0" "a\xc2\xa0r\xc2\xa0" "d", NULL);
    /* Lookalike letters from other scripts: a Cyrillic a, a Greek alpha. */
    expect_hit(p, "s", "you b\xd0\xb0stard", NULL);
    expect_hit(p, "s", "you b\xce\xb1stard", NULL);
    /* A letter held: read as once, where it is not a w or an x. */
    expect_hit(p, "s", "you baaaastard", NULL);
    expect_hit(p, "s", "what a load of shiiiiit", NULL);
    expect_none(p, "s", "sooo sorry, see www.example.com, thanks xxx");
    /* Digits that are just digits, and single letters that spell nothing. */
    expect_none(p, "s", "room 5h1 at 10");
    expect_none(p, "s", "options a b c or d");
    sg_policy_unref(p);
}
END_TEST

/* Whether the first occurrence of word in text is only mentioned. */
static bool mentioned(const char *text, const char *word)
{
    const char *at = strstr(text, word);
    ck_assert_msg(at != NULL, "%s not in %s", word, text);
    size_t start = (size_t)(at - text);
    return sg_mention_only(text, strlen(text), start, start + strlen(word));
}

START_TEST(mention_in_quotes_after_a_cue)
{
    /* Normalised text: curly quotes are ' and " by now. */
    ck_assert(mentioned("pupils have been using words like \"twat\" in the playground", "twat"));
    ck_assert(mentioned("words like 'twat', 'wanker' and 'slag' are not acceptable", "slag"));
    ck_assert(mentioned("he used the term 'twat' at lunch", "twat"));
    ck_assert(mentioned("she was called a 'slag' by two boys", "slag"));
    ck_assert(mentioned("he shouted \"wanker\" across the yard", "wanker"));
    ck_assert(mentioned("if your child gets a message saying 'forward this to 10 friends or...' delete it",
                        "forward this to"));
    /* Used, not mentioned. */
    ck_assert(!mentioned("you are a 'twat'", "twat"));
    ck_assert(!mentioned("he said you're a 'twat'", "twat"));
    ck_assert(!mentioned("he said \"you are a useless twat and everyone knows it\"", "twat"));
    ck_assert(!mentioned("what a twat", "twat"));
    ck_assert(!mentioned("the word is out. 'twat' he is", "twat"));
    /* An apostrophe is not a quotation mark. */
    ck_assert(!mentioned("the word don't twat about", "twat"));
    ck_assert(!mentioned("calling him 'a twat", "twat"));
}
END_TEST

START_TEST(lexicon_mentions_false)
{
    struct sg_policy *p = lexicon_policy("{terms: [\"5 twat\", \"5 wanker\"], mentions: false}");
    expect_none(p, "Playground language",
                "Dear parents, pupils have been using words like \xe2\x80\x9ctwat\xe2\x80\x9d and "
                "\xe2\x80\x98wanker\xe2\x80\x99 in the playground.");
    expect_hit(p, "s", "Honestly Mark, you are a 'twat'.", "\"twat\"");
    sg_policy_unref(p);
    /* The default counts every occurrence. */
    p = lexicon_policy("{terms: [\"5 twat\"]}");
    expect_hit(p, "s", "pupils have been using words like 'twat' in the playground", NULL);
    sg_policy_unref(p);
}
END_TEST

START_TEST(lexicon_general_terms_need_a_specific_one)
{
    struct sg_policy *p = lexicon_policy(
        "{terms: [\"3 re:\\\\bhas been given\\\\b\"], general: [\"4 fixed term exclusion\", \"3 reintegration meeting\"]}");
    /* The policy's wording alone, however heavy, does not fire. */
    expect_none(p, "Behaviour policy",
                "The headteacher may give a fixed term exclusion; a reintegration meeting always follows.");
    /* Beside what happened to someone, it counts. */
    expect_hit(p, "Jake", "Jake in 9B has been given a fixed term exclusion for hitting another boy.",
               "\"fixed term exclusion\"");
    sg_policy_unref(p);
}
END_TEST

START_TEST(lexicon_lookaround_prefiltered)
{
    /* Hyperscan cannot read look-behind: it finds candidates, pcre2 says. */
    struct sg_policy *p = lexicon_policy("{terms: ['4 re:(?<!not )\\bidiot\\b(?! proof)']}");
    expect_hit(p, "s", "you idiot", "pattern");
    expect_none(p, "s", "he is not idiot enough");
    expect_none(p, "s", "an idiot proof form");
    sg_policy_unref(p);
}
END_TEST

START_TEST(lexicon_errors)
{
    char *errors = NULL;
    char path[64];
    struct sg_policy *p = sg_test_load_yaml(
        "school:\n  name: T\n  staff_domains: [t.sch.uk]\n"
        "rules:\n  - id: lx\n    category: confidential\n    action: quarantine\n    cite: c\n"
        "    match:\n      lexicon: {terms: [\"re:(unclosed\"], threshold: 1}\n", &errors, path);
    ck_assert_ptr_null(p);
    ck_assert_msg(errors && strstr(errors, "pattern \"(unclosed\""), "%s", errors ? errors : "");
    free(errors);
    errors = NULL;
    p = sg_test_load_yaml("school:\n  name: T\n  staff_domains: [t.sch.uk]\n"
                          "rules:\n  - id: lx\n    category: confidential\n    action: quarantine\n    cite: c\n"
                          "    match:\n      lexicon: {threshold: 2}\n", &errors, path);
    ck_assert_ptr_null(p);
    ck_assert_msg(errors && strstr(errors, "no terms"), "%s", errors ? errors : "");
    free(errors);
}
END_TEST

/* Whether rule "lx" hits mail from sender (envelope, or SASL login when
 * auth) to the comma-separated rcpts. */
static bool hits_for(const struct sg_policy *p, const char *sender, bool auth, const char *rcpts_csv,
                     const char *body)
{
    struct sg_buf raw = {0};
    sg_buf_printf(&raw, "From: %s\r\nTo: a@example.com\r\nSubject: s\r\n\r\n%s\r\n", sender, body);
    struct sg_message_limits lim = p->limits.msg;
    char err[128];
    struct sg_message *m = sg_message_parse_mem(raw.data, raw.len, &lim, err, sizeof(err));
    char **rcpts = sg_xcalloc(1, sizeof(char *));
    char *copy = sg_xstrdup(rcpts_csv), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        rcpts = sg_strv_push(rcpts, t);
    free(copy);
    struct sg_envelope env = {.mail_from = auth ? "bounce@t.sch.uk" : (char *)sender, .rcpts = rcpts,
                              .auth_login = auth ? (char *)sender : NULL, .client_addr = "10.1.2.3",
                              .when = 1795600800};
    struct sg_verdict v;
    sg_verdict_init(&v, 1);
    sg_engine_evaluate(p, &env, m, &v);
    bool hit = false;
    for (size_t i = 0; i < v.nhits; i++)
        hit |= !strcmp(v.hits[i].rule->id, "lx");
    sg_verdict_clear(&v);
    sg_strv_free(rcpts);
    sg_message_free(m);
    sg_buf_free(&raw);
    return hit;
}

START_TEST(scope_team_and_authorised_voices)
{
    char *errors = NULL;
    /* Per-school teams (schools: entries, by the sender's School column)
     * are exercised by the corpus, which has a directory. */
    struct sg_policy *p = sg_test_load_yaml(
        "school:\n  name: T\n  staff_domains: [t.sch.uk]\n  safeguarding_team: [dsl@t.sch.uk, Deputy@t.sch.uk]\n"
        "rules:\n  - id: lx\n    category: offensive\n    action: reject\n    cite: c\n"
        "    except_senders: [head@t.sch.uk, \"@press.t.sch.uk\"]\n"
        "    match:\n      lexicon: {terms: [\"4 slurword\"]}\n", &errors, NULL);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    const char *body = "He called her a slurword in the corridor.";
    /* A report to the team alone, in any case of the address. */
    ck_assert(!hits_for(p, "jo@t.sch.uk", false, "dsl@t.sch.uk", body));
    ck_assert(!hits_for(p, "jo@t.sch.uk", false, "DSL@t.sch.uk,deputy@t.sch.uk", body));
    /* Anyone else on it and the rule stands. */
    ck_assert(hits_for(p, "jo@t.sch.uk", false, "dsl@t.sch.uk,friend@example.com", body));
    ck_assert(hits_for(p, "jo@t.sch.uk", false, "colleague@t.sch.uk", body));
    /* Authorised voices, by login (bare or whole) or envelope. */
    ck_assert(!hits_for(p, "head@t.sch.uk", false, "friend@example.com", body));
    ck_assert(!hits_for(p, "head", true, "friend@example.com", body));
    ck_assert(!hits_for(p, "office@press.t.sch.uk", false, "friend@example.com", body));
    ck_assert(hits_for(p, "headteacher@t.sch.uk", false, "friend@example.com", body));
    sg_policy_unref(p);
    free(errors);
}
END_TEST

Suite *sg_suite_content(void)
{
    Suite *s = suite_create("content");
    TCase *tc = tcase_create("content");
    tcase_add_test(tc, quote_marks);
    tcase_add_test(tc, lexicon_threshold_window);
    tcase_add_test(tc, lexicon_corroboration);
    tcase_add_test(tc, lexicon_evidence_names_every_place);
    tcase_add_test(tc, lexicon_quoted_history);
    tcase_add_test(tc, lookalikes_and_spelt_out);
    tcase_add_test(tc, phrases_and_regex_leave_reply_history);
    tcase_add_test(tc, quote_marks_need_a_reply);
    tcase_add_test(tc, contact_details_quoted_back_are_theirs);
    tcase_add_test(tc, lexicon_errors);
    tcase_add_test(tc, lexicon_lookaround_prefiltered);
    tcase_add_test(tc, mention_in_quotes_after_a_cue);
    tcase_add_test(tc, lexicon_mentions_false);
    tcase_add_test(tc, lexicon_general_terms_need_a_specific_one);
    tcase_add_test(tc, scope_team_and_authorised_voices);
    suite_add_tcase(s, tc);
    return s;
}
