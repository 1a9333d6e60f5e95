#!/usr/bin/env bash
# Recipient verification of Gatehouse (issue 3): RCPT decisions/s and per-RCPT latency with a warm
# verdict cache and with never-seen addresses (one callout each), and the gateway's CPU time for a
# rejected recipient against an accepted message. Load generator -> gateway -> verifying back-end,
# all on 127.0.0.1.
#
#   bench/run-rcpt-load.sh                               # 20 sessions, back-end answers at once
#   SESSIONS=200 DELAY_MS=5 bench/run-rcpt-load.sh       # 200 sessions, back-end 5 ms away
#   PHASES="warm cold" bench/run-rcpt-load.sh            # only some phases
#
# Environment:
#   SESSIONS          concurrent SMTP sessions of the load (default 20)
#   DELAY_MS          the back-end's delay per round trip, in ms (default 0)
#   INVALID_PERCENT   share of addresses that do not exist (default 30)
#   RATE              RCPTs per second over all sessions in the direct, warm, cold and list phases
#                     (default 0: as fast as they are answered, which saturates the machine's CPUs)
#   PER_MAIL          RCPTs per MAIL transaction, each waited for and timed, then RSET (default 5)
#   POOL              addresses of the warm set: the warm-up probes each once (default 10000)
#   WARM_RCPTS        RCPTs of the warm phase, drawn at random from the pool (default 40000)
#   COLD_RCPTS        RCPTs of the cold phase, every one a new address (default 10000)
#   LIST_SIZE         addresses imported into the valid list of list.test (default 100000)
#   CPU_MESSAGES      accepted 2 KiB messages of the CPU comparison (default 2000)
#   CPU_RCPTS         rejected RCPTs per CPU-comparison phase (default 5000)
#   PHASES            which of: direct warm cold list cpu (default: all)
#   LOAD              java (default) or c: the client of the RCPT phases. c is bench/rcpt_latency.c
#                     (compiled here with cc): one POSIX thread per session, no JIT or GC of its own,
#                     for latencies at the scale of a few hundred microseconds
#   CALLOUT_CONNECTIONS  callout.connections_per_backend (default: the gateway's default, 10)
#   WAIT_IDLE         wait up to this many seconds for the machine to be idle first (default 0)
#   GATEWAY_JAVA_OPTS extra JVM options for the gateway
#   JFR_OUT           profile the gateway with JDK Flight Recorder into this file
#   JFR_OPTIONS       more -XX:StartFlightRecording options, e.g. jdk.CPUTimeSample#enabled=true
#
# The harvest guard would tarpit, then block, the load's single client address after a few dozen
# unknown recipients: the gateway here has thresholds far above what the load sends (the guard
# still counts every unknown recipient, so its cost is measured).
#
# Everything started here stops by itself (time limits) and is stopped on exit, failure included.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

sessions=${SESSIONS:-20}
delay_ms=${DELAY_MS:-0}
invalid_percent=${INVALID_PERCENT:-30}
per_mail=${PER_MAIL:-5}
rate=${RATE:-0}
pool=${POOL:-10000}
warm_rcpts=${WARM_RCPTS:-40000}
cold_rcpts=${COLD_RCPTS:-10000}
list_size=${LIST_SIZE:-100000}
cpu_messages=${CPU_MESSAGES:-2000}
cpu_rcpts=${CPU_RCPTS:-5000}
phases=" ${PHASES:-direct warm cold list cpu} "
wait_idle=${WAIT_IDLE:-0}
drain_timeout=120
limit_s=1200   # hard limit on every process started here

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-rcpt-bench.XXXXXX")

wait_for_idle "$wait_idle"
prepare_programs
rcpt_load=("$java" -cp "$tmp/classes" SmtpRcptLoad)
latency_load=("${rcpt_load[@]}")   # the client of the RCPT phases
case "${LOAD:-java}" in
  java) ;;
  c)
    cc -O2 -pthread -o "$tmp/rcpt_latency" "$root/bench/rcpt_latency.c" -lm \
      || fail "cannot compile bench/rcpt_latency.c (apt-get install gcc)"
    latency_load=("$tmp/rcpt_latency")
    ;;
  *) fail "LOAD is java or c, not $LOAD" ;;
esac
smtp_load=("$java" -cp "$tmp/classes" SmtpLoad)

# --- the back-end --------------------------------------------------------------------------------
start_backend back-end "${rcpt_load[@]}" backend --port 0 --delay-ms "$delay_ms"

# --- one measured phase --------------------------------------------------------------------------
rows=()
# measure NAME PORT-LABEL CMD...: runs a load command in the background (so that an interrupt is
# handled at once), then records its figures, the CPU time of each process and of the rest of the
# machine, and how many RCPTs reached the back-end meanwhile.
measure() {
  local name=$1 unit=$2
  shift 2
  local g1 b1 busy1 total1 probes1 g2 b2 busy2 total2 probes2 status=0 out="$tmp/$name.out"
  g1=$(cpu_seconds "$gateway_jvm")
  b1=$(cpu_seconds "$backend_pid")
  probes1=$(backend_stat rcpts)
  read -r busy1 total1 _ < <(machine_jiffies)
  "$@" >"$out" 2>&1 &
  load_pid=$!
  wait "$load_pid" || status=$?
  load_pid=""
  if [ "$unit" = message ]; then
    # accepted messages count once the back-end has them: their delivery is part of their cost
    local accepted want
    accepted=$(field accepted "$(grep '^accepted=' "$out" || true)")
    want=$((received_before + ${accepted:-0}))
    for ((i = 0; i < drain_timeout * 10; i++)); do
      [ "$(backend_stat received)" -ge "$want" ] && break
      sleep 0.1
    done
  fi
  sleep 1   # the message log's batch writes of this phase land in this phase's CPU time
  read -r busy2 total2 _ < <(machine_jiffies)
  g2=$(cpu_seconds "$gateway_jvm")
  b2=$(cpu_seconds "$backend_pid")
  probes2=$(backend_stat rcpts)
  echo "--- $name"
  cat "$out"
  [ "$status" -eq 0 ] || echo "(load exit status $status)"
  local head result count gcpu bcpu lcpu other
  head=$(head -n 1 "$out")
  lcpu=$(field cpu_s "$head")
  gcpu=$([ -n "$gateway_jvm" ] && delta "$g1" "$g2" || echo "-")
  bcpu=$(delta "$b1" "$b2")
  if [ "$gcpu" = "-" ]; then
    other=$(calc "printf \"%.2f\", ($busy2 - $busy1) / $(getconf CLK_TCK) - ($bcpu + $lcpu)")
  else
    other=$(calc "printf \"%.2f\", ($busy2 - $busy1) / $(getconf CLK_TCK) - ($gcpu + $bcpu + $lcpu)")
  fi
  if [ "$unit" = message ]; then
    result=$(grep '^accepted=' "$out" || true)
    count=$(field accepted "$result")
    rows+=("| $name | $sessions | $count msgs | $(field accepted_per_s "$result") msg/s | $(field p50_ms "$result") | $(field p99_ms "$result") | $(field max_ms "$result") | - | $(field failed "$result") failed | $((probes2 - probes1)) | $gcpu | $(calc "printf \"%.0f\", $gcpu * 1e6 / ($count > 0 ? $count : 1)") µs/msg | $lcpu / $bcpu / $other |")
  else
    result=$(grep '^answered=' "$out" || true)
    count=$(field answered "$result")
    rows+=("| $name | $(field sessions "$head") | $count | $(field rcpt_per_s "$result") | $(field p50_ms "$result") | $(field p99_ms "$result") | $(field max_ms "$result") | $(field temporary "$result") | $(field wrong "$result") wrong | $((probes2 - probes1)) | $gcpu | $([ "$gcpu" = "-" ] && echo "-" || calc "printf \"%.0f\", $gcpu * 1e6 / ($count > 0 ? $count : 1)") | $lcpu / $bcpu / $other |")
  fi
}

rcpt_load_args() {   # port, then the load's own options
  local port=$1
  shift
  echo load --port "$port" --max-seconds "$((limit_s - 120))" "$@"
}

# --- the back-end on its own: its round trip as a client sees it ----------------------------------
if [[ "$phases" == *" direct "* ]]; then
  read -r -a args <<<"$(rcpt_load_args "$backend_port" --sessions 1 --rcpts 500 --domain bench.test --tag d1 --invalid-percent "$invalid_percent" --per-mail "$per_mail")"
  measure "back-end direct, 1 session" rcpt "${latency_load[@]}" "${args[@]}"
  read -r -a args <<<"$(rcpt_load_args "$backend_port" --sessions "$sessions" --rcpts 5000 --domain bench.test --tag dn --invalid-percent "$invalid_percent" --per-mail "$per_mail" --rate "$rate")"
  measure "back-end direct" rcpt "${latency_load[@]}" "${args[@]}"
fi

# --- the gateway ---------------------------------------------------------------------------------
callout_connections=""
[ -n "${CALLOUT_CONNECTIONS:-}" ] && callout_connections="connections_per_backend: $CALLOUT_CONNECTIONS"
{ gateway_yaml; cat <<EOF; } >"$tmp/gatehouse.yaml"
callout:
  timeout: 15s
  $callout_connections
policy:
  recipient_verification: none
  harvest:                       # far above what the load sends, from its single address
    tarpit_after: 100000000
    block_after: 200000000
  domains:
    - name: bench.test           # callout: verified against the back-end, verdicts cached
      backend: ["127.0.0.1:$backend_port"]
      verification: callout
    - name: list.test            # valid list, imported into the store below
      backend: ["127.0.0.1:$backend_port"]
      verification: valid_list
    - name: plain.test           # not verified: the accepted messages of the CPU comparison
      backend: ["127.0.0.1:$backend_port"]
      verification: none
EOF

# The valid list of list.test: the warm pool's valid addresses and more, imported as an
# administrator would. The load's "user-l-N" addresses are in it, its "nobody-l-N" are not.
awk -v n="$list_size" 'BEGIN { for (i = 0; i < n; i++) printf "user-l-%d@list.test\n", i }' >"$tmp/list.txt"
import_start=$(date +%s.%N)
timeout 300 "$java" -jar "$tmp/gatehouse.jar" recipients import --config "$tmp/gatehouse.yaml" list.test "$tmp/list.txt" \
  >"$tmp/import.log" 2>&1 || fail "the import failed: $(cat "$tmp/import.log")"
import_s=$(calc "printf \"%.1f\", $(date +%s.%N) - $import_start")

start_gateway
[ -n "$gateway_jvm" ] || fail "cannot find the gateway's JVM"

common=(--sessions "$sessions" --per-mail "$per_mail")
paced=(--rate "$rate")
run_id=$(date +%s)

# --- warm and cold callouts ------------------------------------------------------------------------
if [[ "$phases" == *" warm "* ]]; then
  # Each pool address once: every RCPT a probe (sequential, so the same figures as a cold run, but
  # on a fresh JVM: the JIT is still compiling).
  read -r -a args <<<"$(rcpt_load_args "$gateway_port" "${common[@]}" --rcpts "$pool" --domain bench.test --tag "w$run_id" --pool "$pool" --order sequential --invalid-percent "$invalid_percent")"
  measure "callout warm-up (pool, 1st time)" rcpt "${latency_load[@]}" "${args[@]}"
  if [ "$rate" -gt 0 ]; then
    # Paced figures are for a gateway in its steady state: an unpaced pass first, so that the JIT
    # has compiled the cached path (the first pass mostly ran the probe path).
    read -r -a args <<<"$(rcpt_load_args "$gateway_port" "${common[@]}" --rcpts "$warm_rcpts" --domain bench.test --tag "w$run_id" --pool "$pool" --order random --seed 2 --invalid-percent "$invalid_percent")"
    measure "callout warm (cached), unpaced JIT warm-up" rcpt "${latency_load[@]}" "${args[@]}"
  fi
  read -r -a args <<<"$(rcpt_load_args "$gateway_port" "${common[@]}" --rcpts "$warm_rcpts" --domain bench.test --tag "w$run_id" --pool "$pool" --order random --invalid-percent "$invalid_percent" "${paced[@]}")"
  measure "callout warm (cached)" rcpt "${latency_load[@]}" "${args[@]}"
fi
if [[ "$phases" == *" cold "* ]]; then
  read -r -a args <<<"$(rcpt_load_args "$gateway_port" "${common[@]}" --rcpts "$cold_rcpts" --domain bench.test --tag "c$run_id" --order sequential --invalid-percent "$invalid_percent" "${paced[@]}")"
  measure "callout cold (new addresses)" rcpt "${latency_load[@]}" "${args[@]}"
fi
if [[ "$phases" == *" list "* ]]; then
  read -r -a args <<<"$(rcpt_load_args "$gateway_port" "${common[@]}" --rcpts "$warm_rcpts" --domain list.test --tag l --pool "$pool" --order random --invalid-percent "$invalid_percent" "${paced[@]}")"
  measure "valid list ($list_size entries)" rcpt "${latency_load[@]}" "${args[@]}"
fi

# --- CPU: a rejected recipient against an accepted message ----------------------------------------
if [[ "$phases" == *" cpu "* ]]; then
  smtp_args=(load --port "$gateway_port" --sessions "$sessions" --size 2KiB --to user@plain.test --max-seconds "$((limit_s - 120))")
  # Not measured: the delivery path's JIT warm-up, so that the message is not charged for it.
  received_before=$(backend_stat received)
  measure "accepted messages, warm-up" message "${smtp_load[@]}" "${smtp_args[@]}" --messages 1000
  received_before=$(backend_stat received)
  measure "accepted 2 KiB messages" message "${smtp_load[@]}" "${smtp_args[@]}" --messages "$cpu_messages"
  # One rejected RCPT per transaction: MAIL, RCPT (550), RSET.
  reject=(--sessions "$sessions" --per-mail 1 --invalid-percent 100 --rcpts "$cpu_rcpts")
  read -r -a args <<<"$(rcpt_load_args "$gateway_port" "${reject[@]}" --domain bench.test --tag "r$run_id" --pool "$cpu_rcpts" --order sequential)"
  measure "rejected, callout cold" rcpt "${latency_load[@]}" "${args[@]}"
  read -r -a args <<<"$(rcpt_load_args "$gateway_port" "${reject[@]}" --domain bench.test --tag "r$run_id" --pool "$cpu_rcpts" --order random)"
  measure "rejected, callout cached" rcpt "${latency_load[@]}" "${args[@]}"
  read -r -a args <<<"$(rcpt_load_args "$gateway_port" "${reject[@]}" --domain list.test --tag l --pool "$pool" --order random)"
  measure "rejected, valid list" rcpt "${latency_load[@]}" "${args[@]}"
fi

dump_recording

# --- summary -------------------------------------------------------------------------------------
describe_machine
tempfails=$(grep -c 'callout_tempfail' "$tmp/gateway.log" || true)

echo
echo "sessions $sessions, paced at $([ "$rate" -gt 0 ] && echo "$rate RCPT/s" || echo "no limit"), back-end delay ${DELAY_MS:-0} ms per round trip, $invalid_percent % invalid, $per_mail RCPTs per MAIL;"
echo "valid list of $list_size imported in $import_s s; machine $cpus CPUs, $model, $ram RAM; $jdk;"
echo "gateway jar built $jar_built; machine CPU busy in the second before the run: $busy_before_run %; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "| phase | sessions | RCPTs | RCPT/s | p50 ms | p99 ms | max ms | 4xx | wrong | back-end RCPTs | gateway CPU s | gateway CPU µs per RCPT | CPU s load / back-end / other |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
printf '%s\n' "${rows[@]}"
echo
echo "gateway log lines naming callout_tempfail: $tempfails"
