#!/bin/bash
# run-all.sh - README command 2, and what CI runs: install, build, and run
# every test: Check unit tests under ASan+UBSan, then the normal build's
# `make check` (units, miltertest, corpus), then real-Postfix end-to-end.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
bash contrib/install-deps.sh || exit 1

status=0
step() { echo; echo "=== $*"; }

step "unit tests under AddressSanitizer and UndefinedBehaviorSanitizer"
rm -rf build-asan && mkdir build-asan
[ -x configure ] || autoreconf -fi || exit 1
[ -f Makefile ] && make -s distclean >/dev/null 2>&1
if (cd build-asan && ../configure -q --enable-sanitizers && make -s -j2 tests/unit/check_policy milter/safeguard-check >/dev/null \
    && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ./tests/unit/check_policy); then
  echo "sanitizers: unit tests clean"
else
  echo "sanitizers: FAILED"; status=1
fi
rm -rf build-asan

step "build (warnings are errors)"
./configure -q CFLAGS="-O2 -g -Werror" && make -s -j2 || { echo "build FAILED"; exit 1; }

step "make check (unit, milter, corpus)"
if ! make -s check; then
  status=1
  for f in tests/unit/*.log tests/milter/*.log tests/corpus/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -40 "$f"; }; done
fi
for f in tests/unit/check_policy.log tests/milter/run.sh.log tests/corpus/run.sh.log; do
  [ -f "$f" ] && grep -E "^[0-9]+%: Checks:|^[0-9]+ passed, [0-9]+ failed" "$f"
done

step "end to end through a real Postfix"
bash tests/e2e/run.sh || status=1

echo
[ $status -eq 0 ] && echo "run-all: every test passed" || echo "run-all: FAILURES above"
exit $status
