/* Scan events: lifetime, accessors for bindings, and the enrichment check. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/event_int.h"
#include "base/utf8_int.h"

static const char *const radio_names[QP_EVENT__RADIO_COUNT] = {
	"gsm", "wcdma", "lte", "nr", "cdma",
};

const char *qp_radio_name(qp_radio_t radio)
{
	if ((int)radio < 0 || (int)radio >= QP_EVENT__RADIO_COUNT)
		return NULL;
	return radio_names[radio];
}

void qp_event_destroy(qp_scan_event_t *ev)
{
	qp_event_block_t *block = (qp_event_block_t *)ev;

	if (!block)
		return;
	free(block->overflow);
	free(block);
}

const qp_wifi_t *qp_event_wifi_at(const qp_scan_event_t *ev, size_t i)
{
	return ev && i < ev->wifi_count ? &ev->wifi[i] : NULL;
}

const qp_cell_t *qp_event_cell_at(const qp_scan_event_t *ev, size_t i)
{
	return ev && i < ev->cell_count ? &ev->cell[i] : NULL;
}

const qp_ble_t *qp_event_ble_at(const qp_scan_event_t *ev, size_t i)
{
	return ev && i < ev->ble_count ? &ev->ble[i] : NULL;
}

const char *qp_event_flag_at(const qp_scan_event_t *ev, size_t i)
{
	if (!ev || !ev->enriched || i >= ev->enrichment.fraud_flag_count)
		return NULL;
	return ev->enrichment.fraud_flags[i];
}

static qp_err_t check_text(const char *field, const char *text, bool non_empty)
{
	size_t len;

	if (!text)
		return qp_error__set(QP_ERR_INVALID_ARG, "%s: NULL", field);
	len = strlen(text);
	if (len > QP_EVENT_MAX_STRING)
		return qp_error__set(QP_ERR_TOO_LARGE, "%s: %zu bytes, at most %d", field, len,
		                     QP_EVENT_MAX_STRING);
	if (non_empty && len == 0)
		return qp_error__set(QP_ERR_FIELD_FORMAT, "%s: must not be empty", field);
	if (qp_utf8__invalid_at(text, len) < len)
		return qp_error__set(QP_ERR_UTF8, "%s: invalid UTF-8", field);
	return QP_OK;
}

qp_err_t qp_event__check_enrichment(const qp_enrichment_t *e)
{
	char field[48];
	qp_err_t err;
	size_t i;

	if (!e)
		return qp_error__set(QP_ERR_INVALID_ARG, "enrichment is NULL");
	if (e->received_ms < QP_EVENT__TS_MIN_MS || e->received_ms > QP_EVENT__TS_MAX_MS)
		return qp_error__set(QP_ERR_FIELD_RANGE, "received_ms: %lld is outside [%lld, %lld]",
		                     (long long)e->received_ms, (long long)QP_EVENT__TS_MIN_MS,
		                     (long long)QP_EVENT__TS_MAX_MS);
	if (!(e->quality_score >= 0 && e->quality_score <= 1)) /* NaN fails too */
		return qp_error__set(QP_ERR_FIELD_RANGE, "quality_score: %g is outside [0, 1]",
		                     e->quality_score);
	if (e->fraud_flag_count > QP_EVENT_MAX_FLAGS)
		return qp_error__set(QP_ERR_TOO_LARGE, "fraud_flags: %zu entries, at most %d",
		                     e->fraud_flag_count, QP_EVENT_MAX_FLAGS);
	if (e->fraud_flag_count && !e->fraud_flags)
		return qp_error__set(QP_ERR_INVALID_ARG, "fraud_flags: NULL");
	for (i = 0; i < e->fraud_flag_count; i++) {
		snprintf(field, sizeof(field), "fraud_flags[%zu]", i);
		if ((err = check_text(field, e->fraud_flags[i], true)))
			return err;
	}
	if ((err = check_text("location_cluster", e->location_cluster, false)) ||
	    (err = check_text("enriched_by", e->enriched_by, true)))
		return err;
	return QP_OK;
}
