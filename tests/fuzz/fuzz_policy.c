/*
 * fuzz_policy.c - libFuzzer harness: policy YAML through sg_policy_load.
 *
 * The input is written to a file (the loader reads files, and resolves
 * directory CSVs and phrase lists relative to it) in a scratch folder
 * that holds a small directory and a phrase list, so policies from the
 * tests load as they are. Errors are the expected answer to most inputs;
 * crashes, leaks, hangs and malformed error text are what this looks for.
 * A policy that does load is then used: one fixed message is judged under
 * it, so fuzzed regexes, phrases, hours and scopes meet the engine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_common.h"

static struct sg_message *fixed_msg;
/* SG_FUZZ_VERBOSE=1: print each load's errors, to see why a seed fails. */
static bool verbose;

/* Something for every detector to find, in plain text and HTML. */
static const char fixed_eml[] =
    "From: Jo Smith <jo.smith@northfield.sch.uk>\r\n"
    "To: Amelia Clarke <amelia.clarke@pupils.northfield.sch.uk>, millie.clarke2011@gmail.com\r\n"
    "Cc: jo.smith84@gmail.com, parent@example.com\r\n"
    "Subject: =?utf-8?q?Fw:_section_47_/_press_enquiry_=E2=80=93_caf=C3=A9?=\r\n"
    "Message-ID: <fuzz-policy@northfield.sch.uk>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
    "\r\n"
    "--b1\r\n"
    "Content-Type: multipart/alternative; boundary=\"b2\"\r\n"
    "\r\n"
    "--b2\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Call me on 07700 900123 or +44 (0)7911 123456, message me on WhatsApp,\r\n"
    "add me on Snapchat, instagram.com/jo.smith.pe, email jo.smith84@gmail.com.\r\n"
    "The child protection plan and the exclusion hearing are at 21:30. Fuck.\r\n"
    "Forward this to everyone you know. UPN A801200002001. Caf=C3=A9 meeting.\r\n"
    "--b2\r\n"
    "Content-Type: text/html; charset=windows-1252\r\n"
    "\r\n"
    "<p>My <b>07700</b> 900 456 &amp; <a href=\"https://wa.me/447700900456\">chat</a></p>\r\n"
    "<script>ignored()</script><p>t.me/josmith \x93quoted\x94 journalist statement</p>\r\n"
    "--b2--\r\n"
    "--b1\r\n"
    "Content-Type: application/pdf; name=\"safeguarding referral.pdf\"\r\n"
    "Content-Disposition: attachment; filename*=utf-8''CP%20file%20notes.pdf\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoK\r\n"
    "--b1--\r\n";

static const char *const probe_addrs[] = {
    "amelia.clarke@pupils.northfield.sch.uk", "Millie.Clarke2011+x@GMAIL.com",
    "jo.smith@northfield.sch.uk", "someone@northfield-trust.org.uk",
    "poppy.walsh@pupils.northfield.sch.uk", "not an address", "@", "a@b@c", NULL,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sg_message_init_library();
    fuzz_workdir();
    verbose = getenv("SG_FUZZ_VERBOSE") != NULL;
    struct sg_message_limits lim;
    sg_message_default_limits(&lim);
    char err[256];
    fixed_msg = sg_message_parse_mem(fixed_eml, sizeof(fixed_eml) - 1, &lim, err, sizeof(err));
    if (!fixed_msg) {
        fprintf(stderr, "fuzz_policy: fixed message does not parse: %s\n", err);
        abort();
    }
    return 0;
}

/* A report is whole lines, the first naming a file of this load
 * ("file:line[:col]: message"): an admin's only guide to the mistake.
 * Later lines are not checked, since a message may quote a key or value
 * that itself holds a newline. */
static void check_report(const char *text)
{
    const char *work = fuzz_workdir();
    size_t n = strlen(text), wlen = strlen(work);
    if (!n || text[n - 1] != '\n' || strncmp(text, work, wlen) || !strchr(text, ':')) {
        fprintf(stderr, "fuzz_policy: report is not file:line: lines:\n%s\n", text);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_names_outside(data, size))
        return -1;                   /* keep it out of the corpus too */
    const char *path = fuzz_write("policy/fuzz.yaml", data, size);
    char saved[4200];
    snprintf(saved, sizeof(saved), "%s", path);
    char *errors = NULL;
    struct sg_policy *p = sg_policy_load(saved, &errors);
    if (verbose)
        fprintf(stderr, "fuzz_policy: %s\n%s%s", p ? "loaded" : "not loaded", errors ? errors : "",
                p && p->warnings ? p->warnings : "");
    if (!p) {
        if (!errors || !*errors) {
            fprintf(stderr, "fuzz_policy: load failed without saying why\n");
            abort();
        }
        check_report(errors);
        free(errors);
        return 0;
    }
    if (errors) {
        fprintf(stderr, "fuzz_policy: load succeeded but left errors: %s\n", errors);
        abort();
    }
    if (p->warnings)
        check_report(p->warnings);

    for (size_t i = 0; probe_addrs[i]; i++) {
        const struct sg_person *who = NULL;
        sg_policy_classify_person(p, probe_addrs[i], &who);
        sg_policy_hours_for(p, who);
    }
    char **files = sg_policy_files(p);
    sg_strv_free(files);

    struct sg_envelope env = {0};
    env.mail_from = sg_xstrdup("jo.smith@northfield.sch.uk");
    env.rcpts = sg_xcalloc(1, sizeof(char *));
    for (size_t i = 0; fixed_msg->header_rcpts[i]; i++)
        env.rcpts = sg_strv_push(env.rcpts, fixed_msg->header_rcpts[i]);
    env.rcpts = sg_strv_push(env.rcpts, "lily.green@pupils.northfield.sch.uk");
    env.auth_login = sg_xstrdup("jo.smith@northfield.sch.uk");
    env.client_addr = sg_xstrdup("10.0.0.1");
    env.when = (time_t)1795989600;   /* Monday 30 Nov 2026 22:00 UTC: out of hours */
    fuzz_judge(p, &env, fixed_msg);
    sg_envelope_clear(&env);
    sg_policy_unref(p);
    return 0;
}
