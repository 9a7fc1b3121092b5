/*
 * reload.c - the current policy snapshot and how it is replaced.
 *
 * libmilter's own signal thread takes SIGHUP as "stop", so reload is
 * SIGUSR1 (blocked in every thread, taken here by sigtimedwait) or a
 * changed policy file. A new snapshot is built whole off to the side;
 * only a good one is swapped in, together with a new generation of
 * workers forked on it. Messages in flight keep their references to the
 * old snapshot and its workers, which exit when the last of them is done.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include "sg_milter.h"

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sg_policy *current;
static struct sg_pool *current_pool;
static bool use_pool;
static struct sg_pool_options pool_options;
/* What every file of the current snapshot looked like when loaded. */
static struct stat *current_stats;
static char **current_files;
static pthread_t reload_thread;
static volatile int reload_running;

static void remember_files(const struct sg_policy *p)
{
    sg_strv_free(current_files);
    free(current_stats);
    current_files = sg_policy_files(p);
    size_t n = sg_strv_len(current_files);
    current_stats = sg_xcalloc(n + 1, sizeof(*current_stats));
    for (size_t i = 0; i < n; i++)
        if (stat(current_files[i], &current_stats[i]) != 0)
            memset(&current_stats[i], 0, sizeof(current_stats[i]));
}

void sg_reload_log_warnings(const struct sg_policy *p)
{
    /* The loader's warnings name file:line and a column, never a row's data. */
    char *copy = p->warnings ? sg_xstrdup(p->warnings) : NULL, *save = NULL;
    int n = 0;
    for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save))
        if (n++ < 20)
            syslog(LOG_WARNING, "policy warning: %s", line);
    if (n > 20)
        syslog(LOG_WARNING, "policy warning: %d more", n - 20);
    free(copy);
}

void sg_reload_init(struct sg_policy *initial, struct sg_pool *pool, const struct sg_pool_options *o)
{
    current = initial;
    current_pool = pool;
    use_pool = pool != NULL;
    if (o)
        pool_options = *o;
    remember_files(initial);
}

struct sg_policy *sg_reload_current(struct sg_pool **pool)
{
    pthread_mutex_lock(&current_lock);
    struct sg_policy *p = sg_policy_ref(current);
    *pool = sg_pool_ref(current_pool);
    pthread_mutex_unlock(&current_lock);
    return p;
}

bool sg_reload_now(const char *why)
{
    struct sg_pool *old_pool;
    struct sg_policy *old = sg_reload_current(&old_pool);
    sg_pool_unref(old_pool);
    char *errors = NULL;
    struct sg_policy *fresh = sg_policy_load_with_previous(old->path, old, &errors);
    if (!fresh) {
        /* Keep serving with the old rules; say exactly what is wrong. */
        char *save, *line = strtok_r(errors, "\n", &save);
        syslog(LOG_ERR, "policy reload (%s) failed; keeping the previous policy", why);
        for (int i = 0; line && i < 20; i++, line = strtok_r(NULL, "\n", &save))
            syslog(LOG_ERR, "policy error: %s", line);
        free(errors);
        remember_files(old);           /* do not retry the same broken file every poll */
        sg_policy_unref(old);
        return false;
    }
    struct sg_pool *fresh_pool = NULL;
    if (use_pool) {
        char err[256];
        if (!(fresh_pool = sg_pool_start(fresh, &pool_options, err, sizeof(err)))) {
            syslog(LOG_ERR, "policy reload (%s) failed: %s; keeping the previous policy", why, err);
            sg_policy_unref(fresh);
            remember_files(old);
            sg_policy_unref(old);
            return false;
        }
    }
    pthread_mutex_lock(&current_lock);
    struct sg_policy *prev = current;
    struct sg_pool *prev_pool = current_pool;
    current = fresh;
    current_pool = fresh_pool;
    pthread_mutex_unlock(&current_lock);
    sg_pool_unref(prev_pool);
    remember_files(fresh);
    syslog(LOG_INFO, "policy reloaded (%s): %s, %zu rules, %zu pupils, %zu staff", why, fresh->path,
           fresh->nrules, sg_directory_count(fresh->directory, true), sg_directory_count(fresh->directory, false));
    sg_reload_log_warnings(fresh);
    sg_policy_unref(prev);
    sg_policy_unref(old);
    return true;
}

static bool files_changed(void)
{
    for (size_t i = 0; current_files && current_files[i]; i++) {
        struct stat st;
        const struct stat *was = &current_stats[i];
        if (stat(current_files[i], &st) != 0)
            continue;
        if (st.st_mtim.tv_sec != was->st_mtim.tv_sec || st.st_mtim.tv_nsec != was->st_mtim.tv_nsec ||
            st.st_ino != was->st_ino || st.st_size != was->st_size)
            return true;
    }
    return false;
}

static void *reload_main(void *arg)
{
    unsigned poll = *(unsigned *)arg;
    free(arg);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    while (reload_running) {
        struct timespec ts = {.tv_sec = poll ? poll : 1, .tv_nsec = 0};
        int sig = sigtimedwait(&set, NULL, &ts);
        if (!reload_running)
            break;
        if (sig == SIGUSR1) {
            sg_reload_now("SIGUSR1");
        } else if (poll && files_changed()) {
            sg_reload_now("policy or directory file changed");
        }
        sg_notify_tick();
    }
    return NULL;
}

bool sg_reload_start(unsigned poll_seconds)
{
    unsigned *arg = sg_xmalloc(sizeof(*arg));
    *arg = poll_seconds;
    reload_running = 1;
    if (pthread_create(&reload_thread, NULL, reload_main, arg) != 0) {
        free(arg);
        reload_running = 0;
        return false;
    }
    return true;
}

void sg_reload_stop(void)
{
    if (reload_running) {
        reload_running = 0;
        pthread_kill(reload_thread, SIGUSR1);
        pthread_join(reload_thread, NULL);
    }
    pthread_mutex_lock(&current_lock);
    sg_policy_unref(current);
    current = NULL;
    sg_pool_unref(current_pool);
    current_pool = NULL;
    pthread_mutex_unlock(&current_lock);
    sg_strv_free(current_files);
    free(current_stats);
    current_files = NULL;
    current_stats = NULL;
}
