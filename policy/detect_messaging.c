/*
 * detect_messaging.c - "match: messaging: true" or {quoted}: an
 * invitation to a private messaging app: "message me on WhatsApp", "my
 * Signal is ...", "add me on Telegram", wa.me/ and t.me/ links, "join my
 * WhatsApp group". Seed 002: contact must stay on school systems,
 * "monitorable by school".
 *
 * Not counted: an invitation negated in its own clause ("please don't
 * message me on WhatsApp"), and quoted history (a pupil's own message
 * quoted back) unless quoted: true. Discord server invites are community
 * invites and belong to social:.
 */
#include <stdlib.h>
#include "sg_decline.h"
#include "sg_detector.h"
#include "sg_schema.h"
#include "sg_text.h"

#define APPS "(?:whats\\s?app|signal|telegram|viber|wechat|kik|discord|imessage|facetime|messenger)"

static const char *const patterns[] = {
    "\\b(?:message|msg|text|call|ring|ping|contact|add|find|reach|dm|join|chat\\s+with|talk\\s+to|get\\s+me)\\s+me\\s+(?:on|via|at|through|over|using)\\s+" APPS "\\b",
    "\\bmy\\s+" APPS "(?:\\s+(?:number|no|username|handle|id|name))?\\s*(?:is|:)",
    "\\b(?:whats\\s?app|signal|telegram)\\s+me\\b",
    "\\b(?:i'?m|i\\s+am)\\s+on\\s+" APPS "\\b",
    "\\bjoin\\s+(?:my|our|the)\\s+(?:class\\s+)?" APPS "\\s+(?:group|chat|channel)\\b",
    "(?:\\bwa\\.me|\\bt\\.me|\\btelegram\\.me|chat\\.whatsapp\\.com|\\bsignal\\.me|\\bsignal\\.group)/",
    NULL,
};

struct messaging {
    struct sg_rx *rx[8];
    unsigned anchor[8];
    size_t n;
    bool quoted;
};

#define MS(f) offsetof(struct messaging, f)
static const struct sg_cfg_key msg_opts[] = {
    {.key = "quoted", .type = SG_CFG_BOOL, .offset = MS(quoted), .def = "false",
     .doc = "Count quoted history too: by default a pupil's own message quoted back is not the member of "
            "staff's invitation."},
    {.key = NULL},
};

static void *msg_parse(struct sg_cfg *cfg, yaml_node_t *node)
{
    if (!sg_detector_enabled(cfg, node, "messaging"))
        return NULL;
    struct messaging *m = sg_xcalloc(1, sizeof(*m));
    sg_cfg_apply_table(cfg, node && node->type == YAML_MAPPING_NODE ? node : NULL, msg_opts, m, "messaging");
    m->n = sg_detector_patterns(cfg, node, "messaging", patterns, m->rx, 8);
    return m;
}

struct msg_ctx {
    const struct messaging *m;
    const struct sg_scan *scan;
    struct sg_buf *ev;
};

static int on_match(const char *s, size_t len, void *ctx_)
{
    struct msg_ctx *ctx = ctx_;
    size_t off = (size_t)(s - ctx->scan->text);
    const struct sg_segment *seg = sg_scan_segment_at(ctx->scan, off);
    if ((!ctx->m->quoted && seg && seg->quoted) || sg_decline_before(ctx->scan->text, seg ? seg->off : 0, off))
        return 0;
    sg_evidence_quote(ctx->ev, "messaging invitation", s, len, 50);
    sg_buf_puts(ctx->ev, ", ");
    sg_scan_where(ctx->scan, off, ctx->ev);
    return 1;
}

static int msg_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    const struct messaging *m = state;
    struct msg_ctx ctx = {m, scan, &out->evidence};
    return sg_scan_rx_each_of(scan, m->rx, m->anchor, m->n, on_match, &ctx);
}

static bool msg_compile(void *state, struct sg_matcher *mt, struct sg_cfg *cfg)
{
    (void)cfg;
    struct messaging *m = state;
    sg_anchor_register_all(mt, patterns, m->n, m->anchor);
    return true;
}

static void msg_free(void *state)
{
    struct messaging *m = state;
    for (size_t i = 0; i < m->n; i++)
        sg_rx_free(m->rx[i]);
    free(m);
}

const struct sg_detector sg_detect_messaging = {
    .key = "messaging",
    .options = msg_opts,
    .doc = "An invitation to message on WhatsApp, Signal, Telegram and the like.",
    .needs_text = true,
    .parse = msg_parse,
    .compile = msg_compile,
    .scan = msg_scan,
    .free = msg_free,
};
