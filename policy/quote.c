/*
 * quote.c - tells what the member of staff wrote from the history below it.
 *
 * Works on a part's decoded text before normalisation, because the marks
 * are line marks: "> " prefixes, an "On ... wrote:" attribution, Outlook's
 * "From: / Sent: / To: / Subject:" block or "-----Original Message-----",
 * and the forwarding banners of Gmail, Apple Mail and Thunderbird.
 *
 * Reply history is the words of the people written back to, so content
 * rules leave it alone. What a member of staff forwards is passed on by
 * them (002: "must not upload, post, forward ... pornographic material"),
 * so forwarded history is kept apart but still counts. Whether history
 * below an Outlook block is a reply or a forward is only said by the
 * Subject ("FW:"), which the caller passes in.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "sg_quote.h"

struct line {
    const char *s;
    size_t len;               /* without the line break */
};

static const char *skip_blank(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    return s;
}

static bool starts_ci(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    return len >= n && !strncasecmp(s, word, n);
}

static bool is_quote_line(struct line l)
{
    const char *p = skip_blank(l.s, l.s + l.len);
    return p < l.s + l.len && *p == '>';
}

/* "On Tue, 3 Nov 2026 at 09:12, Karen Clarke <k@x> wrote:" possibly
 * wrapped onto a second line by the client, so the caller also tries the
 * line joined with its successor. */
static bool is_attribution(const char *s, size_t len)
{
    const char *end = s + len, *p = skip_blank(s, end);
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    size_t n = (size_t)(end - p);
    if (n < 10 || n > 300 || end[-1] != ':')
        return false;
    static const char *const tails[] = {"wrote:", "writes:", "a écrit :", "a écrit:", "schrieb:", NULL};
    bool tail = false;
    for (size_t i = 0; tails[i] && !tail; i++) {
        size_t t = strlen(tails[i]);
        tail = n >= t && !strncasecmp(end - t, tails[i], t);
    }
    return tail && (starts_ci(p, n, "on ") || starts_ci(p, n, "le ") || starts_ci(p, n, "am ") ||
                    memchr(p, '@', n) || memchr(p, ',', n));
}

/* How many lines (1 or 2) an attribution starting at line i spans; 0 when
 * line i does not start one. */
static size_t attribution_lines(const struct line *lines, size_t i, size_t n)
{
    if (is_quote_line(lines[i]) || !lines[i].len)
        return 0;
    if (is_attribution(lines[i].s, lines[i].len))
        return 1;
    /* Wrapped: only an "On ..." opening starts one over two lines. */
    const char *p = skip_blank(lines[i].s, lines[i].s + lines[i].len);
    size_t len = (size_t)(lines[i].s + lines[i].len - p);
    bool opening = starts_ci(p, len, "on ") || starts_ci(p, len, "le ") || starts_ci(p, len, "am ");
    if (opening && i + 1 < n && lines[i + 1].len &&
        is_attribution(lines[i].s, (size_t)(lines[i + 1].s + lines[i + 1].len - lines[i].s)))
        return 2;
    return 0;
}

/* Outlook writes the old message's headers in a block: "From:" and within
 * the next few lines "Sent:" or "Date:", and "To:" or "Subject:". */
static bool is_header_block(const struct line *lines, size_t i, size_t n)
{
    const char *p = skip_blank(lines[i].s, lines[i].s + lines[i].len);
    size_t len = (size_t)(lines[i].s + lines[i].len - p);
    if (!starts_ci(p, len, "from:"))
        return false;
    bool when = false, whom = false;
    for (size_t j = i + 1; j < n && j <= i + 5; j++) {
        const char *q = skip_blank(lines[j].s, lines[j].s + lines[j].len);
        size_t ql = (size_t)(lines[j].s + lines[j].len - q);
        when |= starts_ci(q, ql, "sent:") || starts_ci(q, ql, "date:");
        whom |= starts_ci(q, ql, "to:") || starts_ci(q, ql, "subject:");
    }
    return when && whom;
}

static bool is_banner(struct line l, bool *forward)
{
    const char *p = skip_blank(l.s, l.s + l.len);
    size_t len = (size_t)(l.s + l.len - p);
    while (len && p[0] == '-')
        p++, len--;
    p = skip_blank(p, p + len);
    len = (size_t)(l.s + l.len - p);
    if (starts_ci(p, len, "forwarded message") || starts_ci(p, len, "begin forwarded message") ||
        starts_ci(p, len, "original message follows") || starts_ci(p, len, "forwarded by")) {
        *forward = true;
        return true;
    }
    if (starts_ci(p, len, "original message")) {
        *forward = false;
        return true;
    }
    return false;
}

static bool subject_starts(const char *subject, const char *const *marks)
{
    if (!subject)
        return false;
    while (*subject == ' ' || *subject == '\t')
        subject++;
    for (size_t i = 0; marks[i]; i++)
        if (!strncasecmp(subject, marks[i], strlen(marks[i])))
            return true;
    return false;
}

bool sg_quote_subject_forwards(const char *subject)
{
    static const char *const marks[] = {"fw:", "fwd:", "fw :", "fwd :", "tr:", "wg:", NULL};
    return subject_starts(subject, marks);
}

bool sg_quote_subject_replies(const char *subject)
{
    static const char *const marks[] = {"re:", "re :", "aw:", "antw:", "sv:", "r:", NULL};
    return subject_starts(subject, marks);
}

static void push(struct sg_quote_span **v, size_t *n, size_t *cap, size_t off, size_t len, enum sg_quote_kind k)
{
    if (!len)
        return;
    if (*n && (*v)[*n - 1].kind == k && (*v)[*n - 1].off + (*v)[*n - 1].len == off) {
        (*v)[*n - 1].len += len;
        return;
    }
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *v = sg_xrealloc(*v, *cap * sizeof(**v));
    }
    (*v)[(*n)++] = (struct sg_quote_span){off, len, k};
}

struct sg_quote_span *sg_quote_split(const char *text, size_t len, bool forwarding, bool replying,
                                     size_t *nspans)
{
    /* Lines, with their breaks kept in the spans so they cover the text. */
    size_t nlines = 0, lcap = 0;
    struct line *lines = NULL;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t l = nl ? (size_t)(nl - (text + i)) : len - i;
        if (nlines == lcap) {
            lcap = lcap ? lcap * 2 : 64;
            lines = sg_xrealloc(lines, lcap * sizeof(*lines));
        }
        lines[nlines++] = (struct line){text + i, l && text[i + l - 1] == '\r' ? l - 1 : l};
        i += l + (nl ? 1 : 0);
    }

    struct sg_quote_span *spans = NULL;
    size_t n = 0, cap = 0;
    /* Once history has begun, everything after it is history: replies and
     * forwards put the older message below the new one. */
    enum sg_quote_kind rest = SG_QUOTE_OWN;
    /* "> " lines are history only below a mark a mail client writes (an
     * attribution, a header block, a banner): every client writes one, and
     * "> " lines above it are the sender dressing their own words. */
    bool attributed = false;
    for (size_t i = 0; i < nlines; i++) {
        size_t off = (size_t)(lines[i].s - text);
        size_t end = i + 1 < nlines ? (size_t)(lines[i + 1].s - text) : len;
        enum sg_quote_kind k = rest;
        if (rest == SG_QUOTE_OWN) {
            bool fwd = false;
            if (is_banner(lines[i], &fwd)) {
                rest = fwd || forwarding ? SG_QUOTE_FORWARDED : SG_QUOTE_REPLY;
            } else if (is_header_block(lines, i, nlines)) {
                rest = forwarding ? SG_QUOTE_FORWARDED : SG_QUOTE_REPLY;
            } else if (attribution_lines(lines, i, nlines)) {
                attributed = true;
                /* Interleaved replies answer below "> " lines: there the
                 * marks say what is quoted, line by line. Without them
                 * (HTML mail, top posting) the rest is history. */
                size_t j = i + attribution_lines(lines, i, nlines);
                while (j < nlines && !lines[j].len)
                    j++;
                bool marked = j < nlines && is_quote_line(lines[j]);
                k = forwarding ? SG_QUOTE_FORWARDED : SG_QUOTE_REPLY;
                if (!marked)
                    rest = k;
            }
            if (rest != SG_QUOTE_OWN)
                k = rest;
            else if (attributed && is_quote_line(lines[i]))
                k = forwarding ? SG_QUOTE_FORWARDED : SG_QUOTE_REPLY;
        }
        /* "> " dressing on a new message hides nothing: no reply, no
         * reply history. */
        if (k == SG_QUOTE_REPLY && !replying)
            k = SG_QUOTE_OWN;
        push(&spans, &n, &cap, off, end - off, k);
    }
    free(lines);
    *nspans = n;
    return spans;
}
