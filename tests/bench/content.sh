#!/bin/bash
# content.sh - the text engine's throughput with every shipped list
# loaded: per stage (GMime parse, normalisation, segments, the one
# Hyperscan pass, the whole sg_engine_evaluate) beside hs_scan alone on
# the same text with the same database, all in one run so the ratios
# hold on a shared machine. Then milliseconds per message for a 300 KB
# DOCX and a 1 MB PDF through safeguard-check, in process and through
# one worker.
#
#   BUILD=/tmp/b-x bash tests/bench/content.sh [MB] [POLICY]
#
# BUILD is a configured and built tree (default: the source tree). MB is
# the decoded text of the workload (default 40). POLICY defaults to
# contrib/example-policy.yaml. PERF=1 also records a profile of the
# evaluate stage and prints its top symbols; SKIP_ATTACH=1 stops after the
# text engine. The driver is compiled here,
# not in Makefile.am: it is a measurement, not a program or a test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${BUILD:-$src}" && pwd)
mb=${1:-40}
policy=${2:-$src/contrib/example-policy.yaml}
lib=$build/policy/libsgpolicy.a
check=$build/milter/safeguard-check
mkattach=$build/tests/tools/mkattach
for f in "$lib" "$check" "$mkattach"; do
    [ -x "$f" ] || [ -f "$f" ] || { echo "content.sh: no $f; build first (BUILD=dir)" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The build's own flags, as automake expanded them.
flags() { printf 'print:\n\t@echo $(%s)\n' "$1" | make -s -C "$build" -f Makefile -f - print; }
cc=${CC:-cc}
"$cc" -O2 -g -Wall -Wextra -pthread -I"$src/include" -I"$build" $(flags DEPS_CFLAGS) \
    -o "$tmp/content-bench" "$here/content-bench.c" "$lib" $(flags DEPS_LIBS) -pthread

# The corpus: its messages, and the generated ones when a build made them.
corpus=("$src"/tests/corpus/mail/*.eml)
for f in "$build"/tests/corpus/gen/*.eml; do [ -f "$f" ] && corpus+=("$f"); done

echo "== text engine, $(date -u +%F), $(nproc) cores ($(uname -m)), one run"
mkdir -m 700 "$tmp/hs"                  # fresh: the driver reads the one database back
SAFEGUARD_HS_CACHE=$tmp/hs "$tmp/content-bench" "$policy" "$mb" "${corpus[@]}"

if [ "${PERF:-0}" = 1 ] && command -v perf >/dev/null; then
    echo; echo "== perf: evaluate stage"
    SAFEGUARD_HS_CACHE=$tmp/hs BENCH_ONLY=evaluate perf record -q -g -o "$tmp/perf.data" \
        "$tmp/content-bench" "$policy" "$mb" "${corpus[@]}" >/dev/null 2>&1
    perf report -i "$tmp/perf.data" --no-children --percent-limit 1 --stdio 2>/dev/null |
        grep -E '^ +[0-9.]+%' | head -30
fi

[ "${SKIP_ATTACH:-0}" = 1 ] && exit 0
# Attachments: realistic text (the corpus's own bodies, each followed by
# four times as much generated staff prose, as in the workload above)
# made into a DOCX and a PDF by the project's mkattach.
echo; echo "== attachments through safeguard-check ($policy)"
"$tmp/content-bench" --dump "${corpus[@]}" >"$tmp/words.txt"
# Text of about N KB from the corpus bodies, repeated as needed.
text_kb() { local n=$1; while [ "$(stat -c %s "$tmp/t.txt" 2>/dev/null || echo 0)" -lt $((n * 1024)) ]; do
    cat "$tmp/words.txt" >>"$tmp/t.txt"; done; head -c $((n * 1024)) "$tmp/t.txt"; rm -f "$tmp/t.txt"; }
mkmail() { # NAME TYPE FILE OUT
    local b64
    b64=$(base64 -w 76 "$3")
    printf 'From: Tom Teacher <tom.teacher@northfield.sch.uk>\nTo: Parent <parent@example.com>\nSubject: Report\n'
    printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n--b\n'
    printf 'Content-Type: text/plain; charset=utf-8\n\nPlease find the report attached.\n\nTom\n--b\n'
    printf 'Content-Type: %s; name="%s"\nContent-Disposition: attachment; filename="%s"\n' "$2" "$1" "$1"
    printf 'Content-Transfer-Encoding: base64\n\n%s\n--b--\n' "$b64"
} 
# A DOCX's text is deflated, so 300 KB of file holds much more text; the
# sizes are the files' sizes.
make_sized() { # KIND TARGET_BYTES OUT
    local kind=$1 target=$2 out=$3 kb=64 size=0
    while :; do
        # a page break every 50 lines: PDF lines are not wrapped
        text_kb "$kb" | awk -v pdf="$([ "$kind" = pdf ] && echo 1)" 'pdf && NR % 50 == 0 { print "===" } { print }' >"$tmp/in.txt"
        "$mkattach" "$kind" "$out" <"$tmp/in.txt" >/dev/null
        size=$(stat -c %s "$out")
        [ "$size" -ge "$target" ] && break
        kb=$((kb * target / (size + 1) + 16))
    done
}
make_sized docx $((300 * 1024)) "$tmp/report.docx"
make_sized pdf $((1024 * 1024)) "$tmp/report.pdf"
mkmail report.docx application/vnd.openxmlformats-officedocument.wordprocessingml.document \
    "$tmp/report.docx" >"$tmp/docx.eml"
mkmail report.pdf application/pdf "$tmp/report.pdf" >"$tmp/pdf.eml"
printf 'DOCX %d bytes (%s KB of text), PDF %d bytes\n' "$(stat -c %s "$tmp/report.docx")" \
    "$(unzip -p "$tmp/report.docx" word/document.xml 2>/dev/null | sed 's/<[^>]*>//g' | wc -c | awk '{printf "%.0f", $1/1024}')" \
    "$(stat -c %s "$tmp/report.pdf")"

# ms per message: N copies in one safeguard-check run minus one copy,
# so the process start and the policy load (from the compiled-database
# cache, so no Hyperscan compile) are not counted.
N=${ATTACH_N:-10}
export SAFEGUARD_HS_CACHE=$tmp/hs
per_msg() { # FILE [ARGS...]
    local f=$1 t1 tn best=
    shift
    local many=()
    for _ in $(seq "$N"); do many+=("$f"); done
    for _ in 1 2 3; do
        t1=$( { /usr/bin/time -f %e "$check" -c "$policy" "$@" "$f" >/dev/null; } 2>&1 | tail -1)
        tn=$( { /usr/bin/time -f %e "$check" -c "$policy" "$@" "${many[@]}" >/dev/null; } 2>&1 | tail -1)
        local ms
        ms=$(echo "($tn - $t1) * 1000 / ($N - 1)" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$ms < $best" | bc -l)" = 1 ]; then best=$ms; fi
    done
    printf '%.0f' "$best"
}
for k in docx pdf; do
    printf '%s: ' "$k.eml"; "$check" -c "$policy" "$tmp/$k.eml" | { grep -c '^  rule ' || true; } | sed 's/$/ rules hit/'
done
printf '%-28s %12s %12s\n' "message" "in process" "--workers 1"
for k in docx pdf; do
    printf '%-28s %10s ms %10s ms\n' "$k.eml" "$(per_msg "$tmp/$k.eml")" "$(per_msg "$tmp/$k.eml" --workers 1)"
done
echo "(ms per message: ($N copies - 1 copy) / $((N - 1)), best of 3; policy from the database cache)"
