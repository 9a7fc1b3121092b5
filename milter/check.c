/*
 * check.c - safeguard-check: the milter's engine on .eml files, with the
 * envelope from flags or, failing those, from the message's own headers.
 *
 * Exit 0 when every file was judged (whatever the verdicts), 2 on usage
 * or policy errors, 1 when a file could not be read.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>
#include "sg_engine.h"
#include "sg_override.h"
#include "sg_pool.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: safeguard-check -c POLICY [--from ADDR] [--rcpt ADDR]... [--auth USER]\n"
            "                       [--client IP] [--at ISO8601] [--json] [--workers N] FILE.eml...\n"
            "       safeguard-check --reference[=man]   (the policy reference: Markdown, or\n"
            "                       safeguard-policy(5) as man(7) roff)\n"
            "  The envelope defaults to the message's From/To/Cc/Bcc, the client to\n"
            "  127.0.0.1 (mail submitted on the relay), the time to now.\n"
            "  --workers N evaluates in N worker processes, as the milter does\n"
            "  (default: in this process).\n");
}

static bool read_file(const char *path, char **data, size_t *len)
{
    FILE *fp = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!fp)
        return false;
    struct sg_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        sg_buf_append(&b, chunk, n);
    bool ok = !ferror(fp);
    if (fp != stdin)
        fclose(fp);
    *len = b.len;
    *data = sg_buf_steal(&b);
    return ok;
}

/* "2026-11-24T16:30:00Z", "...+01:00" or local "2026-11-24 16:30". */
static bool parse_time(const char *s, time_t *out)
{
    struct tm tm = {0};
    const char *rest = strptime(s, "%Y-%m-%dT%H:%M", &tm);
    if (!rest)
        rest = strptime(s, "%Y-%m-%d %H:%M", &tm);
    if (!rest)
        return false;
    if (*rest == ':')
        rest = strptime(rest, ":%S", &tm);
    if (!rest)
        return false;
    if (*rest == 'Z' || *rest == '+' || *rest == '-') {
        long off = 0;
        if (*rest != 'Z') {
            int hh, mm;
            if (sscanf(rest + 1, "%d:%d", &hh, &mm) != 2)
                return false;
            off = (hh * 3600L + mm * 60L) * (*rest == '-' ? -1 : 1);
        }
        *out = timegm(&tm) - off;
        return true;
    }
    if (*rest)
        return false;
    tm.tm_isdst = -1;
    *out = mktime(&tm);
    return true;
}

static void print_text(const char *file, const struct sg_verdict *v, char *const *rcpts)
{
    printf("%s: %s (event %s)%s\n", file, sg_action_name(v->action), v->event_id,
           v->inbound ? " - inbound, not screened" : v->safeguarding_report ? " - a report to the safeguarding team" : "");
    if (sg_verdict_monitored(v))
        printf("  monitor: would %s\n", sg_action_name(v->would));
    if (v->justification)
        printf("  justification: %s\n", v->justification);
    for (size_t i = 0; i < v->nhits; i++) {
        const struct sg_hit *h = &v->hits[i];
        printf("  rule %s [%s] -> %s%s%s\n", h->rule->id, sg_category_name(h->rule->category),
               h->monitored ? "would " : "", sg_action_name(h->rule->action),
               h->monitored ? " (monitor)" : h->overridden ? " (overridden by the justification)" : "");
        printf("    evidence: %s\n", h->evidence);
        printf("    recipients:");
        for (size_t r = 0; r < h->nrcpt; r++)
            if (h->rcpt_on[r])
                printf(" %s", rcpts[r]);
        printf("\n    cite: %s\n", h->rule->cite);
    }
    for (size_t r = 0; r < v->nrcpt && v->nremoved; r++)
        if (v->removed[r])
            printf("  recipient removed: %s\n", rcpts[r]);
    if (v->limits_hit) {
        char names[160];
        sg_limit_names(v->limits_hit, names, sizeof(names));
        printf("  limits reached (%s): part of the message was not screened\n", names);
    }
    if (v->error)
        printf("  internal error: %s\n", v->error);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"from", required_argument, NULL, 'f'}, {"rcpt", required_argument, NULL, 'r'},
        {"auth", required_argument, NULL, 'a'}, {"client", required_argument, NULL, 'i'},
        {"at", required_argument, NULL, 't'}, {"json", no_argument, NULL, 'j'},
        {"workers", required_argument, NULL, 'w'}, {"test-triggers", no_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'}, {"reference", optional_argument, NULL, 'R'},
        {NULL, 0, NULL, 0},
    };
    const char *policy_path = NULL, *from = NULL, *auth = NULL, *client = NULL;
    char **rcpts = NULL;
    bool json = false;
    struct sg_pool_options po = {0};
    bool use_pool = false;
    time_t when = time(NULL);
    int c;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': policy_path = optarg; break;
        case 'f': from = optarg; break;
        case 'r': rcpts = sg_strv_push(rcpts, optarg); break;
        case 'a': auth = optarg; break;
        case 'i': client = optarg; break;
        case 'j': json = true; break;
        case 'w': po.workers = (unsigned)strtoul(optarg, NULL, 10); use_pool = true; break;
        case 'T': po.test_triggers = true; break;
        case 't':
            if (!parse_time(optarg, &when)) {
                fprintf(stderr, "safeguard-check: --at: cannot read \"%s\" (use 2026-11-24T16:30:00Z)\n", optarg);
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        case 'R': {
            /* Written from the loader's own key tables, so it cannot
             * disagree with what -n accepts. */
            struct sg_buf ref = {0};
            if (optarg && !strcmp(optarg, "man")) {
                sg_policy_reference_man(&ref);
            } else if (optarg && strcmp(optarg, "md")) {
                fprintf(stderr, "safeguard-check: --reference=%s: use md or man\n", optarg);
                sg_strv_free(rcpts);
                return 2;
            } else {
                sg_policy_reference(&ref);
            }
            fputs(ref.data, stdout);
            sg_buf_free(&ref);
            sg_strv_free(rcpts);
            return ferror(stdout) ? 1 : 0;
        }
        default: usage(stderr); return 2;
        }
    }
    if (!policy_path || optind >= argc) {
        usage(stderr);
        sg_strv_free(rcpts);
        return 2;
    }
    char *errors = NULL;
    struct sg_policy *p = sg_policy_load(policy_path, &errors);
    if (!p) {
        fputs(errors, stderr);
        free(errors);
        sg_strv_free(rcpts);
        return 2;
    }
    if (p->warnings)
        fputs(p->warnings, stderr);
    int rc = 0;
    struct sg_pool *pool = NULL;
    char perr[256];
    if (use_pool && !(pool = sg_pool_start(p, &po, perr, sizeof(perr)))) {
        fprintf(stderr, "safeguard-check: %s\n", perr);
        sg_policy_unref(p);
        sg_strv_free(rcpts);
        return 2;
    }
    for (int i = optind; i < argc; i++) {
        char *data;
        size_t len;
        if (!read_file(argv[i], &data, &len)) {
            fprintf(stderr, "safeguard-check: %s: %s\n", argv[i], strerror(errno));
            rc = 1;
            continue;
        }
        char err[256];
        struct sg_message *msg = sg_message_parse_mem(data, len, &p->limits.msg, err, sizeof(err));
        int fd = pool ? memfd_create("safeguard-check", MFD_CLOEXEC) : -1;
        if (fd >= 0 && !sg_fd_write_all(fd, data, len)) {
            close(fd);
            fd = -1;
        }
        free(data);
        if (!msg) {
            fprintf(stderr, "safeguard-check: %s: %s\n", argv[i], err);
            if (fd >= 0)
                close(fd);
            rc = 1;
            continue;
        }
        struct sg_envelope env = {0};
        env.mail_from = sg_xstrdup(from ? from : msg->from_header ? msg->from_header : "");
        char *const *src = rcpts ? rcpts : msg->header_rcpts;
        size_t nsrc = sg_strv_len(src);
        env.rcpts = sg_xcalloc(nsrc + 1, sizeof(char *));
        for (size_t r = 0; r < nsrc; r++)          /* copied in one pass: 300k Cc stay linear */
            env.rcpts[r] = sg_xstrdup(src[r]);
        env.auth_login = auth ? sg_xstrdup(auth) : NULL;
        /* Like mail handed to sendmail(1) on the relay itself. */
        env.client_addr = sg_xstrdup(client ? client : "127.0.0.1");
        env.when = when;
        struct sg_verdict v;
        sg_verdict_init(&v, sg_strv_len(env.rcpts));
        if (pool) {
            sg_engine_event_id(v.event_id, sizeof(v.event_id));
            if (fd < 0)
                sg_verdict_fail(&v, "cannot hand the message to a worker");
            else
                sg_pool_evaluate(pool, fd, &env, false, &v);
            sg_engine_settle(p, &v);
        } else {
            sg_engine_evaluate(p, &env, msg, &v);
        }
        if (fd >= 0)
            close(fd);
        if (json) {
            struct sg_buf out = {0};
            sg_verdict_json(&v, argv[i], env.rcpts, &out);
            puts(out.data);
            sg_buf_free(&out);
        } else {
            print_text(argv[i], &v, env.rcpts);
        }
        sg_verdict_clear(&v);
        sg_envelope_clear(&env);
        sg_message_free(msg);
    }
    sg_pool_unref(pool);
    sg_policy_unref(p);
    sg_strv_free(rcpts);
    return rc;
}
