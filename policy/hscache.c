/*
 * hscache.c - a policy with a few hundred list regexes takes Hyperscan
 * seconds to compile, and safeguard-check loads the policy for every
 * message it is given; rspamd keeps its compiled databases on disk for
 * the same reason. The key is a SHA-256 of the Hyperscan version, the
 * platform and every expression with its flags and id, so a changed list
 * can never meet a stale database.
 *
 * A database is code for Hyperscan's matcher: one planted by somebody
 * else must not be loaded. The folder must be ours and writable by
 * nobody else, files are written 0600 under a temporary name and renamed
 * into place, and anything that does not deserialise is compiled anew.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hscache.h"
#include "sg_util.h"

#define MAX_DB_BYTES ((size_t)1 << 30)

static char *cache_dir(void)
{
    const char *dir = getenv("SAFEGUARD_HS_CACHE");
    if (!dir || !*dir)
        return NULL;
    struct stat st;
    if (stat(dir, &st) != 0 && (errno != ENOENT || mkdir(dir, 0700) != 0 || stat(dir, &st) != 0))
        return NULL;
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
        return NULL;
    return sg_xstrdup(dir);
}

static char *cache_key(const char *const *exprs, const unsigned *flags, const unsigned *ids, unsigned n)
{
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    const char *version = hs_version();
    g_checksum_update(sum, (const guchar *)version, (gssize)strlen(version));
    hs_platform_info_t plat;
    if (hs_populate_platform(&plat) == HS_SUCCESS)
        g_checksum_update(sum, (const guchar *)&plat, sizeof(plat));
    for (unsigned i = 0; i < n; i++) {
        unsigned meta[2] = {flags ? flags[i] : 0, ids ? ids[i] : 0};
        g_checksum_update(sum, (const guchar *)meta, sizeof(meta));
        g_checksum_update(sum, (const guchar *)exprs[i], (gssize)strlen(exprs[i]) + 1);
    }
    char *key = sg_xstrdup(g_checksum_get_string(sum));
    g_checksum_free(sum);
    return key;
}

static hs_database_t *load(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    hs_database_t *db = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() && !(st.st_mode & 022) &&
        st.st_size > 0 && (size_t)st.st_size <= MAX_DB_BYTES) {
        char *buf = sg_xmalloc((size_t)st.st_size);
        if (read(fd, buf, (size_t)st.st_size) == st.st_size &&
            hs_deserialize_database(buf, (size_t)st.st_size, &db) != HS_SUCCESS)
            db = NULL;
        free(buf);
    }
    close(fd);
    return db;
}

static void store(const char *dir, const char *path, const hs_database_t *db)
{
    char *bytes = NULL;
    size_t len = 0;
    if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS)
        return;
    struct sg_buf tmp = {0};
    sg_buf_printf(&tmp, "%s/.tmp-XXXXXX", dir);
    int fd = mkstemp(tmp.data);
    if (fd >= 0) {
        bool ok = fchmod(fd, 0600) == 0 && write(fd, bytes, len) == (ssize_t)len;
        ok = close(fd) == 0 && ok;
        if (!ok || rename(tmp.data, path) != 0)
            unlink(tmp.data);
    }
    sg_buf_free(&tmp);
    free(bytes);
}

hs_error_t sg_hscache_compile(const char *const *exprs, const unsigned *flags, const unsigned *ids,
                              unsigned n, hs_database_t **db, hs_compile_error_t **err)
{
    char *dir = cache_dir();
    char *path = NULL;
    if (dir) {
        char *key = cache_key(exprs, flags, ids, n);
        struct sg_buf p = {0};
        sg_buf_printf(&p, "%s/%s.hsdb", dir, key);
        path = sg_buf_steal(&p);
        free(key);
        if ((*db = load(path)) != NULL) {
            free(path);
            free(dir);
            return HS_SUCCESS;
        }
    }
    hs_error_t rc = hs_compile_multi(exprs, flags, ids, n, HS_MODE_BLOCK, NULL, db, err);
    if (rc == HS_SUCCESS && path)
        store(dir, path, *db);
    free(path);
    free(dir);
    return rc;
}
