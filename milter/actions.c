/*
 * actions.c - a verdict carried out through libmilter: verdict header,
 * subject tag, hold (quarantine), multi-line 5.7.1 reject, tempfail.
 *
 * A failed smfi_* call is an internal error: the message is tempfailed,
 * never let through half-marked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include "sg_milter.h"

#define REPLY_LINES 32
#define REPLY_LINE_MAX 200       /* well inside libmilter's 980, readable in a bounce */

char *sg_reply_escape(const char *line)
{
    struct sg_buf b = {0};
    sg_buf_append(&b, "", 0);
    for (const char *p = line; *p; p++) {
        if (*p == '%')
            sg_buf_puts(&b, "%%");
        else if ((unsigned char)*p < 0x20)
            sg_buf_puts(&b, " ");
        else
            sg_buf_append(&b, p, 1);
    }
    return sg_buf_steal(&b);
}

static char *verdict_header(const struct sg_verdict *v)
{
    struct sg_buf b = {0};
    sg_buf_printf(&b, "%s; categories=", sg_action_name(v->action));
    sg_verdict_categories(v, &b);
    sg_buf_puts(&b, "; rules=");
    sg_verdict_rules(v, &b);
    sg_buf_printf(&b, "; event=%s", v->event_id);
    return sg_buf_steal(&b);
}

static bool remove_forged(SMFICTX *ctx, struct sg_msgctx *mc)
{
    /* A sender must not be able to pre-mark its own mail. */
    for (int i = mc->own_headers; i >= 1; i--)
        if (sg_smfi->chgheader(ctx, mc->policy->actions.header, i, NULL) != MI_SUCCESS)
            return false;
    for (int i = mc->own_removed; i >= 1; i--)
        if (sg_smfi->chgheader(ctx, "X-Safeguard-Removed", i, NULL) != MI_SUCCESS)
            return false;
    return true;
}

static bool tag_subject(SMFICTX *ctx, struct sg_msgctx *mc)
{
    const char *tag = mc->policy->actions.subject_tag;
    if (!tag || !*tag)
        return true;
    const char *old = mc->subject_raw ? mc->subject_raw : "";
    if (!strncasecmp(old, tag, strlen(tag)))
        return true;
    struct sg_buf b = {0};
    sg_buf_printf(&b, "%s %s", tag, old);
    int rc = mc->subject_raw ? sg_smfi->chgheader(ctx, "Subject", 1, b.data)
                             : sg_smfi->addheader(ctx, "Subject", b.data);
    sg_buf_free(&b);
    return rc == MI_SUCCESS;
}

static sfsistat tempfail(SMFICTX *ctx, const struct sg_verdict *v)
{
    char text[160];
    snprintf(text, sizeof(text), "Message screening is temporarily unavailable (event %s); it will be retried", v->event_id);
    sg_smfi->setreply(ctx, "451", "4.7.1", text);
    return SMFIS_TEMPFAIL;
}

static sfsistat reject(SMFICTX *ctx, struct sg_msgctx *mc, const struct sg_verdict *v)
{
    char *raw[REPLY_LINES], *lines[REPLY_LINES];
    size_t n = sg_verdict_explain(v, mc->policy, raw, REPLY_LINES, REPLY_LINE_MAX);
    for (size_t i = 0; i < n; i++) {
        lines[i] = sg_reply_escape(raw[i]);
        free(raw[i]);
    }
    int rc = sg_smfi->setmlreply(ctx, "550", "5.7.1", lines, n);
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    if (rc != MI_SUCCESS) {
        /* Still a reject: the plain reply says enough to act on. */
        char text[200];
        snprintf(text, sizeof(text), "Message refused by the school's safeguarding policy (event %s)", v->event_id);
        sg_smfi->setreply(ctx, "550", "5.7.1", text);
    }
    return SMFIS_REJECT;
}

/* recipient_mode: remove: take the pupils off, say so in a header (by
 * count: the other recipients must not learn who they were). */
static bool remove_recipients(SMFICTX *ctx, struct sg_msgctx *mc, const struct sg_verdict *v)
{
    for (size_t i = 0; i < v->nrcpt; i++)
        if (v->removed[i] && sg_smfi->delrcpt(ctx, mc->rcpt_raw[i]) != MI_SUCCESS)
            return false;
    struct sg_buf b = {0};
    sg_buf_printf(&b, "%zu recipient%s removed; rules=", v->nremoved, v->nremoved == 1 ? "" : "s");
    bool first = true;
    for (size_t h = 0; h < v->nhits; h++) {
        if (!v->hits[h].demoted)
            continue;
        sg_buf_printf(&b, "%s%s", first ? "" : ",", v->hits[h].rule->id);
        first = false;
    }
    sg_buf_printf(&b, "; event=%s", v->event_id);
    bool ok = sg_smfi->insheader(ctx, 0, "X-Safeguard-Removed", b.data) == MI_SUCCESS;
    sg_buf_free(&b);
    return ok;
}

sfsistat sg_actions_apply(SMFICTX *ctx, struct sg_msgctx *mc, const struct sg_verdict *v)
{
    switch (v->action) {
    case SG_ACTION_TEMPFAIL:
        return tempfail(ctx, v);
    case SG_ACTION_REJECT:
        return reject(ctx, mc, v);
    case SG_ACTION_ACCEPT:
        return remove_forged(ctx, mc) ? SMFIS_CONTINUE : tempfail(ctx, v);
    case SG_ACTION_ANNOTATE:
    case SG_ACTION_QUARANTINE:
        break;
    }
    char *hdr = verdict_header(v);
    bool ok = remove_forged(ctx, mc) &&
              sg_smfi->insheader(ctx, 0, mc->policy->actions.header, hdr) == MI_SUCCESS;
    free(hdr);
    if (ok && v->nremoved)
        ok = remove_recipients(ctx, mc, v);
    if (ok && v->action == SG_ACTION_ANNOTATE)
        ok = tag_subject(ctx, mc);
    /* The copy first: a hold the store does not have is tempfailed. */
    if (ok && v->action == SG_ACTION_QUARANTINE && !sg_milter_store_put(mc, v, SG_STORE_HELD, "quarantine", NULL))
        return tempfail(ctx, v);
    if (ok && v->action == SG_ACTION_QUARANTINE) {
        struct sg_buf reason = {0};
        sg_buf_printf(&reason, "safeguard %s: rules=", v->event_id);
        sg_verdict_rules(v, &reason);
        /* held for what could not be read (rules=-): say what stopped it */
        if (v->limits_hit) {
            char names[160];
            sg_limit_names(v->limits_hit, names, sizeof(names));
            sg_buf_printf(&reason, " limits=%s", names);
        }
        ok = sg_smfi->quarantine(ctx, reason.data) == MI_SUCCESS;
        sg_buf_free(&reason);
        if (!ok)
            sg_milter_store_unhold(mc, v);
    }
    if (!ok) {
        syslog(LOG_ERR, "%s: event=%s the MTA refused a change to the message; tempfailing",
               mc->env.queue_id ? mc->env.queue_id : "NOQUEUE", v->event_id);
        return tempfail(ctx, v);
    }
    return SMFIS_CONTINUE;
}
