# Sourced by the set-up scripts (setup-venv.sh, system-deps.sh, docker-up.sh, demo.sh, test.sh)
# so that set-up says what it does, a line before each step, and never sits silent for a minute:
#
#   step TEXT                  prints "==> TEXT" before the step starts
#   note TEXT                  prints "    TEXT" (a step's outcome)
#   quietly PATTERN CMD...     runs CMD with its output in a log file instead of on the screen.
#                              On a terminal (and not under CI=true) one dot per output line
#                              matching the extended regex PATTERN (a package fetched or set up;
#                              an empty PATTERN, no dots), then "done in N s". Under CI or
#                              without a terminal the output stays plain: no dots, only the
#                              "done" line. When CMD fails: the log's last 30 lines on stderr,
#                              and CMD's exit code.
#
# Plain or dotted is decided once, when this file is sourced: dots only when stdout is a
# terminal and CI is not "true".

if [ -t 1 ] && [ "${CI:-}" != true ]; then
    _progress_dots=1
else
    _progress_dots=0
fi

step() { printf '==> %s\n' "$*"; }

note() { printf '    %s\n' "$*"; }

# One dot per line of stdin matching $1; a newline after the last dot.
_progress_dot_lines() {
    local pattern=$1 line dotted=0
    while IFS= read -r line; do
        if [ -n "$pattern" ] && [[ $line =~ $pattern ]]; then
            [ "$dotted" = 1 ] || printf '    '
            printf '.'
            dotted=1
        fi
    done
    [ "$dotted" = 0 ] || printf '\n'
}

quietly() {
    local pattern=$1
    shift
    local log code=0 start=$SECONDS
    log=$(mktemp "${TMPDIR:-/tmp}/zenboard-setup.XXXXXX")
    if [ "$_progress_dots" = 1 ]; then
        # pipefail (set by the caller or here, in a subshell) gives CMD's code: tee and the dot
        # counter do not fail.
        (set -o pipefail; "$@" 2>&1 </dev/null | tee "$log" | _progress_dot_lines "$pattern") \
            || code=$?
    else
        "$@" >"$log" 2>&1 </dev/null || code=$?
    fi
    if [ "$code" != 0 ]; then
        grep -v '^WARNING: Location ' "$log" | tail -n 30 >&2
        printf '    failed (exit code %s): %s\n    whole output: %s\n' "$code" "$*" "$log" >&2
        return "$code"
    fi
    rm -f "$log"
    note "done in $((SECONDS - start)) s"
}
