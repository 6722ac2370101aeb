#!/usr/bin/env bash
# bench/run fraud: the fraud engine on one core (bench_fraud), then
# fraud-svc end to end against the local Kafka broker next to a pass-through
# runner (bench/fraud_svc.sh, which starts the broker if it is not running
# and stops it again).
# Usage: bench/run fraud [DEVICES...] [--events N] [--partitions P]
#                        [--devices D] [--repeat R]
# Numbers before the first option go to bench_fraud (tracked devices per
# engine run); the options go to bench_fraud_svc. scripts/kafka.sh's
# QP_KAFKA_PORT / QP_KAFKA_CONTROLLER_PORT / QP_KAFKA_RUN_DIR choose the broker.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$1
shift
engine_args=()
while (($#)) && [[ $1 != --* ]]; do
  engine_args+=("$1")
  shift
done
cmake --build "$build" --target bench_fraud -j2 >/dev/null

"$build/bench/bench_fraud" "${engine_args[@]}"
echo

exec bash "$here/fraud_svc.sh" "$build" "$@"
