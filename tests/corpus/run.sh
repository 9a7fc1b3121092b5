#!/bin/bash
# run.sh - the labelled corpus: run safeguard-check on every message in
# cases.tsv and cases.d/*.tsv with that case's envelope and time, compare
# the verdict's categories and action with the labels, and print a
# per-category table with precision and recall.
#
#   tests/corpus/run.sh [SUBSTRING...]   only cases whose file contains one
#
# A case whose file is a template (mail/NNN-name.eml.in) is expanded once
# per run by mkmail.sh into $top_builddir/tests/corpus/gen/NNN-name.eml,
# its @attach lines made into attachments by tests/tools/mkattach.
#
# Environment: top_srcdir, top_builddir (set by automake; default ../.. of
# this script), SAFEGUARD_CHECK (the binary; default
# $top_builddir/milter/safeguard-check), CORPUS_POLICY (default
# tests/corpus/policy.yaml), CORPUS_CASES (space-separated case files;
# default tests/corpus/cases.tsv and tests/corpus/cases.d/*.tsv; the file
# column stays relative to tests/corpus), MKATTACH (for mkmail.sh),
# CORPUS_RULES=1 to also check the rules a note names in [brackets],
# VERBOSE=1 to print every verdict.
# Last line: "N passed, M failed"; exit status 1 when anything failed.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top_srcdir=$(cd "${top_srcdir:-$here/../..}" && pwd)
top_builddir=$(cd "${top_builddir:-$here/../..}" && pwd)
bin=${SAFEGUARD_CHECK:-$top_builddir/milter/safeguard-check}
corpus=tests/corpus
policy=${CORPUS_POLICY:-$corpus/policy.yaml}
gen=$top_builddir/tests/corpus/gen
default_at=2026-11-25T10:00:00Z
default_client=127.0.0.1

cd "$top_srcdir" || exit 1
if [ -n "${CORPUS_CASES:-}" ]; then
    read -r -a case_files <<<"$CORPUS_CASES"
else
    case_files=("$corpus/cases.tsv")
    for f in "$corpus"/cases.d/*.tsv; do [ -f "$f" ] && case_files+=("$f"); done
fi
case $bin in /*) ;; *) bin=$top_builddir/$bin ;; esac
if [ ! -x "$bin" ]; then
    echo "run.sh: $bin is not built (run make)" >&2
    echo "0 passed, 0 failed"
    exit 1
fi
if ! command -v jq >/dev/null 2>&1; then
    echo "run.sh: jq is needed to read safeguard-check --json" >&2
    echo "0 passed, 0 failed"
    exit 1
fi

# Sorted, de-duplicated, comma-joined; "-" for none.
normcats() {
    local s
    s=$(printf '%s\n' "$1" | tr ',' '\n' | sed '/^-\{0,1\}$/d' | LC_ALL=C sort -u | paste -sd, -)
    printf '%s' "${s:--}"
}

# Categories in the order safeguard-check defines them; others appended.
known_cats="pupil-contact contact-details out-of-hours social-media confidential personal-data logo media reference offensive adult solicitation"
declare -A n_lab=() n_tp=() n_fp=() n_fn=() expanded=()
passed=0 failed=0 last_err=

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
# Compiled phrase databases shared by the runs of this corpus (policy/hscache.c).
export SAFEGUARD_HS_CACHE=${SAFEGUARD_HS_CACHE:-$tmp/hs}

# Expands a template into the build tree, once per run (the cache is why
# this is not called in a $(...) subshell): sets msg to the message path,
# or says why not and returns 1.
expand() {
    local tpl=$1 out
    out=$gen/$(basename "${tpl%.in}")
    if [ -z "${expanded[$tpl]:-}" ]; then
        if top_srcdir=$top_srcdir top_builddir=$top_builddir \
                "$here/mkmail.sh" "$tpl" "$out" 2>"$tmp/mkmail"; then
            expanded[$tpl]=$out
        else
            expanded[$tpl]=failed
            sed 's/^/       /' "$tmp/mkmail" >"$tmp/mkmail.$(basename "$tpl")"
        fi
    fi
    if [ "${expanded[$tpl]}" = failed ]; then
        cat "$tmp/mkmail.$(basename "$tpl")"
        return 1
    fi
    msg=${expanded[$tpl]}
}

for cases in "${case_files[@]}"; do
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    [ "$lineno" -eq 1 ] && continue                  # header
    case $line in '' | '#'*) continue ;; esac
    IFS=$'\t' read -r -a f <<<"$line"
    file=${f[0]:-}
    if [ "${#f[@]}" -lt 8 ]; then
        echo "FAIL $cases:$lineno: expected 9 tab-separated fields, got ${#f[@]}"
        failed=$((failed + 1))
        continue
    fi
    if [ $# -gt 0 ]; then
        want=0
        for pat in "$@"; do [[ $file == *"$pat"* ]] && want=1; done
        [ $want -eq 1 ] || continue
    fi
    from=${f[1]} rcpts=${f[2]} auth=${f[3]} at=${f[4]} client=${f[5]}
    exp_cats=$(normcats "${f[6]}") exp_action=${f[7]} note=${f[8]:-}
    path=$corpus/$file
    if [ ! -f "$path" ]; then
        echo "FAIL $file: no such file ($cases:$lineno)"
        failed=$((failed + 1))
        continue
    fi
    case $path in
        *.eml.in)
            if ! expand "$path" >"$tmp/why"; then
                echo "FAIL $file: the template did not expand ($cases:$lineno)"
                cat "$tmp/why"
                failed=$((failed + 1))
                continue
            fi
            path=$msg ;;
    esac

    args=(-c "$policy" --json --at "$([ "$at" = - ] && echo "$default_at" || echo "$at")")
    [ "$from" != - ] && args+=(--from "$from")
    if [ "$rcpts" != - ]; then
        IFS=, read -r -a rs <<<"$rcpts"
        for r in "${rs[@]}"; do args+=(--rcpt "$r"); done
    fi
    [ "$auth" != - ] && args+=(--auth "$auth")
    args+=(--client "$([ "$client" = - ] && echo "$default_client" || echo "$client")")

    "$bin" "${args[@]}" "$path" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    got=$(jq -r '[.action, ((.categories // []) | sort | unique | join(",") | if . == "" then "-" else . end),
                   ([.rules[]? | "\(.id)(\(.evidence // ""))"] | join("; "))] | @tsv' \
          "$tmp/out" 2>/dev/null | head -n 1)
    if [ $rc -ne 0 ] || [ -z "$got" ]; then
        got_action=error got_cats=- got_rules=
        err=$(head -c 2000 "$tmp/err")
    else
        IFS=$'\t' read -r got_action got_cats got_rules <<<"$got"
        got_cats=$(normcats "$got_cats")
        err=
    fi

    # Per-category counts.
    for c in ${exp_cats//,/ }; do
        [ "$c" = - ] && continue
        n_lab[$c]=$(( ${n_lab[$c]:-0} + 1 ))
        if [[ ",$got_cats," == *",$c,"* ]]; then n_tp[$c]=$(( ${n_tp[$c]:-0} + 1 ))
        else n_fn[$c]=$(( ${n_fn[$c]:-0} + 1 )); fi
    done
    for c in ${got_cats//,/ }; do
        [ "$c" = - ] && continue
        [[ ",$exp_cats," == *",$c,"* ]] || n_fp[$c]=$(( ${n_fp[$c]:-0} + 1 ))
        [[ " $known_cats " == *" $c "* ]] || known_cats="$known_cats $c"
    done

    # CORPUS_RULES=1 (tests/policies/run.sh): a note ending in [rule-id ...]
    # names rules that must fire as well.
    miss_rules=
    if [ "${CORPUS_RULES:-0}" = 1 ] && [[ $note =~ \[([a-z0-9\ -]+)\]$ ]]; then
        ids=" $(jq -r '[.rules[]?.id] | join(" ")' "$tmp/out" 2>/dev/null | tr '\n' ' ') "
        for r in ${BASH_REMATCH[1]}; do [[ $ids == *" $r "* ]] || miss_rules+=" $r"; done
    fi

    if [ "$got_cats" = "$exp_cats" ] && [ "$got_action" = "$exp_action" ] && [ -z "$miss_rules" ]; then
        passed=$((passed + 1))
        [ "${VERBOSE:-0}" = 1 ] && echo "ok   $file: $got_action [$got_cats]"
        continue
    fi
    failed=$((failed + 1))
    diff=
    for c in ${exp_cats//,/ }; do
        [ "$c" != - ] && [[ ",$got_cats," != *",$c,"* ]] && diff+=" -$c"
    done
    for c in ${got_cats//,/ }; do
        [ "$c" != - ] && [[ ",$exp_cats," != *",$c,"* ]] && diff+=" +$c"
    done
    echo "FAIL $file: action $got_action (want $exp_action), categories [$got_cats] (want [$exp_cats])${diff:+ ->$diff}"
    echo "     note: $note"
    [ -n "$miss_rules" ] && echo "     rules that did not fire:$miss_rules"
    [ -n "$got_rules" ] && echo "     rules: $got_rules"
    if [ -n "$err" ]; then
        if [ "$err" = "$last_err" ]; then
            echo "     safeguard-check exit $rc (same error as above)"
        else
            echo "     safeguard-check exit $rc:"
            while IFS= read -r l; do echo "       $l"; done <<<"$err"
            last_err=$err
        fi
    fi
done <"$cases"
done

# N/D rounded to two decimals, "-" when D is 0 (undefined).
ratio() {
    local h
    [ "$2" -eq 0 ] && { printf '%s' -; return; }
    h=$(( ($1 * 200 + $2) / ($2 * 2) ))
    printf '%d.%02d' $((h / 100)) $((h % 100))
}

echo
printf '%-16s %9s %5s %5s %5s %9s %6s\n' category labelled TP FP FN precision recall
for c in $known_cats; do
    l=${n_lab[$c]:-0} tp=${n_tp[$c]:-0} fp=${n_fp[$c]:-0} fn=${n_fn[$c]:-0}
    [ $((l + fp)) -eq 0 ] && continue
    printf '%-16s %9d %5d %5d %5d %9s %6s\n' "$c" "$l" "$tp" "$fp" "$fn" \
        "$(ratio "$tp" $((tp + fp)))" "$(ratio "$tp" $((tp + fn)))"
done
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
