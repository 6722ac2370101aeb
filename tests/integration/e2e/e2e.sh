#!/usr/bin/env bash
# The pipeline end to end, as separate processes, against the real Kafka and
# clickhouse-server that scripts/services.sh starts:
#   quackpipe topics create; quackpipe fraud & quackpipe ch-writer in the
#   background; quackpipe simulate --events 20000; wait until ClickHouse holds
#   every well-formed event; SIGTERM both services (each must exit 0); then
#   the accounting, checked against the simulator's ground truth:
#     rows in ClickHouse == produced - malformed, each scan_id once;
#     the dead-letter topic holds exactly the malformed submissions;
#     every spoofer flagged by its intended rule, no honest device flagged.
# Every run has its own topics, consumer groups and table, so runs (and other
# users of the same broker) never share state.
#   usage: e2e.sh QUACKPIPE
set -euo pipefail
qp=$1
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
events=20000 devices=500 spoofers=0.1 malformed_share=0.01 seed=${QP_E2E_SEED:-7}
drain_timeout_s=300 stop_timeout_s=60

fail() { echo "FAIL: $*" >&2; exit 1; }

[[ -n ${QP_TEST_KAFKA_BROKERS:-} ]] ||
  fail "QP_TEST_KAFKA_BROKERS is not set: run 'source scripts/services.sh && services_start' first"
[[ -n ${QP_TEST_CLICKHOUSE_URL:-} ]] ||
  fail "QP_TEST_CLICKHOUSE_URL is not set: run 'source scripts/services.sh && services_start' first"
[[ $(curl -s --max-time 5 "$QP_TEST_CLICKHOUSE_URL/ping" || true) == "Ok." ]] ||
  fail "ClickHouse does not answer at $QP_TEST_CLICKHOUSE_URL/ping (scripts/clickhouse.sh start)"
command -v python3 >/dev/null || fail "python3 is needed to score the run"

# One query over HTTP; a failing query fails the test with ClickHouse's text.
ch() { curl -sS --max-time 60 --fail-with-body "$QP_TEST_CLICKHOUSE_URL/" --data-binary "$1"; }

run=e2e_$(date +%s)_$$_$RANDOM
table=quackpipe.$run
tmp=$(mktemp -d)
fraud_pid= writer_pid=
cleanup() {
  local rc=$?
  for pid in $fraud_pid $writer_pid; do
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ $rc == 0 ]]; then
    ch "DROP TABLE IF EXISTS $table" >/dev/null || true
  else
    echo "e2e: kept for inspection: table $table, topics $run-*, logs in $tmp" >&2
    for log in "$tmp"/*.log; do
      [[ -f $log ]] && { echo "---- $log (last lines)" >&2; grep -v ' info runner' "$log" | tail -n 15 >&2; }
    done
    return
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

common=(--brokers "$QP_TEST_KAFKA_BROKERS"
        -X "qp.topic.events=$run-events" -X "qp.topic.enriched=$run-enriched"
        -X "qp.topic.alerts=$run-alerts" -X "qp.topic.dlq=$run-dlq"
        -X "qp.topic.device_tokens=$run-tokens" -X "qp.topic.alerts_sent=$run-sent")
sim=(--devices "$devices" --spoofers "$spoofers" --malformed "$malformed_share" --seed "$seed")
echo "e2e: run $run on $QP_TEST_KAFKA_BROKERS and $QP_TEST_CLICKHOUSE_URL"

# ---- set-up: topics, the city's towers and radio map for fraud-svc ----
"$qp" topics create "${common[@]}" --timeout 60 >"$tmp/topics.out" 2>"$tmp/topics.log" ||
  fail "topics create: $(cat "$tmp/topics.log")"
[[ $(grep -c ": ok\|: present" "$tmp/topics.out") == 7 ]] || fail "topics create: $(cat "$tmp/topics.out")"
# The dead-letter topic takes the dead letter of the largest event (Kafka's
# own config tool, by its alias, reads it back).
"$src/scripts/kafka.sh" run configs --bootstrap-server "$QP_TEST_KAFKA_BROKERS" --describe \
  --entity-type topics --entity-name "$run-dlq" >"$tmp/dlq-configs" 2>&1 ||
  fail "kafka.sh run configs: $(tail -n 3 "$tmp/dlq-configs")"
grep -q "max.message.bytes=1114124 " "$tmp/dlq-configs" ||
  fail "$run-dlq: max.message.bytes is not 1048588 + 65536: $(cat "$tmp/dlq-configs")"
"$qp" topics check "${common[@]}" --timeout 60 >/dev/null 2>"$tmp/topics.log" ||
  fail "topics check after create: $(cat "$tmp/topics.log")"
"$qp" simulate "${sim[@]}" --events 0 --towers-out "$tmp/towers.csv" \
  --radiomap-out "$tmp/radiomap.csv" 2>"$tmp/simulate-files.log" ||
  fail "simulate --towers-out --radiomap-out: $(tail -n 5 "$tmp/simulate-files.log")"
[[ -s $tmp/towers.csv ]] || fail "no tower table written"
[[ $(wc -l <"$tmp/radiomap.csv") -gt 100 ]] || fail "radio map: $(wc -l <"$tmp/radiomap.csv") lines"

# ---- the services, each in its own process ----
"$qp" fraud "${common[@]}" -X "group.id=$run-fraud" -X "qp.fraud.towers.path=$tmp/towers.csv" \
  -X "qp.fraud.radiomap.path=$tmp/radiomap.csv" \
  --metrics-port 0 --status-interval 5 2>"$tmp/fraud.log" &
fraud_pid=$!
"$qp" ch-writer "${common[@]}" -X "group.id=$run-ch-writer" --clickhouse "$QP_TEST_CLICKHOUSE_URL" \
  -X "qp.inserter.table=$run" --status-interval 5 2>"$tmp/ch-writer.log" &
writer_pid=$!

# ---- the phones ----
"$qp" simulate "${common[@]}" "${sim[@]}" --events "$events" --truth-out "$tmp/truth.tsv" \
  2>"$tmp/simulate.log" || fail "simulate: $(tail -n 5 "$tmp/simulate.log")"
read -r produced malformed < <(sed -nE 's/^# produced=([0-9]+) malformed=([0-9]+) .*/\1 \2/p' "$tmp/truth.tsv") ||
  fail "no summary line in the ground truth: $(tail -n 1 "$tmp/truth.tsv")"
[[ $produced == "$events" ]] || fail "simulate produced ${produced:-?}, want $events"
(( malformed > 0 )) || fail "the simulator sent no malformed submission: nothing to dead-letter"
expected=$((produced - malformed))
echo "e2e: produced $produced, malformed $malformed: waiting for $expected rows"

# ---- wait (bounded) until ClickHouse holds every well-formed event ----
rows=0
for ((waited = 0; waited < drain_timeout_s; waited++)); do
  kill -0 "$fraud_pid" 2>/dev/null || fail "fraud exited early: $(tail -n 5 "$tmp/fraud.log")"
  kill -0 "$writer_pid" 2>/dev/null || fail "ch-writer exited early: $(tail -n 5 "$tmp/ch-writer.log")"
  # The table appears once ch-writer has created it.
  rows=$(curl -sf --max-time 10 "$QP_TEST_CLICKHOUSE_URL/" --data-binary "SELECT count() FROM $table" || echo 0)
  (( rows >= expected )) && break
  sleep 1
done
(( rows >= expected )) || fail "after ${drain_timeout_s}s ClickHouse holds $rows rows, want $expected"

# ---- the metrics endpoint of the running fraud-svc ----
port=$(sed -nE 's|.*metrics at http://127\.0\.0\.1:([0-9]+)/metrics.*|\1|p' "$tmp/fraud.log" | head -n 1)
[[ -n $port ]] || fail "fraud did not print its metrics address"
curl -sS --max-time 10 "http://127.0.0.1:$port/metrics" >"$tmp/metrics.txt" || fail "GET /metrics failed"
# Every record read counts, the malformed ones too: consumed = produced + dead-lettered.
read_total=$((expected + malformed))
grep -qx "quackpipe_events_consumed_total{service=\"fraud\"} $read_total" "$tmp/metrics.txt" ||
  fail "metrics: consumed is not $read_total: $(grep consumed "$tmp/metrics.txt")"
grep -qx "quackpipe_events_decode_failed_total{service=\"fraud\"} $malformed" "$tmp/metrics.txt" ||
  fail "metrics: decode failures are not $malformed: $(grep decode_failed "$tmp/metrics.txt")"

# ---- graceful shutdown: SIGTERM, each exits 0 within the bound ----
stop_service() { # NAME PID
  local name=$1 pid=$2 rc=0 i
  kill -TERM "$pid"
  for ((i = 0; i < stop_timeout_s * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && fail "$name still running ${stop_timeout_s}s after SIGTERM"
  wait "$pid" || rc=$?
  [[ $rc == 0 ]] || fail "$name exited $rc after SIGTERM: $(tail -n 5 "$tmp/$name.log")"
}
stop_service fraud "$fraud_pid"
stop_service ch-writer "$writer_pid"
fraud_pid= writer_pid=
grep -q "quackpipe fraud: consumed=$read_total produced=$expected .* dead_lettered=$malformed " "$tmp/fraud.log" ||
  fail "fraud's final counters: $(grep 'consumed=' "$tmp/fraud.log" | tail -n 1)"
grep -q "quackpipe ch-writer: consumed=$expected .* inserted=$expected dead_lettered=0 " "$tmp/ch-writer.log" ||
  fail "ch-writer's final counters: $(grep 'consumed=' "$tmp/ch-writer.log" | tail -n 1)"

# ---- ClickHouse: every well-formed event exactly once ----
read -r count distinct final < <(ch "SELECT count(), uniqExact(scan_id), (SELECT count() FROM $table FINAL) FROM $table FORMAT TSV")
[[ $count == "$expected" ]] || fail "rows in ClickHouse: $count, want produced - malformed = $expected"
[[ $distinct == "$count" ]] || fail "distinct scan_id: $distinct, rows: $count (duplicates)"
[[ $final == "$count" ]] || fail "rows after FINAL: $final, rows: $count"

# ---- the dead-letter topic: exactly the malformed submissions ----
"$qp" dlq tail "${common[@]}" --from-beginning --json --count "$malformed" --timeout 60 \
  >"$tmp/dlq.json" 2>"$tmp/dlq.log" || fail "dlq tail --count $malformed: exit $? ($(tail -n 3 "$tmp/dlq.log"))"
rc=0
"$qp" dlq tail "${common[@]}" --from-beginning --json --count $((malformed + 1)) --timeout 10 \
  >"$tmp/dlq-all.json" 2>"$tmp/dlq-all.log" || rc=$?
[[ $rc == 1 ]] || fail "dlq tail --count $((malformed + 1)): exit $rc, want 1 (fewer records than asked)"
[[ $(wc -l <"$tmp/dlq-all.json") == "$malformed" ]] ||
  fail "the dead-letter topic holds $(wc -l <"$tmp/dlq-all.json") records, want $malformed"
"$qp" dlq tail "${common[@]}" --from-beginning --count 1 --timeout 60 >"$tmp/dlq.txt" 2>/dev/null ||
  fail "dlq tail (text form)"
grep -qE "^source: +$run-events \[[0-9]+\] offset [0-9]+" "$tmp/dlq.txt" || fail "dlq text form: $(cat "$tmp/dlq.txt")"
grep -qE "^error: +QP_ERR_[A-Z0-9_]+: ." "$tmp/dlq.txt" || fail "dlq text form: $(cat "$tmp/dlq.txt")"

# ---- detection, scored against the ground truth ----
ch "SELECT device_id, count() AS events, arraySort(groupUniqArrayArray(fraud_flags)) AS flags
    FROM $table GROUP BY device_id FORMAT JSONEachRow" >"$tmp/devices.json"
python3 - "$tmp/truth.tsv" "$tmp/devices.json" "$tmp/dlq.json" "$run-events" "$expected" <<'PY' || fail "detection or dead letters do not match the ground truth"
import json, sys
from collections import Counter

truth_path, devices_path, dlq_path, source_topic, expected = sys.argv[1:6]
# Which rule catches each spoofer class (src/cli/demo_report.c).
intended = {"teleporter": "impossible_travel", "replayer": "duplicate_content",
            "tower_spoofer": "tower_mismatch", "time_traveler": "clock_skew",
            "radio_spoofer": "radio_mismatch"}
truth = {}
for line in open(truth_path):
    if not line.startswith("#"):
        device, cls = line.rstrip("\n").split("\t")
        truth[device] = cls
problems, checked, rows = [], Counter(), 0
for line in open(devices_path):
    d = json.loads(line)
    device, events, flags = d["device_id"], int(d["events"]), d["flags"]
    rows += events
    cls = truth.get(device)
    if cls is None:
        problems.append(f"{device}: in ClickHouse but not in the ground truth")
    elif cls == "honest":
        checked[cls] += 1
        if flags:
            problems.append(f"honest {device} flagged {flags}")
    elif events >= 2:  # a spoofer betrays itself from its second scan on
        checked[cls] += 1
        if intended[cls] not in flags:
            problems.append(f"{cls} {device} ({events} events) not flagged {intended[cls]}: {flags}")
if rows != int(expected):
    problems.append(f"rows per device add up to {rows}, want {expected}")
for cls in ["honest"] + list(intended):
    if checked[cls] == 0:
        problems.append(f"no {cls} device to check: the run proves nothing about it")
for line in open(dlq_path):
    r = json.loads(line)
    if r["source_topic"] != source_topic or not r["error_code"].startswith("QP_ERR_") \
            or r["retry_count"] != 0 or r["value_bytes"] <= 0 or r["first_failure_ms"] <= 0 \
            or r["key"] not in truth:
        problems.append(f"dead letter {r['offset']} is not a malformed submission's: {line[:300]}")
print("e2e: devices checked:", dict(checked))
if problems:
    print("\n".join(problems[:30]), file=sys.stderr)
    sys.exit(1)
PY
# ---- the radio map learned again, in ClickHouse, from the run's rows ----
"$qp" radiomap --clickhouse "$QP_TEST_CLICKHOUSE_URL" -X "qp.inserter.table=$run" \
  --out "$tmp/radiomap-ch.csv" 2>"$tmp/radiomap.log" ||
  fail "quackpipe radiomap: $(cat "$tmp/radiomap.log")"
[[ $(wc -l <"$tmp/radiomap-ch.csv") -gt 100 ]] ||
  fail "radio map from ClickHouse: $(wc -l <"$tmp/radiomap-ch.csv") lines"
grep -qE '^"(wifi|ble)","02(:[0-9a-f]{2}){5}",4[0-9.]+,2[0-9.]+,[0-9.e+-]+,[0-9]+,[01]$' \
  "$tmp/radiomap-ch.csv" || fail "radio map rows: $(sed -n 2p "$tmp/radiomap-ch.csv")"

echo "e2e: ok: $expected rows once each, $malformed dead letters, every spoofer caught, no honest device flagged"
