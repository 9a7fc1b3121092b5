/*
 * listfile.c - reads the plain list files rules name with "files:".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sg_listfile.h"
#include "sg_policy.h"

static void remember_file(struct sg_cfg *cfg, const char *path)
{
    if (!cfg->policy)
        return;
    char **files = cfg->policy->list_files;
    for (size_t i = 0; files && files[i]; i++)
        if (!strcmp(files[i], path))
            return;
    cfg->policy->list_files = sg_strv_push(files, path);
}

bool sg_listfile_read(struct sg_cfg *cfg, yaml_node_t *node, const char *name, sg_listfile_fn fn, void *ctx)
{
    char *path = sg_cfg_path(cfg, name);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        sg_cfg_error(cfg, node, "cannot open list %s: %s", path, strerror(errno));
        free(path);
        return false;
    }
    remember_file(cfg, path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned lineno = 0;
    while ((len = getline(&line, &cap, fp)) > 0) {
        lineno++;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
            line[--len] = '\0';
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s || *s == '#')
            continue;
        if (!sg_cfg_count_phrases(cfg, node, 1))
            break;
        fn(cfg, path, lineno, (unsigned)(s - line) + 1, s, ctx);
    }
    free(line);
    fclose(fp);
    free(path);
    return true;
}
