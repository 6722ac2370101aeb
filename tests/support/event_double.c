/*
 * Test double of qp_event_encode until the event codec lands on this
 * branch: a weak definition, so that the real encoder wins as soon as the
 * library has one. It writes the fields the producer tests look at.
 */
#include <inttypes.h>

#include "buf_int.h"
#include "quackpipe/event.h"

__attribute__((weak)) qp_err_t qp_event_encode(qp_buf_t *out, const qp_scan_event_t *ev)
{
	return qp_buf__printf(out, "{\"schema_version\":1,\"scan_id\":\"%s\","
	                      "\"device_id\":\"%s\",\"ts_ms\":%" PRId64 "}",
	                      ev->scan_id, ev->device_id, ev->ts_ms);
}
