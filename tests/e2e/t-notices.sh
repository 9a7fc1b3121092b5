#!/bin/bash
# t-notices.sh -- notices of held mail through a real Postfix.
#
# With tests/e2e/policy-notices.yaml (notices sent with sendmail -C into
# this throwaway instance):
#   held        "child protection plan" -> held; a DSL notice reaches the sink,
#               addressed to the DSL, naming rule, clause and the release
#               command, without the body's text; the notice itself passes
#               the milter (non_smtpd_milters) unscreened, its mark removed
#   staff       the same from an authenticated sender (XCLIENT LOGIN=teacher:
#               Postfix hands the milter {auth_authen} as after SMTP AUTH)
#               -> a staff notice to teacher@ as well
#   forged      a message carrying an X-Safeguard-Notice mark that does not
#               verify -> screened and held like any other
#   reject      "press statement" -> the 550 reply names the clause and says
#               what to do instead (the rule's advice)
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

sg_init
sg_sink_start
sed -e "s|@CONF@|$SG_CONF|g" -e "s|@RUN@|$SG_T/run|g" \
    "$SG_REPO_ROOT/tests/e2e/policy-notices.yaml" >"$SG_T/policy.yaml"
sg_milter_start "$SG_T/policy.yaml"
# XCLIENT LOGIN stands in for SMTP AUTH (no SASL server in the harness).
sg_postconf "smtpd_authorized_xclient_hosts = 127.0.0.0/8"
sg_postfix_start

TOK="$(date +%s)$$"
FROM=staff@northfield.sch.uk
EXT=someone@example.com
DSL=dsl-notices@northfield.sch.uk

key=$SG_T/run/notice.key
sg_assert "notice key created at start" [ -f "$key" ]
sg_assert_eq "notice key is mode 600" 600 "$(stat -c %a "$key")"

send() { # NAME TO SUBJECT BODY [SWAKS ARGS...]
    local name=$1 to=$2 subj=$3 body=$4; shift 4
    sg_swaks "$name" --from "$FROM" --to "$to" \
        --header "Subject: $subj" \
        --header "Message-Id: <sg-e2e-$name-$TOK@northfield.sch.uk>" \
        --body "$body" "$@"
}

# a sink dump's headers with folded lines joined
unfolded() { sg_headers "$1" | sed -e ':a' -e 'N' -e '$!ba' -e 's/\n[ \t]\+/ /g'; }
# event id of the verdict line for a queue id
event_of() { sg_milter_event_for "$1" | sed -n 's/.*: event=\([^ ]*\) action=.*/\1/p' | tail -n1; }

BODY=$(printf 'Hello,\n\nRowan Pike told the nurse on Tuesday about the bruises; the child protection plan is attached.\n')

# ---- held: the DSL notice -------------------------------------------------------
send held "$EXT" "Plan for Rowan" "$BODY" || sg_fail "held: swaks failed: $(sg_swaks_out held)"
h_qid=$(sg_swaks_qid held)
[ -n "$h_qid" ] || sg_fail "held: no queue id"
sg_wait_milter_log 20 "$h_qid: event=[^ ]+ action=quarantine" || sg_fail "held: no quarantine verdict for $h_qid"
h_ev=$(event_of "$h_qid")
sg_wait_milter_log 20 "$h_qid: event=$h_ev notice=dsl sent" || sg_fail "held: the DSL notice was not sent"
postqueue -c "$SG_CONF" -f >/dev/null 2>&1 || true
f=$(sg_wait_sink_find 60 "sg-notice.$h_ev.") || sg_fail "held: no DSL notice for $h_ev at the sink"
sg_assert_eq "held: one DSL notice for $h_ev" 1 "$(printf '%s\n' "$f" | grep -c .)"
h=$(unfolded "$f")
sg_assert_match "notice: addressed to the DSL" "^To: $DSL$" "$h"
sg_assert_match "notice: delivered to the DSL (RCPT TO)" "$DSL" "$(grep -a '^X-Rcpt-Args:' "$f")"
sg_assert_match "notice: from the notices sender" '^From: .*<safeguard-notices@northfield\.sch\.uk>' "$h"
sg_assert_match "notice: subject names the rule and the event" "^Subject: .*child-protection-anywhere.*$h_ev" "$h"
sg_assert_nomatch "notice: its mark was removed on the way" '^X-Safeguard-Notice:' "$h"
sg_assert_nomatch "notice: not marked as screened" '^X-Safeguard-Verdict:' "$h"
sg_assert "notice: names the rule" grep -qF -- "- child-protection-anywhere (confidential, quarantine)" "$f"
sg_assert "notice: cites the clause" grep -qF "Policy: King Edward VI School, Social Media Policy 5.3" "$f"
sg_assert "notice: the evidence" grep -qF "Found: " "$f"
sg_assert "notice: the release command" grep -qF "safeguard-quarantine release $h_ev --reason" "$f"
sg_assert "notice: the discard command" grep -qF "safeguard-quarantine discard $h_ev --reason" "$f"
sg_assert "notice: sender and recipient" grep -qE "^From: +$FROM" "$f"
sg_assert "notice: the held subject" grep -qF "Plan for Rowan" "$f"
for s in "Rowan Pike" "nurse" "Tuesday" "bruises" "attached"; do
    sg_assert_file_lacks "notice: no body text ('$s')" "$s" "$f"
done
sg_assert "milter: the notice passed unscreened" grep -qaE "notice=$h_ev [0-9a-f]{10}.* passed unscreened" "$SG_MILTER_LOG"
sg_assert "held: $h_qid is in the hold queue" sg_in_hold "$h_qid"
sg_assert_eq "hold queue: the held message only, not its notice" 1 "$(sg_hold_count)"

# ---- staff notice to an authenticated sender ---------------------------------
send staff "$EXT" "Plan again" "$BODY" --xclient-login teacher \
    || sg_fail "staff: swaks failed: $(sg_swaks_out staff)"
s_qid=$(sg_swaks_qid staff)
[ -n "$s_qid" ] || sg_fail "staff: no queue id: $(sg_swaks_out staff)"
sg_wait_milter_log 20 "$s_qid: event=[^ ]+ action=quarantine .*auth=teacher" \
    || sg_fail "staff: no quarantine verdict with auth=teacher for $s_qid"
s_ev=$(event_of "$s_qid")
postqueue -c "$SG_CONF" -f >/dev/null 2>&1 || true
sg_wait_until 60 sh -c "[ \$(grep -lF 'sg-notice.$s_ev.' -r '$SG_SINK_DIR' | wc -l) -ge 2 ]" \
    || sg_fail "staff: DSL and staff notices for $s_ev did not both arrive"
fs=$(grep -lF "sg-notice.$s_ev." -r "$SG_SINK_DIR" | xargs grep -l '^To: teacher@northfield\.sch\.uk' || true)
[ -n "$fs" ] || sg_fail "staff: no notice addressed to teacher@northfield.sch.uk"
hs=$(unfolded "$fs")
sg_assert_match "staff notice: subject says it is with the DSL" '^Subject: Your message is with the Designated Safeguarding Lead: Plan again' "$hs"
sg_assert "staff notice: the clause" grep -qF "Policy: King Edward VI School, Social Media Policy 5.3" "$fs"
sg_assert "staff notice: what to do instead" grep -qF "What to do instead: " "$fs"
sg_assert "staff notice: whom to ask, with the event" grep -qF "dsl@northfield.sch.uk) and quote event $s_ev" "$fs"
sg_assert_file_lacks "staff notice: no release command" "safeguard-quarantine release" "$fs"
sg_assert_file_lacks "staff notice: no body text" "bruises" "$fs"
# the unauthenticated sender of 'held' got none
sg_assert_eq "no staff notice without SMTP AUTH" "" \
    "$(grep -lF "sg-notice.$h_ev." -r "$SG_SINK_DIR" | xargs grep -l '^To: teacher@' || true)"

# ---- a forged mark is screened like any mail ---------------------------------------
send forged "$DSL" "Notice" "$BODY" \
    --header "X-Safeguard-Notice: sg-000000000000 $(printf '0%.0s' $(seq 64))" \
    || sg_fail "forged: swaks failed: $(sg_swaks_out forged)"
g_qid=$(sg_swaks_qid forged)
sg_wait_milter_log 20 "$g_qid: event=[^ ]+ action=quarantine" || sg_fail "forged: mark was believed ($g_qid not held)"
sg_assert "forged: $g_qid is in the hold queue" sg_in_hold "$g_qid"
g_hdrs=$(postcat -c "$SG_CONF" -hq "$g_qid" 2>/dev/null) || sg_fail "forged: postcat -hq $g_qid failed"
sg_assert_match "forged: postcat shows the held copy" '^Subject: Notice' "$g_hdrs"
sg_assert_nomatch "forged: its mark removed from the held copy" '^X-Safeguard-Notice:' "$g_hdrs"

# ---- reject: clause and advice in the SMTP reply ----------------------------------
send reject "$EXT" "Re: your enquiry" "$(printf 'Here is our press statement on the inspection.\n')"; rc=$?
[ "$rc" != 0 ] || sg_fail "reject: swaks reported success"
reply=$(sg_swaks_data_reply reject)
sg_assert_match "reject: 550 5.7.1" '^<\*\* +550[- ]5\.7\.1' "$reply"
sg_assert_match "reject: what was stopped" "What was stopped: Staff do not answer the press on the school's behalf\. \(rule press-enquiry, media\)" "$reply"
sg_assert_match "reject: the cited clause" 'Policy clause: 000 5\.2: press enquiries are referred to the Principal' "$reply"
sg_assert_match "reject: the advice" 'What to do instead: Press enquiries go to the Principal: forward this to head@northfield\.sch\.uk' "$reply"
sg_assert_match "reject: the DSL" 'contact the Designated Safeguarding Lead \(dsl@northfield\.sch\.uk\)' "$reply"

# ---- totals ---------------------------------------------------------------------------
sg_wait_queue_empty 60 || sg_fail "queue did not drain (except hold)"
# held: 1 notice; staff: DSL + staff notice; forged: its DSL notice
sg_wait_until 20 sh -c "[ \$(find '$SG_SINK_DIR' -type f | wc -l) -ge 4 ]" || true
sg_assert_eq "sink: four notices and nothing else" 4 "$(sg_sink_count)"
sg_assert_eq "sink: no held message delivered" "" "$(sg_sink_find "sg-e2e-held-$TOK")"
sg_assert_eq "hold queue: held, staff and forged" 3 "$(sg_hold_count)"
for s in "Rowan Pike" "nurse" "bruises" "press statement"; do
    sg_assert_file_lacks "milter log: no message text ('$s')" "$s" "$SG_MILTER_LOG"
done

sg_milter_stop; rc=$?
sg_assert_eq "SIGTERM: milter exits 0" 0 "$rc"
echo "PASS: t-notices"
