#!/usr/bin/env bash
# quackpipe dlq's words without a broker: the dispatcher's help, replay's
# options (each bad value refused with exit 2 and its name), and replay's
# exit codes and summary line when it reads nothing (its broker is
# unreachable on purpose).
set -euo pipefail
qp=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# ---- help ----
"$qp" dlq --help >"$tmp/help" || fail "dlq --help: exit $?"
grep -q "^usage: quackpipe dlq tail" "$tmp/help" || fail "dlq --help: $(head -n 1 "$tmp/help")"
grep -q "^       quackpipe dlq replay" "$tmp/help" || fail "dlq --help does not name replay"
"$qp" dlq replay --help >"$tmp/help" || fail "dlq replay --help: exit $?"
grep -q "^usage: quackpipe dlq replay \[OPTIONS\]" "$tmp/help" || fail "dlq replay --help: $(head -n 1 "$tmp/help")"
for option in --min-age --code --to --max-replays --count --timeout --dry-run --brokers; do
  grep -q "^  $option " "$tmp/help" || fail "dlq replay --help does not describe $option"
done

# ---- refused words: exit 2, the reason on stderr ----
expect_usage() { # PATTERN ARGS...
  local pattern=$1 rc=0
  shift
  "$qp" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  [[ $rc == 2 ]] || fail "quackpipe $*: exit $rc, want 2"
  grep -q -- "$pattern" "$tmp/err" || fail "quackpipe $*: no '$pattern' in: $(cat "$tmp/err")"
  [[ ! -s $tmp/out ]] || fail "quackpipe $*: wrote to stdout: $(head -n 2 "$tmp/out")"
}
expect_usage "want tail or replay" dlq
expect_usage "want tail or replay" dlq retry
expect_usage "bad option --code QP_ERR_NOPE" dlq replay --code QP_ERR_NOPE
grep -q "^usage: quackpipe dlq replay" "$tmp/err" || fail "no usage after a refused option"
expect_usage "bad option --code qp_err_json" dlq replay --code qp_err_json
expect_usage "bad option --min-age -1" dlq replay --min-age -1
expect_usage "bad option --min-age 1s" dlq replay --min-age 1s
expect_usage "bad option --min-age 31536001" dlq replay --min-age 31536001
expect_usage "bad option --min-age $" dlq replay --min-age ""
expect_usage "bad option --max-replays 0" dlq replay --max-replays 0
expect_usage "bad option --count 0" dlq replay --count 0
expect_usage "bad option --timeout 0" dlq replay --timeout 0
expect_usage "bad option --to $" dlq replay --to ""
expect_usage "bad option --to$" dlq replay --to
expect_usage "bad option --json" dlq replay --json
expect_usage "bad option --from-beginning" dlq replay --from-beginning
expect_usage "bad option --dry-run" dlq tail --dry-run
# The usage follows a refused option.
grep -q "^usage: quackpipe dlq tail" "$tmp/err" || fail "no usage after a refused option"
expect_usage "qp.nonsense" dlq replay -X qp.nonsense=1

# ---- nothing to read: the summary, and exit 1 when --count is not reached ----
offline=(--brokers 127.0.0.1:1 -X qp.log.level=0 --timeout 1)
run_replay() { # WANT_RC ARGS...
  local want=$1 rc=0
  shift
  "$qp" dlq replay "${offline[@]}" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  [[ $rc == "$want" ]] || fail "dlq replay $*: exit $rc, want $want: $(tail -n 2 "$tmp/err")"
  [[ ! -s $tmp/out ]] || fail "dlq replay $*: printed a dead letter: $(head -n 1 "$tmp/out")"
}
run_replay 0 --min-age 0 --code QP_ERR_JSON --code QP_ERR_UTF8 --to elsewhere --max-replays 5
[[ $(tail -n 1 "$tmp/err") == "quackpipe dlq replay: replayed=0 skipped=0 exhausted=0" ]] ||
  fail "summary: $(tail -n 1 "$tmp/err")"
run_replay 1 --count 1
run_replay 0 --dry-run
[[ $(tail -n 1 "$tmp/err") == "quackpipe dlq replay: dry run, nothing published or committed: replayed=0 skipped=0 exhausted=0" ]] ||
  fail "dry-run summary: $(tail -n 1 "$tmp/err")"
echo "ok"
