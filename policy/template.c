/*
 * template.c - policy texts with {variables}: parsed at load, expanded
 * per message with every value made safe for where it lands.
 *
 * The values are the held mail's own subject, sender and evidence, so a
 * sender controls them: a subject of "x\r\nBcc: y" must stay one line of
 * the notice's Subject, never become a field of its own. Encoding and
 * folding are GMime's; nothing here writes RFC 2047 by hand.
 */
#include <glib.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sg_config.h"
#include "sg_template.h"
#include "sg_util.h"

static const char *const var_names[SG_TV_COUNT] = {
    [SG_TV_RULE] = "rule", [SG_TV_CITE] = "cite", [SG_TV_EXPLAIN] = "explain",
    [SG_TV_ADVICE] = "advice", [SG_TV_DSL] = "dsl", [SG_TV_SUBJECT] = "subject",
    [SG_TV_SENDER] = "sender", [SG_TV_RECIPIENTS] = "recipients", [SG_TV_EVENT_ID] = "event_id",
    [SG_TV_SCHOOL] = "school", [SG_TV_EVIDENCE] = "evidence",
    [SG_TV_RELEASE_COMMAND] = "release_command", [SG_TV_DISCARD_COMMAND] = "discard_command",
    [SG_TV_ACTION] = "action", [SG_TV_CATEGORIES] = "categories", [SG_TV_QUEUE_ID] = "queue_id",
    [SG_TV_DATE] = "date", [SG_TV_MESSAGE_ID] = "message_id",
};

/* Built by the notice code itself, one entry a line; only these keep
 * line breaks, and only in body text. */
static bool multiline(enum sg_tvar v)
{
    return v == SG_TV_EVIDENCE;
}

#define MAX_VALUE 4000           /* bytes of one value in body text */
#define MAX_HEADER 900           /* bytes of a header's value before encoding */

struct seg {
    bool is_var;
    enum sg_tvar var;
    char *lit;
};

struct sg_template {
    char *source;
    struct seg *segs;
    size_t nsegs;
};

const char *sg_template_var_name(enum sg_tvar v)
{
    return v < SG_TV_COUNT ? var_names[v] : "?";
}

const char *sg_template_var_list(void)
{
    static char list[400];
    if (!list[0]) {
        size_t off = 0;
        for (int i = 0; i < SG_TV_COUNT && off < sizeof(list); i++)
            off += (size_t)g_snprintf(list + off, sizeof(list) - off, "%s{%s}", i ? ", " : "", var_names[i]);
    }
    return list;
}

const char *sg_template_source(const struct sg_template *t)
{
    return t ? t->source : "";
}

static void add_seg(struct sg_template *t, bool is_var, enum sg_tvar var, const char *lit, size_t n)
{
    if (!is_var && !n)
        return;
    t->segs = sg_xrealloc(t->segs, (t->nsegs + 1) * sizeof(*t->segs));
    t->segs[t->nsegs++] = (struct seg){.is_var = is_var, .var = var, .lit = is_var ? NULL : sg_xstrndup(lit, n)};
}

void sg_template_free(struct sg_template *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nsegs; i++)
        free(t->segs[i].lit);
    free(t->segs);
    free(t->source);
    free(t);
}

struct sg_template *sg_template_parse(const char *text, char **err, size_t *err_off)
{
    struct sg_template *t = sg_xcalloc(1, sizeof(*t));
    t->source = sg_xstrdup(text);
    struct sg_buf lit = {0};
    const char *s = text;
    while (*s) {
        /* "{{" and "}}" are a literal brace, so a text can show one. */
        if ((s[0] == '{' && s[1] == '{') || (s[0] == '}' && s[1] == '}')) {
            sg_buf_append(&lit, s, 1);
            s += 2;
            continue;
        }
        if (*s == '}') {
            *err = sg_xstrdup("a \"}\" without its \"{\" (write \"}}\" for a brace)");
            *err_off = (size_t)(s - text);
            goto fail;
        }
        if (*s != '{') {
            sg_buf_append(&lit, s, 1);
            s++;
            continue;
        }
        size_t n = strcspn(s + 1, "{}");
        if (s[1 + n] != '}') {
            *err = sg_xstrdup("a \"{\" that is never closed (write \"{{\" for a brace)");
            *err_off = (size_t)(s - text);
            goto fail;
        }
        int var = -1;
        for (int i = 0; i < SG_TV_COUNT; i++)
            if (strlen(var_names[i]) == n && !strncmp(var_names[i], s + 1, n))
                var = i;
        if (var < 0) {
            struct sg_buf e = {0};
            sg_buf_printf(&e, "unknown template variable {%.*s} (known: %s)", (int)(n > 60 ? 60 : n), s + 1,
                          sg_template_var_list());
            *err = sg_buf_steal(&e);
            *err_off = (size_t)(s - text);
            goto fail;
        }
        add_seg(t, false, 0, lit.data, lit.len);
        lit.len = 0;
        add_seg(t, true, (enum sg_tvar)var, NULL, 0);
        s += n + 2;
    }
    add_seg(t, false, 0, lit.data, lit.len);
    sg_buf_free(&lit);
    return t;
fail:
    sg_buf_free(&lit);
    sg_template_free(t);
    return NULL;
}

/* Cuts b back to at most max bytes without splitting a UTF-8 sequence. */
static void cut_utf8(struct sg_buf *b, size_t max)
{
    if (b->len <= max)
        return;
    size_t n = max;
    while (n && ((unsigned char)b->data[n] & 0xC0) == 0x80)
        n--;
    b->len = n;
    b->data[n] = '\0';
}

/* Appends value to out with every control character made a space: C0,
 * DEL, C1 (U+0080..U+009F) and the Unicode line and paragraph separators.
 * keep_lf keeps LF (CR is always dropped). Invalid UTF-8 is replaced. */
static void append_clean(struct sg_buf *out, const char *value, bool keep_lf, size_t max)
{
    char *valid = g_utf8_make_valid(value, -1);
    size_t start = out->len;
    for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c == '\r')
            continue;
        if (c == '\n' && keep_lf) {
            sg_buf_append(out, "\n", 1);
            continue;
        }
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029) {
            sg_buf_append(out, " ", 1);
            continue;
        }
        sg_buf_append(out, p, (size_t)(g_utf8_next_char(p) - p));
    }
    g_free(valid);
    sg_buf_append(out, "", 0);
    if (out->len - start > max) {
        struct sg_buf tail = {.data = out->data + start, .len = out->len - start, .cap = 0};
        cut_utf8(&tail, max);
        out->len = start + tail.len;
        out->data[out->len] = '\0';
    }
}

char *sg_template_flatten(const char *value, size_t max)
{
    struct sg_buf raw = {0}, out = {0};
    append_clean(&raw, value ? value : "", false, (size_t)-1);
    sg_buf_append(&out, "", 0);
    bool space = true;               /* drops leading white space */
    for (size_t i = 0; i < raw.len; i++) {
        bool ws = raw.data[i] == ' ' || raw.data[i] == '\t';
        if (ws && space)
            continue;
        sg_buf_append(&out, ws ? " " : raw.data + i, 1);
        space = ws;
    }
    while (out.len && out.data[out.len - 1] == ' ')
        out.data[--out.len] = '\0';
    cut_utf8(&out, max);
    sg_buf_free(&raw);
    return sg_buf_steal(&out);
}

char *sg_template_expand_text(const struct sg_template *t, const struct sg_tvalues *vals)
{
    struct sg_buf b = {0};
    sg_buf_append(&b, "", 0);
    for (size_t i = 0; t && i < t->nsegs; i++) {
        const struct seg *sg = &t->segs[i];
        if (!sg->is_var) {
            append_clean(&b, sg->lit, true, (size_t)-1);
            continue;
        }
        const char *v = vals ? vals->v[sg->var] : NULL;
        append_clean(&b, v ? v : "", multiline(sg->var), MAX_VALUE);
    }
    return sg_buf_steal(&b);
}

static bool is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

char *sg_template_expand_header(const struct sg_template *t, const char *name, const struct sg_tvalues *vals)
{
    char *text = sg_template_expand_text(t, vals);
    char *flat = sg_template_flatten(text, MAX_HEADER);
    free(text);
    char *enc = NULL;
    if (!is_ascii(flat))
        enc = g_mime_utils_header_encode_text(NULL, flat, "utf-8");
    struct sg_buf line = {0};
    sg_buf_printf(&line, "%s: %s", name, enc ? enc : flat);
    g_free(enc);
    free(flat);
    char *folded = g_mime_utils_unstructured_header_fold(NULL, NULL, line.data);
    sg_buf_free(&line);
    struct sg_buf out = {0};
    /* GMime folds with "\n" plus white space; make sure of the one final LF. */
    sg_buf_puts(&out, folded ? folded : "");
    g_free(folded);
    while (out.len && (out.data[out.len - 1] == '\n' || out.data[out.len - 1] == '\r'))
        out.data[--out.len] = '\0';
    sg_buf_puts(&out, "\n");
    return sg_buf_steal(&out);
}

/* Where in the policy file byte off of a scalar's text is: exact for a
 * one-line scalar, by line for a multi-line one. */
/* Leading spaces of one line of the policy file: a block scalar's text
 * does not say how deep it was indented. */
static unsigned indent_of(const char *file, unsigned line)
{
    FILE *fp = file ? fopen(file, "r") : NULL;
    if (!fp)
        return 0;
    char buf[4096];
    unsigned n = 0, l = 0;
    while (fgets(buf, sizeof(buf), fp))
        if (++l == line) {
            n = (unsigned)strspn(buf, " ");
            break;
        }
    fclose(fp);
    return n;
}

static void scalar_position(const char *file, const yaml_node_t *node, const char *text, size_t off,
                            unsigned *line, unsigned *col)
{
    unsigned l = (unsigned)node->start_mark.line + 1;
    size_t last_nl = (size_t)-1;
    for (size_t i = 0; i < off && text[i]; i++)
        if (text[i] == '\n') {
            l++;
            last_nl = i;
        }
    bool quoted = node->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                  node->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    bool block = node->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
                 node->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
    if (block) {
        l++;                         /* the text starts below the "|", indented */
        *col = (unsigned)(off - (last_nl == (size_t)-1 ? 0 : last_nl + 1)) + 1 + indent_of(file, l);
    } else if (last_nl == (size_t)-1) {
        *col = (unsigned)node->start_mark.column + 1 + (unsigned)off + (quoted ? 1 : 0);
    } else {
        *col = (unsigned)(off - last_nl);
    }
    *line = l;
}

void sg_template_parse_field(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    const char *s = sg_cfg_scalar(cfg, node, "a template");
    if (!s)
        return;
    char *err = NULL;
    size_t off = 0;
    struct sg_template *t = sg_template_parse(s, &err, &off);
    if (!t) {
        unsigned line, col;
        scalar_position(cfg->file, node, s, off, &line, &col);
        sg_cfg_error_at(cfg, line, col, "%s", err);
        free(err);
        return;
    }
    sg_template_free(*(struct sg_template **)field);
    *(struct sg_template **)field = t;
}
