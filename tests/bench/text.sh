#!/bin/bash
# text.sh - normalisation throughput: the ASCII fast path against the
# utf8proc-only reference, on ~50 MB of generated ASCII-heavy mail text.
#
#   BUILD=/tmp/b-txt bash tests/bench/text.sh [MB]
#
# BUILD is a configured build tree holding policy/libsgpolicy.a (default:
# the source tree, for an in-tree build). The driver is compiled here
# rather than in Makefile.am because it is a measurement, not a program
# anyone installs or a test that gates a change.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${BUILD:-$src}
lib=$build/policy/libsgpolicy.a
[ -f "$lib" ] || { echo "text.sh: no $lib; build first (BUILD=dir)" >&2; exit 2; }
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# text.o needs utf8proc, and util.o (sg_buf) brings glib in with it;
# the static archive contributes only the objects these calls need.
libs=$(pkg-config --libs libutf8proc glib-2.0 2>/dev/null || echo "-lutf8proc -lglib-2.0")
"$cc" -O2 -Wall -Wextra -I"$src/include" -I"$build" $(pkg-config --cflags libutf8proc glib-2.0 2>/dev/null) \
    -o "$tmp/text-bench" "$here/text-bench.c" "$lib" $libs -pthread
"$tmp/text-bench" "${1:-50}"
