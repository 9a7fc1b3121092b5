/*
 * verdict.c - collecting hits, the severity order, and the three ways a
 * verdict is written out: log fields, JSON, and plain words for staff.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sg_notice.h"
#include "sg_verdict.h"
#include "sg_override.h"

void sg_verdict_init(struct sg_verdict *v, size_t nrcpt)
{
    memset(v, 0, sizeof(*v));
    v->action = SG_ACTION_ACCEPT;
    v->nrcpt = nrcpt;
}

void sg_verdict_clear(struct sg_verdict *v)
{
    for (size_t i = 0; i < v->nhits; i++) {
        free(v->hits[i].evidence);
        free(v->hits[i].rcpt_on);
    }
    free(v->hits);
    free(v->error);
    free(v->removed);
    free(v->message_id);
    v->message_id = NULL;
    free(v->justification);
    v->justification = NULL;
    free(v->unit);
    v->unit = NULL;
    v->removed = NULL;
    v->nremoved = 0;
    v->hits = NULL;
    v->nhits = 0;
    v->error = NULL;
}

void sg_verdict_add_hit(struct sg_verdict *v, const struct sg_rule *rule, char *evidence, bool *rcpt_on)
{
    v->hits = sg_xrealloc(v->hits, (v->nhits + 1) * sizeof(*v->hits));
    struct sg_hit *h = &v->hits[v->nhits++];
    h->rule = rule;
    h->evidence = evidence;
    h->rcpt_on = rcpt_on;
    h->nrcpt = v->nrcpt;
    h->demoted = false;
    h->monitored = false;
    h->overridden = false;
    if (rule->action > v->action && v->action != SG_ACTION_TEMPFAIL)
        v->action = rule->action;
}

void sg_verdict_fail(struct sg_verdict *v, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!v->error)
        v->error = sg_xstrdup(msg);
}

/* The categories of the hits, each once, in order of first hit. */
static size_t unique_categories(const struct sg_verdict *v, enum sg_category *cats)
{
    unsigned seen = 0;
    size_t n = 0;
    for (size_t i = 0; i < v->nhits; i++) {
        unsigned bit = 1u << v->hits[i].rule->category;
        if (!(seen & bit))
            cats[n++] = v->hits[i].rule->category;
        seen |= bit;
    }
    return n;
}

void sg_verdict_categories(const struct sg_verdict *v, struct sg_buf *out)
{
    enum sg_category cats[SG_CAT_COUNT];
    size_t n = unique_categories(v, cats);
    for (size_t i = 0; i < n; i++)
        sg_buf_printf(out, "%s%s", i ? "," : "", sg_category_name(cats[i]));
    if (!n)
        sg_buf_puts(out, "-");
}

void sg_verdict_rules(const struct sg_verdict *v, struct sg_buf *out)
{
    size_t start = out->len;
    for (size_t i = 0; i < v->nhits; i++)
        sg_buf_printf(out, "%s%s", i ? "," : "", v->hits[i].rule->id);
    if (out->len == start)
        sg_buf_puts(out, "-");
}

/* ["a","b"]: the recipients whose flag is set. */
static void json_rcpts(struct sg_buf *out, const bool *on, size_t n, char *const *rcpts)
{
    sg_buf_puts(out, "[");
    bool first = true;
    for (size_t r = 0; r < n && rcpts && rcpts[r]; r++) {
        if (!on[r])
            continue;
        if (!first)
            sg_buf_puts(out, ",");
        first = false;
        sg_json_string(out, rcpts[r]);
    }
    sg_buf_puts(out, "]");
}

void sg_verdict_json(const struct sg_verdict *v, const char *file, char *const *rcpts, struct sg_buf *out)
{
    sg_buf_puts(out, "{\"file\":");
    sg_json_string(out, file);
    sg_buf_puts(out, ",\"action\":");
    sg_json_string(out, sg_action_name(v->action));
    sg_buf_puts(out, ",\"event\":");
    sg_json_string(out, v->event_id);
    sg_buf_printf(out, ",\"direction\":\"%s\"", v->inbound ? "inbound" : "outbound");
    if (v->safeguarding_report)
        sg_buf_puts(out, ",\"safeguarding_report\":true");
    sg_buf_puts(out, ",\"categories\":[");
    enum sg_category cats[SG_CAT_COUNT];
    size_t ncats = unique_categories(v, cats);
    for (size_t i = 0; i < ncats; i++) {
        if (i)
            sg_buf_puts(out, ",");
        sg_json_string(out, sg_category_name(cats[i]));
    }
    sg_buf_puts(out, "],\"rules\":[");
    for (size_t i = 0; i < v->nhits; i++) {
        const struct sg_hit *h = &v->hits[i];
        sg_buf_puts(out, i ? ",{\"id\":" : "{\"id\":");
        sg_json_string(out, h->rule->id);
        sg_buf_puts(out, ",\"category\":");
        sg_json_string(out, sg_category_name(h->rule->category));
        sg_buf_puts(out, ",\"action\":");
        sg_json_string(out, sg_action_name(h->rule->action));
        sg_buf_puts(out, ",\"cite\":");
        sg_json_string(out, h->rule->cite);
        sg_buf_puts(out, ",\"recipients\":");
        json_rcpts(out, h->rcpt_on, h->nrcpt, rcpts);
        sg_buf_puts(out, ",\"evidence\":");
        sg_json_string(out, h->evidence);
        if (h->monitored)
            sg_buf_puts(out, ",\"mode\":\"monitor\"");
        if (h->overridden)
            sg_buf_puts(out, ",\"overridden\":true");
        sg_buf_puts(out, "}");
    }
    sg_buf_puts(out, "]");
    if (sg_verdict_monitored(v))
        sg_buf_printf(out, ",\"would\":\"%s\"", sg_action_name(v->would));
    if (v->justification) {
        sg_buf_puts(out, ",\"justification\":");
        sg_json_string(out, v->justification);
    }
    if (v->unit) {
        sg_buf_puts(out, ",\"school\":");
        sg_json_string(out, v->unit);
    }
    if (v->nremoved) {
        sg_buf_puts(out, ",\"removed\":");
        json_rcpts(out, v->removed, v->nrcpt, rcpts);
    }
    if (v->limits_hit)
    {
        char names[160];
        sg_limit_names(v->limits_hit, names, sizeof(names));
        sg_buf_printf(out, ",\"limits\":%u,\"limit_names\":\"%s\"", v->limits_hit, names);
    }
    if (v->error) {
        sg_buf_puts(out, ",\"error\":");
        sg_json_string(out, v->error);
    }
    sg_buf_puts(out, "}");
}

/* Appends words to lines[], wrapping at max_len on spaces. */
static size_t wrap(const char *text, char **lines, size_t n, size_t max_lines, size_t max_len)
{
    const char *s = text;
    while (*s && n < max_lines) {
        size_t len = strlen(s);
        if (len > max_len) {
            len = max_len;
            while (len > max_len / 2 && s[len] != ' ')
                len--;
            if (s[len] != ' ')
                len = max_len;
        }
        lines[n++] = sg_xstrndup(s, len);
        s += len;
        while (*s == ' ')
            s++;
    }
    return n;
}

size_t sg_verdict_explain(const struct sg_verdict *v, const struct sg_policy *p,
                          char **lines, size_t max_lines, size_t max_len)
{
    return sg_verdict_explain_to(v, p, p->actions.dsl_contact, lines, max_lines, max_len);
}

size_t sg_verdict_explain_to(const struct sg_verdict *v, const struct sg_policy *p, const char *contact,
                             char **lines, size_t max_lines, size_t max_len)
{
    size_t n = 0;
    struct sg_buf b = {0};
    sg_buf_printf(&b, "Your message was not sent: it breaks the %s staff communications policy.",
                  p->school.name && *p->school.name ? p->school.name : "school's");
    n = wrap(b.data, lines, n, max_lines, max_len);
    /* Each deciding rule in three plain parts (what, which clause, what
     * instead); the closing line always fits, so the DSL is named. */
    for (size_t i = 0; i < v->nhits && n + 2 < max_lines; i++) {
        const struct sg_rule *r = v->hits[i].rule;
        if (r->action != v->action || v->hits[i].monitored || v->hits[i].overridden)
            continue;
        b.len = 0;
        sg_buf_printf(&b, "What was stopped: %s (rule %s, %s)",
                      r->explain ? r->explain : "this content is not allowed in school email.", r->id,
                      sg_category_name(r->category));
        n = wrap(b.data, lines, n, max_lines - 1, max_len);
        b.len = 0;
        sg_buf_printf(&b, "Policy clause: %s", r->cite);
        n = wrap(b.data, lines, n, max_lines - 1, max_len);
        const char *advice = sg_notice_advice(p, r);
        if (*advice) {
            b.len = 0;
            sg_buf_printf(&b, "What to do instead: %s", advice);
            n = wrap(b.data, lines, n, max_lines - 1, max_len);
        }
    }
    if (sg_override_offered(v, p))
        n = wrap(sg_override_offer_text, lines, n, max_lines - 1, max_len);
    b.len = 0;
    sg_buf_printf(&b, "If you think this is wrong, or the message is needed, please contact %s and quote event %s.",
                  contact && *contact ? contact : "the Designated Safeguarding Lead", v->event_id);
    n = wrap(b.data, lines, n, max_lines, max_len);
    sg_buf_free(&b);
    return n;
}
