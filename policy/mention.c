/*
 * mention.c - a word named in order to talk about it, not used.
 *
 * Works on the normalised scan text, where curly quotes have become ' and
 * " (utf8proc's LUMP) and white space is single spaces; "\n" only ends a
 * segment, so no quotation is looked for across one.
 *
 * Three things make a mention: quotation marks around the term, holding
 * little else; a cue just before them that says language is being talked
 * about; and no "you are" between the cue and the quote. Each alone is
 * weak ("I said no", a quoted film title, "you are a 'X'"), together they
 * are how letters home, incident reports and e-safety advice name words.
 */
#include <ctype.h>
#include <string.h>
#include "sg_mention.h"

/* A word cue's quotation is one word or a short phrase: a longer one is
 * speech reported whole, which still counts. A message's words are
 * quoted up to a sentence. */
#define WORD_QUOTE_WORDS 4
#define MESSAGE_QUOTE_WORDS 30
/* How far the quotation marks are looked for on each side of the term. */
#define QUOTE_REACH 240
/* At most this many bytes from a cue's end to the opening mark: room for
 * "words like 'X', 'Y' and " before the last of a list. */
#define CUE_GAP 60

enum cue_kind { CUE_NONE = 0, CUE_WORD, CUE_MESSAGE };

struct cue {
    const char *text;
    enum cue_kind kind;
};

/* Whole words of the normalised text. "the word", "words like", "used
 * the term" and "language such as" end in one of these. */
static const struct cue cues[] = {
    {"word", CUE_WORD},       {"words", CUE_WORD},      {"term", CUE_WORD},     {"terms", CUE_WORD},
    {"language", CUE_WORD},   {"names", CUE_WORD},      {"called", CUE_WORD},   {"calling", CUE_WORD},
    {"calls", CUE_WORD},      {"said", CUE_WORD},       {"saying", CUE_WORD},   {"says", CUE_WORD},
    {"shouted", CUE_WORD},    {"shouting", CUE_WORD},   {"yelled", CUE_WORD},   {"using", CUE_WORD},
    {"used", CUE_WORD},
    {"message", CUE_MESSAGE}, {"messages", CUE_MESSAGE}, {"text", CUE_MESSAGE}, {"texts", CUE_MESSAGE},
    {"post", CUE_MESSAGE},    {"posts", CUE_MESSAGE},   {"status", CUE_MESSAGE}, {"chain letter", CUE_MESSAGE},
    {"chain letters", CUE_MESSAGE}, {"email", CUE_MESSAGE}, {"emails", CUE_MESSAGE},
};

static bool word_byte(unsigned char c)
{
    return isalnum(c) || c >= 0x80;
}

static bool is_mark(char c)
{
    return c == '"' || c == '\'';
}

/* An opening mark: not inside a word ("pupils' words"), text right after. */
static bool opens(const char *t, size_t len, size_t i)
{
    return is_mark(t[i]) && (i == 0 || !word_byte((unsigned char)t[i - 1])) && i + 1 < len && t[i + 1] != ' ' &&
           t[i + 1] != '\n';
}

/* A closing mark: text right before, no word right after ("don't"). */
static bool closes(const char *t, size_t len, size_t i)
{
    return is_mark(t[i]) && i > 0 && t[i - 1] != ' ' && (i + 1 >= len || !word_byte((unsigned char)t[i + 1]));
}

/* The opening mark before start, if the term is inside a quotation. */
static bool find_open(const char *t, size_t len, size_t start, size_t *at)
{
    size_t stop = start > QUOTE_REACH ? start - QUOTE_REACH : 0;
    for (size_t i = start; i-- > stop;) {
        if (t[i] == '\n')
            return false;
        if (!is_mark(t[i]))
            continue;
        if (opens(t, len, i)) {
            *at = i;
            return true;
        }
        /* A mark that closes something: the term is after a quotation,
         * not in one. An apostrophe inside a word is neither. */
        if (t[i] == '"' || closes(t, len, i))
            return false;
    }
    return false;
}

static bool find_close(const char *t, size_t len, size_t end, char mark, size_t *at)
{
    size_t stop = len - end > QUOTE_REACH ? end + QUOTE_REACH : len;
    for (size_t i = end; i < stop; i++) {
        if (t[i] == '\n')
            return false;
        if (t[i] == mark && closes(t, len, i)) {
            *at = i;
            return true;
        }
        if (t[i] == '"' && mark == '"')
            return false;        /* a second opening: not one quotation */
    }
    return false;
}

/* Whether t[i] belongs to a word of t[a, b): a letter or digit, or an
 * apostrophe between two ("don't", "you're"). */
static bool in_word(const char *t, size_t a, size_t b, size_t i)
{
    if (word_byte((unsigned char)t[i]))
        return true;
    return t[i] == '\'' && i > a && i + 1 < b && word_byte((unsigned char)t[i - 1]) &&
           word_byte((unsigned char)t[i + 1]);
}

/* Calls fn on each word of t[a, b), from the last when backwards; stops
 * and returns true when fn does. */
static bool each_word(const char *t, size_t a, size_t b, bool backwards, bool (*fn)(const char *w, size_t n, void *ctx),
                      void *ctx)
{
    if (backwards) {
        for (size_t i = b; i > a;) {
            while (i > a && !in_word(t, a, b, i - 1))
                i--;
            size_t e = i;
            while (i > a && in_word(t, a, b, i - 1))
                i--;
            if (e > i && fn(t + i, e - i, ctx))
                return true;
        }
        return false;
    }
    for (size_t i = a; i < b;) {
        while (i < b && !in_word(t, a, b, i))
            i++;
        size_t s = i;
        while (i < b && in_word(t, a, b, i))
            i++;
        if (i > s && fn(t + s, i - s, ctx))
            return true;
    }
    return false;
}

static bool is_word(const char *w, size_t n, const char *s)
{
    return strlen(s) == n && !memcmp(w, s, n);
}

static bool count_one(const char *w, size_t n, void *ctx)
{
    (void)w, (void)n;
    ++*(size_t *)ctx;
    return false;
}

/* "you", "your", "you're", "u", "ur": the quotation speaks to someone. */
static bool second_person(const char *w, size_t n, void *ctx)
{
    (void)ctx;
    static const char *const words[] = {"you", "your", "you're", "youre", "yours", "yourself", "u", "ur", "ya", NULL};
    for (size_t i = 0; words[i]; i++)
        if (is_word(w, n, words[i]))
            return true;
    return false;
}

struct address {
    size_t seen;                 /* words looked at, from the quote back */
    bool are;                    /* the word after the one being read is "are" or "r" */
};

/* "you are a", "you're such a", "ur a": the last few words before the
 * quote put it to someone. */
static bool addresses(const char *w, size_t n, void *ctx_)
{
    struct address *ctx = ctx_;
    if (++ctx->seen > 4)
        return true;             /* stop: too far back to be the quote's copula */
    if (is_word(w, n, "you're") || is_word(w, n, "youre") || is_word(w, n, "ur") ||
        ((is_word(w, n, "you") || is_word(w, n, "u")) && ctx->are)) {
        ctx->seen = 0;           /* found */
        return true;
    }
    ctx->are = is_word(w, n, "are") || is_word(w, n, "r");
    return false;
}

static bool addressed(const char *t, size_t a, size_t b)
{
    struct address ctx = {0, false};
    return each_word(t, a, b, true, addresses, &ctx) && ctx.seen == 0;
}

/* A sentence ends between the cue and the quote: the cue is another
 * sentence's. */
static bool sentence_ends(const char *t, size_t a, size_t b)
{
    for (size_t i = a; i + 1 < b; i++)
        if ((t[i] == '.' || t[i] == '!' || t[i] == '?' || t[i] == ';') && t[i + 1] == ' ')
            return true;
    return false;
}

/* The strongest cue ending within CUE_GAP bytes before the opening mark
 * (a message cue over a word cue: "a message on WhatsApp saying '...'"),
 * and where the nearest such cue ends. */
static enum cue_kind find_cue(const char *t, size_t open, size_t *cue_end)
{
    enum cue_kind kind = CUE_NONE;
    size_t lo = open > CUE_GAP ? open - CUE_GAP : 0;
    *cue_end = 0;
    for (size_t c = 0; c < sizeof(cues) / sizeof(cues[0]); c++) {
        size_t n = strlen(cues[c].text);
        /* Ends e with lo <= e <= open; starts at e - n. */
        for (size_t e = open; e >= lo && e >= n; e--) {
            size_t s = e - n;
            if (memcmp(t + s, cues[c].text, n) || (s > 0 && word_byte((unsigned char)t[s - 1])) ||
                word_byte((unsigned char)t[e]))
                continue;
            if (sentence_ends(t, e, open) || memchr(t + e, '\n', open - e))
                break;
            if (cues[c].kind > kind)
                kind = cues[c].kind;
            if (e > *cue_end)
                *cue_end = e;
            break;
        }
    }
    return kind;
}

bool sg_mention_only(const char *text, size_t len, size_t start, size_t end)
{
    if (!text || start >= end || end > len)
        return false;
    size_t open, close;
    if (!find_open(text, len, start, &open) || !find_close(text, len, end, text[open], &close))
        return false;
    size_t cue_end;
    enum cue_kind kind = find_cue(text, open, &cue_end);
    if (kind == CUE_NONE || addressed(text, cue_end, open))
        return false;
    size_t words = 0;
    each_word(text, open + 1, close, false, count_one, &words);
    if (kind == CUE_MESSAGE)
        return words <= MESSAGE_QUOTE_WORDS;
    return words <= WORD_QUOTE_WORDS && !each_word(text, open + 1, close, false, second_person, NULL);
}
