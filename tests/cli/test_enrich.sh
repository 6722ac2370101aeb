#!/usr/bin/env bash
# quackpipe enrich on a small NDJSON fixture: flags in the output, unknown
# fields untouched, invalid lines reported with their numbers, the summary,
# the events that would alert, the options and the exit codes.
set -euo pipefail
qp=$1 res=$2/tests/resources
events=$res/fraud/enrich-events.ndjson
towers=$res/fraud/towers-fr-excerpt.csv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# expect FILE LINE-NUMBER PATTERN: that output line matches the pattern.
expect() { sed -n "$2p" "$1" | grep -qE -- "$3" || fail "$1 line $2 does not match $3: $(sed -n "$2p" "$1")"; }
# summary FILE NAME COUNT: the summary line of NAME says COUNT.
summary() { grep -qE "^  $2 +$3\$" "$1" || fail "summary: expected '$2 $3' in: $(cat "$1")"; }

# ---- with the tower table ----
rc=0
"$qp" enrich --towers "$towers" "$events" >"$tmp/out" 2>"$tmp/err" || rc=$?
[[ $rc == 0 ]] || fail "exit $rc with invalid lines in the input (want 0): $(cat "$tmp/err")"
[[ $(wc -l <"$tmp/out") == 9 ]] || fail "want 9 enriched events, got $(wc -l <"$tmp/out")"
# Honest first scan: the original bytes, unknown fields untouched, then the enrichment.
head -c 200 "$events" | cmp -s - <(head -c 200 "$tmp/out") || fail "the original bytes were not kept"
expect "$tmp/out" 1 '"battery":87,"os":\{"name":"android","v":14\},"received_ms":1700000000000,"fraud_flags":\[\],"quality_score":1,"location_cluster":"u09tvw0","enriched_by":"quackpipe-fraud/[0-9.]+"\}$'
expect "$tmp/out" 2 '"fraud_flags":\[\]'
expect "$tmp/out" 3 '"fraud_flags":\["duplicate_scan_id"\],"quality_score":0,'
expect "$tmp/out" 4 '"fraud_flags":\["impossible_travel"\]'
expect "$tmp/out" 5 '"device_id":"phone-b".*"fraud_flags":\[\]'
expect "$tmp/out" 6 '"device_id":"phone-c".*"fraud_flags":\["tower_mismatch"\]'
expect "$tmp/out" 7 '"device_id":"phone-d".*"fraud_flags":\[\]'
expect "$tmp/out" 8 '"device_id":"phone-e".*"fraud_flags":\[\]'
expect "$tmp/out" 9 '"device_id":"phone-e".*"fraud_flags":\["duplicate_content"\]'
# Invalid lines, by number, with what was wrong.
grep -qE '^quackpipe enrich: line 5: QP_ERR_JSON' "$tmp/err" || fail "line 5 not reported: $(cat "$tmp/err")"
grep -qE '^quackpipe enrich: line 9: QP_ERR_MISSING_FIELD: .*device_id' "$tmp/err" \
  || fail "line 9 not reported: $(cat "$tmp/err")"
[[ $(grep -c ': line ' "$tmp/err") == 2 ]] || fail "want exactly 2 invalid lines: $(cat "$tmp/err")"
grep -qE '12 lines, 9 events enriched, 2 invalid lines' "$tmp/err" || fail "totals: $(cat "$tmp/err")"
summary "$tmp/err" "flagged events" 4
summary "$tmp/err" clock_skew 0
summary "$tmp/err" duplicate_scan_id 1
summary "$tmp/err" duplicate_content 1
summary "$tmp/err" impossible_travel 1
summary "$tmp/err" too_many_locations 0
summary "$tmp/err" tower_mismatch 1
summary "$tmp/err" unknown_towers 1
summary "$tmp/err" "alerting events" 0   # rewards of 1.5, below the default 5

# ---- --alerts: only the events the engine's verdict says alert ----
printf 'qp.fraud.alert.reward.min = 1\n' >"$tmp/alert.conf"
"$qp" enrich --alerts --config "$tmp/alert.conf" --towers "$towers" "$events" \
  >"$tmp/alerts" 2>"$tmp/alerts.err" || fail "--alerts failed: $(cat "$tmp/alerts.err")"
[[ $(wc -l <"$tmp/alerts") == 5 ]] || fail "want the 5 unflagged events as alerts: $(cat "$tmp/alerts")"
[[ $(grep -c '"fraud_flags":\[\]' "$tmp/alerts") == 5 ]] || fail "a flagged event alerted: $(cat "$tmp/alerts")"
summary "$tmp/alerts.err" "alerting events" 5
# With no blocking flag, every event with the reward alerts.
printf 'qp.fraud.alert.blocking.flags =\n' >>"$tmp/alert.conf"
"$qp" enrich --alerts --config "$tmp/alert.conf" --towers "$towers" "$events" \
  >"$tmp/alerts2" 2>"$tmp/alerts2.err" || fail "--alerts (no blocking) failed"
[[ $(wc -l <"$tmp/alerts2") == 9 ]] || fail "no blocking flag: want 9 alerts, got $(wc -l <"$tmp/alerts2")"

# ---- from stdin, no tower table: cells are unknown, nothing is flagged for them ----
"$qp" enrich - <"$events" >"$tmp/out2" 2>"$tmp/err2" || fail "stdin run failed: $(cat "$tmp/err2")"
[[ $(wc -l <"$tmp/out2") == 9 ]] || fail "stdin: want 9 events"
summary "$tmp/err2" tower_mismatch 0
summary "$tmp/err2" unknown_towers 3

# ---- received now: these 2023 events are far in the past ----
"$qp" enrich --received-now "$events" >/dev/null 2>"$tmp/err3" || fail "--received-now failed"
summary "$tmp/err3" clock_skew 9

# ---- a config file switches a rule off ----
printf '# backtest\nqp.fraud.duplicate_scan_id.enable = false\n' >"$tmp/conf"
"$qp" enrich --config "$tmp/conf" "$events" >"$tmp/out4" 2>"$tmp/err4" || fail "--config failed"
summary "$tmp/err4" duplicate_scan_id 0
expect "$tmp/out4" 3 '"fraud_flags":\[\]'

# ---- usage errors: exit 2, nothing on stdout ----
for args in "--bogus" "--towers" "$events $events" "/nonexistent/events.ndjson" \
            "--towers /nonexistent/towers.csv $events" "--config /nonexistent.conf $events"; do
  rc=0
  # shellcheck disable=SC2086
  "$qp" enrich $args >"$tmp/o" 2>"$tmp/e" </dev/null || rc=$?
  [[ $rc == 2 ]] || fail "enrich $args: exit $rc, want 2"
  [[ ! -s $tmp/o ]] || fail "enrich $args: wrote to stdout"
  [[ -s $tmp/e ]] || fail "enrich $args: said nothing on stderr"
done
printf 'qp.fraud.no.such = 1\n' >"$tmp/bad.conf"
rc=0; "$qp" enrich --config "$tmp/bad.conf" "$events" >/dev/null 2>"$tmp/e" || rc=$?
[[ $rc == 2 ]] && grep -q 'qp.fraud.no.such' "$tmp/e" || fail "bad config: exit $rc: $(cat "$tmp/e")"
"$qp" enrich --help | grep -q 'usage: quackpipe enrich' || fail "--help"
echo "enrich: all checks passed"
