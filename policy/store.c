/*
 * store.c - the quarantine store's index: opening it (folder, schema,
 * WAL), put(), and the SQLite helpers the other store files share.
 *
 * The folder is 0700 and every file in it 0600: it holds mail that was
 * stopped because of what it says about children.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store_int.h"

/* Writers wait this long for each other (milter threads, the admin
 * command, a purge from cron) before a call fails. */
#define BUSY_MS 10000

static const char *const state_names[] = {
    [SG_STORE_HELD] = "held", [SG_STORE_RELEASED] = "released", [SG_STORE_DISCARDED] = "discarded",
    [SG_STORE_EXPIRED] = "expired", [SG_STORE_MONITORED] = "monitored", [SG_STORE_OVERRIDDEN] = "overridden",
};

const char *sg_store_state_name(enum sg_store_state s)
{
    return (unsigned)s < sizeof(state_names) / sizeof(*state_names) ? state_names[s] : "unknown";
}

int sg_store_state_parse(const char *s)
{
    for (size_t i = 0; s && i < sizeof(state_names) / sizeof(*state_names); i++)
        if (!strcmp(s, state_names[i]))
            return (int)i;
    return -1;
}

void sg_store_seterr(char **err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    char msg[1024];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    free(*err);
    *err = sg_xstrdup(msg);
}

void sg_store_dberr(struct sg_store *st, char **err, const char *what)
{
    sg_store_seterr(err, "%s: %s (index %s/index.db)", what, sqlite3_errmsg(st->db), st->dir);
}

sqlite3_stmt *sg_store_prepare(struct sg_store *st, const char *sql, char **err)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
        sg_store_dberr(st, err, "cannot prepare a query");
        return NULL;
    }
    return s;
}

void sg_store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, i);
}

bool sg_store_exec(struct sg_store *st, const char *sql, char **err)
{
    if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        sg_store_dberr(st, err, sql);
        return false;
    }
    return true;
}

void sg_store_rollback(struct sg_store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

char *sg_store_col(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? sg_xstrdup((const char *)t) : NULL;
}

char *sg_store_join(char *const *v)
{
    struct sg_buf b = {0};
    sg_buf_append(&b, "", 0);
    for (size_t i = 0; v && v[i]; i++) {
        if (i)
            sg_buf_puts(&b, "\n");
        for (const char *p = v[i]; *p; p++)     /* an address never holds a line break */
            sg_buf_append(&b, *p == '\n' || *p == '\r' ? " " : p, 1);
    }
    return sg_buf_steal(&b);
}

char **sg_store_split(const char *s)
{
    char **v = sg_xcalloc(1, sizeof(char *));
    while (s && *s) {
        size_t n = strcspn(s, "\n");
        char *one = sg_xstrndup(s, n);
        v = sg_strv_push(v, one);
        free(one);
        s += n + (s[n] == '\n');
    }
    return v;
}

bool sg_store_id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (!n || n > 64 || id[0] == '.')
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return false;
    return true;
}

const char *sg_store_dir(const struct sg_store *st)
{
    return st->dir;
}

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS items ("
    " event_id TEXT PRIMARY KEY, time INTEGER NOT NULL, queue_id TEXT, mta TEXT, sender TEXT,"
    " auth_user TEXT, recipients TEXT, subject TEXT, message_id TEXT, school TEXT, action TEXT,"
    " state TEXT NOT NULL, justification TEXT, file TEXT, changed INTEGER, reinjected INTEGER NOT NULL DEFAULT 0,"
    " truncated INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS hits ("
    " event_id TEXT NOT NULL, rule TEXT, category TEXT, action TEXT, cite TEXT, evidence TEXT);"
    "CREATE TABLE IF NOT EXISTS audit ("
    " id INTEGER PRIMARY KEY, event_id TEXT NOT NULL, time INTEGER NOT NULL, actor TEXT NOT NULL,"
    " action TEXT NOT NULL, reason TEXT);"
    "CREATE INDEX IF NOT EXISTS items_time ON items(time);"
    "CREATE INDEX IF NOT EXISTS hits_event ON hits(event_id);"
    "CREATE INDEX IF NOT EXISTS audit_event ON audit(event_id);"
    /* The layout's version, for the migrations of later ones. */
    "PRAGMA user_version = 1;";

/* The folder: made 0700 when absent; an existing one must be a folder. */
static bool make_dir(const char *dir, char **err)
{
    struct stat sb;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        sg_store_seterr(err, "cannot create the quarantine store %s: %s", dir, strerror(errno));
        return false;
    }
    if (lstat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        sg_store_seterr(err, "the quarantine store %s is not a directory", dir);
        return false;
    }
    /* Ours and too open (an admin's mkdir): close it rather than refuse. */
    if ((sb.st_mode & 077) && sb.st_uid == geteuid())
        chmod(dir, 0700);
    return true;
}

static bool open_db(struct sg_store *st, char **err)
{
    struct sg_buf path = {0};
    sg_buf_printf(&path, "%s/index.db", st->dir);
    int rc = sqlite3_open_v2(path.data, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        sg_store_seterr(err, "cannot open the quarantine index %s: %s", path.data,
                        st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        sg_buf_free(&path);
        return false;
    }
    chmod(path.data, 0600);
    sg_buf_free(&path);
    sqlite3_busy_timeout(st->db, BUSY_MS);
    /* WAL: readers (list, show) never block the milter's writes. FULL:
     * a held message's row survives a power cut once put() returned. */
    return sg_store_exec(st, "PRAGMA journal_mode=WAL", err) && sg_store_exec(st, "PRAGMA synchronous=FULL", err) &&
           sg_store_exec(st, "BEGIN IMMEDIATE", err) && sg_store_exec(st, schema, err) &&
           sg_store_exec(st, "COMMIT", err);
}

struct sg_store *sg_store_open(const char *dir, char **err)
{
    if (!dir || !*dir) {
        sg_store_seterr(err, "no quarantine store directory");
        return NULL;
    }
    struct sg_store *st = sg_xcalloc(1, sizeof(*st));
    pthread_mutex_init(&st->lock, NULL);
    st->dir = sg_xstrdup(dir);
    struct sg_buf b = {0};
    sg_buf_printf(&b, "%s/msg", dir);
    st->msgdir = sg_buf_steal(&b);
    if (!make_dir(st->dir, err) || !make_dir(st->msgdir, err) || !sg_store_key_load(st, err) || !open_db(st, err)) {
        if (st->db)
            sg_store_rollback(st);
        sg_store_close(st);
        return NULL;
    }
    return st;
}

void sg_store_close(struct sg_store *st)
{
    if (!st)
        return;
    if (st->db)
        sqlite3_close(st->db);
    pthread_mutex_destroy(&st->lock);
    memset(st->key, 0, sizeof(st->key));
    free(st->dir);
    free(st->msgdir);
    free(st);
}

bool sg_store_audit_row(struct sg_store *st, const char *event_id, time_t when, const char *actor,
                        const char *action, const char *reason, char **err)
{
    sqlite3_stmt *s = sg_store_prepare(st, "INSERT INTO audit(event_id, time, actor, action, reason) "
                                           "VALUES (?1, ?2, ?3, ?4, ?5)", err);
    if (!s)
        return false;
    sg_store_bind_text(s, 1, event_id);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)when);
    sg_store_bind_text(s, 3, actor ? actor : "?");
    sg_store_bind_text(s, 4, action);
    sg_store_bind_text(s, 5, reason);
    bool ok = sqlite3_step(s) == SQLITE_DONE;
    if (!ok)
        sg_store_dberr(st, err, "cannot write the audit trail");
    sqlite3_finalize(s);
    return ok;
}

static bool put_hits(struct sg_store *st, const struct sg_store_item *it, char **err)
{
    sqlite3_stmt *s = sg_store_prepare(st, "DELETE FROM hits WHERE event_id = ?1", err);
    if (!s)
        return false;
    sg_store_bind_text(s, 1, it->event_id);
    bool ok = sqlite3_step(s) == SQLITE_DONE;
    sqlite3_finalize(s);
    if (!ok || !(s = sg_store_prepare(st, "INSERT INTO hits(event_id, rule, category, action, cite, evidence) "
                                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", err))) {
        if (!ok)
            sg_store_dberr(st, err, "cannot replace hits");
        return false;
    }
    for (size_t i = 0; ok && i < it->nhits; i++) {
        const struct sg_store_hit *h = &it->hits[i];
        sqlite3_reset(s);
        sg_store_bind_text(s, 1, it->event_id);
        sg_store_bind_text(s, 2, h->rule);
        sg_store_bind_text(s, 3, h->category);
        sg_store_bind_text(s, 4, h->action);
        sg_store_bind_text(s, 5, h->cite);
        sg_store_bind_text(s, 6, h->evidence);
        if (!(ok = sqlite3_step(s) == SQLITE_DONE))
            sg_store_dberr(st, err, "cannot write a hit");
    }
    sqlite3_finalize(s);
    return ok;
}

/* An upsert: recover() may have indexed the file already (it leaves young
 * files alone, but a clock may jump); the milter's row knows more. */
static const char put_sql[] =
    "INSERT INTO items(event_id, time, queue_id, mta, sender, auth_user, recipients, subject, message_id,"
    " school, action, state, justification, file, changed, truncated)"
    " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?2,?15)"
    " ON CONFLICT(event_id) DO UPDATE SET time=?2, queue_id=?3, mta=?4, sender=?5, auth_user=?6,"
    " recipients=?7, subject=?8, message_id=?9, school=?10, action=?11, state=?12, justification=?13,"
    " file=?14, changed=?2, truncated=?15";

static bool put_row(struct sg_store *st, const struct sg_store_item *it, const char *file, char **err)
{
    sqlite3_stmt *s = sg_store_prepare(st, put_sql, err);
    if (!s)
        return false;
    char *rcpts = sg_store_join(it->rcpts);
    time_t when = it->when ? it->when : time(NULL);
    sg_store_bind_text(s, 1, it->event_id);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)when);
    sg_store_bind_text(s, 3, it->queue_id);
    sg_store_bind_text(s, 4, it->mta);
    sg_store_bind_text(s, 5, it->sender);
    sg_store_bind_text(s, 6, it->auth_user);
    sg_store_bind_text(s, 7, rcpts);
    sg_store_bind_text(s, 8, it->subject);
    sg_store_bind_text(s, 9, it->message_id);
    sg_store_bind_text(s, 10, it->school);
    sg_store_bind_text(s, 11, it->action);
    sg_store_bind_text(s, 12, sg_store_state_name(it->state));
    sg_store_bind_text(s, 13, it->justification);
    sg_store_bind_text(s, 14, file);
    sqlite3_bind_int(s, 15, it->truncated ? 1 : 0);
    bool ok = sqlite3_step(s) == SQLITE_DONE;
    if (!ok)
        sg_store_dberr(st, err, "cannot write the item");
    sqlite3_finalize(s);
    free(rcpts);
    return ok && put_hits(st, it, err) &&
           sg_store_audit_row(st, it->event_id, when, "milter", sg_store_state_name(it->state), it->action, err);
}

bool sg_store_put(struct sg_store *st, const struct sg_store_item *it, int fd, char **err)
{
    if (!sg_store_id_ok(it->event_id)) {
        sg_store_seterr(err, "unusable event id for the store");
        return false;
    }
    if (!sg_store_file_write(st, it->event_id, fd, err))
        return false;
    char *file = sg_store_file_path(st, it->event_id);
    pthread_mutex_lock(&st->lock);
    bool ok = sg_store_exec(st, "BEGIN IMMEDIATE", err) && put_row(st, it, file, err) &&
              sg_store_exec(st, "COMMIT", err);
    if (!ok)
        sg_store_rollback(st);
    pthread_mutex_unlock(&st->lock);
    /* No row, no item: the caller tempfails and the MTA keeps the mail, so
     * a file here would only be a second copy for recover() to find. */
    if (!ok)
        unlink(file);
    free(file);
    return ok;
}
