#!/bin/bash
# contrib/demo.sh - see safeguard-milter do its job in a real Postfix.
#
# Starts a throwaway Postfix on 127.0.0.1 (its own config, queue and log in a
# temp directory; the system's Postfix and port 25 are not touched) with
# safeguard-milter and contrib/example-policy.yaml in front of it, and an
# smtp-sink standing in for the Internet.  Six messages from a member of
# staff are sent with swaks, and for each one the report shows what the
# sender saw, what arrived at the far end, what the milter logged, and
# finally what sits in Postfix's hold queue.  Everything is removed on exit.
#
# Needs: root, a built milter/safeguard-milter (contrib/build.sh), and the
# postfix and swaks packages (contrib/install-deps.sh).
# Exit status: 0 if all six messages got the expected verdict.
#   SG_KEEP=1 contrib/demo.sh   keeps the temp directory for a look around.
set -u
cd "$(dirname "$0")/.." || exit 1

if [ ! -x milter/safeguard-milter ]; then
    echo "demo: milter/safeguard-milter is not built; run contrib/build.sh first" >&2
    exit 1
fi
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

POLICY=${1:-contrib/example-policy.yaml}
if ! check=$(milter/safeguard-milter -n -c "$POLICY" 2>&1); then
    echo "demo: the policy $POLICY has errors:" >&2
    printf '%s\n' "$check" >&2
    exit 1
fi

if [ -t 1 ]; then B=$'\e[1m'; G=$'\e[32m'; R=$'\e[31m'; Y=$'\e[33m'; N=$'\e[0m'; else B=; G=; R=; Y=; N=; fi
hr()      { printf '%s\n' "------------------------------------------------------------------------------"; }
title()   { echo; printf '%s%s%s\n' "$B" "$*" "$N"; hr; }
indent()  { sed 's/^/      /'; }

sg_init
sg_sink_start
sg_milter_start "$POLICY"
sg_postfix_start

TOK="$(date +%s)$$"
FROM=staff@northfield.sch.uk
expected_ok=0

title "safeguard-milter demo"
cat <<EOF
  Postfix $(postconf -h mail_version) (throwaway instance) listening on 127.0.0.1:$SG_SMTP_PORT
     | smtpd_milters = $SG_POSTFIX_MILTER
     | milter_default_action = tempfail  (milter down => mail waits, never passes unchecked)
     v
  safeguard-milter  policy: $POLICY
                    ($check)
     |
     v  relayhost = [127.0.0.1]:$SG_SINK_PORT
  smtp-sink, standing in for the Internet (each delivered message kept as a file)

  Temp directory: $SG_T
EOF

# demo_send N EXPECT TO SUBJECT BODY
demo_send() {
    local n=$1 expect=$2 to=$3 subj=$4 body=$5 name="msg$1"
    local mid="demo-$n-$TOK@northfield.sch.uk"
    eval "MID_$n=\$mid"
    sg_swaks "$name" --from "$FROM" --to "$to" \
        --header "Subject: $subj" --header "Message-Id: <$mid>" --body "$body"
    eval "EXPECT_$n=\$expect; TO_$n=\$to; SUBJ_$n=\$subj; BODY_$n=\$body"
}

demo_send 1 accept     parent@example.com     "Lunch on Friday?" \
    "Hi Sam, lunch on Friday? The usual place at 12:30. Alex"
# Message 2 is annotated when it is sent outside Amy's school's contact
# window (Northfield Academy: Mon-Fri 08:00-17:00 Europe/London, not in the
# holidays of contrib/example-policy.yaml) and accepted inside it.
outside_window() {
    local day hm ymd
    day=$(TZ=Europe/London date +%u) hm=$(TZ=Europe/London date +%H%M) ymd=$(TZ=Europe/London date +%Y%m%d)
    [ "$day" -gt 5 ] || [ "$hm" -lt 0800 ] || [ "$hm" -ge 1700 ] ||
        { [ "$ymd" -ge 20261219 ] && [ "$ymd" -le 20270103 ]; }
}
if outside_window; then expect2=annotate; else expect2=accept; fi
demo_send 2 "$expect2" amy.pupil@pupils.northfield.sch.uk "Homework" \
    "Hi Amy, the homework is on page 12; hand it in on Monday."
demo_send 3 quarantine someone@example.net    "Plan for Jamie" \
    "Attached is the child protection plan for Jamie Smith (Year 8)."
demo_send 4 reject     friend@example.com     "Cover rota" \
    "What the fuck is going on with the cover rota?"
demo_send 5 quarantine amy.pupil@pupils.northfield.sch.uk "Revision" \
    "Hi Amy, text me on 07700 900123 if you get stuck with the revision tonight."
demo_send 6 quarantine amy.p2011@gmail.com   "Homework" \
    "Hi Amy, here is the homework sheet you missed."

# let Postfix deliver what it accepted
sg_wait_queue_empty 60 || echo "${Y}(warning: the queue had not drained after 60s)${N}"
sleep 1

report() {
    local n=$1 name="msg$1" v
    v="MID_$n"; local mid=${!v}
    v="EXPECT_$n"; local expect=${!v}
    v="TO_$n"; local to=${!v}
    v="SUBJ_$n"; local subj=${!v}
    v="BODY_$n"; local body=${!v}
    local qid reply file verdict got

    title "Message $n: expected verdict: $expect"
    echo "  From:    $FROM"
    echo "  To:      $to"
    echo "  Subject: $subj"
    echo "  Body:    $body"

    echo
    echo "  ${B}What the sender's mail client was told${N} (SMTP reply to the end of DATA):"
    reply=$(sg_swaks_data_reply "$name" | sed 's/^<\(\*\*\|-\|~\) *//')
    [ -n "$reply" ] || reply="(no reply captured; swaks transcript: $SG_T/swaks.$name.out)"
    printf '%s\n' "$reply" | indent

    echo
    echo "  ${B}What arrived at the destination${N} (smtp-sink):"
    file=$(sg_sink_find "$mid" | head -n 1)
    if [ -n "$file" ]; then
        sg_headers "$file" | grep -iE '^(X-Safeguard-[A-Za-z-]*|Subject|From|To|Message-Id):' | indent
        sg_headers "$file" | grep -qi '^X-Safeguard' || echo "      (no X-Safeguard header: delivered untouched)"
    else
        echo "      nothing - the message was not delivered"
    fi

    echo
    echo "  ${B}What safeguard-milter logged${N} (syslog, facility mail):"
    qid=$(grep -aF "msgid=$mid" "$SG_MILTER_LOG" | sed -n 's/.*[^A-Za-z0-9]\([A-Za-z0-9]\{6,\}\): event=.*/\1/p' | head -n 1)
    if [ -n "$qid" ]; then
        grep -aE "(^|[^A-Za-z0-9])$qid: " "$SG_MILTER_LOG" | indent
    else
        grep -aF "$mid" "$SG_MILTER_LOG" | indent
    fi
    verdict=$(grep -aF "msgid=$mid" "$SG_MILTER_LOG" | sed -n 's/.* action=\([a-z]*\).*/\1/p' | head -n 1)

    # what actually happened, from Postfix's point of view
    got=unknown
    if [ -n "$qid" ] && sg_in_hold "$qid"; then got=quarantine
    elif printf '%s\n' "$reply" | grep -q '^550'; then got=reject
    elif [ -n "$file" ] && sg_headers "$file" | grep -qi '^X-Safeguard-Verdict: *annotate'; then got=annotate
    elif [ -n "$file" ]; then got=accept
    fi
    echo
    if [ "$got" = "$expect" ] && [ "$verdict" = "$expect" ]; then
        echo "  ${G}=> $got, as expected${N}"
        expected_ok=$((expected_ok + 1))
    else
        echo "  ${R}=> UNEXPECTED: Postfix outcome '$got', milter verdict '${verdict:-none}', expected '$expect'${N}"
    fi
    case "$got" in
        quarantine) echo "     Postfix holds it as $qid until someone releases (postsuper -H) or deletes (postsuper -d) it." ;;
        reject)     echo "     Nothing was queued: the sender's mail client shows the explanation above." ;;
    esac
}

for n in 1 2 3 4 5 6; do report "$n"; done

title "The hold queue (quarantined mail waiting for the DSL)"
echo "  \$ postqueue -c $SG_CONF -p"
sg_postqueue_p | indent
echo
echo "  \$ postqueue -c $SG_CONF -j"
sg_hold_json | indent
echo
echo "  To release or delete a held message on a real server:"
echo "      postsuper -H <queue-id>     # release: deliver it"
echo "      postsuper -d <queue-id>     # delete it"
echo "      postcat -vq <queue-id>      # read it first"

title "Postfix's own log lines about the milter"
# (Postfix writes the line breaks of a multi-line reply as "??")
grep -aE 'milter-(hold|reject)|warning: .*[Mm]ilter' "$SG_MAILLOG" \
    | sed -e 's/^[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]* [^ ]* //' -e 's/??/\n    /g' | indent

echo
hr
if [ "$expected_ok" = 6 ]; then
    echo "${G}${B}All six messages got the expected verdict.${N}"
    rc=0
else
    echo "${R}${B}$expected_ok of 6 messages got the expected verdict.${N}"
    rc=1
fi
echo "Cleaning up the throwaway Postfix, milter and smtp-sink."
exit "$rc"
