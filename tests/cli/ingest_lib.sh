#!/usr/bin/env bash
# Shared by the `quackpipe ingest` script tests: a keys file, scan events,
# the service in the background, curl with an expected status, and reading
# the events topic back. Sourced after qp (the command) is set.
tmp=$(mktemp -d)
pid=
on_exit=()
cleanup() {
  [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null || true
  local step
  for step in "${on_exit[@]}"; do eval "$step" || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f $tmp/ingest.log ]] && tail -n 20 "$tmp/ingest.log" >&2; exit 1; }

KEY=ingest-test-key-$$
AUTH="Authorization: Bearer $KEY"
printf '%s acme test-app\n' "$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)" >"$tmp/keys"

# event N DEVICE: one scan event, scan id ending in N.
event() {
  printf '{"schema_version":1,"scan_id":"00000000-0000-4000-8000-%012d","device_id":"%s","ts_ms":1718900000123,"gps":{"lat":48.85,"lon":2.35,"accuracy_m":8.5},"wifi":[{"bssid":"a4:2b:b0:11:22:33","rssi_dbm":-60,"freq_mhz":2437}],"reward":0.25,"app_version":"2.4.1","platform":"android"}\n' "$1" "$2"
}
# events FIRST LAST DEVICE: NDJSON of scans FIRST..LAST.
events() {
  local n
  for ((n = $1; n <= $2; n++)); do event "$n" "$3"; done
}

# own_kafka PORT: a broker of the test's own (scripts/kafka.sh on PORT and
# PORT+1, run dir in $tmp), for tests that stop and start it: $brokers names
# it, `kafka ARGS...` drives it (failing with kafka.sh's last lines), and it
# is removed at exit. Needs src (the source tree).
own_kafka() {
  export QP_KAFKA_PORT=$1 QP_KAFKA_CONTROLLER_PORT=$(($1 + 1))
  export QP_KAFKA_RUN_DIR=$tmp/kafka
  brokers=127.0.0.1:$1
  on_exit+=('"$src/scripts/kafka.sh" clean >/dev/null 2>&1')
}
kafka() { "$src/scripts/kafka.sh" "$@" >>"$tmp/kafka.log" 2>&1 || fail "kafka.sh $*: $(tail -n 5 "$tmp/kafka.log")"; }

# make_topics BROKERS TOPIC: TOPIC-events (6 partitions) and TOPIC-tokens
# (compacted, as topics create makes the device tokens topic).
make_topics() {
  "$qp" topics create --brokers "$1" -X qp.topic.events="$2-events" -X qp.topic.enriched="$2-en" \
    -X qp.topic.alerts="$2-al" -X qp.topic.dlq="$2-dlq" -X qp.topic.device_tokens="$2-tokens" \
    -X qp.topic.alerts_sent="$2-sent" >"$tmp/topics.log" 2>&1 ||
    fail "topics create: $(cat "$tmp/topics.log")"
}

# start_ingest BROKERS TOPIC PORT [ARGS...]: the service in the background
# ($pid), once it listens.
start_ingest() {
  local brokers=$1 topic=$2 port=$3
  shift 3
  "$qp" ingest --brokers "$brokers" --port "$port" -X qp.ingest.keys.path="$tmp/keys" \
    -X qp.topic.events="$topic-events" -X qp.topic.device_tokens="$topic-tokens" \
    -X message.timeout.ms=120000 "$@" 2>"$tmp/ingest.log" &
  pid=$!
  for ((i = 0; i < 300; i++)); do
    kill -0 "$pid" 2>/dev/null || fail "ingest exited: $(cat "$tmp/ingest.log")"
    grep -qE "^quackpipe ingest: listening on https?://127.0.0.1:$port$" "$tmp/ingest.log" && return 0
    sleep 0.1
  done
  fail "ingest did not say it listens on $port"
}

# wait_ready URL CODE: until GET /readyz answers CODE (200 or 503).
wait_ready() {
  local code
  for ((i = 0; i < 600; i++)); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1/readyz" || true)
    [[ $code == "$2" ]] && return 0
    sleep 0.1
  done
  fail "/readyz never answered $2 (last: $code)"
}

# expect CODE PATTERN CURL_ARGS...: the status is CODE, the body has PATTERN.
expect() {
  local want=$1 pattern=$2 code
  shift 2
  code=$(curl -sS -o "$tmp/body" -w '%{http_code}' --max-time 30 "$@") || fail "curl $*"
  [[ $code == "$want" ]] || fail "curl ${*: -1}: status $code, want $want: $(cat "$tmp/body")"
  grep -qF -- "$pattern" "$tmp/body" || fail "curl ${*: -1}: no '$pattern' in: $(cat "$tmp/body")"
}

# expect_in_topic BROKERS TOPIC COUNT RANGE...: TOPIC-events holds exactly
# COUNT events, one per scan id of the ranges (FIRST-LAST).
expect_in_topic() {
  local brokers=$1 topic=$2 count=$3 range n
  shift 3
  # One record more than expected is asked for: the read ends on the
  # timeout only when there is none (a duplicate would be read).
  "$qp" dlq tail --brokers "$brokers" -X qp.topic.dlq="$topic-events" \
    -X group.id="ingest-test-read-$$-$RANDOM" --from-beginning --json \
    --count $((count + 1)) --timeout 8 >"$tmp/records" 2>"$tmp/tail.log" || true
  grep -o 'scan_id\\":\\"[0-9a-f-]*' "$tmp/records" | sed 's/.*"//' | sort >"$tmp/got"
  [[ $(wc -l <"$tmp/got") == "$count" ]] ||
    fail "$(wc -l <"$tmp/got") events in $topic-events, want $count"
  : >"$tmp/want"
  for range in "$@"; do
    for ((n = ${range%-*}; n <= ${range#*-}; n++)); do
      printf '00000000-0000-4000-8000-%012d\n' "$n" >>"$tmp/want"
    done
  done
  sort -o "$tmp/want" "$tmp/want"
  diff "$tmp/want" "$tmp/got" >"$tmp/diff" || fail "events in Kafka differ from those answered 202: $(head "$tmp/diff")"
}
