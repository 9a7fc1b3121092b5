#!/bin/bash
# t-nolost.sh -- no mail is lost, with a healthy milter and with a crashing one.
#
# Phase 1 (healthy), all at once through the throwaway Postfix:
#   1000 accept-worthy messages over 20 smtp-source sessions,
#    200 quarantine-worthy messages over 5 sessions,
#     20 reject-worthy messages over 2 sessions.
#   Every message is accounted for: delivered + held + rejected == sent, with
#   exactly 1000 / 200 / 20, and one milter verdict line each.
#
# Phase 2 (milter killed with SIGKILL, then restarted, while smtp-source runs):
#   paced smtp-source streams (600 accept + 100 quarantine, a new connection
#   per message) plus an unpaced flood.  Once Postfix has taken >= 100 of
#   them the milter is kill -9'd; Postfix must tempfail (milter_default_action
#   = tempfail): senders get 4xx for what they try during the outage, a probe
#   gets 451 4.7.1, sendmail(1) submissions wait in the maildrop.  The milter
#   is restarted over its stale socket while the senders are still running;
#   they finish, the queue drains, and:
#     250s seen by the clients == messages Postfix accepted (its log)
#                              == delivered at the sink + held
#   and every accepted queue id was delivered or is in the hold queue.
#
# smtp-source runs with -A (keep going after a rejection, one warning per
# refused message), so the client side is counted exactly.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

T_START=$SECONDS
POLICY=${SG_NOLOST_POLICY:-$SG_EXAMPLE_POLICY}
FROM=staff@northfield.sch.uk
TO=someone@example.com

sg_init
# pickup re-scans the maildrop every 2s (for files deferred by a dead milter)
sed -i 's/^\(pickup *unix *n *- *n *\)60\( .*\)/\12\2/' "$SG_CONF/master.cf"
grep -q '^pickup .* 2 *1 *pickup' "$SG_CONF/master.cf" || sg_die "could not set pickup wakeup"
sg_sink_start
sg_milter_start "$POLICY"
sg_postfix_start

printf 'From: %s\nTo: %s\nSubject: Lunch\n\nlunch on Friday? The usual place.\n' "$FROM" "$TO" >"$SG_T/accept.eml"
printf 'From: %s\nTo: %s\nSubject: Plan\n\nAttached is the child protection plan for the pupil.\n' "$FROM" "$TO" >"$SG_T/hold.eml"
printf 'From: %s\nTo: %s\nSubject: Rota\n\nWhat the fuck happened to the rota?\n' "$FROM" "$TO" >"$SG_T/reject.eml"
{
    printf 'From: %s\nTo: %s\nSubject: Timetable\n\n' "$FROM" "$TO"
    for i in $(seq 1 120); do printf 'Line %03d: lunch on Friday? Timetable and room changes for next week.\n' "$i"; done
} >"$SG_T/flood.eml"

# src NAME SESSIONS COUNT FILE [EXTRA...]: smtp-source -A in the background.
src() {
    local name=$1 s=$2 m=$3 f=$4; shift 4
    timeout 240 smtp-source -A -c -s "$s" -m "$m" "$@" -f "$FROM" -t "$TO" -F "$f" \
        "127.0.0.1:$SG_SMTP_PORT" >"$SG_T/src.$name.out" 2>&1 &
    printf -v "SRC_PID_$name" '%s' "$!"
    printf -v "SRC_M_$name" '%s' "$m"
}
src_running() { local v="SRC_PID_$1"; kill -0 "${!v}" 2>/dev/null; }
src_wait() { # NAME -> exit status
    local v="SRC_PID_$1"
    wait "${!v}"
}
# src_refused NAME [CODE-REGEX]: messages the server refused (one warning each)
src_refused() {
    tr '\r' '\n' <"$SG_T/src.$1.out" \
        | grep -cE "warning: (sender|recipient|data|end of data) rejected: ${2:-[0-9]+} " || true
}
# src_ok NAME: messages that got a 250 at end of data
src_ok() { local v="SRC_M_$1"; echo $(( ${!v} - $(src_refused "$1") )); }

# Postfix's log, from byte offset $1: queue ids Postfix accepted (entered the
# active queue, or were put on hold by the milter), delivered, held.
log_from() { tail -c +$(($1 + 1)) "$SG_MAILLOG"; }
accepted_ids() {
    log_from "$1" | sed -n -e 's/.* \([0-9A-Za-z]\{10,\}\): from=<.*(queue active)$/\1/p' \
                          -e 's/.* \([0-9A-Za-z]\{10,\}\): milter-hold: .*/\1/p' | sort -u
}
sent_ids() { log_from "$1" | sed -n 's/.* \([0-9A-Za-z]\{10,\}\): to=<.*status=sent .*/\1/p' | sort -u; }
hold_ids() { sg_hold_json | sed -n 's/.*"queue_id": *"\([^"]*\)".*/\1/p' | sort -u; }
nl_count() { grep -c . || true; }
verdicts_from() { # BYTE-OFFSET ACTION
    tail -c +$(($1 + 1)) "$SG_MILTER_LOG" | grep -aE ": event=[^ ]+ action=$2 " | nl_count
}

# =============================== phase 1 =====================================
echo "--- phase 1: healthy milter, 1000 + 200 + 20 messages"
off_log=$(stat -c %s "$SG_MAILLOG")
off_mlog=$(stat -c %s "$SG_MILTER_LOG")
src accept1 20 1000 "$SG_T/accept.eml" -d
src hold1 5 200 "$SG_T/hold.eml" -d
src reject1 2 20 "$SG_T/reject.eml" -d
for n in accept1 hold1 reject1; do
    src_wait "$n"; rc=$?
    sg_assert_eq "phase 1: smtp-source $n exit 0 ($(tail -n 1 "$SG_T/src.$n.out" | tr '\r' ' ' | tail -c 60))" 0 "$rc"
done
sg_assert_eq "phase 1: client got 250 for all 1000 accept messages" 1000 "$(src_ok accept1)"
sg_assert_eq "phase 1: client got 250 for all 200 hold messages" 200 "$(src_ok hold1)"
sg_assert_eq "phase 1: client got 550 for all 20 reject messages" 20 "$(src_refused reject1 '550 5\.7\.1')"

sg_wait_queue_empty 120 || sg_fail "phase 1: queue did not drain within 120s"
sg_wait_until 15 sh -c "[ \$(find '$SG_SINK_DIR' -type f | wc -l) -ge 1000 ]" || true
delivered=$(sg_sink_count)
held=$(sg_hold_count)
rejected=$(log_from "$off_log" | grep -c 'milter-reject: END-OF-MESSAGE .*: 5\.7\.1 ' || true)
sg_assert_eq "phase 1: delivered at the sink" 1000 "$delivered"
sg_assert_eq "phase 1: in the hold queue" 200 "$held"
sg_assert_eq "phase 1: rejected by the milter (Postfix log)" 20 "$rejected"
sg_assert_eq "phase 1: delivered + held + rejected == sent" 1220 $((delivered + held + rejected))
sg_assert_eq "phase 1: milter verdict lines: accept" 1000 "$(verdicts_from "$off_mlog" accept)"
sg_assert_eq "phase 1: milter verdict lines: quarantine" 200 "$(verdicts_from "$off_mlog" quarantine)"
sg_assert_eq "phase 1: milter verdict lines: reject" 20 "$(verdicts_from "$off_mlog" reject)"
sg_assert_eq "phase 1: no tempfail in Postfix log" 0 "$(log_from "$off_log" | grep -c ' 4\.[0-9]\.[0-9] ' || true)"
acc=$(accepted_ids "$off_log")
sg_assert_eq "phase 1: Postfix accepted 1200 distinct queue ids" 1200 "$(printf '%s\n' "$acc" | nl_count)"
missing=$(comm -23 <(printf '%s\n' "$acc") <(sort -u <(sent_ids "$off_log") <(hold_ids)))
sg_assert_eq "phase 1: every accepted queue id was delivered or is held" "" "$missing"
echo "phase 1 took $((SECONDS - T_START))s"

# =============================== phase 2 =====================================
echo "--- phase 2: kill -9 the milter mid-run, restart it mid-run"
T2=$SECONDS
off_log=$(stat -c %s "$SG_MAILLOG")
sink0=$(sg_sink_count)
hold0=$(sg_hold_count)
n_acc() { accepted_ids "$off_log" | nl_count; }

# -w 1: a new connection per message and a 1s pause per session between
# messages, so these run ~30s; the unpaced flood (started just before the
# kill) makes sure transactions are in flight when the milter dies.
src accept2 20 600 "$SG_T/accept.eml" -w 1
src hold2 5 100 "$SG_T/hold.eml" -w 1
sg_wait_until 60 sh -c "[ \$(tail -c +$((off_log + 1)) '$SG_MAILLOG' | grep -c '(queue active)\|milter-hold') -ge 100 ]" \
    || sg_fail "phase 2: Postfix did not accept 100 messages within 60s"
src flood2 4 1500 "$SG_T/flood.eml"
sleep 0.5
src_running accept2 || sg_fail "phase 2: smtp-source finished before the kill (test not meaningful)"
sg_milter_kill9
sg_ok "phase 2: milter killed with SIGKILL while smtp-source was running"

# while it is down: SMTP gets 451, sendmail submissions wait in the maildrop.
# Once the queue has drained, qmgr has logged everything accepted before the
# kill; from then on nothing may be accepted until the restart.
sg_wait_queue_empty 30 || sg_fail "phase 2: queue did not drain after the kill"
before=$(n_acc)
sg_swaks down-probe --from "$FROM" --to "$TO" --header "Subject: probe" --body "lunch on Friday?"
sg_assert_match "phase 2: milter down -> client gets 451 4.7.1" '^<\*\* +451[- ]4\.7\.1' \
    "$(sg_swaks_out down-probe | grep '^<\*\*' | head -n 1)"
for i in 1 2 3 4 5; do
    printf 'From: %s\nTo: %s\nSubject: local %s\nMessage-Id: <sg-e2e-nolost-local-%s-%s@northfield.sch.uk>\n\nlunch on Friday?\n' \
        "$FROM" "$TO" "$i" "$i" "$$" | timeout 30 sendmail -C "$SG_CONF" -f "$FROM" -- "$TO" \
        || sg_fail "phase 2: sendmail submission failed"
done
sleep 2
sg_assert_eq "phase 2: nothing accepted while the milter is down" "$before" "$(n_acc)"
sg_assert_eq "phase 2: sendmail mail not delivered while the milter is down" "" \
    "$(sg_sink_find "sg-e2e-nolost-local-1-$$")"

# restart over the stale socket, while the paced senders are still going
sg_milter_start "$POLICY"
src_running accept2 || sg_fail "phase 2: smtp-source finished before the restart (test not meaningful)"
sg_ok "phase 2: milter restarted over its stale socket while smtp-source was running"

for n in accept2 hold2 flood2; do
    sg_wait_until 120 eval "! src_running $n" || sg_fail "phase 2: smtp-source $n still running after 120s"
    src_wait "$n"; rc=$?
    sg_assert_eq "phase 2: smtp-source $n ran to completion (exit 0)" 0 "$rc"
    sg_assert_eq "phase 2: $n: every refusal was temporary (4xx)" "$(src_refused "$n")" "$(src_refused "$n" '4[0-9][0-9] 4\.[0-9]+\.[0-9]+')"
done
refused=$(( $(src_refused accept2) + $(src_refused hold2) + $(src_refused flood2) ))
sg_assert "phase 2: senders got 4xx during the outage ($refused refused)" [ "$refused" -ge 1 ]
after_outage=$(tr '\r' '\n' <"$SG_T/src.accept2.out" | awk '/warning:/ {n=0; next} /^[0-9]+$/ {n++} END {print n+0}')
sg_assert "phase 2: accept stream succeeded again after the restart ($after_outage messages)" [ "$after_outage" -ge 1 ]
eod=$(cat "$SG_T"/src.*2.out | tr '\r' '\n' | grep -c 'end of data rejected: 4' || true)
echo "info: $eod transaction(s) were in flight at end-of-data when the milter died"

for i in 1 2 3 4 5; do
    sg_wait_sink_find 60 "sg-e2e-nolost-local-$i-$$" >/dev/null \
        || sg_fail "phase 2: sendmail message $i held back during the outage was not delivered after restart"
done
sg_ok "phase 2: the 5 sendmail messages deferred during the outage were delivered after restart"

sg_wait_queue_empty 120 || sg_fail "phase 2: queue did not drain within 120s of the restart"
ok_a=$(src_ok accept2); ok_h=$(src_ok hold2); ok_f=$(src_ok flood2)
client_ok=$((ok_a + ok_h + ok_f + 5))
acc=$(accepted_ids "$off_log")
n_accepted=$(printf '%s\n' "$acc" | nl_count)
sg_wait_until 15 sh -c "[ \$(find '$SG_SINK_DIR' -type f | wc -l) -ge $((sink0 + ok_a + ok_f + 5)) ]" || true
delivered=$(( $(sg_sink_count) - sink0 ))
held=$(( $(sg_hold_count) - hold0 ))
echo "phase 2: clients got 250 for $client_ok (accept $ok_a, hold $ok_h, flood $ok_f, sendmail 5), refused $refused;" \
     "Postfix accepted $n_accepted; delivered $delivered; held $held"
sg_assert_eq "phase 2: 250s seen by clients == accepted by Postfix" "$client_ok" "$n_accepted"
sg_assert_eq "phase 2: accepted by Postfix == delivered + held" "$n_accepted" $((delivered + held))
sg_assert_eq "phase 2: delivered == accept + flood + sendmail successes" $((ok_a + ok_f + 5)) "$delivered"
sg_assert_eq "phase 2: held == quarantine-worthy successes" "$ok_h" "$held"
missing=$(comm -23 <(printf '%s\n' "$acc") <(sort -u <(sent_ids "$off_log") <(hold_ids)))
sg_assert_eq "phase 2: every accepted queue id was delivered or is held" "" "$missing"
sg_assert_eq "phase 2: no bounces or expiries" 0 "$(log_from "$off_log" | grep -c 'status=bounced\|status=expired' || true)"
echo "phase 2 took $((SECONDS - T2))s, whole test $((SECONDS - T_START))s"
sg_assert "whole test under 5 minutes" [ $((SECONDS - T_START)) -lt 300 ]
echo "PASS: t-nolost"
