#!/bin/bash
# run.sh - the logo corpus: draws the references and hard negatives with
# ImageMagick (gen.sh, cached in the build tree until gen.sh changes), then
# the measuring program makes the rest and asserts issue 10's figures:
# whole-logo variants >= 99%, crops/backgrounds >= 95%, embedded (>= 48 px)
# >= 90%, false positives <= 0.1% of >= 2,000 negatives. It prints the table.
set -u
src=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-.}
if ! convert -version 2>/dev/null | grep -q ImageMagick; then
  echo "logo: ImageMagick's convert is not installed (contrib/install-deps.sh): skipped"
  exit 77
fi
corpus=$build/tests/logo/corpus
if [ -e "$corpus/done" ] && [ "$src/tests/logo/gen.sh" -nt "$corpus/done" ]; then
  rm -rf "$corpus"
fi
bash "$src/tests/logo/gen.sh" "$corpus" || { echo "logo: gen.sh failed"; exit 1; }
"$build/tests/logo/measure" "$corpus" --misses "$build/tests/logo/misses.txt"
