/*
 * detect_messaging.c - "match: messaging: true": an invitation to a
 * private messaging app: "message me on WhatsApp", "my Signal is ...",
 * "add me on Telegram", wa.me/ and t.me/ links, "join my WhatsApp group".
 * Seed 002: contact must stay on school systems, "monitorable by school".
 */
#include <stdlib.h>
#include "sg_detector.h"
#include "sg_text.h"

#define APPS "(?:whats\\s?app|signal|telegram|viber|wechat|kik|discord|imessage|facetime|messenger)"

static const char *const patterns[] = {
    "\\b(?:message|msg|text|call|ring|ping|contact|add|find|reach|dm|chat\\s+with|talk\\s+to|get\\s+me)\\s+me\\s+(?:on|via|at|through|over|using)\\s+" APPS "\\b",
    "\\bmy\\s+" APPS "(?:\\s+(?:number|no|username|handle|id|name))?\\s*(?:is|:)",
    "\\b(?:whats\\s?app|signal|telegram)\\s+me\\b",
    "\\b(?:i'?m|i\\s+am)\\s+on\\s+" APPS "\\b",
    "\\bjoin\\s+(?:my|our|the)\\s+(?:class\\s+)?" APPS "\\s+(?:group|chat|channel)\\b",
    "(?:\\bwa\\.me|\\bt\\.me|chat\\.whatsapp\\.com|\\bsignal\\.me|\\bdiscord\\.gg)/",
    NULL,
};

struct messaging {
    struct sg_rx *rx[8];
    size_t n;
};

static void *msg_parse(struct sg_cfg *cfg, yaml_node_t *node)
{
    if (!sg_detector_enabled(cfg, node, "messaging"))
        return NULL;
    struct messaging *m = sg_xcalloc(1, sizeof(*m));
    m->n = sg_detector_patterns(cfg, node, "messaging", patterns, m->rx, 8);
    return m;
}

static int on_match(const char *s, size_t len, void *ctx)
{
    sg_evidence_quote(ctx, "messaging invitation", s, len, 50);
    return 1;
}

static int msg_scan(const void *state, const struct sg_scan *scan, struct sg_finding *out)
{
    const struct messaging *m = state;
    return sg_rx_each_of(m->rx, m->n, scan->text, scan->text_len, on_match, &out->evidence);
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
    .doc = "An invitation to message on WhatsApp, Signal, Telegram and the like.",
    .needs_text = true,
    .parse = msg_parse,
    .scan = msg_scan,
    .free = msg_free,
};
