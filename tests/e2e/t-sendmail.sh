#!/bin/bash
# t-sendmail.sh -- the verdicts and the quarantine through a real Sendmail 8.17.
#
# lib-sendmail.sh unpacks Debian's Sendmail into the test's temp directory
# and runs it on 127.0.0.1 with contrib/sendmail.mc's milter lines; with
# tests/e2e/policy-verdicts.yaml (plus a quarantine: section naming this
# test's store and its Sendmail), staff@northfield.sch.uk sends:
#   accept      "lunch on Friday?"      -> at the sink untouched
#   annotate    "disciplinary hearing"  -> at the sink with X-Safeguard-Verdict
#                                          and the [SAFEGUARD] subject
#   reject      "fuck"                  -> 550 5.7.1 multi-line at the client
#   quarantine  "child protection plan" x4 -> 250, then in Sendmail's
#               quarantine (mailq -qQ) with the milter's reason, and in the
#               store under Sendmail's queue id with mta=sendmail. Then:
#     release (safeguard-quarantine)   Sendmail's -qQ -Q -qI: at the sink
#                                      exactly once, a second release refused
#     discard (safeguard-quarantine)   never delivered, marked in Sendmail's
#                                      quarantine, then removed by the admin
#     sgm_release (the Sendmail commands the release mirrors): once
#     release after the admin removed Sendmail's copy: the stored copy is
#                                      re-injected, once
# The milter must see Sendmail's queue id ({i}) and know it is Sendmail
# ({v}); Sendmail's own milter debugging (-d64.20) shows what it sent.
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
QBIN=${SG_QUARANTINE_BIN:-$(dirname "$SG_MILTER_BIN")/safeguard-quarantine}
[ -x "$QBIN" ] || sg_die "$QBIN not built"
command -v jq >/dev/null || sg_die "jq missing (contrib/install-deps.sh)"
POLICY=$SG_T/policy.yaml
{ cat "$SG_REPO_ROOT/tests/e2e/policy-verdicts.yaml"
  printf 'quarantine:\n  store: %s\n  sendmail: %s\n' "$SG_STORE" "$SG_SM_SENDMAIL"
} >"$POLICY"
sg_sink_start
sg_milter_start "$POLICY"
sgm_start

Q() { "$QBIN" -c "$POLICY" "$@"; }
# the store's view of one item: Q_FIELD EVENT FIELD
q_field() { Q list --json | jq -r --arg e "$1" --arg f "$2" '.[] | select(.event_id == $e) | .[$f]'; }
copies() { sg_sink_find "sg-e2e-sm-$1-$TOK" | grep -c . || true; }

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
BODY_MAN=$(printf 'Hello,\n\nThe child protection plan for Alex Doyle, for the review.\n')
BODY_GONE=$(printf 'Hello,\n\nThe child protection plan for Sam Price, updated.\n')
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
send manual "$EXT" "Plan for Alex" "$BODY_MAN" || sg_fail "manual: swaks failed: $(sg_swaks_out manual)"
m_qid=$(sgm_swaks_qid manual)
send gone "$EXT" "Plan for Sam" "$BODY_GONE" || sg_fail "gone: swaks failed: $(sg_swaks_out gone)"
g_qid=$(sgm_swaks_qid gone)
{ [ -n "$d_qid" ] && [ -n "$m_qid" ] && [ -n "$g_qid" ]; } || sg_fail "held: no queue ids ($d_qid $m_qid $g_qid)"

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
for q in "$q_qid" "$d_qid" "$m_qid" "$g_qid"; do
    sg_assert "quarantine: $q is in Sendmail's quarantine (sendmail -bp -qQ -qI$q)" sgm_in_quarantine "$q"
done
sg_assert_eq "quarantine: mailq -qQ lists the four, nothing else" 4 "$(sgm_quarantine_count)"
sg_assert "quarantine: $q_qid is not in the normal queue" eval "! sgm_in_queue $q_qid"
q_event=$(grep -aE "(^|[^A-Za-z0-9])$q_qid: event=[^ ]+ action=quarantine " "$SG_MILTER_LOG" \
    | sed -n 's/.*event=\([^ ]*\) action=.*/\1/p' | head -n 1)
[ -n "$q_event" ] || sg_fail "milter log: no quarantine verdict under Sendmail's queue id $q_qid"
sg_ok "milter log: the verdict is filed under Sendmail's queue id ({i}) $q_qid, event $q_event"
# what Sendmail itself says it sent the milter (-d64.20)
sg_assert "Sendmail sent its version (v) at connect" sgm_macro_sent C v '8\.[0-9.]+'
sg_assert "Sendmail sent {daemon_name} at connect" sgm_macro_sent C '{daemon_name}' 'MTA'
sg_assert "Sendmail sent the queue id (i=$q_qid) at MAIL FROM" sgm_macro_sent M i "$q_qid"
# {client_addr} is in the milter's own connect list (smfi_setsymlist), not
# in sendmail.cf's: sent, so Sendmail took the milter's lists
sg_assert "sendmail.cf's connect macros lack {client_addr}" \
    eval "! grep -qE '^O Milter\.macros\.connect=.*\{client_addr\}' '$SG_SM_CF'"
sg_assert "Sendmail sent {client_addr} at connect: it took the milter's macro list" \
    sgm_macro_sent C '{client_addr}' '127\.0\.0\.1'
reason=$(sgm_quarantine_reason "$q_qid")
sg_assert_eq "quarantine: Sendmail keeps the milter's reason" \
    "safeguard $q_event: rules=safeguarding-leaving-trust" "$reason"
sg_assert "milter log: the held line names Sendmail (mta=sendmail, from {v})" \
    grep -aqE "$q_qid: event=$q_event held reason=\"rules=safeguarding-leaving-trust\" mta=sendmail\$" "$SG_MILTER_LOG"
for n in quarantine discard manual gone reject; do
    sg_assert_eq "$n: nothing delivered" 0 "$(copies "$n")"
done

# ---- the store: the four, with Sendmail's queue ids ---------------------------------
j=$(Q list --json --state held) || sg_fail "safeguard-quarantine list failed"
sg_assert_eq "store: list --state held shows the four" 4 "$(printf '%s' "$j" | jq length)"
event_of() { printf '%s' "$j" | jq -r --arg q "$1" '.[] | select(.queue_id == $q) | .event_id'; }
sg_assert_eq "store: $q_qid is the held event $q_event" "$q_event" "$(event_of "$q_qid")"
d_event=$(event_of "$d_qid"); g_event=$(event_of "$g_qid")
{ [ -n "$d_event" ] && [ -n "$g_event" ] && [ -n "$(event_of "$m_qid")" ]; } || sg_fail "store: queue ids missing: $j"
sg_assert_eq "store: every item says mta=sendmail" "sendmail" \
    "$(printf '%s' "$j" | jq -r '[.[].mta] | unique | join(",")')"

# Sendmail's queue runner (-q1s) must leave the quarantine alone.
sleep 3
sg_assert "quarantine: still held after queue runs" sgm_in_quarantine "$q_qid"
sg_assert_eq "sink: exactly accept + annotate so far" 2 "$(sg_sink_count)"

# ---- safeguard-quarantine release: from Sendmail's quarantine, once ---------------
out=$(Q release "$q_event" --reason "e2e: a false alarm" 2>&1) || sg_fail "release $q_event failed: $out"
sg_assert_match "release: through Sendmail's quarantine (-Q -qQ -qI$q_qid), not a re-injection" \
    "^released $q_event: .*-Q -qQ -qI$q_qid\$" "$out"
f_rel=$(sg_wait_sink_find 60 "sg-e2e-sm-quarantine-$TOK") || sg_fail "released $q_qid never reached the sink"
sg_assert "release: $q_qid left the quarantine" eval "! sgm_in_quarantine $q_qid"
sg_assert "release: the released copy is the held message" grep -qF 'Attached is the child protection plan for Jamie Smith (Year 8).' "$f_rel"
sg_assert_match "release: Sendmail's own copy, with the verdict header" \
    "^X-Safeguard-Verdict: quarantine; categories=confidential; rules=safeguarding-leaving-trust; event=$q_event\$" \
    "$(sg_headers "$f_rel")"
sg_assert_nomatch "release: not a re-injected copy" '^X-Safeguard-Released:' "$(sg_headers "$f_rel")"
sg_assert_eq "release: store state released" released "$(q_field "$q_event" state)"
# give the daemon's queue runner its chances to deliver it a second time
sleep 4
sg_assert_eq "release: delivered exactly once" 1 "$(copies quarantine)"
sg_assert "release: the queue is empty again" eval "! sgm_in_queue $q_qid"
# asked again (a second DSL, a retried command): refused, nothing delivered
if out=$(Q release "$q_event" --reason "e2e: again" 2>&1); then
    sg_fail "a second release of $q_event succeeded: $out"
fi
sg_ok "release again: refused ($(printf '%s' "$out" | head -n 1))"
sleep 2
sg_assert_eq "release again: still delivered exactly once" 1 "$(copies quarantine)"
for q in "$d_qid" "$m_qid" "$g_qid"; do
    sg_assert "release: $q stays held" sgm_in_quarantine "$q"
done

# ---- safeguard-quarantine discard: never delivered ------------------------------------
out=$(Q discard "$d_event" --reason "e2e: not to be sent" 2>&1) || sg_fail "discard $d_event failed: $out"
sg_ok "discard: $out"
sg_assert_eq "discard: store state discarded" discarded "$(q_field "$d_event" state)"
# Sendmail has no command to delete one message: the store marks it in
# the quarantine for the admin's clean-up
sg_assert_match "discard: Sendmail's quarantine reason now says so" \
    "discarded by safeguard-quarantine \($d_event\)" "$(sgm_quarantine_reason "$d_qid")"
sgm_remove "$d_qid"
sg_assert "discard: removed by the admin, $d_qid left the quarantine" eval "! sgm_in_quarantine $d_qid"

# ---- sgm_release: the Sendmail commands safeguard-quarantine mirrors -------------------
sgm_release "$m_qid" || sg_fail "sgm_release $m_qid failed"
sg_wait_sink_find 60 "sg-e2e-sm-manual-$TOK" >/dev/null || sg_fail "sgm_release: $m_qid never reached the sink"
sgm_release "$m_qid" || sg_fail "sgm_release $m_qid again failed"
sleep 3
sg_assert_eq "sgm_release: delivered exactly once, also when asked twice" 1 "$(copies manual)"
sg_assert "sgm_release: $g_qid was not released with it" sgm_in_quarantine "$g_qid"

# ---- release after Sendmail's copy is gone: the stored copy, once ------------------
sgm_remove "$g_qid"
sg_assert "gone: $g_qid removed from Sendmail's queue" eval "! sgm_in_quarantine $g_qid"
out=$(Q release "$g_event" --reason "e2e: the queue was cleaned" 2>&1) || sg_fail "release $g_event failed: $out"
sg_assert_match "gone: the stored copy re-injected through the test's sendmail" \
    "^released $g_event: re-injected the stored copy with $SG_SM_SENDMAIL \(exit 0\)\$" "$out"
f_gone=$(sg_wait_sink_find 60 "sg-e2e-sm-gone-$TOK") || sg_fail "re-injected $g_event never reached the sink"
sg_assert "gone: the body arrived" grep -qF 'The child protection plan for Sam Price, updated.' "$f_gone"
sg_assert_match "gone: marked as released" '^X-Safeguard-Released: ' "$(sg_headers "$f_gone")"
sleep 3
sg_assert_eq "gone: delivered exactly once" 1 "$(copies gone)"
sg_assert_eq "quarantine: empty at the end" 0 "$(sgm_quarantine_count)"
sg_assert_eq "discard: never delivered" 0 "$(copies discard)"
sg_assert_eq "sink: accept + annotate + three released" 5 "$(sg_sink_count)"

# ---- milter log: one verdict per message, no content -------------------------------
verdicts=$(grep -a -E ': event=[^ ]+ action=' "$SG_MILTER_LOG" || true)
for n in reject quarantine discard manual gone annotate accept; do
    sg_assert_eq "milter log: exactly one verdict line for '$n'" 1 \
        "$(printf '%s\n' "$verdicts" | grep -cF -- "sg-e2e-sm-$n-$TOK" || true)"
done
sg_assert_match "log annotate: Sendmail's queue id" "(^|[^A-Za-z0-9])$a_qid: event=[^ ]+ action=annotate " "$verdicts"
sg_assert_match "log accept: Sendmail's queue id" "(^|[^A-Za-z0-9])$ok_qid: event=[^ ]+ action=accept " "$verdicts"
for s in "Priya" "Okafor" "Pemberton" "Jamie Smith" "Casey Jones" "Alex Doyle" "Sam Price" "Bramwell" "fuck"; do
    sg_assert_file_lacks "milter log: no message text ('$s')" "$s" "$SG_MILTER_LOG"
done

sgm_stop
sg_milter_stop; rc=$?
sg_assert_eq "SIGTERM: milter exits 0" 0 "$rc"
echo "PASS: t-sendmail"
