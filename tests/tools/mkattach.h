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
/* A DOCX whose word/document.xml is exactly document_xml (for tests of
 * what a hostile part does to a reader). */
int mka_docx_xml(const char *out, const char *document_xml);
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
/* mkattach_pack.c: a gzip of the text, a tar.gz and a 7-Zip holding it as
 * notes.txt, an RTF of it, and a gzip of 1 GB of zeros. */
int mka_gz(const char *out, const char *text, size_t len);
int mka_tgz(const char *out, const char *text, size_t len);
int mka_7z(const char *out, const char *text, size_t len);
int mka_rtf(const char *out, const char *text, size_t len);
/* winmail.dat: the text as its body and as an attached notes.txt. */
int mka_tnef(const char *out, const char *text, size_t len);
/* The text as UTF-16LE with a byte order mark and CRLF, as Notepad saves "Unicode". */
int mka_utf16(const char *out, const char *text, size_t len);
int mka_gzbomb(const char *out);
int mka_pdfbomb(const char *out);
int mka_deepdocx(const char *out);
int mka_enczip(const char *out);
int mka_encpdf(const char *out);
int mka_encoffice(const char *out);
int mka_lyingzip(const char *out);

/* Pictures in documents, for the image collector: a DOCX holding img as
 * word/media/<media> (stored, as Word keeps pictures), and a one-page
 * PDF drawing a JPEG as a DCTDecode image XObject at its own size. */
int mka_imgdocx(const char *out, const unsigned char *img, size_t len, const char *media);
int mka_imgpdf(const char *out, const unsigned char *jpeg, size_t len);
/* A DOCX whose word/media/image1.png inflates to 256 MB (1000:1), and a
 * PDF whose image XObject declares 100000 x 100000 over a 1 x 1 JPEG. */
int mka_imgbombdocx(const char *out);
int mka_hugeimgpdf(const char *out);

/* The TYPE names the tool accepts, for its usage line. */
extern const char *const mka_types[];

#endif
