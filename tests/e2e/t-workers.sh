#!/bin/bash
# t-workers.sh -- evaluation workers through a real Postfix: a message that
# crashes its worker, one that spins and one that allocates without end
# (test-only triggers, SAFEGUARD_TEST_TRIGGERS=1) each cost only their own
# message its answer, while 40 ordinary messages sent at the same time are
# delivered normally:
#   crash  -> 451 4.7.1 at the client (on_internal_error: tempfail)
#   spin   -> held, log limits=time (on_limit: quarantine, eval_timeout 3 s)
#   hog    -> held, log limits=memory (worker_memory 256M)
# Each dead worker is logged and replaced; the pool keeps its two workers
# and the milter process never parses mail itself.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

sg_init
sg_sink_start
export SAFEGUARD_TEST_TRIGGERS=1
sg_milter_start tests/e2e/policy-workers.yaml -w 2
unset SAFEGUARD_TEST_TRIGGERS
sg_postfix_start

TOK="$(date +%s)$$"
FROM=staff@northfield.sch.uk
EXT=someone@example.com
workers() { pgrep -P "$SG_MILTER_PID" | wc -l; }
sg_assert_eq "two workers at start" 2 "$(workers)"

send() { # NAME TRIGGER
    local extra=()
    [ -n "$2" ] && extra=(--add-header "X-Safeguard-Test-Trigger: $2")
    sg_swaks "$1" --from "$FROM" --to "$EXT" --header "Subject: $1" \
        --header "Message-Id: <sg-e2e-$1-$TOK@northfield.sch.uk>" "${extra[@]}" \
        --body "Minutes of the meeting, as promised."
}

# Ordinary mail in flight from four clients while the bad ones arrive.
senders=()
for c in 1 2 3 4; do
    ( for i in $(seq 1 10); do send "ok-$c-$i" ""; done ) &
    senders+=($!)
done
send crash crash; crash_rc=$?
send spin spin || sg_fail "spin: swaks failed: $(sg_swaks_out spin)"
send hog hog || sg_fail "hog: swaks failed: $(sg_swaks_out hog)"
wait "${senders[@]}"

# ---- crash: tempfail, nothing queued -------------------------------------
[ "$crash_rc" != 0 ] || sg_fail "crash: swaks reported success: $(sg_swaks_out crash)"
sg_assert_match "crash: client sees 451 4.7.1" '^<\*\* +451[- ]4\.7\.1' "$(sg_swaks_data_reply crash)"
sg_assert "crash: worker death logged" grep -aqE "worker [0-9]+ killed by signal 11; replaced" "$SG_MILTER_LOG"

# ---- spin and hog: held as limit hits -------------------------------------
s_qid=$(sg_swaks_qid spin); h_qid=$(sg_swaks_qid hog)
[ -n "$s_qid" ] && [ -n "$h_qid" ] || sg_fail "spin/hog: no queue ids"
sg_wait_queue_empty 60 || sg_fail "queue did not drain (except hold) within 60s"
sg_assert "spin: held" sg_in_hold "$s_qid"
sg_assert "hog: held" sg_in_hold "$h_qid"
sg_assert_match "spin: log names the time limit" "$s_qid: event=[^ ]+ action=quarantine .*limits=time" "$(sg_milter_event_for "$s_qid")"
sg_assert_match "hog: log names the memory limit" "$h_qid: event=[^ ]+ action=quarantine .*limits=memory" "$(sg_milter_event_for "$h_qid")"
sg_assert "spin: worker kill logged" grep -aqE "$s_qid: event=[^ ]+ worker [0-9]+ killed: over its 3 s time budget; replaced" "$SG_MILTER_LOG"
sg_assert "hog: worker OOM logged" grep -aqE "$h_qid: event=[^ ]+ worker [0-9]+ ran out of its memory budget; replaced" "$SG_MILTER_LOG"

# ---- everything else: delivered, untouched ----------------------------------
sg_wait_until 20 sh -c "[ \$(find '$SG_SINK_DIR' -type f | wc -l) -ge 40 ]" || true
sg_assert_eq "all 40 ordinary messages delivered" 40 "$(sg_sink_count)"
n_accept=$(grep -acE ': event=[^ ]+ action=accept categories=- ' "$SG_MILTER_LOG")
sg_assert_eq "40 accept verdicts" 40 "$n_accept"
sg_assert_eq "hold queue: spin and hog only" 2 "$(sg_hold_count)"
sg_assert "milter still running" sg_milter_alive
sg_assert_eq "still two workers" 2 "$(workers)"

# ---- a reload starts a new generation; the old one exits ------------------------
old=$(pgrep -P "$SG_MILTER_PID" | sort | tr '\n' ' ')
sg_milter_reload
sg_wait_milter_log 20 "policy reloaded" || sg_fail "no reload"
sg_wait_until 10 sh -c "[ \"\$(pgrep -P $SG_MILTER_PID | sort | tr '\n' ' ')\" != '$old' ] && [ \$(pgrep -P $SG_MILTER_PID | wc -l) -eq 2 ]" \
    || sg_fail "workers not replaced by a new generation: before [$old] after [$(pgrep -P "$SG_MILTER_PID" | tr '\n' ' ')]"
for p in $old; do kill -0 "$p" 2>/dev/null && sg_fail "old worker $p still running"; done
sg_ok "reload: a new generation of two workers, the old one gone"
send after ""; sg_assert_eq "after reload: mail still flows" 0 $?

last=$(pgrep -P "$SG_MILTER_PID" | tr '\n' ' ')
sg_milter_stop
for p in $last; do kill -0 "$p" 2>/dev/null && sg_fail "worker $p still running after the milter stopped"; done
sg_ok "stop: no worker left behind"
echo "PASS: t-workers"
