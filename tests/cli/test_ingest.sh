#!/usr/bin/env bash
# `quackpipe ingest` driven with curl against the real broker
# (QP_TEST_KAFKA_BROKERS): events answered 202 are in Kafka with their
# device as key; 401, 404, 405, 413 (from Content-Length, before the body),
# 415 and 422 come back as problem+json; a push token reaches its topic; a
# client that never finishes its body is cut off while others are served;
# SIGTERM during a slow upload lets that request finish (202), exits 0, and
# every scan answered 202 is in the topic. Then over TLS (a certificate made
# here): HTTPS answers, plain HTTP on that port does not.
#   test_ingest.sh QUACKPIPE SOURCE_DIR PORT (PORT + 5: TLS, PORT + 7: --metrics-port)
set -euo pipefail
qp=$1 src=$2 port=$3
[[ -n ${QP_TEST_KAFKA_BROKERS:-} ]] ||
  { echo "FAIL: QP_TEST_KAFKA_BROKERS is not set (scripts/services.sh starts the broker)" >&2; exit 1; }
source "$src/tests/cli/ingest_lib.sh"

brokers=$QP_TEST_KAFKA_BROKERS
topic=ingest-test-$$-$RANDOM
make_topics "$brokers" "$topic"
url=http://127.0.0.1:$port

start_ingest "$brokers" "$topic" "$port" -X qp.ingest.body.max.bytes=1048576 \
  -X qp.ingest.connection.timeout.s=2 --metrics-port $((port + 7))
wait_ready "$url" 200

# ---- 202, and the statuses of refusals ----
event 1 dev-a >"$tmp/one.json"
expect 202 '"accepted":1' -H "$AUTH" -H 'Content-Type: application/json' \
  --data-binary @"$tmp/one.json" "$url/v1/scans"
events 2 20 dev-b >"$tmp/batch.ndjson"
expect 202 '"accepted":19' -H "$AUTH" -H 'Content-Type: application/x-ndjson' \
  --data-binary @"$tmp/batch.ndjson" "$url/v1/scans"
expect 202 '"accepted":0,"duplicates":1' -H "$AUTH" -H 'Content-Type: application/json' \
  --data-binary @"$tmp/one.json" "$url/v1/scans"
expect 401 'unauthorized' -H 'Content-Type: application/json' --data-binary @"$tmp/one.json" \
  "$url/v1/scans"
expect 401 'not known' -H 'Authorization: Bearer nope' -H 'Content-Type: application/json' \
  --data-binary @"$tmp/one.json" "$url/v1/scans"
expect 415 'unsupported-media-type' -H "$AUTH" -H 'Content-Type: text/plain' \
  --data-binary @"$tmp/one.json" "$url/v1/scans"
sed 's/"rssi_dbm":-60/"rssi_dbm":17/' "$tmp/one.json" >"$tmp/bad.json"
expect 422 '"pointer":"/wifi/0/rssi_dbm"' -H "$AUTH" -H 'Content-Type: application/json' \
  --data-binary @"$tmp/bad.json" "$url/v1/scans"
expect 400 'QP_ERR_JSON' -H "$AUTH" -H 'Content-Type: application/json' \
  --data-binary '{"scan_id":' "$url/v1/scans"
expect 404 'not-found' "$url/v2/nothing"
expect 405 'method-not-allowed' "$url/v1/scans"
expect 202 '"registered":true' -X PUT -H "$AUTH" -H 'Content-Type: application/json' \
  --data-binary '{"platform":"fcm","token":"tok-1"}' "$url/v1/devices/dev-a/push-token"
expect 200 'quackpipe_ingest_accepted_total 20' "$url/metrics"
# the operators' port (--metrics-port, as the systemd unit passes it)
ops=http://127.0.0.1:$((port + 7))
expect 200 'quackpipe_ingest_accepted_total 20' "$ops/metrics"
expect 200 '"status":"ready"' "$ops/readyz"
expect 404 'metrics' -H "$AUTH" -H 'Content-Type: application/json' \
  --data-binary @"$tmp/one.json" "$ops/v1/scans"

# 413 is decided from Content-Length: the body is never sent (curl waits
# for 100-continue and gets the refusal instead).
head -c 2000000 /dev/zero | tr '\0' ' ' >"$tmp/big"
expect 413 'too-large' -H "$AUTH" -H 'Content-Type: application/json' \
  --data-binary @"$tmp/big" "$url/v1/scans"

# ---- a client that never finishes its body is cut off; others are served ----
exec 7<>"/dev/tcp/127.0.0.1/$port"
printf 'POST /v1/scans HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"sch' "$KEY" >&7
event 21 dev-c >"$tmp/other.json"
expect 202 '"accepted":1' -H "$AUTH" -H 'Content-Type: application/json' \
  --data-binary @"$tmp/other.json" "$url/v1/scans"
# The server closes the stalled connection (qp.ingest.connection.timeout.s);
# read returns at end of file. (The 60 s is a guard against hanging, not a
# measurement.)
timeout 60 cat <&7 >/dev/null || fail "the stalled connection was not closed"
exec 7<&-

# ---- SIGTERM while a slow upload is in flight ----
events 100 600 dev-d >"$tmp/slow.ndjson"
curl -sS -o "$tmp/slow.out" -w '%{http_code}' --limit-rate 40k --trace-ascii "$tmp/slow.trace" \
  -H "$AUTH" -H 'Content-Type: application/x-ndjson' --data-binary @"$tmp/slow.ndjson" \
  "$url/v1/scans" >"$tmp/slow.code" &
slow=$!
# SIGTERM once the upload has begun: the server holds the request then.
for ((i = 0; i < 600; i++)); do
  grep -q '^=> Send data' "$tmp/slow.trace" 2>/dev/null && break
  sleep 0.05
done
grep -q '^=> Send data' "$tmp/slow.trace" || fail "the slow upload never started"
kill -TERM "$pid"
wait "$slow" || fail "the slow upload failed: $(cat "$tmp/slow.out" 2>/dev/null)"
[[ $(cat "$tmp/slow.code") == 202 ]] || fail "slow upload: $(cat "$tmp/slow.code") $(cat "$tmp/slow.out")"
rc=0
wait "$pid" || rc=$?
pid=
[[ $rc == 0 ]] || fail "quackpipe ingest exited $rc after SIGTERM: $(cat "$tmp/ingest.log")"
grep -q 'stopping: 1 request(s) in flight' "$tmp/ingest.log" || fail "the upload was not in flight at SIGTERM"

# ---- every scan answered 202 is in the topic, once ----
accepted=$((1 + 19 + 1 + 501))
expect_in_topic "$brokers" "$topic" "$accepted" 1-21 100-600

# ---- HTTPS ----
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/tls.key" -out "$tmp/tls.crt" -days 1 \
  -subj /CN=127.0.0.1 2>"$tmp/openssl.log" || fail "openssl: $(cat "$tmp/openssl.log")"
tls_port=$((port + 5))
start_ingest "$brokers" "$topic" "$tls_port" -X qp.ingest.tls.cert.path="$tmp/tls.crt" \
  -X qp.ingest.tls.key.path="$tmp/tls.key"
event 700 dev-e >"$tmp/tls.json"
expect 202 '"accepted":1' --cacert "$tmp/tls.crt" -H "$AUTH" -H 'Content-Type: application/json' \
  --data-binary @"$tmp/tls.json" "https://127.0.0.1:$tls_port/v1/scans"
curl -s -o /dev/null --max-time 10 "http://127.0.0.1:$tls_port/healthz" &&
  fail "plain HTTP was answered on the HTTPS port"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[[ $rc == 0 ]] || fail "quackpipe ingest (TLS) exited $rc after SIGTERM"
echo "ok: ingest over HTTP and HTTPS, $accepted events in Kafka"
