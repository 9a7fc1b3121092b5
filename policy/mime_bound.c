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
    const char *q = p;
    while (q < end && q - p < SG_FIELD_NAME_MAX && *q > ' ' && *q < 0x7f && *q != ':')
        q++;
    if (q == p)
        return false;
    while (q < end && (*q == ' ' || *q == '\t'))
        q++;
    return q < end && *q == ':';
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
    /* Where GMime would be reading a header block: at the start, and
     * after a boundary-like line, until the next empty line. */
    bool in_headers = true, in_field = false;
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *next = nl ? nl + 1 : end;
        size_t line = (size_t)(next - p);
        bool empty = line <= 2 && (*p == '\n' || (*p == '\r' && line == 2));
        bool blank_start = *p == ' ' || *p == '\t';
        if (line >= 2 && p[0] == '-' && p[1] == '-') {
            if (++bounds > max_bounds) {
                *limits |= SG_LIMIT_PARTS;
                return (size_t)(p - buf);
            }
            in_headers = true;
            in_field = false;
        } else if (empty) {
            in_headers = in_field = false;
        } else if (header_like(p, next)) {
            if (++fields > max_fields) {
                *limits |= SG_LIMIT_STRUCTURE;
                return (size_t)(p - buf);
            }
            in_field = true;
            field_len = line;
        } else if (in_field && blank_start) {
            field_len += line;          /* a folded continuation */
        } else if (in_headers) {
            in_field = true;            /* GMime reads it as a field too */
            field_len = line;
        } else {
            in_field = false;
        }
        /* GMime grows its header buffer a line at a time: a field of
         * megabytes costs time in its square where realloc must copy. The
         * cut falls before the line, so no field GMime sees is longer. */
        if (in_field && field_len > SG_FIELD_MAX) {
            *limits |= SG_LIMIT_STRUCTURE;
            return (size_t)(p - buf);
        }
        p = next;
    }
    return len;
}
