/*
 * detect_personal_email.c - "match: personal_email: true" or
 * {allow_domains: [...], allow: [addresses]}: an email address in the
 * text outside the school, pupil and trust domains: a personal contact
 * detail (seed 003: "giving personal contact details to children ...
 * personal email address").
 */
#include <stdlib.h>
#include <string.h>
#include "sg_detector.h"
#include "sg_text.h"

static const char email_pattern[] =
    "(?<![a-z0-9._%+\\-])[a-z0-9][a-z0-9._%+\\-]{0,63}@[a-z0-9\\-]+(?:\\.[a-z0-9\\-]+)*\\.[a-z]{2,24}(?![a-z0-9\\-])";

/* "jo dot smith at gmail dot com", "jo.smith [at] gmail [dot] com": the
 * spelt-out forms people use to slip an address past a filter. */
#define SG_DOT "(?:\\s+dot\\s+|\\s*[\\[(]dot[\\])]\\s*|\\.)"
#define SG_AT "(?:\\s+at\\s+|\\s*[\\[(]at[\\])]\\s*)"
static const char spelt_pattern[] =
    "\\b[a-z0-9_\\-]+(?:" SG_DOT "[a-z0-9_\\-]+)*" SG_AT "[a-z0-9\\-]+(?:" SG_DOT "[a-z0-9\\-]+)*" SG_DOT
    "(?:com|net|org|uk|me|io|co)\\b";

struct pemail {
    struct sg_rx *rx, *spelt;
    unsigned rx_anchor, spelt_anchor;
    char **allow_domains;
    char **allow;
};

static void *pe_parse(struct sg_cfg *cfg, yaml_node_t *node)
{
    if (!sg_detector_enabled(cfg, node, "personal_email"))
        return NULL;
    struct pemail *pe = sg_xcalloc(1, sizeof(*pe));
    const char *names[] = {"allow_domains", "allow", NULL};
    char ***outs[] = {&pe->allow_domains, &pe->allow};
    sg_detector_options(cfg, node, "personal_email", names, outs);
    char err[256];
    pe->rx = sg_rx_new(email_pattern, err, sizeof(err), NULL);
    if (!pe->rx)
        sg_cfg_error(cfg, node, "internal address pattern: %s", err);
    pe->spelt = sg_rx_new(spelt_pattern, err, sizeof(err), NULL);
    if (!pe->spelt)
        sg_cfg_error(cfg, node, "internal spelt-out address pattern: %s", err);
    return pe;
}

struct pe_ctx {
    const struct pemail *pe;
    const struct sg_scan *scan;
    struct sg_buf *ev;
};

static int on_address(const char *s, size_t len, void *ctx_)
{
    struct pe_ctx *ctx = ctx_;
    char *raw = sg_xstrndup(s, len);
    char *addr = sg_addr_normalise(raw);
    free(raw);
    if (!addr)
        return 0;
    const char *dom = strrchr(addr, '@') + 1;
    int found = !sg_detector_school_domain(ctx->scan->policy, dom) &&
                !sg_domain_in_list(ctx->pe->allow_domains, dom);
    for (size_t i = 0; found && ctx->pe->allow && ctx->pe->allow[i]; i++) {
        char *a = sg_addr_normalise(ctx->pe->allow[i]);
        if (a && !strcmp(a, addr))
            found = 0;
        free(a);
    }
    if (found) {
        bool personal;
        const struct sg_person *who = sg_directory_lookup(ctx->scan->policy->directory, addr, &personal);
        sg_buf_printf(ctx->ev, "personal email address at %s%s", dom,
                      who && personal && who == ctx->scan->sender ? " (the sender's own)" : "");
    }
    free(addr);
    return found;
}

static bool freemail(const char *domain)
{
    static const char *const providers[] = {
        "gmail.", "googlemail.", "hotmail.", "outlook.", "live.", "yahoo.", "icloud.", "me.com",
        "aol.", "btinternet.", "protonmail.", "proton.me", "gmx.", "yandex.", "mail.com", "sky.com", NULL,
    };
    for (size_t i = 0; providers[i]; i++)
        if (!strncmp(domain, providers[i], strlen(providers[i])))
            return true;
    return false;
}

/* Rewrites the spelt-out form as an address, then judges it as one. */
/* Reply history is the other side's words: a pupil's own address quoted
 * back, or the "On ... wrote:" line naming it, is not one given to them. */
static bool in_reply_history(const void *ctx, const char *s)
{
    const struct sg_scan *scan = ((const struct pe_ctx *)ctx)->scan;
    return sg_scan_quoted(scan, (size_t)(s - scan->text));
}

static int on_address_in_text(const char *s, size_t len, void *ctx)
{
    return in_reply_history(ctx, s) ? 0 : on_address(s, len, ctx);
}

static int on_spelt(const char *s, size_t len, void *ctx)
{
    if (in_reply_history(ctx, s))
        return 0;
    struct sg_buf b = {0};
    sg_buf_append(&b, "", 0);
    size_t i = 0;
    while (i < len) {
        static const char *const forms[][2] = {
            {" dot ", "."}, {"[dot]", "."}, {"(dot)", "."}, {" at ", "@"}, {"[at]", "@"}, {"(at)", "@"},
        };
        size_t f;
        for (f = 0; f < 6; f++) {
            size_t n = strlen(forms[f][0]);
            if (i + n <= len && !strncmp(s + i, forms[f][0], n)) {
                sg_buf_puts(&b, forms[f][1]);
                i += n;
                break;
            }
        }
        if (f < 6)
            continue;
        if (s[i] != ' ')
            sg_buf_append(&b, s + i, 1);
        i++;
    }
    /* "the account at x.com/..." is English, not an address: a plain " at "
     * with real dots counts only for a well-known personal mail provider. */
    bool spelt = memmem(s, len, " dot ", 5) || memchr(s, '[', len) || memchr(s, '(', len);
    const char *at = strchr(b.data, '@');
    int rc = at && (spelt || freemail(at + 1)) ? on_address(b.data, b.len, ctx) : 0;
    sg_buf_free(&b);
    return rc;
}

static int pe_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    const struct pemail *pe = state;
    struct pe_ctx ctx = {pe, scan, &out->evidence};
    int rc = sg_scan_rx(scan, pe->rx, pe->rx_anchor, on_address_in_text, &ctx);
    if (!rc)
        rc = sg_scan_rx(scan, pe->spelt, pe->spelt_anchor, on_spelt, &ctx);
    return rc;
}

static bool pe_compile(void *state, struct sg_matcher *m, struct sg_cfg *cfg)
{
    (void)cfg;
    struct pemail *pe = state;
    /* Every address has an "@" and a host after it; the whole pattern as
     * an anchor would report an end for each way its host could stop. */
    pe->rx_anchor = sg_anchor_register(m, "@[a-z0-9\\-]");
    pe->spelt_anchor = sg_anchor_register(m, spelt_pattern);
    return true;
}

static void pe_free(void *state)
{
    struct pemail *pe = state;
    sg_rx_free(pe->rx);
    sg_rx_free(pe->spelt);
    sg_strv_free(pe->allow_domains);
    sg_strv_free(pe->allow);
    free(pe);
}

/* Its options, for the walker and the reference: the names[] above. */
static const struct sg_cfg_key personal_email_opts[] = {
    {.key = "allow_domains", .type = SG_CFG_STRLIST, .shape = "list of domains",
     .doc = "Domains whose addresses are not personal (`\"*.gov.uk\"`, `nhs.net`, `\"*.ac.uk\"`)."},
    {.key = "allow", .type = SG_CFG_STRLIST, .shape = "list of addresses", .doc = "Addresses never counted."},
    {.key = NULL},
};

const struct sg_detector sg_detect_personal_email = {
    .key = "personal_email",
    .options = personal_email_opts,
    .doc = "An email address in the text outside the school, pupil and trust domains.",
    .needs_text = true,
    .parse = pe_parse,
    .compile = pe_compile,
    .scan = pe_scan,
    .free = pe_free,
};
