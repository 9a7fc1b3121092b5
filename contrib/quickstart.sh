#!/bin/bash
# quickstart.sh - README command 1: install, build, and run the demo (a
# throwaway Postfix on 127.0.0.1 with safeguard-milter in front of it).
set -eu
cd "$(dirname "$0")/.."
bash contrib/install-deps.sh
bash contrib/build.sh
exec bash contrib/demo.sh
