/*
 * mime_addr.c - the addresses of a message's header, and the display
 * names beside them, which a recipient reads as surely as the body.
 */
#include <stdlib.h>
#include <string.h>
#include "mime_int.h"
#include "sg_util.h"

/* Grows by doubling: sg_strv_push measures the list on every push, which
 * made 306,000 Cc addresses take 25 seconds. */
struct addrs {
    char **v;
    size_t n, cap;
};

static void addrs_push(struct addrs *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->v = sg_xrealloc(a->v, a->cap * sizeof(*a->v));
    }
    a->v[a->n++] = sg_xstrdup(s);
    a->v[a->n] = NULL;
}

/* A name is screened without its own address in it: mailers write
 * "'jo@gmail.com'" <jo@gmail.com> for a contact with no name, and the
 * recipient's address is not a contact detail given away. Whatever else
 * the name says stays. */
static void add_name(struct sg_buf *names, const char *name, const char *addr)
{
    char *copy = sg_xstrdup(name);
    size_t alen = addr ? strlen(addr) : 0;
    for (char *p = copy; alen && (p = strcasestr(p, addr)); p += alen)
        memset(p, ' ', alen);
    bool empty = true;
    for (const char *p = copy; *p && empty; p++)
        empty = strchr(" \t'\"<>()", *p) != NULL;
    if (!empty)
        sg_buf_printf(names, "%s%s", names->len ? ", " : "", copy);
    free(copy);
}

/* Mailbox addresses into a, display names (which the reader sees) into
 * names. */
static void collect_addrs(struct addrs *a, struct sg_buf *names, InternetAddressList *list, unsigned depth)
{
    int n = list ? internet_address_list_length(list) : 0;
    for (int i = 0; i < n && depth < 4; i++) {
        InternetAddress *ia = internet_address_list_get_address(list, i);
        const char *name = internet_address_get_name(ia);
        const char *addr = INTERNET_ADDRESS_IS_MAILBOX(ia)
                               ? internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)) : NULL;
        if (name && *name)
            add_name(names, name, addr);
        if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
            if (addr && *addr && a)
                addrs_push(a, addr);
        } else if (INTERNET_ADDRESS_IS_GROUP(ia)) {
            collect_addrs(a, names, internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), depth + 1);
        }
    }
}

char *sg_mime_read_addresses(GMimeMessage *msg, char **from_header, char ***rcpts_out, size_t *names_len)
{
    static const struct { GMimeAddressType type; const char *label; } fields[] = {
        {GMIME_ADDRESS_TYPE_FROM, "From: "}, {GMIME_ADDRESS_TYPE_SENDER, "Sender: "},
        {GMIME_ADDRESS_TYPE_REPLY_TO, "Reply-To: "}, {GMIME_ADDRESS_TYPE_TO, "To: "},
        {GMIME_ADDRESS_TYPE_CC, "Cc: "}, {GMIME_ADDRESS_TYPE_BCC, "Bcc: "},
    };
    struct addrs from = {0}, rcpts = {.v = sg_xcalloc(1, sizeof(char *)), .cap = 1};
    struct sg_buf names = {0};
    sg_buf_append(&names, "", 0);
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        struct sg_buf one = {0};
        sg_buf_append(&one, "", 0);
        GMimeAddressType t = fields[i].type;
        bool is_rcpt = t == GMIME_ADDRESS_TYPE_TO || t == GMIME_ADDRESS_TYPE_CC || t == GMIME_ADDRESS_TYPE_BCC;
        struct addrs *into = fields[i].type == GMIME_ADDRESS_TYPE_FROM ? &from : is_rcpt ? &rcpts : NULL;
        collect_addrs(into, &one, g_mime_message_get_addresses(msg, fields[i].type), 0);
        if (one.len)
            sg_buf_printf(&names, "%s%s\n", fields[i].label, one.data);
        sg_buf_free(&one);
    }
    *from_header = from.n ? sg_xstrdup(from.v[0]) : NULL;
    sg_strv_free(from.v);
    *rcpts_out = rcpts.v;
    *names_len = names.len;
    return sg_buf_steal(&names);
}

