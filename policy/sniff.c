/*
 * sniff.c - what an attachment really is, from its first bytes.
 *
 * Declared types lie (a logo sent as application/octet-stream); rules
 * about images and documents ask this instead, and the attachment text
 * extractors (policy/extract/) are chosen by it. Names: pdf, png, jpeg,
 * gif, webp, bmp, svg; docx, xlsx, pptx, odt, ods, odp, zip; ole (an
 * OLE2 compound file: legacy .doc/.xls/.ppt, or an encrypted Office
 * 2007+ file); csv (text named *.csv), text; unknown.
 */
#include <string.h>
#include <strings.h>
#include "sg_message.h"

static bool has_prefix(const unsigned char *d, size_t len, const char *magic, size_t mlen)
{
    return len >= mlen && !memcmp(d, magic, mlen);
}

static bool name_ends(const char *name, const char *ext)
{
    size_t n = name ? strlen(name) : 0, e = strlen(ext);
    return n > e && !strcasecmp(name + n - e, ext);
}

static unsigned le16(const unsigned char *p) { return p[0] | p[1] << 8; }
static size_t le32(const unsigned char *p) { return (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24; }

/* OpenDocument puts an uncompressed "mimetype" entry first. */
static const char *odf_kind(const unsigned char *d, size_t len)
{
    if (len < 30 || le16(d + 26) != 8 || memcmp(d + 30, "mimetype", 8 < len - 30 ? 8 : len - 30))
        return NULL;
    size_t at = 30 + 8 + le16(d + 28);
    static const char base[] = "application/vnd.oasis.opendocument.";
    size_t bl = sizeof(base) - 1;
    if (at + bl > len || memcmp(d + at, base, bl))
        return NULL;
    static const struct { const char *sub, *kind; } kinds[] = {
        {"text", "odt"}, {"spreadsheet", "ods"}, {"presentation", "odp"},
    };
    for (size_t i = 0; i < 3; i++) {
        size_t sl = strlen(kinds[i].sub);
        /* "text" but not "text-template"/"text-master" */
        if (at + bl + sl <= len && !memcmp(d + at + bl, kinds[i].sub, sl) &&
            (at + bl + sl == len || d[at + bl + sl] < 'a' || d[at + bl + sl] > 'z') &&
            (at + bl + sl == len || d[at + bl + sl] != '-'))
            return kinds[i].kind;
    }
    return NULL;
}

/* The central directory's names decide when the whole file is here. An
 * OOXML package's main part is word/document.xml, xl/workbook.xml or
 * ppt/presentation.xml. NULL when no central directory is found. */
static const char *zip_directory_kind(const unsigned char *d, size_t len)
{
    if (len < 22)
        return NULL;
    size_t lowest = len > 65557 ? len - 65557 : 0;
    for (size_t e = len - 22 + 1; e-- > lowest;) {
        if (memcmp(d + e, "PK\x05\x06", 4))
            continue;
        size_t n = le16(d + e + 10), off = le32(d + e + 16), seen = 0;
        if (off >= e)
            return NULL;
        for (size_t p = off; seen < n && seen < 10000 && p + 46 <= e; seen++) {
            if (memcmp(d + p, "PK\x01\x02", 4))
                break;
            size_t nl = le16(d + p + 28);
            const char *name = (const char *)d + p + 46;
            if (p + 46 + nl > e)
                break;
            static const struct { const char *part, *kind; } mains[] = {
                {"word/document.xml", "docx"}, {"xl/workbook.xml", "xlsx"}, {"ppt/presentation.xml", "pptx"},
            };
            for (size_t i = 0; i < 3; i++)
                if (nl == strlen(mains[i].part) && !strncasecmp(name, mains[i].part, nl))
                    return mains[i].kind;
            p += 46 + nl + le16(d + p + 30) + le16(d + p + 32);
        }
        return "zip";
    }
    return NULL;
}

/* Zip-based formats. With only the head of the file (attachments not
 * decoded), fall back to the part names in the first local headers. */
static const char *zip_kind(const unsigned char *d, size_t len, const char *name)
{
    const char *k = odf_kind(d, len);
    if (k)
        return k;
    if ((k = zip_directory_kind(d, len)) != NULL)
        return k;
    size_t scan = len < 65536 ? len : 65536;
    if (memmem(d, scan, "word/", 5) || name_ends(name, ".docx"))
        return "docx";
    if (memmem(d, scan, "xl/", 3) || name_ends(name, ".xlsx"))
        return "xlsx";
    if (memmem(d, scan, "ppt/", 4) || name_ends(name, ".pptx"))
        return "pptx";
    return "zip";
}

/* Compressed files, the archives libarchive reads (policy/extract/
 * archive.c) and Outlook's winmail.dat, by their magic numbers; tar's is
 * 257 bytes in. */
static const char *archive_kind(const unsigned char *d, size_t len)
{
    static const struct { const char *magic; size_t n; const char *type; } kinds[] = {
        {"\x1f\x8b", 2, "gzip"},           {"\xfd" "7zXZ\0", 6, "xz"},
        {"\x28\xb5\x2f\xfd", 4, "zstd"},     {"7z\xbc\xaf\x27\x1c", 6, "7z"},
        {"Rar!\x1a\x07", 6, "rar"},         {"MSCF\0\0\0\0", 8, "cab"},
        {"\x78\x9f\x3e\x22", 4, "tnef"},
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++)
        if (has_prefix(d, len, kinds[i].magic, kinds[i].n))
            return kinds[i].type;
    if (len >= 4 && !memcmp(d, "BZh", 3) && d[3] >= '1' && d[3] <= '9')
        return "bzip2";
    if (len >= 262 && !memcmp(d + 257, "ustar", 5))
        return "tar";
    return NULL;
}

int sg_sniff_utf16(const unsigned char *d, size_t len)
{
    if (has_prefix(d, len, "\xff\xfe", 2))
        return 1;
    if (has_prefix(d, len, "\xfe\xff", 2))
        return 2;
    /* Without a mark: Latin text in UTF-16 has a zero in every pair, on
     * the same side, and printable text on the other. */
    size_t check = (len < 512 ? len : 512) & ~(size_t)1;
    if (check < 8)
        return 0;
    size_t zero[2] = {0, 0}, ctrl[2] = {0, 0};
    for (size_t i = 0; i < check; i++) {
        zero[i & 1] += d[i] == 0;
        ctrl[i & 1] += d[i] != 0 && (d[i] < 0x09 || (d[i] > 0x0d && d[i] < 0x20));
    }
    size_t pairs = check / 2;
    if (zero[1] * 10 >= pairs * 9 && zero[0] == 0 && ctrl[0] == 0)
        return 1;
    if (zero[0] * 10 >= pairs * 9 && zero[1] == 0 && ctrl[1] == 0)
        return 2;
    return 0;
}

const char *sg_sniff_type(const unsigned char *d, size_t len, const char *filename)
{
    if (has_prefix(d, len, "%PDF-", 5))
        return "pdf";
    if (has_prefix(d, len, "\x89PNG\r\n\x1a\n", 8))
        return "png";
    if (has_prefix(d, len, "\xff\xd8\xff", 3))
        return "jpeg";
    if (has_prefix(d, len, "GIF87a", 6) || has_prefix(d, len, "GIF89a", 6))
        return "gif";
    if (len >= 12 && !memcmp(d, "RIFF", 4) && !memcmp(d + 8, "WEBP", 4))
        return "webp";
    if (has_prefix(d, len, "BM", 2) && len > 26)
        return "bmp";
    if (has_prefix(d, len, "PK\x03\x04", 4) || has_prefix(d, len, "PK\x05\x06", 4))
        return zip_kind(d, len, filename);
    if (has_prefix(d, len, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8))
        return "ole";
    const char *packed = archive_kind(d, len);
    if (packed)
        return packed;
    if (has_prefix(d, len, "{\\rtf", 5))
        return "rtf";
    if (has_prefix(d, len, "<svg", 4) || (len > 5 && memmem(d, len < 512 ? len : 512, "<svg", 4)))
        return "svg";
    if (sg_sniff_utf16(d, len))
        return name_ends(filename, ".csv") ? "csv" : "text";
    size_t check = len < 512 ? len : 512;
    for (size_t i = 0; i < check; i++)
        if (d[i] < 0x09 || (d[i] > 0x0d && d[i] < 0x20))
            return "unknown";
    if (!len)
        return "unknown";
    /* CSV only by name: its content is just text. */
    return name_ends(filename, ".csv") ? "csv" : "text";
}
