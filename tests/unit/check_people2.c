/*
 * check_people2.c - links as url.c reads them, and the detectors built on
 * them and on the people rules: landline, social, messaging, adult_urls.
 * Each writing is tried through the engine with tests/data/policy/
 * people2.yaml, positives and negatives side by side.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check_suites.h"
#include "sg_engine.h"
#include "sg_url.h"

#define PUPIL "amy@pupils.t.sch.uk"
#define PARENT "parent@example.com"

static struct sg_policy *policy;

static void setup(void)
{
    char *errors = NULL;
    policy = sg_policy_load(sg_test_data("policy/people2.yaml"), &errors);
    ck_assert_msg(policy != NULL, "%s", errors ? errors : "");
    free(errors);
}

static void teardown(void)
{
    sg_policy_unref(policy);
}

/* The evidence of rule for a message with this subject, type and body. */
static char *evidence(const char *rcpt, const char *type, const char *subject, const char *body, const char *rule)
{
    struct sg_buf raw = {0};
    sg_buf_printf(&raw, "From: x@t.sch.uk\r\nTo: %s\r\nSubject: %s\r\nContent-Type: text/%s; charset=utf-8\r\n\r\n%s\r\n",
                  rcpt, subject, type, body);
    char *ev = sg_test_rule_evidence(policy, raw.data, rcpt, rule);
    sg_buf_free(&raw);
    return ev;
}

static void expect_hit(const char *rcpt, const char *body, const char *rule, bool want)
{
    /* "Re:": some bodies quote a pupil's mail, which only a reply has. */
    char *ev = evidence(rcpt, "plain", "Re: test", body, rule);
    ck_assert_msg((ev != NULL) == want, "%s on \"%s\": %s", rule, body, ev ? ev : "no hit");
    free(ev);
}

static void expect_all(const char *rcpt, const char *const *bodies, size_t n, const char *rule, bool want)
{
    for (size_t i = 0; i < n; i++)
        expect_hit(rcpt, bodies[i], rule, want);
}

#define N(a) (sizeof(a) / sizeof(*(a)))

/* ---- url.c ---- */

struct first_url {
    char host[256], path[256], query[256], target[256], tpath[256];
    bool seen, opaque, scheme;
    size_t off, len;
};

static int keep_first(const struct sg_url *u, void *ctx)
{
    struct first_url *f = ctx;
    f->seen = true;
    snprintf(f->host, sizeof(f->host), "%s", u->host);
    snprintf(f->path, sizeof(f->path), "%s", u->path);
    snprintf(f->query, sizeof(f->query), "%s", u->query);
    snprintf(f->target, sizeof(f->target), "%s", u->target_host ? u->target_host : "");
    snprintf(f->tpath, sizeof(f->tpath), "%s", u->target_path ? u->target_path : "");
    f->opaque = u->opaque;
    f->scheme = u->scheme;
    f->off = u->off;
    f->len = u->len;
    return 1;
}

static struct first_url first(const char *text)
{
    struct first_url f = {0};
    ck_assert_int_ge(sg_url_each(text, strlen(text), keep_first, &f), 0);
    return f;
}

static const struct {
    const char *text, *host, *target;
} url_cases[] = {
    {"see www.example.com/a, thanks", "example.com", ""},
    {"at https://www.pornhub.com/view?x=1.", "pornhub.com", ""},
    {"bare pornhub.com", "pornhub.com", ""},
    {"%70ornhub.com/x", "pornhub.com", ""},
    {"HTTP://WWW.PORNHUB.COM:8080/", "pornhub.com", ""},
    {"http://school.uk@evil.example/", "evil.example", ""},
    {"school.uk@evil.example/p", "evil.example", ""},
    {"visit:pornhub.com now", "pornhub.com", ""},
    {"<https://xn--80ak6aa92e.com/>", "xn--80ak6aa92e.com", ""},
    {"\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80.\xd1\x80\xd1\x84/x", "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80.\xd1\x80\xd1\x84", ""},
    {"https://www.google.com/url?q=https%3a%2f%2fxvideos.com%2fv&sa=d", "google.com", "xvideos.com"},
    {"google.co.uk/url?q=pornhub.com", "google.co.uk", "pornhub.com"},
    {"https://l.facebook.com/l.php?u=https%3a%2f%2fwww.pornhub.com%2f&h=at", "l.facebook.com", "pornhub.com"},
    {"https://eur02.safelinks.protection.outlook.com/?url=https%3a%2f%2fwww.xnxx.com%2f&data=05",
     "eur02.safelinks.protection.outlook.com", "xnxx.com"},
    {"https://www.bing.com/ck/a?!&&p=abc&u=a1ahr0chm6ly93d3cucg9ybmh1yi5jb20v&ntb=1", "bing.com", "pornhub.com"},
    {"https://urldefense.com/v3/__https://www.pornhub.com/x__;!!abc$", "urldefense.com", "pornhub.com"},
    {"https://urldefense.proofpoint.com/v2/url?u=https-3a__www.pornhub.com_x&d=1", "urldefense.proofpoint.com",
     "pornhub.com"},
    {"web.archive.org/web/2020/https://pornhub.com/x", "web.archive.org", "pornhub.com"},
    /* defanged, as links are shared to be copied rather than clicked */
    {"see pornhub[.]com for it", "pornhub.com", ""},
    {"xvideos(.)com/v", "xvideos.com", ""},
    {"hxxps://www.xnxx[dot]com/", "xnxx.com", ""},
    /* an href broken by a new line: white space inside <...> is dropped */
    {"click <https://porn hub.com/> here", "pornhub.com", ""},
    /* safelinks around Google around the site: every layer is followed */
    {"https://nam1.safelinks.protection.outlook.com/?url=https%3a%2f%2fwww.google.com%2furl%3fq%3dhttps%253a%252f%252fpornhub.com%252f",
     "nam1.safelinks.protection.outlook.com", "pornhub.com"},
};

START_TEST(url_hosts_and_targets)
{
    for (size_t i = 0; i < N(url_cases); i++) {
        struct first_url f = first(url_cases[i].text);
        ck_assert_msg(f.seen, "no link in \"%s\"", url_cases[i].text);
        ck_assert_msg(!strcmp(f.host, url_cases[i].host), "\"%s\": host %s, expected %s", url_cases[i].text, f.host,
                      url_cases[i].host);
        ck_assert_msg(!strcmp(f.target, url_cases[i].target), "\"%s\": target %s, expected %s", url_cases[i].text,
                      f.target, url_cases[i].target);
    }
}
END_TEST

START_TEST(url_parts)
{
    struct first_url f = first("Follow https://mobile.twitter.com/NorthfieldAcad/?utm_source=x.");
    ck_assert_str_eq(f.host, "mobile.twitter.com");
    ck_assert_str_eq(f.path, "/northfieldacad/");
    ck_assert_str_eq(f.query, "utm_source=x");
    ck_assert(f.scheme);
    ck_assert_uint_eq(f.off, 7);
    ck_assert_uint_eq(f.len, strlen("https://mobile.twitter.com/NorthfieldAcad/?utm_source=x"));
    f = first("(see https://en.wikipedia.org/wiki/x_(y))");
    ck_assert_str_eq(f.path, "/wiki/x_(y)");
    f = first("t.co/abc123");
    ck_assert(f.opaque);
    ck_assert_str_eq(f.target, "");
    f = first("instagram.com/%74om.t");
    ck_assert_str_eq(f.path, "/tom.t");
    ck_assert(!f.scheme);
}
END_TEST

START_TEST(url_not_links)
{
    static const char *const not_links[] = {
        "e.g. 3.5 and 10.30, etc.", "jo@gmail.com", "write to jo.smith@example.org today", "version 2.0", "...",
        "http://", "a..b.com/x", "1.5kg", "(see above)", "[1] and (2)", "(.)", "[.]com",
    };
    for (size_t i = 0; i < N(not_links); i++) {
        struct first_url f = first(not_links[i]);
        ck_assert_msg(!f.seen, "\"%s\" read as a link to %s", not_links[i], f.host);
    }
}
END_TEST

START_TEST(url_host_in)
{
    ck_assert(sg_url_host_in("pornhub.com", "pornhub.com"));
    ck_assert(sg_url_host_in("de.pornhub.com", "pornhub.com"));
    ck_assert(!sg_url_host_in("notpornhub.com", "pornhub.com"));
    ck_assert(!sg_url_host_in("pornhub.com.evil.example", "pornhub.com"));
    ck_assert(sg_url_host_in("site.xxx", ".xxx"));
    ck_assert(!sg_url_host_in("xxx", ".xxx"));
    ck_assert(!sg_url_host_in("com", "pornhub.com"));
}
END_TEST

/* ---- landline ---- */

static const char *const landline_yes[] = {
    "If you need me over half term, call me on 01632 960123.",
    "Ring me at home on (01632) 960123 if the coach is late.",
    "my number is 020 7946 0123",
    "my landline: +44 20 7946 0123",
    "0113 496 0123 (home)",
    "Home: 0113 496 0123",
    "text me on 01632 960123",
    "give me a ring on 0113 4960123",
    "my home number is +44 (0)1632 960123",
    "call me: 01632-960-123",
    "or ring me, 0044 1632 960123",
};
static const char *const landline_no[] = {
    "call me on the office line, 01632 960000",
    "call me via the office, +44 (0)1632 960 000",
    "For the apprenticeship, ring the college admissions team on 01632 960123.",
    "The council's home education team is on 0113 496 0123.",
    "Call me if you are stuck. The GP surgery is on 01632 960123.",
    "call me about order 0163296012345",
    "call me about ref 01632 960123-7",
    "call me on 01-02-2026 10:30",
    "call me on 01.02.2026 10.30",
    "my grid ref is SE 01234 56789",
    "call me on 021 1234 5678",
    "call me on 0800 123 4567",
    "call me on 0300 123 4567",
    "my number is 1 01632 960123",
};

START_TEST(landline_writings)
{
    expect_all(PUPIL, landline_yes, N(landline_yes), "landline", true);
    expect_all(PUPIL, landline_no, N(landline_no), "landline", false);
    /* The mobile detector is not this one: a mobile is not a landline. */
    expect_hit(PUPIL, "call me on 07700 900123", "landline", false);
}
END_TEST

START_TEST(landline_evidence_and_options)
{
    char *ev = evidence(PUPIL, "plain", "test", "Ring me on 01632 960123 tonight", "landline");
    ck_assert_ptr_nonnull(ev);
    ck_assert_msg(strstr(ev, "ending 123") && !strstr(ev, "960123"), "%s", ev);
    ck_assert_msg(strstr(ev, "ring me") && strstr(ev, "in the message text"), "%s", ev);
    free(ev);
    /* needs_cue: false counts every landline but the school's and allow:. */
    expect_hit(PARENT, "the college is on 0113 496 0123", "landline-any", true);
    expect_hit(PARENT, "the office is on 0113 496 0999", "landline-any", false);
    expect_hit(PARENT, "the office is on 01632 960000", "landline-any", false);
    /* An extra cue. */
    const char *yaml = "school:\n  name: T\n  staff_domains: [t.sch.uk]\n  pupil_domains: [pupils.t.sch.uk]\n"
                       "outbound: {networks: [10.0.0.0/8]}\n"
                       "rules:\n  - id: ll\n    category: contact-details\n    action: quarantine\n    cite: c\n"
                       "    match: {landline: {cues: [\"bell me\", \"my gaff\"]}}\n";
    char *errors = NULL;
    struct sg_policy *p = sg_test_load_yaml(yaml, &errors, NULL);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    char *e1 = sg_test_rule_evidence(p, "From: x@t.sch.uk\r\nTo: a@pupils.t.sch.uk\r\nSubject: s\r\n\r\n"
                                        "my gaff is 0113 496 0123\r\n", "a@pupils.t.sch.uk", "ll");
    ck_assert_ptr_nonnull(e1);
    free(e1);
    sg_policy_unref(p);
}
END_TEST

START_TEST(landline_bad_options)
{
    const char *yaml = "school:\n  name: T\n  staff_domains: [t.sch.uk]\n"
                       "rules:\n  - id: ll\n    category: contact-details\n    action: quarantine\n    cite: c\n"
                       "    match: {landline: {near: 0, colour: red}}\n";
    char *errors = NULL;
    struct sg_policy *p = sg_test_load_yaml(yaml, &errors, NULL);
    ck_assert_ptr_null(p);
    ck_assert_msg(errors && strstr(errors, "colour") && strstr(errors, "near"), "%s", errors ? errors : "");
    free(errors);
}
END_TEST

/* ---- social ---- */

static const char *const social_yes[] = {
    "follow me on insta @tom.teach",
    "snap: @tomt99",
    "@tomt99 on tiktok",
    "sc @tomt99",
    "my insta is tom.teach",
    "add me on roblox, my username is tomt",
    "my gamertag is TomT99",
    "I've sent you a friend request",
    "accept my follow request when you see it",
    "follow me on twitch",
    "add me on snap",
    "Sorry I can't make it on Friday, but add me on snap",
    "subscribe to my channel for more",
    "I post revision videos, subscribe: https://www.youtube.com/@tomteaches",
    "my channel: youtube.com/c/tomteaches",
    "I stream at twitch.tv/tomt most nights",
    "https://discord.gg/abc123",
    "the server is discord.com/invite/abc123",
    "join my discord server",
    "see mobile.twitter.com/tomt",
    "https://m.facebook.com/tom.t.1234",
    "the school is on instagram.com/northfieldacademyfans",
    "I'll follow you back on insta",
    "<a href=\"https://l.facebook.com/l.php?u=https%3A%2F%2Finstagram.com%2Ftom.t\">class page</a>",
    "my snap is tomt99",
    "I have accepted your friend request",
};
static const char *const social_no[] = {
    "Follow us: twitter.com/NorthfieldAcad.",
    "https://www.instagram.com/northfieldacademy/?utm_source=ig_web_copy_link",
    "news on mobile.twitter.com/northfieldacad/",
    "photos at m.facebook.com/NorthfieldAcademy, and more",
    "Northfield Academy | instagram.com/northfieldacademy | twitter.com/northfieldacad",
    "follow us @northfieldacad on twitter",
    "our club is @northfieldtok on tiktok",
    "I can't accept your friend request, Amy.",
    "I'm not able to follow you on instagram.",
    "Staff don't connect with pupils on social media.",
    "Please don't send me friend requests.",
    "Only accept friend requests from people you know in real life.",
    "watch this before Monday: https://www.youtube.com/watch?v=abc123",
    "the crash course channel youtube.com/@crashcourse is good for revision",
    "email me at tom@t.sch.uk",
    "https://www.instagram.com/explore/tags/science/",
    "https://help.instagram.com/ and https://www.facebook.com/help/",
};

START_TEST(social_writings)
{
    expect_all(PUPIL, social_yes, N(social_yes), "social", true);
    expect_all(PUPIL, social_no, N(social_no), "social", false);
}
END_TEST

START_TEST(social_html_href_and_evidence)
{
    char *ev = evidence(PUPIL, "html", "test", "<p>Our <a href=\"https://www.instagram.com/tom.t/\">class page</a></p>",
                        "social");
    ck_assert_ptr_nonnull(ev);
    ck_assert_msg(strstr(ev, "instagram.com") && strstr(ev, "in the message text"), "%s", ev);
    free(ev);
    ev = evidence(PUPIL, "plain", "add me on snap", "see you Monday", "social");
    ck_assert_ptr_nonnull(ev);
    ck_assert_msg(strstr(ev, "in the subject"), "%s", ev);
    free(ev);
}
END_TEST

/* The pupil's own words quoted back are not the member of staff's. */
static const char quoted_reply[] =
    "Hi Amy, I can't do that, but see me in school.\n\n"
    "On Tue, 24 Nov 2026 at 18:02, Amy <amy@pupils.t.sch.uk> wrote:\n"
    "> add me on snap @amy_2011 or insta.com is fine, instagram.com/amy.2011\n"
    "> message me on whatsapp, or call me on 01632 960123\n"
    "> have you seen www.pornhub.com/x\n";

START_TEST(quoted_history_is_not_the_writer)
{
    expect_hit(PUPIL, quoted_reply, "social", false);
    expect_hit(PUPIL, quoted_reply, "messaging", false);
    expect_hit(PUPIL, quoted_reply, "landline", false);
    expect_hit(PUPIL, quoted_reply, "adult", false);
    /* quoted: true counts it, and says where. */
    char *ev = evidence(PARENT, "plain", "Re: test", quoted_reply, "adult-quoted");
    ck_assert_ptr_nonnull(ev);
    ck_assert_msg(strstr(ev, "pornhub.com") && strstr(ev, "in quoted text"), "%s", ev);
    free(ev);
}
END_TEST

/* ---- messaging ---- */

START_TEST(messaging_writings)
{
    static const char *const yes[] = {
        "join me on whatsapp", "t.me/joinchat/abc", "join our class whatsapp group", "Message me on WhatsApp tonight",
        "add me on discord",
    };
    static const char *const no[] = {
        "please don't message me on whatsapp", "I won't add you on WhatsApp, use Teams",
        "never share your WhatsApp number", "https://discord.gg/abc123",
    };
    expect_all(PUPIL, yes, N(yes), "messaging", true);
    expect_all(PUPIL, no, N(no), "messaging", false);
}
END_TEST

/* ---- adult_urls ---- */

static const char *const adult_yes[] = {
    "pornhub.com",
    "look at www.PornHub.com/view_video.php?viewkey=1.",
    "%70ornhub.com/x",
    "http://school.uk@pornhub.com/",
    "de.pornhub.com/x",
    "https://www.google.com/url?q=https%3A%2F%2Fwww.pornhub.com%2F&sa=D",
    "https://eur02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fpornhub.com%2F&data=05",
    "https://www.bing.com/ck/a?!&&p=abc&u=a1aHR0cHM6Ly93d3cucG9ybmh1Yi5jb20v&ntb=1",
    "https://urldefense.com/v3/__https://www.pornhub.com/x__;!!abc$",
    "site.xxx/x",
    "tubesite2.net/x",
    "upper-case.example/x",
    "HTTPS://\xef\xbd\x90\xef\xbd\x8f\xef\xbd\x92\xef\xbd\x8e\xef\xbd\x88\xef\xbd\x95\xef\xbd\x82.com/",
};
static const char *const adult_no[] = {
    "notpornhub.com/x",
    "pornhub.com.evil.example/x",
    "safe.example-adult.com/page",
    "t.co/xyz",
    "the word pornhub on its own",
    "xxx.example.com",
    "essex.ac.uk/tubesite",
};

START_TEST(adult_links)
{
    expect_all(PUPIL, adult_yes, N(adult_yes), "adult", true);
    expect_all(PUPIL, adult_no, N(adult_no), "adult", false);
    /* Every recipient: a colleague too. */
    expect_hit("colleague@t.sch.uk", "pornhub.com", "adult", true);
}
END_TEST

START_TEST(adult_evidence)
{
    char *ev = evidence(PUPIL, "html", "test", "<p>Homework: <a href=\"https://www.pornhub.com/\">worksheet</a></p>",
                        "adult");
    ck_assert_ptr_nonnull(ev);
    ck_assert_msg(strstr(ev, "pornhub.com") && strstr(ev, "in the message text"), "%s", ev);
    free(ev);
    ev = evidence(PUPIL, "html", "test", "<a href=\"https://www.porn\r\nhub.com/\">worksheet</a>", "adult");
    ck_assert_ptr_nonnull(ev);
    free(ev);
    ev = evidence(PUPIL, "plain", "test", "https://www.google.com/url?q=https://de.pornhub.com/secret-name", "adult");
    ck_assert_ptr_nonnull(ev);
    ck_assert_msg(strstr(ev, "pornhub.com (behind a google.com redirect)") && !strstr(ev, "secret"), "%s", ev);
    free(ev);
    ev = evidence(PUPIL, "plain", "see pornhub.com", "hello", "adult");
    ck_assert_ptr_nonnull(ev);
    ck_assert_msg(strstr(ev, "in the subject"), "%s", ev);
    free(ev);
    /* A pattern names the site, not the subdomain. */
    ev = evidence(PUPIL, "plain", "test", "amy-smith.tubesite7.co.uk/x", "adult");
    ck_assert_ptr_nonnull(ev);
    ck_assert_msg(strstr(ev, "tubesite7.co.uk") && !strstr(ev, "amy"), "%s", ev);
    free(ev);
}
END_TEST

START_TEST(adult_list_errors)
{
    char dir[] = "/tmp/sg-adult-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char list[128], pol[128];
    snprintf(list, sizeof(list), "%s/bad.txt", dir);
    FILE *f = fopen(list, "w");
    ck_assert_ptr_nonnull(f);
    fputs("# bad\nhttp://x.example/path\nre:([unclosed\ngood.example\n", f);
    fclose(f);
    snprintf(pol, sizeof(pol), "%s/policy.yaml", dir);
    f = fopen(pol, "w");
    ck_assert_ptr_nonnull(f);
    fputs("school:\n  name: T\n  staff_domains: [t.sch.uk]\n"
          "rules:\n  - id: a\n    category: adult\n    action: quarantine\n    cite: c\n"
          "    match: {adult_urls: {domains: [bad.txt]}}\n"
          "  - id: b\n    category: adult\n    action: quarantine\n    cite: c\n"
          "    match: {adult_urls: true}\n", f);
    fclose(f);
    char *errors = NULL;
    struct sg_policy *p = sg_policy_load(pol, &errors);
    ck_assert_ptr_null(p);
    ck_assert_msg(errors && strstr(errors, "bad.txt:2") && strstr(errors, "is not a domain"), "%s", errors);
    ck_assert_msg(strstr(errors, "bad.txt:3") && strstr(errors, "pattern"), "%s", errors);
    /* The default list beside this policy does not exist: say so. */
    ck_assert_msg(strstr(errors, "default domain list") && strstr(errors, "lists/adult-domains.txt"), "%s", errors);
    free(errors);
    unlink(list);
    unlink(pol);
    rmdir(dir);
}
END_TEST

/* ---- recipient_domains ---- */

START_TEST(press_recipients)
{
    static const char *const newsrooms[] = {"desk@bbc.co.uk", "Reporter@News.BBC.co.uk", "ed@kentlive.news",
                                            "tips@echo2.example"};
    for (size_t i = 0; i < N(newsrooms); i++)
        expect_hit(newsrooms[i], "Happy to talk.", "press", true);
    static const char *const others[] = {"parent@example.com", "x@notbbc.co.uk", "x@bbc.co.uk.example",
                                         "teacher@learning.bbc.co.uk", "x@echo.example.org"};
    for (size_t i = 0; i < N(others); i++)
        expect_hit(others[i], "Happy to talk.", "press", false);
    /* The evidence names the listed domain, never the address. */
    char *ev = evidence("kate.ellison@news.bbc.co.uk", "plain", "hi", "hello", "press");
    ck_assert_ptr_nonnull(ev);
    ck_assert_msg(strstr(ev, "listed domain, bbc.co.uk") && !strstr(ev, "kate"), "%s", ev);
    free(ev);
}
END_TEST

Suite *sg_suite_people2(void)
{
    Suite *s = suite_create("people2");
    TCase *u = tcase_create("url");
    tcase_add_test(u, url_hosts_and_targets);
    tcase_add_test(u, url_parts);
    tcase_add_test(u, url_not_links);
    tcase_add_test(u, url_host_in);
    suite_add_tcase(s, u);
    TCase *tc = tcase_create("detectors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, landline_writings);
    tcase_add_test(tc, press_recipients);
    tcase_add_test(tc, landline_evidence_and_options);
    tcase_add_test(tc, landline_bad_options);
    tcase_add_test(tc, social_writings);
    tcase_add_test(tc, social_html_href_and_evidence);
    tcase_add_test(tc, quoted_history_is_not_the_writer);
    tcase_add_test(tc, messaging_writings);
    tcase_add_test(tc, adult_links);
    tcase_add_test(tc, adult_evidence);
    tcase_add_test(tc, adult_list_errors);
    suite_add_tcase(s, tc);
    return s;
}
