/*
 * What the ingest API does with a phone's submission, shared by `quackpipe
 * simulate` and `quackpipe demo`: publish the bytes to scan-events keyed by
 * device_id, stamped with the receipt and ingest times, at a chosen rate;
 * and the simulator's options and tower file as both commands take them.
 */
#ifndef QP_CLI_INGEST_H
#define QP_CLI_INGEST_H

#include <stdint.h>

#include "quackpipe.h"
#include "sim/simulator.h"

/*
 * Publishes s to topic with the headers QP_HEADER_RECEIVED_MS (s's
 * simulated receipt time) and QP_HEADER_INGEST_US (now), key = device_id.
 * While the producer's queue is full it serves delivery reports and tries
 * again; QP_ERR_WAKEUP (not published) once a stop signal was received.
 * Other errors as qp_producer_publish().
 */
qp_err_t cli_ingest_publish(qp_producer_t *producer, const char *topic,
                            const sim_submission_t *s);

/* With rate > 0 (submissions per second), waits while serving the producer
 * until submission number `published` is due, counting from `started`
 * (qp_clock__now_s()). Returns at once with rate 0. */
void cli_ingest_pace(qp_producer_t *producer, double started, uint64_t published, double rate);

/*
 * Applies the simulator option `name` with `value` (--devices, --rate,
 * --spoofers, --malformed, --seed): 1 if it was one, 0 if not, -1 when the
 * value is out of range.
 */
int cli_sim_option(sim_options_t *options, double *rate, const char *name, const char *value);

/* Help text for the options above. */
extern const char cli_sim_usage[];

/* Writes the simulated city's cell towers (OpenCelliD CSV) to the file at
 * path, for the fraud rules' tower table. QP_ERR_IO naming the file. */
qp_err_t cli_sim_write_towers(const sim_t *sim, const char *path);

/*
 * The warm-up run that learns a radio map as the pipeline would from its
 * own trusted events: a simulator with options (the same seed: the same
 * city and phones) plays `events` submissions into a fraud engine
 * configured from conf (qp.fraud.*, with learning on and the city's
 * towers), and the map it learned is written to path. QP_ERR_IO naming the
 * file.
 */
qp_err_t cli_sim_learn_radiomap(const sim_options_t *options, const qp_conf_t *conf,
                                uint64_t events, const char *path);

/* The default warm-up of a run of n submissions: half of it, at most
 * 10,000 (enough for the map of the simulated city's hubs). */
static inline uint64_t cli_radiomap_warmup(uint64_t n)
{
	return n / 2 < 10000 ? n / 2 : 10000;
}

#endif
