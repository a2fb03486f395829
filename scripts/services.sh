#!/usr/bin/env bash
# Starts the database servers the source tests read from: PostgreSQL 15 (initdb + pg_ctl as the
# postgres user, data under /tmp, 127.0.0.1 on a non-default port) and Firebird 3.0 (fbguard as
# the firebird user), each with a test database and user. Installs them first when missing
# (root only), reuses servers already running, and writes the connection settings to
# build/services.env (passwords stay in root-only files outside the project; only their paths
# are written). Without root and without running servers it says so and exits 0: the tests then
# skip, or fail under CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."

state=${SILT_SERVICES_DIR:-/tmp/silt-services}
env_file=${SILT_SERVICES_ENV:-build/services.env}
pg_port=${SILT_TEST_PG_PORT:-54329}
fb_port=3050  # Firebird's RemoteServicePort as the Debian package configures it
pg_bin=/usr/lib/postgresql/15/bin
fb_conf=/etc/firebird/3.0
t_start=$(date +%s.%N)

say() { echo "services: $*"; }
elapsed() { awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f s", b-a}'; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {  # port, seconds
  local i
  for ((i = 0; i < $2 * 10; i++)); do port_open "$1" && return 0; sleep 0.1; done
  return 1
}
# A password kept in a root-only file, made once and reused so running servers stay valid.
password_file() {
  local f=$state/$1.password
  if [ ! -s "$f" ]; then
    (umask 077 && head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$f")
  fi
  echo "$f"
}

if [ "$(id -u)" != 0 ]; then
  if ! port_open "$pg_port" || ! port_open "$fb_port"; then
    say "not root and the servers are not running: source tests against them will skip"
  fi
  exit 0
fi

missing=()
[ -x "$pg_bin/initdb" ] || missing+=(postgresql-15)
[ -x /usr/sbin/fbguard ] || missing+=(firebird3.0-server)
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # An empty SYSDBA answer makes the package pick a random password, kept root-only in
  # $fb_conf/SYSDBA.password; preseeded so the install never prompts.
  echo "firebird3.0-server shared/firebird/sysdba_password/first_install password " | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
mkdir -p "$state" "$(dirname "$env_file")"
chmod 755 "$state"

# --- PostgreSQL ---------------------------------------------------------------------------
pg_data=$state/pg
pg_pass=$(password_file pg)
if port_open "$pg_port" && [ ! -S "$pg_data/.s.PGSQL.$pg_port" ]; then
  echo "error: port $pg_port is taken by a server other than $pg_data (set SILT_TEST_PG_PORT)" >&2
  exit 1
fi
if ! port_open "$pg_port"; then
  if [ ! -f "$pg_data/PG_VERSION" ]; then
    rm -rf "$pg_data" && mkdir -p "$pg_data" && chown postgres:postgres "$pg_data"
    su postgres -s /bin/sh -c "cd / && $pg_bin/initdb -D '$pg_data' -U postgres --auth-local=trust \
      --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8" >/dev/null
  fi
  su postgres -s /bin/sh -c "cd / && $pg_bin/pg_ctl -D '$pg_data' -l '$pg_data/server.log' -w -t 30 start \
    -o \"-p $pg_port -k '$pg_data' -c listen_addresses=127.0.0.1\"" >/dev/null
fi
pg_sql() { su postgres -s /bin/sh -c "cd / && $pg_bin/psql -X -q -v ON_ERROR_STOP=1 -h '$pg_data' -p $pg_port -U postgres -d postgres" >/dev/null; }
# The password goes in on stdin, never on a command line.
pg_sql <<SQL
SELECT 'CREATE ROLE silt_test LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'silt_test')
\gexec
ALTER ROLE silt_test LOGIN PASSWORD '$(cat "$pg_pass")';
SELECT 'CREATE DATABASE silt_test OWNER silt_test ENCODING ''UTF8''' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'silt_test')
\gexec
SQL
say "postgresql 15 ready on 127.0.0.1:$pg_port ($(elapsed))"

# --- Firebird -----------------------------------------------------------------------------
fb_dir=$state/fb
fb_db=$fb_dir/silt_test.fdb
fb_pass=$(password_file fb)
if ! port_open "$fb_port"; then
  # The Debian config binds to "localhost", which is ::1 first where /etc/hosts lists it (as
  # netbase writes it), and IPv6 may not work there (containers, sandboxes): bind to 127.0.0.1.
  sed -i 's/^RemoteBindAddress = localhost$/RemoteBindAddress = 127.0.0.1/' "$fb_conf/firebird.conf"
  mkdir -p /var/run/firebird3.0 && chown firebird:firebird /var/run/firebird3.0 && chmod 770 /var/run/firebird3.0
  start-stop-daemon --start --quiet --chuid firebird --exec /usr/sbin/fbguard -- \
    -daemon -forever -pidfile /var/run/firebird3.0/firebird.pid >/dev/null 2>&1 || true
  if ! wait_port "$fb_port" 20; then
    echo "error: firebird did not start listening on $fb_port; its log:" >&2
    tail -n 20 /var/log/firebird/firebird3.0.log >&2 || true
    exit 1
  fi
fi
sysdba_pass=$(. "$fb_conf/SYSDBA.password" && echo "$ISC_PASSWORD")
mkdir -p "$fb_dir" && chown firebird:firebird "$fb_dir"
fb_sql() {  # database to connect to, or empty for none (the script creates one)
  local target=()
  [ -n "$1" ] && target=("127.0.0.1/$fb_port:$1")
  ISC_USER=SYSDBA ISC_PASSWORD=$sysdba_pass isql-fb -q -b "${target[@]}" >/dev/null
}
if [ ! -f "$fb_db" ]; then
  fb_sql "" <<SQL
CREATE DATABASE '127.0.0.1/$fb_port:$fb_db' DEFAULT CHARACTER SET UTF8;
SQL
fi
fb_sql "$fb_db" <<SQL
CREATE OR ALTER USER SILT_TEST PASSWORD '$(cat "$fb_pass")';
COMMIT;
GRANT CREATE TABLE TO USER SILT_TEST;
GRANT ALTER ANY TABLE TO USER SILT_TEST;
GRANT DROP ANY TABLE TO USER SILT_TEST;
COMMIT;
SQL
say "firebird 3.0 ready on 127.0.0.1:$fb_port ($(elapsed))"

cat >"$env_file" <<ENV
SILT_TEST_PG_HOST=127.0.0.1
SILT_TEST_PG_PORT=$pg_port
SILT_TEST_PG_DATABASE=silt_test
SILT_TEST_PG_USER=silt_test
SILT_TEST_PG_PASSWORD_FILE=$pg_pass
SILT_TEST_FB_HOST=127.0.0.1
SILT_TEST_FB_PORT=$fb_port
SILT_TEST_FB_DATABASE=$fb_db
SILT_TEST_FB_USER=SILT_TEST
SILT_TEST_FB_PASSWORD_FILE=$fb_pass
ENV
say "settings in $env_file"
