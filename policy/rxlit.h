/*
 * rxlit.h - the phrases a finite list regex spells out (rxlit.c).
 */
#ifndef SG_RXLIT_H
#define SG_RXLIT_H

#include <stdbool.h>
#include <stddef.h>

#define SG_RXLIT_MAX_LEN 200     /* bytes of one phrase */

/* The phrases pattern matches, lower case, NULL-terminated (malloc'd, as
 * is each string), when it is only literals, groups, alternation, "?"
 * and \s, with \b at most at its two ends (*edges: 1 = a word edge
 * before, 2 = after); NULL when it is anything else or spells out more
 * than max phrases. */
char **sg_rxlit_expand(const char *pattern, size_t max, unsigned *edges);

/* The phrases every match of pattern ends with: those of the longest
 * finite run of atoms at its end (a look-ahead there is left out), for a
 * pattern Hyperscan cannot run whole, so that it finds candidates cheaply
 * and pcre2 confirms them. NULL when the pattern has a "|" at the top,
 * its end is not finite, or a phrase is shorter than min_len bytes. */
char **sg_rxlit_tail(const char *pattern, size_t max, size_t min_len, unsigned *edges);

#endif
