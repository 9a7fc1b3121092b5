/*
 * check_store.c - the quarantine store: round trip, several milter threads
 * writing at once, a crash between file and row, transitions, retention,
 * the pupil search, the release mark, and the policy's quarantine: keys.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check_suites.h"
#include "sg_policy.h"
#include "sg_store.h"
#include "sg_util.h"

static char dir[64];
static struct sg_store *st;

static const char mail[] =
    "From: staff@t.sch.uk\r\nTo: parent@example.com\r\nSubject: Plan for Jamie\r\n"
    "Message-ID: <m1@t.sch.uk>\r\n\r\nThe child protection plan is attached.\r\n";

static int fd_of(const char *text)
{
    int fd = memfd_create("check-store", MFD_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert(sg_fd_write_all(fd, text, strlen(text)));
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static void put_one(const char *id, time_t when, const char *rcpt, const char *evidence, const char *body)
{
    char *rcpts[] = {(char *)rcpt, NULL};
    struct sg_store_hit hit = {"safeguarding-leaving-trust", "confidential", "quarantine", "000 5.3", evidence};
    struct sg_store_item it = {
        .event_id = id, .when = when, .queue_id = "4XyZ1", .mta = "postfix", .sender = "staff@t.sch.uk",
        .rcpts = rcpts, .subject = "Plan for Jamie", .message_id = "m1@t.sch.uk", .school = "NFA",
        .action = "quarantine", .state = SG_STORE_HELD, .hits = &hit, .nhits = 1,
    };
    int fd = fd_of(body ? body : mail);
    char *err = NULL;
    ck_assert_msg(sg_store_put(st, &it, fd, &err), "%s", err ? err : "");
    close(fd);
}

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/check-store.XXXXXX");
    ck_assert(mkdtemp(dir) != NULL);
    char sub[96], *err = NULL;
    snprintf(sub, sizeof(sub), "%s/q", dir);
    st = sg_store_open(sub, &err);
    ck_assert_msg(st != NULL, "%s", err ? err : "");
}

static void teardown(void)
{
    sg_store_close(st);
    st = NULL;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(put_get_round_trip)
{
    put_one("sg-a1", 1000, "parent@example.com", "child protection plan", NULL);
    char *err = NULL;
    struct sg_store_entry *e = sg_store_get(st, "sg-a1", &err);
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->queue_id, "4XyZ1");
    ck_assert_str_eq(e->rcpts[0], "parent@example.com");
    ck_assert_ptr_null(e->rcpts[1]);
    ck_assert_int_eq(e->state, SG_STORE_HELD);
    ck_assert_uint_eq(e->nhits, 1);
    ck_assert_str_eq(e->hits[0].evidence, "child protection plan");
    ck_assert_str_eq(e->hits[0].cite, "000 5.3");
    struct stat sb;
    ck_assert_int_eq(stat(e->file, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);
    ck_assert_int_eq(stat(sg_store_dir(st), &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0700);
    ck_assert(!e->truncated);
    sg_store_entry_free(e);
    /* A copy cut at max_message_size says so (release must not re-inject it). */
    struct sg_store_item cut = {.event_id = "sg-cut", .state = SG_STORE_HELD, .truncated = true};
    int fd = fd_of(mail);
    ck_assert(sg_store_put(st, &cut, fd, &err));
    close(fd);
    e = sg_store_get(st, "sg-cut", &err);
    ck_assert(e->truncated);
    sg_store_entry_free(e);
    ck_assert_ptr_null(sg_store_get(st, "sg-none", &err));
    ck_assert_ptr_null(err);
    struct sg_store_item bad = {.event_id = "../x"};
    ck_assert(!sg_store_put(st, &bad, 0, &err));
    ck_assert_ptr_nonnull(err);
    free(err);
}
END_TEST

#define THREADS 8
#define PER_THREAD 25

static void *writer(void *arg)
{
    long t = (long)arg;
    for (int i = 0; i < PER_THREAD; i++) {
        char id[32];
        snprintf(id, sizeof(id), "sg-t%ld-%d", t, i);
        put_one(id, 2000 + i, "x@example.com", "plan", NULL);
    }
    return NULL;
}

START_TEST(concurrent_writers)
{
    pthread_t th[THREADS];
    /* Another process (a second milter, the admin command) writing too:
     * SQLite's file locks, not our mutex, keep it apart. */
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char *cerr = NULL;
        st = sg_store_open(sg_store_dir(st), &cerr);   /* never the parent's handle across fork */
        if (!st)
            _exit(1);
        writer((void *)(long)THREADS);
        sg_store_close(st);
        _exit(0);
    }
    for (long t = 0; t < THREADS; t++)
        ck_assert_int_eq(pthread_create(&th[t], NULL, writer, (void *)t), 0);
    /* A second handle, as the admin command has, writing meanwhile. */
    char *err = NULL;
    struct sg_store *other = sg_store_open(sg_store_dir(st), &err);
    ck_assert_msg(other != NULL, "%s", err ? err : "");
    for (int i = 0; i < 10; i++)
        ck_assert(sg_store_audit_add(other, "sg-t0-0", "admin", "show", NULL, &err));
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    int status = -1;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    size_t n = 0;
    struct sg_store_entry **v = sg_store_list(other, NULL, &n, &err);
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(n, (THREADS + 1) * PER_THREAD);
    sg_store_list_free(v, n);
    sg_store_close(other);
}
END_TEST

START_TEST(crash_between_file_and_row)
{
    put_one("sg-ok", 3000, "a@example.com", "plan", NULL);
    /* What a crash after the file's fsync and before the commit leaves. */
    char path[160];
    snprintf(path, sizeof(path), "%s/msg/sg-orphan.eml", sg_store_dir(st));
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert(sg_fd_write_all(fd, mail, strlen(mail)));
    close(fd);
    struct timeval old[2] = {{.tv_sec = time(NULL) - 600}, {.tv_sec = time(NULL) - 600}};
    ck_assert_int_eq(utimes(path, old), 0);
    size_t n = 0, found = 0;
    char *err = NULL;
    struct sg_store_entry **v = sg_store_list(st, NULL, &n, &err);
    ck_assert_uint_eq(n, 1);
    sg_store_list_free(v, n);
    ck_assert(sg_store_recover(st, &found, &err));
    ck_assert_uint_eq(found, 1);
    struct sg_store_filter held = {.state = SG_STORE_HELD};
    v = sg_store_list(st, &held, &n, &err);
    ck_assert_uint_eq(n, 2);
    struct sg_store_entry *e = sg_store_get(st, "sg-orphan", &err);
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->action, "recovered");
    ck_assert_str_eq(e->subject, "Plan for Jamie");
    ck_assert_str_eq(e->rcpts[0], "parent@example.com");
    sg_store_entry_free(e);
    sg_store_list_free(v, n);
    /* A temporary copy a crash cut short is removed once stale. */
    char tmp[160];
    snprintf(tmp, sizeof(tmp), "%s/msg/.tmp.sg-cut", sg_store_dir(st));
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    ck_assert_int_ge(fd, 0);
    close(fd);
    struct timeval stale[2] = {{.tv_sec = time(NULL) - 2 * 86400}, {.tv_sec = time(NULL) - 2 * 86400}};
    ck_assert_int_eq(utimes(tmp, stale), 0);
    /* Once is enough: a second pass finds nothing new. */
    ck_assert(sg_store_recover(st, &found, &err));
    ck_assert_uint_eq(found, 0);
    ck_assert_int_eq(access(tmp, F_OK), -1);
}
END_TEST

START_TEST(transitions)
{
    put_one("sg-r", 4000, "a@example.com", "plan", NULL);
    put_one("sg-d", 4001, "a@example.com", "plan", NULL);
    char *err = NULL;
    ck_assert_int_eq(sg_store_transition(st, "sg-r", SG_STORE_RELEASED, "dsl", "false alarm", &err), SG_STORE_OK);
    ck_assert_int_eq(sg_store_transition(st, "sg-r", SG_STORE_RELEASED, "dsl", "again", &err), SG_STORE_REFUSED);
    ck_assert_ptr_nonnull(strstr(err, "released"));
    ck_assert_int_eq(sg_store_transition(st, "sg-r", SG_STORE_DISCARDED, "dsl", "x", &err), SG_STORE_REFUSED);
    ck_assert_int_eq(sg_store_transition(st, "sg-r", SG_STORE_HELD, "dsl", "x", &err), SG_STORE_REFUSED);
    ck_assert_int_eq(sg_store_transition(st, "sg-nope", SG_STORE_RELEASED, "dsl", "x", &err), SG_STORE_NOTFOUND);
    struct sg_store_entry *e = sg_store_get(st, "sg-d", &err);
    char *file = sg_xstrdup(e->file);
    sg_store_entry_free(e);
    ck_assert_int_eq(sg_store_transition(st, "sg-d", SG_STORE_DISCARDED, "dsl", "agreed", &err), SG_STORE_OK);
    ck_assert_int_eq(access(file, F_OK), -1);
    free(file);
    ck_assert_int_eq(sg_store_transition(st, "sg-d", SG_STORE_RELEASED, "dsl", "x", &err), SG_STORE_REFUSED);
    /* A failed delivery puts the release back, once. */
    ck_assert_int_eq(sg_store_unrelease(st, "sg-r", "dsl", "sendmail failed", &err), SG_STORE_OK);
    ck_assert_int_eq(sg_store_unrelease(st, "sg-r", "dsl", "x", &err), SG_STORE_REFUSED);
    size_t n = 0;
    struct sg_store_audit *a = sg_store_audit_of(st, "sg-r", &n, &err);
    ck_assert_uint_eq(n, 3);                     /* held (put), released, release-failed */
    ck_assert_str_eq(a[1].actor, "dsl");
    ck_assert_str_eq(a[1].action, "released");
    ck_assert_str_eq(a[1].reason, "false alarm");
    sg_store_audit_free(a, n);
    free(err);
}
END_TEST

START_TEST(purge_keeps_audit)
{
    time_t now = time(NULL);
    put_one("sg-old", now - 40 * 86400, "pupil@pupils.t.sch.uk", "Jamie Smith", NULL);
    put_one("sg-new", now - 86400, "pupil@pupils.t.sch.uk", "Jamie Smith", NULL);
    char *err = NULL;
    struct sg_store_entry *e = sg_store_get(st, "sg-old", &err);
    char *file = sg_xstrdup(e->file);
    sg_store_entry_free(e);
    size_t n = 0;
    ck_assert(sg_store_purge(st, 30, now, "cron", &n, &err));
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(access(file, F_OK), -1);
    free(file);
    e = sg_store_get(st, "sg-old", &err);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->state, SG_STORE_EXPIRED);
    ck_assert_ptr_null(e->subject);
    ck_assert_ptr_null(e->rcpts[0]);
    ck_assert_ptr_null(e->file);
    ck_assert_ptr_null(e->hits[0].evidence);
    ck_assert_str_eq(e->hits[0].rule, "safeguarding-leaving-trust");
    sg_store_entry_free(e);
    struct sg_store_audit *a = sg_store_audit_of(st, "sg-old", &n, &err);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(a[1].action, "purge");
    sg_store_audit_free(a, n);
    e = sg_store_get(st, "sg-new", &err);
    ck_assert_int_eq(e->state, SG_STORE_HELD);
    sg_store_entry_free(e);
    ck_assert(sg_store_purge(st, 30, now, "cron", &n, &err));
    ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(find_pupil)
{
    /* By recipient, by evidence, and only inside a base64 body. */
    put_one("sg-f1", 5000, "jamie.smith@pupils.t.sch.uk", "plan", NULL);
    put_one("sg-f2", 5001, "parent@example.com", "A123456789012", NULL);
    put_one("sg-f3", 5002, "parent@example.com", "plan",
            "From: staff@t.sch.uk\r\nTo: parent@example.com\r\nSubject: Notes\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            "SmFtaWUgU21pdGggaXMgaW4gdGhlIHBsYW4u\r\n");     /* "Jamie Smith is in the plan." */
    put_one("sg-f4", 5003, "other@example.com", "plan",
            "From: staff@t.sch.uk\r\nTo: other@example.com\r\nSubject: Lunch\r\n\r\nLunch at noon.\r\n");
    char *err = NULL;
    char *needles[] = {"Jamie.Smith@pupils.t.sch.uk", "a123456789012", "jamie smith", NULL};
    char **ids = sg_store_find(st, needles, &err);
    ck_assert_ptr_nonnull(ids);
    ck_assert_uint_eq(sg_strv_len(ids), 3);
    bool seen[4] = {false};
    for (size_t i = 0; ids[i]; i++)
        for (int k = 0; k < 4; k++) {
            char want[8];
            snprintf(want, sizeof(want), "sg-f%d", k + 1);
            seen[k] |= !strcmp(ids[i], want);
        }
    ck_assert(seen[0] && seen[1] && seen[2] && !seen[3]);
    sg_strv_free(ids);
    char *none[] = {"nobody@example.org", NULL};
    ids = sg_store_find(st, none, &err);
    ck_assert_uint_eq(sg_strv_len(ids), 0);
    sg_strv_free(ids);
}
END_TEST

START_TEST(release_mark)
{
    put_one("sg-m", 6000, "a@example.com", "plan", NULL);
    char *err = NULL;
    char *mark = sg_store_mark_make(st, "sg-m", "m1@t.sch.uk");
    /* Not released yet: the mark is not good. */
    ck_assert_int_eq(sg_store_mark_check(st, mark, "m1@t.sch.uk", &err), SG_STORE_REFUSED);
    ck_assert_int_eq(sg_store_transition(st, "sg-m", SG_STORE_RELEASED, "dsl", "ok", &err), SG_STORE_OK);
    /* Another Message-ID, a forged MAC, garbage: refused. */
    ck_assert_int_eq(sg_store_mark_check(st, mark, "other@t.sch.uk", &err), SG_STORE_REFUSED);
    char forged[160];
    snprintf(forged, sizeof(forged), "sg-m %064d", 0);
    ck_assert_int_eq(sg_store_mark_check(st, forged, "m1@t.sch.uk", &err), SG_STORE_REFUSED);
    ck_assert_int_eq(sg_store_mark_check(st, "../../x y", "m1@t.sch.uk", &err), SG_STORE_REFUSED);
    ck_assert_int_eq(sg_store_mark_check(st, mark, "m1@t.sch.uk", &err), SG_STORE_OK);
    /* Good once. */
    ck_assert_int_eq(sg_store_mark_check(st, mark, "m1@t.sch.uk", &err), SG_STORE_REFUSED);
    struct sg_store_entry *e = sg_store_get(st, "sg-m", &err);
    ck_assert(e->reinjected);
    sg_store_entry_free(e);
    /* The key is kept 0600 and reused by the next open. */
    char key[160];
    snprintf(key, sizeof(key), "%s/release.key", sg_store_dir(st));
    struct stat sb;
    ck_assert_int_eq(stat(key, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);
    struct sg_store *again = sg_store_open(sg_store_dir(st), &err);
    char *mark2 = sg_store_mark_make(again, "sg-m", "m1@t.sch.uk");
    ck_assert_str_eq(mark, mark2);
    sg_store_close(again);
    free(mark);
    free(mark2);
    free(err);
}
END_TEST

START_TEST(quarantine_keys)
{
    char *errors = NULL;
    struct sg_policy *p = sg_test_load_yaml("school: {staff_domains: [t.sch.uk]}\n"
                                            "rules: [{id: r, category: offensive, match: {phrases: [x]}, action: reject, cite: \"000 1\"}]\n",
                                            &errors, NULL);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    ck_assert_str_eq(p->quarantine.store, "/var/lib/safeguard/quarantine");
    ck_assert_uint_eq(p->quarantine.retention_days, 30);
    ck_assert_str_eq(p->quarantine.postsuper, "/usr/sbin/postsuper");
    sg_policy_unref(p);
    p = sg_test_load_yaml("school: {staff_domains: [t.sch.uk]}\n"
                          "quarantine: {store: q, retention_days: 7}\n"
                          "rules: [{id: r, category: offensive, match: {phrases: [x]}, action: reject, cite: \"000 1\"}]\n",
                          &errors, NULL);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    ck_assert_uint_eq(p->quarantine.retention_days, 7);
    ck_assert(p->quarantine.store[0] == '/');     /* beside the policy file */
    sg_policy_unref(p);
    p = sg_test_load_yaml("school: {staff_domains: [t.sch.uk]}\n"
                          "quarantine: {sendmail: sendmail, retention: 3}\n"
                          "rules: [{id: r, category: offensive, match: {phrases: [x]}, action: reject, cite: \"000 1\"}]\n",
                          &errors, NULL);
    ck_assert_ptr_null(p);
    ck_assert_ptr_nonnull(strstr(errors, "sendmail must be an absolute path"));
    ck_assert_ptr_nonnull(strstr(errors, "unknown key \"retention\" in quarantine"));
    free(errors);
}
END_TEST

Suite *sg_suite_store(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("store");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, put_get_round_trip);
    tcase_add_test(tc, concurrent_writers);
    tcase_add_test(tc, crash_between_file_and_row);
    tcase_add_test(tc, transitions);
    tcase_add_test(tc, purge_keeps_audit);
    tcase_add_test(tc, find_pupil);
    tcase_add_test(tc, release_mark);
    tcase_add_test(tc, quarantine_keys);
    suite_add_tcase(s, tc);
    return s;
}
