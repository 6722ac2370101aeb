/*
 * The headers of a dead-letter record. Kept apart from the producer so the
 * exact names and formats (docs/dlq.md) are tested without Kafka; the
 * `dlq` tools that read them back depend on these names.
 */
#include <inttypes.h>
#include <stdio.h>

#include "kafka/runner/runner_int.h"

void qp_dlq__headers(qp_dlq_headers_t *out, const qp_dlq_source_t *src)
{
	int64_t numbers[5] = { src->partition, src->offset, src->timestamp_ms,
	                       (int64_t)src->retry_count, src->first_failure_ms };
	const char *names[5] = { "qp.source.partition", "qp.source.offset",
	                         "qp.source.timestamp", "qp.retry.count",
	                         "qp.first.failure.ms" };
	size_t i;

	out->h[0] = (qp_dlq_header_t){ "qp.error.code", qp_err_name(src->code) };
	out->h[1] = (qp_dlq_header_t){ "qp.error.text", src->text ? src->text : "" };
	out->h[2] = (qp_dlq_header_t){ "qp.source.topic", src->topic ? src->topic : "" };
	for (i = 0; i < 5; i++) {
		snprintf(out->numbers[i], sizeof(out->numbers[i]), "%" PRId64, numbers[i]);
		out->h[3 + i] = (qp_dlq_header_t){ names[i], out->numbers[i] };
	}
}
