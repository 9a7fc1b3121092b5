/*
 * sg_hours.h - contact windows: week days, a time range and holidays, in
 * the school's time zone (GLib's GTimeZone reads tzdata, so BST and GMT
 * come out right on both sides of a clock change).
 */
#ifndef SG_HOURS_H
#define SG_HOURS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <yaml.h>

struct sg_cfg;

struct sg_holiday {
    int from, to;                /* yyyymmdd, inclusive */
};

struct sg_hours {
    bool set;
    unsigned days;               /* bit 0 = Monday ... bit 6 = Sunday */
    int start, end;              /* minutes after local midnight */
    struct sg_holiday *holidays;
    size_t nholidays;
};

bool sg_hours_parse(struct sg_cfg *cfg, yaml_node_t *node, struct sg_hours *out);
void sg_hours_free(struct sg_hours *h);
/* tz is a GTimeZone *. True when `when` is inside the window; why gets a
 * short description of the local time either way. */
bool sg_hours_allows(const struct sg_hours *h, void *tz, time_t when, char *why, size_t whylen);

/* Networks as "a.b.c.d/n" or IPv6 "x::/n". */
struct sg_cidr {
    int family;
    unsigned char addr[16];
    unsigned bits;
};
bool sg_cidr_parse(const char *s, struct sg_cidr *out);
bool sg_cidr_contains(const struct sg_cidr *nets, size_t n, const char *ip);

#endif
