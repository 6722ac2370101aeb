#!/usr/bin/env bash
# bench/run ingest: `quackpipe ingest` against the reference design (a Go
# net/http + encoding/json + sarama async producer API, bench/ingest-go),
# both producing to the same Kafka broker, under the same open-loop load
# (vegeta: requests leave at the set rate whatever the answers' latency, so
# a slow server shows as latency, not as fewer requests: no coordinated
# omission). Each server in turn:
#   - fixed rates (QP_BENCH_RATES, default 1000 5000 10000 requests/s) for
#     QP_BENCH_SECONDS (10) each: p50 / p99 / p99.9 of the 202s;
#   - as fast as it sustains: vegeta with QP_BENCH_WORKERS (64) workers
#     and no rate: requests/s answered 202.
# One single-event POST per request, 20,000 distinct scans cycled (the
# idempotency window is off, so every request is produced). Our server uses
# an API key (hashed, checked per request); the baseline has none.
# Pinning on a 2-core machine: the server on core 0, vegeta on core 1
# (taskset); the broker is shared and unpinned.
# Env: QP_BENCH_KAFKA_BROKERS (default 127.0.0.1:9092), QP_BENCH_PORT (20050).
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
brokers=${QP_BENCH_KAFKA_BROKERS:-127.0.0.1:9092}
rates=${QP_BENCH_RATES:-1000 5000 10000}
seconds=${QP_BENCH_SECONDS:-10}
workers=${QP_BENCH_WORKERS:-64}
port=${QP_BENCH_PORT:-20050}
export GOTOOLCHAIN=local

tmp=$(mktemp -d)
pid=
cleanup() {
  [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
info() { echo "bench ingest: $*" >&2; }

cmake --build "$build" --target quackpipe -j"$(nproc)" >/dev/null
qp=$build/src/cli/quackpipe
mkdir -p "$build/bench/bin"
if [[ ! -x $build/bench/bin/vegeta ]]; then
  info "installing vegeta v12.13.0 (go install)"
  GOBIN=$build/bench/bin go install github.com/tsenart/vegeta/v12@v12.13.0
fi
vegeta=$build/bench/bin/vegeta
(cd "$here/ingest-go" && go build -o "$build/bench/bin/ingest-go" .)

# Prefixes pinning a command to core 0 (the server) or 1 (vegeta), when the
# machine has 2 cores or more. Arrays, not a function: `cmd &` must leave
# the server's own pid in $!.
server_core=() client_core=()
if [[ $(nproc) -ge 2 ]] && command -v taskset >/dev/null; then
  server_core=(taskset -c 0) client_core=(taskset -c 1)
fi

topic=bench-ingest-$$
"$qp" topics create --brokers "$brokers" -X qp.topic.events="$topic" -X qp.topic.enriched="$topic-en" \
  -X qp.topic.alerts="$topic-al" -X qp.topic.dlq="$topic-dlq" >/dev/null 2>&1

key=bench-key
printf '%s bench bench\n' "$(printf '%s' $key | sha256sum | cut -d' ' -f1)" >"$tmp/keys"
python3 - "$tmp/targets" "$port" "$key" <<'EOF'
import base64, json, sys
path, port, key = sys.argv[1], sys.argv[2], sys.argv[3]
with open(path, "w") as out:
    for n in range(20000):
        ev = {"schema_version": 1, "scan_id": f"00000000-0000-4000-8000-{n:012d}",
              "device_id": f"dev-{n % 5000:06d}", "ts_ms": 1718900000123 + n,
              "gps": {"lat": 48.85 + n * 1e-6, "lon": 2.35, "accuracy_m": 8.5},
              "wifi": [{"bssid": "a4:2b:b0:11:22:33", "ssid": "Livebox-3F2A", "rssi_dbm": -61,
                        "freq_mhz": 2437},
                       {"bssid": "f4:ca:e5:9a:00:01", "rssi_dbm": -78, "freq_mhz": 5180}],
              "cell": [{"radio": "lte", "mcc": 208, "mnc": 1, "area": 12345, "cid": 678901,
                        "dbm": -95, "serving": True}],
              "reward": 0.25, "app_version": "2.4.1", "platform": "android"}
        body = json.dumps(ev, separators=(",", ":")).encode()
        out.write(json.dumps({"method": "POST", "url": f"http://127.0.0.1:{port}/v1/scans",
                              "body": base64.b64encode(body).decode(),
                              "header": {"Content-Type": ["application/json"],
                                         "Authorization": [f"Bearer {key}"]}}) + "\n")
EOF

wait_port() { # until the server just started ($pid) answers
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || { info "the server exited: $(cat "$tmp/server.log")"; exit 1; }
    curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/" && return 0
    sleep 0.05
  done
  info "the server did not come up"; exit 1
}

start_ours() {
  "${server_core[@]}" "$qp" ingest --brokers "$brokers" --port "$port" -X qp.topic.events="$topic" \
    -X qp.ingest.keys.path="$tmp/keys" -X qp.ingest.idempotency.window.ms=0 \
    -X qp.ingest.threads=1 -X qp.log.level=3 --status-interval 3600 2>"$tmp/server.log" &
  pid=$!
  wait_port
}
start_baseline() {
  "${server_core[@]}" "$build/bench/bin/ingest-go" -addr "127.0.0.1:$port" -brokers "$brokers" \
    -topic "$topic" 2>"$tmp/server.log" &
  pid=$!
  wait_port
}
stop_server() {
  kill -TERM "$pid"
  wait "$pid" || true
  pid=
}

# attack NAME ARGS...: writes NAME.csv (vegeta's results) and prints
# "p50 p99 p999 ok_rate_per_s success_ratio".
attack() {
  local name=$1
  shift
  "${client_core[@]}" "$vegeta" attack -format=json -targets="$tmp/targets" -duration="${seconds}s" \
    -keepalive=true "$@" >"$tmp/$name.bin"
  "$vegeta" encode --to csv <"$tmp/$name.bin" >"$tmp/$name.csv"
  python3 - "$tmp/$name.csv" <<'EOF'
import csv, sys
lat, ok, first, last, total = [], 0, None, None, 0
for row in csv.reader(open(sys.argv[1])):
    ts, code, ns = int(row[0]), int(row[1]), int(row[2])
    total += 1
    first = ts if first is None else min(first, ts)
    last = ts if last is None else max(last, ts + ns)
    if code == 202:
        ok += 1
        lat.append(ns / 1e6)
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")
span = (last - first) / 1e9 if total else 1
print(f"{q(0.50):.3f} {q(0.99):.3f} {q(0.999):.3f} {ok / span:.0f} {ok / max(total, 1):.4f}")
EOF
}

declare -A p50 p99 p999 ratio maxrps
for server in ours baseline; do
  "start_$server"
  # warm up: connections, metadata, JIT-free but cache-warm
  attack warm -rate=1000 >/dev/null
  for rate in $rates; do
    read -r a b c d e < <(attack "${server}_$rate" -rate="$rate" -max-workers=512)
    p50[$server,$rate]=$a p99[$server,$rate]=$b p999[$server,$rate]=$c ratio[$server,$rate]=$e
    info "$server at $rate/s: p50 $a ms, p99 $b ms, p99.9 $c ms, $d/s answered 202 ($e of requests)"
  done
  read -r a b c d e < <(attack "${server}_max" -rate=0 -max-workers="$workers")
  maxrps[$server]=$d
  info "$server as fast as it goes ($workers workers): $d/s answered 202 ($e), p99 $b ms"
  stop_server
done

held() { # SERVER: the highest fixed rate whose p99 stayed under 2 ms, all answered 202
  local best=0 rate
  for rate in $rates; do
    if awk -v p="${p99[$1,$rate]}" -v r="${ratio[$1,$rate]}" 'BEGIN { exit !(p < 2 && r >= 0.999) }'; then
      best=$rate
    fi
  done
  echo "$best"
}

result() { # NAME VALUE UNIT BASELINE_VALUE
  awk -v n="$1" -v v="$2" -v u="$3" -v b="$4" 'BEGIN {
    printf "RESULT name=%s value=%s unit=%s baseline=go_nethttp_sarama baseline_value=%s ratio=%s\n",
           n, v, u, b, (b > 0 ? sprintf("%.3f", v / b) : "nan") }'
}
for rate in $rates; do
  result "ingest_r${rate}_p99_ms" "${p99[ours,$rate]}" ms "${p99[baseline,$rate]}"
  result "ingest_r${rate}_p50_ms" "${p50[ours,$rate]}" ms "${p50[baseline,$rate]}"
  result "ingest_r${rate}_p999_ms" "${p999[ours,$rate]}" ms "${p999[baseline,$rate]}"
done
result ingest_max_rps "${maxrps[ours]}" requests/s "${maxrps[baseline]}"
result ingest_p99_under_2ms_rate "$(held ours)" requests/s "$(held baseline)"
