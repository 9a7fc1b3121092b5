/*
 * override.c - "[justify: reason]" in a subject, and how monitored and
 * overridden hits change a verdict (see sg_override.h).
 *
 * The subject reaching here is the message model's, already decoded from
 * RFC 2047, so an encoded tag is found like a plain one. The reason is the
 * member of staff's own words: it is kept for the DSL and the recipient,
 * never logged.
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "sg_override.h"

const char sg_override_offer_text[] =
    "If this message is legitimate, resend it with [justify: your reason] in the subject.";

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A tag starting at s ('['): returns the byte after its ']' and the
 * reason's bounds, or NULL when s does not start a tag. */
static const char *tag_at(const char *s, const char **reason, size_t *rlen)
{
    const char *p = s + 1;
    while (is_space(*p))
        p++;
    if (g_ascii_strncasecmp(p, "justify", 7))
        return NULL;
    p += 7;
    while (is_space(*p))
        p++;
    if (*p != ':')
        return NULL;
    p++;
    const char *end = strchr(p, ']');
    if (!end)
        return NULL;
    *reason = p;
    *rlen = (size_t)(end - p);
    return end + 1;
}

/* Controls and white space runs become one space; ends trimmed. */
static char *squeeze(const char *s, size_t len)
{
    struct sg_buf b = {0};
    sg_buf_append(&b, "", 0);
    bool pending = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == ' ') {
            pending = b.len > 0;
            continue;
        }
        if (pending)
            sg_buf_append(&b, " ", 1);
        pending = false;
        sg_buf_append(&b, s + i, 1);
    }
    return sg_buf_steal(&b);
}

char *sg_justify_clean(const char *reason)
{
    gchar *valid = g_utf8_make_valid(reason ? reason : "", -1);
    char *out = squeeze(valid, strlen(valid));
    g_free(valid);
    return out;
}

static bool has_alnum(const char *s)
{
    for (const char *p = s; *p; p = g_utf8_next_char(p))
        if (g_unichar_isalnum(g_utf8_get_char(p)))
            return true;
    return false;
}

char *sg_justify_find(const char *subject)
{
    for (const char *s = subject ? strchr(subject, '[') : NULL; s; s = strchr(s + 1, '[')) {
        const char *reason;
        size_t rlen;
        if (!tag_at(s, &reason, &rlen))
            continue;
        char *raw = g_strndup(reason, rlen);
        char *r = sg_justify_clean(raw);
        g_free(raw);
        size_t n = strlen(r);
        if (n > SG_JUSTIFY_MAX) {
            n = SG_JUSTIFY_MAX;
            while (n && ((unsigned char)r[n] & 0xc0) == 0x80)
                n--;
            while (n && r[n - 1] == ' ')
                n--;
            r[n] = '\0';
        }
        if (has_alnum(r))
            return r;
        free(r);
    }
    return NULL;
}

char *sg_justify_strip(const char *subject)
{
    struct sg_buf b = {0};
    sg_buf_append(&b, "", 0);
    const char *s = subject ? subject : "";
    while (*s) {
        const char *reason, *after;
        size_t rlen;
        if (*s == '[' && (after = tag_at(s, &reason, &rlen))) {
            /* Close the gap: drop the tag and the blanks after it. */
            s = after;
            while (*s == ' ' || *s == '\t')
                s++;
            continue;
        }
        sg_buf_append(&b, s, 1);
        s++;
    }
    while (b.len && is_space(b.data[b.len - 1]))
        b.data[--b.len] = '\0';
    size_t lead = strspn(b.data, " \t");
    char *out = sg_xstrdup(b.data + lead);
    sg_buf_free(&b);
    return out;
}

const struct sg_school_unit *sg_policy_unit(const struct sg_policy *p, const char *id)
{
    for (size_t i = 0; id && *id && i < p->nunits; i++)
        if (p->units[i].id && !strcasecmp(p->units[i].id, id))
            return &p->units[i];
    return NULL;
}

bool sg_override_enabled(const struct sg_policy *p, const struct sg_school_unit *u)
{
    if (u && u->overrides != SG_SWITCH_INHERIT)
        return u->overrides == SG_SWITCH_ON;
    return p->school.overrides;
}

bool sg_rule_monitored(const struct sg_policy *p, const struct sg_rule *r, const struct sg_school_unit *u)
{
    if (r->mode != SG_MODE_INHERIT)
        return r->mode == SG_MODE_MONITOR;
    if (u && u->mode != SG_MODE_INHERIT)
        return u->mode == SG_MODE_MONITOR;
    return p->school.mode == SG_MODE_MONITOR;
}

const struct sg_footer *sg_policy_footer(const struct sg_policy *p, const struct sg_school_unit *u)
{
    if (u && (u->footer.text || u->footer.html))
        return &u->footer;
    if (p->actions.footer.text || p->actions.footer.html)
        return &p->actions.footer;
    return NULL;
}

void sg_override_recount(struct sg_verdict *v)
{
    enum sg_action live = v->nremoved ? SG_ACTION_ANNOTATE : SG_ACTION_ACCEPT, would = live;
    for (size_t i = 0; i < v->nhits; i++) {
        const struct sg_hit *h = &v->hits[i];
        if (h->demoted || h->overridden)
            continue;
        if (h->rule->action > would)
            would = h->rule->action;
        if (!h->monitored && h->rule->action > live)
            live = h->rule->action;
    }
    if (v->action != SG_ACTION_TEMPFAIL)
        v->action = live;
    v->would = would > v->action ? would : v->action;
}

void sg_override_settle(const struct sg_policy *p, const struct sg_person *sender,
                        const char *subject, struct sg_verdict *v)
{
    const struct sg_school_unit *u = sender ? sg_policy_unit(p, sender->school) : NULL;
    free(v->unit);
    v->unit = u ? sg_xstrdup(u->id) : NULL;
    for (size_t i = 0; i < v->nhits; i++)
        v->hits[i].monitored = sg_rule_monitored(p, v->hits[i].rule, u);
    free(v->justification);
    v->justification = sg_override_enabled(p, u) ? sg_justify_find(subject) : NULL;
    for (size_t i = 0; v->justification && i < v->nhits; i++) {
        struct sg_hit *h = &v->hits[i];
        /* Only what would stop the message needs a justification;
         * an annotation still marks it. */
        h->overridden = !h->monitored && h->rule->overridable && h->rule->action >= SG_ACTION_QUARANTINE;
    }
    sg_override_recount(v);
}

bool sg_verdict_overridden(const struct sg_verdict *v)
{
    for (size_t i = 0; i < v->nhits; i++)
        if (v->hits[i].overridden)
            return true;
    return false;
}

bool sg_verdict_monitored(const struct sg_verdict *v)
{
    return v->would > v->action && v->action != SG_ACTION_TEMPFAIL;
}

bool sg_override_offered(const struct sg_verdict *v, const struct sg_policy *p)
{
    if (v->error || v->action < SG_ACTION_QUARANTINE || v->action == SG_ACTION_TEMPFAIL)
        return false;
    if (!sg_override_enabled(p, sg_policy_unit(p, v->unit)))
        return false;
    enum sg_action top = SG_ACTION_ACCEPT;
    for (size_t i = 0; i < v->nhits; i++) {
        const struct sg_hit *h = &v->hits[i];
        if (h->demoted || h->monitored || h->overridden || h->rule->action < SG_ACTION_QUARANTINE)
            continue;
        /* One rule that cannot be overridden would hold the resend too. */
        if (!h->rule->overridable)
            return false;
        if (h->rule->action > top)
            top = h->rule->action;
    }
    /* A limit or the filter deciding: no rule to justify against. */
    return top == v->action;
}

static bool acting(const struct sg_hit *h)
{
    return !h->monitored && !h->overridden;
}

void sg_verdict_acting_categories(const struct sg_verdict *v, struct sg_buf *out)
{
    unsigned seen = 0;
    size_t start = out->len;
    for (size_t i = 0; i < v->nhits; i++) {
        unsigned bit = 1u << v->hits[i].rule->category;
        if (!acting(&v->hits[i]) || (seen & bit))
            continue;
        seen |= bit;
        sg_buf_printf(out, "%s%s", out->len > start ? "," : "", sg_category_name(v->hits[i].rule->category));
    }
    if (out->len == start)
        sg_buf_puts(out, "-");
}

void sg_verdict_acting_rules(const struct sg_verdict *v, struct sg_buf *out)
{
    size_t start = out->len;
    for (size_t i = 0; i < v->nhits; i++)
        if (acting(&v->hits[i]))
            sg_buf_printf(out, "%s%s", out->len > start ? "," : "", v->hits[i].rule->id);
    if (out->len == start)
        sg_buf_puts(out, "-");
}

const char *sg_hit_action_name(const struct sg_verdict *v, const struct sg_hit *h)
{
    static const char *const monitor[] = {"monitor:accept", "monitor:annotate", "monitor:quarantine",
                                          "monitor:reject", "monitor:tempfail"};
    static const char *const override[] = {"override:accept", "override:annotate", "override:quarantine",
                                           "override:reject", "override:tempfail"};
    unsigned a = (unsigned)h->rule->action;
    if (a > SG_ACTION_TEMPFAIL)
        return sg_action_name(h->rule->action);
    /* Justified, but held by another rule: it held as much as that one. */
    bool let_through = v->action <= SG_ACTION_ANNOTATE;
    return h->monitored ? monitor[a] : h->overridden && let_through ? override[a] : sg_action_name(h->rule->action);
}
