# Sourced by the bench/*.sh scripts that drive the local services (needs
# $root, the repository). bench_services_up starts each service named
# (kafka, clickhouse) unless `scripts/<name>.sh status` finds it running,
# fetching Kafka's jars first if needed; bench_services_down, for the
# caller's EXIT trap, stops only the ones it started. The scripts' own
# environment (QP_KAFKA_PORT, QP_CH_HTTP_PORT, ...) chooses the instances.
bench_started=()

bench_services_up() {
  local s
  for s in "$@"; do
    bash "$root/scripts/$s.sh" status >/dev/null 2>&1 && continue
    if [[ $s == kafka ]]; then bash "$root/scripts/kafka.sh" fetch >/dev/null; fi
    bash "$root/scripts/$s.sh" start >/dev/null
    bench_started+=("$s")
  done
}

bench_services_down() {
  local s
  for s in "${bench_started[@]}"; do bash "$root/scripts/$s.sh" stop >/dev/null || true; done
}

# "Apache Kafka <version> (KRaft, one node, scripts/kafka.sh)": the version
# from the jars on the broker's class path (kafka.sh runs them from a
# directory named kafka-<version>).
bench_kafka_label() {
  local pid version
  pid=$(cat "${QP_KAFKA_RUN_DIR:-/tmp/quackpipe-kafka}/node1/kafka.pid" 2>/dev/null || true)
  version=$(tr '\0' '\n' <"/proc/${pid:-0}/cmdline" 2>/dev/null |
    sed -n 's|.*/kafka-\([0-9][0-9.]*\)/libs/.*|\1|p' | head -n 1 || true)
  echo "Apache Kafka ${version:-(version unknown)} (KRaft, one node, scripts/kafka.sh)"
}
