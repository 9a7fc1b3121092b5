/*
 * mkattach_pack.c - the fixtures libarchive writes (gzip, tar.gz, 7-Zip
 * and a gzip bomb) and RTF, as a word processor saves it, for the
 * archive and RTF extractors' tests and the corpus.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <archive.h>
#include <archive_entry.h>
#include "mkattach.h"

/* 2024-01-15 09:00:00 UTC, as the other writers stamp their files. */
#define MKA_PACK_MTIME ((time_t)1705309200)

static int fail(struct archive *a, const char *out)
{
    fprintf(stderr, "mkattach: %s: %s\n", out, archive_error_string(a) ? archive_error_string(a) : "cannot write");
    archive_write_free(a);
    return -1;
}

static int add_entry(struct archive *a, const char *name, const char *data, size_t len)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_size(e, (la_int64_t)len);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_mtime(e, MKA_PACK_MTIME, 0);
    int rc = archive_write_header(a, e);
    archive_entry_free(e);
    if (rc != ARCHIVE_OK)
        return -1;
    return len && archive_write_data(a, data, len) != (la_ssize_t)len ? -1 : 0;
}

/* format: "raw", "ustar" or "7zip"; gzip: add the gzip filter. */
static int pack(const char *out, const char *format, bool gzip, const char *name, const char *text, size_t len)
{
    struct archive *a = archive_write_new();
    int rc = !strcmp(format, "raw") ? archive_write_set_format_raw(a)
             : !strcmp(format, "7zip") ? archive_write_set_format_7zip(a)
                                       : archive_write_set_format_ustar(a);
    if (rc != ARCHIVE_OK || (gzip && archive_write_add_filter_gzip(a) != ARCHIVE_OK) ||
        archive_write_open_filename(a, out) != ARCHIVE_OK || add_entry(a, name, text, len) != 0 ||
        archive_write_close(a) != ARCHIVE_OK)
        return fail(a, out);
    archive_write_free(a);
    return 0;
}

int mka_gz(const char *out, const char *text, size_t len)
{
    return pack(out, "raw", true, "data", text, len);
}

int mka_tgz(const char *out, const char *text, size_t len)
{
    return pack(out, "ustar", true, "notes.txt", text, len);
}

int mka_7z(const char *out, const char *text, size_t len)
{
    return pack(out, "7zip", false, "notes.txt", text, len);
}

int mka_gzbomb(const char *out)
{
    /* 1 GB of zeros in about 1 MB: past any input budget and any ratio. */
    struct archive *a = archive_write_new();
    if (archive_write_set_format_raw(a) != ARCHIVE_OK || archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
        archive_write_set_filter_option(a, "gzip", "compression-level", "9") != ARCHIVE_OK ||
        archive_write_open_filename(a, out) != ARCHIVE_OK)
        return fail(a, out);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, "zeros");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    int rc = archive_write_header(a, e);
    archive_entry_free(e);
    static char zeros[1 << 20];
    for (int i = 0; rc == ARCHIVE_OK && i < 1024; i++)
        if (archive_write_data(a, zeros, sizeof(zeros)) != (la_ssize_t)sizeof(zeros))
            rc = ARCHIVE_FATAL;
    if (rc != ARCHIVE_OK || archive_write_close(a) != ARCHIVE_OK)
        return fail(a, out);
    archive_write_free(a);
    return 0;
}

/* RTF as Word writes it: a font table, every non-ASCII character and
 * every vowel as a \'hh escape in code page 1252 or a \u escape, words
 * split across formatting groups, paragraphs as \par. */
int mka_rtf(const char *out, const char *text, size_t len)
{
    FILE *f = fopen(out, "wb");
    if (!f) {
        perror(out);
        return -1;
    }
    fputs("{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss Arial;}}{\\colortbl;\\red0\\green0\\blue0;}\n"
          "{\\*\\generator mkattach;}\\uc1\\pard\\f0\\fs22 ", f);
    size_t letters = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n') {
            fputs("\\par\n", f);
        } else if (c >= 0x80) {
            /* one UTF-8 sequence as \uN? */
            unsigned cp = 0, extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
            cp = c & (0x3f >> extra);
            for (unsigned k = 0; k < extra && i + 1 < len; k++)
                cp = cp << 6 | ((unsigned char)text[++i] & 0x3f);
            fprintf(f, "\\u%d?", cp > 32767 ? (int)cp - 65536 : (int)cp);
        } else if (c == '\\' || c == '{' || c == '}') {
            fprintf(f, "\\%c", c);
        } else if (strchr("aeiouAEIOU", c)) {
            fprintf(f, "\\'%02x", c);
        } else if (c != ' ' && ++letters % 5 == 0) {
            fprintf(f, "{\\b %c}", c);
        } else {
            fputc(c, f);
        }
    }
    fputs("\\par\n}\n", f);
    return fclose(f) ? -1 : 0;
}
