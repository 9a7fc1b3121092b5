/*
 * sg_notice.h - the DSL notice and the staff notice for held mail, and
 * the mark that tells the milter a message is one of its own notices.
 *
 * The engine side: who is told, what the notice says (no body text of
 * the held mail, only what the verdict's evidence holds), the whole
 * RFC 5322 text, and the X-Safeguard-Notice HMAC. Sending is the milter's
 * (milter/notify.c, through sendmail(1)).
 */
#ifndef SG_NOTICE_H
#define SG_NOTICE_H

#include <stdbool.h>
#include <stddef.h>
#include "sg_config.h"
#include "sg_message.h"
#include "sg_policy.h"
#include "sg_template.h"
#include "sg_verdict.h"

#define SG_NOTICE_HEADER "X-Safeguard-Notice"
#define SG_NOTICE_KEY_LEN 32

/* Key tables and parsers (policy/notice_cfg.c). */
extern const struct sg_cfg_key sg_schema_notices[];
extern const struct sg_cfg_key sg_schema_unit_notices[];
extern const struct sg_cfg_key sg_schema_advice[];
void sg_load_advice(struct sg_cfg *cfg, yaml_node_t *node, void *field);
void sg_load_unit_notices(struct sg_cfg *cfg, yaml_node_t *node, void *field);
/* Reads notices: (node may be NULL) and fills every default. */
void sg_load_notices(struct sg_cfg *cfg, yaml_node_t *node, struct sg_policy *p);
void sg_notices_free(struct sg_policy *p);

/* What to do instead, for a rule: its advice:, else its category's. */
const char *sg_notice_advice(const struct sg_policy *p, const struct sg_rule *r);

/* Whom staff should ask, in replies and staff notices: actions:
 * dsl_contact when the admin set it, else the sender's school's DSL
 * addresses after the default words. Caller frees. */
char *sg_notice_contact(const struct sg_policy *p, const struct sg_envelope *env);

/* The sender's school (a schools: entry), NULL for the school: one. */
const struct sg_school_unit *sg_notice_unit(const struct sg_policy *p, const struct sg_envelope *env);
/* Where the DSL notice goes; NULL (or empty) when nobody is configured. */
char *const *sg_notice_dsl(const struct sg_policy *p, const struct sg_school_unit *unit);
enum sg_digest sg_notice_digest(const struct sg_policy *p, const struct sg_school_unit *unit);
/* The staff notice's recipient: the SASL login as an address (a bare
 * login gets the first staff domain); NULL when not authenticated. */
char *sg_notice_staff_address(const struct sg_policy *p, const struct sg_envelope *env);

/* The template values for one held message. subject is the decoded
 * Subject (may be NULL). Free with sg_notice_values_free. */
struct sg_notice_values {
    struct sg_tvalues t;
    char *owned[SG_TV_COUNT];
};
void sg_notice_values(struct sg_notice_values *nv, const struct sg_policy *p, const struct sg_verdict *v,
                      const struct sg_envelope *env, const char *subject, char *const *dsl, bool for_staff);
void sg_notice_values_free(struct sg_notice_values *nv);

/* A whole message for sendmail -t: From (notices: sender), To, Subject,
 * Date, Message-ID, Auto-Submitted, MIME headers, the X-Safeguard-Notice
 * mark for id, then the body. LF line ends. */
char *sg_notice_compose(const struct sg_policy *p, const char *id, char *const *to, const char *subject_line,
                        const char *body, const unsigned char *key, size_t keylen);

/* HMAC-SHA256 (hex) over id, the Message-ID (without <>) and the
 * recipients (lower-cased, sorted). */
void sg_notice_mac(const unsigned char *key, size_t keylen, const char *id, const char *msgid,
                   char *const *rcpts, char out[65]);
/* Does an X-Safeguard-Notice value ("ID MAC") verify for this Message-ID
 * (as in the header, <> allowed) and these envelope recipients? */
bool sg_notice_verify(const unsigned char *key, size_t keylen, const char *header, const char *msgid,
                      char *const *rcpts);

/* Reads the key file; when absent and create is set, writes a new one
 * (32 bytes from /dev/urandom, 0600, O_EXCL). false with err set. */
bool sg_notice_key_load(const char *path, bool create, unsigned char key[SG_NOTICE_KEY_LEN],
                        char *err, size_t errlen);

#endif
