/*
 * detect_regex.c - "match: regex:": free-form pcre2 patterns, JIT-compiled
 * once per snapshot, run over the normalised (case-folded) text.
 *
 *   regex: ['\b(press|media)\s+enquiry\b']
 *
 * A bad pattern is reported at its own line:col plus pcre2's offset.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include "sg_detector.h"

struct regexes {
    pcre2_code **codes;
    char **sources;
    size_t n;
};

static void *regex_parse(struct sg_cfg *cfg, yaml_node_t *node)
{
    struct regexes *rx = sg_xcalloc(1, sizeof(*rx));
    yaml_node_t **nodes;
    rx->sources = sg_cfg_strlist(cfg, node, "regex", &nodes);
    rx->n = sg_strv_len(rx->sources);
    rx->codes = sg_xcalloc(rx->n + 1, sizeof(*rx->codes));
    for (size_t i = 0; i < rx->n; i++) {
        int ec;
        PCRE2_SIZE off;
        rx->codes[i] = pcre2_compile((PCRE2_SPTR)rx->sources[i], PCRE2_ZERO_TERMINATED,
                                     PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS | PCRE2_MATCH_INVALID_UTF,
                                     &ec, &off, NULL);
        if (!rx->codes[i]) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(ec, msg, sizeof(msg));
            sg_cfg_error(cfg, nodes[i], "bad regex at offset %zu: %s", (size_t)off, (char *)msg);
            continue;
        }
        pcre2_jit_compile(rx->codes[i], PCRE2_JIT_COMPLETE);   /* falls back to the interpreter */
    }
    free(nodes);
    if (rx->n == 0)
        sg_cfg_error(cfg, node, "regex: the list is empty");
    return rx;
}

static int regex_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    const struct regexes *rx = state;
    for (size_t i = 0; i < rx->n; i++) {
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(rx->codes[i], NULL);
        if (!md)
            return -1;
        /* A bounded match budget: a pathological pattern costs a miss, not the milter. */
        pcre2_match_context *mc = pcre2_match_context_create(NULL);
        if (mc)
            pcre2_set_match_limit(mc, 5000000);
        int rc = pcre2_match(rx->codes[i], (PCRE2_SPTR)scan->text, scan->text_len, 0, 0, md, mc);
        pcre2_match_context_free(mc);
        if (rc > 0) {
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            size_t len = ov[1] - ov[0];
            /* Evidence is the matched words only, cut short. */
            if (len > 60)
                len = 60;
            while (len && ((unsigned char)scan->text[ov[0] + len] & 0xC0) == 0x80)
                len--;
            sg_buf_printf(&out->evidence, "pattern %zu \"%.*s\"", i + 1, (int)len, scan->text + ov[0]);
        }
        pcre2_match_data_free(md);
        if (rc > 0)
            return 1;
        if (rc < -1 && rc != PCRE2_ERROR_NOMATCH)
            return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ? 0 : -1;
    }
    return 0;
}

static void regex_free(void *state)
{
    struct regexes *rx = state;
    for (size_t i = 0; i < rx->n; i++)
        pcre2_code_free(rx->codes[i]);
    free(rx->codes);
    sg_strv_free(rx->sources);
    free(rx);
}

const struct sg_detector sg_detect_regex = {
    .key = "regex",
    .doc = "Any of these pcre2 patterns, over the normalised (lower-case) text.",
    .needs_text = true,
    .parse = regex_parse,
    .compile = NULL,
    .scan = regex_scan,
    .free = regex_free,
};
