/*
 * preflight.c - start-up checks that turn a later, quieter failure into a
 * clear refusal now: a second instance on a socket a live milter answers
 * on, and files the unprivileged user could not read or write at reload.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>
#include "sg_milter.h"

const char *sg_preflight_socket_path(const char *spec)
{
    if (!strncmp(spec, "unix:", 5))
        return spec + 5;
    if (!strncmp(spec, "local:", 6))
        return spec + 6;
    if (spec[0] == '/')
        return spec;
    return NULL;
}

bool sg_preflight_socket_free(const char *spec)
{
    const char *path = sg_preflight_socket_path(spec);
    if (!path)
        return true;             /* inet: bind itself refuses a port in use */
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sun.sun_path))
        return true;
    strcpy(sun.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return true;
    /* libmilter would unlink the file and bind anew, leaving the running
     * milter alive but unreachable. Somebody answering means: refuse. */
    bool live = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
    close(fd);
    if (live)
        syslog(LOG_ERR, "socket %s is in use by a running milter; not starting a second one", path);
    return !live;
}

bool sg_preflight_access(const struct sg_policy *p, const char *tmpdir, const char *pidfile)
{
    bool ok = true;
    char **files = sg_policy_files(p);
    for (size_t i = 0; files && files[i]; i++) {
        int fd = open(files[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            syslog(LOG_ERR, "cannot read %s as this user (%s): reloads would fail", files[i], strerror(errno));
            ok = false;
        } else {
            close(fd);
        }
    }
    sg_strv_free(files);
    char path[4096];
    snprintf(path, sizeof(path), "%s/safeguard-check.XXXXXX", tmpdir);
    int fd = mkstemp(path);
    if (fd < 0) {
        syslog(LOG_ERR, "cannot write to the spool directory %s as this user (%s)", tmpdir, strerror(errno));
        ok = false;
    } else {
        close(fd);
        unlink(path);
    }
    if (pidfile) {
        char *copy = sg_xstrdup(pidfile);
        if (access(dirname(copy), W_OK) != 0)
            syslog(LOG_WARNING, "the pidfile %s cannot be removed at exit by this user: give it a directory "
                                "of its own (systemd RuntimeDirectory=)", pidfile);
        free(copy);
    }
    return ok;
}
