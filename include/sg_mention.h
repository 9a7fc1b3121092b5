/*
 * sg_mention.h - tells a word that is only mentioned from a word that is
 * used (policy/mention.c).
 *
 * An anti-bullying letter to parents that says pupils "have been using
 * words like 'X' in the playground" names the word to stop it; "you are a
 * 'X'" uses it. The lexicon's `mentions: false` asks this module, on the
 * normalised scan text, before a scoring term counts.
 */
#ifndef SG_MENTION_H
#define SG_MENTION_H

#include <stdbool.h>
#include <stddef.h>

/* True when text[start, end) lies inside quotation marks (straight or
 * curly, single or double, as normalisation leaves them: ' and ") that
 * hold a single word or short phrase, a language cue ("the word",
 * "called", "words like", "said") comes just before the opening mark, and
 * nothing between the cue and the quote addresses anyone ("you are a").
 * A message described as one ("a message saying '...'") may be quoted
 * whole, up to a sentence. A quoted sentence addressed to "you" after a
 * word cue is speech, not a mention: false. */
bool sg_mention_only(const char *text, size_t len, size_t start, size_t end);

#endif
