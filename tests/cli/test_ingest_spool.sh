#!/usr/bin/env bash
# `quackpipe ingest` with its spool (qp.ingest.spool.dir) while its own
# broker (scripts/kafka.sh on the ports given) is stopped after events were
# answered 202: their deliveries time out (message.timeout.ms=4000) and go
# to the spool; more requests are answered 202 until the spool could not
# keep them all, then 503 "spool full" (nothing dropped); while the spool
# holds events, POSTs and /readyz answer 503; the broker back, the spool is
# produced again and emptied, new events are answered 202. At the end the
# topic holds every event answered 202 exactly once, and each device's
# events in the order they were sent.
# The probe interval is long on purpose: Kafka counts as up throughout, so
# the requests after the stop are answered 202 (the reference design's
# "lost after 202" case), not refused by the probe's 503.
#   test_ingest_spool.sh QUACKPIPE SOURCE_DIR INGEST_PORT KAFKA_PORT
set -euo pipefail
qp=$1 src=$2 port=$3 kport=$4
source "$src/tests/cli/ingest_lib.sh"

own_kafka "$kport"
topic=ingest-spool-$$
url=http://127.0.0.1:$port
devices=(dev-a dev-b dev-c)

# batch FIRST LAST: NDJSON of scans FIRST..LAST, scan n from device n % 3.
batch() {
  local n
  for ((n = $1; n <= $2; n++)); do event "$n" "${devices[n % 3]}"; done
}
post() { # post FIRST LAST: the status of POSTing that batch; body in $tmp/body
  [[ -f $tmp/batch-$1-$2 ]] || batch "$1" "$2" >"$tmp/batch-$1-$2"
  curl -sS -D "$tmp/headers" -o "$tmp/body" -w '%{http_code}' --max-time 30 -H "$AUTH" \
    -H 'Content-Type: application/x-ndjson' --data-binary @"$tmp/batch-$1-$2" "$url/v1/scans" ||
    fail "curl"
}
metric() { # metric NAME: its value in /metrics
  curl -sS --max-time 5 "$url/metrics" | awk -v m="quackpipe_ingest_$1" '$1 == m { print $2 }'
}
wait_metric() { # wait_metric NAME VALUE
  local v=
  for ((i = 0; i < 600; i++)); do
    v=$(metric "$1")
    [[ $v == "$2" ]] && return 0
    sleep 0.1
  done
  fail "metric $1 is '$v', want $2"
}
expect_503() { # expect_503 PATTERN: the last post was 503 with Retry-After, body with PATTERN
  [[ $1 == 503 ]] || fail "status $1, want 503: $(cat "$tmp/body")"
  grep -qi '^Retry-After: 1' "$tmp/headers" || fail "no Retry-After: $(cat "$tmp/headers")"
  grep -qF "$2" "$tmp/body" || fail "503 body without '$2': $(cat "$tmp/body")"
}

kafka start
make_topics "$brokers" "$topic"
start_ingest "$brokers" "$topic" "$port" -X qp.ingest.spool.dir="$tmp/spool" \
  -X qp.ingest.spool.max.bytes=65536 -X message.timeout.ms=4000 \
  -X qp.ingest.probe.interval.ms=600000 -X reconnect.backoff.max.ms=500
wait_ready "$url" 200

# Kafka up: delivered at once.
accepted=()
code=$(post 1 30)
[[ $code == 202 ]] || fail "status $code with Kafka up: $(cat "$tmp/body")"
accepted+=(1-30)
wait_metric delivered_total 30

# Kafka stopped: batches of 40 are answered 202 (in the producer's queue)
# until their spool room is all reserved, then 503 "spool full". Made
# beforehand, so that they are all posted well within message.timeout.ms.
for ((b = 0; b < 10; b++)); do batch $((31 + 40 * b)) $((70 + 40 * b)) >"$tmp/batch-$((31 + 40 * b))-$((70 + 40 * b))"; done
kafka stop
first=31 full=
for ((b = 0; b < 10; b++)); do
  code=$(post $first $((first + 39)))
  if [[ $code != 202 ]]; then
    expect_503 "$code" "the spool could not keep these events"
    full=yes
    break
  fi
  accepted+=($first-$((first + 39)))
  first=$((first + 40))
done
[[ -n $full ]] || fail "ten batches of 40 answered 202 with a spool of 64 KiB"
spooled=$((first - 31))
(( spooled > 0 )) || fail "not one batch answered 202 with Kafka stopped"
code=$(curl -sS -o "$tmp/ready" -w '%{http_code}' "$url/readyz")
[[ $code == 503 ]] && grep -q 'spool full' "$tmp/ready" || fail "/readyz: $code $(cat "$tmp/ready")"

# Their deliveries time out: every one is in the spool, none lost.
wait_metric spooled_total $spooled
wait_metric spool_records $spooled
[[ $(metric spool_lost_total) == 0 ]] || fail "spool_lost_total $(metric spool_lost_total)"
ls "$tmp/spool"/*.seg >/dev/null 2>&1 || fail "no segment file in the spool directory"
# While it holds them, new events would overtake them: 503.
code=$(post 1000 1000)
expect_503 "$code" "produced again first"
code=$(curl -sS -o "$tmp/ready" -w '%{http_code}' "$url/readyz")
[[ $code == 503 ]] && grep -q 'replaying the spool' "$tmp/ready" || fail "/readyz: $code $(cat "$tmp/ready")"

# Kafka back: the spool is produced again and emptied, then 202 again.
kafka start
wait_metric spool_records 0
wait_metric replayed_total $spooled
wait_ready "$url" 200
# No file: the journal's directory stays while ingest runs, empty once
# every event it holds was reported (docs/ingest.md).
left=$(find "$tmp/spool" -type f)
[[ -z $left ]] || fail "files left in the emptied spool: $left"
code=$(post $first $((first + 29)))
[[ $code == 202 ]] || fail "status $code after the replay: $(cat "$tmp/body")"
accepted+=($first-$((first + 29)))
total=$((first + 29))

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[[ $rc == 0 ]] || fail "quackpipe ingest exited $rc after SIGTERM"
grep -q "spooled=$spooled replayed=$spooled spool_bytes=0" "$tmp/ingest.log" ||
  fail "counters: $(tail -n 1 "$tmp/ingest.log")"
# Stopped with every event reported: not even the journal's directory.
[[ -z $(ls -A "$tmp/spool") ]] || fail "left after SIGTERM: $(ls -A "$tmp/spool")"

# Exactly once: every scan answered 202 (and no other) is in the topic once.
expect_in_topic "$brokers" "$topic" $total "${accepted[@]}"
# In order per device: along each partition, a device's scan numbers rise.
python3 - "$tmp/records" <<'PY' || fail "a device's events out of order in Kafka"
import json, re, sys
last = {}
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows.sort(key=lambda r: (r["partition"], r["offset"]))
for r in rows:
    n = int(re.search(r'8000-(\d{12})', r["value"]).group(1))
    dev = r["key"]
    if n <= last.get(dev, 0):
        print(f"{dev}: scan {n} after scan {last[dev]}", file=sys.stderr)
        sys.exit(1)
    last[dev] = n
if sorted(last) != ["dev-a", "dev-b", "dev-c"]:
    sys.exit(f"devices {sorted(last)}")
PY
echo "ok: $spooled events spooled while Kafka was away and produced again; 503 when the" \
  "spool could not keep more and while it was replayed; $total events in Kafka" \
  "exactly once, in order per device"
