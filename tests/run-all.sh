#!/bin/bash
# run-all.sh - README command 2, and what CI runs: install, build, and run
# every test: Check unit tests and the hostile set under ASan+UBSan, then
# the libFuzzer harnesses for 60 s each, the normal build's `make check`
# (unit, miltertest, labelled corpus, policy checks, hostile set), then
# real-Postfix end to end. Ends with one "N passed, M failed" line summing
# every suite.
set -u
cd "$(dirname "$0")/.."
bash contrib/install-deps.sh || exit 1

out=$(mktemp -d /tmp/sg-runall.XXXXXX)
trap 'rm -rf "$out"' EXIT
passed=0
failed=0
status=0

# tally LOG: add the counts a suite printed (Check's summary or "N passed, M failed").
tally() {
  local line n f e
  line=$(grep -E '^[0-9]+%: Checks: [0-9]+' "$1" | tail -n 1)
  if [ -n "$line" ]; then
    n=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
    f=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$line")
    e=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
    passed=$((passed + n - f - e)); failed=$((failed + f + e))
    return
  fi
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
  if [ -n "$line" ]; then
    passed=$((passed + ${line%% passed*}))
    f=${line#* passed, }; failed=$((failed + ${f%% failed*}))
  else
    failed=$((failed + 1))          # a suite that printed no count did not run
  fi
}

step() { echo; echo "=== $*"; }

step "unit tests under AddressSanitizer and UndefinedBehaviorSanitizer"
[ -x configure ] || autoreconf -fi || exit 1
[ -f Makefile ] && make -s distclean >/dev/null 2>&1
rm -rf build-asan && mkdir build-asan
(cd build-asan && ../configure -q --enable-sanitizers && make -s -j2 tests/unit/check_policy milter/safeguard-check >/dev/null) || { echo "sanitizer build FAILED"; exit 1; }
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# ASan runs several times slower, and CI shares two cores: Check's time
# limits are scaled for this run only.
CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-4} build-asan/tests/unit/check_policy 2>&1 | tee "$out/asan.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
tally "$out/asan.log"

step "hostile input under AddressSanitizer: a verdict for each, within its time and memory budget"
SG_CHECK=build-asan/milter/safeguard-check bash tests/hostile/run.sh 2>&1 | tee "$out/hostile-asan.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
tally "$out/hostile-asan.log"

step "hostile attachments under AddressSanitizer: bombs, encrypted and nested files, in a worker too"
(cd build-asan && make -s -j2 tests/tools/mkattach >/dev/null) || { echo "sanitizer build of mkattach FAILED"; exit 1; }
SG_CHECK=build-asan/milter/safeguard-check bash tests/hostile/attachments.sh 2>&1 | tee "$out/attach-asan.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
tally "$out/attach-asan.log"
unset ASAN_OPTIONS UBSAN_OPTIONS
rm -rf build-asan

# Out-of-tree (VPATH) like the ASan build: before the tree is configured in place.
step "fuzzing: each libFuzzer harness for 60 s under ASan+UBSan"
FUZZ_BUILD=$(mktemp -d /tmp/sg-fuzz.XXXXXX)
FUZZ_BUILD=$FUZZ_BUILD bash tests/fuzz/run.sh 60 2>&1 | tee "$out/fuzz.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
tally "$out/fuzz.log"
rm -rf "$FUZZ_BUILD"

step "build with -Wall -Wextra -Werror"
./configure -q CFLAGS="-O2 -g -Werror" && make -s -j2 || { echo "build FAILED"; exit 1; }

step "make check: unit (Check), milter (miltertest), corpus, policy (-n), hostile set, logo corpus"
make -s check || status=1
for t in tests/unit/check_policy tests/milter/run.sh tests/corpus/run.sh tests/policy/run.sh tests/policies/run.sh tests/man/run.sh tests/hostile/run.sh; do
  echo "--- $t"
  if [ -f "$t.log" ]; then
    grep -E '^(FAIL|[0-9]+%: Checks|[0-9]+ passed|category|[a-z-]+ +[0-9]+ +[0-9]+)' "$t.log" | head -n 40
    tally "$t.log"
  else
    echo "no log"; failed=$((failed + 1))
  fi
done
t=tests/hostile/attachments.sh
echo "--- $t"
if [ -f "$t.log" ]; then
  grep -E '^(FAIL|[0-9]+ passed)' "$t.log" | head -n 40
  tally "$t.log"
else
  echo "no log"; failed=$((failed + 1))
fi

t=tests/logo/run.sh
echo "--- $t"
if [ -f "$t.log" ]; then
  grep -E '^(class|whole|crop|embedded|small|perspective|neg|near|false|CPU|logo corpus|[0-9]+ passed)' "$t.log" | head -n 40
  tally "$t.log"
else
  echo "no log"; failed=$((failed + 1))
fi

step "end to end through a real Postfix on 127.0.0.1"
bash tests/e2e/run.sh 2>&1 | tee "$out/e2e.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
tally "$out/e2e.log"

echo
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ] || { status=1; echo "run-all: FAILURES above"; }
echo "$passed passed, $failed failed"
exit $status
