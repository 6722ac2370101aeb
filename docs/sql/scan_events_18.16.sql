-- The scan events table in the form ClickHouse 18.16 (Debian's
-- clickhouse-server package) accepts; qp_inserter_ensure_table() uses it for
-- servers older than 22.3. Verified against 18.16.1 with scripts/clickhouse.sh.
--
-- Differences from scan_events.sql, and why:
-- * no LowCardinality: experimental in 18.16 (refused unless
--   allow_experimental_low_cardinality_type = 1), so plain String;
-- * ts is DateTime (seconds) computed from ts_ms: DateTime64 arrived in 20.1;
--   the sorting key uses ts_ms to keep millisecond order;
-- * no TTL (19.6) and no non_replicated_deduplication_window (20.x): the
--   server does not deduplicate inserts into this non-replicated table, so
--   duplicates are removed only by ReplacingMergeTree (OPTIMIZE ... FINAL,
--   or SELECT ... FINAL).
-- Array(Nullable(Int16)) for cell_dbm and ble_tx_power is accepted as is.

CREATE DATABASE IF NOT EXISTS quackpipe;

CREATE TABLE IF NOT EXISTS quackpipe.scan_events
(
    scan_id String,
    device_id String,
    schema_version UInt8,
    ts_ms Int64,
    received_ms Int64,
    lat Float64,
    lon Float64,
    accuracy_m Float32,
    altitude_m Nullable(Float64),
    speed_mps Nullable(Float32),
    wifi_bssid Array(String),
    wifi_ssid Array(String),
    wifi_rssi_dbm Array(Int16),
    wifi_freq_mhz Array(UInt16),
    cell_radio Array(String),
    cell_mcc Array(UInt16),
    cell_mnc Array(UInt16),
    cell_area Array(UInt32),
    cell_cid Array(UInt64),
    cell_dbm Array(Nullable(Int16)),
    cell_serving Array(UInt8),
    ble_addr Array(String),
    ble_rssi_dbm Array(Int16),
    ble_tx_power Array(Nullable(Int16)),
    reward Float64,
    app_version String,
    platform String,
    fraud_flags Array(String),
    quality_score Float32,
    location_cluster String,
    enriched_by String,
    extra String,
    ts DateTime('UTC') MATERIALIZED toDateTime(intDiv(ts_ms, 1000), 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toDate(ts)
ORDER BY (device_id, ts_ms, scan_id);
