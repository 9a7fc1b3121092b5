/*
 * engine.c - the rule loop: classify recipients, build the scanned text
 * once (segment.c), scan every phrase once, then ask each rule's
 * conditions in order.
 *
 * A rule hits when every condition finds something for at least one
 * recipient in its scope; the hit names those recipients.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <glib.h>
#include <time.h>
#include "sg_detector.h"
#include "sg_engine.h"
#include "sg_override.h"
#include "sg_image.h"
#include "sg_schema.h"
#include "sg_segment.h"
#include "namefind.h"
#include "sg_text.h"

void sg_engine_event_id(char *out, size_t outlen)
{
    unsigned char rnd[6];
    if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned long long x = (unsigned long long)ts.tv_nsec ^ ((unsigned long long)ts.tv_sec << 20) ^ (unsigned long long)(uintptr_t)out;
        for (size_t i = 0; i < sizeof(rnd); i++)
            rnd[i] = (unsigned char)(x >> (8 * i));
    }
    snprintf(out, outlen, "sg-%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
}

/* Patterns seen outside reply history: matches and segments are both in
 * text order, so one walk over each. */
static unsigned char *own_hits(const struct sg_scantext *st, const struct sg_match *m, size_t n, unsigned npat)
{
    unsigned char *own = sg_xcalloc(npat ? npat : 1, 1);
    size_t s = 0;
    for (size_t i = 0; i < n; i++) {
        while (s + 1 < st->nsegs && st->segs[s + 1].off <= m[i].start)
            s++;
        if (!st->nsegs || !st->segs[s].quoted)
            own[m[i].id] = 1;
    }
    return own;
}

static bool any_on(const bool *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i])
            return true;
    return false;
}

/* Occurrences kept for proximity rules; a text with more (a hostile one)
 * is a limit hit rather than a partial answer. */
#define SG_ENGINE_MAX_MATCHES ((size_t)1 << 20)

bool sg_engine_outbound(const struct sg_policy *p, const struct sg_envelope *env)
{
    const struct sg_outbound *o = &p->outbound;
    if (!o->configured)
        return true;
    if (o->auth && env->auth_login && *env->auth_login)
        return true;
    if (sg_cidr_contains(o->nets, o->nnets, env->client_addr))
        return true;
    if (o->sender_domains && env->mail_from) {
        char *dom = sg_addr_domain(env->mail_from);
        bool staff = dom && sg_domain_in_list(p->school.staff_domains, dom);
        free(dom);
        if (staff)
            return true;
    }
    return false;
}

/* The member of staff sending: the SASL login first (it cannot be forged
 * by the message), then the envelope sender, then the From header. */
static const struct sg_person *find_sender(const struct sg_policy *p, const struct sg_envelope *env,
                                           const struct sg_message *msg)
{
    const struct sg_person *who = NULL;
    if (env->auth_login && *env->auth_login) {
        if (strchr(env->auth_login, '@')) {
            who = sg_directory_lookup(p->directory, env->auth_login, NULL);
        } else {
            for (size_t i = 0; !who && p->school.staff_domains[i]; i++) {
                char addr[512];
                snprintf(addr, sizeof(addr), "%s@%s", env->auth_login, p->school.staff_domains[i]);
                who = sg_directory_lookup(p->directory, addr, NULL);
            }
        }
    }
    const char *tries[] = {env->mail_from, msg->from_header};
    for (size_t i = 0; !who && i < 2; i++)
        if (tries[i])
            who = sg_directory_lookup(p->directory, tries[i], NULL);
    return who && !who->is_pupil ? who : NULL;
}

/* Who is sending, for except_senders: the SMTP AUTH login (qualified with
 * the first staff domain when bare), else the envelope sender. The From
 * header is not asked: anyone can write it. */
static bool sender_excepted(const struct sg_rule *r, const struct sg_scan *scan)
{
    if (!r->except_senders || !r->except_senders[0])
        return false;
    const struct sg_envelope *env = scan->env;
    if (env->auth_login && *env->auth_login) {
        if (strchr(env->auth_login, '@'))
            return sg_address_in_list(r->except_senders, env->auth_login);
        char *const *dom = scan->policy->school.staff_domains;
        if (!dom || !dom[0])
            return false;
        char addr[512];
        snprintf(addr, sizeof(addr), "%s@%s", env->auth_login, dom[0]);
        return sg_address_in_list(r->except_senders, addr);
    }
    return sg_address_in_list(r->except_senders, env->mail_from);
}

static bool rule_reads_content(const struct sg_rule *r)
{
    for (size_t c = 0; c < r->nconds; c++)
        if (r->conds[c].det->needs_text)
            return true;
    return false;
}

/* Pictures cost a decode each: collected only when a rule that reads
 * them has a recipient in its scope. */
static bool images_wanted(const struct sg_policy *p, const enum sg_rclass *rclass, size_t n)
{
    if (!p->needs_images)
        return false;
    for (size_t i = 0; i < p->nrules; i++) {
        const struct sg_rule *r = &p->rules[i];
        bool reads = false;
        for (size_t c = 0; c < r->nconds && !reads; c++)
            reads = r->conds[c].det->needs_images;
        if (!reads)
            continue;
        if (!r->to_mask || !n)
            return true;
        for (size_t k = 0; k < n; k++)
            if (r->to_mask & SG_RCLASS_BIT(rclass[k]))
                return true;
    }
    return false;
}

/* The sender's school's safeguarding team: the schools: entry of the
 * member of staff's School, else the school: one. */
static char *const *team_of(const struct sg_policy *p, const struct sg_person *sender)
{
    if (sender && sender->school && *sender->school)
        for (size_t i = 0; i < p->nunits; i++)
            if (p->units[i].id && !strcasecmp(p->units[i].id, sender->school) && p->units[i].safeguarding_team &&
                p->units[i].safeguarding_team[0])
                return p->units[i].safeguarding_team;
    return p->school.safeguarding_team;
}

/* A report that does not arrive is the worst outcome: mail to nobody but
 * the safeguarding team is never held for what it says. */
static bool only_to_team(const struct sg_policy *p, const struct sg_envelope *env, const struct sg_person *sender)
{
    char *const *team = team_of(p, sender);
    if (!team || !team[0] || !env->rcpts || !env->rcpts[0])
        return false;
    for (size_t i = 0; env->rcpts[i]; i++)
        if (!sg_address_in_list(team, env->rcpts[i]))
            return false;
    return true;
}

static bool has_word(const char *text, size_t len, const char *word)
{
    size_t wl = strlen(word);
    if (!wl)
        return false;
    for (const char *s = text; (s = memmem(s, len - (size_t)(s - text), word, wl)) != NULL; s++) {
        bool edge_before = s == text || !g_ascii_isalnum(s[-1]);
        bool edge_after = (size_t)(s - text) + wl >= len || !g_ascii_isalnum(s[wl]);
        if (edge_before && edge_after)
            return true;
    }
    return false;
}

/* Whether the forename (or preferred name) of one of addr's listed
 * children is in the text the member of staff wrote. */
static bool own_child_forename(const struct sg_policy *p, const struct sg_scan *scan, const char *addr)
{
    size_t n = 0;
    const struct sg_contact *const *c = sg_directory_contacts(p->directory, addr, &n);
    for (size_t i = 0; i < n; i++) {
        const char *names[] = {c[i]->pupil->forename, c[i]->pupil->preferred};
        for (size_t k = 0; k < 2; k++) {
            if (!names[k] || !*names[k])
                continue;
            char *low = g_utf8_casefold(names[k], -1);
            /* In what the member of staff wrote: not the display name
             * on the parent's address ("Freddie's mum"), not history. */
            bool found = false;
            for (size_t s = 0; s < scan->nsegs && !found; s++) {
                const struct sg_segment *seg = &scan->segs[s];
                if (!seg->quoted && (seg->source == SG_SEG_BODY || seg->source == SG_SEG_SUBJECT))
                    found = has_word(scan->text + seg->off, seg->len, low);
            }
            g_free(low);
            if (found)
                return true;
        }
    }
    return false;
}

/* Per recipient: a pupil's listed contact (directory contacts:) who is
 * a contact of every pupil the mail names, and it names one at least: a
 * parent hearing about their own child. */
static bool *contacts_hearing_of_their_own(const struct sg_policy *p, const struct sg_scan *scan)
{
    if (!p->names || !scan->nrcpt)
        return NULL;
    struct sg_named *named = NULL;
    size_t corroborated = 0;
    size_t n = sg_namefind_scan(p->names, scan, true, &named, &corroborated);
    bool *ok = sg_xcalloc(scan->nrcpt, sizeof(bool));
    for (size_t i = 0; i < scan->nrcpt; i++) {
        bool listed = false;
        sg_namefind_contact_of(p->names, p->directory, scan->env->rcpts[i], NULL, &listed);
        /* Naming nobody, the mail may be about anyone (a colleague's
         * sickness told to a parent): only their child, by full name or
         * by the forename a letter home uses ("your son Oliver"), makes
         * it the parent's own business. */
        ok[i] = listed && (n > 0 || own_child_forename(p, scan, scan->env->rcpts[i]));
        for (size_t k = 0; k < n && ok[i]; k++)
            ok[i] = sg_namefind_contact_of(p->names, p->directory, scan->env->rcpts[i], named[k].pupil, NULL);
    }
    free(named);
    return ok;
}

static void eval_rule(const struct sg_rule *r, const struct sg_scan *scan, struct sg_verdict *v)
{
    if (sender_excepted(r, scan))
        return;
    if (scan->to_safeguarding_team && rule_reads_content(r))
        return;
    size_t n = scan->nrcpt;
    bool *on = sg_xcalloc(n ? n : 1, sizeof(bool));
    for (size_t i = 0; i < n; i++) {
        on[i] = !r->to_mask || (r->to_mask & SG_RCLASS_BIT(scan->rclass[i]));
        if (on[i] && r->contacts_exempt && scan->rcpt_own_child_only && scan->rcpt_own_child_only[i])
            on[i] = false;
        if (on[i] && r->except_recipients && r->except_recipients[0]) {
            char *dom = sg_addr_domain(scan->env->rcpts[i]);
            if (dom && sg_domain_in_list(r->except_recipients, dom))
                on[i] = false;
            free(dom);
        }
        /* A member of staff writing to their own child is a parent. */
        const struct sg_person *pupil = scan->rcpt_person[i];
        if (on[i] && r->family_exempt && pupil && pupil->is_pupil &&
            sg_directory_related(scan->policy->directory, scan->sender, pupil))
            on[i] = false;
    }
    if (n && !any_on(on, n)) {
        free(on);
        return;
    }
    struct sg_buf evidence = {0};
    for (size_t c = 0; c < r->nconds; c++) {
        struct sg_finding f = {.rcpt_on = on, .nrcpt = n};
        int rc = r->conds[c].det->scan(r->conds[c].state, scan, &f);
        if (rc < 0) {
            sg_verdict_fail(v, "rule %s: condition %s failed", r->id, r->conds[c].det->key);
            sg_buf_free(&f.evidence);
            sg_buf_free(&evidence);
            free(on);
            return;
        }
        if (rc == 0 || (n && !any_on(on, n))) {
            sg_buf_free(&f.evidence);
            sg_buf_free(&evidence);
            free(on);
            return;
        }
        if (f.evidence.len)
            sg_buf_printf(&evidence, "%s%s", evidence.len ? "; " : "", f.evidence.data);
        sg_buf_free(&f.evidence);
    }
    if (!evidence.len)
        sg_buf_puts(&evidence, "recipient class");
    sg_verdict_add_hit(v, r, sg_buf_steal(&evidence), on);
}

/* recipient_mode: remove. Hits that would hold the message for some
 * recipients are settled by removing those recipients instead, as long
 * as somebody is left to deliver to. */
static void settle_by_removal(struct sg_verdict *v)
{
    bool *removed = sg_xcalloc(v->nrcpt ? v->nrcpt : 1, sizeof(bool));
    size_t nremoved = 0;
    for (size_t h = 0; h < v->nhits; h++) {
        const struct sg_hit *hit = &v->hits[h];
        if (hit->rule->action < SG_ACTION_QUARANTINE || !hit->rule->to_mask || hit->monitored || hit->overridden)
            continue;
        for (size_t i = 0; i < v->nrcpt; i++)
            if (hit->rcpt_on[i] && !removed[i]) {
                removed[i] = true;
                nremoved++;
            }
    }
    if (!nremoved || nremoved == v->nrcpt) {
        free(removed);
        return;
    }
    v->removed = removed;
    v->nremoved = nremoved;
    v->action = SG_ACTION_ANNOTATE;  /* the removal itself is always marked */
    for (size_t h = 0; h < v->nhits; h++) {
        struct sg_hit *hit = &v->hits[h];
        hit->demoted = hit->rule->action >= SG_ACTION_QUARANTINE && hit->rule->to_mask && !hit->monitored &&
                       !hit->overridden;
        if (!hit->demoted && hit->rule->action > v->action)
            v->action = hit->rule->action;
    }
}

void sg_engine_settle(const struct sg_policy *p, struct sg_verdict *v)
{
    /* A limit means part of the message went unread: never let that pass
     * as a clean accept. A password-protected attachment has its own
     * answer: nobody can read it, which is not the same as a budget. */
    if ((v->limits_hit & ~SG_LIMIT_ENCRYPTED) && p->limits.on_limit > v->action)
        v->action = p->limits.on_limit;
    if ((v->limits_hit & SG_LIMIT_ENCRYPTED) && p->limits.on_encrypted > v->action)
        v->action = p->limits.on_encrypted;
    if (v->error)
        v->action = p->actions.on_internal_error;
}

void sg_engine_evaluate(const struct sg_policy *p, const struct sg_envelope *env,
                        const struct sg_message *msg, struct sg_verdict *v)
{
    size_t n = sg_strv_len(env->rcpts);
    if (!v->event_id[0])
        sg_engine_event_id(v->event_id, sizeof(v->event_id));
    v->nrcpt = n;
    if (!sg_engine_outbound(p, env)) {
        v->inbound = true;
        return;
    }
    v->limits_hit |= msg->limits_hit;

    enum sg_rclass *rclass = sg_xcalloc(n ? n : 1, sizeof(*rclass));
    const struct sg_person **rcpt_person = sg_xcalloc(n ? n : 1, sizeof(*rcpt_person));
    for (size_t i = 0; i < n; i++) {
        rclass[i] = sg_policy_classify_person(p, env->rcpts[i], &rcpt_person[i]);
    }

    struct sg_scantext st = {0};
    unsigned char *hits = NULL, *own = NULL;
    bool *own_child = NULL;
    struct sg_match *matches = NULL;
    size_t nmatches = 0;
    struct sg_image_list images = {0};
    unsigned npat = sg_matcher_count(p->matcher);
    if (p->needs_text) {
        if (!sg_scantext_build(p, msg, &st)) {
            sg_verdict_fail(v, "text normalisation failed");
            goto out;
        }
        v->limits_hit |= st.limits;
        hits = sg_xcalloc(npat ? npat : 1, 1);
        bool capped = false;
        if (!sg_matcher_scan_all(p->matcher, st.text.data, st.text.len, hits, &matches, &nmatches,
                                 SG_ENGINE_MAX_MATCHES, &capped)) {
            sg_verdict_fail(v, "phrase scan failed");
            goto out;
        }
        if (capped)
            v->limits_hit |= SG_LIMIT_TEXT;
        own = own_hits(&st, matches, nmatches, npat);
    }
    /* Here, in the evaluation worker, under its rlimits and time budget. */
    if (images_wanted(p, rclass, n)) {
        sg_image_collect_for(p, msg, &images);
        v->limits_hit |= images.limits;
    }
    struct sg_scan scan = {
        .policy = p, .env = env, .msg = msg,
        .text = st.text.data ? st.text.data : "", .text_len = st.text.len,
        .pattern_hits = hits, .own_hits = own, .rclass = rclass, .nrcpt = n,
        .sender = find_sender(p, env, msg), .rcpt_person = rcpt_person,
        .segs = st.segs, .nsegs = st.nsegs, .matches = matches, .nmatches = nmatches,
        .matches_capped = (v->limits_hit & SG_LIMIT_TEXT) != 0,
        .images = images.v, .nimages = images.n,
    };
    scan.to_safeguarding_team = only_to_team(p, env, scan.sender);
    own_child = contacts_hearing_of_their_own(p, &scan);
    scan.rcpt_own_child_only = own_child;
    v->safeguarding_report = scan.to_safeguarding_team;
    sg_rx_limit_take();
    for (size_t i = 0; i < p->nrules && !v->error; i++)
        eval_rule(&p->rules[i], &scan, v);
    if (sg_rx_limit_take())
        v->limits_hit |= SG_LIMIT_REGEX;
    /* Monitored hits only record; justified ones let the message go. */
    if (!v->error)
        sg_override_settle(p, scan.sender, msg->subject, v);
    if (!v->error && p->actions.recipient_mode == SG_RCPT_REMOVE) {
        settle_by_removal(v);
        sg_override_recount(v);
    }

out:
    sg_engine_settle(p, v);
    free(hits);
    free(own);
    free(own_child);
    free(matches);
    free(rclass);
    free(rcpt_person);
    sg_scantext_free(&st);
    sg_image_list_free(&images);
}
