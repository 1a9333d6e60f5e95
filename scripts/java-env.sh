# Sourced by ./gatehouse, ./run-tests and .ci/run: finds a JDK 21 or newer and exports JAVA_HOME.
# Order (SPEC §1): $JAVA_HOME, then `java` on PATH, then /usr/lib/jvm/*; the newest wins among the last.

gatehouse_java_major() {   # prints the major version of the java binary given as $1, or nothing
  "$1" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n 1
}

gatehouse_find_jdk() {
  local candidate major best="" best_major=0
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    major=$(gatehouse_java_major "$JAVA_HOME/bin/java")
    if [ "${major:-0}" -ge 21 ]; then echo "$JAVA_HOME"; return 0; fi
  fi
  if command -v javac >/dev/null 2>&1; then
    candidate=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    major=$(gatehouse_java_major "$candidate/bin/java")
    if [ "${major:-0}" -ge 21 ]; then echo "$candidate"; return 0; fi
  fi
  for candidate in /usr/lib/jvm/*; do
    [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(gatehouse_java_major "$candidate/bin/java")
    if [ "${major:-0}" -gt "$best_major" ]; then best="$candidate"; best_major="$major"; fi
  done
  if [ "$best_major" -ge 21 ]; then echo "$best"; return 0; fi
  return 1
}

if ! JAVA_HOME=$(gatehouse_find_jdk); then
  echo "gatehouse: no JDK 21 or newer found (looked at \$JAVA_HOME, javac on PATH, /usr/lib/jvm/*)." >&2
  echo "gatehouse: install one, e.g. 'apt-get install openjdk-21-jdk' or 'openjdk-25-jdk', or set JAVA_HOME." >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
# Maven's own libraries touch sun.misc.Unsafe; keep newer JDKs from warning about it on every build.
case "$(gatehouse_java_major "$JAVA_HOME/bin/java")" in
  2[4-9]|[3-9][0-9]) export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" ;;
esac
