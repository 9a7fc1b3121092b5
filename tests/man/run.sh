#!/bin/bash
# run.sh - the manual pages (man/*.[1-8]) as a reader gets them:
#   render  `groff -ww -mandoc -z` and `MANWIDTH=80 man --warnings -l`
#           print no warning, the page has a NAME section, and no rendered
#           line is wider than 80 columns;
#   flags   every option a program's -h usage lists is in its page, so a
#           flag added without documenting it fails here (safeguard-milter,
#           safeguard-check, and safeguard-quarantine when it is built),
#           and every safeguard-quarantine command has its entry.
# man/safeguard-policy.5 is generated (safeguard-check --reference=man);
# a unit test fails when it is stale.
# Environment: top_srcdir, top_builddir (automake; default ../.. of this
# script). Last line: "N passed, M failed".
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top_srcdir=$(cd "${top_srcdir:-$here/../..}" && pwd)
top_builddir=$(cd "${top_builddir:-$here/../..}" && pwd)
passed=0 failed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sg-man.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

for tool in groff man; do
    command -v $tool >/dev/null 2>&1 || { bad "$tool is not installed (contrib/install-deps.sh)"; }
done

pages=("$top_srcdir"/man/*.[1-8])
[ -e "${pages[0]}" ] || bad "no pages in $top_srcdir/man"
for page in "${pages[@]}"; do
    [ -e "$page" ] || continue
    name=$(basename "$page")
    groff -ww -mandoc -z "$page" >"$tmp/groff" 2>&1
    rc=$?
    MANWIDTH=80 MAN_KEEP_FORMATTING= man --warnings -l "$page" >"$tmp/out" 2>"$tmp/err"
    mrc=$?
    # Columns, not bytes: drop UTF-8 continuation bytes before counting
    # (mawk counts bytes, and an em dash is three).
    wide=$(LC_ALL=C sed 's/[\x80-\xbf]//g' "$tmp/out" | awk 'length > 80' | head -n 3)
    if [ $rc -eq 0 ] && [ ! -s "$tmp/groff" ] && [ $mrc -eq 0 ] && [ ! -s "$tmp/err" ] &&
       grep -q '^NAME' "$tmp/out" && [ -z "$wide" ]; then
        ok "$name renders without warnings ($(wc -l <"$tmp/out") lines)"
    else
        bad "$name: groff exit $rc, man exit $mrc"
        sed 's/^/       /' "$tmp/groff" "$tmp/err" | head -n 10
        [ -n "$wide" ] && sed 's/^/       wider than 80: /' <<<"$wide"
    fi
done

# flags PROGRAM PAGE: each option in PROGRAM -h (-x and --long) is in PAGE,
# written as roff writes a minus (\-x, \-\-long).
flags() {
    local prog=$1 page=$top_srcdir/man/$2 opts missing= o
    if [ ! -x "$prog" ]; then
        echo "skip $(basename "$prog"): not built"
        return
    fi
    "$prog" -h >"$tmp/usage" 2>&1
    opts=$(grep -oE '(^|[[ |])--?[a-zA-Z][a-zA-Z-]*' "$tmp/usage" | sed 's/^[[ |]//' | sort -u)
    for o in $opts; do
        grep -qF -- "${o//-/\\-}" "$page" || missing+=" $o"
    done
    if [ -z "$opts" ]; then bad "$(basename "$prog") -h lists no options"
    elif [ -z "$missing" ]; then ok "$2 documents every option of $(basename "$prog") -h ($(wc -w <<<"$opts"))"
    else bad "$2 does not document:$missing"; fi
}
flags "$top_builddir/milter/safeguard-milter" safeguard-milter.8
flags "$top_builddir/milter/safeguard-check" safeguard-check.1
flags "$top_builddir/milter/safeguard-quarantine" safeguard-quarantine.8

# Each command safeguard-quarantine -h lists has its entry under COMMANDS.
q=$top_builddir/milter/safeguard-quarantine
if [ -x "$q" ]; then
    cmds=$("$q" -h 2>&1 | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p')
    missing=
    for w in $cmds; do
        grep -qE "^\.(B|BI) \"?$w( |\"|\$)" "$top_srcdir/man/safeguard-quarantine.8" || missing+=" $w"
    done
    if [ -z "$cmds" ]; then bad "safeguard-quarantine -h lists no commands"
    elif [ -z "$missing" ]; then ok "safeguard-quarantine.8 has an entry for every command ($(wc -w <<<"$cmds"))"
    else bad "safeguard-quarantine.8 has no entry for:$missing"; fi
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
