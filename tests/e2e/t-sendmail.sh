#!/bin/bash
# t-sendmail.sh -- the verdicts through a real Sendmail 8.17.
#
# lib-sendmail.sh unpacks Debian's Sendmail into the test's temp directory
# and runs it on 127.0.0.1 with contrib/sendmail.mc's milter lines; with
# tests/e2e/policy-verdicts.yaml, staff@northfield.sch.uk sends:
#   accept      "lunch on Friday?"      -> at the sink untouched
#   annotate    "disciplinary hearing"  -> at the sink with X-Safeguard-Verdict
#                                          and the [SAFEGUARD] subject
#   quarantine  "child protection plan" -> 250, then in Sendmail's quarantine
#                                          (mailq -qQ) with the milter's reason;
#                                          released (sgm_release) it reaches the
#                                          sink exactly once; another held one,
#                                          removed from the queue, never arrives
#   reject      "fuck"                  -> 550 5.7.1 multi-line at the client
# The milter must see Sendmail's queue id ({i}) and know it is Sendmail
# ({v}, which contrib/sendmail.mc adds to the connect macros).
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
# shellcheck source=tests/e2e/lib-sendmail.sh
. tests/e2e/lib-sendmail.sh

sg_init
sgm_init
sg_ok "Sendmail $SG_SM_VERSION unpacked and configured from contrib/sendmail.mc"
sg_assert_match "it is Sendmail 8.17 or later" '^8\.(1[7-9]|[2-9][0-9])\.' "$SG_SM_VERSION"
sg_assert "sendmail.cf has the milter from contrib/sendmail.mc" \
    grep -qE "^Xsafeguard, S=$SG_SM_MILTER, F=T," "$SG_SM_CF"
sg_assert "sendmail.cf asks for v at connect" \
    grep -qE '^O Milter\.macros\.connect=.*, v$' "$SG_SM_CF"
sg_assert "sendmail.cf sends i and {auth_authen} at MAIL FROM" \
    grep -qE '^O Milter\.macros\.envfrom=i, .*\{auth_authen\}' "$SG_SM_CF"
sg_sink_start
sg_milter_start "$SG_REPO_ROOT/tests/e2e/policy-verdicts.yaml"
sgm_start

TOK="$(date +%s)$$"
FROM=staff@northfield.sch.uk
EXT=someone@example.com

send() { # NAME TO SUBJECT BODY
    local name=$1 to=$2 subj=$3 body=$4
    sgm_swaks "$name" --from "$FROM" --to "$to" \
        --header "Subject: $subj" \
        --header "Message-Id: <sg-e2e-sm-$name-$TOK@northfield.sch.uk>" \
        --body "$body"
}

BODY_ACCEPT=$(printf 'Hi Sam,\n\nlunch on Friday? The usual place at 12:30, bring Priya.\n\nAlex\n')
BODY_ANNOT=$(printf 'Dear Ms Okafor,\n\nThe disciplinary hearing for Mr Pemberton is set for Tuesday.\n\nRegards\n')
BODY_QUAR=$(printf 'Hello,\n\nAttached is the child protection plan for Jamie Smith (Year 8).\n\nThanks\n')
BODY_DISC=$(printf 'Hello,\n\nThe child protection plan for Casey Jones, as discussed.\n')
BODY_REJ=$(printf 'What the fuck is going on with the cover rota for Bramwell House?\n')

# ---- reject -----------------------------------------------------------------
send reject "$EXT" "Cover rota" "$BODY_REJ"; rc=$?
[ "$rc" != 0 ] || sg_fail "reject: swaks reported success; transcript: $(sg_swaks_out reject)"
reply=$(sg_swaks_data_reply reject)
sg_assert_match "reject: client sees 550 5.7.1 after DATA" '^<\*\* +550[- ]5\.7\.1' "$reply"
bad=$(printf '%s\n' "$reply" | grep -vcE '^<\*\* +550[- ]5\.7\.1' || true)
sg_assert_eq "reject: every reply line is 550 5.7.1" 0 "$bad"
nlines=$(printf '%s\n' "$reply" | grep -c .)
sg_assert "reject: Sendmail passes the multi-line reply on ($nlines lines)" [ "$nlines" -ge 3 ]
sg_assert_match "reject: the rule's explanation reaches the client" \
    'Offensive, discriminatory or harassing language is not acceptable' "$reply"
sg_assert_match "reject: the cited clause reaches the client" 'LiFE MAT, Social Media Policy' "$reply"
sg_assert_match "reject: the DSL and the event id reach the client" \
    'Designated Safeguarding Lead \(dsl@northfield\.sch\.uk\) and quote event sg-' "$reply"

# ---- quarantine ---------------------------------------------------------------
send quarantine "$EXT" "Plan for Jamie" "$BODY_QUAR" || sg_fail "quarantine: swaks failed: $(sg_swaks_out quarantine)"
q_qid=$(sgm_swaks_qid quarantine)
[ -n "$q_qid" ] || sg_fail "quarantine: no queue id in Sendmail's 250 reply: $(sg_swaks_out quarantine)"
sg_ok "quarantine: accepted by Sendmail as $q_qid"
send discard "$EXT" "Plan for Casey" "$BODY_DISC" || sg_fail "discard: swaks failed: $(sg_swaks_out discard)"
d_qid=$(sgm_swaks_qid discard)
[ -n "$d_qid" ] || sg_fail "discard: no queue id: $(sg_swaks_out discard)"

# ---- annotate / accept ------------------------------------------------------------
send annotate "$EXT" "Meeting notes" "$BODY_ANNOT" || sg_fail "annotate: swaks failed: $(sg_swaks_out annotate)"
a_qid=$(sgm_swaks_qid annotate)
send accept "$EXT" "Lunch on Friday?" "$BODY_ACCEPT" || sg_fail "accept: swaks failed: $(sg_swaks_out accept)"
ok_qid=$(sgm_swaks_qid accept)
{ [ -n "$a_qid" ] && [ -n "$ok_qid" ]; } || sg_fail "annotate/accept: no queue id"

f_acc=$(sg_wait_sink_find 60 "sg-e2e-sm-accept-$TOK") || sg_fail "accept: message not at the sink within 60s"
f_ann=$(sg_wait_sink_find 60 "sg-e2e-sm-annotate-$TOK") || sg_fail "annotate: message not at the sink within 60s"

h_acc=$(sg_headers "$f_acc")
sg_assert_nomatch "accept: no X-Safeguard header" '^X-Safeguard' "$h_acc"
sg_assert_match "accept: subject untouched" '^Subject: Lunch on Friday\?$' "$h_acc"
sg_assert "accept: body untouched" grep -qF 'lunch on Friday? The usual place at 12:30, bring Priya.' "$f_acc"
# header lines with their continuations joined
unfold() { awk '/^[ \t]/ {sub(/^[ \t]+/, " "); h = h $0; next} {if (h != "") print h; h = $0} END {print h}'; }
sg_assert_match "accept: relayed by the private Sendmail with its queue id $ok_qid" \
    "^Received: from e2e-client\.invalid .* by $SG_SM_HOSTNAME \(8\.[0-9.]+/.* with ESMTP id $ok_qid " \
    "$(sg_headers "$f_acc" | unfold)"

h_ann=$(sg_headers "$f_ann")
vh=$(printf '%s\n' "$h_ann" | grep -i '^X-Safeguard-Verdict:' || true)
sg_assert_eq "annotate: exactly one X-Safeguard-Verdict header" 1 "$(printf '%s\n' "$vh" | grep -c .)"
sg_assert_match "annotate: verdict header content" \
    '^X-Safeguard-Verdict: annotate; categories=confidential; rules=personnel-leaving-trust; event=sg-[^; ]+$' "$vh"
sg_assert_match "annotate: subject tagged" '^Subject: \[SAFEGUARD\] Meeting notes$' "$h_ann"
sg_assert_eq "annotate: exactly one Subject header" 1 "$(printf '%s\n' "$h_ann" | grep -ci '^Subject:')"
sg_assert "annotate: body untouched" grep -qF 'The disciplinary hearing for Mr Pemberton is set for Tuesday.' "$f_ann"

# ---- Sendmail's quarantine ------------------------------------------------------------
sg_assert "quarantine: $q_qid is in Sendmail's quarantine (mailq -qQ)" sgm_in_quarantine "$q_qid"
sg_assert "quarantine: $d_qid too" sgm_in_quarantine "$d_qid"
sg_assert_eq "quarantine: nothing else is held" 2 "$(sgm_quarantine_count)"
sg_assert "quarantine: $q_qid is not in the normal queue" eval "! sgm_in_queue $q_qid"
q_event=$(grep -aE "(^|[^A-Za-z0-9])$q_qid: event=[^ ]+ action=quarantine " "$SG_MILTER_LOG" \
    | sed -n 's/.*event=\([^ ]*\) action=.*/\1/p' | head -n 1)
[ -n "$q_event" ] || sg_fail "milter log: no quarantine verdict under Sendmail's queue id $q_qid"
sg_ok "milter log: the verdict is filed under Sendmail's queue id ({i}) $q_qid, event $q_event"
# what Sendmail itself says it sent the milter (-d64.20)
sg_assert "Sendmail sent its version (v) at connect" sgm_macro_sent C v '8\.[0-9.]+'
sg_assert "Sendmail sent {daemon_name} at connect" sgm_macro_sent C '{daemon_name}' 'MTA'
sg_assert "Sendmail sent the queue id (i=$q_qid) at MAIL FROM" sgm_macro_sent M i "$q_qid"
reason=$(sgm_quarantine_reason "$q_qid")
sg_assert_eq "quarantine: Sendmail keeps the milter's reason" \
    "safeguard $q_event: rules=safeguarding-leaving-trust" "$reason"
sg_assert "milter log: the held line names Sendmail (mta=sendmail, from {v})" \
    grep -aqE "$q_qid: event=$q_event held reason=\"rules=safeguarding-leaving-trust\" mta=sendmail\$" "$SG_MILTER_LOG"
sg_assert_eq "quarantine: nothing held was delivered" "" \
    "$(sg_sink_find "sg-e2e-sm-quarantine-$TOK")$(sg_sink_find "sg-e2e-sm-discard-$TOK")"
sg_assert_eq "reject: nothing delivered" "" "$(sg_sink_find "sg-e2e-sm-reject-$TOK")"

# Sendmail's queue runner (-q1s) must leave the quarantine alone.
sleep 3
sg_assert "quarantine: still held after queue runs" sgm_in_quarantine "$q_qid"
sg_assert_eq "sink: exactly accept + annotate so far" 2 "$(sg_sink_count)"

# ---- release: Sendmail's own -qQ -Q -qI, then one delivery ------------------------
sgm_release "$q_qid" || sg_fail "sgm_release $q_qid failed"
f_rel=$(sg_wait_sink_find 60 "sg-e2e-sm-quarantine-$TOK") || sg_fail "released $q_qid never reached the sink"
sg_assert "release: $q_qid left the quarantine" eval "! sgm_in_quarantine $q_qid"
sg_assert "release: the released copy is the held message" grep -qF 'Attached is the child protection plan for Jamie Smith (Year 8).' "$f_rel"
sg_assert_match "release: it keeps the verdict header" \
    "^X-Safeguard-Verdict: quarantine; categories=confidential; rules=safeguarding-leaving-trust; event=$q_event\$" \
    "$(sg_headers "$f_rel")"
# give the daemon's queue runner its chances to deliver it a second time
sleep 4
sg_assert_eq "release: delivered exactly once" 1 "$(sg_sink_find "sg-e2e-sm-quarantine-$TOK" | grep -c .)"
sg_assert "release: the queue is empty again" eval "! sgm_in_queue $q_qid"
sg_assert "release: $d_qid stays held" sgm_in_quarantine "$d_qid"
# asked again (a second DSL, a retried command): nothing left to release
sgm_release "$q_qid" || sg_fail "sgm_release $q_qid again failed"
sleep 2
sg_assert_eq "release again: still delivered exactly once" 1 "$(sg_sink_find "sg-e2e-sm-quarantine-$TOK" | grep -c .)"
sg_assert "release again: $d_qid was not released with it" sgm_in_quarantine "$d_qid"

# ---- removed by the admin: the queue files go, nothing is delivered -----------
sgm_remove "$d_qid"
sg_assert "removed: $d_qid left the quarantine" eval "! sgm_in_quarantine $d_qid"
sg_assert_eq "removed: the quarantine is empty" 0 "$(sgm_quarantine_count)"
sleep 2
sg_assert_eq "removed: never delivered" "" "$(sg_sink_find "sg-e2e-sm-discard-$TOK")"
sg_assert_eq "sink: accept + annotate + the released one" 3 "$(sg_sink_count)"

# ---- milter log: one verdict per message, no content -------------------------------
verdicts=$(grep -a -E ': event=[^ ]+ action=' "$SG_MILTER_LOG" || true)
for n in reject quarantine discard annotate accept; do
    sg_assert_eq "milter log: exactly one verdict line for '$n'" 1 \
        "$(printf '%s\n' "$verdicts" | grep -cF -- "sg-e2e-sm-$n-$TOK" || true)"
done
sg_assert_match "log annotate: Sendmail's queue id" "(^|[^A-Za-z0-9])$a_qid: event=[^ ]+ action=annotate " "$verdicts"
sg_assert_match "log accept: Sendmail's queue id" "(^|[^A-Za-z0-9])$ok_qid: event=[^ ]+ action=accept " "$verdicts"
for s in "Priya" "Okafor" "Pemberton" "Jamie Smith" "Casey Jones" "Bramwell" "fuck"; do
    sg_assert_file_lacks "milter log: no message text ('$s')" "$s" "$SG_MILTER_LOG"
done

sgm_stop
sg_milter_stop; rc=$?
sg_assert_eq "SIGTERM: milter exits 0" 0 "$rc"
echo "PASS: t-sendmail"
