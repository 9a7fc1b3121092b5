/*
 * sg_extract.h - text out of attachments: one extractor per file type,
 * chosen by the sniffed type, each in policy/extract/<name>.c.
 *
 * Extraction runs inside the evaluation worker (policy/worker.c), whose
 * rlimits bound what a hostile file can cost; the budgets here make a
 * parser stop early with a reportable status, never with "no text".
 * Nothing here writes to syslog or keeps text beyond the call.
 */
#ifndef SG_EXTRACT_H
#define SG_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>

/* What stopped an extraction short; several may be set. Each is reported:
 * the engine turns ENCRYPTED into limits.on_encrypted and the others into
 * limits.on_limit, so an unread attachment is never a clean accept. */
enum sg_extract_status {
    SG_EXTRACT_OK = 0,
    SG_EXTRACT_ENCRYPTED = 1u << 0,   /* password-protected zip, encrypted PDF or Office file */
    SG_EXTRACT_BUDGET = 1u << 1,      /* text, input, entry, ratio or time budget ran out */
    SG_EXTRACT_DEPTH = 1u << 2,       /* archives nested past max_depth */
    SG_EXTRACT_MALFORMED = 1u << 3,   /* the parser could not read the file as its type */
};

struct sg_extract_budget {
    size_t max_text;           /* bytes of text emitted, all entries together */
    size_t max_input;          /* bytes decompressed from containers, all together */
    size_t max_entries;        /* zip entries / OOXML parts / PDF pages looked at */
    unsigned max_depth;        /* archives inside archives: 1 = open the attachment only */
    unsigned max_ratio;        /* decompressed / compressed, per entry */
    double max_seconds;        /* wall time for the whole attachment */
};

void sg_extract_default_budget(struct sg_extract_budget *b);

/* Receives text as it is found. where is NULL for the file's own text, or
 * says where inside it: "sheet 2", "page 3", "slide 4", "notes.docx" (an
 * archive entry), "notes.docx, page 2"... UTF-8, not normalised. Return
 * false to stop (the caller has what it needs). */
typedef bool (*sg_extract_emit)(void *ctx, const char *where, const char *text, size_t len);

struct sg_extract_ctx;

/* One extractor: a name for logs and docs, the sniffed types it reads
 * (sg_sniff_type() names, NULL-terminated), and its run function, which
 * returns enum sg_extract_status bits. depth is how many containers deep
 * this file already is (0 for the attachment itself). */
struct sg_extractor {
    const char *name;
    const char *const *types;
    const char *doc;
    unsigned (*run)(const unsigned char *data, size_t len, const char *where,
                    unsigned depth, struct sg_extract_ctx *x);
};

/* struct sg_extract_ctx is the shared state of one attachment's
 * extraction: budgets left, the emit callback, the deadline. Extractors
 * call sg_extract_text() to emit and sg_extract_nested() for an archive
 * entry or embedded file. */

/* Emits text found at where (may be NULL); false when the text budget or
 * the caller said stop, and the extractor should return. */
bool sg_extract_text(struct sg_extract_ctx *x, const char *where, const char *text, size_t len);
/* Extracts an entry of a container by its own sniffed type, one level
 * deeper; returns its status bits. */
unsigned sg_extract_nested(struct sg_extract_ctx *x, const unsigned char *data, size_t len,
                           const char *name, const char *where, unsigned depth);
/* Counts bytes decompressed (and one entry when entry is set); false once
 * a budget is spent: stop and report SG_EXTRACT_BUDGET. */
bool sg_extract_take(struct sg_extract_ctx *x, size_t bytes, bool entry);
/* False once the time budget is spent (recording BUDGET) or the caller
 * has said stop. */
bool sg_extract_in_time(struct sg_extract_ctx *x);
const struct sg_extract_budget *sg_extract_budget_of(const struct sg_extract_ctx *x);

/* Extracts the text of one attachment (its decoded bytes, sniffed type
 * and file name). Returns status bits; an attachment type nobody reads
 * is SG_EXTRACT_OK with nothing emitted. */
unsigned sg_extract_attachment(const unsigned char *data, size_t len, const char *sniffed,
                               const char *filename, const struct sg_extract_budget *b,
                               sg_extract_emit emit, void *ctx);

/* Every extractor, NULL-terminated, for the reference and tests. */
const struct sg_extractor *const *sg_extractor_all(void);
/* "encrypted,budget" for status bits ("-" when none). */
void sg_extract_status_names(unsigned bits, char *out, size_t outlen);

#endif
