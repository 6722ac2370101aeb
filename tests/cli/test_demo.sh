#!/usr/bin/env bash
# quackpipe demo on the embedded defaults (librdkafka's mock cluster, the
# embedded ClickHouse): it exits 0 and its JSON summary accounts for every
# submission and every spoofer. libchdb must be installed (scripts/chdb.sh):
# without it this test FAILS, it does not skip.
set -euo pipefail
qp=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cache=${QP_CHDB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/quackpipe/chdb}
chdb=${QP_TEST_CHDB_PATH:-$cache/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so}
[[ -f $chdb ]] || fail "the embedded ClickHouse (libchdb) is not installed at $chdb: run scripts/chdb.sh"
command -v python3 >/dev/null || fail "python3 is needed to read the summary"

rc=0
"$qp" demo --json --events 20000 -X "qp.inserter.chdb.path=$chdb" >"$tmp/summary.json" 2>"$tmp/err" || rc=$?
[[ $rc == 0 ]] || fail "demo exited $rc: $(grep -v ' info ' "$tmp/err" | tail -n 20)"
python3 - "$tmp/summary.json" <<'PY' || fail "the summary does not add up: $(cat "$tmp/summary.json")"
import json, sys

s = json.load(open(sys.argv[1]))
checks = [
    ("produced == 20000", s["produced"] == 20000),
    ("produced == enriched + dlq", s["produced"] == s["enriched"] + s["dlq"]),
    ("dlq == malformed", s["dlq"] == s["malformed"]),
    ("malformed > 0", s["malformed"] > 0),
    ("rows_in_clickhouse == enriched", s["rows_in_clickhouse"] == s["enriched"]),
    ("distinct_scan_ids == enriched", s["distinct_scan_ids"] == s["enriched"]),
    ("spoofers_total > 0", s["spoofers_total"] > 0),
    ("spoofers_detected == spoofers_total", s["spoofers_detected"] == s["spoofers_total"]),
    ("honest_devices > 0", s["honest_devices"] > 0),
    ("honest_devices_flagged == 0", s["honest_devices_flagged"] == 0),
    ("radio_spoofer in spoofers_by_class", "radio_spoofer" in s["spoofers_by_class"]),
    ("radio_stations > 100", s["radio_stations"] > 100),
    ("radio_stations_clickhouse > 100 (docs/sql/radiomap.sql on the embedded ClickHouse)",
     s["radio_stations_clickhouse"] > 100),
]
for cls, c in s["spoofers_by_class"].items():
    checks.append((f"{cls}: {c['devices']} devices, all flagged {c['rule']}",
                   c["devices"] > 0 and c["detected"] == c["devices"]
                   and s["flagged_by_rule"].get(c["rule"], 0) > 0))
bad = [name for name, ok in checks if not ok]
if bad:
    print("not true: " + "; ".join(bad), file=sys.stderr)
    sys.exit(1)
PY
echo "ok: $(cat "$tmp/summary.json" | head -c 200)..."
