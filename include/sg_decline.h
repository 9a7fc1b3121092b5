/*
 * sg_decline.h - telling an invitation from a refusal of one.
 *
 * "Add me on Snapchat" and "I can't add you on Snapchat" share their
 * words; a member of staff declining a pupil's request, or warning pupils
 * off ("don't accept friend requests from strangers"), is doing what the
 * policies ask (001 5.2 "Decline student initiated 'friend' requests").
 */
#ifndef SG_DECLINE_H
#define SG_DECLINE_H

#include <stdbool.h>
#include <stddef.h>

/* True when the clause that text[off] sits in says "not" before it: a
 * negation ("can't", "won't", "not able", "never", "don't") or a refusal
 * ("decline", "refuse") within the 60 characters before off, with no
 * clause break (. , ; : ! ? "but", a new line) between. lo is where the
 * look-back must stop (the segment's start). */
bool sg_decline_before(const char *text, size_t lo, size_t off);

#endif
