/*
 * store_hook.c - the milter's side of the quarantine store: opened once
 * after the privilege drop, a copy of every held (monitored, overridden)
 * message put in with its verdict, and the release mark of a re-injected
 * copy checked before screening.
 *
 * One log line per store action: event, queue id, state, recipients as
 * pseudonyms; never a subject, a name or body text.
 */
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include "sg_milter.h"
#include "sg_store.h"

static struct sg_store *store;

bool sg_milter_store_open(const char *dir)
{
    char *err = NULL;
    if (!(store = sg_store_open(dir, &err))) {
        syslog(LOG_ERR, "cannot open the quarantine store: %s", err ? err : "?");
        free(err);
        return false;
    }
    size_t found = 0;
    if (!sg_store_recover(store, &found, &err)) {
        syslog(LOG_WARNING, "quarantine store %s: recovery pass failed: %s", dir, err ? err : "?");
        free(err);
    } else if (found) {
        syslog(LOG_WARNING, "quarantine store %s: %zu message file(s) without an index row indexed as held "
               "(action=recovered)", dir, found);
    }
    return true;
}

void sg_milter_store_close(void)
{
    sg_store_close(store);
    store = NULL;
}

struct sg_store *sg_milter_store(void)
{
    return store;
}

/* The member of staff's school (the schools: id), else the trust's name. */
static const char *school_of(const struct sg_msgctx *mc)
{
    const struct sg_person *who = NULL;
    sg_policy_classify_person(mc->policy, mc->env.mail_from, &who);
    if (who && who->school && *who->school)
        return who->school;
    return mc->policy->school.name;
}

static char *bare_msgid(const char *raw)
{
    if (!raw)
        return NULL;
    raw += strspn(raw, " \t<");
    return sg_xstrndup(raw, strcspn(raw, "> \t\r\n"));
}

static void log_put(const struct sg_msgctx *mc, const struct sg_verdict *v, enum sg_store_state state,
                    const char *err)
{
    struct sg_buf b = {0};
    sg_buf_printf(&b, "%s: event=%s store=%s state=%s rcpt=", mc->env.queue_id ? mc->env.queue_id : "NOQUEUE",
                  v->event_id, err ? "failed" : "ok", sg_store_state_name(state));
    for (size_t i = 0; mc->env.rcpts && mc->env.rcpts[i]; i++) {
        char *p = sg_log_pseudonym(mc->env.rcpts[i]);
        sg_buf_printf(&b, "%s%s", i ? "," : "", p);
        free(p);
    }
    if (err)
        sg_buf_printf(&b, " error=\"%s\"", err);
    syslog(err ? LOG_ERR : LOG_INFO, "%s", b.data);
    sg_buf_free(&b);
}

bool sg_milter_store_put(struct sg_msgctx *mc, const struct sg_verdict *v, enum sg_store_state state,
                         const char *action, const char *justification)
{
    if (!store)
        return true;             /* unit tests run without one; main.c never does */
    struct sg_store_hit *hits = sg_xcalloc(v->nhits + 1, sizeof(*hits));
    for (size_t i = 0; i < v->nhits; i++) {
        const struct sg_rule *r = v->hits[i].rule;
        hits[i] = (struct sg_store_hit){r->id, sg_category_name(r->category), sg_action_name(r->action), r->cite,
                                        v->hits[i].evidence};
    }
    char *subject = mc->subject_raw ? g_mime_utils_header_decode_text(NULL, mc->subject_raw) : NULL;
    char *msgid = bare_msgid(mc->message_id_raw);
    struct sg_store_item it = {
        .event_id = v->event_id, .when = mc->env.when, .queue_id = mc->env.queue_id,
        .mta = mc->mta ? mc->mta : "unknown", .sender = mc->env.mail_from, .auth_user = mc->env.auth_login,
        .rcpts = mc->env.rcpts, .subject = subject, .message_id = msgid ? msgid : v->message_id,
        .school = school_of(mc), .action = action, .state = state, .hits = hits, .nhits = v->nhits,
        .justification = justification, .truncated = mc->spool.truncated,
    };
    char *err = NULL;
    int fd = sg_spool_fd(&mc->spool);
    /* The worker read the same open file: start again from the top. */
    bool ok = fd >= 0 && lseek(fd, 0, SEEK_SET) == 0 && sg_store_put(store, &it, fd, &err);
    if (!ok && !err)
        err = sg_xstrdup("cannot read the spooled message");
    log_put(mc, v, state, ok ? NULL : err);
    free(err);
    g_free(subject);
    free(msgid);
    free(hits);
    return ok;
}

/* The MTA refused the hold after the copy went in: the item must not
 * look held for a message the MTA will offer again. */
void sg_milter_store_unhold(const struct sg_msgctx *mc, const struct sg_verdict *v)
{
    char *err = NULL;
    if (store && sg_store_transition(store, v->event_id, SG_STORE_DISCARDED, "milter",
                                     "the MTA refused the hold; tempfailed", &err) != SG_STORE_OK) {
        syslog(LOG_ERR, "%s: event=%s store=failed error=\"%s\"", mc->env.queue_id ? mc->env.queue_id : "NOQUEUE",
               v->event_id, err ? err : "?");
    }
    free(err);
}

bool sg_milter_released_copy(const struct sg_msgctx *mc)
{
    if (!store || !mc->release_mark)
        return false;
    char *msgid = bare_msgid(mc->message_id_raw), *err = NULL;
    enum sg_store_rc rc = sg_store_mark_check(store, mc->release_mark, msgid ? msgid : "", &err);
    const char *qid = mc->env.queue_id ? mc->env.queue_id : "NOQUEUE";
    /* The event id is the mark's first word, checked by mark_check. */
    char id[72] = "-";
    if (rc == SG_STORE_OK)
        snprintf(id, sizeof(id), "%.*s", (int)strcspn(mc->release_mark + strspn(mc->release_mark, " \t"), " \t"),
                 mc->release_mark + strspn(mc->release_mark, " \t"));
    if (rc == SG_STORE_OK)
        syslog(LOG_NOTICE, "%s: event=%s action=accept released=reinjected nrcpt=%zu", qid, id,
               sg_strv_len(mc->env.rcpts));
    else
        syslog(LOG_WARNING, "%s: release mark refused (%s); screening the message", qid, err ? err : "?");
    free(err);
    free(msgid);
    return rc == SG_STORE_OK;
}
