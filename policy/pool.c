/*
 * pool.c - the parent side of the worker pool (see sg_pool.h).
 *
 * Each worker has its own stream socketpair: a request is one frame with
 * the message's descriptor passed as SCM_RIGHTS, the reply one frame. A
 * caller takes an idle worker, talks to it under a deadline, and gives it
 * back; a worker that dies, overruns or sends nonsense is killed, reaped
 * and forked again on the spot, so the pool never shrinks.
 *
 * Forking from a process with threads is safe here because of who does
 * what: the threads left behind in the parent only speak the milter
 * protocol, spool, and log; they never touch GMime, GLib's type system,
 * iconv or the matchers the child goes on to use, and the child never
 * logs (worker.c). malloc is made fork-safe by glibc itself.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include "sg_pool.h"
#include "sg_wire.h"

struct slot {
    pid_t pid;                   /* 0 = not running */
    int sock;
    bool busy;
};

struct sg_pool {
    atomic_int refs;
    struct sg_policy *policy;
    struct sg_pool_options opt;
    pthread_mutex_t lock;
    pthread_cond_t idle;
    struct slot *slots;
    unsigned n;
    struct sg_pool_stats stats;
};

static bool spawn(struct sg_pool *pool, struct slot *s)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return false;
    pid_t pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return false;
    }
    if (pid == 0) {
        /* Keep only our end: a copy of the MTA's connections, the listening
         * socket or another worker's socket would outlive its owner here. */
        int sock = sv[1];
        if (sock != 3 && dup2(sock, 3) < 0)
            _exit(72);
        if (close_range(4, ~0u, 0) != 0)
            for (int fd = 4; fd < 4096; fd++)
                close(fd);
        sg_worker_main(3, pool->policy, &pool->opt);
    }
    close(sv[1]);
    s->pid = pid;
    s->sock = sv[0];
    return true;
}

static void reap(struct slot *s, int *status)
{
    if (s->sock >= 0)
        close(s->sock);
    s->sock = -1;
    int st = 0;
    while (s->pid > 0 && waitpid(s->pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (status)
        *status = st;
    s->pid = 0;
}

static unsigned cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 256 ? (unsigned)n : 2;
}

struct sg_pool *sg_pool_start(struct sg_policy *p, const struct sg_pool_options *o, char *err, size_t errlen)
{
    struct sg_pool *pool = sg_xcalloc(1, sizeof(*pool));
    atomic_init(&pool->refs, 1);
    pool->policy = sg_policy_ref(p);
    pool->opt = *o;
    pool->n = o->workers ? o->workers : cores();
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->idle, NULL);
    pool->slots = sg_xcalloc(pool->n, sizeof(*pool->slots));
    unsigned started = 0;
    for (unsigned i = 0; i < pool->n; i++) {
        pool->slots[i].sock = -1;
        if (spawn(pool, &pool->slots[i]))
            started++;
    }
    if (!started) {
        snprintf(err, errlen, "cannot start evaluation workers: %s", strerror(errno));
        sg_pool_unref(pool);
        return NULL;
    }
    return pool;
}

struct sg_pool *sg_pool_ref(struct sg_pool *pool)
{
    if (pool)
        atomic_fetch_add(&pool->refs, 1);
    return pool;
}

void sg_pool_unref(struct sg_pool *pool)
{
    if (!pool || atomic_fetch_sub(&pool->refs, 1) != 1)
        return;
    /* EOF tells an idle worker to exit; none is busy, since every message
     * in flight holds a reference. Give them a moment, then insist. */
    for (unsigned i = 0; i < pool->n; i++)
        if (pool->slots[i].sock >= 0) {
            close(pool->slots[i].sock);
            pool->slots[i].sock = -1;
        }
    for (int tries = 0; tries < 100; tries++) {
        bool left = false;
        for (unsigned i = 0; i < pool->n; i++) {
            struct slot *s = &pool->slots[i];
            if (s->pid > 0 && waitpid(s->pid, NULL, WNOHANG) == s->pid)
                s->pid = 0;
            left |= s->pid > 0;
        }
        if (!left)
            break;
        nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    }
    for (unsigned i = 0; i < pool->n; i++)
        if (pool->slots[i].pid > 0) {
            kill(pool->slots[i].pid, SIGKILL);
            reap(&pool->slots[i], NULL);
        }
    free(pool->slots);
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->idle);
    sg_policy_unref(pool->policy);
    free(pool);
}

struct sg_policy *sg_pool_policy(const struct sg_pool *pool)
{
    return pool->policy;
}

unsigned sg_pool_size(const struct sg_pool *pool)
{
    return pool->n;
}

void sg_pool_stats(struct sg_pool *pool, struct sg_pool_stats *out)
{
    pthread_mutex_lock(&pool->lock);
    *out = pool->stats;
    pthread_mutex_unlock(&pool->lock);
}

static struct slot *acquire(struct sg_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        for (unsigned i = 0; i < pool->n; i++)
            if (!pool->slots[i].busy) {
                pool->slots[i].busy = true;
                pthread_mutex_unlock(&pool->lock);
                return &pool->slots[i];
            }
        pthread_cond_wait(&pool->idle, &pool->lock);
    }
}

static void release(struct sg_pool *pool, struct slot *s)
{
    pthread_mutex_lock(&pool->lock);
    s->busy = false;
    pthread_cond_signal(&pool->idle);
    pthread_mutex_unlock(&pool->lock);
}

static bool send_request(int sock, int fd, const struct sg_buf *frame)
{
    char cbuf[CMSG_SPACE(sizeof(int))];
    memset(cbuf, 0, sizeof(cbuf));
    struct iovec iov = {frame->data, frame->len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    ssize_t w;
    do
        w = sendmsg(sock, &mh, MSG_NOSIGNAL);
    while (w < 0 && errno == EINTR);
    if (w <= 0)
        return false;
    return sg_sock_send_all(sock, frame->data + w, frame->len - (size_t)w);
}

static long ms_left(const struct timespec *deadline)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

enum outcome { GOT_REPLY, TIMED_OUT, DIED };

/* Reads exactly n bytes before the deadline. */
static enum outcome read_deadline(int sock, void *buf, size_t n, const struct timespec *deadline)
{
    unsigned char *p = buf;
    while (n) {
        long ms = ms_left(deadline);
        if (ms <= 0)
            return TIMED_OUT;
        struct pollfd pfd = {sock, POLLIN, 0};
        int pr = poll(&pfd, 1, ms > 60000 ? 60000 : (int)ms);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0)
            return DIED;
        if (pr == 0)
            continue;
        ssize_t r = read(sock, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return DIED;
        p += r;
        n -= (size_t)r;
    }
    return GOT_REPLY;
}

/* One exchange with a worker; the reply body is returned in *body. */
static enum outcome exchange(struct slot *s, int fd, const struct sg_buf *frame, unsigned seconds,
                             unsigned char **body, uint32_t *len)
{
    if (!send_request(s->sock, fd, frame))
        return DIED;
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += seconds;
    unsigned char hdr[8];
    enum outcome o = read_deadline(s->sock, hdr, 8, &deadline);
    if (o != GOT_REPLY)
        return o;
    if (!sg_wire_read_header(hdr, SG_WIRE_REPLY, len))
        return DIED;
    *body = sg_xmalloc(*len ? *len : 1);
    o = read_deadline(s->sock, *body, *len, &deadline);
    if (o != GOT_REPLY) {
        free(*body);
        *body = NULL;
    }
    return o;
}

/* Ends a worker that failed an exchange; returns its wait status. */
static int finish(struct slot *s, enum outcome o)
{
    if (o == TIMED_OUT)
        kill(s->pid, SIGKILL);
    int status = 0;
    reap(s, &status);
    return status;
}

/* Names what the worker died of, in v and in the log (no message data). */
static void record_death(struct sg_pool *pool, pid_t pid, enum outcome o, int status, const char *qid,
                         struct sg_verdict *v)
{
    pthread_mutex_lock(&pool->lock);
    if (o == TIMED_OUT) {
        pool->stats.timed_out++;
        v->limits_hit |= SG_LIMIT_TIME;
        syslog(LOG_WARNING, "%s: event=%s worker %ld killed: over its %zu s time budget; replaced", qid,
               v->event_id, (long)pid, pool->policy->limits.eval_seconds);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == SG_WORKER_EXIT_OOM) {
        pool->stats.out_of_memory++;
        v->limits_hit |= SG_LIMIT_MEMORY;
        syslog(LOG_WARNING, "%s: event=%s worker %ld ran out of its memory budget; replaced", qid,
               v->event_id, (long)pid);
    } else {
        pool->stats.crashed++;
        char why[64];
        if (WIFSIGNALED(status))
            snprintf(why, sizeof(why), "killed by signal %d", WTERMSIG(status));
        else
            snprintf(why, sizeof(why), "exited with status %d", WEXITSTATUS(status));
        sg_verdict_fail(v, "evaluation worker %s", why);
        syslog(LOG_ERR, "%s: event=%s worker %ld %s; replaced", qid, v->event_id, (long)pid, why);
    }
    pthread_mutex_unlock(&pool->lock);
}

void sg_pool_evaluate(struct sg_pool *pool, int fd, const struct sg_envelope *env, bool truncated,
                      struct sg_verdict *v)
{
    const char *qid = env->queue_id ? env->queue_id : "NOQUEUE";
    struct sg_buf frame = {0};
    unsigned char hdr[8] = {0};
    sg_buf_append(&frame, (const char *)hdr, 8);
    sg_wire_request(&frame, env, v->event_id, truncated ? SG_WIRE_TRUNCATED : 0);
    sg_wire_header((unsigned char *)frame.data, SG_WIRE_REQUEST, (uint32_t)(frame.len - 8));

    struct slot *s = acquire(pool);
    for (int attempt = 0; attempt < 2; attempt++) {
        if (s->pid <= 0 && !spawn(pool, s)) {
            sg_verdict_fail(v, "cannot start an evaluation worker: %s", strerror(errno));
            break;
        }
        unsigned char *body = NULL;
        uint32_t len = 0;
        enum outcome o = exchange(s, fd, &frame, (unsigned)pool->policy->limits.eval_seconds, &body, &len);
        if (o == GOT_REPLY) {
            bool retire = false;
            if (!sg_wire_parse_reply(body, len, pool->policy, v, &retire)) {
                sg_verdict_fail(v, "evaluation worker sent a malformed reply");
                kill(s->pid, SIGKILL);
                reap(s, NULL);
            } else if (retire) {
                reap(s, NULL);
            }
            free(body);
            pthread_mutex_lock(&pool->lock);
            pool->stats.served++;
            pthread_mutex_unlock(&pool->lock);
            break;
        }
        pid_t pid = s->pid;
        int status = finish(s, o);
        /* A clean exit before it answered: it had retired or was stopped
         * from outside, not killed by this message. One fresh worker, one
         * more try. */
        if (o == DIED && attempt == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
            continue;
        record_death(pool, pid, o, status, qid, v);
        if (!spawn(pool, s))
            syslog(LOG_ERR, "cannot replace an evaluation worker: %s", strerror(errno));
        else {
            pthread_mutex_lock(&pool->lock);
            pool->stats.respawned++;
            pthread_mutex_unlock(&pool->lock);
        }
        break;
    }
    release(pool, s);
    sg_buf_free(&frame);
    sg_engine_settle(pool->policy, v);
}
