#!/usr/bin/env bash
# Usage: stop.sh DIR
# Stops the cluster that start.sh started for DIR, if it is running, and removes its data.
set -euo pipefail

dir=${1:?usage: stop.sh DIR}
cluster=$dir
[[ -f $dir/cluster ]] && cluster=$(cat "$dir/cluster")
if [[ -f $cluster/data/postmaster.pid ]]; then
  bin=${ORFEAS_POSTGRES_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
  as_server=()
  ((EUID == 0)) && as_server=(runuser -u nobody --)
  "${as_server[@]}" "$bin/pg_ctl" -D "$cluster/data" -m fast -w stop >/dev/null || true
fi
rm -rf "$cluster/data"
[[ $cluster == "$dir" ]] || rm -rf "$cluster" "$dir/cluster"
