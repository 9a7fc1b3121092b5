/*
 * sg_milter.h - the daemon's glue: contexts, smfi_* wrappers, spool,
 * actions, reload. Thin on purpose: every decision is the engine's.
 */
#ifndef SG_MILTER_H
#define SG_MILTER_H

#include <libmilter/mfapi.h>
#include <stdbool.h>
#include <stddef.h>
#include "sg_engine.h"
#include "sg_pool.h"
#include "sg_store.h"
#include "sg_util.h"

/* Every libmilter call the glue makes, so tests can stand in for it. */
struct sg_smfi_ops {
    void *(*getpriv)(SMFICTX *);
    int (*setpriv)(SMFICTX *, void *);
    char *(*getsymval)(SMFICTX *, char *);
    int (*insheader)(SMFICTX *, int, char *, char *);
    int (*chgheader)(SMFICTX *, char *, int, char *);
    int (*addheader)(SMFICTX *, char *, char *);
    int (*quarantine)(SMFICTX *, char *);
    int (*setreply)(SMFICTX *, char *, char *, char *);
    int (*setmlreply)(SMFICTX *, const char *, const char *, char *const *lines, size_t n);
    int (*delrcpt)(SMFICTX *, char *);
    int (*replacebody)(SMFICTX *, unsigned char *, int);
    int (*setsymlist)(SMFICTX *, int, char *);  /* may be NULL (test stand-ins) */
};
extern const struct sg_smfi_ops *sg_smfi;
extern const struct sg_smfi_ops sg_smfi_libmilter;

/* Message bytes: memory first, a 0600 unlinked temp file past a size. */
struct sg_spool {
    struct sg_buf mem;
    int fd;
    size_t size;                 /* bytes written so far */
    size_t mem_max;
    size_t keep_max;             /* bytes kept at most; the rest counted only */
    bool truncated;
};

void sg_spool_init(struct sg_spool *s, size_t mem_max, size_t keep_max);
bool sg_spool_write(struct sg_spool *s, const void *data, size_t len);
struct sg_message *sg_spool_parse(struct sg_spool *s, const struct sg_message_limits *lim,
                                  char *err, size_t errlen);
/* The whole spooled message as a readable descriptor (a memfd when it was
 * in memory); owned by the spool. -1 on failure. */
int sg_spool_fd(struct sg_spool *s);
void sg_spool_free(struct sg_spool *s);
void sg_spool_set_tmpdir(const char *dir);

struct sg_msgctx {
    struct sg_policy *policy;    /* the snapshot this message is judged by */
    struct sg_pool *pool;        /* its workers (NULL: evaluate in this thread, tests only) */
    struct sg_envelope env;
    char **rcpt_raw;             /* RCPT TO as the MTA gave it, for delrcpt */
    struct sg_spool spool;
    bool in_body;
    char *subject_raw;           /* as received, for the subject tag */
    int own_headers;             /* verdict headers already present (forged) */
    int own_removed;             /* X-Safeguard-Removed already present */
    int own_justified;           /* X-Safeguard-Justification already present (forged) */
    char *failure;               /* internal error seen before eom */
    char *mta;                   /* "postfix", "sendmail": how a held copy is released */
    char *message_id_raw;        /* first Message-ID header, for the store and the release mark */
    char *release_mark;          /* X-Safeguard-Released, when exactly one was present */
    int release_marks;
    char *notice_mark;           /* X-Safeguard-Notice value, when present */
    int own_notice;              /* X-Safeguard-Notice copies present */
};

struct sg_connctx {
    unsigned long steps;         /* negotiated SMFIP_* flags */
    char *client_addr;
    char *mta;                   /* from the {v} macro at connect */
    struct sg_msgctx *msg;
};

/* actions.c: carry a verdict out; returns the SMFIS_ code for eom. */
sfsistat sg_actions_apply(SMFICTX *ctx, struct sg_msgctx *mc, const struct sg_verdict *v);
/* "%" doubled, control characters flattened, for smfi_setmlreply. */
char *sg_reply_escape(const char *line);

/* override.c: [justify: ...] honoured (subject, header), the footer, and
 * the log lines and store records of overridden and monitored mail. */
bool sg_override_apply(SMFICTX *ctx, struct sg_msgctx *mc, const struct sg_verdict *v);
bool sg_footer_milter(SMFICTX *ctx, struct sg_msgctx *mc, const struct sg_verdict *v);
void sg_override_record(struct sg_msgctx *mc, const struct sg_message *msg, const struct sg_verdict *v,
                        sfsistat rc);
/* A header value: controls removed, RFC 2047 when not ASCII. */
char *sg_override_header_text(const char *utf8);
/* The DSL's notice of an override, sent through notices: (override.c). */
void sg_override_notify_dsl(const struct sg_msgctx *mc, const struct sg_verdict *v);

/* logline.c */
void sg_log_verdict(const struct sg_msgctx *mc, const struct sg_message *msg,
                    const struct sg_verdict *v);
void sg_log_inbound(const struct sg_msgctx *mc);
/* A recipient as it may be logged: "<10 hex of SHA-256>@domain", so the
 * log can be matched with the store without naming a pupil. */
char *sg_log_pseudonym(const char *addr);

/* reload.c: the current snapshot, swapped under a lock, ref-counted. */
/* pool may be NULL (unit tests): messages are then evaluated in-thread. */
void sg_reload_init(struct sg_policy *initial, struct sg_pool *pool, const struct sg_pool_options *o);
void sg_reload_log_warnings(const struct sg_policy *p);
/* New references to the current snapshot and its workers (pool may be NULL). */
struct sg_policy *sg_reload_current(struct sg_pool **pool);
bool sg_reload_now(const char *why);
bool sg_reload_start(unsigned poll_seconds);     /* SIGUSR1 + mtime thread */
void sg_reload_stop(void);

/* preflight.c: start-up checks, each logging why it refuses. */
const char *sg_preflight_socket_path(const char *spec);   /* NULL for inet */
bool sg_preflight_socket_free(const char *spec);
bool sg_preflight_access(const struct sg_policy *p, const char *tmpdir, const char *pidfile);

/* store_hook.c: the quarantine store (sg_store.h), opened once at start-up
 * after the privilege drop. No store (unit tests): puts succeed, nothing
 * is kept. */
bool sg_milter_store_open(const char *dir);
void sg_milter_store_close(void);
struct sg_store *sg_milter_store(void);
/* A copy of the message and its verdict, in state (SG_STORE_HELD for a
 * hold, SG_STORE_MONITORED for mode: monitor, SG_STORE_OVERRIDDEN for a
 * [justify:] override with its justification); action is what the milter
 * did ("quarantine", "monitor:quarantine", "override", ...). Logs one
 * line. False when the copy could not be stored: a hold must then
 * tempfail, so that the message is never lost. */
bool sg_milter_store_put(struct sg_msgctx *mc, const struct sg_verdict *v, enum sg_store_state state,
                         const char *action, const char *justification);
/* Undoes a hold's put when the MTA then refused the hold. */
void sg_milter_store_unhold(const struct sg_msgctx *mc, const struct sg_verdict *v);
/* True (and logged) when the message is a released copy re-injected by
 * safeguard-quarantine with a valid, unused X-Safeguard-Released mark:
 * delivered without screening. */
bool sg_milter_released_copy(const struct sg_msgctx *mc);
/* notify.c: notices of held mail, and knowing our own notices. */
bool sg_notify_init(const struct sg_policy *p);     /* the key, created when absent */
bool sg_notify_is_notice(const struct sg_msgctx *mc);
void sg_notify_held(const struct sg_msgctx *mc, const struct sg_verdict *v);
/* One notice, marked and sent at once (the override notice, override.c). */
bool sg_notify_send(const struct sg_msgctx *mc, const char *id, char *const *to, const char *subject_line,
                    const char *body, const char *kind);
int sg_notify_sendmail(char *const *cmd, const char *sender, const char *text, char *err, size_t errlen);
void sg_notify_flush(const struct sg_policy *p, time_t now, bool force);
void sg_notify_tick(void);                          /* digests due, from the reload thread */
/* mta.c: "postfix", "sendmail" or NULL (unknown) from the {v} and
 * {daemon_name} macros (either may be NULL). */
const char *sg_mta_kind(const char *v, const char *daemon_name);

/* callbacks.c */
extern struct smfiDesc sg_milter_desc;


#endif
