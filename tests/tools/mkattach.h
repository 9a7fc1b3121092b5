/*
 * mkattach.h - writers of attachment fixtures, shared by the mkattach
 * tool and the extraction unit tests (tests/unit/check_extract.c), so the
 * tests read exactly what the corpus writers get. See tests/tools/README.
 *
 * Every writer makes the file at out and returns 0, or prints why not on
 * stderr and returns -1. Text is UTF-8, one line a paragraph, row, or
 * line of a page; the "===" lines each format understands are in the
 * README.
 */
#ifndef MKATTACH_H
#define MKATTACH_H

#include <stddef.h>

int mka_docx(const char *out, const char *text, size_t len);
int mka_xlsx(const char *out, const char *text, size_t len);
int mka_pptx(const char *out, const char *text, size_t len);
int mka_odt(const char *out, const char *text, size_t len);
int mka_pdf(const char *out, const char *text, size_t len);
int mka_csv(const char *out, const char *text, size_t len);
/* A legacy binary Word-like OLE2 file whose WordDocument stream holds the
 * text as UTF-16LE: enough for a strings reader, not for Word. */
int mka_doc(const char *out, const char *text, size_t len);
/* Stores each file under its base name. */
int mka_zip(const char *out, char *const *files, int nfiles);

int mka_zipbomb(const char *out);
int mka_pdfbomb(const char *out);
int mka_deepdocx(const char *out);
int mka_enczip(const char *out);
int mka_encpdf(const char *out);
int mka_encoffice(const char *out);
int mka_lyingzip(const char *out);

/* The TYPE names the tool accepts, for its usage line. */
extern const char *const mka_types[];

#endif
