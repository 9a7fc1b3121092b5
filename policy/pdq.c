/*
 * pdq.c - the PDQ image hash, written from Meta's description of the
 * algorithm (hashing.pdf in the ThreatExchange repository): luminance, a
 * box filter run twice in each direction (a tent filter, after Jarosz)
 * with a window of about half the decimation step, decimation to 64x64,
 * a 2-D DCT keeping the 16x16 coefficients after the DC ones, and one bit
 * per coefficient above the median.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "sg_pdq.h"
#include "sg_util.h"

#define N64 64
#define N16 16

void sg_pdq_luma_rgba(const uint8_t *rgba, unsigned w, unsigned h, const uint8_t bg[3], float *out)
{
    size_t n = (size_t)w * h;
    float by = 0.299f * bg[0] + 0.587f * bg[1] + 0.114f * bg[2];
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = rgba + 4 * i;
        float y = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
        /* Straight alpha: compose luminance, which is linear in RGB. */
        out[i] = p[3] == 255 ? y : (y * p[3] + by * (255 - p[3])) / 255.0f;
    }
}

/* A moving window [lo, hi) over a row, with its sum and 1 / its size. */
struct win1 {
    double sum, inv;
    unsigned lo, hi, cnt;
};

/* The window's mean once brought to sample i's, clipped at the ends. */
static float box_at(const float *in, unsigned n, unsigned half, unsigned i, struct win1 *w)
{
    unsigned want_hi = i + half + 1 < n ? i + half + 1 : n, want_lo = i > half ? i - half : 0;
    while (w->hi < want_hi)
        w->sum += in[w->hi++];
    while (w->lo < want_lo)
        w->sum -= in[w->lo++];
    if (w->hi - w->lo != w->cnt) {
        w->cnt = w->hi - w->lo;
        w->inv = 1.0 / w->cnt;
    }
    return (float)(w->sum * w->inv);
}

/* One pass of a centred moving average over n contiguous samples. Where
 * the window lies whole inside, one sample comes in and one goes out per
 * step without the edges' tests (the same sums in the same order). */
static void box1d(const float *in, float *out, unsigned n, unsigned win)
{
    unsigned half = win / 2, i = 0;
    struct win1 w = {0, 0, 0, 0, 0};
    for (; i < n && i <= half; i++)
        out[i] = box_at(in, n, half, i, &w);
    if (i + half + 1 <= n) {
        for (; i + half + 1 <= n; i++) {
            w.sum += in[i + half];
            w.sum -= in[i - half - 1];
            out[i] = (float)(w.sum * w.inv);
        }
        w.hi = i + half;
        w.lo = i - 1 - half;
    }
    for (; i < n; i++)
        out[i] = box_at(in, n, half, i, &w);
}

/* The window the description gives: about half the decimation step. */
static unsigned window(unsigned old, unsigned new_)
{
    unsigned w = (old + 2 * new_ - 1) / (2 * new_);
    return w ? w : 1;
}

/* The vertical pass, a row at a time: a running sum of whole rows reads
 * memory in order where a column walk would miss the cache at every step. */
static void box_rows(const float *in, float *out, unsigned w, unsigned h, unsigned win, double *sum)
{
    unsigned half = win / 2, lo = 0, hi = 0;
    memset(sum, 0, w * sizeof(double));
    for (unsigned i = 0; i < h; i++) {
        unsigned want_hi = i + half + 1 < h ? i + half + 1 : h, want_lo = i > half ? i - half : 0;
        for (; hi < want_hi; hi++)
            for (unsigned x = 0; x < w; x++)
                sum[x] += in[(size_t)hi * w + x];
        for (; lo < want_lo; lo++)
            for (unsigned x = 0; x < w; x++)
                sum[x] -= in[(size_t)lo * w + x];
        double inv = 1.0 / (hi - lo);
        for (unsigned x = 0; x < w; x++)
            out[(size_t)i * w + x] = (float)(sum[x] * inv);
    }
}

/* Tent-filter and decimate luma to 64x64. Large planes are first halved
 * (2x2 means) while both sides stay at 256 or more: the filter's window
 * then stays a few pixels, and the result is the same to within noise.
 * The picture itself is only read (sg_pdq_halvings says how often it
 * would be halved, so a caller holding the halves can pass one). */
static void downsample64(const float *luma, unsigned w, unsigned h, float out[N64 * N64])
{
    size_t n = (size_t)w * h;
    float *a = sg_xmalloc(n * sizeof(float)), *b = sg_xmalloc(n * sizeof(float));
    const float *src = luma;
    while (w >= 512 && h >= 512) {
        unsigned hw = w / 2, hh = h / 2;
        for (unsigned y = 0; y < hh; y++)
            for (unsigned x = 0; x < hw; x++) {
                const float *r0 = src + (size_t)(2 * y) * w + 2 * x, *r1 = r0 + w;
                b[(size_t)y * hw + x] = (r0[0] + r0[1] + r1[0] + r1[1]) * 0.25f;
            }
        memcpy(a, b, (size_t)hw * hh * sizeof(float));
        src = a;
        w = hw;
        h = hh;
    }
    double *sum = sg_xmalloc(w * sizeof(double));
    unsigned wx = window(w, N64), wy = window(h, N64);
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned y = 0; y < h; y++)
            box1d((pass ? a : src) + (size_t)y * w, b + (size_t)y * w, w, wx);
        box_rows(b, a, w, h, wy, sum);
    }
    free(sum);
    /* Sample at the cell centres, interpolated, so that a mirrored picture
     * gives the mirrored grid (and its hash the sign-flipped one). */
    for (unsigned i = 0; i < N64; i++) {
        double v = (i + 0.5) * h / N64 - 0.5;
        v = v < 0 ? 0 : v;
        unsigned y0 = (unsigned)v, y1 = y0 + 1 < h ? y0 + 1 : y0;
        float fy = (float)(v - y0);
        for (unsigned j = 0; j < N64; j++) {
            double u = (j + 0.5) * w / N64 - 0.5;
            u = u < 0 ? 0 : u;
            unsigned x0 = (unsigned)u, x1 = x0 + 1 < w ? x0 + 1 : x0;
            float fx = (float)(u - x0);
            const float *r0 = a + (size_t)(y0 < h ? y0 : h - 1) * w, *r1 = a + (size_t)y1 * w;
            x0 = x0 < w ? x0 : w - 1;
            float top = r0[x0] + (r0[x1] - r0[x0]) * fx, bot = r1[x0] + (r1[x1] - r1[x0]) * fx;
            out[i * N64 + j] = top + (bot - top) * fy;
        }
    }
    free(a);
    free(b);
}

unsigned sg_pdq_halvings(unsigned w, unsigned h)
{
    unsigned n = 0;
    for (; w >= 512 && h >= 512; w /= 2, h /= 2)
        n++;
    return n;
}

static const float *dct_matrix(void)
{
    /* Written once before any worker forks or races: the first policy load
     * hashes the references. Idempotent writes, so a race is harmless. */
    static float d[N16 * N64];
    static int ready;
    if (!ready) {
        for (unsigned i = 0; i < N16; i++)
            for (unsigned j = 0; j < N64; j++)
                d[i * N64 + j] = (float)(sqrt(2.0 / N64) * cos(M_PI / 2 / N64 * (i + 1) * (2 * j + 1)));
        ready = 1;
    }
    return d;
}

/* Sum of absolute neighbour differences, on a 0..100 scale. */
static unsigned quality(const float a[N64 * N64])
{
    long sum = 0;
    for (unsigned i = 0; i + 1 < N64; i++)
        for (unsigned j = 0; j < N64; j++) {
            sum += labs(lroundf(a[i * N64 + j] * 100 / 255) - lroundf(a[(i + 1) * N64 + j] * 100 / 255));
            sum += labs(lroundf(a[j * N64 + i] * 100 / 255) - lroundf(a[j * N64 + i + 1] * 100 / 255));
        }
    long q = sum / 90;
    return q > 100 ? 100 : (unsigned)q;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void quantise(const float c[N16 * N16], struct sg_pdq *out)
{
    float s[N16 * N16];
    memcpy(s, c, sizeof(s));
    qsort(s, N16 * N16, sizeof(float), cmp_float);
    float median = (s[127] + s[128]) / 2;
    memset(out->bits, 0, sizeof(out->bits));
    for (unsigned k = 0; k < N16 * N16; k++)
        if (c[k] > median)
            out->bits[k / 8] |= (uint8_t)(1u << (k % 8));
}

static unsigned dct16(const float *luma, unsigned w, unsigned h, float c[N16 * N16])
{
    float a[N64 * N64], t[N16 * N64];
    downsample64(luma, w, h, a);
    const float *d = dct_matrix();
    /* c = D A D^T, D the 16x64 cosine basis without its DC row. */
    for (unsigned i = 0; i < N16; i++)
        for (unsigned j = 0; j < N64; j++) {
            float s = 0;
            for (unsigned k = 0; k < N64; k++)
                s += d[i * N64 + k] * a[k * N64 + j];
            t[i * N64 + j] = s;
        }
    for (unsigned i = 0; i < N16; i++)
        for (unsigned j = 0; j < N16; j++) {
            float s = 0;
            for (unsigned k = 0; k < N64; k++)
                s += t[i * N64 + k] * d[j * N64 + k];
            c[i * N16 + j] = s;
        }
    return quality(a);
}

void sg_pdq_hash(const float *luma, unsigned w, unsigned h, struct sg_pdq *out)
{
    float c[N16 * N16];
    out->quality = dct16(luma, w, h, c);
    quantise(c, out);
}

void sg_pdq_hash8(const float *luma, unsigned w, unsigned h, struct sg_pdq out[8])
{
    float c[N16 * N16], v[N16 * N16];
    unsigned q = dct16(luma, w, h, c);
    /* cos(pi (k+1) (2(63-j)+1) / 128) = (-1)^(k+1) cos(pi (k+1) (2j+1) / 128):
     * a mirror negates the coefficients of odd frequency (even index k);
     * a transpose of the picture transposes the coefficients. */
    for (unsigned t = 0; t < 8; t++) {
        bool flipx = t & 1, flipy = t & 2, transpose = t & 4;
        for (unsigned i = 0; i < N16; i++)
            for (unsigned j = 0; j < N16; j++) {
                float x = c[i * N16 + j];
                if ((flipx && j % 2 == 0) != (flipy && i % 2 == 0))
                    x = -x;
                v[transpose ? j * N16 + i : i * N16 + j] = x;
            }
        out[t].quality = q;
        quantise(v, &out[t]);
    }
}

unsigned sg_pdq_distance(const struct sg_pdq *a, const struct sg_pdq *b)
{
    unsigned d = 0;
    for (unsigned i = 0; i < 32; i++)
        d += (unsigned)__builtin_popcount((unsigned)(a->bits[i] ^ b->bits[i]));
    return d;
}
