/*
 * detect_logo.c - "match: logo: {references: [crest.png, ...]}": the
 * school's logo in a picture of the message (attachments, inline parts,
 * Office media, PDF images, zips, forwarded messages: scan->images).
 *
 *   logo: {references: [crest.png, lockup.png], threshold: 40, min_size: 48}
 *
 * The references are decoded and prepared once per policy snapshot and
 * then only read (sg_logo.h). A rule written without to: applies outside
 * the trust (external and pupils' personal addresses): the policies forbid
 * the logo outside official channels, not inside the school.
 *
 * A newsletter's pictures come back in message after message: results are
 * kept per worker process by the picture's SHA-256, a bounded table.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sg_detector.h"
#include "sg_image.h"
#include "sg_logo.h"
#include "sg_schema.h"

#define REF_MAX_BYTES (64u << 20)

struct logo {
    char **references;
    size_t threshold, min_size, min_score;
    bool turned, keypoints;
    struct sg_logo_set *set;
};

static const struct sg_cfg_key logo_keys[] = {
    {.key = "references", .type = SG_CFG_STRLIST, .offset = offsetof(struct logo, references), .required = true,
     .shape = "list of paths",
     .doc = "The official logo files, one per variant (full lockup, crest, mono, reversed), relative to the "
            "policy file: PNG with transparency is best (any PNG, JPEG, GIF, WebP or BMP is read). Each is "
            "prepared once per policy load; its file name without the extension names it in evidence."},
    {.key = "threshold", .type = SG_CFG_SIZE, .offset = offsetof(struct logo, threshold), .def = "32", .min = 0,
     .max = 128, .shape = "number",
     .doc = "Whole-picture match: how many of the 256 PDQ hash bits may differ (default 32). Copies resized, "
            "recompressed, converted, padded, turned or mirrored stay well under it; unrelated pictures are "
            "about 128 apart."},
    {.key = "min_size", .type = SG_CFG_SIZE, .offset = offsetof(struct logo, min_size), .def = "48", .min = 16,
     .max = 4096, .shape = "pixels",
     .doc = "Smallest logo looked for inside a larger picture, in pixels of its longer side (default 48). "
            "Pictures are searched at most 1024 pixels on their longer side, so in a larger photo the "
            "smallest logo found grows in proportion."},
    {.key = "min_score", .type = SG_CFG_SIZE, .offset = offsetof(struct logo, min_score), .def = "70", .min = 30,
     .max = 100, .shape = "percent",
     .doc = "Logo inside a picture: the correlation the located logo must reach, on luminance and on edges "
            "alike, in percent (default 70); it must also hash close to the reference."},
    {.key = "turned", .type = SG_CFG_BOOL, .offset = offsetof(struct logo, turned), .def = "false",
     .doc = "Also look inside pictures for the logo turned a quarter, half or three quarters, or mirrored "
            "(whole-picture matches cover these always). Costs about eight times the search."},
    {.key = "keypoints", .type = SG_CFG_BOOL, .offset = offsetof(struct logo, keypoints), .def = "false",
     .doc = "Where the cheaper searches found nothing in a picture of at least 96 pixels (its searched "
            "copy's longer side), also match keypoints (ORB) with a homography: finds the logo turned a "
            "few degrees, skewed, or printed at a slant inside a larger picture (in the test corpus all "
            "80 such cases, 43 without it), and with a map that bends, printed on a mug or across a "
            "chest (19 of 20, 15 without the bend). Each place found is checked against the reference as "
            "inside-picture matches are. Off by default: it adds about 4 ms of CPU to each large photo "
            "without the logo, and with it a 12-megapixel photo (decode and search) costs about 1.2 times "
            "a plain full-size decode of it, within the 50 ms a picture budget only on a fast machine."},
    {.key = NULL},
};

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

/* The whole file, at most REF_MAX_BYTES; NULL with errno set. */
static uint8_t *slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > REF_MAX_BYTES) {
        close(fd);
        errno = EFBIG;
        return NULL;
    }
    uint8_t *buf = sg_xmalloc((size_t)st.st_size + 1);
    bool ok = sg_fd_read_all(fd, buf, (size_t)st.st_size);
    close(fd);
    if (!ok) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    *len = (size_t)st.st_size;
    return buf;
}

/* "logos/crest.png" -> "crest". */
static char *ref_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    return sg_xstrndup(base, dot && dot > base ? (size_t)(dot - base) : strlen(base));
}

static void load_reference(struct sg_cfg *cfg, yaml_node_t *node, struct logo *lg, const char *file)
{
    char *path = sg_cfg_path(cfg, file);
    size_t len = 0;
    uint8_t *data = slurp(path, &len);
    if (!data) {
        sg_cfg_error(cfg, node, "logo: cannot read reference %s: %s", path, strerror(errno));
        free(path);
        return;
    }
    remember_file(cfg, path);
    struct sg_image img = {0};
    enum sg_image_status st = sg_image_decode(data, len, NULL, 0, &img);
    free(data);
    if (st != SG_IMAGE_OK) {
        sg_cfg_error(cfg, node, "logo: reference %s: %s (PNG, JPEG, GIF, WebP or BMP)", path,
                     sg_image_status_name(st));
        free(path);
        return;
    }
    char *name = ref_name(file), err[128];
    if (!sg_logo_set_add(lg->set, name, &img, err, sizeof(err)))
        sg_cfg_error(cfg, node, "logo: reference %s %s", path, err);
    free(name);
    sg_image_free(&img);
    free(path);
}

static void logo_free(void *state);

static void *logo_parse(struct sg_cfg *cfg, yaml_node_t *node)
{
    if (!node || node->type != YAML_MAPPING_NODE) {
        sg_cfg_error(cfg, node, "logo takes options: logo: {references: [crest.png, ...]}");
        return NULL;
    }
    struct logo *lg = sg_xcalloc(1, sizeof(*lg));
    yaml_node_t *nodes[SG_CFG_MAX_KEYS] = {0};
    uint64_t seen = sg_cfg_apply_table_nodes(cfg, node, logo_keys, lg, "logo", nodes);
    int row = sg_cfg_row(logo_keys, "references");
    if (!(seen & ((uint64_t)1 << row)) || !lg->references || !lg->references[0]) {
        sg_cfg_error(cfg, node, "logo: references: names no file (the school's logo, one file per variant)");
        logo_free(lg);
        return NULL;
    }
    struct sg_logo_opts o = {(unsigned)lg->threshold, (unsigned)lg->min_size, (unsigned)lg->min_score, lg->turned,
                             lg->keypoints};
    lg->set = sg_logo_set_new(&o);
    for (size_t i = 0; lg->references[i]; i++)
        load_reference(cfg, nodes[row] ? nodes[row] : node, lg, lg->references[i]);
    return lg;
}

/* ---- the per-process cache ---- */

#define CACHE_SLOTS 256

struct cache_slot {
    const void *state;
    uint8_t sha[32];
    bool found;
    struct sg_logo_hit hit;
};

static struct cache_slot cache[CACHE_SLOTS];
static size_t cache_next;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static const uint8_t no_sha[32];

static bool cache_get(const void *state, const uint8_t sha[32], struct cache_slot *out)
{
    if (!memcmp(sha, no_sha, 32))
        return false;
    bool got = false;
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < CACHE_SLOTS && !got; i++)
        if (cache[i].state == state && !memcmp(cache[i].sha, sha, 32)) {
            *out = cache[i];
            got = true;
        }
    pthread_mutex_unlock(&cache_lock);
    return got;
}

static void cache_put(const void *state, const uint8_t sha[32], bool found, const struct sg_logo_hit *hit)
{
    if (!memcmp(sha, no_sha, 32))
        return;
    pthread_mutex_lock(&cache_lock);
    struct cache_slot *s = &cache[cache_next++ % CACHE_SLOTS];
    s->state = state;
    memcpy(s->sha, sha, 32);
    s->found = found;
    s->hit = *hit;
    pthread_mutex_unlock(&cache_lock);
}

/* A freed state's address may come back for another snapshot's rule. */
static void cache_forget(const void *state)
{
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        if (cache[i].state == state)
            cache[i].state = NULL;
    pthread_mutex_unlock(&cache_lock);
}

static int logo_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    const struct logo *lg = state;
    size_t found = 0;
    for (size_t i = 0; i < scan->nimages; i++) {
        const struct sg_image *img = &scan->images[i];
        struct cache_slot c;
        struct sg_logo_hit hit;
        bool yes;
        if (cache_get(lg, img->sha256, &c)) {
            yes = c.found;
            hit = c.hit;
        } else {
            int r = sg_logo_find(lg->set, img, &hit);
            /* Not cached: another message may find the memory. */
            if (r < 0)
                return -1;
            yes = r == 1;
            cache_put(lg, img->sha256, yes, &hit);
        }
        if (!yes)
            continue;
        /* Labels are file and part names, which may reach logs: that is
         * what evidence is for, and no picture content is quoted. */
        if (found < 3)
            sg_buf_printf(&out->evidence, "%slogo '%s' in %s (score %.2f)", found ? ", " : "", hit.name,
                          img->label ? img->label : "a picture", hit.score);
        found++;
    }
    if (found > 3)
        sg_buf_printf(&out->evidence, " and %zu more", found - 3);
    return found > 0;
}

static void logo_free(void *state)
{
    struct logo *lg = state;
    if (!lg)
        return;
    cache_forget(lg);
    sg_logo_set_free(lg->set);
    sg_cfg_free_table(logo_keys, lg);
    free(lg);
}

const struct sg_detector sg_detect_logo = {
    .key = "logo",
    .options = logo_keys,
    .doc = "The school's logo in a picture of the message: an attachment or inline picture, an Office file's "
           "or PDF's images, a zip's or a forwarded message's; resized, recompressed, converted, cropped a "
           "little, padded, on another background, turned or mirrored, or inside a larger picture (a "
           "letterhead, a photo, a screenshot). A rule without `to:` applies outside the trust (as `to: "
           "[outside]`). Evidence names the picture, the reference and the score.",
    .needs_images = true,
    .default_to = SG_RCLASS_BIT(SG_RCLASS_EXTERNAL) | SG_RCLASS_BIT(SG_RCLASS_PUPIL_PERSONAL),
    .parse = logo_parse,
    .scan = logo_scan,
    .free = logo_free,
};
