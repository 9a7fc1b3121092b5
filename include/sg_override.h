/*
 * sg_override.h - override with justification, and monitor mode.
 *
 * A rule marked `overridable: true` holds or rejects a message only until
 * the member of staff resends it with "[justify: reason]" in the subject;
 * a school (or the trust) can switch overrides off. A rule, a school or
 * the whole trust in `mode: monitor` is evaluated as usual, but its hits
 * only record what would have happened. Both are settled here, in the
 * engine, so the milter, safeguard-check and the workers agree.
 */
#ifndef SG_OVERRIDE_H
#define SG_OVERRIDE_H

#include <stdbool.h>
#include <stddef.h>
#include "sg_config.h"
#include "sg_directory.h"
#include "sg_policy.h"
#include "sg_verdict.h"

/* The header a let-through message carries the reason in. */
#define SG_JUSTIFICATION_HEADER "X-Safeguard-Justification"

/* Longest reason kept, in bytes (cut at a character boundary). */
#define SG_JUSTIFY_MAX 200

/* The reason of the first "[justify: reason]" in a decoded subject
 * (case and spacing free), trimmed, white space runs and control
 * characters made single spaces, cut at SG_JUSTIFY_MAX. NULL when there is
 * none, or when every tag's reason is empty or has no letter or digit. */
char *sg_justify_find(const char *subject);
/* The subject without any [justify: ...] tag (empty ones too), the
 * spaces around each tag closed up. Always a new string. */
char *sg_justify_strip(const char *subject);
/* A reason as a header value: CR, LF and other controls removed. */
char *sg_justify_clean(const char *reason);

/* The schools: entry with this id (any case), NULL when none. */
const struct sg_school_unit *sg_policy_unit(const struct sg_policy *p, const char *id);
/* Whether [justify: ...] is honoured for a sender of this unit (NULL:
 * the trust's setting). */
bool sg_override_enabled(const struct sg_policy *p, const struct sg_school_unit *u);
/* Whether a rule is in monitor mode for a sender of this unit: the
 * rule's own mode, else the school's, else the trust's. */
bool sg_rule_monitored(const struct sg_policy *p, const struct sg_rule *r, const struct sg_school_unit *u);
/* The footer for a sender of this unit: the unit's, else actions:'s;
 * NULL when neither has one. */
const struct sg_footer *sg_policy_footer(const struct sg_policy *p, const struct sg_school_unit *u);

/* After the rule loop: records the sender's unit, marks monitored hits
 * and (given a justification in the subject) overridden ones, and sets
 * v->action from the hits that still act and v->would from all of them. */
void sg_override_settle(const struct sg_policy *p, const struct sg_person *sender,
                        const char *subject, struct sg_verdict *v);
/* Recomputes v->action and v->would from the hits (removal, monitor and
 * override taken into account); limits and errors are the caller's. */
void sg_override_recount(struct sg_verdict *v);
/* As sg_verdict_categories/_rules, for the hits that act (not monitored,
 * not overridden): what the verdict header shows the recipient. */
void sg_verdict_acting_categories(const struct sg_verdict *v, struct sg_buf *out);
void sg_verdict_acting_rules(const struct sg_verdict *v, struct sg_buf *out);
/* A hit's action as stored: "quarantine", or "monitor:quarantine" for a
 * monitored hit and "override:quarantine" for an overridden one in a
 * message that was let through, so the report counts each rule by what
 * it did. */
const char *sg_hit_action_name(const struct sg_verdict *v, const struct sg_hit *h);
/* True when some hit was let through by the justification. */
bool sg_verdict_overridden(const struct sg_verdict *v);
/* True when monitored hits would have done more than the live ones. */
bool sg_verdict_monitored(const struct sg_verdict *v);
/* Whether the bounce (or the held notice) should offer the override:
 * every hit that decides the action is overridable, overrides are on
 * for the sender, and no limit or error decided it instead. */
bool sg_override_offered(const struct sg_verdict *v, const struct sg_policy *p);
/* The sentence offering it, for bounces and staff notices. */
extern const char sg_override_offer_text[];

/* The loader's parsers for mode:, a school's overrides: and footer:
 * (policy/load_override.c). */
void sg_load_parse_mode(struct sg_cfg *cfg, yaml_node_t *node, void *field);
void sg_load_parse_switch(struct sg_cfg *cfg, yaml_node_t *node, void *field);
void sg_load_parse_footer(struct sg_cfg *cfg, yaml_node_t *node, void *field);
void sg_footer_free(struct sg_footer *f);
extern const struct sg_cfg_key sg_schema_footer[];

#endif
