#!/bin/bash
# make-mail.sh OUT.eml [ATTACH_KB] - a typical staff message (text + HTML,
# about 5 KB) for the benchmarks, optionally with a base64 PDF of about
# ATTACH_KB KB: a real one, text pages made by the project's mkattach
# ($MKATTACH, default an in-tree build's), so every filter has to read it.
set -eu
out=$1 kb=${2:-0}
para="Thank you for your email about the Year 9 geography field trip to the coast next Thursday. The coach leaves at 08:15 from the front of the school and returns by 16:30. Please make sure consent forms are back with the office by Monday; packed lunches are needed and waterproofs are strongly recommended."
{
  printf 'From: Tom Teacher <tom.teacher@northfield.sch.uk>\nTo: Parent <parent@example.com>\n'
  printf 'Subject: Year 9 field trip\nMIME-Version: 1.0\nMessage-ID: <bench@northfield.sch.uk>\n'
  printf 'Content-Type: multipart/mixed; boundary="outer"\n\n--outer\n'
  printf 'Content-Type: multipart/alternative; boundary="alt"\n\n--alt\n'
  printf 'Content-Type: text/plain; charset=utf-8\n\n'
  for _ in 1 2 3 4 5 6; do printf '%s\n\n' "$para"; done
  printf -- '--alt\nContent-Type: text/html; charset=utf-8\n\n<html><body>'
  for _ in 1 2 3 4 5 6; do printf '<p>%s</p>\n' "$para"; done
  printf '</body></html>\n--alt--\n'
  if [ "$kb" -gt 0 ]; then
    printf -- '--outer\nContent-Type: application/pdf; name="trip.pdf"\n'
    printf 'Content-Disposition: attachment; filename="trip.pdf"\nContent-Transfer-Encoding: base64\n\n'
    mkattach=${MKATTACH:-$(dirname "$0")/../tools/mkattach}
    pdf=$(mktemp)
    # The paragraph's words in a seeded random order, 60 lines a page:
    # Flate shrinks this text about 2.5 times, so 2.5 times the size in text.
    awk -v para="$para" -v bytes=$((kb * 5 / 2 * 1024)) 'BEGIN {
        srand(7); n = split(para, w, " "); out = 0
        for (line = 1; out < bytes; line++) {
            if (line % 60 == 0) { print "==="; continue }
            s = ""; for (i = 0; i < 12; i++) s = s w[int(rand() * n) + 1] " "
            print s; out += length(s) + 1
        } }' | "$mkattach" pdf "$pdf"
    base64 -w 76 "$pdf"
    rm -f "$pdf"
  fi
  printf -- '--outer--\n'
} >"$out"
