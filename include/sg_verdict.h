/*
 * sg_verdict.h - what the engine concluded about one message.
 *
 * Each matched rule is a hit naming the recipients that triggered it and a
 * short evidence string (a matched phrase, never a sentence of the mail).
 * The message's action is the most severe hit's.
 */
#ifndef SG_VERDICT_H
#define SG_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include "sg_policy.h"
#include "sg_util.h"

struct sg_hit {
    const struct sg_rule *rule;
    char *evidence;
    bool *rcpt_on;               /* per envelope recipient */
    size_t nrcpt;
    bool demoted;                /* settled by removing its recipients */
    bool monitored;              /* mode: monitor: recorded, does not act */
    bool overridden;             /* let through by the sender's [justify: ...] */
};

struct sg_verdict {
    enum sg_action action;
    char event_id[24];
    struct sg_hit *hits;
    size_t nhits;
    unsigned limits_hit;         /* from the message model */
    char *error;                 /* internal failure, NULL if none */
    size_t nrcpt;
    bool inbound;                /* not staff mail leaving: not screened */
    bool safeguarding_report;    /* to the sender's safeguarding team alone: content rules skipped */
    bool *removed;               /* per recipient, recipient_mode: remove */
    size_t nremoved;
    char *message_id;            /* set when evaluated in a worker, for the log */
    enum sg_action would;        /* the action had monitored hits been live (>= action) */
    char *justification;         /* the subject's [justify: ...] reason, NULL if none or not honoured */
    char *unit;                  /* the sender's schools: id, NULL when none */
};

void sg_verdict_init(struct sg_verdict *v, size_t nrcpt);
void sg_verdict_clear(struct sg_verdict *v);
/* Takes ownership of evidence and rcpt_on. */
void sg_verdict_add_hit(struct sg_verdict *v, const struct sg_rule *rule,
                        char *evidence, bool *rcpt_on);
void sg_verdict_fail(struct sg_verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "confidential,offensive" / "rule-a,rule-b"; "-" when empty. */
void sg_verdict_categories(const struct sg_verdict *v, struct sg_buf *out);
void sg_verdict_rules(const struct sg_verdict *v, struct sg_buf *out);
/* One JSON object, as safeguard-check --json prints it. */
void sg_verdict_json(const struct sg_verdict *v, const char *file,
                     char *const *rcpts, struct sg_buf *out);
/* Plain lines for staff (bounce text): at most max_lines, each at most
 * max_len bytes, no '%' doubling (the milter does that). */
size_t sg_verdict_explain(const struct sg_verdict *v, const struct sg_policy *p,
                          char **lines, size_t max_lines, size_t max_len);
/* The same, naming contact (e.g. the sender's school's DSL) instead of
 * actions: dsl_contact. */
size_t sg_verdict_explain_to(const struct sg_verdict *v, const struct sg_policy *p, const char *contact,
                             char **lines, size_t max_lines, size_t max_len);

#endif
