/*
 * segment.c - the scanned text of one message, as labelled segments.
 *
 * Content rules look at one normalised buffer (one Hyperscan pass serves
 * every rule), but evidence must say where a match was, and a rule must
 * tell the member of staff's words from the history they reply to. So
 * the buffer is built segment by segment: the subject, each body part cut
 * into own words / reply history / forwarded history (quote.c), forwarded
 * messages, attachment names, and the text of each attachment from its
 * extractor (policy/extract/), page or sheet by page or sheet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "sg_detector.h"
#include "sg_extract.h"
#include "sg_quote.h"
#include "sg_segment.h"
#include "sg_text.h"

static bool add_segment(struct sg_scantext *st, const char *raw, size_t len, enum sg_seg_source src,
                        unsigned index, const char *label, bool quoted)
{
    size_t off = st->text.len;
    if (!sg_text_normalise(raw, len, &st->text))
        return false;
    if (st->text.len == off)
        return true;                 /* nothing left after normalising */
    sg_buf_append(&st->text, "\n", 1);
    if (st->nsegs == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 16;
        st->segs = sg_xrealloc(st->segs, st->cap * sizeof(*st->segs));
    }
    st->segs[st->nsegs++] = (struct sg_segment){
        .source = src, .index = index, .label = label, .off = off, .len = st->text.len - off, .quoted = quoted,
    };
    return true;
}

static const char *keep_label(struct sg_scantext *st, char *label)
{
    st->labels = sg_strv_push(st->labels, label);
    free(label);
    return st->labels[sg_strv_len(st->labels) - 1];
}

/* One body part: own words, then history as the quote marks say. */
static bool add_part(struct sg_scantext *st, const struct sg_text_part *part, unsigned index, bool forwarding,
                     bool replying, size_t len)
{
    enum sg_seg_source src = part->from_headers ? SG_SEG_HEADERS
                             : part->forwarded || part->forwarded_subject ? SG_SEG_FORWARDED : SG_SEG_BODY;
    unsigned idx = part->forwarded ? part->forwarded - 1 : index;
    if (src != SG_SEG_BODY)
        return add_segment(st, part->text, len, src, idx, NULL, false);
    size_t n = 0;
    struct sg_quote_span *spans = sg_quote_split(part->text, len, forwarding, replying, &n);
    bool ok = true;
    unsigned forwarded_blocks = 0;
    for (size_t i = 0; i < n && ok; i++) {
        const struct sg_quote_span *sp = &spans[i];
        if (sp->kind == SG_QUOTE_FORWARDED)
            ok = add_segment(st, part->text + sp->off, sp->len, SG_SEG_FORWARDED, forwarded_blocks++, NULL, false);
        else
            ok = add_segment(st, part->text + sp->off, sp->len, SG_SEG_BODY, idx, NULL, sp->kind == SG_QUOTE_REPLY);
    }
    free(spans);
    return ok;
}

struct extract_emit {
    struct sg_scantext *st;
    const char *name;
    unsigned index;
    bool failed;
};

static bool on_extracted(void *ctx_, const char *where, const char *text, size_t len)
{
    struct extract_emit *ctx = ctx_;
    struct sg_buf label = {0};
    sg_buf_printf(&label, where && *where ? "%s, %s" : "%s", ctx->name, where);
    const char *kept = keep_label(ctx->st, sg_buf_steal(&label));
    if (!add_segment(ctx->st, text, len, SG_SEG_ATTACHMENT, ctx->index, kept, false)) {
        ctx->failed = true;
        return false;
    }
    return true;
}

void sg_scantext_budget(const struct sg_limits_cfg *lim, struct sg_extract_budget *b)
{
    sg_extract_default_budget(b);
    b->max_text = lim->extract_text ? lim->extract_text : b->max_text;
    b->max_input = lim->extract_input ? lim->extract_input : b->max_input;
    b->max_entries = lim->extract_entries ? lim->extract_entries : b->max_entries;
    b->max_depth = lim->extract_depth ? (unsigned)lim->extract_depth : b->max_depth;
    b->max_ratio = lim->extract_ratio ? (unsigned)lim->extract_ratio : b->max_ratio;
    b->max_seconds = lim->extract_seconds ? (double)lim->extract_seconds : b->max_seconds;
}

static unsigned limit_of(unsigned status)
{
    unsigned l = 0;
    if (status & SG_EXTRACT_ENCRYPTED)
        l |= SG_LIMIT_ENCRYPTED;
    if (status & (SG_EXTRACT_BUDGET | SG_EXTRACT_DEPTH))
        l |= SG_LIMIT_EXTRACT;
    if (status & SG_EXTRACT_MALFORMED)
        l |= SG_LIMIT_UNREADABLE;
    return l;
}

static bool ends_with_ci(const char *s, const char *tail)
{
    size_t n = s ? strlen(s) : 0, t = strlen(tail);
    return n >= t && !strcasecmp(s + n - t, tail);
}

/* The type to extract an attachment as, NULL to skip it: a text/...
 * attachment was read as a text part already (message.c), except that a
 * spreadsheet export is read again as CSV, cells apart, so a Forename
 * and a Surname column read as the name they hold. */
static const char *attachment_type(const struct sg_attachment *a)
{
    bool declared_text = a->declared_type && !strncasecmp(a->declared_type, "text/", 5);
    bool csv = (a->declared_type && !strcasecmp(a->declared_type, "text/csv")) || ends_with_ci(a->filename, ".csv");
    if (csv && (!strcmp(a->sniffed_type, "text") || !strcmp(a->sniffed_type, "csv")))
        return "csv";
    if (declared_text && !strcmp(a->sniffed_type, "text"))
        return NULL;
    return a->sniffed_type;
}

static bool add_attachments(struct sg_scantext *st, const struct sg_policy *p, const struct sg_message *msg)
{
    struct sg_extract_budget budget;
    sg_scantext_budget(&p->limits, &budget);
    for (size_t i = 0; i < msg->natts; i++) {
        const struct sg_attachment *a = &msg->atts[i];
        if (a->filename && !add_segment(st, a->filename, strlen(a->filename), SG_SEG_FILENAME, (unsigned)i,
                                        keep_label(st, sg_xstrdup(a->filename)), false))
            return false;
        if (!p->limits.extract || !a->data || !a->data_len)
            continue;
        const char *type = attachment_type(a);
        if (!type)
            continue;
        char fallback[32];
        snprintf(fallback, sizeof(fallback), "attachment %zu", i + 1);
        struct extract_emit ctx = {st, a->filename ? a->filename : fallback, (unsigned)i, false};
        unsigned status = sg_extract_attachment(a->data, a->data_len, type, a->filename, &budget,
                                                on_extracted, &ctx);
        if (ctx.failed)
            return false;
        st->extract_status |= status;
        st->limits |= limit_of(status);
    }
    return true;
}

bool sg_scantext_build(const struct sg_policy *p, const struct sg_message *msg, struct sg_scantext *st)
{
    memset(st, 0, sizeof(*st));
    sg_buf_append(&st->text, "", 0);
    if (!add_segment(st, msg->subject, strlen(msg->subject), SG_SEG_SUBJECT, 0, NULL, false))
        return false;
    bool forwarding = sg_quote_subject_forwards(msg->subject);
    bool replying = msg->is_reply || sg_quote_subject_replies(msg->subject);
    size_t cap = p->limits.msg.max_text_bytes;
    unsigned body = 0;
    for (size_t i = 0; i < msg->nparts; i++) {
        size_t len = msg->parts[i].len;
        if (st->text.len + len > cap) {
            st->limits |= SG_LIMIT_TEXT;
            len = cap > st->text.len ? cap - st->text.len : 0;
        }
        if (!add_part(st, &msg->parts[i], body, forwarding, replying, len))
            return false;
        if (!msg->parts[i].from_headers && !msg->parts[i].forwarded && !msg->parts[i].forwarded_subject)
            body++;
        if (st->limits & SG_LIMIT_TEXT)
            break;
    }
    return add_attachments(st, p, msg);
}

void sg_scantext_free(struct sg_scantext *st)
{
    sg_buf_free(&st->text);
    free(st->segs);
    sg_strv_free(st->labels);
    memset(st, 0, sizeof(*st));
}

const struct sg_segment *sg_scan_segment_at(const struct sg_scan *scan, size_t off)
{
    if (!scan->nsegs)
        return NULL;
    size_t lo = 0, hi = scan->nsegs;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (scan->segs[mid].off <= off)
            lo = mid;
        else
            hi = mid;
    }
    return &scan->segs[lo];
}

bool sg_scan_quoted(const struct sg_scan *scan, size_t off)
{
    const struct sg_segment *s = sg_scan_segment_at(scan, off);
    return s && s->quoted;
}

/* Where segment s is, for evidence; NULL for a place outside every one. */
static void where_of(const struct sg_segment *s, struct sg_buf *out)
{
    if (!s) {
        sg_buf_puts(out, "in the message");
        return;
    }
    switch (s->source) {
    case SG_SEG_SUBJECT:
        sg_buf_puts(out, "in the subject");
        break;
    case SG_SEG_BODY:
        sg_buf_puts(out, s->quoted ? "in quoted text" : "in the message text");
        break;
    case SG_SEG_FORWARDED:
        sg_buf_printf(out, "in forwarded message %u", s->index + 1);
        break;
    case SG_SEG_HEADERS:
        sg_buf_puts(out, "in the headers");
        break;
    case SG_SEG_FILENAME:
        sg_buf_puts(out, "in an attachment's name");
        break;
    case SG_SEG_ATTACHMENT:
        /* Evidence goes to the DSL's store and safeguard-check, never to
         * syslog (a file name may name a pupil). */
        sg_buf_printf(out, "in %s", s->label ? s->label : "an attachment");
        break;
    }
}

void sg_scan_where(const struct sg_scan *scan, size_t off, struct sg_buf *out)
{
    where_of(sg_scan_segment_at(scan, off), out);
}

/* At most this many places are named; the rest are counted. */
#define WHERE_MAX 4

void sg_scan_where_all(const struct sg_scan *scan, const size_t *offs, size_t n, struct sg_buf *out)
{
    /* Places by their words: two body parts both read "in the message
     * text", and one place is named once. */
    char *place[WHERE_MAX + 1];
    size_t hits[WHERE_MAX + 1], first[WHERE_MAX + 1], nplace = 0, others = 0;
    for (size_t i = 0; i < n; i++) {
        struct sg_buf b = {0};
        where_of(sg_scan_segment_at(scan, offs[i]), &b);
        char *w = sg_buf_steal(&b);
        size_t k = 0;
        while (k < nplace && strcmp(place[k], w))
            k++;
        if (k < nplace) {
            hits[k]++;
            free(w);
        } else if (nplace < WHERE_MAX) {
            place[nplace] = w;
            hits[nplace] = 1;
            first[nplace++] = i;
        } else {
            others++;
            free(w);
        }
    }
    if (!nplace) {
        where_of(NULL, out);
        return;
    }
    /* Most hits first, so the evidence leads with where the matter is;
     * ties in the order they were found. */
    for (size_t a = 1; a < nplace; a++)
        for (size_t b = a; b > 0 && (hits[b] > hits[b - 1] || (hits[b] == hits[b - 1] && first[b] < first[b - 1]));
             b--) {
            char *p = place[b];
            size_t h = hits[b], f = first[b];
            place[b] = place[b - 1], hits[b] = hits[b - 1], first[b] = first[b - 1];
            place[b - 1] = p, hits[b - 1] = h, first[b - 1] = f;
        }
    for (size_t k = 0; k < nplace; k++) {
        const char *sep = !k ? "" : k + 1 == nplace && !others ? " and " : ", ";
        sg_buf_printf(out, "%s%s", sep, place[k]);
        free(place[k]);
    }
    if (others)
        sg_buf_puts(out, " and elsewhere");
}
