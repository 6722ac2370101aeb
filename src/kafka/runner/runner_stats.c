/* Metrics: a snapshot of counters, gauges and per-partition lag. */
#include <stdlib.h>
#include <string.h>

#include "kafka/runner/runner_int.h"

/* The snapshot and its partition array and topic names in one block, so
 * qp_runner_stats_destroy() is a single free. */
typedef struct stats_block {
	qp_runner_stats_t stats;
	qp_runner_partition_stats_t parts[];
} stats_block_t;

static void partition_stats(qp_runner_t *r, const qp_runner_part_t *part,
                            qp_runner_partition_stats_t *out, char *topic)
{
	int64_t low, high;

	strcpy(topic, part->topic);
	out->topic = topic;
	out->partition = part->partition;
	out->position = part->track.next_offset;
	if (rd_kafka_get_watermark_offsets(r->rk, part->topic, part->partition,
	                                   &low, &high) || high < 0)
		high = -1;
	out->high_watermark = high;
	out->lag = high >= 0 && out->position >= 0 ? high - out->position : -1;
	out->committed = part->committed;
	out->outstanding = qp_track__pending(&part->track);
}

qp_err_t qp_runner_stats(qp_runner_t *r, qp_runner_stats_t **out)
{
	size_t i, names = 0, size;
	stats_block_t *block;
	char *text;

	if (!out || !r)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_runner_stats: NULL argument");
	*out = NULL;
	for (i = 0; i < r->part_count; i++)
		names += strlen(r->parts[i]->topic) + 1;
	size = sizeof(*block) + r->part_count * sizeof(block->parts[0]) + names;
	if (!(block = calloc(1, size)))
		return qp_error__code(QP_ERR_NOMEM);
	block->stats = r->stats;
	block->stats.paused = r->paused;
	block->stats.partition_count = r->part_count;
	block->stats.partitions = block->parts;
	text = (char *)&block->parts[r->part_count];
	for (i = 0; i < r->part_count; i++) {
		partition_stats(r, r->parts[i], &block->parts[i], text);
		text += strlen(text) + 1;
	}
	*out = &block->stats;
	return QP_OK;
}

const qp_runner_partition_stats_t *
qp_runner_stats_partition_at(const qp_runner_stats_t *stats, size_t i)
{
	return stats && i < stats->partition_count ? &stats->partitions[i] : NULL;
}

void qp_runner_stats_destroy(qp_runner_stats_t *stats)
{
	free(stats); /* the block starts with the stats */
}
