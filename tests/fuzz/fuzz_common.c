/*
 * fuzz_common.c - scratch folder, fixed directory and policy, and the
 * verdict rendering shared by the harnesses (see fuzz_common.h).
 *
 * The fixed files live here as C strings rather than beside the sources
 * so that a built harness runs anywhere (another machine, a long run in
 * a screen session) without knowing where the source tree is.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE          /* memmem, nftw */
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fuzz_common.h"

/* A small directory with the awkward cases real MIS exports have: a byte
 * order mark, quoted commas and newlines, several personal addresses, a
 * second school, a bad row, a staff member who is a pupil's parent. */
static const char pupils_csv[] =
    "\xEF\xBB\xBFUPN,Forename,Surname,Year,School,Email,Personal Emails\r\n"
    "A801200002001,Amelia,Clarke,9,NFA,amelia.clarke@pupils.northfield.sch.uk,millie.clarke2011@gmail.com\r\n"
    "A801200002002,Oliver,Wright,11,NFA,oliver.wright@pupils.northfield.sch.uk,\"ollie.w09@hotmail.co.uk;oliverwright.gaming@outlook.com\"\r\n"
    "A801200002004,Lily,Green,8,NFA,lily.green@pupils.northfield.sch.uk,\r\n"
    "A801200002006,Ethan,\"Fraser, Jnr\",10,NFA,ethan.fraser@pupils.northfield.sch.uk,ethanfraser.07@gmail.com\r\n"
    "B801200003001,Alfie,Green,3,SVP,alfie.green@pupils.northfield.sch.uk,\r\n"
    "B801200003002,Poppy,\"Walsh\nSmith\",5,SVP,poppy.walsh@pupils.northfield.sch.uk,poppyw2015@gmail.com\r\n"
    "A801200002099,Bad,Row,7,NFA,not-an-address,\r\n";

static const char staff_csv[] =
    "Name,Email,Personal Emails,School\n"
    "Jo Smith,jo.smith@northfield.sch.uk,jo.smith84@gmail.com,NFA\n"
    "Tom Hughes,tom.hughes@northfield.sch.uk,\"tomhughes79@gmail.com;t.hughes@btinternet.com\",NFA\n"
    "Rachel Green,rachel.green@northfield.sch.uk,rachelg.home@hotmail.co.uk,SVP\n"
    "School Office,office@northfield.sch.uk,,NFA\n";

static const char relatives_csv[] =
    "Staff Email,Pupil Email,Relation\n"
    "rachel.green@northfield.sch.uk,lily.green@pupils.northfield.sch.uk,parent\n"
    "rachel.green@northfield.sch.uk,alfie.green@pupils.northfield.sch.uk,parent\n";

static const char phrases_txt[] =
    "# phrase list file, as schools keep their offensive-word lists\n"
    "safeguarding referral\n"
    "  child protection plan  \n"
    "\n"
    "fixed-term exclusion\r\n"
    "caf\xC3\xA9 meeting\n";

/* Every rule kind the engine has, each scoped the way the example policy
 * scopes it, plus two that combine conditions. Limits are lowered so a
 * fuzz input reaches every limit path without being megabytes long. */
const char fuzz_policy_all_rules[] =
    "school:\n"
    "  name: Fuzz Academy\n"
    "  staff_domains: [northfield.sch.uk]\n"
    "  pupil_domains: [pupils.northfield.sch.uk, \"*.pupils.example.org\"]\n"
    "  trust_domains: [northfield-trust.org.uk]\n"
    "  timezone: Europe/London\n"
    "  contact_hours:\n"
    "    days: [mon, tue, wed, thu, fri]\n"
    "    start: \"07:30\"\n"
    "    end: \"18:00\"\n"
    "    holidays:\n"
    "      - {from: 2026-12-19, to: 2027-01-03}\n"
    "  landlines: [\"01632 960000\", \"07700 900999\"]\n"
    "  official_social: [twitter.com/northfieldacad, instagram.com/northfieldacademy]\n"
    "schools:\n"
    "  - id: NFA\n"
    "    name: Northfield Academy\n"
    "  - id: SVP\n"
    "    name: Southview Primary\n"
    "    contact_hours: {days: [mon, tue, wed, thu, fri], start: \"08:00\", end: \"17:00\"}\n"
    "directory:\n"
    "  pupils: ../directory/pupils.csv\n"
    "  staff: ../directory/staff.csv\n"
    "  relatives: ../directory/relatives.csv\n"
    "limits:\n"
    "  max_mime_depth: 8\n"
    "  max_mime_parts: 64\n"
    "  max_text: 64k\n"
    "  attachment_keep: 16k\n"
    "  on_limit: quarantine\n"
    "rules:\n"
    "  - {id: pupil-personal-address, category: pupil-contact, to: [pupil-personal], action: quarantine, cite: c}\n"
    "  - {id: personal-sender, category: pupil-contact, to: [pupils], match: {personal_sender: true}, action: reject, cite: c}\n"
    "  - {id: copies-personal, category: pupil-contact, to: [pupils], match: {copies_personal: true}, action: quarantine, cite: c}\n"
    "  - {id: mobile, category: contact-details, to: [pupils], match: {mobile: {allow: [\"07700 900123\"]}}, action: quarantine, cite: c}\n"
    "  - {id: personal-email, category: contact-details, to: [pupils], action: quarantine, cite: c,\n"
    "     match: {personal_email: {allow_domains: [\"*.gov.uk\", nhs.net], allow: [help@childline.org.uk]}}}\n"
    "  - {id: messaging, category: contact-details, to: [pupils], match: {messaging: true}, action: quarantine, cite: c}\n"
    "  - {id: social, category: social-media, to: [pupils], match: {social: {allow: [instagram.com/northfieldpe]}}, action: quarantine, cite: c}\n"
    "  - {id: out-of-hours, category: out-of-hours, to: [pupils], match: {outside_hours: true}, action: annotate, cite: c}\n"
    "  - id: confidential\n"
    "    category: confidential\n"
    "    to: [outside]\n"
    "    match:\n"
    "      phrases:\n"
    "        list: [section 47, CP file, early help assessment, \"\xC3\xA9l\xC3\xA8ve \xC3\xA0 risque\"]\n"
    "        files: [../lists/phrases.txt]\n"
    "    action: quarantine\n"
    "    cite: c\n"
    "  - {id: offensive, category: offensive, match: {phrases: [fuck, wanker, \"f-word\"]}, action: reject, cite: c}\n"
    "  - id: press\n"
    "    category: media\n"
    "    to: [external]\n"
    "    match:\n"
    "      regex: ['\\b(press|media|journalist)\\s+(enquiry|inquiry|statement)\\b', '(?i)upn\\s*[a-z]\\d{12}', '^subject: .{0,20}fw']\n"
    "    action: annotate\n"
    "    cite: c\n"
    "  - id: exclusion-by-mobile\n"
    "    category: confidential\n"
    "    to: [any]\n"
    "    match: {phrases: [exclusion hearing], mobile: true, regex: ['hearing\\W+\\w+']}\n"
    "    action: quarantine\n"
    "    cite: c\n"
    "    family_exempt: true\n";

static char workdir[4096];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_workdir(void)
{
    if (workdir[0])
        nftw(workdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void die(const char *what, const char *path)
{
    fprintf(stderr, "fuzz harness: %s %s: %s\n", what, path, strerror(errno));
    abort();
}

const char *fuzz_workdir(void)
{
    if (workdir[0])
        return workdir;
    const char *tmp = getenv("TMPDIR");
    snprintf(workdir, sizeof(workdir), "%s/sg-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(workdir))
        die("cannot create", workdir);
    atexit(remove_workdir);
    static const char *const dirs[] = {"directory", "lists", "policy"};
    char path[4200];
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", workdir, dirs[i]);
        if (mkdir(path, 0700) < 0)
            die("cannot create", path);
    }
    /* Policies from the tests name their CSVs both ways. */
    snprintf(path, sizeof(path), "%s/policy/directory", workdir);
    if (symlink("../directory", path) < 0)
        die("cannot link", path);
    snprintf(path, sizeof(path), "%s/policy/lists", workdir);
    if (symlink("../lists", path) < 0)
        die("cannot link", path);
    fuzz_write("directory/pupils.csv", pupils_csv, sizeof(pupils_csv) - 1);
    fuzz_write("directory/staff.csv", staff_csv, sizeof(staff_csv) - 1);
    fuzz_write("directory/relatives.csv", relatives_csv, sizeof(relatives_csv) - 1);
    fuzz_write("lists/phrases.txt", phrases_txt, sizeof(phrases_txt) - 1);
    return workdir;
}

const char *fuzz_write(const char *rel, const void *data, size_t len)
{
    static char path[4200];
    snprintf(path, sizeof(path), "%s/%s", fuzz_workdir(), rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        die("cannot write", path);
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die("cannot write", path);
        p += n;
        len -= (size_t)n;
    }
    close(fd);
    return path;
}

struct sg_policy *fuzz_load_fixed(const char *name, const char *yaml)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "policy/%s", name);
    const char *path = fuzz_write(rel, yaml, strlen(yaml));
    char *errors = NULL;
    struct sg_policy *p = sg_policy_load(path, &errors);
    if (!p) {
        fprintf(stderr, "fuzz harness: fixed policy %s does not load:\n%s", name, errors ? errors : "");
        abort();
    }
    free(errors);
    return p;
}

/* A '/' that starts a token: the start of an absolute path in YAML text.
 * "10.0.0.0/8", "twitter.com/x" and "https://" are left alone. */
static bool starts_absolute(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        if (data[i] != '/')
            continue;
        if (i == 0 || strchr(" \t\r\n\"'[{,-?!&*|>", data[i - 1]))
            return true;
    }
    return false;
}

bool fuzz_names_outside(const uint8_t *data, size_t size)
{
    static const char *const bad[] = {"/dev", "/proc", "/sys", "../.."};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (memmem(data, size, bad[i], strlen(bad[i])))
            return true;
    return starts_absolute(data, size);
}

/* A strict JSON reader, just enough to say whether safeguard-check's
 * output is one well-formed object: a broken escape in evidence would
 * break every consumer (jq in the corpus test, the quarantine store). */
struct json { const char *s, *end; int depth; };

static bool json_value(struct json *j);

static void json_ws(struct json *j)
{
    while (j->s < j->end && *j->s && strchr(" \t\r\n", *j->s))
        j->s++;
}

static bool json_string(struct json *j)
{
    if (j->s >= j->end || *j->s != '"')
        return false;
    for (j->s++; j->s < j->end; j->s++) {
        unsigned char c = (unsigned char)*j->s;
        if (c == '"') {
            j->s++;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c == '\\') {
            if (++j->s >= j->end)
                return false;
            if (*j->s == 'u') {
                for (int k = 0; k < 4; k++)
                    if (++j->s >= j->end || !g_ascii_isxdigit(*j->s))
                        return false;
            } else if (!*j->s || !strchr("\"\\/bfnrt", *j->s)) {
                return false;
            }
        }
    }
    return false;
}

static bool json_list(struct json *j, char close, bool pairs)
{
    j->s++;
    json_ws(j);
    if (j->s < j->end && *j->s == close) {
        j->s++;
        return true;
    }
    for (;;) {
        json_ws(j);
        if (pairs) {
            if (!json_string(j))
                return false;
            json_ws(j);
            if (j->s >= j->end || *j->s++ != ':')
                return false;
        }
        if (!json_value(j))
            return false;
        json_ws(j);
        if (j->s >= j->end)
            return false;
        char c = *j->s++;
        if (c == close)
            return true;
        if (c != ',')
            return false;
    }
}

static bool json_value(struct json *j)
{
    json_ws(j);
    if (j->s >= j->end || ++j->depth > 64)
        return false;
    bool ok;
    char c = *j->s;
    if (c == '{')
        ok = json_list(j, '}', true);
    else if (c == '[')
        ok = json_list(j, ']', false);
    else if (c == '"')
        ok = json_string(j);
    else if (c == '-' || g_ascii_isdigit(c)) {
        j->s++;
        while (j->s < j->end && *j->s && (g_ascii_isdigit(*j->s) || strchr(".eE+-", *j->s)))
            j->s++;
        ok = true;
    } else {
        static const char *const words[] = {"true", "false", "null"};
        ok = false;
        for (size_t i = 0; i < 3 && !ok; i++) {
            size_t n = strlen(words[i]);
            if ((size_t)(j->end - j->s) >= n && !memcmp(j->s, words[i], n)) {
                j->s += n;
                ok = true;
            }
        }
    }
    j->depth--;
    return ok;
}

static void check_json(const struct sg_buf *b)
{
    struct json j = {b->data, b->data + b->len, 0};
    bool ok = json_value(&j);
    json_ws(&j);
    if (!ok || j.s != j.end || !g_utf8_validate(b->data, (gssize)b->len, NULL)) {
        fprintf(stderr, "fuzz harness: verdict JSON is not well-formed UTF-8 JSON:\n%s\n", b->data);
        abort();
    }
}

void fuzz_judge(const struct sg_policy *p, const struct sg_envelope *env, const struct sg_message *msg)
{
    struct sg_verdict v;
    sg_verdict_init(&v, sg_strv_len(env->rcpts));
    sg_engine_evaluate(p, env, msg, &v);
    struct sg_buf b = {0};
    sg_verdict_json(&v, "fuzz.eml", env->rcpts, &b);
    check_json(&b);
    b.len = 0;
    sg_verdict_categories(&v, &b);
    sg_buf_puts(&b, " ");
    sg_verdict_rules(&v, &b);
    sg_buf_free(&b);
    char *lines[16];
    size_t n = sg_verdict_explain(&v, p, lines, 16, 200);
    for (size_t i = 0; i < n; i++) {
        if (strlen(lines[i]) > 200) {
            fprintf(stderr, "fuzz harness: bounce line longer than asked: %s\n", lines[i]);
            abort();
        }
        free(lines[i]);
    }
    sg_verdict_clear(&v);
}
