/*
 * sg_directory.h - who is a pupil, who is staff, who is whose child.
 *
 * Loaded from the CSV exports a school's MIS already produces, with the
 * column names mapped in the policy. Lookups are O(1) by address, case
 * folded, with user+tag@ treated as user@.
 */
#ifndef SG_DIRECTORY_H
#define SG_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>

struct sg_cfg;

struct sg_person {
    char *name;                  /* never logged */
    char *email;                 /* normalised school address */
    char **personal;             /* normalised personal addresses */
    char *upn;
    char *year;
    char *school;                /* school id, may be "" */
    bool is_pupil;
};

/* Column names for one CSV; name may join several columns. */
struct sg_dir_columns {
    char **name;
    char *email;
    char *personal_emails;
    char *upn;
    char *year;
    char *school;
    char *staff;                 /* relatives: staff address */
    char *pupil;                 /* relatives: pupil address */
    char *relation;
};

struct sg_directory_cfg {
    char *pupils_path;
    char *staff_path;
    char *relatives_path;
    struct sg_dir_columns pupils, staff, relatives;
};

struct sg_directory;

/* Loads every configured file. A missing or unreadable file, or a header
 * without the needed columns, is an error (via cfg); a bad row is a
 * warning naming file:line, and the row is skipped. */
struct sg_directory *sg_directory_load(struct sg_cfg *cfg, const struct sg_directory_cfg *dc);
void sg_directory_free(struct sg_directory *d);

/* *personal is set when addr is one of the person's personal addresses. */
const struct sg_person *sg_directory_lookup(const struct sg_directory *d, const char *addr,
                                            bool *personal);
bool sg_directory_related(const struct sg_directory *d, const struct sg_person *staff,
                          const struct sg_person *pupil);
size_t sg_directory_count(const struct sg_directory *d, bool pupils);
/* Files read, for change detection on reload (NULL-terminated). */
char *const *sg_directory_files(const struct sg_directory *d);

#endif
