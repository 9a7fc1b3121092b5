/*
 * detect_landline.c - "match: landline: true" or {allow, cues, near,
 * needs_cue, quoted}: a UK landline (01 and 02 numbers) given as the
 * member of staff's own: 002 "Staff should not give their personal
 * contact details to pupils including e-mail, home or mobile telephone
 * numbers".
 *
 * A landline alone is not personal: schools send pupils the council's,
 * the college's or the GP's number all the time. So by default a number
 * counts only with a cue near it that makes it the writer's own: "call
 * me", "ring me", "my number", "my landline", "home number", "(home)".
 * Bare "home" is not a cue ("the Home Office", "home learning").
 *
 * pcre2 finds candidates in the writings people use (01632 960123,
 * (01632) 960123, 020 7946 0123, +44 (0)20 7946 0123, 0113 496 0123);
 * the digits then decide: 11 national digits, or 10 for the few 01 areas
 * that have them; 02 only where it is a real area (020, 023, 024, 028,
 * 029). Digits running on from or into more digits (order numbers,
 * references), dates and times, and grid references are not numbers.
 * The school's own (school.landlines) and allow: never count.
 */
#include <stdlib.h>
#include <string.h>
#include "sg_detector.h"
#include "sg_schema.h"
#include "sg_text.h"

static const char landline_pattern[] =
    "(?<![\\d+])(?<!\\d[\\s.\\-/:])"
    "(?:(?:\\+|00)\\s?44[\\s.\\-]*(?:\\(0\\)[\\s.\\-]*)?|\\(?0[\\s.\\-]{0,2})"
    "[12](?:[\\s.\\-)]{0,2}\\d){8,9}"
    "(?!\\d)(?![\\s.\\-/:]\\d)";

/* What makes a number the writer's own. Case-folded text. */
static const char cue_pattern[] =
    "\\b(?:call|ring|phone|text|reach|contact|try|bell)\\s+me\\b"
    "|\\bgive\\s+me\\s+a\\s+(?:call|ring|bell)\\b"
    "|\\bmy\\s+(?:own\\s+|home\\s+|house\\s+|personal\\s+|private\\s+|direct\\s+)?"
    "(?:number|phone|landline|line|tel(?:ephone)?|no\\b|contact\\s+number)"
    "|\\bhome\\s*(?:number|phone|tel(?:ephone)?|landline|line|no\\b)"
    "|\\bhome\\s*:|\\(\\s*home\\s*\\)|\\(h\\)|\\bh\\s*:\\s*(?=\\(?[0+])"
    "|\\b(?:me|us)\\s+at\\s+home\\b|\\bmy\\s+home\\b|\\bmy\\s+house\\b";

struct landline {
    struct sg_rx *rx, *cues;
    char **allow;                /* national digits */
    char **extra_cues;
    size_t near;
    bool needs_cue, quoted;
};

#define LL(f) offsetof(struct landline, f)
static const struct sg_cfg_key landline_keys[] = {
    {.key = "allow", .type = SG_CFG_STRLIST, .offset = LL(allow), .shape = "list of numbers",
     .doc = "Numbers never counted, in any writing, besides the school's own `landlines`."},
    {.key = "cues", .type = SG_CFG_STRLIST, .offset = LL(extra_cues), .shape = "list of phrases",
     .doc = "Phrases that, near a number, make it the writer's own, added to the built-in ones (\"call me\", "
            "\"ring me\", \"text me\", \"my number\", \"my landline\", \"home number\", \"home:\", \"(home)\", "
            "\"me at home\")."},
    {.key = "near", .type = SG_CFG_SIZE, .offset = LL(near), .def = "60", .min = 1, .max = 1000,
     .shape = "number", .doc = "Characters between a cue and the number, either side (default 60)."},
    {.key = "needs_cue", .type = SG_CFG_BOOL, .offset = LL(needs_cue), .def = "true",
     .doc = "Count a number only with a cue near it (default): pupils are often sent outside landlines "
            "(the council, a college, the GP). `false` counts every landline but the school's."},
    {.key = "quoted", .type = SG_CFG_BOOL, .offset = LL(quoted), .def = "false",
     .doc = "Count numbers in quoted history too: by default the other side's words quoted back do not count."},
    {.key = NULL},
};

static void landline_free(void *state)
{
    struct landline *l = state;
    sg_rx_free(l->rx);
    sg_rx_free(l->cues);
    sg_cfg_free_table(landline_keys, l);
    free(l);
}

/* A phrase as a pattern on word edges, its metacharacters escaped. */
static void add_cue(struct sg_buf *b, const char *phrase)
{
    sg_buf_puts(b, "|\\b");
    for (const char *p = phrase; *p; p++) {
        if (*p == ' ') {
            sg_buf_puts(b, "\\s+");
            continue;
        }
        if (strchr("\\^$.|?*+()[]{}", *p))
            sg_buf_append(b, "\\", 1);
        sg_buf_append(b, p, 1);
    }
    sg_buf_puts(b, "\\b");
}

static void *landline_parse(struct sg_cfg *cfg, yaml_node_t *node)
{
    if (!sg_detector_enabled(cfg, node, "landline"))
        return NULL;
    struct landline *l = sg_xcalloc(1, sizeof(*l));
    sg_cfg_apply_table(cfg, node && node->type == YAML_MAPPING_NODE ? node : NULL, landline_keys, l, "landline");
    l->allow = sg_strv_map(l->allow, sg_phone_national);
    struct sg_buf cues = {0};
    sg_buf_puts(&cues, cue_pattern);
    for (size_t i = 0; l->extra_cues && l->extra_cues[i]; i++) {
        struct sg_buf norm = {0};
        sg_buf_append(&norm, "", 0);
        if (sg_text_normalise(l->extra_cues[i], strlen(l->extra_cues[i]), &norm) && norm.len &&
            norm.data[strspn(norm.data, " ")])
            add_cue(&cues, norm.data + strspn(norm.data, " "));
        else
            sg_cfg_error(cfg, node, "landline: cues: an empty phrase");
        sg_buf_free(&norm);
    }
    char err[256];
    if (!(l->rx = sg_rx_new(landline_pattern, err, sizeof(err), NULL)))
        sg_cfg_error(cfg, node, "internal landline pattern: %s", err);
    if (!(l->cues = sg_rx_new(cues.data, err, sizeof(err), NULL)))
        sg_cfg_error(cfg, node, "landline: cues: %s", err);
    sg_buf_free(&cues);
    return l;
}

/* 11 national digits from 01 or a real 02 area; 10 from 01 (Brampton's
 * 016977 and a few others still have them). */
bool sg_landline_digits_ok(const char *d);
bool sg_landline_digits_ok(const char *d)
{
    size_t n = strlen(d);
    if (d[0] != '0')
        return false;
    if (d[1] == '1')
        return n == 11 || n == 10;
    if (d[1] == '2')
        return n == 11 && strchr("03489", d[2]) != NULL;
    return false;
}

static bool listed(char *const *list, const char *digits)
{
    for (size_t i = 0; list && list[i]; i++)
        if (!strcmp(list[i], digits))
            return true;
    return false;
}

/* "01.02.2026 ..." and "01-02-2026": a date, not a number. */
static bool date_shaped(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '(')
        i++;
    if (n - i < 10)
        return false;
    const char *p = s + i;
    bool sep1 = p[2] == '.' || p[2] == '-', sep2 = p[5] == '.' || p[5] == '-';
    return sep1 && sep2 && p[0] == '0' && p[1] >= '1' && p[1] <= '9' && p[3] >= '0' && p[3] <= '3' &&
           (!strncmp(p + 6, "19", 2) || !strncmp(p + 6, "20", 2));
}

/* "SE 01234 56789": an OS grid reference (its 100 km square letters,
 * then eastings and northings of equal length). */
static bool grid_ref(const char *text, size_t off, const char *s, size_t n)
{
    size_t k = off;
    if (k && text[k - 1] == ' ')
        k--;
    if (k < 2)
        return false;
    char a = text[k - 2], b = text[k - 1];
    if (!strchr("hnost", a) || b < 'a' || b > 'z' || b == 'i' || (k > 2 && text[k - 3] >= 'a' && text[k - 3] <= 'z'))
        return false;
    size_t groups[2] = {0, 0}, g = 0;
    bool in = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            if (!in && g++ == 2)
                return false;
            in = true;
            groups[g - 1]++;
        } else {
            in = false;
        }
    }
    return g == 2 && groups[0] == groups[1];
}

static int found_cue(const char *m, size_t len, void *ctx)
{
    const char **where = ctx;
    where[0] = m;
    where[1] = m + len;
    return 1;
}

struct landline_ctx {
    const struct landline *l;
    const struct sg_scan *scan;
    struct sg_buf *ev;
};

static bool sentence_end(const char *p)
{
    return *p == '\n' || ((*p == '.' || *p == '!' || *p == '?') && (p[1] == ' ' || p[1] == '\n'));
}

/* A cue within near characters of [off, off+n), in the same segment and
 * sentence: "Ring me on 0113 496 0123" or "0113 496 0123 (home)", not
 * a cue that belongs to the sentence before. */
static bool cue_near(const struct landline_ctx *ctx, size_t off, size_t n, const char **cue, size_t *cue_len)
{
    const struct sg_scan *scan = ctx->scan;
    const struct sg_segment *seg = sg_scan_segment_at(scan, off);
    size_t lo = seg ? seg->off : 0, hi = seg ? seg->off + seg->len : scan->text_len;
    size_t from = off > lo + ctx->l->near ? off - ctx->l->near : lo;
    size_t to = off + n + ctx->l->near < hi ? off + n + ctx->l->near : hi;
    for (size_t i = off; i > from; i--)
        if (sentence_end(scan->text + i - 1)) {
            from = i;
            break;
        }
    for (size_t i = off + n; i < to; i++)
        if (sentence_end(scan->text + i)) {
            to = i;
            break;
        }
    const char *where[2] = {NULL, NULL};
    if (sg_rx_each(ctx->l->cues, scan->text + from, to - from, found_cue, where) <= 0)
        return false;
    *cue = where[0];
    *cue_len = (size_t)(where[1] - where[0]);
    return true;
}

static int on_candidate(const char *s, size_t len, void *ctx_)
{
    struct landline_ctx *ctx = ctx_;
    const struct sg_scan *scan = ctx->scan;
    size_t off = (size_t)(s - scan->text);
    if (!ctx->l->quoted && sg_scan_quoted(scan, off))
        return 0;
    if (date_shaped(s, len) || grid_ref(scan->text, off, s, len))
        return 0;
    char *raw = sg_xstrndup(s, len);
    char *d = sg_phone_national(raw);
    free(raw);
    int found = sg_landline_digits_ok(d) && !listed(scan->policy->school.landlines, d) && !listed(ctx->l->allow, d);
    const char *cue = NULL;
    size_t cue_len = 0;
    if (found && ctx->l->needs_cue && !cue_near(ctx, off, len, &cue, &cue_len))
        found = 0;
    if (found) {
        /* Evidence never carries the whole number. */
        sg_buf_printf(ctx->ev, "UK landline number ending %s", d + strlen(d) - 3);
        if (cue)
            sg_evidence_quote(ctx->ev, ", given as the writer's own:", cue, cue_len, 30);
        sg_buf_puts(ctx->ev, ", ");
        sg_scan_where(scan, off, ctx->ev);
    }
    free(d);
    return found;
}

static int landline_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    const struct landline *l = state;
    if (!l->rx || !l->cues)
        return 0;
    struct landline_ctx ctx = {l, scan, &out->evidence};
    return sg_rx_each(l->rx, scan->text, scan->text_len, on_candidate, &ctx);
}

const struct sg_detector sg_detect_landline = {
    .key = "landline",
    .options = landline_keys,
    .doc = "A UK landline (01, 02) given as the writer's own: by default only with a cue near it (\"call me\", "
           "\"my number\", \"home number\"), since pupils are often sent outside numbers; the school's "
           "`landlines` and allow: excepted, quoted history too.",
    .needs_text = true,
    .parse = landline_parse,
    .scan = landline_scan,
    .free = landline_free,
};
