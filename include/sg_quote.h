/*
 * sg_quote.h - splits a text part into the member of staff's own words,
 * reply history and forwarded history (policy/quote.c).
 */
#ifndef SG_QUOTE_H
#define SG_QUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include "sg_util.h"

enum sg_quote_kind {
    SG_QUOTE_OWN = 0,
    SG_QUOTE_REPLY,              /* history of a reply: the recipients' own words */
    SG_QUOTE_FORWARDED,          /* history the member of staff passes on */
};

struct sg_quote_span {
    size_t off, len;             /* in the text given; spans cover it in order */
    enum sg_quote_kind kind;
};

/* True when a Subject says the message is a forward (Fw:, Fwd:, TR:, WG:),
 * so history blocks below are passed on rather than replied to. */
bool sg_quote_subject_forwards(const char *subject);
/* True when a Subject says the message is a reply (Re:, Aw:, Antw:, Sv:). */
bool sg_quote_subject_replies(const char *subject);
/* Spans of text[0..len); malloc'd, *nspans set (0 for empty text). Only a
 * reply (replying) has reply history: in a new message "> " lines and
 * header blocks are the sender's own words, however they are dressed. */
struct sg_quote_span *sg_quote_split(const char *text, size_t len, bool forwarding, bool replying,
                                     size_t *nspans);

#endif
