#!/bin/bash
# t-reload.sh -- SIGUSR1 policy reload through a real Postfix.
#
#  1. -n accepts policies A and B, rejects the broken ones with file:line:col.
#  2. milter runs with policy A (-r 0: no automatic reload, only SIGUSR1):
#     the canary message ("purple elephant") is accepted and delivered.
#  3. policy file overwritten with B, SIGUSR1: the same message is now
#     rejected with 550 5.7.1 naming rule reload-canary.
#  4. overwritten with broken YAML, SIGUSR1: the milter keeps running (same
#     pid), logs an error about the policy, and still applies B.
#  5. same with well-formed YAML that is an invalid policy (unknown action).
#  6. back to A, SIGUSR1: accepted again (a failed reload does not wedge it).
#  7. reload storm: 200 messages over 20 paced sessions (~10s) while SIGUSR1
#     is sent every 0.3s: no tempfail, every message delivered.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

E2E=tests/e2e
sg_init
POLICY=$SG_T/policy.yaml

# ---- 1: policy check mode ----------------------------------------------------
for p in policy-a policy-b; do
    out=$("$SG_MILTER_BIN" -n -c "$E2E/$p.yaml" 2>&1); rc=$?
    sg_assert_eq "-n accepts $p.yaml ($out)" 0 "$rc"
done
for p in policy-broken policy-bad-action; do
    out=$("$SG_MILTER_BIN" -n -c "$E2E/$p.yaml" 2>&1); rc=$?
    sg_assert "-n rejects $p.yaml (exit $rc)" [ "$rc" != 0 ]
    sg_assert_match "-n error for $p.yaml is file:line:col" "$p\.yaml:[0-9]+:[0-9]+" "$out"
done

cp "$E2E/policy-a.yaml" "$POLICY"
sg_sink_start
sg_milter_start "$POLICY" -r 0
sg_postfix_start
PID0=$SG_MILTER_PID
N=0

# canary NAME: send the canary message; sets QID (empty when refused)
canary() {
    N=$((N + 1))
    sg_swaks "$1" --from staff@northfield.sch.uk --to someone@example.com \
        --header "Subject: canary $1" \
        --header "Message-Id: <sg-e2e-canary-$1-$$@northfield.sch.uk>" \
        --body "Reload canary: the purple elephant walks at noon."
    CRC=$?
    QID=$(sg_swaks_qid "$1")
}

expect_accepted() { # NAME
    if [ "$CRC" != 0 ] || [ -z "$QID" ]; then
        sg_fail "$1: canary not accepted: $(sg_swaks_out "$1" | tail -n 8)"
    fi
    sg_wait_sink_find 30 "sg-e2e-canary-$1-$$" >/dev/null || sg_fail "$1: canary accepted but not delivered"
    sg_wait_milter_log 10 "sg-e2e-canary-$1-$$" || sg_fail "$1: no milter log line"
    sg_assert_match "$1: milter verdict is accept" ' action=accept ' \
        "$(grep -aF "sg-e2e-canary-$1-$$" "$SG_MILTER_LOG")"
}

expect_rejected() { # NAME
    local reply
    reply=$(sg_swaks_data_reply "$1")
    [ "$CRC" != 0 ] || sg_fail "$1: canary was accepted (swaks exit 0): $(sg_swaks_out "$1" | tail -n 8)"
    sg_assert_match "$1: canary refused with 550 5.7.1" '^<\*\* +550[- ]5\.7\.1' "$reply"
    sg_assert_match "$1: reply names rule reload-canary" 'reload-canary|reload canary' "$reply"
    sg_assert_eq "$1: canary not delivered" "" "$(sg_sink_find "sg-e2e-canary-$1-$$")"
    sg_assert_match "$1: milter verdict is reject" ' action=reject .*rules=([^ ]*,)?reload-canary' \
        "$(grep -aF "sg-e2e-canary-$1-$$" "$SG_MILTER_LOG")"
}

# reload_to FILE: overwrite the policy in place, SIGUSR1, wait for the
# milter to log something about the reload.  Leaves the new log text in NEWLOG.
reload_to() {
    local off
    cp "$1" "$POLICY"
    off=$(stat -c %s "$SG_MILTER_LOG")
    sg_milter_reload || sg_fail "milter not running before SIGUSR1"
    if ! sg_wait_until 10 sh -c "tail -c +$((off + 1)) '$SG_MILTER_LOG' | grep -aqi 'reload\|polic'"; then
        sg_info "warning: nothing logged within 10s of SIGUSR1 (reload to $(basename "$1"))"
    fi
    sleep 0.5
    NEWLOG=$(tail -c +$((off + 1)) "$SG_MILTER_LOG")
}

# ---- 2: policy A --------------------------------------------------------------
canary a1; expect_accepted a1

# ---- 3: policy B --------------------------------------------------------------
reload_to "$E2E/policy-b.yaml"
sg_assert "milter still running after reload to B" sg_milter_alive
canary b1; expect_rejected b1

# ---- 4: broken YAML -----------------------------------------------------------
reload_to "$E2E/policy-broken.yaml"
sg_assert "milter still running after broken reload" sg_milter_alive
sg_assert_eq "same milter process (pid $PID0)" "$PID0" "$SG_MILTER_PID"
sg_assert_match "broken reload: error logged about the policy" \
    '([Pp]olic|yaml|YAML).*([Ee]rror|[Ff]ail|[Ii]nvalid)|([Ee]rror|[Ff]ail|[Ii]nvalid).*([Pp]olic|yaml|YAML)' "$NEWLOG"
sg_assert_match "broken reload: error gives line:col" ':[0-9]+:[0-9]+' "$NEWLOG"
sg_assert_nomatch "broken reload: no 'policy reloaded' success claim" '[Rr]eloaded' "$NEWLOG"
canary b2; expect_rejected b2

# ---- 5: invalid policy (unknown action) ---------------------------------------
reload_to "$E2E/policy-bad-action.yaml"
sg_assert "milter still running after invalid-policy reload" sg_milter_alive
sg_assert_match "invalid reload: error logged" '([Ee]rror|[Ff]ail|[Ii]nvalid|unknown)' "$NEWLOG"
canary b3; expect_rejected b3

# ---- 6: back to A -------------------------------------------------------------
reload_to "$E2E/policy-a.yaml"
canary a2; expect_accepted a2

# ---- 7: reload storm under load ---------------------------------------------
printf 'From: staff@northfield.sch.uk\nTo: someone@example.com\nSubject: storm\n\nlunch on Friday?\n' >"$SG_T/storm.eml"
before=$(sg_sink_count)
# -w 1: each session waits 1s between messages, so the run lasts ~10s
timeout 120 smtp-source -s 20 -m 200 -d -w 1 -f staff@northfield.sch.uk -t someone@example.com \
    -F "$SG_T/storm.eml" "127.0.0.1:$SG_SMTP_PORT" >"$SG_T/storm.out" 2>&1 &
SRC=$!
nsig=0
deadline=$((SECONDS + 90))
while kill -0 "$SRC" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
    cp "$E2E/policy-a.yaml" "$POLICY"
    sg_milter_reload || break
    nsig=$((nsig + 1))
    sleep 0.3
done
wait "$SRC"; rc=$?
sg_assert_eq "storm: smtp-source got 250 for all 200 messages (exit 0): $(tail -n 2 "$SG_T/storm.out")" 0 "$rc"
sg_assert "storm: $nsig SIGUSR1 sent while mail was flowing (>= 10)" [ "$nsig" -ge 10 ]
sg_assert "storm: milter survived $nsig reloads" sg_milter_alive
sg_wait_queue_empty 60 || sg_fail "storm: queue did not drain"
sg_wait_until 10 sh -c "[ \$(find '$SG_SINK_DIR' -type f | wc -l) -ge $((before + 200)) ]" || true
sg_assert_eq "storm: all 200 delivered" $((before + 200)) "$(sg_sink_count)"

sg_assert_eq "hold queue empty" 0 "$(sg_hold_count)"
sg_assert_eq "milter pid unchanged throughout" "$PID0" "$SG_MILTER_PID"
echo "PASS: t-reload"
