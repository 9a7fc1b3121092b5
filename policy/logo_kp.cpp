/*
 * logo_kp.cpp - stage 3 of the logo search (sg_logo_kp.h): ORB keypoints
 * of each reference, made once per policy snapshot, matched against the
 * picture's with a ratio test, and a RANSAC homography.
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

// A homography a print can take: a convex quadrilateral of the reference's
// orientation, not folded, not a sliver, no side more than twice its
// opposite, of an aspect near the reference's.
bool sane(const cv::Mat &H, double rw, double rh, double pw, double ph)
{
    if (H.empty())
        return false;
    std::vector<cv::Point2d> c = {{0, 0}, {rw, 0}, {rw, rh}, {0, rh}}, q;
    cv::perspectiveTransform(c, q, H);
    double area = 0;
    for (int i = 0; i < 4; i++) {
        const cv::Point2d &a = q[i], &b = q[(i + 1) % 4], &d = q[(i + 2) % 4];
        double cross = (b.x - a.x) * (d.y - b.y) - (b.y - a.y) * (d.x - b.x);
        if (cross <= 0 || !std::isfinite(cross))
            return false;
        area += a.x * b.y - b.x * a.y;
    }
    area /= 2;
    if (area < 24.0 * 24 || area > 1.5 * pw * ph)
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

}  // namespace

extern "C" int sg_logo_kp_match(const struct sg_logo_kp *const *refs, size_t nrefs, const float *pic, unsigned w,
                                unsigned h, unsigned min_inliers, struct sg_logo_kp_cand *out, size_t max)
{
    try {
        threads_off();
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
        std::vector<sg_logo_kp_cand> found;
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
                sg_logo_kp_cand c;
                c.ref = r;
                c.inliers = n;
                for (int i = 0; i < 9; i++)
                    c.H[i] = H.at<double>(i / 3, i % 3);
                found.push_back(c);
            }
        }
        std::sort(found.begin(), found.end(),
                  [](const sg_logo_kp_cand &x, const sg_logo_kp_cand &y) { return x.inliers > y.inliers; });
        size_t n = std::min(found.size(), max);
        std::copy(found.begin(), found.begin() + n, out);
        return (int)n;
    } catch (...) {
        return -1;
    }
}
