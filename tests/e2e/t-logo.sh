#!/bin/bash
# t-logo.sh -- the logo rule through a real Postfix, in evaluation workers:
#   pdf-out     a PDF letterhead with the crest in its corner, to a print
#               shop: held, the log naming logo-outside
#   docx-out    a DOCX whose media is a JPEG copy of the crest: held
#   pdf-in      the same PDF to a colleague: delivered (the rule's default
#               scope is outside the trust)
#   plain-out   a PDF letterhead of another school to the print shop:
#               delivered
# The references and letterheads are drawn by tests/logo/gen.sh
# (ImageMagick); the PDF and DOCX are made by tests/tools/mkattach.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

MKATTACH=${MKATTACH:-$(dirname "$(dirname "$SG_MILTER_BIN")")/tests/tools/mkattach}
[ -x "$MKATTACH" ] || { echo "t-logo: $MKATTACH is not built (make check, or make tests/tools/mkattach)" >&2; exit 1; }
convert -version 2>/dev/null | grep -q ImageMagick || { echo "t-logo: ImageMagick is not installed" >&2; exit 1; }

sg_init
art=$SG_T/logo
bash tests/logo/gen.sh "$art" >/dev/null || sg_fail "gen.sh failed"
chmod -R a+rX "$SG_T/logo"
convert "$art/letter3.png" \( "$art/crest.png" -resize 120x \) -geometry +40+120 -composite -quality 80 \
    "$SG_T/letter.jpg" || sg_fail "convert letter"
convert "$art/letter4.png" -quality 80 "$SG_T/plain.jpg" || sg_fail "convert plain"
convert "$art/crest.png" -background white -flatten -resize 240x -quality 70 "$SG_T/crest.jpg" || sg_fail "convert crest"
"$MKATTACH" imgpdf "$SG_T/design.pdf" "$SG_T/letter.jpg" || sg_fail "mkattach imgpdf"
"$MKATTACH" imgpdf "$SG_T/plain.pdf" "$SG_T/plain.jpg" || sg_fail "mkattach imgpdf"
"$MKATTACH" imgdocx "$SG_T/report.docx" "$SG_T/crest.jpg" || sg_fail "mkattach imgdocx"
cat >"$SG_T/logo/policy.yaml" <<'YAML'
school:
  name: Hartwell Academy
  staff_domains: [hartwell.sch.uk]
  trust_domains: [hartwell-trust.org.uk]
limits:
  on_limit: quarantine
rules:
  - id: logo-outside
    category: logo
    match:
      logo: {references: [crest.png, lockup.png, mono.png, reversed.png]}
    action: quarantine
    explain: "Do not send the school's logo outside official channels."
    cite: "001 5.1"
YAML
chmod a+r "$SG_T/logo/policy.yaml"

sg_sink_start
sg_milter_start "$SG_T/logo/policy.yaml" -w 1
sg_postfix_start

TOK="$(date +%s)$$"
FROM=tom.teacher@hartwell.sch.uk
SHOP=orders@printshop.example
COLLEAGUE=sam.support@hartwell.sch.uk
DOCX=application/vnd.openxmlformats-officedocument.wordprocessingml.document
send() { # NAME RCPT FILE TYPE
    sg_swaks "$1" --from "$FROM" --to "$2" --header "Subject: print run" \
        --header "Message-Id: <sg-e2e-$1-$TOK@hartwell.sch.uk>" --body "Please print the attached." \
        --attach-type "$4" --attach-name "$(basename "$3")" --attach "@$3"
}
send pdf-out "$SHOP" "$SG_T/design.pdf" application/pdf || sg_fail "pdf-out: swaks failed: $(sg_swaks_out pdf-out)"
send docx-out "$SHOP" "$SG_T/report.docx" "$DOCX" || sg_fail "docx-out: swaks failed: $(sg_swaks_out docx-out)"
send pdf-in "$COLLEAGUE" "$SG_T/design.pdf" application/pdf || sg_fail "pdf-in: swaks failed: $(sg_swaks_out pdf-in)"
send plain-out "$SHOP" "$SG_T/plain.pdf" application/pdf || sg_fail "plain-out: swaks failed: $(sg_swaks_out plain-out)"
pdf_qid=$(sg_swaks_qid pdf-out); docx_qid=$(sg_swaks_qid docx-out)
in_qid=$(sg_swaks_qid pdf-in); plain_qid=$(sg_swaks_qid plain-out)
for v in pdf_qid docx_qid in_qid plain_qid; do
    [ -n "${!v}" ] || sg_fail "no queue id for ${v%_qid}"
done
sg_wait_queue_empty 60 || sg_fail "queue did not drain (except hold) within 60s"
sg_wait_until 15 sh -c "[ \$(find '$SG_SINK_DIR' -type f | wc -l) -ge 2 ]" || true

sg_assert "pdf-out: held" sg_in_hold "$pdf_qid"
sg_assert_match "pdf-out: log names the rule" \
    "$pdf_qid: event=[^ ]+ action=quarantine categories=logo rules=logo-outside " "$(sg_milter_event_for "$pdf_qid")"
sg_assert "docx-out: held" sg_in_hold "$docx_qid"
sg_assert_match "docx-out: log names the rule" \
    "$docx_qid: event=[^ ]+ action=quarantine categories=logo rules=logo-outside " "$(sg_milter_event_for "$docx_qid")"
[ -n "$(sg_sink_find "sg-e2e-pdf-in-$TOK")" ] || sg_fail "pdf-in: not delivered"
sg_assert_match "pdf-in: accepted inside the school" "$in_qid: event=[^ ]+ action=accept " \
    "$(sg_milter_event_for "$in_qid")"
[ -n "$(sg_sink_find "sg-e2e-plain-out-$TOK")" ] || sg_fail "plain-out: not delivered"
sg_assert_match "plain-out: another school's letterhead passes" "$plain_qid: event=[^ ]+ action=accept " \
    "$(sg_milter_event_for "$plain_qid")"
sg_assert "milter still running" sg_milter_alive
sg_milter_stop
echo "PASS: t-logo"
