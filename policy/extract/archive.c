/*
 * archive.c - everything libarchive opens that is not a zip: gzip, bzip2,
 * xz and zstd files (one compressed file, "raw" to libarchive), tar in any
 * of those, 7-Zip, RAR, cabinet and cpio. Each entry is read as its own
 * sniffed type, as zip entries are (zip.c keeps its own reader: OOXML and
 * OpenDocument need entries by name).
 *
 * Solid archives and single compressed streams carry no per-entry
 * compressed size, so the bomb check is on the whole: what has inflated so
 * far against the attachment's own size, looked at every chunk, beside the
 * input budget that caps the total. Only decompressors built into
 * libarchive are enabled: its fallbacks to external programs (lzop, lrzip)
 * would run a process per attachment.
 */
#include <stdlib.h>
#include <string.h>
#include <archive.h>
#include <archive_entry.h>
#include "extract_int.h"

#define SG_ARCHIVE_CHUNK 65536

/* The four that are one compressed file rather than an archive. */
static bool compressed_file(const char *type)
{
    return type && (!strcmp(type, "gzip") || !strcmp(type, "bzip2") || !strcmp(type, "xz") ||
                    !strcmp(type, "zstd"));
}

enum formats { ARCHIVES, ARCHIVES_OR_RAW, RAW_ONLY };

static struct archive *open_memory(const unsigned char *data, size_t len, enum formats which)
{
    struct archive *a = archive_read_new();
    if (!a)
        return NULL;
    int (*const filters[])(struct archive *) = {
        archive_read_support_filter_gzip, archive_read_support_filter_bzip2, archive_read_support_filter_xz,
        archive_read_support_filter_lzma, archive_read_support_filter_zstd, archive_read_support_filter_compress,
    };
    int (*const formats[])(struct archive *) = {
        archive_read_support_format_tar, archive_read_support_format_7zip, archive_read_support_format_rar,
        archive_read_support_format_rar5, archive_read_support_format_cab, archive_read_support_format_cpio,
    };
    bool ok = true;
    for (size_t i = 0; i < sizeof(filters) / sizeof(*filters); i++)
        ok &= filters[i](a) == ARCHIVE_OK;     /* WARN: an external program */
    for (size_t i = 0; which != RAW_ONLY && i < sizeof(formats) / sizeof(*formats); i++)
        ok &= formats[i](a) == ARCHIVE_OK;
    /* raw takes any bytes at all, so only behind a compression filter, and
     * tar inside still outbids it. */
    if (which != ARCHIVES)
        ok &= archive_read_support_format_raw(a) == ARCHIVE_OK;
    if (!ok || archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
        archive_read_free(a);
        return NULL;
    }
    return a;
}

struct inflated {
    size_t total;               /* of every entry so far */
    size_t input;               /* the archive's own size */
};

/* One entry's bytes, whole, into *out; status bits. */
static unsigned read_entry(struct sg_extract_ctx *x, struct archive *a, struct inflated *inf,
                           unsigned char **out, size_t *outlen)
{
    const struct sg_extract_budget *b = sg_extract_budget_of(x);
    struct sg_buf buf = {0};
    unsigned rc = 0;
    char chunk[SG_ARCHIVE_CHUNK];
    for (;;) {
        la_ssize_t n = archive_read_data(a, chunk, sizeof(chunk));
        if (n == 0)
            break;
        if (n < 0) {
            rc |= SG_EXTRACT_MALFORMED;
            break;
        }
        inf->total += (size_t)n;
        if (!sg_extract_take(x, (size_t)n, false) || !sg_extract_going(x) ||
            (inf->total > SG_EXTRACT_RATIO_FLOOR && inf->total / (inf->input ? inf->input : 1) >= b->max_ratio)) {
            rc |= SG_EXTRACT_BUDGET;
            break;
        }
        sg_buf_append(&buf, chunk, (size_t)n);
    }
    if (rc) {
        sg_buf_free(&buf);
        *out = NULL;
        *outlen = 0;
        return rc;
    }
    *outlen = buf.len;
    *out = (unsigned char *)sg_buf_steal(&buf);
    return 0;
}

/* Reads every entry of an opened archive; *files counts the regular
 * files among them. */
static unsigned read_all(struct sg_extract_ctx *x, struct archive *a, size_t len, unsigned depth, size_t *files)
{
    struct inflated inf = {0, len};
    unsigned rc = 0;
    struct archive_entry *e;
    for (;;) {
        int h = archive_read_next_header(a, &e);
        if (h == ARCHIVE_EOF)
            break;
        if (h != ARCHIVE_OK && h != ARCHIVE_WARN) {
            /* 7-Zip with encrypted headers fails here, entries unseen. */
            rc |= archive_read_has_encrypted_entries(a) > 0 ? SG_EXTRACT_ENCRYPTED : SG_EXTRACT_MALFORMED;
            break;
        }
        if (archive_entry_is_encrypted(e)) {
            rc |= SG_EXTRACT_ENCRYPTED;
            continue;
        }
        if (archive_entry_filetype(e) != AE_IFREG)
            continue;          /* folders, links, devices: no content */
        ++*files;
        if (!sg_extract_going(x))
            break;
        unsigned stop = sg_extract_enter(x, depth, true);
        if (stop) {
            rc |= stop;
            break;
        }
        unsigned char *body;
        size_t blen;
        unsigned r = read_entry(x, a, &inf, &body, &blen);
        rc |= r;
        if (r & SG_EXTRACT_BUDGET)
            break;
        if (!body)
            continue;
        /* A compressed file has one entry named "data": its text is the
         * attachment's own, not an entry's. */
        const char *name = archive_format(a) == ARCHIVE_FORMAT_RAW ? NULL : archive_entry_pathname(e);
        if (blen)
            rc |= sg_extract_nested(x, body, blen, name, name, depth + 1);
        free(body);
    }
    return rc;
}

static unsigned archive_run(const unsigned char *data, size_t len, const char *where, unsigned depth,
                            struct sg_extract_ctx *x)
{
    (void)where;
    bool compressed = compressed_file(x->type);
    struct archive *a = open_memory(data, len, compressed ? ARCHIVES_OR_RAW : ARCHIVES);
    if (!a)
        return SG_EXTRACT_MALFORMED;
    size_t files = 0;
    unsigned rc = read_all(x, a, len, depth, &files);
    archive_read_free(a);
    /* Compressed zeros read as an empty tar: inflate them anyway, so a
     * bomb meets the budgets instead of passing as an empty archive. */
    if (compressed && !files && !rc && (a = open_memory(data, len, RAW_ONLY))) {
        rc |= read_all(x, a, len, depth, &files);
        archive_read_free(a);
    }
    return rc;
}

static const char *const archive_types[] = {"gzip", "bzip2", "xz", "zstd", "tar", "7z", "rar", "cab", NULL};

const struct sg_extractor sg_extractor_archive = {
    .name = "archive",
    .types = archive_types,
    .doc = "gzip, bzip2, xz and zstd files, tar (plain or compressed), 7-Zip, RAR and cabinet archives, "
           "with libarchive: each entry read as its own sniffed type, labelled with its name; encrypted "
           "entries are reported, entry count, inflated size against the archive's and nesting are budgeted",
    .run = archive_run,
};
