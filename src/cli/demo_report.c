/* The demo's report: ClickHouse's answers checked against ground truth. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf_int.h"
#include "cli/demo.h"
#include "base/errors_int.h"

const char *const demo_intended_rule[SIM_CLASS_COUNT] = {
	[SIM_HONEST] = NULL,
	[SIM_TELEPORTER] = "impossible_travel",
	[SIM_REPLAYER] = "duplicate_content",
	[SIM_TOWER_SPOOFER] = "tower_mismatch",
	[SIM_TIME_TRAVELER] = "clock_skew",
	[SIM_RADIO_SPOOFER] = "radio_mismatch",
};

static qp_err_t query(qp_inserter_t *ins, qp_buf_t *out, const char *fmt, const char *table)
{
	char sql[1024];

	snprintf(sql, sizeof(sql), fmt, table);
	qp_buf__truncate(out, 0);
	return qp_inserter_query(ins, sql, out);
}

/* One device's line: "dev-000123\t2\t['clock_skew','tower_mismatch']". */
static void score_device(demo_totals_t *t, const sim_t *sim, char *line)
{
	char *tab1 = strchr(line, '\t'), *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
	int cls;
	uint64_t events;

	if (!tab2)
		return;
	*tab1 = '\0';
	if ((cls = sim_device_class(sim, line)) < 0)
		return;
	events = strtoull(tab1 + 1, NULL, 10);
	if (cls == SIM_HONEST) {
		t->honest_devices++;
		t->honest_devices_flagged += strcmp(tab2 + 1, "[]") != 0;
		return;
	}
	/* A spoofer betrays itself from its second scan on. */
	if (events < 2)
		return;
	t->class_total[cls]++;
	t->spoofers_total++;
	{
		char quoted[64];

		snprintf(quoted, sizeof(quoted), "'%s'", demo_intended_rule[cls]);
		if (strstr(tab2 + 1, quoted)) {
			t->class_detected[cls]++;
			t->spoofers_detected++;
		}
	}
}

qp_err_t demo_score(demo_totals_t *t, qp_inserter_t *ins, const char *table, const sim_t *sim)
{
	qp_buf_t out = QP_BUF_INIT;
	char *line, *save = NULL;
	qp_err_t err;

	if ((err = query(ins, &out, "SELECT count(), uniqExact(scan_id) FROM %s FORMAT TSV", table)))
		goto done;
	if (sscanf(out.ptr, "%" SCNu64 "\t%" SCNu64, &t->rows_in_clickhouse, &t->distinct_scan_ids) != 2) {
		err = qp_error__set(QP_ERR_CLICKHOUSE, "unexpected count result: %s", out.ptr);
		goto done;
	}
	if ((err = query(ins, &out, "SELECT device_id, count(), arraySort(groupUniqArrayArray(fraud_flags)) "
	                 "FROM %s GROUP BY device_id FORMAT TSV", table)))
		goto done;
	for (line = strtok_r(out.ptr, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		score_device(t, sim, line);
done:
	qp_buf_dispose(&out);
	return err;
}

qp_err_t demo_queries(qp_buf_t *out, qp_inserter_t *ins, const char *table)
{
	static const struct { const char *title, *sql; } queries[] = {
		{ "events per fraud rule",
		  "SELECT flag, count() AS events FROM %s ARRAY JOIN fraud_flags AS flag "
		  "GROUP BY flag ORDER BY events DESC FORMAT PrettyCompactNoEscapes" },
		{ "top flagged devices",
		  "SELECT device_id, count() AS flagged_events, arraySort(groupUniqArrayArray(fraud_flags)) AS rules "
		  "FROM %s WHERE notEmpty(fraud_flags) GROUP BY device_id "
		  "ORDER BY flagged_events DESC, device_id LIMIT 5 FORMAT PrettyCompactNoEscapes" },
		{ "events per minute (device clock)",
		  "SELECT toStartOfMinute(toDateTime(intDiv(ts_ms, 1000), 'UTC')) AS minute, count() AS events, "
		  "round(avg(quality_score), 3) AS avg_quality FROM %s GROUP BY minute ORDER BY minute "
		  "LIMIT 12 FORMAT PrettyCompactNoEscapes" },
	};
	qp_buf_t result = QP_BUF_INIT;
	qp_err_t err = QP_OK;
	size_t i;

	for (i = 0; i < sizeof(queries) / sizeof(queries[0]) && !err; i++) {
		if (!(err = query(ins, &result, queries[i].sql, table)))
			err = qp_buf__printf(out, "\n%s:\n%s", queries[i].title, result.ptr);
	}
	qp_buf_dispose(&result);
	return err;
}

bool demo_accounting_holds(const demo_totals_t *t, qp_buf_t *problems)
{
	size_t before = problems->size;
	int cls;

	if (t->produced != t->enriched + t->dlq)
		qp_buf__printf(problems, "produced (%" PRIu64 ") != enriched (%" PRIu64 ") + dlq (%" PRIu64 ")\n",
		               t->produced, t->enriched, t->dlq);
	if (t->dlq != t->malformed)
		qp_buf__printf(problems, "dlq (%" PRIu64 ") != malformed submissions (%" PRIu64 ")\n",
		               t->dlq, t->malformed);
	if (t->rows_in_clickhouse != t->enriched)
		qp_buf__printf(problems, "rows_in_clickhouse (%" PRIu64 ") != enriched (%" PRIu64 ")\n",
		               t->rows_in_clickhouse, t->enriched);
	if (t->distinct_scan_ids != t->enriched)
		qp_buf__printf(problems, "distinct scan_id in ClickHouse (%" PRIu64 ") != enriched (%" PRIu64 ")\n",
		               t->distinct_scan_ids, t->enriched);
	for (cls = 1; cls < SIM_CLASS_COUNT; cls++)
		if (t->class_detected[cls] != t->class_total[cls])
			qp_buf__printf(problems, "%s: %" PRIu64 " of %" PRIu64 " devices flagged %s\n",
			               sim_class_name((sim_device_class_t)cls), t->class_detected[cls],
			               t->class_total[cls], demo_intended_rule[cls]);
	if (t->honest_devices_flagged)
		qp_buf__printf(problems, "%" PRIu64 " honest devices flagged\n", t->honest_devices_flagged);
	return problems->size == before;
}

qp_err_t demo_json(qp_buf_t *out, const demo_totals_t *t, qp_inserter_t *ins, const char *table)
{
	qp_buf_t rules = QP_BUF_INIT;
	qp_err_t err;
	int cls;

	/* {"rule":count,...} straight from ClickHouse. */
	if ((err = query(ins, &rules, "SELECT flag, count() FROM %s ARRAY JOIN fraud_flags AS flag "
	                 "GROUP BY flag ORDER BY flag FORMAT TSV", table)))
		goto done;
	qp_buf__printf(out, "{\"produced\":%" PRIu64 ",\"malformed\":%" PRIu64 ",\"enriched\":%" PRIu64
	               ",\"alerts\":%" PRIu64 ",\"dlq\":%" PRIu64 ",\"rows_in_clickhouse\":%" PRIu64
	               ",\"distinct_scan_ids\":%" PRIu64 ",\"flagged_by_rule\":{",
	               t->produced, t->malformed, t->enriched, t->alerts, t->dlq,
	               t->rows_in_clickhouse, t->distinct_scan_ids);
	{
		char *line, *save = NULL;
		bool first = true;

		for (line = strtok_r(rules.ptr, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char *tab = strchr(line, '\t');

			if (!tab)
				continue;
			*tab = '\0';
			qp_buf__printf(out, "%s\"%s\":%s", first ? "" : ",", line, tab + 1);
			first = false;
		}
	}
	qp_buf__printf(out, "},\"spoofers_total\":%" PRIu64 ",\"spoofers_detected\":%" PRIu64
	               ",\"spoofers_by_class\":{", t->spoofers_total, t->spoofers_detected);
	for (cls = 1; cls < SIM_CLASS_COUNT; cls++)
		qp_buf__printf(out, "%s\"%s\":{\"devices\":%" PRIu64 ",\"detected\":%" PRIu64 ",\"rule\":\"%s\"}",
		               cls > 1 ? "," : "", sim_class_name((sim_device_class_t)cls),
		               t->class_total[cls], t->class_detected[cls], demo_intended_rule[cls]);
	err = qp_buf__printf(out, "},\"honest_devices\":%" PRIu64 ",\"honest_devices_flagged\":%" PRIu64
	                     ",\"radio_stations\":%" PRIu64 ",\"radio_stations_mobile\":%" PRIu64
	                     ",\"radio_stations_clickhouse\":%" PRIu64
	                     ",\"elapsed_s\":%.3f,\"events_per_s\":%.0f,\"end_to_end_p50_ms\":%.1f"
	                     ",\"end_to_end_p99_ms\":%.1f,\"cpu_us_per_event\":%.1f}",
	                     t->honest_devices, t->honest_devices_flagged, t->radio_stations,
	                     t->radio_mobile, t->radio_stations_clickhouse, t->elapsed_s, t->events_per_s,
	                     t->e2e_p50_ms, t->e2e_p99_ms, t->cpu_us_per_event);
done:
	qp_buf_dispose(&rules);
	return err;
}
