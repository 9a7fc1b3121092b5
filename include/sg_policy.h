/*
 * sg_policy.h - a loaded policy: one immutable, reference-counted snapshot.
 *
 * sg_policy_load() builds and validates a whole snapshot (YAML read, rules
 * parsed, patterns compiled) or returns NULL with every error as
 * "file:line:col: message" lines. A running daemon swaps snapshots; a
 * message keeps the one it started with until it drops its reference.
 */
#ifndef SG_POLICY_H
#define SG_POLICY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include "sg_hours.h"
#include "sg_message.h"
#include "sg_directory.h"

enum sg_action {                 /* ordered by severity */
    SG_ACTION_ACCEPT = 0,
    SG_ACTION_ANNOTATE,
    SG_ACTION_QUARANTINE,
    SG_ACTION_REJECT,
    SG_ACTION_TEMPFAIL,          /* only for internal failure and limits */
};

enum sg_category {
    SG_CAT_PUPIL_CONTACT = 0,
    SG_CAT_CONTACT_DETAILS,
    SG_CAT_OUT_OF_HOURS,
    SG_CAT_SOCIAL_MEDIA,
    SG_CAT_CONFIDENTIAL,
    SG_CAT_PERSONAL_DATA,
    SG_CAT_LOGO,
    SG_CAT_MEDIA,
    SG_CAT_REFERENCE,
    SG_CAT_OFFENSIVE,
    SG_CAT_ADULT,
    SG_CAT_SOLICITATION,
    SG_CAT_COUNT
};

/* Where a recipient address sits relative to the school. */
enum sg_rclass {
    SG_RCLASS_INTERNAL = 0,      /* staff domains */
    SG_RCLASS_TRUST,             /* other schools/offices of the trust */
    SG_RCLASS_PUPIL,             /* a pupil's school account */
    SG_RCLASS_PUPIL_PERSONAL,    /* a pupil's known personal address */
    SG_RCLASS_EXTERNAL,          /* anyone else */
    SG_RCLASS_COUNT
};
#define SG_RCLASS_BIT(c) (1u << (c))

const char *sg_action_name(enum sg_action a);
int sg_action_parse(const char *s);          /* -1 when unknown */
const char *sg_category_name(enum sg_category c);
int sg_category_parse(const char *s);
const char *sg_rclass_name(enum sg_rclass c);

/* mode: where a rule, a school or the trust is "live" (acts) or
 * "monitor" (logs and stores what it would have done, delivers
 * untouched). INHERIT: not set at this level. */
enum sg_mode { SG_MODE_INHERIT = 0, SG_MODE_LIVE, SG_MODE_MONITOR };
/* A yes/no a school may leave to the trust. */
enum sg_switch { SG_SWITCH_INHERIT = 0, SG_SWITCH_ON, SG_SWITCH_OFF };

/* footer: appended to annotated mail's text (policy/footer.c). */
struct sg_footer {
    char *text;                  /* for text/plain parts, UTF-8 */
    char *html;                  /* for text/html parts; NULL = text, escaped */
};

struct sg_detector;
struct sg_matcher;

struct sg_condition {
    const struct sg_detector *det;
    void *state;                 /* the detector's parsed options */
};

struct sg_rule {
    char *id;
    enum sg_category category;
    enum sg_action action;
    char *cite;                  /* policy clause, shown to staff */
    char *explain;               /* plain words, shown to staff */
    char *advice;                /* what to do instead; NULL = the category's */
    unsigned to_mask;            /* SG_RCLASS_BIT()s; 0 = every recipient */
    bool family_exempt;          /* a pupil who is the sender's relative is exempt */
    char **except_senders;       /* authorised voices: addresses or "@domain", lower case */
    char **except_recipients;    /* partner domains ("*.gov.uk") the rule does not apply to */
    bool contacts_exempt;        /* a pupil's listed contact hearing only about their own child is exempt */
    struct sg_condition *conds;
    size_t nconds;
    unsigned line;
    bool overridable;            /* [justify: reason] in the subject lets it through */
    enum sg_mode mode;           /* INHERIT = the sender's school's */
};

struct sg_school {
    char *name;
    char **staff_domains;
    char **pupil_domains;
    char **trust_domains;
    char *timezone;
    struct sg_hours hours;       /* default contact window */
    char **landlines;            /* the school's own numbers, digits only */
    char **official_social;      /* the school's own accounts, "host/path" */
    char **safeguarding_team;    /* DSL and deputies, when the school has one team */
    enum sg_mode mode;           /* trust-wide; INHERIT = live */
    bool overrides;              /* [justify: ...] honoured at all */
};

/* DSL notices of held mail (policy/notice_cfg.c). */
enum sg_digest { SG_DIGEST_INHERIT = 0, SG_DIGEST_NONE, SG_DIGEST_HOURLY, SG_DIGEST_DAILY };
struct sg_template;
struct sg_unit_notices {
    char **dsl;                  /* NULL = the trust's notices: dsl */
    enum sg_digest digest;
};
struct sg_notices_cfg {
    bool configured;             /* no notices: section = no notices sent */
    char **dsl;                  /* NULL = the sender's school's safeguarding_team */
    enum sg_digest digest;
    char *sender;                /* envelope and From: of notices */
    char **sendmail;             /* the command and its first arguments */
    char *key_file;              /* notice.key: HMAC key marking our own notices */
    char *spool;                 /* digest entries waiting */
    bool staff;                  /* the authenticated sender of held mail is told */
    struct sg_template *dsl_subject, *dsl_body, *staff_subject, *staff_body;
};

/* One school of a trust, named by the directory's School column. */
struct sg_school_unit {
    char *id;
    char *name;
    struct sg_hours hours;       /* unset = the trust-wide window */
    char **safeguarding_team;    /* this school's DSL and deputies */
    enum sg_mode mode;           /* INHERIT = the trust's */
    enum sg_switch overrides;    /* INHERIT = the trust's */
    struct sg_footer footer;     /* unset = actions: footer: */
    struct sg_unit_notices notices;
};

/* Which mail is staff mail leaving the school. */
struct sg_outbound {
    bool configured;             /* no outbound: section = screen everything */
    bool auth;
    bool sender_domains;
    struct sg_cidr *nets;
    size_t nnets;
};

enum sg_rcpt_mode { SG_RCPT_HOLD = 0, SG_RCPT_REMOVE };

struct sg_actions_cfg {
    char *header;                /* verdict header name */
    char *subject_tag;           /* "" = no tag */
    enum sg_action on_internal_error;
    char *dsl_contact;           /* who staff should ask, in bounces */
    enum sg_rcpt_mode recipient_mode;
    struct sg_footer footer;     /* for annotated mail; both NULL = none */
    char *advice[SG_CAT_COUNT];  /* per category: what to do instead */
};

struct sg_limits_cfg {
    size_t spool_memory;         /* bytes kept in memory before spilling */
    struct sg_message_limits msg;
    enum sg_action on_limit;
    size_t worker_memory;        /* address space a worker may add for one message */
    size_t eval_seconds;         /* wall time one evaluation may take */
    bool extract;                /* content rules read attachments' text */
    size_t extract_text, extract_input, extract_entries, extract_depth, extract_ratio, extract_seconds;
    enum sg_action on_encrypted; /* an attachment nobody can read without its password */
    /* Pictures for image rules (policy/image/): per image, per message. */
    size_t image_pixels, images, image_total_pixels, image_seconds;
};

/* quarantine: where held mail is kept and how it is released (sg_store.h). */
struct sg_quarantine_cfg {
    char *store;                 /* the store's folder */
    size_t retention_days;
    char *sendmail;              /* sendmail(1): re-injection, Sendmail's queue */
    char *postsuper;             /* Postfix: release (-H) or delete (-d) from the hold queue */
    char *postqueue;             /* Postfix: is the queue id still held (-j) */
    char *postfix_config;        /* MAIL_CONFIG for those; "" = the default instance */
};

struct sg_policy {
    atomic_int refs;
    char *path;
    char *dir;                   /* for relative list files */
    struct sg_school school;
    struct sg_actions_cfg actions;
    struct sg_limits_cfg limits;
    struct sg_rule *rules;
    size_t nrules;
    struct sg_matcher *matcher;  /* every rule's phrases, one database */
    bool needs_text;             /* some rule looks at content */
    bool needs_images;           /* some rule looks at pictures: the engine collects them (sg_image.h) */
    struct sg_school_unit *units;
    size_t nunits;
    struct sg_outbound outbound;
    struct sg_directory_cfg dircfg;
    struct sg_directory *directory;
    void *tz;                    /* GTimeZone of school.timezone */
    char *warnings;              /* file:line lines that did not stop the load */
    char **list_files;           /* phrase lists the rules read (files:) */
    struct sg_namefind *names;   /* pupils' names, for contacts_exempt rules; NULL when none */
    struct sg_quarantine_cfg quarantine;
    struct sg_notices_cfg notices;
};

/* Loads and compiles; on failure returns NULL and *errors (malloc'd) holds
 * one "file:line:col: message" line per problem. */
struct sg_policy *sg_policy_load(const char *path, char **errors);
/* The same on reload: prev (may be NULL) is the running snapshot, against
 * which a much smaller directory export is refused (directory:
 * max_shrink:). */
struct sg_policy *sg_policy_load_with_previous(const char *path, const struct sg_policy *prev, char **errors);
struct sg_policy *sg_policy_ref(struct sg_policy *p);
void sg_policy_unref(struct sg_policy *p);

/* Recipient classification by directory first, then domain lists. */
enum sg_rclass sg_policy_classify(const struct sg_policy *p, const char *addr);
/* The same, also naming the directory entry found (NULL when none). */
enum sg_rclass sg_policy_classify_person(const struct sg_policy *p, const char *addr,
                                         const struct sg_person **who);
/* The contact window for a pupil (their school's, else the default). */
const struct sg_hours *sg_policy_hours_for(const struct sg_policy *p, const struct sg_person *pupil);
/* Every file the snapshot was built from, for change detection. */
char **sg_policy_files(const struct sg_policy *p);
bool sg_domain_in_list(char *const *list, const char *domain);
/* The whole policy reference (Markdown), generated from the key tables:
 * what contrib/policy-reference.md holds and safeguard-check --reference
 * prints. */
struct sg_buf;
void sg_policy_reference(struct sg_buf *out);
/* The same as safeguard-policy(5), man(7) roff: man/safeguard-policy.5. */
void sg_policy_reference_man(struct sg_buf *out);

#endif
