#!/usr/bin/env bash
# Secure transports for real: a Kafka broker of its own with a TLS +
# SASL/SCRAM listener (certificates and password made at start by
# scripts/kafka.sh) and a clickhouse-server of its own with an HTTPS port and
# a user with a password (scripts/clickhouse.sh). Then:
#   - topics, simulate, fraud and ch-writer run over them, credentials read
#     from a config file (never the command line): every event reaches
#     ClickHouse; the demo does the same with --brokers / --clickhouse;
#   - the passwords appear in no log and not in /metrics;
#   - a wrong Kafka password or an unknown Kafka CA stops fraud-svc and
#     alert-svc at start, a wrong ClickHouse password or an unknown
#     ClickHouse CA stops ch-writer, each saying why.
# Ports: QP_TEST_SECURE_PORT_BASE (default 29400) and the next five.
#   usage: secure.sh QUACKPIPE
set -euo pipefail
qp=$1
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
base=${QP_TEST_SECURE_PORT_BASE:-29400}
events=2000

fail() { echo "FAIL: $*" >&2; exit 1; }

tmp=$(mktemp -d)
chmod 700 "$tmp"
export QP_KAFKA_RUN_DIR=$tmp/kafka QP_KAFKA_PORT=$base QP_KAFKA_CONTROLLER_PORT=$((base + 1))
export QP_KAFKA_SECURE_PORT=$((base + 2))
export QP_CH_RUN_DIR=$tmp/clickhouse QP_CH_HTTP_PORT=$((base + 3)) QP_CH_TCP_PORT=$((base + 4))
export QP_CH_HTTPS_PORT=$((base + 5))
pids=()
cleanup() {
  local rc=$? pid
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  bash "$src/scripts/kafka.sh" stop >/dev/null 2>&1 || true
  bash "$src/scripts/clickhouse.sh" stop >/dev/null 2>&1 || true
  if [[ $rc != 0 ]]; then
    for log in "$tmp"/*.log; do
      [[ -f $log ]] && { echo "---- $log (last lines)" >&2; tail -n 15 "$log" >&2; }
    done
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

bash "$src/scripts/kafka.sh" start >"$tmp/kafka-start.log" 2>&1 ||
  fail "secure Kafka did not start: $(tail -n 20 "$tmp/kafka-start.log")"
bash "$src/scripts/clickhouse.sh" start >"$tmp/ch-start.log" 2>&1 ||
  fail "clickhouse-server with HTTPS did not start: $(tail -n 20 "$tmp/ch-start.log")"
kafka_conf=$(bash "$src/scripts/kafka.sh" secure-conf)
ch_conf=$(bash "$src/scripts/clickhouse.sh" secure-conf)
kafka_pass=$(sed -n 's/^sasl.password = //p' "$kafka_conf")
ch_pass=$(sed -n 's/^qp.inserter.password = //p' "$ch_conf")
[[ -n $kafka_pass && -n $ch_pass ]] || fail "no password in $kafka_conf or $ch_conf"
plain_ch=http://127.0.0.1:$QP_CH_HTTP_PORT # the test's own checks, as "default"
ch() { curl -sS --max-time 30 --fail-with-body "$plain_ch/" --data-binary "$1"; }

# One config file with both services' credentials, readable by its owner only.
run=sec_$$_$RANDOM
conf=$tmp/pipeline.conf
{ cat "$kafka_conf" "$ch_conf"
  printf 'qp.topic.events = %s-events\nqp.topic.enriched = %s-enriched\n' "$run" "$run"
  printf 'qp.topic.alerts = %s-alerts\nqp.topic.dlq = %s-dlq\n' "$run" "$run"
  printf 'qp.inserter.database = %s\n' "$run"; } >"$conf"
chmod 600 "$conf"

# ---- the pipeline over TLS + SASL and HTTPS ----
"$qp" topics create --config "$conf" --timeout 60 >"$tmp/topics.out" 2>"$tmp/topics.log" ||
  fail "topics create over SASL_SSL: $(cat "$tmp/topics.log")"
"$qp" simulate --config "$conf" --events "$events" --devices 100 --malformed 0 \
  --truth-out "$tmp/truth.tsv" >/dev/null 2>"$tmp/simulate.log" ||
  fail "simulate over SASL_SSL: $(tail -n 5 "$tmp/simulate.log")"
"$qp" fraud --config "$conf" --metrics-port 0 -X qp.log.level=6 2>"$tmp/fraud.log" &
pids+=("$!"); fraud_pid=$!
"$qp" ch-writer --config "$conf" --metrics-port 0 -X qp.log.level=6 2>"$tmp/ch-writer.log" &
pids+=("$!"); writer_pid=$!
rows=0
for ((i = 0; i < 120; i++)); do
  kill -0 "$fraud_pid" 2>/dev/null || fail "fraud exited: $(tail -n 5 "$tmp/fraud.log")"
  kill -0 "$writer_pid" 2>/dev/null || fail "ch-writer exited: $(tail -n 5 "$tmp/ch-writer.log")"
  rows=$(ch "SELECT count() FROM $run.scan_events" 2>/dev/null) || rows=0
  ((rows >= events)) && break
  sleep 1
done
((rows == events)) || fail "ClickHouse holds $rows rows after 120 s, want $events"
for name in fraud ch-writer; do
  port=$(sed -nE "s|^quackpipe $name: metrics at http://127\\.0\\.0\\.1:([0-9]+)/metrics\$|\\1|p" "$tmp/$name.log")
  [[ -n $port ]] || fail "$name did not say where its metrics are"
  curl -sS --max-time 10 "http://127.0.0.1:$port/metrics" >"$tmp/$name-metrics.txt" ||
    fail "GET /metrics of $name"
done
grep -qx "quackpipe_events_consumed_total{service=\"fraud\"} $events" "$tmp/fraud-metrics.txt" ||
  fail "fraud's metrics: $(grep consumed "$tmp/fraud-metrics.txt")"
grep -qx "quackpipe_rows_inserted_total{service=\"ch-writer\"} $events" "$tmp/ch-writer-metrics.txt" ||
  fail "ch-writer's metrics: $(grep inserted "$tmp/ch-writer-metrics.txt")"
for pid in "$fraud_pid" "$writer_pid"; do
  kill -TERM "$pid"
  wait "$pid" || fail "a service exited $? after SIGTERM"
done
pids=()

# ---- the demo, pointed at them with --brokers / --clickhouse ----
creds=$tmp/creds.conf
grep -v '^bootstrap.servers\|^qp.inserter.url\|^qp.inserter.backend' "$kafka_conf" "$ch_conf" |
  sed 's/^[^:]*://' >"$creds"
printf 'qp.topic.events = %s-demo-events\nqp.topic.enriched = %s-demo-enriched\n' "$run" "$run" >>"$creds"
printf 'qp.topic.alerts = %s-demo-alerts\nqp.topic.dlq = %s-demo-dlq\n' "$run" "$run" >>"$creds"
printf 'qp.inserter.database = %s_demo\nqp.inserter.table = scan_events\n' "$run" >>"$creds"
chmod 600 "$creds"
"$qp" demo --config "$creds" --brokers "127.0.0.1:$QP_KAFKA_SECURE_PORT" \
  --clickhouse "https://127.0.0.1:$QP_CH_HTTPS_PORT" --events 1000 --devices 50 --malformed 0 \
  --json --timeout 120 >"$tmp/demo.json" 2>"$tmp/demo.log" ||
  fail "demo over SASL_SSL and HTTPS: $(tail -n 5 "$tmp/demo.log")"
[[ $(ch "SELECT count() FROM ${run}_demo.scan_events") == 1000 ]] ||
  fail "demo: $(ch "SELECT count() FROM ${run}_demo.scan_events") rows, want 1000"

# ---- no password in any log or metrics ----
for f in "$tmp"/*.log "$tmp"/*-metrics.txt "$tmp/demo.json" "$tmp/topics.out"; do
  grep -qF -- "$kafka_pass" "$f" && fail "the Kafka password is in $(basename "$f")"
  grep -qF -- "$ch_pass" "$f" && fail "the ClickHouse password is in $(basename "$f")"
done

# ---- wrong password or unknown CA: the service stops at start, saying why ----
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/other.key" -out "$tmp/other-ca.pem" \
  -days 2 -subj "/CN=some other CA" 2>/dev/null
expect_refused() { # WHAT SERVICE CONF PATTERN
  local what="$1 ($2)" service=$2 bad=$3 pattern=$4 rc=0
  chmod 600 "$bad"
  timeout 90 "$qp" "$service" --config "$bad" >/dev/null 2>"$tmp/refused.log" || rc=$?
  [[ $rc != 0 && $rc != 124 ]] || fail "$what: $service exit $rc, want a failure at start"
  grep -q -- "$pattern" "$tmp/refused.log" || fail "$what: no '$pattern' in: $(tail -n 3 "$tmp/refused.log")"
  grep -qF -- "$kafka_pass" "$tmp/refused.log" && fail "$what: the Kafka password is in the log"
  grep -qF -- "$ch_pass" "$tmp/refused.log" && fail "$what: the ClickHouse password is in the log"
  return 0
}
sed "s/^sasl.password = .*/sasl.password = not-$kafka_pass/" "$conf" >"$tmp/bad1.conf"
sed "s|^ssl.ca.location = .*|ssl.ca.location = $tmp/other-ca.pem|" "$conf" >"$tmp/bad2.conf"
# alert-svc reads its tables (tokens, policy) before it consumes: refused
# credentials stop it there, as they stop fraud-svc's consumer.
for service in fraud alerts; do
  expect_refused "wrong Kafka password" "$service" "$tmp/bad1.conf" \
    "stopped: .*cannot connect to Kafka: .*SASL authentication error"
  expect_refused "unknown Kafka CA" "$service" "$tmp/bad2.conf" \
    "stopped: .*cannot connect to Kafka: .*certificate verify failed"
done
sed "s/^qp.inserter.password = .*/qp.inserter.password = not-$ch_pass/" "$conf" >"$tmp/bad3.conf"
expect_refused "wrong ClickHouse password" ch-writer "$tmp/bad3.conf" "Wrong password for user quackpipe_tls"
sed "s|^qp.inserter.tls.ca.location = .*|qp.inserter.tls.ca.location = $tmp/other-ca.pem|" "$conf" >"$tmp/bad4.conf"
expect_refused "unknown ClickHouse CA" ch-writer "$tmp/bad4.conf" "certificate"
echo "secure transports: $events events over SASL_SSL + HTTPS, demo too, no password leaked, bad credentials refused"
