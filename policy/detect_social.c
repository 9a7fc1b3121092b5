/*
 * detect_social.c - "match: social: true" or {allow: [host/path]}: links
 * to or handles on personal social media (instagram.com/x, tiktok.com/@x,
 * snapchat.com/add/x, facebook.com/x, x.com/x, twitter.com/x), "add me on
 * Snapchat", "send me a friend request". The school's official accounts
 * (school.official_social) and allow: entries are not personal.
 * Seed 001 5.2: do not issue friend requests to students.
 */
#include <stdlib.h>
#include <string.h>
#include "sg_detector.h"
#include "sg_text.h"

#define NETS "(?:snap(?:chat)?|insta(?:gram)?|tik\\s?tok|facebook|fb|twitter|x|threads|bereal)"

/* The host starts at a host boundary: "dropbox.com/s/..", "netflix.com/.."
 * and "box.com/.." are not x.com. */
static const char url_pattern[] =
    "(?<![a-z0-9_.-])(?:https?://)?(?:www\\.|m\\.|vm\\.)?(?:instagram\\.com|instagr\\.am|tiktok\\.com|snapchat\\.com|"
    "facebook\\.com|fb\\.com|fb\\.me|x\\.com|twitter\\.com|threads\\.net)/[^\\s<>\"')]+";

static const char *const phrase_patterns[] = {
    "\\b(?:add|follow|friend|find|dm|message)\\s+me\\s+on\\s+" NETS "\\b",
    "\\b(?:send|accept)\\s+(?:me\\s+)?(?:a\\s+|my\\s+)?friend\\s+request\\b",
    "\\badd\\s+me\\s+as\\s+a\\s+friend\\b",
    "\\bmy\\s+" NETS "(?:\\s+(?:handle|username|name|account|page))?\\s*(?:is|:)\\s*@?[a-z0-9_.]{2,}",
    "(?<![a-z0-9_.])@[a-z0-9_.]{3,30}\\s+on\\s+" NETS "\\b",
    NULL,
};

struct social {
    struct sg_rx *url;
    struct sg_rx *phrases[8];
    size_t nphrases;
    char **allow;                /* url keys */
};

static void *social_parse(struct sg_cfg *cfg, yaml_node_t *node)
{
    if (!sg_detector_enabled(cfg, node, "social"))
        return NULL;
    struct social *s = sg_xcalloc(1, sizeof(*s));
    const char *names[] = {"allow", NULL};
    char ***outs[] = {&s->allow};
    sg_detector_options(cfg, node, "social", names, outs);
    s->allow = sg_strv_map(s->allow, sg_url_key);
    char err[256];
    if (!(s->url = sg_rx_new(url_pattern, err, sizeof(err), NULL)))
        sg_cfg_error(cfg, node, "internal social link pattern: %s", err);
    s->nphrases = sg_detector_patterns(cfg, node, "social", phrase_patterns, s->phrases, 8);
    return s;
}

/* "twitter.com/school" allows "twitter.com/school/status/1" but not
 * "twitter.com/schoolfan". */
static bool allowed(char *const *list, const char *key)
{
    for (size_t i = 0; list && list[i]; i++) {
        size_t n = strlen(list[i]);
        if (!strncmp(key, list[i], n) && (key[n] == '\0' || key[n] == '/'))
            return true;
    }
    return false;
}

struct social_ctx {
    const struct social *s;
    const struct sg_policy *p;
    struct sg_buf *ev;
};

static int on_url(const char *m, size_t len, void *ctx_)
{
    struct social_ctx *ctx = ctx_;
    char *raw = sg_xstrndup(m, len);
    char *key = sg_url_key(raw);
    free(raw);
    const char *slash = strchr(key, '/');
    /* A bare site link or its help pages are not somebody's profile. */
    bool profile = slash && slash[1] && strncmp(slash, "/help", 5) && strncmp(slash, "/legal", 6);
    int found = profile && !allowed(ctx->p->school.official_social, key) && !allowed(ctx->s->allow, key);
    if (found) {
        size_t host = (size_t)(slash - key);
        sg_buf_printf(ctx->ev, "personal social media link on %.*s", (int)host, key);
    }
    free(key);
    return found;
}

static int on_phrase(const char *m, size_t len, void *ctx_)
{
    struct social_ctx *ctx = ctx_;
    sg_evidence_quote(ctx->ev, "social media invitation", m, len, 50);
    return 1;
}

static int social_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    const struct social *s = state;
    struct social_ctx ctx = {s, scan->policy, &out->evidence};
    int rc = s->url ? sg_rx_each(s->url, scan->text, scan->text_len, on_url, &ctx) : 0;
    return rc ? rc : sg_rx_each_of(s->phrases, s->nphrases, scan->text, scan->text_len, on_phrase, &ctx);
}

static void social_free(void *state)
{
    struct social *s = state;
    sg_rx_free(s->url);
    for (size_t i = 0; i < s->nphrases; i++)
        sg_rx_free(s->phrases[i]);
    sg_strv_free(s->allow);
    free(s);
}

/* Its options, for the walker and the reference: the names[] above. */
static const struct sg_cfg_key social_opts[] = {
    {.key = "allow", .type = SG_CFG_STRLIST, .shape = "list of host/path",
     .doc = "Accounts never counted, besides `official_social`."},
    {.key = NULL},
};

const struct sg_detector sg_detect_social = {
    .key = "social",
    .options = social_opts,
    .doc = "Links to or invitations on personal social media (official accounts excepted).",
    .needs_text = true,
    .parse = social_parse,
    .scan = social_scan,
    .free = social_free,
};
