-- The scan events table, for ClickHouse >= 22.3 (and the embedded chdb).
-- qp_inserter_ensure_table() runs exactly these statements (a unit test keeps
-- this file and src/clickhouse/ch_sql.c in step), with the configured database and table
-- names (qp.inserter.database, qp.inserter.table).
--
-- Rows: one JSONEachRow line per event from qp_event_encode_row(), with the
-- columns below in that order; ts is computed here from ts_ms.
--
-- Duplicates: delivery is at least once, so an event can arrive twice
-- (docs/inserter.md). ReplacingMergeTree collapses rows with equal sorting
-- keys within a partition; the key ends in scan_id and starts with the
-- event's own device_id and ts, so two copies of one event always share a
-- partition (the day of ts) and a key, and collapse in background merges
-- (or at once with OPTIMIZE TABLE ... FINAL, or in queries with FINAL).
-- Two different events that claim one scan_id (a replay by a device, which
-- the fraud engine flags) differ in ts or device and both stay, on purpose.
-- insert_deduplication_token (sent by the inserter) works on this
-- non-replicated table because of non_replicated_deduplication_window.
--
-- LowCardinality for the few-valued strings; one partition per day of event
-- time, so a retention TTL drops whole days. Optional retention: add the TTL
-- line below before SETTINGS (or set qp.inserter.table.ttl.days before
-- ensure_table), longer than the days you query.
--
--   TTL toDateTime(ts) + INTERVAL 90 DAY

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
    cell_radio Array(LowCardinality(String)),
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
    app_version LowCardinality(String),
    platform LowCardinality(String),
    fraud_flags Array(LowCardinality(String)),
    quality_score Float32,
    location_cluster String,
    enriched_by LowCardinality(String),
    extra String,
    ts DateTime64(3, 'UTC') MATERIALIZED fromUnixTimestamp64Milli(ts_ms, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toDate(ts)
ORDER BY (device_id, ts, scan_id)
SETTINGS non_replicated_deduplication_window = 1000;
