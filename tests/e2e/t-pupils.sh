#!/bin/bash
# t-pupils.sh -- the pupil-contact rules through a real Postfix, with the
# example directory and recipient_mode: remove:
#   held     tom.teacher -> amy (pupil) with his mobile: every recipient
#            offends, so the whole message waits in the hold queue
#   removed  tom.teacher -> a colleague + amy's personal gmail: amy's copy
#            is removed (smfi_delrcpt), the colleague's is delivered with
#            X-Safeguard-Removed; the log names nobody
#   family   pat.pt -> ben (her son) with her mobile: exempt, untouched
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

sg_init
sg_sink_start
sg_milter_start tests/e2e/policy-pupils.yaml
sg_postfix_start

TOK="$(date +%s)$$"
AMY=amy.pupil@pupils.northfield.sch.uk
AMY_HOME=amy.p2011@gmail.com
BEN=ben.learner@pupils.northfield.sch.uk
COLLEAGUE=head@northfield.sch.uk

send() { # NAME FROM SUBJECT BODY RCPT...
    local name=$1 from=$2 subj=$3 body=$4
    shift 4
    local to
    to=$(IFS=,; echo "$*")
    sg_swaks "$name" --from "$from" --to "$to" \
        --header "Subject: $subj" \
        --header "Message-Id: <sg-e2e-$name-$TOK@northfield.sch.uk>" \
        --body "$body"
}

send held tom.teacher@northfield.sch.uk "Revision" \
    "$(printf 'Hi Amy,\n\nText me on 07700 900123 if you get stuck tonight.\n\nMr T\n')" "$AMY" \
    || sg_fail "held: swaks failed: $(sg_swaks_out held)"
h_qid=$(sg_swaks_qid held)
send removed tom.teacher@northfield.sch.uk "Trip forms" \
    "$(printf 'Forms attached for the Year 9 trip.\n')" "$COLLEAGUE" "$AMY_HOME" \
    || sg_fail "removed: swaks failed: $(sg_swaks_out removed)"
r_qid=$(sg_swaks_qid removed)
send family pat.pt@northfield.sch.uk "Pick up" \
    "$(printf 'Ben, I will be late, call me on 07700 900123.\n\nMum\n')" "$BEN" \
    || sg_fail "family: swaks failed: $(sg_swaks_out family)"
f_qid=$(sg_swaks_qid family)
[ -n "$h_qid" ] && [ -n "$r_qid" ] && [ -n "$f_qid" ] || sg_fail "missing queue ids"

sg_wait_queue_empty 60 || sg_fail "queue did not drain (except hold) within 60s"
sg_wait_until 10 sh -c "[ \$(find '$SG_SINK_DIR' -type f | wc -l) -ge 2 ]" || true

# ---- held -----------------------------------------------------------------
sg_assert "held: $h_qid is in the hold queue" sg_in_hold "$h_qid"
sg_assert_eq "held: nothing delivered" "" "$(sg_sink_find "sg-e2e-held-$TOK")"
sg_assert_match "held: log line" "$h_qid: event=[^ ]+ action=quarantine categories=contact-details rules=mobile-to-pupil " \
    "$(sg_milter_event_for "$h_qid")"

# ---- removed ----------------------------------------------------------------
f_rem=$(sg_sink_find "sg-e2e-removed-$TOK")
[ -n "$f_rem" ] || sg_fail "removed: nothing delivered to the colleague"
h_rem=$(sg_headers "$f_rem")
sg_assert_match "removed: X-Safeguard-Removed names the count and rule, no address" \
    '^X-Safeguard-Removed: 1 recipient removed; rules=pupil-personal-address; event=sg-[0-9a-f]+$' "$h_rem"
sg_assert_match "removed: verdict header is annotate" '^X-Safeguard-Verdict: annotate; categories=pupil-contact; rules=pupil-personal-address; ' "$h_rem"
sg_assert "removed: delivered to the colleague" grep -qiF "$COLLEAGUE" "$f_rem"
sg_assert_nomatch "removed: the pupil's personal address is not an envelope recipient at the sink" \
    "^X-Rcpt-Args: <$AMY_HOME>" "$h_rem"
sg_assert_eq "removed: not held" 1 "$(sg_in_hold "$r_qid" && echo 0 || echo 1)"
grep -q "$r_qid: to=<$AMY_HOME>" "$SG_MAILLOG" && sg_fail "removed: Postfix delivered to $AMY_HOME"
sg_ok "removed: Postfix logged no delivery to the pupil's personal address"
l=$(sg_milter_event_for "$r_qid")
sg_assert_match "removed: log line counts the removal" "action=annotate .*removed=1" "$l"
sg_assert "removed: a pseudonymous removal line" grep -qE "$r_qid: event=[^ ]+ removed rcpt=[0-9a-f]{10}@gmail\.com" "$SG_MILTER_LOG"
sg_assert_file_lacks "milter log: pupil's personal address not logged" "amy.p2011" "$SG_MILTER_LOG"

# ---- family exemption ----------------------------------------------------------
f_fam=$(sg_sink_find "sg-e2e-family-$TOK")
[ -n "$f_fam" ] || sg_fail "family: not delivered"
sg_assert_nomatch "family: no X-Safeguard header" '^X-Safeguard' "$(sg_headers "$f_fam")"
sg_assert_match "family: log says accept" "$f_qid: event=[^ ]+ action=accept categories=- rules=- " "$(sg_milter_event_for "$f_qid")"

sg_assert_eq "hold queue: only the held message" 1 "$(sg_hold_count)"
sg_milter_stop
echo "PASS: t-pupils"
