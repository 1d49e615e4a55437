#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432. Start it if it is installed but
# stopped; install it from Debian's packages if missing and we are root. Exit 0 when it
# answers, 1 (after saying so loudly) when it cannot be had.
set -u
answers() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || \
  python3 -c 'import socket; socket.create_connection(("127.0.0.1", 5432), 2)' 2>/dev/null; }
answers && exit 0
if ! ls /etc/postgresql/*/main >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "PostgreSQL is not installed; installing it from Debian's packages…"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null 2>&1
fi
if ls /etc/postgresql/*/main >/dev/null 2>&1; then
  version=$(ls /etc/postgresql | sort -V | tail -1)
  echo "Starting PostgreSQL $version…"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || \
    pg_ctlcluster "$version" main start 2>/dev/null || true
  for _ in $(seq 1 30); do answers && exit 0; sleep 1; done
fi
cat >&2 <<'MSG'
************************************************************************
**  PostgreSQL could not be installed or started on 127.0.0.1:5432.   **
**  THE POSTGRESQL HALF OF THE TEST SUITE IS SKIPPED ON THIS MACHINE.  **
************************************************************************
MSG
exit 1
