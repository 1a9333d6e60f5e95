#!/usr/bin/env bash
# SMTP throughput of one node against three nodes of a cluster behind HAProxy (issue 13, item 6),
# all on this machine: load generator -> [HAProxy, PROXY v2 ->] gateway(s) -> fast sink back-end.
# Every node uses the cluster's shared state: one PostgreSQL database (127.0.0.1:5432, created for
# the run and dropped after it) and one Redis prefix (127.0.0.1:6379, its keys deleted after it).
# Prints accepted msg/s (acknowledged with 250: spooled and fsynced) and end-to-end msg/s (until
# the sink has received every accepted message) for each set-up.
#
#   bench/run-cluster-load.sh                         # 30 sessions, 3000 messages of 2 KiB, each set-up
#   SESSIONS=60 MESSAGES=6000 WARMUP=1000 bench/run-cluster-load.sh
#
# Environment:
#   SESSIONS, MESSAGES, SIZE     the load (defaults 30, 3000, 2KiB)
#   WARMUP                       messages sent first and not measured, per set-up (default 500)
#   DRAIN_TIMEOUT                seconds to wait for the sink to receive everything (default 120)
#   SETUPS                       which to run, in order (default "1 3": one node, then three nodes)
#   WAIT_IDLE                    wait up to this many seconds for the machine to be idle first (default 0)
#   GATEWAY_JAVA_OPTS            extra JVM options for every node
#
# On a machine with few CPUs the three nodes share them: the figure says what a cluster costs
# here, not what it gains on three machines. Needs PostgreSQL and Redis answering on their ports
# (./run-tests starts them when missing) and haproxy (apt-get install haproxy).
# Everything started here stops by itself (time limits) and is stopped on exit, failure included.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

sessions=${SESSIONS:-30}
messages=${MESSAGES:-3000}
size=${SIZE:-2KiB}
warmup=${WARMUP:-500}
drain_timeout=${DRAIN_TIMEOUT:-120}
setups=${SETUPS:-1 3}
wait_idle=${WAIT_IDLE:-0}
limit_s=1800   # hard limit on every process started here

command -v haproxy >/dev/null || { echo "run-cluster-load: haproxy is missing (apt-get install haproxy)" >&2; exit 1; }
gatehouse_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
gatehouse_port_open 5432 || { echo "run-cluster-load: nothing answers on 127.0.0.1:5432 (PostgreSQL)" >&2; exit 1; }
gatehouse_port_open 6379 || { echo "run-cluster-load: nothing answers on 127.0.0.1:6379 (Redis)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-bench.XXXXXX")
run_id=$(basename "$tmp" | tr -dc 'a-zA-Z0-9' | tr 'A-Z' 'a-z')
database="gatehouse_bench_$run_id"
prefix="gatehouse-bench:$run_id:"
node_pids=()     # the `timeout` wrappers of the nodes
haproxy_pid=""

cluster_cleanup() {
  local pid
  stop "$load_pid" 2
  stop "$haproxy_pid" 5
  for pid in "${node_pids[@]}"; do
    stop "$pid" 15
  done
  node_pids=()
  if [ -n "${database_created:-}" ]; then
    psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  redis-cli -h 127.0.0.1 -p 6379 --scan --pattern "$prefix*" 2>/dev/null \
    | xargs -r -n 500 redis-cli -h 127.0.0.1 -p 6379 del >/dev/null 2>&1 || true
  cleanup
}
trap cluster_cleanup EXIT

wait_for_idle "$wait_idle"
prepare_programs
smtp_load=("$java" -cp "$tmp/classes" SmtpLoad)

psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE $database" >/dev/null \
  || fail "cannot create the database $database on 127.0.0.1:5432 as postgres"
database_created=yes

start_backend sink "${smtp_load[@]}" sink --port 0

# Each node is named (node:) where the jar knows the key; `reload` checks a file and exits 2 when it
# refuses one, 1 when it is valid but no gateway runs on its data_dir.
printf 'data_dir: %s/probe\nnode: probe\n' "$tmp" >"$tmp/probe.yaml"
node_key=""
"$java" -jar "$tmp/gatehouse.jar" reload --config "$tmp/probe.yaml" >/dev/null 2>&1 || [ $? -eq 2 ] || node_key=yes

# --- the nodes -------------------------------------------------------------------------------------
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# node_yaml NAME PORT PROXY_PROTOCOL
node_yaml() {
  cat <<EOF
hostname: bench.test
data_dir: $tmp/$1
${node_key:+node: $1
}store: "jdbc:postgresql://127.0.0.1:5432/$database?user=postgres"
cache: "redis://127.0.0.1:6379/0?prefix=$prefix"
smtp:
  listen: ["127.0.0.1:$2"]
  proxy_protocol: $3
  max_connections_per_ip: 1000   # every session of the load comes from 127.0.0.1
  shutdown_grace: 5s
dns:
  servers: ["127.0.0.1:1"]       # nothing here needs DNS; should anything ask, it stays on loopback
  timeout: 1s
policy:
  recipient_verification: none
  domains:
    - name: bench.test
      backend: ["127.0.0.1:$backend_port"]
      verification: none
EOF
}

# start_node NAME PORT PROXY_PROTOCOL: runs a node and waits until it listens.
start_node() {
  local opts=() i
  [ -n "${GATEWAY_JAVA_OPTS:-}" ] && read -r -a opts <<<"$GATEWAY_JAVA_OPTS"
  node_yaml "$1" "$2" "$3" >"$tmp/$1.yaml"
  : >"$tmp/$1.log"
  timeout --kill-after=10 "$limit_s" "$java" "${opts[@]}" -jar "$tmp/gatehouse.jar" run --config "$tmp/$1.yaml" \
    >"$tmp/$1.log" 2>&1 &
  node_pids+=($!)
  for ((i = 0; i < 900; i++)); do
    grep -q "smtp_listening address=127.0.0.1:$2" "$tmp/$1.log" && return 0
    kill -0 "${node_pids[-1]}" 2>/dev/null || { tail -n 20 "$tmp/$1.log" >&2; fail "node $1 exited during start-up"; }
    sleep 0.1
  done
  fail "node $1 did not listen within 90 s"
}

# start_haproxy PORT NODE_PORT...: the configuration of docs/CLUSTER.md on loopback.
start_haproxy() {
  local port=$1 n=0 node_port
  shift
  {
    cat <<EOF
global
    maxconn 4000

defaults
    mode tcp
    timeout connect 5s
    timeout client 6m
    timeout server 6m
    timeout check 3s
    retries 2
    option redispatch

frontend smtp
    bind 127.0.0.1:$port
    default_backend gateways

backend gateways
    balance roundrobin
    option tcp-check
    tcp-check expect rstring ^220
    tcp-check send QUIT\r\n
    tcp-check expect rstring ^221
    default-server send-proxy-v2 check-send-proxy check inter 500ms fall 2 rise 2
EOF
    for node_port in "$@"; do
      n=$((n + 1))
      echo "    server node$n 127.0.0.1:$node_port"
    done
  } >"$tmp/haproxy.cfg"
  timeout --kill-after=10 "$limit_s" haproxy -f "$tmp/haproxy.cfg" -db >"$tmp/haproxy.log" 2>&1 &
  haproxy_pid=$!
  local i
  for ((i = 0; i < 100; i++)); do
    gatehouse_port_open "$port" && return 0
    kill -0 "$haproxy_pid" 2>/dev/null || fail "haproxy exited: $(cat "$tmp/haproxy.log")"
    sleep 0.1
  done
  fail "haproxy did not listen on $port within 10 s"
}

stop_setup() {
  local pid
  stop "$haproxy_pid" 5
  haproxy_pid=""
  for pid in "${node_pids[@]}"; do
    stop "$pid" 15
  done
  node_pids=()
}

# --- the load --------------------------------------------------------------------------------------
wait_for_sink() {
  local i count
  for ((i = 0; i < drain_timeout * 10; i++)); do
    count=$(backend_stat received)
    [ "${count:-0}" -ge "$1" ] && break
    sleep 0.1
  done
  sleep 0.3   # one more stats period, so that last_ms covers every message counted
}

run_load() {   # $1 port, $2 messages, $3 output file
  "${smtp_load[@]}" load --port "$1" --sessions "$sessions" --size "$size" --max-seconds "$((limit_s - 60))" \
    --messages "$2" >"$3" 2>&1 &
  load_pid=$!
  local status=0
  wait "$load_pid" || status=$?
  load_pid=""
  return "$status"
}

declare -A result_accepted result_rate result_e2e result_p99 result_failed
for setup in $setups; do
  case "$setup" in
    1)
      port=$(free_port)
      start_node "single" "$port" false
      target=$port
      ;;
    3)
      ports=()
      for name in node1 node2 node3; do
        ports+=("$(free_port)")
        start_node "$name" "${ports[-1]}" true
      done
      target=$(free_port)
      start_haproxy "$target" "${ports[@]}"
      ;;
    *) fail "SETUPS takes 1 and 3, not $setup" ;;
  esac
  echo "$setup node(s): warm-up $warmup, then $messages messages, $sessions sessions of $size"
  baseline=$(backend_stat received)
  if [ "$warmup" -gt 0 ]; then
    run_load "$target" "$warmup" "$tmp/warmup-$setup.out" || fail "the warm-up failed: $(cat "$tmp/warmup-$setup.out")"
    accepted=$(field accepted "$(grep '^accepted=' "$tmp/warmup-$setup.out")")
    wait_for_sink "$((baseline + accepted))"
    baseline=$(backend_stat received)
  fi
  run_load "$target" "$messages" "$tmp/load-$setup.out" || true
  out=$(grep '^accepted=' "$tmp/load-$setup.out" || true)
  [ -n "$out" ] || fail "the load generator printed no result: $(cat "$tmp/load-$setup.out")"
  accepted=$(field accepted "$out")
  start_ms=$(field start_ms "$out")
  wait_for_sink "$((baseline + accepted))"
  received=$(($(backend_stat received) - baseline))
  last_ms=$(backend_stat last_ms)
  result_accepted[$setup]=$accepted
  result_failed[$setup]=$(field failed "$out")
  result_rate[$setup]=$(field accepted_per_s "$out")
  result_p99[$setup]="$(field p50_ms "$out") / $(field p99_ms "$out")"
  if [ "$received" -ge "$accepted" ] && [ "$last_ms" -gt "$start_ms" ]; then
    result_e2e[$setup]=$(calc "printf \"%.1f\", $received / (($last_ms - $start_ms) / 1000)")
  else
    result_e2e[$setup]="incomplete ($received of $accepted)"
  fi
  stop_setup
done

describe_machine
echo
echo "| | $(for s in $setups; do printf '%s node(s) | ' "$s"; done)"
echo "| --- | $(for s in $setups; do printf -- '--- | '; done)"
echo "| accepted (250) / failed | $(for s in $setups; do printf '%s / %s | ' "${result_accepted[$s]}" "${result_failed[$s]}"; done)"
echo "| **accepted msg/s** | $(for s in $setups; do printf '**%s** | ' "${result_rate[$s]}"; done)"
echo "| **end-to-end msg/s** | $(for s in $setups; do printf '**%s** | ' "${result_e2e[$s]}"; done)"
echo "| accept latency p50 / p99 (ms) | $(for s in $setups; do printf '%s | ' "${result_p99[$s]}"; done)"
echo
echo "sessions $sessions, messages $messages of $size, warm-up $warmup; store PostgreSQL 127.0.0.1:5432, cache Redis 127.0.0.1:6379"
echo "machine: $cpus CPUs, $model, $ram RAM; $jdk; jar built $jar_built; $(date -u '+%Y-%m-%d %H:%M UTC')"
