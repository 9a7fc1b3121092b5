#!/bin/bash
# run.sh [SECONDS] - builds the fuzz harnesses (build.sh) and runs each,
# one after another, for SECONDS (default 60) under ASan + UBSan.
#
# Per harness it prints the executions, coverage (cov = edges, ft =
# features), corpus size and whether it crashed; the last line is
# "N passed, M failed". A harness passes when it ran its time without a
# crash, leak, timeout (-timeout=10 per input) or out-of-memory
# (-rss_limit_mb=2048). Exit status 1 when any failed.
#
# Environment:
#   FUZZ_BUILD    build folder (default ${TMPDIR:-/tmp}/sg-fuzz-build);
#                 never the source tree
#   FUZZ_ONLY     space-separated subset of: message policy directory
#   FUZZ_ARGS     extra libFuzzer flags, e.g. "-seed=1 -jobs=2"
#
# The corpus each run grows is kept in FUZZ_BUILD/tests/fuzz/corpus/NAME
# (the next run starts from it); crash, leak and timeout inputs are
# written to FUZZ_BUILD/tests/fuzz/artifacts/, and each log to
# FUZZ_BUILD/tests/fuzz/NAME.log. Everything runs under nice -n 10: the
# machines these run on are shared.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
secs=${1:-60}
case $secs in '' | *[!0-9]*) echo "usage: run.sh [SECONDS]" >&2; exit 2 ;; esac
build=${FUZZ_BUILD:-${TMPDIR:-/tmp}/sg-fuzz-build}
harnesses=${FUZZ_ONLY:-message policy directory}

if ! bash "$here/build.sh" "$build"; then
    echo "run.sh: build FAILED"
    echo "0 passed, 1 failed"
    exit 1
fi
build=$(cd "$build" && pwd)
out=$build/tests/fuzz
mkdir -p "$out/artifacts" "$out/tmp"

# Seeds: the small committed set, plus what the tests already hold,
# gathered now so new test messages and policies feed the fuzzer too.
gather() {
    local name=$1 dir=$out/gathered/$1
    rm -rf "$dir"
    mkdir -p "$dir"
    case $name in
    message)
        cp "$src"/tests/corpus/mail/*.eml "$src"/tests/data/mime/*.eml "$dir"/ 2>/dev/null ;;
    policy)
        # Same names in different folders: prefix with the folder.
        for f in "$src"/tests/data/policy/*.yaml "$src"/tests/e2e/*.yaml \
                 "$src"/tests/corpus/policy.yaml "$src"/contrib/example-policy.yaml; do
            [ -f "$f" ] && cp "$f" "$dir/$(basename "$(dirname "$f")")-$(basename "$f")"
        done ;;
    directory)
        for f in "$src"/contrib/directory/*.csv "$src"/tests/corpus/directory/*.csv \
                 "$src"/tests/data/directory/*.csv; do
            [ -f "$f" ] && cp "$f" "$dir/$(basename "$(dirname "$(dirname "$f")")")-$(basename "$f")"
        done ;;
    esac
    echo "$dir"
}

# Inputs larger than these are rarely more interesting and always slower.
declare -A max_len=([message]=32768 [policy]=16384 [directory]=8192)

passed=0
failed=0
for h in $harnesses; do
    bin=$out/fuzz_$h
    if [ ! -x "$bin" ]; then
        echo "fuzz_$h: not built"
        failed=$((failed + 1))
        continue
    fi
    corpus=$out/corpus/$h
    mkdir -p "$corpus"
    gathered=$(gather "$h")
    log=$out/$h.log
    # Only this run's reproducers say whether this run failed.
    find "$out/artifacts" -name "$h-*" -delete
    echo "fuzz_$h: running ${secs}s (log $log)"
    # The outer timeout is a backstop for a hang libFuzzer's own alarm
    # cannot interrupt; libFuzzer stops itself at -max_total_time.
    # TMPDIR keeps the harness's scratch folders inside the build tree.
    # shellcheck disable=SC2086
    TMPDIR=$out/tmp \
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    timeout -k 30 $((secs + 300)) nice -n 10 "$bin" \
        -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
        -max_len="${max_len[$h]}" -dict="$here/$h.dict" -print_final_stats=1 \
        -artifact_prefix="$out/artifacts/$h-" ${FUZZ_ARGS:-} \
        "$corpus" "$here/seeds/$h" "$gathered" >"$log" 2>&1
    rc=$?
    stats=$(grep -aE '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1)
    execs=$(grep -aE '^stat::number_of_executed_units:' "$log" | awk '{print $2}')
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$stats")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$stats")
    corp=$(sed -nE 's/.* corp: ([0-9]+\/[0-9A-Za-z]+).*/\1/p' <<<"$stats")
    eps=$(sed -nE 's/.* exec\/s: ([0-9]+).*/\1/p' <<<"$stats")
    what=
    if grep -aq 'ERROR: LeakSanitizer' "$log"; then what="leak"
    elif grep -aq 'ERROR: AddressSanitizer' "$log"; then what="crash (ASan: $(grep -a -m1 -oE 'AddressSanitizer: [a-z-]+' "$log" | cut -d' ' -f2))"
    elif grep -aq 'runtime error:' "$log"; then what="crash (UBSan: $(grep -a -m1 -oE 'runtime error: .{0,60}' "$log"))"
    elif grep -aq 'ALARM: working on the last Unit' "$log"; then what="timeout (an input took over 10 s)"
    elif grep -aq 'out-of-memory' "$log"; then what="out of memory (over 2048 MB)"
    elif grep -aq 'deadly signal' "$log"; then what="crash (signal)"
    elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then what="hang (killed after $((secs + 300))s)"
    elif [ "$rc" -ne 0 ]; then what="failed (exit $rc)"
    fi
    printf '  execs %s, cov %s, ft %s, corpus %s, exec/s %s\n' \
        "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${eps:-?}"
    if [ -z "$what" ]; then
        echo "  PASS: no crash, leak or timeout"
        passed=$((passed + 1))
    else
        echo "  FAIL: $what"
        grep -a -m1 -E 'Test unit written to' "$log" | sed 's/^.*Test unit written to /  reproducer: /'
        grep -a -m1 -E '^fuzz(_[a-z]+| harness):' "$log" | sed 's/^/  says: /'
        # The first frames of the report that are not libFuzzer's or libc's.
        grep -a -m1 -A30 -E '^==[0-9]+== ?ERROR|runtime error:' "$log" | grep -aE '^ +#[0-9]+ ' |
            grep -avE 'fuzzer::|__sanitizer|libc\.so|nptl/|stdlib/|signal/|csu/' | head -n 6 | sed 's/^ */    /'
        echo "  replay: $bin <reproducer>"
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
