/* Prometheus text exposition: see metrics_int.h. */
#include <stdio.h>

#include "base/buf_int.h"
#include "base/metrics_int.h"

static const char *const kind_names[] = { "counter", "gauge", "histogram" };

qp_err_t qp_metrics__family(qp_buf_t *out, const char *name, const char *help,
                            qp_metric_kind_t kind)
{
	return qp_buf__printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	                      kind_names[kind]);
}

/* name+suffix, then {label="value",le="le"} with either part absent. */
static qp_err_t put_name(qp_buf_t *out, const char *name, const char *suffix,
                         qp_metric_label_t label, const char *le)
{
	const char *open = "{";
	qp_err_t err = qp_buf__printf(out, "%s%s", name, suffix);

	if (!err && label.name) {
		err = qp_buf__printf(out, "{%s=\"%s\"", label.name, label.value);
		open = ",";
	}
	if (!err && le)
		err = qp_buf__printf(out, "%sle=\"%s\"", open, le);
	if (!err && (label.name || le))
		err = qp_buf__putc(out, '}');
	return err;
}

qp_err_t qp_metrics__counter(qp_buf_t *out, const char *name, qp_metric_label_t label,
                             uint64_t value)
{
	qp_err_t err = put_name(out, name, "", label, NULL);

	return err ? err : qp_buf__printf(out, " %llu\n", (unsigned long long)value);
}

qp_err_t qp_metrics__gauge(qp_buf_t *out, const char *name, qp_metric_label_t label,
                           double value)
{
	qp_err_t err = put_name(out, name, "", label, NULL);

	return err ? err : qp_buf__printf(out, " %.15g\n", value);
}

qp_err_t qp_metrics__histogram(qp_buf_t *out, const char *name, qp_metric_label_t label,
                               const qp_histogram_t *h)
{
	char le[32];
	uint64_t cumulative = 0;
	qp_err_t err = QP_OK;
	size_t i;

	for (i = 0; i <= h->bucket_count && !err; i++) {
		cumulative += h->counts[i];
		if (i < h->bucket_count)
			snprintf(le, sizeof(le), "%.15g", h->bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		if (!(err = put_name(out, name, "_bucket", label, le)))
			err = qp_buf__printf(out, " %llu\n", (unsigned long long)cumulative);
	}
	if (!err && !(err = put_name(out, name, "_sum", label, NULL)))
		err = qp_buf__printf(out, " %.15g\n", h->sum);
	if (!err && !(err = put_name(out, name, "_count", label, NULL)))
		err = qp_buf__printf(out, " %llu\n", (unsigned long long)h->count);
	return err;
}
