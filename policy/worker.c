/*
 * worker.c - one evaluation worker: a forked child that parses and judges
 * messages handed to it as file descriptors, one at a time.
 *
 * It was forked from a process with other threads, so it keeps to what is
 * safe there: no syslog (another thread may have held its lock at the
 * fork), no stdio; it reports everything in its reply. Its memory is
 * capped by RLIMIT_AS above what it inherited, running out is reported as
 * its own exit code, and an alarm ends it if the parent stops waiting.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include "sg_pool.h"
#include "sg_wire.h"

#if defined(__SANITIZE_ADDRESS__)
#define SG_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SG_UNDER_ASAN 1
#endif
#endif

static size_t worker_memory_budget;

static void worker_oom(void)
{
    _exit(SG_WORKER_EXIT_OOM);
}

static void glib_fatal(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
    (void)domain, (void)level, (void)data;
    /* g_malloc reports failure this way before aborting. */
    _exit(message && strstr(message, "allocate") ? SG_WORKER_EXIT_OOM : 70);
}

#ifndef SG_UNDER_ASAN
/* Address space now, so the cap is "this much more than we started with". */
static size_t current_vm(void)
{
    char buf[128] = "";
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        buf[n > 0 ? n : 0] = '\0';
        close(fd);
    }
    return (size_t)strtoul(buf, NULL, 10) * (size_t)sysconf(_SC_PAGESIZE);
}
#endif

static void limit_resources(const struct sg_policy *p)
{
    worker_memory_budget = p->limits.worker_memory;
    struct rlimit core = {0, 0};
    setrlimit(RLIMIT_CORE, &core);
#ifndef SG_UNDER_ASAN
    /* ASan reserves terabytes of shadow address space: there the test
     * harness bounds memory with ASan's own hard_rss_limit_mb instead. */
    struct rlimit as;
    as.rlim_cur = as.rlim_max = (rlim_t)(current_vm() + p->limits.worker_memory);
    setrlimit(RLIMIT_AS, &as);
#else
    (void)p;
#endif
}

static void reset_signals(void)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGALRM, SIGCHLD};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        signal(sigs[i], SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
}

/* The frame header, with the message's descriptor riding on it. */
static bool recv_header(int sock, unsigned char hdr[8], int *fd)
{
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {hdr, 8};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    ssize_t r;
    do
        r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    while (r < 0 && errno == EINTR);
    if (r <= 0)
        return false;
    *fd = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            memcpy(fd, CMSG_DATA(c), sizeof(int));
    return (size_t)r == 8 || sg_fd_read_all(sock, hdr + r, 8 - (size_t)r);
}

/* Tests prove isolation with messages that crash, spin or hog a worker;
 * only a pool started with test_triggers honours them. */
static void test_trigger(int fd)
{
    char head[8192];
    ssize_t n = pread(fd, head, sizeof(head) - 1, 0);
    if (n <= 0)
        return;
    head[n] = '\0';
    const char *t = strstr(head, "X-Safeguard-Test-Trigger: ");
    if (!t)
        return;
    t += strlen("X-Safeguard-Test-Trigger: ");
    if (!strncmp(t, "crash", 5)) {
        signal(SIGSEGV, SIG_DFL);     /* a plain death, even under ASan */
        raise(SIGSEGV);
    } else if (!strncmp(t, "spin", 4)) {
        for (volatile unsigned long i = 0;; i++)
            ;
    } else if (!strncmp(t, "hog", 3)) {
        size_t total = 0;
        for (;;) {
            char *p = sg_xmalloc(16u << 20);
            memset(p, 1, 16u << 20);
            total += 16u << 20;
#ifdef SG_UNDER_ASAN
            /* No RLIMIT_AS under ASan (see limit_resources): stand in for it. */
            if (total > worker_memory_budget)
                worker_oom();
#endif
        }
    }
}

static void serve_one(int sock, int fd, const unsigned char *body, size_t len, const struct sg_policy *p,
                      const struct sg_pool_options *o, bool retire)
{
    struct sg_envelope env;
    char event_id[24];
    unsigned flags;
    if (!sg_wire_parse_request(body, len, &env, event_id, sizeof(event_id), &flags))
        _exit(71);                    /* a garbled request: the parent replaces us */
    struct sg_verdict v;
    sg_verdict_init(&v, sg_strv_len(env.rcpts));
    snprintf(v.event_id, sizeof(v.event_id), "%s", event_id);
    if (o->test_triggers && fd >= 0)
        test_trigger(fd);
    char err[256] = "";
    struct sg_message *msg = fd >= 0 ? sg_message_parse_fd(fd, &p->limits.msg, err, sizeof(err)) : NULL;
    if (!msg) {
        sg_verdict_fail(&v, "MIME parse failed: %s", fd >= 0 ? err : "no message descriptor");
        sg_engine_settle(p, &v);
    } else {
        if (flags & SG_WIRE_TRUNCATED)
            msg->limits_hit |= SG_LIMIT_SIZE;
        sg_engine_evaluate(p, &env, msg, &v);
    }
    struct sg_buf out = {0};
    unsigned char hdr[8] = {0};
    sg_buf_append(&out, (const char *)hdr, 8);
    sg_wire_reply(&out, &v, p, msg ? msg->message_id : NULL, retire);
    sg_wire_header((unsigned char *)out.data, SG_WIRE_REPLY, (uint32_t)(out.len - 8));
    bool ok = sg_sock_send_all(sock, out.data, out.len);
    sg_buf_free(&out);
    sg_verdict_clear(&v);
    sg_message_free(msg);
    sg_envelope_clear(&env);
    if (!ok)
        _exit(0);                     /* the parent has gone */
}

void sg_worker_main(int sock, const struct sg_policy *p, const struct sg_pool_options *o)
{
    reset_signals();
    sg_set_oom_handler(worker_oom);
    g_log_set_handler(NULL, G_LOG_LEVEL_ERROR | G_LOG_FLAG_FATAL, glib_fatal, NULL);
    g_log_set_handler("GLib", G_LOG_LEVEL_ERROR | G_LOG_FLAG_FATAL, glib_fatal, NULL);
    limit_resources(p);
    unsigned max = o->max_requests ? o->max_requests : 10000;
    for (unsigned served = 1;; served++) {
        unsigned char hdr[8];
        int fd = -1;
        uint32_t len;
        if (!recv_header(sock, hdr, &fd))
            _exit(0);                 /* EOF: the generation is over */
        if (!sg_wire_read_header(hdr, SG_WIRE_REQUEST, &len))
            _exit(71);
        unsigned char *body = sg_xmalloc(len ? len : 1);
        if (!sg_fd_read_all(sock, body, len))
            _exit(0);
        /* A backstop: if the parent died waiting, do not spin on alone. */
        alarm((unsigned)p->limits.eval_seconds * 2 + 5);
        serve_one(sock, fd, body, len, p, o, served >= max);
        alarm(0);
        free(body);
        if (fd >= 0)
            close(fd);
        if (served >= max)
            _exit(0);
    }
}
