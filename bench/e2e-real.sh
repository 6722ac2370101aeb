#!/usr/bin/env bash
# bench/run e2e-real: bench/e2e.sh against the real services on loopback —
# Kafka 3.9 (scripts/kafka.sh) and clickhouse-server (scripts/clickhouse.sh),
# each started here if not running and then stopped again. The demo runs its
# stages in one process, on topics and a table of its own per run.
# Usage: bench/run e2e-real [EVENTS_PER_RUN] [RATE...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
started=()
cleanup() {
  local s
  for s in "${started[@]}"; do bash "$root/scripts/$s.sh" stop >/dev/null || true; done
}
trap cleanup EXIT
if ! bash "$root/scripts/kafka.sh" status >/dev/null 2>&1; then
  bash "$root/scripts/kafka.sh" fetch >/dev/null
  bash "$root/scripts/kafka.sh" start >/dev/null
  started+=(kafka)
fi
if ! bash "$root/scripts/clickhouse.sh" status >/dev/null 2>&1; then
  bash "$root/scripts/clickhouse.sh" start >/dev/null
  started+=(clickhouse)
fi
QP_E2E_DEMO_ARGS="--brokers $(bash "$root/scripts/kafka.sh" bootstrap) --clickhouse $(bash "$root/scripts/clickhouse.sh" url)"
export QP_E2E_DEMO_ARGS
bash "$here/e2e.sh" "$@"
