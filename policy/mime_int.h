/*
 * mime_int.h - what message.c shares with the files split out of it
 * (mime_content.c, mime_addr.c, mime_bound.c). Not part of the engine's
 * interface: only the policy library includes it.
 */
#ifndef SG_MIME_INT_H
#define SG_MIME_INT_H

#include <glib.h>
#include <gmime/gmime.h>
#include "sg_message.h"

/* Control bytes other than tab and line ends become spaces, in place. */
void sg_mime_scrub_controls(char *s, size_t len);
/* Removes content-line folds (line end + blank) in place; new length. */
size_t sg_mime_unfold(char *s, size_t len);
/* Joins the soft line breaks of format=flowed text in place; new length. */
size_t sg_mime_unflow(char *s, size_t len, bool delsp);
/* Each uuencoded file in a plain-text body, decoded, to found (name,
 * bytes, and whether they were cut at max_bytes); returns how many. */
typedef void (*sg_mime_uu_found)(void *u, const char *name, const unsigned char *data, size_t n, bool cut);
size_t sg_mime_uu_blocks(const char *text, size_t len, size_t max_bytes, sg_mime_uu_found found, void *u);
/* All decoded bytes of a leaf, or only its head and an estimated size. */
GByteArray *sg_mime_part_bytes(GMimePart *part);
GByteArray *sg_mime_part_head(GMimePart *part, size_t *size);

/* From, To, Cc and Bcc mailboxes of msg; returns the display names of
 * every address field, one "Field: name, name" line each (malloc'd,
 * *names_len bytes, possibly empty). */
char *sg_mime_read_addresses(GMimeMessage *msg, char **from_header, char ***rcpts, size_t *names_len);

/* How much of a raw message GMime may be given: all of it, or up to the
 * line where boundary-like or header-like lines exceed what lim lets the
 * walk read, with SG_LIMIT_PARTS or SG_LIMIT_STRUCTURE added to *limits. */
size_t sg_mime_bound(const char *buf, size_t len, const struct sg_message_limits *lim, unsigned *limits);
/* NULs in lines GMime may read as header fields become spaces, in place. */
void sg_mime_header_nuls(char *buf, size_t len);

#endif
