/*
 * qcmd_release.c - safeguard-quarantine release and discard.
 *
 * Release claims the item first (held -> released in one SQLite
 * transaction), then delivers: from the MTA's hold queue when the queue id
 * is still there (Postfix postsuper -H, Sendmail -qQ), else by
 * re-injecting the stored copy through sendmail(1) with a mark the milter
 * accepts once. However often release is asked, the item is claimed once;
 * a failed delivery puts the claim back.
 */
#include <stdlib.h>
#include <string.h>
#include "qcmd.h"

static bool has_qid(const struct sg_store_entry *e)
{
    return e->queue_id && *e->queue_id && strcmp(e->queue_id, "NOQUEUE");
}

static bool is_mta(const struct sg_store_entry *e, const char *name)
{
    return e->mta && !strcmp(e->mta, name);
}

/* Sendmail keeps a milter-quarantined message in its queue, listed by
 * mailq -qQ; -Q without a reason lifts the quarantine of the items -qI
 * names, and a queue run for the id delivers it. (The Sendmail helper's
 * end-to-end test drives this with a real Sendmail 8.17.) */
static int sendmail_held(const struct qc *c, const char *qid)
{
    char *argv[] = {(char *)c->q->sendmail, "-bp", "-qQ", NULL};
    struct sg_buf out = {0};
    int rc = qc_run(c, argv, NULL, NULL, &out);
    int held = rc == 0 ? 0 : -1;
    size_t n = strlen(qid);
    for (const char *p = out.data; held == 0 && p && (p = strstr(p, qid)); p += n)
        if ((p == out.data || p[-1] == '\n' || p[-1] == ' ') && strchr(" *\t\n", p[n] ? p[n] : '\n'))
            held = 1;
    sg_buf_free(&out);
    return held;
}

static bool sendmail_release(const struct qc *c, const char *qid)
{
    char sel[96];
    snprintf(sel, sizeof(sel), "-qI%s", qid);
    char *lift[] = {(char *)c->q->sendmail, "-Q", "-qQ", sel, NULL};
    char *run[] = {(char *)c->q->sendmail, sel, NULL};
    return qc_run(c, lift, NULL, NULL, NULL) == 0 && qc_run(c, run, NULL, NULL, NULL) == 0;
}

/* The stored copy through sendmail(1), marked. A copy without a
 * Message-ID gets one, so that the mark has something to bind to. */
static bool reinject(const struct qc *c, const struct sg_store_entry *e, char *method, size_t mlen)
{
    if (!e->file || !e->rcpts[0] || e->truncated) {
        snprintf(method, mlen, "%s", !e->file ? "no stored copy to re-inject"
                 : e->truncated ? "the stored copy is cut at limits: max_message_size, and the MTA no longer holds "
                                  "the whole message"
                 : "no recipients known");
        return false;
    }
    struct sg_buf head = {0}, gen = {0};
    const char *msgid = e->message_id;
    if (!msgid || !*msgid) {
        sg_buf_printf(&gen, "%s@released.safeguard-milter.invalid", e->event_id);
        msgid = gen.data;
    }
    char *mark = sg_store_mark_make(c->st, e->event_id, msgid);
    sg_buf_printf(&head, "X-Safeguard-Released: %s\r\n", mark);
    if (gen.len)
        sg_buf_printf(&head, "Message-ID: <%s>\r\n", gen.data);
    size_t n = sg_strv_len(e->rcpts);
    char **argv = sg_xcalloc(n + 7, sizeof(char *));
    size_t k = 0;
    argv[k++] = (char *)c->q->sendmail;
    argv[k++] = "-i";
    argv[k++] = "-f";
    argv[k++] = e->sender && *e->sender ? e->sender : "<>";
    argv[k++] = "--";
    for (size_t i = 0; i < n; i++)
        argv[k++] = e->rcpts[i];
    int rc = qc_run(c, argv, head.data, e->file, NULL);
    snprintf(method, mlen, "re-injected the stored copy with %s (exit %d)", c->q->sendmail, rc);
    free(argv);
    free(mark);
    sg_buf_free(&head);
    sg_buf_free(&gen);
    return rc == 0;
}

static bool deliver(const struct qc *c, const struct sg_store_entry *e, char *method, size_t mlen)
{
    if (has_qid(e) && !is_mta(e, "sendmail")) {
        int held = qc_postfix_held(c, e->queue_id);
        if (held < 0 && is_mta(e, "postfix")) {
            snprintf(method, mlen, "%s -j failed: is Postfix running, and is this root?", c->q->postqueue);
            return false;
        }
        if (held == 1) {
            char *argv[] = {(char *)c->q->postsuper, "-H", e->queue_id, NULL};
            int rc = qc_run(c, argv, NULL, NULL, NULL);
            snprintf(method, mlen, "%s -H %s (exit %d)", c->q->postsuper, e->queue_id, rc);
            return rc == 0;
        }
    }
    if (has_qid(e) && is_mta(e, "sendmail") && sendmail_held(c, e->queue_id) == 1) {
        bool ok = sendmail_release(c, e->queue_id);
        snprintf(method, mlen, "%s -Q -qQ -qI%s%s", c->q->sendmail, e->queue_id, ok ? "" : " failed");
        return ok;
    }
    return reinject(c, e, method, mlen);
}

static const char *needs_reason(const struct qc *c, const char *cmd)
{
    const char *id = qc_arg(c), *reason = qc_opt(c, "reason");
    if (!id || !reason || !*reason) {
        fprintf(stderr, "safeguard-quarantine: %s ID --reason TEXT (the reason goes in the audit trail)\n", cmd);
        return NULL;
    }
    return reason;
}

static int refused(struct qc *c, const char *id, const char *action, enum sg_store_rc rc, char *err)
{
    fprintf(stderr, "safeguard-quarantine: %s refused: %s\n", action, err ? err : "?");
    qc_log(c, id, action, rc == SG_STORE_REFUSED ? "refused" : "failed", NULL);
    free(err);
    return QC_FAILED;
}

int qcmd_release(struct qc *c)
{
    const char *reason = needs_reason(c, "release");
    if (!reason)
        return QC_USAGE;
    struct sg_store_entry *e = qc_get(c, qc_arg(c));
    if (!e)
        return QC_FAILED;
    char *err = NULL, method[600];
    enum sg_store_rc rc = sg_store_transition(c->st, e->event_id, SG_STORE_RELEASED, c->actor, reason, &err);
    if (rc != SG_STORE_OK) {
        int out = refused(c, e->event_id, "release", rc, err);
        sg_store_entry_free(e);
        return out;
    }
    bool ok = deliver(c, e, method, sizeof(method));
    if (!ok) {
        /* Put the claim back, so that a second try can deliver it. */
        sg_store_unrelease(c->st, e->event_id, c->actor, method, &err);
        fprintf(stderr, "safeguard-quarantine: %s was not delivered (%s); it is held again\n", e->event_id, method);
    } else {
        sg_store_audit_add(c->st, e->event_id, c->actor, "delivered", method, &err);
        printf("released %s: %s\n", e->event_id, method);
    }
    qc_log(c, e->event_id, "release", ok ? "ok" : "failed", NULL);
    free(err);
    sg_store_entry_free(e);
    return ok ? QC_OK : QC_FAILED;
}

int qcmd_discard(struct qc *c)
{
    const char *reason = needs_reason(c, "discard");
    if (!reason)
        return QC_USAGE;
    struct sg_store_entry *e = qc_get(c, qc_arg(c));
    if (!e)
        return QC_FAILED;
    char *err = NULL, method[600] = "stored copy deleted";
    enum sg_store_rc rc = sg_store_transition(c->st, e->event_id, SG_STORE_DISCARDED, c->actor, reason, &err);
    if (rc != SG_STORE_OK) {
        int out = refused(c, e->event_id, "discard", rc, err);
        sg_store_entry_free(e);
        return out;
    }
    bool ok = true;
    if (has_qid(e) && !is_mta(e, "sendmail") && qc_postfix_held(c, e->queue_id) == 1) {
        char *argv[] = {(char *)c->q->postsuper, "-d", e->queue_id, "hold", NULL};
        int x = qc_run(c, argv, NULL, NULL, NULL);
        ok = x == 0;
        snprintf(method, sizeof(method), "%s -d %s hold (exit %d)", c->q->postsuper, e->queue_id, x);
    } else if (has_qid(e) && is_mta(e, "sendmail") && sendmail_held(c, e->queue_id) == 1) {
        /* Sendmail has no command to delete one queued message: the item
         * stays in its quarantine with a reason that says so, for the
         * admin's queue clean-up. */
        char sel[96], why[96];
        snprintf(sel, sizeof(sel), "-qI%s", e->queue_id);
        snprintf(why, sizeof(why), "-Qdiscarded by safeguard-quarantine (%s)", e->event_id);
        char *argv[] = {(char *)c->q->sendmail, why, "-qQ", sel, NULL};
        ok = qc_run(c, argv, NULL, NULL, NULL) == 0;
        snprintf(method, sizeof(method), "left in Sendmail's quarantine as discarded%s", ok ? "" : " (failed)");
    }
    sg_store_audit_add(c->st, e->event_id, c->actor, "dropped", method, &err);
    if (ok)
        printf("discarded %s: %s\n", e->event_id, method);
    else
        fprintf(stderr, "safeguard-quarantine: %s is discarded in the store, but the MTA's copy was not removed "
                "(%s): remove queue id %s by hand\n", e->event_id, method, e->queue_id);
    qc_log(c, e->event_id, "discard", ok ? "ok" : "failed", NULL);
    free(err);
    sg_store_entry_free(e);
    return ok ? QC_OK : QC_FAILED;
}
