/*
 * mime_uu.c - files uuencoded into a plain-text body ("begin 644
 * notes.txt" ... "end"), as old mailers and some scripts still send them.
 * Thunderbird and Outlook show such a block as an attachment, so it is
 * one here too; GMime's decoder does the decoding.
 */
#include <stdlib.h>
#include <string.h>
#include "mime_int.h"
#include "sg_util.h"

/* "begin" SP 3-4 octal digits SP name, at text[0]; the name's span. */
static bool begin_line(const char *s, const char *end, const char **name, size_t *nlen)
{
    if (end - s < 11 || memcmp(s, "begin ", 6))
        return false;
    const char *p = s + 6;
    int digits = 0;
    while (p < end && *p >= '0' && *p <= '7' && digits < 5)
        p++, digits++;
    if ((digits != 3 && digits != 4) || p >= end || *p != ' ')
        return false;
    const char *n = ++p;
    while (p < end && *p != '\n' && *p != '\r')
        p++;
    if (p == n)
        return false;
    *name = n;
    *nlen = (size_t)(p - n);
    return true;
}

size_t sg_mime_uu_blocks(const char *text, size_t len, size_t max_bytes, sg_mime_uu_found found, void *u)
{
    const char *end = text + len;
    size_t blocks = 0;
    for (const char *line = text; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        const char *next = eol ? eol + 1 : end;
        const char *name;
        size_t nlen;
        if (!begin_line(line, end, &name, &nlen)) {
            line = next;
            continue;
        }
        /* The block runs to its "end" line, or to the end of the text. */
        const char *body = next, *stop = body;
        while (stop < end) {
            const char *e = memchr(stop, '\n', (size_t)(end - stop));
            size_t l = (size_t)((e ? e : end) - stop);
            if (l >= 3 && !memcmp(stop, "end", 3) && (l == 3 || stop[3] == '\r'))
                break;
            stop = e ? e + 1 : end;
        }
        size_t in = (size_t)(stop - body);
        if (in > max_bytes / 3 * 4 + 1024)
            in = max_bytes / 3 * 4 + 1024;      /* what is kept of any attachment */
        unsigned char *out = sg_xmalloc(in + 64);
        int state = GMIME_UUDECODE_STATE_BEGIN;
        guint32 save = 0;
        size_t n = g_mime_encoding_uudecode_step((const unsigned char *)body, in, out, &state, &save);
        char *fname = sg_xstrndup(name, nlen);
        if (n)
            found(u, fname, out, n > max_bytes ? max_bytes : n, n > max_bytes);
        free(fname);
        free(out);
        blocks++;
        line = stop;
    }
    return blocks;
}
