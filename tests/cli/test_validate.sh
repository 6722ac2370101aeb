#!/usr/bin/env bash
# quackpipe validate on crafted inputs: each case checks the exact standard
# output and the exit status. Usage: test_validate.sh QUACKPIPE SOURCE_DIR
set -uo pipefail
qp=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0 cases=0

# expect NAME STATUS EXPECTED_STDOUT -- COMMAND...  (stdin from $input if set)
expect() {
  local name=$1 want_status=$2 want_out=$3
  shift 4
  local out status
  cases=$((cases + 1))
  out=$(cd "$work" && timeout 60 "$@" < "${input:-/dev/null}" 2>"$work/stderr")
  status=$?
  if [[ $status -ne $want_status || "$out" != "$want_out" ]]; then
    failures=$((failures + 1))
    echo "FAIL: $name (exit $status, want $want_status)"
    diff <(echo "$want_out") <(echo "$out") | head -20
    head -5 "$work/stderr"
  fi
}

line() { sed -n "${1}p" "$src/examples/events.ndjson"; }

# The example file: ten valid events of every kind, four broken ones.
cp "$src/examples/events.ndjson" "$work/events.ndjson"
expect "examples" 1 "events.ndjson:1: ok
events.ndjson:2: ok
events.ndjson:3: ok
events.ndjson:4: ok
events.ndjson:5: ok
events.ndjson:6: ok
events.ndjson:7: ok
events.ndjson:8: ok
events.ndjson:9: ok
events.ndjson:10: ok
events.ndjson:11: error: gps.lat: 123.4 is outside [-90, 90]
events.ndjson:12: error: wifi[1].rssi_dbm: 12 is outside [-120, 0]
events.ndjson:13: error: quality_score: not allowed in a raw event (the pipeline adds it)
events.ndjson:14: error: offset 147: unexpected end of input, expected ',' or '}'" -- "$qp" validate events.ndjson

head -n 10 "$work/events.ndjson" > "$work/valid.ndjson"
expect "all valid" 0 "$(for i in $(seq 10); do echo "valid.ndjson:$i: ok"; done)" -- "$qp" validate valid.ndjson
expect "quiet" 1 "events.ndjson:11: error: gps.lat: 123.4 is outside [-90, 90]
events.ndjson:12: error: wifi[1].rssi_dbm: 12 is outside [-120, 0]
events.ndjson:13: error: quality_score: not allowed in a raw event (the pipeline adds it)
events.ndjson:14: error: offset 147: unexpected end of input, expected ',' or '}'" -- "$qp" validate --quiet events.ndjson

# Standard input, by '-' or by default.
input=$work/valid.ndjson expect "stdin dash" 0 "$(for i in 1 2 3 4 5 6 7 8 9 10; do echo "-:$i: ok"; done)" -- "$qp" validate -
input=$work/valid.ndjson expect "stdin default" 0 "$(for i in 1 2 3 4 5 6 7 8 9 10; do echo "-:$i: ok"; done)" -- "$qp" validate

# One pretty-printed document per file; leading blank lines give its line.
cp "$src/tests/resources/events/pretty.json" "$work/pretty.json"
{ printf '\n\n'; cat "$src/tests/resources/events/pretty.json"; } > "$work/late.json"
expect "documents" 0 "pretty.json:1: ok
late.json:3: ok" -- "$qp" validate pretty.json late.json
head -c 200 "$src/tests/resources/events/pretty.json" > "$work/cut.json"
expect "truncated document" 1 "cut.json:1: error: offset 200: unexpected end of input, in a string" -- "$qp" validate cut.json
# Two documents in one file: the first value does not span the file, so it
# is read as lines, and every line of a pretty-printed event is an error.
cat "$work/pretty.json" "$work/pretty.json" > "$work/two.json"
out=$(cd "$work" && "$qp" validate two.json 2>/dev/null); status=$?
cases=$((cases + 1))
if [[ $status -ne 1 || $(grep -c '^two.json:[0-9]*: error: ' <<<"$out") -ne $(wc -l < "$work/two.json") ]]; then
  failures=$((failures + 1)); echo "FAIL: two documents are lines (exit $status)"; echo "$out" | head -5
fi

# Enriched events, with and without --enriched.
cp "$src/tests/resources/events/enriched.json" "$work/enriched.json"
expect "enriched" 0 "enriched.json:1: ok" -- "$qp" validate --enriched enriched.json
expect "enriched as raw" 1 "enriched.json:1: error: received_ms: not allowed in a raw event (the pipeline adds it)" -- "$qp" validate enriched.json
line 1 > "$work/one.ndjson"
expect "raw as enriched" 1 "one.ndjson:1: error: received_ms: missing" -- "$qp" validate --enriched -- one.ndjson

# Hostile input: empty, blank, huge line, deep nesting, bad UTF-8, NUL bytes.
: > "$work/empty"
printf '\n \n\t\n' > "$work/blank"
expect "empty" 1 "empty:1: error: no event (empty input)
blank:4: error: no event (empty input)" -- "$qp" validate empty blank
{ line 1; head -c 3000000 /dev/zero | tr '\0' 'x'; echo; line 2; } > "$work/huge.ndjson"
expect "megabytes-long line" 1 "huge.ndjson:1: ok
huge.ndjson:2: error: event: 3000000 bytes, at most 65536
huge.ndjson:3: ok" -- "$qp" validate huge.ndjson
{ line 1; head -c 50000 /dev/zero | tr '\0' '['; echo; } > "$work/deep.ndjson"
expect "deep nesting" 1 "deep.ndjson:1: ok
deep.ndjson:2: error: offset 16: nesting deeper than 16 levels" -- "$qp" validate deep.ndjson
printf '{"schema_version":1,"device_id":"\xff"}\n{"schema_version":1,"x":"a\0b"}\n' > "$work/bytes.ndjson"
expect "bad bytes" 1 "bytes.ndjson:1: error: offset 33: invalid UTF-8 (byte 0xFF)
bytes.ndjson:2: error: offset 26: control character 0x00 in a string (must be escaped)" -- "$qp" validate bytes.ndjson
{ line 1; echo; echo "   "; line 2 | tr -d '\n'; printf '\r\n'; line 3 | tr -d '\n'; } > "$work/gaps.ndjson"
expect "blank lines, CRLF, no final newline" 0 "gaps.ndjson:1: ok
gaps.ndjson:4: ok
gaps.ndjson:5: ok" -- "$qp" validate gaps.ndjson
printf '[1,2]\n{"schema_version":1}\n42\n' > "$work/shapes.ndjson"
expect "not objects" 1 "shapes.ndjson:1: error: event: expected an object, got an array
shapes.ndjson:2: error: scan_id: missing
shapes.ndjson:3: error: event: expected an object, got a number" -- "$qp" validate shapes.ndjson

# Usage errors: exit 2; readable files are still checked.
expect "unknown option" 2 "" -- "$qp" validate --frobnicate valid.ndjson
expect "missing file" 2 "one.ndjson:1: ok" -- "$qp" validate no-such-file one.ndjson
mkdir -p "$work/dir"
expect "directory" 2 "" -- "$qp" validate dir
help=$("$qp" validate --help); status=$?
cases=$((cases + 1))
if [[ $status -ne 0 || $help != usage:* ]]; then
  failures=$((failures + 1)); echo "FAIL: --help (exit $status)"
fi

echo "cli validate: $cases cases, $failures failed"
[[ $failures -eq 0 ]]
