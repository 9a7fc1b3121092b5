/*
 * store_int.h - what the quarantine store's files share: the handle, the
 * SQLite helpers, the message files' names. Not for callers outside
 * policy/store*.c: they use sg_store.h.
 */
#ifndef SG_STORE_INT_H
#define SG_STORE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include "sg_store.h"
#include "sg_util.h"

#define SG_STORE_KEY_LEN 32

struct sg_store {
    char *dir;
    char *msgdir;                /* dir/msg: one <event id>.eml per item */
    sqlite3 *db;
    /* One connection for every milter thread: a transaction is several
     * statements, so the connection is taken whole. Other processes (the
     * admin command) are kept apart by SQLite's own locks (WAL). */
    pthread_mutex_t lock;
    unsigned char key[SG_STORE_KEY_LEN];
};

void sg_store_seterr(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The SQLite error as *err ("what: message"). */
void sg_store_dberr(struct sg_store *st, char **err, const char *what);

/* Statement helpers: prepare or fail with *err; bind NULL for a NULL text. */
sqlite3_stmt *sg_store_prepare(struct sg_store *st, const char *sql, char **err);
void sg_store_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Runs statements without results (BEGIN, COMMIT, the schema). */
bool sg_store_exec(struct sg_store *st, const char *sql, char **err);
/* Rolls back after a failure (ignoring its own errors). */
void sg_store_rollback(struct sg_store *st);
/* Copy of a text column, NULL for NULL. */
char *sg_store_col(sqlite3_stmt *s, int i);

bool sg_store_audit_row(struct sg_store *st, const char *event_id, time_t when, const char *actor,
                        const char *action, const char *reason, char **err);

/* A safe event id: letters, digits, '-', '_', '.', not starting with '.',
 * at most 64 characters (it becomes a file name). */
bool sg_store_id_ok(const char *id);
/* dir/msg/<id>.eml (caller frees). */
char *sg_store_file_path(const struct sg_store *st, const char *id);
/* Writes fd's bytes from its offset to EOF into the item's file: a
 * temporary name, fsync, rename, fsync of the folder. */
bool sg_store_file_write(struct sg_store *st, const char *id, int fd, char **err);
/* Reads the secret key, making it (0600) when absent. */
bool sg_store_key_load(struct sg_store *st, char **err);

/* Recipients are kept as one newline-separated column. */
char *sg_store_join(char *const *v);
char **sg_store_split(const char *s);

#endif
