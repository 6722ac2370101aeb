#!/usr/bin/env bash
# The service subcommands without any service: the example config parses,
# usage errors exit 2, simulate writes its tower table and ground truth, and
# the metrics endpoint of a running `quackpipe fraud` answers (its broker is
# unreachable on purpose: the counters stay 0, the server must still work),
# and it reloads its radio map on SIGHUP, keeping the old one when the file
# is gone.
set -euo pipefail
qp=$1 src=$2
tmp=$(mktemp -d)
pid=
cleanup() {
  [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# ---- the example config file parses for every subcommand ----
conf=$src/examples/quackpipe.conf
for words in fraud ch-writer demo simulate "topics create" "dlq tail" "dlq replay"; do
  # shellcheck disable=SC2086
  "$qp" $words --config "$conf" --help >"$tmp/help" 2>"$tmp/err" ||
    fail "quackpipe $words --config $conf --help: $(cat "$tmp/err")"
  grep -q "^usage: quackpipe ${words%% *}" "$tmp/help" || fail "quackpipe $words --help: $(head -n 1 "$tmp/help")"
done

# ---- usage errors: exit 2, with the reason ----
expect_usage() { # DESCRIPTION PATTERN ARGS...
  local what=$1 pattern=$2 rc=0
  shift 2
  "$qp" "$@" >/dev/null 2>"$tmp/err" || rc=$?
  [[ $rc == 2 ]] || fail "$what: exit $rc, want 2"
  grep -q -- "$pattern" "$tmp/err" || fail "$what: no '$pattern' in: $(cat "$tmp/err")"
}
printf 'qp.topic.events = scan-events\nqp.topic.events.partitions = zero\n' >"$tmp/bad.conf"
expect_usage "bad config file" "bad.conf:2" fraud --config "$tmp/bad.conf"
expect_usage "topics without an action" "want create or check" topics
expect_usage "dlq without tail or replay" "want tail or replay" dlq
expect_usage "spoofer share above 1" "bad option --spoofers 2" simulate --spoofers 2
expect_usage "metrics port out of range" "bad option --metrics-port 70000" fraud --metrics-port 70000
expect_usage "unknown -X key" "qp.nonsense" ch-writer -X qp.nonsense=1

# ---- simulate --events 0: the files only, no broker needed ----
"$qp" simulate --events 0 --devices 50 --spoofers 0.5 --towers-out "$tmp/towers.csv" \
  --truth-out "$tmp/truth.tsv" 2>"$tmp/err" || fail "simulate --events 0: $(cat "$tmp/err")"
[[ $(wc -l <"$tmp/towers.csv") == 169 ]] || fail "towers: $(wc -l <"$tmp/towers.csv") lines, want 169"
grep -qvE '^LTE,208,1,[0-9]+,[0-9]+,0,[0-9.]+,[0-9.]+,1500,' "$tmp/towers.csv" && fail "a tower line is not OpenCelliD CSV"
[[ $(wc -l <"$tmp/truth.tsv") == 51 ]] || fail "truth: $(wc -l <"$tmp/truth.tsv") lines, want 50 devices + summary"
[[ $(tail -n 1 "$tmp/truth.tsv") == "# produced=0 malformed=0 devices=50 seed=42" ]] ||
  fail "truth summary: $(tail -n 1 "$tmp/truth.tsv")"
head -n 50 "$tmp/truth.tsv" | grep -qvE $'^dev-0000[0-4][0-9]\t(honest|teleporter|replayer|tower_spoofer|time_traveler|radio_spoofer)$' &&
  fail "a truth line is not 'device<TAB>class'"
head -n 50 "$tmp/truth.tsv" | grep -qv $'\thonest$' || fail "half the devices should spoof"
# The same seed gives the same city and population; another seed another population.
"$qp" simulate --events 0 --devices 50 --spoofers 0.5 --truth-out "$tmp/again.tsv" 2>/dev/null
cmp -s "$tmp/truth.tsv" "$tmp/again.tsv" || fail "the same seed gave another ground truth"
"$qp" simulate --events 0 --devices 50 --spoofers 0.5 --seed 43 --truth-out "$tmp/other.tsv" 2>/dev/null
cmp -s <(head -n 50 "$tmp/truth.tsv") <(head -n 50 "$tmp/other.tsv") && fail "seed 43 gave the population of seed 42"

# ---- a tower table that loads nothing stops fraud at start, saying why ----
sed 's/^/0,/; s/$/,France,Orange,Europe/' "$tmp/towers.csv" >"$tmp/towers18.csv"
expect_usage "tower table of 18 columns without a header" \
  "towers18.csv: no tower loaded from 169 rows; first: line 1: expected 14 comma-separated fields, found 18" \
  fraud --brokers 127.0.0.1:1 -X "qp.fraud.towers.path=$tmp/towers18.csv"
# The same with its header is read by column names.
{ echo ",radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal,country,network,continent"
  cat "$tmp/towers18.csv"; } >"$tmp/towers-header.csv"

# ---- the metrics endpoint of a running service ----
"$qp" fraud --brokers 127.0.0.1:1 -X qp.log.level=2 --metrics-port 0 \
  -X "qp.fraud.towers.path=$tmp/towers-header.csv" 2>"$tmp/fraud.log" &
pid=$!
port=
for ((i = 0; i < 300; i++)); do
  kill -0 "$pid" 2>/dev/null || fail "fraud exited: $(cat "$tmp/fraud.log")"
  port=$(sed -nE 's|^quackpipe fraud: metrics at http://127\.0\.0\.1:([0-9]+)/metrics$|\1|p' "$tmp/fraud.log")
  [[ -n $port ]] && break
  sleep 0.1
done
[[ -n $port ]] || fail "fraud did not say where its metrics are: $(cat "$tmp/fraud.log")"
url=http://127.0.0.1:$port
curl -sS -i --max-time 10 "$url/metrics" | tr -d '\r' >"$tmp/metrics" || fail "GET /metrics"
head -n 1 "$tmp/metrics" | grep -qx "HTTP/1.0 200 OK" || fail "status: $(head -n 1 "$tmp/metrics")"
grep -qix "content-type: text/plain; version=0.0.4; charset=utf-8" "$tmp/metrics" || fail "content type"
for name in events_consumed events_produced alerts_produced rows_inserted events_dead_lettered batches_retried \
            events_decode_failed dead_letters_truncated; do
  grep -qx "# HELP quackpipe_${name}_total .*" "$tmp/metrics" || fail "no HELP for $name"
  grep -qx "# TYPE quackpipe_${name}_total counter" "$tmp/metrics" || fail "no TYPE for $name"
  grep -qx "quackpipe_${name}_total{service=\"fraud\"} 0" "$tmp/metrics" || fail "no sample for $name"
done
grep -qx 'quackpipe_fraud_towers{service="fraud"} 169' "$tmp/metrics" || fail "no tower count in the metrics"
grep -qx 'quackpipe_fraud_tower_rows_skipped{reason="fields"} 0' "$tmp/metrics" ||
  fail "no skipped tower rows in the metrics"
for path in / /metricsx /metrics/more; do
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url$path") == 404 ]] || fail "GET $path is not 404"
done
[[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST "$url/metrics") == 404 ]] || fail "POST is not 404"
[[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url/metrics?name=x") == 200 ]] || fail "a query string is refused"
ss -ltn 2>/dev/null | grep -q "127.0.0.1:$port " || fail "the metrics socket is not bound to 127.0.0.1 only"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[[ $rc == 0 ]] || fail "fraud exited $rc after SIGTERM: $(tail -n 5 "$tmp/fraud.log")"

# ---- fraud-svc reloads its radio map on SIGHUP; a bad file keeps the old one ----
map_rows() {  # map_rows N: a radio map file of N stations
  echo "kind,mac,lat,lon,spread_m,devices,mobile"
  for ((k = 1; k <= $1; k++)); do printf 'wifi,02:00:00:00:00:%02x,48.8566,2.3522,20,5,0\n' "$k"; done
}
# wait_log PATTERN: until the fraud log has a line matching PATTERN (30 s).
wait_log() {
  for ((i = 0; i < 300; i++)); do
    grep -qE -- "$1" "$tmp/reload.log" && return 0
    kill -0 "$pid" 2>/dev/null || fail "fraud exited: $(tail -n 5 "$tmp/reload.log")"
    sleep 0.1
  done
  fail "no '$1' in the fraud log: $(grep -v kafka "$tmp/reload.log" | tail -n 5)"
}
map_rows 3 >"$tmp/radiomap.csv"
"$qp" fraud --brokers 127.0.0.1:1 -X "qp.fraud.radiomap.path=$tmp/radiomap.csv" 2>"$tmp/reload.log" &
pid=$!
wait_log "radiomap.csv: 3 radio stations in the map"
map_rows 5 >"$tmp/radiomap.csv"
kill -HUP "$pid"
wait_log "radiomap.csv: 5 radio stations in the map"
grep -q "quackpipe fraud: SIGHUP, reloading" "$tmp/reload.log" || fail "SIGHUP not acknowledged"
rm "$tmp/radiomap.csv"
kill -HUP "$pid"
wait_log "radio map not reloaded, the previous one stays in use: .*radiomap.csv"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[[ $rc == 0 ]] || fail "fraud exited $rc after SIGTERM: $(tail -n 5 "$tmp/reload.log")"
echo "ok"
