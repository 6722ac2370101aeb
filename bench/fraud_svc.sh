#!/usr/bin/env bash
# bench/run fraud_svc: fraud-svc end to end against the local Kafka broker,
# next to a pass-through runner (bench_fraud_svc.c). The broker is started
# here if not running (jars fetched first if needed), and then stopped again.
# Usage: bench/run fraud_svc [--events N] [--partitions P] [--devices D] [--repeat R]
# scripts/kafka.sh's QP_KAFKA_PORT / QP_KAFKA_CONTROLLER_PORT /
# QP_KAFKA_RUN_DIR choose the broker.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$1
shift
cmake --build "$build" --target bench_fraud_svc -j2 >/dev/null

kafka=$root/scripts/kafka.sh
started=no
cleanup() {
  if [[ $started == yes ]]; then bash "$kafka" stop; fi
}
trap cleanup EXIT
if ! bash "$kafka" status >/dev/null 2>&1; then
  bash "$kafka" fetch >/dev/null
  bash "$kafka" start >/dev/null
  started=yes
fi
bootstrap=$(bash "$kafka" bootstrap)
# The broker's version, from the jars on its class path (kafka.sh runs them
# from a directory named kafka-<version>).
pid=$(cat "${QP_KAFKA_RUN_DIR:-/tmp/quackpipe-kafka}/node1/kafka.pid" 2>/dev/null || true)
version=$(tr '\0' '\n' <"/proc/${pid:-0}/cmdline" 2>/dev/null |
  sed -n 's|.*/kafka-\([0-9][0-9.]*\)/libs/.*|\1|p' | head -n 1 || true)
label="Apache Kafka ${version:-(version unknown)} (KRaft, one node, scripts/kafka.sh)"
"$build/bench/bench_fraud_svc" --bootstrap "$bootstrap" --broker "$label" "$@"
