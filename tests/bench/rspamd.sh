#!/bin/bash
# rspamd.sh start DIR | stop DIR - a private rspamd (Debian's package and
# default rules) whose proxy worker speaks milter on 127.0.0.1, for the
# Postfix benchmark. DNS points at a closed local port so network checks
# fail at once instead of waiting for a resolver that is not there.
# "start" prints the milter port.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh
cmd=$1 dir=$2
r=$dir/rspamd
case "$cmd" in
start)
    rm -rf "$r" && mkdir -p "$r/db" "$r/run" "$r/log" && cp -r /etc/rspamd "$r/conf"
    chown -R _rspamd "$r/db" "$r/run" "$r/log" 2>/dev/null || true
    pport=$(sg_free_port); nport=$(sg_free_port); cport=$(sg_free_port)
    cat >"$r/conf/local.d/worker-proxy.inc" <<EOC
bind_socket = "127.0.0.1:$pport";
milter = yes;
upstream "local" { default = yes; self_scan = yes; }
count = 2;
EOC
    echo "bind_socket = \"127.0.0.1:$nport\";" >"$r/conf/local.d/worker-normal.inc"
    echo "bind_socket = \"127.0.0.1:$cport\";" >"$r/conf/local.d/worker-controller.inc"
    echo 'enabled = false;' >"$r/conf/local.d/worker-fuzzy.inc"
    cat >"$r/conf/local.d/options.inc" <<EOC
dns { nameserver = ["127.0.0.1:9"]; timeout = 0.2s; retransmits = 1; }
EOC
    printf 'type = "file";\nfilename = "%s/log/rspamd.log";\nlevel = "error";\n' "$r" >"$r/conf/local.d/logging.inc"
    rspamd -f -u _rspamd -g _rspamd -c "$r/conf/rspamd.conf" -p "$r/run/rspamd.pid" \
        --var="CONFDIR=$r/conf" --var="LOCAL_CONFDIR=$r/conf" --var="DBDIR=$r/db" \
        --var="RUNDIR=$r/run" --var="LOGDIR=$r/log" >"$r/log/stdout.log" 2>&1 &
    echo $! >"$r/master.pid"
    if sg_wait_until 30 sg_port_in_use "$pport"; then
        echo "$pport"
    else
        echo "rspamd did not start: $(tail -5 "$r/log/stdout.log" "$r/log/rspamd.log" 2>/dev/null)" >&2
        exit 1
    fi
    ;;
stop)
    [ -f "$r/master.pid" ] && kill "$(cat "$r/master.pid")" 2>/dev/null
    sleep 1
    ;;
esac
