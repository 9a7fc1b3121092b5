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

#endif
