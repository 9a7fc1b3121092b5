#!/bin/bash
# logo.sh - the logo rule's cost: ms per 12 MP photo (decode with
# shrink-on-load + search, p50/p95) and per message of five.
#
#   BUILD=/tmp/b-logo bash tests/bench/logo.sh [MESSAGES]
#   (SG_LOGO_KP=1: with stage 3, the keypoints option, which is off by default)
#
# Each figure is also printed over a yardstick timed in the same run (a
# full-size libjpeg decode of one photo): the CPU ms of one host vary by
# about 2x from hour to hour, the ratios much less.
#
# BUILD is a configured build tree holding policy/libsgpolicy.a. The
# detector (pdq.c, logo.c) and the decoders (policy/image/decode*.c) are
# compiled here at -O2 whatever the tree's CFLAGS, and taken ahead of the
# archive's copies. References: the corpus gen.sh draws (made here if absent).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${BUILD:-$src}
lib=$build/policy/libsgpolicy.a
[ -f "$lib" ] || { echo "logo.sh: no $lib; build first (BUILD=dir)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
corpus=$build/tests/logo/corpus
[ -e "$corpus/done" ] || { corpus=$tmp/corpus; bash "$src/tests/logo/gen.sh" "$corpus" >/dev/null; }
pkgs="glib-2.0 libpng libjpeg libwebp libwebpdemux gmime-3.0 poppler-glib libzip zlib libxml-2.0 nettle"
cv="-lopencv_calib3d -lopencv_features2d -lopencv_imgproc -lopencv_core"
"${CXX:-c++}" -O2 -Wall -Wextra -I"$src/include" -I/usr/include/opencv4 -c -o "$tmp/logo_kp.o" "$src/policy/logo_kp.cpp"
# shellcheck disable=SC2046,SC2086
"${CC:-cc}" -O2 -std=gnu11 -Wall -Wextra -I"$src/include" -I"$src/policy/image" -I"$src/tests/unit" -I"$build" $(pkg-config --cflags $pkgs) \
    -o "$tmp/logo-bench" "$here/logo-bench.c" "$src/tests/unit/image_fix.c" "$src/policy/pdq.c" "$src/policy/logo.c" \
    "$src"/policy/image/decode*.c "$tmp/logo_kp.o" "$lib" \
    $(pkg-config --libs $pkgs) -lgif $cv -lstdc++ -lm -pthread
"$tmp/logo-bench" "$corpus" "${1:-8}"
