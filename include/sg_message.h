/*
 * sg_message.h - the message model handed to the engine.
 *
 * Built by policy/message.c from raw RFC 5322 bytes with GMime: every text
 * part decoded to UTF-8 (HTML reduced to text), headers RFC 2047-decoded,
 * attachments listed with declared and sniffed types. The envelope comes
 * from the MTA (or from safeguard-check's flags) and is kept apart, so the
 * same parsed message can be judged under different envelopes in tests.
 */
#ifndef SG_MESSAGE_H
#define SG_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct sg_envelope {
    char *mail_from;            /* envelope sender, without <> */
    char **rcpts;               /* NULL-terminated, without <> */
    char *auth_login;           /* SASL {auth_authen}, or NULL */
    char *client_addr;          /* connecting IP as text, or NULL */
    char *queue_id;             /* MTA queue id, or NULL */
    time_t when;                /* when the message was received */
};

struct sg_text_part {
    char *text;                 /* UTF-8 */
    size_t len;
    bool from_html;
    bool forwarded_subject;     /* the Subject of a forwarded message */
    bool from_headers;          /* display names, header lines GMime could not read */
    unsigned forwarded;         /* 1-based number of the attached message (message/rfc822)
                                 * it came from; 0 = the message itself */
};

struct sg_attachment {
    char *filename;             /* decoded (RFC 2231/2047), may be NULL */
    char *declared_type;        /* e.g. "image/png" */
    const char *sniffed_type;   /* "pdf", "png", "jpeg", ..., "unknown" */
    size_t size;                /* decoded size in bytes (estimated when not decoded) */
    bool size_estimated;        /* only the head was decoded (no rule needed more) */
    unsigned char *data;        /* decoded bytes, at most limits->max_attachment_keep */
    size_t data_len;
    unsigned forwarded;         /* 1-based number of the attached message it came in; 0 = none */
    bool in_html;               /* a data: URI picture inside an HTML part, not a MIME part */
};

/* Why a parse stopped short: the engine turns these into the on_limit action. */
enum sg_limit_flag {
    SG_LIMIT_DEPTH = 1u << 0,
    SG_LIMIT_PARTS = 1u << 1,
    SG_LIMIT_SIZE = 1u << 2,
    SG_LIMIT_TEXT = 1u << 3,
    SG_LIMIT_HTML = 1u << 4,        /* the HTML parser gave up; the rest read by tag stripping */
    SG_LIMIT_REGEX = 1u << 5,       /* a pcre2 match, depth or JIT stack limit */
    SG_LIMIT_ATTACHMENT = 1u << 6,  /* attachment bytes cut at attachment_keep */
    SG_LIMIT_TIME = 1u << 7,        /* the evaluation ran out of its time budget */
    SG_LIMIT_MEMORY = 1u << 8,      /* the evaluation ran out of its memory budget */
    SG_LIMIT_STRUCTURE = 1u << 9,   /* MIME structure unreadable; screened as raw text */
    SG_LIMIT_ENCRYPTED = 1u << 10,  /* a password-protected attachment: limits.on_encrypted */
    SG_LIMIT_EXTRACT = 1u << 11,    /* an attachment's extraction budget ran out */
    SG_LIMIT_UNREADABLE = 1u << 12, /* an attachment could not be read as its type */
    SG_LIMIT_IMAGE = 1u << 13,      /* an image went unread for an image limit (pixels, count, time) */
};
#define SG_LIMIT_ALL ((1u << 14) - 1)

/* "depth,parts" for the set bits of an sg_limit_flag mask ("-" when none). */
void sg_limit_names(unsigned bits, char *out, size_t outlen);

struct sg_message_limits {
    size_t max_message_size;
    size_t max_depth;
    size_t max_parts;
    size_t max_text_bytes;          /* decoded text kept for scanning */
    size_t max_attachment_keep;     /* decoded bytes kept per attachment */
    bool decode_attachments;        /* some rule reads attachment bytes */
    bool html_images;               /* list data: URI pictures in HTML parts as attachments (image rules) */
};

struct sg_message {
    char *subject;              /* decoded UTF-8, "" when absent */
    char *from_header;          /* first From: mailbox address, or NULL */
    char *message_id;           /* without <>, or NULL */
    bool is_reply;              /* In-Reply-To or References present */
    char **header_rcpts;        /* To, Cc, Bcc mailbox addresses */
    struct sg_text_part *parts;
    size_t nparts;
    struct sg_attachment *atts;
    size_t natts;
    unsigned limits_hit;        /* enum sg_limit_flag bits */
    size_t raw_size;
};

void sg_message_init_library(void);
void sg_message_default_limits(struct sg_message_limits *lim);

/* Parse from memory or from a file descriptor (read from offset 0).
 * parse_mem always returns a message: malformed MIME yields whatever
 * GMime could recover plus the raw text it could not place, and input
 * without headers is all body. parse_fd returns NULL only when the file
 * cannot be read (err says why). */
struct sg_message *sg_message_parse_mem(const char *buf, size_t len,
                                        const struct sg_message_limits *lim,
                                        char *err, size_t errlen);
struct sg_message *sg_message_parse_fd(int fd, const struct sg_message_limits *lim,
                                       char *err, size_t errlen);
void sg_message_free(struct sg_message *m);

void sg_envelope_clear(struct sg_envelope *e);

/* Reduces HTML to text with libxml2's HTML parser: scripts and styles
 * dropped, entities decoded, block elements become line breaks. */
char *sg_html_to_text(const char *html, size_t len, size_t *out_len);
/* The same, and *fell_back set when libxml2 could not read the whole
 * document (too deep, too many tags, no memory) so that the text came
 * from sg_html_strip instead: the caller's SG_LIMIT_HTML. */
char *sg_html_text(const char *html, size_t len, size_t *out_len, bool *fell_back);
/* Text by tag stripping alone: tags, comments, scripts and styles
 * dropped, common entities decoded, alt and href values kept. Also reads
 * text/enriched and text/richtext. */
char *sg_html_strip(const char *html, size_t len, size_t *out_len);

/* Names the real type of a blob from its first bytes (and its name for
 * OOXML containers). Returns a static string. */
const char *sg_sniff_type(const unsigned char *data, size_t len, const char *filename);
/* UTF-16 text, with or without a byte order mark ("Unicode text" from
 * Excel and Notepad): 1 little-endian, 2 big-endian, 0 not UTF-16. */
int sg_sniff_utf16(const unsigned char *data, size_t len);
/* A malloc'd UTF-8 copy of bytes in charset: a BOM or UTF-16 layout
 * outranks an 8-bit label, and unknown or wrong labels fall back to
 * windows-1252, then ISO-8859-1. */
char *sg_mime_to_utf8(const char *bytes, size_t len, const char *charset, size_t *out_len);

#endif
