/*
 * quackpipe alerts: alert-svc, one per process (docs/services.md,
 * docs/alerts.md). The options, signals and metrics endpoint are those of
 * every service (cli_service.h); this file adds alert-svc's own counters:
 * per provider sent / failed / retried / tokens retired, and the policy's
 * drops.
 */
#include <stddef.h>
#include <stdio.h>

#include "base/buf_int.h"
#include "cli/cli_service.h"
#include "cli/commands.h"

static qp_err_t alerts_create(void **out, const qp_conf_t *conf)
{
	return qp_alert_svc__new((qp_alerts_t **)out, conf);
}
static qp_err_t alerts_run(void *svc) { return qp_alert_svc__run(svc); }
static void alerts_wakeup(void *svc) { qp_alert_svc__wakeup(svc); }
static void alerts_destroy(void *svc) { qp_alert_svc__destroy(svc); }
static const qp_svc_counters_t *alerts_counters(const void *svc) { return qp_alert_svc__counters(svc); }

static const char *const providers[QP_ALERTS_PROVIDER_COUNT] = { "apns", "fcm", "webhook" };

/* A counter family: HELP, TYPE, then one sample per provider. */
static qp_err_t per_provider(qp_buf_t *out, const char *name, const char *help,
                             const qp_alerts_stats_t *st, size_t offset)
{
	qp_err_t err = qp_buf__printf(out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);

	for (int p = 0; p < QP_ALERTS_PROVIDER_COUNT && !err; p++) {
		const uint64_t *v = (const uint64_t *)(const void *)((const char *)&st->provider[p] + offset);
		err = qp_buf__printf(out, "%s{service=\"alerts\",provider=\"%s\"} %llu\n", name,
		                     providers[p], (unsigned long long)*v);
	}
	return err;
}

static qp_err_t dropped(qp_buf_t *out, const char *reason, uint64_t n)
{
	return qp_buf__printf(out, "quackpipe_alerts_dropped_total{service=\"alerts\",reason=\"%s\"} %llu\n",
	                      reason, (unsigned long long)n);
}

/* The push latency as a Prometheus histogram (cumulative buckets). */
static qp_err_t latency(qp_buf_t *out, const qp_alert_svc_counters_t *c)
{
	uint64_t cumulative = 0;
	qp_err_t err = qp_buf__puts(out, "# HELP quackpipe_push_latency_ms Push latency, first "
	                            "request to final answer, retries included.\n"
	                            "# TYPE quackpipe_push_latency_ms histogram\n");

	for (int b = 0; b < QP_ALERT_LATENCY_BUCKETS && !err; b++) {
		cumulative += atomic_load(&c->latency[b]);
		if (b + 1 < QP_ALERT_LATENCY_BUCKETS)
			err = qp_buf__printf(out, "quackpipe_push_latency_ms_bucket{service=\"alerts\","
			                     "le=\"%g\"} %llu\n", qp_alert_svc__latency_bounds_ms[b],
			                     (unsigned long long)cumulative);
		else
			err = qp_buf__printf(out, "quackpipe_push_latency_ms_bucket{service=\"alerts\","
			                     "le=\"+Inf\"} %llu\n", (unsigned long long)cumulative);
	}
	return err ? err : qp_buf__printf(out,
		"quackpipe_push_latency_ms_sum{service=\"alerts\"} %llu\n"
		"quackpipe_push_latency_ms_count{service=\"alerts\"} %llu\n",
		(unsigned long long)atomic_load(&c->latency_sum_ms),
		(unsigned long long)atomic_load(&c->latency_count));
}

static qp_err_t alerts_metrics(qp_buf_t *out, const void *svc)
{
	qp_alerts_stats_t st;
	qp_err_t err;

	qp_alerts_stats(svc, &st);
	if ((err = per_provider(out, "quackpipe_pushes_sent_total", "Pushes accepted by the provider.",
	                        &st, offsetof(qp_alerts_provider_stats_t, sent))) ||
	    (err = per_provider(out, "quackpipe_pushes_failed_total",
	                        "Pushes refused for good or out of retries (dead-lettered).",
	                        &st, offsetof(qp_alerts_provider_stats_t, failed))) ||
	    (err = per_provider(out, "quackpipe_pushes_retried_total",
	                        "Push requests sent again after 429, 5xx or no answer.",
	                        &st, offsetof(qp_alerts_provider_stats_t, retried))) ||
	    (err = per_provider(out, "quackpipe_push_tokens_retired_total",
	                        "Device tokens the provider reported dead, retired.",
	                        &st, offsetof(qp_alerts_provider_stats_t, tokens_retired))) ||
	    (err = qp_buf__puts(out, "# HELP quackpipe_alerts_dropped_total Alerts not pushed, by reason.\n"
	                        "# TYPE quackpipe_alerts_dropped_total counter\n")) ||
	    (err = dropped(out, "duplicate", st.deduplicated)) ||
	    (err = dropped(out, "below_threshold", st.below_threshold)) ||
	    (err = dropped(out, "too_old", st.too_old)) ||
	    (err = dropped(out, "rate_limited", st.rate_limited)) ||
	    (err = dropped(out, "no_token", st.no_token)) ||
	    (err = latency(out, qp_alert_svc__alert_counters(svc))))
		return err;
	return qp_buf__printf(out, "# HELP quackpipe_push_tokens Devices with a push token.\n"
	                      "# TYPE quackpipe_push_tokens gauge\n"
	                      "quackpipe_push_tokens{service=\"alerts\"} %llu\n",
	                      (unsigned long long)st.tokens);
}

static void alerts_print(const void *svc)
{
	qp_alerts_stats_t st;

	qp_alerts_stats(svc, &st);
	fprintf(stderr, "quackpipe alerts: consumed=%llu", (unsigned long long)st.consumed);
	for (int p = 0; p < QP_ALERTS_PROVIDER_COUNT; p++)
		fprintf(stderr, " %s_sent=%llu %s_failed=%llu %s_retried=%llu %s_retired=%llu",
		        providers[p], (unsigned long long)st.provider[p].sent,
		        providers[p], (unsigned long long)st.provider[p].failed,
		        providers[p], (unsigned long long)st.provider[p].retried,
		        providers[p], (unsigned long long)st.provider[p].tokens_retired);
	fprintf(stderr, " deduplicated=%llu below_threshold=%llu too_old=%llu rate_limited=%llu "
	        "no_token=%llu dead_lettered=%llu tokens=%llu\n",
	        (unsigned long long)st.deduplicated, (unsigned long long)st.below_threshold,
	        (unsigned long long)st.too_old, (unsigned long long)st.rate_limited,
	        (unsigned long long)st.no_token, (unsigned long long)st.dead_lettered,
	        (unsigned long long)st.tokens);
}

static const service_ops_t alerts_ops = {
	"alerts", "scan-alerts -> policy -> push over FCM / APNs / webhook, at most once per "
	"scan_id (group alert-svc)",
	alerts_create, alerts_run, alerts_wakeup, alerts_destroy, alerts_counters,
	alerts_metrics, alerts_print
};

int qp_cmd_alerts(int argc, char **argv)
{
	return cli_run_service(&alerts_ops, argc, argv);
}
