/*
 * wire.c - encoding and decoding the worker frames (see sg_wire.h).
 *
 * Little-endian fixed-width integers and length-prefixed strings; a NULL
 * string is the length 0xffffffff. The decoder stops at the first
 * inconsistency and the caller treats the exchange as failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sg_policy.h"
#include "sg_wire.h"
#include "sg_override.h"

#define NULL_STR 0xffffffffu

static void put_u32(struct sg_buf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    sg_buf_append(b, (const char *)x, 4);
}

static void put_u64(struct sg_buf *b, uint64_t v)
{
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}

static void put_str(struct sg_buf *b, const char *s)
{
    if (!s) {
        put_u32(b, NULL_STR);
        return;
    }
    size_t n = strlen(s);
    put_u32(b, (uint32_t)n);
    sg_buf_append(b, s, n);
}

static void put_flags(struct sg_buf *b, const bool *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sg_buf_append(b, v && v[i] ? "\1" : "\0", 1);
}

struct reader {
    const unsigned char *p, *end;
    bool bad;
};

static uint32_t get_u32(struct reader *r)
{
    if (r->bad || r->end - r->p < 4) {
        r->bad = true;
        return 0;
    }
    uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
    r->p += 4;
    return v;
}

static uint64_t get_u64(struct reader *r)
{
    uint64_t lo = get_u32(r);
    return lo | (uint64_t)get_u32(r) << 32;
}

static char *get_str(struct reader *r)
{
    uint32_t n = get_u32(r);
    if (r->bad || n == NULL_STR)
        return NULL;
    if ((size_t)(r->end - r->p) < n) {
        r->bad = true;
        return NULL;
    }
    char *s = sg_xstrndup((const char *)r->p, n);
    r->p += n;
    return s;
}

static bool *get_flags(struct reader *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        return NULL;
    }
    bool *v = sg_xcalloc(n ? n : 1, sizeof(bool));
    for (size_t i = 0; i < n; i++)
        v[i] = r->p[i] != 0;
    r->p += n;
    return v;
}

void sg_wire_header(unsigned char hdr[8], uint32_t magic, uint32_t len)
{
    for (int i = 0; i < 4; i++) {
        hdr[i] = (unsigned char)(magic >> (8 * i));
        hdr[4 + i] = (unsigned char)(len >> (8 * i));
    }
}

bool sg_wire_read_header(const unsigned char hdr[8], uint32_t magic, uint32_t *len)
{
    struct reader r = {hdr, hdr + 8, false};
    uint32_t m = get_u32(&r);
    *len = get_u32(&r);
    return m == magic && *len <= SG_WIRE_MAX;
}

void sg_wire_request(struct sg_buf *out, const struct sg_envelope *env, const char *event_id,
                     unsigned flags)
{
    put_u32(out, flags);
    put_str(out, event_id);
    put_str(out, env->mail_from);
    put_str(out, env->auth_login);
    put_str(out, env->client_addr);
    put_str(out, env->queue_id);
    put_u64(out, (uint64_t)(int64_t)env->when);
    size_t n = sg_strv_len(env->rcpts);
    put_u32(out, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        put_str(out, env->rcpts[i]);
}

bool sg_wire_parse_request(const unsigned char *body, size_t len, struct sg_envelope *env,
                           char *event_id, size_t idlen, unsigned *flags)
{
    struct reader r = {body, body + len, false};
    memset(env, 0, sizeof(*env));
    *flags = get_u32(&r);
    char *id = get_str(&r);
    snprintf(event_id, idlen, "%s", id ? id : "");
    free(id);
    env->mail_from = get_str(&r);
    env->auth_login = get_str(&r);
    env->client_addr = get_str(&r);
    env->queue_id = get_str(&r);
    env->when = (time_t)(int64_t)get_u64(&r);
    uint32_t n = get_u32(&r);
    /* Each recipient takes at least its 4-byte length: bound n before allocating. */
    if (r.bad || n > (size_t)(r.end - r.p) / 4) {
        sg_envelope_clear(env);
        return false;
    }
    env->rcpts = sg_xcalloc((size_t)n + 1, sizeof(char *));
    for (uint32_t i = 0; i < n && !r.bad; i++) {
        env->rcpts[i] = get_str(&r);
        if (!env->rcpts[i])
            r.bad = true;
    }
    if (r.bad || r.p != r.end) {
        sg_envelope_clear(env);
        return false;
    }
    return true;
}

void sg_wire_reply(struct sg_buf *out, const struct sg_verdict *v, const struct sg_policy *p,
                   const char *message_id, bool retire)
{
    put_u32(out, (uint32_t)v->action);
    put_u32(out, v->limits_hit);
    put_u32(out, (v->inbound ? 1u : 0u) | (retire ? 2u : 0u) | (v->safeguarding_report ? 4u : 0u));
    put_str(out, v->error);
    put_str(out, message_id);
    put_u32(out, (uint32_t)v->nrcpt);
    put_u32(out, (uint32_t)v->nremoved);
    if (v->nremoved)
        put_flags(out, v->removed, v->nrcpt);
    put_u32(out, (uint32_t)v->nhits);
    for (size_t i = 0; i < v->nhits; i++) {
        const struct sg_hit *h = &v->hits[i];
        put_u32(out, (uint32_t)(h->rule - p->rules));
        put_u32(out, (h->demoted ? 1u : 0u) | (h->monitored ? 2u : 0u) | (h->overridden ? 4u : 0u));
        put_str(out, h->evidence);
        put_flags(out, h->rcpt_on, v->nrcpt);
    }
    /* Monitor and override (sg_override.h). */
    put_u32(out, (uint32_t)v->would);
    put_str(out, v->justification);
    put_str(out, v->unit);
}

bool sg_wire_parse_reply(const unsigned char *body, size_t len, const struct sg_policy *p,
                         struct sg_verdict *v, bool *retire)
{
    struct reader r = {body, body + len, false};
    uint32_t action = get_u32(&r);
    v->limits_hit |= get_u32(&r) & SG_LIMIT_ALL;
    uint32_t bits = get_u32(&r);
    char *error = get_str(&r);
    char *msgid = get_str(&r);
    uint32_t nrcpt = get_u32(&r);
    uint32_t nremoved = get_u32(&r);
    if (r.bad || action > SG_ACTION_TEMPFAIL || nrcpt != v->nrcpt || nremoved > nrcpt) {
        free(error);
        free(msgid);
        return false;
    }
    v->action = (enum sg_action)action;
    v->inbound = bits & 1u;
    v->safeguarding_report = bits & 4u;
    *retire = bits & 2u;
    free(v->error);
    v->error = error;
    free(v->message_id);
    v->message_id = msgid;
    if (nremoved) {
        v->removed = get_flags(&r, nrcpt);
        v->nremoved = nremoved;
    }
    uint32_t nhits = get_u32(&r);
    if (r.bad || nhits > p->nrules)
        return false;
    for (uint32_t i = 0; i < nhits && !r.bad; i++) {
        uint32_t idx = get_u32(&r);
        uint32_t demoted = get_u32(&r);
        char *ev = get_str(&r);
        bool *on = get_flags(&r, nrcpt);
        if (r.bad || idx >= p->nrules || !ev) {
            free(ev);
            free(on);
            return false;
        }
        v->hits = sg_xrealloc(v->hits, (v->nhits + 1) * sizeof(*v->hits));
        v->hits[v->nhits++] = (struct sg_hit){.rule = &p->rules[idx], .evidence = ev, .rcpt_on = on,
                                              .nrcpt = nrcpt, .demoted = (demoted & 1u) != 0,
                                              .monitored = (demoted & 2u) != 0, .overridden = (demoted & 4u) != 0};
    }
    uint32_t would = get_u32(&r);
    char *why = get_str(&r), *unit = get_str(&r);
    /* The worker read the reason from the mail: hold it to the same
     * bounds the engine does. */
    if (r.bad || would > SG_ACTION_TEMPFAIL || (why && strlen(why) > SG_JUSTIFY_MAX) ||
        (unit && !sg_policy_unit(p, unit))) {
        free(why);
        free(unit);
        return false;
    }
    v->would = (enum sg_action)would;
    free(v->justification);
    v->justification = why;
    free(v->unit);
    v->unit = unit;
    return !r.bad && r.p == r.end;
}
