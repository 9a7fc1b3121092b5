#!/bin/bash
# install-deps.sh - every Debian 12 package safeguard-milter needs to build,
# test and run its demo. Run as root. Safe to run again.
#   install-deps.sh          build + test + demo packages
#   install-deps.sh --bench  also what tests/bench compares against
set -eu
export DEBIAN_FRONTEND=noninteractive
pkgs=(
  build-essential autoconf automake pkg-config
  libmilter-dev libyaml-dev libpcre2-dev check libgmime-3.0-dev libxml2-dev
  libsqlite3-dev libhyperscan-dev libutf8proc-dev libcsv-dev tzdata
  libzip-dev libarchive-dev libytnef0-dev libpoppler-glib-dev zlib1g-dev zip unzip
  libpng-dev libjpeg62-turbo-dev libgif-dev libwebp-dev imagemagick
  nettle-dev
  libopencv-core-dev libopencv-imgproc-dev libopencv-features2d-dev libopencv-calib3d-dev
  postfix swaks miltertest jq procps time
  m4 man-db groff-base
  clang libclang-rt-14-dev
  fonts-dejavu-core
)
[ "${1:-}" = --bench ] && pkgs+=(opendkim opendkim-tools rspamd mimedefang libnet-dns-perl bc)

# Postfix must not ask questions or take over port 25: the tests and the
# demo run their own throwaway instance.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "postfix postfix/mailname string localhost" | debconf-set-selections

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# tests/e2e/t-sendmail.sh runs Sendmail unpacked from its packages, which
# conflict with postfix and are never installed: download them to a cache.
bash -c '. "$1/../tests/e2e/lib-sendmail.sh" && sgm_fetch_debs' install-deps "$(cd "$(dirname "$0")" && pwd)" \
  || echo "install-deps: could not download the Sendmail packages (t-sendmail tries again)" >&2
echo "install-deps: all packages present"
