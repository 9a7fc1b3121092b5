/*
 * check_pool.c - evaluation in worker processes: the same verdict as in
 * process, and a worker that crashes, spins or hogs memory costs only its
 * own message (error or limit hit), is replaced, and leaves the others
 * alone. Also the frame codec against truncated and inflated input.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "check_suites.h"
#include "sg_engine.h"
#include "sg_pool.h"
#include "sg_wire.h"

static struct sg_policy *load(void)
{
    char *errors = NULL;
    struct sg_policy *p = sg_policy_load(sg_test_data("pool/policy.yaml"), &errors);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    return p;
}

static const char *mail(const char *trigger, const char *body)
{
    static __thread char buf[1024];
    snprintf(buf, sizeof(buf),
             "From: t.teacher@staff.example.sch.uk\r\nTo: amy@pupils.example.sch.uk\r\n"
             "Subject: homework\r\nMessage-ID: <m1@example>\r\n%s%s%s\r\n%s\r\n",
             trigger ? "X-Safeguard-Test-Trigger: " : "", trigger ? trigger : "", trigger ? "\r\n" : "", body);
    return buf;
}

static int memfd_of(const char *data)
{
    int fd = memfd_create("check-pool", MFD_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, strlen(data)), (ssize_t)strlen(data));
    return fd;
}

static void envelope(struct sg_envelope *env)
{
    memset(env, 0, sizeof(*env));
    env->mail_from = sg_xstrdup("t.teacher@staff.example.sch.uk");
    env->rcpts = sg_strv_push(sg_strv_push(NULL, "amy@pupils.example.sch.uk"), "colleague@staff.example.sch.uk");
    env->client_addr = sg_xstrdup("127.0.0.1");
    env->queue_id = sg_xstrdup("QPOOL");
    env->when = 1764583200;     /* 2025-12-01 10:00 UTC, a school day */
}

/* Evaluates one message through the pool; returns the verdict's action. */
static enum sg_action through_pool(struct sg_pool *pool, const char *data, struct sg_verdict *v)
{
    struct sg_envelope env;
    envelope(&env);
    sg_verdict_init(v, sg_strv_len(env.rcpts));
    sg_engine_event_id(v->event_id, sizeof(v->event_id));
    int fd = memfd_of(data);
    sg_pool_evaluate(pool, fd, &env, false, v);
    close(fd);
    sg_envelope_clear(&env);
    return v->action;
}

static struct sg_pool *start(struct sg_policy *p, unsigned n)
{
    struct sg_pool_options o = {.workers = n, .test_triggers = true};
    char err[256];
    struct sg_pool *pool = sg_pool_start(p, &o, err, sizeof(err));
    ck_assert_msg(pool != NULL, "%s", err);
    return pool;
}

START_TEST(test_same_verdict_as_in_process)
{
    struct sg_policy *p = load();
    struct sg_pool *pool = start(p, 2);
    const char *m = mail(NULL, "Text me on 07700 900123, bother and blast.");
    struct sg_verdict v;
    ck_assert_int_eq(through_pool(pool, m, &v), SG_ACTION_QUARANTINE);

    struct sg_verdict w;
    struct sg_envelope env;
    envelope(&env);
    sg_verdict_init(&w, 2);
    char err[128];
    struct sg_message *msg = sg_message_parse_mem(m, strlen(m), &p->limits.msg, err, sizeof(err));
    sg_engine_evaluate(p, &env, msg, &w);
    ck_assert_int_eq(v.action, w.action);
    ck_assert_uint_eq(v.nhits, w.nhits);
    for (size_t i = 0; i < v.nhits; i++) {
        ck_assert_ptr_eq(v.hits[i].rule, w.hits[i].rule);
        ck_assert_str_eq(v.hits[i].evidence, w.hits[i].evidence);
        for (size_t r = 0; r < 2; r++)
            ck_assert_int_eq(v.hits[i].rcpt_on[r], w.hits[i].rcpt_on[r]);
    }
    ck_assert_str_eq(v.message_id, "m1@example");
    ck_assert_ptr_null(v.error);
    sg_message_free(msg);
    sg_envelope_clear(&env);
    sg_verdict_clear(&v);
    sg_verdict_clear(&w);
    sg_pool_unref(pool);
    sg_policy_unref(p);
}
END_TEST

/* The bad message gets its answer; the next one is judged normally by a
 * fresh worker. */
static void isolation(const char *trigger, enum sg_action want, unsigned want_limit, bool want_error)
{
    struct sg_policy *p = load();
    struct sg_pool *pool = start(p, 1);
    struct sg_verdict v;
    time_t t0 = time(NULL);
    ck_assert_int_eq(through_pool(pool, mail(trigger, "nothing to see"), &v), want);
    ck_assert_uint_eq(v.limits_hit & want_limit, want_limit);
    ck_assert_int_eq(v.error != NULL, want_error);
    ck_assert_int_le(time(NULL) - t0, (time_t)p->limits.eval_seconds + 3);
    sg_verdict_clear(&v);
    ck_assert_int_eq(through_pool(pool, mail(NULL, "Call 07700 900123"), &v), SG_ACTION_QUARANTINE);
    ck_assert_uint_eq(v.limits_hit, 0);
    ck_assert_ptr_null(v.error);
    sg_verdict_clear(&v);
    struct sg_pool_stats st;
    sg_pool_stats(pool, &st);
    ck_assert_uint_eq(st.respawned, 1);
    sg_pool_unref(pool);
    sg_policy_unref(p);
}

START_TEST(test_crash_costs_one_message)
{
    isolation("crash", SG_ACTION_TEMPFAIL, 0, true);
}
END_TEST

START_TEST(test_spin_is_a_time_limit)
{
    isolation("spin", SG_ACTION_QUARANTINE, SG_LIMIT_TIME, false);
}
END_TEST

START_TEST(test_hog_is_a_memory_limit)
{
    isolation("hog", SG_ACTION_QUARANTINE, SG_LIMIT_MEMORY, false);
}
END_TEST

struct runner {
    struct sg_pool *pool;
    int ok;
};

static void *normal_mail(void *arg)
{
    struct runner *r = arg;
    for (int i = 0; i < 10; i++) {
        struct sg_verdict v;
        if (through_pool(r->pool, mail(NULL, "Call 07700 900123"), &v) == SG_ACTION_QUARANTINE && !v.error &&
            !v.limits_hit)
            r->ok++;
        sg_verdict_clear(&v);
    }
    return NULL;
}

START_TEST(test_others_in_flight_untouched)
{
    struct sg_policy *p = load();
    struct sg_pool *pool = start(p, 2);
    struct runner r[3] = {{pool, 0}, {pool, 0}, {pool, 0}};
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, normal_mail, &r[i]);
    struct sg_verdict v;
    ck_assert_int_eq(through_pool(pool, mail("crash", "x"), &v), SG_ACTION_TEMPFAIL);
    sg_verdict_clear(&v);
    ck_assert_int_eq(through_pool(pool, mail("spin", "x"), &v), SG_ACTION_QUARANTINE);
    ck_assert_uint_eq(v.limits_hit, SG_LIMIT_TIME);
    sg_verdict_clear(&v);
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(r[i].ok, 10);
    }
    sg_pool_unref(pool);
    sg_policy_unref(p);
}
END_TEST

START_TEST(test_retired_worker_replaced)
{
    struct sg_policy *p = load();
    struct sg_pool_options o = {.workers = 1, .max_requests = 2};
    char err[256];
    struct sg_pool *pool = sg_pool_start(p, &o, err, sizeof(err));
    ck_assert_ptr_nonnull(pool);
    for (int i = 0; i < 5; i++) {
        struct sg_verdict v;
        ck_assert_int_eq(through_pool(pool, mail(NULL, "Call 07700 900123"), &v), SG_ACTION_QUARANTINE);
        ck_assert_ptr_null(v.error);
        sg_verdict_clear(&v);
    }
    /* Test triggers are off in this pool: the header is only a header. */
    struct sg_verdict v;
    ck_assert_int_eq(through_pool(pool, mail("crash", "hello"), &v), SG_ACTION_ACCEPT);
    sg_verdict_clear(&v);
    sg_pool_unref(pool);
    sg_policy_unref(p);
}
END_TEST

START_TEST(test_wire_rejects_bad_frames)
{
    struct sg_policy *p = load();
    struct sg_envelope env, back;
    envelope(&env);
    struct sg_buf b = {0};
    sg_wire_request(&b, &env, "sg-000000000001", SG_WIRE_TRUNCATED);
    char id[24];
    unsigned flags;
    ck_assert(sg_wire_parse_request((unsigned char *)b.data, b.len, &back, id, sizeof(id), &flags));
    ck_assert_str_eq(back.rcpts[1], "colleague@staff.example.sch.uk");
    ck_assert_str_eq(id, "sg-000000000001");
    ck_assert_uint_eq(flags, SG_WIRE_TRUNCATED);
    ck_assert_int_eq(back.when, env.when);
    sg_envelope_clear(&back);
    for (size_t cut = 0; cut < b.len; cut++)
        ck_assert(!sg_wire_parse_request((unsigned char *)b.data, cut, &back, id, sizeof(id), &flags));
    /* A recipient count far beyond the bytes present is refused before allocating. */
    unsigned char inflated[64] = {0};
    memset(inflated + 4, 0xff, 4 * 5);
    memset(inflated + 24, 0, 8);
    inflated[32] = inflated[33] = inflated[34] = 0xff;
    inflated[35] = 0x7f;
    ck_assert(!sg_wire_parse_request(inflated, 36, &back, id, sizeof(id), &flags));

    struct sg_verdict v, w;
    sg_verdict_init(&v, 2);
    sg_verdict_add_hit(&v, &p->rules[0], sg_xstrdup("mobile 07700..."), sg_xcalloc(2, sizeof(bool)));
    sg_buf_free(&b);
    sg_wire_reply(&b, &v, p, "id@x", false);
    bool retire;
    for (size_t cut = 0; cut < b.len; cut++) {
        sg_verdict_init(&w, 2);
        ck_assert(!sg_wire_parse_reply((unsigned char *)b.data, cut, p, &w, &retire));
        sg_verdict_clear(&w);
    }
    sg_verdict_init(&w, 2);
    ck_assert(sg_wire_parse_reply((unsigned char *)b.data, b.len, p, &w, &retire));
    ck_assert_ptr_eq(w.hits[0].rule, &p->rules[0]);
    sg_verdict_clear(&w);
    sg_verdict_clear(&v);
    sg_buf_free(&b);
    sg_envelope_clear(&env);
    sg_policy_unref(p);
}
END_TEST

Suite *sg_suite_pool(void)
{
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("workers");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_same_verdict_as_in_process);
    tcase_add_test(tc, test_crash_costs_one_message);
    tcase_add_test(tc, test_spin_is_a_time_limit);
    tcase_add_test(tc, test_hog_is_a_memory_limit);
    tcase_add_test(tc, test_others_in_flight_untouched);
    tcase_add_test(tc, test_retired_worker_replaced);
    tcase_add_test(tc, test_wire_rejects_bad_frames);
    suite_add_tcase(s, tc);
    return s;
}
