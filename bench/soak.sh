#!/usr/bin/env bash
# bench/run soak: the whole pipeline under a steady load for a long time, no
# fault, and each process's memory over it (issue 15 part 5; not in CI).
# quackpipe ingest, fraud, ch-writer and alerts run as processes on a Kafka
# broker and a clickhouse-server of the soak's own (ports 29094-29095,
# 28124 and 29001, ingest 28181; started here, stopped at the end), with the
# push provider double; tests/integration/chaos/scanload.py posts scan
# events over HTTP at the rate (batches of 50, a push token per device, a
# tenth of the events rewarded enough to alert). Every QP_SOAK_EVERY_S the
# VmRSS of each process is sampled (tests/integration/chaos/pipeline.sh).
#
# Per process, RESULT lines:
#   soak_rss_slope_<name>  the least-squares slope of its RSS after the first
#                          fifth of the run (warm-up: tables and queues fill),
#                          KiB/min; baseline: its RSS at the end of the warm-up
#   soak_rss_peak_<name>   its peak RSS (VmHWM), MiB; baseline: RSS at the
#                          end of the warm-up
# and soak_events_per_s (events answered 202 per second; baseline: the rate
# asked for) and soak_events_lost (answered 202, not in ClickHouse after the
# drain; baseline: events answered 202).
#
# Environment: QP_SOAK_DURATION_S (1800), QP_SOAK_RATE (2000 events/s),
# QP_SOAK_EVERY_S (10), QP_SOAK_KEEP=1 keeps the run directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$1
duration=${QP_SOAK_DURATION_S:-1800}
rate=${QP_SOAK_RATE:-2000}
export PL_RSS_EVERY_S=${QP_SOAK_EVERY_S:-10}
command -v python3 >/dev/null || { echo "soak: python3 is needed" >&2; exit 1; }
command -v go >/dev/null || { echo "soak: go is needed (the push double)" >&2; exit 1; }
cmake --build "$build" --target quackpipe -j2 >/dev/null
qp=$build/src/cli/quackpipe
src=$root
pushdouble=$build/bench/pushdouble
(cd "$root/tests/doubles/pushdouble" && GOTOOLCHAIN=local GOFLAGS=-mod=mod go build -o "$pushdouble" .)

tmp=$(mktemp -d /tmp/qp-soak.XXXXXX)
PL_KAFKA_PORT=29094 PL_CH_HTTP_PORT=28124 PL_INGEST_PORT=28181
source "$root/tests/integration/chaos/pipeline.sh"
load_pid=
cleanup() {
  [[ -n $load_pid ]] && kill -KILL "$load_pid" 2>/dev/null
  pl_cleanup
  if [[ -n ${QP_SOAK_KEEP:-} ]]; then echo "soak: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

pl_say "$duration s at $rate events/s, RSS every $PL_RSS_EVERY_S s"
pl_start_backends
pl_topics
pl_start_double
pl_start_all
pl_rss_start
python3 "$root/tests/integration/chaos/scanload.py" --url "$ingest_url" --key "$pl_key" \
  --rate "$rate" --duration "$duration" --batch 50 --devices 5000 --workers 8 --malformed 0 \
  --seed 7 --tokens --out "$tmp/load" 2>"$tmp/load.log" &
load_pid=$!
wait "$load_pid" || pl_fail "scanload: $(tail -n 3 "$tmp/load.log")"
load_pid=
accepted=$(wc -l <"$tmp/load/accepted.tsv")
for ((i = 0; i < 120; i++)); do
  rows=$(curl -sf --max-time 30 "$ch_url/" --data-binary "SELECT uniqExact(scan_id) FROM quackpipe.$table" || true)
  [[ $rows =~ ^[0-9]+$ ]] && ((rows >= accepted)) && break
  sleep 1
done
kill "$pl_rss_pid"; pl_rss_pid=
grep -q " exit " "$tmp/events.log" && pl_say "a service exited by itself: $(grep ' exit ' "$tmp/events.log")"

python3 - "$tmp/rss.tsv" "$tmp/load/summary.json" "$duration" "$rate" "${rows:-0}" "$accepted" <<'PY'
import json, sys
rss_path, summary_path, duration, rate, rows, accepted = sys.argv[1:]
duration, rate, rows, accepted = float(duration), float(rate), int(rows or 0), int(accepted)
series = {}
for line in open(rss_path):
    t, name, pid, rss, hwm = line.split()
    series.setdefault(name, []).append((float(t), int(rss), int(hwm), pid))

def result(name, value, unit, baseline, b):
    ratio = value / b if b else 0
    print("RESULT name=%s value=%.3f unit=%s baseline=%s baseline_value=%.3f ratio=%.4f"
          % (name, value, unit, baseline, b, ratio))

for name, s in sorted(series.items()):
    pids = {p for *_, p in s}
    if len(pids) > 1:
        print("soak: %s was restarted (%d processes): its slope mixes them" % (name, len(pids)),
              file=sys.stderr)
    t0 = s[0][0] + (s[-1][0] - s[0][0]) / 5
    tail = [(t, r) for t, r, _, _ in s if t >= t0]
    n = len(tail)
    mt = sum(t for t, _ in tail) / n
    mr = sum(r for _, r in tail) / n
    var = sum((t - mt) ** 2 for t, _ in tail)
    slope = sum((t - mt) * (r - mr) for t, r in tail) / var * 60 if var else 0.0
    base = tail[0][1]
    print("soak: %s RSS %d KiB at start, %d KiB after the warm-up, %d KiB at the end, %d samples"
          % (name, s[0][1], base, s[-1][1], len(s)), file=sys.stderr)
    result("soak_rss_slope_" + name.replace("-", "_"), slope, "KiB/min",
           "rss_after_warmup_KiB", base)
    result("soak_rss_peak_" + name.replace("-", "_"), max(h for _, _, h, _ in s) / 1024, "MiB",
           "rss_after_warmup_MiB", base / 1024)
summary = json.load(open(summary_path))
result("soak_events_per_s", summary.get("events_accepted", 0) / duration, "events/s",
       "rate_asked", rate)
result("soak_events_lost", max(0, accepted - rows), "events", "events_answered_202", accepted)
PY
