#!/bin/bash
# build.sh [CONFIGURE-ARGS...] - configure and build in the source tree.
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure "$@"
make -j"$(nproc)"
