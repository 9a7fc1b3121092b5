/*
 * xml.c - the one way the extractors read XML: libxml2's streaming
 * reader over bytes already in memory.
 *
 * Office and OpenDocument parts never carry a DOCTYPE, so one is refused
 * outright rather than parsed carefully: with no DTD there are no entity
 * definitions, hence no external entities (XXE) and no exponential
 * expansion ("billion laughs"). The reader is given no NOENT, DTDLOAD or
 * HUGE option, and no network.
 */
#include <string.h>
#include <libxml/xmlreader.h>
#include "extract_int.h"

static void quiet(void *arg, xmlErrorPtr err)
{
    (void)arg;
    (void)err;
}

unsigned sg_xml_walk(struct sg_extract_ctx *x, const char *data, size_t len, const struct sg_xml_walk *w)
{
    if (len > (size_t)INT32_MAX)
        return SG_EXTRACT_BUDGET;
    xmlTextReaderPtr r = xmlReaderForMemory(data, (int)len, NULL, NULL,
                                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                            XML_PARSE_NOCDATA | XML_PARSE_COMPACT);
    if (!r)
        return SG_EXTRACT_MALFORMED;
    xmlTextReaderSetStructuredErrorHandler(r, quiet, NULL);
    unsigned rc = 0;
    unsigned long nodes = 0;
    int got;
    bool more = true;
    while (more && (got = xmlTextReaderRead(r)) == 1) {
        if (!(++nodes & 1023) && !sg_extract_going(x)) {
            more = false;
            break;
        }
        int type = xmlTextReaderNodeType(r);
        switch (type) {
        case XML_READER_TYPE_DOCUMENT_TYPE:
        case XML_READER_TYPE_ENTITY_REFERENCE:
        case XML_READER_TYPE_ENTITY:
            rc |= SG_EXTRACT_MALFORMED;
            more = false;
            break;
        case XML_READER_TYPE_ELEMENT: {
            if (xmlTextReaderDepth(r) > SG_XML_MAX_DEPTH) {
                rc |= SG_EXTRACT_MALFORMED;
                more = false;
                break;
            }
            const char *name = (const char *)xmlTextReaderConstLocalName(r);
            if (!name)
                break;
            bool empty = xmlTextReaderIsEmptyElement(r) == 1;
            if (w->start && !w->start(w->u, name, r))
                more = false;
            else if (empty && w->end && !w->end(w->u, name))
                more = false;
            break;
        }
        case XML_READER_TYPE_END_ELEMENT: {
            const char *name = (const char *)xmlTextReaderConstLocalName(r);
            if (name && w->end && !w->end(w->u, name))
                more = false;
            break;
        }
        case XML_READER_TYPE_TEXT:
        case XML_READER_TYPE_CDATA:
        case XML_READER_TYPE_SIGNIFICANT_WHITESPACE: {
            const char *v = (const char *)xmlTextReaderConstValue(r);
            if (v && w->text && !w->text(w->u, v, strlen(v)))
                more = false;
            break;
        }
        default:
            break;
        }
    }
    if (more && got < 0)
        rc |= SG_EXTRACT_MALFORMED;
    xmlFreeTextReader(r);
    return rc;
}

char *sg_xml_attr_ns(void *reader, const char *local, const char *ns)
{
    xmlTextReaderPtr r = reader;
    char *value = NULL;
    for (int ok = xmlTextReaderMoveToFirstAttribute(r); ok == 1 && !value; ok = xmlTextReaderMoveToNextAttribute(r)) {
        const char *name = (const char *)xmlTextReaderConstLocalName(r);
        const char *v = (const char *)xmlTextReaderConstValue(r);
        const char *uri = (const char *)xmlTextReaderConstNamespaceUri(r);
        if (!name || !v || strcmp(name, local) || xmlTextReaderIsNamespaceDecl(r) == 1)
            continue;
        if (ns && (!uri || strcmp(uri, ns)))
            continue;
        value = sg_xstrdup(v);
    }
    xmlTextReaderMoveToElement(r);
    return value;
}

char *sg_xml_attr(void *reader, const char *local)
{
    return sg_xml_attr_ns(reader, local, NULL);
}
