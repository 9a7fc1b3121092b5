/*
 * text.c - one normal form for every piece of text a rule looks at.
 *
 * utf8proc does the Unicode work (NFKC, case fold, marks, ignorables such
 * as zero-width spaces, control characters to spaces); this file only
 * repairs invalid bytes beforehand, folds a few characters utf8proc leaves
 * alone (fold_char) and folds white space afterwards.
 *
 * Nearly all school mail is ASCII, and utf8proc's decompose/compose costs
 * the same per byte whether or not a byte needs it, so printable ASCII is
 * mapped here with a table and only the non-ASCII stretches (with the
 * ASCII character before each, which composition could in principle join
 * to what follows) are handed to utf8proc. The result must be the
 * reference's byte for byte; sg_text_normalise_reference keeps the
 * utf8proc-only path so the tests can prove it.
 *
 * Why splitting is safe: utf8proc maps each code point on its own, and
 * the only steps that look at neighbours are canonical ordering (ASCII
 * has combining class 0, so nothing moves across it), composition (no
 * composition has an ASCII second character) and CR LF becoming one space
 * (two spaces instead of one, which the white-space fold then removes).
 * Invalid-byte repair never spans an ASCII byte: a UTF-8 sequence holds
 * only bytes >= 0x80, so a run of such bytes starts on a character edge.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "sg_text.h"

static const char replacement[] = "\xEF\xBF\xBD";

static const utf8proc_option_t map_options =
    UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
    UTF8PROC_CASEFOLD | UTF8PROC_IGNORE | UTF8PROC_STRIPCC |
    UTF8PROC_STRIPMARK | UTF8PROC_LUMP;

/* Characters utf8proc keeps that rules must read as ASCII, sorted by code
 * point. The Cyrillic and Greek letters that look like Latin ones
 * ("fu\u0441k" with a Cyrillic es, "w\u0430nker" with a Cyrillic a) are
 * how a word is slipped past a list, and the dotless i with them; they
 * are folded wherever they stand. Text that is really Russian or Greek
 * becomes Latin gibberish, which no English term matches. LUMP makes
 * curly single quotes ', but leaves curly double quotes and guillemets: a
 * rule looking for a quotation (words like \u201cX\u201d) must see one
 * kind of mark. */
static const struct fold {
    utf8proc_int32_t from, to;
} folds[] = {
    {0x00AB, '"'}, {0x00BB, '"'}, {0x0131, 'i'}, {0x0391, 'a'}, {0x0392, 'b'}, {0x0395, 'e'}, {0x0396, 'z'},
    {0x0397, 'h'}, {0x0399, 'i'}, {0x039A, 'k'}, {0x039C, 'm'}, {0x039D, 'n'}, {0x039F, 'o'}, {0x03A1, 'p'},
    {0x03A4, 't'}, {0x03A5, 'y'}, {0x03A7, 'x'}, {0x03B1, 'a'}, {0x03B5, 'e'}, {0x03B9, 'i'}, {0x03BA, 'k'},
    {0x03BD, 'v'}, {0x03BF, 'o'}, {0x03C1, 'p'}, {0x03C4, 't'}, {0x03C5, 'u'}, {0x03C7, 'x'}, {0x0405, 's'},
    {0x0406, 'i'}, {0x0408, 'j'}, {0x0410, 'a'}, {0x0412, 'b'}, {0x0415, 'e'}, {0x041A, 'k'}, {0x041C, 'm'},
    {0x041D, 'h'}, {0x041E, 'o'}, {0x0420, 'p'}, {0x0421, 'c'}, {0x0422, 't'}, {0x0423, 'y'}, {0x0425, 'x'},
    {0x0430, 'a'}, {0x0435, 'e'}, {0x043A, 'k'}, {0x043E, 'o'}, {0x0440, 'p'}, {0x0441, 'c'}, {0x0443, 'y'},
    {0x0445, 'x'}, {0x0455, 's'}, {0x0456, 'i'}, {0x0457, 'i'}, {0x0458, 'j'}, {0x04BB, 'h'}, {0x04CF, 'l'},
    {0x0501, 'd'}, {0x051A, 'q'}, {0x051B, 'q'}, {0x051C, 'w'}, {0x051D, 'w'}, {0x201C, '"'}, {0x201D, '"'},
    {0x201E, '"'}, {0x201F, '"'}, {0x2033, '"'}, {0x2039, '\''}, {0x203A, '\''}, {0x301D, '"'}, {0x301E, '"'},
};

/* utf8proc's custom hook: runs on each code point before decomposition,
 * so what it returns is then case-folded like any other letter. */
static utf8proc_int32_t fold_char(utf8proc_int32_t cp, void *data)
{
    (void)data;
    size_t lo = 0, hi = sizeof(folds) / sizeof(folds[0]);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (folds[mid].from == cp)
            return folds[mid].to;
        if (folds[mid].from < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return cp;
}

/* utf8proc_map rejects invalid input outright; mend it so one bad byte in
 * a mail cannot switch every content rule off. */
static char *repair_utf8(const char *in, size_t len, size_t *out_len)
{
    struct sg_buf b = {0};
    size_t i = 0;
    while (i < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)in + i,
                                              (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0 || cp == 0) {
            sg_buf_append(&b, cp == 0 && n > 0 ? " " : replacement, cp == 0 && n > 0 ? 1 : 3);
            i += n > 0 ? (size_t)n : 1;
            continue;
        }
        sg_buf_append(&b, in + i, (size_t)n);
        i += (size_t)n;
    }
    *out_len = b.len;
    /* An empty input leaves b.data NULL; utf8proc_map wants a pointer. */
    if (!b.data)
        return sg_xrealloc(NULL, 1);
    return sg_buf_steal(&b);
}

/* Makes room for extra more bytes (and the terminating NUL) in out. */
static void reserve(struct sg_buf *out, size_t extra)
{
    size_t need = out->len + extra + 1;
    if (need > out->cap) {
        size_t cap = out->cap * 2 > need ? out->cap * 2 : need;
        out->data = sg_xrealloc(out->data, cap);
        out->cap = cap;
    }
}

/* Folds runs of spaces to one; none at the start of a block. *prev is the
 * last byte written (or '\n' for the start), carried across calls so the
 * fold works the same over pieces as over the whole. */
static void append_folded(struct sg_buf *out, const utf8proc_uint8_t *s, size_t n, char *prev)
{
    reserve(out, n);
    char *w = out->data + out->len;
    char p = *prev;
    for (size_t i = 0; i < n; i++) {
        char c = (char)s[i];
        if (c == ' ' && (p == ' ' || p == '\n'))
            continue;
        *w++ = p = c;
    }
    *w = '\0';
    out->len = (size_t)(w - out->data);
    *prev = p;
}

/* Repair, utf8proc, fold: the whole reference path for one piece. */
static bool map_slow(const char *in, size_t len, struct sg_buf *out, char *prev)
{
    size_t fixed_len;
    char *fixed = repair_utf8(in, len, &fixed_len);
    utf8proc_uint8_t *mapped = NULL;
    utf8proc_ssize_t n = utf8proc_map_custom((const utf8proc_uint8_t *)fixed, (utf8proc_ssize_t)fixed_len,
                                             &mapped, map_options, fold_char, NULL);
    free(fixed);
    if (n < 0)
        return false;
    append_folded(out, mapped, (size_t)n, prev);
    free(mapped);
    return true;
}

static char start_prev(struct sg_buf *out)
{
    /* Ensures data is non-NULL so the result is always a C string. */
    sg_buf_append(out, "", 0);
    return out->len ? out->data[out->len - 1] : '\n';
}

/* For the tests only (declared again in tests/unit/check_text.c, not in
 * sg_text.h, so nothing else calls it): the utf8proc-only path that the
 * fast path must match. */
bool sg_text_normalise_reference(const char *in, size_t len, struct sg_buf *out);

bool sg_text_normalise_reference(const char *in, size_t len, struct sg_buf *out)
{
    char prev = start_prev(out);
    reserve(out, 0);
    return map_slow(in, len, out, &prev);
}

/*
 * What utf8proc makes of each ASCII byte under map_options: capitals fold
 * to small letters; tab, LF, VT, FF and CR become a space (STRIPCC); the
 * other C0 controls and DEL vanish (DROP); NUL is a space because
 * repair_utf8 turns it into one first. Bytes >= 0x80 are not looked up.
 * Letters, digits and punctuation map to themselves.
 */
#define DROP 0x80
static const unsigned char ascii_map[128] = {
    0x20, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x20, 0x20, 0x20, 0x20, 0x20, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
    0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
    0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
    0x40, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67,
    0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
    0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77,
    0x78, 0x79, 0x7a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f,
    0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67,
    0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
    0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77,
    0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x80,
};

/*
 * Eight bytes at once (SWAR) for the common case: all ASCII, no control
 * or DEL, no two spaces together, and no leading space when the previous
 * byte already ends in one (drop_space). Then the table would only fold
 * capitals, which is done here on the whole word; anything else returns
 * false and the caller takes the table byte by byte. The byte masks are
 * exact (no carry crosses a byte) because every byte is below 0x80.
 * Little-endian only, since "the next byte" is the next 8 bits up.
 */
#define ONES(b) ((uint64_t)0x0101010101010101ULL * (b))

static inline uint64_t eq_mask(uint64_t x, unsigned char b)
{
    uint64_t y = x ^ ONES(b);
    return ~(((y & ONES(0x7f)) + ONES(0x7f)) | y) & ONES(0x80);
}

static inline bool plain8(const unsigned char *s, bool drop_space, char *w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t x;
    memcpy(&x, s, 8);
    uint64_t ctl = ~(x + ONES(0x80 - 0x20)) & ONES(0x80);
    uint64_t sp = eq_mask(x, ' ');
    if (ctl | eq_mask(x, 0x7f) | (sp & (sp << 8)) | (drop_space ? sp & 0x80 : 0))
        return false;
    uint64_t upper = (x + ONES(0x80 - 'A')) & ~(x + ONES(0x80 - 'Z' - 1)) & ONES(0x80);
    x |= upper >> 2;
    memcpy(w, &x, 8);
    return true;
#else
    (void)s; (void)drop_space; (void)w;
    return false;
#endif
}

/* Non-ASCII stretches separated by fewer ASCII bytes than this go to
 * utf8proc as one piece: text in, say, Polish is mostly non-ASCII with
 * short ASCII gaps, and a utf8proc call per word would cost more than it
 * saves. Any split before an ASCII byte is safe (see the top). */
#define SLOW_GAP 16

bool sg_text_normalise(const char *in, size_t len, struct sg_buf *out)
{
    const unsigned char *s = (const unsigned char *)in;
    char prev = start_prev(out);
    /* ASCII output is never longer than its input. */
    reserve(out, len);
    size_t i = 0;
    while (i < len) {
        /* The ASCII run [i, j), eight bytes at a time where it can. */
        size_t j = i;
        while (len - j >= 8) {
            uint64_t x;
            memcpy(&x, s + j, 8);
            if (x & ONES(0x80))
                break;
            j += 8;
        }
        while (j < len && s[j] < 0x80)
            j++;
        /* Keep the byte before a non-ASCII stretch for utf8proc. */
        size_t fast_end = j < len && j > i ? j - 1 : j;
        char *w = out->data + out->len;
        char p = prev;
        size_t k = i;
        while (k < fast_end) {
            if (fast_end - k >= 8 && plain8(s + k, p == ' ' || p == '\n', w)) {
                w += 8;
                p = w[-1];
                k += 8;
                continue;
            }
            /* A block with a control, a double space or a space to drop,
             * or the tail: the table, byte by byte. */
            size_t stop = fast_end - k >= 8 ? k + 8 : fast_end;
            for (; k < stop; k++) {
                unsigned char c = ascii_map[s[k]];
                if (c == DROP || (c == ' ' && (p == ' ' || p == '\n')))
                    continue;
                *w++ = p = (char)c;
            }
        }
        *w = '\0';
        out->len = (size_t)(w - out->data);
        prev = p;
        if (j >= len)
            break;
        /* The non-ASCII stretch from fast_end, swallowing short ASCII
         * gaps between stretches. */
        size_t end = j;
        for (;;) {
            while (end < len && s[end] >= 0x80)
                end++;
            size_t gap = end;
            while (gap < len && gap - end < SLOW_GAP && s[gap] < 0x80)
                gap++;
            if (gap < len && gap - end < SLOW_GAP && s[gap] >= 0x80)
                end = gap;
            else
                break;
        }
        if (!map_slow(in + fast_end, end - fast_end, out, &prev))
            return false;
        /* map_slow may have moved data; the ASCII still to come needs at
         * most its own length. */
        reserve(out, len - end);
        i = end;
    }
    return true;
}
