/*
 * logo_kp.cpp - stage 3 of the logo search (sg_logo_kp.h): ORB keypoints
 * of each reference, made once per policy snapshot, matched against the
 * picture's with a ratio test, and a RANSAC homography and affine map;
 * beside them a map that bends (a cubic of the reference's coordinates),
 * for a logo printed on a mug or across a chest, which no single
 * homography fits.
 *
 * The picture (logo.c's working copy, at most 1024 pixels) is halved when
 * larger than PIC_HALVE, and gives at most PIC_FEATURES keypoints: this stage runs on most pictures without
 * the logo, so it must cost a few milliseconds. OpenCV's own threads are
 * off: this runs in forked workers under RLIMIT_AS, one picture at a time.
 * Nothing here decides: a proposal only says where to look, and logo.c
 * compares that place, brought back to the reference's frame, with the
 * reference.
 */
#include <opencv2/calib3d.hpp>
#include <opencv2/core.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "sg_logo_kp.h"

namespace {

const unsigned PIC_HALVE = 900;  // pictures longer than this are matched at half size
const unsigned PIC_SMALL = 320;  // and those shorter than this enlarged to it
const int PIC_FEATURES = 400;
const double REF_SIDE = 220;     // reference matched at about this sqrt(area)
const int REF_FEATURES = 250;    // per background (white, black)
const int REF_MIN = 30;          // fewer keypoints: not worth matching
const float RATIO = 0.8f;        // Lowe's ratio test
const double REPROJ = 4.0;       // RANSAC inlier distance, matched pixels
const int ANGLE_BINS = 12;       // match votes: 30 degrees of turn a bin
const int SCALE_BINS = 16;       // and half an octave of scale, from 1/64 up
const int GRID = SG_LOGO_KP_GRID;
const double BEND_MAX = 0.15;    // a bend moves no point more than this of the logo's size
const double BEND_MIN = 0.75;    // nor all less than this many pixels (then it is not bent)

std::atomic<unsigned> test_fail{0};  // sg_logo_kp_test_fail()

void test_fault()
{
    unsigned n = test_fail.load();
    while (n && !test_fail.compare_exchange_weak(n, n - 1))
        ;
    if (n)
        throw cv::Exception(cv::Error::StsNoMem, "test fault", __func__, __FILE__, __LINE__);
}

void threads_off()
{
    static bool done;
    if (!done) {
        cv::setNumThreads(0);
        done = true;
    }
}

cv::Ptr<cv::ORB> orb(int n)
{
    // FAST threshold a little under the default: flat logos have few
    // corners, and their edges are clean.
    return cv::ORB::create(n, 1.2f, 8, 19, 0, 2, cv::ORB::HARRIS_SCORE, 19, 15);
}

}  // namespace

struct sg_logo_kp {
    std::vector<cv::Point2f> pts;  // in the reference's own pixels
    std::vector<float> angle, size;
    cv::Mat desc;                  // 32 bytes a row
    double w, h;
};

extern "C" int sg_logo_kp_ref(const float *luma, const float *alpha, unsigned w, unsigned h, struct sg_logo_kp **out)
{
    *out = nullptr;
    sg_logo_kp *kp = nullptr;
    try {
        threads_off();
        cv::Mat L(h, w, CV_32F, const_cast<float *>(luma)), A(h, w, CV_32F, const_cast<float *>(alpha));
        double s = REF_SIDE / std::sqrt((double)w * h);
        cv::Size sz((int)std::lround(w * s), (int)std::lround(h * s));
        if (sz.width < 16 || sz.height < 16)
            sz = cv::Size(w, h), s = 1;
        cv::Mat ls, as;
        cv::resize(L, ls, sz, 0, 0, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
        cv::resize(A, as, sz, 0, 0, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
        // Keypoints on the logo and its outline, not on the padding.
        cv::Mat mask = as > 0.5f;
        cv::dilate(mask, mask, cv::Mat(), cv::Point(-1, -1), 3);
        kp = new sg_logo_kp;
        kp->w = w;
        kp->h = h;
        auto det = orb(REF_FEATURES);
        // On white and on black: the outline's corners differ with the
        // ground the logo is printed on.
        for (float bg : {255.0f, 0.0f}) {
            cv::Mat flat = as.mul(ls) + (1 - as) * bg, f8;
            flat.convertTo(f8, CV_8U);
            std::vector<cv::KeyPoint> k;
            cv::Mat d;
            det->detectAndCompute(f8, mask, k, d);
            for (const auto &p : k) {
                kp->pts.emplace_back((float)(p.pt.x / s), (float)(p.pt.y / s));
                kp->angle.push_back(p.angle);
                kp->size.push_back((float)(p.size / s));
            }
            if (!d.empty())
                kp->desc.push_back(d);
        }
        if ((int)kp->pts.size() < REF_MIN) {
            delete kp;
            return 1;
        }
        *out = kp;
        return 0;
    } catch (...) {
        delete kp;
        return -1;
    }
}

extern "C" void sg_logo_kp_free(struct sg_logo_kp *kp)
{
    delete kp;
}

namespace {

// Whether the quadrilateral c turns the same way at every corner (convex,
// not folded, of the reference's orientation), and its area.
bool convex_quad(const cv::Point2d (&c)[4], double &area)
{
    area = 0;
    for (int i = 0; i < 4; i++) {
        const cv::Point2d &a = c[i], &b = c[(i + 1) % 4], &d = c[(i + 2) % 4];
        double cross = (b.x - a.x) * (d.y - b.y) - (b.y - a.y) * (d.x - b.x);
        if (cross <= 0 || !std::isfinite(cross))
            return false;
        area += a.x * b.y - b.x * a.y;
    }
    area /= 2;
    return true;
}

// A homography a print can take: a convex quadrilateral of the reference's
// orientation, not folded, not a sliver, no side more than twice its
// opposite, of an aspect near the reference's.
bool sane(const cv::Mat &H, double rw, double rh, double pw, double ph)
{
    if (H.empty())
        return false;
    std::vector<cv::Point2d> c = {{0, 0}, {rw, 0}, {rw, rh}, {0, rh}}, q;
    cv::perspectiveTransform(c, q, H);
    const cv::Point2d quad[4] = {q[0], q[1], q[2], q[3]};
    double area;
    if (!convex_quad(quad, area) || area < 24.0 * 24 || area > 1.5 * pw * ph)
        return false;
    double s[4];
    for (int i = 0; i < 4; i++)
        s[i] = cv::norm(q[(i + 1) % 4] - q[i]);
    if (s[0] > 2 * s[2] || s[2] > 2 * s[0] || s[1] > 2 * s[3] || s[3] > 2 * s[1])
        return false;
    double aspect = ((s[0] + s[2]) / (s[1] + s[3])) / (rw / rh);
    return aspect > 0.5 && aspect < 2;
}

// One body for both: inlined, it is compiled with each caller's target.
static inline __attribute__((always_inline)) void nearest2_body(const uint64_t *q, const uint64_t *t, int nt,
                                                                int out[3])
{
    int b1 = 257, b2 = 257, bi = -1;
    for (int j = 0; j < nt; j++, t += 4) {
        int d = __builtin_popcountll(q[0] ^ t[0]) + __builtin_popcountll(q[1] ^ t[1]) +
                __builtin_popcountll(q[2] ^ t[2]) + __builtin_popcountll(q[3] ^ t[3]);
        if (d < b2) {
            if (d < b1) {
                b2 = b1;
                b1 = d;
                bi = j;
            } else {
                b2 = d;
            }
        }
    }
    out[0] = bi;
    out[1] = b1;
    out[2] = b2;
}

// Hamming distances of 256-bit descriptors, the popcount instruction where
// the processor has it (any x86-64 of the last fifteen years).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("popcnt"))) void nearest2_popcnt(const uint64_t *q, const uint64_t *t, int nt, int out[3])
{
    nearest2_body(q, t, nt, out);
}
#endif

void nearest2_plain(const uint64_t *q, const uint64_t *t, int nt, int out[3])
{
    nearest2_body(q, t, nt, out);
}

void nearest2(const uint64_t *q, const uint64_t *t, int nt, int out[3])
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    static const bool has = __builtin_cpu_supports("popcnt");
    if (has)
        return nearest2_popcnt(q, t, nt, out);
#endif
    nearest2_plain(q, t, nt, out);
}

int angle_bin(float a)
{
    float d = std::fmod(a + 360.0f, 360.0f);
    int b = (int)(d / (360.0f / ANGLE_BINS));
    return b < 0 ? 0 : b >= ANGLE_BINS ? ANGLE_BINS - 1 : b;
}

int scale_bin(float ratio)
{
    int b = (int)std::floor(2 * std::log2(std::max(ratio, 1e-6f)) + 12);
    return b < 0 ? 0 : b >= SCALE_BINS ? SCALE_BINS - 1 : b;
}

// The terms of a cubic in (u, v): enough for a bulge (u^3, u v^2: a
// mug's or a ball's barrel) and an arch (u^2 into v: text along an arc).
const int TERMS = 10;

void cubic_terms(double u, double v, double t[TERMS])
{
    t[0] = 1, t[1] = u, t[2] = v;
    t[3] = u * u, t[4] = u * v, t[5] = v * v;
    t[6] = u * u * u, t[7] = u * u * v, t[8] = u * v * v, t[9] = v * v * v;
}

// A map of the reference's plane onto the picture that may bend: a cubic
// of the reference's coordinates (centred, scaled to about -1..1), fitted
// by least squares. The curved terms are damped just enough to keep the
// solve well posed where the matches lie along a line; more damping
// (tried: 2% of the matches' weight) flattens a strong bulge to an affine
// map, and the check then fails as it does for a homography.
struct Cubic {
    double cx, cy, sc;
    double kx[TERMS], ky[TERMS];

    void at(double x, double y, double &ox, double &oy) const
    {
        double t[TERMS];
        cubic_terms((x - cx) / sc, (y - cy) / sc, t);
        ox = oy = 0;
        for (int i = 0; i < TERMS; i++) {
            ox += kx[i] * t[i];
            oy += ky[i] * t[i];
        }
    }

    bool fit(const std::vector<cv::Point2f> &a, const std::vector<cv::Point2f> &b, const std::vector<char> &use)
    {
        cv::Mat M = cv::Mat::zeros(TERMS, TERMS, CV_64F), rx = cv::Mat::zeros(TERMS, 1, CV_64F),
                ry = cv::Mat::zeros(TERMS, 1, CV_64F);
        int n = 0;
        for (size_t i = 0; i < a.size(); i++) {
            if (!use[i])
                continue;
            double t[TERMS];
            cubic_terms((a[i].x - cx) / sc, (a[i].y - cy) / sc, t);
            for (int j = 0; j < TERMS; j++) {
                for (int k = 0; k < TERMS; k++)
                    M.at<double>(j, k) += t[j] * t[k];
                rx.at<double>(j) += t[j] * b[i].x;
                ry.at<double>(j) += t[j] * b[i].y;
            }
            n++;
        }
        if (n < TERMS)
            return false;
        for (int j = 3; j < TERMS; j++)
            M.at<double>(j, j) += 1e-3 * n;
        cv::Mat sx, sy;
        if (!cv::solve(M, rx, sx, cv::DECOMP_CHOLESKY) || !cv::solve(M, ry, sy, cv::DECOMP_CHOLESKY))
            return false;
        for (int j = 0; j < TERMS; j++) {
            kx[j] = sx.at<double>(j);
            ky[j] = sy.at<double>(j);
        }
        return true;
    }
};

// The matches a, b (reference -> picture pixels, those the vote kept) on
// a surface that bends: a cubic map trimmed in rounds to the matches
// within tol of it, then split into its best affine part (H, checked as
// any proposal's) and the rest as displacements at the grid's nodes. The
// bend must be smooth and small beside the logo (no node moved more than
// BEND_MAX of its size), fold nowhere (every cell stays a convex
// quadrilateral of the affine cell's orientation and near its area), and
// be a bend at all (some node moved BEND_MIN pixels).
bool bend(const std::vector<cv::Point2f> &a, const std::vector<cv::Point2f> &b, double rw, double rh, double tol,
          double pw, double ph, unsigned min_inliers, sg_logo_kp_cand &c)
{
    std::vector<unsigned char> in;
    cv::Mat A = cv::estimateAffine2D(a, b, in, cv::RANSAC, 3 * tol, 500, 0.995);
    if (A.empty())
        return false;
    std::vector<char> use(a.size());
    for (size_t i = 0; i < a.size(); i++)
        use[i] = in[i] != 0;
    Cubic f{rw / 2, rh / 2, std::max(rw, rh) / 2, {}, {}};
    unsigned n = 0;
    for (double t : {3.0, 2.0, 1.5, 1.0, 1.0}) {
        if (!f.fit(a, b, use))
            return false;
        n = 0;
        for (size_t i = 0; i < a.size(); i++) {
            double x, y;
            f.at(a[i].x, a[i].y, x, y);
            use[i] = std::hypot(x - b[i].x, y - b[i].y) < t * tol;
            n += use[i];
        }
    }
    if (n < 2 * min_inliers)
        return false;
    // The nodes' places, and the affine map nearest them.
    cv::Point2d node[GRID][GRID];
    cv::Mat M = cv::Mat::zeros(3, 3, CV_64F), rx = cv::Mat::zeros(3, 1, CV_64F), ry = cv::Mat::zeros(3, 1, CV_64F);
    for (int j = 0; j < GRID; j++)
        for (int i = 0; i < GRID; i++) {
            double u = i * rw / (GRID - 1), v = j * rh / (GRID - 1), t[3] = {u, v, 1};
            f.at(u, v, node[j][i].x, node[j][i].y);
            for (int p = 0; p < 3; p++) {
                for (int q = 0; q < 3; q++)
                    M.at<double>(p, q) += t[p] * t[q];
                rx.at<double>(p) += t[p] * node[j][i].x;
                ry.at<double>(p) += t[p] * node[j][i].y;
            }
        }
    cv::Mat sx, sy;
    if (!cv::solve(M, rx, sx, cv::DECOMP_CHOLESKY) || !cv::solve(M, ry, sy, cv::DECOMP_CHOLESKY))
        return false;
    cv::Mat H = (cv::Mat_<double>(3, 3) << sx.at<double>(0), sx.at<double>(1), sx.at<double>(2), sy.at<double>(0),
                 sy.at<double>(1), sy.at<double>(2), 0, 0, 1);
    if (!sane(H, rw, rh, pw, ph))
        return false;
    double det = H.at<double>(0, 0) * H.at<double>(1, 1) - H.at<double>(0, 1) * H.at<double>(1, 0);
    double size = std::sqrt(std::fabs(det) * rw * rh), cell = det * (rw / (GRID - 1)) * (rh / (GRID - 1));
    double most = 0;
    for (int j = 0; j < GRID; j++)
        for (int i = 0; i < GRID; i++) {
            double u = i * rw / (GRID - 1), v = j * rh / (GRID - 1);
            double dx = node[j][i].x - (H.at<double>(0, 0) * u + H.at<double>(0, 1) * v + H.at<double>(0, 2));
            double dy = node[j][i].y - (H.at<double>(1, 0) * u + H.at<double>(1, 1) * v + H.at<double>(1, 2));
            most = std::max(most, std::hypot(dx, dy));
            c.d[0][j][i] = (float)dx;
            c.d[1][j][i] = (float)dy;
            if (i && j) {
                const cv::Point2d q[4] = {node[j - 1][i - 1], node[j - 1][i], node[j][i], node[j][i - 1]};
                double area;
                if (!convex_quad(q, area) || area < 0.4 * cell || area > 2.5 * cell)
                    return false;
            }
        }
    if (most > BEND_MAX * size || most < BEND_MIN)
        return false;
    for (int i = 0; i < 9; i++)
        c.H[i] = H.at<double>(i / 3, i % 3);
    c.inliers = n;
    c.bent = 1;
    c.bw = rw;
    c.bh = rh;
    return true;
}

}  // namespace

extern "C" int sg_logo_kp_match(const struct sg_logo_kp *const *refs, size_t nrefs, const float *pic, unsigned w,
                                unsigned h, unsigned min_inliers, struct sg_logo_kp_cand *out, size_t max,
                                size_t max_bent)
{
    try {
        threads_off();
        test_fault();
        cv::Mat P(h, w, CV_32F, const_cast<float *>(pic)), p8;
        P.convertTo(p8, CV_8U);
        // Halved when large: an exact halving is OpenCV's fast path.
        double s = 1;
        if (std::max(w, h) > PIC_HALVE) {
            cv::Mat ps;
            cv::resize(p8, ps, cv::Size((int)w / 2, (int)h / 2), 0, 0, cv::INTER_AREA);
            p8 = ps;
            s = 0.5;
        } else if (std::max(w, h) < PIC_SMALL) {
            // A small picture is mostly logo: enlarged, its keypoints are
            // found at the reference's scales.
            s = (double)PIC_SMALL / std::max(w, h);
            cv::Mat ps;
            cv::resize(p8, ps, cv::Size((int)std::lround(w * s), (int)std::lround(h * s)), 0, 0, cv::INTER_LINEAR);
            p8 = ps;
        }
        std::vector<cv::KeyPoint> pk;
        cv::Mat pd;
        orb(PIC_FEATURES)->detectAndCompute(p8, cv::noArray(), pk, pd);
        if ((int)pk.size() < (int)min_inliers || pd.cols != 32 || !pd.isContinuous())
            return 0;
        const uint64_t *train = reinterpret_cast<const uint64_t *>(pd.ptr());
        std::vector<sg_logo_kp_cand> found, bent;
        for (size_t r = 0; r < nrefs; r++) {
            const sg_logo_kp *kp = refs[r];
            if (!kp || kp->desc.cols != 32 || !kp->desc.isContinuous())
                continue;
            // Nearest and second nearest, Lowe's ratio test, and a vote on
            // turn and scale: a true match's pairs agree on both, chance
            // pairs scatter (Lowe's Hough step, before any RANSAC).
            std::vector<int> qi, ti;
            std::vector<int> votes(ANGLE_BINS * SCALE_BINS, 0), bin;
            const uint64_t *q = reinterpret_cast<const uint64_t *>(kp->desc.ptr());
            for (int i = 0; i < kp->desc.rows; i++, q += 4) {
                int nb[3];
                nearest2(q, train, pd.rows, nb);
                if (nb[0] < 0 || nb[1] >= RATIO * nb[2])
                    continue;
                const cv::KeyPoint &p = pk[nb[0]];
                int b = angle_bin(p.angle - kp->angle[i]) * SCALE_BINS +
                        scale_bin((float)(p.size / s) / kp->size[i]);
                qi.push_back(i);
                ti.push_back(nb[0]);
                bin.push_back(b);
                votes[b]++;
            }
            if (qi.size() < min_inliers)
                continue;
            int best = 0, bb = 0;
            for (int a = 0; a < ANGLE_BINS; a++)
                for (int c = 0; c < SCALE_BINS; c++) {
                    int sum = 0;
                    for (int da = -1; da <= 1; da++)
                        for (int dc = -1; dc <= 1; dc++)
                            if (c + dc >= 0 && c + dc < SCALE_BINS)
                                sum += votes[((a + da + ANGLE_BINS) % ANGLE_BINS) * SCALE_BINS + c + dc];
                    if (sum > best) {
                        best = sum;
                        bb = a * SCALE_BINS + c;
                    }
                }
            if (best < (int)min_inliers)
                continue;
            std::vector<cv::Point2f> a, b;
            for (size_t i = 0; i < qi.size(); i++) {
                int da = std::abs(bin[i] / SCALE_BINS - bb / SCALE_BINS), dc = std::abs(bin[i] % SCALE_BINS - bb % SCALE_BINS);
                if ((da <= 1 || da == ANGLE_BINS - 1) && dc <= 1) {
                    a.push_back(kp->pts[qi[i]]);
                    const cv::Point2f &pt = pk[ti[i]].pt;
                    b.emplace_back((float)(pt.x / s), (float)(pt.y / s));
                }
            }
            // A homography, and an affine map beside it: with the inliers
            // on part of the logo only, a homography can swing its far
            // corners away, where an affine map holds. Both are proposed;
            // the check in logo.c picks.
            for (int model = 0; model < 2; model++) {
                std::vector<unsigned char> in;
                cv::Mat H;
                if (model == 0) {
                    H = cv::findHomography(a, b, cv::RANSAC, REPROJ / s, in, 500, 0.995);
                } else {
                    cv::Mat A = cv::estimateAffine2D(a, b, in, cv::RANSAC, REPROJ / s, 500, 0.995);
                    if (!A.empty()) {
                        H = cv::Mat::eye(3, 3, CV_64F);
                        A.copyTo(H.rowRange(0, 2));
                    }
                }
                unsigned n = 0;
                for (unsigned char f : in)
                    n += f != 0;
                if (n < min_inliers || !sane(H, kp->w, kp->h, w, h))
                    continue;
                sg_logo_kp_cand c{};
                c.ref = r;
                c.inliers = n;
                for (int i = 0; i < 9; i++)
                    c.H[i] = H.at<double>(i / 3, i % 3);
                found.push_back(c);
            }
            // The same matches on a surface that bends: checked by logo.c
            // only where no plain proposal passed.
            sg_logo_kp_cand c{};
            c.ref = r;
            if (max_bent && bend(a, b, kp->w, kp->h, REPROJ / s, w, h, min_inliers, c))
                bent.push_back(c);
        }
        auto most = [](const sg_logo_kp_cand &x, const sg_logo_kp_cand &y) { return x.inliers > y.inliers; };
        std::sort(found.begin(), found.end(), most);
        std::sort(bent.begin(), bent.end(), most);
        size_t n = std::min(found.size(), max), nb = std::min(bent.size(), max_bent);
        std::copy(found.begin(), found.begin() + n, out);
        std::copy(bent.begin(), bent.begin() + nb, out + n);
        return (int)(n + nb);
    } catch (...) {
        return -1;
    }
}

extern "C" void sg_logo_kp_bend_at(const struct sg_logo_kp_cand *c, double u, double v, double *dx, double *dy)
{
    *dx = *dy = 0;
    if (!c->bent)
        return;
    double gx = std::min(std::max(u / c->bw * (GRID - 1), 0.0), (double)(GRID - 1));
    double gy = std::min(std::max(v / c->bh * (GRID - 1), 0.0), (double)(GRID - 1));
    int i = std::min((int)gx, GRID - 2), j = std::min((int)gy, GRID - 2);
    double fx = gx - i, fy = gy - j;
    for (int k = 0; k < 2; k++) {
        const float(*g)[GRID] = c->d[k];
        double top = g[j][i] + (g[j][i + 1] - g[j][i]) * fx, bot = g[j + 1][i] + (g[j + 1][i + 1] - g[j + 1][i]) * fx;
        *(k ? dy : dx) = top + (bot - top) * fy;
    }
}

extern "C" void sg_logo_kp_test_fail(unsigned n)
{
    test_fail.store(n);
}
