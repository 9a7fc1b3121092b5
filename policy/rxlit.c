/*
 * rxlit.c - a list regex that only spells out a few phrases, as literals.
 *
 * Most regexes in the shipped lists are alternations of words:
 * "\b(newsdesk|news desk|editor)\b", "\b(the )?northshire (gazette|echo)\b".
 * Hyperscan runs every regex of a database as an automaton beside the
 * others, and the lists' two hundred regexes cost more than their three
 * thousand literals together; the same phrases as literals cost almost
 * nothing. This reads such a pattern and lists the phrases it matches, or
 * says it is not one (a class, a repeat, a wildcard, look-around, \b inside).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "rxlit.h"
#include "sg_util.h"

struct set {
    char **v;
    size_t n;
};

struct parser {
    const char *p;
    size_t max;                  /* phrases at most */
    bool bad;
};

static void set_free(struct set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

static bool set_add(struct parser *ps, struct set *s, char *str)
{
    if (s->n >= ps->max || strlen(str) > SG_RXLIT_MAX_LEN) {
        free(str);
        ps->bad = true;
        return false;
    }
    s->v = sg_xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
    s->v[s->n++] = str;
    return true;
}

/* Every a followed by every b. */
static struct set product(struct parser *ps, struct set *a, struct set *b)
{
    struct set out = {0};
    for (size_t i = 0; i < a->n && !ps->bad; i++)
        for (size_t j = 0; j < b->n && !ps->bad; j++) {
            size_t la = strlen(a->v[i]), lb = strlen(b->v[j]);
            char *s = sg_xmalloc(la + lb + 1);
            memcpy(s, a->v[i], la);
            memcpy(s + la, b->v[j], lb + 1);
            set_add(ps, &out, s);
        }
    set_free(a);
    set_free(b);
    return out;
}

static struct set one(struct parser *ps, const char *s, size_t n)
{
    struct set out = {0};
    set_add(ps, &out, sg_xstrndup(s, n));
    return out;
}

static struct set alternation(struct parser *ps);

/* One literal character, or a group; NULL-set with ps->bad when it is
 * anything else. */
static struct set atom(struct parser *ps)
{
    unsigned char c = (unsigned char)*ps->p;
    if (c == '(') {
        ps->p++;
        if (*ps->p == '?') {
            if (ps->p[1] != ':') {
                ps->bad = true;          /* look-around, flags, named groups */
                return (struct set){0};
            }
            ps->p += 2;
        }
        struct set in = alternation(ps);
        if (*ps->p != ')')
            ps->bad = true;
        else
            ps->p++;
        return in;
    }
    if (c == '\\') {
        unsigned char e = (unsigned char)ps->p[1];
        ps->p += 2;
        if (e == 's')
            return one(ps, " ", 1);      /* the scanned text has single spaces */
        if (e && strchr(".-'\"()[]{}?*+/\\&|^$#,:;!@%=<>~", e)) {
            char ch = (char)e;
            return one(ps, &ch, 1);
        }
        ps->bad = true;                  /* \b inside, \d, \w, \x.. */
        return (struct set){0};
    }
    if (c >= 0x80 || c < 0x20 || strchr(".^$*+?{}[]|)", c)) {
        ps->bad = true;
        return (struct set){0};
    }
    ps->p++;
    char ch = (char)tolower(c);
    return one(ps, &ch, 1);
}

static struct set sequence(struct parser *ps)
{
    struct set acc = one(ps, "", 0);
    while (!ps->bad && *ps->p && *ps->p != '|' && *ps->p != ')') {
        if (ps->p[0] == '\\' && ps->p[1] == 'b') {
            ps->bad = true;              /* only at the very ends, handled by the caller */
            break;
        }
        struct set a;
        if (!strncmp(ps->p, "\\s+", 3) || !strncmp(ps->p, "\\s*", 3)) {
            /* The scanned text folds white space to one space. */
            bool may_be_none = ps->p[2] == '*';
            ps->p += 3;
            a = one(ps, " ", 1);
            if (may_be_none)
                set_add(ps, &a, sg_xstrdup(""));
            acc = product(ps, &acc, &a);
            continue;
        }
        a = atom(ps);
        if (ps->bad) {
            set_free(&a);
            break;
        }
        if (*ps->p == '?' && ps->p[1] != '?') {
            ps->p++;
            set_add(ps, &a, sg_xstrdup(""));
        } else if (*ps->p && strchr("*+{", *ps->p)) {
            ps->bad = true;
            set_free(&a);
            break;
        }
        acc = product(ps, &acc, &a);
    }
    return acc;
}

static struct set alternation(struct parser *ps)
{
    struct set out = sequence(ps);
    while (!ps->bad && *ps->p == '|') {
        ps->p++;
        struct set more = sequence(ps);
        for (size_t i = 0; i < more.n && !ps->bad; i++) {
            set_add(ps, &out, more.v[i]);
            more.v[i] = NULL;
        }
        set_free(&more);
    }
    return out;
}

static bool word_byte(unsigned char c)
{
    return isalnum(c) || c == '_' || c >= 0x80;
}

char **sg_rxlit_expand(const char *pattern, size_t max, unsigned *edges)
{
    size_t n = strlen(pattern);
    bool lead = n >= 2 && !strncmp(pattern, "\\b", 2);
    bool trail = n >= 4 && !strcmp(pattern + n - 2, "\\b") && pattern[n - 3] != '\\';
    if (lead && n == 2)
        return NULL;
    char *body = sg_xstrndup(pattern + (lead ? 2 : 0), n - (lead ? 2 : 0) - (trail ? 2 : 0));
    struct parser ps = {body, max, false};
    struct set s = alternation(&ps);
    if (*ps.p)
        ps.bad = true;                   /* an unmatched ")" */
    free(body);
    /* A word edge next to a non-word byte means something else; an empty
     * phrase matches everywhere. */
    for (size_t i = 0; i < s.n && !ps.bad; i++) {
        size_t l = strlen(s.v[i]);
        if (!l || (lead && !word_byte((unsigned char)s.v[i][0])) ||
            (trail && !word_byte((unsigned char)s.v[i][l - 1])))
            ps.bad = true;
    }
    if (ps.bad || !s.n) {
        set_free(&s);
        return NULL;
    }
    *edges = (lead ? 1u : 0u) | (trail ? 2u : 0u);
    s.v = sg_xrealloc(s.v, (s.n + 1) * sizeof(*s.v));
    s.v[s.n] = NULL;
    return s.v;
}
