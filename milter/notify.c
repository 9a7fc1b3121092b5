/*
 * notify.c - the milter's side of notices: the key, knowing its own
 * notices when they come back through the MTA, and sending through
 * sendmail(1) (fork/exec and a pipe, never a shell), at once or as a
 * digest flushed from the reload thread.
 *
 * A notice goes out through the local MTA so that it is queued, retried
 * and logged like any mail. With Postfix it comes back through
 * non_smtpd_milters: its X-Safeguard-Notice mark, an HMAC under a key
 * only the milter reads, lets it pass unscreened (the evidence it quotes
 * would otherwise hold it). Digest entries hold what the notice would
 * say, in 0600 files in the notices: spool.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <gmime/gmime.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include "sg_milter.h"
#include "sg_notice.h"

static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char key[SG_NOTICE_KEY_LEN];
static char *key_path;           /* the file key[] was read from; NULL = none */

/* The key for this policy's key_file, read once per path. */
static bool current_key(const struct sg_policy *p, bool create, unsigned char out[SG_NOTICE_KEY_LEN])
{
    if (!p->notices.configured || !p->notices.key_file)
        return false;
    pthread_mutex_lock(&key_lock);
    bool ok = key_path && !strcmp(key_path, p->notices.key_file);
    if (!ok) {
        char err[300];
        unsigned char fresh[SG_NOTICE_KEY_LEN];
        ok = sg_notice_key_load(p->notices.key_file, create, fresh, err, sizeof(err));
        if (ok) {
            memcpy(key, fresh, sizeof(key));
            free(key_path);
            key_path = sg_xstrdup(p->notices.key_file);
        } else {
            syslog(LOG_ERR, "notices: %s; notices are not sent and none is recognised", err);
        }
    }
    if (ok)
        memcpy(out, key, SG_NOTICE_KEY_LEN);
    pthread_mutex_unlock(&key_lock);
    return ok;
}

bool sg_notify_init(const struct sg_policy *p)
{
    unsigned char k[SG_NOTICE_KEY_LEN];
    if (!p->notices.configured)
        return true;
    bool ok = current_key(p, true, k);
    if (ok && p->notices.digest != SG_DIGEST_NONE) {
        if (mkdir(p->notices.spool, 0700) != 0 && errno != EEXIST) {
            syslog(LOG_ERR, "notices: cannot create digest spool %s: %s", p->notices.spool, strerror(errno));
            ok = false;
        }
    }
    return ok;
}

bool sg_notify_is_notice(const struct sg_msgctx *mc)
{
    if (!mc->notice_mark || !mc->message_id_raw || mc->own_notice != 1)
        return false;
    unsigned char k[SG_NOTICE_KEY_LEN];
    if (!current_key(mc->policy, false, k))
        return false;
    return sg_notice_verify(k, sizeof(k), mc->notice_mark, mc->message_id_raw, mc->env.rcpts);
}

int sg_notify_sendmail(char *const *cmd, const char *sender, const char *text, char *err, size_t errlen)
{
    size_t n = sg_strv_len(cmd);
    if (!n) {
        snprintf(err, errlen, "no sendmail command");
        return -1;
    }
    /* Everything the child needs is built before fork: after it, only
     * async-signal-safe calls (this process has threads). */
    char **argv = sg_xcalloc(n + 6, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        argv[i] = cmd[i];
    argv[n] = (char *)"-t";
    argv[n + 1] = (char *)"-oi";
    argv[n + 2] = (char *)"-f";
    argv[n + 3] = (char *)sender;
    long maxfd = sysconf(_SC_OPEN_MAX);
    if (maxfd < 0 || maxfd > 65536)
        maxfd = 65536;
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        free(argv);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        free(argv);
        return -1;
    }
    if (pid == 0) {
        if (dup2(pfd[0], 0) < 0)
            _exit(127);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0 && null != 1)
            dup2(null, 1);
        /* The milter's sockets and spool files are not sendmail's. */
        for (long fd = 3; fd < maxfd; fd++)
            close((int)fd);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv(argv[0], argv);
        _exit(127);
    }
    close(pfd[0]);
    free(argv);
    /* A sendmail that dies early must not kill the milter with SIGPIPE. */
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    bool wrote = sg_fd_write_all(pfd[1], text, strlen(text));
    close(pfd[1]);
    struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, NULL, &zero) > 0)
        ;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    /* A wedged MTA must not hold a milter thread (and its SMTP client)
     * for ever: give sendmail a minute, then kill it. */
    int status = 0;
    pid_t got = 0;
    for (int tries = 0; tries < 600 && got == 0; tries++) {
        got = waitpid(pid, &status, WNOHANG);
        if (got == 0) {
            struct timespec tick = {0, 100 * 1000 * 1000};
            nanosleep(&tick, NULL);
        } else if (got < 0 && errno == EINTR) {
            got = 0;
        }
    }
    if (got == 0) {
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        snprintf(err, errlen, "%s did not finish within 60 s and was killed", cmd[0]);
        return -1;
    }
    if (!wrote || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "%s %s (status %d)", cmd[0], wrote ? "failed" : "did not take the notice",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return -1;
    }
    return 0;
}

static const char *qid_of(const struct sg_msgctx *mc)
{
    return mc->env.queue_id ? mc->env.queue_id : "NOQUEUE";
}

static bool send_one(const struct sg_policy *p, const char *id, char *const *to, const char *subject_line,
                     const char *body, const char *qid, const char *kind)
{
    unsigned char k[SG_NOTICE_KEY_LEN];
    if (!current_key(p, false, k))
        return false;
    char *text = sg_notice_compose(p, id, to, subject_line, body, k, sizeof(k));
    char err[300];
    bool ok = sg_notify_sendmail(p->notices.sendmail, p->notices.sender, text, err, sizeof(err)) == 0;
    free(text);
    if (ok)
        syslog(LOG_INFO, "%s: event=%s notice=%s sent nrcpt=%zu", qid, id, kind, sg_strv_len(to));
    else
        syslog(LOG_ERR, "%s: event=%s notice=%s not sent: %s", qid, id, kind, err);
    return ok;
}

/* A school id as a file name: letters, digits, '-' and '_' only. */
static void spool_key(const struct sg_school_unit *unit, char *out, size_t len)
{
    const char *id = unit && unit->id ? unit->id : "_school";
    size_t j = 0;
    for (size_t i = 0; id[i] && j + 1 < len; i++)
        out[j++] = g_ascii_isalnum(id[i]) || id[i] == '-' || id[i] == '_' ? id[i] : '_';
    out[j] = '\0';
}

/* One digest entry: "To: a, b" then the DSL notice text. Written to a
 * temporary name and renamed, so a flush never reads half an entry. */
static bool spool_entry(const struct sg_policy *p, const struct sg_school_unit *unit, const char *event,
                        char *const *to, const char *body)
{
    char skey[64];
    spool_key(unit, skey, sizeof(skey));
    struct sg_buf dir = {0}, tmp = {0}, final = {0}, text = {0};
    sg_buf_printf(&dir, "%s/%s", p->notices.spool, skey);
    mkdir(p->notices.spool, 0700);
    mkdir(dir.data, 0700);
    sg_buf_printf(&tmp, "%s/.%s.tmp", dir.data, event);
    sg_buf_printf(&final, "%s/%s.entry", dir.data, event);
    sg_buf_puts(&text, "To:");
    for (size_t i = 0; to[i]; i++)
        sg_buf_printf(&text, " %s", to[i]);
    sg_buf_printf(&text, "\n%s", body);
    int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    bool ok = fd >= 0 && sg_fd_write_all(fd, text.data, text.len);
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    ok = ok && rename(tmp.data, final.data) == 0;
    if (!ok)
        unlink(tmp.data);
    sg_buf_free(&dir);
    sg_buf_free(&tmp);
    sg_buf_free(&final);
    sg_buf_free(&text);
    return ok;
}

bool sg_notify_send(const struct sg_msgctx *mc, const char *id, char *const *to, const char *subject_line,
                    const char *body, const char *kind)
{
    return send_one(mc->policy, id, to, subject_line, body, qid_of(mc), kind);
}

void sg_notify_held(const struct sg_msgctx *mc, const struct sg_verdict *v)
{
    const struct sg_policy *p = mc->policy;
    if (!p->notices.configured || v->action != SG_ACTION_QUARANTINE)
        return;
    char *subject = mc->subject_raw ? g_mime_utils_header_decode_text(NULL, mc->subject_raw) : NULL;
    const struct sg_school_unit *unit = sg_notice_unit(p, &mc->env);
    char *const *dsl = sg_notice_dsl(p, unit);
    if (!dsl) {
        syslog(LOG_WARNING, "%s: event=%s notice=dsl not sent: no notices: dsl or safeguarding_team for "
               "the sender's school", qid_of(mc), v->event_id);
    } else {
        struct sg_notice_values nv;
        sg_notice_values(&nv, p, v, &mc->env, subject, dsl, false);
        char *body = sg_template_expand_text(p->notices.dsl_body, &nv.t);
        if (sg_notice_digest(p, unit) != SG_DIGEST_NONE) {
            if (spool_entry(p, unit, v->event_id, dsl, body))
                syslog(LOG_INFO, "%s: event=%s notice=dsl queued for the digest", qid_of(mc), v->event_id);
            else
                syslog(LOG_ERR, "%s: event=%s notice=dsl cannot be queued in %s: %s", qid_of(mc), v->event_id,
                       p->notices.spool, strerror(errno));
        } else {
            char *subj = sg_template_expand_header(p->notices.dsl_subject, "Subject", &nv.t);
            send_one(p, v->event_id, dsl, subj, body, qid_of(mc), "dsl");
            free(subj);
        }
        free(body);
        sg_notice_values_free(&nv);
    }
    char *staff = p->notices.staff ? sg_notice_staff_address(p, &mc->env) : NULL;
    if (staff) {
        struct sg_notice_values nv;
        sg_notice_values(&nv, p, v, &mc->env, subject, dsl, true);
        char *body = sg_template_expand_text(p->notices.staff_body, &nv.t);
        char *subj = sg_template_expand_header(p->notices.staff_subject, "Subject", &nv.t);
        char *to[] = {staff, NULL};
        send_one(p, v->event_id, to, subj, body, qid_of(mc), "staff");
        free(subj);
        free(body);
        sg_notice_values_free(&nv);
        free(staff);
    }
    g_free(subject);
}

/* The hour or the day an instant falls in, local time. */
static long period_of(time_t t, enum sg_digest d)
{
    struct tm tm;
    localtime_r(&t, &tm);
    long day = (long)(tm.tm_year + 1900) * 400 + tm.tm_yday;
    return d == SG_DIGEST_HOURLY ? day * 24 + tm.tm_hour : day;
}

static enum sg_digest digest_for_key(const struct sg_policy *p, const char *skey)
{
    for (size_t i = 0; i < p->nunits; i++) {
        char k[64];
        spool_key(&p->units[i], k, sizeof(k));
        if (!strcmp(k, skey))
            return sg_notice_digest(p, &p->units[i]);
    }
    return sg_notice_digest(p, NULL);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One school's entries as one digest, when the oldest is from an earlier
 * period (or now is set: flush whatever waits). */
static void flush_school(const struct sg_policy *p, const char *skey, time_t now, bool force)
{
    enum sg_digest d = digest_for_key(p, skey);
    struct sg_buf dir = {0};
    sg_buf_printf(&dir, "%s/%s", p->notices.spool, skey);
    DIR *dh = opendir(dir.data);
    if (!dh) {
        sg_buf_free(&dir);
        return;
    }
    char **names = sg_xcalloc(1, sizeof(char *));
    bool due = force || d == SG_DIGEST_NONE;
    struct dirent *de;
    while ((de = readdir(dh))) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len < 7 || strcmp(de->d_name + len - 6, ".entry"))
            continue;
        struct stat st;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir.data, de->d_name);
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (d != SG_DIGEST_NONE && period_of(st.st_mtime, d) < period_of(now, d))
            due = true;
        names = sg_strv_push(names, de->d_name);
    }
    closedir(dh);
    size_t n = sg_strv_len(names);
    if (!due || !n) {
        sg_strv_free(names);
        sg_buf_free(&dir);
        return;
    }
    qsort(names, n, sizeof(char *), cmp_str);
    char **to = sg_xcalloc(1, sizeof(char *));
    struct sg_buf body = {0};
    sg_buf_printf(&body, "%zu message%s held since the last digest. Each is described below, with how to "
                  "release or discard it.\n", n, n == 1 ? " was" : "s were");
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir.data, names[i]);
        gchar *text = NULL;
        gsize len = 0;
        if (!g_file_get_contents(path, &text, &len, NULL))
            continue;
        char *nl = strchr(text, '\n');
        if (nl && !strncmp(text, "To:", 3)) {
            *nl = '\0';
            gchar **addrs = g_strsplit(text + 3, " ", -1);
            for (size_t a = 0; addrs[a]; a++) {
                bool dup = false;
                for (size_t b = 0; to[b]; b++)
                    dup |= !strcmp(to[b], addrs[a]);
                if (*addrs[a] && !dup)
                    to = sg_strv_push(to, addrs[a]);
            }
            g_strfreev(addrs);
            sg_buf_printf(&body, "\n---- %zu of %zu ----\n\n%s", i + 1, n, nl + 1);
        }
        g_free(text);
    }
    char id[80];
    snprintf(id, sizeof(id), "digest-%ld", (long)now);
    struct sg_buf subj = {0};
    sg_buf_printf(&subj, "Subject: [safeguard] Digest: %zu held message%s waiting for review\n", n, n == 1 ? "" : "s");
    if (to[0] && send_one(p, id, to, subj.data, body.data, "NOQUEUE", "digest"))
        for (size_t i = 0; i < n; i++) {
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", dir.data, names[i]);
            unlink(path);
        }
    sg_buf_free(&subj);
    sg_buf_free(&body);
    sg_strv_free(to);
    sg_strv_free(names);
    sg_buf_free(&dir);
}

void sg_notify_flush(const struct sg_policy *p, time_t now, bool force)
{
    if (!p || !p->notices.configured || !p->notices.spool)
        return;
    DIR *dh = opendir(p->notices.spool);
    if (!dh)
        return;
    char **keys = sg_xcalloc(1, sizeof(char *));
    struct dirent *de;
    while ((de = readdir(dh)))
        if (de->d_name[0] != '.')
            keys = sg_strv_push(keys, de->d_name);
    closedir(dh);
    for (size_t i = 0; keys[i]; i++)
        flush_school(p, keys[i], now, force);
    sg_strv_free(keys);
}

void sg_notify_tick(void)
{
    static time_t last;
    time_t now = time(NULL);
    if (now - last < 30)
        return;
    last = now;
    struct sg_pool *pool;
    struct sg_policy *p = sg_reload_current(&pool);
    sg_pool_unref(pool);
    sg_notify_flush(p, now, false);
    sg_policy_unref(p);
}
