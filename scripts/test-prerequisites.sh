# Sourced by ./run-tests: makes this machine able to run the whole suite, so that a fresh Debian
# machine needs nothing done by hand (SPEC §1). Two jobs:
#
#  1. Debian packages the tests drive as real peers are installed when missing (as root; otherwise
#     the missing ones are named and the run stops). Their system services are never started:
#     the tests start private instances on loopback ports of their own.
#  2. PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379): when nothing answers on a port, a
#     private server is started for the run, in a temporary directory, and stopped at the end
#     (gatehouse_stop_test_services). A server that already answers is used as it is.
#
# GATEHOUSE_SKIP_PREREQUISITES=1 skips both (for a developer who runs one test class repeatedly).

# package → a file the package installs, by which its presence is checked (or "perl Module::Name")
gatehouse_test_packages=(
  "maven:/usr/bin/mvn"
  "openssl:/usr/bin/openssl"                      # TLS tests read keys written by openssl
  "postfix:/usr/sbin/postfix"                     # interop: back-end and sending client
  "swaks:/usr/bin/swaks"                          # interop: the SMTP client administrators use
  "libnet-ssleay-perl:perl Net::SSLeay"           # swaks --tls (only recommended by swaks)
  "python3:/usr/bin/python3"                      # interop: smtplib
  "dnsmasq:/usr/sbin/dnsmasq"                     # interop: a DNS server nobody here wrote
  "chromium:/usr/bin/chromium"                    # console browser tests (Selenium, offline)
  "chromium-driver:/usr/bin/chromedriver"
  "pflogsumm:/usr/sbin/pflogsumm"                 # Postfix-shaped logs, read by Postfix's tools
  "fail2ban:/usr/bin/fail2ban-regex"
  "prometheus-postfix-exporter:/usr/bin/prometheus-postfix-exporter"
  "systemd:/usr/bin/systemd-analyze"              # the package's unit, scored offline
  "testssl.sh:/usr/bin/testssl"                   # STARTTLS audited by the scanner auditors run
  "dpkg-dev:/usr/bin/dpkg-architecture"           # the Debian package test
  "adduser:/usr/sbin/adduser"
  "postgresql:/usr/bin/pg_ctlcluster"             # started below when nothing answers on 5432
  "redis-server:/usr/bin/redis-server"            # started below when nothing answers on 6379
  "haproxy:/usr/sbin/haproxy"                     # the cluster test's load balancer (PROXY v2), started by the test
  "slapd:/usr/sbin/slapd"                         # directory tests: OpenLDAP, started by testing/TestSlapd
  "ldap-utils:/usr/bin/ldapsearch"
)

gatehouse_test_package_present() {
  case "$1" in
    "perl "*) perl -M"${1#perl }" -e 1 2>/dev/null ;;
    *) [ -e "$1" ] ;;
  esac
}

gatehouse_install_test_packages() {
  local entry need=()
  for entry in "${gatehouse_test_packages[@]}"; do
    gatehouse_test_package_present "${entry#*:}" || need+=("${entry%%:*}")
  done
  [ "${#need[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "run-tests: the suite needs these Debian packages: ${need[*]}" >&2
    echo "run-tests: install them as root (apt-get install ${need[*]}), or run ./run-tests as root" >&2
    return 1
  fi
  echo "run-tests: installing ${need[*]} ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  # Installing postfix, dnsmasq, fail2ban, the exporter, postgresql, redis, haproxy or slapd must not start their system services
  # (port 25 or 53 on every address, ...): policy-rc.d refuses every service start while apt-get runs.
  local policy=/usr/sbin/policy-rc.d had_policy=false status=0
  [ -e "$policy" ] && had_policy=true
  if ! $had_policy; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod +x "$policy"
  fi
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  # slapd: no default database either; the tests write their own configuration
  echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; } || status=$?
  $had_policy || rm -f "$policy"
  if [ "$status" -ne 0 ]; then
    echo "run-tests: apt-get could not install ${need[*]}" >&2
    return 1
  fi
}

gatehouse_port_answers() {   # $1 = port on 127.0.0.1
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

gatehouse_services_dir=""
gatehouse_started_postgres=false
gatehouse_started_redis=false

gatehouse_start_test_services() {
  if gatehouse_port_answers 5432 && gatehouse_port_answers 6379; then
    return 0
  fi
  gatehouse_services_dir=$(mktemp -d /tmp/gatehouse-test-services.XXXXXX)
  chmod 755 "$gatehouse_services_dir"
  if ! gatehouse_port_answers 5432; then
    gatehouse_start_postgres || return 1
  fi
  if ! gatehouse_port_answers 6379; then
    echo "run-tests: nothing answers on 127.0.0.1:6379; starting a private Redis for this run" >&2
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir "$gatehouse_services_dir" --pidfile "$gatehouse_services_dir/redis.pid" \
      --logfile "$gatehouse_services_dir/redis.log" >/dev/null || return 1
    gatehouse_started_redis=true
    gatehouse_wait_for_port 6379 Redis "$gatehouse_services_dir/redis.log" || return 1
  fi
}

# A private cluster with trust authentication, as the tests expect of the development machines'
# server (DESIGN.md "Tests"). PostgreSQL refuses to run as root: it runs as the postgres user
# the Debian package creates, or as nobody.
gatehouse_start_postgres() {
  echo "run-tests: nothing answers on 127.0.0.1:5432; starting a private PostgreSQL for this run" >&2
  local bin owner=postgres
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ]; then
    echo "run-tests: PostgreSQL is not installed (apt-get install postgresql)" >&2
    return 1
  fi
  id "$owner" >/dev/null 2>&1 || owner=nobody
  local data="$gatehouse_services_dir/postgres"
  mkdir -p "$data" && chown "$owner" "$data"
  runuser -u "$owner" -- "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null || return 1
  runuser -u "$owner" -- "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p 5432 -k $data" start >/dev/null || {
      cat "$data/server.log" >&2
      return 1
    }
  gatehouse_started_postgres=true
  gatehouse_postgres_stop="runuser -u $owner -- $bin/pg_ctl -D $data -m fast -w stop"
}

gatehouse_wait_for_port() {   # $1 port, $2 name, $3 log file
  local i
  for i in $(seq 1 100); do
    gatehouse_port_answers "$1" && return 0
    sleep 0.1
  done
  echo "run-tests: $2 did not start on 127.0.0.1:$1; its log:" >&2
  cat "$3" >&2 || true
  return 1
}

gatehouse_stop_test_services() {
  if $gatehouse_started_redis; then
    redis-cli -h 127.0.0.1 -p 6379 shutdown nosave >/dev/null 2>&1 || true
  fi
  if $gatehouse_started_postgres; then
    $gatehouse_postgres_stop >/dev/null 2>&1 || true
  fi
  if [ -n "$gatehouse_services_dir" ]; then
    rm -rf "$gatehouse_services_dir"
  fi
}
