#!/bin/bash
# run.sh - hostile input: messages made to hide text from the screen or to
# exhaust it. Each is judged by safeguard-check under GNU time and
# timeout 60; a case passes when a verdict was printed (exit 0), its action
# is one of those expected (a message hiding a mobile number a reader can
# see is never "accept"), and wall time and peak memory stay in budget.
#
#   tests/hostile/run.sh [NAME...]      only the cases named
#
# Small messages live in tests/data/hostile; the large ones (tens of
# megabytes) are generated into a temporary folder at run time.
#
# Environment: top_srcdir, top_builddir (default: the current folder when
# it holds milter/safeguard-check, else ../.. of this script);
# SG_CHECK (the binary; default $top_builddir/milter/safeguard-check);
# SG_HOSTILE_RSS_MB (peak RSS per message, default 600, 2500 for an ASan
# build); SG_HOSTILE_TIME_S (wall seconds per message, default 20, 50 for
# an ASan build); KEEP=1 keeps the generated messages.
# Last line: "N passed, M failed"; exit status 1 when anything failed.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top_srcdir=$(cd "${top_srcdir:-$here/../..}" && pwd)
# Run from a build tree, that tree is the default.
if [ -z "${top_builddir:-}" ] && [ -x milter/safeguard-check ]; then
    top_builddir=$PWD
fi
top_builddir=$(cd "${top_builddir:-$here/../..}" && pwd)
bin=${SG_CHECK:-$top_builddir/milter/safeguard-check}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
policy=$top_srcdir/tests/hostile/policy.yaml
data=$top_srcdir/tests/data/hostile

if [ ! -x "$bin" ]; then
    echo "run.sh: $bin is not built (run make)" >&2
    echo "0 passed, 0 failed"
    exit 1
fi
if [ ! -x /usr/bin/time ]; then
    echo "run.sh: GNU time (/usr/bin/time) is needed" >&2
    echo "0 passed, 0 failed"
    exit 1
fi

# ASan keeps shadow memory and a quarantine of freed blocks: allow more.
if ldd "$bin" 2>/dev/null | grep -q libasan || nm "$bin" 2>/dev/null | grep -q __asan_init; then
    asan=1
else
    asan=0
fi
rss_mb=${SG_HOSTILE_RSS_MB:-$([ $asan = 1 ] && echo 2500 || echo 600)}
time_s=${SG_HOSTILE_TIME_S:-$([ $asan = 1 ] && echo 50 || echo 20)}

tmp=$(mktemp -d) || exit 1
if [ "${KEEP:-0}" = 1 ]; then
    echo "run.sh: messages kept in $tmp" >&2
else
    trap 'rm -rf "$tmp"' EXIT
fi

HDR=$'From: Ada Teacher <ada.teacher@northfield.sch.uk>\r\nTo: Lily Green <lily.green@pupils.northfield.sch.uk>\r\nMIME-Version: 1.0\r\n'
NUM='07700 900123'

# Each gen_NAME writes $tmp/NAME.eml.
gen_html_deep() {       # 5000 nested <div>s round the number, more after
    { printf '%sSubject: deep html\r\nContent-Type: text/html\r\n\r\n<p>Hello</p>' "$HDR"
      awk -v n=5000 -v num="$NUM" 'BEGIN { for (i = 0; i < n; i++) printf "<div>"; printf "call %s", num;
                                          for (i = 0; i < n; i++) printf "</div>"; print "<p>after</p>" }'
    } >"$tmp/html_deep.eml"
}
gen_html_endtags() {    # deep stack, then a flood of end tags that match nothing
    { printf '%sSubject: end tags\r\nContent-Type: text/html\r\n\r\n' "$HDR"
      awk -v num="$NUM" 'BEGIN { for (i = 0; i < 1000; i++) printf "<b>"; printf "call %s", num;
                                for (i = 0; i < 390000; i++) printf "</i>"; print "" }'
    } >"$tmp/html_endtags.eml"
}
gen_html_tags() {       # 20 MB of tags: more than libxml2 is let build a tree for
    { printf '%sSubject: many tags\r\nContent-Type: text/html\r\n\r\n<p>call %s</p>' "$HDR" "$NUM"
      awk 'BEGIN { for (i = 0; i < 2500000; i++) printf "<b>x</b>"; print "" }'
    } >"$tmp/html_tags.eml"
}
gen_parts_40mb() {      # the number, then 40 MB of empty parts
    { printf '%sSubject: parts\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n' "$HDR"
      printf -- '--b\r\nContent-Type: text/plain\r\n\r\ncall %s\r\n' "$NUM"
      yes -- $'--b\r\n\r' | head -c $((40 << 20))
      printf -- '--b--\r\n'
    } >"$tmp/parts_40mb.eml"
}
gen_cc_306k() {         # 306,000 Cc addresses, the number in the body
    { printf '%sSubject: everyone\r\nCc: ' "$HDR"
      awk 'BEGIN { for (i = 0; i < 306000; i++) printf "%sp%d@example.org", (i ? ",\r\n " : ""), i; printf "\r\n" }'
      printf '\r\ncall %s\r\n' "$NUM"
    } >"$tmp/cc_306k.eml"
}
gen_multipart_deep() {  # 10000 nested multiparts, the number at the bottom
    { printf '%sSubject: nesting\r\n' "$HDR"
      awk 'BEGIN { for (i = 0; i < 10000; i++) printf "Content-Type: multipart/mixed; boundary=\"d%d\"\r\n\r\n--d%d\r\n", i, i }'
      printf 'Content-Type: text/plain\r\n\r\ncall %s\r\n' "$NUM"
    } >"$tmp/multipart_deep.eml"
}
gen_rfc822_deep() {     # 10000 nested message/rfc822
    { printf '%sSubject: forwards\r\n' "$HDR"
      awk 'BEGIN { for (i = 0; i < 10000; i++) printf "Content-Type: message/rfc822\r\n\r\n" }'
      printf 'Subject: inner\r\n\r\ncall %s\r\n' "$NUM"
    } >"$tmp/rfc822_deep.eml"
}
gen_line_20mb() {       # one 20 MB line of body text, the number at its end
    { printf '%sSubject: one line\r\nContent-Type: text/plain\r\n\r\n' "$HDR"
      head -c $((20 << 20)) /dev/zero | tr '\0' 'a'
      printf ' call %s\r\n' "$NUM"
    } >"$tmp/line_20mb.eml"
}
gen_subject_20mb() {    # a 20 MB Subject line
    { printf '%sSubject: ' "$HDR"
      head -c $((20 << 20)) /dev/zero | tr '\0' 'a'
      printf '\r\n\r\ncall %s\r\n' "$NUM"
    } >"$tmp/subject_20mb.eml"
}
gen_zeros_5mb() {       # 5 MB of "0" before the number
    { printf '%sSubject: zeros\r\nContent-Type: text/plain\r\n\r\n' "$HDR"
      head -c $((5 << 20)) /dev/zero | tr '\0' '0'
      printf ' call %s\r\n' "$NUM"
    } >"$tmp/zeros_5mb.eml"
}
gen_base64_garbage() {  # a "base64" body of 8 MB of junk, the number in a clean part
    { printf '%sSubject: junk\r\nContent-Type: multipart/mixed; boundary="g"\r\n\r\n' "$HDR"
      printf -- '--g\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n'
      yes '=!*~{}|AAAA====%%%%QUJD////++++' | head -c $((8 << 20))
      printf -- '\r\n--g\r\nContent-Type: text/plain\r\n\r\ncall %s\r\n--g--\r\n' "$NUM"
    } >"$tmp/base64_garbage.eml"
}
gen_header_flood() {    # 2 million one-word header fields
    { printf '%sSubject: fields\r\n' "$HDR"
      yes $'X: y\r' | head -n 2000000
      printf '\r\ncall %s\r\n' "$NUM"
    } >"$tmp/header_flood.eml"
}

# name | expected actions (alternatives split by "/") | a limit that must
# be named ("-" for none required) | where it lives
cases="
html_deep|reject|html|gen
html_endtags|reject|-|gen
html_tags|reject|html|gen
parts_40mb|reject|parts|gen
cc_306k|quarantine/reject|structure|gen
multipart_deep|quarantine/reject|depth|gen
rfc822_deep|quarantine/reject|depth|gen
line_20mb|quarantine/reject|text|gen
subject_20mb|quarantine/reject|structure|gen
zeros_5mb|quarantine/reject|-|gen
base64_garbage|reject|-|gen
header_flood|quarantine/reject|structure|gen
vcard|reject|-|data
nul-subject|reject|-|data
nul-body|reject|-|data
no-boundary|reject|-|data
boundary-missing|reject|-|data
no-headers|reject|-|data
blank-first|reject|-|data
enriched|reject|-|data
clean|accept|-|data
empty|accept|-|data
"

passed=0 failed=0
for line in $cases; do
    IFS='|' read -r name want limit where <<<"$line"
    if [ $# -gt 0 ]; then
        keep=0
        for pat in "$@"; do [ "$pat" = "$name" ] && keep=1; done
        [ $keep = 1 ] || continue
    fi
    if [ "$where" = gen ]; then
        "gen_$name"
        file=$tmp/$name.eml
    else
        file=$data/$name.eml
    fi
    out=$tmp/out err=$tmp/err tm=$tmp/time
    /usr/bin/time -f '%e %M' -o "$tm" timeout 60 "$bin" -c "$policy" --json \
        --auth ada.teacher --from ada.teacher@northfield.sch.uk \
        --rcpt lily.green@pupils.northfield.sch.uk "$file" >"$out" 2>"$err"
    rc=$?
    # The last line: GNU time puts "Command exited with ..." before it.
    read -r secs kb < <(tail -n 1 "$tm" 2>/dev/null)
    secs=${secs:-0} kb=${kb:-0}
    action=$(grep -o '"action":"[a-z]*"' "$out" | head -n 1 | cut -d'"' -f4)
    limits=$(grep -o '"limit_names":"[a-z,]*"' "$out" | head -n 1 | cut -d'"' -f4)
    why=
    [ $rc -eq 0 ] || why="exit $rc$([ $rc -eq 124 ] && echo ' (timeout)')"
    [ -n "$why" ] || [ -n "$action" ] || why="no verdict printed"
    if [ -z "$why" ]; then
        case "/$want/" in */"$action"/*) ;; *) why="action $action, expected $want" ;; esac
    fi
    if [ -z "$why" ] && [ "$limit" != - ]; then
        case ",$limits," in *,"$limit",*) ;; *) why="limits ${limits:--}, expected $limit among them" ;; esac
    fi
    if [ -z "$why" ] && awk -v s="$secs" -v b="$time_s" 'BEGIN { exit !(s > b) }'; then
        why="took ${secs}s (budget ${time_s}s)"
    fi
    if [ -z "$why" ] && [ "${kb:-0}" -gt $((rss_mb * 1024)) ]; then
        why="peak RSS $((kb / 1024)) MB (budget $rss_mb MB)"
    fi
    size=$(wc -c <"$file")
    info=$(printf '%-16s %9d bytes %6ss %5d MB  %-10s limits %s' "$name" "$size" "$secs" $((${kb:-0} / 1024)) "${action:--}" "${limits:--}")
    if [ -z "$why" ]; then
        echo "PASS $info"
        passed=$((passed + 1))
    else
        echo "FAIL $info: $why"
        [ -s "$err" ] && sed 's/^/    /' "$err" | head -n 5
        failed=$((failed + 1))
    fi
    [ "$where" = gen ] && [ "${KEEP:-0}" != 1 ] && rm -f "$file"
done

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
