/*
 * The simulated phones uploading through the ingest API over HTTP, for
 * `quackpipe demo` (the other way in is cli_publish.h's direct publish).
 *
 * Each phone queues its scans and uploads them as one application/x-ndjson
 * request once it holds `batch` of them, with at most one upload of its own
 * in flight, so a device's events reach Kafka in the order it made them.
 * Uploads share `connections` kept-alive connections (http/http_client_int.h).
 * A phone reacts to the answer as docs/ingest.md tells a client to: 202,
 * done; 400 / 422 (a batch is all-or-nothing), drop the events the problem
 * names by index and send the rest again; 503 / 429, send the same request
 * again after Retry-After (events already taken are recognised by scan_id).
 * Each request carries X-QP-Received-Ms, the simulated receipt time of its
 * newest event, which the demo's ingest handler trusts
 * (qp.ingest.received.header): the simulated clock runs faster than the wall's.
 */
#ifndef QP_CLI_UPLOAD_H
#define QP_CLI_UPLOAD_H

#include <stdint.h>

#include "quackpipe.h"
#include "sim/simulator.h"

#define CLI_UPLOAD_STATUSES 12 /* distinct statuses counted; more go to "other" */

typedef struct cli_upload_stats {
	uint64_t submitted;   /* events the phones made */
	uint64_t accepted;    /* events in requests answered 202 */
	uint64_t refused;     /* events a 400 / 422 named, dropped by their phone */
	uint64_t failed;      /* events dropped otherwise (no answer, another status) */
	uint64_t refused_request_events; /* events in requests answered 400 / 422 */
	uint64_t requests;    /* POST /v1/scans answered, retries included */
	uint64_t tokens;      /* PUT push-token answered 202 */
	uint64_t connects;    /* connections opened (keep-alive: about as many as asked) */
	uint64_t tokens_failed;
	int statuses[CLI_UPLOAD_STATUSES]; /* POST /v1/scans answers by status */
	uint64_t status_count[CLI_UPLOAD_STATUSES];
	uint64_t status_other;
} cli_upload_stats_t;
typedef struct cli_upload cli_upload_t;

/* Phones 0 .. devices - 1 uploading to base_url ("http://127.0.0.1:PORT"). */
qp_err_t cli_upload_new(cli_upload_t **out, const char *base_url, uint32_t devices,
                        uint32_t batch, int connections);
void cli_upload_destroy(cli_upload_t *u);

/* Queues s on its phone; an upload starts when the phone's batch is full
 * and a connection is free. Waits (driving uploads) while more phones than
 * connections wait to upload, so that the simulator cannot outrun the API. */
qp_err_t cli_upload_add(cli_upload_t *u, const sim_submission_t *s);

/* Registers a push token ({"platform":..,"token":..}) for device_id. */
qp_err_t cli_upload_token(cli_upload_t *u, const char *device_id, const char *platform,
                          const char *token);

/* Drives the uploads for up to timeout_ms. */
qp_err_t cli_upload_poll(cli_upload_t *u, int timeout_ms);

/* Uploads every queued event, partial batches too, and waits until every
 * request is answered, or timeout_ms passed (QP_ERR_TIMEOUT) or a stop
 * signal came (QP_ERR_WAKEUP). */
qp_err_t cli_upload_flush(cli_upload_t *u, int timeout_ms);

/* The counters so far (read on the uploading thread). */
const cli_upload_stats_t *cli_upload_stats(cli_upload_t *u);

/* The first failure seen (status and why), "" if none. */
const char *cli_upload_first_failure(const cli_upload_t *u);

#endif
