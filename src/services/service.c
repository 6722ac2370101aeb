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
	{ "quackpipe_events_consumed_total", "Events handed to the service by its consumer group.",
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
};

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
	for (j = 0; j < count && !err; j++)
		if (sources[j].svc && sources[j].svc->type->metrics)
			err = sources[j].svc->type->metrics(out, sources[j].svc);
	return err;
}
