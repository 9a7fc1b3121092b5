/*
 * mkattach.c - makes attachment fixtures from text, for the corpus and
 * the extraction tests: mkattach TYPE OUT [INPUT | FILES...]. The
 * writers are in mkattach_lib.c; tests/tools/README is the manual.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mkattach.h"

static char *slurp(FILE *f, size_t *len)
{
    size_t cap = 65536, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *b = realloc(buf, cap * 2);
            if (!b) {
                free(buf);
                return NULL;
            }
            buf = b;
            cap *= 2;
        }
    }
    *len = n;
    return buf;
}

static void usage(void)
{
    fprintf(stderr, "usage: mkattach TYPE OUT [INPUT]    (text from INPUT or stdin)\n"
                    "       mkattach zip OUT FILE...\n"
                    "       mkattach imgdocx OUT PICTURE | imgpdf OUT JPEG\n"
                    "       mkattach HOSTILE OUT\n"
                    "TYPE is one of:");
    for (size_t i = 0; mka_types[i]; i++)
        fprintf(stderr, " %s", mka_types[i]);
    fprintf(stderr, "\nsee tests/tools/README\n");
    exit(64);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        usage();
    const char *type = argv[1], *out = argv[2];
    static const struct { const char *name; int (*fn)(const char *); } hostile[] = {
        {"zipbomb", mka_zipbomb}, {"pdfbomb", mka_pdfbomb}, {"deepdocx", mka_deepdocx},
        {"enczip", mka_enczip}, {"encpdf", mka_encpdf}, {"encoffice", mka_encoffice},
        {"lyingzip", mka_lyingzip}, {"imgbombdocx", mka_imgbombdocx}, {"hugeimgpdf", mka_hugeimgpdf},
        {"gzbomb", mka_gzbomb},
    };
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
        if (!strcmp(type, hostile[i].name))
            return hostile[i].fn(out) ? 1 : 0;
    if (!strcmp(type, "imgdocx") || !strcmp(type, "imgpdf")) {
        /* mkattach imgdocx OUT PICTURE, mkattach imgpdf OUT JPEG */
        if (argc != 4)
            usage();
        FILE *in = fopen(argv[3], "rb");
        if (!in) {
            perror(argv[3]);
            return 1;
        }
        size_t len = 0;
        char *img = slurp(in, &len);
        fclose(in);
        if (!img)
            return 1;
        const char *base = strrchr(argv[3], '/');
        base = base ? base + 1 : argv[3];
        int rc = type[3] == 'd' ? mka_imgdocx(out, (unsigned char *)img, len, base)
                                : mka_imgpdf(out, (unsigned char *)img, len);
        free(img);
        return rc ? 1 : 0;
    }
    if (!strcmp(type, "zip")) {
        if (argc < 4)
            usage();
        return mka_zip(out, argv + 3, argc - 3) ? 1 : 0;
    }
    static const struct { const char *name; int (*fn)(const char *, const char *, size_t); } fromtext[] = {
        {"docx", mka_docx}, {"xlsx", mka_xlsx}, {"pptx", mka_pptx}, {"odt", mka_odt},
        {"pdf", mka_pdf}, {"csv", mka_csv}, {"doc", mka_doc}, {"gz", mka_gz},
        {"tgz", mka_tgz}, {"7z", mka_7z}, {"rtf", mka_rtf}, {"tnef", mka_tnef},
        {"utf16", mka_utf16},
    };
    for (size_t i = 0; i < sizeof(fromtext) / sizeof(fromtext[0]); i++) {
        if (strcmp(type, fromtext[i].name))
            continue;
        if (argc > 4)
            usage();
        FILE *in = argc == 4 ? fopen(argv[3], "rb") : stdin;
        if (!in) {
            perror(argv[3]);
            return 1;
        }
        size_t len = 0;
        char *text = slurp(in, &len);
        if (in != stdin)
            fclose(in);
        if (!text) {
            fprintf(stderr, "mkattach: cannot read input\n");
            return 1;
        }
        int rc = fromtext[i].fn(out, text, len);
        free(text);
        return rc ? 1 : 0;
    }
    usage();
}
