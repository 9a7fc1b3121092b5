/*
 * sg_pool.h - evaluation in pre-forked worker processes.
 *
 * A pool is one generation: a policy snapshot and the workers forked
 * while holding it, so they share it copy-on-write. The caller's threads
 * only pass a file descriptor (the spooled message) and the envelope; a
 * worker parses, evaluates and answers with the verdict. A worker that
 * crashes, overruns its time budget or its memory budget costs that one
 * message a limit hit or an internal error, and is replaced.
 *
 * Reload = a new pool on the new snapshot; the old one is released and
 * its workers exit once the last message it holds is done.
 */
#ifndef SG_POOL_H
#define SG_POOL_H

#include <stdbool.h>
#include "sg_engine.h"

struct sg_pool;

struct sg_pool_options {
    unsigned workers;            /* 0 = one per core */
    unsigned max_requests;       /* a worker retires after this many (0 = 10000) */
    bool test_triggers;          /* honour X-Safeguard-Test-Trigger (tests only) */
};

/* Forks the workers; takes a reference on p. NULL with err filled when
 * not even one worker could start. */
struct sg_pool *sg_pool_start(struct sg_policy *p, const struct sg_pool_options *o,
                              char *err, size_t errlen);
struct sg_pool *sg_pool_ref(struct sg_pool *pool);
/* At zero: the workers are told to stop and reaped. */
void sg_pool_unref(struct sg_pool *pool);
struct sg_policy *sg_pool_policy(const struct sg_pool *pool);
unsigned sg_pool_size(const struct sg_pool *pool);

/* Evaluates the message readable at fd (from offset 0) under env. v is
 * initialised by the caller (sg_verdict_init with env's recipient count,
 * event id set). Thread-safe; waits for a free worker. A worker failure is
 * recorded in v (limits_hit or error) with the policy's answer for it. */
void sg_pool_evaluate(struct sg_pool *pool, int fd, const struct sg_envelope *env,
                      bool truncated, struct sg_verdict *v);

/* What a worker died of, for the caller's log: counted since start. */
struct sg_pool_stats {
    unsigned long served, crashed, timed_out, out_of_memory, respawned;
};
void sg_pool_stats(struct sg_pool *pool, struct sg_pool_stats *out);

/* The worker side: serve requests on sock until EOF. Never returns. */
void sg_worker_main(int sock, const struct sg_policy *p, const struct sg_pool_options *o)
    __attribute__((noreturn));

#define SG_WORKER_EXIT_OOM 75

#endif
