/*
 * detect_social.c - "match: social: true" or {allow, quoted}: a member
 * of staff connecting with a pupil on personal social media (001 5.2
 * "Decline student initiated 'friend' requests and not issue 'friend'
 * requests to students"; "not accept any current pupil ... as a friend,
 * follower, subscriber"; 003 3 "Only official school sites must be used
 * for communicating with pupils").
 *
 * What counts:
 * - links to a profile (instagram.com/x, tiktok.com/@x, snapchat.com/add/x,
 *   facebook.com/x, x.com/x, threads.net/@x, twitch.tv/x, roblox.com/users,
 *   steamcommunity.com/id/x) and Discord server invites, however written:
 *   url.c reads the link, so "mobile.", "m.", a query, a trailing slash
 *   or full stop, or a redirect wrapper change nothing;
 * - YouTube channel links (youtube.com/@x, /c/, /channel/, /user/) with
 *   "my", "me" or "subscribe" in the sentence: teachers link educational
 *   channels all the time;
 * - invitations: "add me on Snapchat", "follow me on insta", "I've sent
 *   you a friend request", "accept my follow request", "subscribe to my
 *   channel", "join my Discord", "my gamertag is ...";
 * - handles "@name" with the network named next to them ("snap: @x",
 *   "@x on tiktok") or a full network name or "follow me"/"add me" in the
 *   same sentence.
 * What does not: the school's accounts (school.official_social) and
 * allow: entries, as links or as @handles; an invitation negated in its
 * own clause ("I can't accept your friend request", "don't add me on
 * Snapchat"); anything in quoted history (the pupil's own handle quoted
 * back) unless quoted: true.
 */
#include <stdlib.h>
#include <string.h>
#include "sg_decline.h"
#include "sg_detector.h"
#include "sg_schema.h"
#include "sg_text.h"
#include "sg_url.h"

/* Networks as people name them in an invitation; case-folded text.
 * Discord chat ("add me on Discord") is messaging:'s; its server
 * invites are here. */
#define NETS                                                                                                   \
    "(?:snap(?:chat)?|sc|insta(?:gram)?|ig|tik\\s?tok|tt|facebook|fb|twitter|x|threads|be\\s?real|twitch|"     \
    "youtube|yt|roblox|xbox(?:\\s+live)?|psn|playstation|steam|fortnite|minecraft)"

static const char *const phrase_patterns[] = {
    "\\b(?:add|follow|friend|find|dm|message|sub(?:scribe)?\\s+to|join)\\s+me\\s+(?:on|at)\\s+" NETS "\\b",
    /* "accept my friend request", not the e-safety "only accept friend
     * requests from people you know". */
    "\\b(?:send|accept|approve)\\s+(?:me\\s+(?:a\\s+|my\\s+)?|a\\s+|my\\s+|your\\s+)(?:friend|follow(?:er)?)\\s+request\\b(?!s)",
    "\\b(?:i'?ve|i\\s+have|i'?ll|i\\s+will|i|just)\\s+(?:sent|send|accepted|approved)\\s+(?:you\\s+)?(?:a\\s+|your\\s+)?"
    "(?:friend|follow(?:er)?)\\s+request\\b",
    "\\badd\\s+me\\s+(?:as\\s+a\\s+friend|back)\\b|\\bfollow\\s+me\\s+back\\b",
    "\\b(?:i'?ll|i\\s+will|i'?ve|i\\s+have|let\\s+me)\\s+(?:add|added|follow|followed)\\s+you\\s+(?:on\\s+" NETS
    "|back)\\b",
    "\\bmy\\s+" NETS "(?:\\s+(?:handle|username|user\\s?name|name|account|page|tag|id|gamertag|channel))?\\s*"
    "(?:is|:)\\s*@?[a-z0-9_.]{2,}",
    "\\bmy\\s+(?:gamer\\s?tag|psn\\s+id|xbox\\s+tag|roblox\\s+(?:user)?name|discord\\s+(?:tag|server))\\b",
    "\\b(?:subscribe|sub)\\s+to\\s+my\\s+(?:youtube\\s+|yt\\s+|twitch\\s+)?channel\\b"
    "|\\bmy\\s+(?:youtube|yt|twitch|tiktok)\\s+(?:channel|stream|page|account)\\b"
    "|\\b(?:check\\s+out|watch)\\s+my\\s+(?:channel|streams?|vlogs?)\\b",
    "\\bjoin\\s+(?:my|our)\\s+(?:discord(?:\\s+server)?|roblox\\s+group|minecraft\\s+server|clan)\\b",
    "\\badd\\s+me\\b[^.!?\\n]{0,40}\\b(?:roblox|xbox|gamertag|psn|steam|fortnite|minecraft)\\b",
    NULL,
};
#define SOCIAL_MAX_PHRASES 12

/* A handle, not an address or a link's path: nothing word-like and no
 * "/" straight before the "@". */
static const char handle_pattern[] = "(?<![\\w.@+/-])@[a-z0-9_][a-z0-9_.]{1,29}(?<!\\.)";
/* Next to a handle: a network's name or nickname ("snap: @x", "@x on tt",
 * "@x (insta)"). */
static const char handle_before_pattern[] = "\\b" NETS "\\s*[:\\-]?\\s*$";
static const char handle_after_pattern[] = "^\\s*(?:\\(|on\\s+|-\\s*)" NETS "\\b";
/* In the same sentence as a handle: a network's full name, or the
 * writer inviting. Nicknames (sc, tt, x) are too short to count here. */
static const char handle_context_pattern[] =
    "\\b(?:snapchat|snap|instagram|insta|tiktok|twitter|facebook|threads|twitch|youtube|discord|roblox|xbox|"
    "bereal)\\b|\\b(?:follow|add)\\s+me\\b|\\bmy\\s+(?:handle|username|account|page)\\b";

/* A sentence that makes a YouTube channel the writer's own. */
static const char channel_cue_pattern[] = "\\b(?:my|me|subscribe|sub|follow)\\b";

struct social {
    struct sg_rx *phrases[SOCIAL_MAX_PHRASES];
    unsigned phrase_anchor[SOCIAL_MAX_PHRASES];
    size_t nphrases;
    unsigned handle_anchor;
    struct sg_rx *handle, *before, *after, *context, *channel_cue;
    char **allow;                /* url keys */
    bool quoted;
};

#define SO(f) offsetof(struct social, f)
static const struct sg_cfg_key social_opts[] = {
    {.key = "allow", .type = SG_CFG_STRLIST, .offset = SO(allow), .shape = "list of host/path",
     .doc = "Accounts never counted, besides `official_social`, as links or as @handles."},
    {.key = "quoted", .type = SG_CFG_BOOL, .offset = SO(quoted), .def = "false",
     .doc = "Count quoted history too: by default a pupil's own handle or request quoted back is not the "
            "member of staff's."},
    {.key = NULL},
};

static void social_free(void *state)
{
    struct social *s = state;
    for (size_t i = 0; i < s->nphrases; i++)
        sg_rx_free(s->phrases[i]);
    sg_rx_free(s->handle);
    sg_rx_free(s->before);
    sg_rx_free(s->after);
    sg_rx_free(s->context);
    sg_rx_free(s->channel_cue);
    sg_cfg_free_table(social_opts, s);
    free(s);
}

static void *social_parse(struct sg_cfg *cfg, yaml_node_t *node)
{
    if (!sg_detector_enabled(cfg, node, "social"))
        return NULL;
    struct social *s = sg_xcalloc(1, sizeof(*s));
    sg_cfg_apply_table(cfg, node && node->type == YAML_MAPPING_NODE ? node : NULL, social_opts, s, "social");
    s->allow = sg_strv_map(s->allow, sg_url_key);
    s->nphrases = sg_detector_patterns(cfg, node, "social", phrase_patterns, s->phrases, SOCIAL_MAX_PHRASES);
    const char *const others[] = {handle_pattern, handle_before_pattern, handle_after_pattern,
                                  handle_context_pattern, channel_cue_pattern, NULL};
    struct sg_rx *rx[5] = {NULL};
    if (sg_detector_patterns(cfg, node, "social handle", others, rx, 5) == 5) {
        s->handle = rx[0], s->before = rx[1], s->after = rx[2], s->context = rx[3], s->channel_cue = rx[4];
    } else {
        for (size_t i = 0; i < 5; i++)
            sg_rx_free(rx[i]);
    }
    return s;
}

/* "x.com/school" allows "x.com/school/status/1" but not "x.com/schoolfan". */
static bool allowed(char *const *list, const char *key)
{
    for (size_t i = 0; list && list[i]; i++) {
        size_t n = strlen(list[i]);
        if (!strncmp(key, list[i], n) && (key[n] == '\0' || key[n] == '/'))
            return true;
    }
    return false;
}

/* "@northfieldacad" is the account x.com/northfieldacad. */
static bool allowed_handle(char *const *list, const char *h, size_t n)
{
    for (size_t i = 0; list && list[i]; i++) {
        const char *slash = strchr(list[i], '/');
        if (!slash)
            continue;
        const char *acct = slash + 1 + (slash[1] == '@');
        size_t an = strcspn(acct, "/");
        if (an == n && !strncmp(acct, h, n))
            return true;
    }
    return false;
}

struct social_ctx {
    const struct social *s;
    const struct sg_scan *scan;
    struct sg_buf *ev;
};

static bool counts_at(const struct social_ctx *ctx, size_t off)
{
    return ctx->s->quoted || !sg_scan_quoted(ctx->scan, off);
}

static bool sentence_end(const char *p)
{
    return *p == '\n' || ((*p == '.' || *p == '!' || *p == '?') && (p[1] == ' ' || p[1] == '\n' || !p[1]));
}

/* The sentence around [off, off+len), clipped to its segment and to
 * span characters either side. */
static void sentence(const struct sg_scan *scan, size_t off, size_t len, size_t span, size_t *from, size_t *to)
{
    const struct sg_segment *seg = sg_scan_segment_at(scan, off);
    size_t lo = seg ? seg->off : 0, hi = seg ? seg->off + seg->len : scan->text_len;
    size_t a = off > lo + span ? off - span : lo, b = off + len + span < hi ? off + len + span : hi;
    for (size_t i = off; i > a; i--)
        if (sentence_end(scan->text + i - 1)) {
            a = i;
            break;
        }
    for (size_t i = off + len; i < b; i++)
        if (sentence_end(scan->text + i)) {
            b = i;
            break;
        }
    *from = a;
    *to = b;
}

static int any_match(const char *m, size_t len, void *ctx)
{
    (void)m, (void)len, (void)ctx;
    return 1;
}

static bool rx_in(const struct sg_rx *rx, const char *s, size_t n)
{
    return rx && sg_rx_each(rx, s, n, any_match, NULL) > 0;
}

/* ---- links ---- */

/* The site behind its mobile and short-link hosts: m.facebook.com,
 * mobile.twitter.com, vm.tiktok.com are the same accounts. */
static const char *site_host(const char *host)
{
    static const char *const prefixes[] = {"m.", "mobile.", "vm.", "vt.", "web.", "touch.", NULL};
    for (size_t i = 0; prefixes[i]; i++) {
        size_t n = strlen(prefixes[i]);
        if (!strncmp(host, prefixes[i], n) && strchr(host + n, '.'))
            return host + n;
    }
    return host;
}

/* What kind of personal page a host and path are, or NULL. */
static const char *profile_kind(const char *host, const char *path, bool *needs_cue)
{
    *needs_cue = false;
    bool has_path = path[0] == '/' && path[1];
    if ((!strcmp(host, "discord.gg") && has_path) ||
        ((!strcmp(host, "discord.com") || !strcmp(host, "discordapp.com")) && !strncmp(path, "/invite/", 8) &&
         path[8]))
        return "Discord server invite";
    if (!has_path)
        return NULL;
    /* A site's own pages are nobody's profile. */
    static const char *const site_pages[] = {"/help", "/legal", "/about", "/privacy", "/policies", "/policy",
                                             "/terms", "/safety", "/hashtag", "/explore", "/search", "/settings",
                                             "/login", "/signup", "/accounts", "/directory", NULL};
    for (size_t i = 0; site_pages[i]; i++) {
        size_t n = strlen(site_pages[i]);
        if (!strncmp(path, site_pages[i], n) && (path[n] == '\0' || path[n] == '/' || path[n] == '.'))
            return NULL;
    }
    static const char *const networks[] = {"instagram.com", "instagr.am", "tiktok.com", "snapchat.com",
                                           "facebook.com", "fb.com", "fb.me", "x.com", "twitter.com",
                                           "threads.net", "twitch.tv", "bere.al", NULL};
    for (size_t i = 0; networks[i]; i++)
        if (!strcmp(host, networks[i]))
            return "personal social media link";
    if (!strcmp(host, "roblox.com") && !strncmp(path, "/users/", 7))
        return "gaming profile link";
    if (!strcmp(host, "steamcommunity.com") && (!strncmp(path, "/id/", 4) || !strncmp(path, "/profiles/", 10)))
        return "gaming profile link";
    if (!strcmp(host, "youtube.com") && (!strncmp(path, "/@", 2) || !strncmp(path, "/c/", 3) ||
                                         !strncmp(path, "/channel/", 9) || !strncmp(path, "/user/", 6))) {
        *needs_cue = true;
        return "personal video channel link";
    }
    return NULL;
}

static int check_link(struct social_ctx *ctx, const struct sg_url *u, const char *host, const char *path)
{
    bool needs_cue;
    host = site_host(host);
    const char *kind = profile_kind(host, path, &needs_cue);
    if (!kind)
        return 0;
    struct sg_buf whole = {0};
    sg_buf_printf(&whole, "%s%s", host, path);
    char *key = sg_url_key(whole.data);
    sg_buf_free(&whole);
    int found = !allowed(ctx->scan->policy->school.official_social, key) && !allowed(ctx->s->allow, key);
    /* A shared resource is not an invitation: the writer must make the
     * channel theirs in the same sentence. */
    if (found && needs_cue) {
        size_t from, to;
        sentence(ctx->scan, u->off, u->len, 80, &from, &to);
        struct sg_buf around = {0};
        sg_buf_append(&around, ctx->scan->text + from, u->off - from);
        sg_buf_puts(&around, " ");
        sg_buf_append(&around, ctx->scan->text + u->off + u->len, to - u->off - u->len);
        found = rx_in(ctx->s->channel_cue, around.data, around.len);
        sg_buf_free(&around);
    }
    if (found) {
        const char *slash = strchr(key, '/');
        sg_buf_printf(ctx->ev, "%s on %.*s, ", kind, (int)(slash ? (size_t)(slash - key) : strlen(key)), key);
        sg_scan_where(ctx->scan, u->off, ctx->ev);
    }
    free(key);
    return found;
}

static int on_url(const struct sg_url *u, void *ctx_)
{
    struct social_ctx *ctx = ctx_;
    if (!counts_at(ctx, u->off))
        return 0;
    if (u->target_host)
        return check_link(ctx, u, u->target_host, u->target_path);
    return check_link(ctx, u, u->host, u->path);
}

/* ---- phrases and handles ---- */

static bool phrase_counts(const struct social_ctx *ctx, size_t off)
{
    if (!counts_at(ctx, off))
        return false;
    const struct sg_segment *seg = sg_scan_segment_at(ctx->scan, off);
    return !sg_decline_before(ctx->scan->text, seg ? seg->off : 0, off);
}

static int on_phrase(const char *m, size_t len, void *ctx_)
{
    struct social_ctx *ctx = ctx_;
    size_t off = (size_t)(m - ctx->scan->text);
    if (!phrase_counts(ctx, off))
        return 0;
    sg_evidence_quote(ctx->ev, "social media invitation", m, len, 50);
    sg_buf_puts(ctx->ev, ", ");
    sg_scan_where(ctx->scan, off, ctx->ev);
    return 1;
}

static int on_handle(const char *m, size_t len, void *ctx_)
{
    struct social_ctx *ctx = ctx_;
    const struct sg_scan *scan = ctx->scan;
    const struct social *s = ctx->s;
    size_t off = (size_t)(m - scan->text);
    if (allowed_handle(scan->policy->school.official_social, m + 1, len - 1) ||
        allowed_handle(s->allow, m + 1, len - 1) || !phrase_counts(ctx, off))
        return 0;
    const struct sg_segment *seg = sg_scan_segment_at(scan, off);
    size_t lo = seg ? seg->off : 0, hi = seg ? seg->off + seg->len : scan->text_len;
    size_t b = off > lo + 16 ? off - 16 : lo, a = off + len + 16 < hi ? off + len + 16 : hi;
    size_t from, to;
    sentence(scan, off, len, 60, &from, &to);
    bool near = rx_in(s->before, scan->text + b, off - b) || rx_in(s->after, m + len, a - off - len) ||
                rx_in(s->context, scan->text + from, to - from);
    if (!near)
        return 0;
    sg_evidence_quote(ctx->ev, "social media handle", m, len, 32);
    sg_buf_puts(ctx->ev, " with a network named, ");
    sg_scan_where(scan, off, ctx->ev);
    return 1;
}

static int social_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    const struct social *s = state;
    struct social_ctx ctx = {s, scan, &out->evidence};
    int rc = sg_url_each(scan->text, scan->text_len, on_url, &ctx);
    if (!rc)
        rc = sg_scan_rx_each_of(scan, s->phrases, s->phrase_anchor, s->nphrases, on_phrase, &ctx);
    if (!rc && s->handle)
        rc = sg_scan_rx(scan, s->handle, s->handle_anchor, on_handle, &ctx);
    return rc;
}

static bool social_compile(void *state, struct sg_matcher *m, struct sg_cfg *cfg)
{
    (void)cfg;
    struct social *s = state;
    sg_anchor_register_all(m, phrase_patterns, s->nphrases, s->phrase_anchor);
    /* The "@" and the handle's first letter: one hit per handle, where the
     * whole pattern would report one for every length it could have. */
    s->handle_anchor = sg_anchor_register(m, "@[a-z0-9_]");
    return true;
}

const struct sg_detector sg_detect_social = {
    .key = "social",
    .options = social_opts,
    .doc = "Connecting on personal social media: profile links (Instagram, TikTok, Snapchat, Facebook, X, "
           "Threads, Twitch, Roblox, Steam; YouTube channels the writer calls their own), Discord invites, "
           "friend and follow requests, \"add me on ...\", @handles with the network named. The school's "
           "`official_social` accounts, declined requests and quoted history excepted.",
    .needs_text = true,
    .parse = social_parse,
    .compile = social_compile,
    .scan = social_scan,
    .free = social_free,
};
