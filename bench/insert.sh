#!/usr/bin/env bash
# bench/run insert: the inserter into the local clickhouse-server (started
# here if not running, and then stopped again) and into the embedded
# ClickHouse, against raw libcurl / direct engine inserts of the same bytes.
# Extra arguments go to bench_insert (--rows N, --repeat R).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$1
shift
cmake --build "$build" --target bench_insert -j2 >/dev/null

started=no
data_dir=$(mktemp -d /tmp/quackpipe-bench-chdb-XXXXXX)
cleanup() {
  rm -rf "$data_dir"
  if [[ $started == yes ]]; then "$root/scripts/clickhouse.sh" stop; fi
}
trap cleanup EXIT
if ! "$root/scripts/clickhouse.sh" status >/dev/null 2>&1; then
  "$root/scripts/clickhouse.sh" start >/dev/null
  started=yes
fi
url=$("$root/scripts/clickhouse.sh" url)
chdb=$("$root/scripts/chdb.sh" | head -n 1)
echo "clickhouse-server $(curl -s "$url/?query=SELECT%20version()") at $url; libchdb $chdb"
"$build/bench/bench_insert" --url "$url" --chdb "$chdb" --chdb-dir "$data_dir" "$@"
