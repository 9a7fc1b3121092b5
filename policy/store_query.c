/*
 * store_query.c - reading the quarantine index: one item, a filtered
 * list, an item's audit trail.
 */
#include <stdlib.h>
#include <string.h>
#include "store_int.h"

#define ITEM_COLS "event_id, time, changed, queue_id, mta, sender, auth_user, recipients, subject, " \
                  "message_id, school, action, state, justification, file, reinjected, truncated"

static struct sg_store_entry *entry_of(sqlite3_stmt *s)
{
    struct sg_store_entry *e = sg_xcalloc(1, sizeof(*e));
    e->event_id = sg_store_col(s, 0);
    e->when = (time_t)sqlite3_column_int64(s, 1);
    e->changed = (time_t)sqlite3_column_int64(s, 2);
    e->queue_id = sg_store_col(s, 3);
    e->mta = sg_store_col(s, 4);
    e->sender = sg_store_col(s, 5);
    e->auth_user = sg_store_col(s, 6);
    e->rcpts = sg_store_split((const char *)sqlite3_column_text(s, 7));
    e->subject = sg_store_col(s, 8);
    e->message_id = sg_store_col(s, 9);
    e->school = sg_store_col(s, 10);
    e->action = sg_store_col(s, 11);
    int state = sg_store_state_parse((const char *)sqlite3_column_text(s, 12));
    e->state = state < 0 ? SG_STORE_HELD : (enum sg_store_state)state;
    e->justification = sg_store_col(s, 13);
    e->file = sg_store_col(s, 14);
    e->reinjected = sqlite3_column_int(s, 15) != 0;
    e->truncated = sqlite3_column_int(s, 16) != 0;
    return e;
}

static bool load_hits(struct sg_store *st, struct sg_store_entry *e, char **err)
{
    sqlite3_stmt *s = sg_store_prepare(st, "SELECT rule, category, action, cite, evidence FROM hits "
                                           "WHERE event_id = ?1 ORDER BY rowid", err);
    if (!s)
        return false;
    sg_store_bind_text(s, 1, e->event_id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        e->hits = sg_xrealloc(e->hits, (e->nhits + 1) * sizeof(*e->hits));
        struct sg_store_hit_copy *h = &e->hits[e->nhits++];
        h->rule = sg_store_col(s, 0);
        h->category = sg_store_col(s, 1);
        h->action = sg_store_col(s, 2);
        h->cite = sg_store_col(s, 3);
        h->evidence = sg_store_col(s, 4);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        sg_store_dberr(st, err, "cannot read hits");
    return rc == SQLITE_DONE;
}

void sg_store_entry_free(struct sg_store_entry *e)
{
    if (!e)
        return;
    char **strs[] = {&e->event_id, &e->queue_id, &e->mta, &e->sender, &e->auth_user, &e->subject,
                     &e->message_id, &e->school, &e->action, &e->justification, &e->file};
    for (size_t i = 0; i < sizeof(strs) / sizeof(*strs); i++)
        free(*strs[i]);
    sg_strv_free(e->rcpts);
    for (size_t i = 0; i < e->nhits; i++) {
        free(e->hits[i].rule);
        free(e->hits[i].category);
        free(e->hits[i].action);
        free(e->hits[i].cite);
        free(e->hits[i].evidence);
    }
    free(e->hits);
    free(e);
}

void sg_store_list_free(struct sg_store_entry **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        sg_store_entry_free(v[i]);
    free(v);
}

/* Runs a query of ITEM_COLS whose parameters are already bound. */
static struct sg_store_entry **collect(struct sg_store *st, sqlite3_stmt *s, size_t *n, char **err)
{
    struct sg_store_entry **v = sg_xcalloc(1, sizeof(*v));
    *n = 0;
    int rc;
    bool ok = true;
    while (ok && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        v = sg_xrealloc(v, (*n + 2) * sizeof(*v));
        v[*n] = entry_of(s);
        ok = load_hits(st, v[(*n)++], err);
    }
    if (ok && rc != SQLITE_DONE) {
        sg_store_dberr(st, err, "cannot read the index");
        ok = false;
    }
    sqlite3_finalize(s);
    if (!ok) {
        sg_store_list_free(v, *n);
        *n = 0;
        return NULL;
    }
    return v;
}

struct sg_store_entry *sg_store_get(struct sg_store *st, const char *event_id, char **err)
{
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s = sg_store_prepare(st, "SELECT " ITEM_COLS " FROM items WHERE event_id = ?1", err);
    struct sg_store_entry **v = NULL, *e = NULL;
    size_t n = 0;
    if (s) {
        sg_store_bind_text(s, 1, event_id);
        v = collect(st, s, &n, err);
    }
    pthread_mutex_unlock(&st->lock);
    if (v && n) {
        e = v[0];
        v[0] = NULL;
    }
    sg_store_list_free(v, n);
    return e;
}

struct sg_store_entry **sg_store_list(struct sg_store *st, const struct sg_store_filter *f, size_t *n, char **err)
{
    static const struct sg_store_filter all = {.state = -1};
    if (!f)
        f = &all;
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s = sg_store_prepare(st, "SELECT " ITEM_COLS " FROM items WHERE (?1 IS NULL OR state = ?1)"
                                           " AND (?2 IS NULL OR school = ?2) AND time >= ?3 AND (?4 IS NULL OR"
                                           " EXISTS (SELECT 1 FROM hits h WHERE h.event_id = items.event_id"
                                           " AND h.category = ?4)) ORDER BY time DESC, event_id DESC", err);
    struct sg_store_entry **v = NULL;
    if (s) {
        sg_store_bind_text(s, 1, f->state >= 0 ? sg_store_state_name((enum sg_store_state)f->state) : NULL);
        sg_store_bind_text(s, 2, f->school);
        sqlite3_bind_int64(s, 3, (sqlite3_int64)f->since);
        sg_store_bind_text(s, 4, f->category);
        v = collect(st, s, n, err);
    }
    pthread_mutex_unlock(&st->lock);
    return v;
}

struct sg_store_audit *sg_store_audit_of(struct sg_store *st, const char *event_id, size_t *n, char **err)
{
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *s = sg_store_prepare(st, "SELECT time, actor, action, reason FROM audit WHERE event_id = ?1"
                                           " ORDER BY id", err);
    struct sg_store_audit *a = sg_xcalloc(1, sizeof(*a));
    *n = 0;
    int rc = SQLITE_ERROR;
    if (s) {
        sg_store_bind_text(s, 1, event_id);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            a = sg_xrealloc(a, (*n + 1) * sizeof(*a));
            a[*n].when = (time_t)sqlite3_column_int64(s, 0);
            a[*n].actor = sg_store_col(s, 1);
            a[*n].action = sg_store_col(s, 2);
            a[*n].reason = sg_store_col(s, 3);
            (*n)++;
        }
        if (rc != SQLITE_DONE)
            sg_store_dberr(st, err, "cannot read the audit trail");
        sqlite3_finalize(s);
    }
    pthread_mutex_unlock(&st->lock);
    if (rc != SQLITE_DONE) {
        sg_store_audit_free(a, *n);
        *n = 0;
        return NULL;
    }
    return a;
}

void sg_store_audit_free(struct sg_store_audit *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++) {
        free(a[i].actor);
        free(a[i].action);
        free(a[i].reason);
    }
    free(a);
}
