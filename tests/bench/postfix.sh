#!/bin/bash
# postfix.sh [MESSAGES] [SESSIONS] - throughput of a real Postfix on
# 127.0.0.1, measured in one run, for:
#   postfix        Postfix alone
#   noop-milter    Postfix + OpenDKIM in verify mode (a milter doing little)
#   safeguard      Postfix + safeguard-milter with contrib/example-policy.yaml
#   rspamd         Postfix + rspamd's milter proxy (when installed)
#   mimedefang     Postfix + MIMEDefang with its default filter (when installed)
#   baseline       an earlier safeguard-milter build, when SG_BENCH_BASELINE names it
# Each variant sends the same messages with smtp-source (20 sessions) and
# waits until smtp-sink has all of them. Prints messages/second and the
# ratio to Postfix alone; runs each variant three times and keeps the best,
# since these machines are shared.
#
# Two workloads, each variant measured on both in the same run:
#   typical, attach  smtp-source filler: one 5 KB staff mail, and the same
#                    with a 300 KB PDF, MESSAGES copies of each
#   corpus           the corpus's own messages (tests/corpus/mail/*.eml,
#                    and $SG_BENCH_BUILD/tests/corpus/gen/*.eml when a
#                    build made them), each sent MESSAGES/(number of
#                    files) times, rounded up, over SESSIONS sessions of
#                    tests/bench/send-corpus.pl (smtp-source sleeps a
#                    second on every message a filter rejects)
# SG_BENCH_KINDS="typical attach corpus" picks workloads (default: all).
# SG_MILTER_BIN names the safeguard-milter to measure (tests/e2e/lib.sh;
# an out-of-tree build's milter/safeguard-milter).
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
N=${1:-1000}
S=${2:-20}
bash contrib/install-deps.sh --bench >/dev/null || exit 1

sg_init
sg_sink_start
sg_postfix_start
bash tests/bench/make-mail.sh "$SG_T/typical.eml" 0
MKATTACH=${SG_BENCH_BUILD:+$SG_BENCH_BUILD/tests/tools/mkattach} bash tests/bench/make-mail.sh "$SG_T/attach.eml" 300
kinds=(${SG_BENCH_KINDS:-typical attach corpus})
corpus=(tests/corpus/mail/*.eml)
if [ -n "${SG_BENCH_BUILD:-}" ]; then
    for f in "$SG_BENCH_BUILD"/tests/corpus/gen/*.eml; do [ -f "$f" ] && corpus+=("$f"); done
fi
per_file=$(((N + ${#corpus[@]} - 1) / ${#corpus[@]}))
corpus_n=$((per_file * ${#corpus[@]}))
printf '%s\n' "${corpus[@]}" >"$SG_T/corpus.list"

set_milter() { # SPEC or empty
    sg_postconf "smtpd_milters=$1" "non_smtpd_milters=$1"
    sg_postfix_reload
    sleep 1
}

# run FILE: seconds to deliver N copies (FILE "corpus": every corpus
# message per_file times, SESSIONS senders in parallel).
run() {
    local file=$1 before t0 t1 want=$N
    before=$(sg_sink_count)
    t0=$(date +%s.%N)
    if [ "$file" = corpus ]; then
        want=$corpus_n
        # Not smtp-source: it sleeps a second on each rejection (send-corpus.pl).
        for ((k = 0; k < per_file; k++)); do cat "$SG_T/corpus.list"; done \
            | perl tests/bench/send-corpus.pl "127.0.0.1:$SG_SMTP_PORT" "$S" tom.teacher@northfield.sch.uk \
                parent@example.com >/dev/null 2>&1
    else
        smtp-source -s "$S" -m "$N" -F "$file" -f tom.teacher@northfield.sch.uk -t parent@example.com \
            "127.0.0.1:$SG_SMTP_PORT" >/dev/null 2>&1
    fi
    if [ "$file" = corpus ]; then
        # Some corpus messages are meant to be rejected or held (and other
        # filters may refuse some): done when every session has ended and
        # nothing is left in flight.
        sg_wait_until 300 sh -c "[ \$(find '$SG_SPOOL/incoming' '$SG_SPOOL/active' '$SG_SPOOL/maildrop' -type f | wc -l) -eq 0 ]" \
            || { echo "bench: corpus messages still queued" >&2; return 1; }
        echo "$cur $(($(sg_sink_count) - before))" >>"$SG_T/delivered"
    else
        sg_wait_until 300 sh -c "[ \$(find '$SG_SINK_DIR' -type f | wc -l) -ge $((before + want)) ]" \
            || { echo "bench: not all messages delivered" >&2; return 1; }
    fi
    t1=$(date +%s.%N)
    echo "($t1 - $t0) * $N / $want" | bc -l   # as seconds per N messages
}

best() { # FILE: the best of three runs
    local a b c
    a=$(run "$1") || return 1
    b=$(run "$1") || return 1
    c=$(run "$1") || return 1
    echo "m = $a; if ($b < m) m = $b; if ($c < m) m = $c; m" | bc -l
}

src() { [ "$1" = corpus ] && echo corpus || echo "$SG_T/$1.eml"; }
declare -A secs
variants=(postfix)
cur=
measure() { # NAME FILE-LABEL FILE
    local s
    cur=$1
    s=$(best "$3") || { echo "bench: $1 failed" >&2; return; }
    secs["$1/$2"]=$s
}

set_milter ""
run "$SG_T/typical.eml" >/dev/null    # warm-up: page cache, Postfix processes
for kind in "${kinds[@]}"; do
    measure postfix "$kind" "$(src "$kind")"
done

if command -v opendkim >/dev/null; then
    port=$(sg_free_port)
    printf 'Mode v\nSocket inet:%s@127.0.0.1\nSyslog no\nPidFile %s/run/opendkim.pid\nUserID postfix\n' \
        "$port" "$SG_T" >"$SG_T/opendkim.conf"
    opendkim -x "$SG_T/opendkim.conf" -f >"$SG_T/log/opendkim.log" 2>&1 &
    dkim_pid=$!
    sg_wait_until 10 sg_port_in_use "$port"
    set_milter "inet:127.0.0.1:$port"
    for kind in "${kinds[@]}"; do measure noop-milter "$kind" "$(src "$kind")"; done
    kill "$dkim_pid" 2>/dev/null
    variants+=(noop-milter)
fi

sg_milter_start contrib/example-policy.yaml
set_milter "$SG_POSTFIX_MILTER"
for kind in "${kinds[@]}"; do measure safeguard "$kind" "$(src "$kind")"; done
variants+=(safeguard)
sg_milter_stop

# SG_BENCH_BASELINE=BINARY [SG_BENCH_BASELINE_POLICY=FILE]: an earlier
# build measured in the same run, so a change can show it did not slow
# the milter down (ratios from one run on shared cores, not two runs).
if [ -n "${SG_BENCH_BASELINE:-}" ]; then
    SG_MILTER_BIN=$SG_BENCH_BASELINE sg_milter_start "${SG_BENCH_BASELINE_POLICY:-contrib/example-policy.yaml}"
    set_milter "$SG_POSTFIX_MILTER"
    for kind in "${kinds[@]}"; do measure baseline "$kind" "$(src "$kind")"; done
    variants+=(baseline)
    sg_milter_stop
fi

if command -v rspamd >/dev/null && [ -x tests/bench/rspamd.sh ]; then
    if rport=$(bash tests/bench/rspamd.sh start "$SG_T"); then
        set_milter "inet:127.0.0.1:$rport"
        for kind in "${kinds[@]}"; do measure rspamd "$kind" "$(src "$kind")"; done
        bash tests/bench/rspamd.sh stop "$SG_T"
        variants+=(rspamd)
    fi
fi

if command -v mimedefang >/dev/null; then
    if mport=$(bash tests/bench/mimedefang.sh start "$SG_T"); then
        set_milter "inet:127.0.0.1:$mport"
        for kind in "${kinds[@]}"; do measure mimedefang "$kind" "$(src "$kind")"; done
        bash tests/bench/mimedefang.sh stop "$SG_T"
        variants+=(mimedefang)
    fi
fi

printf '\n%d messages, %d SMTP sessions, best of three runs, %s' "$N" "$S" "$(date -u +%F)"
printf '; corpus: %d files x %d = %d messages\n' "${#corpus[@]}" "$per_file" "$corpus_n"
declare -A title=([typical]="typical msg/s" [attach]="300KB-PDF msg/s" [corpus]="corpus msg/s")
line=$(printf '%-12s' variant)
for kind in "${kinds[@]}"; do line+=$(printf ' %18s %10s' "${title[$kind]}" "vs postfix"); done
echo "$line"
for v in "${variants[@]}"; do
    line=$(printf '%-12s' "$v")
    for kind in "${kinds[@]}"; do
        s=${secs["$v/$kind"]:-}
        base=${secs["postfix/$kind"]:-}
        if [ -z "$s" ] || [ -z "$base" ]; then line+=$(printf ' %18s %10s' - -); continue; fi
        line+=$(printf ' %18.0f %9.2fx' "$(echo "$N / $s" | bc -l)" "$(echo "$base / $s" | bc -l)")
    done
    echo "$line"
done
if [ -s "$SG_T/delivered" ]; then
    printf 'corpus messages delivered of %d (the rest rejected or held by that filter):' "$corpus_n"
    sort -u "$SG_T/delivered" | awk '{ d[$1] = $2 } END { for (v in d) printf " %s %d", v, d[v]; print "" }'
fi

