/*
 * detect_mobile.c - "match: mobile: true" or {allow: [numbers]}: a UK
 * mobile number in any common writing: 07700 900123, 07700-900-123,
 * (07700) 900123, +44 (0)7700 900123, 0044 7700 900123, split by HTML
 * tags (the HTML reader joins inline text). The school's own numbers
 * (school.landlines) and allow: entries never count.
 *
 * pcre2 finds candidates; the digits then decide: 11 national digits,
 * 071-075 or 077-079 or 07624 (070 and 076 are not mobiles).
 */
#include <stdlib.h>
#include <string.h>
#include "sg_detector.h"
#include "sg_text.h"

static const char mobile_pattern[] =
    "(?<![\\d+])(?:(?:\\+|00)\\s?44[\\s.\\-]*(?:\\(0\\)[\\s.\\-]*)?|\\(?0[\\s.\\-]{0,2})7(?:[\\s.\\-)]{0,2}\\d){9}(?!\\d)";

struct mobile {
    struct sg_rx *rx;
    char **allow;                /* national digits */
};

static void *mobile_parse(struct sg_cfg *cfg, yaml_node_t *node)
{
    if (!sg_detector_enabled(cfg, node, "mobile"))
        return NULL;
    struct mobile *m = sg_xcalloc(1, sizeof(*m));
    const char *names[] = {"allow", NULL};
    char ***outs[] = {&m->allow};
    sg_detector_options(cfg, node, "mobile", names, outs);
    m->allow = sg_strv_map(m->allow, sg_phone_national);
    char err[256];
    m->rx = sg_rx_new(mobile_pattern, err, sizeof(err), NULL);
    if (!m->rx)
        sg_cfg_error(cfg, node, "internal mobile pattern: %s", err);
    return m;
}

bool sg_mobile_digits_ok(const char *d);
bool sg_mobile_digits_ok(const char *d)
{
    if (strlen(d) != 11 || d[0] != '0' || d[1] != '7')
        return false;
    if (d[2] == '0')
        return false;                /* 070: personal numbering, not a mobile */
    if (d[2] == '6')
        return !strncmp(d, "07624", 5);  /* 076 is pagers, but for the Isle of Man */
    return true;
}

struct mobile_ctx {
    const struct mobile *m;
    const struct sg_policy *p;
    struct sg_buf *ev;
    const struct sg_scan *scan;
};

static bool listed(char *const *list, const char *digits)
{
    for (size_t i = 0; list && list[i]; i++)
        if (!strcmp(list[i], digits))
            return true;
    return false;
}

static int on_candidate(const char *s, size_t len, void *ctx_)
{
    struct mobile_ctx *ctx = ctx_;
    /* A pupil's own number quoted back in a reply is theirs, not given. */
    if (sg_scan_quoted(ctx->scan, (size_t)(s - ctx->scan->text)))
        return 0;
    char *raw = sg_xstrndup(s, len);
    char *d = sg_phone_national(raw);
    free(raw);
    int found = sg_mobile_digits_ok(d) && !listed(ctx->p->school.landlines, d) && !listed(ctx->m->allow, d);
    if (found) {                     /* evidence never carries the whole number */
        sg_buf_printf(ctx->ev, "UK mobile number ending %s ", d + 8);
        sg_scan_where(ctx->scan, (size_t)(s - ctx->scan->text), ctx->ev);
    }
    free(d);
    return found;
}

static int mobile_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    const struct mobile *m = state;
    struct mobile_ctx ctx = {m, scan->policy, &out->evidence, scan};
    return m->rx ? sg_rx_each(m->rx, scan->text, scan->text_len, on_candidate, &ctx) : 0;
}

static void mobile_free(void *state)
{
    struct mobile *m = state;
    sg_rx_free(m->rx);
    sg_strv_free(m->allow);
    free(m);
}

/* Its options, for the walker and the reference: the names[] above. */
static const struct sg_cfg_key mobile_opts[] = {
    {.key = "allow", .type = SG_CFG_STRLIST, .shape = "list of numbers",
     .doc = "Numbers never counted, in any writing (a school trip mobile)."},
    {.key = NULL},
};

const struct sg_detector sg_detect_mobile = {
    .key = "mobile",
    .options = mobile_opts,
    .doc = "A UK mobile number in the text (school numbers and allow: excepted; reply history, the other "
           "side's own words, too).",
    .needs_text = true,
    .parse = mobile_parse,
    .scan = mobile_scan,
    .free = mobile_free,
};
