/*
 * names.c - the fixed vocabularies: actions, categories, recipient classes.
 */
#include <string.h>
#include "sg_policy.h"

static const char *const action_names[] = {
    "accept", "annotate", "quarantine", "reject", "tempfail",
};

static const char *const category_names[SG_CAT_COUNT] = {
    "pupil-contact", "contact-details", "out-of-hours", "social-media",
    "confidential", "personal-data", "logo", "media", "reference",
    "offensive", "adult", "solicitation",
};

static const char *const rclass_names[SG_RCLASS_COUNT] = {
    "internal", "trust", "pupil", "pupil-personal", "external",
};

const char *sg_action_name(enum sg_action a)
{
    return (unsigned)a < sizeof(action_names) / sizeof(*action_names) ? action_names[a] : "?";
}

int sg_action_parse(const char *s)
{
    for (size_t i = 0; i < sizeof(action_names) / sizeof(*action_names); i++)
        if (!strcmp(s, action_names[i]))
            return (int)i;
    return -1;
}

const char *sg_category_name(enum sg_category c)
{
    return (unsigned)c < SG_CAT_COUNT ? category_names[c] : "?";
}

int sg_category_parse(const char *s)
{
    for (int i = 0; i < SG_CAT_COUNT; i++)
        if (!strcmp(s, category_names[i]))
            return i;
    return -1;
}

const char *sg_rclass_name(enum sg_rclass c)
{
    return (unsigned)c < SG_RCLASS_COUNT ? rclass_names[c] : "?";
}
