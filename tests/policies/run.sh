#!/bin/bash
# run.sh - the policy pack (contrib/policies/*.yaml), one policy per seed
# document, each as a school adopting it would meet it:
#   load    `safeguard-milter -n -c POLICY` exits 0 and prints no warning;
#   corpus  its own labelled messages, tests/policies/NAME/cases.tsv (the
#           columns of tests/corpus/cases.tsv; the file column is relative
#           to tests/corpus, so ../policies/NAME/...), run by
#           tests/corpus/run.sh with CORPUS_RULES=1: the category, the
#           action, and every rule a note names in [brackets] must be right;
#   readme  contrib/policies/README names every rule id of the policy;
#   cites   every cite's quoted words (split at " ... ") are in the seed
#           document the policy's header names "(seed NNN)", when the
#           seeds are there (SG_SEEDS, default $top_srcdir/../shared/seeds);
#           otherwise this check is skipped and says so.
#
#   tests/policies/run.sh [NAME...]     only these policies
#
# Environment: top_srcdir, top_builddir (automake; default ../.. of this
# script), SG_MILTER, SAFEGUARD_CHECK (binaries), SG_SEEDS.
# Last line: "N passed, M failed"; exit status 1 when anything failed.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top_srcdir=$(cd "${top_srcdir:-$here/../..}" && pwd)
top_builddir=$(cd "${top_builddir:-$here/../..}" && pwd)
milter=${SG_MILTER:-$top_builddir/milter/safeguard-milter}
seeds=${SG_SEEDS:-$top_srcdir/../shared/seeds}
pack=$top_srcdir/contrib/policies
passed=0 failed=0

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sg-pack.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
export SAFEGUARD_HS_CACHE=${SAFEGUARD_HS_CACHE:-$tmp/hs}

if [ ! -x "$milter" ]; then
    echo "run.sh: $milter is not built (run make)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

# Lower case, curly quotes straight, whitespace (line breaks too) one space.
norm() { tr '\n' ' ' | sed "s/[‘’]/'/g; s/[“”]/\"/g" | tr -s ' \t\r' ' ' | tr 'A-Z' 'a-z'; }

# The rule ids a policy defines (not the commented-out ones).
rule_ids() { sed -n 's/^  - id: *\([a-z0-9-]*\).*/\1/p' "$1"; }

policies=()
if [ $# -gt 0 ]; then
    for n in "$@"; do policies+=("$pack/$n.yaml"); done
else
    policies=("$pack"/*.yaml)
fi
[ -e "${policies[0]}" ] || { bad "no policies in $pack"; echo "$passed passed, $failed failed"; exit 1; }

for p in "${policies[@]}"; do
    name=$(basename "$p" .yaml)

    # load
    "$milter" -n -c "$p" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ $rc -eq 0 ] && grep -q 'policy OK' "$tmp/out" && [ ! -s "$tmp/err" ]; then
        ok "$name: $(sed 's/.*: policy OK, //' "$tmp/out")"
    else
        bad "$name: safeguard-milter -n exit $rc"
        sed 's/^/       /' "$tmp/out" "$tmp/err" | head -n 20
    fi

    # readme
    missing=
    for id in $(rule_ids "$p"); do
        grep -q "\`$id\`" "$pack/README" 2>/dev/null || missing+=" $id"
    done
    if [ -z "$missing" ]; then ok "$name: README names its rules"
    else bad "$name: README does not name:$missing"; fi

    # cites
    seed=$(grep -o '(seed [0-9]\{3\})' "$p" | head -n 1 | tr -dc 0-9)
    seedfile=$(ls "$seeds/${seed:-none}"_*.txt 2>/dev/null | head -n 1)
    if [ -z "$seed" ]; then
        bad "$name: the header names no (seed NNN)"
    elif [ -z "$seedfile" ]; then
        echo "skip $name: cites (seed $seed not found under $seeds)"
    else
        text=$(norm <"$seedfile")
        wrong=0
        while IFS= read -r line; do
            n=${line%%:*} c=${line#*cite: \"}
            c=${c%\"} words=${c#*: }
            while [ -n "$words" ]; do
                frag=${words%% ... *}
                if [ "$frag" = "$words" ]; then words=; else words=${words#* ... }; fi
                f=$(printf '%s' "$frag" | norm)
                if [[ $text != *"$f"* ]]; then
                    echo "     $name.yaml:$n: not in seed $seed: \"$frag\""
                    wrong=1
                fi
            done
        done < <(grep -n '^ *cite: "' "$p")
        if [ $wrong -eq 0 ]; then ok "$name: cites are the words of seed $seed"
        else bad "$name: cites not in seed $seed (above)"; fi
    fi

    # corpus
    cases=$here/$name/cases.tsv
    if [ ! -f "$cases" ]; then
        bad "$name: no corpus ($cases)"
        continue
    fi
    top_srcdir=$top_srcdir top_builddir=$top_builddir CORPUS_RULES=1 \
        CORPUS_POLICY=$p CORPUS_CASES=$cases bash "$top_srcdir/tests/corpus/run.sh" >"$tmp/corpus" 2>&1
    grep -E '^(FAIL|     )' "$tmp/corpus"
    last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$tmp/corpus" | tail -n 1)
    if [ -z "$last" ]; then
        bad "$name: the corpus did not run"
        tail -n 5 "$tmp/corpus"
        continue
    fi
    np=${last%% passed*} nf=${last#* passed, } nf=${nf%% failed*}
    passed=$((passed + np)) failed=$((failed + nf))
    # Which of the policy's rules its corpus exercises (the [brackets]).
    used=$(grep -o '\[[a-z0-9 -]*\]$' "$cases" | tr -d '[]' | tr ' ' '\n' | sort -u)
    all=$(rule_ids "$p" | sort -u)
    echo "     $name: $np passed, $nf failed; rules exercised $(comm -12 <(echo "$all") <(echo "$used") | wc -l) of $(echo "$all" | wc -l)"
done

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
