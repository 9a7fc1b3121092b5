/*
 * decline.c - is an invitation phrase negated in its own clause?
 *
 * Only the clause before the phrase is read: "I can't, but add me on
 * Snapchat" invites, "I can't accept your friend request" declines. The
 * words are few and fixed, so this is a scan, not a pattern.
 */
#include <string.h>
#include "sg_decline.h"

#define DECLINE_LOOKBACK 60

static bool word_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\'' || c >= 0x80;
}

static bool is_negation(const char *w, size_t n)
{
    static const char *const words[] = {
        "not", "never", "cannot", "unable", "nor", "no", "dont", "cant", "wont", "didnt", "doesnt", "shouldnt",
        "mustnt", "wouldnt", "couldnt", "isnt", "arent", "avoid", "stop", "without", "refuse", "refused",
        "refusing", "decline", "declined", "declining", "reject", "rejected", "ignore", "ignored", NULL,
    };
    if (n > 3 && !strncmp(w + n - 3, "n't", 3))
        return true;
    for (size_t i = 0; words[i]; i++)
        if (strlen(words[i]) == n && !strncmp(w, words[i], n))
            return true;
    return false;
}

bool sg_decline_before(const char *text, size_t lo, size_t off)
{
    size_t from = off > lo + DECLINE_LOOKBACK ? off - DECLINE_LOOKBACK : lo;
    size_t end = off;
    /* Words from the phrase backwards, until a clause break. */
    while (end > from) {
        size_t e = end;
        while (e > from && !word_char((unsigned char)text[e - 1])) {
            char c = text[e - 1];
            if (strchr(".,;:!?\n()", c))
                return false;
            e--;
        }
        size_t s = e;
        while (s > from && word_char((unsigned char)text[s - 1]))
            s--;
        if (s == e)
            return false;
        /* A word cut by the look-back limit is not read. */
        if (s == from && s > lo && word_char((unsigned char)text[s - 1]))
            return false;
        size_t n = e - s;
        if ((n == 3 && !strncmp(text + s, "but", 3)) || (n == 4 && !strncmp(text + s, "then", 4)))
            return false;
        if (is_negation(text + s, n))
            return true;
        end = s;
    }
    return false;
}
