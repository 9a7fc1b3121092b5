#!/bin/bash
# t-content.sh -- the content rules through a real Postfix, with
# contrib/example-policy.yaml and its directory (contrib/directory):
#   cp-docx      a DOCX holding child-protection detail to an outside
#                address: held, the log names confidential-safeguarding
#   trip-docx    the same mail with a trip letter in the DOCX: delivered
#                (what held cp-docx was the attachment's text)
#   dsl-report   a report quoting a pupil's racist abuse, to dsl@ only:
#                delivered (mail to the safeguarding team is never held
#                for its content)
#   slur-staff   the same report to a colleague outside the team: 550
#                (offensive-language: the text does offend on its own)
#   misdirected  Amy Pupil's progress to Ben Learner's father: held
#                (misdirected-pupil-data)
#   own-parent   the same to Amy's mother, her listed contact: delivered
#   cp-tnef, cp-tgz  the same detail in Outlook's winmail.dat and in a
#                tar.gz: held, the log naming confidential-safeguarding
#   enczip       a password-protected zip: held, limits=encrypted
#   chain        a chain letter: 550 with the solicitation rule's explain
#                text in the reply, nothing delivered
#   press, reference, upns, adult
#                a reply to a journalist, a tenancy reference, a list with
#                valid UPNs, a link to a pornographic site behind a Google
#                redirect: each held, the log naming its rule (media,
#                reference, pupil-identifiers-leaving-trust, adult-link)
# The DOCX and the zip are made by tests/tools/mkattach (MKATTACH, default
# the one beside SG_MILTER_BIN's build tree).
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

MKATTACH=${MKATTACH:-$(dirname "$(dirname "$SG_MILTER_BIN")")/tests/tools/mkattach}
[ -x "$MKATTACH" ] || { echo "t-content: $MKATTACH is not built (make check, or make tests/tools/mkattach)" >&2; exit 1; }
# SG_CONTENT_POLICY: another policy (a copy of contrib/ with a rule broken,
# to see the test fail).
POLICY=${SG_CONTENT_POLICY:-$SG_EXAMPLE_POLICY}

sg_init
sg_sink_start
sg_milter_start "$POLICY"
sg_postfix_start

TOK="$(date +%s)$$"
FROM=tom.teacher@northfield.sch.uk          # contrib/directory/staff.csv, school NFA
EXT=case.worker@example.org
DSL=dsl@northfield.sch.uk                   # the NFA safeguarding team (school: safeguarding_team)
COLLEAGUE=sam.support@northfield.sch.uk     # staff, not in the team
AMY_MUM=sam.pupil@example.com               # contacts.csv: Amy Pupil's mother
BEN_DAD=chris.learner@example.net           # contacts.csv: Ben Learner's father
DOCX=application/vnd.openxmlformats-officedocument.wordprocessingml.document

att=$SG_T/att
mkdir -p "$att"
printf '%s\n' 'CONFIDENTIAL - strategy meeting minutes' 'Child: Tyler Brookes, Year 10' \
    "Present: social worker (children's social care), police, Deputy DSL" \
    'Decision: the threshold for a section 47 enquiry is met.' \
    'An initial child protection conference will be held within 15 working days.' \
    | "$MKATTACH" docx "$att/minutes.docx" || sg_fail "mkattach docx failed"
printf '%s\n' 'Year 9 trip to the Science Museum' 'The coach leaves at 8.15 on Friday and is back by 4.' \
    'Please bring a packed lunch and a coat.' \
    | "$MKATTACH" docx "$att/trip.docx" || sg_fail "mkattach docx failed"
"$MKATTACH" enczip "$att/notes.zip" || sg_fail "mkattach enczip failed"
# The same minutes as Outlook's winmail.dat and as a tar.gz.
printf '%s\n' 'Child: Tyler Brookes, Year 10' 'A strategy meeting was held with children'"'"'s social care.' \
    'Decision: the threshold for a section 47 enquiry is met.' \
    | "$MKATTACH" tnef "$att/winmail.dat" || sg_fail "mkattach tnef failed"
printf '%s\n' 'Child: Tyler Brookes, Year 10' 'A strategy meeting was held with children'"'"'s social care.' \
    'Decision: the threshold for a section 47 enquiry is met.' \
    | "$MKATTACH" tgz "$att/notes.tgz" || sg_fail "mkattach tgz failed"

send() { # NAME RCPT SUBJECT BODY [SWAKS ARGS...]
    local name=$1 to=$2 subj=$3 body=$4
    shift 4
    sg_swaks "$name" --from "$FROM" --to "$to" --header "Subject: $subj" \
        --header "Message-Id: <sg-e2e-$name-$TOK@northfield.sch.uk>" --body "$body" "$@"
}

send cp-docx "$EXT" "Minutes" "Hello, the minutes are attached. Tom" \
    --attach-type "$DOCX" --attach-name minutes.docx --attach "@$att/minutes.docx" \
    || sg_fail "cp-docx: swaks failed: $(sg_swaks_out cp-docx)"
send trip-docx "$EXT" "Minutes" "Hello, the minutes are attached. Tom" \
    --attach-type "$DOCX" --attach-name minutes.docx --attach "@$att/trip.docx" \
    || sg_fail "trip-docx: swaks failed: $(sg_swaks_out trip-docx)"
send cp-tnef "$EXT" "Minutes" "Hello, the minutes are attached. Tom" \
    --attach-type application/ms-tnef --attach-name winmail.dat --attach "@$att/winmail.dat" \
    || sg_fail "cp-tnef: swaks failed: $(sg_swaks_out cp-tnef)"
send cp-tgz "$EXT" "Minutes" "Hello, the minutes are attached. Tom" \
    --attach-type application/gzip --attach-name notes.tgz --attach "@$att/notes.tgz" \
    || sg_fail "cp-tgz: swaks failed: $(sg_swaks_out cp-tgz)"

REPORT=$(printf '%s\n\n%s\n\n%s\n' 'Helen,' \
    'Reporting as requested. At break today Ben Learner said to another pupil, in front of four others: "go back to your own country you n1gger". The pupil told me straight after and was very distressed. I have logged it on CPOMS.' \
    'Tom')
send dsl-report "$DSL" "Safeguarding concern" "$REPORT" \
    || sg_fail "dsl-report: swaks failed: $(sg_swaks_out dsl-report)"
send slur-staff "$COLLEAGUE" "Safeguarding concern" "$REPORT"; slur_rc=$?

PROGRESS=$(printf '%s\n\n%s\n\n%s\n' 'Dear Mrs Pupil,' \
    'Amy Pupil has had a difficult week: she was late four times and missed her maths homework twice. Maths: working towards. English: secure.' \
    'Mr T Teacher')
send misdirected "$BEN_DAD" "Progress this week" "$PROGRESS" \
    || sg_fail "misdirected: swaks failed: $(sg_swaks_out misdirected)"
send own-parent "$AMY_MUM" "Progress this week" "$PROGRESS" \
    || sg_fail "own-parent: swaks failed: $(sg_swaks_out own-parent)"

send enczip "$EXT" "Notes" "Notes attached; the password follows by text." \
    --attach-type application/zip --attach-name notes.zip --attach "@$att/notes.zip" \
    || sg_fail "enczip: swaks failed: $(sg_swaks_out enczip)"

CHAIN=$(printf '%s\n\n%s\n\n%s\n' "Sorry everyone, I don't normally do these but my nan swears by it!" \
    'This angel has been sent to you for good luck. Forward this to 10 people within 24 hours and your wish will come true. Do not break the chain - my friend deleted it and had seven years of bad luck. This is not a joke.' \
    'Tom')
send chain "$EXT" "angel of luck - do not delete" "$CHAIN"; chain_rc=$?

# One more held mail for each of the other content rules.
send press "news.desk@northshire-gazette.co.uk" "Re: your request for comment" \
    "Thanks for your request for comment. Off the record, staff are unhappy about the new head. Tom" \
    || sg_fail "press: swaks failed: $(sg_swaks_out press)"
send reference "lettings@example-homes.co.uk" "Tenancy reference" \
    "To whom it may concern, I am pleased to provide a tenancy reference for my colleague, who has always paid on time. Tom Teacher, Northfield Academy" \
    || sg_fail "reference: swaks failed: $(sg_swaks_out reference)"
send upns "$EXT" "Group list" "UPNs for the group: H801200001001, T937012345672. Tom" \
    || sg_fail "upns: swaks failed: $(sg_swaks_out upns)"
send adult "$COLLEAGUE" "lol" "have a look https://www.google.com/url?q=https%3A%2F%2Fwww.pornhub.com%2Fview&sa=D" \
    || sg_fail "adult: swaks failed: $(sg_swaks_out adult)"

cp_qid=$(sg_swaks_qid cp-docx); mis_qid=$(sg_swaks_qid misdirected); enc_qid=$(sg_swaks_qid enczip)
trip_qid=$(sg_swaks_qid trip-docx); dsl_qid=$(sg_swaks_qid dsl-report); own_qid=$(sg_swaks_qid own-parent)
for v in cp_qid mis_qid enc_qid trip_qid dsl_qid own_qid; do
    [ -n "${!v}" ] || sg_fail "no queue id for ${v%_qid}"
done

sg_wait_queue_empty 60 || sg_fail "queue did not drain (except hold) within 60s"
sg_wait_until 15 sh -c "[ \$(find '$SG_SINK_DIR' -type f | wc -l) -ge 3 ]" || true

# ---- held: a DOCX with child-protection detail ---------------------------
sg_assert "cp-docx: $cp_qid is in the hold queue" sg_in_hold "$cp_qid"
sg_assert_eq "cp-docx: nothing delivered" "" "$(sg_sink_find "sg-e2e-cp-docx-$TOK")"
sg_assert_match "cp-docx: log line names the rule" \
    "$cp_qid: event=[^ ]+ action=quarantine categories=confidential rules=confidential-safeguarding " \
    "$(sg_milter_event_for "$cp_qid")"

# ---- held: the same detail in winmail.dat and in a tar.gz ---------------------
for name in cp-tnef cp-tgz; do
    qid=$(sg_swaks_qid "$name")
    [ -n "$qid" ] || sg_fail "$name: no queue id"
    sg_assert "$name: $qid is in the hold queue" sg_in_hold "$qid"
    sg_assert_match "$name: log line names the rule" \
        "$qid: event=[^ ]+ action=quarantine categories=confidential rules=confidential-safeguarding " \
        "$(sg_milter_event_for "$qid")"
done

# ---- delivered: the same mail, a harmless DOCX -------------------------------
f=$(sg_sink_find "sg-e2e-trip-docx-$TOK")
[ -n "$f" ] || sg_fail "trip-docx: not delivered"
sg_assert_nomatch "trip-docx: no X-Safeguard header" '^X-Safeguard' "$(sg_headers "$f")"
sg_assert_match "trip-docx: log says accept" "$trip_qid: event=[^ ]+ action=accept categories=- rules=- " \
    "$(sg_milter_event_for "$trip_qid")"

# ---- delivered: a report to the safeguarding team that quotes a slur ----------
f=$(sg_sink_find "sg-e2e-dsl-report-$TOK")
[ -n "$f" ] || sg_fail "dsl-report: not delivered to the sink"
sg_assert "dsl-report: delivered to $DSL" grep -qiF "$DSL" "$f"
sg_assert "dsl-report: the report arrived whole" grep -qF "go back to your own country" "$f"
sg_assert_match "dsl-report: log says accept, as a report to the team" \
    "$dsl_qid: event=[^ ]+ action=accept categories=- rules=- .*report=safeguarding-team" \
    "$(sg_milter_event_for "$dsl_qid")"
sg_assert_eq "dsl-report: not held" 1 "$(sg_in_hold "$dsl_qid" && echo 0 || echo 1)"

# ---- rejected: the same text to a colleague outside the team -----------------
[ "$slur_rc" != 0 ] || sg_fail "slur-staff: swaks reported success: $(sg_swaks_out slur-staff)"
sg_assert_match "slur-staff: 550 5.7.1 at the client" '^<\*\* +550[- ]5\.7\.1' "$(sg_swaks_data_reply slur-staff)"
sg_assert_eq "slur-staff: nothing delivered" "" "$(sg_sink_find "sg-e2e-slur-staff-$TOK")"
sg_assert "slur-staff: log names offensive-language" \
    grep -aqE "event=[^ ]+ action=reject categories=offensive rules=offensive-language .*msgid=sg-e2e-slur-staff-$TOK@" "$SG_MILTER_LOG"

# ---- held: pupil data to another pupil's parent -------------------------------
sg_assert "misdirected: $mis_qid is in the hold queue" sg_in_hold "$mis_qid"
sg_assert_eq "misdirected: nothing delivered" "" "$(sg_sink_find "sg-e2e-misdirected-$TOK")"
sg_assert_match "misdirected: log line names the rule" \
    "$mis_qid: event=[^ ]+ action=quarantine categories=personal-data rules=misdirected-pupil-data " \
    "$(sg_milter_event_for "$mis_qid")"

# ---- delivered: the same to the pupil's own mother ---------------------------
f=$(sg_sink_find "sg-e2e-own-parent-$TOK")
[ -n "$f" ] || sg_fail "own-parent: not delivered"
sg_assert_nomatch "own-parent: no X-Safeguard header" '^X-Safeguard' "$(sg_headers "$f")"
sg_assert_match "own-parent: log says accept" "$own_qid: event=[^ ]+ action=accept categories=- rules=- " \
    "$(sg_milter_event_for "$own_qid")"

# ---- held: an encrypted zip nobody can screen --------------------------------
sg_assert "enczip: $enc_qid is in the hold queue" sg_in_hold "$enc_qid"
sg_assert_eq "enczip: nothing delivered" "" "$(sg_sink_find "sg-e2e-enczip-$TOK")"
sg_assert_match "enczip: log line says limits=encrypted" \
    "$enc_qid: event=[^ ]+ action=quarantine .*limits=encrypted( |$)" "$(sg_milter_event_for "$enc_qid")"
sg_assert "enczip: the hold reason names the limit, not just rules=-" \
    grep -aqE "$enc_qid: event=[^ ]+ held reason=\"rules=- limits=encrypted\"" "$SG_MILTER_LOG"

# ---- rejected: a chain letter, the rule's explanation in the reply -------------
[ "$chain_rc" != 0 ] || sg_fail "chain: swaks reported success: $(sg_swaks_out chain)"
reply=$(sg_swaks_data_reply chain)
sg_assert_match "chain: 550 5.7.1 at the client" '^<\*\* +550[- ]5\.7\.1' "$reply"
# The example policy's words (SG_CONTENT_POLICY may be a broken copy).
explain=$(sed -n '/- id: solicitation$/,/explain:/s/^ *explain: "\(.*\)"$/\1/p' "$SG_EXAMPLE_POLICY" | head -n 1)
[ -n "$explain" ] || sg_fail "chain: no explain text for rule solicitation in $SG_EXAMPLE_POLICY"
# The reply may fold the text over several lines: compare it joined up.
joined=$(printf '%s\n' "$reply" | sed -E 's/^<\*\* +550[- ](5\.7\.1 )?//' | tr '\r\n' '  ' | tr -s ' ')
case $joined in
    *"$explain"*) sg_ok "chain: the reply gives the rule's explanation" ;;
    *) sg_fail "chain: the reply lacks \"$explain\": $reply" ;;
esac
sg_assert_eq "chain: nothing delivered" "" "$(sg_sink_find "sg-e2e-chain-$TOK")"
sg_assert "chain: log names the rule" \
    grep -aqE "event=[^ ]+ action=reject categories=solicitation rules=solicitation .*msgid=sg-e2e-chain-$TOK@" "$SG_MILTER_LOG"

# ---- held: the press, a reference, pupil numbers, a porn link ------------------
for pair in press:media reference:reference upns:pupil-identifiers-leaving-trust adult:adult-link; do
    name=${pair%%:*} rule=${pair#*:}
    qid=$(sg_swaks_qid "$name")
    [ -n "$qid" ] || sg_fail "$name: no queue id"
    sg_assert "$name: $qid is in the hold queue" sg_in_hold "$qid"
    sg_assert_match "$name: log line names $rule" "$qid: event=[^ ]+ action=quarantine .*rules=([^ ]*,)?$rule[, ]" \
        "$(sg_milter_event_for "$qid")"
done

# ---- the whole run --------------------------------------------------------------
sg_assert_eq "hold queue: cp-docx, cp-tnef, cp-tgz, misdirected, enczip, press, reference, upns and adult only" 9 "$(sg_hold_count)"
sg_assert_eq "delivered: trip-docx, dsl-report and own-parent only" 3 "$(sg_sink_count)"
sg_assert_file_lacks "milter log: no attachment text logged" "section 47" "$SG_MILTER_LOG"
sg_assert_file_lacks "milter log: no body text logged" "your own country" "$SG_MILTER_LOG"
sg_milter_stop
echo "PASS: t-content"
