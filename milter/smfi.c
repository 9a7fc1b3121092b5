/*
 * smfi.c - the real libmilter behind the ops table.
 *
 * smfi_setmlreply is variadic; the wrapper takes an array so callers can
 * build replies of any length up to libmilter's 32 lines.
 */
#include "sg_milter.h"

static int ml_reply(SMFICTX *ctx, const char *rcode, const char *xcode, char *const *l, size_t n)
{
    char *v[32] = {0};
    for (size_t i = 0; i < n && i < 32; i++)
        v[i] = l[i];
    /* Unused slots are NULL, which ends libmilter's list. */
    return smfi_setmlreply(ctx, rcode, xcode, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7],
                           v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15], v[16], v[17],
                           v[18], v[19], v[20], v[21], v[22], v[23], v[24], v[25], v[26],
                           v[27], v[28], v[29], v[30], v[31], (char *)NULL);
}

const struct sg_smfi_ops sg_smfi_libmilter = {
    .getpriv = smfi_getpriv,
    .setpriv = smfi_setpriv,
    .getsymval = smfi_getsymval,
    .insheader = smfi_insheader,
    .chgheader = smfi_chgheader,
    .addheader = smfi_addheader,
    .quarantine = smfi_quarantine,
    .setreply = smfi_setreply,
    .setmlreply = ml_reply,
    .delrcpt = smfi_delrcpt,
    .setsymlist = smfi_setsymlist,
};

const struct sg_smfi_ops *sg_smfi = &sg_smfi_libmilter;
