/*
 * store_file.c - the quarantine store's files: one 0600 message per item
 * (written whole and fsynced before its row), and the release key.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store_int.h"

char *sg_store_file_path(const struct sg_store *st, const char *id)
{
    struct sg_buf b = {0};
    sg_buf_printf(&b, "%s/%s.eml", st->msgdir, id);
    return sg_buf_steal(&b);
}

static bool sync_dir(const char *dir)
{
    int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0)
        return false;
    bool ok = fsync(d) == 0;
    close(d);
    return ok;
}

static bool copy_fd(int from, int to)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(from, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        if (n == 0)
            return true;
        if (!sg_fd_write_all(to, buf, (size_t)n))
            return false;
    }
}

bool sg_store_file_write(struct sg_store *st, const char *id, int fd, char **err)
{
    struct sg_buf tmp = {0};
    sg_buf_printf(&tmp, "%s/.tmp.%s", st->msgdir, id);
    char *final = sg_store_file_path(st, id);
    int out = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    bool ok = out >= 0;
    const char *what = "create";
    if (ok && !(ok = copy_fd(fd, out)))
        what = "write";
    if (ok && !(ok = fsync(out) == 0))
        what = "fsync";
    if (out >= 0 && close(out) != 0 && ok) {
        ok = false;
        what = "close";
    }
    if (ok && !(ok = rename(tmp.data, final) == 0))
        what = "rename";
    if (ok && !(ok = sync_dir(st->msgdir)))
        what = "fsync the folder of";
    if (!ok) {
        sg_store_seterr(err, "cannot %s the stored message %s: %s", what, final, strerror(errno));
        unlink(tmp.data);
    }
    sg_buf_free(&tmp);
    free(final);
    return ok;
}

static bool read_key(struct sg_store *st, const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = sg_fd_read_all(fd, st->key, sizeof(st->key));
    close(fd);
    return ok;
}

/* The key is made once, by whoever opens the store first; link() makes
 * the race between the milter and the admin command harmless: the loser
 * reads the winner's key. */
bool sg_store_key_load(struct sg_store *st, char **err)
{
    struct sg_buf path = {0}, tmp = {0};
    sg_buf_printf(&path, "%s/release.key", st->dir);
    bool ok = read_key(st, path.data);
    if (!ok && errno == ENOENT) {
        unsigned char k[SG_STORE_KEY_LEN];
        sg_buf_printf(&tmp, "%s/.release.key.%ld", st->dir, (long)getpid());
        int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        bool made = fd >= 0 && getrandom(k, sizeof(k), 0) == (ssize_t)sizeof(k) &&
                    sg_fd_write_all(fd, k, sizeof(k)) && fsync(fd) == 0;
        if (fd >= 0)
            close(fd);
        if (made && link(tmp.data, path.data) != 0 && errno != EEXIST)
            made = false;
        unlink(tmp.data);
        memset(k, 0, sizeof(k));
        ok = made && read_key(st, path.data);
    }
    if (!ok)
        sg_store_seterr(err, "cannot read or create the release key %s: %s", path.data, strerror(errno));
    sg_buf_free(&path);
    sg_buf_free(&tmp);
    return ok;
}
