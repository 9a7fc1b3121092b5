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

/* Escapes that stand for their own character. */
static const char plain_escapes[] = ".-'\"()[]{}?*+/\\&|^$#,:;!@%=<>~";

/* A class of single characters and ranges, "[1-9]", "[bfi]", "[\\d.]",
 * as one phrase a character; negated classes and \w stay regexes. */
static struct set char_class(struct parser *ps)
{
    bool seen[128] = {false};
    struct set out = {0};
    const char *q = ps->p + 1;
    if (*q == '^' || *q == ']')
        ps->bad = true;
    while (!ps->bad && *q && *q != ']') {
        unsigned char lo = (unsigned char)*q, hi;
        if (lo == '\\') {
            unsigned char e = (unsigned char)q[1];
            q += 2;
            if (e == 'd') {
                lo = '0', hi = '9';
            } else if (e == 's') {
                lo = hi = ' ';           /* single spaces, as above */
            } else if (e && strchr(plain_escapes, e)) {
                lo = hi = e;
            } else {
                ps->bad = true;
                break;
            }
            if (q[0] == '-' && q[1] != ']') {
                ps->bad = true;          /* a range from an escape */
                break;
            }
        } else if (lo < 0x20 || lo >= 0x80) {
            ps->bad = true;
            break;
        } else if (q[1] == '-' && q[2] && q[2] != ']') {
            hi = (unsigned char)q[2];
            q += 3;
            if (hi < lo || hi >= 0x80 || !isalnum(lo) || !isalnum(hi)) {
                ps->bad = true;
                break;
            }
        } else {
            hi = lo;
            q++;
        }
        for (unsigned ch = lo; ch <= hi && !ps->bad; ch++) {
            char low = (char)tolower((int)ch);
            if (!seen[(unsigned char)low]) {
                seen[(unsigned char)low] = true;
                set_add(ps, &out, sg_xstrndup(&low, 1));
            }
        }
    }
    if (*q != ']')
        ps->bad = true;
    if (ps->bad) {
        set_free(&out);
        return out;
    }
    ps->p = q + 1;
    return out;
}

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
    if (c == '[')
        return char_class(ps);
    if (c == '\\') {
        unsigned char e = (unsigned char)ps->p[1];
        ps->p += 2;
        if (e == 's')
            return one(ps, " ", 1);      /* the scanned text has single spaces */
        if (e && strchr(plain_escapes, e)) {
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

/* Length of the atom at p with its quantifier: an escape, a group, a
 * class or one byte; 0 at a top-level "|" or an unbalanced ")". */
static size_t atom_len(const char *p)
{
    size_t i = 0;
    if (p[0] == '|' || p[0] == ')')
        return 0;
    if (p[0] == '\\') {
        i = p[1] == 'x' ? 4 : 2;
    } else if (p[0] == '[') {
        i = p[1] == '^' ? 2 : 1;
        if (p[i] == ']')
            i++;
        while (p[i] && p[i] != ']')
            i += p[i] == '\\' && p[i + 1] ? 2 : 1;
        if (p[i])
            i++;
    } else if (p[0] == '(') {
        int depth = 0;
        do {
            if (p[i] == '\\' && p[i + 1]) {
                i += 2;
                continue;
            }
            if (p[i] == '[') {
                i += atom_len(p + i);
                continue;
            }
            depth += p[i] == '(' ? 1 : p[i] == ')' ? -1 : 0;
            i++;
        } while (p[i] && depth > 0);
    } else {
        i = 1;
    }
    if (p[i] == '{') {
        const char *close = strchr(p + i, '}');
        i = close ? (size_t)(close - p) + 1 : i;
    } else if (p[i] && strchr("?*+", p[i])) {
        i++;
    }
    if (p[i] && strchr("?+", p[i]) && i > 0 && strchr("?*+}", p[i - 1]))
        i++;                             /* lazy or possessive */
    return i;
}

char **sg_rxlit_tail(const char *pattern, size_t max, size_t min_len, unsigned *edges)
{
    size_t n = strlen(pattern), natoms = 0;
    size_t *at = sg_xcalloc(n + 1, sizeof(*at));
    for (size_t i = 0; i < n; natoms++) {
        size_t l = atom_len(pattern + i);
        if (!l) {
            free(at);
            return NULL;                 /* "|" at the top: no one tail */
        }
        at[natoms] = i;
        i += l;
    }
    at[natoms] = n;
    /* A look-ahead at the end matches no text: the tail ends before it. */
    size_t end = natoms;
    while (end > 0 && (!strncmp(pattern + at[end - 1], "(?=", 3) || !strncmp(pattern + at[end - 1], "(?!", 3)))
        end--;
    char **best = NULL;
    for (size_t k = end; k-- > 0;) {
        char *suffix = sg_xstrndup(pattern + at[k], at[end] - at[k]);
        unsigned e = 0;
        char **lits = sg_rxlit_expand(suffix, max, &e);
        free(suffix);
        /* A run that fails may still be finite ("s?\\b" alone spells an
         * empty phrase); one with a repeat or look-behind in it never is,
         * so the longest success is what is kept. */
        if (!lits)
            continue;
        sg_strv_free(best);
        best = lits;
        *edges = e;
    }
    free(at);
    for (size_t i = 0; best && best[i]; i++)
        if (strlen(best[i]) < min_len) {
            sg_strv_free(best);
            return NULL;
        }
    return best;
}
