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

source "$here/support/services.sh"
trap bench_services_down EXIT
bench_services_up kafka
"$build/bench/bench_fraud_svc" --bootstrap "$(bash "$root/scripts/kafka.sh" bootstrap)" \
  --broker "$(bench_kafka_label)" "$@"
