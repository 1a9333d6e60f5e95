#!/usr/bin/env bash
# Gatehouse against Postfix as a recipient-verifying gateway (issue 5), in one run and on one
# machine. A private Postfix back-end on 127.0.0.1 has 10,000 virtual mailboxes in bench.test and
# refuses unknown users at RCPT (550 5.1.1); mail it accepts goes to its discard(8) transport, so
# that the back-end's own delivery costs next to nothing. In front of it, one after the other,
# with the same load:
#
#   (a) Postfix as the gateway: relay_domains = bench.test, transport to the back-end,
#       smtpd_recipient_restrictions = reject_unauth_destination, reject_unverified_recipient,
#       every address_verify_* setting at its default (see "Postfix gateway" below);
#   (b) Gatehouse with callout verification of bench.test against the same back-end.
#
# The load (bench/SmtpMixedLoad.java): each session sends several messages, each with
# PER_MAIL recipients of which about 30 % do not exist, then DATA with a 2 KiB message. Per gateway:
# a warm-up pass that asks once for every address of a pool (so that they are "cached"), then for
# each session count a "cached" phase (random addresses of the pool) and a "never-seen" phase
# (addresses the gateway has never been asked about). Nothing is retried: a 4xx is counted as the
# first attempt's temporary answer.
#
#   bench/run-vs-postfix.sh                 # 3 runs, 20 and 200 sessions: 12–15 minutes
#   RUNS=1 bench/run-vs-postfix.sh          # a quick check
#
# Environment:
#   RUNS              runs; each starts both gateways afresh (default 3), the table gives min/median/max
#   SESSIONS          session counts (default "20 200")
#   CACHED_MESSAGES   messages per session in the cached phases (default 50 below 50 sessions,
#                     else 20: at least 1,000 messages, so that the fraction of a second in which
#                     the queue drains after the load does not weigh on the end-to-end rate)
#   COLD_MESSAGES     messages per session in the never-seen phases (default 2: Postfix takes
#                     address_verify_poll_delay, 3 s, for each new address)
#   PER_MAIL          recipients per message (default 5)
#   INVALID_PERCENT   share of unknown addresses (default 30)
#   SIZE              message size in bytes (default 2048)
#   POOL              addresses of the cached pool, asked about once in the warm-up (default 4000)
#   MAILBOXES         mailboxes of the back-end (default 10000)
#   WARMUP_SESSIONS   sessions of the warm-up pass (default 200)
#   STEADY_MESSAGES   messages per session of the steady-state pass after the warm-up, 200 sessions
#                     on cached addresses, not measured (default 20; 0: none). A gateway runs for
#                     months: this pass lets the JVM's JIT compile the hot paths first, which
#                     otherwise takes a quarter of Gatehouse's CPU in the measured phases. Postfix
#                     gets the same pass.
#   LOAD_JAVA_OPTS    JVM options of the load generator (default "-XX:TieredStopAtLevel=1
#                     -XX:+UseSerialGC": a fresh JVM per phase, whose C2 compilations and GC
#                     threads would take CPU from the gateway under test)
#   GATEWAYS          which gateways, in the order of odd runs (default "postfix gatehouse"; even
#                     runs take them in the other order, so that drift of the machine evens out)
#   PF_PROCESS_LIMIT  the Postfix gateway's default_process_limit (default 250; Postfix's own
#                     default is 100, below the 200 sessions of the load, see below)
#   PF_REJECT_CODE    the Postfix gateway's unverified_recipient_reject_code (default 550; Postfix's
#                     default 450 would answer every known-unknown address with a 4xx for ever)
#   DRAIN_TIMEOUT     seconds to wait for a gateway's queue to empty after a phase (default 300)
#   CALLOUT_CONNECTIONS  Gatehouse's callout.connections_per_backend (default: Gatehouse's own default)
#   GATEWAY_JAVA_OPTS extra JVM options for Gatehouse
#   JFR_OUT, JFR_OPTIONS  profile Gatehouse with JDK Flight Recorder (as bench/run-smtp-load.sh; the
#                     file holds the last run's recording)
#   KEEP=1            keep the temporary directory (configurations, logs, per-phase outputs)
#
# Needs root (Postfix's master starts as root, its daemons run as the postfix user) and the
# Debian packages postfix and openjdk/maven as for the rest of the project. Never touches the
# system's Postfix (/etc/postfix, port 25): every instance has its own configuration, queue and
# data directories under a temporary directory, listens on one 127.0.0.1 port, looks nothing up
# in DNS and logs to a file. Everything started here is stopped on exit, failure included, and has
# a hard time limit of its own (a watchdog stops the Postfix instances even if this script is
# killed).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

runs=${RUNS:-3}
session_counts=${SESSIONS:-20 200}
cached_messages=${CACHED_MESSAGES:-}
cold_messages=${COLD_MESSAGES:-2}
per_mail=${PER_MAIL:-5}
invalid_percent=${INVALID_PERCENT:-30}
size=${SIZE:-2048}
pool=${POOL:-4000}
mailbox_count=${MAILBOXES:-10000}
warmup_sessions=${WARMUP_SESSIONS:-200}
steady_messages=${STEADY_MESSAGES:-20}
read -r -a load_java_opts <<<"${LOAD_JAVA_OPTS--XX:TieredStopAtLevel=1 -XX:+UseSerialGC}"
gateways=${GATEWAYS:-postfix gatehouse}
pf_process_limit=${PF_PROCESS_LIMIT:-250}
pf_reject_code=${PF_REJECT_CODE:-550}
drain_timeout=${DRAIN_TIMEOUT:-300}
limit_s=$((600 + runs * 1500))   # hard limit on every process started here
phase_limit_s=900                # hard limit of one load phase

[ "$(id -u)" -eq 0 ] || { echo "run-vs-postfix: needs root (private Postfix instances)" >&2; exit 1; }
for command in postfix postconf postmap; do
  command -v "$command" >/dev/null || { echo "run-vs-postfix: $command missing: apt-get install postfix" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-vs-postfix.XXXXXX")
chmod 755 "$tmp"   # Postfix's daemons run as the postfix user and must reach their directories
pf_dirs=()         # instance directories of every Postfix started
watchdogs=()       # their watchdogs' process groups
sampler_pid=""

# The master PID of the Postfix instance in $1, if it runs.
pf_master() {
  local pid
  pid=$(tr -d ' \n' <"$1/queue/pid/master.pid" 2>/dev/null) || return 0
  # That PID is still this instance's master (MAIL_CONFIG names its directory), never a reused one.
  [ -n "$pid" ] && tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qxF "MAIL_CONFIG=$1/etc" && echo "$pid" || true
}

# Stops the Postfix instance in $1: `postfix stop`, then, should its master outlive 15 s, SIGKILL
# to it and to its daemons (by PID, children of that master only).
pf_stop() {
  local dir=$1 master i
  master=$(pf_master "$dir")
  [ -n "$master" ] || return 0
  postfix -c "$dir/etc" stop >/dev/null 2>&1 || true
  for ((i = 0; i < 150; i++)); do
    [ -d "/proc/$master" ] && [ "$(awk '{ print $3 }' "/proc/$master/stat" 2>/dev/null)" != Z ] || return 0
    sleep 0.1
  done
  local children
  children=$(ps -o pid= --ppid "$master" 2>/dev/null || true)
  kill -KILL "$master" $children 2>/dev/null || true
}

# Replaces lib.sh's cleanup: the Postfix instances and their watchdogs too.
cleanup() {
  local status=$?
  stop "$load_pid" 2
  stop "$sampler_pid" 2
  stop "$gateway_pid" 15
  if [ -n "$gateway_jvm" ] && grep -qF "$tmp" "/proc/$gateway_jvm/cmdline" 2>/dev/null; then
    stop "$gateway_jvm" 5
  fi
  local dir group
  for dir in "${pf_dirs[@]}"; do pf_stop "$dir"; done
  for group in "${watchdogs[@]}"; do kill -TERM -- "-$group" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ] || [ "$status" -ne 0 ]; then
    echo "run-vs-postfix: files kept in $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }

# A free TCP port on 127.0.0.1 (nothing listens on it now).
free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 30000))
    ss -ltnH "sport = :$port" 2>/dev/null | grep -q . || { echo "$port"; return; }
  done
}

# CPU seconds of process $1 and of its children, dead ones included: its own time, the time of the
# children it has reaped (cutime/cstime) and that of the children still alive. For Postfix's master
# that is the whole instance (smtpd, cleanup, qmgr, smtp, verify, trivial-rewrite, ...); for a JVM,
# the JVM.
tree_cpu() {
  local pids
  [ -n "$1" ] && [ -d "/proc/$1" ] || { echo "?"; return; }
  pids="$1 $(ps -o pid= --ppid "$1" 2>/dev/null | tr '\n' ' ' || true)"
  (cd /proc && for p in $pids; do cat "$p/stat" 2>/dev/null; echo; done) |
    awk -v hz="$(getconf CLK_TCK)" 'NF { sub(/^.*\) /, ""); t += $12 + $13 + $14 + $15 } END { printf "%.2f", t / hz }'
}

# Whole machine's busy jiffies.
machine_busy() { machine_jiffies | cut -d' ' -f1; }

# Every 0.5 s until process $1 is gone: "ms sum_VmHWM_kB sum_RssAnon_kB processes" of it and its
# children, appended to $2. VmHWM is each process's own peak resident set; summed over Postfix's
# processes it counts the pages they share (libraries, maps) once per process, so RssAnon (the
# private, anonymous memory) is kept too.
sampler() {
  local root=$1 out=$2 end=$((SECONDS + limit_s)) pids
  while kill -0 "$root" 2>/dev/null && [ "$SECONDS" -lt "$end" ]; do
    pids="$root $(ps -o pid= --ppid "$root" 2>/dev/null | tr '\n' ' ' || true)"
    (cd /proc && for p in $pids; do cat "$p/status" 2>/dev/null; done) |
      awk -v t="$(now_ms)" '/^VmHWM:/ { h += $2 } /^RssAnon:/ { a += $2 } /^Pid:/ { n++ } END { print t, h + 0, a + 0, n + 0 }' >>"$out"
    sleep 0.5
  done
}

busy_before_run=$(busy_percent)

prepare_programs
"$JAVA_HOME/bin/javac" -d "$tmp/classes" -sourcepath "$root/bench" "$root/bench/SmtpMixedLoad.java"
mixed_load=("$java" "${load_java_opts[@]}" -cp "$tmp/classes" SmtpMixedLoad)

# --- Postfix instances ---------------------------------------------------------------------------
# pf_create DIR NAME PORT: the common part of main.cf and master.cf of a private instance.
pf_create() {
  local dir=$1 name=$2 port=$3
  mkdir -p "$dir/etc" "$dir/queue" "$dir/data"
  chmod 755 "$dir"
  chown postfix:postfix "$dir/data"   # the master's lock file, the verify cache
  cat >"$dir/etc/main.cf" <<EOF
# A private Postfix instance of bench/run-vs-postfix.sh: nothing here is read from /etc/postfix.
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
syslog_name = $name
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
myhostname = $name.pfbench.test
mydomain = pfbench.test
myorigin = \$myhostname
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
# The load's single client address: exempt from anvil's per-client limits, as Gatehouse's
# max_connections_per_ip is raised for it. Relaying is still refused (no permit_mynetworks).
mynetworks = 127.0.0.0/8
smtp_dns_support_level = disabled
alias_maps =
alias_database =
local_recipient_maps =
biff = no
# Anti-harvest error counting and sleeping off, as Gatehouse's harvest guard is: 30 % unknown
# recipients over many messages per session would otherwise make smtpd sleep 1 s per error after
# the 10th and disconnect after the 20th.
smtpd_soft_error_limit = 1000000
smtpd_hard_error_limit = 1000000
smtpd_junk_command_limit = 1000000
smtpd_error_sleep_time = 0
default_process_limit = $pf_process_limit
EOF
  cat >"$dir/etc/master.cf" <<EOF
# No chroot; one SMTP listener on a loopback port.
127.0.0.1:$port inet n  -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

# pf_start DIR: starts the instance, with a watchdog that stops it after the hard time limit even
# if this script is killed.
pf_start() {
  local dir=$1 i
  pf_dirs+=("$dir")
  postfix -c "$dir/etc" check >"$dir/check.log" 2>&1 || fail "postfix check of $dir: $(cat "$dir/check.log")"
  postfix -c "$dir/etc" start >"$dir/start.log" 2>&1 || fail "postfix start of $dir: $(cat "$dir/start.log")"
  for ((i = 0; i < 100; i++)); do
    [ -n "$(pf_master "$dir")" ] && break
    sleep 0.1
  done
  local master
  master=$(pf_master "$dir")
  [ -n "$master" ] || fail "the Postfix master of $dir did not start: $(cat "$dir/start.log"; tail -n 5 "$dir/maillog")"
  # The watchdog: its own session, so that it outlives this script; SIGKILL only to this master
  # (and its daemons) if `postfix abort` did not end it, checked by its environment.
  setsid bash -c "sleep $limit_s; postfix -c '$dir/etc' abort >/dev/null 2>&1; sleep 5
    if tr '\\0' '\\n' 2>/dev/null </proc/$master/environ | grep -qxF 'MAIL_CONFIG=$dir/etc'; then
      kill -KILL $master \$(ps -o pid= --ppid $master) 2>/dev/null
    fi" </dev/null >/dev/null 2>&1 &
  watchdogs+=("$!")
}

# The back-end: bench.test with $mailbox_count virtual mailboxes; mail is discarded after it was
# accepted (virtual_transport = discard), unknown users are refused at RCPT with 550 5.1.1.
backend_dir="$tmp/backend"
backend_port=$(free_port)
pf_create "$backend_dir" pfbench-backend "$backend_port"
"${mixed_load[@]}" mailboxes --count "$mailbox_count" --domain bench.test --invalid-percent "$invalid_percent" \
  2>"$tmp/mailboxes.info" | sed 's/$/\tOK/' >"$backend_dir/etc/mailboxes"
last_index=$(field last_index "$(cat "$tmp/mailboxes.info")")
postmap -c "$backend_dir/etc" "hash:$backend_dir/etc/mailboxes"
cat >>"$backend_dir/etc/main.cf" <<EOF
virtual_mailbox_domains = bench.test
virtual_mailbox_maps = hash:$backend_dir/etc/mailboxes
virtual_transport = discard:benchmark
smtpd_reject_unlisted_recipient = yes
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
EOF
pf_start "$backend_dir"
backend_master=$(pf_master "$backend_dir")
# Messages the back-end accepted so far (one cleanup "message-id=" line each; probes never get there).
backend_received() { grep -c 'pfbench-backend/cleanup\[[0-9]*\]: [0-9A-F]*: message-id=' "$backend_dir/maillog" 2>/dev/null || true; }

# Address numbers: the cached pool first, then a fresh range for each never-seen phase of each
# session count (each gateway instance is new in every run, so the ranges can be used again).
declare -A cold_first
next_index=$pool
for s in $session_counts; do
  cold_first[$s]=$next_index
  next_index=$((next_index + s * cold_messages * per_mail))
done
[ "$next_index" -le "$((last_index + 1))" ] \
  || fail "the phases need $next_index addresses, the $mailbox_count mailboxes cover $((last_index + 1)): raise MAILBOXES"

# --- the gateways --------------------------------------------------------------------------------
gw_port=""
gw_root=""       # the process whose tree is the gateway: Postfix's master or Gatehouse's JVM
gw_dir=""

start_postfix() {
  gw_dir="$tmp/run$1-postfix"
  gw_port=$(free_port)
  pf_create "$gw_dir" pfbench-gateway "$gw_port"
  echo "bench.test relay:[127.0.0.1]:$backend_port" >"$gw_dir/etc/transport"
  cat >>"$gw_dir/etc/main.cf" <<EOF
relay_domains = bench.test
transport_maps = texthash:$gw_dir/etc/transport
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = reject_unauth_destination, reject_unverified_recipient
unverified_recipient_reject_code = $pf_reject_code
# address_verify_*: Postfix's defaults (cache btree:\$data_directory/verify_cache, poll count 3,
# poll delay 3s, positive expiry 31d, negative cache on, negative expiry 3d, ...).
EOF
  pf_start "$gw_dir"
  gw_root=$(pf_master "$gw_dir")
}

start_gatehouse() {
  gw_dir="$tmp/run$1-gatehouse"
  mkdir -p "$gw_dir"
  rm -rf "$tmp/data"   # a fresh gateway: empty verdict cache and queue
  {
    gateway_yaml
    if [ -n "${CALLOUT_CONNECTIONS:-}" ]; then
      printf 'callout:\n  connections_per_backend: %s\n' "$CALLOUT_CONNECTIONS"
    fi
    cat <<EOF
policy:
  recipient_verification: callout
  harvest:                       # off in effect, as Postfix's error limits are here
    tarpit_after: 100000000
    block_after: 200000000
  domains:
    - name: bench.test
      backend: ["127.0.0.1:$backend_port"]
      verification: callout
EOF
  } >"$tmp/gatehouse.yaml"
  start_gateway
  [ -n "$gateway_jvm" ] || fail "cannot find Gatehouse's JVM"
  gw_port=$gateway_port
  gw_root=$gateway_jvm
}

stop_gateway() {
  stop "$sampler_pid" 2
  sampler_pid=""
  if [ "$1" = postfix ]; then
    pf_stop "$gw_dir"
  else
    dump_recording
    stop "$gateway_pid" 15
    cp "$tmp/gateway.log" "$gw_dir/gateway.log"
    gateway_pid=""
    gateway_jvm=""
  fi
}

# Whether the gateway's queue is empty. Postfix: no queue file in maildrop, incoming, active,
# deferred or hold (what `postqueue -p` would list, without starting showq, whose CPU would count
# as the gateway's). Gatehouse: as many "removed" (delivered, nothing left to do) as accepted.
queue_empty() {
  if [ "$1" = postfix ]; then
    [ -z "$(cd "$gw_dir/queue" && find maildrop incoming active deferred hold -type f -print -quit 2>/dev/null)" ]
  else
    [ "$(grep -c 'postfix/qmgr\[[0-9]*\]: [0-9A-Z]*: removed$' "$tmp/gateway.log" || true)" -ge "$2" ]
  fi
}

# --- one measured phase --------------------------------------------------------------------------
results="$tmp/results.tsv"   # run gateway sessions phase key=value...
: >"$results"
gh_accepted_total=0

# phase RUN GATEWAY SESSIONS NAME load-options...: runs the load, waits for the gateway's queue to
# empty, and records the figures.
phase() {
  local run=$1 gw=$2 s=$3 name=$4
  shift 4
  local out="$tmp/run$run-$gw-$s-$name.out" status=0 c1 c2 b1 b2 m1 m2 r1 r2 start_ms drained_ms accepted i
  c1=$(tree_cpu "$gw_root"); b1=$(tree_cpu "$backend_master"); m1=$(machine_busy); r1=$(backend_received)
  start_ms=$(now_ms)
  timeout --kill-after=5 "$phase_limit_s" "${mixed_load[@]}" load --port "$gw_port" --sessions "$s" \
    --domain bench.test --per-mail "$per_mail" --invalid-percent "$invalid_percent" --size "$size" \
    --max-seconds "$((phase_limit_s - 30))" "$@" >"$out" 2>&1 &
  load_pid=$!
  wait "$load_pid" || status=$?
  load_pid=""
  accepted=$(field accepted "$(grep '^accepted=' "$out" || true)")
  accepted=${accepted:-0}
  [ "$gw" = gatehouse ] && gh_accepted_total=$((gh_accepted_total + accepted))
  local drained=yes
  for ((i = 0; i < drain_timeout * 10; i++)); do
    queue_empty "$gw" "$gh_accepted_total" && break
    sleep 0.1
  done
  drained_ms=$(now_ms)
  queue_empty "$gw" "$gh_accepted_total" || drained=no
  c2=$(tree_cpu "$gw_root"); b2=$(tree_cpu "$backend_master"); m2=$(machine_busy)
  sleep 1   # the back-end's log of the last deliveries
  r2=$(backend_received)
  local head rcpt msgs load_cpu gw_cpu be_cpu other peak
  head=$(head -n 1 "$out")
  rcpt=$(grep '^answered=' "$out" || true)
  msgs=$(grep '^accepted=' "$out" || true)
  [ -n "$rcpt" ] && [ -n "$msgs" ] || { cat "$out" >&2; fail "the load printed no result ($gw, $s sessions, $name, exit $status)"; }
  load_cpu=$(field cpu_s "$head")
  gw_cpu=$(calc "printf \"%.2f\", $c2 - $c1")
  be_cpu=$(calc "printf \"%.2f\", $b2 - $b1")
  other=$(calc "printf \"%.2f\", ($m2 - $m1) / $(getconf CLK_TCK) - $gw_cpu - $be_cpu - $load_cpu")
  # The peak of the sampled sums during the phase (the sampler's last line before it, too).
  peak=$(awk -v a="$start_ms" -v b="$drained_ms" '$1 <= b { if ($1 < a) { h = $2; r = $3 } else { if ($2 > h) h = $2; if ($3 > r) r = $3 } } END { printf "peak_hwm_mib=%.0f peak_anon_mib=%.0f", h / 1024, r / 1024 }' "$tmp/run$run-$gw.mem")
  local e2e
  e2e=$(calc "printf \"%.1f\", $accepted / (($drained_ms - $(field start_ms "$msgs")) / 1000)")
  echo "$run $gw $s $name accepted=$accepted accepted_per_s=$(field accepted_per_s "$msgs") e2e_per_s=$e2e" \
    "p50_ms=$(field p50_ms "$rcpt") p99_ms=$(field p99_ms "$rcpt") max_ms=$(field max_ms "$rcpt")" \
    "answered=$(field answered "$rcpt") temporary=$(field temporary "$rcpt") in_progress=$(field in_progress "$rcpt")" \
    "temporary_percent=$(field temporary_percent "$rcpt") wrong=$(field wrong "$rcpt") unanswered=$(field unanswered "$rcpt")" \
    "gw_cpu_s=$gw_cpu cpu_ms_per_msg=$(calc "printf \"%.1f\", 1000 * $gw_cpu / ($accepted > 0 ? $accepted : 1)")" \
    "$peak backend_cpu_s=$be_cpu load_cpu_s=$load_cpu other_cpu_s=$other" \
    "backend_received=$((r2 - r1)) drained=$drained load_exit=$status wall_s=$(field wall_s "$msgs")" >>"$results"
  printf '  %-9s %3s sessions %-10s %s\n' "$gw" "$s" "$name" "$(tail -n 1 "$results" | cut -d' ' -f5-)"
  grep '^failure' "$out" | head -n 5 | sed 's/^/      /' || true
}

started=$(date -u '+%Y-%m-%d %H:%M UTC')
echo "back-end: Postfix $(postconf -d -h mail_version) on 127.0.0.1:$backend_port, $mailbox_count mailboxes in bench.test (addresses 0..$last_index)"
for ((run = 1; run <= runs; run++)); do
  order=$gateways
  ((run % 2 == 0)) && order=$(tr ' ' '\n' <<<"$gateways" | tac | tr '\n' ' ')
  for gw in $order; do
    echo "run $run: $gw"
    if [ "$gw" = postfix ]; then start_postfix "$run"; else start_gatehouse "$run"; gh_accepted_total=0; fi
    sampler "$gw_root" "$tmp/run$run-$gw.mem" &
    sampler_pid=$!
    for ((i = 0; i < 100; i++)); do [ -s "$tmp/run$run-$gw.mem" ] && break; sleep 0.1; done
    # The warm-up pass: every pool address asked about once; afterwards both gateways have a
    # verdict for each in their cache.
    phase "$run" "$gw" "$warmup_sessions" warm-up --messages 0 --first 0 --count "$pool" --order sequential
    if [ "$steady_messages" -gt 0 ]; then
      phase "$run" "$gw" 200 steady --messages "$steady_messages" --first 0 --count "$pool" --order random --seed 0
    fi
    for s in $session_counts; do
      phase "$run" "$gw" "$s" cached --messages "${cached_messages:-$((s < 50 ? 50 : 20))}" --first 0 --count "$pool" \
        --order random --seed "$run"
      phase "$run" "$gw" "$s" never-seen --messages "$cold_messages" --first "${cold_first[$s]}" \
        --count "$((s * cold_messages * per_mail))" --order sequential
    done
    stop_gateway "$gw"
  done
done

# --- summary -------------------------------------------------------------------------------------
# stat GATEWAY SESSIONS PHASE KEY: "median (min–max)" over the runs, or the value with one run.
stat() {
  awk -v g="$1" -v s="$2" -v p="$3" -v k="$4" '
    $2 == g && $3 == s && $4 == p { for (i = 5; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) v[n++] = kv[2] + 0 } }
    END {
      if (n == 0) { print "–"; exit }
      for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
      f = (v[n - 1] >= 100 || k ~ /mib/) ? "%.0f" : (v[n - 1] >= 10 ? "%.1f" : "%.2f")
      if (n == 1) { printf f "\n", v[0]; exit }
      med = (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
      printf f " (" f "–" f ")\n", med, v[0], v[n - 1]
    }' "$results"
}
row() {   # label phase key
  local s
  for s in $session_counts; do
    echo "| $1 | $s | $(stat postfix "$s" "$2" "$3") | $(stat gatehouse "$s" "$2" "$3") |"
  done
}

describe_machine
echo
echo "Gatehouse vs Postfix $(postconf -d -h mail_version) as a verifying gateway: $runs run(s), $started to $(date -u '+%H:%M UTC');"
echo "machine $cpus CPUs, $model, $ram RAM; $jdk; gatehouse.jar built $jar_built; machine CPU busy in the second before: $busy_before_run %."
echo "Load: $per_mail recipients per message, $invalid_percent % unknown, $size-byte messages; cached: ${cached_messages:-50 (under 50 sessions) or 20} messages per session,"
echo "random addresses of a $pool-address pool asked about once before; never-seen: $cold_messages messages per session, new addresses."
echo "Before the measured phases, each gateway gets a steady-state pass of $steady_messages messages per session at 200 sessions (not measured)."
echo "With several runs: median (min–max). Postfix: default_process_limit $pf_process_limit, unverified_recipient_reject_code $pf_reject_code."
echo
echo "| metric | sessions | Postfix | Gatehouse |"
echo "| --- | ---: | ---: | ---: |"
row "accepted msg/s, cached" cached accepted_per_s
row "accepted msg/s, never-seen" never-seen accepted_per_s
row "end-to-end msg/s, cached" cached e2e_per_s
row "end-to-end msg/s, never-seen" never-seen e2e_per_s
row "RCPT p50 ms, cached" cached p50_ms
row "RCPT p99 ms, cached" cached p99_ms
row "RCPT p50 ms, never-seen" never-seen p50_ms
row "RCPT p99 ms, never-seen" never-seen p99_ms
row "first-attempt 4xx %, cached" cached temporary_percent
row "first-attempt 4xx %, never-seen" never-seen temporary_percent
row "gateway CPU s, cached phase" cached gw_cpu_s
row "gateway CPU ms per accepted msg, cached" cached cpu_ms_per_msg
row "gateway CPU s, never-seen phase" never-seen gw_cpu_s
row "gateway peak RSS MiB (sum of VmHWM), cached" cached peak_hwm_mib
row "gateway peak RssAnon MiB, cached" cached peak_anon_mib
row "other processes' CPU s, cached phase" cached other_cpu_s
row "other processes' CPU s, never-seen phase" never-seen other_cpu_s
echo "| warm-up pass ($pool addresses): wall s | $warmup_sessions | $(stat postfix "$warmup_sessions" warm-up wall_s) | $(stat gatehouse "$warmup_sessions" warm-up wall_s) |"
echo "| warm-up pass: first-attempt 4xx % | $warmup_sessions | $(stat postfix "$warmup_sessions" warm-up temporary_percent) | $(stat gatehouse "$warmup_sessions" warm-up temporary_percent) |"
echo
echo "Every phase (one line each):"
sed 's/^/  /' "$results"
bad=$(awk '{ for (i = 5; i <= NF; i++) { split($i, kv, "="); if ((kv[1] == "wrong" || kv[1] == "unanswered") && kv[2] > 0) b++; if (kv[1] == "drained" && kv[2] != "yes") b++ } } END { print b + 0 }' "$results")
[ "$bad" -eq 0 ] || echo "WARNING: $bad phase figures with wrong or unanswered RCPTs or an undrained queue: see the lines above"
