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

struct pemail {
    struct sg_rx *rx;
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

static int pe_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    const struct pemail *pe = state;
    struct pe_ctx ctx = {pe, scan, &out->evidence};
    return pe->rx ? sg_rx_each(pe->rx, scan->text, scan->text_len, on_address, &ctx) : 0;
}

static void pe_free(void *state)
{
    struct pemail *pe = state;
    sg_rx_free(pe->rx);
    sg_strv_free(pe->allow_domains);
    sg_strv_free(pe->allow);
    free(pe);
}

const struct sg_detector sg_detect_personal_email = {
    .key = "personal_email",
    .doc = "An email address in the text outside the school, pupil and trust domains.",
    .needs_text = true,
    .parse = pe_parse,
    .scan = pe_scan,
    .free = pe_free,
};
