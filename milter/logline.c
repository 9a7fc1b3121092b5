/*
 * logline.c - the one syslog line per message, and one per action.
 *
 * key=value, queue id first; never body text, names or identifiers:
 * evidence belongs in the quarantine store, not in a log anyone can read.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include "sg_milter.h"
#include "sg_override.h"

/* Header values can carry anything; keep log fields to one safe token. */
static void field(struct sg_buf *b, const char *key, const char *val)
{
    sg_buf_printf(b, " %s=", key);
    if (!val || !*val) {
        sg_buf_puts(b, "<>");
        return;
    }
    for (const char *p = val; *p && p - val < 200; p++)
        sg_buf_append(b, (unsigned char)*p <= ' ' || *p == '"' || (unsigned char)*p >= 0x7f ? "?" : p, 1);
}

char *sg_log_pseudonym(const char *addr)
{
    char *norm = sg_addr_normalise(addr);
    const char *at = norm ? strrchr(norm, '@') : NULL;
    gchar *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, norm ? norm : addr, -1);
    struct sg_buf b = {0};
    sg_buf_printf(&b, "%.10s@%s", hash, at ? at + 1 : "?");
    g_free(hash);
    free(norm);
    return sg_buf_steal(&b);
}

void sg_log_inbound(const struct sg_msgctx *mc)
{
    struct sg_buf b = {0};
    sg_buf_printf(&b, "%s: event=- action=accept direction=inbound", mc->env.queue_id ? mc->env.queue_id : "NOQUEUE");
    field(&b, "from", mc->env.mail_from);
    field(&b, "client", mc->env.client_addr);
    syslog(LOG_INFO, "%s", b.data);
    sg_buf_free(&b);
}

void sg_log_verdict(const struct sg_msgctx *mc, const struct sg_message *msg, const struct sg_verdict *v)
{
    const char *qid = mc->env.queue_id ? mc->env.queue_id : "NOQUEUE";
    struct sg_buf b = {0};
    /* Monitor mode: delivered untouched, and what it would have done. */
    bool monitored = sg_verdict_monitored(v);
    sg_buf_printf(&b, "%s: event=%s action=%s", qid, v->event_id,
                  monitored && v->action == SG_ACTION_ACCEPT ? "monitor" : sg_action_name(v->action));
    if (monitored)
        sg_buf_printf(&b, " would=%s", sg_action_name(v->would));
    sg_buf_puts(&b, " categories=");
    sg_verdict_categories(v, &b);
    sg_buf_puts(&b, " rules=");
    sg_verdict_rules(v, &b);
    field(&b, "from", mc->env.mail_from);
    sg_buf_printf(&b, " nrcpt=%zu direction=%s", sg_strv_len(mc->env.rcpts), v->inbound ? "inbound" : "outbound");
    if (v->safeguarding_report)
        sg_buf_puts(&b, " report=safeguarding-team");
    if (v->nremoved)
        sg_buf_printf(&b, " removed=%zu", v->nremoved);
    field(&b, "msgid", msg ? msg->message_id : v->message_id);
    if (mc->env.auth_login)
        field(&b, "auth", mc->env.auth_login);
    if (v->limits_hit) {
        char names[160];
        sg_limit_names(v->limits_hit, names, sizeof(names));
        sg_buf_printf(&b, " limits=%s", names);
        if (mc->policy->limits.on_limit == SG_ACTION_ACCEPT)
            sg_buf_puts(&b, " unscreened=accepted(on_limit)");
    }
    if (v->error)
        sg_buf_printf(&b, " error=\"%s\"", v->error);
    syslog(v->error ? LOG_ERR : LOG_INFO, "%s", b.data);
    if (v->action == SG_ACTION_QUARANTINE) {
        b.len = 0;
        sg_buf_printf(&b, "%s: event=%s held reason=\"rules=", qid, v->event_id);
        sg_verdict_rules(v, &b);
        if (v->limits_hit) {
            char names[160];
            sg_limit_names(v->limits_hit, names, sizeof(names));
            sg_buf_printf(&b, " limits=%s", names);
        }
        sg_buf_puts(&b, "\"");
        /* which hold queue to look in: postsuper -H or sendmail -qQ */
        if (mc->mta)
            sg_buf_printf(&b, " mta=%s", mc->mta);
        syslog(LOG_NOTICE, "%s", b.data);
    }
    for (size_t i = 0; i < v->nrcpt && v->nremoved; i++) {
        if (!v->removed[i])
            continue;
        char *who = sg_log_pseudonym(mc->env.rcpts[i]);
        b.len = 0;
        sg_buf_printf(&b, "%s: event=%s removed rcpt=%s", qid, v->event_id, who);
        syslog(LOG_NOTICE, "%s", b.data);
        free(who);
    }
    sg_buf_free(&b);
}
