/*
 * store_mark.c - the X-Safeguard-Released mark on a re-injected copy.
 *
 * Staff can write any header, so the mark is an HMAC-SHA256 under a key
 * only the store's owner reads; and it is good once, so a recipient who
 * copies a released message's header cannot pass another message with it.
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include "store_int.h"

static char *mac_of(const struct sg_store *st, const char *event_id, const char *message_id)
{
    struct sg_buf b = {0};
    sg_buf_printf(&b, "safeguard-release\n%s\n%s", event_id, message_id ? message_id : "");
    gchar *hex = g_compute_hmac_for_data(G_CHECKSUM_SHA256, st->key, sizeof(st->key), (const guchar *)b.data, b.len);
    char *out = sg_xstrdup(hex);
    g_free(hex);
    sg_buf_free(&b);
    return out;
}

char *sg_store_mark_make(struct sg_store *st, const char *event_id, const char *message_id)
{
    char *mac = mac_of(st, event_id, message_id);
    struct sg_buf b = {0};
    sg_buf_printf(&b, "%s %s", event_id, mac);
    free(mac);
    return sg_buf_steal(&b);
}

/* No early exit: the time taken must not say how much of a guess was right. */
static bool same(const char *a, const char *b)
{
    size_t n = strlen(a);
    if (n != strlen(b))
        return false;
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

static enum sg_store_rc consume(struct sg_store *st, const char *id, char **err)
{
    sqlite3_stmt *s = sg_store_prepare(st, "UPDATE items SET reinjected = 1, changed = ?2 WHERE event_id = ?1"
                                           " AND state = 'released' AND reinjected = 0", err);
    if (!s)
        return SG_STORE_FAILED;
    sg_store_bind_text(s, 1, id);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)time(NULL));
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        sg_store_dberr(st, err, "cannot mark the release used");
        return SG_STORE_FAILED;
    }
    if (sqlite3_changes(st->db) != 1) {
        sg_store_seterr(err, "item %s is not released, or its released copy has passed already", id);
        return SG_STORE_REFUSED;
    }
    return sg_store_audit_row(st, id, time(NULL), "milter", "reinjected", "released copy passed the milter", err)
               ? SG_STORE_OK : SG_STORE_FAILED;
}

enum sg_store_rc sg_store_mark_check(struct sg_store *st, const char *value, const char *message_id, char **err)
{
    char id[80] = "", mac[80] = "";
    const char *p = value ? value + strspn(value, " \t\r\n") : "";
    size_t n = strcspn(p, " \t\r\n");
    if (n && n < sizeof(id))
        memcpy(id, p, n);
    id[n < sizeof(id) ? n : 0] = '\0';
    p += n;
    p += strspn(p, " \t\r\n");
    n = strcspn(p, " \t\r\n");
    if (n && n < sizeof(mac))
        memcpy(mac, p, n);
    mac[n < sizeof(mac) ? n : 0] = '\0';
    if (!sg_store_id_ok(id) || !*mac) {
        sg_store_seterr(err, "malformed release mark");
        return SG_STORE_REFUSED;
    }
    char *want = mac_of(st, id, message_id);
    bool good = same(want, mac);
    free(want);
    if (!good) {
        sg_store_seterr(err, "release mark for %s does not verify", id);
        return SG_STORE_REFUSED;
    }
    pthread_mutex_lock(&st->lock);
    enum sg_store_rc rc = SG_STORE_FAILED;
    if (sg_store_exec(st, "BEGIN IMMEDIATE", err)) {
        rc = consume(st, id, err);
        if (rc != SG_STORE_OK || !sg_store_exec(st, "COMMIT", err)) {
            rc = rc == SG_STORE_OK ? SG_STORE_FAILED : rc;
            sg_store_rollback(st);
        }
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}
