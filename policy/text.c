/*
 * text.c - one normal form for every piece of text a rule looks at.
 *
 * utf8proc does the Unicode work (NFKC, case fold, marks, ignorables such
 * as zero-width spaces, control characters to spaces); this file only
 * repairs invalid bytes beforehand and folds white space afterwards.
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "sg_text.h"

static const char replacement[] = "\xEF\xBF\xBD";

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
    return sg_buf_steal(&b);
}

bool sg_text_normalise(const char *in, size_t len, struct sg_buf *out)
{
    size_t fixed_len;
    char *fixed = repair_utf8(in, len, &fixed_len);
    utf8proc_uint8_t *mapped = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)fixed, (utf8proc_ssize_t)fixed_len,
                                      &mapped,
                                      UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
                                      UTF8PROC_CASEFOLD | UTF8PROC_IGNORE | UTF8PROC_STRIPCC |
                                      UTF8PROC_STRIPMARK | UTF8PROC_LUMP);
    free(fixed);
    if (n < 0)
        return false;
    /* Fold runs of spaces to one; none at the start of a block. */
    sg_buf_append(out, "", 0);
    size_t need = out->len + (size_t)n + 1;
    if (need > out->cap) {
        out->data = sg_xrealloc(out->data, need);
        out->cap = need;
    }
    char *w = out->data + out->len;
    char prev = out->len ? out->data[out->len - 1] : '\n';
    for (utf8proc_ssize_t i = 0; i < n; i++) {
        char c = (char)mapped[i];
        if (c == ' ' && (prev == ' ' || prev == '\n'))
            continue;
        *w++ = prev = c;
    }
    *w = '\0';
    out->len = (size_t)(w - out->data);
    free(mapped);
    return true;
}
