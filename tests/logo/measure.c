/*
 * measure.c - the logo detector against a generated corpus: recall per
 * class of positives and the false-positive rate over the negatives, with
 * the figures issue 10 asks for asserted.
 *
 *   measure DIR [--bench]
 *
 * DIR holds what gen.sh drew (PAM files). Everything else is made here
 * from a seeded generator, so a run is the same every time: resizes,
 * crops, padding, backgrounds, turns, mirrors, perspective warps, pastes
 * into fractal "photos", letterheads and screenshots, and the negatives.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sg_logo.h"
#include "sg_util.h"

static uint64_t rng = 0x5eed1090c0ffee11ull;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static double frand(double a, double b)
{
    return a + (b - a) * (rnd() / 4294967296.0);
}

static unsigned urand(unsigned a, unsigned b)
{
    return a + rnd() % (b - a + 1);
}

static struct sg_image img_new(unsigned w, unsigned h)
{
    struct sg_image m = {.w = w, .h = h};
    m.rgba = sg_xcalloc((size_t)w * h, 4);
    return m;
}

static void img_drop(struct sg_image *m)
{
    free(m->rgba);
    m->rgba = NULL;
}

/* PAM (P7) with 1..4 channels of 8 bits. */
static bool read_pam(const char *path, struct sg_image *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char line[256];
    unsigned w = 0, h = 0, depth = 0, maxval = 0;
    while (fgets(line, sizeof(line), f) && strncmp(line, "ENDHDR", 6)) {
        sscanf(line, "WIDTH %u", &w);
        sscanf(line, "HEIGHT %u", &h);
        sscanf(line, "DEPTH %u", &depth);
        sscanf(line, "MAXVAL %u", &maxval);
    }
    if (!w || !h || depth < 1 || depth > 4 || maxval != 255) {
        fclose(f);
        return false;
    }
    *out = img_new(w, h);
    unsigned char *row = sg_xmalloc((size_t)w * depth);
    for (unsigned y = 0; y < h; y++) {
        if (fread(row, depth, w, f) != w)
            break;
        for (unsigned x = 0; x < w; x++) {
            unsigned char *p = out->rgba + ((size_t)y * w + x) * 4, *q = row + (size_t)x * depth;
            p[0] = q[0];
            p[1] = depth >= 3 ? q[1] : q[0];
            p[2] = depth >= 3 ? q[2] : q[0];
            p[3] = depth == 4 ? q[3] : depth == 2 ? q[1] : 255;
        }
    }
    free(row);
    fclose(f);
    return true;
}

/* Bilinear read of straight RGBA with premultiplied blending. */
static void read_px(const struct sg_image *m, double u, double v, double out[4])
{
    if (u < -0.5 || v < -0.5 || u > m->w - 0.5 || v > m->h - 0.5) {
        out[0] = out[1] = out[2] = out[3] = 0;
        return;
    }
    u = u < 0 ? 0 : u > m->w - 1 ? m->w - 1 : u;
    v = v < 0 ? 0 : v > m->h - 1 ? m->h - 1 : v;
    unsigned x = (unsigned)u, y = (unsigned)v, x1 = x + 1 < m->w ? x + 1 : x, y1 = y + 1 < m->h ? y + 1 : y;
    double fx = u - x, fy = v - y, acc[4] = {0};
    const unsigned xs[2] = {x, x1}, ys[2] = {y, y1};
    const double wx[2] = {1 - fx, fx}, wy[2] = {1 - fy, fy};
    for (int j = 0; j < 2; j++)
        for (int i = 0; i < 2; i++) {
            const unsigned char *p = m->rgba + ((size_t)ys[j] * m->w + xs[i]) * 4;
            double wgt = wx[i] * wy[j], a = p[3] / 255.0;
            for (int c = 0; c < 3; c++)
                acc[c] += wgt * a * p[c];
            acc[3] += wgt * a;
        }
    for (int c = 0; c < 3; c++)
        out[c] = acc[3] > 1e-9 ? acc[c] / acc[3] : 0;
    out[3] = acc[3];
}

/* Resize by area: box-average when shrinking, bilinear when growing. */
static struct sg_image resize(const struct sg_image *m, unsigned w, unsigned h)
{
    struct sg_image o = img_new(w ? w : 1, h ? h : 1);
    double sx = (double)m->w / o.w, sy = (double)m->h / o.h;
    unsigned nx = sx > 1 ? (unsigned)ceil(sx) : 1, ny = sy > 1 ? (unsigned)ceil(sy) : 1;
    for (unsigned y = 0; y < o.h; y++)
        for (unsigned x = 0; x < o.w; x++) {
            double acc[4] = {0}, a = 0;
            for (unsigned j = 0; j < ny; j++)
                for (unsigned i = 0; i < nx; i++) {
                    double px[4];
                    read_px(m, (x + (i + 0.5) / nx) * sx - 0.5, (y + (j + 0.5) / ny) * sy - 0.5, px);
                    for (int c = 0; c < 3; c++)
                        acc[c] += px[c] * px[3];
                    a += px[3];
                }
            unsigned char *p = o.rgba + ((size_t)y * o.w + x) * 4;
            for (int c = 0; c < 3; c++)
                p[c] = (unsigned char)lround(a > 1e-9 ? acc[c] / a : 0);
            p[3] = (unsigned char)lround(255 * a / (nx * ny));
        }
    return o;
}

/* Inverse-mapped warp: out(x, y) = in(H (x, y)), H a 3x3 homography. */
static struct sg_image warp(const struct sg_image *m, unsigned w, unsigned h, const double H[9])
{
    struct sg_image o = img_new(w, h);
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            double z = H[6] * x + H[7] * y + H[8];
            double u = (H[0] * x + H[1] * y + H[2]) / z, v = (H[3] * x + H[4] * y + H[5]) / z, px[4];
            read_px(m, u, v, px);
            unsigned char *p = o.rgba + ((size_t)y * w + x) * 4;
            for (int c = 0; c < 3; c++)
                p[c] = (unsigned char)lround(px[c]);
            p[3] = (unsigned char)lround(px[3] * 255);
        }
    return o;
}

static struct sg_image rotate(const struct sg_image *m, double deg)
{
    double a = deg * M_PI / 180, c = cos(a), s = sin(a);
    unsigned w = (unsigned)ceil(fabs(m->w * c) + fabs(m->h * s)), h = (unsigned)ceil(fabs(m->w * s) + fabs(m->h * c));
    double cx = w / 2.0, cy = h / 2.0, mx = m->w / 2.0, my = m->h / 2.0;
    double H[9] = {c, s, mx - c * cx - s * cy, -s, c, my + s * cx - c * cy, 0, 0, 1};
    return warp(m, w, h, H);
}

/* A print on a curved or tilted surface, as a projective warp: one side
 * narrowed by t. */
static struct sg_image perspective(const struct sg_image *m, double t, bool vertical)
{
    unsigned w = m->w, h = m->h;
    /* Maps the output square onto the input with the far edge shrunk: the
     * inverse of a keystone. */
    double H[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    if (vertical) {
        H[6] = 0;
        H[7] = t / h;
        H[0] = 1 + t;
        H[2] = -t * w / 2;
        H[1] = 0;
        H[8] = 1;
        H[4] = 1 + t / 2;
    } else {
        H[6] = t / w;
        H[4] = 1 + t;
        H[5] = -t * h / 2;
        H[0] = 1 + t / 2;
    }
    return warp(m, w, h, H);
}

static struct sg_image mirror(const struct sg_image *m)
{
    struct sg_image o = img_new(m->w, m->h);
    for (unsigned y = 0; y < m->h; y++)
        for (unsigned x = 0; x < m->w; x++)
            memcpy(o.rgba + ((size_t)y * m->w + x) * 4, m->rgba + ((size_t)y * m->w + m->w - 1 - x) * 4, 4);
    return o;
}

static struct sg_image crop(const struct sg_image *m, unsigned x0, unsigned y0, unsigned w, unsigned h)
{
    struct sg_image o = img_new(w, h);
    for (unsigned y = 0; y < h; y++)
        memcpy(o.rgba + (size_t)y * w * 4, m->rgba + ((size_t)(y0 + y) * m->w + x0) * 4, (size_t)w * 4);
    return o;
}

static void flatten(struct sg_image *m, const unsigned char bg[3])
{
    for (size_t i = 0; i < (size_t)m->w * m->h; i++) {
        unsigned char *p = m->rgba + 4 * i;
        for (int c = 0; c < 3; c++)
            p[c] = (unsigned char)((p[c] * p[3] + bg[c] * (255 - p[3]) + 127) / 255);
        p[3] = 255;
    }
}

static void grayscale(struct sg_image *m)
{
    for (size_t i = 0; i < (size_t)m->w * m->h; i++) {
        unsigned char *p = m->rgba + 4 * i;
        unsigned char y = (unsigned char)lround(0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]);
        p[0] = p[1] = p[2] = y;
    }
}

/* Composes logo over dst at (x, y). */
static void paste(struct sg_image *dst, const struct sg_image *logo, unsigned x, unsigned y)
{
    for (unsigned j = 0; j < logo->h && y + j < dst->h; j++)
        for (unsigned i = 0; i < logo->w && x + i < dst->w; i++) {
            const unsigned char *s = logo->rgba + ((size_t)j * logo->w + i) * 4;
            unsigned char *d = dst->rgba + ((size_t)(y + j) * dst->w + x + i) * 4;
            for (int c = 0; c < 3; c++)
                d[c] = (unsigned char)((s[c] * s[3] + d[c] * (255 - s[3]) + 127) / 255);
        }
}

static struct sg_image pad(const struct sg_image *m, unsigned l, unsigned t, unsigned r, unsigned b,
                           const unsigned char bg[3])
{
    struct sg_image o = img_new(m->w + l + r, m->h + t + b);
    for (size_t i = 0; i < (size_t)o.w * o.h; i++) {
        memcpy(o.rgba + 4 * i, bg, 3);
        o.rgba[4 * i + 3] = 255;
    }
    paste(&o, m, l, t);
    return o;
}

/* A "photo": a colour fractal (diamond-square plasma), or value noise
 * summed over octaves, with some blobs. */
static struct sg_image photo(unsigned w, unsigned h)
{
    unsigned n = 1;
    while (n < w || n < h)
        n *= 2;
    n++;
    float *pl[3];
    for (int c = 0; c < 3; c++) {
        pl[c] = sg_xcalloc((size_t)n * n, sizeof(float));
        float *a = pl[c];
        a[0] = (float)frand(0, 255);
        a[n - 1] = (float)frand(0, 255);
        a[(size_t)(n - 1) * n] = (float)frand(0, 255);
        a[(size_t)n * n - 1] = (float)frand(0, 255);
        double amp = frand(60, 160), rough = frand(0.45, 0.7);
        for (unsigned step = n - 1; step > 1; step /= 2, amp *= rough) {
            unsigned hs = step / 2;
            for (unsigned y = hs; y < n; y += step)
                for (unsigned x = hs; x < n; x += step)
                    a[(size_t)y * n + x] = (a[(size_t)(y - hs) * n + x - hs] + a[(size_t)(y - hs) * n + x + hs] +
                                            a[(size_t)(y + hs) * n + x - hs] + a[(size_t)(y + hs) * n + x + hs]) / 4 +
                                           (float)frand(-amp, amp);
            for (unsigned y = 0; y < n; y += hs)
                for (unsigned x = (y / hs) % 2 ? 0 : hs; x < n; x += step) {
                    float s = 0;
                    int k = 0;
                    if (x >= hs) { s += a[(size_t)y * n + x - hs]; k++; }
                    if (x + hs < n) { s += a[(size_t)y * n + x + hs]; k++; }
                    if (y >= hs) { s += a[(size_t)(y - hs) * n + x]; k++; }
                    if (y + hs < n) { s += a[(size_t)(y + hs) * n + x]; k++; }
                    a[(size_t)y * n + x] = s / k + (float)frand(-amp, amp);
                }
        }
    }
    struct sg_image o = img_new(w, h);
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            unsigned char *p = o.rgba + ((size_t)y * w + x) * 4;
            for (int c = 0; c < 3; c++) {
                float v = pl[c][(size_t)y * n + x];
                p[c] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
            p[3] = 255;
        }
    for (int c = 0; c < 3; c++)
        free(pl[c]);
    /* Hard-edged things too: real photos have them. */
    for (unsigned k = urand(0, 12); k > 0; k--) {
        unsigned rx = urand(0, w - 1), ry = urand(0, h - 1), rw = urand(4, w / 3 + 4), rh = urand(4, h / 3 + 4);
        unsigned char col[3] = {(unsigned char)rnd(), (unsigned char)rnd(), (unsigned char)rnd()};
        bool disc = rnd() & 1;
        for (unsigned y = ry; y < ry + rh && y < h; y++)
            for (unsigned x = rx; x < rx + rw && x < w; x++) {
                double dx = (x - rx - rw / 2.0) / (rw / 2.0), dy = (y - ry - rh / 2.0) / (rh / 2.0);
                if (!disc || dx * dx + dy * dy <= 1)
                    memcpy(o.rgba + ((size_t)y * w + x) * 4, col, 3);
            }
    }
    return o;
}

/* A "screenshot": flat panels, bars and lines of text-like dashes. */
static struct sg_image screenshot(unsigned w, unsigned h)
{
    struct sg_image o = img_new(w, h);
    unsigned char bg = (unsigned char)urand(220, 255);
    for (size_t i = 0; i < (size_t)w * h; i++) {
        o.rgba[4 * i] = o.rgba[4 * i + 1] = o.rgba[4 * i + 2] = bg;
        o.rgba[4 * i + 3] = 255;
    }
    unsigned char bar[3] = {(unsigned char)rnd(), (unsigned char)rnd(), (unsigned char)rnd()};
    for (unsigned y = 0; y < h / 12; y++)
        for (unsigned x = 0; x < w; x++)
            memcpy(o.rgba + ((size_t)y * w + x) * 4, bar, 3);
    for (unsigned y = h / 8; y + 12 < h; y += urand(14, 26))
        for (unsigned x = urand(10, 40); x + 20 < w;) {
            unsigned len = urand(8, 60);
            unsigned char ink = (unsigned char)urand(0, 90);
            for (unsigned yy = y; yy < y + 8; yy++)
                for (unsigned xx = x; xx < x + len && xx < w; xx++)
                    if ((xx * 7 + yy * 3) % 5)
                        memset(o.rgba + ((size_t)yy * w + xx) * 4, ink, 3);
            x += len + urand(5, 10);
            if (rnd() % 9 == 0)
                break;
        }
    return o;
}

struct klass {
    const char *name;
    double target;               /* recall wanted (positives) */
    bool positive, asserted;
    unsigned n, hit;
    double ms;
};

static struct klass classes[] = {
    {"whole: resized 10-300%", 0.99, true, true, 0, 0, 0},
    {"whole: JPEG q30-95, PNG->JPEG, gray", 0.99, true, true, 0, 0, 0},
    {"whole: turned 90/180/270, mirrored", 0.99, true, true, 0, 0, 0},
    {"crop <=10%, padding, backgrounds", 0.95, true, true, 0, 0, 0},
    {"embedded >=48px: photos", 0.90, true, true, 0, 0, 0},
    {"embedded >=48px: letterheads, screenshots", 0.90, true, true, 0, 0, 0},
    {"whole, turned 2-10 degrees", 0.99, true, true, 0, 0, 0},
    {"whole, perspective (keystone 10-35%)", 0.99, true, true, 0, 0, 0},
    {"in photos, turned 2-10 degrees", 0.90, true, true, 0, 0, 0},
    {"in photos, perspective (keystone 10-35%)", 0.90, true, true, 0, 0, 0},
    {"in photos, curved (barrel, arc: mug, hoodie)", 0.90, true, true, 0, 0, 0},
    {"neg: photos", 0, false, true, 0, 0, 0},
    {"neg: screenshots", 0, false, true, 0, 0, 0},
    {"neg: other crests (same shield, colours, fonts)", 0, false, true, 0, 0, 0},
    {"neg: letterheads without the logo", 0, false, true, 0, 0, 0},
    {"near-copies: our crest with one letter changed", 0, false, false, 0, 0, 0},
};
enum { C_RESIZE, C_JPEG, C_TURN, C_CROP, C_EMB_PHOTO, C_EMB_DOC, C_ROT, C_PERSP, C_ROT_EMB, C_PERSP_EMB, C_CURVED, N_PHOTO, N_SHOT, N_CREST, N_LETTER,
       N_NEAR, NCLASS };

static const struct sg_logo_set *set;
static double *times;
static size_t ntimes, captimes;
static FILE *misses;
static unsigned quick = 1;     /* SG_LOGO_QUICK=N: 1/N of the photo and screenshot negatives */
static unsigned internal_errors; /* sg_logo_find's -1: neither found nor missed, a failure */

/* CPU time of this thread: the machine the tests run on is shared, and
 * wall time there measures the neighbours. */
static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Runs one case and frees it. */
static void run(unsigned k, struct sg_image *m, const char *what)
{
    struct sg_logo_hit hit;
    static long only = -2;
    static long seq;
    if (only == -2)
        only = getenv("SG_LOGO_ONLY") ? atol(getenv("SG_LOGO_ONLY")) : -1;
    seq++;
    if (only >= 0 && seq - 1 != only) {
        img_drop(m);
        return;
    }
    if (only >= 0)
        fprintf(stderr, "case %ld: %s %s %ux%u\n", seq - 1, classes[k].name, what, m->w, m->h);
    double t0 = now_ms();
    int r = sg_logo_find(set, m, &hit);
    double dt = now_ms() - t0;
    if (ntimes == captimes) {
        captimes = captimes ? captimes * 2 : 1024;
        times = sg_xrealloc(times, captimes * sizeof(double));
    }
    times[ntimes++] = dt;
    if (r < 0)
        internal_errors++;
    classes[k].n++;
    classes[k].ms += dt;
    if (r == 1)
        classes[k].hit++;
    bool wrong = classes[k].positive ? r != 1 : r == 1;
    if (wrong && misses)
        fprintf(misses, "#%zu %s: %s %ux%u%s%s stage %u score %.2f\n", ntimes - 1, classes[k].name, what, m->w, m->h,
                r == 1 ? " found " : "", r == 1 ? hit.name : "", hit.stage, hit.score);
    img_drop(m);
}

static const char *const refnames[] = {"crest", "lockup", "mono", "reversed"};
#define NREFS 4

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void random_bg(unsigned char bg[3], bool reversed)
{
    for (int c = 0; c < 3; c++)
        bg[c] = (unsigned char)(reversed ? urand(0, 110) : urand(0, 255));
}

static struct sg_image scaled_to(const struct sg_image *m, unsigned longer)
{
    double f = (double)longer / (m->w > m->h ? m->w : m->h);
    return resize(m, (unsigned)lround(m->w * f), (unsigned)lround(m->h * f));
}

/* Another crest as it would come: alone, on a colour, transparent, in a
 * photo, on a letterhead. */
static bool crest_negatives(const char *path, unsigned klass, const struct sg_image *letters)
{
    struct sg_image other;
    if (!read_pam(path, &other))
        return false;
    const char *what = strrchr(path, '/') + 1;
    unsigned char white[3] = {255, 255, 255};
    for (unsigned k = 0; k < 7; k++) {
        struct sg_image m;
        unsigned char bg[3];
        random_bg(bg, false);
        switch (k) {
        case 0: m = crop(&other, 0, 0, other.w, other.h); flatten(&m, white); break;
        case 1: m = scaled_to(&other, urand(60, 300)); flatten(&m, bg); break;
        case 2: m = scaled_to(&other, urand(100, 500)); break;
        case 3: case 4: {
            struct sg_image logo = scaled_to(&other, urand(60, 300));
            m = photo(urand(640, 1024), urand(480, 768));
            paste(&m, &logo, urand(0, m.w - logo.w), urand(0, m.h - logo.h));
            img_drop(&logo);
            break;
        }
        default: {
            struct sg_image logo = scaled_to(&other, urand(60, 220));
            const struct sg_image *L = &letters[k % 8];
            m = crop(L, 0, 0, L->w, L->h);
            paste(&m, &logo, 20, urand(100, 300));
            img_drop(&logo);
            break;
        }
        }
        run(klass, &m, what);
    }
    img_drop(&other);
    return true;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: measure DIR [--misses FILE]\n");
        return 2;
    }
    const char *dir = argv[1];
    if (argc > 3 && !strcmp(argv[2], "--misses"))
        misses = fopen(argv[3], "w");
    char path[4096];
    struct sg_image refs[NREFS];
    struct sg_logo_opts o = {SG_LOGO_DEFAULT_THRESHOLD, SG_LOGO_DEFAULT_MIN_SIZE, SG_LOGO_DEFAULT_MIN_SCORE, false, true};
    const char *env = getenv("SG_LOGO_TURNED");
    o.turned = env && *env == '1';
    env = getenv("SG_LOGO_KP");
    o.keypoints = !env || *env != '0';
    env = getenv("SG_LOGO_QUICK");
    if (env && atoi(env) > 1)
        quick = (unsigned)atoi(env);
    struct sg_logo_set *s = sg_logo_set_new(&o);
    double t0 = now_ms();
    for (unsigned i = 0; i < NREFS; i++) {
        snprintf(path, sizeof(path), "%s/%s.pam", dir, refnames[i]);
        char err[128];
        if (!read_pam(path, &refs[i]) || !sg_logo_set_add(s, refnames[i], &refs[i], err, sizeof(err))) {
            fprintf(stderr, "measure: %s: cannot use\n", path);
            return 1;
        }
    }
    printf("references: %u, prepared in %.1f ms\n", NREFS, now_ms() - t0);
    set = s;
    unsigned char white[3] = {255, 255, 255};
    struct sg_image refs_flat[NREFS];
    for (unsigned i = 0; i < NREFS; i++) {
        unsigned char dark[3] = {32, 48, 64};
        refs_flat[i] = crop(&refs[i], 0, 0, refs[i].w, refs[i].h);
        flatten(&refs_flat[i], i == 3 ? dark : white);
    }

    /* Positives: whole logos. */
    static const double scales[] = {0.10, 0.15, 0.25, 0.4, 0.6, 0.8, 1.0, 1.3, 1.7, 2.2, 3.0};
    for (unsigned i = 0; i < NREFS; i++)
        for (unsigned k = 0; k < sizeof(scales) / sizeof(*scales); k++) {
            struct sg_image m = resize(&refs[i], (unsigned)lround(refs[i].w * scales[k]),
                                       (unsigned)lround(refs[i].h * scales[k]));
            run(C_RESIZE, &m, "resize");
            m = resize(&refs_flat[i], (unsigned)lround(refs[i].w * scales[k]), (unsigned)lround(refs[i].h * scales[k]));
            run(C_RESIZE, &m, "resize flat");
        }
    static const char *const jpegs[] = {"q30-20", "q50-50", "q70-100", "q95-150", "q40-35", "q85-75", "gray-60"};
    for (unsigned i = 0; i < NREFS; i++)
        for (unsigned k = 0; k < 7; k++) {
            struct sg_image m;
            snprintf(path, sizeof(path), "%s/%s-%s.pam", dir, refnames[i], jpegs[k]);
            if (!read_pam(path, &m)) {
                fprintf(stderr, "measure: %s: missing\n", path);
                return 1;
            }
            run(C_JPEG, &m, path + strlen(dir) + 1);
            m = crop(&refs_flat[i], 0, 0, refs[i].w, refs[i].h);
            grayscale(&m);
            run(C_JPEG, &m, "gray");
        }
    for (unsigned i = 0; i < NREFS; i++) {
        for (int a = 90; a < 360; a += 90) {
            struct sg_image m = rotate(&refs_flat[i], a), n = resize(&m, m.w / 2, m.h / 2);
            img_drop(&m);
            run(C_TURN, &n, "turned");
        }
        struct sg_image m = mirror(&refs_flat[i]);
        run(C_TURN, &m, "mirror");
        m = mirror(&refs[i]);
        run(C_TURN, &m, "mirror alpha");
    }
    /* Crops, padding, backgrounds. */
    for (unsigned i = 0; i < NREFS; i++)
        for (unsigned k = 0; k < 25; k++) {
            const struct sg_image *src = &refs[i];
            unsigned char bg[3];
            random_bg(bg, i == 3);
            struct sg_image m;
            switch (k % 3) {
            case 0: { /* up to 10% off the sides, on a background */
                unsigned w = src->w, h = src->h, l = urand(0, w / 20), t = urand(0, h / 20);
                unsigned cw = w - l - urand(0, w / 20), ch = h - t - urand(0, h / 20);
                m = crop(src, l, t, cw, ch);
                flatten(&m, bg);
                break;
            }
            case 1: /* padding of another colour */
                m = pad(&refs_flat[i], urand(0, src->w / 2), urand(0, src->h / 2), urand(0, src->w / 2),
                        urand(0, src->h / 2), bg);
                break;
            default: /* another background */
                m = crop(src, 0, 0, src->w, src->h);
                flatten(&m, bg);
                break;
            }
            double f = frand(0.25, 1.2);
            struct sg_image n = resize(&m, (unsigned)lround(m.w * f), (unsigned)lround(m.h * f));
            img_drop(&m);
            run(C_CROP, &n, k % 3 == 0 ? "crop" : k % 3 == 1 ? "pad" : "background");
        }
    /* Embedded in photos, letterheads and screenshots. */
    struct sg_image letters[8];
    for (unsigned i = 0; i < 8; i++) {
        snprintf(path, sizeof(path), "%s/letter%u.pam", dir, i + 1);
        if (!read_pam(path, &letters[i])) {
            fprintf(stderr, "measure: %s: missing\n", path);
            return 1;
        }
    }
    for (unsigned k = 0; k < 120; k++) {
        unsigned i = k % NREFS, size = urand(48, 300);
        if (i == 1)
            size = urand(120, 400); /* the lockup's longer side: 48+ of height */
        struct sg_image logo = scaled_to(&refs[i], size);
        struct sg_image bgimg = photo(urand(640, 1024), urand(480, 768));
        unsigned x = urand(0, bgimg.w - logo.w), y = urand(0, bgimg.h - logo.h);
        paste(&bgimg, &logo, x, y);
        char what[96];
        snprintf(what, sizeof(what), "%s %ux%u at %u,%u in photo", refnames[i], logo.w, logo.h, x, y);
        img_drop(&logo);
        run(C_EMB_PHOTO, &bgimg, what);
    }
    for (unsigned k = 0; k < 80; k++) {
        unsigned i = k % NREFS;
        if (i == 3)
            i = 2; /* the reversed variant is for dark grounds */
        struct sg_image logo = scaled_to(&refs[i], i == 1 ? urand(160, 420) : urand(60, 220));
        struct sg_image bgimg;
        unsigned x, y;
        if (k % 2) {
            const struct sg_image *L = &letters[k % 8];
            bgimg = crop(L, 0, 0, L->w, L->h);
            x = rnd() % 2 ? 20 : bgimg.w - logo.w - 20;
            y = urand(100, 300);
        } else {
            bgimg = screenshot(urand(800, 1280), urand(500, 800));
            x = urand(0, bgimg.w - logo.w);
            y = urand(0, bgimg.h - logo.h);
        }
        paste(&bgimg, &logo, x, y);
        char what[96];
        snprintf(what, sizeof(what), "%s %ux%u at %u,%u %s", refnames[i], logo.w, logo.h, x, y,
                 k % 2 ? "in letterhead" : "in screenshot");
        img_drop(&logo);
        run(C_EMB_DOC, &bgimg, what);
    }
    /* Small rotations and perspective warps (whole and embedded). */
    for (unsigned k = 0; k < 40; k++) {
        unsigned i = k % NREFS;
        double a = frand(2, 10) * (rnd() % 2 ? 1 : -1);
        struct sg_image m = rotate(&refs[i], a);
        struct sg_image n = scaled_to(&m, urand(100, 400));
        img_drop(&m);
        if (k % 2)
            flatten(&n, white);
        else {
            struct sg_image p = photo(800, 600);
            paste(&p, &n, urand(0, p.w - n.w), urand(0, p.h - n.h));
            img_drop(&n);
            n = p;
        }
        run(k % 2 ? C_ROT : C_ROT_EMB, &n, "rotated");
    }
    for (unsigned k = 0; k < 40; k++) {
        unsigned i = k % NREFS;
        struct sg_image m = perspective(&refs[i], frand(0.1, 0.35), k % 2);
        struct sg_image n = scaled_to(&m, urand(120, 400));
        img_drop(&m);
        if (k % 4 < 2)
            flatten(&n, white);
        else {
            struct sg_image p = photo(800, 600);
            paste(&p, &n, urand(0, p.w - n.w), urand(0, p.h - n.h));
            img_drop(&n);
            n = p;
        }
        run(k % 4 < 2 ? C_PERSP : C_PERSP_EMB, &n, "perspective");
    }

    /* Printed on curved things (gen.sh's Barrel and Arc distortions). */
    static const char *const curved[] = {"curved-barrel15", "curved-barrel30", "curved-arc30", "curved-lockup-arc40"};
    for (unsigned i = 0; i < 4; i++) {
        struct sg_image c;
        snprintf(path, sizeof(path), "%s/%s.pam", dir, curved[i]);
        if (!read_pam(path, &c)) {
            fprintf(stderr, "measure: %s: missing\n", path);
            return 1;
        }
        for (unsigned k = 0; k < 5; k++) {
            struct sg_image n = scaled_to(&c, i == 3 ? urand(200, 500) : urand(120, 400));
            struct sg_image p = photo(800, 600);
            paste(&p, &n, urand(0, p.w - n.w), urand(0, p.h - n.h));
            img_drop(&n);
            run(C_CURVED, &p, curved[i]);
        }
        img_drop(&c);
    }

    /* Negatives. */
    for (unsigned k = 0; k < 1400 / quick; k++) {
        struct sg_image m = photo(urand(200, 1024), urand(200, 768));
        run(N_PHOTO, &m, "photo");
    }
    for (unsigned k = 0; k < 300 / quick; k++) {
        struct sg_image m = screenshot(urand(400, 1280), urand(300, 800));
        run(N_SHOT, &m, "screenshot");
    }
    unsigned nothers = 0;
    for (unsigned i = 1; i < 100; i++) {
        snprintf(path, sizeof(path), "%s/other%u.pam", dir, i);
        if (!crest_negatives(path, N_CREST, letters))
            break;
        nothers++;
    }
    static const char *const near[] = {"near-HC", "near-NA"};
    for (unsigned i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s.pam", dir, near[i]);
        if (!crest_negatives(path, N_NEAR, letters)) {
            fprintf(stderr, "measure: %s: missing\n", path);
            return 1;
        }
    }
    for (unsigned i = 0; i < 8; i++)
        for (unsigned k = 0; k < 10; k++) {
            const struct sg_image *L = &letters[i];
            unsigned cw = urand(L->w / 2, L->w), ch = urand(L->h / 3, L->h);
            struct sg_image m = crop(L, urand(0, L->w - cw), 0, cw, ch);
            double f = frand(0.4, 1.2);
            struct sg_image n = resize(&m, (unsigned)(m.w * f), (unsigned)(m.h * f));
            img_drop(&m);
            run(N_LETTER, &n, "letterhead");
        }

    /* The table. */
    unsigned npos = 0, nneg = 0, fp = 0;
    bool ok = true;
    printf("%-50s %6s %6s %8s %8s  %s\n", "class", "cases", "found", "rate", "cpu ms", "target");
    for (unsigned k = 0; k < NCLASS; k++) {
        struct klass *c = &classes[k];
        double rate = c->n ? (double)c->hit / c->n : 0;
        const char *verdict = "";
        if (c->positive) {
            npos += c->n;
            if (rate < c->target)
                verdict = c->asserted ? "  FAIL" : "  below target (reported, not asserted)";
            if (rate < c->target && c->asserted)
                ok = false;
        } else if (c->asserted) {
            nneg += c->n;
            fp += c->hit;
        } else {
            verdict = "  (reported apart: a derivative of the logo)";
        }
        char target[32] = "";
        if (c->positive)
            snprintf(target, sizeof(target), "recall >= %.0f%%", c->target * 100);
        printf("%-50s %6u %6u %7.1f%% %8.1f  %s%s\n", c->name, c->n, c->hit, rate * 100, c->n ? c->ms / c->n : 0,
               target, verdict);
    }
    double fpr = nneg ? (double)fp / nneg : 0;
    bool fp_ok = fpr <= 0.001;
    ok = ok && fp_ok && (nneg >= 2000 || quick > 1) && !internal_errors;
    if (internal_errors)
        printf("internal errors (stage 3): %u  FAIL\n", internal_errors);
    printf("false positives: %u of %u negatives (%.2f%%, target <= 0.1%%)%s\n", fp, nneg, fpr * 100,
           fp_ok ? "" : "  FAIL");
    qsort(times, ntimes, sizeof(double), cmp_double);
    printf("CPU time per image: p50 %.1f ms, p95 %.1f ms, max %.1f ms over %zu images (%u positives, %u negatives, "
           "%u other crests)\n",
           times[ntimes / 2], times[ntimes * 95 / 100], times[ntimes - 1], ntimes, npos, nneg, nothers);
    /* One check per asserted figure, for tests/run-all.sh's tally. */
    unsigned checks = 1, bad = fp_ok && (nneg >= 2000 || quick > 1) && !internal_errors ? 0 : 1;
    for (unsigned k = 0; k < NCLASS; k++)
        if (classes[k].positive && classes[k].asserted) {
            checks++;
            bad += classes[k].n && (double)classes[k].hit / classes[k].n < classes[k].target;
        }
    printf("%s\n", ok ? "logo corpus: PASS" : "logo corpus: FAIL");
    printf("%u passed, %u failed\n", checks - bad, bad);
    for (unsigned i = 0; i < NREFS; i++) {
        img_drop(&refs[i]);
        img_drop(&refs_flat[i]);
    }
    for (unsigned i = 0; i < 8; i++)
        img_drop(&letters[i]);
    sg_logo_set_free(s);
    free(times);
    if (misses)
        fclose(misses);
    return ok ? 0 : 1;
}
