/*
 * sg_detector.h - the one interface every rule condition implements.
 *
 * A detector only finds: the engine owns scoping (recipient classes),
 * exemptions and actions. A new rule kind is one policy/detect_<kind>.c
 * plus one line in policy/detectors.c.
 */
#ifndef SG_DETECTOR_H
#define SG_DETECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>
#include "sg_config.h"
#include "sg_message.h"
#include "sg_policy.h"
#include "sg_text.h"

struct sg_matcher;
struct sg_rx;
struct sg_image;

/* Where a stretch of the scanned text came from. */
enum sg_seg_source {
    SG_SEG_SUBJECT = 0,
    SG_SEG_BODY,                 /* a text part the member of staff sent */
    SG_SEG_FORWARDED,            /* a forwarded message's text (message/rfc822) */
    SG_SEG_HEADERS,              /* display names, header lines GMime could not read */
    SG_SEG_FILENAME,             /* an attachment's file name */
    SG_SEG_ATTACHMENT,           /* text extracted from an attachment */
};

/* One stretch of scan->text. Segments cover the text in order, without
 * gaps or overlaps; quoted history inside a body part is a segment of its
 * own with quoted set, so a rule can tell what the member of staff wrote
 * from what was written to them. */
struct sg_segment {
    enum sg_seg_source source;
    unsigned index;              /* body part, forwarded message or attachment number, from 0 */
    const char *label;           /* "budget.xlsx, sheet 2", "report.pdf, page 3"; NULL when none */
    size_t off, len;             /* in scan->text */
    bool quoted;                 /* "> " lines, "On ... wrote:", Outlook "From:/Sent:" blocks */
};

/* What a detector sees of one message. */
struct sg_scan {
    const struct sg_policy *policy;
    const struct sg_envelope *env;
    const struct sg_message *msg;
    const char *text;            /* normalised: NFKC, case-folded, spaces folded */
    size_t text_len;
    const unsigned char *pattern_hits;   /* per matcher pattern id: 1 = seen */
    const unsigned char *own_hits;       /* the same, outside reply history */
    const enum sg_rclass *rclass;        /* per envelope recipient */
    size_t nrcpt;
    const struct sg_person *sender;      /* the member of staff, when known */
    const struct sg_person *const *rcpt_person;  /* per recipient, NULL = unknown */
    const struct sg_segment *segs;       /* cover text, in order */
    size_t nsegs;
    const struct sg_match *matches;      /* every phrase occurrence, by start */
    size_t nmatches;
    bool matches_capped;                 /* more occurred than the list holds */
    bool to_safeguarding_team;           /* every recipient is in the sender's school's team */
    const bool *rcpt_own_child_only;     /* per recipient: a listed contact of every pupil named */
    const struct sg_image *images;       /* decoded pictures (sg_image.h), when a rule in scope needs them */
    size_t nimages;
};

/* The segment holding text offset off (the last one when off is past the end). */
const struct sg_segment *sg_scan_segment_at(const struct sg_scan *scan, size_t off);
/* True when off lies in quoted history (the recipient's own words). */
bool sg_scan_quoted(const struct sg_scan *scan, size_t off);
/* Appends where off was found, for evidence: "in the subject", "in
 * budget.xlsx, sheet 2", "in forwarded message 1", "in quoted text". */
void sg_scan_where(const struct sg_scan *scan, size_t off, struct sg_buf *out);
/* The same for every offset of offs[0..n): each place once, the place
 * with most of them first ("in minutes.docx, page 2 and in the subject"),
 * so a word in the subject does not stand for a document full of them. */
void sg_scan_where_all(const struct sg_scan *scan, const size_t *offs, size_t n, struct sg_buf *out);

/* A detector's own pcre2 pattern, anchored: the one Hyperscan pass says
 * where the pattern may match, and pcre2 looks only there instead of
 * over the whole text. From a detector's compile: registers an anchor
 * pattern with the matcher and returns its anchor (0 = none: Hyperscan
 * cannot read it, the whole text is read). The anchor is the pcre2
 * pattern itself or a looser one every match contains; a match starts at
 * most 512 bytes before an anchor hit's end and ends at most 64 bytes
 * after it, or within the same run of non-space bytes. */
unsigned sg_anchor_register(struct sg_matcher *m, const char *pattern);
/* sg_rx_each over scan->text near the anchor's hits: nothing when there
 * are none, the whole text when there is no anchor or the match list was
 * capped. */
int sg_scan_rx(const struct sg_scan *scan, const struct sg_rx *rx, unsigned anchor,
               int (*fn)(const char *m, size_t mlen, void *ctx), void *ctx);
/* The same for n patterns: registered into anchors[], and run in turn
 * until a callback returns non-zero. */
void sg_anchor_register_all(struct sg_matcher *m, const char *const *patterns, size_t n, unsigned *anchors);
int sg_scan_rx_each_of(const struct sg_scan *scan, struct sg_rx *const *rx, const unsigned *anchors, size_t n,
                       int (*fn)(const char *m, size_t mlen, void *ctx), void *ctx);

/* A detector fills evidence and may switch recipients off (rcpt_on starts
 * as the rule's scope). */
struct sg_finding {
    struct sg_buf evidence;
    bool *rcpt_on;
    size_t nrcpt;
};

struct sg_detector {
    const char *key;             /* its key under a rule's match: */
    const char *doc;
    bool needs_text;
    bool needs_attachments;      /* reads attachment bytes, not just names and types */
    bool needs_images;           /* reads scan->images: the engine decodes the message's pictures */
    unsigned default_to;         /* SG_RCLASS_BIT()s of a rule written without to: (0 = every recipient) */
    /* Its options as a key table ({NULL} ended), when it takes a mapping:
     * the walker checks them, the reference documents them. NULL = none. */
    const struct sg_cfg_key *options;
    /* Parse options; report errors with sg_cfg_error. NULL state = failed. */
    void *(*parse)(struct sg_cfg *cfg, yaml_node_t *node);
    /* Once per snapshot: register patterns with the shared matcher. */
    bool (*compile)(void *state, struct sg_matcher *m, struct sg_cfg *cfg);
    /* 1 = found (finding filled), 0 = not found, -1 = internal error. */
    int (*scan)(const void *state, const struct sg_scan *scan, struct sg_finding *out);
    void (*free)(void *state);
};

/* For conditions written "key: true" or "key: {options}": true when the
 * node is a mapping (options follow) or a true scalar; errors otherwise. */
bool sg_detector_enabled(struct sg_cfg *cfg, yaml_node_t *node, const char *key);
/* Reads "allow: [...]" style options of a mapping node into lists;
 * names[] and outs[] are parallel, NULL-terminated. */
void sg_detector_options(struct sg_cfg *cfg, yaml_node_t *node, const char *key,
                         const char *const *names, char ***const *outs);
/* Compiles a detector's built-in pattern list into out (at most max);
 * returns how many compiled. A failure is reported as an error at node. */
size_t sg_detector_patterns(struct sg_cfg *cfg, yaml_node_t *node, const char *what,
                            const char *const *patterns, struct sg_rx **out, size_t max);
/* True when addr's domain is a staff, pupil or trust domain. */
bool sg_detector_school_domain(const struct sg_policy *p, const char *domain);

const struct sg_detector *sg_detector_find(const char *key);
const struct sg_detector *const *sg_detector_all(void);

#endif
