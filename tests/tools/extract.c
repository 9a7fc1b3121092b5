/*
 * extract.c - prints what the attachment extractors read from a file:
 *   extract [-b max_text] FILE [NAME]
 * one "[where]" header before each piece of text, then "status: ..." on
 * stderr; exit 0, or 1 when the file cannot be read. NAME (default: the
 * file's) is the attachment name the sniffer sees.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include "sg_extract.h"
#include "sg_message.h"

static bool print(void *ctx, const char *where, const char *text, size_t len)
{
    (void)ctx;
    printf("[%s]\n%.*s\n", where ? where : "-", (int)len, text);
    return true;
}

int main(int argc, char **argv)
{
    struct sg_extract_budget b;
    sg_extract_default_budget(&b);
    int opt;
    while ((opt = getopt(argc, argv, "b:")) != -1) {
        if (opt == 'b')
            b.max_text = strtoul(optarg, NULL, 10);
        else
            return 64;
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: extract [-b max_text] FILE [NAME]\n");
        return 64;
    }
    const char *file = argv[optind], *name = optind + 1 < argc ? argv[optind + 1] : file;
    gchar *data;
    gsize len;
    if (!g_file_get_contents(file, &data, &len, NULL)) {
        perror(file);
        return 1;
    }
    const char *type = sg_sniff_type((const unsigned char *)data, len, name);
    unsigned rc = sg_extract_attachment((const unsigned char *)data, len, type, name, &b, print, NULL);
    char names[64];
    sg_extract_status_names(rc, names, sizeof(names));
    fprintf(stderr, "type: %s status: %s\n", type, names);
    g_free(data);
    return 0;
}
