/*
 * sg_logo_kp.h - stage 3 of the logo search: ORB keypoints and a
 * homography (policy/logo_kp.cpp, OpenCV behind a C interface). It only
 * proposes where a reference may lie, turned, skewed or seen at a slant;
 * logo.c checks every proposal against the reference itself.
 *
 * Every function catches OpenCV's and the C++ library's exceptions: -1
 * means an internal error (memory under the worker's RLIMIT_AS, most
 * likely), which the rule reports as its error, never as "not found".
 */
#ifndef SG_LOGO_KP_H
#define SG_LOGO_KP_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sg_logo_kp;               /* one reference's keypoints, read-only once made */

/* Keypoints of a reference: luminance 0..255 and alpha 0..1 planes of
 * w x h. 0 = made (*out set), 1 = too few keypoints to be worth matching
 * (*out NULL), -1 = internal error. */
int sg_logo_kp_ref(const float *luma, const float *alpha, unsigned w, unsigned h, struct sg_logo_kp **out);
void sg_logo_kp_free(struct sg_logo_kp *kp);

#define SG_LOGO_KP_GRID 9        /* a bend's nodes along each side of the reference */

struct sg_logo_kp_cand {
    size_t ref;                  /* index into the refs array given */
    double H[9];                 /* reference pixels -> picture pixels, row-major */
    unsigned inliers;
    /* A bent proposal (a print on a mug, across a chest): the place of a
     * reference pixel is H's plus a displacement, bilinear between nodes
     * (i, j) at reference pixel (i * bw / (GRID - 1), j * bh / (GRID - 1));
     * d[0] holds x, d[1] y, in picture pixels. Unbent: bent 0. */
    int bent;
    double bw, bh;
    float d[2][SG_LOGO_KP_GRID][SG_LOGO_KP_GRID];
};

/* Matches the picture (luminance 0..255, w x h, row-major floats) against
 * refs[0..nrefs) (NULL entries skipped): at most max plain proposals,
 * best first, each with a sane homography or affine map and at least
 * min_inliers inliers, then at most max_bent bent ones, best first (out
 * has room for max + max_bent). Returns the number of proposals, or -1 on
 * an internal error. */
int sg_logo_kp_match(const struct sg_logo_kp *const *refs, size_t nrefs, const float *pic, unsigned w,
                     unsigned h, unsigned min_inliers, struct sg_logo_kp_cand *out, size_t max, size_t max_bent);

/* A bent proposal's displacement at reference pixel (u, v): added to where
 * H maps it. Zero for a plain one. */
void sg_logo_kp_bend_at(const struct sg_logo_kp_cand *c, double u, double v, double *dx, double *dy);

/* Tests only: the next n calls of sg_logo_kp_match fail inside as OpenCV
 * does when it cannot allocate (cv::Exception, StsNoMem), so that the
 * rule's internal-error answer can be shown. */
void sg_logo_kp_test_fail(unsigned n);

#ifdef __cplusplus
}
#endif

#endif
