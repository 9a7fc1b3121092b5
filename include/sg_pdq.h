/*
 * sg_pdq.h - the PDQ perceptual hash (Meta's published algorithm: luminance,
 * a two-pass tent ("Jarosz") filter down to 64x64, the 16x16 lowest
 * non-DC DCT coefficients, each bit set when above their median).
 *
 * Similar pictures land a few bits apart; unrelated ones about 128 of 256.
 * Quality (0..100) measures how much structure the picture has: below
 * ~50 a hash is not worth trusting (flat colours, near-empty images).
 */
#ifndef SG_PDQ_H
#define SG_PDQ_H

#include <stdint.h>

struct sg_pdq {
    uint8_t bits[32];
    unsigned quality;
};

/* Y' from straight RGBA composed over the background colour bg (RGB):
 * out gets w*h values 0..255. */
void sg_pdq_luma_rgba(const uint8_t *rgba, unsigned w, unsigned h, const uint8_t bg[3], float *out);
/* Hash of a luma plane (stride = w). w and h at least 1. A plane of
 * 512 x 512 or more is first halved by 2x2 means (odd edges dropped),
 * sg_pdq_halvings() times: a plane so halved hashes the same, bit for bit. */
unsigned sg_pdq_halvings(unsigned w, unsigned h);
void sg_pdq_hash(const float *luma, unsigned w, unsigned h, struct sg_pdq *out);
/* The hashes of the eight rotations and mirrors of the picture, out[0] the
 * picture as it is; from one transform (flips and transposes only change
 * signs and the order of the DCT coefficients). */
void sg_pdq_hash8(const float *luma, unsigned w, unsigned h, struct sg_pdq out[8]);
unsigned sg_pdq_distance(const struct sg_pdq *a, const struct sg_pdq *b);

#endif
