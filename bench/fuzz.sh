#!/usr/bin/env bash
# Long fuzzing runs with Jazzer (issue 11). Each target is one @FuzzTest class of src/test/java
# (*FuzzTest); under `./run-tests` they only replay their seed corpora, here they are fuzzed.
#
#   bench/fuzz.sh                                  # every target, 30 minutes each, one after another
#   DURATION=5m bench/fuzz.sh DataReaderFuzzTest   # one target (or several, by class name)
#   PARALLEL=2 bench/fuzz.sh                       # two targets at a time (the machine has 2 CPUs)
#
# DURATION  how long each target fuzzes (Jazzer's syntax: 30s, 5m, 1h; default 30m)
# PARALLEL  how many targets fuzz at once (default 1)
# FUZZ_DIR  where the run lives (default: a new /tmp/gatehouse-fuzz.XXXXXX, kept afterwards)
# FUZZ_HEAP the -Xmx of each fuzzing JVM (default 1g; Jazzer's own memory limit is off in JUnit mode)
# NICE      niceness of the fuzzing JVMs (default 10, so that builds and tests beside them go first)
#
# The build is copied into FUZZ_DIR first and the targets run from the copy, so rebuilding target/
# during a long run cannot change the classes under it. Each target's generated corpus grows in
# FUZZ_DIR/.cifuzz-corpus/<class>/<method>/ and is reused when the same FUZZ_DIR is given again.
# A finding stops its target: Jazzer prints the exception and saves the input as crash-<sha1>; the
# summary names it. Keep it as a regression seed by copying it into the target's
# src/test/resources/.../<Class>Inputs/<method>/ directory (then ./run-tests replays it).
#
# Prints, per target: the time it fuzzed, executions, executions per second, corpus entries
# (libFuzzer's, seeds included; and the files in FUZZ_DIR/.cifuzz-corpus), coverage (libFuzzer's
# cov and ft counters, after replaying the seeds -> at the end) and findings (distinct crashes).
# Logs: FUZZ_DIR/<class>.log. With SUMMARY_ONLY=1 it only prints the summary of FUZZ_DIR's logs.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/java-env.sh"

duration=${DURATION:-30m}
parallel=${PARALLEL:-1}
heap=${FUZZ_HEAP:-1g}
niceness=${NICE:-10}

# One target: surefire runs just that class, without compiling, from the copy. JAZZER_FUZZ turns
# the @FuzzTest from replaying its seeds into fuzzing; JAZZER_MAX_DURATION overrides its
# maxDuration. The hard timeout leaves Jazzer room to start, replay the corpus and shut down.
fuzz_one() {
  local target=$1 limit
  limit=$(( $(duration_seconds "$duration") + 900 ))
  (cd "$work" && JAZZER_FUZZ=1 JAZZER_MAX_DURATION="$duration" \
    timeout --kill-after=30 "$limit" nice -n "$niceness" \
    mvn -o -B surefire:test -Dtest="$target" -DargLine="-Xmx$heap" -Dsurefire.failIfNoSpecifiedTests=false \
    >"$work/$target.log" 2>&1) || true
}

# Jazzer's durations as this script uses them: a number, then s (or nothing), m, h or d.
duration_seconds() {
  local value=${1%[smhd]} unit=${1##*[0-9]}
  case "$unit" in
    s | "") echo "$value" ;;
    m) echo $((value * 60)) ;;
    h) echo $((value * 3600)) ;;
    d) echo $((value * 86400)) ;;
  esac
}

# A counter of a libFuzzer status line ("cov: 503", "corp: 345/12203b").
counter() { sed -n "s/.* $1: \([0-9]*\).*/\1/p" <<<"$2"; }

# libFuzzer's last status line ("#N DONE cov: C ft: F corp: E/S exec/s: R ...") and its
# "Done N runs in T second(s)"; a finding ends the run early, with a crash-... artifact.
summarise() {
  local target=$1 log="$work/$1.log" last done_line runs seconds corpus findings
  last=$(grep -aE '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1 || true)
  done_line=$(grep -aE '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1 || true)
  runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' <<<"$done_line")
  seconds=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' <<<"$done_line")
  [ -n "$runs" ] || runs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")
  corpus=$(find "$work/.cifuzz-corpus" -path "*.$target/*" -type f 2>/dev/null | wc -l)
  findings=$(grep -ac '^DEDUP_TOKEN:' "$log" || true)
  inited=$(grep -aE '^#[0-9]+[[:space:]]+INITED' "$log" | head -n 1 || true)
  printf '%-22s %6ss %12s runs %7s exec/s  corpus %4s (%s files)  cov %s->%s ft %s->%s  findings %s\n' \
    "$target" "${seconds:-?}" "${runs:-?}" \
    "$( [ -n "$runs" ] && [ -n "$seconds" ] && [ "$seconds" -gt 0 ] && echo $((runs / seconds)) || echo '?')" \
    "$(counter corp "$last")" "$corpus" "$(counter cov "$inited")" "$(counter cov "$last")" \
    "$(counter ft "$inited")" "$(counter ft "$last")" "${findings:-0}"
  grep -aoE 'FuzzTestFindingException: .{0,300}|Test unit written to [^ ]+' "$log" | sort -u | sed 's/^/    /' | head -n 10 || true
}

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cd "$root/src/test/java" && find . -name '*FuzzTest.java' -printf '%f\n' | sed 's/\.java$//' | sort)
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no *FuzzTest classes found" >&2; exit 1; }

if [ "${SUMMARY_ONLY:-0}" = 1 ]; then
  work=${FUZZ_DIR:?"SUMMARY_ONLY=1 needs the FUZZ_DIR of a run"}
else
  (cd "$root" && mvn -B -q test-compile)
  work=${FUZZ_DIR:-$(mktemp -d /tmp/gatehouse-fuzz.XXXXXX)}
  mkdir -p "$work/target" "$work/src/test"
  cp "$root/pom.xml" "$work/"
  rm -rf "$work/target/classes" "$work/target/test-classes" "$work/src/test/resources"
  cp -r "$root/target/classes" "$root/target/test-classes" "$work/target/"
  cp -r "$root/src/test/resources" "$work/src/test/"
  echo "fuzz: ${#targets[@]} target(s), $duration each, $parallel at a time, in $work"
  for target in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do
      wait -n || true
    done
    echo "fuzz: $(date -u '+%H:%M:%S') $target starts"
    fuzz_one "$target" &
  done
  wait
  echo
fi

echo "fuzz: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1)"
for target in "${targets[@]}"; do
  [ -f "$work/$target.log" ] && summarise "$target"
done
echo "logs and corpora: $work"
