/*
 * sg_footer.h - a disclaimer appended to a message's body, as Exchange
 * does: message bytes in, the new body (and top-level content headers,
 * when they had to change) out.
 *
 * The text body is the message's own text/plain or text/html part: the
 * whole message when it is one, every alternative of a
 * multipart/alternative, the root of a multipart/related, the first part
 * that is not an attachment of any other multipart. Attached messages are
 * left alone. Each part keeps its charset (the footer is converted into
 * it; an ASCII part becomes UTF-8 only when the footer needs it) and its
 * transfer encoding (base64 stays base64; 7bit becomes quoted-printable
 * when the footer brings 8-bit text). Signed or encrypted mail (multipart/
 * signed, multipart/encrypted, S/MIME, inline PGP) is not changed.
 * Nothing here knows libmilter.
 */
#ifndef SG_FOOTER_H
#define SG_FOOTER_H

#include <stdbool.h>
#include <stddef.h>
#include "sg_policy.h"
#include "sg_util.h"

enum sg_footer_rc {
    SG_FOOTER_ADDED = 0,
    SG_FOOTER_SIGNED,            /* signed or encrypted: left alone */
    SG_FOOTER_NO_BODY,           /* no text part to append to */
    SG_FOOTER_FAILED,            /* unreadable MIME */
};

struct sg_footer_out {
    struct sg_buf body;          /* the new body, after the header block, CRLF line ends */
    char *content_type;          /* the top-level Content-Type when it changed, else NULL */
    char *content_encoding;      /* the top-level Content-Transfer-Encoding when it changed, else NULL */
    bool add_mime_version;       /* content headers changed on a message without MIME-Version */
    unsigned parts;              /* parts the footer was added to */
};

enum sg_footer_rc sg_footer_add(const char *msg, size_t len, const struct sg_footer *f,
                                struct sg_footer_out *out);
void sg_footer_out_free(struct sg_footer_out *o);
/* "added", "signed", "no-text-body", "unreadable". */
const char *sg_footer_rc_name(enum sg_footer_rc rc);

#endif
