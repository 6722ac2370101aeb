/* Internal: what the event decoder, encoders and accessors share. */
#ifndef QP_EVENT_INT_H
#define QP_EVENT_INT_H

#include "errors_int.h"
#include "quackpipe/event.h"

/* ts_ms and received_ms must fall in years 2000..2099: the fraud engine
 * judges clock skew against receipt time; the codec only refuses values no
 * clock can have. */
#define QP_EVENT__TS_MIN_MS INT64_C(946684800000)  /* 2000-01-01T00:00:00Z */
#define QP_EVENT__TS_MAX_MS INT64_C(4102444799999) /* 2099-12-31T23:59:59.999Z */

/* 802.11 limits an SSID to 32 bytes. */
#define QP_EVENT__MAX_SSID 32

/* Number of qp_radio_t values. */
#define QP_EVENT__RADIO_COUNT 5

/*
 * Checks an enrichment given by the host before it is written (the decoder
 * checks decoded ones itself): received_ms in the ts window, quality_score
 * in [0, 1], at most QP_EVENT_MAX_FLAGS flags, every string non-NULL, valid
 * UTF-8 and at most QP_EVENT_MAX_STRING bytes, flags and enriched_by
 * non-empty. QP_ERR_INVALID_ARG / QP_ERR_FIELD_RANGE / QP_ERR_TOO_LARGE with
 * the field in the detail.
 */
qp_err_t qp_event__check_enrichment(const qp_enrichment_t *enrichment);

#endif
