/*
 * detect_identifiers.c - "match: identifiers: true" or {kinds, min_count,
 * near, within}: pupil and personal identifiers in the text - the DfE
 * Unique Pupil Number, the Unique Learner Number, the NHS number, the
 * National Insurance number, and a date of birth next to its label.
 *
 * pcre2 finds candidates; each kind's own check then decides, so that an
 * invoice or order number of the right length does not fire: a UPN must
 * carry its DfE check letter (or be one the directory holds), a ULN and an NHS number their mod-11 check
 * digit, a NINO an issued prefix. One random 10-digit number in 11 passes
 * a mod-11 check, so a 10-digit candidate also needs a corroborating word
 * ("NHS", "ULN", "patient"...) within a few characters; the UPN's check
 * letter (1 in 23 by chance, plus its shape), the NINO's letters and the
 * DOB's label are strong enough alone.
 *
 * Evidence gives counts per kind, never an identifier: it reaches logs
 * and notices.
 */
#include <stdlib.h>
#include <string.h>
#include "sg_detector.h"
#include "sg_directory.h"
#include "sg_schema.h"
#include "sg_text.h"

enum id_kind { ID_UPN, ID_ULN, ID_NHS, ID_NINO, ID_DOB, ID_NKINDS };

static const char *const kind_key[ID_NKINDS] = {"upn", "uln", "nhs", "nino", "dob"};
static const char *const kind_label[ID_NKINDS] = {"UPN", "ULN", "NHS number", "NI number", "date of birth"};

/* The text is case-folded and its spaces folded to one, so patterns are
 * written in lower case with single optional spaces. */
static const char upn_pattern[] = "(?<![a-z0-9])[a-z](?:[ \\-]?\\d){11}[ \\-]?[0-9a-z](?![a-z0-9])";
/* Ten digits, whole or 3-3-4; not a slice of a longer run of digits
 * (a card number, an 11-digit phone number, "+44 ..."). */
static const char ten_pattern[] =
    "(?<!\\d)(?<!\\d[ \\-])\\d{3}[ \\-]?\\d{3}[ \\-]?\\d{4}(?![ \\-]?\\d)";
static const char nino_pattern[] = "(?<![a-z0-9])[a-z]{2} ?\\d{2} ?\\d{2} ?\\d{2} ?[a-d](?![a-z0-9])";

#define DAY "(?:0?[1-9]|[12]\\d|3[01])"
#define MON "(?:0?[1-9]|1[0-2])"
#define YEAR "(?:19|20)\\d{2}"
#define MNAME "(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\\.?"
#define DATE                                                                                   \
    "(?:" DAY "[/.\\-]" MON "[/.\\-](?:" YEAR "|\\d{2})(?!\\d)"                                \
    "|" YEAR "-" MON "-" DAY "(?!\\d)"                                                         \
    "|" DAY "(?:st|nd|rd|th)? (?:of )?" MNAME ",? " YEAR                                       \
    "|" MNAME " " DAY "(?:st|nd|rd|th)?,? " YEAR ")"
#define LABEL "(?:dob|d\\.o\\.b\\.?|date of birth|born(?: on)?)"
/* "DOB: 12/03/2011", "born on 12 March 2011", or "12/03/2011 (DOB)". */
static const char dob_pattern[] = "(?<![a-z])" LABEL " ?(?:[:=\\-] ?|is |was )?" DATE
                                  "|(?<![\\d/.\\-])" DATE " ?[(\\[]? ?" LABEL "(?![a-z])";

/* The corroboration for ULN and NHS numbers when near: is not written. */
static const char *const default_near[] = {
    "nhs", "uln", "learner number", "unique learner", "health", "patient", "hospital", "medical", "gp", NULL,
};

struct identifiers {
    char **kinds;                /* options as written */
    char **near;
    size_t min_count;
    size_t within;
    bool on[ID_NKINDS];
    char **words;                /* near: normalised, or the defaults */
    struct sg_rx *rx[ID_NKINDS]; /* ULN and NHS share rx[ID_NHS] */
    unsigned anchor[ID_NKINDS];
};

static const char *const patterns[ID_NKINDS] = {[ID_UPN] = upn_pattern, [ID_NHS] = ten_pattern,
                                                [ID_NINO] = nino_pattern, [ID_DOB] = dob_pattern};

static const struct sg_cfg_key identifiers_keys[] = {
    {.key = "kinds", .type = SG_CFG_STRLIST, .offset = offsetof(struct identifiers, kinds),
     .shape = "list of upn, uln, nhs, nino, dob",
     .doc = "Which identifiers count (default all): `upn` DfE Unique Pupil Number (check letter verified, or one the directory holds), "
            "`uln` Unique Learner Number and `nhs` NHS number (mod-11 check digit verified), `nino` National "
            "Insurance number (issued prefixes only), `dob` a date next to \"DOB\", \"date of birth\" or \"born on\"."},
    {.key = "min_count", .type = SG_CFG_SIZE, .offset = offsetof(struct identifiers, min_count), .def = "1",
     .min = 1, .max = 100000, .shape = "number",
     .doc = "How many distinct identifiers, of all the kinds together, make a match (default 1)."},
    {.key = "near", .type = SG_CFG_STRLIST, .offset = offsetof(struct identifiers, near),
     .shape = "list of words",
     .doc = "Words one of which must be near a ULN or NHS number for it to count, since any 10-digit number "
            "passes their check one time in 11 (default: NHS, ULN, learner number, unique learner, health, "
            "patient, hospital, medical, GP)."},
    {.key = "within", .type = SG_CFG_SIZE, .offset = offsetof(struct identifiers, within), .def = "40",
     .min = 1, .max = 10000, .shape = "number",
     .doc = "How many characters either side of the number a `near` word may be (default 40)."},
    {.key = NULL},
};

static void identifiers_free(void *state)
{
    struct identifiers *id = state;
    sg_cfg_free_table(identifiers_keys, id);
    sg_strv_free(id->words);
    for (size_t k = 0; k < ID_NKINDS; k++)
        sg_rx_free(id->rx[k]);
    free(id);
}

static void *identifiers_parse(struct sg_cfg *cfg, yaml_node_t *node)
{
    if (!sg_detector_enabled(cfg, node, "identifiers"))
        return NULL;
    struct identifiers *id = sg_xcalloc(1, sizeof(*id));
    sg_cfg_apply_table(cfg, node && node->type == YAML_MAPPING_NODE ? node : NULL, identifiers_keys, id,
                       "identifiers");
    if (!id->kinds || !id->kinds[0]) {
        for (size_t k = 0; k < ID_NKINDS; k++)
            id->on[k] = true;
    }
    for (size_t i = 0; id->kinds && id->kinds[i]; i++) {
        size_t k = 0;
        while (k < ID_NKINDS && strcmp(id->kinds[i], kind_key[k]))
            k++;
        if (k == ID_NKINDS)
            sg_cfg_error(cfg, node, "identifiers: unknown kind \"%s\" (upn, uln, nhs, nino, dob)", id->kinds[i]);
        else
            id->on[k] = true;
    }
    /* Near words are compared with the normalised text, so they are
     * normalised the same way. */
    id->words = sg_xcalloc(1, sizeof(char *));
    bool own = id->near && id->near[0];
    for (size_t i = 0; own ? id->near[i] != NULL : default_near[i] != NULL; i++) {
        const char *w = own ? id->near[i] : default_near[i];
        struct sg_buf b = {0};
        if (sg_text_normalise(w, strlen(w), &b) && b.len)
            id->words = sg_strv_push(id->words, b.data);
        else if (own)
            sg_cfg_error(cfg, node, "identifiers: near: an empty word");
        sg_buf_free(&b);
    }
    for (size_t k = 0; k < ID_NKINDS; k++) {
        bool want = k == ID_NHS ? id->on[ID_NHS] || id->on[ID_ULN] : id->on[k];
        if (!patterns[k] || !want)
            continue;
        char err[256];
        id->rx[k] = sg_rx_new(patterns[k], err, sizeof(err), NULL);
        if (!id->rx[k])
            sg_cfg_error(cfg, node, "internal identifiers pattern %s: %s", kind_key[k], err);
    }
    return id;
}

/* The DfE check letters: 23 letters, without I, O and S. */
static const char upn_letters[] = "ABCDEFGHJKLMNPQRTUVWXYZ";

static int upn_letter_value(char c)
{
    const char *p = c ? strchr(upn_letters, c) : NULL;
    return p ? (int)(p - upn_letters) : -1;
}

/* s: 13 characters, upper case, no separators. Characters 2-13 weigh
 * 2..13; a temporary UPN's last letter counts at its place in the
 * check-letter table; the sum mod 23 names the check letter. */
bool sg_upn_ok(const char *s);
bool sg_upn_ok(const char *s)
{
    if (strlen(s) != 13 || upn_letter_value(s[0]) < 0)
        return false;
    unsigned sum = 0;
    for (unsigned i = 1; i < 13; i++) {
        int v;
        if (s[i] >= '0' && s[i] <= '9')
            v = s[i] - '0';
        else if (i == 12)
            v = upn_letter_value(s[i]);
        else
            v = -1;
        if (v < 0)
            return false;
        sum += (i + 1) * (unsigned)v;
    }
    return upn_letters[sum % 23] == s[0];
}

/* Weights 10..2 over the first nine of ten digits. */
static unsigned mod11_sum(const char *d)
{
    unsigned sum = 0;
    for (unsigned i = 0; i < 9; i++)
        sum += (10 - i) * (unsigned)(d[i] - '0');
    return sum % 11;
}

bool sg_nhs_ok(const char *d);
bool sg_nhs_ok(const char *d)
{
    unsigned check = 11 - mod11_sum(d);
    if (check == 11)
        check = 0;
    return check != 10 && (unsigned)(d[9] - '0') == check;
}

bool sg_uln_ok(const char *d);
bool sg_uln_ok(const char *d)
{
    unsigned check = 10 - mod11_sum(d);
    return check != 10 && (unsigned)(d[9] - '0') == check;
}

/* HMRC never issues these first or second letters, or these prefixes
 * (administrative and temporary numbers). */
bool sg_nino_ok(const char *s);
bool sg_nino_ok(const char *s)
{
    static const char *const bad_pairs[] = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ", NULL};
    if (strlen(s) != 9 || !s[0] || !s[1] || strchr("DFIQUV", s[0]) || strchr("DFIOQUV", s[1]))
        return false;
    for (size_t i = 0; bad_pairs[i]; i++)
        if (!strncmp(s, bad_pairs[i], 2))
            return false;
    return s[8] >= 'A' && s[8] <= 'D';
}

struct id_ctx {
    const struct identifiers *id;
    const char *text;
    size_t text_len;
    size_t count[ID_NKINDS];
    size_t total;
    char **seen;                 /* "kind:canonical" of each counted one */
    const struct sg_scan *scan;
    size_t first;                /* offset of the first one counted */
};

/* Reply history holds the recipient's own numbers: not the member of
 * staff disclosing them. */
static bool in_reply_history(const struct id_ctx *ctx, const char *s)
{
    return ctx->scan && sg_scan_quoted(ctx->scan, (size_t)(s - ctx->text));
}

/* The candidate's letters and digits, upper case. */
static char *compact(const char *s, size_t len)
{
    char *out = sg_xcalloc(len + 1, 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            out[n++] = (char)(c - 'a' + 'A');
        else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            out[n++] = c;
    }
    return out;
}

static bool is_word_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* Whether one of the near words stands as a whole word with at most
 * the option's number of characters between it and text[start, end). */
static bool corroborated(const struct id_ctx *ctx, size_t start, size_t end)
{
    size_t w = ctx->id->within;
    for (size_t i = 0; ctx->id->words[i]; i++) {
        const char *word = ctx->id->words[i];
        size_t wl = strlen(word);
        size_t lo = start > w + wl ? start - w - wl : 0;
        size_t hi = end + w + wl < ctx->text_len ? end + w + wl : ctx->text_len;
        for (size_t p = lo; p + wl <= hi; p++) {
            if (p + wl > start && p < end)
                continue;            /* inside the number itself */
            if (memcmp(ctx->text + p, word, wl))
                continue;
            if (p > 0 && is_word_char((unsigned char)ctx->text[p - 1]) && is_word_char((unsigned char)word[0]))
                continue;
            if (p + wl < ctx->text_len && is_word_char((unsigned char)ctx->text[p + wl]) &&
                is_word_char((unsigned char)word[wl - 1]))
                continue;
            return true;
        }
    }
    return false;
}

/* Counts one identifier once, however often the message repeats it (a
 * quoted reply, a signature). */
static void count(struct id_ctx *ctx, enum id_kind k, const char *canon, const char *at)
{
    struct sg_buf key = {0};
    sg_buf_printf(&key, "%s:%s", kind_key[k], canon);
    for (size_t i = 0; ctx->seen[i]; i++) {
        if (!strcmp(ctx->seen[i], key.data)) {
            sg_buf_free(&key);
            return;
        }
    }
    ctx->seen = sg_strv_push(ctx->seen, key.data);
    sg_buf_free(&key);
    ctx->count[k]++;
    if (!ctx->total++)
        ctx->first = (size_t)(at - ctx->text);
}

static int on_upn(const char *s, size_t len, void *ctx_)
{
    struct id_ctx *ctx = ctx_;
    if (in_reply_history(ctx, s))
        return 0;
    char *c = compact(s, len);
    /* A UPN the MIS holds is a pupil's whatever its check letter says:
     * hand-keyed and test records are not always valid. */
    const struct sg_directory *dir = ctx->scan ? ctx->scan->policy->directory : NULL;
    if (sg_upn_ok(c) || sg_directory_by_upn(dir, c))
        count(ctx, ID_UPN, c, s);
    free(c);
    return 0;
}

static int on_ten(const char *s, size_t len, void *ctx_)
{
    struct id_ctx *ctx = ctx_;
    if (in_reply_history(ctx, s))
        return 0;
    char *c = compact(s, len);
    bool nhs = ctx->id->on[ID_NHS] && sg_nhs_ok(c);
    bool uln = ctx->id->on[ID_ULN] && sg_uln_ok(c);
    size_t start = (size_t)(s - ctx->text);
    if ((nhs || uln) && corroborated(ctx, start, start + len)) {
        /* A number valid as both is counted once, as an NHS number unless
         * only the ULN reading is on. */
        count(ctx, nhs ? ID_NHS : ID_ULN, c, s);
    }
    free(c);
    return 0;
}

static int on_nino(const char *s, size_t len, void *ctx_)
{
    struct id_ctx *ctx = ctx_;
    if (in_reply_history(ctx, s))
        return 0;
    char *c = compact(s, len);
    if (sg_nino_ok(c))
        count(ctx, ID_NINO, c, s);
    free(c);
    return 0;
}

static int on_dob(const char *s, size_t len, void *ctx_)
{
    struct id_ctx *ctx = ctx_;
    if (in_reply_history(ctx, s))
        return 0;
    char *c = compact(s, len);
    count(ctx, ID_DOB, c, s);
    free(c);
    return 0;
}

static bool identifiers_compile(void *state, struct sg_matcher *m, struct sg_cfg *cfg)
{
    (void)cfg;
    struct identifiers *id = state;
    for (size_t k = 0; k < ID_NKINDS; k++)
        if (id->rx[k])
            id->anchor[k] = sg_anchor_register(m, patterns[k]);
    return true;
}

static int identifiers_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    const struct identifiers *id = state;
    struct id_ctx ctx = {.id = id, .text = scan->text, .text_len = scan->text_len, .scan = scan};
    ctx.seen = sg_xcalloc(1, sizeof(char *));
    int (*const fn[ID_NKINDS])(const char *, size_t, void *) = {
        [ID_UPN] = on_upn, [ID_NHS] = on_ten, [ID_NINO] = on_nino, [ID_DOB] = on_dob};
    int rc = 0;
    for (size_t k = 0; k < ID_NKINDS && rc >= 0; k++)
        if (id->rx[k] && fn[k])
            rc = sg_scan_rx(scan, id->rx[k], id->anchor[k], fn[k], &ctx);
    sg_strv_free(ctx.seen);
    if (rc < 0)
        return -1;
    if (ctx.total < id->min_count || ctx.total == 0)
        return 0;
    /* Counts only: an identifier in clear must not reach a log line. */
    sg_buf_printf(&out->evidence, "%zu personal identifier%s:", ctx.total, ctx.total == 1 ? "" : "s");
    const char *sep = " ";
    for (size_t k = 0; k < ID_NKINDS; k++) {
        if (!ctx.count[k])
            continue;
        sg_buf_printf(&out->evidence, "%s%zu %s", sep, ctx.count[k], kind_label[k]);
        sep = ", ";
    }
    sg_buf_puts(&out->evidence, ", first ");
    sg_scan_where(scan, ctx.first, &out->evidence);
    return 1;
}

const struct sg_detector sg_detect_identifiers = {
    .key = "identifiers",
    .options = identifiers_keys,
    .doc = "Pupil and personal identifiers: UPN, ULN, NHS and National Insurance numbers, dates of birth; "
           "check digits verified, so invoice and order numbers do not count.",
    .needs_text = true,
    .parse = identifiers_parse,
    .compile = identifiers_compile,
    .scan = identifiers_scan,
    .free = identifiers_free,
};
