#!/bin/bash
# mimedefang.sh start DIR | stop DIR - a private MIMEDefang (Debian's
# package and its default filter: MIME walk, bad-filename checks) behind
# its multiplexor, speaking milter on 127.0.0.1, for the Postfix
# benchmark. "start" prints the milter port.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh
cmd=$1 dir=$2
m=$dir/mimedefang
case "$cmd" in
start)
    rm -rf "$m" && mkdir -p "$m/spool" && chown defang:defang "$m/spool" && chmod 0750 "$m/spool"
    port=$(sg_free_port)
    mimedefang-multiplexor -D -U defang -z "$m/spool" -s "$m/spool/mx.sock" -m 10 -x 20 -w 0 -W 0 -q 100 -Q 60 \
        -f /usr/bin/mimedefang.pl >"$m/multiplexor.log" 2>&1 &
    echo $! >"$m/mx.pid"
    sg_wait_until 20 test -S "$m/spool/mx.sock" || { echo "mimedefang-multiplexor did not start" >&2; exit 1; }
    mimedefang -D -q -U defang -z "$m/spool" -m "$m/spool/mx.sock" -p "inet:$port@127.0.0.1" >"$m/mimedefang.log" 2>&1 &
    echo $! >"$m/md.pid"
    if sg_wait_until 20 sg_port_in_use "$port"; then
        echo "$port"
    else
        echo "mimedefang did not start: $(cat "$m/mimedefang.log")" >&2
        exit 1
    fi
    ;;
stop)
    for f in md.pid mx.pid; do [ -f "$m/$f" ] && kill "$(cat "$m/$f")" 2>/dev/null; done
    sleep 1
    ;;
esac
