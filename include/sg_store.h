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
    bool truncated;              /* the copy stops at limits: max_message_size: release it
                                  * from the MTA's queue, never re-inject it */
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

/* What get() and list() return: owned copies, freed with
 * sg_store_entry_free(). Content columns are NULL once purged. */
struct sg_store_entry {
    char *event_id;
    time_t when, changed;
    char *queue_id, *mta, *sender, *auth_user;
    char **rcpts;                /* NULL-terminated, empty once purged */
    char *subject, *message_id, *school, *action;
    enum sg_store_state state;
    struct sg_store_hit_copy {
        char *rule, *category, *action, *cite, *evidence;
    } *hits;
    size_t nhits;
    char *justification;
    char *file;                  /* the stored message's path, NULL once purged or discarded */
    bool reinjected;             /* a released copy has passed the milter */
    bool truncated;              /* the stored copy is incomplete */
};

/* list() filters; zero/NULL fields match everything. */
struct sg_store_filter {
    int state;                   /* enum sg_store_state, or -1 for any */
    const char *school;
    const char *category;        /* some hit has it */
    time_t since;                /* when >= since */
};

/* One audit row. */
struct sg_store_audit {
    time_t when;
    char *actor, *action, *reason;
};

/* The outcome of calls that can be refused as well as fail. */
enum sg_store_rc {
    SG_STORE_OK = 0,
    SG_STORE_NOTFOUND,           /* no such event id */
    SG_STORE_REFUSED,            /* not a legal transition from the item's state */
    SG_STORE_FAILED,             /* I/O or SQLite error, *err says */
};

const char *sg_store_state_name(enum sg_store_state s);
int sg_store_state_parse(const char *s);         /* -1 when unknown */
/* The store's directory (as given to open). */
const char *sg_store_dir(const struct sg_store *st);

/* NULL when absent; *err set (and NULL returned) on failure. */
struct sg_store_entry *sg_store_get(struct sg_store *st, const char *event_id, char **err);
void sg_store_entry_free(struct sg_store_entry *e);
/* Newest first; *n entries. NULL with *err on failure (an empty result is
 * a non-NULL array with *n == 0). */
struct sg_store_entry **sg_store_list(struct sg_store *st, const struct sg_store_filter *f, size_t *n,
                                      char **err);
void sg_store_list_free(struct sg_store_entry **v, size_t n);
/* The audit trail of one item, oldest first. */
struct sg_store_audit *sg_store_audit_of(struct sg_store *st, const char *event_id, size_t *n, char **err);
void sg_store_audit_free(struct sg_store_audit *a, size_t n);
/* Records an action that changes no state (show, a failed delivery). */
bool sg_store_audit_add(struct sg_store *st, const char *event_id, const char *actor, const char *action,
                        const char *reason, char **err);

/* held -> released | discarded; any state but expired -> expired.
 * Everything else (release a released item, ...) is SG_STORE_REFUSED.
 * The check, the change and the audit row are one SQLite transaction, so
 * two admins releasing at once release once. A discard also deletes the
 * stored file. */
enum sg_store_rc sg_store_transition(struct sg_store *st, const char *event_id, enum sg_store_state to,
                                     const char *actor, const char *reason, char **err);
/* Undoes a release whose delivery failed (released -> held, audited), so
 * that it can be tried again. */
enum sg_store_rc sg_store_unrelease(struct sg_store *st, const char *event_id, const char *actor,
                                    const char *reason, char **err);

/* Retention: items received more than days ago lose their file and their
 * content columns (subject, recipients, evidence, justification) and
 * become expired; their audit rows stay, with one "purge" row added.
 * *npurged (may be NULL) counts them. */
bool sg_store_purge(struct sg_store *st, unsigned days, time_t now, const char *actor, size_t *npurged,
                    char **err);

/* Indexes message files that have no row (a crash between the file and
 * the row): state held, action "recovered", headers read from the file.
 * Files younger than a minute are left to the put() writing them. */
bool sg_store_recover(struct sg_store *st, size_t *nfound, char **err);

/* Event ids (NULL-terminated, caller frees with sg_strv_free) of every
 * item whose recipients, subject, evidence, justification or stored
 * message (raw and decoded text, header addresses, attachment names)
 * contains one of needles, without regard to case: a pupil's addresses,
 * UPN and name, for a subject access request or an erasure. */
char **sg_store_find(struct sg_store *st, char *const *needles, char **err);

/* Released copies re-injected through sendmail(1) carry
 *   X-Safeguard-Released: <event id> <hex HMAC-SHA256>
 * over the event id and the Message-ID, keyed with the store's secret
 * (release.key, 0600, made by open). The header is not forgeable without
 * the key, and check() accepts it once: only for a released item whose
 * copy has not passed yet, marking it passed in the same transaction. */
char *sg_store_mark_make(struct sg_store *st, const char *event_id, const char *message_id);
enum sg_store_rc sg_store_mark_check(struct sg_store *st, const char *value, const char *message_id,
                                     char **err);

#endif
