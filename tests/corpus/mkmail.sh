#!/bin/bash
# mkmail.sh - expand a corpus message template (mail/NNN-name.eml.in) into a
# complete message: every line
#
#   @attach TYPE FILENAME SPEC
#
# becomes one MIME part (Content-Type for TYPE with name=, Content-Disposition
# attachment; filename=, base64 body) whose bytes are made by
# `mkattach TYPE OUT SPEC`. SPEC is a path under tests/corpus/attach/;
# FILENAME may be written in double quotes to hold spaces. For TYPE zip,
# SPEC is a directory: a file in it named NAME.EXT.txt (EXT one of docx,
# xlsx, pptx, odt, pdf, csv, doc) is first made into NAME.EXT by
# `mkattach EXT`, any other file goes in as it is, and the zip is
# `mkattach zip OUT FILE...`. The template writes the multipart/mixed
# boundary lines around each @attach line itself, so this script never
# invents MIME structure; everything else is copied.
#
#   tests/corpus/mkmail.sh TEMPLATE OUT
#
# Environment: top_srcdir, top_builddir (default ../.. of this script),
# MKATTACH (default $top_builddir/tests/tools/mkattach).
# Exit 0 when OUT was written; 1 (with a message naming TEMPLATE:LINE) when
# a line is malformed, a SPEC is missing or mkattach failed; OUT is then
# removed, so a half-built message is never screened.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top_srcdir=$(cd "${top_srcdir:-$here/../..}" && pwd)
top_builddir=$(cd "${top_builddir:-$here/../..}" && pwd)
mkattach=${MKATTACH:-$top_builddir/tests/tools/mkattach}
attachdir=$top_srcdir/tests/corpus/attach

if [ $# -ne 2 ]; then
    echo "usage: mkmail.sh TEMPLATE OUT" >&2
    exit 2
fi
tpl=$1 out=$2

die() {
    echo "mkmail.sh: $*" >&2
    rm -f "$out.tmp"
    exit 1
}

[ -f "$tpl" ] || die "$tpl: no such template"
[ -x "$mkattach" ] || die "$mkattach is not built (make check builds it)"

# The media type a mail client gives each kind of document.
mimetype() {
    case $1 in
        docx) echo application/vnd.openxmlformats-officedocument.wordprocessingml.document ;;
        xlsx) echo application/vnd.openxmlformats-officedocument.spreadsheetml.sheet ;;
        pptx) echo application/vnd.openxmlformats-officedocument.presentationml.presentation ;;
        odt) echo application/vnd.oasis.opendocument.text ;;
        ods) echo application/vnd.oasis.opendocument.spreadsheet ;;
        pdf) echo application/pdf ;;
        zip) echo application/zip ;;
        csv) echo text/csv ;;
        txt) echo text/plain ;;
        rtf) echo application/rtf ;;
        gz|tgz) echo application/gzip ;;
        7z) echo application/x-7z-compressed ;;
        tnef) echo application/ms-tnef ;;
        utf16) echo text/plain ;;
        *) echo application/octet-stream ;;
    esac
}

work=$(mktemp -d "${TMPDIR:-/tmp}/sg-mkmail.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
mkdir -p "$(dirname "$out")" || die "cannot create $(dirname "$out")"
: >"$out.tmp" || die "cannot write $out.tmp"

re_quoted='^@attach[[:space:]]+([A-Za-z0-9]+)[[:space:]]+"([^"]+)"[[:space:]]+([^[:space:]]+)[[:space:]]*$'
re_plain='^@attach[[:space:]]+([A-Za-z0-9]+)[[:space:]]+([^[:space:]"]+)[[:space:]]+([^[:space:]]+)[[:space:]]*$'
lineno=0 n=0
while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    case $line in
        @attach*) ;;
        *) printf '%s\n' "$line" >>"$out.tmp"; continue ;;
    esac
    if [[ $line =~ $re_quoted ]] || [[ $line =~ $re_plain ]]; then
        type=${BASH_REMATCH[1]} name=${BASH_REMATCH[2]} spec=${BASH_REMATCH[3]}
    else
        die "$tpl:$lineno: expected @attach TYPE FILENAME SPEC"
    fi
    case $spec in /* | *..*) die "$tpl:$lineno: SPEC must be a path under tests/corpus/attach/" ;; esac
    [ -e "$attachdir/$spec" ] || die "$tpl:$lineno: $attachdir/$spec: no such spec"
    n=$((n + 1))
    bin=$work/part$n
    args=("$attachdir/$spec")
    if [ "$type" = zip ]; then
        [ -d "$attachdir/$spec" ] || die "$tpl:$lineno: a zip SPEC must be a directory"
        mkdir "$work/entries$n" || die "cannot create $work/entries$n"
        args=()
        for e in "$attachdir/$spec"/*; do
            [ -f "$e" ] || continue
            base=$(basename "$e")
            case $base in
                *.docx.txt | *.xlsx.txt | *.pptx.txt | *.odt.txt | *.pdf.txt | *.csv.txt | *.doc.txt)
                    made=$work/entries$n/${base%.txt}
                    ext=${made##*.}
                    "$mkattach" "$ext" "$made" "$e" >"$work/err" 2>&1 ||
                        die "$tpl:$lineno: mkattach $ext $spec/$base failed: $(head -c 500 "$work/err")"
                    args+=("$made") ;;
                *) args+=("$e") ;;
            esac
        done
        [ ${#args[@]} -gt 0 ] || die "$tpl:$lineno: $spec holds no files"
    fi
    if ! "$mkattach" "$type" "$bin" "${args[@]}" >"$work/err" 2>&1 || [ ! -s "$bin" ]; then
        die "$tpl:$lineno: mkattach $type $spec failed: $(head -c 500 "$work/err")"
    fi
    {
        printf 'Content-Type: %s; name="%s"\n' "$(mimetype "$type")" "$name"
        printf 'Content-Disposition: attachment; filename="%s"\n' "$name"
        printf 'Content-Transfer-Encoding: base64\n\n'
        base64 -w 76 "$bin"
    } >>"$out.tmp" || die "cannot write $out.tmp"
done <"$tpl"

mv -f "$out.tmp" "$out" || die "cannot write $out"
exit 0
