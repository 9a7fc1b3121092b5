#!/bin/bash
# t-nolost.sh -- no mail is lost, with a healthy milter and with a crashing one.
#
# Phase 1 (healthy), all at once through the throwaway Postfix:
#   1000 accept-worthy messages over 20 smtp-source sessions,
#    200 quarantine-worthy messages over 5 smtp-source sessions,
#     20 reject-worthy messages from swaks (4 parallel senders).
#   Every message is accounted for: delivered + held + rejected == sent, with
#   exactly 1000 / 200 / 20, and one milter verdict line each.
#
# Phase 2 (milter killed with SIGKILL while smtp-source is running):
#   paced smtp-source streams (accept + quarantine content) plus an unpaced
#   flood; once Postfix has taken >= 150 of them the milter is kill -9'd.
#   Postfix must tempfail (milter_default_action = tempfail): the senders see
#   4xx, a probe message gets 451 4.7.1, a sendmail(1) submission waits in
#   the maildrop.  The milter is restarted (its stale socket still on disk),
#   200 more messages go through, the queue drains and, per Postfix's own
#   log, every message Postfix accepted is delivered or held:
#   accepted-by-postfix == delivered + held, and no client got a 250 for a
#   message that then vanished.
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
{
    printf 'From: %s\nTo: %s\nSubject: Timetable\n\n' "$FROM" "$TO"
    for i in $(seq 1 120); do printf 'Line %03d: lunch on Friday? Timetable and room changes for next week.\n' "$i"; done
} >"$SG_T/flood.eml"

# src NAME SESSIONS COUNT FILE [EXTRA...]: smtp-source in the background,
# -c counter on stdout; pid in SRC_PID_<NAME>.
src() {
    local name=$1 s=$2 m=$3 f=$4; shift 4
    timeout 240 smtp-source -c -d -s "$s" -m "$m" "$@" -f "$FROM" -t "$TO" -F "$f" \
        "127.0.0.1:$SG_SMTP_PORT" >"$SG_T/src.$name.out" 2>&1 &
    printf -v "SRC_PID_$name" '%s' "$!"
}
# src_ok NAME: messages smtp-source got a 250 for (its last -c counter value)
src_ok() {
    tr '\r' '\n' <"$SG_T/src.$1.out" | grep -E '^[0-9]+$' | tail -n 1 | grep . || echo 0
}
src_wait() { # NAME -> exit status
    local v="SRC_PID_$1"
    wait "${!v}"
}

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
src accept1 20 1000 "$SG_T/accept.eml"
src hold1 5 200 "$SG_T/hold.eml"
for j in 1 2 3 4; do
    (
        for k in 1 2 3 4 5; do
            sg_swaks "rej-$j-$k" --from "$FROM" --to "$TO" --header "Subject: rota $j.$k" \
                --body "What the fuck happened to the rota? ($j.$k)"
        done
    ) &
    eval "REJ_PID_$j=\$!"
done
src_wait accept1; rc_a=$?
src_wait hold1; rc_h=$?
for j in 1 2 3 4; do v="REJ_PID_$j"; wait "${!v}"; done
sg_assert_eq "phase 1: smtp-source (accept) exit 0: $(tail -n 1 "$SG_T/src.accept1.out" | tr '\r' ' ' | tail -c 120)" 0 "$rc_a"
sg_assert_eq "phase 1: smtp-source (hold) exit 0" 0 "$rc_h"
sg_assert_eq "phase 1: client got 250 for 1000 accept messages" 1000 "$(src_ok accept1)"
sg_assert_eq "phase 1: client got 250 for 200 hold messages" 200 "$(src_ok hold1)"
rej_seen=0
for j in 1 2 3 4; do for k in 1 2 3 4 5; do
    sg_swaks_data_reply "rej-$j-$k" | grep -qE '^<\*\* +550[- ]5\.7\.1' && rej_seen=$((rej_seen + 1))
done; done
sg_assert_eq "phase 1: 20 senders saw 550 5.7.1" 20 "$rej_seen"

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
echo "--- phase 2: kill -9 the milter mid-run"
T2=$SECONDS
off_log=$(stat -c %s "$SG_MAILLOG")
sink0=$(sg_sink_count)
hold0=$(sg_hold_count)
# -w 1: each session waits a second between messages, so these run ~50s
# unless interrupted; the flood keeps the milter busy with bigger bodies.
src accept2 20 1000 "$SG_T/accept.eml" -w 1
src hold2 5 200 "$SG_T/hold.eml" -w 1
src flood2 4 100000 "$SG_T/flood.eml"

n_acc() { accepted_ids "$off_log" | nl_count; }
sg_wait_until 60 sh -c "[ \$(tail -c +$((off_log + 1)) '$SG_MAILLOG' | grep -c '(queue active)\|milter-hold') -ge 150 ]" \
    || sg_fail "phase 2: Postfix did not accept 150 messages within 60s"
kill -0 "$SRC_PID_accept2" 2>/dev/null || sg_fail "phase 2: smtp-source finished before the kill (test not meaningful)"
sg_milter_kill9
at_kill=$(n_acc)
sg_ok "phase 2: milter killed with SIGKILL after Postfix accepted $at_kill messages, smtp-source still running"

# the senders must now see temporary failures and give up
for n in accept2 hold2 flood2; do
    v="SRC_PID_$n"
    sg_wait_until 30 sh -c "! kill -0 ${!v} 2>/dev/null" || sg_fail "phase 2: smtp-source $n still running 30s after the kill"
    src_wait "$n"; rc=$?
    sg_assert "phase 2: smtp-source $n stopped with an error (exit $rc)" [ "$rc" != 0 ]
    sg_assert_match "phase 2: smtp-source $n saw a 4xx temporary failure" ' 4[0-9][0-9] 4\.[0-9]+\.[0-9]+ ' \
        "$(tr '\r' '\n' <"$SG_T/src.$n.out" | grep -v '^[0-9]*$' | tail -n 3)"
done
client_ok=$(( $(src_ok accept2) + $(src_ok hold2) + $(src_ok flood2) ))

# while it is down: SMTP gets 451, sendmail submissions wait in the maildrop
before=$(n_acc)
sg_swaks down-probe --from "$FROM" --to "$TO" --header "Subject: probe" --body "lunch on Friday?"
sg_assert_match "phase 2: milter down -> client gets 451 4.7.1" '^<\*\* +451[- ]4\.7\.1' \
    "$(sg_swaks_out down-probe | grep '^<\*\*' | head -n 1)"
for i in 1 2 3 4 5; do
    printf 'From: %s\nTo: %s\nSubject: local %s\nMessage-Id: <sg-e2e-nolost-local-%s-%s@northfield.sch.uk>\n\nlunch on Friday?\n' \
        "$FROM" "$TO" "$i" "$i" "$$" | timeout 30 sendmail -C "$SG_CONF" -f "$FROM" -- "$TO" \
        || sg_fail "phase 2: sendmail submission failed"
done
sleep 3
sg_assert_eq "phase 2: nothing accepted while the milter is down" "$before" "$(n_acc)"
sg_assert_eq "phase 2: nothing of the sendmail mail delivered while the milter is down" "" \
    "$(sg_sink_find "sg-e2e-nolost-local-1-$$")"
tempfails=$(log_from "$off_log" | grep -c 'milter-reject: .* 4\.7\.1 \|4\.7\.1 Service unavailable' || true)
sg_assert "phase 2: Postfix logged milter tempfails ($tempfails)" [ "$tempfails" -ge 1 ]
midflight=$(log_from "$off_log" | grep -c "can't read SMFIC_BODYEOB\|can't read SMFIC_BODY \|SMFIC_BODYEOB reply" || true)
echo "info: $midflight transaction(s) were cut at end-of-message by the kill"

# restart (the stale socket of the killed milter is still on disk)
sg_milter_start "$POLICY"
sg_ok "phase 2: milter restarted over its stale socket"
src after2 20 200 "$SG_T/accept.eml"
src_wait after2; rc=$?
sg_assert_eq "phase 2: after restart, smtp-source sends 200 cleanly" 0 "$rc"
client_ok=$((client_ok + $(src_ok after2)))
for i in 1 2 3 4 5; do
    sg_wait_sink_find 60 "sg-e2e-nolost-local-$i-$$" >/dev/null \
        || sg_fail "phase 2: sendmail message $i held back during the outage was not delivered after restart"
done
sg_ok "phase 2: the 5 sendmail messages deferred during the outage were delivered after restart"
client_ok=$((client_ok + 5))

sg_wait_queue_empty 120 || sg_fail "phase 2: queue did not drain within 120s of the restart"
acc=$(accepted_ids "$off_log")
n_accepted=$(printf '%s\n' "$acc" | nl_count)
sg_wait_until 15 sh -c "[ \$(( \$(find '$SG_SINK_DIR' -type f | wc -l) - $sink0 + \$(postqueue -c '$SG_CONF' -j | grep -c '\"hold\"') - $hold0 )) -ge $n_accepted ]" || true
delivered=$(( $(sg_sink_count) - sink0 ))
held=$(( $(sg_hold_count) - hold0 ))
echo "phase 2: client got 250 for $client_ok, Postfix accepted $n_accepted, delivered $delivered, held $held"
sg_assert_eq "phase 2: accepted-by-postfix == delivered + held" "$n_accepted" $((delivered + held))
missing=$(comm -23 <(printf '%s\n' "$acc") <(sort -u <(sent_ids "$off_log") <(hold_ids)))
sg_assert_eq "phase 2: every accepted queue id was delivered or is held" "" "$missing"
sg_assert "phase 2: every 250 the clients saw is accounted for ($client_ok <= $n_accepted)" [ "$client_ok" -le "$n_accepted" ]
# a client that dies on a 4xx can miss at most one 250 per open session
sg_assert "phase 2: at most one unseen 250 per session ($((n_accepted - client_ok)) <= 29)" [ $((n_accepted - client_ok)) -le 29 ]
sg_assert "phase 2: some quarantine-worthy mail was held" [ "$held" -ge 1 ]
sg_assert_eq "phase 2: no bounces or expiries" 0 "$(log_from "$off_log" | grep -c 'status=bounced\|status=expired' || true)"
echo "phase 2 took $((SECONDS - T2))s, whole test $((SECONDS - T_START))s"
sg_assert "whole test under 5 minutes" [ $((SECONDS - T_START)) -lt 300 ]
echo "PASS: t-nolost"
