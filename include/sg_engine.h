/*
 * sg_engine.h - message and envelope in, verdict out.
 *
 * Knows nothing of libmilter: the milter, safeguard-check and the unit
 * tests all call this one function.
 */
#ifndef SG_ENGINE_H
#define SG_ENGINE_H

#include "sg_message.h"
#include "sg_policy.h"
#include "sg_verdict.h"

/* Fills v (initialised by the caller for env's recipient count). Internal
 * failures are recorded in v->error with v->action set to the policy's
 * on_internal_error; this function never aborts the process. */
void sg_engine_evaluate(const struct sg_policy *p, const struct sg_envelope *env,
                        const struct sg_message *msg, struct sg_verdict *v);

/* The answer for what went wrong: a limit hit raises the action to at
 * least on_limit, an internal error makes it on_internal_error. */
void sg_engine_settle(const struct sg_policy *p, struct sg_verdict *v);

/* Is this staff mail leaving the school (so screened)? Decided from the
 * envelope alone, so the milter can wave inbound mail through at MAIL FROM. */
bool sg_engine_outbound(const struct sg_policy *p, const struct sg_envelope *env);

/* A fresh event id, e.g. "sg-5f2c9a01b3e4". */
void sg_engine_event_id(char *out, size_t outlen);

#endif
