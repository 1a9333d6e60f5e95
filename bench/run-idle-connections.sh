#!/usr/bin/env bash
# Memory of idle SMTP connections (issue 11, item 8): the packaged gateway's resident memory and
# live heap with 0, 1,000, 5,000 and 10,000 connections open that have read the greeting (and sent
# EHLO) and then say nothing, as a botnet holding connections open would. All on 127.0.0.1; the
# client is bench/idle_connections.c (compiled here with cc), which spreads its connections over
# source addresses 127.1.0.1 upwards, 50 per address.
#
#   bench/run-idle-connections.sh
#   MESSAGES=20000 bench/run-idle-connections.sh        # a gateway that has carried mail first
#   STAGES="1000 2000 5000 10000 20000" bench/run-idle-connections.sh
#   GATEWAY_JAVA_OPTS="-XX:+UseSerialGC" bench/run-idle-connections.sh
#
# At each stage, once every connection has its reply and after SETTLE seconds:
#   RSS           VmRSS of the gateway's JVM, as it stands: what the machine pays
#   heap live     heap in use after a full collection (jcmd GC.run; GC.heap_info): what the
#                 connections keep alive
#   heap committed, RSS after GC  the same moment, after that collection
# and the cost of one connection, (value at N - value at 0) / N, from RSS after GC and heap live:
# a full collection shrinks the heap G1 grew (after MESSAGES especially), so RSS as it stands
# moves with the collector's sizing more than with the connections.
#
# Environment:
#   MESSAGES          send this many 2 KiB messages through the gateway to a sink back-end
#                     (bench/SmtpLoad.java, 20 sessions) before the baseline, so that it is a
#                     gateway whose JIT has compiled and whose heap has been sized by real work,
#                     and again with the last stage's connections open, measured as one more row
#                     ("+ mail"): the idle connections and the garbage of the mail together
#                     (default 0)
#   GC                1 (default): a full collection before reading the live heap at each stage;
#                     0: none at all, so that every figure is the JVM as left to itself
#   STAGES            totals of open connections to measure at, after 0 (default "1000 5000 10000")
#   EHLO              1 (default): each connection sends EHLO after the greeting; 0: greeting only
#   PER_ADDRESS       connections per source address (default 50, the default max_connections_per_ip;
#                     0: all from 127.0.0.1)
#   SETTLE            seconds to wait at each stage before measuring (default 5)
#   HISTOGRAM         write the gateway's class histogram at the last stage to this file
#   JAR               the gateway to measure (default target/gatehouse.jar), e.g. another build
#                     for a before/after comparison
#   GATEWAY_JAVA_OPTS extra JVM options for the gateway (default none: the JVM's defaults, as the
#                     gatehouse launcher starts it)
#
# The gateway's command_timeout is raised to 30 minutes, so that the first stage's connections
# are still open at the last. Everything started here stops by itself (time limits) and is
# stopped on exit, failure included.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

read -r -a stages <<<"${STAGES:-1000 5000 10000}"
messages=${MESSAGES:-0}
collect=${GC:-1}
ehlo=${EHLO:-1}
per_address=${PER_ADDRESS:-50}
settle=${SETTLE:-5}
histogram=${HISTOGRAM:-}
limit_s=1200   # hard limit on every process started here

most=0
for n in "${stages[@]}"; do
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -gt "$most" ] || { echo "run-idle-connections: STAGES must rise: ${stages[*]}" >&2; exit 2; }
  most=$n
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-idle-bench.XXXXXX")

# Each connection is a descriptor in the gateway and another in the client (each process has its
# own limit, inherited from here); the JVM raises its soft limit to the hard one by itself.
need=$((most + 1000))
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$need" ]; then
  ulimit -Hn "$need" 2>/dev/null || fail "the open-file limit is $(ulimit -Hn); $need are needed (run as root, or raise it)"
fi
[ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ] && ulimit -n "$need"

prepare_programs
if [ -n "${JAR:-}" ]; then
  cp "$JAR" "$tmp/gatehouse.jar" || fail "no $JAR to run"
  jar_built="$(date -u -r "$JAR" '+%Y-%m-%d %H:%M:%S UTC') ($JAR)"
fi
smtp_load=("$java" -cp "$tmp/classes" SmtpLoad)
cc -O2 -o "$tmp/idle_connections" "$root/bench/idle_connections.c" \
  || fail "cannot compile bench/idle_connections.c (apt-get install gcc)"
client=("$tmp/idle_connections" --port "" --per-address "$per_address" --max-seconds "$((limit_s - 60))")
[ "$ehlo" = 1 ] && client+=(--ehlo)

# --- the sink and the gateway --------------------------------------------------------------------
backend_port=1   # without MESSAGES nothing is sent: the domain only completes the configuration
if [ "$messages" -gt 0 ]; then
  start_backend sink "${smtp_load[@]}" sink --port 0
fi
cat >"$tmp/gatehouse.yaml" <<EOF
hostname: bench.test
data_dir: $tmp/data
smtp:
  listen: ["127.0.0.1:0"]
  max_connections: $need
  max_connections_per_ip: $need
  command_timeout: 30m
  shutdown_grace: 5s
dns:
  servers: ["127.0.0.1:1"]
  timeout: 1s
policy:
  recipient_verification: none
  domains:
    - name: bench.test
      backend: ["127.0.0.1:$backend_port"]
      verification: none
EOF

start_gateway
[ -n "$gateway_jvm" ] || fail "cannot find the gateway's JVM under its timeout wrapper"
client[2]=$gateway_port
jcmd=("$JAVA_HOME/bin/jcmd" "$gateway_jvm")

# /proc/PID/status field, in KiB
status_kib() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$gateway_jvm/status"; }

# "used committed" of the heap, in KiB, from GC.heap_info: the sum over the generations (one line
# for G1, two for Serial and Parallel), never Metaspace's line.
heap_kib() {
  "${jcmd[@]}" GC.heap_info | awk '
    /Metaspace|class space/ { next }
    /used [0-9]+K/ {
      match($0, /used [0-9]+K/); used += substr($0, RSTART + 5, RLENGTH - 6)
      if (match($0, /committed [0-9]+K/)) committed += substr($0, RSTART + 10, RLENGTH - 11)
      else if (match($0, /total [0-9]+K/)) committed += substr($0, RSTART + 6, RLENGTH - 7)
    }
    END { print used, committed }'
}

rows=()
declare -A rss_at heap_at
# measure N [LABEL]: one row of the table, N connections open
measure() {
  local n=$1 label=${2:-$1} rss rss_gc used committed hwm
  sleep "$settle"
  rss=$(status_kib VmRSS)
  if [ "$collect" = 1 ]; then
    "${jcmd[@]}" GC.run >/dev/null
    sleep 1
  fi
  read -r used committed < <(heap_kib)
  rss_gc=$(status_kib VmRSS)
  hwm=$(status_kib VmHWM)
  if [ "$label" = "$n" ]; then
    rss_at[$n]=$rss_gc   # with GC=1 every stage is then read in the same state, just collected
    heap_at[$n]=$used
  fi
  local per_rss="–" per_heap="–"
  if [ "$n" -gt 0 ] && [ "$label" = "$n" ]; then
    per_rss=$(calc "printf \"%.1f\", ($rss_gc - ${rss_at[0]}) / $n")
    per_heap=$(calc "printf \"%.1f\", ($used - ${heap_at[0]}) / $n")
  fi
  rows+=("| $label | $(mib "$rss") | $(mib "$rss_gc") | $(mib "$used" 1) | $(mib "$committed") | $(mib "$hwm") | $per_rss | $per_heap |")
  echo "measured: connections=\"$label\" rss_kib=$rss rss_after_gc_kib=$rss_gc heap_used_kib=$used heap_committed_kib=$committed hwm_kib=$hwm"
}
mib() { calc "printf \"%.${2:-0}f\", $1 / 1024"; }

# --- mail, when asked: a gateway in service rather than one just started --------------------------
# Sends $messages messages (20 sessions, in the background so that an interrupt is handled at once)
# and waits until the sink has them all.
send_mail() {
  local before accepted i
  before=$(backend_stat received)
  "${smtp_load[@]}" load --port "$gateway_port" --sessions 20 --messages "$messages" --size 2KiB \
    --max-seconds "$((limit_s / 3))" >"$tmp/load.out" 2>&1 &
  load_pid=$!
  wait "$load_pid" || fail "the mail load failed: $(tail -n 5 "$tmp/load.out")"
  load_pid=""
  accepted=$(field accepted "$(grep '^accepted=' "$tmp/load.out")")
  for ((i = 0; i < 1200; i++)); do
    [ "$(backend_stat received)" -ge "$((before + accepted))" ] && break
    sleep 0.1
  done
  echo "mail: $accepted messages accepted, $(($(backend_stat received) - before)) delivered to the sink"
}
if [ "$messages" -gt 0 ]; then
  send_mail
fi

# --- a few sessions first, so that the classes of a session are loaded before the baseline ------
printf '100\n' | "${client[@]}" >"$tmp/warmup.out" 2>&1 || fail "the warm-up connections failed: $(cat "$tmp/warmup.out")"
measure 0

# --- the stages ----------------------------------------------------------------------------------
mkfifo "$tmp/stages"
"${client[@]}" <"$tmp/stages" >"$tmp/client.out" 2>"$tmp/client.err" &
client_pid=$!
trap 'stop "$client_pid" 2; cleanup' EXIT
exec 3>"$tmp/stages"   # held open until the end: the client closes its connections at EOF

for n in "${stages[@]}"; do
  start=$(date +%s)
  echo "$n" >&3
  until grep -q "^open=$n " "$tmp/client.out" 2>/dev/null; do
    kill -0 "$client_pid" 2>/dev/null || fail "the client stopped at $(tail -n 1 "$tmp/client.out"): $(tail -n 5 "$tmp/client.err")"
    [ $(($(date +%s) - start)) -lt 600 ] || fail "$n connections not open within 10 minutes"
    sleep 0.2
  done
  tail -n 1 "$tmp/client.out"
  measure "$n"
done
if [ "$messages" -gt 0 ]; then
  send_mail
  measure "${stages[-1]}" "${stages[-1]} + mail"
fi
if [ -n "$histogram" ]; then
  "${jcmd[@]}" GC.class_histogram >"$histogram" && echo "class histogram at ${stages[-1]} connections: $histogram"
fi
threads=$(awk '$1 == "Threads:" { print $2 }' "/proc/$gateway_jvm/status")
exec 3>&-
wait "$client_pid" || fail "the client reported failed connections: $(tail -n 5 "$tmp/client.err")"

# --- summary -------------------------------------------------------------------------------------
describe_machine
echo
echo "| connections | RSS MiB | RSS after GC MiB | heap live MiB | heap committed MiB | peak RSS MiB | RSS KiB per connection | live heap KiB per connection |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
echo
echo "| | |"
echo "| --- | --- |"
echo "| connections | $([ "$ehlo" = 1 ] && echo "greeting and EHLO" || echo "greeting only"), then idle; $([ "$per_address" -gt 0 ] && echo "$per_address per source address" || echo "all from 127.0.0.1") |"
echo "| gateway JVM options | ${GATEWAY_JAVA_OPTS:-none, the defaults of the JVM} |"
echo "| mail | $([ "$messages" -gt 0 ] && echo "$messages messages of 2 KiB, 20 sessions, before the baseline and again at the last stage (+ mail)" || echo "none") |"
echo "| full collection at each stage | $([ "$collect" = 1 ] && echo "yes (jcmd GC.run), after reading RSS" || echo "no: heap figures include garbage") |"
echo "| gateway operating-system threads at the end | $threads |"
echo "| machine | $cpus CPUs, $model, $ram RAM, kernel $(uname -r) |"
echo "| JDK | $jdk |"
echo "| gateway jar | built $jar_built |"
echo "| date | $(date -u '+%Y-%m-%d %H:%M UTC') |"
