/*
 * zip.c - zip archives, and the entry reading every zip-based format
 * (OOXML, OpenDocument) goes through.
 *
 * A zip bomb is refused twice over: what the central directory declares
 * (size against the input budget, size against compressed size) is
 * checked before anything is inflated, and what actually inflates is
 * counted as it comes, one byte past the declared size being enough to
 * call the header a liar. libzip reads from the attachment's bytes in
 * place; nothing is written to disk.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "extract_int.h"

zip_t *sg_zip_open(const unsigned char *data, size_t len)
{
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &err);
    if (!src) {
        zip_error_fini(&err);
        return NULL;
    }
    zip_t *za = zip_open_from_source(src, ZIP_RDONLY, &err);
    if (!za)
        zip_source_free(src);
    zip_error_fini(&err);
    return za;
}

static unsigned open_error(zip_t *za)
{
    int ze = zip_error_code_zip(zip_get_error(za));
    if (ze == ZIP_ER_NOPASSWD || ze == ZIP_ER_WRONGPASSWD || ze == ZIP_ER_ENCRNOTSUPP)
        return SG_EXTRACT_ENCRYPTED;
    return SG_EXTRACT_MALFORMED;
}

unsigned sg_zip_read(struct sg_extract_ctx *x, zip_t *za, zip_uint64_t idx,
                     unsigned char **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(za, idx, 0, &st) < 0 || !(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE))
        return SG_EXTRACT_MALFORMED;
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
        return SG_EXTRACT_ENCRYPTED;
    if (!sg_extract_going(x))
        return 0;
    const struct sg_extract_budget *b = sg_extract_budget_of(x);
    zip_uint64_t csize = st.comp_size ? st.comp_size : 1;
    if (st.size > x->input_left || st.size >= SIZE_MAX / 2 ||
        (st.size > SG_EXTRACT_RATIO_FLOOR && st.size / csize >= b->max_ratio)) {
        x->status |= SG_EXTRACT_BUDGET;
        return SG_EXTRACT_BUDGET;
    }
    if (!sg_extract_take(x, 0, true))
        return SG_EXTRACT_BUDGET;
    zip_file_t *f = zip_fopen_index(za, idx, 0);
    if (!f)
        return open_error(za);
    size_t size = (size_t)st.size, got = 0;
    unsigned char *buf = sg_xmalloc(size + 1);
    unsigned rc = 0;
    for (;;) {
        /* Ask for one byte more than declared: getting it means the
         * header lied about the size. */
        size_t want = size + 1 - got;
        if (want > 65536)
            want = 65536;
        zip_int64_t n = zip_fread(f, buf + got, want);
        if (n < 0) {
            rc |= SG_EXTRACT_MALFORMED;
            break;
        }
        if (n == 0)
            break;
        if (!sg_extract_take(x, (size_t)n, false) || !sg_extract_going(x)) {
            rc |= SG_EXTRACT_BUDGET;
            break;
        }
        got += (size_t)n;
        if (got > size) {
            rc |= SG_EXTRACT_MALFORMED;
            break;
        }
    }
    zip_fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[got] = '\0';
    *out = buf;
    *outlen = got;
    return 0;
}

unsigned sg_zip_read_name(struct sg_extract_ctx *x, zip_t *za, const char *name,
                          unsigned char **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    zip_int64_t idx = zip_name_locate(za, name, ZIP_FL_NOCASE);
    return idx < 0 ? 0 : sg_zip_read(x, za, (zip_uint64_t)idx, out, outlen);
}

unsigned sg_zip_entries(struct sg_extract_ctx *x, zip_t *za, unsigned depth)
{
    zip_int64_t n = zip_get_num_entries(za, 0);
    unsigned rc = 0;
    for (zip_int64_t i = 0; i < n && sg_extract_going(x); i++) {
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) < 0) {
            rc |= SG_EXTRACT_MALFORMED;
            continue;
        }
        const char *name = (st.valid & ZIP_STAT_NAME) && st.name ? st.name : "";
        size_t nl = strlen(name);
        if ((nl && name[nl - 1] == '/') || ((st.valid & ZIP_STAT_SIZE) && !st.size))
            continue;   /* folders and empty files */
        unsigned stop = sg_extract_enter(x, depth, false);   /* sg_zip_read counts the entry */
        if (stop) {
            rc |= stop;
            break;
        }
        unsigned char *data;
        size_t len;
        unsigned r = sg_zip_read(x, za, (zip_uint64_t)i, &data, &len);
        rc |= r;
        if (r & SG_EXTRACT_BUDGET)
            break;
        if (!data)
            continue;
        rc |= sg_extract_nested(x, data, len, name, name, depth + 1);
        free(data);
    }
    return rc;
}

static unsigned zip_run(const unsigned char *data, size_t len, const char *where, unsigned depth,
                        struct sg_extract_ctx *x)
{
    (void)where;
    zip_t *za = sg_zip_open(data, len);
    if (!za)
        return SG_EXTRACT_MALFORMED;
    unsigned rc = sg_zip_entries(x, za, depth);
    zip_discard(za);
    return rc;
}

static const char *const zip_types[] = {"zip", NULL};

const struct sg_extractor sg_extractor_zip = {
    .name = "zip",
    .types = zip_types,
    .doc = "zip archives: each entry read as its own sniffed type, labelled with its name; "
           "encrypted entries are reported, entry count, size, ratio and nesting are budgeted",
    .run = zip_run,
};
