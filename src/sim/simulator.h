/*
 * The device simulator behind `quackpipe simulate` and `quackpipe demo`: a
 * deterministic (seeded) population of phones in a synthetic city.
 *
 * Honest phones walk, cycle and drive between random waypoints with GPS
 * noise matching the accuracy they report, and scan the WiFi access points,
 * BLE beacons and cells around them; half of them start at one of the
 * city's hubs (stations, malls), some ride buses with onboard WiFi, some
 * carry a hotspot of their own (radios that move, for the radio map to
 * recognise as mobile). Spoofers come in five classes, each aimed at one
 * fraud rule. A share of submissions is malformed on purpose.
 * Events come out in simulated-time order; simulated time starts at the
 * wall clock and runs as fast as the caller drains events, and each event
 * carries the time the ingest API would have received it, so the fraud
 * stage's clock rules see a consistent world at any replay speed.
 */
#ifndef QP_CLI_SIMULATOR_H
#define QP_CLI_SIMULATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "quackpipe.h"

typedef enum sim_device_class {
	SIM_HONEST = 0,
	SIM_TELEPORTER,    /* jumps between cities: impossible_travel */
	SIM_REPLAYER,      /* re-submits one scan: duplicate_content / duplicate_scan_id */
	SIM_TOWER_SPOOFER, /* GPS on another continent than its cell: tower_mismatch */
	SIM_TIME_TRAVELER, /* device clock hours ahead: clock_skew */
	SIM_RADIO_SPOOFER, /* fake GPS walks away, WiFi and BLE of home: radio_mismatch */
	SIM_CLASS_COUNT
} sim_device_class_t;

typedef struct sim_options {
	uint64_t seed;
	uint32_t devices;
	double spoofer_share;   /* [0, 1] of devices */
	double malformed_share; /* [0, 1] of submissions */
	double scan_interval_s; /* mean time between one device's scans */
	double alert_reward;    /* some honest scans carry a reward above this */
	int64_t start_ms;       /* simulated time of the first scan */
} sim_options_t;

/* One submission: the bytes the ingest API received, and ground truth. */
typedef struct sim_submission {
	const char *json; /* borrowed; valid until the next sim_next() */
	size_t len;
	const char *device_id;
	uint32_t device_index; /* 0 .. devices - 1: the phone's number */
	int64_t received_ms; /* when the ingest API got it (simulated) */
	bool malformed;
	sim_device_class_t device_class;
} sim_submission_t;

typedef struct sim sim_t;

void sim_options_default(sim_options_t *options);
qp_err_t sim_new(sim_t **out, const sim_options_t *options);
void sim_destroy(sim_t *sim);

/* Produces the next submission. Never fails but for QP_ERR_NOMEM. */
qp_err_t sim_next(sim_t *sim, sim_submission_t *out);

/* Appends the city's cell towers in the OpenCelliD CSV format. */
qp_err_t sim_write_towers(const sim_t *sim, qp_buf_t *out);

/* Ground truth, one line per device: "dev-000123<TAB>teleporter\n". */
qp_err_t sim_write_truth(const sim_t *sim, qp_buf_t *out);

/* The id of phone number index (< the devices simulated), borrowed. */
const char *sim_device_id(const sim_t *sim, uint32_t index);

/* Ground truth: the class of device `device_id`, or -1 if unknown. */
int sim_device_class(const sim_t *sim, const char *device_id);
uint32_t sim_device_count(const sim_t *sim, sim_device_class_t device_class);
const char *sim_class_name(sim_device_class_t device_class);

#endif
