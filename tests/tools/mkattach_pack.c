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

/* The text as Notepad's "Unicode": UTF-16LE with a byte order mark, CRLF
 * line ends (UTF-8 in, BMP characters only). */
int mka_utf16(const char *out, const char *text, size_t len)
{
    FILE *f = fopen(out, "wb");
    if (!f) {
        perror(out);
        return -1;
    }
    fputs("\xff\xfe", f);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        unsigned cp = c;
        if (c >= 0xe0 && i + 2 < len)
            cp = (c & 0x0f) << 12 | ((unsigned char)text[i + 1] & 0x3f) << 6 | ((unsigned char)text[i + 2] & 0x3f), i += 2;
        else if (c >= 0xc0 && i + 1 < len)
            cp = (c & 0x1f) << 6 | ((unsigned char)text[i + 1] & 0x3f), i += 1;
        if (cp == '\n')
            fputs("\r\0", f);
        fputc((int)(cp & 0xff), f);
        fputc((int)(cp >> 8), f);
    }
    return fclose(f) ? -1 : 0;
}

/* One TNEF attribute: level, id, length, data, checksum (sum of the
 * data's bytes), all little-endian. */
static void tnef_attr(FILE *f, unsigned char level, unsigned id, const void *data, size_t len)
{
    const unsigned char *d = data;
    unsigned sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += d[i];
    unsigned char h[9] = {level, (unsigned char)id, (unsigned char)(id >> 8), (unsigned char)(id >> 16),
                          (unsigned char)(id >> 24), (unsigned char)len, (unsigned char)(len >> 8),
                          (unsigned char)(len >> 16), (unsigned char)(len >> 24)};
    fwrite(h, 1, 9, f);
    fwrite(d, 1, len, f);
    unsigned char c[2] = {(unsigned char)sum, (unsigned char)(sum >> 8)};
    fwrite(c, 1, 2, f);
}

/* winmail.dat as Outlook writes it, trimmed to what a reader sees: the
 * text as the plain body and again as an attached notes.txt. */
int mka_tnef(const char *out, const char *text, size_t len)
{
    FILE *f = fopen(out, "wb");
    if (!f) {
        perror(out);
        return -1;
    }
    static const unsigned char head[] = {0x78, 0x9f, 0x3e, 0x22, 0x01, 0x00};   /* signature, key */
    fwrite(head, 1, sizeof(head), f);
    static const unsigned char version[] = {0x00, 0x00, 0x01, 0x00};
    tnef_attr(f, 1, 0x00089006, version, sizeof(version));                     /* attTnefVersion */
    tnef_attr(f, 1, 0x00078008, "IPM.Note", 9);                                /* attMessageClass */
    tnef_attr(f, 1, 0x0002800C, text, len);                                     /* attBody */
    static const unsigned char rend[14] = {0x01, 0x00, 0xff, 0xff, 0xff, 0xff};
    tnef_attr(f, 2, 0x00069002, rend, sizeof(rend));                           /* attAttachRenddata */
    tnef_attr(f, 2, 0x00018010, "notes.txt", 10);                              /* attAttachTitle */
    tnef_attr(f, 2, 0x0006800F, text, len);                                     /* attAttachData */
    return fclose(f) ? -1 : 0;
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
