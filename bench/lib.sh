# Shared by the bench/run-*.sh scripts; sourced after `set -euo pipefail`, it finds the JDK, builds
# the jar when needed and sets $root and $java. The script sets $tmp and $limit_s (the hard limit
# on every process it starts), and keeps in $backend_pid, $gateway_pid, $gateway_jvm and $load_pid
# what is running: on exit, failure included, cleanup stops them and removes $tmp.

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/java-env.sh"
"$root/gatehouse" version >/dev/null   # builds target/gatehouse.jar when missing or older than the sources
java="$JAVA_HOME/bin/java"

backend_pid=""
gateway_pid=""   # the `timeout` wrapper; signals sent to it reach the JVM
gateway_jvm=""   # the JVM itself, in case the wrapper is gone
load_pid=""

# Sends SIGTERM, waits up to $2 seconds, then SIGKILL.
stop() {
  local pid=$1 grace=$2 i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  stop "$load_pid" 2
  stop "$gateway_pid" 15
  # Only if that PID is still our gateway (its command line names our temp dir), never a reused one.
  if [ -n "$gateway_jvm" ] && grep -qF "$tmp" "/proc/$gateway_jvm/cmdline" 2>/dev/null; then
    stop "$gateway_jvm" 5
  fi
  stop "$backend_pid" 5
  [ -z "${tmp:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  local script=${0##*/}
  echo "${script%.sh}: $*" >&2
  if [ -f "${tmp:-}/gateway.log" ]; then
    echo "--- last lines of the gateway log:" >&2
    tail -n 20 "$tmp/gateway.log" >&2
  fi
  exit 1
}

# CPU time of a process in seconds, "user system"; "" when it is gone.
cpu_seconds() {
  local stat
  [ -n "$1" ] || return 0
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  # Fields after the command name: state is 1st, utime 12th, stime 13th.
  echo "${stat##*) }" | awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f %.2f", $12 / hz, $13 / hz }'
}

# Whole machine: "busy_jiffies total_jiffies iowait_jiffies" from /proc/stat.
machine_jiffies() {
  awk '/^cpu / { total = 0; for (i = 2; i <= NF; i++) total += $i; print total - $5 - $6, total, $6 }' /proc/stat
}

# Percentage of the machine's CPU time that was busy during the next second.
busy_percent() {
  local b1 t1 w1 b2 t2 w2
  read -r b1 t1 w1 < <(machine_jiffies)
  sleep 1
  read -r b2 t2 w2 < <(machine_jiffies)
  echo $((100 * (b2 - b1) / (t2 - t1 > 0 ? t2 - t1 : 1)))
}

# The value of key=... in a line of key=value pairs.
field() {
  sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2" | head -n 1
}

# Differences and rates, computed by awk (bash has no floating point).
calc() { awk "BEGIN { $1 }"; }

# Total CPU seconds between two "user system" readings, "?" when one is missing; with "split",
# also "(user U, system S)".
delta() {
  local u1 s1 u2 s2
  read -r u1 s1 <<<"$1"
  read -r u2 s2 <<<"$2"
  [ -n "$s1" ] && [ -n "$s2" ] || { echo "?"; return; }
  if [ "${3:-}" = split ]; then
    calc "printf \"%.2f (user %.2f, system %.2f)\", $u2 + $s2 - $u1 - $s1, $u2 - $u1, $s2 - $s1"
  else
    calc "printf \"%.2f\", $u2 + $s2 - $u1 - $s1"
  fi
}

# Anything else running on the machine competes for the same CPUs and disk: measures it into
# $busy_before_run, waiting up to $1 seconds for it to fall below 10 %.
wait_for_idle() {
  local waited
  busy_before_run=$(busy_percent)
  for ((waited = 0; waited < $1 && busy_before_run >= 10; waited++)); do
    busy_before_run=$(busy_percent)
  done
}

# The gateway runs from a copy, so that a rebuild of target/ during the run cannot pull the jar
# from under it; the load programs are compiled once, so that no compiler runs inside a measured
# window. Sets $jar_built.
prepare_programs() {
  cp "$root/target/gatehouse.jar" "$tmp/gatehouse.jar" || fail "no $root/target/gatehouse.jar to run"
  jar_built=$(date -u -r "$root/target/gatehouse.jar" '+%Y-%m-%d %H:%M:%S UTC')
  mkdir "$tmp/classes"
  # -sourcepath: the classes they share, beside them in bench/
  "$JAVA_HOME/bin/javac" -d "$tmp/classes" -sourcepath "$root/bench" "$root/bench/SmtpLoad.java" \
    "$root/bench/SmtpRcptLoad.java"
}

# Starts a back-end ($1: its name in messages; then its command) and waits for its stats file
# $tmp/backend.stats; sets $backend_pid and $backend_port.
start_backend() {
  local name=$1 i
  shift
  "$@" --stats-file "$tmp/backend.stats" --max-seconds "$limit_s" >"$tmp/backend.log" 2>&1 &
  backend_pid=$!
  for ((i = 0; i < 300; i++)); do
    [ -s "$tmp/backend.stats" ] && break
    kill -0 "$backend_pid" 2>/dev/null || fail "the $name did not start: $(cat "$tmp/backend.log")"
    sleep 0.1
  done
  backend_port=$(field port "$(cat "$tmp/backend.stats" 2>/dev/null)")
  [ -n "$backend_port" ] || fail "the $name did not report its port within 30 s"
}

# The value of key=... in the back-end's stats file.
backend_stat() { field "$1" "$(cat "$tmp/backend.stats")"; }

# The start of the gateway's configuration: all on loopback, its data in $tmp; the script adds its
# callout and policy sections.
gateway_yaml() {
  cat <<EOF
hostname: bench.test
data_dir: $tmp/data
smtp:
  listen: ["127.0.0.1:0"]
  max_connections_per_ip: 1000   # every session of the load comes from 127.0.0.1
  shutdown_grace: 5s
dns:
  servers: ["127.0.0.1:1"]       # nothing here needs DNS; should anything ask, it stays on loopback
  timeout: 1s
EOF
}

# Starts the gateway on $tmp/gatehouse.yaml (with $GATEWAY_JAVA_OPTS, and JDK Flight Recorder when
# $JFR_OUT is set) and waits until it listens; sets $gateway_pid, $gateway_port and $gateway_jvm.
start_gateway() {
  local gateway_opts=() i
  if [ -n "${GATEWAY_JAVA_OPTS:-}" ]; then
    read -r -a gateway_opts <<<"$GATEWAY_JAVA_OPTS"
  fi
  if [ -n "${JFR_OUT:-}" ]; then
    # Dumped with jcmd before the gateway stops (dump_recording): its SIGTERM handler halts the
    # JVM, so JFR's own dump-on-exit would not run.
    gateway_opts+=("-XX:StartFlightRecording=name=bench,settings=profile${JFR_OPTIONS:+,$JFR_OPTIONS}")
  fi
  : >"$tmp/gateway.log"   # exists before the JVM opens it: the wait below reads it at once
  timeout --kill-after=10 "$limit_s" "$java" "${gateway_opts[@]}" -jar "$tmp/gatehouse.jar" run \
    --config "$tmp/gatehouse.yaml" >"$tmp/gateway.log" 2>&1 &
  gateway_pid=$!
  gateway_port=""
  for ((i = 0; i < 600; i++)); do
    gateway_port=$(sed -n 's/.*smtp_listening address=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/gateway.log" | head -n 1)
    [ -n "$gateway_port" ] && break
    kill -0 "$gateway_pid" 2>/dev/null || fail "the gateway exited during start-up"
    sleep 0.1
  done
  [ -n "$gateway_port" ] || fail "the gateway did not log smtp_listening within 60 s"
  gateway_jvm=$(pgrep -P "$gateway_pid" -n java || true)   # the JVM under `timeout`, for its CPU time
}

# Writes the gateway's JDK Flight Recorder recording to $JFR_OUT, when asked for.
dump_recording() {
  if [ -n "${JFR_OUT:-}" ] && [ -n "$gateway_jvm" ]; then
    "$JAVA_HOME/bin/jcmd" "$gateway_jvm" JFR.dump name=bench filename="$JFR_OUT" >/dev/null \
      && echo "JFR recording of the gateway: $JFR_OUT"
  fi
}

# The machine, for the summary: sets $cpus, $model, $ram and $jdk.
describe_machine() {
  cpus=$(nproc)
  model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
  ram=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
  jdk=$("$java" -version 2>&1 | head -n 1)
}
