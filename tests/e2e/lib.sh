# SPDX-License-Identifier: Apache-2.0
# lib.sh: what the e2e scripts share. Each script sources it right after
# `set -eu` with `. "$(dirname "$0")/lib.sh"` and gets the scratch directory
# $T (removed however the script ends), the pass/fail counters with ok and
# bad, and finish, the last command, which prints "N passed, N failed" and
# fails if anything did. The scripts own their checks; this file owns only
# that frame. Owned by the CLI (core/main.c) work, like the scripts.

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM

passed=0
failed=0

ok() {
    passed=$((passed + 1))
}

# bad WHAT...: counts a failure and names it on stderr. A script that sets
# E2E_STDERR to the file where it keeps the stderr of the command under test
# gets that file's lines shown too.
bad() {
    failed=$((failed + 1))
    echo "FAIL: $*" >&2
    if [ -n "${E2E_STDERR:-}" ] && [ -s "$E2E_STDERR" ]; then
        sed 's/^/    stderr: /' "$E2E_STDERR" >&2
    fi
}

finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# ---- running the service -----------------------------------------------------
# start_profcol PROFCOL CONFIG [ARGS...]: starts `PROFCOL --config CONFIG` in
# the background with a ready file and waits (10 s at most) until every
# listener is bound. Sets PCOL_PID, PCOL_READY and PCOL_LOG (its stderr).
start_profcol() {
    _bin=$1
    _cfg=$2
    shift 2
    PCOL_READY="$T/ready.$$.$(date +%s%N)"
    PCOL_LOG="$PCOL_READY.log"
    "$_bin" --config "$_cfg" --ready-file "$PCOL_READY" "$@" 2>"$PCOL_LOG" &
    PCOL_PID=$!
    wait_for_file "$PCOL_READY" || {
        echo "profcol did not become ready; its log:" >&2
        sed 's/^/    /' "$PCOL_LOG" >&2
        return 1
    }
}

# wait_for_file PATH [TENTHS]: waits until PATH exists (default 10 s).
wait_for_file() {
    _n=${2:-100}
    while [ ! -e "$1" ] && [ "$_n" -gt 0 ]; do
        sleep 0.1
        _n=$((_n - 1))
    done
    [ -e "$1" ]
}

# port_of KIND ID: the port a listener of the running profcol is bound to,
# from the ready file (lines: KIND ID PROTOCOL HOST:PORT).
port_of() {
    awk -v k="$1" -v i="$2" '$1 == k && $2 == i { n = split($4, a, ":"); print a[n]; exit }' \
        "$PCOL_READY"
}

# stop_profcol [SIGNAL]: signals the running profcol (TERM by default), waits
# up to 20 s, and sets PCOL_EXIT to its exit status (124 if it hung: killed).
stop_profcol() {
    kill -"${1:-TERM}" "$PCOL_PID" 2>/dev/null || true
    _n=200
    while kill -0 "$PCOL_PID" 2>/dev/null && [ "$_n" -gt 0 ]; do
        sleep 0.1
        _n=$((_n - 1))
    done
    if kill -0 "$PCOL_PID" 2>/dev/null; then
        kill -KILL "$PCOL_PID" 2>/dev/null || true
        wait "$PCOL_PID" 2>/dev/null || true
        PCOL_EXIT=124
        return 0
    fi
    PCOL_EXIT=0
    wait "$PCOL_PID" || PCOL_EXIT=$?
}

# samples FILE...: the number of samples `go tool pprof -raw` shows, summed
# over the files (OTLP that cannot share one pprof converts to several).
samples() {
    total=0
    for f in "$@"; do
        n=$(go tool pprof -raw "$f" 2>/dev/null | awk '
            /^Samples:/ { on = 1; getline; next }
            /^Locations/ { on = 0 }
            on && /^ *-?[0-9]+( +-?[0-9]+)*:/ { n++ }
            END { print n + 0 }') || return 1
        total=$((total + n))
    done
    echo "$total"
}

# ---- checks ---------------------------------------------------------------------
# check WHAT COMMAND...: counts a pass when COMMAND succeeds (its standard
# output is not shown), a failure named WHAT otherwise.
check() {
    _what=$1
    shift
    if "$@" >/dev/null; then ok; else bad "$_what"; fi
}

# ---- recording test servers ----------------------------------------------------
# start_server NAME ARGS...: starts the script's test server
# `$PY $SERVER [$SERVER_MODE] $T/NAME.port $T/NAME ARGS...` in the background;
# it writes its port to the first path and what it received under the
# second. Sets SPID and SPORT; stop_server ends it.
start_server() {
    _name=$1
    shift
    rm -rf "$T/$_name" "$T/$_name.port"
    "$PY" "$SERVER" ${SERVER_MODE:+"$SERVER_MODE"} "$T/$_name.port" "$T/$_name" "$@" \
        2>"$T/$_name.err" &
    SPID=$!
    if ! wait_for_file "$T/$_name.port" 100; then
        bad "the test server $_name did not start"
        sed 's/^/    /' "$T/$_name.err" >&2
        return 1
    fi
    SPORT=$(cat "$T/$_name.port")
}

stop_server() {
    kill "$SPID" 2>/dev/null || true
    wait "$SPID" 2>/dev/null || true
}

# calls DIR [STATUS]: how many requests the server logged in DIR/calls.log
# (with that status).
calls() {
    [ -e "$1/calls.log" ] || { echo 0; return; }
    if [ $# -gt 1 ]; then
        awk -v s="$2" '$2 == s { n++ } END { print n + 0 }' "$1/calls.log"
    else
        wc -l <"$1/calls.log" | tr -d ' '
    fi
}

# wait_calls DIR N: waits (15 s at most) until the server logged N requests.
wait_calls() {
    _n=150
    while [ "$(calls "$1")" -lt "$2" ] && [ "$_n" -gt 0 ]; do
        sleep 0.1
        _n=$((_n - 1))
    done
    [ "$(calls "$1")" -ge "$2" ]
}
