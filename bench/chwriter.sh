#!/usr/bin/env bash
# bench/run chwriter: ch-writer end to end (scan-enriched -> batches ->
# ClickHouse) against the local Kafka broker and clickhouse-server over
# HTTP, and into the embedded ClickHouse, each next to a plain hand-written
# loader (bench_chwriter.c). The broker and the server are started here if
# not running (Kafka's jars fetched first if needed) and then stopped again;
# services that were running already are left alone.
# Usage: bench/run chwriter [--events N] [--partitions P] [--devices D]
#        [--batch-rows B] [--repeat R]
# scripts/kafka.sh's QP_KAFKA_PORT / QP_KAFKA_CONTROLLER_PORT /
# QP_KAFKA_RUN_DIR and scripts/clickhouse.sh's QP_CH_HTTP_PORT /
# QP_CH_TCP_PORT / QP_CH_RUN_DIR choose the services; QP_BENCH_NO_CHDB=1
# leaves the embedded ClickHouse out.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$1
shift
cmake --build "$build" --target bench_chwriter -j2 >/dev/null

source "$here/support/services.sh"
data_dir=$(mktemp -d /tmp/quackpipe-bench-chw-XXXXXX)
trap 'rm -rf "$data_dir"; bench_services_down' EXIT
bench_services_up kafka clickhouse
chdb=()
if [[ -z ${QP_BENCH_NO_CHDB:-} ]]; then
  chdb=(--chdb "$(bash "$root/scripts/chdb.sh" | head -n 1)" --chdb-dir "$data_dir/chdb")
fi
"$build/bench/bench_chwriter" --bootstrap "$(bash "$root/scripts/kafka.sh" bootstrap)" \
  --broker "$(bench_kafka_label)" --url "$(bash "$root/scripts/clickhouse.sh" url)" \
  "${chdb[@]}" "$@"
