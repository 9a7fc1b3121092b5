/*
 * fuzz_common.h - what the three libFuzzer harnesses share: a private
 * scratch folder holding a small fixed directory (pupils, staff,
 * relatives) and a phrase list, so every policy they load can name real
 * files by relative path, and the envelopes they judge messages under.
 */
#ifndef SG_FUZZ_COMMON_H
#define SG_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sg_engine.h"

/* The scratch folder (created on first call, removed at exit):
 *   WORK/directory/{pupils,staff,relatives}.csv   the fixed directory
 *   WORK/lists/phrases.txt                        a phrase list file
 *   WORK/policy/                                  where policies are written
 *   WORK/policy/directory -> ../directory         so both "directory/x.csv"
 *   WORK/policy/lists -> ../lists                 and "../directory/x.csv" work */
const char *fuzz_workdir(void);

/* WORK/rel; aborts on failure (a harness that cannot write is broken,
 * not the code under test). Returns a static buffer. */
const char *fuzz_write(const char *rel, const void *data, size_t len);

/* Loads policy text written to WORK/policy/NAME; aborts with the errors
 * when it does not load, since the fixed policies must. */
struct sg_policy *fuzz_load_fixed(const char *name, const char *yaml);

/* True when fuzzed policy text names something outside the scratch
 * folder that could block or swamp a load (devices, /proc, FIFOs reached
 * by climbing out); such inputs are skipped, not judged. */
bool fuzz_names_outside(const uint8_t *data, size_t size);

/* Judges msg under p with envelope env and renders the verdict every way
 * the milter and safeguard-check do (JSON, header lists, bounce text). */
void fuzz_judge(const struct sg_policy *p, const struct sg_envelope *env, const struct sg_message *msg);

/* The fixed policy text with every rule kind, and its directory. */
extern const char fuzz_policy_all_rules[];

#endif
