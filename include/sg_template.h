/*
 * sg_template.h - the policy's texts for staff and the DSL, with
 * variables: "Held: {subject}" and the like.
 *
 * A template is parsed once at policy load (an unknown variable is a load
 * error at the template's file:line:col), then expanded per message.
 * Values come from the mail and are hostile: expansion strips CR, LF and
 * the other control characters from every value (multi-line variables the
 * milter builds itself keep their LFs in body text only), and a header
 * is RFC 2047-encoded by GMime where it is not ASCII, then folded. No
 * value can start a header field of its own.
 */
#ifndef SG_TEMPLATE_H
#define SG_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

enum sg_tvar {
    SG_TV_RULE = 0,              /* the deciding rules' ids, comma separated */
    SG_TV_CITE,                  /* the first deciding rule's clause */
    SG_TV_EXPLAIN,               /* ... its plain-words explanation */
    SG_TV_ADVICE,                /* ... what to do instead */
    SG_TV_DSL,                   /* whom to ask */
    SG_TV_SUBJECT,               /* the held message's subject, decoded */
    SG_TV_SENDER,
    SG_TV_RECIPIENTS,            /* comma separated */
    SG_TV_EVENT_ID,
    SG_TV_SCHOOL,
    SG_TV_EVIDENCE,              /* multi-line: one entry per rule hit */
    SG_TV_RELEASE_COMMAND,
    SG_TV_DISCARD_COMMAND,
    SG_TV_ACTION,
    SG_TV_CATEGORIES,
    SG_TV_QUEUE_ID,
    SG_TV_DATE,
    SG_TV_MESSAGE_ID,
    SG_TV_COUNT
};

struct sg_tvalues {
    const char *v[SG_TV_COUNT];  /* NULL = empty */
};

struct sg_template;
struct sg_cfg;

/* NULL on error, with *err (malloc'd) saying what and *err_off the byte
 * offset in text where it is. */
struct sg_template *sg_template_parse(const char *text, char **err, size_t *err_off);
void sg_template_free(struct sg_template *t);
const char *sg_template_source(const struct sg_template *t);
const char *sg_template_var_name(enum sg_tvar v);
/* "{rule}, {cite}, ...": every variable, for errors and the reference. */
const char *sg_template_var_list(void);

/* Body text, LF line ends; the caller frees. */
char *sg_template_expand_text(const struct sg_template *t, const struct sg_tvalues *vals);
/* One header field "Name: value\n", folded, encoded where not ASCII. */
char *sg_template_expand_header(const struct sg_template *t, const char *name, const struct sg_tvalues *vals);
/* A value as it may stand in one line: controls become spaces, runs of
 * white space one space, cut to at most max bytes on a UTF-8 boundary. */
char *sg_template_flatten(const char *value, size_t max);

/* A key-table parser (SG_CFG_CUSTOM) for a struct sg_template * field. */
void sg_template_parse_field(struct sg_cfg *cfg, yaml_node_t *node, void *field);

#endif
