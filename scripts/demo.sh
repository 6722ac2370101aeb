#!/usr/bin/env bash
# Sets up and runs the main job on a fresh Debian machine: installs the
# build dependencies, fetches the embedded ClickHouse (libchdb, from npm),
# builds libquackpipe and the quackpipe command, and runs `quackpipe demo`:
# the whole pipeline in one process on the embedded defaults (librdkafka's
# mock cluster, the embedded ClickHouse). Extra arguments go to the demo,
# e.g. scripts/demo.sh --events 300000 --json
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
chdb=$(bash scripts/chdb.sh | head -1)
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
      -DQP_BUILD_BENCH=OFF -DQP_BUILD_PYTHON=OFF -DQP_BUILD_GO=OFF >/dev/null
cmake --build build-release -j"$(nproc)" --target quackpipe >/dev/null
echo "demo: built build-release/src/cli/quackpipe; embedded ClickHouse: $chdb" >&2
exec build-release/src/cli/quackpipe demo -X qp.inserter.chdb.path="$chdb" -X qp.log.level=4 "$@"
