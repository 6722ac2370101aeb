/*
 * libFuzzer target for the event decoder. Any input must decode or fail
 * cleanly; a decoded event must encode to JSON that decodes to an event with
 * the very same encoding and row (a fixed point, so no field is lost or
 * changed), and the enriched form of the accepted bytes must decode as an
 * enriched event. Any violation aborts, which the fuzzer reports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quackpipe.h"

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s:%d: check failed: %s (last error: %s)\n",  \
			        __FILE__, __LINE__, #cond, qp_error_last());           \
			abort();                                                       \
		}                                                                      \
	} while (0)

static void check_fixed_point(const qp_scan_event_t *ev, bool enriched)
{
	qp_buf_t first = QP_BUF_INIT, second = QP_BUF_INIT, row1 = QP_BUF_INIT, row2 = QP_BUF_INIT;
	qp_scan_event_t *again = NULL;
	qp_err_t err;

	CHECK(qp_event_encode(&first, ev) == QP_OK);
	CHECK(qp_event_encode_row(&row1, ev) == QP_OK);
	err = enriched ? qp_event_decode_enriched(&again, first.ptr, first.size)
	               : qp_event_decode(&again, first.ptr, first.size);
	/* re-encoding may only grow past the size limit (e.g. "1e9" -> digits) */
	CHECK(err == QP_OK || (err == QP_ERR_TOO_LARGE && first.size > QP_EVENT_MAX_BYTES));
	if (err == QP_OK) {
		CHECK(qp_event_encode(&second, again) == QP_OK);
		CHECK(qp_event_encode_row(&row2, again) == QP_OK);
		CHECK(first.size == second.size && !memcmp(first.ptr, second.ptr, first.size));
		CHECK(row1.size == row2.size && !memcmp(row1.ptr, row2.ptr, row1.size));
	}
	qp_event_destroy(again);
	qp_buf_dispose(&first);
	qp_buf_dispose(&second);
	qp_buf_dispose(&row1);
	qp_buf_dispose(&row2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const flags[] = { "speed", "tower_mismatch" };
	const qp_enrichment_t enrichment = { 1718900000000LL, flags, 2, 0.5, "u0fz2", "fuzz" };
	qp_scan_event_t *ev = NULL, *enriched = NULL;
	qp_buf_t out = QP_BUF_INIT;
	qp_err_t err;

	if (qp_event_decode(&ev, data, size) == QP_OK) {
		CHECK(ev != NULL);
		check_fixed_point(ev, false);
		CHECK(qp_event_encode_enriched(&out, data, size, &enrichment) == QP_OK);
		err = qp_event_decode_enriched(&enriched, out.ptr, out.size);
		CHECK(err == QP_OK || (err == QP_ERR_TOO_LARGE && out.size > QP_EVENT_MAX_BYTES));
		if (enriched) {
			CHECK(enriched->enrichment.fraud_flag_count == 2);
			CHECK(!strcmp(enriched->unknown_json, ev->unknown_json));
			check_fixed_point(enriched, true);
		}
	} else {
		CHECK(ev == NULL);
		CHECK(qp_error_last()[0] != '\0');
	}
	/* the same bytes as an enriched event (as read from scan-enriched) */
	qp_event_destroy(enriched);
	enriched = NULL;
	if (qp_event_decode_enriched(&enriched, data, size) == QP_OK)
		check_fixed_point(enriched, true);
	qp_event_destroy(ev);
	qp_event_destroy(enriched);
	qp_buf_dispose(&out);
	return 0;
}
