/*
 * sg_logo.h - finding a school's logo in a picture: the reference set
 * (built once per policy snapshot, then read-only) and the search.
 *
 * Stage 1 compares the whole picture's PDQ hash (and that of a copy with
 * its plain border trimmed) with each reference's, flattened on white,
 * black and grey, in all eight rotations and mirrors. Stage 2 looks for
 * the logo inside a larger picture: normalised cross-correlation under the
 * reference's alpha mask, coarse to fine over a scale pyramid, scored on
 * luminance and on an edge image (the lower counts), and a located crop
 * confirmed by its PDQ hash against the reference composed over it.
 */
#ifndef SG_LOGO_H
#define SG_LOGO_H

#include <stdbool.h>
#include <stddef.h>
#include "sg_image.h"

struct sg_logo_opts {
    unsigned threshold;          /* stage 1: PDQ bits apart at most */
    unsigned min_size;           /* stage 2: smallest logo, pixels of its longer side */
    unsigned min_score;          /* stage 2: percent of correlation */
    bool turned;                 /* stage 2 also tries the references turned and mirrored */
};

#define SG_LOGO_DEFAULT_THRESHOLD 32
#define SG_LOGO_DEFAULT_MIN_SIZE 48
#define SG_LOGO_DEFAULT_MIN_SCORE 70

struct sg_logo_set;

struct sg_logo_hit {
    const char *name;            /* the reference variant, e.g. "crest" */
    double score;                /* 0..1 */
    unsigned stage;              /* 0 same file, 1 whole picture, 2 inside it */
    unsigned x, y, w, h;         /* where, in the picture's pixels */
};

struct sg_logo_set *sg_logo_set_new(const struct sg_logo_opts *opts);
/* Adds one reference (copied); false with a reason when it is unusable
 * (fully transparent, too small, featureless). */
bool sg_logo_set_add(struct sg_logo_set *s, const char *name, const struct sg_image *ref, char *err,
                     size_t errlen);
size_t sg_logo_set_count(const struct sg_logo_set *s);
/* 1 = found (hit filled), 0 = not. Thread-safe on a shared set. */
int sg_logo_find(const struct sg_logo_set *s, const struct sg_image *img, struct sg_logo_hit *hit);
void sg_logo_set_free(struct sg_logo_set *s);

#endif
