#!/usr/bin/env bash
# Sets up and runs the main job on a fresh Debian machine: installs the
# build dependencies, fetches the embedded ClickHouse (libchdb, from npm),
# builds libquackpipe, the quackpipe command and the Python binding (in
# build-release/, where docs/bindings.md and the README's quick start pick
# them up), and runs `quackpipe demo`:
# the whole pipeline in one process on the embedded defaults (librdkafka's
# mock cluster, the embedded ClickHouse): simulated phones upload to the
# ingest API over HTTP on loopback, alert-svc pushes to an in-process
# webhook receiver. Extra arguments go to the demo,
# e.g. scripts/demo.sh --events 300000 --json, or --direct to publish the
# phones' scans straight to scan-events.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
chdb=$(bash scripts/chdb.sh | head -1)
# The bindings are on when their tools are found (setup.sh installs SWIG and
# Python's headers; Go is optional): a machine without them still runs the demo.
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
      -DQP_BUILD_BENCH=OFF >/dev/null
cmake --build build-release -j"$(nproc)" >/dev/null
echo "demo: built build-release/src/cli/quackpipe; embedded ClickHouse: $chdb" >&2
exec build-release/src/cli/quackpipe demo -X qp.inserter.chdb.path="$chdb" -X qp.log.level=4 "$@"
