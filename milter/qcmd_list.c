/*
 * qcmd_list.c - safeguard-quarantine list and find: which items there are,
 * as a table for the DSL or JSON for scripts.
 */
#include <stdlib.h>
#include <string.h>
#include "qcmd.h"

static void json_entry(struct sg_buf *b, const struct sg_store_entry *e)
{
    sg_buf_puts(b, "{\"event_id\":");
    sg_json_string(b, e->event_id);
    sg_buf_printf(b, ",\"time\":%lld,\"state\":", (long long)e->when);
    sg_json_string(b, sg_store_state_name(e->state));
    const char *keys[] = {"queue_id", "mta", "sender", "auth_user", "subject", "message_id", "school", "action",
                          "justification"};
    const char *vals[] = {e->queue_id, e->mta, e->sender, e->auth_user, e->subject, e->message_id, e->school,
                          e->action, e->justification};
    for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
        sg_buf_printf(b, ",\"%s\":", keys[i]);
        if (vals[i])
            sg_json_string(b, vals[i]);
        else
            sg_buf_puts(b, "null");
    }
    sg_buf_puts(b, ",\"recipients\":[");
    for (size_t i = 0; e->rcpts[i]; i++) {
        sg_buf_puts(b, i ? "," : "");
        sg_json_string(b, e->rcpts[i]);
    }
    sg_buf_puts(b, "],\"hits\":[");
    for (size_t i = 0; i < e->nhits; i++) {
        const struct sg_store_hit_copy *h = &e->hits[i];
        sg_buf_puts(b, i ? ",{\"rule\":" : "{\"rule\":");
        sg_json_string(b, h->rule ? h->rule : "");
        sg_buf_puts(b, ",\"category\":");
        sg_json_string(b, h->category ? h->category : "");
        sg_buf_puts(b, ",\"cite\":");
        sg_json_string(b, h->cite ? h->cite : "");
        sg_buf_puts(b, ",\"evidence\":");
        if (h->evidence)
            sg_json_string(b, h->evidence);
        else
            sg_buf_puts(b, "null");
        sg_buf_puts(b, "}");
    }
    sg_buf_printf(b, "],\"stored\":%s,\"truncated\":%s}", e->file ? "true" : "false", e->truncated ? "true" : "false");
}

static void table_row(const struct sg_store_entry *e)
{
    char when[32];
    qc_time(e->when, when, sizeof(when));
    struct sg_buf rules = {0};
    sg_buf_append(&rules, "", 0);
    for (size_t i = 0; i < e->nhits; i++)
        sg_buf_printf(&rules, "%s%s", i ? "," : "", e->hits[i].rule ? e->hits[i].rule : "?");
    printf("%-20s %-16s %-10s %-8.8s ", e->event_id, when, sg_store_state_name(e->state), e->school ? e->school : "-");
    qc_put_safe(stdout, rules.len ? rules.data : "-", 40);
    fputs("  ", stdout);
    qc_put_safe(stdout, e->sender && *e->sender ? e->sender : "<>", 40);
    fputs(" -> ", stdout);
    qc_put_safe(stdout, e->rcpts[0] ? e->rcpts[0] : "-", 40);
    size_t n = sg_strv_len(e->rcpts);
    if (n > 1)
        printf(" (+%zu)", n - 1);
    fputs("  ", stdout);
    qc_put_safe(stdout, e->subject ? e->subject : "", 50);
    fputs("\n", stdout);
    sg_buf_free(&rules);
}

static void print_entries(struct sg_store_entry **v, size_t n, bool json)
{
    if (json) {
        struct sg_buf b = {0};
        sg_buf_puts(&b, "[");
        for (size_t i = 0; i < n; i++) {
            sg_buf_puts(&b, i ? ",\n" : "\n");
            json_entry(&b, v[i]);
        }
        sg_buf_puts(&b, "\n]\n");
        fputs(b.data, stdout);
        sg_buf_free(&b);
        return;
    }
    printf("%-20s %-16s %-10s %-8s %s\n", "EVENT", "RECEIVED", "STATE", "SCHOOL", "RULES  FROM -> TO  SUBJECT");
    for (size_t i = 0; i < n; i++)
        table_row(v[i]);
}

int qcmd_list(struct qc *c)
{
    struct sg_store_filter f = {.state = -1, .school = qc_opt(c, "school"), .category = qc_opt(c, "category")};
    const char *state = qc_opt(c, "state"), *since = qc_opt(c, "since");
    if (state && (f.state = sg_store_state_parse(state)) < 0) {
        fprintf(stderr, "safeguard-quarantine: unknown state \"%s\" (held, released, discarded, expired, monitored, "
                "overridden)\n", state);
        return QC_USAGE;
    }
    if (since && !qc_parse_since(since, &f.since)) {
        fprintf(stderr, "safeguard-quarantine: --since takes 7d, 12h, 2w or a date such as 2026-11-24\n");
        return QC_USAGE;
    }
    char *err = NULL;
    /* A crash may have left files without rows: list shows them too. */
    if (!sg_store_recover(c->st, NULL, &err)) {
        fprintf(stderr, "safeguard-quarantine: warning: %s\n", err);
        free(err);
        err = NULL;
    }
    size_t n = 0;
    struct sg_store_entry **v = sg_store_list(c->st, &f, &n, &err);
    if (!v) {
        fprintf(stderr, "safeguard-quarantine: %s\n", err ? err : "cannot list the store");
        free(err);
        return QC_FAILED;
    }
    print_entries(v, n, qc_flag(c, "json"));
    sg_store_list_free(v, n);
    return QC_OK;
}

/* The pupil's addresses, UPN and names from the directory, when the
 * policy has one and knows them; the search term itself always. */
static char **pupil_needles(const struct qc *c, const char *who)
{
    char **v = sg_strv_push(sg_xcalloc(1, sizeof(char *)), who);
    const struct sg_directory *d = c->policy ? c->policy->directory : NULL;
    const struct sg_person *p = NULL;
    bool personal;
    if (d && !(p = sg_directory_lookup(d, who, &personal)))
        p = sg_directory_by_upn(d, who);
    if (!p)
        return v;
    const char *ids[] = {p->email, p->upn, p->name};
    for (size_t i = 0; i < 3; i++)
        if (ids[i] && *ids[i] && strcmp(ids[i], who))
            v = sg_strv_push(v, ids[i]);
    for (size_t i = 0; p->personal && p->personal[i]; i++)
        v = sg_strv_push(v, p->personal[i]);
    /* "Amelia Okafor" is also written "Millie Okafor". */
    if (p->preferred && *p->preferred && p->surname && *p->surname) {
        struct sg_buf b = {0};
        sg_buf_printf(&b, "%s %s", p->preferred, p->surname);
        v = sg_strv_push(v, b.data);
        sg_buf_free(&b);
    }
    if (p->forename && *p->forename && p->surname && *p->surname) {
        struct sg_buf b = {0};
        sg_buf_printf(&b, "%s %s", p->forename, p->surname);
        v = sg_strv_push(v, b.data);
        sg_buf_free(&b);
    }
    return v;
}

int qcmd_find(struct qc *c)
{
    const char *who = qc_opt(c, "pupil");
    if (!who || !*who) {
        fprintf(stderr, "safeguard-quarantine: find --pupil ADDRESS|UPN\n");
        return QC_USAGE;
    }
    char **needles = pupil_needles(c, who), *err = NULL;
    char **ids = sg_store_find(c->st, needles, &err);
    size_t nn = sg_strv_len(needles);
    sg_strv_free(needles);
    if (!ids) {
        fprintf(stderr, "safeguard-quarantine: %s\n", err ? err : "search failed");
        free(err);
        return QC_FAILED;
    }
    size_t n = sg_strv_len(ids);
    struct sg_store_entry **v = sg_xcalloc(n + 1, sizeof(*v));
    size_t got = 0;
    for (size_t i = 0; i < n; i++)
        if ((v[got] = sg_store_get(c->st, ids[i], &err)))
            got++;
    print_entries(v, got, qc_flag(c, "json"));
    if (!qc_flag(c, "json"))
        fprintf(stderr, "%zu item(s) name or identify the pupil (searched for %zu identifier%s from %s)\n", got, nn,
                nn == 1 ? "" : "s", nn > 1 ? "the directory" : "the command line");
    char detail[64];
    snprintf(detail, sizeof(detail), "matches=%zu", got);
    qc_log(c, NULL, "find-pupil", "ok", detail);
    sg_store_list_free(v, got);
    sg_strv_free(ids);
    free(err);
    return QC_OK;
}
