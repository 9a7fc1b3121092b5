#!/bin/bash
# t-verdicts.sh -- the four verdicts through a real Postfix.
#
# With tests/e2e/policy-verdicts.yaml (the example school, one rule per
# verdict), staff@northfield.sch.uk sends:
#   reject      "fuck"                  -> 550 5.7.1 multi-line at the client
#   quarantine  "child protection plan" -> 250, then sits in the HOLD queue
#   annotate    "disciplinary hearing"  -> delivered, X-Safeguard-Verdict + [SAFEGUARD] subject
#   accept      "lunch on Friday?"      -> delivered untouched
# plus "disciplinary hearing" to a colleague (inside the school: accepted
# untouched) and a quarantine-worthy message submitted with sendmail(1)
# (non_smtpd_milters path: held too).  The milter's log must carry exactly
# one verdict line per message and none of the message text.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

sg_init
sg_sink_start
# Its own policy: one plain rule per verdict (see the file).
sg_milter_start "$SG_REPO_ROOT/tests/e2e/policy-verdicts.yaml"
sg_postfix_start

TOK="$(date +%s)$$"
FROM=staff@northfield.sch.uk
EXT=someone@example.com

send() { # NAME TO SUBJECT BODY
    local name=$1 to=$2 subj=$3 body=$4
    sg_swaks "$name" --from "$FROM" --to "$to" \
        --header "Subject: $subj" \
        --header "Message-Id: <sg-e2e-$name-$TOK@northfield.sch.uk>" \
        --body "$body"
}

# Bodies carry names and details that must never reach the milter's log.
BODY_ACCEPT=$(printf 'Hi Sam,\n\nlunch on Friday? The usual place at 12:30, bring Priya.\n\nAlex\n')
BODY_ANNOT=$(printf 'Dear Ms Okafor,\n\nThe disciplinary hearing for Mr Pemberton is set for Tuesday.\n\nRegards\n')
BODY_QUAR=$(printf 'Hello,\n\nAttached is the child protection plan for Jamie Smith (Year 8).\n\nThanks\n')
BODY_REJ=$(printf 'What the fuck is going on with the cover rota for Bramwell House?\n')
BODY_INT=$(printf 'Hi,\n\nThe disciplinary hearing for Mr Pemberton moved to room 12.\n')
BODY_LOCAL=$(printf 'Hello,\n\nThe child protection plan for Casey Jones is attached (sent via sendmail).\n')

# ---- reject ---------------------------------------------------------------
send reject "$EXT" "Cover rota" "$BODY_REJ"; rc=$?
[ "$rc" != 0 ] || sg_fail "reject: swaks reported success; transcript: $(sg_swaks_out reject)"
reply=$(sg_swaks_data_reply reject)
sg_assert_match "reject: client sees 550 5.7.1 after DATA" '^<\*\* +550[- ]5\.7\.1' "$reply"
bad=$(printf '%s\n' "$reply" | grep -vcE '^<\*\* +550[- ]5\.7\.1' || true)
sg_assert_eq "reject: every reply line is 550 5.7.1" 0 "$bad"
nlines=$(printf '%s\n' "$reply" | grep -c .)
sg_assert "reject: reply is multi-line ($nlines lines)" [ "$nlines" -ge 2 ]
sg_assert_match "reject: reply names/explains the rule" '[Oo]ffensive' "$reply"

# ---- quarantine -----------------------------------------------------------
send quarantine "$EXT" "Plan for Jamie" "$BODY_QUAR" || sg_fail "quarantine: swaks failed: $(sg_swaks_out quarantine)"
q_qid=$(sg_swaks_qid quarantine)
[ -n "$q_qid" ] || sg_fail "quarantine: no queue id in 250 reply: $(sg_swaks_out quarantine)"
sg_ok "quarantine: accepted by Postfix as $q_qid"

# ---- annotate -------------------------------------------------------------
send annotate "$EXT" "Meeting notes" "$BODY_ANNOT" || sg_fail "annotate: swaks failed: $(sg_swaks_out annotate)"
a_qid=$(sg_swaks_qid annotate)
[ -n "$a_qid" ] || sg_fail "annotate: no queue id"

# ---- accept ---------------------------------------------------------------
send accept "$EXT" "Lunch on Friday?" "$BODY_ACCEPT" || sg_fail "accept: swaks failed: $(sg_swaks_out accept)"
ok_qid=$(sg_swaks_qid accept)
[ -n "$ok_qid" ] || sg_fail "accept: no queue id"

# ---- internal: same personnel content to a colleague is fine ----------------
send internal colleague@northfield.sch.uk "Hearing room" "$BODY_INT" || sg_fail "internal: swaks failed: $(sg_swaks_out internal)"
int_qid=$(sg_swaks_qid internal)

# ---- local submission (non_smtpd_milters) ----------------------------------
printf 'From: %s\nTo: %s\nSubject: Plan for Casey\nMessage-Id: <sg-e2e-local-%s@northfield.sch.uk>\n\n%s\n' \
    "$FROM" "$EXT" "$TOK" "$BODY_LOCAL" >"$SG_T/local.eml"
timeout 30 sendmail -C "$SG_CONF" -f "$FROM" -- "$EXT" <"$SG_T/local.eml" \
    || sg_fail "sendmail -C $SG_CONF failed"

# ---- wait for delivery ------------------------------------------------------
postqueue -c "$SG_CONF" -f >/dev/null 2>&1 || true
sg_wait_until 30 sh -c "grep -q 'sg-e2e-local-$TOK' '$SG_MILTER_LOG'" \
    || sg_fail "sendmail-submitted message never reached the milter"
sg_wait_queue_empty 60 || sg_fail "queue did not drain (except hold) within 60s"
sg_wait_until 10 sh -c "[ \$(find '$SG_SINK_DIR' -type f | wc -l) -ge 3 ]" || true

# ---- sink: exactly accept + annotate + internal arrived ----------------------
sg_assert_eq "sink: exactly 3 messages delivered" 3 "$(sg_sink_count)"
sg_assert_eq "reject: nothing delivered" "" "$(sg_sink_find "sg-e2e-reject-$TOK")"
sg_assert_eq "quarantine: nothing delivered" "" "$(sg_sink_find "sg-e2e-quarantine-$TOK")"

f_acc=$(sg_sink_find "sg-e2e-accept-$TOK")
[ -n "$f_acc" ] || sg_fail "accept: message not at the sink"
h_acc=$(sg_headers "$f_acc")
sg_assert_nomatch "accept: no X-Safeguard header" '^X-Safeguard' "$h_acc"
sg_assert_match "accept: subject untouched" '^Subject: Lunch on Friday\?$' "$h_acc"
sg_assert "accept: body untouched" grep -qF 'lunch on Friday? The usual place at 12:30, bring Priya.' "$f_acc"
sg_assert_match "accept: delivered with Postfix queue id $ok_qid" "with ESMTP id $ok_qid" "$h_acc"

f_ann=$(sg_sink_find "sg-e2e-annotate-$TOK")
[ -n "$f_ann" ] || sg_fail "annotate: message not at the sink"
h_ann=$(sg_headers "$f_ann")
vh=$(printf '%s\n' "$h_ann" | grep -i '^X-Safeguard-Verdict:' || true)
sg_assert_eq "annotate: exactly one X-Safeguard-Verdict header" 1 "$(printf '%s\n' "$vh" | grep -c .)"
sg_assert_match "annotate: verdict header content" \
    '^X-Safeguard-Verdict: annotate; categories=confidential; rules=personnel-leaving-trust; event=[^; ]+$' "$vh"
sg_assert_match "annotate: subject tagged" '^Subject: \[SAFEGUARD\] Meeting notes$' "$h_ann"
sg_assert_eq "annotate: exactly one Subject header" 1 "$(printf '%s\n' "$h_ann" | grep -ci '^Subject:')"
# "inserted at top": above the message's own first header (swaks writes Date: first)
vline=$(printf '%s\n' "$h_ann" | grep -n -i '^X-Safeguard-Verdict:' | head -n1 | cut -d: -f1)
dline=$(printf '%s\n' "$h_ann" | grep -n '^Date:' | head -n1 | cut -d: -f1)
sg_assert "annotate: verdict header is above the original headers (line $vline < $dline)" \
    [ "${vline:-999}" -lt "${dline:-0}" ]
sg_assert "annotate: body untouched" grep -qF 'The disciplinary hearing for Mr Pemberton is set for Tuesday.' "$f_ann"
ann_event=$(printf '%s\n' "$vh" | sed -n 's/.*event=\([^; ]*\).*/\1/p' | tr -d '\r')

f_int=$(sg_sink_find "sg-e2e-internal-$TOK")
[ -n "$f_int" ] || sg_fail "internal: message to a colleague not at the sink"
sg_assert_nomatch "internal: no X-Safeguard header" '^X-Safeguard' "$(sg_headers "$f_int")"
sg_assert_match "internal: subject untouched" '^Subject: Hearing room$' "$(sg_headers "$f_int")"

# ---- hold queue ---------------------------------------------------------------
sg_assert "quarantine: $q_qid is in the hold queue (postqueue -j)" sg_in_hold "$q_qid"
hj=$(sg_hold_json | grep "\"queue_id\": *\"$q_qid\"")
sg_assert_match "quarantine: held copy keeps sender and recipient" \
    '"sender": *"staff@northfield\.sch\.uk".*"address": *"someone@example\.com"' "$hj"
sg_assert_eq "hold queue: the SMTP and the sendmail quarantine, nothing else" 2 "$(sg_hold_count)"
sg_assert "postfix logged milter-hold for $q_qid" grep -q "$q_qid: milter-hold" "$SG_MAILLOG"

# ---- milter log: one verdict line per message, no content ---------------------------
# verdict lines are "<qid>: event=<id> action=... "; other lines (e.g. a
# "held" note) may mention the event but carry no action=.
verdicts=$(grep -a -E ': event=[^ ]+ action=' "$SG_MILTER_LOG" || true)
vcount() { printf '%s\n' "$verdicts" | grep -cF -- "$1" || true; }
vline_of() { printf '%s\n' "$verdicts" | grep -F -- "$1" || true; }
for n in reject quarantine annotate accept internal local; do
    sg_assert_eq "milter log: exactly one verdict line for '$n'" 1 "$(vcount "sg-e2e-$n-$TOK")"
done
sg_assert_eq "milter log: six verdict lines in total" 6 "$(printf '%s\n' "$verdicts" | grep -c .)"

# check_fields DESC LINE: "<qid>: event=... action=..." followed only by
# key=value tokens (no free text), including every field of the contract.
check_fields() {
    local d=$1 l=$2 rest f
    rest=$(printf '%s\n' "$l" | sed -n 's/.*[^A-Za-z0-9]\([A-Za-z0-9]\{6,\}\): \(event=.*\)$/\2/p')
    [ -n "$rest" ] || sg_fail "$d: not of the form '<queueid>: event=...': $l"
    sg_assert_match "$d: starts 'event=<id> action=<verdict>'" '^event=[^ ]+ action=(accept|annotate|quarantine|reject) ' "$rest"
    for f in categories rules from nrcpt msgid; do
        printf '%s\n' "$rest" | grep -qE "(^| )$f=[^ ]+( |\$)" || sg_fail "$d: field $f= missing: $l"
    done
    sg_assert_match "$d: from= and nrcpt=1" '( |^)from=staff@northfield\.sch\.uk( .*)? nrcpt=1( |$)' "$rest"
    sg_assert_nomatch "$d: only key=value tokens" '(^| )[^= ]+( |$)' "$rest"
}
l=$(vline_of "sg-e2e-reject-$TOK")
check_fields "log reject" "$l"
sg_assert_match "log reject: action/category/rule" 'action=reject categories=([^ ]*,)?offensive(,[^ ]*)? rules=([^ ]*,)?offensive-language' "$l"
l=$(vline_of "sg-e2e-quarantine-$TOK")
sg_assert_match "log quarantine: queue id, action, rule" \
    "(^|[^A-Za-z0-9])$q_qid: event=[^ ]+ action=quarantine categories=([^ ]*,)?confidential(,[^ ]*)? rules=([^ ]*,)?safeguarding-leaving-trust" "$l"
l=$(vline_of "sg-e2e-annotate-$TOK")
sg_assert_match "log annotate: queue id, action, rule" \
    "(^|[^A-Za-z0-9])$a_qid: event=[^ ]+ action=annotate categories=confidential rules=personnel-leaving-trust" "$l"
sg_assert_match "log annotate: same event id as the header ($ann_event)" "event=$ann_event " "$l"
l=$(vline_of "sg-e2e-accept-$TOK")
sg_assert_match "log accept: queue id, action" "(^|[^A-Za-z0-9])$ok_qid: event=[^ ]+ action=accept " "$l"
check_fields "log accept" "$l"
l=$(vline_of "sg-e2e-internal-$TOK")
sg_assert_match "log internal: action accept" "(^|[^A-Za-z0-9])$int_qid: event=[^ ]+ action=accept " "$l"
l=$(vline_of "sg-e2e-local-$TOK")
sg_assert_match "log sendmail submission: action quarantine" 'action=quarantine ' "$l"

for s in "Priya" "usual place" "Okafor" "Pemberton" "Jamie Smith" "Casey Jones" \
         "Bramwell" "cover rota" "child protection plan" "disciplinary hearing" "fuck"; do
    sg_assert_file_lacks "milter log: no message text ('$s')" "$s" "$SG_MILTER_LOG"
done

# ---- pid file, SIGTERM ------------------------------------------------------------------
sg_assert_eq "pid file (-P) holds the milter's pid" "$SG_MILTER_PID" "$(tr -d ' \n' <"$SG_MILTER_PIDFILE" 2>/dev/null)"
sg_milter_stop; rc=$?
sg_assert_eq "SIGTERM: milter exits 0 within 15s" 0 "$rc"

echo "PASS: t-verdicts"
