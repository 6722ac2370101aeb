/* SQL for ClickHouse: identifiers, literals, versions and the table DDL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf_int.h"
#include "clickhouse/ch_int.h"

bool qp_ch__identifier_valid(const char *name)
{
	size_t i;

	if (!name || !*name)
		return false;
	for (i = 0; name[i]; i++) {
		char c = name[i];
		bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';

		if (i >= 64 || !(letter || (i > 0 && c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

qp_err_t qp_ch__put_literal(qp_buf_t *out, const char *text)
{
	qp_err_t err = qp_buf__putc(out, '\'');

	for (; !err && *text; text++) {
		if (*text == '\'' || *text == '\\')
			err = qp_buf__putc(out, '\\');
		if (!err)
			err = qp_buf__putc(out, *text);
	}
	return err ? err : qp_buf__putc(out, '\'');
}

int qp_ch__version_number(const char *version)
{
	long major, minor;
	char *end;

	if (!version)
		return 0;
	major = strtol(version, &end, 10);
	if (end == version || *end != '.' || major <= 0 || major > 1000)
		return 0;
	minor = strtol(end + 1, &end, 10);
	if (minor < 0 || minor > 999)
		return 0;
	return (int)(major * 1000 + minor);
}

/*
 * The columns in the order of qp_event_encode_row's JSONEachRow line and of
 * qp_event__encode_row_binary's values, with the type in each form. The
 * 18.16 form has no LowCardinality (experimental there) and no DateTime64
 * (added in 20.1).
 */
static const struct column {
	const char *name, *modern, *legacy;
} columns[] = {
	{ "scan_id", "String", "String" },
	{ "device_id", "String", "String" },
	{ "schema_version", "UInt8", "UInt8" },
	{ "ts_ms", "Int64", "Int64" },
	{ "received_ms", "Int64", "Int64" },
	{ "lat", "Float64", "Float64" },
	{ "lon", "Float64", "Float64" },
	{ "accuracy_m", "Float32", "Float32" },
	{ "altitude_m", "Nullable(Float64)", "Nullable(Float64)" },
	{ "speed_mps", "Nullable(Float32)", "Nullable(Float32)" },
	{ "wifi_bssid", "Array(String)", "Array(String)" },
	{ "wifi_ssid", "Array(String)", "Array(String)" },
	{ "wifi_rssi_dbm", "Array(Int16)", "Array(Int16)" },
	{ "wifi_freq_mhz", "Array(UInt16)", "Array(UInt16)" },
	{ "cell_radio", "Array(LowCardinality(String))", "Array(String)" },
	{ "cell_mcc", "Array(UInt16)", "Array(UInt16)" },
	{ "cell_mnc", "Array(UInt16)", "Array(UInt16)" },
	{ "cell_area", "Array(UInt32)", "Array(UInt32)" },
	{ "cell_cid", "Array(UInt64)", "Array(UInt64)" },
	{ "cell_dbm", "Array(Nullable(Int16))", "Array(Nullable(Int16))" },
	{ "cell_serving", "Array(UInt8)", "Array(UInt8)" },
	{ "ble_addr", "Array(String)", "Array(String)" },
	{ "ble_rssi_dbm", "Array(Int16)", "Array(Int16)" },
	{ "ble_tx_power", "Array(Nullable(Int16))", "Array(Nullable(Int16))" },
	{ "reward", "Float64", "Float64" },
	{ "app_version", "LowCardinality(String)", "String" },
	{ "platform", "LowCardinality(String)", "String" },
	{ "fraud_flags", "Array(LowCardinality(String))", "Array(String)" },
	{ "quality_score", "Float32", "Float32" },
	{ "location_cluster", "String", "String" },
	{ "enriched_by", "LowCardinality(String)", "String" },
	{ "extra", "String", "String" },
};

qp_err_t qp_ch__put_insert_into(qp_buf_t *out, const qp_ch_insert_t *req)
{
	qp_err_t err = qp_buf__printf(out, "INSERT INTO %s.%s", req->database, req->table);
	size_t i;

	if (req->format != QP_CH_ROW_BINARY)
		return err;
	for (i = 0; !err && i < sizeof(columns) / sizeof(columns[0]); i++)
		err = qp_buf__printf(out, "%s%s", i ? ", " : " (", columns[i].name);
	return err ? err : qp_buf__putc(out, ')');
}

const char *qp_ch__format_clause(qp_ch_format_t format)
{
	return format == QP_CH_ROW_BINARY ? " FORMAT RowBinary" : " FORMAT JSONEachRow";
}

qp_err_t qp_ch__ddl_database(qp_buf_t *out, const char *database)
{
	return qp_buf__printf(out, "CREATE DATABASE IF NOT EXISTS %s", database);
}

qp_err_t qp_ch__ddl_table(qp_buf_t *out, const char *database, const char *table,
                          bool modern, int64_t ttl_days)
{
	qp_err_t err;
	size_t i;

	err = qp_buf__printf(out, "CREATE TABLE IF NOT EXISTS %s.%s\n(\n", database, table);
	for (i = 0; !err && i < sizeof(columns) / sizeof(columns[0]); i++)
		err = qp_buf__printf(out, "    %s %s,\n", columns[i].name,
		                     modern ? columns[i].modern : columns[i].legacy);
	if (err)
		return err;
	/*
	 * ts is derived from ts_ms on the server, so rows never carry it. The
	 * partition and sorting keys use only the event's own fields: a
	 * duplicate of a row (same scan, same device, same ts_ms) lands in the
	 * same partition and sorts next to it, which is what lets
	 * ReplacingMergeTree collapse it.
	 */
	if (modern) {
		err = qp_buf__puts(out,
			"    ts DateTime64(3, 'UTC') MATERIALIZED fromUnixTimestamp64Milli(ts_ms, 'UTC')\n"
			")\n"
			"ENGINE = ReplacingMergeTree\n"
			"PARTITION BY toDate(ts)\n"
			"ORDER BY (device_id, ts, scan_id)\n");
		if (!err && ttl_days > 0)
			err = qp_buf__printf(out, "TTL toDateTime(ts) + INTERVAL %lld DAY\n",
			                     (long long)ttl_days);
		return err ? err : qp_buf__puts(out,
			"SETTINGS non_replicated_deduplication_window = 1000");
	}
	return qp_buf__puts(out,
		"    ts DateTime('UTC') MATERIALIZED toDateTime(intDiv(ts_ms, 1000), 'UTC')\n"
		")\n"
		"ENGINE = ReplacingMergeTree\n"
		"PARTITION BY toDate(ts)\n"
		"ORDER BY (device_id, ts_ms, scan_id)");
}
