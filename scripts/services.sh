# Sourced by scripts/test.sh and bench scripts: starts and stops the real
# services on loopback, and exports where the tests find them.
#   QP_TEST_KAFKA_BROKERS    single-node Kafka (KRaft) from scripts/kafka.sh
#   QP_TEST_KAFKA_CLUSTER_BROKERS  three-broker KRaft cluster (failover tests)
#   QP_TEST_CLICKHOUSE_URL   clickhouse-server (Debian) from scripts/clickhouse.sh
#   QP_TEST_CHDB_PATH        libchdb.so (embedded ClickHouse) from scripts/chdb.sh
# A service that cannot be started stops the run here, with its reason.

_qp_services_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

services_start() {
  local s=$_qp_services_root/scripts
  bash "$s/kafka.sh" fetch
  bash "$s/kafka.sh" start
  QP_TEST_KAFKA_BROKERS=$(bash "$s/kafka.sh" bootstrap)
  bash "$s/kafka.sh" cluster start
  QP_TEST_KAFKA_CLUSTER_BROKERS=$(bash "$s/kafka.sh" cluster bootstrap)
  bash "$s/clickhouse.sh" start
  QP_TEST_CLICKHOUSE_URL=$(bash "$s/clickhouse.sh" url)
  QP_TEST_CHDB_PATH=$(bash "$s/chdb.sh")
  export QP_TEST_KAFKA_BROKERS QP_TEST_KAFKA_CLUSTER_BROKERS QP_TEST_CLICKHOUSE_URL QP_TEST_CHDB_PATH
  echo "services: kafka $QP_TEST_KAFKA_BROKERS, kafka cluster $QP_TEST_KAFKA_CLUSTER_BROKERS, clickhouse $QP_TEST_CLICKHOUSE_URL, chdb $QP_TEST_CHDB_PATH"
}

services_stop() {
  local s=$_qp_services_root/scripts
  bash "$s/kafka.sh" cluster stop >/dev/null 2>&1 || true
  bash "$s/kafka.sh" stop || true
  bash "$s/clickhouse.sh" stop || true
}
