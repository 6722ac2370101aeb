#!/usr/bin/env bash
# ch-writer killed with SIGKILL between insert and commit, against the real
# Kafka and clickhouse-server of scripts/services.sh:
#   scan-enriched is filled through simulate + fraud; ch-writer starts with
#   commits 10 minutes apart, so every row it inserts is still uncommitted
#   when it is killed right after its first inserts land; a second ch-writer
#   of the same group re-reads from the last commit and inserts them again.
# What docs/inserter.md promises: every event arrives (uniqExact(scan_id) ==
# enriched), rows were inserted twice (the restarted writer inserts again
# what was not committed; 18.16 keeps no dedup tokens for this table), and
# the table collapses them by scan_id (count() FINAL == enriched).
#   usage: chwriter_crash.sh QUACKPIPE
set -euo pipefail
qp=$1
events=10000

fail() { echo "FAIL: $*" >&2; exit 1; }
[[ -n ${QP_TEST_KAFKA_BROKERS:-} && -n ${QP_TEST_CLICKHOUSE_URL:-} ]] ||
  fail "QP_TEST_KAFKA_BROKERS / QP_TEST_CLICKHOUSE_URL are not set: run 'source scripts/services.sh && services_start' first"
ch() { curl -sS --max-time 60 --fail-with-body "$QP_TEST_CLICKHOUSE_URL/" --data-binary "$1"; }
ch "SELECT 1" >/dev/null || fail "ClickHouse does not answer at $QP_TEST_CLICKHOUSE_URL"

run=crash_$(date +%s)_$$_$RANDOM
table=quackpipe.$run
tmp=$(mktemp -d)
pids=()
cleanup() {
  local rc=$?
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  if [[ $rc == 0 ]]; then
    ch "DROP TABLE IF EXISTS $table" >/dev/null || true
    rm -rf "$tmp"
  else
    echo "chwriter_crash: kept table $table, logs in $tmp" >&2
    tail -n 5 "$tmp"/*.log >&2 || true
  fi
}
trap cleanup EXIT

common=(--brokers "$QP_TEST_KAFKA_BROKERS" -X "qp.topic.events=$run-events"
        -X "qp.topic.enriched=$run-enriched" -X "qp.topic.alerts=$run-alerts"
        -X "qp.topic.dlq=$run-dlq" -X "qp.topic.device_tokens=$run-tokens"
        -X "qp.topic.alerts_sent=$run-sent")
writer=("$qp" ch-writer "${common[@]}" -X "group.id=$run-writer" -X "qp.inserter.table=$run"
        --clickhouse "$QP_TEST_CLICKHOUSE_URL" -X qp.inserter.batch.rows=1000)
wait_for() { # wait_for SECONDS COMMAND...: until COMMAND succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do ((SECONDS < deadline)) || return 1; sleep 0.3; done
}
count() { # count SQL_EXPR: a number, 0 while the table does not exist yet
  local n
  n=$(ch "SELECT $1 FROM $table" 2>/dev/null) || n=0
  [[ $n =~ ^[0-9]+$ ]] && echo "$n" || echo 0
}
rows() { count "count()"; }
rows_at_least() { test "$(rows)" -ge "$1"; }
distinct_at_least() { test "$(count "uniqExact(scan_id)")" -ge "$1"; }

"$qp" topics create "${common[@]}" --timeout 60 >/dev/null 2>"$tmp/topics.log" ||
  fail "topics create: $(cat "$tmp/topics.log")"
"$qp" fraud "${common[@]}" -X "group.id=$run-fraud" 2>"$tmp/fraud.log" & pids+=($!)

# First writer: inserts, but its commits are 10 minutes away. The events
# arrive over about 4 s, so that it is killed mid-stream.
"${writer[@]}" -X qp.runner.commit.interval.ms=600000 2>"$tmp/writer1.log" & first=$!; pids+=($first)
"$qp" simulate "${common[@]}" --events "$events" --rate 2500 --malformed 0 --seed 3 \
  2>"$tmp/simulate.log" & simulate=$!; pids+=($simulate)
wait_for 120 rows_at_least 3000 || fail "the first ch-writer inserted nothing (rows: $(rows))"
kill -KILL "$first"
wait "$first" 2>/dev/null || true
inserted_before_crash=$(rows)
echo "chwriter_crash: killed ch-writer after $inserted_before_crash rows, none committed"
((inserted_before_crash < events)) ||
  fail "the first ch-writer inserted every event before it was killed: not mid-stream"
wait "$simulate" || fail "simulate: $(tail -n 3 "$tmp/simulate.log")"

# Second writer, same group: starts again from the last commit (none).
"${writer[@]}" 2>"$tmp/writer2.log" & second=$!; pids+=($second)
wait_for 180 distinct_at_least "$events" ||
  fail "after the restart only $(count "uniqExact(scan_id)") of $events events arrived"
kill -TERM "$second"
wait "$second" || fail "the second ch-writer did not stop cleanly"

distinct=$(ch "SELECT uniqExact(scan_id) FROM $table")
total=$(rows)
final=$(ch "SELECT count() FROM $table FINAL")
echo "chwriter_crash: events $events, rows $total, distinct scan_id $distinct, rows with FINAL $final"
[[ $distinct == "$events" ]] || fail "distinct scan_id $distinct != $events"
# The second writer inserted the uncommitted rows again. (Counting rows
# cannot show it: ReplacingMergeTree may have merged the copies already.)
second_inserted=$(grep -o 'inserted=[0-9]*' "$tmp/writer2.log" | tail -n 1 | cut -d= -f2)
echo "chwriter_crash: the restarted ch-writer inserted $second_inserted rows"
((inserted_before_crash + second_inserted > events)) ||
  fail "no row was inserted twice ($inserted_before_crash + $second_inserted): the crash did not land between insert and commit"
[[ $final == "$events" ]] || fail "FINAL leaves $final rows, expected $events (duplicates must collapse by scan_id)"
