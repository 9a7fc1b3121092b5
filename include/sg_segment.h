/*
 * sg_segment.h - builds the scanned text of a message as labelled
 * segments (policy/segment.c); the sg_scan_* look-ups are declared in
 * sg_detector.h beside struct sg_scan.
 */
#ifndef SG_SEGMENT_H
#define SG_SEGMENT_H

#include "sg_detector.h"
#include "sg_extract.h"

struct sg_scantext {
    struct sg_buf text;          /* normalised, segments separated by "\n" */
    struct sg_segment *segs;
    size_t nsegs, cap;
    char **labels;               /* owned strings the segments point at */
    unsigned limits;             /* SG_LIMIT_TEXT, _ENCRYPTED, _EXTRACT, _UNREADABLE */
    unsigned extract_status;     /* enum sg_extract_status bits of every attachment */
};

/* Subject, body parts (quote-split), forwarded messages, attachment names
 * and, when limits.extract is on, attachments' text. False only when
 * normalisation fails (no memory). */
bool sg_scantext_build(const struct sg_policy *p, const struct sg_message *msg, struct sg_scantext *st);
void sg_scantext_free(struct sg_scantext *st);
/* The extraction budget a policy's limits: section sets. */
void sg_scantext_budget(const struct sg_limits_cfg *lim, struct sg_extract_budget *b);

#endif
