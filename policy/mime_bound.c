/*
 * mime_bound.c - how much of a raw message GMime may be given.
 *
 * GMime builds every part and every header field before our walk can
 * count them: 7 MB of empty parts became 1.3 GB of objects, 20 MB of
 * one-word header fields 2 GB. This pass only counts lines, without
 * reading any structure: a line starting with "--" may open a part, a
 * line starting with a field name and a colon may be a header field.
 * Once either count passes what the limits let the walk read, the input
 * is cut at the start of that line and the cut is recorded, so memory
 * follows max_mime_parts whatever arrives. One header field is bounded
 * in length as well. Lines are only classified, never interpreted:
 * GMime alone decides what the structure is.
 *
 * The same classification finds the lines where a NUL would cut a header
 * value short inside GMime (header values are C strings there); body
 * lines keep theirs, which UTF-16 text needs.
 */
#include <string.h>
#include "mime_int.h"

/* A field name is printable ASCII other than ':'; RFC 5322 allows blanks
 * before the colon and GMime accepts them. Names longer than this are
 * not worth the scan. */
#define SG_FIELD_NAME_MAX 128
/* Longer than any honest field: 512 KB is some 15,000 addresses. */
#define SG_FIELD_MAX (512u << 10)

static bool header_like(const char *p, const char *end)
{
    /* Most lines (base64, prose) have no colon at all: memchr says so at
     * vector speed before any byte-by-byte look. */
    if (!memchr(p, ':', (size_t)(end - p)))
        return false;
    const char *q = p;
    while (q < end && q - p < SG_FIELD_NAME_MAX && *q > ' ' && *q < 0x7f && *q != ':')
        q++;
    if (q == p)
        return false;
    while (q < end && (*q == ' ' || *q == '\t'))
        q++;
    return q < end && *q == ':';
}

/* What one line may be to GMime, told from the line alone and from
 * whether a header block is open: at the start, and after a
 * boundary-like line, until the next empty line. */
enum line_kind { LINE_BOUNDARY, LINE_EMPTY, LINE_FIELD, LINE_FOLD, LINE_HEADER_OTHER, LINE_BODY };

struct lines {
    const char *p, *next, *end;
    bool in_headers, in_field;
};

static bool next_line(struct lines *l, enum line_kind *kind)
{
    if (l->next)
        l->p = l->next;
    if (l->p >= l->end)
        return false;
    const char *p = l->p;
    const char *nl = memchr(p, '\n', (size_t)(l->end - p));
    l->next = nl ? nl + 1 : l->end;
    size_t line = (size_t)(l->next - p);
    if (line >= 2 && p[0] == '-' && p[1] == '-') {
        *kind = LINE_BOUNDARY;
        l->in_headers = true;
        l->in_field = false;
    } else if (*p == '\n' || (*p == '\r' && line == 2)) {
        *kind = LINE_EMPTY;
        l->in_headers = l->in_field = false;
    } else if (header_like(p, l->next)) {
        *kind = LINE_FIELD;
        l->in_field = true;
    } else if (l->in_field && (*p == ' ' || *p == '\t')) {
        *kind = LINE_FOLD;
    } else if (l->in_headers) {
        *kind = LINE_HEADER_OTHER;      /* GMime reads it as a field too */
        l->in_field = true;
    } else {
        *kind = LINE_BODY;
        l->in_field = false;
    }
    return true;
}

size_t sg_mime_bound(const char *buf, size_t len, const struct sg_message_limits *lim, unsigned *limits)
{
    /* Each part read needs an opening line and at most one closing line;
     * the slack is for signatures ("-- ") and rules drawn in dashes. */
    size_t max_bounds = 2 * lim->max_parts + lim->max_depth + 64;
    /* A generous number of fields per part: real mail has a few dozen
     * in all, a Received chain included. */
    size_t max_fields = 64 * lim->max_parts + 1024;
    size_t bounds = 0, fields = 0, field_len = 0;
    struct lines l = {.p = buf, .end = buf + len, .in_headers = true};
    enum line_kind kind;
    while (next_line(&l, &kind)) {
        size_t line = (size_t)(l.next - l.p);
        if (kind == LINE_BOUNDARY && ++bounds > max_bounds) {
            *limits |= SG_LIMIT_PARTS;
            return (size_t)(l.p - buf);
        }
        if (kind == LINE_FIELD && ++fields > max_fields) {
            *limits |= SG_LIMIT_STRUCTURE;
            return (size_t)(l.p - buf);
        }
        field_len = kind == LINE_FOLD ? field_len + line : kind == LINE_FIELD || kind == LINE_HEADER_OTHER ? line : 0;
        /* GMime grows its header buffer a line at a time: a field of
         * megabytes costs time in its square where realloc must copy. The
         * cut falls before the line, so no field GMime sees is longer. */
        if (field_len > SG_FIELD_MAX) {
            *limits |= SG_LIMIT_STRUCTURE;
            return (size_t)(l.p - buf);
        }
    }
    return len;
}

void sg_mime_header_nuls(char *buf, size_t len)
{
    struct lines l = {.p = buf, .end = buf + len, .in_headers = true};
    enum line_kind kind;
    while (next_line(&l, &kind)) {
        if (kind == LINE_BODY || kind == LINE_EMPTY)
            continue;
        for (char *p = (char *)l.p; (p = memchr(p, '\0', (size_t)(l.next - p))); p++)
            *p = ' ';
    }
}
