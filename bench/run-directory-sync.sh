#!/usr/bin/env bash
# Directory sync at scale (issue 14, item 6): a real OpenLDAP slapd with an Active Directory shaped
# directory of N entries, read in full by the gateway's own sync code, timed, with the heap its
# snapshot takes. Everything on 127.0.0.1, in a temporary directory.
#
#   bench/run-directory-sync.sh                 # 100,000 entries, 3 syncs
#   ENTRIES=1000000 SYNCS=2 bench/run-directory-sync.sh
#
# Environment:
#   ENTRIES     recipient entries (default 100000): 90 % users, 5 % groups, 5 % contacts
#   SYNCS       full syncs in a row (default 3); the first is a new gateway's, JIT cold
#   PAGE_SIZE   the gateway's page_size (default 500, its default); the server serves at most 1000
#               entries a page and 1000 without paging, as Active Directory's MaxPageSize
#   HEAP        the harness's -Xmx (default 512m)
#   WAIT_IDLE   wait up to this many seconds for the machine to be idle first (default 0)
#   JFR_OUT     profile the harness with JDK Flight Recorder into this file
#
# The directory, as slapd gets it (the schema is src/test/resources/ldap/ad-shape.schema, as the
# tests' TestSlapd uses): a user has mail, proxyAddresses SMTP: (the same address), smtp: two
# aliases (one in a second domain), x500: and sip: (ignored), sAMAccountName and
# userAccountControl (1 in 20 disabled, still a recipient by default); a group has mail and
# SMTP:/smtp:; a contact has mail (an outside address) and SMTP:. The entries are loaded by
# slapadd before slapd starts; slapd reads them from an mdb database, as a warm server would.
#
# The sync is Directories.syncNow (bench/DirectorySyncBench.java), what `gatehouse directory sync`
# and the gateway's schedule run: bind, the paged search, the addresses taken from each value, the
# table built and put in force, the snapshot gzipped into the (embedded) store.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

entries=${ENTRIES:-100000}
syncs=${SYNCS:-3}
page_size=${PAGE_SIZE:-500}
heap=${HEAP:-512m}
wait_idle=${WAIT_IDLE:-0}
limit_s=1200
base="dc=corp,dc=example"
bind="cn=gatehouse,ou=Service,$base"

slapd=$(command -v slapd || echo /usr/sbin/slapd)
slapadd=$(command -v slapadd || echo /usr/sbin/slapadd)
[ -x "$slapd" ] && [ -x "$slapadd" ] || { echo "run-directory-sync: slapd is not installed (apt-get install slapd)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-dir-bench.XXXXXX")
mkdir "$tmp/db" "$tmp/data"

# --- the directory ------------------------------------------------------------------------------
cp "$root/src/test/resources/ldap/ad-shape.schema" "$tmp/ad-shape.schema"
printf 'bind-secret-bench\n' >"$tmp/bind.secret"
cat >"$tmp/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include $tmp/ad-shape.schema
pidfile $tmp/slapd.pid
argsfile $tmp/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 4294967296
suffix "$base"
rootdn "cn=admin,$base"
rootpw admin-secret-unused
directory $tmp/db
index objectClass eq
limits dn.exact="$bind" size=1000 size.pr=1000 size.prtotal=unlimited
access to attrs=userPassword by anonymous auth by * none
access to * by dn.exact="$bind" read by * none
EOF

t0=$(date +%s.%N)
awk -v n="$entries" -v base="$base" -v bind="$bind" 'BEGIN {
  print "dn: " base; print "objectClass: top"; print "objectClass: dcObject"; print "objectClass: organization"
  print "dc: corp"; print "o: Corp"; print ""
  split("Users Groups Contacts Service", ous, " ")
  for (o = 1; o <= 4; o++) { print "dn: ou=" ous[o] "," base; print "objectClass: organizationalUnit"; print "ou: " ous[o]; print "" }
  print "dn: " bind; print "objectClass: top"; print "objectClass: person"; print "cn: gatehouse"; print "sn: Gatehouse"
  print "userPassword: bind-secret-bench"; print ""
  for (i = 0; i < n; i++) {
    r = i % 20
    if (r < 18) {
      name = "firstname.lastname" i
      print "dn: cn=User " i ",ou=Users," base
      print "objectClass: top"; print "objectClass: person"; print "objectClass: organizationalPerson"; print "objectClass: user"
      print "cn: User " i; print "sn: Lastname" i; print "sAMAccountName: u" i
      print "userAccountControl: " (r == 17 ? 514 : 512)
      print "mail: " name "@corp.example"
      print "proxyAddresses: SMTP:" name "@corp.example"
      print "proxyAddresses: smtp:u" i "@corp.example"
      print "proxyAddresses: smtp:" name "@corp-alias.example"
      print "proxyAddresses: X500:/o=Corp/ou=Exchange Administrative Group/cn=Recipients/cn=u" i
      print "proxyAddresses: sip:" name "@corp.example"
    } else if (r == 18) {
      print "dn: cn=Group " i ",ou=Groups," base
      print "objectClass: top"; print "objectClass: group"; print "cn: Group " i; print "sAMAccountName: g" i
      print "mail: group" i "@corp.example"
      print "proxyAddresses: SMTP:group" i "@corp.example"
      print "proxyAddresses: smtp:group" i "@corp-alias.example"
    } else {
      print "dn: cn=Contact " i ",ou=Contacts," base
      print "objectClass: top"; print "objectClass: person"; print "objectClass: organizationalPerson"; print "objectClass: contact"
      print "cn: Contact " i; print "sn: Contact" i
      print "mail: contact" i "@partner.example"
      print "proxyAddresses: SMTP:contact" i "@partner.example"
    }
    print ""
  }
}' >"$tmp/directory.ldif"
t1=$(date +%s.%N)
"$slapadd" -q -f "$tmp/slapd.conf" -l "$tmp/directory.ldif" >"$tmp/slapadd.log" 2>&1 \
  || fail "slapadd failed: $(tail -n 5 "$tmp/slapadd.log")"
t2=$(date +%s.%N)
ldif_s=$(calc "printf \"%.1f\", $t1 - $t0")
slapadd_s=$(calc "printf \"%.1f\", $t2 - $t1")
ldif_mb=$(du -m "$tmp/directory.ldif" | cut -f1)
db_mb=$(du -m "$tmp/db" | cut -f1)

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
timeout --kill-after=10 "$limit_s" "$slapd" -f "$tmp/slapd.conf" -h "ldap://127.0.0.1:$port/" -d 0 \
  >"$tmp/slapd.log" 2>&1 &
backend_pid=$!   # stopped on exit by lib.sh's cleanup
for ((i = 0; i < 300; i++)); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$backend_pid" 2>/dev/null || fail "slapd did not start: $(cat "$tmp/slapd.log")"
  sleep 0.1
done
slapd_pid=$(pgrep -P "$backend_pid" -n slapd || echo "$backend_pid")   # slapd under `timeout`

# --- the syncs ----------------------------------------------------------------------------------
cp "$root/target/gatehouse.jar" "$tmp/gatehouse.jar"
jar_built=$(date -u -r "$root/target/gatehouse.jar" '+%Y-%m-%d %H:%M:%S UTC')
mkdir "$tmp/classes"
"$JAVA_HOME/bin/javac" -d "$tmp/classes" -cp "$tmp/gatehouse.jar" "$root/bench/DirectorySyncBench.java"
jvm_opts=("-Xmx$heap" -XX:+UseG1GC)
[ -z "${JFR_OUT:-}" ] || jvm_opts+=("-XX:StartFlightRecording=settings=profile,filename=$JFR_OUT")
wait_for_idle "$wait_idle"
slapd_cpu_before=$(cpu_seconds "$slapd_pid")
timeout --kill-after=10 "$limit_s" "$java" "${jvm_opts[@]}" -cp "$tmp/classes:$tmp/gatehouse.jar" DirectorySyncBench \
  --url "ldap://127.0.0.1:$port" --base-dn "$base" --bind-dn "$bind" --password-file "$tmp/bind.secret" \
  --data-dir "$tmp/data" --syncs "$syncs" --page-size "$page_size" >"$tmp/harness.out" 2>"$tmp/harness.err" \
  || fail "the harness failed: $(tail -n 20 "$tmp/harness.err")"
slapd_cpu_after=$(cpu_seconds "$slapd_pid")
[ -z "${JFR_OUT:-}" ] || echo "JFR recording of the harness: $JFR_OUT"

# --- summary ------------------------------------------------------------------------------------
describe_machine
out=$(cat "$tmp/harness.out")
kib() { calc "printf \"%.0f\", $1 / 1024"; }
echo
echo "$entries entries (LDIF $ldif_mb MB written in $ldif_s s, slapadd $slapadd_s s, mdb $db_mb MB), page_size $page_size, server limit 1000 a page;"
echo "machine $cpus CPUs, $model, $ram RAM; $jdk, -Xmx$heap, G1; gateway jar built $jar_built;"
echo "machine CPU busy in the second before the run: $busy_before_run %; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "| sync | entries | addresses | wall s | sync thread CPU s | harness JVM CPU s (GC incl.) | GC pause ms |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
while read -r line; do
  [[ "$line" == sync=* ]] || continue
  echo "| $(field sync "$line") | $(field entries "$line") | $(field addresses "$line") |" \
    "$(calc "printf \"%.2f\", $(field wall_ms "$line") / 1000") |" \
    "$(calc "printf \"%.2f\", $(field thread_cpu_ms "$line") / 1000") |" \
    "$(calc "printf \"%.2f\", $(field process_cpu_ms "$line") / 1000") | $(field gc_ms "$line") |"
done <<<"$out"
echo
echo "slapd CPU over all $syncs syncs: $(delta "$slapd_cpu_before" "$slapd_cpu_after" split) s"
addresses=$(field addresses "$(grep '^sync=1 ' <<<"$out")")
retained=$(field snapshot_retained_bytes "$(grep '^snapshot_retained_bytes=' <<<"$out")")
echo "snapshot in force, retained heap (used heap after full GC with it, minus without): $(kib "$retained") KiB," \
  "$(calc "printf \"%.1f\", $retained / $addresses") bytes an address"
echo "heap after GC: before the first sync $(kib "$(sed -n 's/^heap_before=//p' <<<"$out")") KiB," \
  "with the snapshot $(kib "$(sed -n 's/^heap_with_snapshot_last=//p' <<<"$out")") KiB," \
  "directory closed $(kib "$(sed -n 's/^heap_after_close=//p' <<<"$out")") KiB"
echo "embedded store after the syncs (the gzipped snapshot and SQLite's files): $(kib "$(sed -n 's/^stored_bytes=//p' <<<"$out")") KiB"
