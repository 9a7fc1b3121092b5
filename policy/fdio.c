/*
 * fdio.c - whole reads and writes on descriptors, retried over short
 * transfers and EINTR. Sends on a socket never raise SIGPIPE: a peer that
 * has gone is an error to handle, not a signal that kills the milter.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>
#include "sg_util.h"

bool sg_fd_read_all(int fd, void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

static bool put_all(int fd, const void *buf, size_t n, bool sock)
{
    const unsigned char *p = buf;
    while (n) {
        ssize_t w = sock ? send(fd, p, n, MSG_NOSIGNAL) : write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

bool sg_fd_write_all(int fd, const void *buf, size_t n)
{
    return put_all(fd, buf, n, false);
}

bool sg_sock_send_all(int sock, const void *buf, size_t n)
{
    return put_all(sock, buf, n, true);
}
