/*
 * ole.c - OLE2 compound files: password-protected Office 2007+ files and
 * the legacy binary .doc, .xls and .ppt.
 *
 * Office encrypts a DOCX/XLSX/PPTX by wrapping it in a compound file with
 * an EncryptionInfo stream; an encrypted .doc sets fEncrypted in its FIB,
 * an encrypted .xls starts its workbook with a FILEPASS record, and an
 * encrypted .ppt has an EncryptedSummary stream. All of those are
 * ENCRYPTED. Anything else gets a strings reader (runs of printable
 * UTF-16LE or 8-bit text, skipping the file's own FAT and directory) -
 * crude, but a legacy document is read rather than waved through.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include "extract_int.h"

#define CFB_MAXREG 0xfffffffau

struct cfb {
    const unsigned char *d;
    size_t len;
    unsigned shift;
    size_t nsect;
    uint32_t *fat;
    size_t nfat;
    unsigned char *skip;        /* sectors holding the file's own structure */
};

static uint32_t u32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static unsigned u16(const unsigned char *p) { return p[0] | p[1] << 8; }

static const unsigned char *sector(const struct cfb *c, uint32_t s)
{
    return s < c->nsect ? c->d + ((size_t)(s + 1) << c->shift) : NULL;
}

static void add_fat_sector(struct cfb *c, uint32_t s)
{
    const unsigned char *p = sector(c, s);
    if (!p)
        return;
    size_t per = ((size_t)1 << c->shift) / 4;
    c->fat = sg_xrealloc(c->fat, (c->nfat + per) * sizeof(*c->fat));
    for (size_t i = 0; i < per; i++)
        c->fat[c->nfat++] = u32(p + 4 * i);
    c->skip[s] = 1;
}

static bool cfb_open(struct cfb *c, const unsigned char *d, size_t len)
{
    memset(c, 0, sizeof(*c));
    if (len < 512)
        return false;
    c->d = d;
    c->len = len;
    c->shift = u16(d + 0x1e);
    if (c->shift != 9 && c->shift != 12)
        return false;
    c->nsect = len / ((size_t)1 << c->shift);
    c->nsect = c->nsect ? c->nsect - 1 : 0;
    c->skip = sg_xcalloc(c->nsect + 1, 1);
    uint32_t nfat = u32(d + 0x2c);
    size_t listed = 0;
    for (size_t i = 0; i < 109 && listed < nfat; i++, listed++) {
        uint32_t s = u32(d + 0x4c + 4 * i);
        if (s > CFB_MAXREG)
            break;
        add_fat_sector(c, s);
    }
    /* The DIFAT chain, for files past 109 FAT sectors (bounded by the
     * number of sectors, so a loop cannot go round for ever). */
    uint32_t ds = u32(d + 0x44);
    size_t per = ((size_t)1 << c->shift) / 4;
    for (size_t hops = 0; ds <= CFB_MAXREG && hops < c->nsect && listed < nfat; hops++) {
        const unsigned char *p = sector(c, ds);
        if (!p)
            break;
        c->skip[ds] = 1;
        for (size_t i = 0; i + 1 < per && listed < nfat; i++, listed++) {
            uint32_t s = u32(p + 4 * i);
            if (s <= CFB_MAXREG)
                add_fat_sector(c, s);
        }
        ds = u32(p + 4 * (per - 1));
    }
    return c->nfat > 0;
}

static void cfb_close(struct cfb *c)
{
    free(c->fat);
    free(c->skip);
}

struct found {
    bool encryption_info, encrypted_summary;
    uint32_t word_start, book_start;
    uint64_t word_size, book_size;
};

static bool name_is(const unsigned char *e, const char *want)
{
    unsigned nl = u16(e + 0x40);
    size_t wl = strlen(want);
    if (nl != (wl + 1) * 2)
        return false;
    for (size_t i = 0; i < wl; i++)
        if (e[2 * i] != (unsigned char)want[i] || e[2 * i + 1])
            return false;
    return true;
}

static void cfb_directory(struct cfb *c, struct found *f)
{
    uint32_t s = u32(c->d + 0x30);
    size_t ssz = (size_t)1 << c->shift;
    for (size_t hops = 0; s <= CFB_MAXREG && hops < c->nsect; hops++) {
        const unsigned char *p = sector(c, s);
        if (!p)
            break;
        c->skip[s] = 1;
        for (size_t off = 0; off + 128 <= ssz; off += 128) {
            const unsigned char *e = p + off;
            if (e[0x42] != 2)
                continue;   /* streams only */
            if (name_is(e, "EncryptionInfo"))
                f->encryption_info = true;
            else if (name_is(e, "EncryptedSummary"))
                f->encrypted_summary = true;
            else if (name_is(e, "WordDocument"))
                f->word_start = u32(e + 0x74), f->word_size = u32(e + 0x78);
            else if (name_is(e, "Workbook") || name_is(e, "Book"))
                f->book_start = u32(e + 0x74), f->book_size = u32(e + 0x78);
        }
        s = s < c->nfat ? c->fat[s] : UINT32_MAX;
    }
}

/* fEncrypted in the Word FIB, or FILEPASS among a workbook's first
 * records. Streams under the 4096-byte mini cutoff are not looked at. */
static bool legacy_encrypted(const struct cfb *c, const struct found *f)
{
    const unsigned char *w = f->word_size >= 4096 ? sector(c, f->word_start) : NULL;
    if (w && u16(w) == 0xa5ec && (u16(w + 0x0a) & 0x0100))
        return true;
    const unsigned char *b = f->book_size >= 4096 ? sector(c, f->book_start) : NULL;
    size_t ssz = (size_t)1 << c->shift;
    for (size_t off = 0, k = 0; b && off + 4 <= ssz && k < 16; k++) {
        unsigned type = u16(b + off), rl = u16(b + off + 2);
        if (type == 0x002f)
            return true;
        off += 4 + rl;
    }
    return false;
}

/* ---- strings ---- */

static bool wide_ok(unsigned c)
{
    return (c >= 0x20 && c < 0x7f) || (c >= 0xa0 && c < 0x250) || (c >= 0x2010 && c <= 0x2026) ||
           c == 0x20ac || c == '\t';
}

static bool narrow_ok(unsigned char c)
{
    return (c >= 0x20 && c < 0x7f) || c == '\t' || c >= 0xa0 || c == 0x91 || c == 0x92 ||
           c == 0x93 || c == 0x94 || c == 0x96 || c == 0x97;
}

static void put_cp(struct sg_xout *o, unsigned c)
{
    char u[8];
    int n = g_unichar_to_utf8(c, u);
    sg_xout_add(o, u, (size_t)n);
}

static unsigned cp1252(unsigned char c)
{
    switch (c) {
    case 0x91: return 0x2018;
    case 0x92: return 0x2019;
    case 0x93: return 0x201c;
    case 0x94: return 0x201d;
    case 0x96: return 0x2013;
    case 0x97: return 0x2014;
    default: return c;
    }
}

/* Runs of at least 4 wide or 6 narrow characters, one a line; a CR
 * (Word's paragraph mark) inside a wide run ends a line but not the run. */
static void strings(struct sg_extract_ctx *x, const struct cfb *c, struct sg_xout *o)
{
    size_t ssz = (size_t)1 << c->shift, i = ssz;   /* past the header */
    while (i + 1 < c->len && !o->full) {
        if (!(i & 0xffff) && !sg_extract_going(x))
            break;
        size_t sec = i / ssz - 1;
        if (sec < c->nsect && c->skip[sec]) {
            i = (sec + 2) * ssz;
            continue;
        }
        size_t n = 0;
        while (i + 2 * n + 1 < c->len && (wide_ok(u16(c->d + i + 2 * n)) || u16(c->d + i + 2 * n) == '\r'))
            n++;
        if (n >= 4) {
            for (size_t k = 0; k < n; k++) {
                unsigned ch = u16(c->d + i + 2 * k);
                if (ch == '\r')
                    sg_xout_newline(o);
                else
                    put_cp(o, ch);
            }
            sg_xout_newline(o);
            i += 2 * n;
            continue;
        }
        n = 0;
        while (i + n < c->len && narrow_ok(c->d[i + n]))
            n++;
        if (n >= 6) {
            for (size_t k = 0; k < n; k++)
                put_cp(o, cp1252(c->d[i + k]));
            sg_xout_newline(o);
            i += n;
            continue;
        }
        i++;
    }
}

static unsigned ole_run(const unsigned char *data, size_t len, const char *where, unsigned depth,
                        struct sg_extract_ctx *x)
{
    (void)where;
    (void)depth;
    struct cfb c;
    if (!cfb_open(&c, data, len)) {
        cfb_close(&c);
        return SG_EXTRACT_MALFORMED;
    }
    struct found f = {0};
    cfb_directory(&c, &f);
    unsigned rc = 0;
    if (f.encryption_info || f.encrypted_summary || legacy_encrypted(&c, &f)) {
        rc = SG_EXTRACT_ENCRYPTED;
    } else {
        struct sg_xout o = {.x = x};
        strings(x, &c, &o);
        sg_xout_flush(&o, NULL);
        sg_xout_free(&o);
    }
    cfb_close(&c);
    return rc;
}

static const char *const ole_types[] = {"ole", NULL};

const struct sg_extractor sg_extractor_ole = {
    .name = "ole",
    .types = ole_types,
    .doc = "OLE2 compound files: password-protected Office files are reported encrypted; legacy "
           ".doc/.xls/.ppt are read for runs of printable text",
    .run = ole_run,
};
