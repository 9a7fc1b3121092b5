/*
 * fuzz_directory.c - libFuzzer harness: a pupils CSV (the MIS export a
 * school drops in place) through directory loading.
 *
 * The input is written to the pupils file of a fixed policy, which is
 * then loaded: libcsv and policy/directory.c see it line by line with the
 * header mapping, the byte order mark, quoting and bad-row handling. When
 * the load succeeds the directory is used the way the engine uses it:
 * every address-like token of the input is looked up (case, tags and
 * personal addresses), its contact window found, and a fixed message
 * judged with those tokens as recipients.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_common.h"

/* No phrases or regexes: the load is the point, and a Hyperscan compile
 * per input would slow it for nothing. Hours per school and relatives
 * are in, because they read the pupil's School column. */
static const char dir_policy[] =
    "school:\n"
    "  name: Directory Fuzz\n"
    "  staff_domains: [northfield.sch.uk]\n"
    "  pupil_domains: [pupils.northfield.sch.uk]\n"
    "  contact_hours: {days: [mon, tue, wed, thu, fri], start: \"07:30\", end: \"18:00\"}\n"
    "schools:\n"
    "  - {id: NFA, name: Northfield}\n"
    "  - {id: SVP, name: Southview, contact_hours: {days: [sat], start: \"08:00\", end: \"23:00\"}}\n"
    "directory:\n"
    "  pupils: fuzz-pupils.csv\n"
    "  staff: ../directory/staff.csv\n"
    "  relatives: ../directory/relatives.csv\n"
    "rules:\n"
    "  - {id: personal-address, category: pupil-contact, to: [pupil-personal], action: quarantine, cite: c}\n"
    "  - {id: copies, category: pupil-contact, to: [pupils], match: {copies_personal: true}, action: quarantine, cite: c}\n"
    "  - {id: sender, category: pupil-contact, to: [pupils], match: {personal_sender: true}, action: reject, cite: c}\n"
    "  - {id: hours, category: out-of-hours, to: [pupils], match: {outside_hours: true}, action: annotate, cite: c}\n"
    "  - {id: email, category: contact-details, to: [pupils], match: {personal_email: true}, action: quarantine, cite: c}\n";

static const char fixed_eml[] =
    "From: Rachel Green <rachel.green@northfield.sch.uk>\n"
    "Subject: Homework\n"
    "\n"
    "Write to me at rachelg.home@hotmail.co.uk or to Poppy at poppyw2015@gmail.com.\n";

static struct sg_message *fixed_msg;
static char policy_path[4200];

#define MAX_TOKENS 16

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sg_message_init_library();
    fuzz_workdir();
    /* The policy must load with a well-formed pupils file before any
     * input is tried, or every input would only test the error path. */
    static const char good[] = "Forename,Surname,Email,School\nA,B,a.b@pupils.northfield.sch.uk,SVP\n";
    fuzz_write("policy/fuzz-pupils.csv", good, sizeof(good) - 1);
    sg_policy_unref(fuzz_load_fixed("directory.yaml", dir_policy));
    snprintf(policy_path, sizeof(policy_path), "%s/policy/directory.yaml", fuzz_workdir());
    struct sg_message_limits lim;
    sg_message_default_limits(&lim);
    char err[256];
    fixed_msg = sg_message_parse_mem(fixed_eml, sizeof(fixed_eml) - 1, &lim, err, sizeof(err));
    if (!fixed_msg)
        abort();
    return 0;
}

/* Address-like tokens of the input, split where a CSV field or a
 * Personal Emails list would split them. */
static char **tokens(const uint8_t *data, size_t size)
{
    char **out = sg_xcalloc(1, sizeof(char *));
    char *copy = sg_xstrndup((const char *)data, size), *save = NULL;
    size_t n = 0;
    for (char *t = strtok_r(copy, ",;\"\r\n\t ", &save); t && n < MAX_TOKENS; t = strtok_r(NULL, ",;\"\r\n\t ", &save)) {
        /* Valid UTF-8 only: safeguard-check --json copies envelope
         * addresses byte for byte (GMime already repairs header ones),
         * and that is a finding of its own, reported, not re-found here. */
        if (strchr(t, '@') && g_utf8_validate(t, -1, NULL)) {
            out = sg_strv_push(out, t);
            n++;
        }
    }
    free(copy);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_write("policy/fuzz-pupils.csv", data, size);
    char *errors = NULL;
    struct sg_policy *p = sg_policy_load(policy_path, &errors);
    if (!p) {
        if (!errors || !*errors) {
            fprintf(stderr, "fuzz_directory: load failed without saying why\n");
            abort();
        }
        free(errors);
        return 0;
    }
    char **addrs = tokens(data, size);
    const struct sg_person *rachel = NULL;
    sg_policy_classify_person(p, "rachel.green@northfield.sch.uk", &rachel);
    for (size_t i = 0; addrs[i]; i++) {
        const struct sg_person *who = NULL;
        sg_policy_classify_person(p, addrs[i], &who);
        if (who) {
            sg_policy_hours_for(p, who);
            sg_directory_related(p->directory, rachel, who);
            /* A found person must be internally whole: the engine and the
             * log print these without checking. */
            if (!who->email || !who->name || !who->school || !who->upn || !who->year || !who->personal) {
                fprintf(stderr, "fuzz_directory: person for %s has a NULL field\n", addrs[i]);
                abort();
            }
        }
    }
    struct sg_envelope env = {0};
    env.mail_from = sg_xstrdup("rachel.green@northfield.sch.uk");
    env.rcpts = addrs;
    env.client_addr = sg_xstrdup("127.0.0.1");
    env.when = (time_t)1795989600;   /* Monday 30 Nov 2026 22:00 UTC */
    fuzz_judge(p, &env, fixed_msg);
    sg_envelope_clear(&env);
    sg_policy_unref(p);
    return 0;
}
