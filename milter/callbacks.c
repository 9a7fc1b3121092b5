/*
 * callbacks.c - libmilter callbacks: collect the envelope and the bytes,
 * then hand everything to the engine at end of message.
 *
 * Postfix waits for every reply, so negotiation asks for no reply to the
 * steps that never decide anything (connect, rcpt, header, body) and for
 * no HELO/DATA/EOH/unknown calls at all. Failures before eom are kept and
 * answered at eom with the policy's on_internal_error.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include "sg_milter.h"
#include "sg_notice.h"

static struct sg_connctx *conn_of(SMFICTX *ctx)
{
    return sg_smfi->getpriv(ctx);
}

static void msg_free(struct sg_msgctx *mc)
{
    if (!mc)
        return;
    sg_policy_unref(mc->policy);
    sg_pool_unref(mc->pool);
    sg_envelope_clear(&mc->env);
    sg_strv_free(mc->rcpt_raw);
    sg_spool_free(&mc->spool);
    free(mc->subject_raw);
    free(mc->failure);
    free(mc->mta);
    free(mc->message_id_raw);
    free(mc->release_mark);
    free(mc->notice_mark);
    free(mc);
}

static void msg_fail(struct sg_msgctx *mc, const char *why)
{
    if (!mc->failure)
        mc->failure = sg_xstrdup(why);
}

static char *strip_brackets(const char *a)
{
    while (*a == '<' || *a == ' ')
        a++;
    size_t n = strcspn(a, ">");
    return sg_xstrndup(a, n);
}

/* The macros the milter reads, asked for by name rather than left to the
 * MTA's defaults: {i} (the queue id that postsuper -H and sendmail -qI
 * release) at MAIL FROM and end of message, {v} at connect (which MTA
 * holds the message). A list replaces the MTA's default for its stage, so
 * each keeps the defaults' other macros. */
static void ask_macros(SMFICTX *ctx)
{
    static const struct { int stage; const char *list; } want[] = {
        {SMFIM_CONNECT, "j _ {daemon_name} {if_name} {if_addr} {client_addr} v"},
        {SMFIM_ENVFROM, "i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}"},
        {SMFIM_EOM, "i {msg_id}"},
    };
    for (size_t i = 0; sg_smfi->setsymlist && i < sizeof(want) / sizeof(*want); i++)
        if (sg_smfi->setsymlist(ctx, want[i].stage, (char *)want[i].list) != MI_SUCCESS)
            syslog(LOG_WARNING, "the MTA did not take the macro list for stage %d; using its defaults",
                   want[i].stage);
}

static sfsistat mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
                               unsigned long f2, unsigned long f3, unsigned long *pf0,
                               unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
    /* CHGBODY for the footer: no SMFIP_NOBODY, so the body still comes. */
    unsigned long want_actions = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_DELRCPT | SMFIF_CHGBODY;
    unsigned long want_steps = SMFIP_NOHELO | SMFIP_NODATA | SMFIP_NOUNKNOWN | SMFIP_NOEOH |
                               SMFIP_NR_CONN | SMFIP_NR_RCPT | SMFIP_NR_HDR | SMFIP_NR_BODY;
    if ((f0 & want_actions) != want_actions) {
        syslog(LOG_ERR, "the MTA does not offer the actions this filter needs (offered 0x%lx)", f0);
        return SMFIS_REJECT;
    }
    *pf0 = want_actions;
    *pf1 = want_steps & f1;
    *pf2 = 0;
    *pf3 = 0;
    ask_macros(ctx);
    return SMFIS_CONTINUE;
}

/* With SMFIP_NR_* negotiated, libmilter wants SMFIS_NOREPLY back; the
 * answer differs per MTA, so it is kept per connection. */
static sfsistat no_reply(const struct sg_connctx *cc, unsigned long flag)
{
    return cc && (cc->steps & flag) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static struct sg_connctx *conn_new(SMFICTX *ctx)
{
    struct sg_connctx *cc = conn_of(ctx);
    if (!cc) {
        cc = sg_xcalloc(1, sizeof(*cc));
        sg_smfi->setpriv(ctx, cc);
    }
    return cc;
}

static sfsistat mlfi_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *addr)
{
    struct sg_connctx *cc = conn_new(ctx);
    char buf[INET6_ADDRSTRLEN] = "";
    if (addr && addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)addr)->sin_addr, buf, sizeof(buf));
    else if (addr && addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)addr)->sin6_addr, buf, sizeof(buf));
    free(cc->client_addr);
    cc->client_addr = sg_xstrdup(buf);
    const char *mta = sg_mta_kind(sg_smfi->getsymval(ctx, "v"), sg_smfi->getsymval(ctx, "{daemon_name}"));
    free(cc->mta);
    cc->mta = sg_xstrdup(mta ? mta : "unknown");
    return no_reply(cc, SMFIP_NR_CONN);
}

static sfsistat mlfi_envfrom(SMFICTX *ctx, char **argv)
{
    struct sg_connctx *cc = conn_of(ctx);
    if (!cc)
        return SMFIS_TEMPFAIL;
    msg_free(cc->msg);
    struct sg_msgctx *mc = cc->msg = sg_xcalloc(1, sizeof(*mc));
    mc->policy = sg_reload_current(&mc->pool);
    mc->env.mail_from = strip_brackets(argv && argv[0] ? argv[0] : "");
    mc->env.rcpts = sg_xcalloc(1, sizeof(char *));
    mc->env.client_addr = sg_xstrdup(cc->client_addr);
    mc->mta = sg_xstrdup(cc->mta ? cc->mta : "unknown");
    mc->env.when = time(NULL);
    const char *auth = sg_smfi->getsymval(ctx, "{auth_authen}");
    if (auth && *auth)
        mc->env.auth_login = sg_xstrdup(auth);
    const char *qid = sg_smfi->getsymval(ctx, "i");
    if (qid && *qid)
        mc->env.queue_id = sg_xstrdup(qid);
    const struct sg_limits_cfg *lim = &mc->policy->limits;
    sg_spool_init(&mc->spool, lim->spool_memory, lim->msg.max_message_size + 1);
    if (!sg_engine_outbound(mc->policy, &mc->env)) {
        /* Not staff mail leaving: no body to spool, no further round trips. */
        sg_log_inbound(mc);
        msg_free(mc);
        cc->msg = NULL;
        return SMFIS_ACCEPT;
    }
    return SMFIS_CONTINUE;
}

static sfsistat mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
    struct sg_connctx *cc = conn_of(ctx);
    if (cc && cc->msg && argv && argv[0]) {
        char *r = strip_brackets(argv[0]);
        cc->msg->env.rcpts = sg_strv_push(cc->msg->env.rcpts, r);
        cc->msg->rcpt_raw = sg_strv_push(cc->msg->rcpt_raw, argv[0]);
        free(r);
    }
    return no_reply(cc, SMFIP_NR_RCPT);
}

static void spool_put(struct sg_msgctx *mc, const char *s, size_t n)
{
    if (!sg_spool_write(&mc->spool, s, n))
        msg_fail(mc, "cannot spool the message (temporary file)");
}

static sfsistat mlfi_header(SMFICTX *ctx, char *name, char *value)
{
    struct sg_connctx *cc = conn_of(ctx);
    struct sg_msgctx *mc = cc ? cc->msg : NULL;
    if (mc && name && value) {
        spool_put(mc, name, strlen(name));
        spool_put(mc, ":", 1);
        if (*value != ' ' && *value != '\t')
            spool_put(mc, " ", 1);
        spool_put(mc, value, strlen(value));
        spool_put(mc, "\r\n", 2);
        if (!strcasecmp(name, "Subject") && !mc->subject_raw)
            mc->subject_raw = sg_xstrdup(value + strspn(value, " \t"));
        if (!strcasecmp(name, "Message-ID") && !mc->message_id_raw)
            mc->message_id_raw = sg_xstrdup(value);
        if (!strcasecmp(name, "X-Safeguard-Released") && !mc->release_marks++)
            mc->release_mark = sg_xstrdup(value);
        if (!strcasecmp(name, mc->policy->actions.header))
            mc->own_headers++;
        else if (!strcasecmp(name, "X-Safeguard-Removed"))
            mc->own_removed++;
        else if (!strcasecmp(name, "X-Safeguard-Justification"))
            mc->own_justified++;
        else if (!strcasecmp(name, SG_NOTICE_HEADER) && !mc->own_notice++)
            mc->notice_mark = sg_xstrdup(value);
    }
    return no_reply(cc, SMFIP_NR_HDR);
}

static void end_headers(struct sg_msgctx *mc)
{
    if (!mc->in_body) {
        spool_put(mc, "\r\n", 2);
        mc->in_body = true;
    }
}

static sfsistat mlfi_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
    struct sg_connctx *cc = conn_of(ctx);
    if (cc && cc->msg) {
        end_headers(cc->msg);
        spool_put(cc->msg, (const char *)chunk, len);
    }
    return no_reply(cc, SMFIP_NR_BODY);
}

static sfsistat mlfi_eom(SMFICTX *ctx)
{
    struct sg_connctx *cc = conn_of(ctx);
    if (!cc || !cc->msg) {
        syslog(LOG_ERR, "end of message without a message context");
        return SMFIS_TEMPFAIL;
    }
    struct sg_msgctx *mc = cc->msg;
    end_headers(mc);
    if (!mc->env.queue_id) {
        const char *qid = sg_smfi->getsymval(ctx, "i");
        mc->env.queue_id = sg_xstrdup(qid && *qid ? qid : "NOQUEUE");
    }
    /* A copy safeguard-quarantine released: screened once already, and
     * the DSL decided. Only one mark: a second would be someone's own. */
    if (!mc->failure && mc->release_marks == 1 && sg_milter_released_copy(mc)) {
        msg_free(mc);
        cc->msg = NULL;
        return SMFIS_ACCEPT;
    }
    if (!mc->failure && sg_notify_is_notice(mc)) {
        /* Our own notice: not screened, and its mark removed so that no
         * reader can copy a valid one into mail of their own. */
        sfsistat nrc = sg_smfi->chgheader(ctx, SG_NOTICE_HEADER, 1, NULL) == MI_SUCCESS ? SMFIS_CONTINUE
                                                                                         : SMFIS_TEMPFAIL;
        syslog(LOG_INFO, "%s: notice=%.40s passed unscreened (valid %s mark)", mc->env.queue_id,
               mc->notice_mark + strspn(mc->notice_mark, " "), SG_NOTICE_HEADER);
        msg_free(mc);
        cc->msg = NULL;
        return nrc;
    }
    struct sg_verdict v;
    sg_verdict_init(&v, sg_strv_len(mc->env.rcpts));
    sg_engine_event_id(v.event_id, sizeof(v.event_id));
    struct sg_message *msg = NULL;
    char err[256] = "";
    int fd;
    if (mc->failure) {
        sg_verdict_fail(&v, "%s", mc->failure);
    } else if (mc->pool) {
        /* This thread never parses the mail: a worker does, under its
         * rlimits and time budget. */
        if ((fd = sg_spool_fd(&mc->spool)) < 0)
            sg_verdict_fail(&v, "cannot hand the message to a worker (memory file)");
        else
            sg_pool_evaluate(mc->pool, fd, &mc->env, mc->spool.truncated, &v);
    } else if (!(msg = sg_spool_parse(&mc->spool, &mc->policy->limits.msg, err, sizeof(err)))) {
        sg_verdict_fail(&v, "MIME parse failed: %s", err);
    } else {
        sg_engine_evaluate(mc->policy, &mc->env, msg, &v);
    }
    if (v.error)
        v.action = mc->policy->actions.on_internal_error;
    sfsistat rc = sg_actions_apply(ctx, mc, &v);
    sg_log_verdict(mc, msg, &v);
    sg_override_record(mc, msg, &v, rc);
    if (rc == SMFIS_CONTINUE && v.action == SG_ACTION_QUARANTINE)
        sg_notify_held(mc, &v);
    sg_message_free(msg);
    sg_verdict_clear(&v);
    msg_free(mc);
    cc->msg = NULL;
    return rc;
}

static sfsistat mlfi_abort(SMFICTX *ctx)
{
    struct sg_connctx *cc = conn_of(ctx);
    if (cc) {
        msg_free(cc->msg);
        cc->msg = NULL;
    }
    return SMFIS_CONTINUE;
}

static sfsistat mlfi_close(SMFICTX *ctx)
{
    struct sg_connctx *cc = conn_of(ctx);
    if (cc) {
        msg_free(cc->msg);
        free(cc->client_addr);
        free(cc->mta);
        free(cc);
        sg_smfi->setpriv(ctx, NULL);
    }
    return SMFIS_CONTINUE;
}

static sfsistat mlfi_negotiate_record(SMFICTX *ctx, unsigned long f0, unsigned long f1,
                                      unsigned long f2, unsigned long f3, unsigned long *pf0,
                                      unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
    sfsistat rc = mlfi_negotiate(ctx, f0, f1, f2, f3, pf0, pf1, pf2, pf3);
    if (rc == SMFIS_CONTINUE)
        conn_new(ctx)->steps = *pf1;
    return rc;
}

struct smfiDesc sg_milter_desc = {
    .xxfi_name = "safeguard-milter",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_DELRCPT | SMFIF_CHGBODY,
    .xxfi_connect = mlfi_connect,
    .xxfi_helo = NULL,
    .xxfi_envfrom = mlfi_envfrom,
    .xxfi_envrcpt = mlfi_envrcpt,
    .xxfi_header = mlfi_header,
    .xxfi_eoh = NULL,
    .xxfi_body = mlfi_body,
    .xxfi_eom = mlfi_eom,
    .xxfi_abort = mlfi_abort,
    .xxfi_close = mlfi_close,
    .xxfi_unknown = NULL,
    .xxfi_data = NULL,
    .xxfi_negotiate = mlfi_negotiate_record,
};
