/*
 * collect.c - every image of a message for the logo rule: attachments
 * and inline parts by sniffed type, Office and OpenDocument media, zip
 * archives' entries, PDF images (collect_pdf.c), forwarded messages'
 * attachments (message.c lists them with the rest).
 *
 * Containers are opened with the text extractors' zip reading
 * (policy/extract/zip.c), so a zip bomb, an encrypted entry or a lying
 * header is refused here by the same checks and budgets. The image
 * budgets (count, decoded pixels, time) are per message; running out of
 * one is a limit hit, reported, never "no logo".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "image_collect.h"
#include "sg_message.h"
#include "sg_policy.h"
#include "sg_segment.h"

bool sg_collect_going(struct sg_collect *c)
{
    if (!sg_idec_in_time(&c->dec)) {
        c->out->limits |= SG_LIMIT_IMAGE;
        return false;
    }
    return true;
}

bool sg_collect_take(struct sg_collect *c)
{
    if (!c->tries_left || !c->total_left || !sg_collect_going(c)) {
        c->out->limits |= SG_LIMIT_IMAGE;
        c->out->unread++;
        return false;
    }
    c->tries_left--;
    return true;
}

void sg_collect_add(struct sg_collect *c, struct sg_image *img, const char *label)
{
    struct sg_image_list *l = c->out;
    l->v = sg_xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
    img->label = sg_xstrdup(label);
    l->v[l->n++] = *img;
    memset(img, 0, sizeof(*img));
}

void sg_collect_unread(struct sg_collect *c, enum sg_image_status st)
{
    c->out->unread++;
    c->out->limits |= st == SG_IMAGE_TOO_BIG ? SG_LIMIT_IMAGE : SG_LIMIT_UNREADABLE;
}

unsigned sg_collect_limits_of(unsigned status)
{
    unsigned l = 0;
    if (status & SG_EXTRACT_ENCRYPTED)
        l |= SG_LIMIT_ENCRYPTED;
    if (status & (SG_EXTRACT_BUDGET | SG_EXTRACT_DEPTH))
        l |= SG_LIMIT_EXTRACT;
    if (status & SG_EXTRACT_MALFORMED)
        l |= SG_LIMIT_UNREADABLE;
    return l;
}

static void image(struct sg_collect *c, const uint8_t *data, size_t len, const char *label)
{
    if (!sg_collect_take(c))
        return;
    struct sg_idec d = c->dec;
    if (d.max_pixels > c->total_left)
        d.max_pixels = c->total_left;
    struct sg_image img;
    enum sg_image_status st = sg_image_decode_with(data, len, &d, &img);
    if (st != SG_IMAGE_OK) {
        sg_collect_unread(c, st);
        return;
    }
    c->total_left -= d.src_pixels;
    sg_collect_add(c, &img, label);
}

static void blob(struct sg_collect *c, const uint8_t *data, size_t len, const char *name, const char *label,
                 unsigned depth);

/* "a#b". */
static char *join(const char *prefix, const char *name)
{
    struct sg_buf b = {0};
    sg_buf_printf(&b, "%s#%s", prefix, name);
    return sg_buf_steal(&b);
}

static bool is_media(const char *name, bool odf)
{
    if (odf)
        return !strncasecmp(name, "Pictures/", 9);
    /* word/media/, xl/media/, ppt/media/ (and media/ below them). */
    const char *m = strstr(name, "/media/");
    return m && m > name && m[7];
}

/* Entries of a zip-based file: all of them for an archive, the media
 * folders of an Office or OpenDocument file. */
static void zip_walk(struct sg_collect *c, const uint8_t *data, size_t len, const char *label, unsigned depth,
                     int office)
{
    zip_t *za = sg_zip_open(data, len);
    if (!za) {
        c->out->limits |= SG_LIMIT_UNREADABLE;
        return;
    }
    zip_int64_t n = zip_get_num_entries(za, 0);
    for (zip_int64_t i = 0; i < n && sg_collect_going(c) && sg_extract_going(&c->x); i++) {
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) < 0) {
            c->out->limits |= SG_LIMIT_UNREADABLE;
            continue;
        }
        const char *name = (st.valid & ZIP_STAT_NAME) && st.name ? st.name : "";
        size_t nl = strlen(name);
        if ((nl && name[nl - 1] == '/') || ((st.valid & ZIP_STAT_SIZE) && !st.size))
            continue;
        if (office && !is_media(name, office == 2))
            continue;
        /* Media are files of the document itself, not a level deeper. */
        if (!office && depth + 1 >= c->x.b.max_depth) {
            c->out->limits |= SG_LIMIT_EXTRACT;
            break;
        }
        unsigned char *buf;
        size_t blen;
        unsigned r = sg_zip_read(&c->x, za, (zip_uint64_t)i, &buf, &blen);
        c->out->limits |= sg_collect_limits_of(r);
        if (r & SG_EXTRACT_BUDGET)
            break;
        if (!buf)
            continue;
        char *sub = join(label, name);
        if (office) {
            if (sg_image_type_decodable(sg_sniff_type(buf, blen, name)))
                image(c, buf, blen, sub);
        } else {
            blob(c, buf, blen, name, sub, depth + 1);
        }
        free(sub);
        free(buf);
    }
    c->out->limits |= sg_collect_limits_of(c->x.status & SG_EXTRACT_BUDGET);
    zip_discard(za);
}

static void blob(struct sg_collect *c, const uint8_t *data, size_t len, const char *name, const char *label,
                 unsigned depth)
{
    if (!data || !len || !sg_collect_going(c))
        return;
    const char *type = sg_sniff_type(data, len, name);
    if (sg_image_type_decodable(type))
        image(c, data, len, label);
    else if (!strcmp(type, "docx") || !strcmp(type, "xlsx") || !strcmp(type, "pptx"))
        zip_walk(c, data, len, label, depth, 1);
    else if (!strcmp(type, "odt") || !strcmp(type, "ods") || !strcmp(type, "odp"))
        zip_walk(c, data, len, label, depth, 2);
    else if (!strcmp(type, "zip"))
        zip_walk(c, data, len, label, depth, 0);
    else if (!strcmp(type, "pdf"))
        sg_collect_pdf(c, data, len, label);
    /* SVG is not rasterised: a logo drawn as vectors goes unseen. */
}

void sg_image_collect(const struct sg_message *msg, const struct sg_image_limits *lim,
                      const struct sg_extract_budget *containers, size_t max_side, struct sg_image_list *out)
{
    memset(out, 0, sizeof(*out));
    struct sg_image_limits def;
    if (!lim) {
        sg_image_default_limits(&def);
        lim = &def;
    }
    struct sg_collect c = {.lim = lim, .out = out};
    c.dec.max_pixels = lim->max_pixels ? lim->max_pixels : (size_t)64 << 20;
    c.dec.max_side = max_side > SG_IMAGE_MAX_SIDE ? SG_IMAGE_MAX_SIDE : (unsigned)max_side;
    if (lim->max_seconds) {
        clock_gettime(CLOCK_MONOTONIC, &c.dec.deadline);
        c.dec.deadline.tv_sec += (time_t)lim->max_seconds;
    }
    c.total_left = lim->max_total_pixels ? lim->max_total_pixels : SIZE_MAX;
    c.tries_left = lim->max_images ? lim->max_images : SIZE_MAX;
    unsigned body_images = 0;
    for (size_t i = 0; i < msg->natts && sg_collect_going(&c); i++) {
        const struct sg_attachment *a = &msg->atts[i];
        if (!a->data || !a->data_len)
            continue;
        /* Container budgets per attachment, as text extraction has them. */
        sg_extract_ctx_init(&c.x, containers, NULL, NULL);
        struct sg_buf label = {0};
        if (a->forwarded)
            sg_buf_printf(&label, "forwarded message %u, ", a->forwarded);
        if (a->in_html)
            sg_buf_printf(&label, "body image %u", ++body_images);
        else if (a->filename && *a->filename)
            sg_buf_puts(&label, a->filename);
        else
            sg_buf_printf(&label, "attachment %zu", i + 1);
        /* An attachment cut at attachment_keep is already a limit hit
         * (message.c); what was kept is still looked at. */
        blob(&c, a->data, a->data_len, a->filename, label.data, 0);
        sg_buf_free(&label);
    }
}

void sg_image_collect_for(const struct sg_policy *p, const struct sg_message *msg, struct sg_image_list *out)
{
    struct sg_image_limits lim = {
        .max_pixels = p->limits.image_pixels, .max_images = p->limits.images,
        .max_total_pixels = p->limits.image_total_pixels, .max_seconds = p->limits.image_seconds,
    };
    struct sg_extract_budget b;
    sg_scantext_budget(&p->limits, &b);
    sg_image_collect(msg, &lim, &b, SG_IMAGE_DETECT_SIDE, out);
}

void sg_image_list_free(struct sg_image_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        sg_image_free(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}
