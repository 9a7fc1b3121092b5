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
bash tests/bench/make-mail.sh "$SG_T/attach.eml" 300

set_milter() { # SPEC or empty
    sg_postconf "smtpd_milters=$1" "non_smtpd_milters=$1"
    sg_postfix_reload
    sleep 1
}

# run FILE: seconds to deliver N copies.
run() {
    local file=$1 before t0 t1
    before=$(sg_sink_count)
    t0=$(date +%s.%N)
    smtp-source -s "$S" -m "$N" -F "$file" -f tom.teacher@northfield.sch.uk -t parent@example.com \
        "127.0.0.1:$SG_SMTP_PORT" >/dev/null 2>&1
    sg_wait_until 300 sh -c "[ \$(find '$SG_SINK_DIR' -type f | wc -l) -ge $((before + N)) ]" \
        || { echo "bench: not all messages delivered" >&2; return 1; }
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}

best() { # FILE: the best of three runs
    local a b c
    a=$(run "$1") || return 1
    b=$(run "$1") || return 1
    c=$(run "$1") || return 1
    echo "m = $a; if ($b < m) m = $b; if ($c < m) m = $c; m" | bc -l
}

declare -A secs
variants=(postfix)
measure() { # NAME FILE-LABEL FILE
    local s
    s=$(best "$3") || { echo "bench: $1 failed" >&2; return; }
    secs["$1/$2"]=$s
}

set_milter ""
run "$SG_T/typical.eml" >/dev/null    # warm-up: page cache, Postfix processes
for kind in typical attach; do
    measure postfix "$kind" "$SG_T/$kind.eml"
done

if command -v opendkim >/dev/null; then
    port=$(sg_free_port)
    printf 'Mode v\nSocket inet:%s@127.0.0.1\nSyslog no\nPidFile %s/run/opendkim.pid\nUserID postfix\n' \
        "$port" "$SG_T" >"$SG_T/opendkim.conf"
    opendkim -x "$SG_T/opendkim.conf" -f >"$SG_T/log/opendkim.log" 2>&1 &
    dkim_pid=$!
    sg_wait_until 10 sg_port_in_use "$port"
    set_milter "inet:127.0.0.1:$port"
    for kind in typical attach; do measure noop-milter "$kind" "$SG_T/$kind.eml"; done
    kill "$dkim_pid" 2>/dev/null
    variants+=(noop-milter)
fi

sg_milter_start contrib/example-policy.yaml
set_milter "$SG_POSTFIX_MILTER"
for kind in typical attach; do measure safeguard "$kind" "$SG_T/$kind.eml"; done
variants+=(safeguard)
sg_milter_stop

# SG_BENCH_BASELINE=BINARY [SG_BENCH_BASELINE_POLICY=FILE]: an earlier
# build measured in the same run, so a change can show it did not slow
# the milter down (ratios from one run on shared cores, not two runs).
if [ -n "${SG_BENCH_BASELINE:-}" ]; then
    SG_MILTER_BIN=$SG_BENCH_BASELINE sg_milter_start "${SG_BENCH_BASELINE_POLICY:-contrib/example-policy.yaml}"
    set_milter "$SG_POSTFIX_MILTER"
    for kind in typical attach; do measure baseline "$kind" "$SG_T/$kind.eml"; done
    variants+=(baseline)
    sg_milter_stop
fi

if command -v rspamd >/dev/null && [ -x tests/bench/rspamd.sh ]; then
    if rport=$(bash tests/bench/rspamd.sh start "$SG_T"); then
        set_milter "inet:127.0.0.1:$rport"
        for kind in typical attach; do measure rspamd "$kind" "$SG_T/$kind.eml"; done
        bash tests/bench/rspamd.sh stop "$SG_T"
        variants+=(rspamd)
    fi
fi

if command -v mimedefang >/dev/null; then
    if mport=$(bash tests/bench/mimedefang.sh start "$SG_T"); then
        set_milter "inet:127.0.0.1:$mport"
        for kind in typical attach; do measure mimedefang "$kind" "$SG_T/$kind.eml"; done
        bash tests/bench/mimedefang.sh stop "$SG_T"
        variants+=(mimedefang)
    fi
fi

printf '\n%d messages, %d SMTP sessions, best of three runs, %s\n' "$N" "$S" "$(date -u +%F)"
printf '%-12s %18s %10s %18s %10s\n' variant "typical msg/s" "vs postfix" "300KB-PDF msg/s" "vs postfix"
for v in "${variants[@]}"; do
    line=$(printf '%-12s' "$v")
    for kind in typical attach; do
        s=${secs["$v/$kind"]:-}
        base=${secs["postfix/$kind"]:-}
        if [ -z "$s" ] || [ -z "$base" ]; then line+=$(printf ' %18s %10s' - -); continue; fi
        line+=$(printf ' %18.0f %9.2fx' "$(echo "$N / $s" | bc -l)" "$(echo "$base / $s" | bc -l)")
    done
    echo "$line"
done
