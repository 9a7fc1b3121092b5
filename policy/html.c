/*
 * html.c - text from HTML bodies with libxml2's forgiving HTML parser.
 *
 * Inline elements join without a gap, so "07<span>700</span>" reads as
 * "07700" just as a pupil would see it; block elements end a line.
 */
#include <limits.h>
#include <string.h>
#include <strings.h>
#include <libxml/HTMLparser.h>
#include "sg_message.h"
#include "sg_util.h"

static bool is_block(const char *name)
{
    static const char *const blocks[] = {
        "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4",
        "h5", "h6", "blockquote", "pre", "hr", "section", "article", "header",
        "footer", "td", "th", "dt", "dd", "title", NULL,
    };
    for (size_t i = 0; blocks[i]; i++)
        if (!strcasecmp(name, blocks[i]))
            return true;
    return false;
}

static void walk(xmlNode *node, struct sg_buf *out, unsigned depth)
{
    for (xmlNode *n = node; n; n = n->next) {
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (n->content)
                sg_buf_puts(out, (const char *)n->content);
            continue;
        }
        if (n->type != XML_ELEMENT_NODE)
            continue;
        const char *name = (const char *)n->name;
        if (!strcasecmp(name, "script") || !strcasecmp(name, "style"))
            continue;
        bool block = is_block(name);
        if (block && out->len && out->data[out->len - 1] != '\n')
            sg_buf_puts(out, "\n");
        if (!strcasecmp(name, "img")) {
            /* Alt text is what a reader sees when images are off. */
            xmlChar *alt = xmlGetProp(n, (const xmlChar *)"alt");
            if (alt) {
                sg_buf_printf(out, " %s ", (const char *)alt);
                xmlFree(alt);
            }
        }
        if (!strcasecmp(name, "a")) {
            xmlChar *href = xmlGetProp(n, (const xmlChar *)"href");
            if (depth < 512)
                walk(n->children, out, depth + 1);
            if (href) {
                /* Link targets matter too (a social profile behind "click here"). */
                sg_buf_printf(out, " <%s> ", (const char *)href);
                xmlFree(href);
            }
            continue;
        }
        if (depth < 512)
            walk(n->children, out, depth + 1);
        if (block && out->len && out->data[out->len - 1] != '\n')
            sg_buf_puts(out, "\n");
    }
}

char *sg_html_to_text(const char *html, size_t len, size_t *out_len)
{
    struct sg_buf out = {0};
    sg_buf_append(&out, "", 0);
    if (len > (size_t)INT_MAX)
        len = (size_t)INT_MAX;
    htmlDocPtr doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
                                    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                    HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
    if (doc) {
        walk(xmlDocGetRootElement(doc), &out, 0);
        xmlFreeDoc(doc);
    }
    *out_len = out.len;
    return sg_buf_steal(&out);
}
