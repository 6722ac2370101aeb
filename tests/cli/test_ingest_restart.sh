#!/usr/bin/env bash
# `quackpipe ingest` while its Kafka comes and goes: a broker of its own
# (scripts/kafka.sh on the ports given), so that it can be stopped. With no
# broker, /readyz and POSTs answer 503 with Retry-After; once the broker is
# up, 202; stopped again, 503; back, 202; SIGTERM exits 0; and the topic
# holds exactly the events answered 202.
#   test_ingest_restart.sh QUACKPIPE SOURCE_DIR INGEST_PORT KAFKA_PORT
set -euo pipefail
qp=$1 src=$2 port=$3 kport=$4
source "$src/tests/cli/ingest_lib.sh"

own_kafka "$kport"
topic=ingest-restart-$$
url=http://127.0.0.1:$port

# 503 with Retry-After, the body saying why.
expect_503() {
  local code
  code=$(curl -sS -D "$tmp/headers" -o "$tmp/body" -w '%{http_code}' --max-time 30 -H "$AUTH" \
    -H 'Content-Type: application/json' --data-binary @"$1" "$url/v1/scans") || fail "curl"
  [[ $code == 503 ]] || fail "status $code with Kafka down, want 503: $(cat "$tmp/body")"
  grep -qi '^Retry-After: 1' "$tmp/headers" || fail "no Retry-After: $(cat "$tmp/headers")"
  grep -q 'Kafka is unreachable' "$tmp/body" || fail "503 body: $(cat "$tmp/body")"
}

start_ingest "$brokers" "$topic" "$port" -X qp.ingest.probe.interval.ms=200 \
  -X reconnect.backoff.max.ms=500
wait_ready "$url" 503
event 1 dev-a >"$tmp/one.json"
expect_503 "$tmp/one.json"

kafka start
make_topics "$brokers" "$topic"
wait_ready "$url" 200
events 1 50 dev-a >"$tmp/first.ndjson"
expect 202 '"accepted":50' -H "$AUTH" -H 'Content-Type: application/x-ndjson' \
  --data-binary @"$tmp/first.ndjson" "$url/v1/scans"

kafka stop
wait_ready "$url" 503
event 51 dev-a >"$tmp/late.json"
expect_503 "$tmp/late.json"

kafka start
wait_ready "$url" 200
events 51 100 dev-a >"$tmp/second.ndjson"
expect 202 '"accepted":50' -H "$AUTH" -H 'Content-Type: application/x-ndjson' \
  --data-binary @"$tmp/second.ndjson" "$url/v1/scans"

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[[ $rc == 0 ]] || fail "quackpipe ingest exited $rc after SIGTERM"
grep -q 'delivered=100 delivery_failed=0' "$tmp/ingest.log" || fail "counters: $(tail -n 1 "$tmp/ingest.log")"
expect_in_topic "$brokers" "$topic" 100 1-100
echo "ok: 503 while Kafka was away, 202 when back, all 100 events in Kafka"
