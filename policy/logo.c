/*
 * logo.c - reference logos and the search for them (sg_logo.h).
 *
 * Everything runs on luminance planes of floats. A picture is first
 * brought to a working size (long side at most WORK_MAX, by area
 * averaging): a 12-megapixel photo costs one pass over its pixels and the
 * rest is done on a megapixel at most, so a logo smaller than about
 * min_size * long_side / WORK_MAX in a very large photo is not looked for.
 *
 * Region search, per reference: a template at three sizes (about 100, 400
 * and 1600 pixels of area). Level 0 slides over the whole picture scaled
 * so the template stands for a logo of each size from min_size up, the
 * sums under the mask from row prefix sums (made once per scale for the
 * variants drawn on one outline); the best few places of each scale go
 * to level 1 and the best of those to level 2, each a few pixels and scales around, scored
 * exactly under the mask on luminance and on an edge image. The winner's
 * crop must hash (PDQ) close to the reference composed over that crop:
 * textures that correlate by chance do not.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sg_logo.h"
#include "sg_logo_kp.h"
#include "sg_pdq.h"
#include "sg_util.h"

#define WORK_MAX 1024            /* long side of the working picture */
#define COARSE_MAX_POS 40000     /* level-0 positions per scale, at most */
#define SCALE_STEP 1.19          /* 2^(1/4) between level-0 scales */
#define PER_SCALE 3              /* level-0 places kept per scale */
#define PER_REF 8                /* level-0 winners of each reference refined at level 1 */
#define TO_FINE 6                /* level-1 winners refined at level 2 */
#define COARSE_FLOOR 0.30        /* level-0 score worth refining */
#define VERIFY_BITS 64           /* PDQ of the located crop vs the reference over it */
#define NLEVELS 3
#define KP_MIN_SIDE 96           /* stage 3 only on working pictures this large */
#define KP_MIN_INLIERS 15        /* homography inliers a keypoint proposal needs */
#define KP_PROPOSALS 6           /* keypoint proposals checked, best first */
#define KP_BENT 2                /* and bent ones, where no plain one passed */
#define KP_BENT_START 0.35       /* refined only from min_score less this */

static const double level_area[NLEVELS] = {80, 400, 1600};

typedef float v8f __attribute__((vector_size(32)));
typedef double v4d __attribute__((vector_size(32)));

struct plane {
    unsigned w, h;
    float *v;
};

static void plane_init(struct plane *p, unsigned w, unsigned h)
{
    p->w = w;
    p->h = h;
    p->v = sg_xcalloc((size_t)w * h > 0 ? (size_t)w * h : 1, sizeof(float));
}

static void plane_free(struct plane *p)
{
    free(p->v);
    p->v = NULL;
}

struct pyramid {
    struct plane lv[16];
    unsigned n;
};

/* A template at one size: the mask's pixels with the luminance zero-mean
 * over them and of unit norm (so the correlation is one dot product), and
 * the same for the edge image under a mask eroded once more. */
struct tmpl {
    unsigned w, h;
    size_t n, ne;
    unsigned *xy, *exy;          /* y << 16 | x */
    float *t, *te;
    unsigned *runs;              /* the mask as row runs: y << 16 | x0, then x1 */
    size_t nruns;
};

struct ref {
    char *name;
    uint8_t sha[32];
    struct sg_pdq pdq[2][3][8];  /* as given / trimmed; on white, black, grey; dihedral */
    struct sg_pdq *tilted;       /* turned a little or seen at a slant, trimmed */
    size_t ntilted;
    struct plane luma, alpha;    /* native, cut to the opaque box; alpha 0..1 */
    struct pyramid pl, pa;       /* their halves, for the crops' checks */
    struct tmpl lv[NLEVELS];
    struct sg_logo_kp *kp;       /* stage 3; NULL when off or too plain */
    size_t same0;                /* the first reference of the same level-0 mask and size (maybe itself) */
};

struct sg_logo_set {
    struct sg_logo_opts o;
    struct ref *refs;
    size_t n;
};

/* ---- planes ---- */

/* Halves a plane by 2x2 averaging (odd edges dropped). */
static void plane_half(const struct plane *in, struct plane *out)
{
    plane_init(out, in->w / 2 ? in->w / 2 : 1, in->h / 2 ? in->h / 2 : 1);
    for (unsigned y = 0; y < out->h; y++)
        for (unsigned x = 0; x < out->w; x++) {
            unsigned x0 = 2 * x < in->w ? 2 * x : in->w - 1, y0 = 2 * y < in->h ? 2 * y : in->h - 1;
            unsigned x1 = x0 + 1 < in->w ? x0 + 1 : x0, y1 = y0 + 1 < in->h ? y0 + 1 : y0;
            const float *r0 = in->v + (size_t)y0 * in->w, *r1 = in->v + (size_t)y1 * in->w;
            out->v[(size_t)y * out->w + x] = (r0[x0] + r0[x1] + r1[x0] + r1[x1]) * 0.25f;
        }
}

static void pyramid_build(struct pyramid *py, const struct plane *base)
{
    py->lv[0] = *base;
    py->n = 1;
    while (py->n < 16 && py->lv[py->n - 1].w >= 16 && py->lv[py->n - 1].h >= 16) {
        plane_half(&py->lv[py->n - 1], &py->lv[py->n]);
        py->n++;
    }
}

static void pyramid_free(struct pyramid *py)
{
    for (unsigned i = 1; i < py->n; i++)
        plane_free(&py->lv[i]);
}

/* Samples the base plane at scale k (output pixel = 1/k base pixels) over a
 * window whose first output pixel is (ox, oy), from the pyramid level just
 * finer than k so bilinear sampling does not alias. */
static void sample(const struct pyramid *py, double k, double ox, double oy, struct plane *out)
{
    unsigned l = 0;
    while (l + 1 < py->n && k <= 1.0 / (double)(2u << l))
        l++;
    const struct plane *src = &py->lv[l];
    double f = (double)(1u << l);
    /* Separable: one column position and weight per output column. */
    unsigned *xs = sg_xmalloc(out->w * sizeof(unsigned));
    float *fx = sg_xmalloc(out->w * sizeof(float));
    for (unsigned i = 0; i < out->w; i++) {
        double u = ((ox + i + 0.5) / k) / f - 0.5;
        u = u < 0 ? 0 : u > src->w - 1 ? src->w - 1 : u;
        xs[i] = (unsigned)u;
        if (xs[i] + 1 >= src->w && xs[i] > 0)
            xs[i]--;
        fx[i] = (float)(u - xs[i]);
        if (src->w == 1)
            fx[i] = 0;
    }
    for (unsigned j = 0; j < out->h; j++) {
        double v = ((oy + j + 0.5) / k) / f - 0.5;
        v = v < 0 ? 0 : v > src->h - 1 ? src->h - 1 : v;
        unsigned y = (unsigned)v, y1 = y + 1 < src->h ? y + 1 : y;
        float fy = (float)(v - y);
        const float *r0 = src->v + (size_t)y * src->w, *r1 = src->v + (size_t)y1 * src->w;
        float *o = out->v + (size_t)j * out->w;
        unsigned x1off = src->w > 1 ? 1 : 0;
        for (unsigned i = 0; i < out->w; i++) {
            unsigned x = xs[i];
            float a = r0[x] + (r0[x + x1off] - r0[x]) * fx[i], b = r1[x] + (r1[x + x1off] - r1[x]) * fx[i];
            o[i] = a + (b - a) * fy;
        }
    }
    free(xs);
    free(fx);
}

/* Central-difference gradient magnitude; the outer ring stays 0. */
static void edges(const struct plane *in, struct plane *out)
{
    plane_init(out, in->w, in->h);
    for (unsigned y = 1; y + 1 < in->h; y++)
        for (unsigned x = 1; x + 1 < in->w; x++) {
            const float *p = in->v + (size_t)y * in->w + x;
            out->v[(size_t)y * in->w + x] = fabsf(p[1] - p[-1]) + fabsf(p[in->w] - p[-(long)in->w]);
        }
}

/* ---- templates ---- */

static void erode(const unsigned char *m, unsigned w, unsigned h, unsigned char *out)
{
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            bool on = m[(size_t)y * w + x];
            for (int d = 0; on && d < 4; d++) {
                int nx = (int)x + (d == 0) - (d == 1), ny = (int)y + (d == 2) - (d == 3);
                on = nx >= 0 && ny >= 0 && nx < (int)w && ny < (int)h && m[(size_t)ny * w + nx];
            }
            out[(size_t)y * w + x] = on;
        }
}

/* Zero-mean, unit-norm values of v under mask m: false when flat. */
static bool normalise(const struct plane *v, const unsigned char *m, size_t *n, unsigned **xy, float **t)
{
    size_t cnt = 0;
    double sum = 0;
    for (size_t i = 0; i < (size_t)v->w * v->h; i++)
        if (m[i]) {
            cnt++;
            sum += v->v[i];
        }
    *n = cnt;
    *xy = sg_xmalloc((cnt ? cnt : 1) * sizeof(unsigned));
    *t = sg_xmalloc((cnt ? cnt : 1) * sizeof(float));
    if (cnt < 8)
        return false;
    double mean = sum / cnt, ss = 0;
    size_t k = 0;
    for (unsigned y = 0; y < v->h; y++)
        for (unsigned x = 0; x < v->w; x++)
            if (m[(size_t)y * v->w + x]) {
                double d = v->v[(size_t)y * v->w + x] - mean;
                (*xy)[k] = y << 16 | x;
                (*t)[k++] = (float)d;
                ss += d * d;
            }
    if (ss < 1e-3 * cnt)
        return false;
    float inv = (float)(1.0 / sqrt(ss));
    for (size_t i = 0; i < cnt; i++)
        (*t)[i] *= inv;
    return true;
}

static bool tmpl_build(struct ref *r, double area, struct tmpl *t)
{
    double aspect = (double)r->luma.w / r->luma.h;
    double tw = sqrt(area * aspect), th = sqrt(area / aspect);
    /* A wide lockup keeps at least 6 pixels of height. */
    if (th < 6) {
        tw *= 6 / th;
        th = 6;
    }
    if (tw < 6) {
        th *= 6 / tw;
        tw = 6;
    }
    t->w = (unsigned)lround(tw);
    t->h = (unsigned)lround(th);
    struct plane flat, a, lum, e;
    plane_init(&flat, r->luma.w, r->luma.h);
    for (size_t i = 0; i < (size_t)flat.w * flat.h; i++)
        flat.v[i] = r->alpha.v[i] * r->luma.v[i] + (1 - r->alpha.v[i]) * 128;
    struct pyramid pl, pa;
    pyramid_build(&pl, &flat);
    pyramid_build(&pa, &r->alpha);
    double k = (double)t->w / r->luma.w;
    plane_init(&lum, t->w, t->h);
    plane_init(&a, t->w, t->h);
    sample(&pl, k, 0, 0, &lum);
    sample(&pa, k, 0, 0, &a);
    pyramid_free(&pl);
    pyramid_free(&pa);
    plane_free(&flat);
    size_t n = (size_t)t->w * t->h;
    unsigned char *m = sg_xmalloc(n), *m1 = sg_xmalloc(n), *m2 = sg_xmalloc(n);
    for (size_t i = 0; i < n; i++)
        m[i] = a.v[i] > 0.5f;
    erode(m, t->w, t->h, m1);
    erode(m1, t->w, t->h, m2);
    bool ok = normalise(&lum, m1, &t->n, &t->xy, &t->t);
    t->runs = sg_xmalloc((n + 1) * sizeof(unsigned));
    for (unsigned y = 0; y < t->h; y++)
        for (unsigned x = 0; x < t->w; x++) {
            if (!m1[(size_t)y * t->w + x] || (x > 0 && m1[(size_t)y * t->w + x - 1]))
                continue;
            unsigned x1 = x;
            while (x1 < t->w && m1[(size_t)y * t->w + x1])
                x1++;
            t->runs[2 * t->nruns] = y << 16 | x;
            t->runs[2 * t->nruns + 1] = x1;
            t->nruns++;
        }
    edges(&lum, &e);
    /* An edge template only where the outline's own edge cannot reach. */
    if (!normalise(&e, m2, &t->ne, &t->exy, &t->te))
        t->ne = 0;
    plane_free(&lum);
    plane_free(&a);
    plane_free(&e);
    free(m);
    free(m1);
    free(m2);
    return ok;
}

static void tmpl_free(struct tmpl *t)
{
    free(t->xy);
    free(t->exy);
    free(t->t);
    free(t->te);
    free(t->runs);
}

/* ---- whole-picture hashes ---- */

static const uint8_t backgrounds[3][3] = {{255, 255, 255}, {0, 0, 0}, {128, 128, 128}};

/* The box inside a plain border: rows and columns whose every pixel is
 * within a few levels of the corner's. */
static void trim_box(const struct plane *p, unsigned *x0, unsigned *y0, unsigned *x1, unsigned *y1)
{
    float c = p->v[0];
#define PLAIN(v) (fabsf((v) - c) < 10)
    unsigned a = 0, b = 0, w = p->w, h = p->h;
    for (bool plain = true; plain && b + 1 < h; b += plain) {
        for (unsigned x = 0; x < w && plain; x++)
            plain = PLAIN(p->v[(size_t)b * w + x]);
    }
    for (bool plain = true; plain && h > b + 1; h -= plain) {
        for (unsigned x = 0; x < w && plain; x++)
            plain = PLAIN(p->v[(size_t)(h - 1) * w + x]);
    }
    for (bool plain = true; plain && a + 1 < w; a += plain) {
        for (unsigned y = b; y < h && plain; y++)
            plain = PLAIN(p->v[(size_t)y * p->w + a]);
    }
    for (bool plain = true; plain && w > a + 1; w -= plain) {
        for (unsigned y = b; y < h && plain; y++)
            plain = PLAIN(p->v[(size_t)y * p->w + w - 1]);
    }
#undef PLAIN
    *x0 = a;
    *y0 = b;
    *x1 = w;
    *y1 = h;
}

/* PDQ of the box [x0,x1) x [y0,y1) of p. */
static void hash_box(const struct plane *p, unsigned x0, unsigned y0, unsigned x1, unsigned y1, struct sg_pdq *out,
                     bool all8)
{
    unsigned w = x1 - x0, h = y1 - y0;
    float *box = sg_xmalloc((size_t)w * h * sizeof(float));
    for (unsigned y = 0; y < h; y++)
        memcpy(box + (size_t)y * w, p->v + (size_t)(y0 + y) * p->w + x0, w * sizeof(float));
    if (all8)
        sg_pdq_hash8(box, w, h, out);
    else
        sg_pdq_hash(box, w, h, out);
    free(box);
}

static void hash_trimmed(const struct plane *p, struct sg_pdq *out, bool all8)
{
    unsigned x0, y0, x1, y1;
    trim_box(p, &x0, &y0, &x1, &y1);
    hash_box(p, x0, y0, x1, y1, out, all8);
}

/* ---- the reference set ---- */

struct sg_logo_set *sg_logo_set_new(const struct sg_logo_opts *opts)
{
    struct sg_logo_set *s = sg_xcalloc(1, sizeof(*s));
    s->o = *opts;
    return s;
}

size_t sg_logo_set_count(const struct sg_logo_set *s)
{
    return s->n;
}

static void ref_free(struct ref *r)
{
    free(r->name);
    free(r->tilted);
    sg_logo_kp_free(r->kp);
    pyramid_free(&r->pl);
    pyramid_free(&r->pa);
    plane_free(&r->luma);
    plane_free(&r->alpha);
    for (unsigned l = 0; l < NLEVELS; l++)
        tmpl_free(&r->lv[l]);
}

/* The reference turned a quarter t times and mirrored when mirror. */
static struct sg_image turn(const struct sg_image *in, unsigned t, bool mirror)
{
    struct sg_image o = *in;
    o.w = t % 2 ? in->h : in->w;
    o.h = t % 2 ? in->w : in->h;
    o.rgba = sg_xmalloc((size_t)o.w * o.h * 4);
    for (unsigned y = 0; y < in->h; y++)
        for (unsigned x = 0; x < in->w; x++) {
            unsigned sx = mirror ? in->w - 1 - x : x, nx, ny;
            switch (t % 4) {
            case 0: nx = sx; ny = y; break;
            case 1: nx = in->h - 1 - y; ny = sx; break;
            case 2: nx = in->w - 1 - sx; ny = in->h - 1 - y; break;
            default: nx = y; ny = in->w - 1 - sx; break;
            }
            memcpy(o.rgba + ((size_t)ny * o.w + nx) * 4, in->rgba + ((size_t)y * in->w + x) * 4, 4);
        }
    return o;
}

/* The cut reference (luma and alpha planes) through a projective map
 * from output to input pixels, composed over luminance bg, into a plane of
 * w x h; then hashed trimmed. */
static void hash_warped(const struct ref *r, const double H[9], unsigned w, unsigned h, float bg, struct sg_pdq *out)
{
    struct plane o;
    plane_init(&o, w, h);
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            double z = H[6] * x + H[7] * y + H[8];
            double u = (H[0] * x + H[1] * y + H[2]) / z, v = (H[3] * x + H[4] * y + H[5]) / z;
            float val = bg;
            if (u >= 0 && v >= 0 && u <= r->luma.w - 1 && v <= r->luma.h - 1) {
                unsigned ix = (unsigned)u, iy = (unsigned)v;
                unsigned jx = ix + 1 < r->luma.w ? ix + 1 : ix, jy = iy + 1 < r->luma.h ? iy + 1 : iy;
                float fx = (float)(u - ix), fy = (float)(v - iy), l = 0, a = 0;
                const unsigned xs[2] = {ix, jx}, ys[2] = {iy, jy};
                const float wx[2] = {1 - fx, fx}, wy[2] = {1 - fy, fy};
                for (int j = 0; j < 2; j++)
                    for (int i = 0; i < 2; i++) {
                        size_t k = (size_t)ys[j] * r->luma.w + xs[i];
                        float wgt = wx[i] * wy[j] * r->alpha.v[k];
                        l += wgt * r->luma.v[k];
                        a += wgt;
                    }
                val = l + (1 - a) * bg;
            }
            o.v[(size_t)y * w + x] = val;
        }
    hash_trimmed(&o, out, false);
    plane_free(&o);
}

/* Whole-picture hashes of the reference turned 3, 6 and 9 degrees either
 * way and keystoned as a print seen at a slant or wrapped on a mug, on
 * white and on black: a copy tilted so is closer to one of these than to
 * the upright reference. Comparing costs a few popcounts each. */
static void tilted_hashes(struct ref *r)
{
    static const double angles[] = {-9, -6, -3, 3, 6, 9};
    static const double slants[] = {0.15, 0.3};
    static const float bgs[] = {255, 0};
    size_t max = (6 + 2 * 2 * 2) * 2;
    r->tilted = sg_xmalloc(max * sizeof(struct sg_pdq));
    double w = r->luma.w, h = r->luma.h;
    for (unsigned b = 0; b < 2; b++) {
        for (unsigned i = 0; i < 6; i++) {
            double a = angles[i] * M_PI / 180, c = cos(a), sn = sin(a);
            unsigned ow = (unsigned)ceil(fabs(w * c) + fabs(h * sn)), oh = (unsigned)ceil(fabs(w * sn) + fabs(h * c));
            double cx = ow / 2.0, cy = oh / 2.0;
            double H[9] = {c, sn, w / 2 - c * cx - sn * cy, -sn, c, h / 2 + sn * cx - c * cy, 0, 0, 1};
            hash_warped(r, H, ow, oh, bgs[b], &r->tilted[r->ntilted++]);
        }
        for (unsigned i = 0; i < 2; i++)
            for (unsigned vert = 0; vert < 2; vert++) {
                /* Output to input: one edge kept, the opposite one shrunk
                 * by t (a perspective of one vanishing direction). */
                double t = slants[i], H[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
                if (vert) {
                    H[7] = t / h;
                    H[0] = 1 + t;
                    H[2] = -t * w / 2;
                    H[4] = 1 + t / 2;
                } else {
                    H[6] = t / w;
                    H[4] = 1 + t;
                    H[5] = -t * h / 2;
                    H[0] = 1 + t / 2;
                }
                hash_warped(r, H, (unsigned)w, (unsigned)h, bgs[b], &r->tilted[r->ntilted++]);
            }
    }
}

/* Same cut size and the same level-0 mask, pixel for pixel. */
static bool same_mask0(const struct ref *a, const struct ref *b)
{
    const struct tmpl *x = &a->lv[0], *y = &b->lv[0];
    return a->luma.w == b->luma.w && a->luma.h == b->luma.h && x->w == y->w && x->h == y->h && x->n == y->n &&
           x->nruns == y->nruns && !memcmp(x->xy, y->xy, x->n * sizeof(*x->xy)) &&
           !memcmp(x->runs, y->runs, 2 * x->nruns * sizeof(*x->runs));
}

static bool add_one(struct sg_logo_set *s, const char *name, const struct sg_image *img, char *err, size_t errlen)
{
    /* Cut to the opaque box: padding in the file is not the logo. */
    unsigned x0 = img->w, y0 = img->h, x1 = 0, y1 = 0;
    for (unsigned y = 0; y < img->h; y++)
        for (unsigned x = 0; x < img->w; x++)
            if (img->rgba[((size_t)y * img->w + x) * 4 + 3] > 127) {
                x0 = x < x0 ? x : x0;
                y0 = y < y0 ? y : y0;
                x1 = x + 1 > x1 ? x + 1 : x1;
                y1 = y + 1 > y1 ? y + 1 : y1;
            }
    if (x1 <= x0 || y1 <= y0 || x1 - x0 < 16 || y1 - y0 < 16) {
        snprintf(err, errlen, "has fewer than 16x16 opaque pixels");
        return false;
    }
    struct ref r = {0};
    r.name = sg_xstrdup(name);
    memcpy(r.sha, img->sha256, 32);
    plane_init(&r.luma, x1 - x0, y1 - y0);
    plane_init(&r.alpha, x1 - x0, y1 - y0);
    for (unsigned y = y0; y < y1; y++)
        for (unsigned x = x0; x < x1; x++) {
            const uint8_t *p = img->rgba + ((size_t)y * img->w + x) * 4;
            size_t i = (size_t)(y - y0) * r.luma.w + (x - x0);
            r.luma.v[i] = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
            r.alpha.v[i] = p[3] / 255.0f;
        }
    pyramid_build(&r.pl, &r.luma);
    pyramid_build(&r.pa, &r.alpha);
    /* Whole-picture hashes of the file as it is and cut to its box. */
    struct plane flat;
    plane_init(&flat, img->w, img->h);
    unsigned maxq = 0;
    for (unsigned b = 0; b < 3; b++) {
        sg_pdq_luma_rgba(img->rgba, img->w, img->h, backgrounds[b], flat.v);
        sg_pdq_hash8(flat.v, flat.w, flat.h, r.pdq[0][b]);
        struct plane cut = {r.luma.w, r.luma.h, NULL};
        plane_init(&cut, r.luma.w, r.luma.h);
        float by = 0.299f * backgrounds[b][0] + 0.587f * backgrounds[b][1] + 0.114f * backgrounds[b][2];
        for (size_t i = 0; i < (size_t)cut.w * cut.h; i++)
            cut.v[i] = r.alpha.v[i] * r.luma.v[i] + (1 - r.alpha.v[i]) * by;
        hash_trimmed(&cut, r.pdq[1][b], true);
        plane_free(&cut);
        maxq = r.pdq[1][b][0].quality > maxq ? r.pdq[1][b][0].quality : maxq;
    }
    plane_free(&flat);
    bool ok = maxq >= 20;
    if (ok)
        tilted_hashes(&r);
    for (unsigned l = 0; ok && l < NLEVELS; l++)
        ok = tmpl_build(&r, level_area[l], &r.lv[l]);
    if (!ok) {
        snprintf(err, errlen, "is nearly featureless (a flat colour?)");
        ref_free(&r);
        return false;
    }
    /* Too few keypoints is no error: stage 3 then skips this reference. */
    if (s->o.keypoints && sg_logo_kp_ref(r.luma.v, r.alpha.v, r.luma.w, r.luma.h, &r.kp) < 0) {
        snprintf(err, errlen, "could not be prepared for keypoint matching (out of memory?)");
        ref_free(&r);
        return false;
    }
    /* Variants drawn on one outline (crest, mono, reversed) share their
     * level-0 mask: stage 2's first level then scales the picture and sums
     * under the mask once for them all. */
    r.same0 = s->n;
    for (size_t i = 0; i < s->n && r.same0 == s->n; i++)
        if (same_mask0(&s->refs[i], &r))
            r.same0 = i;
    s->refs = sg_xrealloc(s->refs, (s->n + 1) * sizeof(*s->refs));
    s->refs[s->n++] = r;
    return true;
}

bool sg_logo_set_add(struct sg_logo_set *s, const char *name, const struct sg_image *ref, char *err, size_t errlen)
{
    if (!add_one(s, name, ref, err, errlen))
        return false;
    if (!s->o.turned)
        return true;
    /* Region search has no rotation of its own: the turned and mirrored
     * references are references too (stage 1 has them from the hash). */
    for (unsigned t = 0; t < 8; t++) {
        if (t == 0)
            continue;
        struct sg_image o = turn(ref, t % 4, t >= 4);
        char e2[128];
        add_one(s, name, &o, e2, sizeof(e2));
        free(o.rgba);
    }
    return true;
}

void sg_logo_set_free(struct sg_logo_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        ref_free(&s->refs[i]);
    free(s->refs);
    free(s);
}

/* ---- search ---- */

/* Exact masked NCC of template (xy, t, n) at (x, y) of plane p. Two
 * sums of each kind, so the additions do not wait on one another. */
static double ncc_at(const struct plane *p, const unsigned *xy, const float *t, size_t n, unsigned x, unsigned y)
{
    double n0 = 0, n1 = 0, s0 = 0, s1 = 0, q0 = 0, q1 = 0;
    const float *base = p->v + (size_t)y * p->w + x;
    size_t w = p->w, i = 0;
#define PIX(k) ((double)base[(size_t)(xy[k] >> 16) * w + (xy[k] & 0xffff)])
    for (; i + 2 <= n; i += 2) {
        double a = PIX(i), b = PIX(i + 1);
        n0 += t[i] * a;
        n1 += t[i + 1] * b;
        s0 += a;
        s1 += b;
        q0 += a * a;
        q1 += b * b;
    }
    if (i < n) {
        double a = PIX(i);
        n0 += t[i] * a;
        s0 += a;
        q0 += a * a;
    }
#undef PIX
    double su = s0 + s1, var = (q0 + q1) - su * su / (double)n;
    return var > 1e-6 * n ? (n0 + n1) / sqrt(var) : 0;
}

struct cand {
    size_t ref;
    double x, y, w;              /* logo box in working pixels (h from the aspect) */
    double score, sl, se;
};

static void keep_best(struct cand *list, size_t *n, size_t max, const struct cand *c)
{
    size_t i;
    if (*n < max) {
        i = (*n)++;
    } else {
        i = max - 1;
        if (list[i].score >= c->score)
            return;
    }
    list[i] = *c;
    while (i > 0 && list[i - 1].score < list[i].score) {
        struct cand t = list[i - 1];
        list[i - 1] = list[i];
        list[i] = t;
        i--;
    }
}

/* Refines c at template level l: rad pixels around, scales 1/f, 1, f. */
static struct cand refine(const struct pyramid *py, const struct ref *r, unsigned l, struct cand c, unsigned rad,
                          double f)
{
    const struct tmpl *t = &r->lv[l];
    struct cand best = c;
    best.score = -2;
    for (int si = -1; si <= 1; si++) {
        double w = c.w * (si < 0 ? 1 / f : si > 0 ? f : 1);
        double cx = c.x + c.w / 2, cy = c.y + c.w * r->luma.h / r->luma.w / 2;
        double x = cx - w / 2, y = cy - w * r->luma.h / r->luma.w / 2;
        double k = t->w / w;
        struct plane win, e;
        plane_init(&win, t->w + 2 * rad, t->h + 2 * rad);
        double ox = floor(x * k) - rad, oy = floor(y * k) - rad;
        sample(py, k, ox, oy, &win);
        edges(&win, &e);
        for (unsigned dy = 0; dy <= 2 * rad; dy++)
            for (unsigned dx = 0; dx <= 2 * rad; dx++) {
                double sl = ncc_at(&win, t->xy, t->t, t->n, dx, dy);
                /* The lower counts: no edges needed where luminance alone
                 * cannot beat the best. */
                if (sl <= best.score)
                    continue;
                double se = t->ne ? ncc_at(&e, t->exy, t->te, t->ne, dx, dy) : sl;
                double sc = l == 0 ? sl : (sl < se ? sl : se);
                if (sc > best.score) {
                    best.score = sc;
                    best.sl = sl;
                    best.se = se;
                    best.x = (ox + dx) / k;
                    best.y = (oy + dy) / k;
                    best.w = w;
                }
            }
        plane_free(&win);
        plane_free(&e);
    }
    best.ref = c.ref;
    return best;
}

/* Vectors of the width every x86-64 (SSE2) and arm64 (NEON) machine has:
 * wider generic vectors are split by the compiler, and kept in memory
 * when many are live. */
typedef float v4f __attribute__((vector_size(16)));
typedef double v2d __attribute__((vector_size(16)));

/* Positions of a level-0 row done at once (eight vectors of 4, four
 * pairs of 2 for the sums), with the slack every buffer below keeps past
 * its last row for them. */
#define NUM_BLOCK 32
#define DEN_BLOCK 8

/* The correlation's numerator for one row of positions: m[x] = sum over
 * the template's pixels of t * img at (x + tx, y + ty), x < px. A block
 * of positions stays in registers across all the template's pixels (a
 * sum per lane, in the template's order, as one row at a time would add
 * them); whole blocks are read and written, into the buffers' slack. */
static void num_row(const float *img, const unsigned *off, const float *t, size_t n, unsigned px, float *m)
{
    for (unsigned x = 0; x < px; x += NUM_BLOCK) {
        v4f a[8] = {{0}};
        for (size_t i = 0; i < n; i++) {
            const float *p = img + off[i] + x;
            v4f tv = {t[i], t[i], t[i], t[i]};
            for (int j = 0; j < 8; j++) {
                v4f b;
                memcpy(&b, p + 4 * j, sizeof(b));
                a[j] += tv * b;
            }
        }
        memcpy(m + x, a, sizeof(a));
    }
}

/* The mask's sum and sum of squares for one row of positions, from row
 * prefix sums (ii, i2: a 0 then the running sums), one run of mask pixels
 * at a time, blocks of positions in registers as above. */
static void den_row(const double *ii, const double *i2, size_t iw, const struct tmpl *t, unsigned y, unsigned px,
                    double *s1, double *s2)
{
    for (unsigned x = 0; x < px; x += DEN_BLOCK) {
        v2d p[4] = {{0}}, q[4] = {{0}};
        for (size_t i = 0; i < t->nruns; i++) {
            unsigned ty = t->runs[2 * i] >> 16, x0 = t->runs[2 * i] & 0xffff, x1 = t->runs[2 * i + 1];
            const double *pr = ii + (size_t)(y + ty) * iw + x, *qr = i2 + (size_t)(y + ty) * iw + x;
            for (int j = 0; j < 4; j++) {
                v2d a1, a0, b1, b0;
                memcpy(&a1, pr + x1 + 2 * j, sizeof(a1));
                memcpy(&a0, pr + x0 + 2 * j, sizeof(a0));
                memcpy(&b1, qr + x1 + 2 * j, sizeof(b1));
                memcpy(&b0, qr + x0 + 2 * j, sizeof(b0));
                p[j] += a1 - a0;
                q[j] += b1 - b0;
            }
        }
        memcpy(s1 + x, p, sizeof(p));
        memcpy(s2 + x, q, sizeof(q));
    }
}

/* The best few local maxima of one map (at least the floor, best first,
 * none within half a template of a better) into out. */
static void peaks(const float *map, unsigned px, unsigned pyn, double k, double w, const struct tmpl *t, size_t ri,
                  struct cand *out, size_t *nout, size_t max)
{
    const float floor2 = (float)(COARSE_FLOOR * COARSE_FLOOR);
    struct cand loc[PER_SCALE];
    size_t nloc = 0;
    for (unsigned y = 0; y < pyn; y++)
        for (unsigned x = 0; x < px; x++) {
            float v = map[(size_t)y * px + x];
            if (v < floor2)
                continue;
            bool peak = true;
            for (int dy = -1; dy <= 1 && peak; dy++)
                for (int dx = -1; dx <= 1 && peak; dx++) {
                    int nx = (int)x + dx, ny = (int)y + dy;
                    if ((dx || dy) && nx >= 0 && ny >= 0 && nx < (int)px && ny < (int)pyn &&
                        map[(size_t)ny * px + nx] > v)
                        peak = false;
                }
            if (!peak)
                continue;
            bool near = false;
            for (size_t i = 0; i < nloc && !near; i++)
                near = fabs(loc[i].x * k - x) < t->w / 2.0 && fabs(loc[i].y * k - y) < t->h / 2.0 &&
                       loc[i].score >= v;
            if (near)
                continue;
            struct cand c = {.ref = ri, .x = x / k, .y = y / k, .w = w, .score = v};
            keep_best(loc, &nloc, PER_SCALE, &c);
        }
    for (size_t i = 0; i < nloc; i++) {
        loc[i].score = sqrt(loc[i].score);
        keep_best(out, nout, max, &loc[i]);
    }
}

/* Level 0 over every scale for references ris[0..nr) that share their
 * level-0 mask and size (a crest, its mono and reversed variants): the
 * scaled picture and the sums under the mask are made once for them all,
 * a numerator and a map for each. out[j * max ...] and nout[j] get the
 * best few places of ris[j]. Each map holds the correlation squared with
 * its sign (no square root per position: the order is the same), the
 * root taken for the few kept. */
static void coarse(const struct pyramid *py, const struct sg_logo_set *s, const size_t *ris, size_t nr,
                   double min_w, struct cand *out, size_t *nout, size_t max)
{
    const struct ref *r = &s->refs[ris[0]];
    const struct tmpl *t = &r->lv[0];
    const struct plane *base = &py->lv[0];
    double aspect = (double)r->luma.h / r->luma.w;
    /* Logo width from the smallest allowed up to what fits. */
    double w_max = base->w < base->h / aspect ? base->w : base->h / aspect;
    double k_budget = sqrt((double)COARSE_MAX_POS / ((double)base->w * base->h));
    double w_lo = min_w > t->w / k_budget ? min_w : t->w / k_budget;
    /* Sized by the first (largest) scale, then reused for the others. */
    float *pix = NULL, *map = NULL;
    double *ii = NULL, *i2 = NULL, *s1 = NULL, *s2 = NULL;
    unsigned *off = sg_xmalloc((t->n ? t->n : 1) * sizeof(unsigned));
    size_t mapn = 0;
    for (double w = w_lo; w <= w_max * 1.001; w *= SCALE_STEP) {
        double k = t->w / w;
        unsigned sw = (unsigned)(base->w * k), sh = (unsigned)(base->h * k);
        if (sw < t->w || sh < t->h)
            break;
        unsigned px = sw - t->w + 1, pyn = sh - t->h + 1;
        size_t iw = sw + 1;
        if (!pix) {
            mapn = (size_t)px * pyn + NUM_BLOCK;
            pix = sg_xmalloc(((size_t)sw * sh + NUM_BLOCK) * sizeof(float));
            map = sg_xmalloc(nr * mapn * sizeof(float));
            /* Doubles: a difference of two long float sums would lose the
             * variance of a flat patch to rounding. */
            ii = sg_xmalloc((iw * sh + DEN_BLOCK) * sizeof(double));
            i2 = sg_xmalloc((iw * sh + DEN_BLOCK) * sizeof(double));
            s1 = sg_xmalloc((px + DEN_BLOCK) * sizeof(double));
            s2 = sg_xmalloc((px + DEN_BLOCK) * sizeof(double));
        }
        struct plane img = {sw, sh, pix};
        sample(py, k, 0, 0, &img);
        /* The slack is read (its sums land past the row's last position). */
        memset(pix + (size_t)sw * sh, 0, NUM_BLOCK * sizeof(float));
        /* Row prefix sums of the values and their squares: the sums under
         * the mask are then two reads per run of mask pixels in a row. */
        for (unsigned y = 0; y < sh; y++) {
            double rs = 0, r2 = 0;
            ii[y * iw] = i2[y * iw] = 0;
            for (unsigned x = 0; x < sw; x++) {
                double v = img.v[(size_t)y * sw + x];
                rs += v;
                r2 += v * v;
                ii[y * iw + x + 1] = rs;
                i2[y * iw + x + 1] = r2;
            }
        }
        memset(ii + iw * sh, 0, DEN_BLOCK * sizeof(double));
        memset(i2 + iw * sh, 0, DEN_BLOCK * sizeof(double));
        for (size_t i = 0; i < t->n; i++)
            off[i] = (t->xy[i] >> 16) * sw + (t->xy[i] & 0xffff);
        double nm = (double)t->n, thr = 1e-3 * nm;
        for (unsigned y = 0; y < pyn; y++) {
            den_row(ii, i2, iw, t, y, px, s1, s2);
            for (size_t j = 0; j < nr; j++) {
                float *m = map + j * mapn + (size_t)y * px;
                num_row(pix + (size_t)y * sw, off, s->refs[ris[j]].lv[0].t, t->n, px, m);
                for (unsigned x = 0; x < px; x++) {
                    double var = s2[x] - s1[x] * s1[x] / nm;
                    m[x] = var > thr ? (float)(m[x] * fabs(m[x]) / var) : 0;
                }
            }
        }
        for (size_t j = 0; j < nr; j++)
            peaks(map + j * mapn, px, pyn, k, w, t, ris[j], out + j * max, &nout[j], max);
    }
    free(pix);
    free(map);
    free(ii);
    free(i2);
    free(s1);
    free(s2);
    free(off);
}

/* PDQ of the crop against the reference composed over that same crop. */
static unsigned verify(const struct plane *work, const struct ref *r, const struct cand *c)
{
    double h = c->w * r->luma.h / r->luma.w;
    long x0 = lround(c->x), y0 = lround(c->y), w = lround(c->w), hh = lround(h);
    if (x0 < 0)
        x0 = 0;
    if (y0 < 0)
        y0 = 0;
    if (x0 + w > (long)work->w)
        w = (long)work->w - x0;
    if (y0 + hh > (long)work->h)
        hh = (long)work->h - y0;
    if (w < 8 || hh < 8)
        return 256;
    struct plane crop, comp, rl, ra;
    plane_init(&crop, (unsigned)w, (unsigned)hh);
    plane_init(&comp, (unsigned)w, (unsigned)hh);
    for (long y = 0; y < hh; y++)
        memcpy(crop.v + y * w, work->v + (size_t)(y0 + y) * work->w + x0, (size_t)w * sizeof(float));
    plane_init(&rl, (unsigned)w, (unsigned)hh);
    plane_init(&ra, (unsigned)w, (unsigned)hh);
    double k = (double)w / r->luma.w;
    sample(&r->pl, k, 0, 0, &rl);
    sample(&r->pa, k, 0, 0, &ra);
    for (size_t i = 0; i < (size_t)w * hh; i++)
        comp.v[i] = ra.v[i] * rl.v[i] + (1 - ra.v[i]) * crop.v[i];
    struct sg_pdq a, b;
    sg_pdq_hash(crop.v, crop.w, crop.h, &a);
    sg_pdq_hash(comp.v, comp.w, comp.h, &b);
    plane_free(&crop);
    plane_free(&comp);
    plane_free(&rl);
    plane_free(&ra);
    return sg_pdq_distance(&a, &b);
}

/* Working luminance on white, long side at most WORK_MAX, by averaging
 * whole blocks of source pixels. */
static double working(const struct sg_image *img, struct plane *out)
{
    unsigned lng = img->w > img->h ? img->w : img->h;
    unsigned f = (lng + WORK_MAX - 1) / WORK_MAX;
    if (f < 1)
        f = 1;
    plane_init(out, img->w / f ? img->w / f : 1, img->h / f ? img->h / f : 1);
    if (f == 1) {
        /* The common case (the decoders shrink on load): one pixel each,
         * in a loop the compiler keeps branch-free for opaque pixels. */
        size_t n = (size_t)img->w * img->h;
        const uint8_t *q = img->rgba;
        for (size_t i = 0; i < n; i++, q += 4) {
            float yv = 0.299f * q[0] + 0.587f * q[1] + 0.114f * q[2];
            out->v[i] = q[3] == 255 ? yv : (yv * q[3] + 255.0f * (255 - q[3])) / 255.0f;
        }
        return 1.0;
    }
    float norm = 1.0f / (f * f);
    float *row = sg_xmalloc(out->w * sizeof(float));
    for (unsigned y = 0; y < out->h; y++) {
        memset(row, 0, out->w * sizeof(float));
        for (unsigned sy = y * f; sy < (y + 1) * f && sy < img->h; sy++) {
            const uint8_t *p = img->rgba + (size_t)sy * img->w * 4;
            for (unsigned x = 0; x < out->w; x++) {
                float acc = 0;
                for (unsigned sx = x * f; sx < (x + 1) * f; sx++) {
                    const uint8_t *q = p + (size_t)sx * 4;
                    float yv = 0.299f * q[0] + 0.587f * q[1] + 0.114f * q[2];
                    acc += q[3] == 255 ? yv : (yv * q[3] + 255.0f * (255 - q[3])) / 255.0f;
                }
                row[x] += acc;
            }
        }
        for (unsigned x = 0; x < out->w; x++)
            out->v[(size_t)y * out->w + x] = row[x] * norm;
    }
    free(row);
    return 1.0 / f;
}

static int stage1(const struct sg_logo_set *s, const struct pyramid *py, struct sg_logo_hit *hit)
{
    const struct plane *work = &py->lv[0];
    struct sg_pdq h[2];
    /* The whole picture's hash from the pyramid's half the hash would make
     * itself: the same bits without copying or halving it again. */
    unsigned l = sg_pdq_halvings(work->w, work->h);
    if (l < py->n)
        sg_pdq_hash(py->lv[l].v, py->lv[l].w, py->lv[l].h, &h[0]);
    else
        hash_box(work, 0, 0, work->w, work->h, &h[0], false);
    unsigned x0, y0, x1, y1;
    trim_box(work, &x0, &y0, &x1, &y1);
    if (x0 || y0 || x1 < work->w || y1 < work->h)
        hash_box(work, x0, y0, x1, y1, &h[1], false);
    else
        h[1] = h[0];
    unsigned best = 257;
    size_t bi = 0;
    for (unsigned v = 0; v < 2; v++) {
        /* A flat or near-empty picture hashes to noise. */
        if (h[v].quality < 20)
            continue;
        for (size_t i = 0; i < s->n; i++)
            for (unsigned a = 0; a < 2; a++)
                for (unsigned b = 0; b < 3; b++)
                    for (unsigned d = 0; d < 8; d++) {
                        unsigned dist = sg_pdq_distance(&h[v], &s->refs[i].pdq[a][b][d]);
                        if (dist < best) {
                            best = dist;
                            bi = i;
                        }
                    }
        for (size_t i = 0; i < s->n; i++)
            for (size_t t = 0; t < s->refs[i].ntilted; t++) {
                unsigned dist = sg_pdq_distance(&h[v], &s->refs[i].tilted[t]);
                if (dist < best) {
                    best = dist;
                    bi = i;
                }
            }
    }
    if (best > s->o.threshold)
        return 0;
    hit->name = s->refs[bi].name;
    hit->score = 1.0 - best / 256.0;
    hit->stage = 1;
    return 1;
}

/* ---- stage 3: keypoint proposals, checked here ---- */

/* The picture brought back to the reference's frame through H (reference
 * pixels -> working pixels) and a bent proposal's displacements (bend, or
 * NULL): output pixel (i, j) is reference pixel
 * ((ox + i + 0.5) / k - 0.5, (oy + j + 0.5) / k - 0.5), read from the
 * pyramid level just finer than the map's local scale. */
static void warp_back(const struct pyramid *py, const double H[9], const struct sg_logo_kp_cand *bend, double k,
                      double ox, double oy, struct plane *out)
{
    double det = (H[0] * H[4] - H[1] * H[3]) / (H[8] * H[8]);
    double scale = sqrt(fabs(det)) / k;  /* working pixels per output pixel */
    unsigned l = 0;
    while (l + 1 < py->n && scale >= (double)(2u << l))
        l++;
    const struct plane *src = &py->lv[l];
    double f = (double)(1u << l);
    for (unsigned j = 0; j < out->h; j++)
        for (unsigned i = 0; i < out->w; i++) {
            double u = (ox + i + 0.5) / k - 0.5, v = (oy + j + 0.5) / k - 0.5;
            double z = H[6] * u + H[7] * v + H[8];
            double x = (H[0] * u + H[1] * v + H[2]) / z, y = (H[3] * u + H[4] * v + H[5]) / z;
            if (bend) {
                double dx, dy;
                sg_logo_kp_bend_at(bend, u, v, &dx, &dy);
                x += dx;
                y += dy;
            }
            x = (x + 0.5) / f - 0.5;
            y = (y + 0.5) / f - 0.5;
            x = x < 0 ? 0 : x > src->w - 1 ? src->w - 1 : x;
            y = y < 0 ? 0 : y > src->h - 1 ? src->h - 1 : y;
            unsigned ix = (unsigned)x, iy = (unsigned)y;
            unsigned jx = ix + 1 < src->w ? ix + 1 : ix, jy = iy + 1 < src->h ? iy + 1 : iy;
            float fx = (float)(x - ix), fy = (float)(y - iy);
            const float *r0 = src->v + (size_t)iy * src->w, *r1 = src->v + (size_t)jy * src->w;
            float a = r0[ix] + (r0[jx] - r0[ix]) * fx, b = r1[ix] + (r1[jx] - r1[ix]) * fx;
            out->v[(size_t)j * out->w + i] = a + (b - a) * fy;
        }
}

/* The finest template's correlation (luminance and edges, the lower) at
 * the place H (and bend, or NULL) maps the reference to; luminance alone
 * when that is no more than beat (the lower could not be more either). */
static double score_at(const struct pyramid *py, const struct ref *r, const double H[9],
                       const struct sg_logo_kp_cand *bend, double beat)
{
    const struct tmpl *t = &r->lv[NLEVELS - 1];
    struct plane win;
    plane_init(&win, t->w, t->h);
    warp_back(py, H, bend, (double)t->w / r->luma.w, 0, 0, &win);
    double sl = ncc_at(&win, t->xy, t->t, t->n, 0, 0), se = sl;
    if (t->ne && sl > beat) {
        struct plane e;
        edges(&win, &e);
        se = ncc_at(&e, t->exy, t->te, t->ne, 0, 0);
        plane_free(&e);
    }
    plane_free(&win);
    return sl < se ? sl : se;
}

/* H' = C M C^-1 H: M a small move of the located logo about its centre
 * (cx, cy), parameters p: shift x, y (pixels), the linear part's four
 * entries less identity, and the two perspective terms (per pixel). */
static void nudge(const double H[9], const double p[8], double cx, double cy, double out[9])
{
    double M[9] = {1 + p[2], p[3], p[0], p[4], 1 + p[5], p[1], p[6], p[7], 1};
    double C[9] = {1, 0, cx, 0, 1, cy, 0, 0, 1}, Ci[9] = {1, 0, -cx, 0, 1, -cy, 0, 0, 1}, A[9], B[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            A[3 * i + j] = C[3 * i] * M[j] + C[3 * i + 1] * M[3 + j] + C[3 * i + 2] * M[6 + j];
        }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            B[3 * i + j] = A[3 * i] * Ci[j] + A[3 * i + 1] * Ci[3 + j] + A[3 * i + 2] * Ci[6 + j];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            out[3 * i + j] = B[3 * i] * H[j] + B[3 * i + 1] * H[3 + j] + B[3 * i + 2] * H[6 + j];
}

/* A proposal's score after a small coordinate search over the eight
 * parameters of nudge() (keypoints place a logo to a pixel or two, which
 * at the template's size costs correlation); -2 when the place, back in
 * the reference's frame, does not hash close to the reference composed
 * over it. H is updated to the refined map; a bent proposal's bend (or
 * NULL) is kept as it is. */
static double verify_kp(const struct pyramid *py, const struct ref *r, double H[9], const struct sg_logo_kp_cand *bend)
{
    const struct tmpl *t = &r->lv[NLEVELS - 1];
    double u = r->luma.w / 2.0, v = r->luma.h / 2.0, z = H[6] * u + H[7] * v + H[8];
    double cx = (H[0] * u + H[1] * v + H[2]) / z, cy = (H[3] * u + H[4] * v + H[5]) / z;
    double size = sqrt(fabs((H[0] * H[4] - H[1] * H[3]) / (H[8] * H[8]))) * r->luma.w;  /* logo width, working px */
    double px = size / t->w;     /* working pixels per template pixel */
    double step[8] = {px, px, 0.02, 0.02, 0.02, 0.02, 0.02 / size, 0.02 / size};
    double best = score_at(py, r, H, bend, -2);
    for (int round = 0; round < 3; round++) {
        bool moved = true;
        for (int pass = 0; pass < 4 && moved; pass++) {
            moved = false;
            for (int k = 0; k < 8; k++)
                for (int sgn = -1; sgn <= 1; sgn += 2) {
                    double p[8] = {0}, H2[9];
                    p[k] = sgn * step[k];
                    nudge(H, p, cx, cy, H2);
                    double sc = score_at(py, r, H2, bend, best + 1e-4);
                    if (sc > best + 1e-4) {
                        best = sc;
                        memcpy(H, H2, sizeof(H2));
                        moved = true;
                    }
                }
        }
        for (int k = 0; k < 8; k++)
            step[k] /= 2;
    }
    /* The hash check at a size PDQ sees well. */
    double kh = 96.0 / (r->luma.w > r->luma.h ? r->luma.w : r->luma.h);
    unsigned w = (unsigned)lround(r->luma.w * kh), h = (unsigned)lround(r->luma.h * kh);
    if (w < 8 || h < 8)
        return best;
    struct plane crop, comp, rl, ra;
    plane_init(&crop, w, h);
    plane_init(&comp, w, h);
    plane_init(&rl, w, h);
    plane_init(&ra, w, h);
    warp_back(py, H, bend, kh, 0, 0, &crop);
    sample(&r->pl, kh, 0, 0, &rl);
    sample(&r->pa, kh, 0, 0, &ra);
    for (size_t i = 0; i < (size_t)w * h; i++)
        comp.v[i] = ra.v[i] * rl.v[i] + (1 - ra.v[i]) * crop.v[i];
    struct sg_pdq a, b;
    sg_pdq_hash(crop.v, w, h, &a);
    sg_pdq_hash(comp.v, w, h, &b);
    plane_free(&crop);
    plane_free(&comp);
    plane_free(&rl);
    plane_free(&ra);
    return sg_pdq_distance(&a, &b) > VERIFY_BITS ? -2 : best;
}

/* 1 found (hit filled but for its box), 0 not, -1 internal error. */
static int stage3(const struct sg_logo_set *s, const struct plane *work, const struct pyramid *py,
                  struct sg_logo_hit *hit, double H_out[9])
{
    const struct sg_logo_kp **kps = sg_xcalloc(s->n, sizeof(*kps));
    for (size_t i = 0; i < s->n; i++)
        kps[i] = s->refs[i].kp;
    struct sg_logo_kp_cand c[KP_PROPOSALS + KP_BENT];
    int n = sg_logo_kp_match(kps, s->n, work->v, work->w, work->h, KP_MIN_INLIERS, c, KP_PROPOSALS, KP_BENT);
    free(kps);
    if (n < 0)
        return -1;
    double best = s->o.min_score / 100.0 - 1e-9;
    int found = 0;
    /* The plain proposals first; a bent one only where none of them passed,
     * and not refined where it starts far below the floor (most places
     * on other crests start under half, the curved logo above). */
    for (int i = 0; i < n; i++) {
        if (c[i].bent && found)
            break;
        const struct ref *r = &s->refs[c[i].ref];
        if (c[i].bent && score_at(py, r, c[i].H, &c[i], -2) < best - KP_BENT_START)
            continue;
        double sc = verify_kp(py, r, c[i].H, c[i].bent ? &c[i] : NULL);
        if (sc <= best)
            continue;
        best = sc;
        hit->name = s->refs[c[i].ref].name;
        hit->score = sc;
        hit->stage = 3;
        memcpy(H_out, c[i].H, sizeof(c[i].H));
        found = 1;
    }
    return found;
}

int sg_logo_find(const struct sg_logo_set *s, const struct sg_image *img, struct sg_logo_hit *hit)
{
    memset(hit, 0, sizeof(*hit));
    if (!s || !s->n || !img->rgba || img->w < 8 || img->h < 8)
        return 0;
    static const uint8_t zero[32];
    for (size_t i = 0; i < s->n; i++)
        if (memcmp(img->sha256, zero, 32) && !memcmp(img->sha256, s->refs[i].sha, 32)) {
            *hit = (struct sg_logo_hit){s->refs[i].name, 1.0, 0, 0, 0, img->w, img->h};
            return 1;
        }
    struct plane work;
    double ws = working(img, &work);
    struct pyramid py;
    pyramid_build(&py, &work);
    int found = stage1(s, &py, hit);
    if (found) {
        hit->w = img->w;
        hit->h = img->h;
        pyramid_free(&py);
        plane_free(&work);
        return 1;
    }
    double min_w = s->o.min_size * ws;
    struct cand c1[TO_FINE];
    size_t n1 = 0;
    size_t *ris = sg_xmalloc(s->n * sizeof(size_t)), *n0 = sg_xmalloc(s->n * sizeof(size_t));
    struct cand *c0 = sg_xmalloc(s->n * PER_REF * sizeof(struct cand));
    for (size_t ri = 0; ri < s->n; ri++) {
        const struct ref *r = &s->refs[ri];
        if (r->same0 != ri)
            continue;            /* searched with the first of its kind */
        size_t nr = 0;
        for (size_t j = ri; j < s->n; j++)
            if (s->refs[j].same0 == ri) {
                ris[nr] = j;
                n0[nr++] = 0;
            }
        /* min_size is the longer side; the search runs on widths. */
        double mw = r->luma.w >= r->luma.h ? min_w : min_w * r->luma.w / r->luma.h;
        coarse(&py, s, ris, nr, mw, c0, n0, PER_REF);
        for (size_t j = 0; j < nr; j++)
            for (size_t i = 0; i < n0[j]; i++) {
                struct cand c = refine(&py, &s->refs[ris[j]], 1, c0[j * PER_REF + i], 2, 1.09);
                keep_best(c1, &n1, TO_FINE, &c);
            }
    }
    free(ris);
    free(n0);
    free(c0);
    struct cand best = {.score = -2};
    double floor_ = s->o.min_score / 100.0;
    for (size_t i = 0; i < n1; i++) {
        if (c1[i].score < floor_ - 0.15)
            continue;
        struct cand c = refine(&py, &s->refs[c1[i].ref], 2, c1[i], 2, 1.04);
        if (c.score < floor_ || c.score <= best.score)
            continue;
        if (verify(&work, &s->refs[c.ref], &c) > VERIFY_BITS)
            continue;
        best = c;
    }
    if (best.score < floor_) {
        int r3 = 0;
        double H[9];
        unsigned lng = work.w > work.h ? work.w : work.h;
        if (s->o.keypoints && lng >= KP_MIN_SIDE)
            r3 = stage3(s, &work, &py, hit, H);
        if (r3 == 1) {
            /* The box around the reference's corners, in the picture. */
            const struct ref *r = &s->refs[0];
            for (size_t i = 0; i < s->n; i++)
                if (s->refs[i].name == hit->name)
                    r = &s->refs[i];
            double x0 = 1e18, y0 = 1e18, x1 = -1e18, y1 = -1e18;
            for (unsigned q = 0; q < 4; q++) {
                double u = q % 3 ? r->luma.w : 0, v = q >= 2 ? r->luma.h : 0, z = H[6] * u + H[7] * v + H[8];
                double x = (H[0] * u + H[1] * v + H[2]) / z, y = (H[3] * u + H[4] * v + H[5]) / z;
                x0 = x < x0 ? x : x0;
                y0 = y < y0 ? y : y0;
                x1 = x > x1 ? x : x1;
                y1 = y > y1 ? y : y1;
            }
            hit->x = (unsigned)(x0 > 0 ? x0 / ws : 0);
            hit->y = (unsigned)(y0 > 0 ? y0 / ws : 0);
            hit->w = (unsigned)((x1 - (x0 > 0 ? x0 : 0)) / ws);
            hit->h = (unsigned)((y1 - (y0 > 0 ? y0 : 0)) / ws);
        }
        pyramid_free(&py);
        plane_free(&work);
        return r3;
    }
    pyramid_free(&py);
    plane_free(&work);
    const struct ref *r = &s->refs[best.ref];
    hit->name = r->name;
    hit->score = best.score;
    hit->stage = 2;
    hit->x = (unsigned)(best.x > 0 ? best.x / ws : 0);
    hit->y = (unsigned)(best.y > 0 ? best.y / ws : 0);
    hit->w = (unsigned)(best.w / ws);
    hit->h = (unsigned)(best.w * r->luma.h / r->luma.w / ws);
    return 1;
}
