/*
 * Internal: metrics in the Prometheus text exposition format (0.0.4), the
 * "metrics" module of DESIGN.md. Callers write a family's HELP and TYPE
 * lines once, then its samples, one per label value; the HTTP listener that
 * serves the text belongs to the program (src/cli/metrics_http.c).
 */
#ifndef QP_METRICS_INT_H
#define QP_METRICS_INT_H

#include <stdint.h>

#include "base/histogram_int.h"
#include "quackpipe/common.h"
#include "quackpipe/errors.h"

typedef enum qp_metric_kind {
	QP_METRIC_COUNTER,
	QP_METRIC_GAUGE,
	QP_METRIC_HISTOGRAM,
} qp_metric_kind_t;

/* A sample's one label, name="value"; a NULL name: no label. */
typedef struct qp_metric_label {
	const char *name, *value;
} qp_metric_label_t;

/* "# HELP name help" and "# TYPE name kind". */
qp_err_t qp_metrics__family(qp_buf_t *out, const char *name, const char *help,
                            qp_metric_kind_t kind);

/* "name{label} value" for a counter. */
qp_err_t qp_metrics__counter(qp_buf_t *out, const char *name, qp_metric_label_t label,
                             uint64_t value);

/* "name{label} value" for a gauge. */
qp_err_t qp_metrics__gauge(qp_buf_t *out, const char *name, qp_metric_label_t label,
                           double value);

/* A histogram's samples: name_bucket{label,le="bound"} (cumulative, "+Inf"
 * last), name_sum and name_count. h is read by the caller's thread: its
 * owner, or one that stopped it. */
qp_err_t qp_metrics__histogram(qp_buf_t *out, const char *name, qp_metric_label_t label,
                               const qp_histogram_t *h);

#endif
