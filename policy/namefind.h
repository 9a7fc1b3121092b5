/*
 * namefind.h - pupils' names from the directory, found in a message:
 * shared by the pupil_names and misdirected_pupil_data conditions.
 *
 * Compile puts every written form of every pupil's name into the shared
 * matcher ("amelia clarke", "millie clarke", "clarke, amelia", "a.
 * clarke", ...); a scan walks the matcher's occurrences and decides which
 * name occurrences count: a name whose parts are all ordinary words or
 * places ("Rose Hill"), and a bare initial with a surname, count only
 * with a second signal near them.
 */
#ifndef SG_NAMEFIND_H
#define SG_NAMEFIND_H

#include <stdbool.h>
#include <stddef.h>
#include "sg_detector.h"

/* The options both conditions share; each detector's table points into
 * its own copy. */
struct sg_namefind_opts {
    size_t near;                 /* characters between a name and its corroboration */
    char *ordinary_words;        /* list file, relative to the policy; "" = none */
    char **with;                 /* corroborating terms every name then needs */
    bool quoted;                 /* count names in quoted history too */
    bool need_responsibility;    /* only contacts with parental responsibility count as the child's */
};

struct sg_namefind;

/* Reads the ordinary-words list and checks that the directory has pupils
 * (errors at node, naming key; a list that cannot be read at words_node,
 * the ordinary_words: value, NULL when it was the default). NULL after an
 * error. */
struct sg_namefind *sg_namefind_new(struct sg_cfg *cfg, yaml_node_t *node, yaml_node_t *words_node,
                                    const char *key, const struct sg_namefind_opts *opts);
/* Adds the pupils' name forms, UPNs and the corroborating terms to m. */
bool sg_namefind_compile(struct sg_namefind *nf, struct sg_matcher *m, struct sg_cfg *cfg);
void sg_namefind_free(struct sg_namefind *nf);

/* One pupil found: where first, and whether only by their UPN. */
struct sg_named {
    const struct sg_person *pupil;
    size_t off;
    bool by_upn;
};

/* The distinct pupils the text names (in order of first counted
 * occurrence), into *out (caller frees); with_upn also counts a pupil
 * whose directory UPN is written. *corroborated: how many of them
 * counted only through a second signal. */
size_t sg_namefind_scan(const struct sg_namefind *nf, const struct sg_scan *scan, bool with_upn,
                        struct sg_named **out, size_t *corroborated);

/* Whether pupil is one of the pupils addr is a listed contact of (with
 * parental responsibility, when the options ask for it); *listed is set
 * when addr is anybody's listed contact at all. */
bool sg_namefind_contact_of(const struct sg_namefind *nf, const struct sg_directory *d, const char *addr,
                            const struct sg_person *pupil, bool *listed);

#endif
