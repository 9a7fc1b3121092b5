#!/bin/bash
# t-quarantine.sh -- the quarantine store and safeguard-quarantine through a
# real Postfix.
#
# With tests/e2e/policy-verdicts.yaml (plus a quarantine: section naming
# this instance's store and Postfix), staff@northfield.sch.uk sends three
# "child protection plan" messages outside; each is held by Postfix and
# stored by the milter. Then:
#   list            shows the three, held, with their queue ids
#   release A       postsuper -H: delivered to smtp-sink exactly once;
#                   a second release is refused and delivers nothing
#   discard B       gone from the hold queue (postqueue -j) and the store
#   release C       after its hold-queue copy was deleted: the stored copy
#                   is re-injected with an X-Safeguard-Released mark, which
#                   the milter accepts once; the same mark on another
#                   message, or a forged one, is screened and held
# plus the audit trail, the report, and the refusal for a user without
# rights to the store. The milter's log carries no message text.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

QBIN=${SG_QUARANTINE_BIN:-$(dirname "$SG_MILTER_BIN")/safeguard-quarantine}
[ -x "$QBIN" ] || { echo "e2e: $QBIN not built" >&2; exit 1; }

sg_init
POLICY=$SG_T/policy.yaml
{ cat "$SG_REPO_ROOT/tests/e2e/policy-verdicts.yaml"
  printf 'quarantine:\n  store: %s\n  postfix_config: %s\n  retention_days: 30\n' "$SG_STORE" "$SG_CONF"
} >"$POLICY"
sg_sink_start
sg_milter_start "$POLICY"
sg_postfix_start

Q() { "$QBIN" -c "$POLICY" "$@"; }
TOK="$(date +%s)$$"
FROM=staff@northfield.sch.uk
EXT=someone@example.com
BODY=$(printf 'Hello,\n\nThe child protection plan for Robin Ashworth (Year 9) is attached.\n\nThanks\n')

send() { # NAME [EXTRA SWAKS ARGS]
    local name=$1; shift
    sg_swaks "$name" --from "$FROM" --to "$EXT" \
        --header "Subject: Plan $name" \
        --header "Message-Id: <sg-e2e-$name-$TOK@northfield.sch.uk>" \
        --body "$BODY" "$@"
}
event_of() { # QUEUEID -> event id from list --json
    Q list --json | jq -r --arg q "$1" '.[] | select(.queue_id == $q) | .event_id'
}
copies() { sg_sink_find "sg-e2e-$1-$TOK" | grep -c . || true; }

# ---- three held messages ------------------------------------------------------
for n in qa qb qc; do
    send "$n" || sg_fail "$n: swaks failed: $(sg_swaks_out "$n")"
done
qa=$(sg_swaks_qid qa); qb=$(sg_swaks_qid qb); qc=$(sg_swaks_qid qc)
[ -n "$qa" ] && [ -n "$qb" ] && [ -n "$qc" ] || sg_fail "no queue ids: $qa $qb $qc"
for q in "$qa" "$qb" "$qc"; do
    sg_wait_until 30 sg_in_hold "$q" || sg_fail "$q never reached the hold queue"
done
sg_ok "three messages held by Postfix: $qa $qb $qc"

# ---- list -------------------------------------------------------------------------
out=$(Q list); rc=$?
sg_assert_eq "list: exit 0" 0 "$rc"
sg_assert_eq "list: three held items" 3 "$(printf '%s\n' "$out" | grep -c ' held ')"
ea=$(event_of "$qa"); eb=$(event_of "$qb"); ec=$(event_of "$qc")
[ -n "$ea" ] && [ -n "$eb" ] && [ -n "$ec" ] || sg_fail "list --json lacks a queue id: $(Q list --json)"
sg_ok "list --json: events $ea $eb $ec for the three queue ids"
j=$(Q list --json --state held)
sg_assert_eq "list --state held --json: three" 3 "$(printf '%s' "$j" | jq length)"
sg_assert_eq "stored with the rule and the MTA" "safeguarding-leaving-trust postfix" \
    "$(printf '%s' "$j" | jq -r --arg e "$ea" '.[] | select(.event_id == $e) | "\(.hits[0].rule) \(.mta)"')"
sg_assert_eq "list --category offensive: none" 0 "$(Q list --json --category offensive | jq length)"
sg_assert_eq "list --since 1h: three" 3 "$(Q list --json --since 1h | jq length)"
sg_assert_match "verdict line and store line share the event" "$qa: event=$ea store=ok state=held rcpt=[0-9a-f]{10}@example\\.com" \
    "$(grep -a "store=" "$SG_MILTER_LOG")"
sg_assert_eq "message files are 0600" "600" "$(stat -c %a "$SG_STORE/msg/$ea.eml")"

# ---- show ---------------------------------------------------------------------------
out=$(Q show "$ea"); rc=$?
sg_assert_eq "show: exit 0" 0 "$rc"
sg_assert_match "show: evidence" 'Evidence: +.*child protection plan' "$out"
sg_assert_match "show: text preview" 'Robin Ashworth' "$out"
sg_assert_match "show: how to release" "safeguard-quarantine release $ea" "$out"

# ---- release A: from the hold queue, once -------------------------------------------
out=$(Q release "$ea" --reason "false alarm: the parent asked for it" 2>&1); rc=$?
sg_assert_eq "release: exit 0 ($out)" 0 "$rc"
sg_assert_match "release: by postsuper -H" "postsuper -H $qa" "$out"
sg_wait_sink_find 30 "sg-e2e-qa-$TOK" >/dev/null || sg_fail "released message never reached the sink"
out=$(Q release "$ea" --reason "again" 2>&1); rc=$?
sg_assert_eq "second release: refused (exit 1)" 1 "$rc"
sg_assert_match "second release: says why" "is released: it cannot be released" "$out"
sg_wait_queue_empty 30 || sg_fail "queue did not drain"
sleep 2
sg_assert_eq "release: exactly one delivery" 1 "$(copies qa)"
sg_assert "release: $qa left the hold queue" sh -c "! postqueue -c '$SG_CONF' -j | grep -q '\"queue_id\": *\"$qa\"'"
sg_assert_eq "release: state released" released "$(Q list --json | jq -r --arg e "$ea" '.[] | select(.event_id == $e) | .state')"

# ---- discard B ------------------------------------------------------------------------
out=$(Q discard "$eb" --reason "breach, reported to the head" 2>&1); rc=$?
sg_assert_eq "discard: exit 0 ($out)" 0 "$rc"
sg_assert "discard: $qb gone from postqueue -j" sh -c "! postqueue -c '$SG_CONF' -j | grep -q '\"queue_id\": *\"$qb\"'"
sg_assert "discard: stored copy deleted" [ ! -e "$SG_STORE/msg/$eb.eml" ]
out=$(Q release "$eb" --reason "changed my mind" 2>&1); rc=$?
sg_assert_eq "release after discard: refused" 1 "$rc"
sg_assert_eq "discard: nothing delivered" 0 "$(copies qb)"

# ---- release C: re-injected, marked, accepted once ---------------------------------------
postsuper -c "$SG_CONF" -d "$qc" hold >/dev/null 2>&1 || sg_fail "postsuper -d $qc failed"
out=$(Q release "$ec" --reason "false alarm" 2>&1); rc=$?
sg_assert_eq "release (re-inject): exit 0 ($out)" 0 "$rc"
sg_assert_match "release (re-inject): says so" "re-injected the stored copy" "$out"
f=$(sg_wait_sink_find 30 "sg-e2e-qc-$TOK") || sg_fail "re-injected copy never reached the sink"
mark=$(sg_headers "$f" | sed -n 's/^X-Safeguard-Released: //p')
sg_assert_match "re-injected copy carries the mark" "^$ec [0-9a-f]{64}$" "$mark"
sg_assert_match "milter accepted the marked copy unscreened" "event=$ec action=accept released=reinjected" "$(cat "$SG_MILTER_LOG")"
out=$(Q release "$ec" --reason "again" 2>&1); rc=$?
sg_assert_eq "second release (re-inject): refused" 1 "$rc"

# The same mark on a new message (a recipient copying the header), and a forged one.
sg_swaks replay --from "$FROM" --to "$EXT" --header "Subject: Plan replay" \
    --header "Message-Id: <sg-e2e-qc-$TOK@northfield.sch.uk>" --header "X-Safeguard-Released: $mark" \
    --body "$BODY" || sg_fail "replay: swaks failed"
send forged --header "X-Safeguard-Released: $ec $(printf '%064d' 0)" || sg_fail "forged: swaks failed"
for n in replay forged; do
    q=$(sg_swaks_qid "$n")
    sg_wait_until 30 sg_in_hold "$q" || sg_fail "$n: not held (queue id $q)"
    sg_ok "$n: a copied or forged mark is screened and held ($q)"
done
sg_assert "milter logged the refused marks" sh -c "[ \$(grep -ac 'release mark refused' '$SG_MILTER_LOG') -ge 2 ]"
sg_wait_queue_empty 30 || true
sg_assert_eq "re-inject: exactly one delivery" 1 "$(copies qc)"
sg_assert_eq "sink: A and C, nothing else" 2 "$(sg_sink_count)"

# ---- audit trail, report ----------------------------------------------------------------
out=$(Q show "$ea")
sg_assert_match "audit: release by root with its reason" 'root +released +false alarm: the parent asked for it' "$out"
sg_assert_match "audit: delivery recorded" 'delivered +.*postsuper -H' "$out"
csv=$(Q report --since 1d --csv)
sg_assert_match "report --csv: one row for the rule" \
    '^"safeguarding-leaving-trust","confidential","Northfield Academy",5,2,2,1,0,0$' "$csv"

# ---- a user without rights -------------------------------------------------------------------
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$QBIN" --store "$SG_STORE" list 2>&1); rc=$?
sg_assert_eq "no rights: exit 3" 3 "$rc"
sg_assert_match "no rights: names the store and the user" "no access to the quarantine store $SG_STORE \\(owner root" "$out"

# ---- the log: no content ----------------------------------------------------------------------
for s in "Robin Ashworth" "child protection plan" "Plan qa" "false alarm"; do
    sg_assert_file_lacks "milter log: no message text ('$s')" "$s" "$SG_MILTER_LOG"
done

sg_milter_stop; rc=$?
sg_assert_eq "SIGTERM: milter exits 0" 0 "$rc"
echo "PASS: t-quarantine"
