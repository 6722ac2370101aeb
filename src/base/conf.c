/*
 * The configuration object and the one table of library properties.
 * docs/configuration.md is generated from qp_properties[] by
 * `quackpipe config --markdown`; a test keeps the two in step.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array_int.h"
#include "base/buf_int.h"
#include "base/conf_int.h"


static const qp_prop_t qp_properties[] = {
	/* base */
	{ "qp.log.level", QP_PROP_INT, "6", 0, 7, NULL,
	  "Log lines above this syslog level (3 error .. 7 debug) are dropped." },

	/* topics: names and layout of the pipeline (admin, services) */
	{ "qp.topic.events", QP_PROP_STR, "scan-events", 0, 0, NULL,
	  "Topic the ingest API produces raw scan events to." },
	{ "qp.topic.enriched", QP_PROP_STR, "scan-enriched", 0, 0, NULL,
	  "Topic fraud-svc produces enriched events to." },
	{ "qp.topic.alerts", QP_PROP_STR, "scan-alerts", 0, 0, NULL,
	  "Topic fraud-svc produces reward alerts to." },
	{ "qp.topic.dlq", QP_PROP_STR, "scan-dlq", 0, 0, NULL,
	  "Dead-letter topic for events a stage cannot decode or process." },
	{ "qp.topic.fraud.state", QP_PROP_STR, "{events}-fraud-state", 0, 0, NULL,
	  "Compacted changelog of fraud-svc's per-device state ({events}: the "
	  "qp.topic.events name), partitioned as the events topic: a snapshot per "
	  "device and batch, read back on assignment instead of replaying events "
	  "(docs/services.md); empty: none, warming by replay only "
	  "(qp.fraud.warm.window.ms)." },
	{ "qp.topic.device_tokens", QP_PROP_STR, "device-tokens", 0, 0, NULL,
	  "Compacted topic of push tokens, key device_id, value "
	  "{\"platform\":\"apns|fcm|webhook\",\"token\":...,\"app\":...}; alert-svc "
	  "reads it whole at start, follows it, and retires dead tokens in it." },
	{ "qp.topic.alerts_sent", QP_PROP_STR, "alerts-sent", 0, 0, NULL,
	  "Compacted topic where alert-svc records each scan_id it pushed (key "
	  "scan_id), read back at start so a restart does not push it again." },

	/* fraud: the rule engine (docs/fraud.md explains every default) */
	{ "qp.fraud.cluster.precision", QP_PROP_INT, "7", 1, 12, NULL,
	  "Geohash characters of an enriched event's location_cluster (7: about 150 m)." },
	{ "qp.fraud.state.max.bytes", QP_PROP_INT, "268435456", 4096, 1099511627776.0, NULL,
	  "Memory budget of the per-device state (records, LRU links, index); past it the least recently seen device is evicted. 256 MiB holds about a million devices." },
	{ "qp.fraud.towers.strict", QP_PROP_BOOL, "false", 0, 0, NULL,
	  "Fail loading a tower file at its first bad line instead of skipping and counting bad lines." },
	{ "qp.fraud.towers.skip.max.ratio", QP_PROP_DOUBLE, "0.01", 0, 1, NULL,
	  "Share of a tower file's rows that may be skipped as bad; past it (or when no tower "
	  "loads) loading fails and fraud-svc does not start." },
	{ "qp.fraud.towers.accept.incomplete", QP_PROP_BOOL, "false", 0, 0, NULL,
	  "Load a tower file that loads nothing or skips more than "
	  "qp.fraud.towers.skip.max.ratio of its rows, with a warning, instead of failing." },
	{ "qp.fraud.score.accuracy.good.m", QP_PROP_DOUBLE, "50", 0, 100000, NULL,
	  "GPS accuracy (metres) up to which the quality score is not lowered." },
	{ "qp.fraud.score.accuracy.bad.m", QP_PROP_DOUBLE, "1000", 0, 100000, NULL,
	  "GPS accuracy (metres) at and beyond which the full accuracy penalty applies (linear in between)." },
	{ "qp.fraud.score.accuracy.penalty", QP_PROP_DOUBLE, "0.3", 0, 1, NULL,
	  "Largest amount poor GPS accuracy takes off the quality score." },
	{ "qp.fraud.clock_skew.enable", QP_PROP_BOOL, "true", 0, 0, NULL,
	  "Flag events whose device timestamp is far from received_ms." },
	{ "qp.fraud.clock_skew.future.ms", QP_PROP_INT, "300000", 0, 31536000000.0, NULL,
	  "clock_skew: how far ahead of received_ms ts_ms may be." },
	{ "qp.fraud.clock_skew.past.ms", QP_PROP_INT, "86400000", 0, 31536000000.0, NULL,
	  "clock_skew: how far behind received_ms ts_ms may be (scans buffered offline arrive late)." },
	{ "qp.fraud.clock_skew.penalty", QP_PROP_DOUBLE, "0.3", 0, 1, NULL,
	  "clock_skew: amount taken off the quality score." },
	{ "qp.fraud.duplicate_scan_id.enable", QP_PROP_BOOL, "true", 0, 0, NULL,
	  "Flag a scan_id the device already submitted (among its last 4 scans)." },
	{ "qp.fraud.duplicate_scan_id.window.ms", QP_PROP_INT, "86400000", 1000, 31536000000.0, NULL,
	  "duplicate_scan_id: how long (pipeline time) a scan_id is remembered." },
	{ "qp.fraud.duplicate_scan_id.penalty", QP_PROP_DOUBLE, "1", 0, 1, NULL,
	  "duplicate_scan_id: amount taken off the quality score." },
	{ "qp.fraud.duplicate_content.enable", QP_PROP_BOOL, "true", 0, 0, NULL,
	  "Flag a scan whose content (rounded position and observed radios) the device submitted under another scan_id (among its last 4 scans)." },
	{ "qp.fraud.duplicate_content.window.ms", QP_PROP_INT, "3600000", 1000, 31536000000.0, NULL,
	  "duplicate_content: how long (pipeline time) a content hash is remembered." },
	{ "qp.fraud.duplicate_content.decimals", QP_PROP_INT, "5", 0, 7, NULL,
	  "duplicate_content: decimals of latitude and longitude kept in the content (5: about 1 m)." },
	{ "qp.fraud.duplicate_content.signals", QP_PROP_BOOL, "true", 0, 0, NULL,
	  "duplicate_content: include each radio's signal strength in the content, so a phone that stays put and rescans is not flagged; false matches on radio identities only." },
	{ "qp.fraud.duplicate_content.min.radios", QP_PROP_INT, "1", 1, 576, NULL,
	  "duplicate_content: radios (WiFi + cells + BLE) a scan needs for its content to be compared." },
	{ "qp.fraud.duplicate_content.penalty", QP_PROP_DOUBLE, "0.8", 0, 1, NULL,
	  "duplicate_content: amount taken off the quality score." },
	{ "qp.fraud.impossible_travel.enable", QP_PROP_BOOL, "true", 0, 0, NULL,
	  "Flag a fix that the device could not have reached from its previous fix." },
	{ "qp.fraud.impossible_travel.max.speed.kmh", QP_PROP_DOUBLE, "500", 1, 100000, NULL,
	  "impossible_travel: fastest plausible ground speed, after both fixes' accuracy is subtracted from the distance (500: above high-speed trains and maglevs)." },
	{ "qp.fraud.impossible_travel.min.distance.m", QP_PROP_DOUBLE, "10000", 0, 20000000, NULL,
	  "impossible_travel: jumps up to this distance beyond the accuracies are never flagged (single-fix outliers of several km occur in real tracks)." },
	{ "qp.fraud.impossible_travel.min.interval.ms", QP_PROP_INT, "1000", 1, 3600000, NULL,
	  "impossible_travel: shortest time counted between two fixes, so equal timestamps give a finite speed." },
	{ "qp.fraud.impossible_travel.penalty", QP_PROP_DOUBLE, "0.6", 0, 1, NULL,
	  "impossible_travel: amount taken off the quality score." },
	{ "qp.fraud.too_many_locations.enable", QP_PROP_BOOL, "true", 0, 0, NULL,
	  "Flag a device seen in too many distinct places within a short window." },
	{ "qp.fraud.too_many_locations.window.ms", QP_PROP_INT, "60000", 1000, 3600000, NULL,
	  "too_many_locations: the window, in device time." },
	{ "qp.fraud.too_many_locations.max.clusters", QP_PROP_INT, "4", 1, 4, NULL,
	  "too_many_locations: distinct clusters allowed within the window." },
	{ "qp.fraud.too_many_locations.radius.m", QP_PROP_DOUBLE, "2000", 1, 1000000, NULL,
	  "too_many_locations: a fix farther than this (plus its accuracy) from every recent cluster opens a new one; with the defaults honest travel up to 360 km/h stays within 4 clusters a minute." },
	{ "qp.fraud.too_many_locations.penalty", QP_PROP_DOUBLE, "0.5", 0, 1, NULL,
	  "too_many_locations: amount taken off the quality score." },
	{ "qp.fraud.tower_mismatch.enable", QP_PROP_BOOL, "true", 0, 0, NULL,
	  "Flag a fix farther from its serving cell's tower than the tower's range plus a margin." },
	{ "qp.fraud.tower_mismatch.margin.m", QP_PROP_DOUBLE, "10000", 0, 20000000, NULL,
	  "tower_mismatch: slack added to the tower's OpenCelliD range (positions and ranges there are estimates)." },
	{ "qp.fraud.tower_mismatch.penalty", QP_PROP_DOUBLE, "0.4", 0, 1, NULL,
	  "tower_mismatch: amount taken off the quality score." },
	{ "qp.fraud.radio_mismatch.enable", QP_PROP_BOOL, "true", 0, 0, NULL,
	  "Flag a fix far from where the majority of the event's known, fixed WiFi "
	  "access points and BLE beacons stand (the radio map: qp.fraud.radiomap.*)." },
	{ "qp.fraud.radio_mismatch.wifi.range.m", QP_PROP_DOUBLE, "150", 1, 100000, NULL,
	  "radio_mismatch: how far a WiFi access point is heard; a station agrees with "
	  "the fix within this plus the station's spread plus the fix's accuracy." },
	{ "qp.fraud.radio_mismatch.ble.range.m", QP_PROP_DOUBLE, "50", 1, 100000, NULL,
	  "radio_mismatch: how far a BLE beacon is heard (as wifi.range.m)." },
	{ "qp.fraud.radio_mismatch.min.stations", QP_PROP_INT, "2", 1, 16, NULL,
	  "radio_mismatch: known stations that must disagree with the fix (and "
	  "outnumber those that agree) to flag it." },
	{ "qp.fraud.radio_mismatch.penalty", QP_PROP_DOUBLE, "0.6", 0, 1, NULL,
	  "radio_mismatch: amount taken off the quality score." },
	{ "qp.fraud.radiomap.min.devices", QP_PROP_INT, "3", 1, 4, NULL,
	  "Radio map: distinct devices that must have seen a station in trusted "
	  "events before it counts (learning, export and loading)." },
	{ "qp.fraud.radiomap.mobile.span.m", QP_PROP_DOUBLE, "500", 1, 20000000, NULL,
	  "Radio map: a station seen from fixes spanning more than this is "
	  "mobile (a phone's hotspot, a bus's WiFi) and never used." },
	{ "qp.fraud.radiomap.learn", QP_PROP_BOOL, "false", 0, 0, NULL,
	  "Radio map: the engine learns stations from the trusted events it "
	  "evaluates (qp_fraud_radiomap_export writes them as a file)." },
	{ "qp.fraud.radiomap.learn.min.quality", QP_PROP_DOUBLE, "0.9", 0, 1, NULL,
	  "Radio map learning: an event with no flag is trusted from this quality score." },
	{ "qp.fraud.radiomap.learn.max.accuracy.m", QP_PROP_DOUBLE, "50", 0, 100000, NULL,
	  "Radio map learning: an event is trusted up to this GPS accuracy." },
	{ "qp.fraud.radiomap.learn.max.stations", QP_PROP_INT, "4000000", 1, 1000000000, NULL,
	  "Radio map learning: stations the learner holds at most (176 bytes "
	  "each at worst); observations of more are dropped." },

	/* inserter: batches into ClickHouse (docs/inserter.md) */
	{ "qp.inserter.backend", QP_PROP_ENUM, "embedded", 0, 0, "http|embedded",
	  "Where rows go: a ClickHouse server over HTTP, or the embedded ClickHouse "
	  "(libchdb, loaded at run time)." },
	{ "qp.inserter.url", QP_PROP_STR, "http://127.0.0.1:8123", 0, 0, NULL,
	  "HTTP backend: the server's HTTP(S) interface, e.g. https://host:8443." },
	{ "qp.inserter.user", QP_PROP_STR, "default", 0, 0, NULL,
	  "HTTP backend: user, sent as X-ClickHouse-User." },
	{ "qp.inserter.password", QP_PROP_STR, "", 0, 0, NULL,
	  "HTTP backend: password, sent as X-ClickHouse-Key." },
	{ "qp.inserter.database", QP_PROP_STR, "quackpipe", 0, 0, NULL,
	  "Database of the scan events table ([A-Za-z_][A-Za-z0-9_]*, <= 64 chars)." },
	{ "qp.inserter.table", QP_PROP_STR, "scan_events", 0, 0, NULL,
	  "Scan events table ([A-Za-z_][A-Za-z0-9_]*, <= 64 chars)." },
	{ "qp.inserter.table.ttl.days", QP_PROP_INT, "0", 0, 36500, NULL,
	  "Rows older than this many days (by event time) expire; 0 keeps them. "
	  "Used by qp_inserter_ensure_table on servers >= 22.3." },
	{ "qp.inserter.format", QP_PROP_ENUM, "JSONEachRow", 0, 0, "JSONEachRow|RowBinary",
	  "The rows' format: JSONEachRow (one JSON object a line, readable on the "
	  "wire) or RowBinary (binary rows of the table's columns, which the "
	  "engine copies instead of parsing). ch-writer encodes its rows in it, "
	  "and defaults to RowBinary with the embedded backend; a host adding "
	  "its own rows adds them in this format." },
	{ "qp.inserter.batch.rows", QP_PROP_INT, "5000", 1, 1000000, NULL,
	  "Flush a batch when it has this many rows. ch-writer defaults to 20000 "
	  "with the embedded backend (larger parts, fewer merges)." },
	{ "qp.inserter.batch.bytes", QP_PROP_INT, "33554432", 1024, 1073741824, NULL,
	  "Flush a batch when its rows reach this many bytes; also "
	  "the bound on the inserter's buffered rows while ClickHouse is down." },
	{ "qp.inserter.batch.age.ms", QP_PROP_INT, "2000", 0, 3600000, NULL,
	  "Flush a batch when its oldest row has waited this long." },
	{ "qp.inserter.batch.idle.ms", QP_PROP_INT, "500", 0, 3600000, NULL,
	  "Flush a batch when no row has been added to it for this long (its input "
	  "paused), without waiting out the rest of its age; 0: only rows, bytes "
	  "and age flush." },
	{ "qp.inserter.retry.max", QP_PROP_INT, "8", 0, 1000, NULL,
	  "Retries of one request after transient failures, per flush call." },
	{ "qp.inserter.retry.total.ms", QP_PROP_INT, "60000", 0, 86400000, NULL,
	  "Longest time one flush call keeps retrying transient failures." },
	{ "qp.inserter.retry.backoff.ms", QP_PROP_INT, "200", 1, 600000, NULL,
	  "Delay scale of the first retry (capped exponential backoff with jitter)." },
	{ "qp.inserter.retry.backoff.max.ms", QP_PROP_INT, "10000", 1, 3600000, NULL,
	  "Cap on one retry delay." },
	{ "qp.inserter.timeout.ms", QP_PROP_INT, "30000", 100, 3600000, NULL,
	  "HTTP backend: whole-request timeout." },
	{ "qp.inserter.connect.timeout.ms", QP_PROP_INT, "5000", 100, 600000, NULL,
	  "HTTP backend: connection (and TLS handshake) timeout." },
	{ "qp.inserter.compression", QP_PROP_ENUM, "none", 0, 0, "none|gzip",
	  "HTTP backend: compress request bodies (Content-Encoding: gzip)." },
	{ "qp.inserter.tls.ca.location", QP_PROP_STR, "", 0, 0, NULL,
	  "HTTP backend: CA bundle file for https:// URLs; empty: the system's." },
	{ "qp.inserter.tls.verify", QP_PROP_BOOL, "true", 0, 0, NULL,
	  "HTTP backend: verify the server certificate and host name. Turning "
	  "this off is logged as a warning on every connection set-up." },
	{ "qp.inserter.dedup", QP_PROP_BOOL, "true", 0, 0, NULL,
	  "Send the flush's deduplication token as insert_deduplication_token "
	  "where the server supports it." },
	{ "qp.inserter.chdb.path", QP_PROP_STR, "", 0, 0, NULL,
	  "Embedded backend: path of libchdb.so; empty: the standard places and "
	  "the cache of scripts/chdb.sh." },
	{ "qp.inserter.chdb.dir", QP_PROP_STR, "quackpipe-chdb", 0, 0, NULL,
	  "Embedded backend: directory of the embedded ClickHouse's data." },
	/* admin: topic layout created by qp_admin_ensure_topics */
	{ "qp.topic.events.partitions", QP_PROP_INT, "6", 1, 100000, NULL,
	  "Partitions of the events topic (the most a consumer group spreads over)." },
	{ "qp.topic.enriched.partitions", QP_PROP_INT, "3", 1, 100000, NULL,
	  "Partitions of the enriched topic." },
	{ "qp.topic.alerts.partitions", QP_PROP_INT, "1", 1, 100000, NULL,
	  "Partitions of the alerts topic." },
	{ "qp.topic.device_tokens.partitions", QP_PROP_INT, "1", 1, 100000, NULL,
	  "Partitions of the device tokens topic (compacted: cleanup.policy=compact)." },
	{ "qp.topic.alerts_sent.partitions", QP_PROP_INT, "1", 1, 100000, NULL,
	  "Partitions of alert-svc's record of pushes (compacted: cleanup.policy=compact)." },
	{ "qp.topic.dlq.partitions", QP_PROP_INT, "1", 1, 100000, NULL,
	  "Partitions of the dead-letter topic." },
	{ "qp.topic.fraud.state.segment.bytes", QP_PROP_INT, "1048576", 1048576, 1073741824, NULL,
	  "segment.bytes of the fraud-state changelog the library creates (with "
	  "min.cleanable.dirty.ratio 0.1): the broker compacts only closed "
	  "segments, so a restore reads the devices' snapshots plus up to about "
	  "this much per partition." },
	{ "qp.topic.replication.factor", QP_PROP_INT, "1", -1, 32767, NULL,
	  "Replication factor of topics the library creates; -1 = the broker's "
	  "default.replication.factor (0 is refused)." },
	{ "qp.topic.retention.ms", QP_PROP_INT, "604800000", -1, 9007199254740992.0, NULL,
	  "retention.ms of topics the library creates and expects (7 days); -1 = "
	  "keep forever." },

	/* producer */
	{ "qp.producer.partitioner", QP_PROP_ENUM, "murmur2", 0, 0, "murmur2|fnv1a|crc32",
	  "Key hash choosing an event's partition: murmur2 as the Java client, "
	  "fnv1a as Go sarama's hash partitioner, crc32 as librdkafka's consistent. "
	  "A librdkafka `partitioner` key, if set, wins." },
	{ "qp.producer.enqueue.timeout.ms", QP_PROP_INT, "0", 0, 3600000, NULL,
	  "How long a publish may wait for room in a full queue, serving delivery "
	  "reports, before QP_ERR_QUEUE_FULL; 0 = never block." },
	{ "qp.producer.close.timeout.ms", QP_PROP_INT, "10000", 0, 3600000, NULL,
	  "How long qp_producer_destroy() waits for outstanding deliveries before "
	  "dropping them (their number is logged)." },

	/* runner: the consumer-group runner (docs/runner.md) */
	{ "qp.runner.decode", QP_PROP_ENUM, "raw", 0, 0, "raw|enriched|none",
	  "How the runner decodes each record: as a raw event, as an enriched "
	  "event, or not at all (bytes only)." },
	{ "qp.runner.dlq.auto", QP_PROP_BOOL, "true", 0, 0, NULL,
	  "Send records that fail to decode to qp.topic.dlq without handing "
	  "them to the host." },
	{ "qp.runner.retry.max", QP_PROP_INT, "3", 0, 1000, NULL,
	  "Retries of one event before qp_runner_retry() dead-letters it." },
	{ "qp.runner.retry.backoff.ms", QP_PROP_INT, "500", 1, 3600000, NULL,
	  "Backoff before the first retry; doubles per retry, with jitter." },
	{ "qp.runner.retry.backoff.max.ms", QP_PROP_INT, "30000", 1, 3600000, NULL,
	  "Cap on the backoff before any one retry." },
	{ "qp.runner.commit.interval.ms", QP_PROP_INT, "1000", 1, 3600000, NULL,
	  "How often acked offsets are committed (also on revoke and close)." },
	{ "qp.runner.close.timeout.ms", QP_PROP_INT, "10000", 0, 3600000, NULL,
	  "Longest wait for dead-letter writes in flight at revoke and close." },
	{ "qp.runner.transactional", QP_PROP_BOOL, "false", 0, 0, NULL,
	  "Exactly-once mode: the runner commits no offsets itself; "
	  "qp_runner_commit_transaction() commits them inside a producer's "
	  "transaction (docs/runner.md)." },

	/* services: fraud-svc and ch-writer (docs/services.md) */
	{ "qp.fraud.towers.path", QP_PROP_STR, "", 0, 0, NULL,
	  "fraud-svc: cell tower table (OpenCelliD CSV) to load; empty: none, "
	  "and the tower_mismatch rule only counts unknown towers." },
	{ "qp.fraud.radiomap.path", QP_PROP_STR, "", 0, 0, NULL,
	  "fraud-svc: radio map file (docs/fraud.md, `quackpipe radiomap`) loaded "
	  "at start; empty: no map, and radio_mismatch flags nothing." },
	{ "qp.fraud.radiomap.reload.s", QP_PROP_INT, "0", 0, 604800, NULL,
	  "fraud-svc: reload the radio map every this many seconds (between "
	  "batches; SIGHUP also reloads it); 0: only on SIGHUP." },
	{ "qp.fraud.alert.reward.min", QP_PROP_DOUBLE, "5", 0, 1e12, NULL,
	  "The fraud engine's alert decision (qp_fraud_verdict_alert): an event "
	  "whose reward is at least this, and that carries no blocking flag, "
	  "alerts; fraud-svc also publishes it to the alerts topic." },
	{ "qp.fraud.alert.blocking.flags", QP_PROP_STR,
	  "too_many_locations,impossible_travel,tower_mismatch,radio_mismatch,"
	  "duplicate_scan_id,duplicate_content,clock_skew", 0, 0, NULL,
	  "Comma-separated flags that keep an event from alerting "
	  "(qp_fraud_verdict_alert; fraud-svc's alerts topic)." },
	{ "qp.fraud.exactly.once", QP_PROP_BOOL, "false", 0, 0, NULL,
	  "fraud-svc: consume-transform-produce in Kafka transactions, one per "
	  "batch: outputs and input offsets commit together or not at all. Set "
	  "transactional.id to a stable name per instance (docs/services.md)." },
	{ "qp.fraud.warm.window.ms", QP_PROP_INT, "300000", 0, 86400000, NULL,
	  "fraud-svc: on assignment (and after a rewind) without a usable "
	  "changelog (qp.topic.fraud.state), the devices' state is rebuilt from "
	  "the partition's events of this much record time before the committed "
	  "offset, without re-emitting them; 0: no replay." },
	{ "qp.svc.batch.max", QP_PROP_INT, "5000", 1, 1000000, NULL,
	  "Services: events taken from the runner per batch (fraud-svc acks a "
	  "batch once all its outputs are acknowledged, so each batch waits "
	  "for one round of acknowledgements: larger batches wait less often)." },
	{ "qp.svc.flush.timeout.ms", QP_PROP_INT, "30000", 100, 3600000, NULL,
	  "fraud-svc: how long a batch waits for its outputs to be acknowledged "
	  "before it is re-delivered." },

	/* ingest: the ingest API handler and `quackpipe ingest` (docs/ingest.md) */
	{ "qp.ingest.auth", QP_PROP_ENUM, "keys", 0, 0, "keys|open",
	  "keys: every request needs an API key of qp.ingest.keys.path (401 "
	  "otherwise); open: no key asked (the demo, loopback tests)." },
	{ "qp.ingest.keys.path", QP_PROP_STR, "", 0, 0, NULL,
	  "API keys file: lines `<sha256 hex of the key> <tenant> <app> "
	  "[requests/s]`; only hashes are stored, compared in constant time." },
	{ "qp.ingest.hmac.secrets.path", QP_PROP_STR, "", 0, 0, NULL,
	  "Device secrets file (lines `<device_id> <secret>`); when set, every "
	  "POST and PUT must carry X-QP-Device-Id and X-QP-Signature: "
	  "sha256=<hex HMAC-SHA256 of the body as sent> (403 otherwise)." },
	{ "qp.ingest.rate.limit", QP_PROP_DOUBLE, "0", 0, 1e9, NULL,
	  "Requests per second allowed per API key (a token bucket of one "
	  "second's burst; 429 past it); 0: no limit. A key's own rate in the "
	  "keys file wins." },
	{ "qp.ingest.body.max.bytes", QP_PROP_INT, "1048576", 1024, 1073741824, NULL,
	  "Largest request body as sent (413 past it, from Content-Length before "
	  "the body is read)." },
	{ "qp.ingest.body.decoded.max.bytes", QP_PROP_INT, "8388608", 1024, 1073741824, NULL,
	  "Largest body after gzip decoding: inflating stops there (413), so a "
	  "gzip bomb costs at most this much memory." },
	{ "qp.ingest.batch.max.events", QP_PROP_INT, "1000", 1, 1000000, NULL,
	  "Most events in one request (413 past it)." },
	{ "qp.ingest.idempotency.window.ms", QP_PROP_INT, "600000", 0, 604800000, NULL,
	  "How long a device's scan_id is remembered: a resubmission within it is "
	  "answered 202 and not produced again; 0: no idempotency." },
	{ "qp.ingest.idempotency.entries", QP_PROP_INT, "1048576", 1024, 1073741824, NULL,
	  "Scan ids remembered at most (16 bytes each); past it the oldest nearby "
	  "entry is forgotten before its window ends." },
	{ "qp.ingest.retry.after.s", QP_PROP_INT, "1", 1, 3600, NULL,
	  "Retry-After of 503 and 429 answers, in seconds." },
	{ "qp.ingest.probe.interval.ms", QP_PROP_INT, "1000", 50, 600000, NULL,
	  "How often qp_ingest_poll asks Kafka for metadata; while it does not "
	  "answer, POSTs get 503 and /readyz fails." },
	{ "qp.ingest.spool.dir", QP_PROP_STR, "", 0, 0, NULL,
	  "Directory of the on-disk spool: an event answered 202 whose delivery "
	  "fails later is written there and produced again, in order, when Kafka "
	  "answers (docs/ingest.md). Empty: no spool; such an event is logged, "
	  "counted in delivery_failed and lost." },
	{ "qp.ingest.spool.max.bytes", QP_PROP_INT, "1073741824", 65536, 1099511627776.0, NULL,
	  "Bound of the spool (records and their framing; the disk may hold one "
	  "segment, an eighth of it, more). The events in flight count against "
	  "it too, so a failed delivery always fits: when it is reached, POSTs "
	  "answer 503 with Retry-After and /readyz fails, before anything would "
	  "have to be dropped." },
	{ "qp.ingest.spool.journal", QP_PROP_BOOL, "true", 0, 0, NULL,
	  "With a spool: write every event to a journal in the spool's directory "
	  "before answering 202, and produce what a killed process left there "
	  "again at the next start (some, already delivered, twice; the "
	  "pipeline collapses them by scan_id). false: one write() less per "
	  "request, but an event answered 202 and not yet acknowledged by Kafka "
	  "is lost when the process is killed." },
	{ "qp.ingest.spool.journal.sync.ms", QP_PROP_INT, "100", 0, 60000, NULL,
	  "How often, at most, qp_ingest_poll makes the journal durable "
	  "(fdatasync) and cuts from it what Kafka acknowledged: a crash of the "
	  "machine can lose the 202s of that long plus a poll interval (a killed "
	  "process loses none); each cut costs a sync, a head file and a "
	  "directory sync. Sooner when the journal holds half of "
	  "qp.ingest.spool.max.bytes. 0: at every poll." },
	{ "qp.ingest.received.header", QP_PROP_BOOL, "false", 0, 0, NULL,
	  "Take a request's receipt time from its X-QP-Received-Ms header (epoch "
	  "ms) when it has one, instead of this node's clock: for replays of "
	  "recorded traffic and the demo's simulated phones, whose clock runs "
	  "faster than the wall's. Never where phones connect: a client could "
	  "choose its own receipt time and slip past the clock_skew rule." },
	{ "qp.ingest.node.id", QP_PROP_STR, "", 0, 0, NULL,
	  "This ingest node's name in the qp.ingest.node header; empty: the host name." },
	{ "qp.ingest.listen.address", QP_PROP_STR, "127.0.0.1", 0, 0, NULL,
	  "quackpipe ingest: IPv4 address to listen on (0.0.0.0: every interface)." },
	{ "qp.ingest.port", QP_PROP_INT, "8080", 0, 65535, NULL,
	  "quackpipe ingest: TCP port (0: any free port, printed at start)." },
	{ "qp.ingest.threads", QP_PROP_INT, "0", 0, 1024, NULL,
	  "quackpipe ingest: server threads, each with its own epoll set; 0: one per core." },
	{ "qp.ingest.connections.max", QP_PROP_INT, "10000", 1, 1000000, NULL,
	  "quackpipe ingest: open connections at most; more are refused." },
	{ "qp.ingest.connection.timeout.s", QP_PROP_INT, "30", 1, 3600, NULL,
	  "quackpipe ingest: an idle or stalled connection (a client that never "
	  "finishes its body) is closed after this long." },
	{ "qp.ingest.header.max.bytes", QP_PROP_INT, "32768", 4096, 1048576, NULL,
	  "quackpipe ingest: memory per connection for the request line and "
	  "headers (larger heads are refused)." },
	{ "qp.ingest.tls.cert.path", QP_PROP_STR, "", 0, 0, NULL,
	  "quackpipe ingest: PEM certificate; with qp.ingest.tls.key.path, serve "
	  "HTTPS (GnuTLS)." },
	{ "qp.ingest.tls.key.path", QP_PROP_STR, "", 0, 0, NULL,
	  "quackpipe ingest: PEM private key of the certificate." },
	{ "qp.ingest.drain.timeout.ms", QP_PROP_INT, "10000", 0, 600000, NULL,
	  "quackpipe ingest: on SIGTERM, how long requests in flight may take to "
	  "finish before the server closes." },

	/* alerts: push providers and alert-svc (docs/alerts.md) */
	{ "qp.alerts.reward.min", QP_PROP_DOUBLE, "5", 0, 1e12, NULL,
	  "alert-svc: alerts whose reward is at least this are pushed." },
	{ "qp.alerts.max.age.ms", QP_PROP_INT, "3600000", 0, 31536000000.0, NULL,
	  "alert-svc: alerts received by the pipeline longer ago than this are "
	  "dropped quietly (counted); 0: no limit." },
	{ "qp.alerts.rate.per.min", QP_PROP_DOUBLE, "6", 0, 1e9, NULL,
	  "alert-svc: pushes per minute a device's token bucket refills with." },
	{ "qp.alerts.rate.burst", QP_PROP_INT, "3", 1, 1000000, NULL,
	  "alert-svc: the bucket's size: pushes a device may get at once." },
	{ "qp.alerts.rate.devices", QP_PROP_INT, "65536", 1, 1073741824, NULL,
	  "alert-svc: device buckets kept (a direct-mapped table: a device that "
	  "collides with another starts with a full bucket)." },
	{ "qp.alerts.sent.max", QP_PROP_INT, "1000000", 2, 1073741824, NULL,
	  "alert-svc: scan_ids remembered as pushed (8 bytes each, twice over); at "
	  "least the last half of them are always remembered." },
	{ "qp.alerts.inflight.max", QP_PROP_INT, "256", 1, 100000, NULL,
	  "Pushes held at once (sending or waiting to retry); past it the service "
	  "stops reading alerts until one finishes, so a slow provider cannot fill memory." },
	{ "qp.alerts.timeout.ms", QP_PROP_INT, "10000", 100, 600000, NULL,
	  "Longest time one push request (or an FCM token request) may take." },
	{ "qp.alerts.connect.timeout.ms", QP_PROP_INT, "5000", 100, 600000, NULL,
	  "Longest time to open a connection to a provider." },
	{ "qp.alerts.retry.max", QP_PROP_INT, "5", 0, 1000, NULL,
	  "Retries of a push answered 429, 5xx or not at all, before it is dead-lettered." },
	{ "qp.alerts.retry.backoff.ms", QP_PROP_INT, "500", 1, 600000, NULL,
	  "First retry delay of a push; doubled per retry, with jitter, and never "
	  "shorter than the provider's Retry-After." },
	{ "qp.alerts.retry.backoff.max.ms", QP_PROP_INT, "30000", 1, 3600000, NULL,
	  "Cap on the backoff between two retries (a longer Retry-After is still honoured)." },
	{ "qp.alerts.tls.ca.location", QP_PROP_STR, "", 0, 0, NULL,
	  "CA bundle (PEM) to verify the providers' certificates with; empty: the system's." },
	{ "qp.alerts.fcm.service.account", QP_PROP_STR, "", 0, 0, NULL,
	  "FCM: path of the service-account JSON file (private_key, client_email, "
	  "project_id, token_uri); empty: FCM disabled." },
	{ "qp.alerts.fcm.project", QP_PROP_STR, "", 0, 0, NULL,
	  "FCM: project id; empty: the service account's project_id." },
	{ "qp.alerts.fcm.url", QP_PROP_STR, "https://fcm.googleapis.com", 0, 0, NULL,
	  "FCM: base URL of the HTTP v1 API (messages are POSTed to "
	  "{url}/v1/projects/{project}/messages:send)." },
	{ "qp.alerts.fcm.token.url", QP_PROP_STR, "https://oauth2.googleapis.com/token", 0, 0, NULL,
	  "FCM: OAuth2 token endpoint; when not set, the service account's token_uri." },
	{ "qp.alerts.fcm.token.margin.ms", QP_PROP_INT, "300000", 0, 3600000, NULL,
	  "FCM: an access token is renewed this long before it expires." },
	{ "qp.alerts.apns.key.path", QP_PROP_STR, "", 0, 0, NULL,
	  "APNs: path of the token-signing key (.p8, P-256); empty: APNs disabled." },
	{ "qp.alerts.apns.key.id", QP_PROP_STR, "", 0, 0, NULL,
	  "APNs: the key's id (the provider token's kid)." },
	{ "qp.alerts.apns.team.id", QP_PROP_STR, "", 0, 0, NULL,
	  "APNs: the developer team id (the provider token's iss)." },
	{ "qp.alerts.apns.topic", QP_PROP_STR, "", 0, 0, NULL,
	  "APNs: apns-topic, the app's bundle id." },
	{ "qp.alerts.apns.url", QP_PROP_STR, "https://api.push.apple.com", 0, 0, NULL,
	  "APNs: base URL (https://api.sandbox.push.apple.com for development builds)." },
	{ "qp.alerts.apns.push.type", QP_PROP_ENUM, "alert", 0, 0, "alert|background",
	  "APNs: apns-push-type of every push." },
	{ "qp.alerts.apns.expiration.s", QP_PROP_INT, "3600", 0, 2592000, NULL,
	  "APNs: apns-expiration is now plus this; APNs stores an undeliverable push that long." },
	{ "qp.alerts.apns.token.refresh.ms", QP_PROP_INT, "2400000", 1200000, 3600000, NULL,
	  "APNs: the provider token is remade this often (Apple refuses one older than "
	  "an hour and remaking it more than every 20 minutes)." },
	{ "qp.alerts.webhook.url", QP_PROP_STR, "", 0, 0, NULL,
	  "Webhook: URL alerts are POSTed to as JSON; empty: webhook disabled." },
	{ "qp.alerts.webhook.secret", QP_PROP_STR, "", 0, 0, NULL,
	  "Webhook: HMAC-SHA256 key of the X-Quackpipe-Signature header (sha256=<hex>)." },
};

#define QP_PROPERTY_COUNT (sizeof(qp_properties) / sizeof(qp_properties[0]))

typedef struct qp_conf_entry {
	char *key;
	char *value;
} qp_conf_entry_t;

struct qp_conf {
	qp_conf_entry_t *entries;
	size_t count, alloc;
	qp_log_cb *log_cb;
	void *log_opaque;
};

const qp_prop_t *qp_conf__prop(const char *key)
{
	size_t i;

	for (i = 0; i < QP_PROPERTY_COUNT; i++)
		if (strcmp(qp_properties[i].name, key) == 0)
			return &qp_properties[i];
	return NULL;
}

static bool is_library_key(const char *key)
{
	return strncmp(key, "qp.", 3) == 0;
}

qp_err_t qp_conf_new(qp_conf_t **out)
{
	if (!out)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_conf_new: out is NULL");
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return qp_error__code(QP_ERR_NOMEM);
	return QP_OK;
}

void qp_conf_destroy(qp_conf_t *conf)
{
	size_t i;

	if (!conf)
		return;
	for (i = 0; i < conf->count; i++) {
		free(conf->entries[i].key);
		free(conf->entries[i].value);
	}
	free(conf->entries);
	free(conf);
}

static qp_conf_entry_t *find_entry(const qp_conf_t *conf, const char *key)
{
	size_t i;

	for (i = 0; i < conf->count; i++)
		if (strcmp(conf->entries[i].key, key) == 0)
			return &conf->entries[i];
	return NULL;
}

/* Parses a whole string as a number; false on junk, overflow or NaN. */
static bool parse_number(const char *text, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(text, &end);
	return *text && !*end && errno == 0 && isfinite(*out);
}

static bool enum_has(const char *values, const char *word)
{
	size_t len = strlen(word);
	const char *p = values;

	while (p && *p) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);

		if (n == len && strncmp(p, word, n) == 0)
			return true;
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

static qp_err_t check_value(const qp_prop_t *prop, const char *value)
{
	double number;

	switch (prop->type) {
	case QP_PROP_STR:
		return QP_OK;
	case QP_PROP_BOOL:
		if (strcmp(value, "true") && strcmp(value, "false"))
			return qp_error__set(QP_ERR_CONF_INVALID,
			                     "%s: \"%s\" is not true or false",
			                     prop->name, value);
		return QP_OK;
	case QP_PROP_ENUM:
		if (!enum_has(prop->values, value))
			return qp_error__set(QP_ERR_CONF_INVALID,
			                     "%s: \"%s\" is not one of %s",
			                     prop->name, value, prop->values);
		return QP_OK;
	case QP_PROP_INT:
	case QP_PROP_DOUBLE:
		if (!parse_number(value, &number) ||
		    (prop->type == QP_PROP_INT && number != floor(number)))
			return qp_error__set(QP_ERR_CONF_INVALID,
			                     "%s: \"%s\" is not %s", prop->name, value,
			                     prop->type == QP_PROP_INT ? "an integer" : "a number");
		if (number < prop->min || number > prop->max)
			return qp_error__set(QP_ERR_CONF_INVALID,
			                     "%s: %s is outside [%.17g, %.17g]",
			                     prop->name, value, prop->min, prop->max);
		return QP_OK;
	}
	return QP_OK;
}

qp_err_t qp_conf_set(qp_conf_t *conf, const char *key, const char *value)
{
	qp_conf_entry_t *entry;
	char *copy;
	qp_err_t err;

	if (!conf || !key || !value)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_conf_set: NULL argument");
	if (is_library_key(key)) {
		const qp_prop_t *prop = qp_conf__prop(key);

		if (!prop)
			return qp_error__set(QP_ERR_CONF_UNKNOWN,
			                     "%s: no such library property "
			                     "(see docs/configuration.md)", key);
		if ((err = check_value(prop, value)))
			return err;
	}
	if (!(copy = strdup(value)))
		return qp_error__code(QP_ERR_NOMEM);
	if ((entry = find_entry(conf, key))) {
		free(entry->value);
		entry->value = copy;
		return QP_OK;
	}
	if (QP_ARRAY_RESERVE(conf->entries, conf->alloc, conf->count, 16)) {
		free(copy);
		return QP_ERR_NOMEM;
	}
	entry = &conf->entries[conf->count];
	if (!(entry->key = strdup(key))) {
		free(copy);
		return qp_error__code(QP_ERR_NOMEM);
	}
	entry->value = copy;
	conf->count++;
	return QP_OK;
}

bool qp_conf__is_set(const qp_conf_t *conf, const char *key)
{
	return conf && key && find_entry(conf, key);
}

qp_err_t qp_conf__set_default(qp_conf_t *conf, const char *key, const char *value)
{
	return qp_conf__is_set(conf, key) ? QP_OK : qp_conf_set(conf, key, value);
}

qp_err_t qp_conf__name_after_events(qp_conf_t *conf, const char *key)
{
	static const char mark[] = "{events}";
	const char *value = qp_conf__str(conf, key), *at;
	char name[512];

	if (!value || !(at = strstr(value, mark)))
		return QP_OK;
	if (snprintf(name, sizeof(name), "%.*s%s%s", (int)(at - value), value,
	             qp_conf__str(conf, "qp.topic.events"), at + strlen(mark)) >= (int)sizeof(name))
		return qp_error__set(QP_ERR_CONF_INVALID, "%s: \"%s\" names a topic too long",
		                     key, value);
	return qp_conf_set(conf, key, name);
}

const char *qp_conf_get(const qp_conf_t *conf, const char *key)
{
	const qp_conf_entry_t *entry;
	const qp_prop_t *prop;

	if (!key)
		return NULL;
	if (conf && (entry = find_entry(conf, key)))
		return entry->value;
	prop = qp_conf__prop(key);
	return prop ? prop->default_value : NULL;
}

qp_err_t qp_conf_dup(qp_conf_t **out, const qp_conf_t *conf)
{
	qp_conf_t *copy;
	qp_err_t err;
	size_t i;

	if (!out || !conf)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_conf_dup: NULL argument");
	*out = NULL;
	if ((err = qp_conf_new(&copy)))
		return err;
	for (i = 0; i < conf->count; i++) {
		if ((err = qp_conf_set(copy, conf->entries[i].key, conf->entries[i].value))) {
			qp_conf_destroy(copy);
			return err;
		}
	}
	copy->log_cb = conf->log_cb;
	copy->log_opaque = conf->log_opaque;
	*out = copy;
	return QP_OK;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' ||
	                   end[-1] == '\r'))
		*--end = '\0';
	return s;
}

qp_err_t qp_conf_load_file(qp_conf_t *conf, const char *path)
{
	char line[4096];
	unsigned lineno = 0;
	qp_err_t err = QP_OK;
	FILE *f;

	if (!conf || !path)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_conf_load_file: NULL argument");
	if (!(f = fopen(path, "r")))
		return qp_error__set(QP_ERR_IO, "%s: %s", path, strerror(errno));
	while (!err && fgets(line, sizeof(line), f)) {
		char *text = trim(line), *eq;

		lineno++;
		if (!*text || *text == '#')
			continue;
		if (!(eq = strchr(text, '='))) {
			err = qp_error__set(QP_ERR_CONF_INVALID,
			                    "%s:%u: expected \"key = value\"", path, lineno);
			break;
		}
		*eq = '\0';
		if ((err = qp_conf_set(conf, trim(text), trim(eq + 1)))) {
			char detail[1024];

			snprintf(detail, sizeof(detail), "%s", qp_error_last());
			qp_error__set(err, "%s:%u: %s", path, lineno, detail);
		}
	}
	fclose(f);
	return err;
}

void qp_conf_set_log_cb(qp_conf_t *conf, qp_log_cb *cb, void *opaque)
{
	if (!conf)
		return;
	conf->log_cb = cb;
	conf->log_opaque = opaque;
}

static const qp_prop_t *typed_prop(const char *key, qp_prop_type_t type)
{
	const qp_prop_t *prop = qp_conf__prop(key);

	assert(prop && (prop->type == type ||
	                (type == QP_PROP_STR && prop->type == QP_PROP_ENUM)));
	(void)type;
	return prop;
}

const char *qp_conf__str(const qp_conf_t *conf, const char *key)
{
	typed_prop(key, QP_PROP_STR);
	return qp_conf_get(conf, key);
}

double qp_conf__double(const qp_conf_t *conf, const char *key)
{
	const char *value;

	typed_prop(key, QP_PROP_DOUBLE);
	value = qp_conf_get(conf, key);
	return value ? strtod(value, NULL) : 0.0;
}

int64_t qp_conf__int(const qp_conf_t *conf, const char *key)
{
	const char *value;

	typed_prop(key, QP_PROP_INT);
	value = qp_conf_get(conf, key);
	return value ? (int64_t)strtod(value, NULL) : 0;
}

bool qp_conf__bool(const qp_conf_t *conf, const char *key)
{
	const char *value;

	typed_prop(key, QP_PROP_BOOL);
	value = qp_conf_get(conf, key);
	return value && strcmp(value, "true") == 0;
}

int qp_conf__foreach_passthrough(const qp_conf_t *conf,
                                 int (*fn)(const char *key, const char *value,
                                           void *opaque),
                                 void *opaque)
{
	size_t i;
	int rc;

	for (i = 0; conf && i < conf->count; i++) {
		if (is_library_key(conf->entries[i].key))
			continue;
		if ((rc = fn(conf->entries[i].key, conf->entries[i].value, opaque)))
			return rc;
	}
	return 0;
}

void qp_log__(const qp_conf_t *conf, qp_log_level_t level, const char *module,
              const char *fmt, ...)
{
	char message[1024];
	va_list ap;

	if (!conf || !conf->log_cb || level > qp_conf__int(conf, "qp.log.level"))
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	conf->log_cb(level, module, message, conf->log_opaque);
}

static const char *type_name(const qp_prop_t *prop)
{
	switch (prop->type) {
	case QP_PROP_STR: return "string";
	case QP_PROP_INT: return "integer";
	case QP_PROP_DOUBLE: return "number";
	case QP_PROP_BOOL: return "boolean";
	case QP_PROP_ENUM: return "enum";
	}
	return "?";
}

qp_err_t qp_conf_properties_markdown(qp_buf_t *out)
{
	qp_err_t err;
	size_t i;

	if (!out)
		return qp_error__set(QP_ERR_INVALID_ARG, "out is NULL");
	err = qp_buf__puts(out,
		"# Configuration properties\n\n"
		"Generated by `quackpipe config --markdown` from the table in "
		"`src/base/conf.c`; do not edit by hand.\n\n"
		"Keys starting with `qp.` belong to libquackpipe and are checked "
		"when set. Every other key is passed to librdkafka unchanged "
		"(see librdkafka's CONFIGURATION.md).\n\n"
		"| property | type | default | range | description |\n"
		"| --- | --- | --- | --- | --- |\n");
	for (i = 0; !err && i < QP_PROPERTY_COUNT; i++) {
		const qp_prop_t *p = &qp_properties[i];
		char range[128] = "";

		if (p->type == QP_PROP_INT || p->type == QP_PROP_DOUBLE)
			snprintf(range, sizeof(range), "%.17g .. %.17g", p->min, p->max);
		else if (p->type == QP_PROP_ENUM) {
			/* '|' would end the Markdown table cell. */
			size_t j, n = 0;

			for (j = 0; p->values[j] && n + 3 < sizeof(range); j++) {
				if (p->values[j] == '|') {
					range[n++] = ',';
					range[n++] = ' ';
				} else {
					range[n++] = p->values[j];
				}
			}
			range[n] = '\0';
		}
		else if (p->type == QP_PROP_BOOL)
			snprintf(range, sizeof(range), "true, false");
		err = qp_buf__printf(out, "| `%s` | %s | %s | %s | %s |\n", p->name,
		                     type_name(p), p->default_value ? p->default_value : "",
		                     range, p->description);
	}
	return err;
}
