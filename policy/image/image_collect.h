/*
 * image_collect.h - the state of one message's image collection, shared
 * by collect.c (attachments, zip and Office containers) and
 * collect_pdf.c (PDF image XObjects through poppler).
 */
#ifndef SG_IMAGE_COLLECT_H
#define SG_IMAGE_COLLECT_H

#include "image_int.h"
#include "../extract/extract_int.h"

struct sg_collect {
    const struct sg_image_limits *lim;
    struct sg_idec dec;             /* max_side and the message's deadline */
    size_t total_left;              /* decoded pixels still allowed */
    size_t tries_left;              /* images still to be looked at */
    struct sg_extract_ctx x;        /* container budgets, shared by all attachments */
    struct sg_image_list *out;
};

/* False (recording IMAGE) once the count or time budget is spent. */
bool sg_collect_going(struct sg_collect *c);
/* Counts one image about to be decoded; false (recording IMAGE) when
 * the count, pixel or time budget is spent. */
bool sg_collect_take(struct sg_collect *c);
/* Adds a decoded image (takes rgba, copies label). */
void sg_collect_add(struct sg_collect *c, struct sg_image *img, const char *label);
/* Records an image that went unread for status st. */
void sg_collect_unread(struct sg_collect *c, enum sg_image_status st);
/* SG_LIMIT_* bits for a container's extraction status bits. */
unsigned sg_collect_limits_of(unsigned extract_status);

/* The images of a PDF, labelled "<prefix>#imageN". */
void sg_collect_pdf(struct sg_collect *c, const uint8_t *data, size_t len, const char *prefix);

#endif
