#!/bin/bash
# tests/e2e/run.sh [-v] [TEST...] -- run the real-Postfix end-to-end tests.
#
# Runs every tests/e2e/t-*.sh (or the named ones), each with a time limit,
# prints PASS/FAIL per test (and the tail of a failing test's output), and
# ends with the line "N passed, M failed".  Exit status 0 only if all passed.
#   -v   show each test's full output as it runs
# Needs root, postfix and swaks (see tests/e2e/lib.sh), and a built
# milter/safeguard-milter (contrib/build.sh). t-sendmail also runs a real
# Sendmail unpacked from its packages (tests/e2e/lib-sendmail.sh: m4, and
# apt-get download when contrib/install-deps.sh has not cached them).
set -u
cd "$(dirname "$0")/../.." || exit 1

verbose=0
if [ "${1:-}" = -v ]; then verbose=1; shift; fi
TEST_TIMEOUT=${SG_TEST_TIMEOUT:-600}

if [ $# -gt 0 ]; then
    tests=()
    for t in "$@"; do
        t=${t##*/}; t=${t%.sh}
        tests+=("tests/e2e/$t.sh")
    done
else
    tests=(tests/e2e/t-*.sh)
fi

# Missing packages or not root: say so once, count every test as failed.
if ! req=$(bash -c '. tests/e2e/lib.sh && sg_require_tools' 2>&1); then
    printf '%s\n' "$req" >&2
    echo "${#tests[@]} test(s) not run"
    echo "0 passed, ${#tests[@]} failed"
    exit 1
fi
if [ ! -x milter/safeguard-milter ]; then
    echo "e2e: milter/safeguard-milter is not built (run contrib/build.sh first); the tests will fail" >&2
fi

logdir=$(mktemp -d "${TMPDIR:-/tmp}/sg-e2e-run.XXXXXX") || exit 1
passed=0
failed=0
failed_names=""
for t in "${tests[@]}"; do
    name=$(basename "$t" .sh)
    log=$logdir/$name.log
    if [ ! -f "$t" ]; then
        echo "FAIL $name (no such test: $t)"
        failed=$((failed + 1)); failed_names="$failed_names $name"
        continue
    fi
    start=$SECONDS
    if [ "$verbose" = 1 ]; then
        timeout -k 10 "$TEST_TIMEOUT" bash "$t" 2>&1 | tee "$log"
        rc=${PIPESTATUS[0]}
    else
        timeout -k 10 "$TEST_TIMEOUT" bash "$t" >"$log" 2>&1
        rc=$?
    fi
    dur=$((SECONDS - start))
    if [ "$rc" = 0 ]; then
        echo "PASS $name (${dur}s)"
        passed=$((passed + 1))
        rm -f "$log"
    else
        [ "$rc" = 124 ] && echo "[e2e] $name timed out after ${TEST_TIMEOUT}s" >>"$log"
        echo "FAIL $name (exit $rc, ${dur}s) -- full output: $log"
        if [ "$verbose" = 0 ]; then
            tail -n 60 "$log" | sed 's/^/    | /'
        fi
        failed=$((failed + 1)); failed_names="$failed_names $name"
    fi
done

[ "$failed" = 0 ] && rm -rf "$logdir"
[ "$failed" != 0 ] && echo "failed:$failed_names"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
