#!/usr/bin/env bash
# Sets up and runs every test of libquackpipe, the way CI does:
#   1. installs the build dependencies (scripts/setup.sh);
#   2. builds twice: a normal build (build/) and an ASan+UBSan build (build-asan/);
#   3. starts the real services the integration tests need, on loopback:
#      Kafka (KRaft, from Maven Central jars), clickhouse-server (Debian),
#      and fetches the embedded ClickHouse (libchdb, npm) — and stops them on exit;
#   4. runs every ctest test in both builds (unit, integration, install, docs);
#   5. runs the decoder fuzzer for QP_FUZZ_SECONDS (default 60).
# A missing service fails the run with the reason; nothing is skipped.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=${QP_JOBS:-$(nproc)}
fuzz_seconds=${QP_FUZZ_SECONDS:-60}

step() { printf '\n=== %s\n' "$*"; }

step "dependencies"
bash scripts/setup.sh
# Go >= 1.24 for the Go binding and the test doubles (scripts/go.sh).
PATH="$(bash scripts/go.sh):$PATH"
export PATH

step "build: normal and sanitizer (ASan+UBSan)"
# The bindings are required here: a missing SWIG, Python or Go fails the run.
bindings=(-DQP_BUILD_PYTHON=ON -DQP_BUILD_GO=ON)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "${bindings[@]}" >/dev/null
cmake --build build -j"$jobs"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DQP_SANITIZE=ON -DQP_BUILD_BENCH=OFF \
      "${bindings[@]}" >/dev/null
cmake --build build-asan -j"$jobs"

step "services"
source scripts/services.sh
services_start
trap services_stop EXIT

for b in build build-asan; do
  step "tests: $b"
  (cd "$b" && ctest --output-on-failure -j1 --timeout 600)
done

if [[ -x scripts/fuzz.sh && $fuzz_seconds -gt 0 ]]; then
  step "fuzz: event decoder for ${fuzz_seconds}s"
  bash scripts/fuzz.sh "$fuzz_seconds"
fi
step "all tests passed"
