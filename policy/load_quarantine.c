/*
 * load_quarantine.c - the policy's quarantine: section: where the store
 * is, how long it keeps mail, which MTA commands release it.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "sg_config.h"
#include "sg_policy.h"
#include "sg_schema.h"

#define Q(f) offsetof(struct sg_quarantine_cfg, f)
const struct sg_cfg_key sg_schema_quarantine[] = {
    {.key = "store", .type = SG_CFG_STR, .offset = Q(store), .def = "/var/lib/safeguard/quarantine",
     .doc = "Folder of the quarantine store (created 0700 by the milter's user, inside the service's "
            "StateDirectory; a relative path is read from the policy file's folder; `safeguard-milter -Q DIR` "
            "overrides it). It holds `msg/<event id>.eml` (0600), `index.db` (SQLite, WAL) and "
            "`release.key`, the secret that marks released copies. The milter opens it at start-up and refuses "
            "to start when it cannot; a message whose copy cannot be stored is tempfailed, never lost."},
    {.key = "retention_days", .type = SG_CFG_SIZE, .offset = Q(retention_days), .def = "30", .min = 1, .max = 3650,
     .doc = "`safeguard-quarantine purge` expires items received longer ago than this: their message file, "
            "subject, recipients, evidence and justification are deleted, a minimal row and the audit trail "
            "stay (UK GDPR storage limitation)."},
    {.key = "sendmail", .type = SG_CFG_STR, .offset = Q(sendmail), .def = "/usr/sbin/sendmail",
     .doc = "sendmail(1), used to re-inject a released copy that is no longer in the MTA's hold queue "
            "(`-f sender -- recipients`, with an `X-Safeguard-Released` mark the milter accepts once) and, "
            "with Sendmail, to release from its quarantine (`-qQ`)."},
    {.key = "postsuper", .type = SG_CFG_STR, .offset = Q(postsuper), .def = "/usr/sbin/postsuper",
     .doc = "Postfix's postsuper(1): `-H` releases a held queue id, `-d` deletes it."},
    {.key = "postqueue", .type = SG_CFG_STR, .offset = Q(postqueue), .def = "/usr/sbin/postqueue",
     .doc = "Postfix's postqueue(1): `-j` tells whether the queue id is still in the hold queue."},
    {.key = "postfix_config", .type = SG_CFG_STR, .offset = Q(postfix_config), .def = "",
     .doc = "Postfix configuration folder of the instance the milter serves (`MAIL_CONFIG` for the commands "
            "above); empty for the default instance."},
    {.key = NULL},
};

void sg_load_quarantine(struct sg_cfg *cfg, yaml_node_t *node, struct sg_policy *p)
{
    yaml_node_t *nodes[SG_CFG_MAX_KEYS] = {0};
    sg_cfg_apply_table_nodes(cfg, node, sg_schema_quarantine, &p->quarantine, "quarantine", nodes);
    struct sg_quarantine_cfg *q = &p->quarantine;
    if (q->store && *q->store && q->store[0] != '/') {
        char *abs = sg_cfg_path(cfg, q->store);
        free(q->store);
        q->store = abs;
    } else if (q->store && !*q->store) {
        sg_cfg_error(cfg, nodes[sg_cfg_row(sg_schema_quarantine, "store")], "quarantine: store must name a folder");
    }
    /* Run by root from the admin command: never looked up in $PATH. */
    static const char *const cmds[] = {"sendmail", "postsuper", "postqueue"};
    char *const vals[] = {q->sendmail, q->postsuper, q->postqueue};
    for (size_t i = 0; i < 3; i++)
        if (vals[i] && vals[i][0] != '/')
            sg_cfg_error(cfg, nodes[sg_cfg_row(sg_schema_quarantine, cmds[i])],
                         "quarantine: %s must be an absolute path, not \"%s\"", cmds[i], vals[i]);
}

void sg_load_quarantine_free(struct sg_policy *p)
{
    sg_cfg_free_table(sg_schema_quarantine, &p->quarantine);
}
