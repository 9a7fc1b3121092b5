/*
 * hours.c - contact windows and client networks, the two "when and
 * where" tests of the policy.
 */
#include <arpa/inet.h>
#include <glib.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "sg_config.h"
#include "sg_hours.h"
#include "sg_schema.h"

static const char *const day_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static bool parse_hhmm(const char *s, int *out)
{
    int h, m;
    char extra;
    if (sscanf(s, "%d:%d%c", &h, &m, &extra) != 2 || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m))
        return false;
    *out = h * 60 + m;
    return true;
}

static bool parse_date(const char *s, int *out)
{
    int y, mo, d;
    char extra;
    /* Ranges first: the GDate casts truncate (day 257 would pass as 1)
     * and y * 10000 below must not overflow. */
    if (sscanf(s, "%d-%d-%d%c", &y, &mo, &d, &extra) != 3 || y < 1 || y > 9999 || mo < 1 || mo > 12 ||
        d < 1 || d > 31 || !g_date_valid_dmy((GDateDay)d, (GDateMonth)mo, (GDateYear)y))
        return false;
    *out = y * 10000 + mo * 100 + d;
    return true;
}

static void parse_date_field(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    const char *s = sg_cfg_scalar(cfg, node, "a date");
    if (s && !parse_date(s, field))
        sg_cfg_error(cfg, node, "\"%s\" is not a date (YYYY-MM-DD)", s);
}

const struct sg_cfg_key sg_schema_holiday[] = {
    {.key = "from", .type = SG_CFG_CUSTOM, .offset = offsetof(struct sg_holiday, from), .custom = parse_date_field,
     .shape = "YYYY-MM-DD", .required = true, .doc = "First day of the holiday."},
    {.key = "to", .type = SG_CFG_CUSTOM, .offset = offsetof(struct sg_holiday, to), .custom = parse_date_field,
     .shape = "YYYY-MM-DD", .required = true, .doc = "Last day of the holiday (inclusive)."},
    {.key = NULL},
};

static void parse_holidays(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    struct sg_hours *out = (struct sg_hours *)((char *)field - offsetof(struct sg_hours, holidays));
    if (node->type != YAML_SEQUENCE_NODE) {
        sg_cfg_error(cfg, node, "holidays must be a list of {from: YYYY-MM-DD, to: YYYY-MM-DD}");
        return;
    }
    size_t n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    free(out->holidays);
    out->holidays = sg_xcalloc(n ? n : 1, sizeof(*out->holidays));
    out->nholidays = 0;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *h = sg_cfg_node(cfg, node->data.sequence.items.start[i]);
        struct sg_holiday hol = {0, 0};
        if (h->type != YAML_MAPPING_NODE) {
            sg_cfg_error(cfg, h, "a holiday is {from: YYYY-MM-DD, to: YYYY-MM-DD}");
            continue;
        }
        sg_cfg_apply_table(cfg, h, sg_schema_holiday, &hol, "a holiday");
        if (!hol.from || !hol.to || hol.to < hol.from) {
            sg_cfg_error(cfg, h, "a holiday needs from: and to: with to on or after from");
            continue;
        }
        out->holidays[out->nholidays++] = hol;
    }
}

static void parse_days(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    yaml_node_t **nodes;
    char **days = sg_cfg_strlist(cfg, node, "days", &nodes);
    unsigned mask = 0;
    for (size_t i = 0; days[i]; i++) {
        size_t d;
        for (d = 0; d < 7 && strncasecmp(days[i], day_names[d], 3); d++)
            ;
        if (d == 7)
            sg_cfg_error(cfg, nodes[i], "\"%s\" is not a day (mon, tue, wed, thu, fri, sat, sun)", days[i]);
        else
            mask |= 1u << d;
    }
    sg_strv_free(days);
    free(nodes);
    *(unsigned *)field = mask;
}

static void parse_time_field(struct sg_cfg *cfg, yaml_node_t *node, void *field)
{
    const char *s = sg_cfg_scalar(cfg, node, "a time");
    if (s && !parse_hhmm(s, field))
        sg_cfg_error(cfg, node, "\"%s\" is not a time (HH:MM, quoted)", s);
}

#define HOURS(f) offsetof(struct sg_hours, f)
const struct sg_cfg_key sg_schema_hours[] = {
    {.key = "days", .type = SG_CFG_CUSTOM, .offset = HOURS(days), .custom = parse_days, .def = "[mon, tue, wed, thu, fri]",
     .shape = "list of days", .doc = "Week days staff may contact pupils: mon, tue, wed, thu, fri, sat, sun."},
    {.key = "start", .type = SG_CFG_CUSTOM, .offset = HOURS(start), .custom = parse_time_field, .def = "\"08:00\"",
     .shape = "\"HH:MM\"", .doc = "Start of the window, local time. Quote it: YAML reads 07:30 unquoted as a number."},
    {.key = "end", .type = SG_CFG_CUSTOM, .offset = HOURS(end), .custom = parse_time_field, .def = "\"18:00\"",
     .shape = "\"HH:MM\"", .doc = "End of the window (after start), local time."},
    {.key = "holidays", .type = SG_CFG_CUSTOM, .offset = HOURS(holidays), .custom = parse_holidays,
     .shape = "list of mappings", .sub = sg_schema_holiday, .doc = "Days with no contact at all: `[{from: 2026-12-19, to: 2027-01-03}]`."},
    {.key = NULL},
};

bool sg_hours_parse(struct sg_cfg *cfg, yaml_node_t *node, struct sg_hours *out)
{
    memset(out, 0, sizeof(*out));
    if (!node || node->type != YAML_MAPPING_NODE) {
        sg_cfg_error(cfg, node, "contact_hours must be a mapping (days, start, end, holidays)");
        return false;
    }
    out->set = true;
    out->days = 0x1f;
    out->start = 8 * 60;
    out->end = 18 * 60;
    sg_cfg_apply_table(cfg, node, sg_schema_hours, out, "contact_hours");
    if (out->end <= out->start)
        sg_cfg_error(cfg, node, "contact_hours: end must be after start");
    return true;
}

void sg_hours_free(struct sg_hours *h)
{
    free(h->holidays);
    h->holidays = NULL;
    h->nholidays = 0;
}

bool sg_hours_allows(const struct sg_hours *h, void *tz, time_t when, char *why, size_t whylen)
{
    GDateTime *utc = g_date_time_new_from_unix_utc((gint64)when);
    GDateTime *local = g_date_time_to_timezone(utc, (GTimeZone *)tz);
    int dow = g_date_time_get_day_of_week(local) - 1;
    int minutes = g_date_time_get_hour(local) * 60 + g_date_time_get_minute(local);
    int ymd = g_date_time_get_year(local) * 10000 + g_date_time_get_month(local) * 100 +
              g_date_time_get_day_of_month(local);
    gchar *stamp = g_date_time_format(local, "%a %Y-%m-%d %H:%M %Z");
    bool holiday = false;
    for (size_t i = 0; i < h->nholidays; i++)
        if (ymd >= h->holidays[i].from && ymd <= h->holidays[i].to)
            holiday = true;
    bool ok = !h->set || (!holiday && (h->days & (1u << dow)) && minutes >= h->start && minutes < h->end);
    snprintf(why, whylen, "sent %s%s, contact window %02d:%02d-%02d:%02d", stamp ? stamp : "?",
             holiday ? " (school holiday)" : "", h->start / 60, h->start % 60, h->end / 60, h->end % 60);
    g_free(stamp);
    g_date_time_unref(local);
    g_date_time_unref(utc);
    return ok;
}

bool sg_cidr_parse(const char *s, struct sg_cidr *out)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", s);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash++ = '\0';
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        out->family = AF_INET;
        out->bits = 32;
    } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
        out->family = AF_INET6;
        out->bits = 128;
    } else {
        return false;
    }
    if (slash) {
        char *end;
        unsigned long b = strtoul(slash, &end, 10);
        if (*end || !*slash || b > out->bits)
            return false;
        out->bits = (unsigned)b;
    }
    return true;
}

static bool prefix_equal(const unsigned char *a, const unsigned char *b, unsigned bits)
{
    unsigned bytes = bits / 8, rest = bits % 8;
    if (memcmp(a, b, bytes))
        return false;
    if (!rest)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[bytes] & mask) == (b[bytes] & mask);
}

bool sg_cidr_contains(const struct sg_cidr *nets, size_t n, const char *ip)
{
    unsigned char addr[16];
    int family;
    if (!ip || !*ip)
        return false;
    if (inet_pton(AF_INET, ip, addr) == 1)
        family = AF_INET;
    else if (inet_pton(AF_INET6, ip, addr) == 1)
        family = AF_INET6;
    else
        return false;
    for (size_t i = 0; i < n; i++)
        if (nets[i].family == family && prefix_equal(nets[i].addr, addr, nets[i].bits))
            return true;
    return false;
}
