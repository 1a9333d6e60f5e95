#!/usr/bin/env bash
# Builds the Debian package: target/gatehouse_<version>_<arch>.deb, and prints its path last.
#
#   scripts/build-deb.sh              builds target/gatehouse.jar first when it is missing or stale
#   scripts/build-deb.sh --jar FILE   packages FILE as it is (the integration test: the jar Maven built)
#
# The package brings its own Java runtime, cut by jlink from the JDK 21+ that scripts/java-env.sh
# finds (Debian 12 has no JDK 21), so it runs wherever its architecture does. Layout, maintainer
# scripts and the systemd unit: packaging/deb/ and docs/INSTALL.md.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
. "$root/scripts/java-env.sh"
cd "$root"

jar=""
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) jar=$(readlink -f "${2:?--jar needs a file}"); shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-deb: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

for tool in dpkg-deb dpkg jdeps jlink; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    case "$tool" in
      dpkg*) echo "build-deb: $tool is missing: build the package on Debian or Ubuntu ('apt-get install dpkg')." >&2 ;;
      *) echo "build-deb: $tool is missing from the JDK at $JAVA_HOME: install a full JDK 21+, e.g. 'apt-get install openjdk-21-jdk'." >&2 ;;
    esac
    exit 1
  fi
done

if [ -z "$jar" ]; then
  jar="$root/target/gatehouse.jar"
  if [ ! -f "$jar" ] || [ -n "$(find "$root/src/main" "$root/pom.xml" -newer "$jar" -print -quit 2>/dev/null)" ]; then
    if ! command -v mvn >/dev/null 2>&1; then
      echo "build-deb: Maven is needed to build the jar ('apt-get install maven')." >&2
      exit 1
    fi
    echo "build-deb: building $jar ..." >&2
    mvn -B -q -DskipTests package >&2
  fi
fi
[ -f "$jar" ] || { echo "build-deb: $jar does not exist" >&2; exit 1; }

# The project's own version, the first <version> after its artifactId. Maven's 0.1.0-SNAPSHOT
# becomes 0.1.0~SNAPSHOT: a hyphen would start a Debian revision, and ~ sorts before the release.
version=$(sed -n '/<artifactId>gatehouse<\/artifactId>/{n;s/.*<version>\(.*\)<\/version>.*/\1/p;q}' pom.xml)
if [ -z "$version" ]; then
  echo "build-deb: cannot read the project's version from pom.xml" >&2
  exit 1
fi
deb_version=${version//-/\~}
arch=$(dpkg --print-architecture)

work="$root/target/deb"
stage="$work/root"
rm -rf "$work"
mkdir -p "$stage/DEBIAN" "$stage/usr/bin" "$stage/usr/lib/gatehouse" "$stage/etc/gatehouse" \
  "$stage/lib/systemd/system" "$stage/usr/share/doc/gatehouse"

# The modules the jar's classes use, as jdeps sees them, and the providers it cannot see because
# they are found at run time: jdk.zipfs, through which Jetty reads the console's files inside the
# jar (without it the console does not start), and jdk.crypto.ec, the elliptic curves of TLS key
# exchange on JDK 21 (JDK 22+ has them in java.base and keeps jdk.crypto.ec as an empty module).
echo "build-deb: finding the Java modules Gatehouse needs ..." >&2
modules="$(jdeps --print-module-deps --ignore-missing-deps --multi-release 21 "$jar"),jdk.zipfs"
if java --list-modules | grep -q '^jdk\.crypto\.ec@'; then
  modules="$modules,jdk.crypto.ec"
fi

# java.desktop comes in for java.beans; its X11 and sound libraries would only pull in packages a
# headless server never loads. zip-6 keeps the runtime at two thirds of its size for a second more.
echo "build-deb: linking the Java runtime ($modules) ..." >&2
if ! jlink --add-modules "$modules" --strip-debug --no-man-pages --no-header-files --compress=zip-6 \
    --exclude-files='**/libawt_xawt.so,**/libjawt.so,**/libsplashscreen.so,**/libjsound.so' \
    --output "$stage/usr/lib/gatehouse/runtime" >&2; then
  echo "build-deb: jlink could not build the runtime from $JAVA_HOME (above). A JDK without a jmods" \
    "directory needs it (Debian: openjdk-NN-jmods), unless it is a JDK 24+ built with a linkable run-time." >&2
  exit 1
fi

install -m 0644 "$jar" "$stage/usr/lib/gatehouse/gatehouse.jar"
install -m 0755 packaging/deb/gatehouse "$stage/usr/bin/gatehouse"
install -m 0644 packaging/deb/gatehouse.yaml "$stage/etc/gatehouse/gatehouse.yaml"
install -m 0644 packaging/deb/gatehouse.service "$stage/lib/systemd/system/gatehouse.service"
install -m 0644 README.md docs/INSTALL.md docs/CONFIGURATION.md docs/CONSOLE.md docs/STORE.md docs/BEHAVIOUR.md \
  "$stage/usr/share/doc/gatehouse/"
install -m 0755 packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm "$stage/DEBIAN/"
install -m 0644 packaging/deb/conffiles "$stage/DEBIAN/conffiles"
installed_size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$deb_version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$installed_size/" \
  packaging/deb/control > "$stage/DEBIAN/control"

# Files owned by root whoever builds. The jar and the runtime's modules are compressed already:
# gzip -1 takes 2 s where xz takes 50 s to save 8 %, and every dpkg and repository tool reads it.
deb="$root/target/gatehouse_${deb_version}_${arch}.deb"
dpkg-deb --root-owner-group -Zgzip -z1 --build "$stage" "$deb" >&2
echo "$deb"
