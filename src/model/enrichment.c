/*
 * qp_enrichment_new and friends: an enrichment a host builds (its own fraud
 * stage, a binding) for qp_event_encode_enriched. The library allocates it,
 * as every data struct, so the bindings need no allocation code of their own.
 */
#include <stdlib.h>
#include <string.h>

#include "base/errors_int.h"
#include "quackpipe/event.h"

/* The struct first: a pointer to it is a pointer to the whole allocation. */
typedef struct built_enrichment {
	qp_enrichment_t e;
	char *location_cluster, *enriched_by;
	char *flags[QP_EVENT_MAX_FLAGS];
} built_enrichment_t;

qp_err_t qp_enrichment_new(qp_enrichment_t **out, int64_t received_ms,
                           double quality_score, const char *location_cluster,
                           const char *enriched_by)
{
	built_enrichment_t *b;

	if (!out || !location_cluster || !enriched_by)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_enrichment_new: NULL argument");
	*out = NULL;
	if (!(b = calloc(1, sizeof(*b))) ||
	    !(b->location_cluster = strdup(location_cluster)) ||
	    !(b->enriched_by = strdup(enriched_by))) {
		qp_enrichment_destroy(b ? &b->e : NULL);
		return qp_error__code(QP_ERR_NOMEM);
	}
	b->e.received_ms = received_ms;
	b->e.quality_score = quality_score;
	b->e.location_cluster = b->location_cluster;
	b->e.enriched_by = b->enriched_by;
	b->e.fraud_flags = (const char *const *)b->flags;
	*out = &b->e;
	return QP_OK;
}

qp_err_t qp_enrichment_add_flag(qp_enrichment_t *enrichment, const char *flag)
{
	built_enrichment_t *b = (built_enrichment_t *)enrichment;

	if (!b || !flag || !*flag)
		return qp_error__set(QP_ERR_INVALID_ARG,
		                     "qp_enrichment_add_flag: NULL enrichment or empty flag");
	if (b->e.fraud_flag_count == QP_EVENT_MAX_FLAGS)
		return qp_error__set(QP_ERR_TOO_LARGE, "fraud_flags: more than %d flags",
		                     QP_EVENT_MAX_FLAGS);
	if (!(b->flags[b->e.fraud_flag_count] = strdup(flag)))
		return qp_error__code(QP_ERR_NOMEM);
	b->e.fraud_flag_count++;
	return QP_OK;
}

const char *qp_enrichment_flag_at(const qp_enrichment_t *enrichment, size_t i)
{
	return enrichment && i < enrichment->fraud_flag_count ? enrichment->fraud_flags[i]
	                                                      : NULL;
}

void qp_enrichment_destroy(qp_enrichment_t *enrichment)
{
	built_enrichment_t *b = (built_enrichment_t *)enrichment;
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->e.fraud_flag_count; i++)
		free(b->flags[i]);
	free(b->location_cluster);
	free(b->enriched_by);
	free(b);
}
