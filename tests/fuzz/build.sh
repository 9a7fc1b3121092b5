#!/bin/bash
# build.sh [BUILD_DIR] - builds the libFuzzer harnesses (ASan + UBSan)
# out of tree: configures BUILD_DIR with clang and coverage
# instrumentation, makes policy/libsgpolicy.a there, and links
# BUILD_DIR/tests/fuzz/fuzz_{message,policy,directory}.
#
# BUILD_DIR defaults to $FUZZ_BUILD, else ${TMPDIR:-/tmp}/sg-fuzz-build.
# It must not be the source tree, which stays unconfigured (other
# builds are VPATH builds from it). Needs clang and libclang-rt-14-dev
# (contrib/install-deps.sh); runs autoreconf only when configure is
# missing (a fresh clone).
set -eu

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-${FUZZ_BUILD:-${TMPDIR:-/tmp}/sg-fuzz-build}}
mkdir -p "$build"
build=$(cd "$build" && pwd)
case $build/ in
"$src"/)
    echo "build.sh: $build is the source tree; give a folder outside it (or under build-*/)" >&2
    exit 2 ;;
esac

CC=${CC:-clang}
command -v "$CC" >/dev/null || { echo "build.sh: $CC not found: run contrib/install-deps.sh" >&2; exit 2; }

# The C++ unit (policy/logo_kp.cpp) is built with clang++ and the same
# flags; the harnesses then link UBSan's C++ part (-fsanitize-link-c++-runtime).
# The engine gets coverage counters but no libFuzzer main; the harnesses
# are linked with -fsanitize=fuzzer, which brings main. UBSan must stop
# at the first report, or the fuzzer would count a bug as a pass.
san=("-fsanitize=address,undefined" -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
lib_cflags=(-g -O1 -fsanitize=fuzzer-no-link "${san[@]}")

# Only a fresh clone lacks configure; making it writes into the source
# tree (as README command 1 does), but configures nothing there.
if [ ! -x "$src/configure" ]; then
    echo "build.sh: no configure in $src: running autoreconf -fi"
    (cd "$src" && autoreconf -fi)
fi

# configure refuses a VPATH build from a configured source tree.
if [ -f "$src/config.status" ]; then
    echo "build.sh: $src is configured in place; run 'make distclean' there first" >&2
    exit 2
fi

cd "$build"
if [ -f config.status ] && ! grep -q -- "-fsanitize=fuzzer-no-link" config.status; then
    echo "build.sh: $build holds a build without fuzzing instrumentation; use another folder" >&2
    exit 2
fi
# Reconfigure when configure changed or an older build.sh used other flags.
if [ ! -f Makefile ] || [ "$src/configure" -nt config.status ] ||
   ! grep -qF -- "${lib_cflags[*]}" config.status; then
    echo "build.sh: configuring $build"
    "$src/configure" -q CC="$CC" CFLAGS="${lib_cflags[*]}" CXX="${CXX:-clang++}" CXXFLAGS="${lib_cflags[*]}"
fi
echo "build.sh: making policy/libsgpolicy.a"
nice -n 10 make -s -j2 policy/libsgpolicy.a

# The engine's include and link flags, exactly as configure found them.
# shellcheck disable=SC2016  # make, not the shell, expands these
printf 'print-%%:\n\t@echo $($*)\n' >fuzz-vars.mk
read -ra deps_cflags <<<"$(make -s --no-print-directory -f Makefile -f fuzz-vars.mk print-DEPS_CFLAGS)"
read -ra deps_libs <<<"$(make -s --no-print-directory -f Makefile -f fuzz-vars.mk print-DEPS_LIBS)"
warn=(-Wall -Wextra -Wshadow -Wformat=2 -Werror)
cflags=(-std=gnu11 "${lib_cflags[@]}" "${warn[@]}" -I"$src/include" "${deps_cflags[@]}")

mkdir -p tests/fuzz
cd tests/fuzz
echo "build.sh: compiling the harnesses"
nice -n 10 "$CC" "${cflags[@]}" -c "$here/fuzz_common.c" -o fuzz_common.o
for h in message policy directory; do
    nice -n 10 "$CC" "${cflags[@]}" -c "$here/fuzz_$h.c" -o "fuzz_$h.o"
    nice -n 10 "$CC" -g -fsanitize=fuzzer "${san[@]}" -fsanitize-link-c++-runtime -pthread -o "fuzz_$h" "fuzz_$h.o" fuzz_common.o \
        ../../policy/libsgpolicy.a "${deps_libs[@]}"
done
echo "build.sh: built $build/tests/fuzz/fuzz_message, fuzz_policy, fuzz_directory"
