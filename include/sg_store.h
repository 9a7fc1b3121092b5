/*
 * sg_store.h - the quarantine store: held (and monitored) messages for the
 * DSL, behind one narrow interface.
 *
 * The first backend is local: one 0600 message file per item in a 0700
 * directory the milter owns, and an SQLite index (WAL) beside it with the
 * audit trail. A shared server backend for trusts with several relays can
 * follow behind the same calls. Items are keyed by the verdict's event id,
 * which the syslog line, the DSL notice and the staff bounce all carry.
 * Nothing here knows libmilter.
 */
#ifndef SG_STORE_H
#define SG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum sg_store_state {
    SG_STORE_HELD = 0,           /* waiting for the DSL */
    SG_STORE_RELEASED,
    SG_STORE_DISCARDED,
    SG_STORE_EXPIRED,            /* purged by retention: audit row only */
    SG_STORE_MONITORED,          /* mode: monitor, delivered untouched, kept for the report */
    SG_STORE_OVERRIDDEN,         /* delivered with [justify: ...], kept for the DSL */
};

struct sg_store_hit {
    const char *rule, *category, *action, *cite, *evidence;
};

/* What put() records; every string may be NULL. */
struct sg_store_item {
    const char *event_id;        /* required, unique */
    time_t when;
    const char *queue_id;        /* the MTA's, for postsuper -H / sendmail -qQ */
    const char *mta;             /* "postfix" or "sendmail", from the macros seen */
    const char *sender, *auth_user;
    char *const *rcpts;          /* NULL-terminated */
    const char *subject, *message_id, *school;
    const char *action;          /* what the milter did: quarantine, monitor:quarantine, override, ... */
    enum sg_store_state state;
    const struct sg_store_hit *hits;
    size_t nhits;
    const char *justification;   /* the sender's [justify: ...] text, overrides only */
};

struct sg_store;

/* Opens (creating when absent) the store in dir; NULL with *err set. */
struct sg_store *sg_store_open(const char *dir, char **err);
void sg_store_close(struct sg_store *st);

/* The message bytes are read from fd (from its current offset to EOF).
 * The file is written and fsynced before the row commits, so a crash
 * between the two leaves a file that sg_store_recover() indexes, never a
 * row without its file. false with *err on failure. */
bool sg_store_put(struct sg_store *st, const struct sg_store_item *it, int fd, char **err);

#endif
