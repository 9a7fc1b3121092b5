/*
 * sg_listfile.h - the word and domain lists rules read (contrib/lists/):
 * one entry a line, "#" comments and blank lines skipped, relative to the
 * policy file, and watched for reload like the policy itself.
 */
#ifndef SG_LISTFILE_H
#define SG_LISTFILE_H

#include <yaml.h>
#include "sg_config.h"

/* Called for each entry: the trimmed line, where it is (for errors). */
typedef void (*sg_listfile_fn)(struct sg_cfg *cfg, const char *path, unsigned line, unsigned col,
                               const char *entry, void *ctx);

/* Reads list file name (relative to the policy); an unreadable file is an
 * error at node. Entries count against the phrase cap. False when the
 * file could not be read. */
bool sg_listfile_read(struct sg_cfg *cfg, yaml_node_t *node, const char *name, sg_listfile_fn fn, void *ctx);

#endif
