/*
 * qcmd_report.c - safeguard-quarantine report and purge.
 *
 * The report is what a school's yearly filtering and monitoring review
 * asks for: per rule, category and school, how much was held, released as
 * a false alarm, discarded, overridden, and what monitor mode would have
 * held; the overrides' reasons listed. --csv for the DSL and governors.
 */
#include <stdlib.h>
#include <string.h>
#include "qcmd.h"

enum { HELD, PENDING, RELEASED, DISCARDED, OVERRIDDEN, MONITORED, NCOUNT };
static const char *const count_names[NCOUNT] = {"held", "pending", "released", "discarded", "overridden", "monitored"};

struct row {
    char *rule, *category, *school;
    unsigned n[NCOUNT];
};

/* An expired item's outcome is in its audit trail. */
static enum sg_store_state outcome(struct qc *c, const struct sg_store_entry *e)
{
    if (e->state != SG_STORE_EXPIRED)
        return e->state;
    size_t n = 0;
    char *err = NULL;
    struct sg_store_audit *a = sg_store_audit_of(c->st, e->event_id, &n, &err);
    enum sg_store_state s = SG_STORE_EXPIRED;
    for (size_t i = 0; a && i < n; i++) {
        int v = sg_store_state_parse(a[i].action);
        if (v >= 0 && v != SG_STORE_EXPIRED)
            s = (enum sg_store_state)v;
    }
    sg_store_audit_free(a, n);
    free(err);
    return s;
}

static struct row *row_for(struct row **rows, size_t *n, const char *rule, const char *cat, const char *school)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*rows)[i].rule, rule) && !strcmp((*rows)[i].category, cat) && !strcmp((*rows)[i].school, school))
            return &(*rows)[i];
    *rows = sg_xrealloc(*rows, (*n + 1) * sizeof(**rows));
    struct row *r = &(*rows)[(*n)++];
    memset(r, 0, sizeof(*r));
    r->rule = sg_xstrdup(rule);
    r->category = sg_xstrdup(cat);
    r->school = sg_xstrdup(school);
    return r;
}

static void count(struct row *r, enum sg_store_state s)
{
    switch (s) {
    case SG_STORE_MONITORED: r->n[MONITORED]++; return;
    case SG_STORE_OVERRIDDEN: r->n[OVERRIDDEN]++; return;
    case SG_STORE_RELEASED: r->n[RELEASED]++; break;
    case SG_STORE_DISCARDED: r->n[DISCARDED]++; break;
    case SG_STORE_HELD: r->n[PENDING]++; break;
    case SG_STORE_EXPIRED: break;
    }
    r->n[HELD]++;
}

static void csv_field(const char *s)
{
    fputc('"', stdout);
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '"')
            fputc('"', stdout);
        /* A spreadsheet runs a cell that starts with = + - @ as a formula. */
        if (p == s && strchr("=+-@", *p) && p[1])
            fputc('\'', stdout);
        fputc((unsigned char)*p < 0x20 ? ' ' : *p, stdout);
    }
    fputc('"', stdout);
}

static void print_rows(const struct row *rows, size_t n, bool csv)
{
    if (csv) {
        fputs("rule,category,school", stdout);
        for (int k = 0; k < NCOUNT; k++)
            printf(",%s", count_names[k]);
        fputs("\n", stdout);
    } else {
        printf("%-32s %-16s %-10s %6s %7s %8s %9s %10s %9s\n", "RULE", "CATEGORY", "SCHOOL", "HELD", "PENDING",
               "RELEASED", "DISCARDED", "OVERRIDDEN", "MONITORED");
    }
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        if (csv) {
            csv_field(r->rule);
            fputc(',', stdout);
            csv_field(r->category);
            fputc(',', stdout);
            csv_field(r->school);
            for (int k = 0; k < NCOUNT; k++)
                printf(",%u", r->n[k]);
            fputs("\n", stdout);
        } else {
            printf("%-32.32s %-16.16s %-10.10s %6u %7u %8u %9u %10u %9u\n", r->rule, r->category, r->school,
                   r->n[HELD], r->n[PENDING], r->n[RELEASED], r->n[DISCARDED], r->n[OVERRIDDEN], r->n[MONITORED]);
        }
    }
}

static void print_overrides(struct sg_store_entry **v, size_t n, bool csv)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        const struct sg_store_entry *e = v[i];
        if (e->state != SG_STORE_OVERRIDDEN && !e->justification)
            continue;
        if (!any)
            fputs(csv ? "\nevent_id,rules,school,justification\n" : "\nOverrides and their reasons:\n", stdout);
        any = true;
        struct sg_buf rules = {0};
        sg_buf_append(&rules, "", 0);
        for (size_t h = 0; h < e->nhits; h++)
            sg_buf_printf(&rules, "%s%s", h ? "," : "", e->hits[h].rule ? e->hits[h].rule : "?");
        if (csv) {
            csv_field(e->event_id);
            fputc(',', stdout);
            csv_field(rules.data);
            fputc(',', stdout);
            csv_field(e->school);
            fputc(',', stdout);
            csv_field(e->justification ? e->justification : "(purged)");
            fputs("\n", stdout);
        } else {
            printf("  %s  %s  ", e->event_id, rules.data);
            qc_put_safe(stdout, e->justification ? e->justification : "(purged)", 300);
            fputs("\n", stdout);
        }
        sg_buf_free(&rules);
    }
}

int qcmd_report(struct qc *c)
{
    struct sg_store_filter f = {.state = -1};
    const char *since = qc_opt(c, "since");
    if (!qc_parse_since(since ? since : "7d", &f.since)) {
        fprintf(stderr, "safeguard-quarantine: --since takes 7d, 12h, 2w or a date such as 2026-11-24\n");
        return QC_USAGE;
    }
    size_t n = 0, nrows = 0;
    char *err = NULL;
    struct sg_store_entry **v = sg_store_list(c->st, &f, &n, &err);
    if (!v) {
        fprintf(stderr, "safeguard-quarantine: %s\n", err ? err : "cannot read the store");
        free(err);
        return QC_FAILED;
    }
    struct row *rows = NULL;
    for (size_t i = 0; i < n; i++) {
        enum sg_store_state s = outcome(c, v[i]);
        const char *school = v[i]->school ? v[i]->school : "-";
        for (size_t h = 0; h < v[i]->nhits; h++)
            count(row_for(&rows, &nrows, v[i]->hits[h].rule ? v[i]->hits[h].rule : "?",
                          v[i]->hits[h].category ? v[i]->hits[h].category : "?", school), s);
        if (!v[i]->nhits)            /* held for a limit: no rule */
            count(row_for(&rows, &nrows, "-", "-", school), s);
    }
    bool csv = qc_flag(c, "csv");
    if (!csv) {
        char from[32];
        qc_time(f.since, from, sizeof(from));
        printf("Since %s: %zu item(s). RELEASED counts false alarms; HELD includes them.\n\n", from, n);
    }
    print_rows(rows, nrows, csv);
    print_overrides(v, n, csv);
    for (size_t i = 0; i < nrows; i++) {
        free(rows[i].rule);
        free(rows[i].category);
        free(rows[i].school);
    }
    free(rows);
    sg_store_list_free(v, n);
    qc_log(c, NULL, "report", "ok", NULL);
    return QC_OK;
}

int qcmd_purge(struct qc *c)
{
    const char *d = qc_opt(c, "days");
    char *end = NULL;
    unsigned long days = d ? strtoul(d, &end, 10) : (unsigned long)c->q->retention_days;
    if (d && (!*d || *end || days < 1 || days > 3650)) {
        fprintf(stderr, "safeguard-quarantine: --days takes 1 to 3650\n");
        return QC_USAGE;
    }
    size_t found = 0, purged = 0;
    char *err = NULL;
    if (!sg_store_recover(c->st, &found, &err) || !sg_store_purge(c->st, (unsigned)days, time(NULL), c->actor, &purged, &err)) {
        fprintf(stderr, "safeguard-quarantine: %s\n", err ? err : "purge failed");
        free(err);
        qc_log(c, NULL, "purge", "failed", NULL);
        return QC_FAILED;
    }
    printf("purged %zu item(s) received more than %lu days ago%s\n", purged, days,
           found ? " (and indexed message files a crash had left without a row)" : "");
    char detail[64];
    snprintf(detail, sizeof(detail), "days=%lu purged=%zu", days, purged);
    qc_log(c, NULL, "purge", "ok", detail);
    return QC_OK;
}
