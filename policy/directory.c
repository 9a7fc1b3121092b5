/*
 * directory.c - pupils, staff, relatives and pupils' contacts from MIS
 * CSV exports.
 *
 * libcsv does the CSV grammar (quotes, embedded commas and newlines);
 * this file feeds it a line at a time so every row can be reported by
 * the line it starts on, maps the header's column names, and fills GLib
 * hash tables keyed by normalised address.
 */
#include <csv.h>
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sg_config.h"
#include "sg_directory.h"
#include "sg_policy.h"
#include "sg_util.h"

struct sg_directory {
    GHashTable *school_addr;     /* address -> person */
    GHashTable *personal_addr;   /* address -> person */
    GHashTable *relatives;       /* "staff\npupil" -> relation */
    GHashTable *by_upn;          /* upper-cased UPN -> pupil */
    GHashTable *contacts;        /* contact address -> GPtrArray of struct sg_contact */
    GPtrArray *people;
    GPtrArray *pupils;           /* the pupils of people, in file order */
    char **files;
    size_t npupils, nstaff, nrelatives, ncontacts;
};

enum csv_kind { KIND_PUPILS = SG_DIR_PUPILS, KIND_STAFF = SG_DIR_STAFF, KIND_RELATIVES = SG_DIR_RELATIVES,
                KIND_CONTACTS = SG_DIR_CONTACTS };
static const char *const kind_names[] = {"pupils", "staff", "relatives", "contacts"};

struct reader {
    struct sg_cfg *cfg;
    struct sg_directory *d;
    const char *path;
    enum csv_kind kind;
    const struct sg_dir_columns *cols;
    unsigned line, row_line;
    unsigned field_line;         /* where the field being read began */
    bool header_done, failed, in_fini;
    bool at_row_start;           /* libcsv is between rows */
    size_t ncols;                /* header fields */
    char **header;
    char **fields;               /* current row */
    size_t nfields, cap;
    int idx_name[8], nname;
    int idx_email, idx_personal, idx_upn, idx_year, idx_school, idx_staff, idx_pupil, idx_relation;
    int idx_preferred, idx_middle, idx_contact, idx_responsibility;
    GHashTable *schools;         /* lower-cased schools: ids; NULL = no check */
    GHashTable *bad_schools;     /* values already reported */
};

static void person_free(gpointer p)
{
    struct sg_person *s = p;
    free(s->name);
    free(s->email);
    sg_strv_free(s->personal);
    free(s->upn);
    free(s->year);
    free(s->school);
    free(s->forename);
    free(s->surname);
    free(s->preferred);
    free(s->middle);
    free(s);
}

static void contact_free(gpointer c_)
{
    struct sg_contact *c = c_;
    free(c->relation);
    free(c);
}

static void contact_list_free(gpointer list)
{
    g_ptr_array_free(list, TRUE);
}

static const char *column_name(struct reader *r, size_t i)
{
    return r->header && i < r->ncols ? r->header[i] : "?";
}

/* A quoted field that spans lines is normal (addresses); one that holds
 * what looks like whole rows, or is still open at the end of the file, is
 * an unbalanced quote that swallowed the rows after it. */
static bool swallowed_rows(struct reader *r, const char *data, size_t len)
{
    if (r->in_fini)
        return true;
    if (r->ncols < 2)
        return false;
    const char *nl = memchr(data, '\n', len);
    while (nl) {
        const char *start = nl + 1, *end = memchr(start, '\n', len - (size_t)(start - data));
        size_t commas = 0;
        for (const char *c = start; c < (end ? end : data + len); c++)
            commas += *c == ',';
        if (commas >= r->ncols - 1)
            return true;
        nl = end;
    }
    return false;
}

static void on_field(void *data, size_t len, void *r_)
{
    struct reader *r = r_;
    if (r->failed)
        return;
    if (!r->nfields)
        r->row_line = r->field_line;
    if (data && r->line > r->field_line && swallowed_rows(r, data, len)) {
        sg_cfg_error_file(r->cfg, r->path, r->field_line, 0,
                          "a quote opened in the %s column on this line is not closed where the field ends, so it "
                          "takes in the lines after it (up to line %u); fix the quotes in the export",
                          r->header_done ? column_name(r, r->nfields) : "header", r->line);
        r->failed = true;
        return;
    }
    r->field_line = r->line;
    r->at_row_start = false;
    char *f = sg_xstrndup(data ? data : "", data ? len : 0);
    /* Trim spaces that exports leave around values. */
    size_t start = strspn(f, " \t");
    size_t end = strlen(f);
    while (end > start && (f[end - 1] == ' ' || f[end - 1] == '\t'))
        end--;
    f[end] = '\0';
    if (r->nfields + 1 >= r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->fields = sg_xrealloc(r->fields, r->cap * sizeof(char *));
    }
    r->fields[r->nfields++] = sg_xstrdup(f + start);
    r->fields[r->nfields] = NULL;
    free(f);
}

static int find_column(struct reader *r, const char *name)
{
    for (size_t i = 0; name && *name && i < r->nfields; i++)
        if (!g_ascii_strcasecmp(r->fields[i], name))
            return (int)i;
    return -1;
}

/* A column named in the policy must be in the header; a default one only
 * when the loader cannot do without it. */
static int column(struct reader *r, enum sg_dir_col key, const char *name, bool needed)
{
    int i = find_column(r, name);
    if (i >= 0 || !name || !*name)
        return i;
    const struct sg_dir_columns *c = r->cols;
    if (c->mapped & (1u << key)) {
        sg_cfg_error_at(r->cfg, c->line[key], c->col[key], "column \"%s\" is not in the header of %s (line %u)",
                        name, r->path, r->row_line);
        r->failed = true;
    } else if (needed) {
        sg_cfg_error_file(r->cfg, r->path, r->row_line, 0,
                          "no column \"%s\" in the header (map it under directory: columns: %s:)", name,
                          kind_names[r->kind]);
        r->failed = true;
    }
    return -1;
}

static void read_header(struct reader *r)
{
    const struct sg_dir_columns *c = r->cols;
    if (r->kind == KIND_RELATIVES) {
        r->idx_staff = column(r, SG_COL_STAFF, c->staff, true);
        r->idx_pupil = column(r, SG_COL_PUPIL, c->pupil, true);
        r->idx_relation = column(r, SG_COL_RELATION, c->relation, false);
    } else if (r->kind == KIND_CONTACTS) {
        r->idx_pupil = column(r, SG_COL_PUPIL, c->pupil, true);
        r->idx_contact = column(r, SG_COL_CONTACT, c->contact, true);
        r->idx_relation = column(r, SG_COL_RELATION, c->relation, false);
        r->idx_responsibility = column(r, SG_COL_RESPONSIBILITY, c->responsibility, false);
    } else {
        r->nname = 0;
        for (size_t i = 0; c->name && c->name[i] && r->nname < 8; i++)
            r->idx_name[r->nname++] = column(r, SG_COL_NAME, c->name[i], false);
        r->idx_email = column(r, SG_COL_EMAIL, c->email, true);
        r->idx_personal = column(r, SG_COL_PERSONAL, c->personal_emails, false);
        r->idx_school = column(r, SG_COL_SCHOOL, c->school, false);
        r->idx_upn = r->kind == KIND_PUPILS ? column(r, SG_COL_UPN, c->upn, false) : -1;
        r->idx_year = r->kind == KIND_PUPILS ? column(r, SG_COL_YEAR, c->year, false) : -1;
        r->idx_preferred = r->kind == KIND_PUPILS ? column(r, SG_COL_PREFERRED, c->preferred_name, false) : -1;
        r->idx_middle = r->kind == KIND_PUPILS ? column(r, SG_COL_MIDDLE, c->middle_names, false) : -1;
    }
    r->ncols = r->nfields;
    r->header = r->fields;
    r->fields = NULL;
    r->nfields = r->cap = 0;
}

static const char *field(struct reader *r, int idx)
{
    if (idx < 0 || (size_t)idx >= r->nfields)
        return "";
    return r->fields[idx];
}

static void check_school(struct reader *r, const char *school)
{
    if (!r->schools || !*school)
        return;
    char *key = g_ascii_strdown(school, -1);
    if (g_hash_table_contains(r->schools, key) || g_hash_table_contains(r->bad_schools, key)) {
        g_free(key);
        return;
    }
    g_hash_table_add(r->bad_schools, key);     /* one error per value, not per row */
    struct sg_buf ids = {0};
    const struct sg_policy *p = r->cfg->policy;
    for (size_t i = 0; i < p->nunits; i++)
        if (p->units[i].id)
            sg_buf_printf(&ids, "%s%s", ids.len ? ", " : "", p->units[i].id);
    sg_cfg_error_file(r->cfg, r->path, r->row_line, 0, "School \"%s\" (column %s) is not an id under schools: (%s)",
                      school, r->cols->school, ids.data ? ids.data : "");
    sg_buf_free(&ids);
}

/* Forename, middle names and surname: from the name columns when there
 * are several (first, those between, last), else from the one column's
 * words; a Middle Names or Preferred Forename column adds its own. */
static void name_parts(struct reader *r, struct sg_person *p)
{
    struct sg_buf middle = {0};
    if (r->nname >= 2) {
        p->forename = sg_xstrdup(field(r, r->idx_name[0]));
        p->surname = sg_xstrdup(field(r, r->idx_name[r->nname - 1]));
        for (int i = 1; i < r->nname - 1; i++)
            if (*field(r, r->idx_name[i]))
                sg_buf_printf(&middle, "%s%s", middle.len ? " " : "", field(r, r->idx_name[i]));
    } else {
        char **words = g_strsplit_set(p->name, " \t", -1);
        char *w[64];
        size_t n = 0;
        for (size_t i = 0; words[i] && n < 64; i++)
            if (*words[i])
                w[n++] = words[i];
        p->forename = sg_xstrdup(n >= 2 ? w[0] : "");
        p->surname = sg_xstrdup(n >= 2 ? w[n - 1] : n == 1 ? w[0] : "");
        for (size_t i = 1; i + 1 < n; i++)
            sg_buf_printf(&middle, "%s%s", middle.len ? " " : "", w[i]);
        g_strfreev(words);
    }
    const char *col = field(r, r->idx_middle);
    if (*col) {
        sg_buf_free(&middle);
        sg_buf_puts(&middle, col);
    }
    p->middle = middle.data ? sg_buf_steal(&middle) : sg_xstrdup("");
    const char *pref = field(r, r->idx_preferred);
    /* A preferred name that is the forename adds nothing. */
    p->preferred = sg_xstrdup(g_ascii_strcasecmp(pref, p->forename) ? pref : "");
}

static void add_person(struct reader *r)
{
    char *email = sg_addr_normalise(field(r, r->idx_email));
    if (!email) {
        sg_cfg_warn(r->cfg, r->path, r->row_line, "row skipped: the %s column is not an email address", r->cols->email);
        return;
    }
    if (g_hash_table_contains(r->d->school_addr, email)) {
        sg_cfg_warn(r->cfg, r->path, r->row_line, "row skipped: its %s is already listed", r->cols->email);
        free(email);
        return;
    }
    check_school(r, field(r, r->idx_school));
    struct sg_person *p = sg_xcalloc(1, sizeof(*p));
    p->is_pupil = r->kind == KIND_PUPILS;
    p->email = email;
    struct sg_buf name = {0};
    for (int i = 0; i < r->nname; i++)
        if (*field(r, r->idx_name[i]))
            sg_buf_printf(&name, "%s%s", name.len ? " " : "", field(r, r->idx_name[i]));
    p->name = name.data ? sg_buf_steal(&name) : sg_xstrdup("");
    name_parts(r, p);
    p->upn = sg_xstrdup(field(r, r->idx_upn));
    p->year = sg_xstrdup(field(r, r->idx_year));
    p->school = sg_xstrdup(field(r, r->idx_school));
    p->personal = sg_xcalloc(1, sizeof(char *));
    char *list = sg_xstrdup(field(r, r->idx_personal)), *save = NULL;
    unsigned n = 0;
    for (char *tok = strtok_r(list, ";, \t\r\n", &save); tok; tok = strtok_r(NULL, ";, \t\r\n", &save)) {
        n++;
        char *a = sg_addr_normalise(tok);
        if (!a) {
            sg_cfg_warn(r->cfg, r->path, r->row_line, "entry %u of the %s column ignored: not an email address", n,
                        r->cols->personal_emails);
            continue;
        }
        p->personal = sg_strv_push(p->personal, a);
        free(a);
        /* The key is the person's own copy: freed with the person. */
        g_hash_table_replace(r->d->personal_addr, p->personal[sg_strv_len(p->personal) - 1], p);
    }
    free(list);
    g_hash_table_insert(r->d->school_addr, p->email, p);
    g_ptr_array_add(r->d->people, p);
    if (p->is_pupil) {
        r->d->npupils++;
        g_ptr_array_add(r->d->pupils, p);
        if (*p->upn) {
            char *key = g_ascii_strup(p->upn, -1);
            if (g_hash_table_contains(r->d->by_upn, key)) {
                sg_cfg_warn(r->cfg, r->path, r->row_line, "its %s is already another pupil's: the first "
                            "keeps it for look-ups", r->cols->upn);
                g_free(key);
            } else {
                g_hash_table_insert(r->d->by_upn, key, p);
            }
        }
    } else
        r->d->nstaff++;
}

static void add_relative(struct reader *r)
{
    char *staff = sg_addr_normalise(field(r, r->idx_staff));
    char *pupil = sg_addr_normalise(field(r, r->idx_pupil));
    if (!staff || !pupil) {
        sg_cfg_warn(r->cfg, r->path, r->row_line, "row skipped: the %s column is not an email address",
                    !staff ? r->cols->staff : r->cols->pupil);
    } else {
        char *key = g_strdup_printf("%s\n%s", staff, pupil);
        g_hash_table_replace(r->d->relatives, key, g_strdup(*field(r, r->idx_relation) ? field(r, r->idx_relation) : "relative"));
        r->d->nrelatives++;
    }
    free(staff);
    free(pupil);
}

/* Parental Responsibility: yes/no as MIS exports write it. Not recorded
 * (an empty cell) reads as yes: the pupil's school lists the contact. An
 * unreadable value reads as no, the reading that shares less. */
static bool responsibility(struct reader *r)
{
    static const char *const yes[] = {"yes", "y", "true", "1", NULL}, *const no[] = {"no", "n", "false", "0", NULL};
    const char *v = field(r, r->idx_responsibility);
    if (!*v)
        return true;
    for (size_t i = 0; yes[i]; i++)
        if (!g_ascii_strcasecmp(v, yes[i]))
            return true;
    for (size_t i = 0; no[i]; i++)
        if (!g_ascii_strcasecmp(v, no[i]))
            return false;
    sg_cfg_warn(r->cfg, r->path, r->row_line, "the %s column is neither yes nor no: read as no",
                r->cols->responsibility);
    return false;
}

static void add_contact(struct reader *r)
{
    char *pupil = sg_addr_normalise(field(r, r->idx_pupil));
    char *contact = sg_addr_normalise(field(r, r->idx_contact));
    const struct sg_person *who = pupil ? g_hash_table_lookup(r->d->school_addr, pupil) : NULL;
    if (!pupil || !contact) {
        sg_cfg_warn(r->cfg, r->path, r->row_line, "row skipped: the %s column is not an email address",
                    !pupil ? r->cols->pupil : r->cols->contact);
    } else if (!who || !who->is_pupil) {
        sg_cfg_warn(r->cfg, r->path, r->row_line, "row skipped: the %s column is not a pupil's address in the "
                    "pupils file", r->cols->pupil);
    } else {
        GPtrArray *list = g_hash_table_lookup(r->d->contacts, contact);
        if (!list) {
            list = g_ptr_array_new_with_free_func(contact_free);
            g_hash_table_insert(r->d->contacts, sg_xstrdup(contact), list);
        }
        bool dup = false;
        for (guint i = 0; i < list->len && !dup; i++)
            dup = ((struct sg_contact *)list->pdata[i])->pupil == who;
        if (dup) {
            sg_cfg_warn(r->cfg, r->path, r->row_line, "row skipped: this %s is already listed for this pupil",
                        r->cols->contact);
        } else {
            struct sg_contact *c = sg_xcalloc(1, sizeof(*c));
            c->pupil = who;
            c->relation = sg_xstrdup(*field(r, r->idx_relation) ? field(r, r->idx_relation) : "contact");
            c->responsibility = responsibility(r);
            g_ptr_array_add(list, c);
            r->d->ncontacts++;
        }
    }
    free(pupil);
    free(contact);
}

static void clear_row(struct reader *r)
{
    for (size_t i = 0; i < r->nfields; i++)
        free(r->fields[i]);
    r->nfields = 0;
    if (r->fields)
        r->fields[0] = NULL;
}

static void on_row(int term, void *r_)
{
    (void)term;
    struct reader *r = r_;
    r->field_line = r->line + 1;
    r->at_row_start = true;
    if (!r->failed) {
        if (!r->header_done) {
            read_header(r);
            r->header_done = true;
            return;
        } else if (r->nfields == 1 && !*r->fields[0]) {
            /* blank line */
        } else if (r->kind == KIND_RELATIVES) {
            add_relative(r);
        } else if (r->kind == KIND_CONTACTS) {
            add_contact(r);
        } else {
            add_person(r);
        }
    }
    clear_row(r);
}

static void read_csv(struct sg_cfg *cfg, struct sg_directory *d, const struct sg_directory_cfg *dc, enum csv_kind kind,
                     const char *rel, const struct sg_dir_columns *cols, GHashTable *schools)
{
    char *path = sg_cfg_path(cfg, rel);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        sg_cfg_error_at(cfg, dc->at_line[kind], dc->at_col[kind], "directory file %s: %s", path, strerror(errno));
        free(path);
        return;
    }
    d->files = sg_strv_push(d->files, path);
    struct csv_parser parser;
    csv_init(&parser, CSV_APPEND_NULL);
    struct reader r = {.cfg = cfg, .d = d, .path = path, .kind = kind, .cols = cols, .field_line = 1,
                       .at_row_start = true, .schools = schools};
    if (schools)
        r.bad_schools = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    bool ended_open = false;
    while (!r.failed && (len = getline(&line, &cap, fp)) > 0) {
        char *s = line;
        ended_open = line[len - 1] != '\n';
        r.line++;
        /* Blank lines between rows give no callbacks: a row starts on the
         * first line that has something. */
        if (r.at_row_start)
            r.field_line = r.line;
        if (r.line == 1 && len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) {
            s += 3;                  /* Excel's UTF-8 byte order mark */
            len -= 3;
        }
        if (csv_parse(&parser, s, (size_t)len, on_field, on_row, &r) != (size_t)len) {
            sg_cfg_error_file(cfg, path, r.line, 0, "%s", csv_strerror(csv_error(&parser)));
            r.failed = true;
        }
    }
    /* A last row without its newline would only end in csv_fini, where an
     * open quote and a closed one look alike: end it here, so that what
     * csv_fini still holds is a quote never closed. */
    if (!r.failed && ended_open)
        csv_parse(&parser, "\n", 1, on_field, on_row, &r);
    r.in_fini = true;
    if (!r.failed)
        csv_fini(&parser, on_field, on_row, &r);
    if (!r.header_done && !r.failed)
        sg_cfg_error_file(cfg, path, 1, 0, "empty file (a header row is needed)");
    clear_row(&r);
    free(r.fields);
    sg_strv_free(r.header);
    if (r.bad_schools)
        g_hash_table_destroy(r.bad_schools);
    csv_free(&parser);
    free(line);
    fclose(fp);
    free(path);
}

struct sg_directory *sg_directory_load(struct sg_cfg *cfg, const struct sg_directory_cfg *dc)
{
    struct sg_directory *d = sg_xcalloc(1, sizeof(*d));
    d->school_addr = g_hash_table_new(g_str_hash, g_str_equal);
    d->personal_addr = g_hash_table_new(g_str_hash, g_str_equal);
    d->relatives = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    d->by_upn = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    d->contacts = g_hash_table_new_full(g_str_hash, g_str_equal, free, contact_list_free);
    d->people = g_ptr_array_new_with_free_func(person_free);
    d->pupils = g_ptr_array_new();
    d->files = sg_xcalloc(1, sizeof(char *));
    GHashTable *schools = NULL;
    const struct sg_policy *p = cfg->policy;
    if (p && p->nunits) {
        schools = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        for (size_t i = 0; i < p->nunits; i++)
            if (p->units[i].id)
                g_hash_table_add(schools, g_ascii_strdown(p->units[i].id, -1));
    }
    const char *paths[] = {dc->pupils_path, dc->staff_path, dc->relatives_path, dc->contacts_path};
    const struct sg_dir_columns *cols[] = {&dc->pupils, &dc->staff, &dc->relatives, &dc->contacts};
    for (int k = KIND_PUPILS; k <= KIND_CONTACTS; k++)
        if (paths[k] && *paths[k])
            read_csv(cfg, d, dc, (enum csv_kind)k, paths[k], cols[k], schools);
    /* Contacts are contacts of pupils: without the pupils every row would
     * be a warning, and every pupil-data rule blind. */
    if (dc->contacts_path && *dc->contacts_path && !(dc->pupils_path && *dc->pupils_path))
        sg_cfg_error_at(cfg, dc->at_line[KIND_CONTACTS], dc->at_col[KIND_CONTACTS],
                        "directory: contacts: needs directory: pupils: (the pupils they are contacts of)");
    if (schools)
        g_hash_table_destroy(schools);
    return d;
}

void sg_directory_free(struct sg_directory *d)
{
    if (!d)
        return;
    g_hash_table_destroy(d->school_addr);
    g_hash_table_destroy(d->personal_addr);
    g_hash_table_destroy(d->relatives);
    g_hash_table_destroy(d->by_upn);
    g_hash_table_destroy(d->contacts);
    g_ptr_array_free(d->pupils, TRUE);
    g_ptr_array_free(d->people, TRUE);
    sg_strv_free(d->files);
    free(d);
}

const struct sg_person *sg_directory_lookup(const struct sg_directory *d, const char *addr, bool *personal)
{
    if (personal)
        *personal = false;
    if (!d || !addr)
        return NULL;
    char *key = sg_addr_normalise(addr);
    if (!key)
        return NULL;
    const struct sg_person *p = g_hash_table_lookup(d->school_addr, key);
    if (!p && (p = g_hash_table_lookup(d->personal_addr, key)) && personal)
        *personal = true;
    free(key);
    return p;
}

bool sg_directory_related(const struct sg_directory *d, const struct sg_person *staff,
                          const struct sg_person *pupil)
{
    if (!d || !staff || !pupil)
        return false;
    char *key = g_strdup_printf("%s\n%s", staff->email, pupil->email);
    bool found = g_hash_table_contains(d->relatives, key);
    g_free(key);
    return found;
}

size_t sg_directory_count(const struct sg_directory *d, bool pupils)
{
    return d ? (pupils ? d->npupils : d->nstaff) : 0;
}

size_t sg_directory_relatives(const struct sg_directory *d)
{
    return d ? d->nrelatives : 0;
}

char *const *sg_directory_files(const struct sg_directory *d)
{
    return d ? d->files : NULL;
}

const struct sg_person *sg_directory_pupil(const struct sg_directory *d, size_t i)
{
    return d && i < d->pupils->len ? d->pupils->pdata[i] : NULL;
}

const struct sg_person *sg_directory_by_upn(const struct sg_directory *d, const char *upn)
{
    if (!d || !upn || !*upn)
        return NULL;
    char *key = g_ascii_strup(upn, -1);
    const struct sg_person *p = g_hash_table_lookup(d->by_upn, key);
    g_free(key);
    return p;
}

const struct sg_contact *const *sg_directory_contacts(const struct sg_directory *d, const char *addr, size_t *n)
{
    *n = 0;
    if (!d || !addr)
        return NULL;
    char *key = sg_addr_normalise(addr);
    GPtrArray *list = key ? g_hash_table_lookup(d->contacts, key) : NULL;
    free(key);
    if (!list || !list->len)
        return NULL;
    *n = list->len;
    return (const struct sg_contact *const *)list->pdata;
}

size_t sg_directory_contact_rows(const struct sg_directory *d)
{
    return d ? d->ncontacts : 0;
}
