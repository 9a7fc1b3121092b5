/*
 * quarantine.c - safeguard-quarantine: the DSL's and admin's view of the
 * quarantine store. This file is the command line: global options, the
 * access check made before anything else, who the actor is, and the
 * helpers the commands (qcmd_*.c) share.
 *
 * Run as root, the store is used as its owner (the milter's user), so
 * that SQLite's files stay the milter's; the MTA's commands run as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include "qcmd.h"

#define DEFAULT_POLICY "/etc/safeguard/policy.yaml"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: safeguard-quarantine [-c POLICY] [--store DIR] COMMAND [ARGS]\n"
            "  list [--state S] [--school ID] [--category C] [--since 7d|ISO] [--json]\n"
            "  show ID                    headers, verdict, evidence, a text preview, attachments\n"
            "  release ID --reason TEXT   deliver it (once), from the MTA's hold queue or the stored copy\n"
            "  discard ID --reason TEXT   delete it from the hold queue and the store\n"
            "  purge [--days N]           expire items older than quarantine: retention_days\n"
            "  find --pupil ADDRESS|UPN   every item naming or identifying one pupil\n"
            "  report [--since 7d] [--csv] held, released, discarded, overridden, monitored per rule\n"
            "  -c POLICY    the milter's policy (default %s when readable): store and commands\n"
            "  --store DIR  the store folder, overriding the policy's\n"
            "States: held released discarded expired monitored overridden.\n"
            "Exit: 0 done, 1 refused or failed, 2 usage, 3 no access to the store.\n",
            DEFAULT_POLICY);
}

bool qc_parse_since(const char *s, time_t *out)
{
    char *end;
    long n = strtol(s, &end, 10);
    long unit = !strcmp(end, "d") ? 86400 : !strcmp(end, "h") ? 3600 : !strcmp(end, "m") ? 60
              : !strcmp(end, "w") ? 7 * 86400 : 0;
    if (end != s && n >= 0 && unit) {
        *out = time(NULL) - n * unit;
        return true;
    }
    struct tm tm = {0};
    const char *rest = strptime(s, "%Y-%m-%dT%H:%M", &tm);
    if (!rest)
        rest = strptime(s, "%Y-%m-%d %H:%M", &tm);
    if (!rest)
        rest = strptime(s, "%Y-%m-%d", &tm);
    if (!rest || (*rest && strcmp(rest, "Z") && !(*rest == ':' && strptime(rest, ":%S", &tm))))
        return false;
    tm.tm_isdst = -1;
    *out = *rest == 'Z' ? timegm(&tm) : mktime(&tm);
    return *out != (time_t)-1;
}

static bool is_opt(const char *a, const char *name, const char **value, bool *has_eq)
{
    size_t n = strlen(name);
    if (strncmp(a, "--", 2) || strncmp(a + 2, name, n))
        return false;
    *has_eq = a[2 + n] == '=';
    *value = *has_eq ? a + 3 + n : NULL;
    return a[2 + n] == '\0' || *has_eq;
}

const char *qc_opt(const struct qc *c, const char *name)
{
    for (int i = 0; i < c->argc; i++) {
        const char *v;
        bool eq;
        if (is_opt(c->argv[i], name, &v, &eq))
            return eq ? v : i + 1 < c->argc ? c->argv[i + 1] : NULL;
    }
    return NULL;
}

bool qc_flag(const struct qc *c, const char *name)
{
    for (int i = 0; i < c->argc; i++) {
        const char *v;
        bool eq;
        if (is_opt(c->argv[i], name, &v, &eq))
            return true;
    }
    return false;
}

/* Options that take a value: their next argument is not positional. */
static const char *const valued[] = {"state", "school", "category", "since", "reason", "days", "pupil", NULL};

static bool takes_value(const char *a)
{
    for (size_t i = 0; valued[i]; i++) {
        const char *v;
        bool eq;
        if (is_opt(a, valued[i], &v, &eq))
            return !eq;
    }
    return false;
}

const char *qc_arg(const struct qc *c)
{
    for (int i = 0; i < c->argc; i++) {
        if (!strncmp(c->argv[i], "--", 2)) {
            i += takes_value(c->argv[i]);
            continue;
        }
        return c->argv[i];
    }
    return NULL;
}

void qc_put_safe(FILE *out, const char *s, size_t max)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++, n++) {
        if (max && n >= max) {
            fputs("...", out);
            return;
        }
        fputc(*p == '\n' || *p == '\t' || (*p >= 0x20 && *p != 0x7f) ? *p : '?', out);
    }
}

void qc_time(time_t t, char *out, size_t len)
{
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%d %H:%M", &tm);
}

struct sg_store_entry *qc_get(struct qc *c, const char *id)
{
    char *err = NULL;
    struct sg_store_entry *e = id ? sg_store_get(c->st, id, &err) : NULL;
    if (!e)
        fprintf(stderr, "safeguard-quarantine: %s\n", err ? err : id ? "no such item in the store" : "which item? (an event id, as `list` shows)");
    if (!e && id && !err)
        fprintf(stderr, "  (%s is not in %s)\n", id, sg_store_dir(c->st));
    free(err);
    return e;
}

void qc_log(const struct qc *c, const char *event_id, const char *action, const char *result, const char *detail)
{
    syslog(!strcmp(result, "ok") ? LOG_NOTICE : LOG_WARNING, "event=%s action=%s actor=%s result=%s%s%s",
           event_id ? event_id : "-", action, c->actor, result, detail ? " " : "", detail ? detail : "");
}

/* The person behind the command: the sudo user when root was reached by sudo. */
static void find_actor(struct qc *c)
{
    struct passwd *pw = getpwuid(getuid());
    const char *name = pw ? pw->pw_name : "uid?";
    const char *sudo = getenv("SUDO_USER");
    if (getuid() == 0 && sudo && *sudo && strcmp(sudo, "root"))
        snprintf(c->actor, sizeof(c->actor), "%.60s(sudo:%.40s)", name, sudo);
    else
        snprintf(c->actor, sizeof(c->actor), "%.100s", name);
    for (char *p = c->actor; *p; p++)
        if (*p <= ' ' || *p == '"')
            *p = '?';
}

static void owner_names(const struct stat *sb, char *user, size_t ul, char *group, size_t gl)
{
    struct passwd *pw = getpwuid(sb->st_uid);
    struct group *gr = getgrgid(sb->st_gid);
    snprintf(user, ul, "%s", pw ? pw->pw_name : "?");
    snprintf(group, gl, "%s", gr ? gr->gr_name : "?");
}

/* Before anything else: can this user use the store at all? Root works
 * as the folder's owner from here on. */
static int enter_store(const char *dir)
{
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        fprintf(stderr, "safeguard-quarantine: no quarantine store at %s (%s); safeguard-milter creates it when it "
                "starts, and -c POLICY or --store DIR names another\n", dir, strerror(errno));
        return QC_NOACCESS;
    }
    if (geteuid() == 0 && sb.st_uid != 0 && (setegid(sb.st_gid) != 0 || seteuid(sb.st_uid) != 0)) {
        fprintf(stderr, "safeguard-quarantine: cannot act as the owner of %s: %s\n", dir, strerror(errno));
        return QC_NOACCESS;
    }
    struct sg_buf db = {0};
    sg_buf_printf(&db, "%s/index.db", dir);
    bool ok = faccessat(AT_FDCWD, dir, R_OK | W_OK | X_OK, AT_EACCESS) == 0 &&
              (faccessat(AT_FDCWD, db.data, R_OK | W_OK, AT_EACCESS) == 0 || errno == ENOENT);
    sg_buf_free(&db);
    if (!ok) {
        char user[64], group[64];
        owner_names(&sb, user, sizeof(user), group, sizeof(group));
        fprintf(stderr, "safeguard-quarantine: no access to the quarantine store %s (owner %s, group %s, mode %04o): "
                "run it as root or as %s, e.g. sudo -u %s safeguard-quarantine ...\n", dir, user, group,
                (unsigned)(sb.st_mode & 07777), user, user);
        return QC_NOACCESS;
    }
    return QC_OK;
}

static const struct {
    const char *name;
    int (*fn)(struct qc *);
} commands[] = {
    {"list", qcmd_list}, {"show", qcmd_show}, {"release", qcmd_release}, {"discard", qcmd_discard},
    {"purge", qcmd_purge}, {"find", qcmd_find}, {"report", qcmd_report},
};

static struct sg_policy *load_policy(const char *path, bool explicit)
{
    if (!explicit && access(path, R_OK) != 0)
        return NULL;
    char *errors = NULL;
    struct sg_policy *p = sg_policy_load(path, &errors);
    if (!p) {
        fprintf(stderr, "safeguard-quarantine: the policy %s does not load:\n%s", path, errors ? errors : "");
        free(errors);
    }
    return p;
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"store", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    const char *policy_path = NULL, *store = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "+c:h", longs, NULL)) != -1) {
        switch (ch) {
        case 'c': policy_path = optarg; break;
        case 's': store = optarg; break;
        case 'h': usage(stdout); return QC_OK;
        default: usage(stderr); return QC_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return QC_USAGE;
    }
    const char *cmd = argv[optind];
    int (*fn)(struct qc *) = NULL;
    for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
        if (!strcmp(cmd, commands[i].name))
            fn = commands[i].fn;
    if (!fn) {
        fprintf(stderr, "safeguard-quarantine: unknown command \"%s\"\n", cmd);
        usage(stderr);
        return QC_USAGE;
    }
    openlog("safeguard-quarantine", LOG_PID, LOG_MAIL);
    sg_message_init_library();
    struct qc c = {.argc = argc - optind - 1, .argv = argv + optind + 1};
    static struct sg_quarantine_cfg defaults = {
        .store = "/var/lib/safeguard/quarantine", .retention_days = 30, .sendmail = "/usr/sbin/sendmail",
        .postsuper = "/usr/sbin/postsuper", .postqueue = "/usr/sbin/postqueue", .postfix_config = "",
    };
    c.policy = load_policy(policy_path ? policy_path : DEFAULT_POLICY, policy_path != NULL);
    if (policy_path && !c.policy)
        return QC_USAGE;
    c.q = c.policy ? &c.policy->quarantine : &defaults;
    const char *dir = store ? store : c.q->store;
    int rc = enter_store(dir);
    if (rc != QC_OK)
        return rc;
    find_actor(&c);
    char *err = NULL;
    if (!(c.st = sg_store_open(dir, &err))) {
        fprintf(stderr, "safeguard-quarantine: %s\n", err ? err : "cannot open the store");
        free(err);
        sg_policy_unref(c.policy);
        return QC_FAILED;
    }
    rc = fn(&c);
    sg_store_close(c.st);
    sg_policy_unref(c.policy);
    return rc;
}
