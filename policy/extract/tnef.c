/*
 * tnef.c - winmail.dat (application/ms-tnef): what Outlook sends when it
 * wraps a "Rich Text" message for another Outlook. The reader at the
 * other end sees its body and its attachments, so they are read here:
 * the plain body, the compressed RTF body (decompressed by libytnef, then
 * read by the RTF extractor), the HTML body, and each attached file as
 * its own sniffed type, labelled with its name. libytnef parses from a
 * copy (its API takes a writable buffer).
 */
#include <stdio.h>               /* ytnef.h needs FILE */
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <ytnef.h>
#include "extract_int.h"

/* One more file inside the TNEF, budgeted as an archive entry is. */
static unsigned nested(struct sg_extract_ctx *x, const BYTE *data, int size, const char *name, const char *where,
                       unsigned depth)
{
    if (!data || size <= 0)
        return 0;
    unsigned stop = sg_extract_enter(x, depth, true);
    if (stop)
        return stop;
    if (!sg_extract_take(x, (size_t)size, false))
        return SG_EXTRACT_BUDGET;
    return sg_extract_nested(x, data, (size_t)size, name, where, depth + 1);
}

static unsigned bodies(struct sg_extract_ctx *x, TNEFStruct *t, unsigned depth)
{
    unsigned rc = nested(x, t->body.data, t->body.size, "body.txt", "message body", depth);
    variableLength *rtf = MAPIFindProperty(&t->MapiProperties, PROP_TAG(PT_BINARY, PR_RTF_COMPRESSED));
    if (rtf != MAPI_UNDEFINED && sg_extract_going(x)) {
        int size = 0;
        BYTE *plain = DecompressRTF(rtf, &size);
        if (plain)
            rc |= nested(x, plain, size, "body.rtf", "message body", depth);
        else
            rc |= SG_EXTRACT_MALFORMED;
        free(plain);
    }
    variableLength *html = MAPIFindProperty(&t->MapiProperties, PROP_TAG(PT_BINARY, PR_BODY_HTML));
    if (html != MAPI_UNDEFINED && sg_extract_going(x))
        rc |= nested(x, html->data, html->size, "body.html", "message body", depth);
    return rc;
}

/* The attachment's long file name, else its 8.3 title. */
static char *attachment_name(Attachment *a)
{
    variableLength *v = MAPIFindProperty(&a->MAPI, PROP_TAG(PT_STRING8, PR_ATTACH_LONG_FILENAME));
    if (v == MAPI_UNDEFINED || !v->data || v->size <= 0)
        v = &a->Title;
    if (!v->data || v->size <= 0)
        return sg_xstrdup("attachment");
    return sg_xstrndup((const char *)v->data, strnlen((const char *)v->data, (size_t)v->size));
}

/* libytnef prints its parse errors ("ERROR: Field with size of 0") on
 * standard output, unasked: into safeguard-check's JSON, or a worker's
 * inherited terminal. Its output goes to /dev/null while it parses; what
 * was ours is flushed first. Nothing else writes to stdout meanwhile: the
 * milter logs to syslog, and a worker is single-threaded. */
static int quiet_stdout(void)
{
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved >= 0 && null >= 0)
        dup2(null, STDOUT_FILENO);
    if (null >= 0)
        close(null);
    return saved;
}

static void restore_stdout(int saved)
{
    fflush(stdout);
    if (saved >= 0) {
        dup2(saved, STDOUT_FILENO);
        close(saved);
    }
}

static unsigned tnef_run(const unsigned char *data, size_t len, const char *where, unsigned depth,
                         struct sg_extract_ctx *x)
{
    (void)where;
    if (len > 0x7fffffff)
        return SG_EXTRACT_BUDGET;
    BYTE *copy = sg_xmalloc(len);
    memcpy(copy, data, len);
    TNEFStruct t;
    TNEFInitialize(&t);
    t.Debug = 0;
    unsigned rc = 0;
    int saved = quiet_stdout();
    if (TNEFParseMemory(copy, (long)len, &t) < 0) {
        rc = SG_EXTRACT_MALFORMED;
    } else {
        rc |= bodies(x, &t, depth);
        for (Attachment *a = t.starting_attach.next; a && sg_extract_going(x); a = a->next) {
            char *name = attachment_name(a);
            unsigned r = nested(x, a->FileData.data, a->FileData.size, name, name, depth);
            free(name);
            rc |= r;
            if (r & (SG_EXTRACT_BUDGET | SG_EXTRACT_DEPTH))
                break;
        }
    }
    TNEFFree(&t);
    restore_stdout(saved);      /* DecompressRTF prints too */
    free(copy);
    return rc;
}

static const char *const tnef_types[] = {"tnef", NULL};

const struct sg_extractor sg_extractor_tnef = {
    .name = "tnef",
    .types = tnef_types,
    .doc = "winmail.dat (TNEF) from Outlook: its plain, RTF and HTML bodies and each attached file as its own "
           "sniffed type, labelled with its name",
    .run = tnef_run,
};
