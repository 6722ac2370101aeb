#!/usr/bin/env bash
# quackpipe dlq replay against the real Kafka of scripts/kafka.sh
# (QP_TEST_KAFKA_BROKERS); without it the test FAILS with the reason.
#   simulate --malformed + fraud fill the dead-letter topic; then:
#   - a dry run with --code lists the records of that code, skips the others,
#     commits nothing;
#   - a replay to a fresh topic sends every dead letter once, with its key
#     and bytes and qp.replay.count=1; a second run of the group sends none;
#   - young records are replayed once --min-age has passed, counted 2 when
#     they were replayed before;
#   - a replay waiting for --min-age is ended by --timeout and by SIGTERM,
#     and commits nothing;
#   - replayed into the events topic with fraud running, the records fail
#     again and come back with qp.replay.count=1 (the runner keeps it), and
#     --max-replays 1 counts them as exhausted instead of replaying them.
#   usage: dlq_replay.sh QUACKPIPE
set -euo pipefail
qp=$1
events=1000 malformed_share=0.2 seed=11

fail() { echo "FAIL: $*" >&2; exit 1; }
[[ -n ${QP_TEST_KAFKA_BROKERS:-} ]] ||
  fail "QP_TEST_KAFKA_BROKERS is not set: run 'scripts/kafka.sh start' and export QP_TEST_KAFKA_BROKERS=\$(scripts/kafka.sh bootstrap)"
command -v python3 >/dev/null || fail "python3 is needed to compare the records"

run=dlqreplay_$(date +%s)_$$_$RANDOM
tmp=$(mktemp -d)
cleanup() {
  local rc=$? job
  for job in $(jobs -p); do kill -KILL "$job" 2>/dev/null || true; done
  if [[ $rc == 0 ]]; then
    rm -rf "$tmp"
  else
    echo "dlq_replay: topics $run-*, logs in $tmp" >&2
    for log in "$tmp"/*.log; do
      [[ -f $log ]] && { echo "---- $log (last lines)" >&2; grep -v ' info runner' "$log" | tail -n 8 >&2; }
    done
  fi
}
trap cleanup EXIT

common=(--brokers "$QP_TEST_KAFKA_BROKERS"
        -X "qp.topic.events=$run-events" -X "qp.topic.enriched=$run-enriched"
        -X "qp.topic.alerts=$run-alerts" -X "qp.topic.dlq=$run-dlq"
        -X "qp.topic.device_tokens=$run-tokens" -X "qp.topic.alerts_sent=$run-sent")
replay=("$qp" dlq replay "${common[@]}")
echo "dlq_replay: run $run on $QP_TEST_KAFKA_BROKERS"

# replay_ok NAME WANT_RC SUMMARY ARGS...: runs dlq replay with ARGS (stdout in
# $tmp/NAME.out), expects exit WANT_RC and SUMMARY as the last stderr line.
replay_ok() {
  local name=$1 want_rc=$2 summary=$3 rc=0
  shift 3
  "${replay[@]}" "$@" >"$tmp/$name.out" 2>"$tmp/$name.log" || rc=$?
  [[ $rc == "$want_rc" ]] || fail "dlq replay ($name): exit $rc, want $want_rc"
  [[ $(tail -n 1 "$tmp/$name.log") == "quackpipe dlq replay: $summary" ]] ||
    fail "dlq replay ($name): summary '$(tail -n 1 "$tmp/$name.log")', want '$summary'"
}
# dlq_json NAME COUNT TOPIC: the first COUNT records of TOPIC as dlq tail --json
dlq_json() {
  "$qp" dlq tail "${common[@]}" -X "qp.topic.dlq=$3" --from-beginning --json --count "$2" \
    --timeout 120 >"$tmp/$1.json" 2>"$tmp/$1.log" || fail "dlq tail of $3 --count $2: exit $?"
}
# The targets of the replays: fresh 1-partition topics (as alerts topics).
"$qp" topics create "${common[@]}" --timeout 60 >/dev/null 2>"$tmp/topics.log" ||
  fail "topics create: $(cat "$tmp/topics.log")"
for topic in replayed fresh again; do
  "$qp" topics create "${common[@]}" -X "qp.topic.alerts=$run-$topic" --timeout 60 >/dev/null \
    2>"$tmp/topics.log" || fail "topics create $run-$topic: $(cat "$tmp/topics.log")"
done

# ---- fill the dead-letter topic ----
"$qp" fraud "${common[@]}" -X "group.id=$run-fraud" 2>"$tmp/fraud.log" & fraud=$!
"$qp" simulate "${common[@]}" --events "$events" --malformed "$malformed_share" --seed "$seed" \
  --truth-out "$tmp/truth.tsv" 2>"$tmp/simulate.log" || fail "simulate: $(tail -n 3 "$tmp/simulate.log")"
malformed=$(sed -nE 's/^# produced=[0-9]+ malformed=([0-9]+) .*/\1/p' "$tmp/truth.tsv")
(( malformed > 0 )) || fail "the simulator sent no malformed submission"
dlq_json dlq "$malformed" "$run-dlq"
json_count=$(grep -c '"error_code":"QP_ERR_JSON"' "$tmp/dlq.json" || true)
(( json_count > 0 && json_count < malformed )) ||
  fail "$json_count of $malformed dead letters are QP_ERR_JSON: the --code check needs both kinds"
echo "dlq_replay: $malformed dead letters, $json_count of them QP_ERR_JSON"

# ---- a dry run: what would go, nothing committed ----
replay_ok dry 0 "dry run, nothing published or committed: replayed=$json_count skipped=$((malformed - json_count)) exhausted=0" \
  -X "group.id=$run-replay" --dry-run --code QP_ERR_JSON --timeout 10
[[ $(grep -c '^would replay .* (QP_ERR_JSON) to '"$run"'-events as replay 1' "$tmp/dry.out") == "$json_count" ]] ||
  fail "dry run: $(head -n 3 "$tmp/dry.out")"
replay_ok dry-count 1 "dry run, nothing published or committed: replayed=$malformed skipped=0 exhausted=0" \
  -X "group.id=$run-replay" --dry-run --count $((malformed + 1)) --timeout 10

# ---- replay everything to a fresh topic, once ----
replay_ok first 0 "replayed=$malformed skipped=0 exhausted=0" \
  -X "group.id=$run-replay" --min-age 0 --to "$run-replayed" --timeout 10
[[ $(grep -c "^replayed $run-dlq \[0\] offset [0-9]* (QP_ERR_[A-Z0-9_]*) to $run-replayed as replay 1$" \
  "$tmp/first.out") == "$malformed" ]] || fail "replay lines: $(head -n 3 "$tmp/first.out")"
replay_ok second 0 "replayed=0 skipped=0 exhausted=0" \
  -X "group.id=$run-replay" --min-age 0 --to "$run-replayed" --timeout 10
dlq_json replayed "$malformed" "$run-replayed"
rc=0
"$qp" dlq tail "${common[@]}" -X "qp.topic.dlq=$run-replayed" --from-beginning --json \
  --count $((malformed + 1)) --timeout 10 >"$tmp/replayed-all.json" 2>"$tmp/replayed-all.log" || rc=$?
[[ $rc == 1 && $(wc -l <"$tmp/replayed-all.json") == "$malformed" ]] ||
  fail "$run-replayed holds $(wc -l <"$tmp/replayed-all.json") records (tail exit $rc), want $malformed"

python3 - "$tmp/dlq.json" "$tmp/replayed.json" <<'PY' || fail "the replayed records are not the dead letters"
import json, sys
from collections import Counter

def load(path):
    return [json.loads(line) for line in open(path)]

def content(r):  # the key and bytes, however dlq tail had to print them
    return (r.get("key", r.get("key_base64")), r.get("value", r.get("value_base64")))

dead, replayed = load(sys.argv[1]), load(sys.argv[2])
problems = []
if Counter(map(content, dead)) != Counter(map(content, replayed)):
    problems.append("the keys and values differ from the dead letters'")
for r in replayed:
    if r["replay_count"] != 1:
        problems.append(f"offset {r['offset']}: replay_count {r['replay_count']}, want 1")
    if r["error_code"] is not None or r["source_topic"] is not None:
        problems.append(f"offset {r['offset']}: carries the dead letter's qp.* headers")
if problems:
    print("\n".join(problems[:20]), file=sys.stderr)
    sys.exit(1)
PY

# ---- young records wait for --min-age, then go; a replay of a replay counts 2 ----
replay_ok fresh 0 "replayed=$malformed skipped=0 exhausted=0" \
  -X "group.id=$run-fresh" --min-age 0 --to "$run-fresh" --count "$malformed" --timeout 60
replay_ok again 0 "replayed=$malformed skipped=0 exhausted=0" -X "qp.topic.dlq=$run-fresh" \
  -X "group.id=$run-again" --min-age 10 --to "$run-again" --count "$malformed" --timeout 60
[[ $(grep -c "^replayed $run-fresh \[0\] offset [0-9]* (?) to $run-again as replay 2$" \
  "$tmp/again.out") == "$malformed" ]] || fail "replay of replays: $(head -n 3 "$tmp/again.out")"

# ---- waiting for --min-age: ended by --timeout or SIGTERM, nothing committed ----
replay_ok young 0 "replayed=0 skipped=0 exhausted=0" \
  -X "group.id=$run-wait" --min-age 3600 --to "$run-replayed" --timeout 5
"${replay[@]}" -X "group.id=$run-wait" --min-age 3600 --to "$run-replayed" \
  >"$tmp/term.out" 2>"$tmp/term.log" & waiting=$!
for ((i = 0; i < 600; i++)); do
  grep -q "assigned" "$tmp/term.log" && break
  kill -0 "$waiting" 2>/dev/null || fail "dlq replay exited before SIGTERM: $(tail -n 3 "$tmp/term.log")"
  sleep 0.1
done
grep -q "assigned" "$tmp/term.log" || fail "dlq replay was not assigned the dead-letter partition"
sleep 2
kill -TERM "$waiting"
for ((i = 0; i < 300; i++)); do kill -0 "$waiting" 2>/dev/null || break; sleep 0.1; done
kill -0 "$waiting" 2>/dev/null && fail "dlq replay still waiting 30 s after SIGTERM"
rc=0; wait "$waiting" || rc=$?
[[ $rc == 0 && $(tail -n 1 "$tmp/term.log") == "quackpipe dlq replay: replayed=0 skipped=0 exhausted=0" ]] ||
  fail "dlq replay after SIGTERM: exit $rc, $(tail -n 1 "$tmp/term.log")"
replay_ok waited 0 "dry run, nothing published or committed: replayed=$malformed skipped=0 exhausted=0" \
  -X "group.id=$run-wait" --dry-run --timeout 10

# ---- back to the events topic: they fail again, and come back counted ----
replay_ok loop 0 "replayed=$malformed skipped=0 exhausted=0" \
  -X "group.id=$run-loop" --min-age 0 --count "$malformed" --timeout 60
dlq_json dlq2 $((2 * malformed)) "$run-dlq"
python3 - "$tmp/dlq.json" "$tmp/dlq2.json" "$run-events" <<'PY' || fail "the dead letters of the replays are wrong"
import json, sys
from collections import Counter

first = [json.loads(line) for line in open(sys.argv[1])]
again = [json.loads(line) for line in open(sys.argv[2])][len(first):]
content = lambda r: (r.get("key", r.get("key_base64")), r.get("value", r.get("value_base64")))
problems = []
if Counter(map(content, first)) != Counter(map(content, again)):
    problems.append("the second dead letters are not the first ones again")
for r in again:
    if r["replay_count"] != 1 or r["source_topic"] != sys.argv[3]:
        problems.append(f"offset {r['offset']}: replay_count {r['replay_count']}, source {r['source_topic']}")
if problems:
    print("\n".join(problems[:20]), file=sys.stderr)
    sys.exit(1)
PY
replay_ok exhausted 0 "replayed=0 skipped=0 exhausted=$malformed" \
  -X "group.id=$run-loop" --min-age 0 --max-replays 1 --timeout 10
[[ $(grep -c "^exhausted $run-dlq \[0\] offset [0-9]* (QP_ERR_[A-Z0-9_]*): replayed 1 times already$" \
  "$tmp/exhausted.out") == "$malformed" ]] || fail "exhausted lines: $(head -n 3 "$tmp/exhausted.out")"

kill -TERM "$fraud"
wait "$fraud" || fail "fraud did not stop cleanly: $(tail -n 3 "$tmp/fraud.log")"
echo "dlq_replay: ok: $malformed dead letters replayed once each, counted on their way back, exhausted at the limit"
