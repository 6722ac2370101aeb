#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS]: builds the libFuzzer target of the event decoder
# with clang (build-fuzz/), runs it for SECONDS (default 60) from the seed
# corpus, and exits non-zero if it found a crash, a leak or a failed check;
# the inputs that did are copied to tests/resources/events/regress/, where a
# unit test decodes them from then on.
set -euo pipefail
seconds=${1:-60}
if ! [[ $seconds =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS]" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
build=${QP_FUZZ_BUILD:-$root/build-fuzz}
regress=$root/tests/resources/events/regress

CC=clang cmake -S "$root" -B "$build" -DQP_BUILD_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug \
  -DQP_BUILD_BENCH=OFF -DQP_BUILD_PROGRAMS=OFF >/dev/null
cmake --build "$build" --target fuzz_event_decode -j2 >/dev/null

# The fuzzer grows a working corpus; the seeds in the tree stay as they are.
# Seeds: the test events (tests/resources/events, the inputs it found
# before in regress/ included) and the malformed ones only the fuzzer
# needs (tests/fuzz/corpus/event_decode).
work=$build/fuzz-work
artifacts=$build/fuzz-artifacts
mkdir -p "$work/corpus" "$artifacts"
for seed in "$root"/tests/resources/events/*.json "$root"/tests/resources/events/regress/* \
            "$root"/tests/fuzz/corpus/event_decode/*; do
  if [[ -f $seed && $(basename "$seed") != README ]]; then
    cp -n "$seed" "$work/corpus/" || true
  fi
done
rm -f "$artifacts"/*

status=0
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$build/tests/fuzz/fuzz_event_decode" "$work/corpus" \
  -dict="$root/tests/fuzz/event.dict" -max_total_time="$seconds" -max_len=70000 \
  -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" >"$build/fuzz.log" 2>&1 || status=$?

tail -n 15 "$build/fuzz.log"
found=$(find "$artifacts" -type f | wc -l)
if [[ $status -ne 0 || $found -ne 0 ]]; then
  mkdir -p "$regress"
  cp "$artifacts"/* "$regress/" 2>/dev/null || true
  echo "fuzz: the fuzzer failed (exit $status, $found input(s) copied to $regress); log: $build/fuzz.log" >&2
  exit 1
fi
echo "fuzz: no failure in ${seconds}s; corpus $(ls "$work/corpus" | wc -l) inputs"
