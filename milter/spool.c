/*
 * spool.c - holding a message until eom: memory up to a bound, then an
 * unlinked temp file (mode 0600) so a large mail costs disk, not RAM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sg_milter.h"

static const char *spool_dir = "/tmp";

void sg_spool_set_tmpdir(const char *dir)
{
    spool_dir = dir;
}

void sg_spool_init(struct sg_spool *s, size_t mem_max, size_t keep_max)
{
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    s->mem_max = mem_max;
    s->keep_max = keep_max;
}

static bool spill(struct sg_spool *s)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/safeguard.XXXXXX", spool_dir);
    mode_t old = umask(077);
    s->fd = mkstemp(path);
    umask(old);
    if (s->fd < 0)
        return false;
    unlink(path);
    bool ok = sg_fd_write_all(s->fd, s->mem.data ? s->mem.data : "", s->mem.len);
    sg_buf_free(&s->mem);
    return ok;
}

bool sg_spool_write(struct sg_spool *s, const void *data, size_t len)
{
    size_t room = s->size < s->keep_max ? s->keep_max - s->size : 0;
    s->size += len;
    if (len > room) {
        s->truncated = true;
        len = room;
    }
    if (!len)
        return true;
    if (s->fd < 0 && s->mem.len + len > s->mem_max && !spill(s))
        return false;
    if (s->fd >= 0)
        return sg_fd_write_all(s->fd, data, len);
    sg_buf_append(&s->mem, data, len);
    return true;
}

struct sg_message *sg_spool_parse(struct sg_spool *s, const struct sg_message_limits *lim,
                                  char *err, size_t errlen)
{
    struct sg_message *m;
    if (s->fd >= 0)
        m = sg_message_parse_fd(s->fd, lim, err, errlen);
    else
        m = sg_message_parse_mem(s->mem.data ? s->mem.data : "", s->mem.len, lim, err, errlen);
    if (m && s->truncated)
        m->limits_hit |= SG_LIMIT_SIZE;
    return m;
}

int sg_spool_fd(struct sg_spool *s)
{
    if (s->fd >= 0)
        return s->fd;
    /* Small mail stays in memory: an anonymous memory file carries it to
     * the worker without touching the disk. */
    s->fd = memfd_create("safeguard-spool", MFD_CLOEXEC);
    if (s->fd < 0)
        return -1;
    if (!sg_fd_write_all(s->fd, s->mem.data ? s->mem.data : "", s->mem.len)) {
        close(s->fd);
        s->fd = -1;
        return -1;
    }
    sg_buf_free(&s->mem);
    return s->fd;
}

void sg_spool_free(struct sg_spool *s)
{
    sg_buf_free(&s->mem);
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}
