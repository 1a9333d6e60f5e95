#!/usr/bin/env bash
# SMTP throughput of Gatehouse (issue 2): load generator -> gateway -> fast sink back-end, all on
# 127.0.0.1. Prints accepted msg/s (what the gateway acknowledged with 250, i.e. spooled and
# fsynced) and end-to-end msg/s (until the sink has received every accepted message).
#
#   bench/run-smtp-load.sh                       # 20 sessions, 2000 messages of 2 KiB
#   SESSIONS=200 MESSAGES=4000 SIZE=8KiB bench/run-smtp-load.sh
#
# Environment:
#   SESSIONS, MESSAGES, SIZE     the load (defaults 20, 2000, 2KiB)
#   PER_SESSION                  messages per connection before reconnecting (default: no limit)
#   WARMUP                       messages sent first and not measured, to warm the JIT (default 0)
#   DRAIN_TIMEOUT                seconds to wait for the sink to receive everything (default 120)
#   WAIT_IDLE                    wait up to this many seconds for the machine to be idle first (default 0)
#   GATEWAY_JAVA_OPTS            extra JVM options for the gateway
#   JFR_OUT                      profile the gateway with JDK Flight Recorder into this file
#   JFR_OPTIONS                  more -XX:StartFlightRecording options, e.g. jdk.CPUTimeSample#enabled=true
#
# Everything started here stops by itself (time limits) and is stopped on exit, failure included.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/java-env.sh"
"$root/gatehouse" version >/dev/null   # builds target/gatehouse.jar when missing or older than the sources
java="$JAVA_HOME/bin/java"

sessions=${SESSIONS:-20}
messages=${MESSAGES:-2000}
size=${SIZE:-2KiB}
per_session=${PER_SESSION:-}
drain_timeout=${DRAIN_TIMEOUT:-120}
warmup=${WARMUP:-0}
wait_idle=${WAIT_IDLE:-0}
limit_s=900   # hard limit on every process started here

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-bench.XXXXXX")
sink_pid=""
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
  stop "$sink_pid" 5
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "run-smtp-load: $*" >&2
  if [ -f "$tmp/gateway.log" ]; then
    echo "--- last lines of the gateway log:" >&2
    tail -n 20 "$tmp/gateway.log" >&2
  fi
  exit 1
}

# CPU time of a process in seconds, "user system"; "" when it is gone.
cpu_seconds() {
  local stat
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

# Anything else running on the machine competes for the same CPUs and disk: say so in the results.
busy_before_run=$(busy_percent)
for ((waited = 0; waited < wait_idle && busy_before_run >= 10; waited++)); do
  busy_before_run=$(busy_percent)
done

# The gateway runs from a copy, so that a rebuild of target/ during the run cannot pull the jar
# from under it.
cp "$root/target/gatehouse.jar" "$tmp/gatehouse.jar" || fail "no $root/target/gatehouse.jar to run"
jar_built=$(date -u -r "$root/target/gatehouse.jar" '+%Y-%m-%d %H:%M:%S UTC')

# The load generator is compiled once, so that neither its start-up nor a compiler runs inside
# the measured window.
mkdir "$tmp/classes"
"$JAVA_HOME/bin/javac" -d "$tmp/classes" "$root/bench/SmtpLoad.java"
smtp_load=("$java" -cp "$tmp/classes" SmtpLoad)

# --- the sink ------------------------------------------------------------------------------------
"${smtp_load[@]}" sink --port 0 --stats-file "$tmp/sink.stats" --max-seconds "$limit_s" \
  >"$tmp/sink.log" 2>&1 &
sink_pid=$!
for ((i = 0; i < 300; i++)); do
  [ -s "$tmp/sink.stats" ] && break
  kill -0 "$sink_pid" 2>/dev/null || fail "the sink did not start: $(cat "$tmp/sink.log")"
  sleep 0.1
done
sink_port=$(field port "$(cat "$tmp/sink.stats" 2>/dev/null)")
[ -n "$sink_port" ] || fail "the sink did not report its port within 30 s"

# --- the gateway ---------------------------------------------------------------------------------
cat >"$tmp/gatehouse.yaml" <<EOF
hostname: bench.test
data_dir: $tmp/data
smtp:
  listen: ["127.0.0.1:0"]
  max_connections_per_ip: 1000   # every session of the load comes from 127.0.0.1
  shutdown_grace: 5s
dns:
  servers: ["127.0.0.1:1"]       # nothing here needs DNS; should anything ask, it stays on loopback
  timeout: 1s
policy:
  recipient_verification: none
  domains:
    - name: bench.test
      backend: ["127.0.0.1:$sink_port"]
      verification: none
EOF

gateway_opts=()
if [ -n "${GATEWAY_JAVA_OPTS:-}" ]; then
  read -r -a gateway_opts <<<"$GATEWAY_JAVA_OPTS"
fi
if [ -n "${JFR_OUT:-}" ]; then
  # Dumped with jcmd before the gateway stops: its SIGTERM handler halts the JVM, so JFR's own
  # dump-on-exit would not run.
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

# --- the load ------------------------------------------------------------------------------------
# Waits until the sink has received at least $1 messages in all (bounded by DRAIN_TIMEOUT).
wait_for_sink() {
  local i count
  for ((i = 0; i < drain_timeout * 10; i++)); do
    count=$(field received "$(cat "$tmp/sink.stats")")
    [ "${count:-0}" -ge "$1" ] && break
    sleep 0.1
  done
  sleep 0.3   # one more stats period, so that last_ms covers every message counted
}

# Runs the load for $1 messages, output to $2. In the background and waited for, so that an
# interrupt is handled at once rather than when the load ends.
run_load() {
  "${smtp_load[@]}" "${load_args[@]}" --messages "$1" >"$2" 2>&1 &
  load_pid=$!
  local status=0
  wait "$load_pid" || status=$?
  load_pid=""
  return "$status"
}

load_args=(load --port "$gateway_port" --sessions "$sessions" --size "$size" --max-seconds "$((limit_s - 60))")
[ -n "$per_session" ] && load_args+=(--per-session "$per_session")

# Optional warm-up: the same load, not measured, so that the figures below are those of a JVM
# that has compiled its hot paths (a gateway runs for months; each run here starts a fresh one).
baseline=0
if [ "$warmup" -gt 0 ]; then
  echo "warm-up: $warmup messages"
  run_load "$warmup" "$tmp/warmup.out" || fail "the warm-up failed: $(cat "$tmp/warmup.out")"
  baseline=$(field accepted "$(grep '^accepted=' "$tmp/warmup.out")")
  wait_for_sink "$baseline"
  baseline=$(field received "$(cat "$tmp/sink.stats")")
fi

sent_before=$(grep -c ' result=sent ' "$tmp/gateway.log" || true)
deferred_before=$(grep -c ' result=deferred ' "$tmp/gateway.log" || true)
gateway_cpu_before=$(cpu_seconds "$gateway_jvm")
sink_cpu_before=$(cpu_seconds "$sink_pid")
read -r busy_before total_before iowait_before < <(machine_jiffies)

load_status=0
run_load "$messages" "$tmp/load.out" || load_status=$?
cat "$tmp/load.out"
result=$(grep '^accepted=' "$tmp/load.out" || true)
[ -n "$result" ] || fail "the load generator printed no result (exit $load_status)"
accepted=$(field accepted "$result")
load_start_ms=$(field start_ms "$result")
load_end_ms=$(field end_ms "$result")
load_cpu=$(field cpu_s "$(head -n 1 "$tmp/load.out")")

# --- end to end: wait for the sink to have everything the gateway accepted ------------------------
wait_for_sink "$((baseline + accepted))"
stats=$(cat "$tmp/sink.stats")
received=$(($(field received "$stats") - baseline))
duplicates=$(field duplicates "$stats")
last_ms=$(field last_ms "$stats")

read -r busy_after total_after iowait_after < <(machine_jiffies)
gateway_cpu_after=$(cpu_seconds "$gateway_jvm")
sink_cpu_after=$(cpu_seconds "$sink_pid")

if [ -n "${JFR_OUT:-}" ] && [ -n "$gateway_jvm" ]; then
  "$JAVA_HOME/bin/jcmd" "$gateway_jvm" JFR.dump name=bench filename="$JFR_OUT" >/dev/null \
    && echo "JFR recording of the gateway: $JFR_OUT"
fi

# --- summary -------------------------------------------------------------------------------------
cpus=$(nproc)
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
ram=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
jdk=$("$java" -version 2>&1 | head -n 1)
spool_fs=$(findmnt -n -o FSTYPE,SOURCE -T "$tmp" 2>/dev/null | tr -s ' ' || echo "?")
sent=$(($(grep -c ' result=sent ' "$tmp/gateway.log" || true) - sent_before))
deferred=$(($(grep -c ' result=deferred ' "$tmp/gateway.log" || true) - deferred_before))

# Differences and rates, computed by awk (bash has no floating point).
calc() { awk "BEGIN { $1 }"; }
# Total CPU seconds between two "user system" readings; with "split", also "(user U, system S)".
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
if [ "$received" -gt 0 ] && [ "$last_ms" -gt "$load_start_ms" ]; then
  end_to_end=$(calc "printf \"%.1f\", $received / (($last_ms - $load_start_ms) / 1000)")
else
  end_to_end="n/a"
fi
gateway_cpu=$(delta "$gateway_cpu_before" "$gateway_cpu_after")
sink_cpu=$(delta "$sink_cpu_before" "$sink_cpu_after")
# Busy CPU time of the whole machine minus our three processes: other work competing with the run
# (the JVM start-up of the load generator is in it too, a few tenths of a second).
if [ "$gateway_cpu" != "?" ] && [ "$sink_cpu" != "?" ] && [ -n "$load_cpu" ]; then
  other_cpu=$(calc "printf \"%.2f\", $((busy_after - busy_before)) / $(getconf CLK_TCK) - ($gateway_cpu + $load_cpu + $sink_cpu)")
else
  other_cpu="?"
fi
complete=$([ "$received" -ge "$accepted" ] && echo yes || echo "NO ($received of $accepted within ${drain_timeout} s)")
jiffies=$((total_after - total_before))

echo
echo "| | |"
echo "| --- | --- |"
echo "| sessions / messages / size / warm-up | $sessions / $messages / $size / $warmup |"
echo "| accepted (250) / failed | $accepted / $(field failed "$result") |"
echo "| **accepted msg/s** | **$(field accepted_per_s "$result")** |"
echo "| **end-to-end msg/s** | **$end_to_end** |"
echo "| accept latency p50 / p99 / max | $(field p50_ms "$result") / $(field p99_ms "$result") / $(field max_ms "$result") ms |"
echo "| load wall time / until last delivery | $(calc "printf \"%.2f s / %.2f s\", ($load_end_ms - $load_start_ms) / 1000, ($last_ms - $load_start_ms) / 1000") |"
echo "| sink received all / duplicates | $complete / $duplicates |"
echo "| gateway deliveries sent / deferred | $sent / $deferred |"
echo "| CPU seconds: gateway / load / sink | $gateway_cpu / $load_cpu / $sink_cpu |"
echo "| gateway CPU seconds, user and system | $(delta "$gateway_cpu_before" "$gateway_cpu_after" split) |"
echo "| machine CPU busy / iowait | $(calc "printf \"%.0f %% / %.0f %%\", 100 * $((busy_after - busy_before)) / $jiffies, 100 * $((iowait_after - iowait_before)) / $jiffies") |"
echo "| CPU seconds of other processes meanwhile | $other_cpu |"
echo "| machine CPU busy in the second before the run | $busy_before_run % |"
echo "| machine | $cpus CPUs, $model, $ram RAM, spool on $spool_fs |"
echo "| JDK | $jdk |"
echo "| gateway jar | built $jar_built |"
echo "| date | $(date -u '+%Y-%m-%d %H:%M UTC') |"

[ "$received" -ge "$accepted" ] || { echo "run-smtp-load: the sink did not receive every accepted message within ${drain_timeout} s" >&2; exit 1; }
exit "$load_status"
