/*
 * mta.c - which MTA is talking to us, from the macros it sends.
 *
 * The store records it so that safeguard-quarantine releases a held
 * message the way that MTA keeps it (Postfix: postsuper -H; Sendmail: its
 * quarantine, sendmail -qQ). Postfix sends {v} ("Postfix 3.7.11") at
 * connect by default; Sendmail sends its version ("8.17.1.9") only when
 * the .mc adds v to confMILTER_MACROS_CONNECT, as contrib/sendmail.mc
 * does. Without {v}, Sendmail's own daemon names are the one hint left:
 * Postfix's {daemon_name} is a host name.
 */
#include <ctype.h>
#include <string.h>
#include "sg_milter.h"

static bool sendmail_daemon_name(const char *d)
{
    /* DAEMON_OPTIONS' Name= defaults, as the Sendmail .mc files spell them */
    static const char *const names[] = {"MTA", "MSA", "MTA-v4", "MTA-v6", "MSA-v4", "MSA-v6", NULL};
    for (size_t i = 0; names[i]; i++)
        if (!strcmp(d, names[i]))
            return true;
    return false;
}

const char *sg_mta_kind(const char *v, const char *daemon_name)
{
    if (v && *v) {
        if (!strncasecmp(v, "Postfix", 7))
            return "postfix";
        /* Sendmail's $v is the bare version: digits and dots, "8.17.1.9" */
        if (isdigit((unsigned char)v[0]) && strchr(v, '.') && strspn(v, "0123456789.") >= 3)
            return "sendmail";
        return NULL;
    }
    if (daemon_name && sendmail_daemon_name(daemon_name))
        return "sendmail";
    return NULL;
}
