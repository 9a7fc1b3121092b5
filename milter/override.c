/*
 * override.c - the MTA's part of override with justification, monitor
 * mode and the footer (the engine decided in policy/override.c):
 * the subject's [justify: ...] removed and X-Safeguard-Justification
 * added, the body replaced with the footer's, and the log lines and
 * store records of overridden and monitored mail.
 *
 * The reason is the member of staff's words: it goes into the header and
 * the store, and only its length into the log.
 */
#include <glib.h>
#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include "sg_footer.h"
#include "sg_milter.h"
#include "sg_notice.h"
#include "sg_override.h"
#include "sg_store.h"

#define REPLACE_CHUNK 65536

static const char *qid_of(const struct sg_msgctx *mc)
{
    return mc->env.queue_id ? mc->env.queue_id : "NOQUEUE";
}

static bool ascii_only(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

char *sg_override_header_text(const char *utf8)
{
    char *clean = sg_justify_clean(utf8);
    if (ascii_only(clean))
        return clean;
    sg_message_init_library();
    char *enc = g_mime_utils_header_encode_text(NULL, clean, "utf-8");
    free(clean);
    /* One line: the MTA folds if it must. */
    char *out = sg_justify_clean(enc ? enc : "");
    g_free(enc);
    return out;
}

/* The subject without its tags: the raw value edited when it is plain
 * ASCII (nothing else changes), else the decoded one encoded again. */
static bool strip_subject(SMFICTX *ctx, struct sg_msgctx *mc)
{
    if (!mc->subject_raw)
        return true;
    char *value;
    if (ascii_only(mc->subject_raw) && !strstr(mc->subject_raw, "=?")) {
        value = sg_justify_strip(mc->subject_raw);
    } else {
        sg_message_init_library();
        gchar *decoded = g_mime_utils_header_decode_text(NULL, mc->subject_raw);
        char *plain = sg_justify_strip(decoded ? decoded : mc->subject_raw);
        g_free(decoded);
        value = sg_override_header_text(plain);
        free(plain);
    }
    bool ok = sg_smfi->chgheader(ctx, "Subject", 1, value) == MI_SUCCESS;
    free(mc->subject_raw);
    mc->subject_raw = value;     /* a subject_tag goes in front of this */
    return ok;
}

bool sg_override_apply(SMFICTX *ctx, struct sg_msgctx *mc, const struct sg_verdict *v)
{
    if (!v->justification || !sg_verdict_overridden(v) || v->action >= SG_ACTION_QUARANTINE)
        return true;
    if (!strip_subject(ctx, mc))
        return false;
    char *h = sg_override_header_text(v->justification);
    bool ok = sg_smfi->insheader(ctx, 0, SG_JUSTIFICATION_HEADER, h) == MI_SUCCESS;
    free(h);
    return ok;
}

/* The whole spooled message, for GMime. */
static char *spool_bytes(struct sg_msgctx *mc, size_t *len)
{
    int fd = sg_spool_fd(&mc->spool);
    if (fd < 0)
        return NULL;
    size_t n = mc->spool.size;
    char *buf = sg_xmalloc(n + 1);
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, (off_t)got);
        if (r <= 0) {
            free(buf);
            return NULL;
        }
        got += (size_t)r;
    }
    *len = n;
    return buf;
}

bool sg_footer_milter(SMFICTX *ctx, struct sg_msgctx *mc, const struct sg_verdict *v)
{
    const struct sg_policy *p = mc->policy;
    const struct sg_footer *f = sg_policy_footer(p, sg_policy_unit(p, v->unit));
    if (!f || v->action != SG_ACTION_ANNOTATE)
        return true;
    /* The footer is a courtesy: a message it cannot go into is delivered
     * without it, and the log says why. */
    const char *why = NULL;
    size_t len = 0;
    char *msg = mc->spool.truncated ? NULL : spool_bytes(mc, &len);
    struct sg_footer_out out = {0};
    enum sg_footer_rc rc = SG_FOOTER_FAILED;
    if (mc->spool.truncated)
        why = "too-large";
    else if (!msg)
        why = "spool";
    else if ((rc = sg_footer_add(msg, len, f, &out)) != SG_FOOTER_ADDED)
        why = sg_footer_rc_name(rc);
    free(msg);
    if (why) {
        syslog(LOG_INFO, "%s: event=%s footer=skipped reason=%s", qid_of(mc), v->event_id, why);
        sg_footer_out_free(&out);
        return true;
    }
    bool ok = true;
    if (out.content_type)
        ok = sg_smfi->chgheader(ctx, "Content-Type", 1, out.content_type) == MI_SUCCESS;
    if (ok && out.add_mime_version)
        ok = sg_smfi->addheader(ctx, "MIME-Version", "1.0") == MI_SUCCESS;
    if (ok && out.content_encoding)
        ok = sg_smfi->chgheader(ctx, "Content-Transfer-Encoding", 1, out.content_encoding) == MI_SUCCESS;
    for (size_t off = 0; ok && off < out.body.len; off += REPLACE_CHUNK) {
        size_t n = out.body.len - off < REPLACE_CHUNK ? out.body.len - off : REPLACE_CHUNK;
        ok = sg_smfi->replacebody(ctx, (unsigned char *)out.body.data + off, (int)n) == MI_SUCCESS;
    }
    if (ok)
        syslog(LOG_INFO, "%s: event=%s footer=added parts=%u", qid_of(mc), v->event_id, out.parts);
    sg_footer_out_free(&out);
    return ok;
}

/* The DSL hears of every override at once (never in a digest: the mail
 * has gone): who, to whom, which rules with their clauses and evidence,
 * and the reason. Like the held notice, no body text of the mail. */
void sg_override_notify_dsl(const struct sg_msgctx *mc, const struct sg_verdict *v)
{
    const struct sg_policy *p = mc->policy;
    if (!p->notices.configured)
        return;
    char *const *dsl = sg_notice_dsl(p, sg_notice_unit(p, &mc->env));
    if (!dsl || !dsl[0]) {
        syslog(LOG_WARNING, "%s: event=%s notice=dsl-override not sent: no notices: dsl or safeguarding_team for "
               "the sender's school", qid_of(mc), v->event_id);
        return;
    }
    sg_message_init_library();
    gchar *dec = mc->subject_raw ? g_mime_utils_header_decode_text(NULL, mc->subject_raw) : NULL;
    char *subject = sg_justify_clean(dec ? dec : "");
    g_free(dec);
    char *reason = sg_justify_clean(v->justification);
    struct sg_buf rules = {0}, body = {0}, subj = {0};
    sg_buf_append(&rules, "", 0);
    for (size_t i = 0; i < v->nhits; i++)
        if (v->hits[i].overridden)
            sg_buf_printf(&rules, "%s%s", rules.len ? ", " : "", v->hits[i].rule->id);
    /* A whole header line, as the held notice's template gives; ASCII
     * (rule ids, the event id), kept short of folding. */
    sg_buf_printf(&subj, "Subject: Safeguard: override used (%.120s), event %s\n", rules.data, v->event_id);
    sg_buf_printf(&body, "A member of staff resent a stopped message with a justification, and it was delivered.\n\n"
                         "Event:   %s\nFrom:    %s\n", v->event_id, mc->env.mail_from ? mc->env.mail_from : "");
    if (mc->env.auth_login)
        sg_buf_printf(&body, "Login:   %s\n", mc->env.auth_login);
    sg_buf_puts(&body, "To:      ");
    for (size_t i = 0; mc->env.rcpts && mc->env.rcpts[i]; i++)
        sg_buf_printf(&body, "%s%s", i ? ", " : "", mc->env.rcpts[i]);
    sg_buf_printf(&body, "\nSubject: %s\n\nJustification given:\n  %s\n\nRules overridden:\n", subject, reason);
    for (size_t i = 0; i < v->nhits; i++) {
        const struct sg_hit *h = &v->hits[i];
        if (!h->overridden)
            continue;
        sg_buf_printf(&body, "- %s (%s, %s)\n  Policy: %s\n  Found: %s\n", h->rule->id,
                      sg_category_name(h->rule->category), sg_action_name(h->rule->action),
                      h->rule->cite ? h->rule->cite : "", h->evidence ? h->evidence : "");
    }
    sg_buf_printf(&body, "\nThe delivered copy is kept: safeguard-quarantine show %s\n"
                         "The report lists every override with its reason: safeguard-quarantine report --since 7d\n",
                  v->event_id);
    sg_notify_send(mc, v->event_id, dsl, subj.data, body.data, "dsl-override");
    sg_buf_free(&rules);
    sg_buf_free(&body);
    sg_buf_free(&subj);
    free(subject);
    free(reason);
}

/* Rules whose hits match: "a,b", "-" when none. */
static void rules_where(const struct sg_verdict *v, bool (*want)(const struct sg_hit *, const struct sg_verdict *),
                        struct sg_buf *out)
{
    size_t start = out->len;
    for (size_t i = 0; i < v->nhits; i++)
        if (want(&v->hits[i], v))
            sg_buf_printf(out, "%s%s", out->len > start ? "," : "", v->hits[i].rule->id);
    if (out->len == start)
        sg_buf_puts(out, "-");
}

static bool was_overridden(const struct sg_hit *h, const struct sg_verdict *v)
{
    (void)v;
    return h->overridden;
}

static bool would_act(const struct sg_hit *h, const struct sg_verdict *v)
{
    return h->monitored && !h->demoted && h->rule->action > v->action;
}

static bool still_acts(const struct sg_hit *h, const struct sg_verdict *v)
{
    return !h->monitored && !h->overridden && !h->demoted && h->rule->action == v->action;
}

void sg_override_record(struct sg_msgctx *mc, const struct sg_message *msg, const struct sg_verdict *v,
                        sfsistat rc)
{
    (void)msg;    /* the store reads the spooled copy and the raw headers */
    bool delivered = rc == SMFIS_CONTINUE && v->action <= SG_ACTION_ANNOTATE;
    bool held = rc == SMFIS_CONTINUE && v->action == SG_ACTION_QUARANTINE;
    struct sg_buf b = {0};
    if (v->justification && !delivered && (held || rc == SMFIS_REJECT)) {
        /* Asked for, not enough: a rule that cannot be overridden acts. */
        sg_buf_printf(&b, "%s: event=%s justification=refused rules=", qid_of(mc), v->event_id);
        rules_where(v, still_acts, &b);
        sg_buf_printf(&b, " reason_len=%zu", strlen(v->justification));
        syslog(LOG_NOTICE, "%s", b.data);
    }
    if (delivered && v->justification && sg_verdict_overridden(v)) {
        b.len = 0;
        sg_buf_printf(&b, "%s: event=%s overridden rules=", qid_of(mc), v->event_id);
        rules_where(v, was_overridden, &b);
        sg_buf_printf(&b, " reason_len=%zu", strlen(v->justification));
        syslog(LOG_NOTICE, "%s", b.data);
        sg_milter_store_put(mc, v, SG_STORE_OVERRIDDEN, "override", v->justification);
        sg_override_notify_dsl(mc, v);
    }
    if (delivered && sg_verdict_monitored(v)) {
        b.len = 0;
        sg_buf_printf(&b, "%s: event=%s monitored would=%s rules=", qid_of(mc), v->event_id,
                      sg_action_name(v->would));
        rules_where(v, would_act, &b);
        syslog(LOG_NOTICE, "%s", b.data);
        char action[40];
        snprintf(action, sizeof(action), "monitor:%s", sg_action_name(v->would));
        sg_milter_store_put(mc, v, SG_STORE_MONITORED, action, NULL);
    }
    sg_buf_free(&b);
}
