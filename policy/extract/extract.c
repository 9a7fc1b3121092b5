/*
 * extract.c - the extractor registry and the state one attachment's
 * extraction shares: budgets left, the deadline, where inside the
 * attachment the current file is, and the caller's emit callback.
 *
 * Budget accounting lives here, not in the extractors, so a parser that
 * forgets a check still cannot emit past max_text, and a budget hit is
 * recorded even when the extractor that met it returns 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "extract_int.h"
#include "sg_message.h"

static const struct sg_extractor *const registry[] = {
    &sg_extractor_text, &sg_extractor_ooxml, &sg_extractor_odf, &sg_extractor_pdf,
    &sg_extractor_zip, &sg_extractor_archive, &sg_extractor_rtf, &sg_extractor_tnef, &sg_extractor_ole, NULL,
};

const struct sg_extractor *const *sg_extractor_all(void)
{
    return registry;
}

void sg_extract_default_budget(struct sg_extract_budget *b)
{
    b->max_text = 2u << 20;
    b->max_input = 64u << 20;
    b->max_entries = 2000;
    b->max_depth = 3;
    b->max_ratio = 200;
    b->max_seconds = 10;
}

const struct sg_extract_budget *sg_extract_budget_of(const struct sg_extract_ctx *x)
{
    return &x->b;
}

static const struct sg_extractor *find(const char *type)
{
    for (size_t i = 0; type && registry[i]; i++)
        for (size_t t = 0; registry[i]->types[t]; t++)
            if (!strcmp(registry[i]->types[t], type))
                return registry[i];
    return NULL;
}

bool sg_extract_in_time(struct sg_extract_ctx *x)
{
    if (x->stopped)
        return false;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > x->deadline.tv_sec ||
        (now.tv_sec == x->deadline.tv_sec && now.tv_nsec >= x->deadline.tv_nsec)) {
        x->status |= SG_EXTRACT_BUDGET;
        return false;
    }
    return true;
}

bool sg_extract_going(struct sg_extract_ctx *x)
{
    return !x->stopped && !(x->status & SG_EXTRACT_BUDGET) && sg_extract_in_time(x);
}

bool sg_extract_take(struct sg_extract_ctx *x, size_t bytes, bool entry)
{
    if (x->stopped)
        return false;
    if (bytes > x->input_left || (entry && !x->entries_left)) {
        x->input_left = 0;
        x->status |= SG_EXTRACT_BUDGET;
        return false;
    }
    x->input_left -= bytes;
    if (entry)
        x->entries_left--;
    return true;
}

unsigned sg_extract_enter(struct sg_extract_ctx *x, unsigned depth, bool count)
{
    if (depth + 1 >= x->b.max_depth)
        return SG_EXTRACT_DEPTH;
    if (count && !sg_extract_take(x, 0, true))
        return SG_EXTRACT_BUDGET;
    return 0;
}

/* prefix ", " where, or either alone. */
static char *join_where(const char *prefix, const char *where)
{
    if (!prefix)
        return where ? sg_xstrdup(where) : NULL;
    if (!where)
        return sg_xstrdup(prefix);
    struct sg_buf b = {0};
    sg_buf_printf(&b, "%s, %s", prefix, where);
    return sg_buf_steal(&b);
}

/* The longest prefix of text, at most max bytes, that does not end
 * inside a UTF-8 sequence. */
static size_t utf8_cut(const char *text, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
        n--;
    return n;
}

bool sg_extract_text(struct sg_extract_ctx *x, const char *where, const char *text, size_t len)
{
    if (x->stopped || (x->status & SG_EXTRACT_BUDGET))
        return false;
    size_t n = utf8_cut(text, len, x->text_left);
    bool cut = n < len;
    x->text_left -= n;
    bool more = true;
    if (n) {
        char *w = join_where(x->prefix, where);
        more = x->emit(x->emit_ctx, w, text, n);
        free(w);
        if (!more)
            x->stopped = true;
    }
    if (cut) {
        x->status |= SG_EXTRACT_BUDGET;
        return false;
    }
    return more;
}

static unsigned run(struct sg_extract_ctx *x, const struct sg_extractor *e, const char *type,
                    const unsigned char *data, size_t len, const char *where, unsigned depth)
{
    char *saved = x->prefix;
    const char *saved_type = x->type;
    x->prefix = join_where(saved, where);
    x->type = type;
    unsigned rc = e->run(data, len, x->prefix, depth, x);
    free(x->prefix);
    x->prefix = saved;
    x->type = saved_type;
    return rc;
}

unsigned sg_extract_nested(struct sg_extract_ctx *x, const unsigned char *data, size_t len,
                           const char *name, const char *where, unsigned depth)
{
    if (depth >= x->b.max_depth)
        return SG_EXTRACT_DEPTH;
    if (!sg_extract_going(x))
        return 0;
    const char *type = sg_sniff_type(data, len, name);
    const struct sg_extractor *e = find(type);
    return e ? run(x, e, type, data, len, where, depth) : 0;
}

void sg_extract_ctx_init(struct sg_extract_ctx *x, const struct sg_extract_budget *b, sg_extract_emit emit,
                         void *ctx)
{
    memset(x, 0, sizeof(*x));
    x->emit = emit;
    x->emit_ctx = ctx;
    if (b)
        x->b = *b;
    else
        sg_extract_default_budget(&x->b);
    x->text_left = x->b.max_text;
    x->input_left = x->b.max_input;
    x->entries_left = x->b.max_entries;
    clock_gettime(CLOCK_MONOTONIC, &x->deadline);
    double secs = x->b.max_seconds > 0 ? x->b.max_seconds : 0;
    time_t whole = (time_t)secs;
    long frac = (long)((secs - (double)whole) * 1e9);
    x->deadline.tv_sec += whole;
    x->deadline.tv_nsec += frac;
    if (x->deadline.tv_nsec >= 1000000000L) {
        x->deadline.tv_sec++;
        x->deadline.tv_nsec -= 1000000000L;
    }
}

unsigned sg_extract_attachment(const unsigned char *data, size_t len, const char *sniffed,
                               const char *filename, const struct sg_extract_budget *b,
                               sg_extract_emit emit, void *ctx)
{
    struct sg_extract_ctx x;
    sg_extract_ctx_init(&x, b, emit, ctx);
    if (!data || !len)
        return SG_EXTRACT_OK;
    const char *type = sniffed ? sniffed : sg_sniff_type(data, len, filename);
    const struct sg_extractor *e = find(type);
    unsigned rc = e ? run(&x, e, type, data, len, NULL, 0) : SG_EXTRACT_OK;
    return rc | x.status;
}

void sg_extract_status_names(unsigned bits, char *out, size_t outlen)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        {SG_EXTRACT_ENCRYPTED, "encrypted"}, {SG_EXTRACT_BUDGET, "budget"},
        {SG_EXTRACT_DEPTH, "depth"}, {SG_EXTRACT_MALFORMED, "malformed"},
    };
    if (!outlen)
        return;
    out[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!(bits & names[i].bit))
            continue;
        int n = snprintf(out + used, outlen - used, "%s%s", used ? "," : "", names[i].name);
        if (n < 0 || (size_t)n >= outlen - used)
            return;
        used += (size_t)n;
    }
    if (!used)
        snprintf(out, outlen, "-");
}

/* ---- text collection ---- */

void sg_xout_add(struct sg_xout *o, const char *s, size_t n)
{
    if (o->full || !n)
        return;
    /* A little past the budget, so the flush knows to report it. */
    size_t room = o->x->text_left + 1 > o->b.len ? o->x->text_left + 1 - o->b.len : 0;
    if (n > room) {
        n = room;
        o->full = true;
    }
    sg_buf_append(&o->b, s, n);
}

void sg_xout_puts(struct sg_xout *o, const char *s)
{
    sg_xout_add(o, s, strlen(s));
}

static bool ends_with(const struct sg_buf *b, const char *s)
{
    size_t n = strlen(s);
    return b->len >= n && !memcmp(b->data + b->len - n, s, n);
}

static void trim_sep(struct sg_xout *o)
{
    while (o->b.len && (o->b.data[o->b.len - 1] == ' ' || o->b.data[o->b.len - 1] == '\t')) {
        o->b.len--;
        o->b.data[o->b.len] = '\0';
    }
}

void sg_xout_newline(struct sg_xout *o)
{
    trim_sep(o);
    if (o->b.len && o->b.data[o->b.len - 1] != '\n')
        sg_xout_add(o, "\n", 1);
}

void sg_xout_sep(struct sg_xout *o, const char *sep)
{
    if (!o->b.len || o->b.data[o->b.len - 1] == '\n' || ends_with(&o->b, sep))
        return;
    sg_xout_puts(o, sep);
}

bool sg_xout_flush(struct sg_xout *o, const char *where)
{
    trim_sep(o);
    size_t i = 0;
    while (i < o->b.len && (o->b.data[i] == ' ' || o->b.data[i] == '\n' || o->b.data[i] == '\t'))
        i++;
    bool more = true;
    if (i < o->b.len)
        more = sg_extract_text(o->x, where, o->b.data + i, o->b.len - i);
    o->b.len = 0;
    if (o->b.data)
        o->b.data[0] = '\0';
    if (o->full) {
        o->x->status |= SG_EXTRACT_BUDGET;
        more = false;
    }
    o->full = false;
    return more && sg_extract_going(o->x);
}

void sg_xout_free(struct sg_xout *o)
{
    sg_buf_free(&o->b);
}
