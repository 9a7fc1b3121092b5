#!/bin/bash
# tests/milter/run.sh -- milter-level tests for safeguard-milter (miltertest).
#
# Starts the built milter on a private unix socket with tests/milter/policy.yaml
# (a frozen copy of the example policy the scripts' expectations are built on),
# runs every tests/milter/t-*.lua through miltertest (one message each;
# they load their shared code, common.lua, from $SG_MILTER_DIR),
# then checks the milter's log and that SIGTERM stops it within 5 seconds.
#
# Usable as an automake test (TESTS += tests/milter/run.sh; the Makefile
# passes top_srcdir and top_builddir) or by hand: bash tests/milter/run.sh
#
# Output: one "PASS name" / "FAIL name" line per script and per log or
# shutdown check, then "N passed, M failed".  Exit 0 if all passed, 1 if
# any failed, 77 (automake SKIP) only when miltertest is not installed.
#
# Environment (all optional):
#   top_srcdir, top_builddir  default: this script's ../..
#   MILTERTEST                miltertest binary (default: from PATH)
#   SG_MILTER_POLICY          policy (default: $top_srcdir/tests/milter/policy.yaml)
#   SG_KEEP=1                 keep the temp directory (socket, log, outputs)

set -u

case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
here=$(cd "$here" && pwd)
top_srcdir=${top_srcdir:-$here/../..}
top_builddir=${top_builddir:-$here/../..}
testdir=$top_srcdir/tests/milter
milter=$top_builddir/milter/safeguard-milter
policy=${SG_MILTER_POLICY:-$testdir/policy.yaml}
miltertest=${MILTERTEST:-$(command -v miltertest 2>/dev/null)}

if [ -z "$miltertest" ]; then
    echo "SKIP: miltertest is not installed (Debian package miltertest)"
    exit 77
fi

# Body text of the messages the scripts send: none of it may reach the log.
body_markers=(
    "lunch on friday"
    "child protection plan"
    "disciplinary hearing"
    "fuck"
    "timetable"
    "SGksDQp3aGF0IHRoZSBmdWNrIGhhcHBlbmVkIHdpdGggdGhlIHRpbWV0YWJsZT8NCg"
)

passed=0
failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() {
    echo "FAIL $1"
    failed=$((failed + 1))
    if [ $# -gt 1 ]; then
        printf '%s\n' "$2" | sed 's/^/    /'
    fi
}
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ] && exit 0
    exit 1
}

# A short temp path: unix socket paths are limited to ~107 bytes.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sgmt.XXXXXX" 2>/dev/null)
if [ -z "$tmp" ] || [ ${#tmp} -gt 80 ]; then
    [ -n "$tmp" ] && rmdir "$tmp"
    tmp=$(mktemp -d /tmp/sgmt.XXXXXX) || { fail setup "cannot create a temp directory"; finish; }
fi
sock=$tmp/milter.sock
log=$tmp/milter.log
pid=""

# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    if [ "${SG_KEEP:-0}" = 1 ]; then
        echo "kept $tmp" >&2
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

show_log() { echo "--- milter log ($log):"; sed 's/^/    /' "$log" 2>/dev/null; }

# --- start the milter -------------------------------------------------------

if [ ! -x "$milter" ]; then
    fail milter-start "no milter binary at $milter (run make first)"
    finish
fi
if [ ! -r "$policy" ]; then
    fail milter-start "cannot read policy $policy"
    finish
fi

"$milter" -f -e -Q "$tmp/quarantine" -c "$policy" -p "unix:$sock" 2>"$log" &
pid=$!

up=0
for _ in $(seq 1 100); do                       # up to 10 s
    if [ -S "$sock" ]; then up=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if [ "$up" != 1 ]; then
    fail milter-start "milter did not create $sock$(echo; show_log)"
    finish
fi

# --- one miltertest run per script -----------------------------------------

scripts=("$testdir"/t-*.lua)
if [ ! -e "${scripts[0]}" ]; then
    fail scripts "no t-*.lua scripts in $testdir"
    scripts=()
fi

timeout_cmd=()
command -v timeout >/dev/null 2>&1 && timeout_cmd=(timeout 60)

n=0
qids=()
for script in "${scripts[@]}"; do
    name=$(basename "$script" .lua)
    n=$((n + 1))
    # Queue id for the "i" macro: letters and digits only, unique per script.
    qid=$(printf 'MT%02d%s' "$n" "$(printf '%s' "${name#t-}" | LC_ALL=C tr -cd '[:alnum:]' | LC_ALL=C tr '[:lower:]' '[:upper:]')")
    qids+=("$qid")
    out=$tmp/$name.out
    SG_MILTER_DIR=$testdir SG_SOCKET=$sock SG_LOG=$log SG_QID=$qid \
        "${timeout_cmd[@]}" "$miltertest" -s "$script" >"$out" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then
        pass "$name"
    else
        fail "$name" "miltertest exit status $rc$(echo; cat "$out")"
    fi
done

# --- internal failure: tempfail, logged, never a silent accept ---------------
# A second milter whose spool cannot spill (1 KB in memory, the spill
# folder gone) must answer 451 4.7.1 for a larger message and log the error.

sock2=$tmp/tempfail.sock
log2=$tmp/tempfail.log
sed '/^ *spool_memory:/d' "$policy" >"$tmp/tempfail.yaml"
if grep -q '^limits:' "$tmp/tempfail.yaml"; then
    sed -i 's/^limits:/limits:\n  spool_memory: 1k/' "$tmp/tempfail.yaml"
else
    printf 'limits:\n  spool_memory: 1k\n' >>"$tmp/tempfail.yaml"
fi
# The folder exists at start (the start-up check insists on it) and goes
# away afterwards, as a full or unmounted disk would.
mkdir -p "$tmp/spill-dir"
"$milter" -f -e -Q "$tmp/quarantine" -c "$tmp/tempfail.yaml" -p "unix:$sock2" -T "$tmp/spill-dir" 2>"$log2" &
pid2=$!
for _ in $(seq 1 100); do [ -S "$sock2" ] && break; sleep 0.1; done
rmdir "$tmp/spill-dir"
out=$tmp/x-tempfail.out
SG_MILTER_DIR=$testdir SG_SOCKET=$sock2 SG_LOG=$log2 SG_QID=MTXTEMPFAIL \
    "${timeout_cmd[@]}" "$miltertest" -s "$testdir/x-tempfail.lua" >"$out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q 'MTXTEMPFAIL: event=sg-[0-9a-f]* action=tempfail .*error="cannot spool' "$log2"; then
    pass x-tempfail
else
    fail x-tempfail "miltertest exit status $rc$(echo; cat "$out"; echo; cat "$log2")"
fi
kill -TERM "$pid2" 2>/dev/null
wait "$pid2" 2>/dev/null

# --- start-up refusals: clear, and nothing left half-running ---------------

# A spool folder the milter cannot write to is refused at start, not at
# the first large message.
out=$tmp/refuse-tmpdir.out
"${timeout_cmd[@]}" "$milter" -f -e -Q "$tmp/quarantine" -c "$policy" -p "unix:$tmp/refuse.sock" -T "$tmp/no-such-dir" >"$out" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && grep -q "cannot write to the spool directory $tmp/no-such-dir" "$out" && [ ! -S "$tmp/refuse.sock" ]; then
    pass refuse-unwritable-tmpdir
else
    fail refuse-unwritable-tmpdir "exit $rc$(echo; cat "$out")"
fi

# A second instance on the socket a live milter answers on must refuse,
# and the first must still answer afterwards.
out=$tmp/second.out
"${timeout_cmd[@]}" "$milter" -f -e -Q "$tmp/quarantine" -c "$policy" -p "unix:$sock" >"$out" 2>&1
rc=$?
probe=$tmp/probe.out
SG_MILTER_DIR=$testdir SG_SOCKET=$sock SG_LOG=$log SG_QID=MTXSECOND \
    "${timeout_cmd[@]}" "$miltertest" -s "$testdir/t-accept.lua" >"$probe" 2>&1
rc2=$?
if [ "$rc" -ne 0 ] && grep -q "in use by a running milter" "$out" && [ "$rc2" -eq 0 ]; then
    pass refuse-second-instance
    qids+=(MTXSECOND)
else
    fail refuse-second-instance "second exit $rc, probe exit $rc2$(echo; cat "$out" "$probe")"
fi

# --- a truncated nightly export is refused on reload, the old one kept ------
sdir=$tmp/shrink
mkdir -p "$sdir"
{ echo "Forename,Surname,Email"; for i in $(seq 1 10); do echo "P$i,Pupil,p$i@pupils.northfield.sch.uk"; done; } >"$sdir/pupils.csv"
cat >"$sdir/policy.yaml" <<EOP
school:
  name: Shrink Test
  staff_domains: [northfield.sch.uk]
  pupil_domains: [pupils.northfield.sch.uk]
directory:
  pupils: pupils.csv
rules:
  - id: r1
    category: offensive
    action: reject
    cite: "Test 1"
    match: {phrases: [purple elephant]}
EOP
slog=$sdir/milter.log
"$milter" -f -e -Q "$tmp/quarantine" -r 0 -c "$sdir/policy.yaml" -p "unix:$sdir/m.sock" -T "$tmp" 2>"$slog" &
spid=$!
for _ in $(seq 1 100); do [ -S "$sdir/m.sock" ] && break; sleep 0.1; done
head -n 3 "$sdir/pupils.csv" >"$sdir/short.csv" && mv "$sdir/short.csv" "$sdir/pupils.csv"
kill -USR1 "$spid"
for _ in $(seq 1 50); do grep -q "keeping the previous policy" "$slog" && break; sleep 0.1; done
if grep -q "policy reload (SIGUSR1) failed; keeping the previous policy" "$slog" &&
   grep -q "pupils.csv has 2 rows where the running directory has 10" "$slog"; then
    pass reload-refuses-truncated-export
else
    fail reload-refuses-truncated-export "$(cat "$slog")"
fi
kill -TERM "$spid" 2>/dev/null
wait "$spid" 2>/dev/null

# --- the log: one action= line per message, no body text -------------------

problems=""
total=$(grep -c ' action=' "$log")
if [ "$total" -ne "${#qids[@]}" ]; then
    problems+="expected ${#qids[@]} action= lines (one per message), found $total"$'\n'
fi
for qid in "${qids[@]}"; do
    c=$(grep -c ": $qid: event=sg-[0-9a-f]* action=" "$log")
    [ "$c" -eq 1 ] || problems+="queue id $qid: $c action= lines, expected 1"$'\n'
done
if [ -z "$problems" ]; then
    pass log-one-line-per-message
else
    fail log-one-line-per-message "$problems$(show_log)"
fi

problems=""
for m in "${body_markers[@]}"; do
    if grep -qiF -- "$m" "$log"; then
        problems+="body text \"$m\" appears in the log"$'\n'
    fi
done
if [ -z "$problems" ]; then
    pass log-no-body-text
else
    fail log-no-body-text "$problems$(show_log)"
fi

# --- SIGTERM stops the milter cleanly ---------------------------------------
# libmilter's listener notices the stop flag on its next poll (about 4 s).

kill -TERM "$pid" 2>/dev/null
stopped=0
for _ in $(seq 1 100); do                       # 10 s
    if ! kill -0 "$pid" 2>/dev/null; then stopped=1; break; fi
    sleep 0.1
done
if [ "$stopped" = 1 ]; then
    wait "$pid"
    status=$?
    pid=""
    if [ "$status" -eq 0 ] && grep -q "stopped" "$log" && [ ! -e "$sock" ]; then
        pass milter-sigterm
    else
        fail milter-sigterm "after SIGTERM: exit status $status (want 0), \"stopped\" logged and socket removed expected$(echo; show_log)"
    fi
else
    fail milter-sigterm "milter still running 10 s after SIGTERM"
fi

finish
