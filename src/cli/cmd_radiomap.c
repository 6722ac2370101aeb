/*
 * quackpipe radiomap: the radio map learned in ClickHouse from the trusted
 * rows of scan_events (docs/sql/radiomap.sql, whose query is the template
 * below: tests/cli/test_radiomap.sh keeps them in step), written as the
 * radio map file fraud-svc loads (qp.fraud.radiomap.path) and `quackpipe
 * enrich --radiomap` backtests with.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf_int.h"
#include "base/conf_int.h"
#include "base/errors_int.h"
#include "cli/cli_conf.h"
#include "cli/cli_radiomap.h"
#include "cli/commands.h"

/* One kind of station's half of the query: the stations of column, by MAC,
 * with where they stand, their spread, the devices that saw them. */
#define RADIOMAP_STATIONS(kind, column)                                                   \
	"    SELECT\n"                                                                    \
	"        '" kind "' AS kind,\n"                                                   \
	"        lower(replaceAll(station, '-', ':')) AS mac,\n"                          \
	"        sum(w * lat) / sum(w) AS c_lat,\n"                                       \
	"        sum(w * lon) / sum(w) AS c_lon,\n"                                       \
	"        111320 * sqrt(greatest(0, sum(w * lat * lat) / sum(w) - c_lat * c_lat)\n" \
	"            + greatest(0, sum(w * lon * lon) / sum(w) - c_lon * c_lon)\n"        \
	"              * pow(cos(c_lat * pi() / 180), 2)) AS spread_m,\n"                 \
	"        uniqExact(device_id) AS devices,\n"                                      \
	"        greatCircleDistance(quantile(0.05)(lon), quantile(0.05)(lat),\n"         \
	"                            quantile(0.95)(lon), quantile(0.95)(lat)) > "        \
	"{mobile_span} AS mobile\n"                                                       \
	"    FROM\n"                                                                      \
	"    (\n"                                                                         \
	"        SELECT device_id, lat, lon, 1 / pow(greatest(accuracy_m, 3), 2) AS w,\n" \
	"               " column " AS stations\n"                                         \
	"        FROM {table}\n"                                                          \
	"        WHERE empty(fraud_flags) AND quality_score >= {min_quality}\n"           \
	"          AND accuracy_m <= {max_accuracy}\n"                                    \
	"    )\n"                                                                         \
	"    ARRAY JOIN stations AS station\n"                                            \
	"    GROUP BY mac\n"                                                              \
	"    HAVING devices >= {min_devices}\n"

static const char radiomap_template[] =
	"SELECT kind, mac, c_lat, c_lon, spread_m, devices, mobile\n"
	"FROM\n"
	"(\n"
	RADIOMAP_STATIONS("wifi", "wifi_bssid")
	"    UNION ALL\n"
	RADIOMAP_STATIONS("ble", "ble_addr")
	")\n"
	"FORMAT CSV\n";

/* The template with {name} replaced by the configured values. */
static qp_err_t radiomap_sql(qp_buf_t *out, const qp_conf_t *conf)
{
	char table[300], number[64];
	const char *p = radiomap_template, *open;
	qp_err_t err = QP_OK;

	snprintf(table, sizeof(table), "%s.%s", qp_conf__str(conf, "qp.inserter.database"),
	         qp_conf__str(conf, "qp.inserter.table"));
	while (!err && (open = strchr(p, '{'))) {
		const char *close = strchr(open, '}'), *name = open + 1, *text = number;
		size_t len = (size_t)(close - name);

		if (len == 5 && !strncmp(name, "table", len))
			text = table;
		else if (len == 11 && !strncmp(name, "min_quality", len))
			snprintf(number, sizeof(number), "%.6g",
			         qp_conf__double(conf, "qp.fraud.radiomap.learn.min.quality"));
		else if (len == 12 && !strncmp(name, "max_accuracy", len))
			snprintf(number, sizeof(number), "%.6g",
			         qp_conf__double(conf, "qp.fraud.radiomap.learn.max.accuracy.m"));
		else if (len == 11 && !strncmp(name, "min_devices", len))
			snprintf(number, sizeof(number), "%lld",
			         (long long)qp_conf__int(conf, "qp.fraud.radiomap.min.devices"));
		else /* mobile_span */
			snprintf(number, sizeof(number), "%.6g",
			         qp_conf__double(conf, "qp.fraud.radiomap.mobile.span.m"));
		if (!(err = qp_buf__put(out, p, (size_t)(open - p))))
			err = qp_buf__puts(out, text);
		p = close + 1;
	}
	return err ? err : qp_buf__puts(out, p);
}

qp_err_t cli_radiomap_query(qp_inserter_t *ins, const qp_conf_t *conf, qp_buf_t *out)
{
	qp_buf_t sql = QP_BUF_INIT, rows = QP_BUF_INIT;
	qp_err_t err;

	if (!(err = radiomap_sql(&sql, conf)) && !(err = qp_inserter_query(ins, sql.ptr, &rows)) &&
	    !(err = qp_buf__puts(out, "kind,mac,lat,lon,spread_m,devices,mobile\n")))
		err = qp_buf__put(out, rows.ptr ? rows.ptr : "", rows.size);
	qp_buf_dispose(&sql);
	qp_buf_dispose(&rows);
	return err;
}

static void usage(FILE *out, const void *opaque)
{
	(void)opaque;
	fprintf(out,
		"usage: quackpipe radiomap [OPTIONS]\n\n"
		"Learns the radio map (WiFi access points and BLE beacons: where they stand,\n"
		"their spread, the devices that saw them, mobile or not) from the trusted rows\n"
		"of the scan_events table (docs/sql/radiomap.sql) and writes it as the file\n"
		"that fraud-svc loads (qp.fraud.radiomap.path).\n\n"
		"options:\n"
		"  --out FILE          write the map to FILE (default: standard output)\n"
		"  --template          print the query's template and exit\n"
		"%s"
		"  --help              this text\n\n"
		"The table is qp.inserter.database.qp.inserter.table; the bounds are the\n"
		"qp.fraud.radiomap.* properties (docs/configuration.md).\n", cli_conf_usage);
}

int qp_cmd_radiomap(int argc, char **argv)
{
	qp_buf_t map = QP_BUF_INIT;
	const char *a, *v, *path = NULL;
	bool template_only = false;
	qp_inserter_t *ins = NULL;
	qp_conf_t *conf;
	cli_args_t args;
	qp_err_t err;
	int rc;

	cli_args_begin(&args, argc, argv, 1, "radiomap", usage, NULL);
	while ((a = cli_args_next(&args))) {
		if (!strcmp(a, "--template")) {
			template_only = true;
			continue;
		}
		if (!(v = cli_args_value(&args)))
			break;
		if (!strcmp(a, "--out")) {
			path = v;
			continue;
		}
		cli_args_bad(&args);
	}
	if ((rc = cli_args_end(&args, &conf)) >= 0)
		return rc;
	if (template_only) {
		fputs(radiomap_template, stdout);
		qp_conf_destroy(conf);
		return QP_EXIT_OK;
	}
	if (!(err = cli_new_from_copy(&ins, conf, cli_new_inserter, NULL)) &&
	    !(err = cli_radiomap_query(ins, conf, &map))) {
		if (path)
			err = cli_write_file(path, map.ptr, map.size);
		else if (fwrite(map.ptr, 1, map.size, stdout) != map.size || fflush(stdout))
			err = qp_error__set(QP_ERR_IO, "standard output: cannot write");
	}
	if (err)
		fprintf(stderr, "quackpipe radiomap: %s\n", qp_error_last());
	qp_inserter_destroy(ins);
	qp_conf_destroy(conf);
	qp_buf_dispose(&map);
	return err ? QP_EXIT_FAILURE : QP_EXIT_OK;
}
