/*
 * extract.c - prints what the attachment extractors read from a file:
 *   extract [-b max_text] FILE [NAME]
 * one "[where]" header before each piece of text, then "status: ..." on
 * stderr; exit 0, or 1 when the file cannot be read. NAME (default: the
 * file's) is the attachment name the sniffer sees.
 *   extract -i [-s SIDE] [-p X,Y] FILE [NAME]
 * lists the images the logo rule's collector finds in the file instead
 * (label, size, size declared, SHA-256 prefix, and the RGBA at X,Y),
 * shrunk on load to SIDE (default 0: full size), then "limits: ..." on
 * stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include "sg_extract.h"
#include "sg_image.h"
#include "sg_message.h"

static bool print(void *ctx, const char *where, const char *text, size_t len)
{
    (void)ctx;
    printf("[%s]\n%.*s\n", where ? where : "-", (int)len, text);
    return true;
}

static void images(unsigned char *data, size_t len, const char *name, size_t side, int px, int py)
{
    struct sg_attachment a = {.filename = (char *)name, .data = data, .data_len = len, .size = len};
    a.sniffed_type = sg_sniff_type(data, len, name);
    struct sg_message m = {.atts = &a, .natts = 1};
    struct sg_image_list l;
    sg_image_collect(&m, NULL, NULL, side, &l);
    for (size_t i = 0; i < l.n; i++) {
        const struct sg_image *img = &l.v[i];
        printf("%s %ux%u (%ux%u) %02x%02x%02x%02x", img->label, img->w, img->h, img->src_w, img->src_h,
               img->sha256[0], img->sha256[1], img->sha256[2], img->sha256[3]);
        if (px >= 0 && (unsigned)px < img->w && (unsigned)py < img->h) {
            const uint8_t *p = img->rgba + ((size_t)py * img->w + (size_t)px) * 4;
            printf(" %d,%d=%u,%u,%u,%u", px, py, p[0], p[1], p[2], p[3]);
        }
        printf("\n");
    }
    char names[128];
    sg_limit_names(l.limits, names, sizeof(names));
    fprintf(stderr, "images: %zu unread: %zu limits: %s\n", l.n, l.unread, names);
    sg_image_list_free(&l);
}

int main(int argc, char **argv)
{
    struct sg_extract_budget b;
    sg_extract_default_budget(&b);
    int opt, px = -1, py = -1;
    bool want_images = false;
    size_t side = 0;
    while ((opt = getopt(argc, argv, "b:is:p:")) != -1) {
        if (opt == 'b')
            b.max_text = strtoul(optarg, NULL, 10);
        else if (opt == 'i')
            want_images = true;
        else if (opt == 's')
            side = strtoul(optarg, NULL, 10);
        else if (opt == 'p' && sscanf(optarg, "%d,%d", &px, &py) == 2)
            continue;
        else
            return 64;
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: extract [-b max_text] FILE [NAME]\n"
                        "       extract -i [-s side] [-p x,y] FILE [NAME]\n");
        return 64;
    }
    const char *file = argv[optind], *name = optind + 1 < argc ? argv[optind + 1] : file;
    gchar *data;
    gsize len;
    if (!g_file_get_contents(file, &data, &len, NULL)) {
        perror(file);
        return 1;
    }
    if (want_images) {
        images((unsigned char *)data, len, name, side, px, py);
        g_free(data);
        return 0;
    }
    const char *type = sg_sniff_type((const unsigned char *)data, len, name);
    unsigned rc = sg_extract_attachment((const unsigned char *)data, len, type, name, &b, print, NULL);
    char names[64];
    sg_extract_status_names(rc, names, sizeof(names));
    fprintf(stderr, "type: %s status: %s\n", type, names);
    g_free(data);
    return 0;
}
