#!/bin/bash
# t-override.sh -- override with justification, monitor mode and the
# footer through a real Postfix.
#
# With tests/e2e/policy-override.yaml, staff@northfield.sch.uk sends:
#   "press enquiry"                -> 550 5.7.1 whose text offers [justify: ...]
#   the same, [justify: ...] added -> delivered, tag gone, X-Safeguard-Justification
#   "care plan" + [justify: ...]   -> held rule overridden: delivered likewise
#   "pupil number" + [justify: ..] -> not overridable: held, justification=refused
#   "newspaper"                    -> monitor: delivered untouched, logged would=quarantine
#   "governors minutes", plain and multipart/alternative
#                                  -> annotated, footer in every text body
# The milter's log names rules and the reason's length, never the reason.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

sg_init
sg_sink_start
sed -e "s|@CONF@|$SG_CONF|g" -e "s|@RUN@|$SG_T/run|g" \
    "$SG_REPO_ROOT/tests/e2e/policy-override.yaml" >"$SG_T/policy.yaml"
sg_milter_start "$SG_T/policy.yaml"
sg_postfix_start

TOK="$(date +%s)$$"
FROM=staff@northfield.sch.uk
EXT=someone@example.com
R_PRESS="The Principal approved this reply"
R_PLAN="parent asked for a copy"

send() { # NAME SUBJECT BODY
    sg_swaks "$1" --from "$FROM" --to "$EXT" \
        --header "Subject: $2" \
        --header "Message-Id: <sg-e2e-$1-$TOK@northfield.sch.uk>" \
        --body "$3"
}

# ---- safeguard-check says what a monitored rule would do ------------------------
CHECK=$(dirname "$SG_MILTER_BIN")/safeguard-check
if [ -x "$CHECK" ]; then
    printf 'From: %s\nTo: %s\nSubject: Fair\n\nA newspaper rang.\n' "$FROM" "$EXT" >"$SG_T/check.eml"
    out=$("$CHECK" -c "$SG_T/policy.yaml" "$SG_T/check.eml" 2>&1)
    sg_assert_match "safeguard-check: accept, would quarantine" 'check\.eml: accept .*monitor: would quarantine' "$(printf '%s' "$out" | tr '\n' ' ')"
    sg_assert_match "safeguard-check: the rule would quarantine (monitor)" \
        'rule newspaper-watch \[media\] -> would quarantine \(monitor\)' "$out"
fi

# ---- a reject offers the override -------------------------------------------
send press "Local paper" "Hello, this is a press enquiry about the fair."; rc=$?
[ "$rc" != 0 ] || sg_fail "press: swaks reported success: $(sg_swaks_out press)"
reply=$(sg_swaks_data_reply press)
sg_assert_match "press: 550 5.7.1" '^<\*\* +550[- ]5\.7\.1' "$reply"
sg_assert_match "press: the reply offers the override" \
    'resend it with \[justify: your reason\] in the subject' "$reply"

# ---- the resend with a justification is delivered -------------------------------
send pressok "Local paper [Justify:  $R_PRESS ]" \
    "Hello, this is a press enquiry about the fair." \
    || sg_fail "pressok: swaks failed: $(sg_swaks_out pressok)"
send planok "[justify: $R_PLAN] Plan" "Attached is the care plan we discussed." \
    || sg_fail "planok: swaks failed: $(sg_swaks_out planok)"

# ---- not overridable: still held -------------------------------------------------
send upn "[justify: needed for the transfer] Records" "Her pupil number is on the form." \
    || sg_fail "upn: swaks failed: $(sg_swaks_out upn)"
upn_qid=$(sg_swaks_qid upn)
[ -n "$upn_qid" ] || sg_fail "upn: no queue id"

# ---- monitor: delivered untouched --------------------------------------------------
send monitor "Fair" "A newspaper rang about the summer fair." \
    || sg_fail "monitor: swaks failed: $(sg_swaks_out monitor)"

# ---- footer: plain and multipart/alternative ------------------------------------------
send footer "Minutes" "The governors minutes are below." \
    || sg_fail "footer: swaks failed: $(sg_swaks_out footer)"
{
    printf 'From: %s\r\nTo: %s\r\nSubject: Minutes (HTML)\r\n' "$FROM" "$EXT"
    printf 'Message-Id: <sg-e2e-footalt-%s@northfield.sch.uk>\r\nMIME-Version: 1.0\r\n' "$TOK"
    printf 'Content-Type: multipart/alternative; boundary="=_alt_e2e"\r\n\r\n'
    printf -- '--=_alt_e2e\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
    printf 'The governors minutes, caf=E9 at ten.\r\n'
    printf -- '--=_alt_e2e\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    printf '<html><body><p>The governors minutes.</p></body></html>' | base64 | sed 's/$/\r/'
    printf -- '--=_alt_e2e--\r\n'
} >"$SG_T/footalt.eml"
sg_swaks footalt --from "$FROM" --to "$EXT" --data "$SG_T/footalt.eml" \
    || sg_fail "footalt: swaks failed: $(sg_swaks_out footalt)"

# ---- wait -----------------------------------------------------------------------------
postqueue -c "$SG_CONF" -f >/dev/null 2>&1 || true
sg_wait_queue_empty 60 || sg_fail "queue did not drain (except hold) within 60s"
# Five messages, and three DSL notices (two overrides, one hold) that
# come back through the milter and on to the sink.
sg_wait_until 30 sh -c "[ \$(find '$SG_SINK_DIR' -type f | wc -l) -ge 8 ]" || true
postqueue -c "$SG_CONF" -f >/dev/null 2>&1 || true
sg_wait_queue_empty 60 || sg_fail "queue did not drain after the notices"
sg_assert_eq "sink: pressok, planok, monitor, footer, footalt and three DSL notices" 8 "$(sg_sink_count)"
sg_assert_eq "press: nothing delivered" "" "$(sg_sink_find "sg-e2e-press-$TOK")"
sg_assert_eq "upn: nothing delivered" "" "$(sg_sink_find "sg-e2e-upn-$TOK")"

# ---- overridden messages -----------------------------------------------------------------
for n in pressok planok; do
    f=$(sg_sink_find "sg-e2e-$n-$TOK")
    [ -n "$f" ] || sg_fail "$n: not at the sink"
    h=$(sg_headers "$f")
    sg_assert_nomatch "$n: no [justify: ...] left in the subject" '^Subject:.*\[[Jj]ustify' "$h"
    sg_assert_eq "$n: one X-Safeguard-Justification header" 1 "$(printf '%s\n' "$h" | grep -ci '^X-Safeguard-Justification:')"
done
h=$(sg_headers "$(sg_sink_find "sg-e2e-pressok-$TOK")")
sg_assert_match "pressok: subject without the tag" '^Subject: Local paper$' "$h"
sg_assert_match "pressok: the reason in the header" '^X-Safeguard-Justification: The Principal approved this reply$' "$h"
h=$(sg_headers "$(sg_sink_find "sg-e2e-planok-$TOK")")
sg_assert_match "planok: subject without the tag" '^Subject: Plan$' "$h"
sg_assert_match "planok: the reason in the header" '^X-Safeguard-Justification: parent asked for a copy$' "$h"
sg_assert_nomatch "planok: no verdict header (not annotated)" '^X-Safeguard-Verdict' "$h"

# ---- the DSL is told of each override ------------------------------------------------------
DSL=dsl-notices@northfield.sch.uk
for n in pressok planok; do
    ev=$(grep -a -F "sg-e2e-$n-$TOK" "$SG_MILTER_LOG" | sed -n 's/.*: event=\([^ ]*\) action=.*/\1/p' | head -n1)
    [ -n "$ev" ] || sg_fail "$n: no verdict line"
    sg_assert "$n: notice=dsl-override sent for $ev" grep -qaE "event=$ev notice=dsl-override sent" "$SG_MILTER_LOG"
    f=$(sg_sink_find "sg-notice.$ev.")
    [ -n "$f" ] || sg_fail "$n: no DSL notice for $ev at the sink"
    h=$(sg_headers "$f")
    sg_assert_match "$n: notice to the DSL" "^To: $DSL$" "$h"
    sg_assert_match "$n: notice subject names the override and event" "^Subject: Safeguard: override used \(.*\), event $ev" "$h"
    sg_assert_nomatch "$n: notice passed unscreened (no verdict header)" '^X-Safeguard-Verdict:' "$h"
    sg_assert "$n: notice gives the justification" grep -qF "Justification given:" "$f"
done
f=$(sg_sink_find "sg-notice.$(grep -a -F "sg-e2e-pressok-$TOK" "$SG_MILTER_LOG" | sed -n 's/.*: event=\([^ ]*\) action=.*/\1/p' | head -n1).")
sg_assert "pressok notice: the reason" grep -qF "  $R_PRESS" "$f"
sg_assert "pressok notice: the rule and its clause" grep -qF -- "- press-enquiry (media, reject)" "$f"
sg_assert "pressok notice: the clause" grep -qF "Policy: King Edward VI School, Social Media Policy 5.2" "$f"
sg_assert_file_lacks "pressok notice: no body text" "about the fair" "$f"

# ---- held despite the justification -----------------------------------------------------------
sg_assert "upn: $upn_qid is in the hold queue" sg_in_hold "$upn_qid"
sg_assert_eq "hold queue: only the pupil number" 1 "$(sg_hold_count)"
l=$(sg_milter_event_for "$upn_qid" | grep 'justification=refused' || true)
sg_assert_match "upn: log says the justification was refused, and for which rule" \
    'justification=refused rules=pupil-number-leaving reason_len=[0-9]+' "$l"

# ---- monitor -------------------------------------------------------------------------------------
f=$(sg_sink_find "sg-e2e-monitor-$TOK")
[ -n "$f" ] || sg_fail "monitor: not at the sink"
h=$(sg_headers "$f")
sg_assert_nomatch "monitor: no X-Safeguard header" '^X-Safeguard' "$h"
sg_assert_match "monitor: subject untouched" '^Subject: Fair$' "$h"
sg_assert "monitor: body untouched" grep -qF 'A newspaper rang about the summer fair.' "$f"
sg_assert_file_lacks "monitor: no footer" "this email is confidential" "$f"
l=$(grep -a -F "sg-e2e-monitor-$TOK" "$SG_MILTER_LOG" || true)
sg_assert_match "monitor: verdict line action=monitor would=quarantine" \
    ': event=[^ ]+ action=monitor would=quarantine categories=media rules=newspaper-watch ' "$l"
ev=$(printf '%s\n' "$l" | sed -n 's/.*event=\([^ ]*\) .*/\1/p' | head -n1)
sg_assert "monitor: a 'monitored would=quarantine' line for $ev" \
    grep -qaE "event=$ev monitored would=quarantine rules=newspaper-watch" "$SG_MILTER_LOG"

# ---- footer ----------------------------------------------------------------------------------------
f=$(sg_sink_find "sg-e2e-footer-$TOK")
[ -n "$f" ] || sg_fail "footer: not at the sink"
h=$(sg_headers "$f")
sg_assert_match "footer: annotated" '^X-Safeguard-Verdict: annotate; categories=confidential; rules=minutes-leaving' "$h"
sg_assert_match "footer: now UTF-8 for the dash" '^Content-Type: text/plain; charset=utf-8' "$h"
sg_assert_match "footer: quoted-printable" '^Content-Transfer-Encoding: quoted-printable' "$h"
sg_assert_match "footer: MIME-Version added for the new content headers" '^MIME-Version: 1.0' "$h"
sg_assert "footer: body kept" grep -qF 'The governors minutes are below.' "$f"
sg_assert "footer: footer appended (QP)" grep -qF 'Northfield Academy =E2=80=94 this email is confidential.' "$f"

f=$(sg_sink_find "sg-e2e-footalt-$TOK")
[ -n "$f" ] || sg_fail "footalt: not at the sink"
sg_assert_match "footalt: still multipart/alternative with its boundary" \
    '^Content-Type: multipart/alternative; boundary="=_alt_e2e"' "$(sg_headers "$f")"
sg_assert_eq "footalt: both parts, closing boundary" 3 "$(grep -c -- '^--=_alt_e2e' "$f")"
# Read back as a mail reader would: structure, charsets, encodings, text.
parsed=$(python3 - "$f" <<'PY'
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
for part in m.walk():
    if part.is_multipart():
        print('multipart', part.get_content_type(), len(part.get_payload()))
        continue
    text = part.get_payload(decode=True).decode(part.get_content_charset() or 'us-ascii')
    print('part', part.get_content_type(), part.get_content_charset(), part['Content-Transfer-Encoding'],
          ' '.join(text.split()))
PY
)
sg_assert_match "footalt: alternative of two parts" '^multipart multipart/alternative 2$' "$parsed"
sg_assert_match "footalt: plain keeps iso-8859-1 and QP, text and footer" \
    '^part text/plain iso-8859-1 quoted-printable The governors minutes, café at ten\. Northfield Academy . this email is confidential\.$' "$parsed"
sg_assert_match "footalt: HTML keeps base64, footer before </body>" \
    '^part text/html utf-8 base64 <html><body><p>The governors minutes\.</p> <div class="safeguard-footer"><p>Northfield Academy &#8212; this email is confidential\.</p></div> </body></html>$' "$parsed"
grep -qaE 'footer=added parts=2' "$SG_MILTER_LOG" || sg_fail "footalt: no 'footer=added parts=2' log line"
sg_ok "footalt: logged footer=added parts=2"

# ---- the store: overridden with the reason, monitored with the evidence -----------------------------------
QBIN=$(dirname "$SG_MILTER_BIN")/safeguard-quarantine
if [ -x "$QBIN" ]; then
    Q() { "$QBIN" --store "$SG_STORE" "$@"; }
    out=$(Q list --state overridden --json 2>&1)
    sg_assert_eq "store: two overridden items" 2 "$(printf '%s\n' "$out" | grep -o '"state": *"overridden"' | wc -l)"
    sg_assert_match "store: the press reason kept" "$R_PRESS" "$out"
    out=$(Q list --state monitored --json 2>&1)
    sg_assert_match "store: the monitored item with its rule" 'newspaper-watch' "$out"
    out=$(Q list --state held --json 2>&1)
    sg_assert_match "store: the held item keeps the refused reason" 'needed for the transfer' "$out"
    out=$(Q report --since 1d --csv 2>&1)
    # rule,category,school,held,pending,released,discarded,overridden,monitored
    sg_assert_match "report: the monitored rule would have held once" '^"newspaper-watch","media","Northfield Academy",0,0,0,0,0,1$' "$out"
    sg_assert_match "report: the care plan overridden once" '^"care-plan-leaving","confidential","Northfield Academy",0,0,0,0,1,0$' "$out"
    sg_assert_match "report: the press rule overridden once" '^"press-enquiry","media","Northfield Academy",0,0,0,0,1,0$' "$out"
    sg_assert_nomatch "report: a refused reason is not listed as an override" 'needed for the transfer' "$out"
    sg_assert_match "report: the pupil number held and pending" '^"pupil-number-leaving","personal-data","Northfield Academy",1,1,0,0,0,0$' "$out"
else
    sg_info "safeguard-quarantine not built: store checks skipped"
fi

# ---- the log: rules and lengths, never the reasons ------------------------------------------------------
sg_assert "log: overridden line for the press resend" \
    grep -qaE "overridden rules=press-enquiry reason_len=${#R_PRESS}( |\$)" "$SG_MILTER_LOG"
sg_assert "log: overridden line for the care plan" \
    grep -qaE "overridden rules=care-plan-leaving reason_len=${#R_PLAN}( |\$)" "$SG_MILTER_LOG"
for s in "Principal approved" "parent asked" "needed for the transfer" "summer fair" "governors minutes"; do
    sg_assert_file_lacks "milter log: no message text ('$s')" "$s" "$SG_MILTER_LOG"
done

sg_milter_stop; rc=$?
sg_assert_eq "SIGTERM: milter exits 0" 0 "$rc"
echo "PASS: t-override"
