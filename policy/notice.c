/*
 * notice.c - what the DSL and the member of staff are told about held
 * mail, and the mark that makes a notice pass the milter unscreened.
 *
 * A notice carries the verdict (rules, clauses, evidence) and the
 * envelope, never a line of the held message's body: the evidence strings
 * are already short matched phrases, and they are flattened and cut here
 * again, because a notice is mail like any other and may be forwarded.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "sg_engine.h"
#include "sg_notice.h"
#include "sg_schema.h"

#define EVIDENCE_MAX 300         /* bytes of one hit's evidence in a notice */
#define CITE_MAX 400

const char *sg_notice_advice(const struct sg_policy *p, const struct sg_rule *r)
{
    if (r->advice && *r->advice)
        return r->advice;
    const char *a = (unsigned)r->category < SG_CAT_COUNT ? p->actions.advice[r->category] : NULL;
    return a ? a : "";
}

/* The sending member of staff, as the engine finds them: the SASL login
 * (qualified with each staff domain when bare), then the envelope sender. */
static const struct sg_person *sender_person(const struct sg_policy *p, const struct sg_envelope *env)
{
    const struct sg_person *who = NULL;
    if (env->auth_login && *env->auth_login) {
        if (strchr(env->auth_login, '@'))
            who = sg_directory_lookup(p->directory, env->auth_login, NULL);
        for (size_t i = 0; !who && p->school.staff_domains && p->school.staff_domains[i]; i++) {
            char addr[512];
            snprintf(addr, sizeof(addr), "%s@%s", env->auth_login, p->school.staff_domains[i]);
            who = sg_directory_lookup(p->directory, addr, NULL);
        }
    }
    if (!who && env->mail_from && *env->mail_from)
        who = sg_directory_lookup(p->directory, env->mail_from, NULL);
    return who && !who->is_pupil ? who : NULL;
}

const struct sg_school_unit *sg_notice_unit(const struct sg_policy *p, const struct sg_envelope *env)
{
    const struct sg_person *who = sender_person(p, env);
    if (!who || !who->school || !*who->school)
        return NULL;
    for (size_t i = 0; i < p->nunits; i++)
        if (p->units[i].id && !strcasecmp(p->units[i].id, who->school))
            return &p->units[i];
    return NULL;
}

static bool nonempty(char *const *v)
{
    return v && v[0];
}

char *const *sg_notice_dsl(const struct sg_policy *p, const struct sg_school_unit *unit)
{
    if (unit && nonempty(unit->notices.dsl))
        return unit->notices.dsl;
    if (nonempty(p->notices.dsl))
        return p->notices.dsl;
    if (unit && nonempty(unit->safeguarding_team))
        return unit->safeguarding_team;
    return nonempty(p->school.safeguarding_team) ? p->school.safeguarding_team : NULL;
}

enum sg_digest sg_notice_digest(const struct sg_policy *p, const struct sg_school_unit *unit)
{
    if (unit && unit->notices.digest != SG_DIGEST_INHERIT)
        return unit->notices.digest;
    return p->notices.digest == SG_DIGEST_INHERIT ? SG_DIGEST_NONE : p->notices.digest;
}

/* An address fit for a To: line and sendmail's argument-free -t: no
 * white space, controls, quotes or brackets. */
static bool plain_address(const char *a)
{
    if (!a || !*a || !strchr(a, '@') || strlen(a) > 254)
        return false;
    for (const unsigned char *s = (const unsigned char *)a; *s; s++)
        if (*s <= 0x20 || *s >= 0x7f || strchr("<>()[]\\,;:\"", *s))
            return false;
    return true;
}

char *sg_notice_staff_address(const struct sg_policy *p, const struct sg_envelope *env)
{
    if (!env->auth_login || !*env->auth_login)
        return NULL;
    struct sg_buf b = {0};
    if (strchr(env->auth_login, '@')) {
        sg_buf_puts(&b, env->auth_login);
    } else {
        const char *dom = p->school.staff_domains ? p->school.staff_domains[0] : NULL;
        if (!dom || dom[0] == '*')
            return NULL;
        sg_buf_printf(&b, "%s@%s", env->auth_login, dom);
    }
    char *a = sg_buf_steal(&b);
    char *lower = g_ascii_strdown(a, -1);
    free(a);
    a = sg_xstrdup(lower);
    g_free(lower);
    if (!plain_address(a)) {
        free(a);
        return NULL;
    }
    return a;
}

#define DEFAULT_CONTACT "the Designated Safeguarding Lead"

static void join(struct sg_buf *b, char *const *v, const char *sep);

char *sg_notice_contact(const struct sg_policy *p, const struct sg_envelope *env)
{
    const char *set = p->actions.dsl_contact;
    if (set && *set && strcmp(set, DEFAULT_CONTACT))
        return sg_xstrdup(set);
    const struct sg_school_unit *unit = sg_notice_unit(p, env);
    char *const *dsl = sg_notice_dsl(p, unit);
    struct sg_buf b = {0};
    sg_buf_puts(&b, DEFAULT_CONTACT);
    if (dsl) {
        sg_buf_puts(&b, " (");
        join(&b, dsl, ", ");
        sg_buf_puts(&b, ")");
    }
    char *out = sg_template_flatten(b.data, 300);
    sg_buf_free(&b);
    return out;
}

static void join(struct sg_buf *b, char *const *v, const char *sep)
{
    sg_buf_append(b, "", 0);
    for (size_t i = 0; v && v[i]; i++)
        sg_buf_printf(b, "%s%s", i ? sep : "", v[i]);
}

static void put(struct sg_notice_values *nv, enum sg_tvar var, char *owned)
{
    free(nv->owned[var]);
    nv->owned[var] = owned;
    nv->t.v[var] = owned;
}

static char *flat(const char *s, size_t max)
{
    return sg_template_flatten(s ? s : "", max);
}

/* The hits that decided the action, else all of them. */
static bool deciding(const struct sg_verdict *v, size_t i)
{
    bool any = false;
    for (size_t j = 0; j < v->nhits; j++)
        any |= v->hits[j].rule->action == v->action;
    return !any || v->hits[i].rule->action == v->action;
}

static void date_value(time_t when, char *out, size_t len)
{
    struct tm tm;
    localtime_r(&when, &tm);
    strftime(out, len, "%Y-%m-%d %H:%M:%S %z", &tm);
}

void sg_notice_values(struct sg_notice_values *nv, const struct sg_policy *p, const struct sg_verdict *v,
                      const struct sg_envelope *env, const char *subject, char *const *dsl, bool for_staff)
{
    memset(nv, 0, sizeof(*nv));
    struct sg_buf b = {0};
    const struct sg_rule *first = NULL;
    for (size_t i = 0; i < v->nhits; i++) {
        if (!deciding(v, i))
            continue;
        if (!first)
            first = v->hits[i].rule;
        if (b.len)
            sg_buf_puts(&b, ",");
        sg_buf_puts(&b, v->hits[i].rule->id);
    }
    if (!first && v->limits_hit) {
        char names[160];
        sg_limit_names(v->limits_hit, names, sizeof(names));
        sg_buf_printf(&b, "limits:%s", names);
    }
    put(nv, SG_TV_RULE, flat(b.data ? b.data : "-", 400));
    b.len = 0;
    put(nv, SG_TV_CITE, flat(first ? first->cite : "the school's limits on what can be screened", CITE_MAX));
    put(nv, SG_TV_EXPLAIN, flat(first && first->explain ? first->explain
                                : "this content is not allowed in school email.", 600));
    put(nv, SG_TV_ADVICE, flat(first ? sg_notice_advice(p, first)
                               : "Wait for the Designated Safeguarding Lead to review it.", 600));
    if (for_staff || !dsl) {
        put(nv, SG_TV_DSL, sg_notice_contact(p, env));
    } else {
        join(&b, dsl, ", ");
        put(nv, SG_TV_DSL, flat(b.data, 600));
        b.len = 0;
    }
    put(nv, SG_TV_SUBJECT, flat(subject && *subject ? subject : "(no subject)", 300));
    put(nv, SG_TV_SENDER, flat(env->mail_from && *env->mail_from ? env->mail_from : "<>", 300));
    join(&b, env->rcpts, ", ");
    put(nv, SG_TV_RECIPIENTS, flat(b.data, 2000));
    b.len = 0;
    put(nv, SG_TV_EVENT_ID, flat(v->event_id, 64));
    const struct sg_school_unit *unit = sg_notice_unit(p, env);
    put(nv, SG_TV_SCHOOL, flat(unit ? (unit->name && *unit->name ? unit->name : unit->id)
                               : (p->school.name && *p->school.name ? p->school.name : "the school"), 200));
    /* One entry per hit: rule, category, clause and the evidence string. */
    b.len = 0;
    sg_buf_append(&b, "", 0);
    for (size_t i = 0; i < v->nhits; i++) {
        const struct sg_hit *h = &v->hits[i];
        char *id = flat(h->rule->id, 100), *cite = flat(h->rule->cite, CITE_MAX), *ev = flat(h->evidence, EVIDENCE_MAX);
        sg_buf_printf(&b, "%s- %s (%s, %s)\n  Policy: %s\n  Found: %s", i ? "\n" : "", id,
                      sg_category_name(h->rule->category), sg_action_name(h->rule->action), cite, *ev ? ev : "-");
        free(id);
        free(cite);
        free(ev);
    }
    if (v->limits_hit) {
        char names[160];
        sg_limit_names(v->limits_hit, names, sizeof(names));
        sg_buf_printf(&b, "%s- not fully screened: limits %s", b.len ? "\n" : "", names);
    }
    if (!b.len)
        sg_buf_puts(&b, "-");
    put(nv, SG_TV_EVIDENCE, sg_buf_steal(&b));
    sg_buf_printf(&b, "safeguard-quarantine release %s --reason \"...\"", v->event_id);
    put(nv, SG_TV_RELEASE_COMMAND, sg_buf_steal(&b));
    sg_buf_printf(&b, "safeguard-quarantine discard %s --reason \"...\"", v->event_id);
    put(nv, SG_TV_DISCARD_COMMAND, sg_buf_steal(&b));
    put(nv, SG_TV_ACTION, sg_xstrdup(sg_action_name(v->action)));
    sg_verdict_categories(v, &b);
    put(nv, SG_TV_CATEGORIES, sg_buf_steal(&b));
    put(nv, SG_TV_QUEUE_ID, flat(env->queue_id ? env->queue_id : "-", 64));
    char date[64];
    date_value(env->when ? env->when : time(NULL), date, sizeof(date));
    put(nv, SG_TV_DATE, sg_xstrdup(date));
    put(nv, SG_TV_MESSAGE_ID, flat(v->message_id ? v->message_id : "-", 300));
}

void sg_notice_values_free(struct sg_notice_values *nv)
{
    for (size_t i = 0; i < SG_TV_COUNT; i++)
        free(nv->owned[i]);
    memset(nv, 0, sizeof(*nv));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void sg_notice_mac(const unsigned char *key, size_t keylen, const char *id, const char *msgid,
                   char *const *rcpts, char out[65])
{
    size_t n = sg_strv_len(rcpts);
    char **sorted = sg_xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        char *l = g_ascii_strdown(rcpts[i], -1);
        sorted[i] = sg_xstrdup(l);
        g_free(l);
    }
    qsort(sorted, n, sizeof(char *), cmp_str);
    GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, key, keylen);
    /* NUL-separated with a version label: no two inputs share bytes. */
    g_hmac_update(h, (const guchar *)"sg-notice-v1", 13);
    g_hmac_update(h, (const guchar *)id, (gssize)strlen(id) + 1);
    g_hmac_update(h, (const guchar *)msgid, (gssize)strlen(msgid) + 1);
    for (size_t i = 0; i < n; i++)
        g_hmac_update(h, (const guchar *)sorted[i], (gssize)strlen(sorted[i]) + 1);
    g_strlcpy(out, g_hmac_get_string(h), 65);
    g_hmac_unref(h);
    sg_strv_free(sorted);
}

/* "<a@b>" -> "a@b", white space around dropped. */
static char *bare_msgid(const char *m)
{
    while (*m == ' ' || *m == '\t' || *m == '<')
        m++;
    size_t n = strcspn(m, "> \t\r\n");
    return sg_xstrndup(m, n);
}

bool sg_notice_verify(const unsigned char *key, size_t keylen, const char *header, const char *msgid,
                      char *const *rcpts)
{
    if (!key || !header || !msgid)
        return false;
    char id[64], mac[80];
    if (sscanf(header, " %63s %79s", id, mac) != 2 || strlen(mac) != 64)
        return false;
    char *m = bare_msgid(msgid);
    char want[65];
    sg_notice_mac(key, keylen, id, m, rcpts, want);
    free(m);
    /* Compared in constant time: the mark is a secret's function. */
    unsigned char diff = 0;
    for (size_t i = 0; i < 64; i++)
        diff |= (unsigned char)(g_ascii_tolower(mac[i]) ^ want[i]);
    return diff == 0;
}

static void rfc5322_date(time_t t, char *out, size_t len)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    localtime_r(&t, &tm);
    char zone[8];
    strftime(zone, sizeof(zone), "%z", &tm);
    snprintf(out, len, "%s, %02d %s %04d %02d:%02d:%02d %s", days[tm.tm_wday % 7], tm.tm_mday,
             months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, zone);
}

/* Body lines past 998 bytes break SMTP: cut them on a UTF-8 boundary. */
static void append_body(struct sg_buf *out, const char *body)
{
    const char *s = body;
    while (*s) {
        size_t n = strcspn(s, "\n");
        while (n > 900) {
            size_t cut = 900;
            while (cut && ((unsigned char)s[cut] & 0xC0) == 0x80)
                cut--;
            sg_buf_append(out, s, cut);
            sg_buf_puts(out, "\n");
            s += cut;
            n -= cut;
        }
        sg_buf_append(out, s, n);
        sg_buf_puts(out, "\n");
        s += n;
        if (*s == '\n')
            s++;
    }
}

char *sg_notice_compose(const struct sg_policy *p, const char *id, char *const *to, const char *subject_line,
                        const char *body, const unsigned char *key, size_t keylen)
{
    char rnd[13];
    char eid[24];
    sg_engine_event_id(eid, sizeof(eid));
    g_strlcpy(rnd, eid + 3, sizeof(rnd));
    const char *at = strrchr(p->notices.sender, '@');
    struct sg_buf msgid = {0};
    sg_buf_printf(&msgid, "sg-notice.%s.%s@%s", id, rnd, at ? at + 1 : "localhost");
    char date[64];
    rfc5322_date(time(NULL), date, sizeof(date));
    struct sg_buf b = {0};
    sg_buf_printf(&b, "From: Safeguarding filter <%s>\n", p->notices.sender);
    sg_buf_puts(&b, "To: ");
    size_t col = 4;
    for (size_t i = 0; to && to[i]; i++) {
        size_t len = strlen(to[i]);
        if (i && col + len > 76) {
            sg_buf_puts(&b, ",\n ");
            col = 1;
        } else if (i) {
            sg_buf_puts(&b, ", ");
            col += 2;
        }
        sg_buf_puts(&b, to[i]);
        col += len;
    }
    sg_buf_puts(&b, "\n");
    sg_buf_puts(&b, subject_line);
    sg_buf_printf(&b, "Date: %s\n", date);
    sg_buf_printf(&b, "Message-ID: <%s>\n", msgid.data);
    sg_buf_puts(&b, "Auto-Submitted: auto-generated\n");
    sg_buf_puts(&b, "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n");
    if (key) {
        char mac[65];
        sg_notice_mac(key, keylen, id, msgid.data, to, mac);
        sg_buf_printf(&b, "%s: %s %s\n", SG_NOTICE_HEADER, id, mac);
    }
    sg_buf_puts(&b, "\n");
    append_body(&b, body);
    sg_buf_free(&msgid);
    return sg_buf_steal(&b);
}

bool sg_notice_key_load(const char *path, bool create, unsigned char key[SG_NOTICE_KEY_LEN], char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT && create) {
        unsigned char fresh[SG_NOTICE_KEY_LEN];
        int r = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        bool got = r >= 0 && sg_fd_read_all(r, fresh, sizeof(fresh));
        if (r >= 0)
            close(r);
        if (!got) {
            snprintf(err, errlen, "cannot read /dev/urandom for a new notice key");
            return false;
        }
        int w = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (w < 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create notice key %s: %s", path, strerror(errno));
            return false;
        }
        if (w >= 0) {
            bool ok = sg_fd_write_all(w, fresh, sizeof(fresh)) && fsync(w) == 0;
            if (close(w) != 0 || !ok) {
                unlink(path);
                snprintf(err, errlen, "cannot write notice key %s", path);
                return false;
            }
        }
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    }
    if (fd < 0) {
        snprintf(err, errlen, "cannot open notice key %s: %s", path, strerror(errno));
        return false;
    }
    struct stat st;
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    if (ok && (st.st_mode & 077)) {
        snprintf(err, errlen, "notice key %s is readable by others (mode %03o): chmod 600 it", path,
                 (unsigned)(st.st_mode & 0777));
        close(fd);
        return false;
    }
    ok = ok && st.st_size >= SG_NOTICE_KEY_LEN && sg_fd_read_all(fd, key, SG_NOTICE_KEY_LEN);
    close(fd);
    if (!ok)
        snprintf(err, errlen, "notice key %s is not a file of at least %d bytes", path, SG_NOTICE_KEY_LEN);
    return ok;
}
