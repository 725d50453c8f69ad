#!/usr/bin/env bash
# Usage: start.sh DIR
# Creates a throwaway PostgreSQL cluster for DIR (removing whatever DIR held), starts it listening
# on 127.0.0.1 at a free port and on a unix socket in the cluster's folder, waits until it accepts
# connections, and prints its connection string. Trust authentication: for tests only. The string
# is also written as the service "orfeas-test" to DIR/pg_service.conf, so that a client set up
# before the port was known reaches the server with PGSERVICEFILE=DIR/pg_service.conf and the
# connection string "service=orfeas-test".
#
# PostgreSQL refuses to run as root: as root, the server runs as the user "nobody", in DIR when
# nobody can reach it, else in a fresh folder under /tmp whose path DIR/cluster records.
set -euo pipefail

dir=${1:?usage: start.sh DIR}
bin=${ORFEAS_POSTGRES_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[[ -x $bin/initdb ]] || { echo "start.sh: no PostgreSQL server binaries in '$bin'" >&2; exit 1; }

"$(dirname "$0")/stop.sh" "$dir"
rm -rf "$dir"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

cluster=$dir
as_server=()
if ((EUID == 0)); then
  as_server=(runuser -u nobody --)
  chown nobody "$dir"
  if ! "${as_server[@]}" test -w "$dir"; then
    cluster=$(mktemp -d /tmp/orfeas-postgres.XXXXXX)
    chown nobody "$cluster"
    echo "$cluster" >"$dir/cluster"
  fi
fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as_server[@]}" "$bin/initdb" -D "$cluster/data" -U postgres -A trust -E UTF8 --no-sync \
  >"$dir/initdb.log"
"${as_server[@]}" "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $cluster -c fsync=off" start >/dev/null

conninfo="host=127.0.0.1 port=$port dbname=postgres user=postgres"
printf '[orfeas-test]\n%s\n' "${conninfo// /$'\n'}" >"$dir/pg_service.conf"
echo "$conninfo"
