/*
 * The scan event is data the library allocates and owns: the bindings read
 * it, never write or allocate it. Its arrays are read through the
 * qp_event_*_at() accessors (a binding cannot index a C pointer).
 *
 * Nested structs (gps, a wifi entry, ...) come back as objects that borrow
 * the event's memory; the language layers copy them out at once (Python's
 * quackpipe.event, Go's Event), so nothing outlives the event by mistake.
 *
 * qp_enrichment_t is also an input (qp_event_encode_enriched): bindings build
 * one with qpb_enrichment_new(), with the fraud flags as NUL-separated bytes
 * so that both languages pass a list of names as one buffer.
 */

%immutable;
%nodefaultctor qp_gps;
%nodefaultdtor qp_gps;
%nodefaultctor qp_wifi;
%nodefaultdtor qp_wifi;
%nodefaultctor qp_cell;
%nodefaultdtor qp_cell;
%nodefaultctor qp_ble;
%nodefaultdtor qp_ble;
%nodefaultctor qp_opt_double;
%nodefaultdtor qp_opt_double;
%nodefaultctor qp_opt_int;
%nodefaultdtor qp_opt_int;

/* Read through qp_event_wifi_at() and friends. */
%ignore qp_scan_event::wifi;
%ignore qp_scan_event::cell;
%ignore qp_scan_event::ble;
%ignore qp_enrichment::fraud_flags;

QP_HANDLE(qp_scan_event, qp_scan_event_t, qp_event_destroy)
QP_HANDLE(qp_enrichment, qp_enrichment_t, qpb_enrichment_free)

%{
#include <stdlib.h>
#include <string.h>

/* An enrichment the binding built: the struct first, so that a pointer to
 * it is a pointer to the whole allocation. */
typedef struct qpb_enrichment {
	qp_enrichment_t e;
	const char **flags; /* into text */
	char *text;         /* cluster, engine and flags, NUL-terminated */
} qpb_enrichment_t;

static void qpb_enrichment_free(qp_enrichment_t *e)
{
	qpb_enrichment_t *b = (qpb_enrichment_t *)e;

	if (!b)
		return;
	free(b->flags);
	free(b->text);
	free(b);
}
%}

%inline %{
/*
 * A new enrichment for qp_event_encode_enriched(). flags holds the fraud flag
 * names separated by NUL bytes (no trailing NUL; empty for none). Freed by the
 * object (Python: at GC or close(); Go: DeleteQp_enrichment).
 */
static qp_err_t qpb_enrichment_new(qp_enrichment_t **out, int64_t received_ms,
                                   const void *flags, size_t flags_len,
                                   double quality_score,
                                   const char *location_cluster,
                                   const char *enriched_by)
{
	size_t cluster_len = strlen(location_cluster), by_len = strlen(enriched_by);
	size_t count = 0, i;
	qpb_enrichment_t *b;
	char *p;

	*out = NULL;
	if (!(b = calloc(1, sizeof(*b))))
		return QP_ERR_NOMEM;
	if (!(b->text = malloc(cluster_len + by_len + flags_len + 3))) {
		qpb_enrichment_free(&b->e);
		return QP_ERR_NOMEM;
	}
	p = b->text;
	memcpy(p, location_cluster, cluster_len + 1);
	b->e.location_cluster = p;
	p += cluster_len + 1;
	memcpy(p, enriched_by, by_len + 1);
	b->e.enriched_by = p;
	p += by_len + 1;
	if (flags_len)
		memcpy(p, flags, flags_len);
	p[flags_len] = '\0';
	if (flags_len) {
		count = 1;
		for (i = 0; i < flags_len; i++)
			count += p[i] == '\0';
	}
	if (!(b->flags = calloc(count ? count : 1, sizeof(*b->flags)))) {
		qpb_enrichment_free(&b->e);
		return QP_ERR_NOMEM;
	}
	for (i = 0; i < count; i++) {
		b->flags[i] = p;
		p += strlen(p) + 1;
	}
	b->e.received_ms = received_ms;
	b->e.quality_score = quality_score;
	b->e.fraud_flags = b->flags;
	b->e.fraud_flag_count = count;
	*out = &b->e;
	return QP_OK;
}
%}
