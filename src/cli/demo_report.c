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

/* Appends "left (a) != right (b)" to problems when a != b. */
static void expect_equal(qp_buf_t *problems, const char *left, uint64_t a, const char *right,
                         uint64_t b)
{
	if (a != b)
		qp_buf__printf(problems, "%s (%" PRIu64 ") != %s (%" PRIu64 ")\n", left, a, right, b);
}

/*
 * The way in through the ingest API: every event a phone made was taken
 * (202) or refused by name (400 / 422) and given up, none lost otherwise;
 * the phones and the API count the same answers; what the API took was
 * produced once, and acknowledged by Kafka.
 */
static void http_accounting(const demo_totals_t *t, qp_buf_t *problems)
{
	const cli_upload_stats_t *u = &t->upload;
	const qp_ingest_stats_t *in = &t->ingest;
	uint64_t ok = 0, client_4xx = 0, client_5xx = 0;
	int i;

	for (i = 0; i < CLI_UPLOAD_STATUSES && u->statuses[i]; i++) {
		ok += u->statuses[i] / 100 == 2 ? u->status_count[i] : 0;
		client_4xx += u->statuses[i] / 100 == 4 ? u->status_count[i] : 0;
		client_5xx += u->statuses[i] / 100 == 5 ? u->status_count[i] : 0;
	}
	expect_equal(problems, "submitted", t->submitted, "accepted + refused",
	             u->accepted + u->refused);
	expect_equal(problems, "events given up without a refusal naming them", u->failed, "0", 0);
	expect_equal(problems, "accepted (events in 202 answers)", u->accepted,
	             "the API's events produced", in->accepted);
	expect_equal(problems, "produced", t->produced, "the API's events produced", in->accepted);
	expect_equal(problems, "the API's events delivered to Kafka", in->delivered,
	             "its events produced", in->accepted);
	expect_equal(problems, "events in requests answered 400/422", u->refused_request_events,
	             "the API's refused events", in->refused);
	expect_equal(problems, "2xx answers the phones got", ok + u->tokens,
	             "2xx answers the API gave", in->status_2xx);
	expect_equal(problems, "4xx answers the phones got", client_4xx,
	             "4xx answers the API gave", in->status_4xx);
	expect_equal(problems, "5xx answers the phones got", client_5xx,
	             "5xx answers the API gave", in->status_5xx);
	expect_equal(problems, "push tokens the API took", u->tokens, "tokens registered",
	             t->push_tokens);
	expect_equal(problems, "push tokens queued by the API", in->tokens, "tokens registered",
	             t->push_tokens);
}

bool demo_accounting_holds(const demo_totals_t *t, qp_buf_t *problems)
{
	size_t before = problems->size;
	uint64_t refused = t->http ? t->upload.refused : 0;
	int cls;

	if (t->http)
		http_accounting(t, problems);
	else
		expect_equal(problems, "submitted", t->submitted, "produced", t->produced);
	expect_equal(problems, "produced", t->produced, "enriched + dlq", t->enriched + t->dlq);
	expect_equal(problems, "malformed submissions", t->malformed,
	             "refused at the edge + dlq", refused + t->dlq);
	expect_equal(problems, "rows_in_clickhouse", t->rows_in_clickhouse, "enriched", t->enriched);
	expect_equal(problems, "distinct scan_id in ClickHouse", t->distinct_scan_ids, "enriched",
	             t->enriched);
	/* At most one push per scan_id, one for each alert of a device with a
	 * token, each accepted by the receiver. */
	expect_equal(problems, "pushes (distinct scan_ids the webhook received)", t->pushes,
	             "distinct alert scan_ids whose device has a token", t->alerts_with_token);
	expect_equal(problems, "push requests received", t->push_requests,
	             "distinct scan_ids pushed", t->pushes);
	expect_equal(problems, "pushes alert-svc sent", t->pushes_sent, "push requests received",
	             t->push_requests);
	expect_equal(problems, "alerts alert-svc read", t->alerts_consumed, "alerts", t->alerts);
	for (cls = 1; cls < SIM_CLASS_COUNT; cls++)
		if (t->class_detected[cls] != t->class_total[cls])
			qp_buf__printf(problems, "%s: %" PRIu64 " of %" PRIu64 " devices flagged %s\n",
			               sim_class_name((sim_device_class_t)cls), t->class_detected[cls],
			               t->class_total[cls], demo_intended_rule[cls]);
	if (t->honest_devices_flagged)
		qp_buf__printf(problems, "%" PRIu64 " honest devices flagged\n", t->honest_devices_flagged);
	return problems->size == before;
}

/* {"202":n,"422":m}: the phones' answers by status. */
static qp_err_t put_statuses(qp_buf_t *out, const cli_upload_stats_t *u)
{
	int i;

	qp_buf__putc(out, '{');
	for (i = 0; i < CLI_UPLOAD_STATUSES && u->statuses[i]; i++)
		qp_buf__printf(out, "%s\"%d\":%" PRIu64, i ? "," : "", u->statuses[i],
		               u->status_count[i]);
	if (u->status_other)
		qp_buf__printf(out, "%s\"other\":%" PRIu64, i ? "," : "", u->status_other);
	return qp_buf__putc(out, '}');
}

qp_err_t demo_describe_paths(qp_buf_t *out, const demo_totals_t *t, int connections,
                             uint32_t batch)
{
	if (!t->http) {
		qp_buf__puts(out, "  published straight to scan-events (--direct)\n");
	} else {
		qp_buf__printf(out, "  through the ingest API (%d keep-alive connections, uploads of %u "
		               "events): %" PRIu64 " requests, by status ", connections, batch,
		               t->upload.requests);
		put_statuses(out, &t->upload);
		qp_buf__printf(out, "; accepted %" PRIu64 ", refused at the edge %" PRIu64
		               ", produced %" PRIu64 "\n", t->upload.accepted, t->upload.refused,
		               t->ingest.accepted);
	}
	return qp_buf__printf(out, "  pushes: %" PRIu64 " phones with a token, %" PRIu64
	                      " alerts of theirs, %" PRIu64 " pushes received by the webhook "
	                      "(alert-svc read %" PRIu64 " alerts)\n", t->push_tokens,
	                      t->alerts_with_token, t->pushes, t->alerts_consumed);
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
	qp_buf__printf(out, "{\"mode\":\"%s\",\"submitted\":%" PRIu64 ",\"produced\":%" PRIu64
	               ",\"malformed\":%" PRIu64 ",\"enriched\":%" PRIu64
	               ",\"alerts\":%" PRIu64 ",\"dlq\":%" PRIu64 ",\"rows_in_clickhouse\":%" PRIu64
	               ",\"distinct_scan_ids\":%" PRIu64, t->http ? "http" : "direct", t->submitted,
	               t->produced, t->malformed, t->enriched, t->alerts, t->dlq,
	               t->rows_in_clickhouse, t->distinct_scan_ids);
	if (t->http) {
		const cli_upload_stats_t *u = &t->upload;
		const qp_ingest_stats_t *in = &t->ingest;

		qp_buf__printf(out, ",\"http\":{\"requests\":%" PRIu64 ",\"connects\":%" PRIu64
		               ",\"status\":", u->requests, u->connects);
		put_statuses(out, u);
		qp_buf__printf(out, ",\"accepted\":%" PRIu64 ",\"refused\":%" PRIu64
		               ",\"failed\":%" PRIu64 ",\"refused_request_events\":%" PRIu64
		               ",\"tokens\":%" PRIu64 "},\"ingest\":{\"accepted\":%" PRIu64
		               ",\"duplicates\":%" PRIu64 ",\"refused\":%" PRIu64
		               ",\"unavailable\":%" PRIu64 ",\"delivered\":%" PRIu64
		               ",\"delivery_failed\":%" PRIu64 ",\"tokens\":%" PRIu64
		               ",\"status_2xx\":%" PRIu64 ",\"status_4xx\":%" PRIu64
		               ",\"status_5xx\":%" PRIu64 "}",
		               u->accepted, u->refused, u->failed, u->refused_request_events, u->tokens,
		               in->accepted, in->duplicates, in->refused, in->unavailable, in->delivered,
		               in->delivery_failed, in->tokens, in->status_2xx, in->status_4xx,
		               in->status_5xx);
	}
	qp_buf__printf(out, ",\"push_tokens\":%" PRIu64 ",\"alerts_with_token\":%" PRIu64
	               ",\"alerts_consumed\":%" PRIu64 ",\"pushes_sent\":%" PRIu64
	               ",\"pushes_retried\":%" PRIu64 ",\"push_requests\":%" PRIu64
	               ",\"pushes\":%" PRIu64 ",\"flagged_by_rule\":{",
	               t->push_tokens, t->alerts_with_token, t->alerts_consumed, t->pushes_sent,
	               t->pushes_retried, t->push_requests, t->pushes);
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
	                     ",\"elapsed_s\":%.3f,\"events_per_s\":%.0f,\"submit_s\":%.3f"
	                     ",\"submit_events_per_s\":%.0f,\"end_to_end_p50_ms\":%.1f"
	                     ",\"end_to_end_p99_ms\":%.1f,\"cpu_us_per_event\":%.1f"
	                     ",\"phones_cpu_us_per_event\":%.1f,\"pipeline_cpu_us_per_event\":%.1f}",
	                     t->honest_devices, t->honest_devices_flagged, t->radio_stations,
	                     t->radio_mobile, t->radio_stations_clickhouse, t->elapsed_s, t->events_per_s,
	                     t->submit_s, t->submit_events_per_s, t->e2e_p50_ms, t->e2e_p99_ms,
	                     t->cpu_us_per_event, t->phones_cpu_us_per_event,
	                     t->pipeline_cpu_us_per_event);
done:
	qp_buf_dispose(&rules);
	return err;
}
