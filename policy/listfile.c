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
        /* A control byte never occurs in the scanned text, so a phrase
         * holding one can never match: usually "\b" turned into a
         * backspace by a shell's printf or echo -e on its way in. */
        size_t bad = strcspn(s, "\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13"
                                "\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f");
        if (s[bad]) {
            sg_cfg_error_file(cfg, path, lineno, (unsigned)(s - line + bad) + 1,
                              "control character 0x%02x in a phrase, which can never match%s",
                              (unsigned)(unsigned char)s[bad],
                              s[bad] == '\b' ? " (a \"\\b\" written through printf or echo -e?)" : "");
            continue;
        }
        fn(cfg, path, lineno, (unsigned)(s - line) + 1, s, ctx);
    }
    free(line);
    fclose(fp);
    free(path);
    return true;
}
