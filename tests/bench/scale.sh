#!/bin/bash
# scale.sh - how time and peak memory grow with the size of the input
# (a benchmark, not a test: nothing here passes or fails).
#
#   bash tests/bench/scale.sh
#
# (a) policy load, `safeguard-milter -n -c POLICY`, against the number of
#     phrases: 1k, 10k, 50k, 300k, written two ways a school might:
#     one rule reading a phrases `files:` list, and many rules of 60
#     inline phrases each;
# (b) the engine, `safeguard-check -c tests/corpus/policy.yaml --json
#     MSG.eml`, against the number of MIME parts (1k, 10k, 100k short
#     text parts; 7 MB and 39 MB of empty parts) and of Cc recipients
#     (1k, 10k, 100k, 306k).
#
# Each case runs once under GNU time (/usr/bin/time -f '%e %M': elapsed
# seconds, peak resident KB) and prints one row: case, size, seconds,
# peak MB. These are meant to show the shape of a curve (linear or not),
# so one run is enough; the machines are shared, so expect noise of
# tens of percent on the small cases.
#
# Environment:
#   BUILD          folder holding milter/safeguard-milter and
#                  milter/safeguard-check (default: the source tree)
#   SCALE_TIMEOUT  seconds before a case is stopped and shown as
#                  "timeout" (default 300)
#   SCALE_ONLY     run only the cases whose name contains this text
#                  (e.g. "cc" or "phrases-files")
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${BUILD:-$src}" && pwd) || exit 1
milter=$build/milter/safeguard-milter
check=$build/milter/safeguard-check
limit=${SCALE_TIMEOUT:-300}
only=${SCALE_ONLY:-}
policy=$src/tests/corpus/policy.yaml

for b in "$milter" "$check"; do
    [ -x "$b" ] || { echo "scale.sh: $b is not built (set BUILD to a build folder)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "scale.sh: GNU time is needed (contrib/install-deps.sh)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sg-scale.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# N distinct phrases, one a line: two words, the first spelling out the
# number in letters so that no two phrases share a literal.
phrases() {
    awk -v n="$1" 'BEGIN {
        for (i = 0; i < n; i++) {
            s = ""; x = i
            for (k = 0; k < 4; k++) { s = s sprintf("%c", 97 + x % 26); x = int(x / 26) }
            printf "word%s term%d\n", s, i % 97
        }
    }'
}

policy_head() {
    printf 'school:\n  name: Scale Test\n  staff_domains: [northfield.sch.uk]\n'
    printf '  pupil_domains: [pupils.northfield.sch.uk]\nrules:\n'
}

# One rule whose phrases are a list file.
policy_files() {
    phrases "$1" >"$tmp/phrases-$1.txt"
    { policy_head
      printf '  - id: listed\n    category: offensive\n    action: reject\n    cite: c\n'
      printf '    match:\n      phrases: {files: [phrases-%s.txt]}\n' "$1"
    } >"$tmp/files-$1.yaml"
    echo "$tmp/files-$1.yaml"
}

# N/60 rules of 60 inline phrases each.
policy_rules() {
    { policy_head
      phrases "$1" | awk '
        (NR - 1) % 60 == 0 { if (NR > 1) print "]}, action: reject, cite: c}"
                             printf "  - {id: r%d, category: offensive, match: {phrases: [", (NR - 1) / 60; sep = "" }
        { printf "%s\"%s\"", sep, $0; sep = ", " }
        END { if (NR) print "]}, action: reject, cite: c}" }'
    } >"$tmp/rules-$1.yaml"
    echo "$tmp/rules-$1.yaml"
}

mail_head() {
    printf 'From: Jo Smith <jo.smith@northfield.sch.uk>\nTo: Amelia Clarke <amelia.clarke@pupils.northfield.sch.uk>\n'
    printf 'Subject: scale\nMessage-ID: <scale@northfield.sch.uk>\nMIME-Version: 1.0\n'
}

# N short text/plain parts.
mail_parts() {
    { mail_head
      printf 'Content-Type: multipart/mixed; boundary="b"\n\n'
      awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "--b\nContent-Type: text/plain\n\nPart %d of the homework.\n", i }'
      printf -- '--b--\n'
    } >"$tmp/parts-$1.eml"
    echo "$tmp/parts-$1.eml"
}

# About MB megabytes of empty parts: a boundary line and a blank line
# each, the cheapest part a sender can write (5 bytes).
mail_empty() {
    { mail_head
      printf 'Content-Type: multipart/mixed; boundary="b"\n\n'
      awk -v n=$(($1 * 1024 * 1024 / 5)) 'BEGIN { for (i = 0; i < n; i++) printf "--b\n\n" }'
      printf -- '--b--\n'
    } >"$tmp/empty-$1mb.eml"
    echo "$tmp/empty-$1mb.eml"
}

# N Cc recipients, folded three to a line as mail clients write them.
mail_cc() {
    { printf 'From: Jo Smith <jo.smith@northfield.sch.uk>\nTo: amelia.clarke@pupils.northfield.sch.uk\nCc: '
      awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "%s\"Parent %d\" <parent%d@example.com>", (i ? (i % 3 ? ", " : ",\n ") : ""), i, i; print "" }'
      printf 'Subject: newsletter\nMIME-Version: 1.0\nContent-Type: text/plain\n\nThe school newsletter.\n'
    } >"$tmp/cc-$1.eml"
    echo "$tmp/cc-$1.eml"
}

printf '%-22s %10s %10s %9s\n' case size seconds "peak MB"
printf '%-22s %10s %10s %9s\n' ---------------------- ---------- ---------- ---------
# Sizes run smallest first: once one times out, the larger ones of the
# same case are not tried (they would only time out too, slowly).
declare -A gave_up=()

# run CASE SIZE COMMAND...: one row; "timeout" or "error(N)" instead of
# figures when the command did not finish cleanly.
run() {
    local name=$1 size=$2
    shift 2
    local rc secs kb
    /usr/bin/time -f '%e %M' -o "$tmp/time" timeout -k 10 "$limit" "$@" >/dev/null 2>"$tmp/err"
    rc=$?
    read -r secs kb <"$tmp/time" 2>/dev/null || { secs='?'; kb=0; }
    # GNU time writes "Command exited with non-zero status N" first.
    [ "$rc" -ne 0 ] && { secs=$(tail -n 1 "$tmp/time" | cut -d' ' -f1); kb=$(tail -n 1 "$tmp/time" | cut -d' ' -f2); }
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        printf '%-22s %10s %10s %9s\n' "$name" "$size" "timeout" ">${limit}s"
        gave_up[$name]=1
    elif [ "$rc" -ne 0 ]; then
        printf '%-22s %10s %10s %9s   %s\n' "$name" "$size" "error($rc)" "$((kb / 1024))" "$(head -c 100 "$tmp/err" | tr '\n' ' ')"
    else
        printf '%-22s %10s %10s %9s\n' "$name" "$size" "$secs" "$((kb / 1024))"
    fi
}

# want CASE SIZE: whether to generate that input and run it (inputs
# are made only for rows that will run).
want() {
    case $1 in *"$only"*) ;; *) return 1 ;; esac
    if [ -n "${gave_up[$1]:-}" ]; then
        printf '%-22s %10s %10s %9s\n' "$1" "$2" "skipped" "-"
        return 1
    fi
}

for n in 1000 10000 50000 300000; do
    want phrases-files "$n" && run phrases-files "$n" "$milter" -n -c "$(policy_files "$n")"
done
for n in 1000 10000 50000 300000; do
    want phrases-rules "$n" && run phrases-rules "$n" "$milter" -n -c "$(policy_rules "$n")"
done
for n in 1000 10000 100000; do
    want mime-parts "$n" && run mime-parts "$n" "$check" -c "$policy" --at 2026-11-25T10:00:00Z --json "$(mail_parts "$n")"
done
for mb in 7 39; do
    want mime-empty-parts "${mb}MB" && run mime-empty-parts "${mb}MB" "$check" -c "$policy" --at 2026-11-25T10:00:00Z --json "$(mail_empty "$mb")"
done
for n in 1000 10000 100000 306000; do
    want cc-recipients "$n" && run cc-recipients "$n" "$check" -c "$policy" --at 2026-11-25T10:00:00Z --json "$(mail_cc "$n")"
done
