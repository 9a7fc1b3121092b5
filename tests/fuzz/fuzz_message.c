/*
 * fuzz_message.c - libFuzzer harness: raw RFC 5322 bytes through the
 * MIME model (sg_message_parse_mem) and the whole rule engine.
 *
 * The input is exactly what an MTA would hand the milter. Each input is
 * parsed twice (attachments decoded whole, and only their heads, the two
 * paths policy/message.c takes) and judged under two envelopes: the one
 * safeguard-check builds from the headers, and a fixed staff-to-pupils
 * one on a Sunday night, so the pupil-scoped and out-of-hours rules run
 * on whatever the fuzzer puts in the body. The second envelope is judged
 * by the same policy in recipient_mode: remove, which has its own path.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz_common.h"

static struct sg_policy *hold_policy, *remove_policy;

/* Tuesday 24 Nov 2026 10:00 UTC (inside hours), Sunday 29 Nov 22:00. */
#define IN_HOURS ((time_t)1795514400)
#define SUNDAY_NIGHT ((time_t)1795989600)

/* Header recipients are capped: a Cc of thousands is a benchmark case
 * (tests/bench/scale.sh), not something to repeat for every input. */
#define MAX_RCPTS 32

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sg_message_init_library();
    hold_policy = fuzz_load_fixed("hold.yaml", fuzz_policy_all_rules);
    size_t n = strlen(fuzz_policy_all_rules);
    static const char remove_mode[] = "actions:\n  recipient_mode: remove\n";
    char *text = malloc(n + sizeof(remove_mode));
    if (!text)
        abort();
    memcpy(text, fuzz_policy_all_rules, n);
    memcpy(text + n, remove_mode, sizeof(remove_mode));
    remove_policy = fuzz_load_fixed("remove.yaml", text);
    free(text);
    return 0;
}

static void judge_from_headers(const struct sg_message *msg)
{
    struct sg_envelope env = {0};
    env.mail_from = sg_xstrdup(msg->from_header ? msg->from_header : "");
    env.rcpts = sg_xcalloc(1, sizeof(char *));
    for (size_t i = 0; msg->header_rcpts && msg->header_rcpts[i] && i < MAX_RCPTS; i++)
        env.rcpts = sg_strv_push(env.rcpts, msg->header_rcpts[i]);
    env.client_addr = sg_xstrdup("127.0.0.1");
    env.when = IN_HOURS;
    fuzz_judge(hold_policy, &env, msg);
    sg_envelope_clear(&env);
}

static void judge_fixed(const struct sg_message *msg)
{
    static const char *const rcpts[] = {
        "amelia.clarke@pupils.northfield.sch.uk",  /* pupil */
        "OLLIE.W09+x@hotmail.co.uk",               /* a pupil's personal address */
        "lily.green@pupils.northfield.sch.uk",     /* the sender's own child */
        "poppy.walsh@pupils.northfield.sch.uk",    /* pupil of the other school */
        "unknown@y7.pupils.example.org",           /* pupil domain, not listed */
        "rachelg.home@hotmail.co.uk",              /* the sender's own personal address */
        "parent@example.com",                      /* external */
        NULL,
    };
    struct sg_envelope env = {0};
    env.mail_from = sg_xstrdup("rachel.green@northfield.sch.uk");
    env.rcpts = sg_xcalloc(1, sizeof(char *));
    for (size_t i = 0; rcpts[i]; i++)
        env.rcpts = sg_strv_push(env.rcpts, rcpts[i]);
    env.auth_login = sg_xstrdup("rachel.green");
    env.client_addr = sg_xstrdup("10.1.2.3");
    env.when = SUNDAY_NIGHT;
    fuzz_judge(remove_policy, &env, msg);
    sg_envelope_clear(&env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sg_message_limits lim = hold_policy->limits.msg;
    for (int pass = 0; pass < 2; pass++) {
        lim.decode_attachments = pass == 0;
        char err[256];
        struct sg_message *msg = sg_message_parse_mem((const char *)data, size, &lim, err, sizeof(err));
        if (!msg)
            continue;
        judge_from_headers(msg);
        if (pass == 0)
            judge_fixed(msg);
        sg_message_free(msg);
    }
    return 0;
}
