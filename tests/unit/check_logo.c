/*
 * check_logo.c - PDQ's properties, the logo search on pictures drawn here,
 * and the logo rule end to end (reference file, message, evidence, scope).
 */
#include <check.h>
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check_suites.h"
#include "image_fix.h"
#include "sg_image.h"
#include "sg_logo.h"
#include "sg_logo_kp.h"
#include "sg_pdq.h"
#include "sg_policy.h"
#include "sg_verdict.h"

static uint32_t seed;

/* xorshift32: a plain LCG's low bytes repeat too soon for noise. */
static uint32_t rnd(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    return seed >> 24;
}

/* A shield: blue field, gold chevron, a white "H" and a white triangle,
 * transparent outside. */
static uint8_t *crest(unsigned w, unsigned h)
{
    uint8_t *p = calloc((size_t)w * h, 4);
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            double u = (x + 0.5) / w, v = (y + 0.5) / h, cu = u - 0.5;
            bool in = v < 0.55 || (v - 0.55) / 0.45 < 1 - (2 * fabs(cu)) * (2 * fabs(cu));
            if (!in)
                continue;
            uint8_t *q = p + ((size_t)y * w + x) * 4, c[3] = {31, 58, 147};
            double d = v - (0.15 + 0.55 * fabs(cu) * 2 * 0.6);
            if (d > 0 && d < 0.1 && fabs(cu) < 0.4)
                c[0] = 212, c[1] = 165, c[2] = 28;
            bool letter_h = v > 0.6 && v < 0.8 && ((u > 0.3 && u < 0.36) || (u > 0.44 && u < 0.5) ||
                                                  (u > 0.3 && u < 0.5 && v > 0.68 && v < 0.72));
            bool letter_a = v > 0.6 && v < 0.8 && u > 0.53 && u < 0.72 && fabs(u - 0.625) < (v - 0.6) * 0.5;
            if (letter_h || letter_a)
                c[0] = c[1] = c[2] = 255;
            q[0] = c[0], q[1] = c[1], q[2] = c[2], q[3] = 255;
        }
    return p;
}

/* Colour noise smoothed once: a stand-in for a photo. */
static uint8_t *noise(unsigned w, unsigned h)
{
    uint8_t *p = malloc((size_t)w * h * 4), *q = malloc((size_t)w * h * 4);
    for (size_t i = 0; i < (size_t)w * h * 4; i++)
        q[i] = (uint8_t)rnd();
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++)
            for (int c = 0; c < 4; c++) {
                unsigned s = 0, n = 0;
                for (int dy = -3; dy <= 3; dy++)
                    for (int dx = -3; dx <= 3; dx++) {
                        int xx = (int)x + dx, yy = (int)y + dy;
                        if (xx >= 0 && yy >= 0 && xx < (int)w && yy < (int)h) {
                            s += q[((size_t)yy * w + xx) * 4 + c];
                            n++;
                        }
                    }
                p[((size_t)y * w + x) * 4 + c] = c == 3 ? 255 : (uint8_t)(s / n);
            }
    free(q);
    return p;
}

/* Box-averaged shrink by an integer factor. */
static uint8_t *shrink(const uint8_t *p, unsigned w, unsigned h, unsigned f)
{
    unsigned ow = w / f, oh = h / f;
    uint8_t *o = calloc((size_t)ow * oh, 4);
    for (unsigned y = 0; y < oh; y++)
        for (unsigned x = 0; x < ow; x++)
            for (int c = 0; c < 4; c++) {
                unsigned s = 0;
                for (unsigned j = 0; j < f; j++)
                    for (unsigned i = 0; i < f; i++)
                        s += p[((size_t)(y * f + j) * w + x * f + i) * 4 + c];
                o[((size_t)y * ow + x) * 4 + c] = (uint8_t)(s / (f * f));
            }
    return o;
}

static void flatten_white(uint8_t *p, unsigned w, unsigned h)
{
    for (size_t i = 0; i < (size_t)w * h; i++) {
        for (int c = 0; c < 3; c++)
            p[4 * i + c] = (uint8_t)((p[4 * i + c] * p[4 * i + 3] + 255 * (255 - p[4 * i + 3])) / 255);
        p[4 * i + 3] = 255;
    }
}

static void pdq_of(const uint8_t *rgba, unsigned w, unsigned h, struct sg_pdq *out)
{
    static const uint8_t white[3] = {255, 255, 255};
    float *l = malloc((size_t)w * h * sizeof(float));
    sg_pdq_luma_rgba(rgba, w, h, white, l);
    sg_pdq_hash(l, w, h, out);
    free(l);
}

START_TEST(pdq_identical_resized_recompressed)
{
    uint8_t *a = crest(320, 384);
    struct sg_pdq h0, h1, h2;
    pdq_of(a, 320, 384, &h0);
    pdq_of(a, 320, 384, &h1);
    ck_assert_uint_eq(sg_pdq_distance(&h0, &h1), 0);
    ck_assert_uint_ge(h0.quality, 30);
    uint8_t *s = shrink(a, 320, 384, 4);
    pdq_of(s, 80, 96, &h2);
    ck_assert_uint_le(sg_pdq_distance(&h0, &h2), 16);
    /* Through a JPEG at quality 40 and back. */
    uint8_t *f = malloc(320 * 384 * 4);
    memcpy(f, a, 320 * 384 * 4);
    flatten_white(f, 320, 384);
    size_t len;
    uint8_t *jpg = fx_jpeg(f, 320, 384, FX_JPEG_RGB, 40, &len);
    struct sg_image img;
    ck_assert_int_eq(sg_image_decode(jpg, len, NULL, 0, &img), SG_IMAGE_OK);
    struct sg_pdq h3;
    pdq_of(img.rgba, img.w, img.h, &h3);
    ck_assert_uint_le(sg_pdq_distance(&h0, &h3), 16);
    sg_image_free(&img);
    free(jpg);
    free(f);
    free(s);
    free(a);
}
END_TEST

START_TEST(pdq_unrelated_about_half)
{
    seed = 7;
    unsigned total = 0;
    for (int k = 0; k < 8; k++) {
        uint8_t *a = noise(96, 96), *b = noise(96, 96);
        struct sg_pdq ha, hb;
        pdq_of(a, 96, 96, &ha);
        pdq_of(b, 96, 96, &hb);
        unsigned d = sg_pdq_distance(&ha, &hb);
        ck_assert_uint_ge(d, 80);
        ck_assert_uint_le(d, 176);
        total += d;
        free(a);
        free(b);
    }
    ck_assert_uint_ge(total / 8, 110);
    ck_assert_uint_le(total / 8, 146);
}
END_TEST

/* The eight turns from one transform equal hashing the turned picture. */
START_TEST(pdq_dihedral)
{
    uint8_t *a = crest(128, 160);
    static const uint8_t white[3] = {255, 255, 255};
    float *l = malloc(128 * 160 * sizeof(float)), *t = malloc(128 * 160 * sizeof(float));
    sg_pdq_luma_rgba(a, 128, 160, white, l);
    struct sg_pdq all[8], mirrored, turned;
    sg_pdq_hash8(l, 128, 160, all);
    for (unsigned y = 0; y < 160; y++)
        for (unsigned x = 0; x < 128; x++)
            t[y * 128 + x] = l[y * 128 + 127 - x];
    sg_pdq_hash(t, 128, 160, &mirrored);
    /* A half turn: both mirrors. */
    for (unsigned y = 0; y < 160; y++)
        for (unsigned x = 0; x < 128; x++)
            t[y * 128 + x] = l[(159 - y) * 128 + 127 - x];
    sg_pdq_hash(t, 128, 160, &turned);
    unsigned best_m = 256, best_t = 256;
    for (int i = 0; i < 8; i++) {
        unsigned dm = sg_pdq_distance(&all[i], &mirrored), dt = sg_pdq_distance(&all[i], &turned);
        best_m = dm < best_m ? dm : best_m;
        best_t = dt < best_t ? dt : best_t;
    }
    ck_assert_uint_le(best_m, 4);
    ck_assert_uint_le(best_t, 4);
    ck_assert_uint_ge(sg_pdq_distance(&all[0], &mirrored), 40);
    free(l);
    free(t);
    free(a);
}
END_TEST

static struct sg_logo_set *one_crest_set(void)
{
    struct sg_logo_opts o = {SG_LOGO_DEFAULT_THRESHOLD, SG_LOGO_DEFAULT_MIN_SIZE, SG_LOGO_DEFAULT_MIN_SCORE, false, true};
    struct sg_logo_set *s = sg_logo_set_new(&o);
    struct sg_image ref = {.w = 200, .h = 240, .rgba = crest(200, 240)};
    char err[128];
    ck_assert_msg(sg_logo_set_add(s, "crest", &ref, err, sizeof(err)), "%s", err);
    free(ref.rgba);
    return s;
}

START_TEST(logo_whole_and_inside)
{
    struct sg_logo_set *s = one_crest_set();
    struct sg_logo_hit hit;
    /* The crest itself, smaller, on white. */
    uint8_t *c = crest(100, 120);
    flatten_white(c, 100, 120);
    struct sg_image img = {.w = 100, .h = 120, .rgba = c};
    ck_assert_int_eq(sg_logo_find(s, &img, &hit), 1);
    ck_assert_str_eq(hit.name, "crest");
    ck_assert_uint_eq(hit.stage, 1);
    free(c);
    /* Pasted at 80x96 into a 640x480 "photo". */
    seed = 11;
    uint8_t *bg = noise(640, 480), *small = crest(80, 96);
    for (unsigned y = 0; y < 96; y++)
        for (unsigned x = 0; x < 80; x++) {
            const uint8_t *sp = small + ((size_t)y * 80 + x) * 4;
            uint8_t *dp = bg + ((size_t)(y + 300) * 640 + x + 410) * 4;
            for (int k = 0; k < 3; k++)
                dp[k] = (uint8_t)((sp[k] * sp[3] + dp[k] * (255 - sp[3])) / 255);
        }
    img = (struct sg_image){.w = 640, .h = 480, .rgba = bg};
    ck_assert_int_eq(sg_logo_find(s, &img, &hit), 1);
    ck_assert_uint_eq(hit.stage, 2);
    ck_assert_msg(abs((int)hit.x - 410) < 12 && abs((int)hit.y - 300) < 12 && abs((int)hit.w - 80) < 12,
                  "found at %u,%u %ux%u", hit.x, hit.y, hit.w, hit.h);
    ck_assert(hit.score >= 0.7 && hit.score <= 1.0);
    /* The same photo without the crest. */
    seed = 11;
    free(bg);
    bg = noise(640, 480);
    img.rgba = bg;
    ck_assert_int_eq(sg_logo_find(s, &img, &hit), 0);
    free(bg);
    free(small);
    sg_logo_set_free(s);
}
END_TEST

/* A smooth "photo": two slow waves and a few flat boxes, few corners of
 * its own, like the out-of-focus parts of a real one. */
static uint8_t *soft_photo(unsigned w, unsigned h)
{
    uint8_t *p = malloc((size_t)w * h * 4);
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            uint8_t *q = p + ((size_t)y * w + x) * 4;
            q[0] = (uint8_t)(120 + 60 * sin(x / 37.0) * cos(y / 53.0));
            q[1] = (uint8_t)(140 + 50 * sin((x + y) / 71.0));
            q[2] = (uint8_t)(100 + 40 * cos(x / 29.0 - y / 61.0));
            q[3] = 255;
        }
    for (unsigned k = 0; k < 5; k++) {
        unsigned bx = 20 + 110 * k, by = 30 + 70 * (k % 3);
        for (unsigned y = by; y < by + 50; y++)
            for (unsigned x = bx; x < bx + 70; x++)
                memset(p + ((size_t)y * w + x) * 4, 40 + 40 * k, 3);
    }
    return p;
}

/* Composes reference pixel (u, v), when inside it, over the pixel dp. */
static void blend_at(uint8_t *dp, const uint8_t *ref, unsigned rw, unsigned rh, double u, double v)
{
    if (u < 0 || v < 0 || u >= rw || v >= rh)
        return;
    const uint8_t *sp = ref + ((size_t)v * rw + (size_t)u) * 4;
    for (int k = 0; k < 3; k++)
        dp[k] = (uint8_t)((sp[k] * sp[3] + dp[k] * (255 - sp[3])) / 255);
}

/* Composes the reference (rw x rh) onto bg, turned deg degrees about
 * (cx, cy), keystoned (its lower edge wider by key) and scaled by sc. */
static void paste_turned(uint8_t *bg, unsigned w, unsigned h, const uint8_t *ref, unsigned rw, unsigned rh, double cx,
                         double cy, double deg, double key, double sc)
{
    double a = deg * M_PI / 180, c = cos(a), sn = sin(a);
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            double dx = x - cx, dy = y - cy, rx = c * dx + sn * dy, ry = -sn * dx + c * dy;
            double ux = rx / (1 + key * ry / (rh * sc)), u = ux / sc + rw / 2.0, v = ry / sc + rh / 2.0;
            blend_at(bg + ((size_t)y * w + x) * 4, ref, rw, rh, u, v);
        }
}

/* Stage 3 finds the crest in img, centred within 25 pixels of (cx, cy). */
static void found_by_keypoints(const struct sg_logo_set *s, const struct sg_image *img, int cx, int cy)
{
    struct sg_logo_hit hit;
    ck_assert_int_eq(sg_logo_find(s, img, &hit), 1);
    ck_assert_uint_eq(hit.stage, 3);
    ck_assert_str_eq(hit.name, "crest");
    ck_assert(hit.score >= 0.7 && hit.score <= 1.0);
    ck_assert_msg(abs((int)(hit.x + hit.w / 2) - cx) < 25 && abs((int)(hit.y + hit.h / 2) - cy) < 25,
                  "found at %u,%u %ux%u", hit.x, hit.y, hit.w, hit.h);
}

/* Another school's crest (200 x 240): the same shield and colours, a gold
 * disc for the chevron, no letters. */
static uint8_t *other_crest(void)
{
    uint8_t *other = crest(200, 240);
    for (unsigned y = 0; y < 240; y++)
        for (unsigned x = 0; x < 200; x++) {
            uint8_t *q = other + ((size_t)y * 200 + x) * 4;
            if (!q[3])
                continue;
            double du = x - 100.0, dv = y - 100.0;
            bool disc = du * du + dv * dv < 45 * 45;
            q[0] = disc ? 212 : 31, q[1] = disc ? 165 : 58, q[2] = disc ? 28 : 147;
        }
    return other;
}

/* Stage 3: the crest turned 7 degrees and keystoned inside a picture is
 * found by keypoints, and not by stages 1-2 alone; another crest of the
 * same shield and colours, so placed, is not found. */
START_TEST(logo_keypoints_turned_keystoned)
{
    struct sg_logo_opts o = {SG_LOGO_DEFAULT_THRESHOLD, SG_LOGO_DEFAULT_MIN_SIZE, SG_LOGO_DEFAULT_MIN_SCORE, false, true};
    struct sg_logo_set *with = sg_logo_set_new(&o);
    o.keypoints = false;
    struct sg_logo_set *without = sg_logo_set_new(&o);
    struct sg_image ref = {.w = 200, .h = 240, .rgba = crest(200, 240)};
    char err[128];
    ck_assert_msg(sg_logo_set_add(with, "crest", &ref, err, sizeof(err)), "%s", err);
    ck_assert_msg(sg_logo_set_add(without, "crest", &ref, err, sizeof(err)), "%s", err);
    uint8_t *bg = soft_photo(640, 480);
    paste_turned(bg, 640, 480, ref.rgba, 200, 240, 330, 250, 7, 0.5, 1.1);
    struct sg_image img = {.w = 640, .h = 480, .rgba = bg};
    struct sg_logo_hit hit;
    ck_assert_int_eq(sg_logo_find(without, &img, &hit), 0);
    /* The box is around where the crest was put (about 240 x 280 there). */
    found_by_keypoints(with, &img, 330, 250);
    free(bg);
    uint8_t *other = other_crest();
    bg = soft_photo(640, 480);
    paste_turned(bg, 640, 480, other, 200, 240, 330, 250, 7, 0.5, 1.1);
    img.rgba = bg;
    ck_assert_int_eq(sg_logo_find(with, &img, &hit), 0);
    free(bg);
    free(other);
    free(ref.rgba);
    sg_logo_set_free(with);
    sg_logo_set_free(without);
}
END_TEST

/* Composes the reference (rw x rh) onto bg centred at (cx, cy), scaled by
 * sc and bulged as ImageMagick's -distort Barrel "0 0 k" does (a print on
 * a mug or a ball): a picture point at radius r from the centre, in half
 * the reference's shorter side, shows the reference at r (k r + 1 - k). */
static void paste_bulged(uint8_t *bg, unsigned w, unsigned h, const uint8_t *ref, unsigned rw, unsigned rh, double cx,
                         double cy, double sc, double k)
{
    double half = (rw < rh ? rw : rh) / 2.0;
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            double dx = (x - cx) / sc, dy = (y - cy) / sc, r = sqrt(dx * dx + dy * dy) / half;
            double f = k * r + 1 - k, u = dx * f + rw / 2.0, v = dy * f + rh / 2.0;
            blend_at(bg + ((size_t)y * w + x) * 4, ref, rw, rh, u, v);
        }
}

/* Stage 3's bent proposal: the crest bulged strongly inside a picture is
 * found; another crest of the same shield and colours, bulged alike, is
 * not. */
START_TEST(logo_keypoints_bulged)
{
    struct sg_logo_set *s = one_crest_set();
    struct sg_image ref = {.w = 200, .h = 240, .rgba = crest(200, 240)};
    struct sg_logo_hit hit;
    /* Bulged this much, neither stage 2 nor a plain homography or affine
     * map passes the check (they score under 0.7 here); the bent map does. */
    uint8_t *bg = soft_photo(640, 480);
    paste_bulged(bg, 640, 480, ref.rgba, 200, 240, 320, 240, 1.0, 0.4);
    struct sg_image img = {.w = 640, .h = 480, .rgba = bg};
    found_by_keypoints(s, &img, 320, 240);
    free(bg);
    uint8_t *other = other_crest();
    bg = soft_photo(640, 480);
    paste_bulged(bg, 640, 480, other, 200, 240, 320, 240, 1.0, 0.4);
    img.rgba = bg;
    ck_assert_int_eq(sg_logo_find(s, &img, &hit), 0);
    free(bg);
    free(other);
    sg_logo_set_free(s);
    free(ref.rgba);
}
END_TEST

/* The crest (200 x 240) written as dir/crest.png, and a policy of one
 * rule, logo-out (quarantine), looking for it with more logo options
 * ("" or ", keypoints: true"); yaml receives the policy's text. */
static struct sg_policy *crest_rule(const char *dir, const char *more, char *yaml, size_t yamllen)
{
    char ref_path[128];
    snprintf(ref_path, sizeof(ref_path), "%s/crest.png", dir);
    uint8_t *c = crest(200, 240);
    size_t len;
    uint8_t *png = fx_png(c, 200, 240, FX_PNG_RGBA, &len);
    ck_assert(g_file_set_contents(ref_path, (const char *)png, (gssize)len, NULL));
    free(png);
    free(c);
    snprintf(yaml, yamllen,
             "school:\n  name: T\n  staff_domains: [t.sch.uk]\n  trust_domains: [trust.org.uk]\n"
             "rules:\n  - id: logo-out\n    category: logo\n    action: quarantine\n    cite: \"000 4.4\"\n"
             "    match: {logo: {references: [%s]%s}}\n", ref_path, more);
    char *errors = NULL;
    struct sg_policy *p = sg_test_load_yaml(yaml, &errors, NULL);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    free(errors);
    return p;
}

static void crest_rule_remove(const char *dir)
{
    char ref_path[128];
    snprintf(ref_path, sizeof(ref_path), "%s/crest.png", dir);
    unlink(ref_path);
    rmdir(dir);
}

/* A message to y@example.com with one picture attached (g_free it). */
static char *with_picture(const char *type, const char *name, const uint8_t *data, size_t len)
{
    gchar *b64 = g_base64_encode(data, len);
    char *raw = g_strdup_printf("From: x@t.sch.uk\r\nTo: y@example.com\r\nSubject: for the print shop\r\n"
                                "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
                                "--B\r\nContent-Type: text/plain\r\n\r\nhere\r\n--B\r\nContent-Type: %s\r\n"
                                "Content-Disposition: attachment; filename=\"%s\"\r\n"
                                "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--B--\r\n", type, name, b64);
    g_free(b64);
    return raw;
}

/* Stage 3 failing inside OpenCV (out of memory under the worker's
 * RLIMIT_AS, here the test hook) is the rule's internal error: the search
 * answers -1, the message gets on_internal_error, and nothing is cached as
 * "no logo", so the next message with the same picture is screened. */
START_TEST(logo_keypoints_internal_error)
{
    struct sg_logo_set *s = one_crest_set();
    struct sg_image ref = {.w = 200, .h = 240, .rgba = crest(200, 240)};
    /* The picture only stage 3 finds (logo_keypoints_turned_keystoned). */
    uint8_t *bg = soft_photo(640, 480);
    paste_turned(bg, 640, 480, ref.rgba, 200, 240, 330, 250, 7, 0.5, 1.1);
    struct sg_image img = {.w = 640, .h = 480, .rgba = bg};
    struct sg_logo_hit hit;
    sg_logo_kp_test_fail(1);
    ck_assert_int_eq(sg_logo_find(s, &img, &hit), -1);
    ck_assert_int_eq(sg_logo_find(s, &img, &hit), 1);
    ck_assert_uint_eq(hit.stage, 3);
    sg_logo_set_free(s);

    /* Through the rule and the engine. */
    char dir[] = "/tmp/sg-logo-XXXXXX", yaml[1024];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    struct sg_policy *p = crest_rule(dir, ", keypoints: true", yaml, sizeof(yaml));
    size_t len;
    uint8_t *png = fx_png(bg, 640, 480, FX_PNG_RGBA, &len);
    char *raw = with_picture("image/png", "mug.png", png, len);
    sg_logo_kp_test_fail(1);
    struct sg_verdict v;
    sg_test_judge(p, raw, "y@example.com", &v);
    ck_assert_ptr_nonnull(v.error);
    ck_assert_msg(strstr(v.error, "logo"), "%s", v.error);
    ck_assert_int_eq(v.action, p->actions.on_internal_error);
    ck_assert_int_eq(v.action, SG_ACTION_TEMPFAIL);
    sg_verdict_clear(&v);
    /* The same picture again, OpenCV well: found (the error was not
     * remembered as "no logo"). */
    sg_test_judge(p, raw, "y@example.com", &v);
    ck_assert_ptr_null(v.error);
    ck_assert_int_eq(v.action, SG_ACTION_QUARANTINE);
    ck_assert_uint_eq(v.nhits, 1);
    ck_assert_str_eq(v.hits[0].rule->id, "logo-out");
    sg_verdict_clear(&v);
    sg_policy_unref(p);
    g_free(raw);
    free(png);
    free(bg);
    free(ref.rgba);
    crest_rule_remove(dir);
}
END_TEST

START_TEST(logo_reference_rejected_when_flat)
{
    struct sg_logo_opts o = {40, 48, 70, false, true};
    struct sg_logo_set *s = sg_logo_set_new(&o);
    struct sg_image ref = {.w = 64, .h = 64, .rgba = calloc(64 * 64, 4)};
    char err[128];
    ck_assert(!sg_logo_set_add(s, "empty", &ref, err, sizeof(err)));
    for (size_t i = 0; i < 64 * 64; i++)
        ref.rgba[4 * i] = ref.rgba[4 * i + 3] = 200;
    ck_assert(!sg_logo_set_add(s, "flat", &ref, err, sizeof(err)));
    ck_assert_uint_eq(sg_logo_set_count(s), 0);
    free(ref.rgba);
    sg_logo_set_free(s);
}
END_TEST

/* The rule through the engine: a JPEG copy of the reference attached. */
START_TEST(logo_rule_end_to_end)
{
    char dir[] = "/tmp/sg-logo-XXXXXX", yaml[1024];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    struct sg_policy *p = crest_rule(dir, "", yaml, sizeof(yaml));
    char *errors = NULL;
    uint8_t *c = crest(200, 240);
    flatten_white(c, 200, 240);
    uint8_t *small = shrink(c, 200, 240, 2);
    size_t len;
    uint8_t *jpg = fx_jpeg(small, 100, 120, FX_JPEG_RGB, 60, &len);
    char *raw = with_picture("image/jpeg", "badge.jpg", jpg, len);
    char *ev = sg_test_rule_evidence(p, raw, "y@example.com", "logo-out");
    ck_assert_ptr_nonnull(ev);
    ck_assert_msg(strstr(ev, "logo 'crest' in badge.jpg (score "), "%s", ev);
    free(ev);
    /* Again: the cache answers; and inside the trust the rule has no scope. */
    ev = sg_test_rule_evidence(p, raw, "y@example.com", "logo-out");
    ck_assert_ptr_nonnull(ev);
    free(ev);
    ck_assert_ptr_null(sg_test_rule_evidence(p, raw, "z@trust.org.uk", "logo-out"));
    ck_assert_ptr_null(sg_test_rule_evidence(p, raw, "z@t.sch.uk", "logo-out"));
    sg_policy_unref(p);
    /* A to: written in the rule wins over the detector's default. */
    char *any = g_strdup_printf("%s    to: [any]\n", yaml);
    p = sg_test_load_yaml(any, &errors, NULL);
    ck_assert_msg(p != NULL, "%s", errors ? errors : "");
    ev = sg_test_rule_evidence(p, raw, "z@t.sch.uk", "logo-out");
    ck_assert_ptr_nonnull(ev);
    free(ev);
    sg_policy_unref(p);
    g_free(any);
    g_free(raw);
    free(jpg);
    free(small);
    free(c);
    crest_rule_remove(dir);
}
END_TEST

START_TEST(logo_rule_errors)
{
    char *errors = NULL;
    struct sg_policy *p = sg_test_load_yaml("school:\n  name: T\n  staff_domains: [t.sch.uk]\nrules:\n"
                                            "  - id: l\n    category: logo\n    action: annotate\n    cite: c\n"
                                            "    match: {logo: {references: [/nonexistent/crest.png]}}\n",
                                            &errors, NULL);
    ck_assert_ptr_null(p);
    ck_assert_msg(errors && strstr(errors, "cannot read reference /nonexistent/crest.png"), "%s", errors);
    free(errors);
    errors = NULL;
    p = sg_test_load_yaml("school:\n  name: T\n  staff_domains: [t.sch.uk]\nrules:\n"
                          "  - id: l\n    category: logo\n    action: annotate\n    cite: c\n"
                          "    match: {logo: true}\n",
                          &errors, NULL);
    ck_assert_ptr_null(p);
    ck_assert_msg(errors && strstr(errors, "logo takes options"), "%s", errors);
    free(errors);
}
END_TEST

Suite *sg_suite_logo(void)
{
    Suite *s = suite_create("logo");
    TCase *tc = tcase_create("logo");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, pdq_identical_resized_recompressed);
    tcase_add_test(tc, pdq_unrelated_about_half);
    tcase_add_test(tc, pdq_dihedral);
    tcase_add_test(tc, logo_whole_and_inside);
    tcase_add_test(tc, logo_keypoints_turned_keystoned);
    tcase_add_test(tc, logo_keypoints_internal_error);
    tcase_add_test(tc, logo_keypoints_bulged);
    tcase_add_test(tc, logo_reference_rejected_when_flat);
    tcase_add_test(tc, logo_rule_end_to_end);
    tcase_add_test(tc, logo_rule_errors);
    suite_add_tcase(s, tc);
    return s;
}
