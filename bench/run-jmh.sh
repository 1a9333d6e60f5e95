#!/usr/bin/env bash
# JMH micro-benchmarks of the RCPT decision path (issue 3): the cached callout decision and the
# valid-list decision through RecipientPolicy, and ValidRecipients lookups and build at 1M entries;
# and a directory snapshot's lookups against a valid list's at 100,000 (issue 14).
#
#   bench/run-jmh.sh                          # everything, short: about 6 minutes
#   bench/run-jmh.sh ValidRecipientsBenchmark # only benchmarks whose name matches
#   bench/run-jmh.sh -f 3 -wi 5 -i 10 -r 2s   # longer and steadier: any JMH options (-h lists them)
#
# Builds the gateway's jar when it is missing or older than the sources, then bench/jmh (JMH 1.37
# from Maven Central) against it, and runs JMH from its classes. Every fork is a child of this
# JMH process and ends with it; the whole run is bounded by JMH_TIME_LIMIT seconds (default 1800).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/java-env.sh"
"$root/gatehouse" version >/dev/null   # builds target/gatehouse.jar when needed
(cd "$root/bench/jmh" && mvn -B -q package)
classpath="$root/bench/jmh/target/classes:$(cat "$root/bench/jmh/target/classpath.txt")"
exec timeout --kill-after=10 "${JMH_TIME_LIMIT:-1800}" "$JAVA_HOME/bin/java" -cp "$classpath" \
  org.openjdk.jmh.Main "$@"
