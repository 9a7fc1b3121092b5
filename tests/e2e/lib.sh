# shellcheck shell=bash
# tests/e2e/lib.sh -- throwaway real-Postfix harness for safeguard-milter.
#
# Source this file from a bash script, then call sg_init.  sg_init creates a
# private temp directory holding a complete Postfix instance (its own
# config_directory, queue_directory, data_directory and maillog_file) that
# listens only on 127.0.0.1:<free port> and relays everything to an
# smtp-sink on 127.0.0.1:<another free port>, which dumps every delivered
# message to its own file.  Nothing touches the system Postfix instance
# (port 25, /var/spool/postfix); the only system-wide change is creating a
# minimal /etc/postfix/main.cf when none exists (removed again on exit).
#
# Everything is torn down by an EXIT trap, also on failure or Ctrl-C.
# Set SG_KEEP=1 to keep the temp directory for post-mortem inspection.
#
# Environment knobs (all optional):
#   SG_MILTER_BIN     milter binary       (default: <repo>/milter/safeguard-milter)
#   SG_MILTER_SOCKET  unix | local | inet  (default: unix)
#   SG_MILTER_USER    passed as -u USER to the milter (default: none)
#   SG_KEEP=1         keep the temp directory
#   SG_KEEP_ON_FAIL=1 keep the temp directory when the test fails
#   SG_VERBOSE=1      echo harness progress to stderr
#   SG_TMPDIR         parent for the temp directory (default: ${TMPDIR:-/tmp})
#
# Requires (Debian 12): postfix, swaks; smtp-sink/smtp-source come with the
# postfix package.  Must run as root (Postfix master needs it).

# ---------------------------------------------------------------------------
# basics

SG_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SG_REPO_ROOT=$(cd "$SG_LIB_DIR/../.." && pwd)
SG_MILTER_BIN=${SG_MILTER_BIN:-$SG_REPO_ROOT/milter/safeguard-milter}
SG_MILTER_SOCKET=${SG_MILTER_SOCKET:-unix}
SG_MILTER_USER=${SG_MILTER_USER:-}
SG_KEEP=${SG_KEEP:-0}
SG_VERBOSE=${SG_VERBOSE:-0}
# shellcheck disable=SC2034  # used by the scripts that source this file
SG_EXAMPLE_POLICY=$SG_REPO_ROOT/contrib/example-policy.yaml

# Filled in by sg_init.
SG_T=""                 # temp dir root
SG_CONF=""              # postfix config_directory
SG_SPOOL=""             # postfix queue_directory
SG_MAILLOG=""           # postfix maillog_file
SG_SINK_DIR=""          # smtp-sink dump directory
SG_SINK_LOG=""
SG_MILTER_LOG=""        # milter stderr (-e copies syslog lines here)
SG_MILTER_PIDFILE=""
SG_MILTER_PID=""
SG_MILTER_SPEC=""       # socket spec given to the milter (-p)
SG_STORE=""             # the milter's quarantine store (-Q), private to the instance
SG_POSTFIX_MILTER=""    # the same socket as Postfix spells it
SG_SMTP_PORT=""
SG_SINK_PORT=""
SG_SINK_PID=""
SG_POSTFIX_UP=0
SG_CREATED_MAINCF=0
SG_CLEANED=0
SG_INIT_DONE=0

sg_log()  { [ "$SG_VERBOSE" = 1 ] && printf '[e2e] %s\n' "$*" >&2; return 0; }
sg_info() { printf '[e2e] %s\n' "$*" >&2; }

# sg_die MSG: fatal harness/test error: print diagnostics, exit 1 (trap cleans up).
sg_die() {
    printf '[e2e] FATAL: %s\n' "$*" >&2
    sg_diag >&2
    exit 1
}

# Test assertions.  sg_fail prints diagnostics and exits 1.
sg_fail() {
    printf 'FAIL: %s\n' "$*" >&2
    sg_diag >&2
    exit 1
}
sg_ok() { printf 'ok: %s\n' "$*"; }

# sg_wait_until TIMEOUT_SECS CMD...: poll CMD every 0.2s until it succeeds.
# Returns 0 on success, 1 on timeout.
sg_wait_until() {
    local timeout=$1; shift
    local deadline=$((SECONDS + timeout))
    while :; do
        if "$@"; then return 0; fi
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.2
    done
}

# sg_port_in_use PORT: true if something accepts TCP connections on 127.0.0.1:PORT.
sg_port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# sg_free_port: print a TCP port on 127.0.0.1 that nothing listens on.
# Ports come from below the kernel's ephemeral range (32768-60999 on
# Debian), so an outgoing connection (Postfix's own smtp client, say)
# cannot take the port between this check and the bind.
sg_free_port() {
    local p i
    for i in $(seq 1 200); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
        : "$i"
        if ! sg_port_in_use "$p"; then echo "$p"; return 0; fi
    done
    return 1
}

sg_require_tools() {
    local missing="" t path
    [ "$(id -u)" = 0 ] || { echo "e2e: must run as root (Postfix master needs it)" >&2; exit 1; }
    for t in postfix postconf postqueue postsuper sendmail swaks smtp-sink smtp-source timeout; do
        path=$(PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH" command -v "$t" 2>/dev/null) || path=""
        if [ -z "$path" ] || [ ! -f "$path" ] || [ ! -x "$path" ]; then
            missing="$missing $t"
        fi
    done
    if [ -n "$missing" ]; then
        echo "e2e: missing required tools:$missing" >&2
        echo "e2e: on Debian 12 install: postfix (debconf postfix/main_mailer_type='No configuration') swaks" >&2
        exit 1
    fi
    id postfix >/dev/null 2>&1 || { echo "e2e: user 'postfix' missing (is the postfix package installed?)" >&2; exit 1; }
    if [ ! -d /etc/postfix ] || [ ! -x /usr/lib/postfix/sbin/master ]; then
        echo "e2e: postfix package looks incomplete (/usr/lib/postfix/sbin/master missing)" >&2
        exit 1
    fi
}

# ---------------------------------------------------------------------------
# setup / teardown

# sg_init: create the temp dir, pick ports, write the Postfix config and
# install the cleanup trap.  Does not start anything.
sg_init() {
    [ "$SG_INIT_DONE" = 1 ] && return 0
    export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
    sg_require_tools

    SG_T=$(mktemp -d "${SG_TMPDIR:-${TMPDIR:-/tmp}}/sg-e2e.XXXXXX") || { echo "e2e: mktemp failed" >&2; exit 1; }
    # Postfix daemons run as user postfix and must be able to traverse.
    chmod 0755 "$SG_T"
    trap 'sg_cleanup' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP

    SG_CONF=$SG_T/etc
    SG_SPOOL=$SG_T/spool
    SG_MAILLOG=$SG_T/log/maillog
    SG_SINK_DIR=$SG_T/sink
    SG_SINK_LOG=$SG_T/log/smtp-sink.log
    SG_MILTER_LOG=$SG_T/log/milter.log
    SG_MILTER_PIDFILE=$SG_T/run/milter.pid
    mkdir -p "$SG_CONF" "$SG_SPOOL" "$SG_T/data" "$SG_T/log" "$SG_SINK_DIR" "$SG_T/run"
    chmod 0755 "$SG_CONF" "$SG_SPOOL" "$SG_T/log" "$SG_T/run"
    chown postfix "$SG_SINK_DIR" "$SG_T/data"
    : >"$SG_MILTER_LOG"

    SG_SMTP_PORT=$(sg_free_port) || sg_die "no free port"
    SG_SINK_PORT=$(sg_free_port) || sg_die "no free port"
    [ "$SG_SINK_PORT" != "$SG_SMTP_PORT" ] || SG_SINK_PORT=$(sg_free_port)

    case "$SG_MILTER_SOCKET" in
        unix)
            SG_MILTER_SPEC="unix:$SG_T/run/milter.sock"
            SG_POSTFIX_MILTER="unix:$SG_T/run/milter.sock" ;;
        local)
            SG_MILTER_SPEC="local:$SG_T/run/milter.sock"
            SG_POSTFIX_MILTER="unix:$SG_T/run/milter.sock" ;;
        inet)
            local mp
            mp=$(sg_free_port) || sg_die "no free port"
            SG_MILTER_SPEC="inet:$mp@127.0.0.1"
            SG_POSTFIX_MILTER="inet:127.0.0.1:$mp" ;;
        *) sg_die "SG_MILTER_SOCKET must be unix, local or inet" ;;
    esac
    SG_STORE=$SG_T/quarantine
    mkdir -m 0700 "$SG_STORE"
    if [ -n "$SG_MILTER_USER" ]; then
        chown "$SG_MILTER_USER" "$SG_T/run" "$SG_STORE"
    fi

    # A machine installed with debconf "No configuration" has no default
    # main.cf.  Run as root, every Postfix command used here works without
    # one (checked with Postfix 3.7), but create a minimal, harmless one so
    # that nothing trips over its absence; it is removed on exit.
    if [ ! -e /etc/postfix/main.cf ]; then
        printf '%s\n' '# created by safeguard-milter tests/e2e/lib.sh; removed on exit' \
            'compatibility_level = 3.6' 'inet_interfaces = loopback-only' \
            'mydestination =' >/etc/postfix/main.cf
        SG_CREATED_MAINCF=1
        sg_log "created minimal /etc/postfix/main.cf"
    fi

    sg_write_postfix_config
    SG_INIT_DONE=1
    sg_log "temp dir $SG_T smtp=127.0.0.1:$SG_SMTP_PORT sink=127.0.0.1:$SG_SINK_PORT milter=$SG_MILTER_SPEC"
}

sg_write_postfix_config() {
    cat >"$SG_CONF/main.cf" <<EOF
# Throwaway Postfix instance for safeguard-milter end-to-end tests.
compatibility_level = 3.6
config_directory = $SG_CONF
queue_directory = $SG_SPOOL
data_directory = $SG_T/data
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-sg-e2e
maillog_file = $SG_MAILLOG
maillog_file_prefixes = $SG_T
myhostname = sg-e2e.invalid
mydomain = invalid
myorigin = \$myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks_style = host
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$SG_SINK_PORT
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions =
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
smtp_host_lookup = native
lmtp_host_lookup = native
smtp_tls_security_level = none
smtpd_tls_security_level = none
smtputf8_enable = no
biff = no
in_flow_delay = 0s
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
delay_warning_time = 0h
enable_long_queue_ids = yes
smtpd_client_connection_count_limit = 0
smtpd_milters = $SG_POSTFIX_MILTER
non_smtpd_milters = $SG_POSTFIX_MILTER
milter_default_action = tempfail
milter_protocol = 6
milter_connect_timeout = 5s
milter_command_timeout = 20s
milter_content_timeout = 60s
EOF
    cat >"$SG_CONF/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command
127.0.0.1:$SG_SMTP_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

# sg_postconf PARAM=VALUE...: change the throwaway instance's main.cf
# (call sg_postfix_reload afterwards if Postfix is running).
sg_postconf() {
    postconf -c "$SG_CONF" -e "$@"
}

sg_cleanup() {
    local rc=$?
    [ "$SG_CLEANED" = 1 ] && return "$rc"
    SG_CLEANED=1
    trap - EXIT INT TERM HUP
    [ -n "$SG_T" ] || return "$rc"
    sg_milter_stop >/dev/null 2>&1 || true
    sg_postfix_stop >/dev/null 2>&1 || true
    sg_sink_stop >/dev/null 2>&1 || true
    # any other background job a test left running (smtp-source, swaks)
    local j
    for j in $(jobs -p); do kill "$j" 2>/dev/null || true; done
    if [ "$SG_CREATED_MAINCF" = 1 ]; then
        rm -f /etc/postfix/main.cf
    fi
    if [ "$SG_KEEP" = 1 ] || { [ "$rc" != 0 ] && [ "${SG_KEEP_ON_FAIL:-0}" = 1 ]; }; then
        sg_info "kept temp dir $SG_T"
    else
        rm -rf "$SG_T"
    fi
    return "$rc"
}

# ---------------------------------------------------------------------------
# Postfix

sg_master_pid() {
    local f=$SG_SPOOL/pid/master.pid p
    [ -r "$f" ] || return 1
    p=$(tr -d ' \n' <"$f")
    [ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"
}

sg_postfix_start() {
    [ "$SG_INIT_DONE" = 1 ] || sg_init
    sg_log "starting postfix on 127.0.0.1:$SG_SMTP_PORT"
    if ! postfix -c "$SG_CONF" start >"$SG_T/log/postfix-start.out" 2>&1; then
        cat "$SG_T/log/postfix-start.out" >&2
        sg_die "postfix -c $SG_CONF start failed"
    fi
    SG_POSTFIX_UP=1
    sg_wait_until 30 sg_port_in_use "$SG_SMTP_PORT" \
        || sg_die "postfix smtpd not listening on 127.0.0.1:$SG_SMTP_PORT"
}

sg_postfix_reload() {
    postfix -c "$SG_CONF" reload >>"$SG_T/log/postfix-start.out" 2>&1
}

sg_postfix_stop() {
    [ "$SG_POSTFIX_UP" = 1 ] || return 0
    local pid
    pid=$(sg_master_pid) || pid=""
    postfix -c "$SG_CONF" stop >>"$SG_T/log/postfix-start.out" 2>&1 || true
    if [ -n "$pid" ]; then
        if ! sg_wait_until 20 sh -c "! kill -0 $pid 2>/dev/null"; then
            postfix -c "$SG_CONF" abort >/dev/null 2>&1 || true
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    SG_POSTFIX_UP=0
}

# sg_postqueue_json: postqueue -j of the throwaway instance (one JSON object
# per message, per line).
sg_postqueue_json() {
    postqueue -c "$SG_CONF" -j
}

# sg_postqueue_p: human readable queue listing.
sg_postqueue_p() {
    postqueue -c "$SG_CONF" -p
}

# sg_queue_count [QUEUE]: number of messages in the queue (all queues, or
# just QUEUE = hold|deferred|active|incoming|maildrop).
sg_queue_count() {
    local out
    out=$(sg_postqueue_json) || return 1
    if [ $# -gt 0 ]; then
        printf '%s\n' "$out" | grep -c "\"queue_name\": *\"$1\"" || true
    else
        printf '%s\n' "$out" | grep -c '"queue_id"' || true
    fi
}

# sg_hold_count: messages in the hold queue.
sg_hold_count() { sg_queue_count hold; }

# sg_hold_json: postqueue -j lines for held messages only.
sg_hold_json() { sg_postqueue_json | grep "\"queue_name\": *\"hold\"" || true; }

# sg_in_hold QUEUEID: true if QUEUEID is in the hold queue.
sg_in_hold() {
    sg_hold_json | grep -q "\"queue_id\": *\"$1\""
}

# sg_unheld_count: messages in any queue except hold.
sg_unheld_count() {
    local out
    out=$(sg_postqueue_json) || return 1
    printf '%s\n' "$out" | grep '"queue_id"' | grep -vc "\"queue_name\": *\"hold\"" || true
}

_sg_queue_drained() {
    local n
    n=$(sg_unheld_count) || return 1
    [ "$n" = 0 ]
}

# sg_wait_queue_empty [TIMEOUT]: wait until every queue but hold is empty.
sg_wait_queue_empty() {
    local timeout=${1:-60}
    postqueue -c "$SG_CONF" -f >/dev/null 2>&1 || true
    sg_wait_until "$timeout" _sg_queue_drained
}

# ---------------------------------------------------------------------------
# smtp-sink

sg_sink_start() {
    [ "$SG_INIT_DONE" = 1 ] || sg_init
    sg_log "starting smtp-sink on 127.0.0.1:$SG_SINK_PORT"
    # -d: one file per mail transaction; the per-second subdirectory keeps
    # the random suffix from ever colliding.  -u: drop root to postfix.
    smtp-sink -u postfix -h sg-sink.invalid -m 512 \
        -d "$SG_SINK_DIR/%H%M%S/m." "127.0.0.1:$SG_SINK_PORT" 256 \
        >>"$SG_SINK_LOG" 2>&1 &
    SG_SINK_PID=$!
    sg_wait_until 15 sg_port_in_use "$SG_SINK_PORT" || sg_die "smtp-sink did not start"
}

sg_sink_stop() {
    [ -n "$SG_SINK_PID" ] || return 0
    kill "$SG_SINK_PID" 2>/dev/null || true
    wait "$SG_SINK_PID" 2>/dev/null || true
    SG_SINK_PID=""
}

# sg_sink_count: number of messages delivered to the sink.
sg_sink_count() {
    find "$SG_SINK_DIR" -type f | wc -l | tr -d ' '
}

# sg_sink_files: list delivered message files.
sg_sink_files() { find "$SG_SINK_DIR" -type f | sort; }

# sg_sink_find FIXED-STRING: print the dump files that contain the string.
sg_sink_find() {
    find "$SG_SINK_DIR" -type f -exec grep -lF -- "$1" {} + 2>/dev/null || true
}

# sg_wait_sink_find TIMEOUT FIXED-STRING: wait until some delivered message
# contains the string; prints the file name(s).
sg_wait_sink_find() {
    local timeout=$1 s=$2 deadline=$((SECONDS + $1)) out
    while :; do
        out=$(sg_sink_find "$s")
        if [ -n "$out" ]; then printf '%s\n' "$out"; return 0; fi
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.2
    done
}

# sg_headers FILE: the message header block of a sink dump (the smtp-sink
# X-Client-*/X-*-Args/Received lines come first; the received message's own
# headers follow them up to the first empty line).
sg_headers() {
    sed -n '1,/^\r\{0,1\}$/p' "$1" | tr -d '\r'
}

# ---------------------------------------------------------------------------
# milter

sg_milter_alive() {
    [ -n "$SG_MILTER_PID" ] && kill -0 "$SG_MILTER_PID" 2>/dev/null
}

# identity of a file (inode + ctime), to notice a socket being re-created
_sg_file_id() { stat -c '%i:%.9Z' "$1" 2>/dev/null || echo none; }
_SG_STALE_SOCK_ID=none

_sg_milter_ready() {
    sg_milter_alive || return 2
    case "$SG_MILTER_SPEC" in
        unix:*|local:*)
                local s=${SG_MILTER_SPEC#*:}
                [ -S "$s" ] && [ "$(_sg_file_id "$s")" != "$_SG_STALE_SOCK_ID" ] ;;
        inet:*) local p=${SG_MILTER_SPEC#inet:}; sg_port_in_use "${p%@*}" ;;
    esac
}

# sg_milter_start POLICY [EXTRA ARGS...]: start the milter in the foreground
# (-f) in the background of this shell, syslog copied to stderr (-e) which
# goes to $SG_MILTER_LOG.  Waits until its socket accepts connections.
sg_milter_start() {
    local policy=$1; shift
    [ "$SG_INIT_DONE" = 1 ] || sg_init
    [ -x "$SG_MILTER_BIN" ] || sg_die "milter binary $SG_MILTER_BIN not found (build the project first)"
    [ -r "$policy" ] || sg_die "policy $policy not readable"
    local args=(-c "$policy" -p "$SG_MILTER_SPEC" -P "$SG_MILTER_PIDFILE" -f -e -Q "$SG_STORE")
    [ -n "$SG_MILTER_USER" ] && args+=(-u "$SG_MILTER_USER")
    # A stale socket left by a crashed (kill -9) milter is deliberately
    # NOT removed: the milter must cope with it on restart.
    _SG_STALE_SOCK_ID=none
    case "$SG_MILTER_SPEC" in
        unix:*|local:*) [ -e "${SG_MILTER_SPEC#*:}" ] && _SG_STALE_SOCK_ID=$(_sg_file_id "${SG_MILTER_SPEC#*:}") ;;
    esac
    printf '=== %s starting milter: %s %s\n' "$(date '+%T')" "$SG_MILTER_BIN" "${args[*]} $*" >>"$SG_MILTER_LOG"
    sg_log "starting milter $SG_MILTER_BIN ${args[*]} $*"
    "$SG_MILTER_BIN" "${args[@]}" "$@" </dev/null >>"$SG_MILTER_LOG" 2>&1 &
    SG_MILTER_PID=$!
    local deadline=$((SECONDS + 20)) r
    while :; do
        _sg_milter_ready; r=$?
        [ "$r" = 0 ] && break
        if [ "$r" = 2 ]; then
            wait "$SG_MILTER_PID" 2>/dev/null; r=$?
            SG_MILTER_PID=""
            sg_die "milter exited during startup (status $r)"
        fi
        [ "$SECONDS" -ge "$deadline" ] && sg_die "milter socket $SG_MILTER_SPEC not ready after 20s"
        sleep 0.1
    done
    # Postfix's smtpd/cleanup run as user postfix and must be able to
    # connect to a unix socket that a root-run milter created.
    case "$SG_MILTER_SPEC" in
        unix:*|local:*)
            local s=${SG_MILTER_SPEC#*:}
            chgrp postfix "$s" 2>/dev/null || true
            chmod g+rw "$s" 2>/dev/null || true ;;
    esac
}

# sg_milter_signal SIG: send a signal to the milter.
sg_milter_signal() {
    sg_milter_alive || return 1
    kill -s "$1" "$SG_MILTER_PID"
}

# sg_milter_reload: SIGUSR1.
sg_milter_reload() { sg_milter_signal USR1; }

# sg_milter_kill9: crash the milter (SIGKILL) and reap it.
sg_milter_kill9() {
    [ -n "$SG_MILTER_PID" ] || return 0
    kill -9 "$SG_MILTER_PID" 2>/dev/null || true
    wait "$SG_MILTER_PID" 2>/dev/null || true
    printf '=== %s milter killed with SIGKILL\n' "$(date '+%T')" >>"$SG_MILTER_LOG"
    SG_MILTER_PID=""
}

# sg_milter_stop: SIGTERM, wait up to 15s, then SIGKILL.  Returns the
# milter's exit status (or 137 if it had to be killed).
sg_milter_stop() {
    [ -n "$SG_MILTER_PID" ] || return 0
    local pid=$SG_MILTER_PID rc=0
    kill -TERM "$pid" 2>/dev/null || true
    if ! sg_wait_until 15 sh -c "! kill -0 $pid 2>/dev/null"; then
        kill -9 "$pid" 2>/dev/null || true
        rc=137
    fi
    local wrc=0
    wait "$pid" 2>/dev/null || wrc=$?
    [ "$rc" = 0 ] && rc=$wrc
    SG_MILTER_PID=""
    return "$rc"
}

# sg_milter_events: the milter's one-line-per-message log lines.
sg_milter_events() { grep -a 'event=' "$SG_MILTER_LOG" || true; }

# sg_milter_event_for QUEUEID: the log line of one message.
sg_milter_event_for() { grep -a -E "(^|[^A-Za-z0-9])$1: event=" "$SG_MILTER_LOG" || true; }

# sg_wait_milter_log TIMEOUT EREGEX: wait until the milter log matches.
sg_wait_milter_log() {
    sg_wait_until "$1" grep -aqE -- "$2" "$SG_MILTER_LOG"
}

# ---------------------------------------------------------------------------
# sending

# sg_swaks NAME [SWAKS ARGS...]: send one message through the throwaway
# Postfix with swaks.  The transcript goes to $SG_T/swaks.NAME.out (also
# printed by sg_swaks_out).  Returns swaks' exit status.
sg_swaks() {
    local name=$1; shift
    timeout 120 swaks --server 127.0.0.1 --port "$SG_SMTP_PORT" \
        --helo e2e-client.invalid --timeout 60 "$@" \
        >"$SG_T/swaks.$name.out" 2>&1
}

sg_swaks_out() { cat "$SG_T/swaks.$1.out"; }

# sg_swaks_qid NAME: queue id from "250 ... queued as ID" (empty if none).
sg_swaks_qid() {
    sed -n 's/^<[-~] *250 .*queued as \([0-9A-Za-z]*\).*/\1/p' "$SG_T/swaks.$1.out" | tail -n 1
}

# sg_swaks_data_reply NAME: the server reply to the end of DATA (all lines).
sg_swaks_data_reply() {
    awk '/^ *-> *\.\r?$/ {f=1; next}
         f && /^<(\*\*|-|~) / {print; if ($0 ~ /^<(\*\*|-|~) +[0-9][0-9][0-9] /) exit}' \
        "$SG_T/swaks.$1.out"
}

# ---------------------------------------------------------------------------
# diagnostics

sg_diag() {
    [ -n "$SG_T" ] && [ -d "$SG_T" ] || return 0
    echo "----- diagnostics (temp dir $SG_T) -----"
    echo "--- postfix maillog (last 40 lines):"
    tail -n 40 "$SG_MAILLOG" 2>/dev/null || echo "(none)"
    echo "--- milter log (last 40 lines):"
    tail -n 40 "$SG_MILTER_LOG" 2>/dev/null || echo "(none)"
    echo "--- smtp-sink log (last 10 lines):"
    tail -n 10 "$SG_SINK_LOG" 2>/dev/null || echo "(none)"
    echo "--- sink: $(sg_sink_count 2>/dev/null) message(s)"
    if [ "$(sg_master_pid 2>/dev/null)" ]; then
        echo "--- postqueue -p:"
        timeout 10 postqueue -c "$SG_CONF" -p 2>&1 | tail -n 20
    else
        echo "--- postfix master not running"
    fi
    echo "--- milter: $(sg_milter_alive && echo "running pid $SG_MILTER_PID" || echo "not running")"
    echo "----------------------------------------"
}

# ---------------------------------------------------------------------------
# assertions (each prints "ok: DESC" or fails the test with diagnostics)

# sg_assert DESC CMD...: CMD must succeed.
sg_assert() {
    local d=$1; shift
    "$@" || sg_fail "$d"
    sg_ok "$d"
}

# sg_assert_eq DESC EXPECTED ACTUAL
sg_assert_eq() {
    [ "$2" = "$3" ] || sg_fail "$1: expected '$2', got '$3'"
    sg_ok "$1"
}

# sg_assert_match DESC EREGEX TEXT
sg_assert_match() {
    printf '%s\n' "$3" | grep -qE -- "$2" || sg_fail "$1: /$2/ does not match: $3"
    sg_ok "$1"
}

# sg_assert_nomatch DESC EREGEX TEXT
sg_assert_nomatch() {
    if printf '%s\n' "$3" | grep -qE -- "$2"; then
        sg_fail "$1: /$2/ unexpectedly matches: $(printf '%s\n' "$3" | grep -E -- "$2" | head -n 3)"
    fi
    sg_ok "$1"
}

# sg_assert_file_lacks DESC FIXED-STRING FILE
sg_assert_file_lacks() {
    if grep -aqF -- "$2" "$3"; then
        sg_fail "$1: '$2' found in $3: $(grep -aF -- "$2" "$3" | head -n 3)"
    fi
    sg_ok "$1"
}
