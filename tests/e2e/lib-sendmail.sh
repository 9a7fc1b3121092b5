# shellcheck shell=bash
# tests/e2e/lib-sendmail.sh -- a throwaway real Sendmail for the e2e tests.
#
# Source it after (or instead of) lib.sh, call sg_init, then sgm_init.
# Debian's sendmail-bin conflicts with postfix, which the other tests need
# installed, so Sendmail is never installed: its packages are downloaded
# once into a cache (apt-get download) and unpacked with dpkg-deb -x into
# a private root inside the test's temp directory ($SG_T/smroot). That
# Sendmail runs as root with its own sendmail.cf, built with m4 from the
# package's cf/m4 files and a test .mc whose milter lines are
# contrib/sendmail.mc itself (only the socket path replaced). It listens
# on 127.0.0.1:<free port> only, queues in $SG_T/sm/mqueue and relays
# everything (SMART_HOST) to the harness's smtp-sink. /etc/mail and the
# system Postfix are never touched.
#
# Sendmail reads the host name before its configuration and, when that
# name is unqualified and cannot be qualified from /etc/hosts, sleeps 60s
# on every start (also for mailq). The wrappers below therefore run it in
# its own UTS namespace (unshare --uts) named sg-sm.invalid when they can.
#
# Everything is stopped by the EXIT trap of lib.sh (sg_cleanup is wrapped).
#
# Environment knobs (besides lib.sh's):
#   SG_SENDMAIL_DEBS  cache of the .deb files
#                     (default /var/cache/safeguard-milter/sendmail-debs,
#                     filled by contrib/install-deps.sh or by sgm_fetch_debs)

if ! declare -F sg_init >/dev/null; then
    # shellcheck source=tests/e2e/lib.sh
    . "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
fi

SG_SENDMAIL_DEBS=${SG_SENDMAIL_DEBS:-/var/cache/safeguard-milter/sendmail-debs}
# sendmail-bin's libraries that a Postfix machine lacks come along too, so
# that nothing is installed system-wide; the rest (libmilter, libdb, ldap,
# sasl, ssl, m4) is there already.
SG_SM_PKGS=(sendmail-bin sendmail-base sendmail-cf liblockfile1 libwrap0)
SG_SM_HOSTNAME=sg-sm.invalid

SG_SM_ROOT=""           # the unpacked packages
SG_SM_DIR=""            # config, queue, logs of this instance
SG_SM_CF=""
SG_SM_MC=""
SG_SM_QUEUE=""
SG_SM_PORT=""
SG_SM_PID=""
SG_SM_LOG=""            # the daemon's stdout/stderr
SG_SM_TRAFFIC=""        # -X: every SMTP line in and out
SG_SM_DEBUG=""          # -D with -d64.20: Sendmail's milter conversation (macros sent)
SG_SM_SENDMAIL=""       # wrapper: the private sendmail with -C, as sendmail(1)
SG_SM_MAILQ=""          # wrapper: the private mailq with -C
SG_SM_MILTER=""         # the milter socket as Sendmail spells it (S=)
SG_SM_VERSION=""
SG_SM_INIT_DONE=0

# sgm_fetch_debs: make sure the cache holds every package; downloads
# (after apt-get update when the lists are missing or stale) only what
# is not there.
sgm_fetch_debs() {
    local p missing=() log
    mkdir -p "$SG_SENDMAIL_DEBS" || return 1
    for p in "${SG_SM_PKGS[@]}"; do
        compgen -G "$SG_SENDMAIL_DEBS/${p}_*.deb" >/dev/null || missing+=("$p")
    done
    [ ${#missing[@]} = 0 ] && return 0
    log=$SG_SENDMAIL_DEBS/download.log
    sg_info "downloading ${missing[*]} into $SG_SENDMAIL_DEBS"
    # apt drops to _apt for downloads; a root-only cache makes it warn and
    # download as root, which is fine here.
    if ! (cd "$SG_SENDMAIL_DEBS" && apt-get download -q "${missing[@]}") >"$log" 2>&1; then
        apt-get update -qq >>"$log" 2>&1 || true
        (cd "$SG_SENDMAIL_DEBS" && apt-get download -q "${missing[@]}") >>"$log" 2>&1 || {
            cat "$log" >&2
            return 1
        }
    fi
}

# the newest cached .deb of a package
_sgm_deb() {
    compgen -G "$SG_SENDMAIL_DEBS/${1}_*.deb" | sort -V | tail -n 1
}

# _sgm_libdirs: the unpacked root's library folders, for LD_LIBRARY_PATH.
_sgm_libdirs() {
    find "$SG_SM_ROOT" -name '*.so*' -printf '%h\n' 2>/dev/null | sort -u | paste -sd: -
}

# _sgm_write_wrappers: $SG_SM_DIR/bin/{sendmail,mailq}, each running the
# private binary with -C and the private libraries, in a UTS namespace
# with a qualified host name when unshare allows.
_sgm_write_wrappers() {
    local bindir=$SG_SM_DIR/bin name uts="" libs
    libs=$(_sgm_libdirs)
    if unshare --uts true 2>/dev/null; then
        uts="unshare --uts sh -c 'hostname $SG_SM_HOSTNAME && exec \"\$@\"' sh"
    else
        sg_info "unshare --uts not possible: Sendmail may sleep 60s per start if '$(hostname)' is unqualified"
    fi
    mkdir -p "$bindir"
    for name in sendmail mailq; do
        cat >"$bindir/$name" <<EOF
#!/bin/sh
# The e2e test's private Sendmail (tests/e2e/lib-sendmail.sh).
LD_LIBRARY_PATH='$libs'
export LD_LIBRARY_PATH
exec $uts '$SG_SM_ROOT/usr/libexec/sendmail/$name' -C '$SG_SM_CF' "\$@"
EOF
        chmod 0755 "$bindir/$name"
    done
    SG_SM_SENDMAIL=$bindir/sendmail
    SG_SM_MAILQ=$bindir/mailq
}

# _sgm_write_mc: the test .mc: private paths and ports first, then
# contrib/sendmail.mc as shipped (socket replaced), then the mailers.
_sgm_write_mc() {
    local contrib=$SG_REPO_ROOT/contrib/sendmail.mc shipped
    [ -r "$contrib" ] || sg_die "$contrib missing"
    shipped=$(sed "s|S=local:/run/safeguard/safeguard.sock|S=$SG_SM_MILTER|" "$contrib")
    printf '%s\n' "$shipped" | grep -qF "S=$SG_SM_MILTER," \
        || sg_die "contrib/sendmail.mc has no INPUT_MAIL_FILTER with S=local:/run/safeguard/safeguard.sock to point at the test's milter"
    {
        cat <<EOF
divert(-1)
# Generated by tests/e2e/lib-sendmail.sh for one test run.
divert(0)dnl
OSTYPE(\`linux')dnl
define(\`confCF_VERSION', \`safeguard-e2e')dnl
define(\`confDOMAIN_NAME', \`$SG_SM_HOSTNAME')dnl
define(\`QUEUE_DIR', \`$SG_SM_QUEUE')dnl
define(\`confPID_FILE', \`$SG_SM_DIR/sendmail.pid')dnl
define(\`STATUS_FILE', \`$SG_SM_DIR/statistics')dnl
define(\`ALIAS_FILE', \`')dnl
define(\`HELP_FILE', \`$SG_SM_ROOT/etc/mail/helpfile')dnl
define(\`confHOST_STATUS_DIRECTORY', \`')dnl
define(\`confSERVICE_SWITCH_FILE', \`$SG_SM_DIR/service.switch')dnl
define(\`confHOSTS_FILE', \`$SG_SM_DIR/hosts')dnl
define(\`LOCAL_MAILER_PATH', \`$SG_SM_ROOT/usr/libexec/sendmail/mail.local')dnl
dnl the test's folder is in /tmp (sticky, world-writable)
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl
dnl a busy test machine must not make it refuse or queue-only
define(\`confQUEUE_LA', \`999')dnl
define(\`confREFUSE_LA', \`999')dnl
define(\`confDELAY_LA', \`0')dnl
define(\`confTO_IDENT', \`0s')dnl
define(\`confTO_CONNECT', \`10s')dnl
define(\`confTO_ICONNECT', \`10s')dnl
define(\`confMIN_QUEUE_AGE', \`0')dnl
define(\`confTO_QUEUEWARN', \`0')dnl
define(\`SMART_HOST', \`relay:[127.0.0.1]')dnl
define(\`RELAY_MAILER_ARGS', \`TCP \$h $SG_SINK_PORT')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP \$h $SG_SINK_PORT')dnl
define(\`SMTP_MAILER_ARGS', \`TCP \$h $SG_SINK_PORT')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
DAEMON_OPTIONS(\`Port=$SG_SM_PORT, Addr=127.0.0.1, Name=MTA')dnl
dnl ---- contrib/sendmail.mc ----
EOF
        printf '%s\n' "$shipped"
        cat <<'EOF'
dnl ---- end of contrib/sendmail.mc ----
MAILER(`local')dnl
MAILER(`smtp')dnl
EOF
    } >"$SG_SM_MC"
}

# sgm_init: unpack Sendmail, write its configuration. Does not start it.
sgm_init() {
    [ "$SG_SM_INIT_DONE" = 1 ] && return 0
    [ "$SG_INIT_DONE" = 1 ] || sg_init
    command -v m4 >/dev/null || sg_die "m4 missing (contrib/install-deps.sh)"
    command -v dpkg-deb >/dev/null || sg_die "dpkg-deb missing"
    sgm_fetch_debs || sg_die "cannot download ${SG_SM_PKGS[*]} (apt-get download; see $SG_SENDMAIL_DEBS/download.log)"

    SG_SM_ROOT=$SG_T/smroot
    SG_SM_DIR=$SG_T/sm
    SG_SM_CF=$SG_SM_DIR/sendmail.cf
    SG_SM_MC=$SG_SM_DIR/test.mc
    SG_SM_QUEUE=$SG_SM_DIR/mqueue
    SG_SM_LOG=$SG_T/log/sendmail.out
    SG_SM_TRAFFIC=$SG_T/log/sendmail-traffic.log
    SG_SM_DEBUG=$SG_T/log/sendmail-milter.log
    mkdir -p "$SG_SM_ROOT" "$SG_SM_DIR" "$SG_SM_QUEUE"
    # Sendmail refuses a queue others can write to
    chmod 0700 "$SG_SM_QUEUE"
    chmod 0755 "$SG_SM_DIR"
    local p deb
    for p in "${SG_SM_PKGS[@]}"; do
        deb=$(_sgm_deb "$p")
        [ -n "$deb" ] || sg_die "no cached .deb for $p in $SG_SENDMAIL_DEBS"
        dpkg-deb -x "$deb" "$SG_SM_ROOT" || sg_die "dpkg-deb -x $deb failed"
    done
    local bin=$SG_SM_ROOT/usr/libexec/sendmail/sendmail
    [ -x "$bin" ] || sg_die "no sendmail binary in the unpacked sendmail-bin ($bin)"
    # setgid (smmsp/mail) would make the loader ignore LD_LIBRARY_PATH;
    # this copy runs as root only.
    chmod g-s "$bin"

    SG_SM_PORT=$(sg_free_port) || sg_die "no free port"
    while [ "$SG_SM_PORT" = "$SG_SMTP_PORT" ] || [ "$SG_SM_PORT" = "$SG_SINK_PORT" ]; do
        SG_SM_PORT=$(sg_free_port) || sg_die "no free port"
    done
    case "$SG_MILTER_SPEC" in
        unix:*|local:*) SG_SM_MILTER="local:${SG_MILTER_SPEC#*:}" ;;
        inet:*)         SG_SM_MILTER=$SG_MILTER_SPEC ;;
        *)              sg_die "milter socket $SG_MILTER_SPEC: no Sendmail spelling" ;;
    esac
    printf 'hosts files\naliases files\n' >"$SG_SM_DIR/service.switch"
    printf '127.0.0.1 localhost %s\n' "$SG_SM_HOSTNAME" >"$SG_SM_DIR/hosts"

    _sgm_write_mc
    m4 -D_CF_DIR_="$SG_SM_ROOT/usr/share/sendmail/cf/" \
        "$SG_SM_ROOT/usr/share/sendmail/cf/m4/cf.m4" "$SG_SM_MC" \
        >"$SG_SM_CF" 2>"$SG_T/log/m4.err" || sg_die "m4 failed: $(cat "$SG_T/log/m4.err")"
    [ -s "$SG_T/log/m4.err" ] && sg_die "m4 warned: $(cat "$SG_T/log/m4.err")"
    _sgm_write_wrappers
    SG_SM_VERSION=$("$SG_SM_SENDMAIL" -d0.1 -bt </dev/null 2>&1 | sed -n 's/^Version \([0-9.]*\).*/\1/p' | head -n 1)
    [ -n "$SG_SM_VERSION" ] || sg_die "the unpacked sendmail does not run: $("$SG_SM_SENDMAIL" -d0.1 -bt </dev/null 2>&1 | head -n 5)"
    SG_SM_INIT_DONE=1
    sg_log "sendmail $SG_SM_VERSION on 127.0.0.1:$SG_SM_PORT, cf $SG_SM_CF, milter $SG_SM_MILTER"
}

sgm_alive() {
    [ -n "$SG_SM_PID" ] && kill -0 "$SG_SM_PID" 2>/dev/null
}

# sgm_start: the daemon in the foreground (-bD) in this shell's background,
# running the queue every second (-q1s), every SMTP line logged (-X), and
# its milter debugging (-d64.20: negotiation, each macro sent) written to
# $SG_SM_DEBUG (-D; on stdout it would go into the SMTP sessions).
sgm_start() {
    [ "$SG_SM_INIT_DONE" = 1 ] || sgm_init
    sg_log "starting sendmail on 127.0.0.1:$SG_SM_PORT"
    # unshare and sh -c exec into sendmail: $! is the daemon itself
    "$SG_SM_SENDMAIL" -bD -q1s -X "$SG_SM_TRAFFIC" -D "$SG_SM_DEBUG" -d64.20 \
        </dev/null >>"$SG_SM_LOG" 2>&1 &
    SG_SM_PID=$!
    local deadline=$((SECONDS + 30))
    until sg_port_in_use "$SG_SM_PORT"; do
        sgm_alive || { SG_SM_PID=""; sg_die "sendmail exited at start: $(tail -n 5 "$SG_SM_LOG")"; }
        [ "$SECONDS" -ge "$deadline" ] && sg_die "sendmail not listening on 127.0.0.1:$SG_SM_PORT after 30s"
        sleep 0.2
    done
}

# sgm_stop: SIGTERM the daemon and whatever it forked that is left
# (queue runners, deliveries), by process id.
sgm_stop() {
    [ -n "$SG_SM_PID" ] || return 0
    local pid=$SG_SM_PID kids k
    kids=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
    kill -TERM "$pid" 2>/dev/null || true
    for k in $kids; do kill -TERM "$k" 2>/dev/null || true; done
    if ! sg_wait_until 15 sh -c "! kill -0 $pid 2>/dev/null"; then
        kill -9 "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    for k in $kids; do kill -9 "$k" 2>/dev/null || true; done
    SG_SM_PID=""
}

# sgm_macro_sent STAGE NAME [VALUE-EREGEX]: Sendmail sent macro NAME to the
# milter at STAGE (C connect, M MAIL FROM, R RCPT, E end of message), with
# a value matching VALUE-EREGEX when given.
sgm_macro_sent() {
    local esc
    esc=$(printf '%s' "$2" | sed 's/[{}]/\\&/g')
    grep -aqE "^milter_send_macros\(safeguard, $1\): $esc=${3:-.*}\$" "$SG_SM_DEBUG"
}

# ---------------------------------------------------------------------------
# the queue and the quarantine

# sgm_mailq [ARGS...]: mailq of the private instance (-qQ: the quarantine).
sgm_mailq() { "$SG_SM_MAILQ" "$@"; }

# sgm_in_quarantine QID: QID is in Sendmail's quarantine. Asked as
# safeguard-quarantine can, with nothing but sendmail(1): -Am the MTA's
# queue (as in sgm_release), -bp lists, -qQ the quarantine, -qI only that
# id ("Total requests: 0" when it is not there). A locked entry has "*"
# or "X" after its id.
sgm_in_quarantine() {
    "$SG_SM_SENDMAIL" -Am -bp -qQ -qI"$1" 2>/dev/null | grep -qE "^$1[*X-]?( |\$)"
}

# sgm_in_queue QID: QID waits in the normal queue.
sgm_in_queue() {
    sgm_mailq 2>/dev/null | grep -qE "^$1[*X-]?( |\$)"
}

# sgm_quarantine_reason QID: the "QUARANTINE:" line mailq -qQ shows for QID.
sgm_quarantine_reason() {
    sgm_mailq -qQ 2>/dev/null | awk -v q="$1" '
        $1 ~ "^" q "[*X-]?$" {f = 1; next}
        f && /^[ \t]+QUARANTINE: / {sub(/^[ \t]+QUARANTINE: /, ""); print; exit}
        f && /^[^ \t]/ {exit}'
}

# sgm_quarantine_count: messages in the quarantine.
sgm_quarantine_count() {
    sgm_mailq -qQ 2>/dev/null | sed -n 's/.*Total requests: \([0-9]*\).*/\1/p' | awk '{n += $1} END {print n + 0}'
}

# sgm_release QID: what safeguard-quarantine release does for a message
# Sendmail holds: unquarantine that one message (-qQ selects the
# quarantine, -qI the queue id, -Q without a reason lifts it; never leave
# out -qI, which would release them all), then deliver it at once (a
# normal queue run for that id). Sendmail locks the queue file, so the
# daemon's own queue runner cannot deliver it a second time, and a second
# release finds nothing to do. -Am: the MTA's sendmail.cf and queue, not
# submit.cf's client queue (the wrappers' -C makes it moot here, not on a
# real Sendmail host).
sgm_release() {
    local qid=$1
    [ -n "$qid" ] || return 2
    "$SG_SM_SENDMAIL" -Am -qQ -Q -qI"$qid" || return 1
    "$SG_SM_SENDMAIL" -Am -qI"$qid"
}

# sgm_remove QID: the admin's clean-up of one queued message. Sendmail
# has no command to delete one, so its queue files go (qf, hf, df and xf
# of that id; the queue is flat here, no qf/ df/ subfolders). Safe for a
# quarantined message: no queue run touches it.
sgm_remove() {
    local qid=$1
    [ -n "$qid" ] || return 2
    rm -f "$SG_SM_QUEUE/hf$qid" "$SG_SM_QUEUE/qf$qid" "$SG_SM_QUEUE/df$qid" "$SG_SM_QUEUE/xf$qid"
}

# ---------------------------------------------------------------------------
# sending

# sgm_swaks NAME [SWAKS ARGS...]: one message to the private Sendmail; the
# transcript in $SG_T/swaks.NAME.out, as sg_swaks writes it, so that
# sg_swaks_out and sg_swaks_data_reply read it too.
sgm_swaks() {
    local name=$1; shift
    timeout 120 swaks --server 127.0.0.1 --port "$SG_SM_PORT" \
        --helo e2e-client.invalid --timeout 60 "$@" \
        >"$SG_T/swaks.$name.out" 2>&1
}

# sgm_swaks_qid NAME: queue id from Sendmail's
# "250 2.0.0 <qid> Message accepted for delivery".
sgm_swaks_qid() {
    sed -n 's/^<[-~] *250 2\.0\.0 \([0-9A-Za-z]*\) Message accepted for delivery.*/\1/p' \
        "$SG_T/swaks.$1.out" | tail -n 1
}

# ---------------------------------------------------------------------------
# diagnostics and teardown, folded into lib.sh's

sgm_diag() {
    [ "$SG_SM_INIT_DONE" = 1 ] || return 0
    echo "--- sendmail $SG_SM_VERSION: $(sgm_alive && echo "running pid $SG_SM_PID" || echo "not running")"
    echo "--- sendmail output (last 20 lines):"
    tail -n 20 "$SG_SM_LOG" 2>/dev/null || echo "(none)"
    echo "--- sendmail SMTP traffic (-X, last 30 lines):"
    tail -n 30 "$SG_SM_TRAFFIC" 2>/dev/null || echo "(none)"
    echo "--- mailq:"
    timeout 20 "$SG_SM_MAILQ" 2>&1 | tail -n 20
    echo "--- mailq -qQ:"
    timeout 20 "$SG_SM_MAILQ" -qQ 2>&1 | tail -n 20
}

eval "_sgm_lib_diag() $(declare -f sg_diag | sed 1d)"
eval "_sgm_lib_cleanup() $(declare -f sg_cleanup | sed 1d)"

sg_diag() {
    _sgm_lib_diag
    sgm_diag
}

sg_cleanup() {
    local rc=$?
    sgm_stop >/dev/null 2>&1 || true
    (exit "$rc")
    _sgm_lib_cleanup
}
