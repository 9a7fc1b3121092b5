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
    /* The name's parts, as people write them (pupils; staff get forename
     * and surname only). The first name column is the forename, the last
     * the surname, any between middle names; a one-column name is split at
     * its spaces. "" when unknown. Never logged. */
    char *forename;
    char *surname;
    char *preferred;             /* Preferred Forename: "Millie" for Amelia */
    char *middle;                /* middle names, separated by spaces */
    bool is_pupil;
};

/* A pupil's listed contact (contacts.csv: parents, carers, ...). */
struct sg_contact {
    const struct sg_person *pupil;
    char *relation;              /* "mother", "grandmother", ... or "contact" */
    bool responsibility;         /* Parental Responsibility: yes (or not recorded) */
};

/* The column keys, in the order of the columns: table (bits of mapped). */
enum sg_dir_col {
    SG_COL_NAME, SG_COL_EMAIL, SG_COL_PERSONAL, SG_COL_UPN, SG_COL_YEAR, SG_COL_SCHOOL,
    SG_COL_STAFF, SG_COL_PUPIL, SG_COL_RELATION, SG_COL_PREFERRED, SG_COL_MIDDLE, SG_COL_CONTACT,
    SG_COL_RESPONSIBILITY, SG_COL_COUNT
};

/* The four files, in the order they are read (contacts need pupils). */
enum sg_dir_file { SG_DIR_PUPILS, SG_DIR_STAFF, SG_DIR_RELATIVES, SG_DIR_CONTACTS, SG_DIR_NFILES };

/* Column names for one CSV; name may join several columns. */
struct sg_dir_columns {
    char **name;
    char *email;
    char *personal_emails;
    char *upn;
    char *year;
    char *school;
    char *staff;                 /* relatives: staff address */
    char *pupil;                 /* relatives, contacts: pupil address */
    char *relation;
    char *preferred_name;        /* pupils: optional */
    char *middle_names;          /* pupils: optional */
    char *contact;               /* contacts: the contact's address */
    char *responsibility;        /* contacts: Parental Responsibility yes/no */
    /* Columns the policy maps by name (bits of enum sg_dir_col), and where:
     * a mapped column missing from the header is an error there, a default
     * one missing only when the loader needs it. */
    unsigned mapped;
    unsigned line[SG_COL_COUNT], col[SG_COL_COUNT];
};

struct sg_directory_cfg {
    char *pupils_path;
    char *staff_path;
    char *relatives_path;
    char *contacts_path;
    struct sg_dir_columns pupils, staff, relatives, contacts;
    unsigned max_shrink;         /* percent of rows a reload may lose */
    unsigned at_line[SG_DIR_NFILES], at_col[SG_DIR_NFILES];  /* where each file is named */
};

struct sg_directory;

/* Loads every configured file. A missing or unreadable file, a header
 * without a needed or mapped column, a quote that is never closed, or a
 * School value that no schools: entry has (cfg->policy->units) is an error
 * (via cfg); a bad row is a warning naming file:line and the column, never
 * the row's contents, and the row is skipped. */
struct sg_directory *sg_directory_load(struct sg_cfg *cfg, const struct sg_directory_cfg *dc);
void sg_directory_free(struct sg_directory *d);

/* *personal is set when addr is one of the person's personal addresses. */
const struct sg_person *sg_directory_lookup(const struct sg_directory *d, const char *addr,
                                            bool *personal);
bool sg_directory_related(const struct sg_directory *d, const struct sg_person *staff,
                          const struct sg_person *pupil);
size_t sg_directory_count(const struct sg_directory *d, bool pupils);
size_t sg_directory_relatives(const struct sg_directory *d);
/* The i-th pupil in file order (i < sg_directory_count(d, true)). */
const struct sg_person *sg_directory_pupil(const struct sg_directory *d, size_t i);
/* The pupil with this UPN (any case), or NULL. */
const struct sg_person *sg_directory_by_upn(const struct sg_directory *d, const char *upn);
/* The pupils whose listed contact addr is: *n entries, NULL when none. */
const struct sg_contact *const *sg_directory_contacts(const struct sg_directory *d, const char *addr, size_t *n);
/* Rows read from the contacts file. */
size_t sg_directory_contact_rows(const struct sg_directory *d);
/* Files read, for change detection on reload (NULL-terminated). */
char *const *sg_directory_files(const struct sg_directory *d);

#endif
