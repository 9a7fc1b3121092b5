/*
 * store_scan.c - walks over the stored messages: recover() (files a crash
 * left without a row) and find() (every item naming one pupil, for a
 * subject access request or an erasure).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sg_message.h"
#include "store_int.h"

#define RECOVER_MIN_AGE 60       /* seconds: younger files belong to a put() in progress */

/* 0: no row, 1: a row naming the file, 2: a row that dropped it. */
static int row_kind(struct sg_store *st, const char *id, char **err)
{
    sqlite3_stmt *s = sg_store_prepare(st, "SELECT file IS NOT NULL FROM items WHERE event_id = ?1", err);
    if (!s)
        return -1;
    sg_store_bind_text(s, 1, id);
    int rc = sqlite3_step(s), kind = rc == SQLITE_ROW ? (sqlite3_column_int(s, 0) ? 1 : 2) : rc == SQLITE_DONE ? 0 : -1;
    if (kind < 0)
        sg_store_dberr(st, err, "cannot read the index");
    sqlite3_finalize(s);
    return kind;
}

static struct sg_message *parse_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct sg_message_limits lim;
    sg_message_default_limits(&lim);
    char err[128];
    struct sg_message *m = sg_message_parse_fd(fd, &lim, err, sizeof(err));
    close(fd);
    return m;
}

static bool index_file(struct sg_store *st, const char *id, const char *path, time_t mtime, char **err)
{
    struct sg_message *m = parse_file(path);
    struct sg_store_item it = {
        .event_id = id, .when = mtime, .action = "recovered", .state = SG_STORE_HELD,
        .sender = m ? m->from_header : NULL, .rcpts = m ? m->header_rcpts : NULL,
        .subject = m ? m->subject : NULL, .message_id = m ? m->message_id : NULL,
    };
    char *rcpts = sg_store_join(it.rcpts);
    sqlite3_stmt *s = sg_store_prepare(st, "INSERT INTO items(event_id, time, sender, recipients, subject,"
                                           " message_id, action, state, file, changed)"
                                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'recovered', 'held', ?7, ?2)", err);
    bool ok = s != NULL;
    if (s) {
        sg_store_bind_text(s, 1, id);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)mtime);
        sg_store_bind_text(s, 3, it.sender);
        sg_store_bind_text(s, 4, rcpts);
        sg_store_bind_text(s, 5, it.subject);
        sg_store_bind_text(s, 6, it.message_id);
        sg_store_bind_text(s, 7, path);
        if (!(ok = sqlite3_step(s) == SQLITE_DONE))
            sg_store_dberr(st, err, "cannot index a recovered message");
        sqlite3_finalize(s);
    }
    free(rcpts);
    sg_message_free(m);
    return ok && sg_store_audit_row(st, id, time(NULL), "milter", "recover",
                                    "message file without an index row (the envelope was not kept)", err);
}

/* One file: indexed when it has no row, removed when its row let it go
 * (a crash after a discard's commit). */
static bool reconcile(struct sg_store *st, const char *name, time_t now, size_t *found, char **err)
{
    size_t len = strlen(name);
    if (!strncmp(name, ".tmp.", 5)) {
        /* A copy cut short by a crash: its message was tempfailed, and a
         * day is far longer than any put() takes. */
        struct sg_buf tmp = {0};
        struct stat sb;
        sg_buf_printf(&tmp, "%s/%s", st->msgdir, name);
        if (lstat(tmp.data, &sb) == 0 && S_ISREG(sb.st_mode) && now - sb.st_mtime > 86400)
            unlink(tmp.data);
        sg_buf_free(&tmp);
        return true;
    }
    if (len < 5 || strcmp(name + len - 4, ".eml"))
        return true;
    char *id = sg_xstrndup(name, len - 4);
    char *path = sg_store_file_path(st, id);
    struct stat sb;
    bool ok = true;
    if (sg_store_id_ok(id) && lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) && now - sb.st_mtime >= RECOVER_MIN_AGE) {
        int kind = row_kind(st, id, err);
        ok = kind >= 0;
        if (kind == 0 && (ok = sg_store_exec(st, "BEGIN IMMEDIATE", err))) {
            ok = index_file(st, id, path, sb.st_mtime, err) && sg_store_exec(st, "COMMIT", err);
            if (!ok)
                sg_store_rollback(st);
            else
                (*found)++;
        } else if (kind == 2) {
            unlink(path);
        }
    }
    free(id);
    free(path);
    return ok;
}

bool sg_store_recover(struct sg_store *st, size_t *nfound, char **err)
{
    size_t found = 0;
    DIR *d = opendir(st->msgdir);
    if (!d) {
        sg_store_seterr(err, "cannot read %s: %s", st->msgdir, strerror(errno));
        return false;
    }
    time_t now = time(NULL);
    bool ok = true;
    pthread_mutex_lock(&st->lock);
    for (struct dirent *de; ok && (de = readdir(d));)
        ok = reconcile(st, de->d_name, now, &found, err);
    pthread_mutex_unlock(&st->lock);
    closedir(d);
    if (nfound)
        *nfound = found;
    return ok;
}

/* Case-folded needles against case-folded text (UTF-8 aware). */
static bool text_has(const char *text, char *const *folded)
{
    if (!text || !*text)
        return false;
    gchar *t = g_utf8_validate(text, -1, NULL) ? g_utf8_casefold(text, -1) : g_ascii_strdown(text, -1);
    bool hit = false;
    for (size_t i = 0; !hit && folded[i]; i++)
        hit = strstr(t, folded[i]) != NULL;
    g_free(t);
    return hit;
}

/* Raw bytes: headers and unencoded parts, ASCII case-insensitively. */
static bool raw_has(const char *path, char *const *needles)
{
    gchar *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &data, &len, NULL))
        return false;
    for (gsize i = 0; i < len; i++)
        data[i] = g_ascii_tolower(data[i]);
    bool hit = false;
    for (size_t i = 0; !hit && needles[i]; i++) {
        gchar *n = g_ascii_strdown(needles[i], -1);
        hit = *n && memmem(data, len, n, strlen(n)) != NULL;
        g_free(n);
    }
    g_free(data);
    return hit;
}

/* Decoded: base64 and quoted-printable text, header addresses,
 * attachment names. */
static bool message_has(const char *path, char *const *folded)
{
    struct sg_message *m = parse_file(path);
    if (!m)
        return false;
    bool hit = text_has(m->subject, folded) || text_has(m->from_header, folded);
    for (size_t i = 0; !hit && m->header_rcpts && m->header_rcpts[i]; i++)
        hit = text_has(m->header_rcpts[i], folded);
    for (size_t i = 0; !hit && i < m->nparts; i++)
        hit = text_has(m->parts[i].text, folded);
    for (size_t i = 0; !hit && i < m->natts; i++)
        hit = text_has(m->atts[i].filename, folded);
    sg_message_free(m);
    return hit;
}

static bool entry_has(const struct sg_store_entry *e, char *const *needles, char *const *folded)
{
    bool hit = text_has(e->subject, folded) || text_has(e->justification, folded);
    for (size_t i = 0; !hit && e->rcpts[i]; i++)
        hit = text_has(e->rcpts[i], folded);
    for (size_t i = 0; !hit && i < e->nhits; i++)
        hit = text_has(e->hits[i].evidence, folded);
    if (!hit && e->file)
        hit = raw_has(e->file, needles) || message_has(e->file, folded);
    return hit;
}

char **sg_store_find(struct sg_store *st, char *const *needles, char **err)
{
    char **folded = sg_xcalloc(1, sizeof(char *));
    for (size_t i = 0; needles && needles[i]; i++) {
        if (!*needles[i])
            continue;
        gchar *f = g_utf8_validate(needles[i], -1, NULL) ? g_utf8_casefold(needles[i], -1)
                                                         : g_ascii_strdown(needles[i], -1);
        folded = sg_strv_push(folded, f);
        g_free(f);
    }
    size_t n = 0;
    struct sg_store_entry **v = folded[0] ? sg_store_list(st, NULL, &n, err) : NULL;
    char **ids = NULL;
    if (v || !folded[0]) {
        ids = sg_xcalloc(1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
            if (entry_has(v[i], needles, folded))
                ids = sg_strv_push(ids, v[i]->event_id);
    }
    sg_store_list_free(v, n);
    sg_strv_free(folded);
    return ids;
}
