/*
 * detect_lexicon.c - "match: lexicon:": weighted terms that must come
 * together before a rule fires, as Purview's keyword-with-supporting-
 * evidence rules do. One word is rarely a breach; "child protection
 * plan" within a few lines of a pupil's name and "social worker" is.
 *
 *   lexicon:
 *     files: [lists/confidential-safeguarding.txt]
 *     terms: ["3 child protection plan", "re:\bsection\s+47\b"]
 *     corroborate: [pupil, student]
 *     threshold: 4        # summed weight of distinct terms ...
 *     window: 300         # ... starting within this many characters
 *     near: 300           # a corroborating term this close to them
 *     quoted: false       # reply history counts too
 *     mentions: false     # a term only named ("words like 'X'") does not score
 *
 * Term lines: an optional weight 1-9, then the term; "re:" starts a pcre2
 * pattern. In files, lines after "[corroborate]" are corroborating terms,
 * after "[general]" general ones: the wording of a published policy
 * ("fixed-term exclusion", "reasonable force"), which scores only beside a
 * term of [terms] (what happened to someone), never by itself.
 * Literal terms go into the shared Hyperscan database with their plural
 * and -ise/-ize, -our/-or spellings; the scan only walks the occurrences
 * the engine found (scan->matches), so a rule costs no pass of its own.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sg_detector.h"
#include "sg_listfile.h"
#include "sg_mention.h"
#include "sg_schema.h"
#include "sg_text.h"

#define CORROBORATES 0x80u
#define MAX_REGEX_TERMS 64

enum term_role { TERM_SCORES = 0, TERM_CORROBORATES, TERM_UNLESS, TERM_GENERAL };

struct term {
    char *text;                  /* as written */
    char *label;                 /* for evidence: the term, or where a pattern was written */
    unsigned weight;             /* 0 = not scoring */
    bool corroborates;
    bool unless;                 /* in the sender's own words, it cancels the rule */
    bool general;                /* scores only beside a term that is not general */
    bool prefiltered;            /* Hyperscan finds candidates; rx confirms them */
    struct sg_rx *rx;            /* "re:" terms */
};

struct lexicon {
    struct term *terms;
    size_t nterms, cap;
    size_t threshold, window, near;
    bool quoted;
    bool forwarded;
    bool mentions;               /* false: a scoring term only named, in quotes after a cue, does not score */
    bool has_corroboration;
    size_t nregex;
    /* Filled by compile: pattern id -> term index + 1 (0 = not ours),
     * two slots an id: the scoring (or [unless]) term, the corroborating
     * one; "ofsted" may be both, and then one occurrence is both. */
    unsigned *term_of;
    size_t nterm_of;
};

/* One occurrence of one of this lexicon's terms. */
struct hit {
    size_t start, end;
    unsigned term;
};

static void add_term(struct sg_cfg *cfg, const yaml_node_t *node, const char *path, unsigned line,
                     struct lexicon *lx, const char *s, enum term_role role)
{
    bool corroborating = role == TERM_CORROBORATES;
    bool scoring = role == TERM_SCORES || role == TERM_GENERAL;
    unsigned weight = scoring ? 1 : 0;
    if (scoring && s[0] >= '1' && s[0] <= '9' && (s[1] == ' ' || s[1] == '\t')) {
        weight = (unsigned)(s[0] - '0');
        s += 2;
        while (*s == ' ' || *s == '\t')
            s++;
    }
    if (!*s) {
        if (path)
            sg_cfg_error_file(cfg, path, line, 0, "a weight with no term after it");
        else
            sg_cfg_error(cfg, node, "a weight with no term after it");
        return;
    }
    struct term t = {.weight = weight, .corroborates = corroborating, .unless = role == TERM_UNLESS,
                     .general = role == TERM_GENERAL};
    if (!strncmp(s, "re:", 3)) {
        if (lx->nregex >= MAX_REGEX_TERMS || !sg_cfg_count_patterns(cfg, node, 1)) {
            sg_cfg_error(cfg, node, "lexicon: at most %d re: terms per rule", MAX_REGEX_TERMS);
            return;
        }
        char err[256];
        t.rx = sg_rx_new(s + 3, err, sizeof(err), NULL);
        if (!t.rx) {
            if (path)
                sg_cfg_error_file(cfg, path, line, 0, "pattern \"%s\": %s", s + 3, err);
            else
                sg_cfg_error(cfg, node, "pattern \"%s\": %s", s + 3, err);
            return;
        }
        lx->nregex++;
    } else {
        bool word = false;
        for (const char *c = s; *c && !word; c++)
            word = isalnum((unsigned char)*c) || (unsigned char)*c >= 0x80;
        if (!word) {
            if (path)
                sg_cfg_error_file(cfg, path, line, 0, "term \"%s\" has no letters or digits", s);
            else
                sg_cfg_error(cfg, node, "term \"%s\" has no letters or digits", s);
            return;
        }
    }
    t.text = sg_xstrdup(s);
    if (t.rx) {
        /* A DSL reading the evidence cannot read a regex: say where it is. */
        struct sg_buf l = {0};
        const char *base = path ? strrchr(path, '/') : NULL;
        if (path)
            sg_buf_printf(&l, "pattern at %s:%u", base ? base + 1 : path, line);
        else
            sg_buf_printf(&l, "pattern %s", s + 3);
        t.label = sg_buf_steal(&l);
    } else {
        t.label = sg_xstrdup(s);
    }
    if (lx->nterms == lx->cap) {
        lx->cap = lx->cap ? lx->cap * 2 : 32;
        lx->terms = sg_xrealloc(lx->terms, lx->cap * sizeof(*lx->terms));
    }
    lx->terms[lx->nterms++] = t;
    lx->has_corroboration |= corroborating;
}

struct file_ctx {
    struct lexicon *lx;
    yaml_node_t *node;
    enum term_role role;
};

static void on_file_line(struct sg_cfg *cfg, const char *path, unsigned line, unsigned col, const char *s,
                         void *ctx_)
{
    (void)col;
    struct file_ctx *ctx = ctx_;
    if (s[0] == '[') {
        if (!strcmp(s, "[corroborate]"))
            ctx->role = TERM_CORROBORATES;
        else if (!strcmp(s, "[terms]"))
            ctx->role = TERM_SCORES;
        else if (!strcmp(s, "[unless]"))
            ctx->role = TERM_UNLESS;
        else if (!strcmp(s, "[general]"))
            ctx->role = TERM_GENERAL;
        else
            sg_cfg_error_file(cfg, path, line, 0,
                              "unknown section %s (known: [terms], [corroborate], [unless], [general])", s);
        return;
    }
    add_term(cfg, ctx->node, path, line, ctx->lx, s, ctx->role);
}

static void parse_files(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    yaml_node_t **nodes;
    char **items = sg_cfg_strlist(cfg, node, "files", &nodes);
    for (size_t i = 0; items[i]; i++) {
        struct file_ctx ctx = {field, nodes[i], TERM_SCORES};
        sg_listfile_read(cfg, nodes[i], items[i], on_file_line, &ctx);
    }
    sg_strv_free(items);
    free(nodes);
}

static void parse_terms_as(struct sg_cfg *cfg, yaml_node_t *node, struct lexicon *lx, enum term_role role)
{
    static const char *const what[] = {"terms", "corroborate", "unless", "general"};
    yaml_node_t **nodes;
    char **items = sg_cfg_strlist(cfg, node, what[role], &nodes);
    size_t n = sg_strv_len(items);
    if (sg_cfg_count_phrases(cfg, node, n))
        for (size_t i = 0; items[i]; i++)
            add_term(cfg, nodes[i], NULL, 0, lx, items[i], role);
    sg_strv_free(items);
    free(nodes);
}

static void parse_terms(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    parse_terms_as(cfg, node, field, TERM_SCORES);
}

static void parse_corroborate(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    parse_terms_as(cfg, node, field, TERM_CORROBORATES);
}

static void parse_unless(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    parse_terms_as(cfg, node, field, TERM_UNLESS);
}

static void parse_general(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    parse_terms_as(cfg, node, field, TERM_GENERAL);
}

#define LX(f) offsetof(struct lexicon, f)
static const struct sg_cfg_key lexicon_keys[] = {
    {.key = "files", .type = SG_CFG_CUSTOM, .custom = parse_files, .shape = "list of paths",
     .doc = "Term lists (contrib/lists/), relative to the policy file: one term a line with an optional weight "
            "1-9 first (default 1); `re:` starts a pcre2 pattern; lines after `[corroborate]` are corroborating "
            "terms, after `[unless]` cancelling ones, after `[general]` general ones (see `general`), after "
            "`[terms]` scoring ones again. A change reloads the policy."},
    {.key = "terms", .type = SG_CFG_CUSTOM, .custom = parse_terms, .shape = "list",
     .doc = "Terms written in the policy, as list lines (`\"3 child protection plan\"`)."},
    {.key = "corroborate", .type = SG_CFG_CUSTOM, .custom = parse_corroborate, .shape = "list",
     .doc = "Supporting terms: when any are given (here or in a file), the rule also needs one within `near` "
            "characters of the scoring terms (not inside them)."},
    {.key = "unless", .type = SG_CFG_CUSTOM, .custom = parse_unless, .shape = "list",
     .doc = "Terms that, in the member of staff's own words, mean the mail is about the matter rather than "
            "doing it (\"hoax\", \"please do not forward\", \"contact the headteacher\"): the rule does not fire. "
            "Files give them after `[unless]`."},
    {.key = "general", .type = SG_CFG_CUSTOM, .custom = parse_general, .shape = "list",
     .doc = "Scoring terms that are also the wording of a published policy (\"fixed-term exclusion\", "
            "\"reasonable force\", \"permanent exclusion\"): they add their weight only when the window also "
            "holds a term of `terms` (what happened to someone: \"has been given\", \"was suspended\"), so a "
            "behaviour policy sent to parents does not fire the rule by itself. Files give them after "
            "`[general]`."},
    {.key = "threshold", .type = SG_CFG_SIZE, .offset = LX(threshold), .def = "4", .min = 1, .max = 1000,
     .doc = "Summed weight of distinct terms that fires the rule."},
    {.key = "window", .type = SG_CFG_SIZE, .offset = LX(window), .def = "300", .min = 1, .max = 1000000,
     .doc = "The scoring terms must all start within this many characters."},
    {.key = "near", .type = SG_CFG_SIZE, .offset = LX(near), .def = "300", .min = 0, .max = 1000000,
     .doc = "How close a corroborating term must be to the scoring terms."},
    {.key = "quoted", .type = SG_CFG_BOOL, .offset = LX(quoted), .def = "false",
     .doc = "Count reply history too (`>` lines, \"On ... wrote:\", Outlook's From:/Sent: blocks). By default "
            "only what the member of staff wrote, forwarded or attached counts: the words of the person "
            "replied to are theirs."},
    {.key = "forwarded", .type = SG_CFG_BOOL, .offset = LX(forwarded), .def = "true",
     .doc = "Count what the member of staff forwards (forwarded messages and blocks). `false` for language "
            "rules: forwarding abuse to report it is not using it; forwarding a chain letter or a confidential "
            "file is still passing it on."},
    {.key = "mentions", .type = SG_CFG_BOOL, .offset = LX(mentions), .def = "true",
     .doc = "`false`: a scoring term that is only named does not score: a word or short phrase in quotation "
            "marks (straight or curly) just after a language cue (\"the word\", \"called\", \"said\", \"words "
            "like\", \"language such as\"), or a message quoted after \"a message saying\". \"you are a 'X'\" "
            "and a quoted sentence said to someone still score. For language and chain-letter rules: a letter "
            "home naming the words pupils use is not using them."},
    {.key = NULL},
};

static void *lexicon_parse(struct sg_cfg *cfg, yaml_node_t *node)
{
    struct lexicon *lx = sg_xcalloc(1, sizeof(*lx));
    if (!node || node->type != YAML_MAPPING_NODE) {
        sg_cfg_error(cfg, node, "lexicon takes a mapping: {files: [...], terms: [...], threshold: N, ...}");
        return lx;
    }
    sg_cfg_apply_table(cfg, node, lexicon_keys, lx, "lexicon");
    size_t scoring = 0, total = 0;
    /* "[unless]" terms and "[corroborate]" ones never score. */
    for (size_t i = 0; i < lx->nterms; i++)
        if (!lx->terms[i].corroborates) {
            scoring++;
            total += lx->terms[i].weight;
        }
    if (!scoring && !cfg->phrases_capped)
        sg_cfg_error(cfg, node, "lexicon: no terms (give terms: or files:)");
    else if (total < lx->threshold)
        sg_cfg_warn_node(cfg, node, "lexicon: all its terms together weigh %zu, below threshold %zu: it can never fire",
                         total, lx->threshold);
    return lx;
}

/* Spellings people use for the same word: the plural of the last word,
 * British and American -ise/-ize and -our/-or. */
static void variants(const char *term, char **out, size_t *n)
{
    size_t len = strlen(term);
    out[(*n)++] = sg_xstrdup(term);
    if (len < 3 || !isalpha((unsigned char)term[len - 1]))
        return;
    struct sg_buf b = {0};
    char last = (char)tolower((unsigned char)term[len - 1]), prev = (char)tolower((unsigned char)term[len - 2]);
    if (last == 'y' && !strchr("aeiou", prev))
        sg_buf_printf(&b, "%.*sies", (int)(len - 1), term);
    else if (last == 's' || last == 'x' || last == 'z' || ((last == 'h') && (prev == 'c' || prev == 's')))
        sg_buf_printf(&b, "%ses", term);
    else
        sg_buf_printf(&b, "%ss", term);
    out[(*n)++] = sg_buf_steal(&b);
    static const char *const swaps[][2] = {{"isation", "ization"}, {"ization", "isation"}, {"ise", "ize"},
                                           {"ize", "ise"}, {"our", "or"}};
    size_t base = *n;
    for (size_t v = 0; v < base && *n < 8; v++) {
        for (size_t s = 0; s < sizeof(swaps) / sizeof(swaps[0]) && *n < 8; s++) {
            char *at = strstr(out[v], swaps[s][0]);
            if (!at)
                continue;
            struct sg_buf w = {0};
            sg_buf_printf(&w, "%.*s%s%s", (int)(at - out[v]), out[v], swaps[s][1], at + strlen(swaps[s][0]));
            out[(*n)++] = sg_buf_steal(&w);
            break;
        }
    }
}

static void push_id(unsigned **ids, unsigned **owner, size_t *n, size_t *cap, unsigned id, unsigned term)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *ids = sg_xrealloc(*ids, *cap * sizeof(**ids));
        *owner = sg_xrealloc(*owner, *cap * sizeof(**owner));
    }
    (*ids)[*n] = id;
    (*owner)[(*n)++] = term;
}

static bool lexicon_compile(void *state, struct sg_matcher *m, struct sg_cfg *cfg)
{
    (void)cfg;
    struct lexicon *lx = state;
    unsigned *ids = NULL;
    size_t nids = 0, cap = 0;
    unsigned *owner = NULL;
    for (size_t i = 0; i < lx->nterms; i++) {
        char *forms[8];
        size_t nf = 0;
        if (lx->terms[i].rx) {
            /* Into the one Hyperscan pass when it can take the pattern;
             * else the pcre2 version runs on its own at scan time. */
            unsigned id = sg_matcher_add_regex(m, lx->terms[i].text + 3);
            if (id == UINT_MAX)
                continue;
            if (sg_matcher_is_prefilter(m, id)) {
                lx->terms[i].prefiltered = true;
            } else {
                sg_rx_free(lx->terms[i].rx);
                lx->terms[i].rx = NULL;
            }
            lx->nregex--;
            push_id(&ids, &owner, &nids, &cap, id, (unsigned)i);
            continue;
        }
        variants(lx->terms[i].text, forms, &nf);
        for (size_t f = 0; f < nf; f++) {
            push_id(&ids, &owner, &nids, &cap, sg_matcher_add_phrase(m, forms[f]), (unsigned)i);
            free(forms[f]);
        }
    }
    unsigned top = 0;
    for (size_t i = 0; i < nids; i++)
        if (ids[i] + 1 > top)
            top = ids[i] + 1;
    lx->nterm_of = top;
    lx->term_of = sg_xcalloc(top ? 2 * (size_t)top : 1, sizeof(*lx->term_of));
    /* Two terms of one list that normalise alike share a pattern; the
     * first one's weight stands. */
    for (size_t i = 0; i < nids; i++) {
        unsigned *slot = &lx->term_of[2 * (size_t)ids[i] + (lx->terms[owner[i]].corroborates ? 1 : 0)];
        if (!*slot)
            *slot = owner[i] + 1;
    }
    free(ids);
    free(owner);
    return true;
}

struct rx_ctx {
    struct hit **v;
    size_t *n, *cap;
    unsigned term;
    const char *base;
};

static void push_hit(struct hit **v, size_t *n, size_t *cap, size_t start, size_t end, unsigned term)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *v = sg_xrealloc(*v, *cap * sizeof(**v));
    }
    (*v)[(*n)++] = (struct hit){start, end, term};
}

static int on_rx(const char *m, size_t mlen, void *ctx_)
{
    struct rx_ctx *ctx = ctx_;
    size_t start = (size_t)(m - ctx->base);
    push_hit(ctx->v, ctx->n, ctx->cap, start, start + mlen, ctx->term);
    return *ctx->n >= ((size_t)1 << 20);
}

static int by_start(const void *a_, const void *b_)
{
    const struct hit *a = a_, *b = b_;
    return a->start < b->start ? -1 : a->start > b->start;
}

/* The window's terms, for evidence: a few of them, and every place the
 * rule's scoring terms were found. */
static void describe(const struct lexicon *lx, const struct sg_scan *scan, const struct hit *h, size_t n,
                     size_t from, size_t to, size_t score, struct sg_buf *out)
{
    sg_buf_printf(out, "score %zu of %zu:", score, lx->threshold);
    unsigned shown[4];
    size_t nshown = 0;
    for (size_t i = from; i < to && nshown < 4; i++) {
        if (!lx->terms[h[i].term].weight)
            continue;
        bool seen = false;
        for (size_t k = 0; k < nshown; k++)
            seen |= shown[k] == h[i].term;
        if (seen)
            continue;
        shown[nshown++] = h[i].term;
        const struct term *t = &lx->terms[h[i].term];
        if (t->rx || !strncmp(t->text, "re:", 3))
            sg_buf_printf(out, "%s %s", nshown > 1 ? "," : "", t->label);
        else
            sg_buf_printf(out, "%s \"%s\"", nshown > 1 ? "," : "", t->label);
    }
    sg_buf_puts(out, " ");
    /* Every place a scoring term is, not only the window's first: one
     * word in the subject must not stand for minutes full of them. */
    size_t *offs = sg_xmalloc((n ? n : 1) * sizeof(*offs)), noffs = 0;
    for (size_t i = 0; i < n; i++)
        if (lx->terms[h[i].term].weight)
            offs[noffs++] = h[i].start;
    sg_scan_where_all(scan, offs, noffs, out);
    free(offs);
}

static bool corroborated(const struct lexicon *lx, const struct hit *h, size_t n, size_t first, size_t last)
{
    size_t lo = h[first].start > lx->near ? h[first].start - lx->near : 0;
    size_t hi = h[last].end + lx->near;
    /* Hits are sorted by start and a term is short: begin the walk a
     * little before lo rather than at the first hit of the message. */
    size_t from = lo > 1024 ? lo - 1024 : 0, a = 0, b = n;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (h[mid].start < from)
            a = mid + 1;
        else
            b = mid;
    }
    for (size_t i = a; i < n; i++) {
        if (h[i].start > hi)
            break;
        if (h[i].end < lo || !lx->terms[h[i].term].corroborates)
            continue;
        /* "exclusion" inside "exclusion hearing" is the same words, not
         * a second signal. */
        bool inside = false;
        for (size_t j = first; j <= last && !inside; j++)
            inside = lx->terms[h[j].term].weight && h[i].start >= h[j].start && h[i].end <= h[j].end &&
                     h[i].end - h[i].start < h[j].end - h[j].start;
        if (!inside)
            return true;
    }
    return false;
}

/* A prefilter hit ending at end is a real match when the pcre2 pattern
 * matches in the stretch before it (look-behind included); 1 yes, 0 no,
 * -1 on a matcher error. */
#define CONFIRM_BEFORE 1024

static int stop_at_first(const char *m, size_t mlen, void *ctx)
{
    (void)m, (void)mlen, (void)ctx;
    return 1;
}

static int confirmed(const struct sg_rx *rx, const struct sg_scan *scan, size_t end)
{
    size_t from = end > CONFIRM_BEFORE ? end - CONFIRM_BEFORE : 0;
    /* and some after it, for a look-ahead at its end */
    size_t to = end + 64 < scan->text_len ? end + 64 : scan->text_len;
    return sg_rx_each(rx, scan->text + from, to - from, stop_at_first, NULL);
}

/* Whether text at off is the kind this rule reads: reply history only
 * with quoted:, forwarded text unless forwarded: false. */
static bool counts_at(const struct lexicon *lx, const struct sg_scan *scan, size_t off)
{
    const struct sg_segment *s = sg_scan_segment_at(scan, off);
    if (!s)
        return true;
    if (s->quoted && !lx->quoted)
        return false;
    return lx->forwarded || s->source != SG_SEG_FORWARDED;
}

/* Whether term t's occurrence at [start, end) counts: a scoring term
 * only mentioned does not, when the rule says so. */
static bool scores_here(const struct lexicon *lx, const struct sg_scan *scan, unsigned t, size_t start, size_t end)
{
    return lx->mentions || !lx->terms[t].weight ||
           !sg_mention_only(scan->text, scan->text_len, start, end);
}

/* An [unless] term in the member of staff's own words (body or subject,
 * neither quoted nor forwarded) cancels the rule. */
static bool cancelled(const struct lexicon *lx, const struct hit *h, size_t n, const struct sg_scan *scan)
{
    for (size_t i = 0; i < n; i++) {
        if (!lx->terms[h[i].term].unless)
            continue;
        const struct sg_segment *s = sg_scan_segment_at(scan, h[i].start);
        if (!s || (!s->quoted && (s->source == SG_SEG_BODY || s->source == SG_SEG_SUBJECT)))
            return true;
    }
    return false;
}

static int lexicon_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    const struct lexicon *lx = state;
    struct hit *h = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < scan->nmatches; i++) {
        const struct sg_match *m = &scan->matches[i];
        if (m->id >= lx->nterm_of || !(lx->term_of[2 * (size_t)m->id] | lx->term_of[2 * (size_t)m->id + 1]))
            continue;
        if (!counts_at(lx, scan, m->start))
            continue;
        for (int role = 0; role < 2; role++) {
            unsigned slot = lx->term_of[2 * (size_t)m->id + (size_t)role];
            if (!slot)
                continue;
            unsigned t = slot - 1;
            if (lx->terms[t].prefiltered) {
                int ok = confirmed(lx->terms[t].rx, scan, m->end);
                if (ok < 0) {
                    free(h);
                    return -1;
                }
                if (!ok)
                    continue;
            }
            if (scores_here(lx, scan, t, m->start, m->end))
                push_hit(&h, &n, &cap, m->start, m->end, t);
        }
    }
    if (lx->nregex) {
        for (size_t t = 0; t < lx->nterms; t++) {
            if (!lx->terms[t].rx || lx->terms[t].prefiltered)
                continue;
            size_t before = n;
            struct rx_ctx ctx = {&h, &n, &cap, (unsigned)t, scan->text};
            if (sg_rx_each(lx->terms[t].rx, scan->text, scan->text_len, on_rx, &ctx) < 0) {
                free(h);
                return -1;
            }
            size_t w = before;
            for (size_t i = before; i < n; i++)
                if (counts_at(lx, scan, h[i].start) && scores_here(lx, scan, h[i].term, h[i].start, h[i].end))
                    h[w++] = h[i];
            n = w;
        }
        if (n)
            qsort(h, n, sizeof(*h), by_start);
    }

    if (cancelled(lx, h, n, scan)) {
        free(h);
        return 0;
    }
    /* Slide a window over the scoring hits, each term counted once;
     * specific counts the distinct terms in it that are not general. */
    unsigned *count = sg_xcalloc(lx->nterms ? lx->nterms : 1, sizeof(*count));
    size_t score = 0, specific = 0, lo = 0;
    int found = 0;
    for (size_t hi = 0; hi < n && !found; hi++) {
        const struct term *t = &lx->terms[h[hi].term];
        if (!t->weight)
            continue;
        if (count[h[hi].term]++ == 0) {
            score += t->weight;
            specific += !t->general;
        }
        while (h[hi].start - h[lo].start > lx->window) {
            const struct term *old = &lx->terms[h[lo].term];
            if (old->weight && --count[h[lo].term] == 0) {
                score -= old->weight;
                specific -= !old->general;
            }
            lo++;
        }
        if (score < lx->threshold || !specific)
            continue;
        size_t first = lo;
        while (!lx->terms[h[first].term].weight)
            first++;
        if (lx->has_corroboration && !corroborated(lx, h, n, first, hi))
            continue;
        describe(lx, scan, h, n, first, hi + 1, score, &out->evidence);
        found = 1;
    }
    free(count);
    free(h);
    return found;
}

static void lexicon_free(void *state)
{
    struct lexicon *lx = state;
    for (size_t i = 0; i < lx->nterms; i++) {
        free(lx->terms[i].text);
        free(lx->terms[i].label);
        sg_rx_free(lx->terms[i].rx);
    }
    free(lx->terms);
    free(lx->term_of);
    free(lx);
}

const struct sg_detector sg_detect_lexicon = {
    .key = "lexicon",
    .options = lexicon_keys,
    .doc = "Weighted terms that must come together: fires when distinct terms within `window` characters reach "
           "`threshold`, with a corroborating term `near` them when the lists give any. Whole words after "
           "normalisation; plurals, -ise/-ize and -our/-or spellings, lookalike letters (`sh1t`) and words "
           "spelt out letter by letter (`f u c k`) are found too.",
    .needs_text = true,
    .parse = lexicon_parse,
    .compile = lexicon_compile,
    .scan = lexicon_scan,
    .free = lexicon_free,
};
