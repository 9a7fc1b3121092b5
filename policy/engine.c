/*
 * engine.c - the rule loop: classify recipients, normalise the text once,
 * scan every phrase once, then ask each rule's conditions in order.
 *
 * A rule hits when every condition finds something for at least one
 * recipient in its scope; the hit names those recipients.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include "sg_detector.h"
#include "sg_engine.h"
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

/* Subject and every text part, normalised, one block a line. */
static bool build_text(const struct sg_message *msg, size_t cap, struct sg_buf *out, unsigned *limits)
{
    if (!sg_text_normalise(msg->subject, strlen(msg->subject), out))
        return false;
    sg_buf_append(out, "\n", 1);
    for (size_t i = 0; i < msg->nparts; i++) {
        size_t len = msg->parts[i].len;
        if (out->len + len > cap) {
            *limits |= SG_LIMIT_TEXT;
            len = cap > out->len ? cap - out->len : 0;
        }
        if (!sg_text_normalise(msg->parts[i].text, len, out))
            return false;
        sg_buf_append(out, "\n", 1);
        if (*limits & SG_LIMIT_TEXT)
            break;
    }
    for (size_t i = 0; i < msg->natts; i++) {
        if (msg->atts[i].filename) {
            if (!sg_text_normalise(msg->atts[i].filename, strlen(msg->atts[i].filename), out))
                return false;
            sg_buf_append(out, "\n", 1);
        }
    }
    return true;
}

static bool any_on(const bool *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i])
            return true;
    return false;
}

static void eval_rule(const struct sg_rule *r, const struct sg_scan *scan, struct sg_verdict *v)
{
    size_t n = scan->nrcpt;
    bool *on = sg_xcalloc(n ? n : 1, sizeof(bool));
    for (size_t i = 0; i < n; i++)
        on[i] = !r->to_mask || (r->to_mask & SG_RCLASS_BIT(scan->rclass[i]));
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

void sg_engine_evaluate(const struct sg_policy *p, const struct sg_envelope *env,
                        const struct sg_message *msg, struct sg_verdict *v)
{
    size_t n = sg_strv_len(env->rcpts);
    if (!v->event_id[0])
        sg_engine_event_id(v->event_id, sizeof(v->event_id));
    v->nrcpt = n;
    v->limits_hit |= msg->limits_hit;

    enum sg_rclass *rclass = sg_xcalloc(n ? n : 1, sizeof(*rclass));
    for (size_t i = 0; i < n; i++)
        rclass[i] = sg_policy_classify(p, env->rcpts[i]);

    struct sg_buf text = {0};
    unsigned char *hits = NULL;
    unsigned npat = sg_matcher_count(p->matcher);
    if (p->needs_text) {
        if (!build_text(msg, p->limits.msg.max_text_bytes, &text, &v->limits_hit)) {
            sg_verdict_fail(v, "text normalisation failed");
            goto out;
        }
        hits = sg_xcalloc(npat ? npat : 1, 1);
        if (!sg_matcher_scan(p->matcher, text.data, text.len, hits)) {
            sg_verdict_fail(v, "phrase scan failed");
            goto out;
        }
    }
    struct sg_scan scan = {
        .policy = p, .env = env, .msg = msg,
        .text = text.data ? text.data : "", .text_len = text.len,
        .pattern_hits = hits, .rclass = rclass, .nrcpt = n,
    };
    for (size_t i = 0; i < p->nrules && !v->error; i++)
        eval_rule(&p->rules[i], &scan, v);

out:
    /* A limit means part of the message went unread: never let that pass
     * as a clean accept. */
    if (v->limits_hit && p->limits.on_limit > v->action)
        v->action = p->limits.on_limit;
    if (v->error)
        v->action = p->actions.on_internal_error;
    free(hits);
    free(rclass);
    sg_buf_free(&text);
}
