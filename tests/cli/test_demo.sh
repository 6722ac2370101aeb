#!/usr/bin/env bash
# quackpipe demo on the embedded defaults (librdkafka's mock cluster, the
# embedded ClickHouse): it exits 0 and its JSON summary accounts for every
# submission, every spoofer and every push. Twice: the phones uploading
# through the ingest API on loopback (the default), then publishing directly
# (--direct). The checks recompute the accounting from the summary, so they
# fail when a line of it breaks even if the demo's own check did not.
# libchdb must be installed (scripts/chdb.sh): without it this test FAILS,
# it does not skip.
set -euo pipefail
qp=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cache=${QP_CHDB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/quackpipe/chdb}
chdb=${QP_TEST_CHDB_PATH:-$cache/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so}
[[ -f $chdb ]] || fail "the embedded ClickHouse (libchdb) is not installed at $chdb: run scripts/chdb.sh"
command -v python3 >/dev/null || fail "python3 is needed to read the summary"

# run_demo NAME EVENTS [ARGS...]: the demo's JSON summary in $tmp/NAME.json.
run_demo() {
  local name=$1 events=$2 rc=0
  shift 2
  "$qp" demo --json --events "$events" -X "qp.inserter.chdb.path=$chdb" "$@" \
    >"$tmp/$name.json" 2>"$tmp/$name.err" || rc=$?
  [[ $rc == 0 ]] || fail "demo $* exited $rc: $(grep -v ' info ' "$tmp/$name.err" | tail -n 20)"
}

# check NAME EVENTS MODE: the accounting, recomputed.
check() {
  python3 - "$tmp/$1.json" "$2" "$3" <<'PY' || fail "the $3 summary does not add up: $(cat "$tmp/$1.json")"
import json, sys

s = json.load(open(sys.argv[1]))
events, mode = int(sys.argv[2]), sys.argv[3]
checks = [
    (f"mode == {mode}", s["mode"] == mode),
    (f"submitted == {events}", s["submitted"] == events),
    ("produced == enriched + dlq", s["produced"] == s["enriched"] + s["dlq"]),
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
    # pushes: alert-svc against the in-process webhook receiver
    ("push_tokens > 0", s["push_tokens"] > 0),
    ("alerts_with_token > 0", s["alerts_with_token"] > 0),
    ("alerts_with_token < alerts (phones without a token get none)",
     s["alerts_with_token"] < s["alerts"]),
    ("pushes == distinct alert scan_ids whose device has a token",
     s["pushes"] == s["alerts_with_token"]),
    ("push_requests == pushes (at most one per scan_id)", s["push_requests"] == s["pushes"]),
    ("pushes_sent == push_requests", s["pushes_sent"] == s["push_requests"]),
    ("alerts_consumed == alerts", s["alerts_consumed"] == s["alerts"]),
    # the clocks: the submissions end before the drain; the CPU splits into
    # the demo's own thread (the phones) and the rest (the pipeline)
    ("0 < submit_s <= elapsed_s", 0 < s["submit_s"] <= s["elapsed_s"]),
    ("submit_events_per_s >= events_per_s", s["submit_events_per_s"] >= s["events_per_s"]),
    ("phones and pipeline CPU > 0",
     s["phones_cpu_us_per_event"] > 0 and s["pipeline_cpu_us_per_event"] > 0),
    ("phones + pipeline CPU == whole process CPU (to the JSON's 0.1 us)",
     abs(s["phones_cpu_us_per_event"] + s["pipeline_cpu_us_per_event"]
         - s["cpu_us_per_event"]) <= 0.25),
]
if mode == "direct":
    checks += [
        ("submitted == produced", s["submitted"] == s["produced"]),
        ("dlq == malformed", s["dlq"] == s["malformed"]),
        ("no http section", "http" not in s),
    ]
else:
    h, i = s["http"], s["ingest"]
    status = {int(k): v for k, v in h["status"].items() if k != "other"}
    by_class = lambda c: sum(v for k, v in status.items() if k // 100 == c)
    checks += [
        ("submitted == accepted + refused", s["submitted"] == h["accepted"] + h["refused"]),
        ("failed == 0", h["failed"] == 0),
        ("refused > 0 (poison refused at the edge)", h["refused"] > 0),
        ("malformed == refused + dlq", s["malformed"] == h["refused"] + s["dlq"]),
        ("accepted == ingest.accepted == produced",
         h["accepted"] == i["accepted"] == s["produced"]),
        ("ingest.delivered == ingest.accepted", i["delivered"] == i["accepted"]),
        ("ingest.delivery_failed == 0", i["delivery_failed"] == 0),
        ("requests == sum of the statuses", h["requests"] == sum(h["status"].values())),
        ("connections kept alive (connects < requests / 10)",
         0 < h["connects"] < h["requests"] / 10),
        ("202 answers > 0", status.get(202, 0) > 0),
        ("400/422 answers > 0", status.get(400, 0) + status.get(422, 0) > 0),
        ("ingest.status_2xx == 2xx answers + tokens", i["status_2xx"] == by_class(2) + h["tokens"]),
        ("ingest.status_4xx == 4xx answers", i["status_4xx"] == by_class(4)),
        ("ingest.status_5xx == 5xx answers", i["status_5xx"] == by_class(5)),
        ("ingest.refused == events in refused requests",
         i["refused"] == h["refused_request_events"]),
        ("tokens == push_tokens == ingest.tokens", h["tokens"] == s["push_tokens"] == i["tokens"]),
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
  echo "ok ($3): $(head -c 300 "$tmp/$1.json")..."
}

run_demo http 20000
check http 20000 http
# The ingest API runs with its journal and spool (in the demo's work
# directory), so it warns of no event it could lose.
if grep -q "no spool" "$tmp/http.err"; then
  fail "the demo's ingest API runs without a spool: $(grep "no spool" "$tmp/http.err")"
fi
run_demo direct 8000 --direct --devices 500
check direct 8000 direct
