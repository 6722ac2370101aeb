#!/usr/bin/env bash
# bench/run restart: the largest gap in scan-enriched when fraud-svc is
# restarted (SIGTERM, then started again at once) under a steady load, at
# 3,000 and 10,000 events/s, against the local Kafka broker (started here if
# not running, then stopped again). Issue 15 part 3: the target is <= 1 s.
#
# Per rate: `quackpipe simulate --rate R` feeds scan-events for the whole
# run; fraud-svc runs HISTORY_S seconds (so that warming has a history to
# replay, up to its 5-minute window), is restarted, and runs on AFTER_S
# seconds. The gap is the largest distance between consecutive record
# timestamps (CreateTime: when fraud-svc produced them) in scan-enriched from
# 2 s before the SIGTERM to the end. Measured three ways in the same run:
#   changelog  the default: device state restored from the compacted
#              changelog qp.topic.fraud.state (the figure);
#   replay     warming by replaying qp.fraud.warm.window.ms (5 min) of events,
#              as before the changelog existed (the baseline);
#   none       no warming at all (printed to stderr: the floor a restart
#              costs without any state to bring back).
# After each run every event simulated must be in scan-enriched (no loss),
# counted by distinct scan_id, once (no duplicate). Where the largest gap
# began, from the SIGTERM, goes to stderr.
# Usage: bench/run restart [HISTORY_S [AFTER_S [RATE...]]]   (default 60 15 3000 10000)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$1
shift
history_s=${1:-60}
after_s=${2:-15}
shift 2 2>/dev/null || shift $#
rates=("$@")
((${#rates[@]})) || rates=(3000 10000)
cmake --build "$build" --target quackpipe -j2 >/dev/null
qp=$build/src/cli/quackpipe
command -v python3 >/dev/null || { echo "restart: python3 is needed" >&2; exit 1; }

source "$here/support/services.sh"
tmp=$(mktemp -d)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  bench_services_down
  rm -rf "$tmp"
}
trap cleanup EXIT
bench_services_up kafka
brokers=$(bash "$root/scripts/kafka.sh" bootstrap)

now_ms() { date +%s%3N; }

# gap RATE MODE: prints the largest gap in ms (MODE: changelog, replay, none).
gap() {
  local rate=$1 mode=$2 run=restart_$$_${1}_${2}_$RANDOM sim fraud t_term
  local conf=(--brokers "$brokers" -X "qp.topic.events=$run-events" -X "qp.topic.enriched=$run-enriched"
              -X "qp.topic.alerts=$run-alerts" -X "qp.topic.dlq=$run-dlq")
  local warm=(-X "qp.fraud.warm.window.ms=300000")
  case $mode in
    replay) warm+=(-X "qp.topic.fraud.state=") ;;
    none) warm=(-X "qp.fraud.warm.window.ms=0" -X "qp.topic.fraud.state=") ;;
  esac
  "$qp" topics create "${conf[@]}" --timeout 60 >/dev/null 2>"$tmp/topics.log" ||
    { cat "$tmp/topics.log" >&2; exit 1; }
  "$qp" simulate "${conf[@]}" --rate "$rate" --duration $((history_s + after_s + 60)) \
    --devices 20000 --malformed 0 >/dev/null 2>"$tmp/simulate.log" &
  sim=$!; pids+=("$sim")
  "$qp" fraud "${conf[@]}" "${warm[@]}" 2>"$tmp/fraud1.log" &
  fraud=$!; pids+=("$fraud")
  sleep "$history_s"
  t_term=$(now_ms)
  kill -TERM "$fraud"
  wait "$fraud" || { echo "restart: fraud exited $? at SIGTERM" >&2; tail -n 5 "$tmp/fraud1.log" >&2; exit 1; }
  "$qp" fraud "${conf[@]}" "${warm[@]}" 2>"$tmp/fraud2.log" &
  fraud=$!; pids+=("$fraud")
  sleep "$after_s"
  # The simulator first, then fraud-svc once it has caught up (scan-enriched
  # holds as many records as events were delivered, or 120 s passed): every
  # event delivered must then be in scan-enriched.
  kill -TERM "$sim" 2>/dev/null || true
  wait "$sim" 2>/dev/null || true
  local delivered i
  delivered=$(sed -n 's/.*delivered \([0-9]*\).*/\1/p' "$tmp/simulate.log" | tail -n 1)
  for ((i = 0; i < 60; i++)); do
    (($(bash "$root/scripts/kafka.sh" run org.apache.kafka.tools.GetOffsetShell \
        --bootstrap-server "$brokers" --topic "$run-enriched" 2>/dev/null |
        awk -F: '{ n += $3 } END { print n + 0 }') >= ${delivered:-0})) && break
    sleep 2
  done
  kill -TERM "$fraud" 2>/dev/null || true
  wait "$fraud" 2>/dev/null || true
  # The rate reached (a loaded machine may fall short of the one asked).
  echo "restart: rate $rate, $mode: $(grep 'produced' "$tmp/simulate.log" | tail -n 1)" >&2
  grep -h "restored\|warmed\|cannot give" "$tmp/fraud2.log" | sed "s/^/restart: $mode: /" | tail -n 3 >&2 || true
  bash "$root/scripts/kafka.sh" run console-consumer --bootstrap-server "$brokers" \
    --topic "$run-enriched" --from-beginning --timeout-ms 15000 \
    --property print.timestamp=true 2>/dev/null >"$tmp/enriched.txt" || true
  python3 - "$tmp/enriched.txt" "$((t_term - 2000))" "$tmp/simulate.log" "$mode" <<'PY'
import json, re, sys
ts, ids, records = [], set(), 0
for line in open(sys.argv[1]):
    m = re.match(r"CreateTime:(\d+)\t(.*)", line)
    if m:
        ts.append(int(m.group(1)))
        ids.add(json.loads(m.group(2))["scan_id"])
        records += 1
# The simulator's last line: the events Kafka acknowledged.
sent = [int(x) for x in re.findall(r"delivered (\d+)", open(sys.argv[3]).read())]
if not sent or len(ids) < sent[-1]:
    sys.exit(f"restart: {sys.argv[4]}: events lost: {len(ids)} distinct scan_ids "
             f"enriched, {sent[-1] if sent else '?'} delivered")
if records != len(ids):
    sys.exit(f"restart: {sys.argv[4]}: {records - len(ids)} duplicates in scan-enriched")
ts.sort()
since = int(sys.argv[2])
window = [t for t in ts if t >= since]
if len(window) < 2:
    sys.exit("restart: no enriched records around the restart")
gap, at = max((b - a, a) for a, b in zip(window, window[1:]))
# Where it was, from the SIGTERM: a gap far from 0 is the machine's, not the restart's.
print(f"restart: {sys.argv[4]}: largest gap {gap} ms, from {at - since - 2000:+d} ms after "
      f"the SIGTERM", file=sys.stderr)
print(gap)
PY
}

for rate in "${rates[@]}"; do
  with=$(gap "$rate" changelog)
  before=$(gap "$rate" replay)
  none=$(gap "$rate" none)
  echo "restart: rate $rate: no warming at all: $none ms" >&2
  ratio=$(python3 -c "print(f'{$with / max($before, 1):.2f}')")
  echo "RESULT name=restart_gap_ms_r$rate value=$with unit=ms baseline=replay_warming baseline_value=$before ratio=$ratio"
done
