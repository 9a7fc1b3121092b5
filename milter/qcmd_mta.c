/*
 * qcmd_mta.c - running the MTA's own commands (postqueue, postsuper,
 * sendmail) for safeguard-quarantine: as root when the command was run by
 * root, with a fixed PATH, never through a shell.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "qcmd.h"

static void child(const struct qc *c, char *const *argv, int in, int out)
{
    /* The store was used as its owner; the MTA wants root back. */
    if (getuid() == 0 && (seteuid(0) != 0 || setegid(0) != 0))
        _exit(126);
    if (in >= 0 && dup2(in, 0) < 0)
        _exit(126);
    if (out >= 0 && dup2(out, 1) < 0)
        _exit(126);
    if (in < 0) {
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, 0);
    }
    clearenv();
    setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
    if (c->q->postfix_config && *c->q->postfix_config)
        setenv("MAIL_CONFIG", c->q->postfix_config, 1);
    execv(argv[0], argv);
    _exit(127);
}

static bool feed(int fd, const char *input, const char *in_file)
{
    bool ok = !input || sg_fd_write_all(fd, input, strlen(input));
    int f = ok && in_file ? open(in_file, O_RDONLY | O_CLOEXEC) : -1;
    if (in_file && f < 0)
        ok = false;
    char buf[65536];
    ssize_t n;
    while (ok && f >= 0 && (n = read(f, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        ok = n > 0 && sg_fd_write_all(fd, buf, (size_t)n);
    }
    if (f >= 0)
        close(f);
    return ok;
}

int qc_run(const struct qc *c, char *const *argv, const char *input, const char *in_file, struct sg_buf *out)
{
    int inp[2] = {-1, -1}, outp[2] = {-1, -1};
    if ((input || in_file) && pipe2(inp, O_CLOEXEC) != 0)
        return -1;
    if (out && pipe2(outp, O_CLOEXEC) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        child(c, argv, inp[0], outp[1]);
    if (inp[0] >= 0)
        close(inp[0]);
    if (outp[1] >= 0)
        close(outp[1]);
    bool fed = true;
    if (inp[1] >= 0) {
        /* A command that stops reading must not kill us with SIGPIPE. */
        void (*old)(int) = signal(SIGPIPE, SIG_IGN);
        fed = feed(inp[1], input, in_file);
        close(inp[1]);
        signal(SIGPIPE, old);
    }
    if (out) {
        char buf[8192];
        ssize_t n;
        while ((n = read(outp[0], buf, sizeof(buf))) != 0) {
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                break;
            sg_buf_append(out, buf, (size_t)n);
        }
        close(outp[0]);
        sg_buf_append(out, "", 0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (!fed)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* postqueue -j prints one JSON object per message; the hold queue's
 * carry "queue_name": "hold". Read field by field, not as a substring of
 * the line, so that a sender's address cannot pose as a queue id. */
static bool field_is(const char *line, const char *key, const char *want)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(line, pat);
    if (!p)
        return false;
    p += strlen(pat);
    p += strspn(p, " ");
    size_t n = strlen(want);
    return *p == '"' && !strncmp(p + 1, want, n) && p[1 + n] == '"';
}

int qc_postfix_held(const struct qc *c, const char *qid)
{
    char *argv[] = {(char *)c->q->postqueue, "-j", NULL};
    struct sg_buf out = {0};
    int rc = qc_run(c, argv, NULL, NULL, &out);
    int held = rc == 0 ? 0 : -1;
    for (char *line = out.data; held == 0 && line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (field_is(line, "queue_name", "hold") && field_is(line, "queue_id", qid))
            held = 1;
        line = nl ? nl + 1 : NULL;
    }
    sg_buf_free(&out);
    return held;
}
