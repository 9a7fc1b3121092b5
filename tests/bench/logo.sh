#!/bin/bash
# logo.sh - the logo rule's cost: ms per 12 MP photo (decode with
# shrink-on-load + search, p50/p95) and per message of five.
#
#   BUILD=/tmp/b-logo bash tests/bench/logo.sh [MESSAGES]
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
pkgs="glib-2.0 libpng libjpeg libwebp libwebpdemux gmime-3.0 poppler-glib libzip zlib libxml-2.0"
# shellcheck disable=SC2046,SC2086
"${CC:-cc}" -O2 -std=gnu11 -Wall -Wextra -I"$src/include" -I"$src/policy/image" -I"$build" $(pkg-config --cflags $pkgs) \
    -o "$tmp/logo-bench" "$here/logo-bench.c" "$src/policy/pdq.c" "$src/policy/logo.c" \
    "$src"/policy/image/decode*.c "$lib" \
    $(pkg-config --libs $pkgs) -lgif -lm -pthread
"$tmp/logo-bench" "$corpus" "${1:-8}"
