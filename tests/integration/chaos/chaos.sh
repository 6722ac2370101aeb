#!/usr/bin/env bash
# Chaos, the whole pipeline (issue 15 part 5). On a Kafka broker and a
# clickhouse-server of its own (started here, stopped at the end whatever
# happens, so that it can restart them without disturbing anyone):
#   quackpipe ingest, fraud, ch-writer and alerts as processes (the push
#   provider double for alerts), supervised as systemd would restart them;
#   a steady open-loop load of scan events over HTTP (scanload.py: retries
#   what is not answered 202 with the same scan_ids, a share of malformed
#   requests, a push token per device);
#   malformed records injected straight into scan-events once (for the DLQ);
#   and, on a schedule drawn from a fixed seed, every service SIGKILLed
#   twice at random moments, the broker stopped and started once,
#   clickhouse-server stopped and started once.
# Then it drains, stops each service with SIGTERM (exit 0 expected) and
# checks (check.py): every 202 in ClickHouse exactly once after FINAL, every
# malformed request refused, every injected record in the DLQ once by its
# source record, every alert pushed and pushed again only within the window
# of docs/alerts.md, every process's peak RSS below its bound.
#   usage: chaos.sh QUACKPIPE PUSHDOUBLE
#   env:   QP_CHAOS_SEED (15), QP_CHAOS_LOAD_S (80), QP_CHAOS_RATE (200 events/s),
#          QP_CHAOS_KEEP=1 keeps the logs of a passing run,
#          QP_CHAOS_INGEST_WINDOW=1: events lost with an ingest process's
#          producer memory at its SIGKILL (answered 202, not yet acknowledged
#          by Kafka) pass when no more than ingest's own unacknowledged count
#          just before the kill; without it (the default, and ctest's since
#          ingest's journal keeps them: docs/ingest.md) every loss fails.
set -euo pipefail
qp=$1 pushdouble=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../../.." && pwd)
seed=${QP_CHAOS_SEED:-15}
load_s=${QP_CHAOS_LOAD_S:-80}
rate=${QP_CHAOS_RATE:-200}
inflight=32
injected=200
# Peak RSS bounds (MiB): about 2.5 times what each process reached in runs
# of this test (20-30 MiB: libraries, librdkafka's threads, fixed tables such
# as ingest's idempotency window), so that a queue that grows with an outage
# instead of pushing back fails it (docs/reliability.md#chaos). Growth over
# time is the soak's to measure (bench/run soak).
bounds=ingest=96,fraud=64,ch-writer=64,alerts=64

command -v python3 >/dev/null || { echo "FAIL: python3 is needed (the load and the accounting)" >&2; exit 1; }
[[ -x $pushdouble ]] || { echo "FAIL: no push double at $pushdouble (needs go: tests/unit/push)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/qp-chaos.XXXXXX)
PL_KAFKA_PORT=${QP_CHAOS_KAFKA_PORT:-29092} PL_CH_HTTP_PORT=${QP_CHAOS_CH_PORT:-28123}
PL_INGEST_PORT=${QP_CHAOS_INGEST_PORT:-28180}
source "$here/pipeline.sh"
load_pid= jobs_pids=()
cleanup() {
  local rc=$? pid
  [[ -n $load_pid ]] && kill -KILL "$load_pid" 2>/dev/null
  for pid in "${jobs_pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  pl_cleanup
  if [[ $rc != 0 || -n ${QP_CHAOS_KEEP:-} ]]; then
    echo "chaos: logs kept in $tmp" >&2
    if [[ $rc != 0 ]]; then
      for log in "$tmp"/events.log "$tmp"/*.[0-9]*.log; do
        [[ -f $log ]] && { echo "---- $log (last lines)" >&2; tail -n 6 "$log" >&2; }
      done
    fi
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

pl_say "run $run, seed $seed, $load_s s at $rate events/s; Kafka $brokers, ClickHouse $ch_url"
pl_start_backends
pl_topics
pl_start_double
pl_start_all
pl_rss_start

# ---- the records injected straight into scan-events: malformed, valid UTF-8
# (Kafka's console producer reads text), each once, each its own bytes ----
for ((i = 1; i <= injected; i++)); do
  key=chaos-inject-$i
  case $((i % 4)) in
  0) printf '%s\t{"schema_version":1,"scan_id":"00000000-0000-4bad-9000-%012d","device_id":"%s"\n' "$key" "$i" "$key" ;;
  1) printf '%s\tnot an event %d\n' "$key" "$i" ;;
  2) printf '%s\t{"schema_version":1,"scan_id":"00000000-0000-4bad-9000-%012d","device_id":"%s","ts_ms":1718900000123,"gps":{"lat":48.85,"lon":2.35,"accuracy_m":8},"wifi":[{"bssid":"a4:2b:b0:11:22:33","rssi_dbm":17,"freq_mhz":2437}],"reward":0.25,"app_version":"x","platform":"android"}\n' "$key" "$i" "$key" ;;
  3) printf '%s\t{"schema_version":2,"scan_id":"00000000-0000-4bad-9000-%012d","device_id":"%s"}\n' "$key" "$i" "$key" ;;
  esac
done >"$tmp/bad.tsv"
inject() {
  pl_note "inject"
  "$src/scripts/kafka.sh" run console-producer --bootstrap-server "$brokers" --topic "$run-events" \
    --property parse.key=true --property key.separator=$'\t' <"$tmp/bad.tsv" >"$tmp/inject.log" 2>&1 ||
    echo "inject: console producer failed: $(tail -n 3 "$tmp/inject.log")" >>"$tmp/inject.log"
  pl_note "injected"
}
broker_restart() {
  pl_note "broker-stop"
  "$src/scripts/kafka.sh" stop >>"$tmp/kafka.log" 2>&1
  sleep "$1"
  pl_note "broker-start"
  "$src/scripts/kafka.sh" start >>"$tmp/kafka.log" 2>&1 || pl_note "broker-start-failed"
  pl_note "broker-up"
}
clickhouse_restart() {
  pl_note "clickhouse-stop"
  "$src/scripts/clickhouse.sh" stop >>"$tmp/clickhouse.log" 2>&1
  sleep "$1"
  pl_note "clickhouse-start"
  "$src/scripts/clickhouse.sh" start >>"$tmp/clickhouse.log" 2>&1 || pl_note "clickhouse-start-failed"
  pl_note "clickhouse-up"
}

# ---- the schedule, from the seed: "second action [arg]" (drawn in this
# shell: bash seeds $RANDOM afresh in every subshell, a pipeline's too) ----
RANDOM=$seed
{
  for name in "${pl_services[@]}"; do
    for k in 1 2; do echo "$((8 + RANDOM % (load_s - 20))) kill $name"; done
  done
  echo "$((5 + RANDOM % 10)) inject"
  echo "$((load_s * 2 / 5 + RANDOM % (load_s / 5))) broker $((2 + RANDOM % 4))"
  echo "$((15 + RANDOM % (load_s * 3 / 5))) clickhouse $((1 + RANDOM % 4))"
} >"$tmp/schedule.drawn"
sort -n "$tmp/schedule.drawn" >"$tmp/schedule"
pl_say "schedule: $(tr '\n' ';' <"$tmp/schedule")"

python3 "$here/scanload.py" --url "$ingest_url" --key "$pl_key" --rate "$rate" \
  --duration "$load_s" --seed "$seed" --tokens --out "$tmp/load" --grace 60 2>"$tmp/load.log" &
load_pid=$!
start=$SECONDS
while read -r at action arg; do
  while ((SECONDS - start < at)); do sleep 0.2; done
  case $action in
  kill) pl_kill "$arg" ;;
  inject) inject & jobs_pids+=($!) ;;
  broker) broker_restart "$arg" & jobs_pids+=($!) ;;
  clickhouse) clickhouse_restart "$arg" & jobs_pids+=($!) ;;
  esac
done <"$tmp/schedule"
for pid in "${jobs_pids[@]}"; do wait "$pid"; done
jobs_pids=()
grep -q "broker-start-failed\|clickhouse-start-failed" "$tmp/events.log" &&
  pl_fail "a restart failed: $(cat "$tmp/events.log")"
rc=0
wait "$load_pid" || rc=$?
load_pid=
((rc == 0)) || pl_fail "scanload exited $rc: $(tail -n 5 "$tmp/load.log")"
pl_say "load done: $(tail -n 1 "$tmp/load.log")"

# ---- drain: every scan_id answered 202 in ClickHouse (bounded) ----
accepted=$(cut -f1 "$tmp/load/accepted.tsv" | sort -u | wc -l)
((accepted > load_s * rate / 2)) || pl_fail "only $accepted events answered 202 of $((load_s * rate))"
# Up to 120 s, or until 20 s pass without a new row (what is missing then
# will not come: check.py names it).
distinct=0 last=-1 still=0
for ((i = 0; i < 120 && still < 20; i++)); do
  distinct=$(curl -sf --max-time 30 "$ch_url/" --data-binary "SELECT uniqExact(scan_id) FROM quackpipe.$table" || true)
  [[ $distinct =~ ^[0-9]+$ ]] || distinct=0
  ((distinct >= accepted)) && break
  if ((distinct == last)); then still=$((still + 1)); else still=0 last=$distinct; fi
  sleep 1
done
pl_say "ClickHouse: $distinct distinct scan_ids of $accepted answered 202"

# ---- alerts: everything in scan-alerts pushed (bounded), then read back ----
read_topic() { # TOPIC OUT: every record, as dlq tail --json
  "$qp" dlq tail --brokers "$brokers" -X "qp.topic.dlq=$1" -X "group.id=chaos-read-$RANDOM" \
    --from-beginning --json --timeout 5 >"$2" 2>"$tmp/read.log" || true
}
for ((i = 0; i < 12; i++)); do
  read_topic "$run-alerts" "$tmp/alerts.json"
  pl_double_stats >"$tmp/pushes.json"
  python3 - "$tmp/alerts.json" "$tmp/pushes.json" <<'PY' && break
import json, sys
alerts = {json.loads(json.loads(l)["value"])["scan_id"] for l in open(sys.argv[1]) if l.strip()}
acc = json.load(open(sys.argv[2]))["accepted"]
pushed = {s for ids in acc.values() for s in ids}
sys.exit(0 if alerts <= pushed else 1)
PY
  sleep 3
done

# ---- SIGTERM: each service exits 0 (ingest: every 202 of its own delivered) ----
stop_failures=()
pl_stop "${pl_services[@]}"
for name in "${pl_services[@]}"; do
  [[ ${pl_rc[$name]} == 0 ]] ||
    stop_failures+=("$name: ${pl_rc[$name]}: $(tail -n 2 "$tmp/$name.$(cat "$tmp/pids/$name.starts").log" | tr '\n' ' ')")
done
kill "$pl_rss_pid" 2>/dev/null; pl_rss_pid=
kill "$pl_supervisor_pid" 2>/dev/null; pl_supervisor_pid=
((${#stop_failures[@]} == 0)) || pl_fail "after SIGTERM: ${stop_failures[*]}"

# ---- what is where ----
pl_ch "SELECT scan_id, count() FROM quackpipe.$table FINAL GROUP BY scan_id FORMAT TSV" >"$tmp/final.tsv"
pl_ch "SELECT count() FROM quackpipe.$table" >"$tmp/rows.txt"
read_topic "$run-dlq" "$tmp/dlq.json"
pl_double_stats >"$tmp/pushes.json"
cp "$tmp/load/summary.json" "$tmp/load-summary.json"
pl_say "load: $(cat "$tmp/load-summary.json")"
window=()
[[ -n ${QP_CHAOS_INGEST_WINDOW:-} ]] && window=(--ingest-window)
python3 "$here/check.py" "$tmp" "$inflight" "$bounds" "${window[@]}" || pl_fail "the accounting does not hold (above)"
pl_say "ok"
