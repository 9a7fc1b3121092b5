/*
 * qcmd_show.c - safeguard-quarantine show ID: what the DSL needs to
 * decide. The stored message is read through the engine's message model;
 * attachments are listed, never opened or run, and nothing from the mail
 * reaches the terminal with its control characters.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "qcmd.h"

#define PREVIEW_BYTES 800
#define HEADER_LINES 40

static void field(const char *name, const char *value)
{
    printf("%-14s ", name);
    qc_put_safe(stdout, value && *value ? value : "-", 300);
    fputs("\n", stdout);
}

static void verdict(const struct sg_store_entry *e)
{
    char when[32];
    qc_time(e->when, when, sizeof(when));
    field("Event:", e->event_id);
    field("Received:", when);
    field("State:", sg_store_state_name(e->state));
    field("Queue id:", e->queue_id);
    field("MTA:", e->mta);
    field("From:", e->sender);
    field("Login:", e->auth_user);
    for (size_t i = 0; e->rcpts[i]; i++)
        field(i ? "" : "To:", e->rcpts[i]);
    field("Subject:", e->subject);
    field("Message-ID:", e->message_id);
    field("School:", e->school);
    field("Action:", e->action);
    if (e->justification)
        field("Justification:", e->justification);
    if (e->truncated)
        field("Stored copy:", "incomplete (larger than limits: max_message_size)");
    for (size_t i = 0; i < e->nhits; i++) {
        const struct sg_store_hit_copy *h = &e->hits[i];
        printf("Rule %zu:         ", i + 1);
        qc_put_safe(stdout, h->rule, 80);
        printf(" (%s, %s)\n", h->category ? h->category : "?", h->action ? h->action : "?");
        field("  Cite:", h->cite);
        field("  Evidence:", h->evidence ? h->evidence : "(purged)");
    }
}

static void audit(struct qc *c, const char *id)
{
    size_t n = 0;
    char *err = NULL;
    struct sg_store_audit *a = sg_store_audit_of(c->st, id, &n, &err);
    puts("\nAudit trail:");
    for (size_t i = 0; a && i < n; i++) {
        char when[32];
        qc_time(a[i].when, when, sizeof(when));
        printf("  %s  %-12s %-14s ", when, a[i].actor ? a[i].actor : "?", a[i].action ? a[i].action : "?");
        qc_put_safe(stdout, a[i].reason ? a[i].reason : "", 200);
        fputs("\n", stdout);
    }
    sg_store_audit_free(a, n);
    free(err);
}

/* The header block as stored, unfolded lines cut to a screen's width. */
static void headers(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return;
    puts("\nHeaders:");
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof(line), fp) && n++ < HEADER_LINES) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!*line)
            break;
        fputs("  ", stdout);
        qc_put_safe(stdout, line, 160);
        fputs("\n", stdout);
    }
    fclose(fp);
}

static void body(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct sg_message_limits lim;
    sg_message_default_limits(&lim);
    lim.decode_attachments = false;     /* names, types, sizes: no bytes needed */
    char err[128];
    struct sg_message *m = sg_message_parse_fd(fd, &lim, err, sizeof(err));
    close(fd);
    if (!m)
        return;
    puts("\nText (preview):");
    size_t shown = 0;
    for (size_t i = 0; i < m->nparts && shown < PREVIEW_BYTES; i++) {
        if (m->parts[i].from_headers)
            continue;
        fputs("  | ", stdout);
        for (const char *p = m->parts[i].text; *p && shown < PREVIEW_BYTES; p++, shown++) {
            char ch[2] = {*p, '\0'};
            if (*p == '\r')
                continue;
            if (*p == '\n')
                fputs("\n  | ", stdout);
            else
                qc_put_safe(stdout, ch, 0);
        }
        fputs("\n", stdout);
    }
    if (shown >= PREVIEW_BYTES)
        puts("  | ...");
    printf("\nAttachments: %zu%s\n", m->natts, m->natts ? " (listed only: never opened here)" : "");
    for (size_t i = 0; i < m->natts; i++) {
        const struct sg_attachment *a = &m->atts[i];
        fputs("  ", stdout);
        qc_put_safe(stdout, a->filename ? a->filename : "(no name)", 100);
        printf("  %s (looks like %s)  %zu bytes%s\n", a->declared_type ? a->declared_type : "?",
               a->sniffed_type ? a->sniffed_type : "?", a->size, a->size_estimated ? " (estimated)" : "");
    }
    sg_message_free(m);
}

int qcmd_show(struct qc *c)
{
    struct sg_store_entry *e = qc_get(c, qc_arg(c));
    if (!e)
        return QC_FAILED;
    verdict(e);
    if (e->file) {
        headers(e->file);
        body(e->file);
    } else {
        puts("\n(the message itself is no longer stored)");
    }
    char *err = NULL;
    /* Who looked at what is part of the record (UK GDPR accountability). */
    sg_store_audit_add(c->st, e->event_id, c->actor, "show", NULL, &err);
    free(err);
    audit(c, e->event_id);
    if (e->state == SG_STORE_HELD)
        printf("\nTo release:  safeguard-quarantine release %s --reason \"...\"\n"
               "To discard:  safeguard-quarantine discard %s --reason \"...\"\n", e->event_id, e->event_id);
    qc_log(c, e->event_id, "show", "ok", NULL);
    sg_store_entry_free(e);
    return QC_OK;
}
