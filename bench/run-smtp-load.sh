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

. "$(dirname "$0")/lib.sh"

sessions=${SESSIONS:-20}
messages=${MESSAGES:-2000}
size=${SIZE:-2KiB}
per_session=${PER_SESSION:-}
drain_timeout=${DRAIN_TIMEOUT:-120}
warmup=${WARMUP:-0}
wait_idle=${WAIT_IDLE:-0}
limit_s=900   # hard limit on every process started here

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-bench.XXXXXX")

wait_for_idle "$wait_idle"
prepare_programs
smtp_load=("$java" -cp "$tmp/classes" SmtpLoad)

# --- the sink ------------------------------------------------------------------------------------
start_backend sink "${smtp_load[@]}" sink --port 0

# --- the gateway ---------------------------------------------------------------------------------
{ gateway_yaml; cat <<EOF; } >"$tmp/gatehouse.yaml"
policy:
  recipient_verification: none
  domains:
    - name: bench.test
      backend: ["127.0.0.1:$backend_port"]
      verification: none
EOF

start_gateway

# --- the load ------------------------------------------------------------------------------------
# Waits until the sink has received at least $1 messages in all (bounded by DRAIN_TIMEOUT).
wait_for_sink() {
  local i count
  for ((i = 0; i < drain_timeout * 10; i++)); do
    count=$(backend_stat received)
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
  baseline=$(backend_stat received)
fi

sent_before=$(grep -c ' status=sent ' "$tmp/gateway.log" || true)
deferred_before=$(grep -c ' status=deferred ' "$tmp/gateway.log" || true)
gateway_cpu_before=$(cpu_seconds "$gateway_jvm")
sink_cpu_before=$(cpu_seconds "$backend_pid")
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
stats=$(cat "$tmp/backend.stats")
received=$(($(field received "$stats") - baseline))
duplicates=$(field duplicates "$stats")
last_ms=$(field last_ms "$stats")

read -r busy_after total_after iowait_after < <(machine_jiffies)
gateway_cpu_after=$(cpu_seconds "$gateway_jvm")
sink_cpu_after=$(cpu_seconds "$backend_pid")

dump_recording

# --- summary -------------------------------------------------------------------------------------
describe_machine
spool_fs=$(findmnt -n -o FSTYPE,SOURCE -T "$tmp" 2>/dev/null | tr -s ' ' || echo "?")
sent=$(($(grep -c ' status=sent ' "$tmp/gateway.log" || true) - sent_before))
deferred=$(($(grep -c ' status=deferred ' "$tmp/gateway.log" || true) - deferred_before))

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
