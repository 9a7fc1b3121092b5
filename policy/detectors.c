/*
 * detectors.c - the registry: one line per rule condition kind.
 */
#include <string.h>
#include "sg_detector.h"

extern const struct sg_detector sg_detect_phrases;
extern const struct sg_detector sg_detect_regex;

static const struct sg_detector *const registry[] = {
    &sg_detect_phrases,
    &sg_detect_regex,
    NULL,
};

const struct sg_detector *sg_detector_find(const char *key)
{
    for (size_t i = 0; registry[i]; i++)
        if (!strcmp(registry[i]->key, key))
            return registry[i];
    return NULL;
}

const struct sg_detector *const *sg_detector_all(void)
{
    return registry;
}
