/*
 * text-bench.c - MB/s of sg_text_normalise against the utf8proc-only
 * reference on generated, ASCII-heavy school mail. Built and run by
 * tests/bench/text.sh; not installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sg_text.h"

bool sg_text_normalise_reference(const char *in, size_t len, struct sg_buf *out);

/* Mostly plain English, like staff mail; now and then an accented name,
 * a curly quote, an NBSP or an emoji, as real mail has. */
static const char *words[] = {
    "Dear", "parents", "and", "carers,", "the", "Year", "9", "trip", "to", "museum",
    "is", "on", "Friday.", "Please", "return", "consent", "form", "by", "Monday", "8:45am.",
    "Thanks,", "Mrs", "Smith", "Head", "of", "Pastoral", "Care", "homework", "deadline",
    "safeguarding", "meeting", "Room", "12", "after", "school", "club", "PE", "kit",
    "Re:", "Fwd:", ">", "regards", "lunch", "timetable", "INSET", "day", "report", "(see",
    "attached)", "https://example.sch.uk/letters", "tel.", "01632", "960123", "-", "\r\n",
    "\r\n\r\n", "\t",
};
static const char *rare[] = {
    "Zo\xc3\xab", "Ren\xc3\xa9" "e", "Jos\xc3\xa9", "Bj\xc3\xb6rn", "Fran\xc3\xa7ois",
    "it\xe2\x80\x99s", "\xe2\x80\x9cgreat\xe2\x80\x9d", "10\xc2\xa0" "am", "\xf0\x9f\x98\x80",
    "\xf0\x9f\x91\x8d", "\xe2\x80\x94", "Se\xc3\xa1n",
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Normalises the text in 64 KiB blocks, as the engine hands it over
 * part by part, and returns MB/s (best of runs). */
static double rate(bool (*fn)(const char *, size_t, struct sg_buf *),
                   const char *text, size_t len, int runs, size_t *out_len)
{
    double best = 0;
    for (int r = 0; r < runs; r++) {
        struct sg_buf out = {0};
        double t0 = now();
        for (size_t off = 0; off < len;) {
            size_t n = len - off < 65536 ? len - off : 65536;
            /* Cut on a character edge so both paths see whole characters. */
            while (off + n < len && ((unsigned char)text[off + n] & 0xc0) == 0x80)
                n--;
            if (!fn(text + off, n, &out)) {
                fprintf(stderr, "normalise failed\n");
                exit(1);
            }
            off += n;
        }
        double mbs = (double)len / 1e6 / (now() - t0);
        if (mbs > best)
            best = mbs;
        *out_len = out.len;
        sg_buf_free(&out);
    }
    return best;
}

int main(int argc, char **argv)
{
    size_t want = (argc > 1 ? strtoul(argv[1], NULL, 10) : 50) * 1000000UL;
    struct sg_buf text = {0};
    unsigned long long s = 42;
    size_t nonascii = 0;
    while (text.len < want) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned r = (unsigned)(s >> 33);
        const char *w = r % 400 == 0 ? rare[(r / 400) % (sizeof(rare) / sizeof(rare[0]))]
                                      : words[r % (sizeof(words) / sizeof(words[0]))];
        sg_buf_puts(&text, w);
        sg_buf_puts(&text, " ");
    }
    for (size_t i = 0; i < text.len; i++)
        nonascii += (unsigned char)text.data[i] >= 0x80;
    printf("text: %.1f MB, %.2f%% non-ASCII bytes\n", text.len / 1e6,
           100.0 * (double)nonascii / (double)text.len);

    size_t ref_len, fast_len;
    double ref = rate(sg_text_normalise_reference, text.data, text.len, 2, &ref_len);
    double fast = rate(sg_text_normalise, text.data, text.len, 5, &fast_len);
    printf("reference (utf8proc only): %8.1f MB/s\n", ref);
    printf("fast path:                 %8.1f MB/s  (%.1fx)\n", fast, fast / ref);

    /* A benchmark of a wrong answer is worth nothing: compare outputs. */
    struct sg_buf a = {0}, b = {0};
    sg_text_normalise(text.data, text.len, &a);
    sg_text_normalise_reference(text.data, text.len, &b);
    int same = a.len == b.len && memcmp(a.data, b.data, a.len) == 0;
    printf("outputs identical: %s\n", same ? "yes" : "NO");
    sg_buf_free(&a);
    sg_buf_free(&b);
    sg_buf_free(&text);
    return same ? 0 : 1;
}
