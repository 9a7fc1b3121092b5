/*
 * store_state.c - what may happen to an item: release, discard, expiry
 * (retention), each checked against the item's state and recorded in the
 * audit trail in the same SQLite transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "store_int.h"

/* Only a held item waits for a decision; expiry ends every state. */
static bool legal(enum sg_store_state from, enum sg_store_state to)
{
    switch (to) {
    case SG_STORE_RELEASED:
    case SG_STORE_DISCARDED:
        return from == SG_STORE_HELD;
    case SG_STORE_EXPIRED:
        return from != SG_STORE_EXPIRED;
    default:
        return false;
    }
}

/* The item's state and file inside the caller's transaction. */
static enum sg_store_rc current(struct sg_store *st, const char *id, enum sg_store_state *state, char **file,
                                bool *reinjected, char **err)
{
    sqlite3_stmt *s = sg_store_prepare(st, "SELECT state, file, reinjected FROM items WHERE event_id = ?1", err);
    if (!s)
        return SG_STORE_FAILED;
    sg_store_bind_text(s, 1, id);
    int rc = sqlite3_step(s);
    enum sg_store_rc out = SG_STORE_OK;
    if (rc == SQLITE_ROW) {
        int v = sg_store_state_parse((const char *)sqlite3_column_text(s, 0));
        *state = v < 0 ? SG_STORE_HELD : (enum sg_store_state)v;
        if (file)
            *file = sg_store_col(s, 1);
        if (reinjected)
            *reinjected = sqlite3_column_int(s, 2) != 0;
    } else if (rc == SQLITE_DONE) {
        sg_store_seterr(err, "no item %s in the quarantine store", id);
        out = SG_STORE_NOTFOUND;
    } else {
        sg_store_dberr(st, err, "cannot read the item");
        out = SG_STORE_FAILED;
    }
    sqlite3_finalize(s);
    return out;
}

static bool set_state(struct sg_store *st, const char *id, enum sg_store_state to, bool drop_file, char **err)
{
    sqlite3_stmt *s = sg_store_prepare(st, drop_file ? "UPDATE items SET state = ?2, changed = ?3, file = NULL "
                                                       "WHERE event_id = ?1"
                                                     : "UPDATE items SET state = ?2, changed = ?3 WHERE event_id = ?1",
                                       err);
    if (!s)
        return false;
    sg_store_bind_text(s, 1, id);
    sg_store_bind_text(s, 2, sg_store_state_name(to));
    sqlite3_bind_int64(s, 3, (sqlite3_int64)time(NULL));
    bool ok = sqlite3_step(s) == SQLITE_DONE;
    if (!ok)
        sg_store_dberr(st, err, "cannot change the item's state");
    sqlite3_finalize(s);
    return ok;
}

enum sg_store_rc sg_store_transition(struct sg_store *st, const char *event_id, enum sg_store_state to,
                                     const char *actor, const char *reason, char **err)
{
    enum sg_store_state from = SG_STORE_HELD;
    char *file = NULL;
    enum sg_store_rc rc = SG_STORE_FAILED;
    pthread_mutex_lock(&st->lock);
    if (!sg_store_exec(st, "BEGIN IMMEDIATE", err))
        goto out;
    if ((rc = current(st, event_id, &from, &file, NULL, err)) != SG_STORE_OK)
        goto out;
    if (!legal(from, to)) {
        sg_store_seterr(err, "item %s is %s: it cannot be %s", event_id, sg_store_state_name(from),
                        sg_store_state_name(to));
        rc = SG_STORE_REFUSED;
        goto out;
    }
    bool drop = to == SG_STORE_DISCARDED || to == SG_STORE_EXPIRED;
    rc = SG_STORE_FAILED;
    if (set_state(st, event_id, to, drop, err) &&
        sg_store_audit_row(st, event_id, time(NULL), actor, sg_store_state_name(to), reason, err) &&
        sg_store_exec(st, "COMMIT", err))
        rc = SG_STORE_OK;
out:
    if (rc != SG_STORE_OK)
        sg_store_rollback(st);
    pthread_mutex_unlock(&st->lock);
    /* After the commit: a crash in between leaves a file no row names,
     * which recover() removes, never a row whose file is gone. */
    if (rc == SG_STORE_OK && file && (to == SG_STORE_DISCARDED || to == SG_STORE_EXPIRED))
        unlink(file);
    free(file);
    return rc;
}

enum sg_store_rc sg_store_unrelease(struct sg_store *st, const char *event_id, const char *actor,
                                    const char *reason, char **err)
{
    enum sg_store_state from = SG_STORE_HELD;
    bool passed = false;
    enum sg_store_rc rc = SG_STORE_FAILED;
    pthread_mutex_lock(&st->lock);
    if (!sg_store_exec(st, "BEGIN IMMEDIATE", err))
        goto out;
    if ((rc = current(st, event_id, &from, NULL, &passed, err)) != SG_STORE_OK)
        goto out;
    if (from != SG_STORE_RELEASED || passed) {
        sg_store_seterr(err, "item %s is %s%s: nothing to undo", event_id, sg_store_state_name(from),
                        passed ? " and delivered" : "");
        rc = SG_STORE_REFUSED;
        goto out;
    }
    rc = SG_STORE_FAILED;
    if (set_state(st, event_id, SG_STORE_HELD, false, err) &&
        sg_store_audit_row(st, event_id, time(NULL), actor, "release-failed", reason, err) &&
        sg_store_exec(st, "COMMIT", err))
        rc = SG_STORE_OK;
out:
    if (rc != SG_STORE_OK)
        sg_store_rollback(st);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

bool sg_store_audit_add(struct sg_store *st, const char *event_id, const char *actor, const char *action,
                        const char *reason, char **err)
{
    pthread_mutex_lock(&st->lock);
    bool ok = sg_store_audit_row(st, event_id, time(NULL), actor, action, reason, err);
    pthread_mutex_unlock(&st->lock);
    return ok;
}

/* One item's expiry: content columns cleared, file gone, audit kept. */
static bool expire_one(struct sg_store *st, const char *id, const char *actor, const char *reason, char **err)
{
    static const char *const sql[] = {
        "UPDATE items SET state = 'expired', changed = ?2, subject = NULL, recipients = NULL,"
        " justification = NULL, file = NULL WHERE event_id = ?1",
        "UPDATE hits SET evidence = NULL WHERE event_id = ?1",
    };
    for (size_t i = 0; i < 2; i++) {
        sqlite3_stmt *s = sg_store_prepare(st, sql[i], err);
        if (!s)
            return false;
        sg_store_bind_text(s, 1, id);
        if (i == 0)
            sqlite3_bind_int64(s, 2, (sqlite3_int64)time(NULL));
        bool ok = sqlite3_step(s) == SQLITE_DONE;
        if (!ok)
            sg_store_dberr(st, err, "cannot expire an item");
        sqlite3_finalize(s);
        if (!ok)
            return false;
    }
    return sg_store_audit_row(st, id, time(NULL), actor, "purge", reason, err);
}

bool sg_store_purge(struct sg_store *st, unsigned days, time_t now, const char *actor, size_t *npurged, char **err)
{
    size_t n = 0;
    char **ids = sg_xcalloc(1, sizeof(char *)), **files = sg_xcalloc(1, sizeof(char *));
    char reason[64];
    snprintf(reason, sizeof(reason), "retention %u days", days);
    pthread_mutex_lock(&st->lock);
    bool ok = sg_store_exec(st, "BEGIN IMMEDIATE", err);
    sqlite3_stmt *s = ok ? sg_store_prepare(st, "SELECT event_id, COALESCE(file, '') FROM items"
                                                " WHERE time < ?1 AND state != 'expired'", err) : NULL;
    ok = s != NULL;
    if (s) {
        sqlite3_bind_int64(s, 1, (sqlite3_int64)(now - (time_t)days * 86400));
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            ids = sg_strv_push(ids, (const char *)sqlite3_column_text(s, 0));
            files = sg_strv_push(files, (const char *)sqlite3_column_text(s, 1));
        }
        if (rc != SQLITE_DONE) {
            sg_store_dberr(st, err, "cannot read the index");
            ok = false;
        }
        sqlite3_finalize(s);
    }
    for (size_t i = 0; ok && ids[i]; i++)
        ok = expire_one(st, ids[i], actor, reason, err);
    ok = ok && sg_store_exec(st, "COMMIT", err);
    if (!ok)
        sg_store_rollback(st);
    pthread_mutex_unlock(&st->lock);
    for (size_t i = 0; ok && files[i]; i++) {
        if (*files[i])
            unlink(files[i]);
        n++;
    }
    sg_strv_free(ids);
    sg_strv_free(files);
    if (npurged)
        *npurged = ok ? n : 0;
    return ok;
}
