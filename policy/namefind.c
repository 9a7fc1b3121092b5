/*
 * namefind.c - pupils' names from the directory, as people write them,
 * found through the shared matcher (see namefind.h).
 *
 * Forms, for each forename F (the forename and the preferred one), middle
 * names M and surname S: "F S", "F M S", "S, F", "S F" (a list's "CLARKE
 * Amelia" once case is folded) and "F. S" with F's initial. The matcher
 * finds them on word edges after normalisation; this file only decides
 * which occurrences count:
 *
 * - a form with a part that is not an ordinary word counts alone;
 * - a form whose parts are all ordinary words or places (Rose Hill), and
 *   every initial form, counts only with a second signal within near:
 *   another pupil's name that counts alone, a corroborating term (pupil, student, year 9,
 *   in my class, DOB...), or a pupil's UPN;
 * - with `with:` terms, every name needs one of them near;
 * - quoted history (the other side's words) does not count by default;
 * - display names in the headers never count: they are the addressing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include "namefind.h"
#include "sg_config.h"
#include "sg_listfile.h"
#include "sg_text.h"

enum { SIG_CONTEXT = 1, SIG_WITH = 2, SIG_UPN = 4 };

/* Said near a name, these make it a pupil's: school words, year groups,
 * the labels of a date of birth or a UPN. */
static const char *const context_terms[] = {
    "pupil", "pupils", "student", "students", "child", "children", "son", "daughter", "class", "classes",
    "classmate", "classmates", "in my class", "in our class", "class list", "form group", "tutor group",
    "year group", "register", "reception", "nursery", "dob", "d.o.b", "date of birth", "born", "upn",
    "detention", "sen", "ehcp", NULL,
};

struct name_entry {
    unsigned id;                 /* matcher pattern */
    const struct sg_person *pupil;
    bool weak;                   /* needs a second signal; initials always do */
};

struct sig_entry {
    unsigned id;
    unsigned kind;
    const struct sg_person *pupil;   /* SIG_UPN */
};

struct sg_namefind {
    const struct sg_namefind_opts *opts;
    GHashTable *ordinary;        /* normalised words */
    struct name_entry *names;
    size_t nnames, names_cap;
    struct sig_entry *sigs;
    size_t nsigs, sigs_cap;
    size_t max_len;              /* longest name or signal literal */
};

/* Normalised like the text, without surrounding spaces ("" when empty). */
static char *norm(const char *s)
{
    struct sg_buf b = {0};
    if (!sg_text_normalise(s, strlen(s), &b) || !b.data)
        return sg_xstrdup("");
    size_t lead = strspn(b.data, " "), end = b.len;
    while (end > lead && b.data[end - 1] == ' ')
        end--;
    char *out = sg_xstrndup(b.data + lead, end - lead);
    sg_buf_free(&b);
    return out;
}

/* A name part as people write it: "Fraser, Jnr" is written "Fraser". */
static char *name_part(const char *raw)
{
    static const char *const suffixes[] = {"jnr", "jr", "snr", "sr", "ii", "iii", "iv", NULL};
    char *s = norm(raw);
    char *comma = strchr(s, ',');
    if (comma)
        *comma = '\0';
    for (bool cut = true; cut;) {
        cut = false;
        size_t n = strlen(s);
        while (n && (s[n - 1] == ' ' || s[n - 1] == '.'))
            s[--n] = '\0';
        char *sp = strrchr(s, ' ');
        if (!sp)
            break;
        for (size_t i = 0; suffixes[i] && !cut; i++)
            if (!strcmp(sp + 1, suffixes[i])) {
                *sp = '\0';
                cut = true;
            }
    }
    return s;
}

/* Every word of s (split at spaces and hyphens) is an ordinary word. */
static bool ordinary(const struct sg_namefind *nf, const char *s)
{
    if (!nf->ordinary)
        return false;
    char **words = g_strsplit_set(s, " -", -1);
    bool all = true, any = false;
    for (size_t i = 0; words[i] && all; i++) {
        if (!*words[i])
            continue;
        any = true;
        all = g_hash_table_contains(nf->ordinary, words[i]);
    }
    g_strfreev(words);
    return all && any;
}

static void add_name(struct sg_namefind *nf, struct sg_matcher *m, const char *form, const struct sg_person *pupil,
                     bool weak)
{
    if (nf->nnames == nf->names_cap) {
        nf->names_cap = nf->names_cap ? nf->names_cap * 2 : 64;
        nf->names = sg_xrealloc(nf->names, nf->names_cap * sizeof(*nf->names));
    }
    unsigned id = sg_matcher_add_phrase(m, form);
    /* One pupil's forms may coincide ("clarke amelia" for two orders). */
    for (size_t i = nf->nnames; i-- > 0 && nf->names[i].pupil == pupil;)
        if (nf->names[i].id == id)
            return;
    nf->names[nf->nnames++] = (struct name_entry){id, pupil, weak};
    if (strlen(form) > nf->max_len)
        nf->max_len = strlen(form);
}

static void add_sig(struct sg_namefind *nf, struct sg_matcher *m, const char *term, unsigned kind,
                    const struct sg_person *pupil)
{
    if (nf->nsigs == nf->sigs_cap) {
        nf->sigs_cap = nf->sigs_cap ? nf->sigs_cap * 2 : 64;
        nf->sigs = sg_xrealloc(nf->sigs, nf->sigs_cap * sizeof(*nf->sigs));
    }
    nf->sigs[nf->nsigs++] = (struct sig_entry){sg_matcher_add_phrase(m, term), kind, pupil};
    if (strlen(term) > nf->max_len)
        nf->max_len = strlen(term);
}

/* The first character of a normalised name, when it is a letter. */
static size_t initial_len(const char *s)
{
    unsigned char c = (unsigned char)s[0];
    if (c >= 'a' && c <= 'z')
        return 1;
    if (c < 0xc0)
        return 0;
    size_t n = 1;
    while ((unsigned char)s[n] >= 0x80 && (unsigned char)s[n] < 0xc0)
        n++;
    return n;
}

static void add_pupil(struct sg_namefind *nf, struct sg_matcher *m, const struct sg_person *p)
{
    char *surname = name_part(p->surname ? p->surname : "");
    char *middle = norm(p->middle ? p->middle : "");
    char *fore[2] = {name_part(p->forename ? p->forename : ""), name_part(p->preferred ? p->preferred : "")};
    bool ord_s = ordinary(nf, surname), ord_m = !*middle || ordinary(nf, middle);
    for (size_t i = 0; i < 2 && *surname; i++) {
        const char *f = fore[i];
        if (!*f || (i == 1 && !strcmp(f, fore[0])))
            continue;
        bool weak = ord_s && ordinary(nf, f);
        struct sg_buf b = {0};
        sg_buf_printf(&b, "%s %s", f, surname);
        add_name(nf, m, b.data, p, weak);
        b.len = 0;
        sg_buf_printf(&b, "%s, %s", surname, f);
        add_name(nf, m, b.data, p, weak);
        b.len = 0;
        sg_buf_printf(&b, "%s %s", surname, f);
        add_name(nf, m, b.data, p, weak);
        if (*middle) {
            b.len = 0;
            sg_buf_printf(&b, "%s %s %s", f, middle, surname);
            add_name(nf, m, b.data, p, weak && ord_m);
        }
        size_t il = initial_len(f);
        if (il) {
            b.len = 0;
            sg_buf_printf(&b, "%.*s. %s", (int)il, f, surname);
            add_name(nf, m, b.data, p, true);
        }
        sg_buf_free(&b);
    }
    if (p->upn && *p->upn)
        add_sig(nf, m, p->upn, SIG_UPN, p);
    free(surname);
    free(middle);
    free(fore[0]);
    free(fore[1]);
}

static void on_word(struct sg_cfg *cfg, const char *path, unsigned line, unsigned col, const char *entry, void *ctx)
{
    (void)cfg;
    (void)path;
    (void)line;
    (void)col;
    char *w = norm(entry);
    if (*w)
        g_hash_table_add(ctx, w);
    else
        free(w);
}

struct sg_namefind *sg_namefind_new(struct sg_cfg *cfg, yaml_node_t *node, yaml_node_t *words_node,
                                    const char *key, const struct sg_namefind_opts *opts)
{
    const struct sg_policy *p = cfg->policy;
    if (!p || !p->dircfg.pupils_path || !*p->dircfg.pupils_path) {
        sg_cfg_error(cfg, node, "%s needs the pupils' names: set directory: pupils:", key);
        return NULL;
    }
    struct sg_namefind *nf = sg_xcalloc(1, sizeof(*nf));
    nf->opts = opts;
    if (opts->ordinary_words && *opts->ordinary_words) {
        /* Not written in the policy: say that it is the default, and how
         * to name another list or none. */
        char *path = sg_cfg_path(cfg, opts->ordinary_words);
        bool missing = !words_node && access(path, R_OK) != 0;
        if (missing)
            sg_cfg_error(cfg, node, "%s: the default ordinary words list %s cannot be read: %s (set "
                         "ordinary_words: to the list, e.g. the one in contrib/lists, or \"\" for none)", key, path,
                         strerror(errno));
        free(path);
        nf->ordinary = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
        if (missing || !sg_listfile_read(cfg, words_node ? words_node : node, opts->ordinary_words, on_word,
                                         nf->ordinary)) {
            sg_namefind_free(nf);
            return NULL;
        }
    }
    return nf;
}

static int by_id(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;   /* id is the first member of both */
    return x < y ? -1 : x > y;
}

bool sg_namefind_compile(struct sg_namefind *nf, struct sg_matcher *m, struct sg_cfg *cfg)
{
    const struct sg_directory *d = cfg->policy ? cfg->policy->directory : NULL;
    for (size_t i = 0; i < sg_directory_count(d, true); i++)
        add_pupil(nf, m, sg_directory_pupil(d, i));
    for (size_t i = 0; context_terms[i]; i++)
        add_sig(nf, m, context_terms[i], SIG_CONTEXT, NULL);
    for (int y = 1; y <= 13; y++) {
        static const char *const prefix[] = {"year ", "yr ", "y"};
        for (size_t f = 0; f < 3; f++) {
            char t[16];
            snprintf(t, sizeof(t), "%s%d", prefix[f], y);
            add_sig(nf, m, t, SIG_CONTEXT, NULL);
        }
    }
    for (size_t i = 0; nf->opts->with && nf->opts->with[i]; i++)
        add_sig(nf, m, nf->opts->with[i], SIG_WITH, NULL);
    /* By pattern id, for the binary search of each occurrence. */
    if (nf->nnames)
        qsort(nf->names, nf->nnames, sizeof(*nf->names), by_id);
    if (nf->nsigs)
        qsort(nf->sigs, nf->nsigs, sizeof(*nf->sigs), by_id);
    return true;
}

void sg_namefind_free(struct sg_namefind *nf)
{
    if (!nf)
        return;
    if (nf->ordinary)
        g_hash_table_destroy(nf->ordinary);
    free(nf->names);
    free(nf->sigs);
    free(nf);
}

/* One occurrence in the text: a name form or a signal. */
struct occ {
    size_t start, end;
    const struct sg_person *pupil;
    unsigned kind;               /* 0 = a name; else SIG_* */
    bool weak;
};

struct occs {
    struct occ *v;
    size_t n, cap;
};

static void push(struct occs *o, struct occ x)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 32;
        o->v = sg_xrealloc(o->v, o->cap * sizeof(*o->v));
    }
    o->v[o->n++] = x;
}

static int by_start(const void *a, const void *b)
{
    const struct occ *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Where the entries for id start, or n when there are none. */
static size_t first_with_id(const void *base, size_t n, size_t size, unsigned id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (*(const unsigned *)((const char *)base + mid * size) < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && *(const unsigned *)((const char *)base + lo * size) == id ? lo : n;
}

/* "amelia.clarke@..." and "a.clarke@gmail.com" are addresses, not names. */
static bool in_address(const struct sg_scan *scan, size_t start, size_t end)
{
    const char *t = scan->text;
    return (end < scan->text_len && t[end] == '@') || (start > 0 && (t[start - 1] == '@' || t[start - 1] == '.'));
}

static void collect(const struct sg_namefind *nf, const struct sg_scan *scan, struct occs *names, struct occs *sigs)
{
    for (size_t k = 0; k < scan->nmatches; k++) {
        const struct sg_match *mt = &scan->matches[k];
        size_t ni = first_with_id(nf->names, nf->nnames, sizeof(*nf->names), mt->id);
        size_t si = first_with_id(nf->sigs, nf->nsigs, sizeof(*nf->sigs), mt->id);
        if (ni == nf->nnames && si == nf->nsigs)
            continue;
        if (!nf->opts->quoted && sg_scan_quoted(scan, mt->start))
            continue;
        /* Display names in To: and Cc: are the addressing every recipient
         * sees anyway (a pupil's own name on their own address), not what
         * the member of staff wrote. */
        const struct sg_segment *seg = sg_scan_segment_at(scan, mt->start);
        if (seg && seg->source == SG_SEG_HEADERS)
            continue;
        for (; si < nf->nsigs && nf->sigs[si].id == mt->id; si++)
            push(sigs, (struct occ){mt->start, mt->end, nf->sigs[si].pupil, nf->sigs[si].kind, false});
        if (ni < nf->nnames && in_address(scan, mt->start, mt->end))
            continue;
        for (; ni < nf->nnames && nf->names[ni].id == mt->id; ni++)
            push(names, (struct occ){mt->start, mt->end, nf->names[ni].pupil, 0, nf->names[ni].weak});
    }
    /* qsort wants a real array even for none. */
    if (names->n)
        qsort(names->v, names->n, sizeof(*names->v), by_start);
    if (sigs->n)
        qsort(sigs->v, sigs->n, sizeof(*sigs->v), by_start);
}

/* An entry of o within near characters of x that passes want(). */
static bool near_one(const struct sg_namefind *nf, const struct occs *o, const struct occ *x,
                     bool (*want)(const struct occ *x, const struct occ *y, unsigned kinds), unsigned kinds)
{
    size_t near = nf->opts->near, reach = near + nf->max_len;
    size_t lo_start = x->start > reach ? x->start - reach : 0;
    size_t lo = 0, hi = o->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->v[mid].start < lo_start)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < o->n && o->v[i].start <= x->end + near; i++) {
        const struct occ *y = &o->v[i];
        size_t gap = y->start >= x->end ? y->start - x->end : x->start >= y->end ? x->start - y->end : 0;
        if (gap <= near && want(x, y, kinds))
            return true;
    }
    return false;
}

static bool want_kind(const struct occ *x, const struct occ *y, unsigned kinds)
{
    (void)x;
    return (y->kind & kinds) != 0;
}

/* Another pupil's name that stands alone: "Rose Hill and Lily Green" may
 * be a walk past two places, and an initial proves little. */
static bool want_other_pupil(const struct occ *x, const struct occ *y, unsigned kinds)
{
    (void)kinds;
    return y->pupil != x->pupil && !y->weak;
}

static int by_off(const void *a, const void *b)
{
    const struct sg_named *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

size_t sg_namefind_scan(const struct sg_namefind *nf, const struct sg_scan *scan, bool with_upn,
                        struct sg_named **out, size_t *corroborated)
{
    struct occs names = {0}, sigs = {0};
    collect(nf, scan, &names, &sigs);
    bool with = nf->opts->with && nf->opts->with[0];
    GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal);
    struct sg_named *v = NULL;
    size_t n = 0, weak = 0;
    for (size_t i = 0; i < names.n; i++) {
        const struct occ *x = &names.v[i];
        if (g_hash_table_contains(seen, x->pupil))
            continue;
        bool ok;
        if (with)
            ok = near_one(nf, &sigs, x, want_kind, SIG_WITH);
        else if (!x->weak)
            ok = true;
        else
            ok = near_one(nf, &sigs, x, want_kind, SIG_CONTEXT | SIG_UPN) ||
                 near_one(nf, &names, x, want_other_pupil, 0);
        if (!ok)
            continue;
        g_hash_table_add(seen, (gpointer)x->pupil);
        v = sg_xrealloc(v, (n + 1) * sizeof(*v));
        v[n++] = (struct sg_named){x->pupil, x->start, false};
        weak += x->weak && !with;
    }
    for (size_t i = 0; with_upn && i < sigs.n; i++) {
        const struct occ *x = &sigs.v[i];
        if (x->kind != SIG_UPN || g_hash_table_contains(seen, x->pupil))
            continue;
        g_hash_table_add(seen, (gpointer)x->pupil);
        v = sg_xrealloc(v, (n + 1) * sizeof(*v));
        v[n++] = (struct sg_named){x->pupil, x->start, true};
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), by_off);
    g_hash_table_destroy(seen);
    free(names.v);
    free(sigs.v);
    *out = v;
    if (corroborated)
        *corroborated = weak;
    return n;
}

bool sg_namefind_contact_of(const struct sg_namefind *nf, const struct sg_directory *d, const char *addr,
                            const struct sg_person *pupil, bool *listed)
{
    size_t n;
    const struct sg_contact *const *c = sg_directory_contacts(d, addr, &n);
    if (listed)
        *listed = n > 0;
    for (size_t i = 0; i < n; i++)
        if (c[i]->pupil == pupil && (!nf->opts->need_responsibility || c[i]->responsibility))
            return true;
    return false;
}
