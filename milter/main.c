/*
 * main.c - safeguard-milter: flags, then the startup order that keeps a
 * root-started daemon safe: check the policy, detach, pidfile, drop
 * privileges, check what the new user can read and write, refuse a socket
 * a live milter answers on, fork the evaluation workers, open the socket,
 * serve.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>
#include "sg_milter.h"

struct options {
    const char *policy;
    const char *socket;
    const char *user;
    const char *pidfile;
    const char *tmpdir;
    const char *store;           /* -Q: overrides quarantine: store */
    bool foreground;
    bool check_only;
    bool log_stderr;
    unsigned poll;
    int timeout;
    unsigned workers;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: safeguard-milter -c POLICY -p SOCKET [-u USER[:GROUP]] [-P PIDFILE]\n"
            "                        [-f] [-e] [-n] [-T TMPDIR] [-Q STORE] [-r SECONDS] [-t SECONDS] [-w N]\n"
            "  -c POLICY   policy file (YAML)\n"
            "  -p SOCKET   local:/path, unix:/path, inet:PORT@HOST or inet6:PORT@HOST\n"
            "  -u USER     run as this user (and its group, or :GROUP)\n"
            "  -P PIDFILE  write the daemon's pid here\n"
            "  -f          stay in the foreground\n"
            "  -e          copy log lines to standard error as well as syslog\n"
            "  -n          check the policy, print any errors, and exit\n"
            "  -T TMPDIR   where large messages are spooled (default /tmp)\n"
            "  -Q STORE    quarantine store folder (default: the policy's quarantine: store)\n"
            "  -r SECONDS  how often to look for a changed policy file (default 5, 0 = never)\n"
            "  -t SECONDS  MTA connection timeout (default 300)\n"
            "  -w N        evaluation worker processes (default: one per core)\n"
            "SIGUSR1 reloads the policy; SIGTERM stops. SIGHUP also stops (libmilter's rule).\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
    int c;
    o->poll = 5;
    o->timeout = 300;
    o->tmpdir = "/tmp";
    while ((c = getopt(argc, argv, "c:p:u:P:T:Q:r:t:w:fenh")) != -1) {
        switch (c) {
        case 'c': o->policy = optarg; break;
        case 'p': o->socket = optarg; break;
        case 'u': o->user = optarg; break;
        case 'P': o->pidfile = optarg; break;
        case 'T': o->tmpdir = optarg; break;
        case 'Q': o->store = optarg; break;
        case 'r': o->poll = (unsigned)strtoul(optarg, NULL, 10); break;
        case 't': o->timeout = atoi(optarg); break;
        case 'w': o->workers = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'f': o->foreground = true; break;
        case 'e': o->log_stderr = true; break;
        case 'n': o->check_only = true; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    if (optind != argc || !o->policy || (!o->socket && !o->check_only)) {
        usage(stderr);
        return -1;
    }
    return 0;
}

static bool write_pidfile(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return false;
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    bool ok = write(fd, buf, (size_t)n) == n;
    return close(fd) == 0 && ok;
}

static bool drop_privileges(const char *spec)
{
    char *user = sg_xstrdup(spec), *group = strchr(user, ':');
    if (group)
        *group++ = '\0';
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        syslog(LOG_ERR, "no such user: %s", user);
        free(user);
        return false;
    }
    gid_t gid = pw->pw_gid;
    if (group) {
        struct group *gr = getgrnam(group);
        if (!gr) {
            syslog(LOG_ERR, "no such group: %s", group);
            free(user);
            return false;
        }
        gid = gr->gr_gid;
    }
    bool ok = setgroups(0, NULL) == 0 && initgroups(pw->pw_name, gid) == 0 &&
              setgid(gid) == 0 && setuid(pw->pw_uid) == 0 && setuid(0) != 0;
    if (!ok)
        syslog(LOG_ERR, "cannot become %s: %s", spec, strerror(errno));
    free(user);
    return ok;
}

/* libmilter leaves a unix socket behind; a clean stop should not. */
static void remove_socket_file(const char *spec)
{
    const char *path = sg_preflight_socket_path(spec);
    if (path)
        unlink(path);
}

static int check_policy(const char *path, struct sg_policy **out)
{
    char *errors = NULL;
    struct sg_policy *p = sg_policy_load(path, &errors);
    if (!p) {
        fputs(errors, stderr);
        free(errors);
        return -1;
    }
    *out = p;
    return 0;
}

int main(int argc, char **argv)
{
    struct options o = {0};
    if (parse_args(argc, argv, &o) < 0)
        return 2;
    openlog("safeguard-milter", LOG_PID | (o.log_stderr ? LOG_PERROR : 0), LOG_MAIL);
    sg_message_init_library();

    struct sg_policy *policy;
    if (check_policy(o.policy, &policy) < 0)
        return 2;
    if (policy->warnings)
        fputs(policy->warnings, stderr);
    if (o.check_only) {
        printf("%s: policy OK, %zu rules, %zu pupils, %zu staff\n", o.policy, policy->nrules,
               sg_directory_count(policy->directory, true), sg_directory_count(policy->directory, false));
        sg_policy_unref(policy);
        return 0;
    }
    sg_spool_set_tmpdir(o.tmpdir);

    if (!o.foreground && daemon(0, 0) != 0) {
        syslog(LOG_ERR, "cannot detach: %s", strerror(errno));
        return 1;
    }
    if (o.pidfile && !write_pidfile(o.pidfile)) {
        syslog(LOG_ERR, "cannot write pidfile %s: %s", o.pidfile, strerror(errno));
        return 1;
    }
    int rc = 1;
    struct sg_pool *pool = NULL;
    if (o.user && !drop_privileges(o.user))
        goto out;
    if (!sg_preflight_access(policy, o.tmpdir, o.pidfile) || !sg_preflight_socket_free(o.socket))
        goto out;

    /* SIGUSR1 is ours, taken by the reload thread. SIGHUP/INT/TERM belong
     * to libmilter's signal thread: block them before any thread starts,
     * or the reload thread would take SIGTERM and die without cleanup. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    /* Workers are forked now, while this is the only thread. */
    struct sg_pool_options po = {.workers = o.workers};
    const char *triggers = getenv("SAFEGUARD_TEST_TRIGGERS");
    po.test_triggers = triggers && !strcmp(triggers, "1");
    if (po.test_triggers)
        syslog(LOG_WARNING, "test triggers are on (SAFEGUARD_TEST_TRIGGERS=1): never in production");
    char err[256];
    if (!(pool = sg_pool_start(policy, &po, err, sizeof(err)))) {
        syslog(LOG_ERR, "%s", err);
        goto out;
    }
    sg_reload_init(policy, pool, &po);
    sg_reload_log_warnings(policy);
    /* As the milter's user, so its files are the milter's; after the
     * workers fork, so that they never hold the SQLite handle. A reload
     * naming another store keeps this one until a restart. */
    bool stored = sg_milter_store_open(o.store ? o.store : policy->quarantine.store);
    policy = NULL;                    /* the reload module owns it now */
    if (!stored)
        goto stop;

    /* Group-writable socket, so the MTA's user can join our group. */
    umask(007);
    if (smfi_setconn((char *)o.socket) == MI_FAILURE || smfi_settimeout(o.timeout) == MI_FAILURE ||
        smfi_register(sg_milter_desc) == MI_FAILURE) {
        syslog(LOG_ERR, "cannot set up the milter on %s", o.socket);
        goto stop;
    }
    if (smfi_opensocket(true) == MI_FAILURE) {
        syslog(LOG_ERR, "cannot open the milter socket %s (no permission?)", o.socket);
        goto stop;
    }
    if (!sg_reload_start(o.poll)) {
        syslog(LOG_ERR, "cannot start the reload thread");
        goto stop;
    }
    syslog(LOG_INFO, "starting: policy %s (%zu rules), socket %s, %u workers", o.policy,
           sg_pool_policy(pool)->nrules, o.socket, sg_pool_size(pool));
    rc = smfi_main() == MI_SUCCESS ? 0 : 1;
    remove_socket_file(o.socket);
stop:
    sg_reload_stop();                 /* also stops the workers */
out:
    sg_milter_store_close();
    sg_policy_unref(policy);
    if (o.pidfile)
        unlink(o.pidfile);
    syslog(LOG_INFO, "stopped");
    return rc;
}
