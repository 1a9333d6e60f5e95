#!/usr/bin/env bash
# Gatehouse as a cluster (issue 13, SPEC §6): one node against three behind HAProxy, the nodes
# sharing one PostgreSQL database and one Redis key prefix made for the run. All on 127.0.0.1.
#
#   bench/run-cluster-load.sh
#   SESSIONS=50 MESSAGES=6000 bench/run-cluster-load.sh
#
# Three figures, as the issue asks:
#   1. accepted msg/s of 1 node and of 3 nodes, both through HAProxy with PROXY v2 (the same path,
#      so that the difference is the nodes), each after a warm-up;
#   2. the cross-node cache hit ratio: a pool of new addresses is verified through node 1 (each one
#      a probe of the back-end), then through nodes 2 and 3, which never saw them: their RCPTs are
#      answered from the shared cache, and the back-end counts the probes that were not;
#   3. what the shared cache costs a cached RCPT: RCPT latency (p50/p99) with a warm cache on node 1
#      (cache: redis://) against a gateway of its own with cache: local and the embedded store,
#      both through HAProxy, same load, alternately: the difference is the Redis round trip.
#
# Needs PostgreSQL on 127.0.0.1:5432 with trust authentication, Redis on 127.0.0.1:6379, and
# haproxy: `./run-tests` installs and starts them (scripts/test-prerequisites.sh), or run
# `. scripts/java-env.sh; . scripts/test-prerequisites.sh` first.
#
# Environment:
#   SESSIONS, MESSAGES, SIZE   the message load of figure 1 (defaults 20, 4000, 2KiB)
#   WARMUP                     messages sent before each measured message run (default 2000)
#   POOL                       addresses of figures 2 and 3 (default 5000)
#   RCPTS                      RCPTs of each latency run of figure 3 (default 20000)
#   INVALID_PERCENT            share of the addresses of figures 2 and 3 that do not exist (default 30)
#   RATE                       RCPTs per second of figure 3's measured runs, over all sessions (default 1000:
#                              below saturation, so that latency is the RCPT's own, not a queue; 0 = unpaced)
#   PGHOST_URL                 the PostgreSQL server (default jdbc:postgresql://127.0.0.1:5432)
#   REDIS_URL                  the Redis server (default redis://127.0.0.1:6379/0)
#
# Everything started here stops by itself (time limits) and is stopped on exit, failure included;
# the database is dropped and the Redis keys deleted.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

sessions=${SESSIONS:-20}
messages=${MESSAGES:-4000}
size=${SIZE:-2KiB}
warmup=${WARMUP:-2000}
pool=${POOL:-5000}
rcpts=${RCPTS:-20000}
invalid_percent=${INVALID_PERCENT:-30}
rate=${RATE:-1000}
pg_url=${PGHOST_URL:-jdbc:postgresql://127.0.0.1:5432}
redis_url=${REDIS_URL:-redis://127.0.0.1:6379/0}
limit_s=1200
drain_timeout=120

command -v haproxy >/dev/null || fail "haproxy is not installed (apt-get install haproxy)"
command -v psql >/dev/null || fail "psql is not installed (apt-get install postgresql-client)"
command -v redis-cli >/dev/null || fail "redis-cli is not installed (apt-get install redis-tools)"
redis_cli=(redis-cli -u "$redis_url")
"${redis_cli[@]}" ping >/dev/null 2>&1 || fail "no Redis answers at $redis_url"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-cluster-bench.XXXXXX")
run=$(date +%s)$$
database="gatehouse_bench_$run"
prefix="gatehouse-bench:$run:"
node_pids=()      # the `timeout` wrappers of the gateways
haproxy_pid=""
database_made=""

cluster_cleanup() {
  local pid
  stop "$haproxy_pid" 5
  for pid in "${node_pids[@]}"; do stop "$pid" 15; done
  if [ -n "$database_made" ]; then
    psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  "${redis_cli[@]}" --scan --pattern "$prefix*" 2>/dev/null | xargs -r "${redis_cli[@]}" del >/dev/null 2>&1 || true
  cleanup
}
trap cluster_cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

prepare_programs
rcpt_load=("$java" -cp "$tmp/classes" SmtpRcptLoad)
smtp_load=("$java" -cp "$tmp/classes" SmtpLoad)

# --- the back-end: verifies user* addresses, accepts the messages ---------------------------------
start_backend back-end "${rcpt_load[@]}" backend --port 0

psql -h 127.0.0.1 -U postgres -q -c "CREATE DATABASE $database" >/dev/null || fail "cannot create database $database"
database_made=yes

# --- the nodes -----------------------------------------------------------------------------------
# node_yaml NAME STORE CACHE PROXY: a node's configuration on stdout.
node_yaml() {
  cat <<EOF
hostname: bench.test
node: $1
data_dir: $tmp/$1
store: "$2"
cache: "$3"
smtp:
  listen: ["127.0.0.1:0"]
  max_connections_per_ip: 1000
  proxy_protocol: $4
  shutdown_grace: 5s
console:
  listen: "127.0.0.1:0"
dns:
  servers: ["127.0.0.1:1"]
  timeout: 1s
callout:
  timeout: 15s
policy:
  recipient_verification: none
  harvest:                       # far above what the load sends from its single address
    tarpit_after: 100000000
    block_after: 200000000
  domains:
    - name: bench.test
      backend: ["127.0.0.1:$backend_port"]
      verification: callout
    - name: plain.test
      backend: ["127.0.0.1:$backend_port"]
      verification: none
EOF
}

declare -A smtp_port console_port jvm
# start_node NAME STORE CACHE PROXY: starts a gateway, waits until it listens.
start_node() {
  local name=$1 log="$tmp/$1.log" i pid port
  node_yaml "$@" >"$tmp/$name.yaml"
  : >"$log"
  timeout --kill-after=10 "$limit_s" "$java" -jar "$tmp/gatehouse.jar" run --config "$tmp/$name.yaml" >"$log" 2>&1 &
  pid=$!
  node_pids+=("$pid")
  for ((i = 0; i < 600; i++)); do
    port=$(sed -n 's/.*smtp_listening address=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$log" >&2; fail "node $name exited during start-up"; }
    sleep 0.1
  done
  [ -n "$port" ] || fail "node $name did not log smtp_listening within 60 s"
  smtp_port[$name]=$port
  console_port[$name]=$(sed -n 's/.*console_listening address=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -n 1)
  jvm[$name]=$(pgrep -P "$pid" -n java || true)
}

store="$pg_url/$database?user=postgres"
cache="$redis_url?prefix=$prefix"
for n in gw1 gw2 gw3; do start_node "$n" "$store" "$cache" true; done
start_node solo embedded local true    # figure 3's comparison: everything in-process

# --- HAProxy: one frontend over all three, one per node ------------------------------------------
all_port=$(free_port)
declare -A one_port
{
  cat <<EOF
global
  maxconn 4000
defaults
  mode tcp
  timeout connect 5s
  timeout client 120s
  timeout server 120s
frontend all
  bind 127.0.0.1:$all_port
  default_backend nodes
backend nodes
  balance roundrobin
  option smtpchk HELO haproxy.bench.test
EOF
  for n in gw1 gw2 gw3; do
    echo "  server $n 127.0.0.1:${smtp_port[$n]} send-proxy-v2 check check-send-proxy inter 2s"
  done
  for n in gw1 gw2 gw3 solo; do
    one_port[$n]=$(free_port)
    cat <<EOF
frontend only_$n
  bind 127.0.0.1:${one_port[$n]}
  default_backend backend_$n
backend backend_$n
  server $n 127.0.0.1:${smtp_port[$n]} send-proxy-v2
EOF
  done
} >"$tmp/haproxy.cfg"
haproxy -f "$tmp/haproxy.cfg" -db >"$tmp/haproxy.log" 2>&1 &
haproxy_pid=$!
for ((i = 0; i < 100; i++)); do
  (exec 3<>"/dev/tcp/127.0.0.1/$all_port") 2>/dev/null && break
  kill -0 "$haproxy_pid" 2>/dev/null || fail "haproxy did not start: $(cat "$tmp/haproxy.log")"
  sleep 0.1
done

# --- 1. messages: one node, then three ---------------------------------------------------------------
# message_run LABEL PORT JVMS...: a warm-up and a measured run through PORT; a row of figure 1.
rows1=()
message_run() {
  local label=$1 port=$2 n before_cpu=() after_cpu=() cpu=0 out="$tmp/messages-$1.out" base result accepted
  shift 2
  "${smtp_load[@]}" load --port "$port" --sessions "$sessions" --messages "$warmup" --size "$size" \
    --to user-w@plain.test --max-seconds 600 >"$tmp/warmup-$label.out" 2>&1 || fail "warm-up failed: $(cat "$tmp/warmup-$label.out")"
  base=$(backend_stat received)
  for n in "$@"; do before_cpu+=("$(cpu_seconds "${jvm[$n]}")"); done
  "${smtp_load[@]}" load --port "$port" --sessions "$sessions" --messages "$messages" --size "$size" \
    --to user-m@plain.test --max-seconds 600 >"$out" 2>&1 || fail "load failed: $(cat "$out")"
  result=$(grep '^accepted=' "$out")
  accepted=$(field accepted "$result")
  for ((i = 0; i < drain_timeout * 10; i++)); do
    [ "$(backend_stat received)" -ge "$((base + accepted))" ] && break
    sleep 0.1
  done
  i=0
  for n in "$@"; do
    cpu=$(calc "printf \"%.2f\", $cpu + $(delta "${before_cpu[$i]}" "$(cpu_seconds "${jvm[$n]}")")")
    i=$((i + 1))
  done
  rows1+=("| $label | $accepted | **$(field accepted_per_s "$result")** | $(field p50_ms "$result") / $(field p99_ms "$result") | $(field failed "$result") | $cpu |")
}
message_run "1 node (gw1) through HAProxy" "${one_port[gw1]}" gw1
message_run "3 nodes through HAProxy" "$all_port" gw1 gw2 gw3

# --- 2. the cross-node cache hit ratio ------------------------------------------------------------
cache_count() {   # node, result: gatehouse_callout_cache_total{result=...}
  curl -fsS "http://127.0.0.1:${console_port[$1]}/metrics" \
    | awk -v r="result=\"$2\"" '$1 ~ /^gatehouse_callout_cache_total/ && index($1, r) { sum += $2 } END { printf "%d", sum }'
}
rcpt_run() {   # port, tag, output, more options
  local port=$1 tag=$2 out=$3
  shift 3
  "${rcpt_load[@]}" load --port "$port" --sessions "$sessions" --domain bench.test --tag "$tag" \
    --pool "$pool" --invalid-percent "$invalid_percent" --max-seconds 600 "$@" >"$out" 2>&1 || fail "RCPT load failed: $(cat "$out")"
}
probes0=$(backend_stat rcpts)
rcpt_run "${one_port[gw1]}" "x$run" "$tmp/first.out" --rcpts "$pool" --order sequential
probes1=$(backend_stat rcpts)
hits_before=$(($(cache_count gw2 hit) + $(cache_count gw3 hit)))
misses_before=$(($(cache_count gw2 miss) + $(cache_count gw3 miss)))
rcpt_run "${one_port[gw2]}" "x$run" "$tmp/second-gw2.out" --rcpts "$pool" --order sequential
rcpt_run "${one_port[gw3]}" "x$run" "$tmp/second-gw3.out" --rcpts "$pool" --order sequential
probes2=$(backend_stat rcpts)
hits=$(($(cache_count gw2 hit) + $(cache_count gw3 hit) - hits_before))
misses=$(($(cache_count gw2 miss) + $(cache_count gw3 miss) - misses_before))

# --- 3. a cached RCPT: Redis against in-process --------------------------------------------------
rcpt_run "${one_port[solo]}" "x$run" "$tmp/solo-warmup.out" --rcpts "$pool" --order sequential
# Both gateways first answer the same load unmeasured, so that the JIT has compiled the cached path
# (gw1's first pass above ran the probe path).
rcpt_run "${one_port[gw1]}" "x$run" "$tmp/redis-warmup.out" --rcpts "$rcpts" --order random --seed 9
rcpt_run "${one_port[solo]}" "x$run" "$tmp/local-warmup.out" --rcpts "$rcpts" --order random --seed 9
rows3=()
for round in 1 2 3; do
  rcpt_run "${one_port[gw1]}" "x$run" "$tmp/redis-$round.out" --rcpts "$rcpts" --order random --seed "$round" --rate "$rate"
  rcpt_run "${one_port[solo]}" "x$run" "$tmp/local-$round.out" --rcpts "$rcpts" --order random --seed "$round" --rate "$rate"
  for kind in redis local; do
    result=$(grep '^answered=' "$tmp/$kind-$round.out")
    rows3+=("| $round | $([ "$kind" = redis ] && echo "gw1, cache: redis://" || echo "solo, cache: local") | $(field answered "$result") | $(field rcpt_per_s "$result") | $(field p50_ms "$result") | $(field p99_ms "$result") | $(field temporary "$result") | $(field wrong "$result") |")
  done
done

# Redis's own round trip on this machine, as redis-cli sees it (min, max, average ms; samples).
redis_rtt=$(timeout -s INT 5 "${redis_cli[@]}" --latency --raw 2>/dev/null || true)

# --- summary -------------------------------------------------------------------------------------
describe_machine
echo
echo "### 1. Messages ($sessions sessions, $size, $warmup warm-up messages first)"
echo
echo "| nodes | accepted | accepted msg/s | p50 / p99 ms | failed | gateway CPU s (all nodes) |"
echo "| --- | ---: | ---: | --- | ---: | ---: |"
printf '%s\n' "${rows1[@]}"
echo
echo "### 2. Cross-node cache ($pool addresses: probed through gw1, then RCPT'd on gw2 and gw3)"
echo
echo "| | |"
echo "| --- | --- |"
echo "| back-end probes, first pass (gw1) | $((probes1 - probes0)) |"
echo "| back-end probes, second pass (gw2 and gw3, $((2 * pool)) RCPTs) | $((probes2 - probes1)) |"
echo "| gw2 and gw3: cache hits / misses | $hits / $misses |"
echo "| **cross-node hit ratio** | **$(calc "printf \"%.1f %%\", 100 * $hits / (($hits + $misses) > 0 ? ($hits + $misses) : 1)")** |"
echo
echo "### 3. A cached RCPT, $rcpts RCPTs over the $pool addresses, $sessions sessions, $rate RCPT/s (0: unpaced), after an unpaced warm-up of as many"
echo
echo "| round | gateway | RCPTs | RCPT/s | p50 ms | p99 ms | temporary | wrong |"
echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${rows3[@]}"
echo
echo "Redis round trip by \`redis-cli --latency\` for 5 s after the runs: min / max / average $(awk '{ printf "%s / %s / %s ms (%s samples)", $1, $2, $3, $4 }' <<<"$redis_rtt")."
echo
echo "| | |"
echo "| --- | --- |"
echo "| machine | $cpus CPUs, $model, $ram RAM |"
echo "| JDK | $jdk |"
echo "| HAProxy | $(haproxy -v 2>/dev/null | head -n 1) |"
echo "| gateway jar | built $jar_built |"
echo "| date | $(date -u '+%Y-%m-%d %H:%M UTC') |"
