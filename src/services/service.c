/* The services' one interface (service_int.h): dispatch, lookup, metrics. */
#include <stddef.h>
#include <string.h>

#include "base/errors_int.h"
#include "base/metrics_int.h"
#include "services/service_int.h"

const qp_service_type_t *const qp_services__all[] = {
	&qp_fraud_svc__type,
	&qp_ch_writer__type,
	&qp_alert_svc__type,
	NULL,
};

const qp_service_type_t *qp_service__find(const char *name)
{
	size_t i;

	for (i = 0; qp_services__all[i]; i++)
		if (!strcmp(qp_services__all[i]->name, name))
			return qp_services__all[i];
	return NULL;
}

qp_err_t qp_service__new(qp_service_t **out, const qp_service_type_t *type, const qp_conf_t *conf)
{
	qp_err_t err = type->create(out, conf);

	if (!err)
		(*out)->type = type;
	return err;
}

qp_err_t qp_service__run(qp_service_t *svc)
{
	return svc->type->run(svc);
}

void qp_service__wakeup(qp_service_t *svc)
{
	svc->type->wakeup(svc);
}

bool qp_service__reload(qp_service_t *svc)
{
	if (!svc->type->reload)
		return false;
	svc->type->reload(svc);
	return true;
}

const qp_svc_counters_t *qp_service__stats(const qp_service_t *svc)
{
	return &svc->counters;
}

void qp_service__destroy(qp_service_t *svc)
{
	if (svc)
		svc->type->destroy(svc);
}

const char *qp_service__name(const qp_service_t *svc)
{
	return svc->type->name;
}

/* ---- metrics ---- */

/* The counters of qp_svc_counters_t, in its order. */
static const struct {
	const char *name, *help;
	size_t offset;
} counters[] = {
	{ "quackpipe_events_consumed_total", "Records read from the input topic, those that failed "
	  "to decode included (= produced or inserted + dead-lettered + in hand).",
	  offsetof(qp_svc_counters_t, consumed) },
	{ "quackpipe_events_produced_total", "Enriched events acknowledged by Kafka (fraud).",
	  offsetof(qp_svc_counters_t, produced) },
	{ "quackpipe_alerts_produced_total", "Alerts acknowledged by Kafka (fraud).",
	  offsetof(qp_svc_counters_t, alerts) },
	{ "quackpipe_rows_inserted_total", "Rows inserted into ClickHouse (ch-writer).",
	  offsetof(qp_svc_counters_t, inserted) },
	{ "quackpipe_events_dead_lettered_total", "Events this service sent to the dead-letter topic.",
	  offsetof(qp_svc_counters_t, dead_lettered) },
	{ "quackpipe_batches_retried_total", "Batches delivered again after a failure.",
	  offsetof(qp_svc_counters_t, retried) },
	{ "quackpipe_events_decode_failed_total", "Records that did not decode, dead-lettered "
	  "(counted in events_dead_lettered_total too).",
	  offsetof(qp_svc_counters_t, decode_failed) },
	{ "quackpipe_dead_letters_truncated_total", "Dead letters larger than the dead-letter topic "
	  "takes, written with their value cut (headers qp.original.size, qp.original.sha256).",
	  offsetof(qp_svc_counters_t, dlq_truncated) },
};

/* fraud-svc's tower table, loaded at start: how big, what it skipped and why. */
static qp_err_t format_towers(qp_buf_t *out, const qp_service_metrics_t *s)
{
	static const char *const reasons[] = { "fields", "value", "range" };
	const qp_svc_counters_t *c = s->counters;
	qp_metric_label_t service = { "service", s->service };
	qp_err_t err;
	size_t i;

	if ((err = qp_metrics__family(out, "quackpipe_fraud_towers",
	                              "Cell towers in the table loaded at start.", QP_METRIC_GAUGE)) ||
	    (err = qp_metrics__gauge(out, "quackpipe_fraud_towers", service,
	                             (double)atomic_load(&c->towers))) ||
	    (err = qp_metrics__family(out, "quackpipe_fraud_tower_rows",
	                              "Rows read from the tower table at start.", QP_METRIC_GAUGE)) ||
	    (err = qp_metrics__gauge(out, "quackpipe_fraud_tower_rows", service,
	                             (double)atomic_load(&c->tower_rows))) ||
	    (err = qp_metrics__family(out, "quackpipe_fraud_tower_rows_skipped",
	                              "Rows of the tower table skipped at start, by reason (fields: "
	                              "wrong number, value: unreadable, range: out of range).",
	                              QP_METRIC_GAUGE)))
		return err;
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]) && !err; i++) {
		qp_metric_label_t reason = { "reason", reasons[i] };

		err = qp_metrics__gauge(out, "quackpipe_fraud_tower_rows_skipped", reason,
		                        (double)atomic_load(&c->tower_rows_skipped[i]));
	}
	return err;
}

qp_err_t qp_service__format_metrics(qp_buf_t *out, const qp_service_metrics_t *sources,
                                    size_t count)
{
	qp_err_t err = QP_OK;
	size_t i, j;

	for (i = 0; i < sizeof(counters) / sizeof(counters[0]) && !err; i++) {
		err = qp_metrics__family(out, counters[i].name, counters[i].help, QP_METRIC_COUNTER);
		for (j = 0; j < count && !err; j++) {
			const atomic_uint_fast64_t *c = (const atomic_uint_fast64_t *)(const void *)
				((const char *)sources[j].counters + counters[i].offset);
			qp_metric_label_t label = { "service", sources[j].service };

			err = qp_metrics__counter(out, counters[i].name, label, atomic_load(c));
		}
	}
	for (j = 0; j < count && !err; j++) {
		if (sources[j].counters->has_towers)
			err = format_towers(out, &sources[j]);
		if (!err && sources[j].svc && sources[j].svc->type->metrics)
			err = sources[j].svc->type->metrics(out, sources[j].svc);
	}
	return err;
}
