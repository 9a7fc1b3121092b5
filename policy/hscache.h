/*
 * hscache.h - compiled Hyperscan databases kept on disk between loads
 * (policy/hscache.c), keyed by a hash of everything that went into them.
 */
#ifndef SG_HSCACHE_H
#define SG_HSCACHE_H

#include <hs/hs.h>

/* Compiles as hs_compile_multi does, first looking in the cache folder
 * named by SAFEGUARD_HS_CACHE (nothing cached when unset), and storing
 * what it compiled there. */
hs_error_t sg_hscache_compile(const char *const *exprs, const unsigned *flags, const unsigned *ids,
                              unsigned n, hs_database_t **db, hs_compile_error_t **err);

#endif
