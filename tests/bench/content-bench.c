/*
 * content-bench.c - the text engine's throughput, stage by stage, with a
 * whole policy loaded. Built and run by tests/bench/content.sh; not
 * installed.
 *
 *   content-bench POLICY MB CORPUS.eml...
 *
 * The workload is a set of messages: every corpus message once per
 * cycle, and generated staff mail (plain English, some HTML copies, some
 * reply history, now and then a curly quote or an accented name) so that
 * most of the bytes are benign mail, as a school's outbound mail is.
 * Cycles repeat until the message text reaches MB megabytes.
 *
 * Stages, each timed over every message, best of three runs (the machine
 * is shared):
 *   parse       GMime: MIME, transfer decoding, HTML to text
 *   normalise   sg_text_normalise on each part's decoded text
 *   segments    sg_scantext_build: normalise, quote split, segments
 *   scan_all    sg_matcher_scan_all on each message's scanned text
 *   hs_scan     hs_scan alone, same database, same text
 *   evaluate    sg_engine_evaluate: segments + scan + every detector
 * and once more on all the scanned text as one buffer (normalise,
 * scan_all, hs_scan), which is Hyperscan's best case.
 *
 * The raw database is read back from SAFEGUARD_HS_CACHE, which the
 * script points at an empty folder: the one file there after the policy
 * loads is the matcher's database, so hs_scan sees exactly what
 * sg_matcher_scan_all scans with.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <hs/hs.h>
#include "sg_detector.h"
#include "sg_engine.h"
#include "sg_segment.h"
#include "sg_text.h"
#include "sg_verdict.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long long rng = 20261125;

static unsigned pick(unsigned n)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(rng >> 33) % n;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *sentences[] = {
    "Thank you for your email about the Year 9 geography field trip next Thursday.",
    "The coach leaves at 08:15 from the front of the school and returns by 16:30.",
    "Please make sure the consent form is back with the office by Monday.",
    "Packed lunches are needed and waterproofs are strongly recommended.",
    "I have attached the revision timetable for the mock examinations in January.",
    "The department meeting has moved to Room 14 after school on Wednesday.",
    "Could you let me know whether the minibus is booked for the fixture on Saturday?",
    "Parents' evening for Year 11 is on the 3rd of December from 4pm until 7pm.",
    "The homework for this week is on the learning platform under English Literature.",
    "We are short of invigilators for the afternoon session, so any help would be welcome.",
    "The library will be closed on Friday for the stock check.",
    "Reports will be sent home at the end of term, as in previous years.",
    "Please remind your tutor group that PE kit is needed on Tuesdays and Thursdays.",
    "The school choir is performing at the town hall on the evening of the 12th.",
    "I will be out of the office on a course tomorrow but will reply on Thursday.",
    "Could the cover supervisor pick up my Year 8 class in period 3?",
    "The new seating plans are in the shared drive under Science, Key Stage 3.",
    "Our next INSET day is Monday 4 January; the agenda will follow next week.",
    "The trip letter went out on Tuesday and the deadline for payment is Friday.",
    "Please bring a calculator, a protractor and a black pen to the maths exam.",
    "The canteen will be serving a Christmas lunch on the last Thursday of term.",
    "Many thanks for organising the charity bake sale; it raised over three hundred pounds.",
    "The fire drill is planned for next week, so please go through the routes with your class.",
    "I have updated the marking rubric for the coursework; the changes are in red.",
    "The sixth form open evening starts at 6pm in the main hall.",
    "Let me know if you need any more copies of the worksheet for Monday.",
    "The orchestra rehearsal is cancelled this week because of the concert.",
    "Could you send me the attendance figures for the autumn term by Friday?",
    "The visiting author will talk to Years 7 and 8 in the drama studio.",
    "Lockers can be renewed at the finance office before the end of the month.",
};
static const char *rare[] = {
    "it\xe2\x80\x99s", "\xe2\x80\x9c" "excellent\xe2\x80\x9d", "Zo\xc3\xab", "Ren\xc3\xa9" "e",
    "Se\xc3\xa1n", "\xe2\x80\x93", "10\xc2\xa0" "am", "\xe2\x82\xac" "20", "caf\xc3\xa9",
};
static const char *greet[] = {"Dear Mrs Patel,", "Hi all,", "Dear parents and carers,", "Hello Mr Jones,",
                              "Good morning,"};
static const char *sign[] = {"Kind regards,\nTom Teacher\nHead of Geography\nNorthfield Academy",
                             "Thanks,\nPat\n", "Best wishes,\nMs J Smith\nTeacher of English",
                             "Regards,\nThe School Office\nNorthfield Academy\n01632 960000"};

static void paragraph(struct sg_buf *b, const char *prefix)
{
    unsigned n = 3 + pick(4);
    sg_buf_puts(b, prefix);
    for (unsigned i = 0; i < n; i++) {
        const char *s = sentences[pick(COUNT(sentences))];
        if (pick(6) == 0) {
            /* a word or two as Outlook writes them: curly quotes, en dashes */
            size_t cut = strcspn(s, " ");
            sg_buf_append(b, s, cut);
            sg_buf_printf(b, " %s%s", rare[pick(COUNT(rare))], s + cut);
        } else {
            sg_buf_puts(b, s);
        }
        sg_buf_puts(b, i + 1 < n ? " " : "\n");
    }
    sg_buf_puts(b, prefix[0] ? ">\n" : "\n");
}

/* One generated staff message of roughly kb kilobytes of text. */
static char *filler_mail(unsigned kb, size_t *len)
{
    struct sg_buf body = {0};
    sg_buf_printf(&body, "%s\n\n", greet[pick(COUNT(greet))]);
    while (body.len < (size_t)kb * 1024 * 2 / 3)
        paragraph(&body, "");
    sg_buf_printf(&body, "%s\n", sign[pick(COUNT(sign))]);
    if (pick(3) == 0) {          /* a reply: the history under it */
        sg_buf_puts(&body, "\nOn Tue, 24 Nov 2026 at 16:02, Office <office@northfield.sch.uk> wrote:\n");
        while (body.len < (size_t)kb * 1024)
            paragraph(&body, "> ");
    } else {
        while (body.len < (size_t)kb * 1024)
            paragraph(&body, "");
    }
    bool html = pick(3) == 0;
    struct sg_buf m = {0};
    sg_buf_printf(&m, "From: Tom Teacher <tom.teacher@northfield.sch.uk>\nTo: Parent <parent@example.com>\n"
                      "Subject: Year 9 trip, item %u\nDate: Wed, 25 Nov 2026 10:00:00 +0000\n"
                      "Message-ID: <bench%u@northfield.sch.uk>\nMIME-Version: 1.0\n",
                  pick(1000), pick(1000000));
    if (!html) {
        sg_buf_printf(&m, "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n%s",
                      body.data);
    } else {
        sg_buf_puts(&m, "Content-Type: multipart/alternative; boundary=\"alt\"\n\n--alt\n"
                        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n");
        sg_buf_puts(&m, body.data);
        sg_buf_puts(&m, "\n--alt\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
                        "<html><body><p>");
        for (const char *c = body.data; *c; c++) {
            if (*c == '\n')
                sg_buf_puts(&m, c[1] == '\n' ? "</p>\n<p>" : "<br>\n");
            else if (*c == '<')
                sg_buf_puts(&m, "&lt;");
            else if (*c == '>')
                sg_buf_puts(&m, "&gt;");
            else
                sg_buf_append(&m, c, 1);
        }
        sg_buf_puts(&m, "</p></body></html>\n--alt--\n");
    }
    sg_buf_free(&body);
    *len = m.len;
    return sg_buf_steal(&m);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct sg_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        sg_buf_append(&b, chunk, n);
    fclose(f);
    *len = b.len;
    return b.data ? sg_buf_steal(&b) : sg_xstrdup("");
}

/* The matcher's databases (the phrases' and the detectors' anchors),
 * read back from the (fresh) cache folder. */
#define MAX_DBS 4
static size_t cached_dbs(hs_database_t **dbs)
{
    const char *dir = getenv("SAFEGUARD_HS_CACHE");
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d)
        return 0;
    size_t found = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".hsdb"))
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        size_t len;
        char *bytes = slurp(path, &len);
        if (found < MAX_DBS && bytes && hs_deserialize_database(bytes, len, &dbs[found]) == HS_SUCCESS)
            found++;
        free(bytes);
    }
    closedir(d);
    if (!found)
        fprintf(stderr, "content-bench: no database in %s (a fresh folder)\n", dir);
    return found;
}

static int scan_dbs(hs_database_t *const *dbs, size_t n, const char *text, size_t len, hs_scratch_t *s,
                    size_t *sink);

static int count_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *ctx)
{
    (void)id, (void)from, (void)to, (void)flags;
    ++*(size_t *)ctx;
    return 0;
}

static int scan_dbs(hs_database_t *const *dbs, size_t n, const char *text, size_t len, hs_scratch_t *s,
                    size_t *sink)
{
    for (size_t i = 0; i < n; i++) {
        hs_error_t rc = hs_scan(dbs[i], text, (unsigned)len, 0, s, count_match, sink);
        if (rc != HS_SUCCESS)
            return rc;
    }
    return HS_SUCCESS;
}

struct work {
    const struct sg_policy *p;
    struct sg_message **msgs;
    char **raw;
    size_t *rawlen;
    size_t n;
    struct sg_scantext *st;      /* each message's scanned text, built once */
    struct sg_scan *scan;        /* and what the detectors see of it (for --detectors) */
    hs_database_t *db[MAX_DBS];
    size_t ndb;
    hs_scratch_t *scratch;
    struct sg_envelope env;
    const char *big;             /* every scanned text end to end */
    size_t biglen;
    const char *bigraw;          /* every part's decoded text end to end */
    size_t bigrawlen;
    size_t sink;                 /* results, so nothing is optimised away */
};

typedef void (*stage_fn)(struct work *w);

static void st_parse(struct work *w)
{
    for (size_t i = 0; i < w->n; i++) {
        char err[256];
        struct sg_message *m = sg_message_parse_mem(w->raw[i], w->rawlen[i], &w->p->limits.msg, err, sizeof(err));
        w->sink += m ? m->nparts : 0;
        sg_message_free(m);
    }
}

static void st_normalise(struct work *w)
{
    struct sg_buf out = {0};
    for (size_t i = 0; i < w->n; i++)
        for (size_t k = 0; k < w->msgs[i]->nparts; k++) {
            out.len = 0;
            sg_text_normalise(w->msgs[i]->parts[k].text, w->msgs[i]->parts[k].len, &out);
            w->sink += out.len;
        }
    sg_buf_free(&out);
}

static void st_segments(struct work *w)
{
    for (size_t i = 0; i < w->n; i++) {
        struct sg_scantext st = {0};
        sg_scantext_build(w->p, w->msgs[i], &st);
        w->sink += st.nsegs;
        sg_scantext_free(&st);
    }
}

static void scan_all(struct work *w, const char *t, size_t len)
{
    unsigned char *hits = sg_xcalloc(sg_matcher_count(w->p->matcher) + 1, 1);
    struct sg_match *v = NULL;
    size_t nv = 0;
    bool capped = false;
    if (!sg_matcher_scan_all(w->p->matcher, t, len, hits, &v, &nv, (size_t)1 << 30, &capped)) {
        fprintf(stderr, "content-bench: scan failed\n");
        exit(1);
    }
    w->sink += nv;
    free(v);
    free(hits);
}

static void st_scan_all(struct work *w)
{
    for (size_t i = 0; i < w->n; i++)
        scan_all(w, w->st[i].text.data ? w->st[i].text.data : "", w->st[i].text.len);
}

static void st_hs_scan(struct work *w)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->st[i].text.len &&
            scan_dbs(w->db, w->ndb, w->st[i].text.data, w->st[i].text.len, w->scratch, &w->sink) != HS_SUCCESS)
            exit(1);
}

static void st_evaluate(struct work *w)
{
    for (size_t i = 0; i < w->n; i++) {
        struct sg_verdict v;
        sg_verdict_init(&v, sg_strv_len(w->env.rcpts));
        sg_engine_evaluate(w->p, &w->env, w->msgs[i], &v);
        w->sink += v.nhits;
        sg_verdict_clear(&v);
    }
}

/* Each rule's conditions in turn, as eval_rule asks them (stopping at
 * the first that finds nothing), timed per detector. */
#define MAX_KEYS 64
static const char *det_key[MAX_KEYS];
static double det_secs[MAX_KEYS];
static size_t det_calls[MAX_KEYS], ndet;

static size_t det_slot(const char *key)
{
    for (size_t i = 0; i < ndet; i++)
        if (!strcmp(det_key[i], key))
            return i;
    if (ndet == MAX_KEYS)
        return MAX_KEYS - 1;
    det_key[ndet] = key;
    return ndet++;
}

static void prepare_scans(struct work *w)
{
    unsigned npat = sg_matcher_count(w->p->matcher);
    w->scan = sg_xcalloc(w->n, sizeof(*w->scan));
    static enum sg_rclass rclass[2];
    static const struct sg_person *rperson[2];
    for (size_t r = 0; r < 2; r++)
        rclass[r] = sg_policy_classify_person(w->p, w->env.rcpts[r], &rperson[r]);
    for (size_t i = 0; i < w->n; i++) {
        struct sg_scantext *st = &w->st[i];
        unsigned char *hits = sg_xcalloc(npat + 1, 1), *own = sg_xcalloc(npat + 1, 1);
        struct sg_match *v = NULL;
        size_t nv = 0, seg = 0;
        bool capped;
        sg_matcher_scan_all(w->p->matcher, st->text.data ? st->text.data : "", st->text.len, hits, &v, &nv,
                            (size_t)1 << 20, &capped);
        for (size_t k = 0; k < nv; k++) {
            while (seg + 1 < st->nsegs && st->segs[seg + 1].off <= v[k].start)
                seg++;
            if (!st->nsegs || !st->segs[seg].quoted)
                own[v[k].id] = 1;
        }
        w->scan[i] = (struct sg_scan){
            .policy = w->p, .env = &w->env, .msg = w->msgs[i],
            .text = st->text.data ? st->text.data : "", .text_len = st->text.len,
            .pattern_hits = hits, .own_hits = own, .rclass = rclass, .nrcpt = 2,
            .rcpt_person = rperson, .segs = st->segs, .nsegs = st->nsegs, .matches = v, .nmatches = nv,
        };
    }
}

static void st_detectors(struct work *w)
{
    memset(det_secs, 0, sizeof(det_secs));
    memset(det_calls, 0, sizeof(det_calls));
    for (size_t i = 0; i < w->n; i++)
        for (size_t r = 0; r < w->p->nrules; r++) {
            const struct sg_rule *rule = &w->p->rules[r];
            for (size_t c = 0; c < rule->nconds; c++) {
                bool on[2] = {true, true};
                struct sg_finding f = {.rcpt_on = on, .nrcpt = 2};
                size_t k = det_slot(rule->conds[c].det->key);
                double t0 = now();
                int rc = rule->conds[c].det->scan(rule->conds[c].state, &w->scan[i], &f);
                det_secs[k] += now() - t0;
                det_calls[k]++;
                sg_buf_free(&f.evidence);
                if (rc <= 0)
                    break;
            }
        }
}

static void big_normalise(struct work *w)
{
    struct sg_buf out = {0};
    for (size_t off = 0; off < w->bigrawlen;) {
        /* 64 KiB blocks cut on a character edge, as parts are handed over */
        size_t n = w->bigrawlen - off < 65536 ? w->bigrawlen - off : 65536;
        while (off + n < w->bigrawlen && ((unsigned char)w->bigraw[off + n] & 0xc0) == 0x80)
            n--;
        sg_text_normalise(w->bigraw + off, n, &out);
        off += n;
    }
    w->sink += out.len;
    sg_buf_free(&out);
}

static void big_scan_all(struct work *w)
{
    scan_all(w, w->big, w->biglen);
}

static void big_hs_scan(struct work *w)
{
    if (scan_dbs(w->db, w->ndb, w->big, w->biglen, w->scratch, &w->sink) != HS_SUCCESS)
        exit(1);
}

static double best_secs(struct work *w, stage_fn fn, int runs)
{
    double best = 1e30;
    for (int r = 0; r < runs; r++) {
        double t0 = now();
        fn(w);
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    return best;
}

/* --dump: text for the attachment fixtures, mixed as the workload is:
 * each corpus message's decoded text, then four times as much generated
 * staff prose (lines of mkattach's "===" markers and blank lines
 * dropped). */
static int dump(int n, char **files)
{
    struct sg_message_limits lim;
    sg_message_default_limits(&lim);
    for (int i = 0; i < n; i++) {
        size_t len;
        char *raw = slurp(files[i], &len), err[256];
        struct sg_message *m = raw ? sg_message_parse_mem(raw, len, &lim, err, sizeof(err)) : NULL;
        for (size_t k = 0; m && k < m->nparts; k++) {
            const char *t = m->parts[k].text, *end = t + m->parts[k].len;
            while (t < end) {
                const char *nl = memchr(t, '\n', (size_t)(end - t));
                size_t ll = nl ? (size_t)(nl - t) : (size_t)(end - t);
                while (ll && (t[ll - 1] == '\r' || t[ll - 1] == ' '))
                    ll--;
                if (ll && !(ll >= 3 && !memcmp(t, "===", 3)))
                    printf("%.*s\n", (int)ll, t);
                t = nl ? nl + 1 : end;
            }
        }
        size_t own = 0;
        for (size_t k = 0; m && k < m->nparts; k++)
            own += m->parts[k].len;
        struct sg_buf prose = {0};
        while (prose.len < 4 * own)
            paragraph(&prose, "");
        if (prose.len)
            fputs(prose.data, stdout);
        sg_buf_free(&prose);
        sg_message_free(m);
        free(raw);
    }
    return 0;
}

int main(int argc, char **argv)
{
    sg_message_init_library();
    if (argc >= 2 && !strcmp(argv[1], "--dump"))
        return dump(argc - 2, argv + 2);
    if (argc < 4) {
        fprintf(stderr, "usage: content-bench POLICY MB CORPUS.eml...\n       content-bench --dump CORPUS.eml...\n");
        return 2;
    }
    const char *only = getenv("BENCH_ONLY");   /* one stage, for perf record */
    double t0 = now();
    char *errors = NULL;
    struct sg_policy *p = sg_policy_load(argv[1], &errors);
    if (!p) {
        fputs(errors ? errors : "policy did not load\n", stderr);
        return 2;
    }
    double load = now() - t0;
    struct work w = {.p = p};
    if (!(w.ndb = cached_dbs(w.db)))
        return 2;
    size_t dbsize = 0;
    for (size_t i = 0; i < w.ndb; i++) {
        size_t one = 0;
        if (hs_alloc_scratch(w.db[i], &w.scratch) != HS_SUCCESS)
            return 2;
        hs_database_size(w.db[i], &one);
        dbsize += one;
    }

    /* The corpus, read once. */
    size_t ncorpus = (size_t)argc - 3, corpus_bytes = 0;
    char **craw = sg_xcalloc(ncorpus, sizeof(char *));
    size_t *clen = sg_xcalloc(ncorpus, sizeof(size_t));
    for (size_t i = 0; i < ncorpus; i++) {
        if (!(craw[i] = slurp(argv[i + 3], &clen[i]))) {
            perror(argv[i + 3]);
            return 2;
        }
        corpus_bytes += clen[i];
    }

    /* Cycles of the corpus and about four times its size in generated mail. */
    size_t want = (size_t)(strtod(argv[2], NULL) * 1e6), text_bytes = 0, raw_bytes = 0, corpus_text = 0;
    size_t cap = 0, cycles = 0;
    while (text_bytes < want) {
        cycles++;
        size_t filler = 0;
        for (size_t i = 0; i < ncorpus || filler < 4 * corpus_bytes; i++) {
            char *raw;
            size_t len;
            bool from_corpus = i < ncorpus;
            if (from_corpus) {
                raw = sg_xmalloc(clen[i] + 1);
                memcpy(raw, craw[i], clen[i] + 1);
                len = clen[i];
            } else {
                /* staff mail sizes: mostly a few KB, some long threads */
                unsigned kb = pick(10) == 0 ? 20 + pick(60) : 2 + pick(10);
                raw = filler_mail(kb, &len);
                filler += len;
            }
            char err[256];
            struct sg_message *m = sg_message_parse_mem(raw, len, &p->limits.msg, err, sizeof(err));
            if (!m) {
                fprintf(stderr, "content-bench: %s\n", err);
                return 2;
            }
            if (w.n == cap) {
                cap = cap ? cap * 2 : 1024;
                w.msgs = sg_xrealloc(w.msgs, cap * sizeof(*w.msgs));
                w.raw = sg_xrealloc(w.raw, cap * sizeof(*w.raw));
                w.rawlen = sg_xrealloc(w.rawlen, cap * sizeof(*w.rawlen));
            }
            w.msgs[w.n] = m;
            w.raw[w.n] = raw;
            w.rawlen[w.n++] = len;
            raw_bytes += len;
            for (size_t k = 0; k < m->nparts; k++) {
                text_bytes += m->parts[k].len;
                if (from_corpus)
                    corpus_text += m->parts[k].len;
            }
        }
    }
    /* Scanned texts, built once for the scan stages; the big buffers. */
    w.st = sg_xcalloc(w.n, sizeof(*w.st));
    struct sg_buf big = {0}, bigraw = {0};
    size_t nonascii = 0;
    for (size_t i = 0; i < w.n; i++) {
        sg_scantext_build(p, w.msgs[i], &w.st[i]);
        if (w.st[i].text.len)
            sg_buf_append(&big, w.st[i].text.data, w.st[i].text.len);
        for (size_t k = 0; k < w.msgs[i]->nparts; k++) {
            sg_buf_append(&bigraw, w.msgs[i]->parts[k].text, w.msgs[i]->parts[k].len);
            sg_buf_append(&bigraw, "\n", 1);
        }
    }
    for (size_t i = 0; i < bigraw.len; i++)
        nonascii += (unsigned char)bigraw.data[i] >= 0x80;
    w.big = big.data;
    w.biglen = big.len;
    w.bigraw = bigraw.data;
    w.bigrawlen = bigraw.len;
    if (big.len >= (size_t)1 << 31) {
        fprintf(stderr, "content-bench: keep MB under 2000\n");
        return 2;
    }

    /* Staff mail to a parent and to a pupil, in school hours: every
     * rule has a recipient in its scope. */
    char *rcpts[] = {"parent@example.com", "amy.pupil@pupils.northfield.sch.uk", NULL};
    w.env = (struct sg_envelope){.mail_from = "tom.teacher@northfield.sch.uk", .rcpts = rcpts,
                                 .client_addr = "127.0.0.1", .when = 1795600800 /* 2026-11-25 10:00Z */};

    printf("policy %s: %u patterns, database %.1f MB, loaded in %.2f s\n", argv[1], sg_matcher_count(p->matcher),
           dbsize / 1e6, load);
    printf("workload: %zu messages (%zu corpus files x %zu cycles + generated staff mail), %.1f MB raw,\n"
           "          %.1f MB decoded text (%.0f%% from the corpus, %.2f%% non-ASCII bytes), %.1f MB scanned text\n",
           w.n, ncorpus, cycles, raw_bytes / 1e6, text_bytes / 1e6, 100.0 * corpus_text / text_bytes,
           100.0 * nonascii / bigraw.len, big.len / 1e6);

    struct {
        const char *name;
        stage_fn fn;
        int runs;
        int per;                 /* 0 raw MB, 1 decoded text MB, 2 scanned text MB */
    } stages[] = {
        {"parse (GMime, HTML)", st_parse, 3, 0},
        {"normalise (per part)", st_normalise, 3, 1},
        {"segments (scantext_build)", st_segments, 3, 1},
        {"scan_all (per message)", st_scan_all, 3, 2},
        {"hs_scan (per message)", st_hs_scan, 3, 2},
        {"evaluate (per message)", st_evaluate, 3, 1},
        {"detectors (per message)", st_detectors, 1, 1},
        {"normalise (one buffer)", big_normalise, 3, 1},
        {"scan_all (one buffer)", big_scan_all, 3, 2},
        {"hs_scan (one buffer)", big_hs_scan, 3, 2},
    };
    double secs[COUNT(stages)] = {0};
    prepare_scans(&w);
    double mb[3] = {raw_bytes / 1e6, text_bytes / 1e6, big.len / 1e6};
    printf("\n%-28s %10s %10s %10s\n", "stage (best of 3)", "seconds", "MB/s", "MB is");
    for (size_t i = 0; i < COUNT(stages); i++) {
        if (only && !strstr(stages[i].name, only))
            continue;
        secs[i] = best_secs(&w, stages[i].fn, stages[i].runs);
        static const char *what[] = {"raw", "text", "scanned"};
        printf("%-28s %10.3f %10.1f %10s\n", stages[i].name, secs[i], mb[stages[i].per] / secs[i],
               what[stages[i].per]);
    }
    if (ndet) {
        printf("\n%-28s %10s %10s %10s\n", "detector (one run)", "seconds", "calls", "MB/s");
        for (size_t i = 0; i < ndet; i++)
            if (det_secs[i] > 0.001 * secs[6])
                printf("%-28s %10.3f %10zu %10.1f\n", det_key[i], det_secs[i], det_calls[i], mb[1] / det_secs[i]);
    }
    if (!only) {
        double detectors = secs[5] - secs[2] - secs[3];
        printf("\nevaluate = segments %.0f%% + scan_all %.0f%% + detectors and the rest %.0f%%\n",
               100 * secs[2] / secs[5], 100 * secs[3] / secs[5], 100 * detectors / secs[5]);
        printf("text path (evaluate) / hs_scan alone, per message: %.2f (time ratio %.1fx)\n",
               (mb[1] / secs[5]) / (mb[2] / secs[4]), secs[5] / secs[4]);
        printf("scan_all / hs_scan alone, per message: %.2f; one buffer: %.2f\n", secs[4] / secs[3],
               secs[9] / secs[8]);
        printf("whole path with GMime (parse + evaluate): %.1f MB/s of text, %.1f MB/s of raw mail\n",
               mb[1] / (secs[0] + secs[5]), mb[0] / (secs[0] + secs[5]));
    }
    fprintf(stderr, "(sink %zu)\n", w.sink);
    return 0;
}
