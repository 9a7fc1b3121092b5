/*
 * directory.c - pupils, staff and relatives from MIS CSV exports.
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
#include "sg_util.h"

struct sg_directory {
    GHashTable *school_addr;     /* address -> person */
    GHashTable *personal_addr;   /* address -> person */
    GHashTable *relatives;       /* "staff\npupil" -> relation */
    GPtrArray *people;
    char **files;
    size_t npupils, nstaff;
};

enum csv_kind { KIND_PUPILS, KIND_STAFF, KIND_RELATIVES };

struct reader {
    struct sg_cfg *cfg;
    struct sg_directory *d;
    const char *path;
    enum csv_kind kind;
    const struct sg_dir_columns *cols;
    unsigned line, row_line;
    bool header_done, failed;
    char **fields;               /* current row */
    int idx_name[8], nname;
    int idx_email, idx_personal, idx_upn, idx_year, idx_school, idx_staff, idx_pupil, idx_relation;
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
    free(s);
}

static void on_field(void *data, size_t len, void *r_)
{
    struct reader *r = r_;
    if (!r->fields)
        r->row_line = r->line;
    char *f = sg_xstrndup(data ? data : "", data ? len : 0);
    /* Trim spaces that exports leave around values. */
    size_t start = strspn(f, " \t");
    size_t end = strlen(f);
    while (end > start && (f[end - 1] == ' ' || f[end - 1] == '\t'))
        end--;
    f[end] = '\0';
    r->fields = sg_strv_push(r->fields, f + start);
    free(f);
}

static int column(struct reader *r, const char *name, bool required)
{
    if (!name || !*name)
        return -1;
    for (int i = 0; r->fields && r->fields[i]; i++)
        if (!g_ascii_strcasecmp(r->fields[i], name))
            return i;
    if (required) {
        sg_cfg_error_at(r->cfg, r->row_line, 1, "%s: no column \"%s\" in the header (map it under directory: columns:)", r->path, name);
        r->failed = true;
    }
    return -1;
}

static void read_header(struct reader *r)
{
    const struct sg_dir_columns *c = r->cols;
    if (r->kind == KIND_RELATIVES) {
        r->idx_staff = column(r, c->staff, true);
        r->idx_pupil = column(r, c->pupil, true);
        r->idx_relation = column(r, c->relation, false);
        return;
    }
    r->nname = 0;
    for (size_t i = 0; c->name && c->name[i] && r->nname < 8; i++)
        r->idx_name[r->nname++] = column(r, c->name[i], false);
    r->idx_email = column(r, c->email, true);
    r->idx_personal = column(r, c->personal_emails, false);
    r->idx_school = column(r, c->school, false);
    r->idx_upn = r->kind == KIND_PUPILS ? column(r, c->upn, false) : -1;
    r->idx_year = r->kind == KIND_PUPILS ? column(r, c->year, false) : -1;
}

static const char *field(struct reader *r, int idx)
{
    if (idx < 0 || (size_t)idx >= sg_strv_len(r->fields))
        return "";
    return r->fields[idx];
}

static void add_person(struct reader *r)
{
    char *email = sg_addr_normalise(field(r, r->idx_email));
    if (!email) {
        sg_cfg_warn(r->cfg, r->path, r->row_line, "row skipped: \"%s\" is not an email address", field(r, r->idx_email));
        return;
    }
    if (g_hash_table_contains(r->d->school_addr, email)) {
        sg_cfg_warn(r->cfg, r->path, r->row_line, "row skipped: duplicate address");
        free(email);
        return;
    }
    struct sg_person *p = sg_xcalloc(1, sizeof(*p));
    p->is_pupil = r->kind == KIND_PUPILS;
    p->email = email;
    struct sg_buf name = {0};
    for (int i = 0; i < r->nname; i++)
        if (*field(r, r->idx_name[i]))
            sg_buf_printf(&name, "%s%s", name.len ? " " : "", field(r, r->idx_name[i]));
    p->name = sg_buf_steal(&name);
    p->upn = sg_xstrdup(field(r, r->idx_upn));
    p->year = sg_xstrdup(field(r, r->idx_year));
    p->school = sg_xstrdup(field(r, r->idx_school));
    p->personal = sg_xcalloc(1, sizeof(char *));
    char *list = sg_xstrdup(field(r, r->idx_personal)), *save = NULL;
    for (char *tok = strtok_r(list, ";, \t", &save); tok; tok = strtok_r(NULL, ";, \t", &save)) {
        char *a = sg_addr_normalise(tok);
        if (!a) {
            sg_cfg_warn(r->cfg, r->path, r->row_line, "personal address \"%s\" ignored: not an email address", tok);
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
    if (p->is_pupil)
        r->d->npupils++;
    else
        r->d->nstaff++;
}

static void add_relative(struct reader *r)
{
    char *staff = sg_addr_normalise(field(r, r->idx_staff));
    char *pupil = sg_addr_normalise(field(r, r->idx_pupil));
    if (!staff || !pupil) {
        sg_cfg_warn(r->cfg, r->path, r->row_line, "row skipped: staff and pupil must both be email addresses");
    } else {
        char *key = g_strdup_printf("%s\n%s", staff, pupil);
        g_hash_table_replace(r->d->relatives, key, g_strdup(*field(r, r->idx_relation) ? field(r, r->idx_relation) : "relative"));
    }
    free(staff);
    free(pupil);
}

static void on_row(int term, void *r_)
{
    struct reader *r = r_;
    if (!r->failed) {
        if (!r->header_done) {
            read_header(r);
            r->header_done = true;
        } else if (sg_strv_len(r->fields) == 1 && !*r->fields[0]) {
            /* blank line */
        } else if (r->kind == KIND_RELATIVES) {
            add_relative(r);
        } else {
            add_person(r);
        }
    }
    sg_strv_free(r->fields);
    r->fields = NULL;
}

static void read_csv(struct sg_cfg *cfg, struct sg_directory *d, const char *rel, enum csv_kind kind,
                     const struct sg_dir_columns *cols)
{
    char *path = sg_cfg_path(cfg, rel);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        sg_cfg_error_at(cfg, 0, 0, "directory file %s: %s", path, strerror(errno));
        free(path);
        return;
    }
    d->files = sg_strv_push(d->files, path);
    struct csv_parser parser;
    csv_init(&parser, CSV_APPEND_NULL);
    struct reader r = {.cfg = cfg, .d = d, .path = path, .kind = kind, .cols = cols};
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while (!r.failed && (len = getline(&line, &cap, fp)) > 0) {
        char *s = line;
        r.line++;
        if (r.line == 1 && len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) {
            s += 3;                  /* Excel's UTF-8 byte order mark */
            len -= 3;
        }
        if (csv_parse(&parser, s, (size_t)len, on_field, on_row, &r) != (size_t)len) {
            sg_cfg_error_at(cfg, r.line, 1, "%s: %s", path, csv_strerror(csv_error(&parser)));
            r.failed = true;
        }
    }
    if (!r.failed)
        csv_fini(&parser, on_field, on_row, &r);
    if (!r.header_done && !r.failed)
        sg_cfg_error_at(cfg, 1, 1, "%s: empty file (a header row is needed)", path);
    sg_strv_free(r.fields);
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
    d->people = g_ptr_array_new_with_free_func(person_free);
    d->files = sg_xcalloc(1, sizeof(char *));
    if (dc->pupils_path && *dc->pupils_path)
        read_csv(cfg, d, dc->pupils_path, KIND_PUPILS, &dc->pupils);
    if (dc->staff_path && *dc->staff_path)
        read_csv(cfg, d, dc->staff_path, KIND_STAFF, &dc->staff);
    if (dc->relatives_path && *dc->relatives_path)
        read_csv(cfg, d, dc->relatives_path, KIND_RELATIVES, &dc->relatives);
    return d;
}

void sg_directory_free(struct sg_directory *d)
{
    if (!d)
        return;
    g_hash_table_destroy(d->school_addr);
    g_hash_table_destroy(d->personal_addr);
    g_hash_table_destroy(d->relatives);
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

char *const *sg_directory_files(const struct sg_directory *d)
{
    return d ? d->files : NULL;
}
