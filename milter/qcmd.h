/*
 * qcmd.h - safeguard-quarantine's commands (milter/qcmd_*.c) and what they
 * share with the command line in quarantine.c.
 *
 * Exit codes: 0 done; 1 refused or failed (no such item, already
 * released, an MTA command failed); 2 usage; 3 no access to the store.
 */
#ifndef SG_QCMD_H
#define SG_QCMD_H

#include <stdbool.h>
#include <stdio.h>
#include "sg_policy.h"
#include "sg_store.h"
#include "sg_util.h"

enum { QC_OK = 0, QC_FAILED = 1, QC_USAGE = 2, QC_NOACCESS = 3 };

struct qc {
    struct sg_store *st;
    struct sg_policy *policy;    /* NULL without -c: defaults below */
    const struct sg_quarantine_cfg *q;
    char actor[128];             /* the unix user, for the audit trail */
    int argc;                    /* the command's own arguments */
    char **argv;
};

int qcmd_list(struct qc *c);
int qcmd_show(struct qc *c);
int qcmd_release(struct qc *c);
int qcmd_discard(struct qc *c);
int qcmd_purge(struct qc *c);
int qcmd_find(struct qc *c);
int qcmd_report(struct qc *c);

/* "7d", "12h", "30m", "2w" ago, or an ISO date/time; false when neither. */
bool qc_parse_since(const char *s, time_t *out);
/* The value of --NAME VALUE or --NAME=VALUE among the command's
 * arguments; NULL when absent. A flag without a value: qc_flag. */
const char *qc_opt(const struct qc *c, const char *name);
bool qc_flag(const struct qc *c, const char *name);
/* The first argument that is not an option or an option's value. */
const char *qc_arg(const struct qc *c);
/* Text as a terminal may show it: control characters become '?', at
 * most max bytes ("..." when cut; 0 = no limit). */
void qc_put_safe(FILE *out, const char *s, size_t max);
/* "2026-12-02 09:15" in local time. */
void qc_time(time_t t, char *out, size_t len);
/* The item, or NULL with a message on stderr. */
struct sg_store_entry *qc_get(struct qc *c, const char *id);
/* One syslog line per admin action: never the reason, a subject or a name. */
void qc_log(const struct qc *c, const char *event_id, const char *action, const char *result, const char *detail);

/* qcmd_mta.c: the MTA's commands, run as root when we are (the store is
 * used as its owner). out (may be NULL) gets the standard output; input
 * (may be NULL) is written to the standard input, then the file in_file.
 * Returns the exit status, -1 when it could not run. */
int qc_run(const struct qc *c, char *const *argv, const char *input, const char *in_file, struct sg_buf *out);
/* Is the queue id in Postfix's hold queue? -1 when postqueue failed. */
int qc_postfix_held(const struct qc *c, const char *qid);

#endif
