#!/usr/bin/env bash
# The radio map from the command line: `quackpipe radiomap` runs the query of
# docs/sql/radiomap.sql (its template is that file's query); `quackpipe
# enrich --learn-radiomap` learns a map from honest scans that `--radiomap`
# then uses to flag a phone whose GPS left the access points it still hears.
set -euo pipefail
qp=$1 root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# ---- the query is the documented one ----
"$qp" radiomap --template >"$tmp/template.sql"
grep -v '^--' "$root/docs/sql/radiomap.sql" | sed '/./,$!d' >"$tmp/doc.sql"
diff -u "$tmp/doc.sql" "$tmp/template.sql" >&2 ||
  fail "quackpipe radiomap's query differs from docs/sql/radiomap.sql"

# ---- no ClickHouse: a clear error, exit 1 ----
rc=0
"$qp" radiomap --clickhouse http://127.0.0.1:9 --out "$tmp/none.csv" 2>"$tmp/err" || rc=$?
[[ $rc == 1 ]] || fail "radiomap without a server exited $rc"
grep -q "quackpipe radiomap: " "$tmp/err" || fail "radiomap error: $(cat "$tmp/err")"

# ---- learn from honest scans, then catch a spoofer with the map ----
python3 - "$tmp" <<'PY'
import json, math, sys
tmp = sys.argv[1]
lat0, lon0 = 48.8566, 2.3522
def event(device, n, north, east, aps):
    lat = lat0 + north / 111320.0
    lon = lon0 + east / (111320.0 * math.cos(math.radians(lat0)))
    return json.dumps({"schema_version": 1,
        "scan_id": "00000000-0000-4000-8000-%012x" % (hash(device) % 10**6 * 1000 + n),
        "device_id": device, "ts_ms": 1700000000000 + n * 60000,
        "gps": {"lat": lat, "lon": lon, "accuracy_m": 8},
        "wifi": [{"bssid": "02:00:00:00:00:%02x" % a, "rssi_dbm": -60, "freq_mhz": 2437} for a in aps],
        "cell": [], "ble": [], "reward": 0, "app_version": "1", "platform": "android"})
with open(tmp + "/honest.ndjson", "w") as f:
    for d in range(4):
        for n in range(5):
            f.write(event("neighbour-%d" % d, n, 10 * n - 20, 5 * d, [1, 2, 3]) + "\n")
with open(tmp + "/spoofer.ndjson", "w") as f:
    for n in range(6):  # stays home, GPS rides 300 m a minute north
        f.write(event("spoofer", n, 300 * n, 0, [1, 2, 3]) + "\n")
PY
"$qp" enrich --learn-radiomap "$tmp/map.csv" "$tmp/honest.ndjson" >/dev/null 2>"$tmp/learn.err" ||
  fail "enrich --learn-radiomap: $(cat "$tmp/learn.err")"
[[ $(head -n 1 "$tmp/map.csv") == "kind,mac,lat,lon,spread_m,devices,mobile" ]] ||
  fail "map header: $(head -n 1 "$tmp/map.csv")"
[[ $(grep -c '^wifi,02:00:00:00:00:0[123],48\.85[0-9]*,2\.35[0-9]*,[0-9.]*,4,0$' "$tmp/map.csv") == 3 ]] ||
  fail "learned map: $(cat "$tmp/map.csv")"
"$qp" enrich --radiomap "$tmp/map.csv" "$tmp/spoofer.ndjson" >"$tmp/out" 2>"$tmp/err" ||
  fail "enrich --radiomap: $(cat "$tmp/err")"
grep -qE '^  radio_mismatch +[45]$' "$tmp/err" || fail "radio_mismatch count: $(cat "$tmp/err")"
sed -n 1p "$tmp/out" | grep -q '"fraud_flags":\[\]' || fail "at home: $(sed -n 1p "$tmp/out")"
sed -n 6p "$tmp/out" | grep -q '"radio_mismatch"' || fail "1.5 km away: $(sed -n 6p "$tmp/out")"
"$qp" enrich --radiomap "$tmp/map.csv" "$tmp/honest.ndjson" >/dev/null 2>"$tmp/err"
grep -qE '^  radio_mismatch +0$' "$tmp/err" || fail "honest scans flagged: $(cat "$tmp/err")"
echo "ok: radiomap template, enrich --learn-radiomap / --radiomap"
