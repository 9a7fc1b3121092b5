#!/bin/bash
# attachments.sh - hostile and ordinary attachments through the real
# safeguard-check, in this process and in one worker process (--workers 1,
# the path the milter takes). Each file is made at run time by
# tests/tools/mkattach, wrapped in a MIME message from a member of staff to
# an outside address, and judged with tests/hostile/attach-policy.yaml,
# whose on_limit (quarantine) and on_encrypted (reject) differ so the
# action says which applied. A case passes when a verdict was printed
# (exit 0) within the time and memory budget, the action is exactly the
# one expected, limit_names holds the limit expected (or none at all for
# the ordinary files) and the rule expected fired (or none did).
#
#   tests/hostile/attachments.sh [NAME...]     only the cases named
#
# Hostile: a zip bomb, a gzip bomb, a PDF whose one stream inflates to 1 GB, a DOCX of
# 100,000 nested elements, a zip whose headers lie about its size, an
# encrypted zip / PDF / Office file, and zips nested past extract_depth.
# Ordinary: DOCX, XLSX, PPTX, ODT, PDF, RTF, winmail.dat, gzip, tar.gz, 7-Zip and a zip in a zip holding
# child-protection detail (quarantined by the content rule: the text is
# only in the attachment, so only extraction can find it), and the same
# files holding a trip letter (accepted, no limit). Last, the PDF bomb
# with every extraction budget lifted (attach-loose.yaml), in a worker:
# the worker's eval_timeout stops it, and the message is quarantined with
# limits=time.
#
# Environment: top_srcdir, top_builddir (as tests/hostile/run.sh);
# SG_CHECK (the binary); MKATTACH (default: tests/tools/mkattach beside
# SG_CHECK's build tree); SG_HOSTILE_RSS_MB (peak RSS per run, default 400,
# 2500 for an ASan build); SG_HOSTILE_TIME_S (wall seconds per run, default
# 20, 50 for an ASan build); SG_ATTACH_POLICY, SG_ATTACH_LOOSE (other
# policies: to show a case fails when the behaviour is broken); KEEP=1
# keeps the files.
# Last line: "N passed, M failed"; exit status 1 when anything failed.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top_srcdir=$(cd "${top_srcdir:-$here/../..}" && pwd)
if [ -z "${top_builddir:-}" ] && [ -x milter/safeguard-check ]; then
    top_builddir=$PWD
fi
top_builddir=$(cd "${top_builddir:-$here/../..}" && pwd)
bin=${SG_CHECK:-$top_builddir/milter/safeguard-check}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
# mkattach from the same build tree as the binary under test.
mkattach=${MKATTACH:-$(dirname "$(dirname "$bin")")/tests/tools/mkattach}
policy=${SG_ATTACH_POLICY:-$top_srcdir/tests/hostile/attach-policy.yaml}

for need in "$bin" "$mkattach"; do
    if [ ! -x "$need" ]; then
        echo "attachments.sh: $need is not built (make check builds it)" >&2
        echo "0 passed, 1 failed"
        exit 1
    fi
done
if [ ! -x /usr/bin/time ] || ! command -v jq >/dev/null; then
    echo "attachments.sh: GNU time (/usr/bin/time) and jq are needed" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

if ldd "$bin" 2>/dev/null | grep -q libasan || nm "$bin" 2>/dev/null | grep -q __asan_init; then
    asan=1
else
    asan=0
fi
rss_mb=${SG_HOSTILE_RSS_MB:-$([ $asan = 1 ] && echo 2500 || echo 400)}
time_s=${SG_HOSTILE_TIME_S:-$([ $asan = 1 ] && echo 50 || echo 20)}

tmp=$(mktemp -d) || exit 1
if [ "${KEEP:-0}" = 1 ]; then
    echo "attachments.sh: files kept in $tmp" >&2
else
    trap 'rm -rf "$tmp"' EXIT
fi

FROM=ada.teacher@northfield.sch.uk
RCPT=sam.jones@example.org

# Only in attachments, never in a body or a file name: found only by extraction.
SECRET='CONFIDENTIAL - notes for the file
Child: Tyler Brookes, Year 10
A strategy meeting was held on Tuesday with children'"'"'s social care.
Decision: the threshold for a section 47 enquiry is met.
An initial child protection conference will be held within 15 working days.'
BENIGN='Year 9 trip to the Science Museum
The coach leaves the front gate at 8.15 on Friday and is back by 4.
Please bring a packed lunch, a pen and a coat.
Reply slips to the school office by Wednesday.'

MT_DOCX=application/vnd.openxmlformats-officedocument.wordprocessingml.document
MT_XLSX=application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
MT_PPTX=application/vnd.openxmlformats-officedocument.presentationml.presentation
MT_ODT=application/vnd.oasis.opendocument.text

# wrap FILE NAME TYPE OUT: a message with a short body and FILE attached as NAME.
wrap() {
    { printf 'From: Ada Teacher <%s>\r\nTo: Sam Jones <%s>\r\n' "$FROM" "$RCPT"
      printf 'Subject: the papers\r\nMIME-Version: 1.0\r\n'
      printf 'Content-Type: multipart/mixed; boundary="sg-att"\r\n\r\n'
      printf -- '--sg-att\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n'
      printf 'Hello Sam,\r\n\r\nThe file is attached, as promised.\r\n\r\nAda\r\n'
      printf -- '--sg-att\r\nContent-Type: %s; name="%s"\r\n' "$3" "$2"
      printf 'Content-Disposition: attachment; filename="%s"\r\n' "$2"
      printf 'Content-Transfer-Encoding: base64\r\n\r\n'
      base64 -w 76 "$1" | sed 's/$/\r/'
      printf -- '--sg-att--\r\n'
    } >"$4"
}

# mk_text KIND TYPE NAME TEXT OUT: mkattach KIND from TEXT, attached as NAME.
mk_text() {
    printf '%s\n' "$4" | "$mkattach" "$1" "$tmp/$3" || return 1
    wrap "$tmp/$3" "$3" "$2" "$5"
}
# mk_hostile KIND NAME TYPE OUT
mk_hostile() {
    "$mkattach" "$1" "$tmp/$2" || return 1
    wrap "$tmp/$2" "$2" "$3" "$4"
}
# mk_nested LEVELS TEXT NAME OUT: TEXT in notes.txt inside LEVELS zips.
mk_nested() {
    local i d=$tmp/nest.$3
    rm -rf "$d" && mkdir -p "$d" || return 1
    printf '%s\n' "$2" >"$d/notes.txt"
    "$mkattach" zip "$d/level1.zip" "$d/notes.txt" || return 1
    for ((i = 2; i <= $1; i++)); do
        "$mkattach" zip "$d/level$i.zip" "$d/level$((i - 1)).zip" || return 1
    done
    wrap "$d/level$1.zip" "$3" application/zip "$4"
}

gen() {     # gen NAME OUT: make the message of case NAME
    case $1 in
        zipbomb)      mk_hostile zipbomb archive.zip application/zip "$2" ;;
        pdfbomb)      mk_hostile pdfbomb report.pdf application/pdf "$2" ;;
        deepdocx)     mk_hostile deepdocx letter.docx "$MT_DOCX" "$2" ;;
        lyingzip)     mk_hostile lyingzip minutes.zip application/zip "$2" ;;
        enczip)       mk_hostile enczip notes.zip application/zip "$2" ;;
        encpdf)       mk_hostile encpdf minutes.pdf application/pdf "$2" ;;
        encoffice)    mk_hostile encoffice plan.docx "$MT_DOCX" "$2" ;;
        nested3)      mk_nested 3 "$BENIGN" bundle.zip "$2" ;;
        nested3-secret) mk_nested 3 "$SECRET" bundle.zip "$2" ;;
        nested5)      mk_nested 5 "$BENIGN" bundle.zip "$2" ;;
        nested2-secret) mk_nested 2 "$SECRET" bundle.zip "$2" ;;
        nested2)      mk_nested 2 "$BENIGN" bundle.zip "$2" ;;
        docx-secret)  mk_text docx "$MT_DOCX" notes.docx "$SECRET" "$2" ;;
        docx)         mk_text docx "$MT_DOCX" notes.docx "$BENIGN" "$2" ;;
        xlsx-secret)  mk_text xlsx "$MT_XLSX" cases.xlsx "$(printf 'Pupil\tNote\nTyler Brookes\tstrategy meeting held; section 47 enquiry\n')" "$2" ;;
        xlsx)         mk_text xlsx "$MT_XLSX" cases.xlsx "$(printf 'Pupil\tNote\nTyler Brookes\tpacked lunch; coach seat 12\n')" "$2" ;;
        pptx-secret)  mk_text pptx "$MT_PPTX" notes.pptx "$SECRET" "$2" ;;
        pptx)         mk_text pptx "$MT_PPTX" notes.pptx "$BENIGN" "$2" ;;
        odt-secret)   mk_text odt "$MT_ODT" notes.odt "$SECRET" "$2" ;;
        odt)          mk_text odt "$MT_ODT" notes.odt "$BENIGN" "$2" ;;
        pdf-secret)   mk_text pdf application/pdf notes.pdf "$(printf 'Page one: contents\n===\n%s\n' "$SECRET")" "$2" ;;
        pdf)          mk_text pdf application/pdf notes.pdf "$BENIGN" "$2" ;;
        gzbomb)       mk_hostile gzbomb server.log.gz application/gzip "$2" ;;
        tgz-secret)   mk_text tgz application/gzip notes.tgz "$SECRET" "$2" ;;
        tgz)          mk_text tgz application/gzip notes.tgz "$BENIGN" "$2" ;;
        gz-secret)    mk_text gz application/gzip notes.txt.gz "$SECRET" "$2" ;;
        7z-secret)    mk_text 7z application/x-7z-compressed notes.7z "$SECRET" "$2" ;;
        7z)           mk_text 7z application/x-7z-compressed notes.7z "$BENIGN" "$2" ;;
        rtf-secret)   mk_text rtf application/rtf notes.rtf "$SECRET" "$2" ;;
        rtf)          mk_text rtf application/rtf notes.rtf "$BENIGN" "$2" ;;
        tnef-secret)  mk_text tnef application/ms-tnef winmail.dat "$SECRET" "$2" ;;
        tnef)         mk_text tnef application/ms-tnef winmail.dat "$BENIGN" "$2" ;;
        *) return 1 ;;
    esac
}

R=confidential-safeguarding
# name | action | limit that must be named ("-": no limit at all) | rule
# that must fire ("-": none may) | policy (attach: attach-policy.yaml,
# loose: attach-loose.yaml, worker path only). Budgets and depth are
# extract; files the parser refuses (XML nested past libxml2's depth, a
# zip whose data outruns its headers) are unreadable; both take on_limit
# (quarantine). Password-protected files take on_encrypted (reject).
cases="
zipbomb|quarantine|extract|-|attach
pdfbomb|quarantine|extract|-|attach
deepdocx|quarantine|unreadable|-|attach
lyingzip|quarantine|unreadable|-|attach
enczip|reject|encrypted|-|attach
encpdf|reject|encrypted|-|attach
encoffice|reject|encrypted|-|attach
nested3|quarantine|extract|-|attach
nested3-secret|quarantine|extract|-|attach
nested5|quarantine|extract|-|attach
nested2-secret|quarantine|-|$R|attach
nested2|accept|-|-|attach
docx-secret|quarantine|-|$R|attach
docx|accept|-|-|attach
xlsx-secret|quarantine|-|$R|attach
xlsx|accept|-|-|attach
pptx-secret|quarantine|-|$R|attach
pptx|accept|-|-|attach
odt-secret|quarantine|-|$R|attach
odt|accept|-|-|attach
pdf-secret|quarantine|-|$R|attach
pdf|accept|-|-|attach
gzbomb|quarantine|extract|-|attach
tgz-secret|quarantine|-|$R|attach
tgz|accept|-|-|attach
gz-secret|quarantine|-|$R|attach
7z-secret|quarantine|-|$R|attach
7z|accept|-|-|attach
rtf-secret|quarantine|-|$R|attach
rtf|accept|-|-|attach
tnef-secret|quarantine|-|$R|attach
tnef|accept|-|-|attach
pdfbomb|quarantine|time|-|loose
"

passed=0 failed=0
for line in $cases; do
    IFS='|' read -r name want limit rule which <<<"$line"
    if [ $# -gt 0 ]; then
        keep=0
        for pat in "$@"; do [ "$pat" = "$name" ] && keep=1; done
        [ $keep = 1 ] || continue
    fi
    file=$tmp/$name.eml
    if ! gen "$name" "$file"; then
        echo "FAIL $name: could not make the message"
        failed=$((failed + 1))
        continue
    fi
    modes="inline workers" pol=$policy
    if [ "$which" = loose ]; then
        modes=workers pol=${SG_ATTACH_LOOSE:-$top_srcdir/tests/hostile/attach-loose.yaml}
    fi
    for mode in $modes; do
        wargs=()
        [ $mode = workers ] && wargs=(--workers 1)
        out=$tmp/out err=$tmp/err tm=$tmp/time
        /usr/bin/time -f '%e %M' -o "$tm" timeout 60 "$bin" -c "$pol" --json "${wargs[@]}" \
            --auth ada.teacher --from "$FROM" --rcpt "$RCPT" "$file" >"$out" 2>"$err"
        rc=$?
        read -r secs kb < <(tail -n 1 "$tm" 2>/dev/null)
        secs=${secs:-0} kb=${kb:-0}
        action=$(jq -r '.action // empty' "$out" 2>/dev/null | head -n 1)
        limits=$(jq -r '.limit_names // empty' "$out" 2>/dev/null | head -n 1)
        rules=$(jq -r '[.rules[]?.id] | join(",")' "$out" 2>/dev/null | head -n 1)
        evidence=$(jq -r '[.rules[]?.evidence // empty] | join("; ")' "$out" 2>/dev/null | head -n 1)
        why=
        [ $rc -eq 0 ] || why="exit $rc$([ $rc -eq 124 ] && echo ' (timeout)')"
        [ -n "$why" ] || [ -n "$action" ] || why="no verdict printed"
        [ -n "$why" ] || [ "$action" = "$want" ] || why="action $action, expected $want"
        if [ -z "$why" ]; then
            if [ "$limit" = - ]; then
                [ -z "$limits" ] || why="limits $limits, expected none"
            else
                case ",$limits," in *,"$limit",*) ;; *) why="limits ${limits:--}, expected $limit among them" ;; esac
            fi
        fi
        if [ -z "$why" ]; then
            if [ "$rule" = - ]; then
                [ -z "$rules" ] || why="rules $rules fired, expected none"
            else
                case ",$rules," in *,"$rule",*) ;; *) why="rules ${rules:--}, expected $rule" ;; esac
                # and the evidence says it was found inside the attachment
                aname=$(sed -n 's/^Content-Disposition: attachment; filename="\(.*\)"\r$/\1/p' "$file")
                [ -n "$why" ] || case $evidence in *" in $aname"*) ;;
                    *) why="evidence \"$evidence\" does not say in $aname" ;; esac
            fi
        fi
        if [ -z "$why" ] && awk -v s="$secs" -v b="$time_s" 'BEGIN { exit !(s > b) }'; then
            why="took ${secs}s (budget ${time_s}s)"
        fi
        if [ -z "$why" ] && [ "$kb" -gt $((rss_mb * 1024)) ]; then
            why="peak RSS $((kb / 1024)) MB (budget $rss_mb MB)"
        fi
        [ "$which" = loose ] && mode=loose
        info=$(printf '%-15s %-7s %8d bytes %6ss %5d MB  %-10s limits %-10s rules %s' "$name" "$mode" \
            "$(wc -c <"$file")" "$secs" $((kb / 1024)) "${action:--}" "${limits:--}" "${rules:--}")
        if [ -z "$why" ]; then
            echo "PASS $info"
            passed=$((passed + 1))
        else
            echo "FAIL $info: $why"
            [ -s "$err" ] && sed 's/^/    /' "$err" | head -n 5
            failed=$((failed + 1))
        fi
    done
done

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
