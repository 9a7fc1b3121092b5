/*
 * sniff.c - what an attachment really is, from its first bytes.
 *
 * Declared types lie (a logo sent as application/octet-stream); rules
 * about images and documents ask this instead.
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

/* An OOXML package names its main part early in the zip directory. */
static const char *ooxml_kind(const unsigned char *d, size_t len, const char *name)
{
    size_t scan = len < 65536 ? len : 65536;
    if (memmem(d, scan, "word/", 5) || name_ends(name, ".docx"))
        return "docx";
    if (memmem(d, scan, "xl/", 3) || name_ends(name, ".xlsx"))
        return "xlsx";
    if (memmem(d, scan, "ppt/", 4) || name_ends(name, ".pptx"))
        return "pptx";
    return "zip";
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
    if (has_prefix(d, len, "PK\x03\x04", 4))
        return ooxml_kind(d, len, filename);
    if (has_prefix(d, len, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8))
        return "ole";
    if (has_prefix(d, len, "<svg", 4) || (len > 5 && memmem(d, len < 512 ? len : 512, "<svg", 4)))
        return "svg";
    size_t check = len < 512 ? len : 512;
    for (size_t i = 0; i < check; i++)
        if (d[i] < 0x09 || (d[i] > 0x0d && d[i] < 0x20))
            return "unknown";
    return len ? "text" : "unknown";
}
