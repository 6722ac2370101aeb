/* A deterministic population of phones, honest and spoofing: see simulator.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf_int.h"
#include "base/errors_int.h"
#include "sim/simulator.h"

#define CITY_LAT 48.8566 /* Paris */
#define CITY_LON 2.3522
#define CITY_HALF_M 6000.0
#define TOWER_SPACING_M 1000.0
#define TOWER_RANGE_M 1500
#define TOWER_GRID (2 * (int)(CITY_HALF_M / TOWER_SPACING_M) + 1)
#define AP_SPACING_M 40.0
#define AP_VISIBLE_M 90.0
#define BLE_SPACING_M 100.0
#define BLE_VISIBLE_M 35.0
#define M_PER_DEG 111320.0
#define TIME_TRAVEL_MS (3 * 3600 * 1000)
#define HUB_COUNT 16
#define HUB_RADIUS_M 60.0
#define BUS_COUNT 12
#define BUS_SPEED_MPS 8.0
#define BUS_SHARE 0.08     /* of honest devices, riding a bus */
#define HOTSPOT_SHARE 0.05 /* of honest devices, carrying a hotspot */
/* Where the scan_id's 36 characters start in every scan write_scan writes. */
#define SCAN_ID_AT (sizeof("{\"schema_version\":1,\"scan_id\":\"") - 1)

static const double far_cities[][2] = {
	{ 45.7640, 4.8357 },  /* Lyon */
	{ 43.2965, 5.3698 },  /* Marseille */
	{ 50.6292, 3.0573 },  /* Lille */
	{ 44.8378, -0.5792 }, /* Bordeaux */
};
static const double new_york[2] = { 40.7128, -74.0060 };

typedef struct sim_device {
	char id[16];
	uint32_t index;
	sim_device_class_t device_class;
	double x, y;           /* metres from the city centre */
	double wx, wy;         /* next waypoint */
	double speed_mps;
	double accuracy_m;
	int64_t next_ms;       /* simulated time of its next scan */
	uint32_t scans;
	char *replay;          /* SIM_REPLAYER: the scan it keeps re-submitting */
	size_t replay_len;
	double home_x, home_y; /* SIM_RADIO_SPOOFER: where its radios stay */
	int bus;               /* the bus it rides, or -1 */
	double bus_dx, bus_dy; /* its seat: offset from the bus's position */
	bool hotspot;          /* carries a hotspot its scans list */
} sim_device_t;

struct sim {
	sim_options_t opt;
	uint64_t rng;
	sim_device_t *devices;
	uint32_t *heap; /* device indices, min-heap on next_ms */
	uint32_t count;
	qp_buf_t json;
	qp_buf_t scratch;
};

/* ---- randomness: xorshift64*, deterministic per seed ---- */

static uint64_t rnd_u64(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static double rnd_unit(uint64_t *s) /* [0, 1) */
{
	return (double)(rnd_u64(s) >> 11) / 9007199254740992.0;
}

static double rnd_range(uint64_t *s, double lo, double hi)
{
	return lo + (hi - lo) * rnd_unit(s);
}

static double rnd_normal(uint64_t *s)
{
	double u = rnd_unit(s) + 1e-12, v = rnd_unit(s);

	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

static uint64_t hash2(int64_t a, int64_t b)
{
	uint64_t h = (uint64_t)a * 0x9e3779b97f4a7c15ull;

	/* Shifted before b joins: a * K1 ^ b * K2 alone equals its value at
	 * (-a, -b) often enough that access points on opposite sides of the
	 * city shared an address (unseen until a radio map learned positions). */
	h ^= h >> 29;
	h ^= (uint64_t)b * 0xc2b2ae3d27d4eb4full;
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 29);
}

/* ---- geometry: metres around the city centre <-> degrees ---- */

static double lat_of(double y) { return CITY_LAT + y / M_PER_DEG; }
static double lon_of(double x) { return CITY_LON + x / (M_PER_DEG * cos(CITY_LAT * M_PI / 180.0)); }

typedef struct tower {
	int ix, iy;
	double x, y;
} tower_t;

static tower_t tower_at(int ix, int iy)
{
	tower_t t = { ix, iy, (ix - TOWER_GRID / 2) * TOWER_SPACING_M,
	              (iy - TOWER_GRID / 2) * TOWER_SPACING_M };
	return t;
}

static tower_t nearest_tower(double x, double y)
{
	int ix = (int)lround(x / TOWER_SPACING_M) + TOWER_GRID / 2;
	int iy = (int)lround(y / TOWER_SPACING_M) + TOWER_GRID / 2;

	ix = ix < 0 ? 0 : ix >= TOWER_GRID ? TOWER_GRID - 1 : ix;
	iy = iy < 0 ? 0 : iy >= TOWER_GRID ? TOWER_GRID - 1 : iy;
	return tower_at(ix, iy);
}

static int64_t tower_area(const tower_t *t) { return 100 + (t->ix / 4) * 10 + t->iy / 4; }
static int64_t tower_cid(const tower_t *t) { return 10000 + t->ix * TOWER_GRID + t->iy; }

/* ---- hubs and buses: places many phones pass, radios that move ---- */

static double unit_of(uint64_t h) /* [-1, 1) */
{
	return (double)(h % 20000) / 10000.0 - 1.0;
}

static void hub_at(int hub, double *x, double *y)
{
	*x = 0.8 * CITY_HALF_M * unit_of(hash2(hub, 0x40b));
	*y = 0.8 * CITY_HALF_M * unit_of(hash2(hub, 0x40c));
}

/* Buses shuttle between two ends of their line, at constant speed. */
static void bus_at(int bus, int64_t t_ms, double *x, double *y)
{
	double ax = 0.9 * CITY_HALF_M * unit_of(hash2(bus, 0xb05a));
	double ay = 0.9 * CITY_HALF_M * unit_of(hash2(bus, 0xb05b));
	double bx = -ax, by = 0.9 * CITY_HALF_M * unit_of(hash2(bus, 0xb05c));
	double length = hypot(bx - ax, by - ay) + 1.0;
	double travelled = fmod((double)t_ms / 1000.0 * BUS_SPEED_MPS +
	                        (double)(hash2(bus, 0xb05d) % 100000), 2.0 * length);
	double f = travelled < length ? travelled / length : 2.0 - travelled / length;

	*x = ax + (bx - ax) * f;
	*y = ay + (by - ay) * f;
}

/* ---- the population ---- */

static void pick_waypoint(sim_t *sim, sim_device_t *d)
{
	d->wx = rnd_range(&sim->rng, -CITY_HALF_M, CITY_HALF_M);
	d->wy = rnd_range(&sim->rng, -CITY_HALF_M, CITY_HALF_M);
}

static sim_device_class_t pick_class(sim_t *sim)
{
	if (rnd_unit(&sim->rng) >= sim->opt.spoofer_share)
		return SIM_HONEST;
	return (sim_device_class_t)(1 + rnd_u64(&sim->rng) % (SIM_CLASS_COUNT - 1));
}

static void init_device(sim_t *sim, sim_device_t *d, uint32_t index)
{
	double kind = rnd_unit(&sim->rng);

	snprintf(d->id, sizeof(d->id), "dev-%06u", index);
	d->index = index;
	d->device_class = pick_class(sim);
	d->x = rnd_range(&sim->rng, -CITY_HALF_M, CITY_HALF_M);
	d->y = rnd_range(&sim->rng, -CITY_HALF_M, CITY_HALF_M);
	pick_waypoint(sim, d);
	/* Walking, cycling or driving in town. */
	d->speed_mps = kind < 0.4 ? 1.4 : kind < 0.65 ? 4.5 : 13.9;
	d->accuracy_m = rnd_range(&sim->rng, 4.0, 16.0);
	d->next_ms = sim->opt.start_ms +
	             (int64_t)(rnd_unit(&sim->rng) * sim->opt.scan_interval_s * 1000.0);
	d->bus = -1;
	if (d->device_class == SIM_RADIO_SPOOFER || rnd_unit(&sim->rng) < 0.5) {
		/* At a hub: its access points are in every phone's scans there. */
		double r = d->device_class == SIM_RADIO_SPOOFER ? HUB_RADIUS_M / 2 : HUB_RADIUS_M;

		hub_at((int)(rnd_u64(&sim->rng) % HUB_COUNT), &d->x, &d->y);
		d->x += rnd_range(&sim->rng, -r, r);
		d->y += rnd_range(&sim->rng, -r, r);
	}
	if (d->device_class == SIM_RADIO_SPOOFER) {
		/* Home, where the phone stays; the GPS it reports rides away
		 * from it at a plausible pace. */
		d->home_x = d->x;
		d->home_y = d->y;
		d->speed_mps = rnd_range(&sim->rng, 4.5, 8.0); /* a bicycle, a scooter */
	}
	if (d->device_class == SIM_HONEST) {
		double role = rnd_unit(&sim->rng);

		if (role < BUS_SHARE) {
			d->bus = (int)(rnd_u64(&sim->rng) % BUS_COUNT);
			d->bus_dx = rnd_range(&sim->rng, -4, 4);
			d->bus_dy = rnd_range(&sim->rng, -4, 4);
		}
		d->hotspot = role >= BUS_SHARE && role < BUS_SHARE + HOTSPOT_SHARE;
	}
}

static void move_device(sim_device_t *d, double seconds, sim_t *sim)
{
	double step = d->speed_mps * seconds;

	while (step > 0) {
		double dx = d->wx - d->x, dy = d->wy - d->y, dist = hypot(dx, dy);

		if (dist <= step) {
			d->x = d->wx;
			d->y = d->wy;
			step -= dist;
			pick_waypoint(sim, d);
		} else {
			d->x += dx / dist * step;
			d->y += dy / dist * step;
			step = 0;
		}
	}
}

/* ---- the min-heap of devices by next scan time ---- */

static bool heap_less(const sim_t *sim, uint32_t a, uint32_t b)
{
	return sim->devices[a].next_ms < sim->devices[b].next_ms;
}

static void heap_sift_down(sim_t *sim, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i, tmp;

		if (l < sim->count && heap_less(sim, sim->heap[l], sim->heap[m]))
			m = l;
		if (r < sim->count && heap_less(sim, sim->heap[r], sim->heap[m]))
			m = r;
		if (m == i)
			return;
		tmp = sim->heap[i];
		sim->heap[i] = sim->heap[m];
		sim->heap[m] = tmp;
		i = m;
	}
}

void sim_options_default(sim_options_t *o)
{
	memset(o, 0, sizeof(*o));
	o->seed = 42;
	o->devices = 2000;
	o->spoofer_share = 0.05;
	o->malformed_share = 0.01;
	o->scan_interval_s = 10.0;
	o->alert_reward = 5.0;
}

qp_err_t sim_new(sim_t **out, const sim_options_t *options)
{
	sim_t *sim;
	uint32_t i;

	*out = NULL;
	if (options->devices == 0 || options->scan_interval_s <= 0)
		return qp_error__set(QP_ERR_INVALID_ARG, "simulator: need devices > 0 and a positive scan interval");
	if (!(sim = calloc(1, sizeof(*sim))))
		return qp_error__code(QP_ERR_NOMEM);
	sim->opt = *options;
	sim->rng = options->seed * 0x9e3779b97f4a7c15ull + 1;
	sim->count = options->devices;
	sim->devices = calloc(sim->count, sizeof(*sim->devices));
	sim->heap = calloc(sim->count, sizeof(*sim->heap));
	if (!sim->devices || !sim->heap) {
		sim_destroy(sim);
		return qp_error__code(QP_ERR_NOMEM);
	}
	for (i = 0; i < sim->count; i++) {
		init_device(sim, &sim->devices[i], i);
		sim->heap[i] = i;
	}
	for (i = sim->count / 2; i-- > 0;)
		heap_sift_down(sim, i);
	*out = sim;
	return QP_OK;
}

void sim_destroy(sim_t *sim)
{
	uint32_t i;

	if (!sim)
		return;
	for (i = 0; sim->devices && i < sim->count; i++)
		free(sim->devices[i].replay);
	free(sim->devices);
	free(sim->heap);
	qp_buf_dispose(&sim->json);
	qp_buf_dispose(&sim->scratch);
	free(sim);
}

/* ---- writing one scan ---- */

static void put_uuid(sim_t *sim, qp_buf_t *b)
{
	uint64_t hi = rnd_u64(&sim->rng), lo = rnd_u64(&sim->rng);

	hi = (hi & ~0xf000ull) | 0x4000ull;                  /* version 4 */
	lo = (lo & ~(3ull << 62)) | (2ull << 62);             /* RFC 4122 variant */
	qp_buf__put_hex(b, hi >> 32, 8);
	qp_buf__putc(b, '-');
	qp_buf__put_hex(b, hi >> 16, 4);
	qp_buf__putc(b, '-');
	qp_buf__put_hex(b, hi, 4);
	qp_buf__putc(b, '-');
	qp_buf__put_hex(b, lo >> 48, 4);
	qp_buf__putc(b, '-');
	qp_buf__put_hex(b, lo, 12);
}

static void put_mac(qp_buf_t *b, uint64_t h)
{
	int shift;

	/* 0x02: a locally administered address, never a real vendor's. */
	qp_buf__puts(b, "\"02");
	for (shift = 8; shift <= 40; shift += 8) {
		qp_buf__putc(b, ':');
		qp_buf__put_hex(b, h >> shift, 2);
	}
	qp_buf__putc(b, '"');
}

static int clamp_rssi(double rssi)
{
	return rssi > -30 ? -30 : rssi < -100 ? -100 : (int)lround(rssi);
}

/* One access point whose MAC derives from h, heard from d metres. */
static void put_ap(sim_t *sim, qp_buf_t *b, uint64_t h, double d, int n)
{
	static const int freqs[] = { 2412, 2437, 2462, 5180, 5240, 5745 };

	qp_buf__puts(b, n ? ",{\"bssid\":" : "{\"bssid\":");
	put_mac(b, h);
	if (h % 7 == 0)
		qp_buf__puts(b, ",\"ssid\":null");
	else {
		qp_buf__puts(b, ",\"ssid\":\"net-");
		qp_buf__put_hex(b, h >> 48, 4);
		qp_buf__putc(b, '"');
	}
	qp_buf__puts(b, ",\"rssi_dbm\":");
	qp_buf__put_i64(b, clamp_rssi(-35 - 25 * log10(d > 1 ? d : 1) + 3 * rnd_normal(&sim->rng)));
	qp_buf__puts(b, ",\"freq_mhz\":");
	qp_buf__put_i64(b, freqs[(h >> 20) % 6]);
	qp_buf__putc(b, '}');
}

/* The street's access points around (x, y), then the ones travelling with
 * the device (its bus's, its own hotspot). */
static void put_wifi(sim_t *sim, qp_buf_t *b, const sim_device_t *dev, double x, double y)
{
	int cx = (int)floor(x / AP_SPACING_M), cy = (int)floor(y / AP_SPACING_M);
	/* Phones report a handful of the strongest access points. */
	int i, j, n = 0, max = 2 + (int)(rnd_u64(&sim->rng) % 4);

	qp_buf__puts(b, ",\"wifi\":[");
	for (i = cx - 2; i <= cx + 2 && n < max; i++) {
		for (j = cy - 2; j <= cy + 2 && n < max; j++) {
			uint64_t h = hash2(i, j);
			double d = hypot(i * AP_SPACING_M + 20 - x, j * AP_SPACING_M + 20 - y);

			if (h % 3 == 0 || d > AP_VISIBLE_M)
				continue;
			put_ap(sim, b, h, d, n++);
		}
	}
	if (dev->bus >= 0)
		put_ap(sim, b, hash2(dev->bus, 0xb05) | 1, 5, n++);
	if (dev->hotspot)
		put_ap(sim, b, hash2(dev->index, 0x4075) | 1, 1, n++);
	qp_buf__putc(b, ']');
}

/* A cell of the simulated LTE network: the object's start, up to its cid. */
static void put_tower(qp_buf_t *b, const tower_t *t, const char *open)
{
	qp_buf__puts(b, open);
	qp_buf__puts(b, "\"radio\":\"lte\",\"mcc\":208,\"mnc\":1,\"area\":");
	qp_buf__put_i64(b, tower_area(t));
	qp_buf__puts(b, ",\"cid\":");
	qp_buf__put_i64(b, tower_cid(t));
}

static void put_cell(sim_t *sim, qp_buf_t *b, const tower_t *serving)
{
	tower_t neighbour = tower_at(serving->ix + (serving->ix + 1 < TOWER_GRID ? 1 : -1),
	                             serving->iy);

	qp_buf__puts(b, ",\"cell\":[");
	put_tower(b, serving, "{");
	qp_buf__puts(b, ",\"dbm\":");
	qp_buf__put_i64(b, (int)rnd_range(&sim->rng, -105, -70));
	qp_buf__puts(b, ",\"serving\":true}");
	put_tower(b, &neighbour, ",{");
	qp_buf__puts(b, ",\"dbm\":null,\"serving\":false}]");
}

/* The beacon of the BLE_SPACING_M cell around (x, y), at its centre, if it
 * is within BLE_VISIBLE_M: beacons are heard a few tens of metres away. */
static void put_ble(sim_t *sim, qp_buf_t *b, double x, double y)
{
	int64_t cx = (int64_t)floor(x / BLE_SPACING_M), cy = (int64_t)floor(y / BLE_SPACING_M);
	double d = hypot((cx + 0.5) * BLE_SPACING_M - x, (cy + 0.5) * BLE_SPACING_M - y);

	if (d > BLE_VISIBLE_M)
		return;
	qp_buf__puts(b, ",\"ble\":[{\"addr\":");
	put_mac(b, hash2(cx, cy) ^ 0xb1e);
	qp_buf__puts(b, ",\"rssi_dbm\":");
	qp_buf__put_i64(b, clamp_rssi(-59 - 20 * log10(d > 1 ? d : 1) + 3 * rnd_normal(&sim->rng)));
	qp_buf__puts(b, ",\"tx_power\":-59,\"signal_strength\":null}]");
}

/* Writes the scan of device d at simulated time ts_ms into sim->json. */
static void write_scan(sim_t *sim, sim_device_t *d, int64_t ts_ms)
{
	qp_buf_t *b = &sim->json;
	double lat, lon, sigma = d->accuracy_m / 2;
	double x = d->x + sigma * rnd_normal(&sim->rng), y = d->y + sigma * rnd_normal(&sim->rng);
	tower_t serving = nearest_tower(d->x, d->y);
	double reward = rnd_range(&sim->rng, 0.01, 1.0);
	/* Where the radios are heard: where the phone is, but for a radio
	 * spoofer, whose phone stays home. */
	double rx = x, ry = y, bx = d->x, by = d->y;

	if (d->device_class == SIM_RADIO_SPOOFER) {
		rx = d->home_x + sigma * rnd_normal(&sim->rng);
		ry = d->home_y + sigma * rnd_normal(&sim->rng);
		bx = d->home_x;
		by = d->home_y;
	}

	lat = lat_of(y);
	lon = lon_of(x);
	if (d->device_class == SIM_TELEPORTER) {
		const double *c = far_cities[d->scans % 4];

		lat = c[0] + y / M_PER_DEG;
		lon = c[1] + x / M_PER_DEG;
	} else if (d->device_class == SIM_TOWER_SPOOFER) {
		lat = new_york[0] + (y / 100) / M_PER_DEG;
		lon = new_york[1] + (x / 100) / M_PER_DEG;
	}
	if (d->device_class == SIM_HONEST && rnd_unit(&sim->rng) < 0.02)
		reward = sim->opt.alert_reward + rnd_range(&sim->rng, 0.5, 5);

	qp_buf__truncate(b, 0);
	qp_buf__puts(b, "{\"schema_version\":1,\"scan_id\":\"");
	put_uuid(sim, b);
	qp_buf__puts(b, "\",\"device_id\":\"");
	qp_buf__puts(b, d->id);
	qp_buf__puts(b, "\",\"ts_ms\":");
	qp_buf__put_i64(b, ts_ms);
	qp_buf__puts(b, ",\"gps\":{\"lat\":");
	qp_buf__put_fixed(b, lat, 7);
	qp_buf__puts(b, ",\"lon\":");
	qp_buf__put_fixed(b, lon, 7);
	qp_buf__puts(b, ",\"accuracy_m\":");
	qp_buf__put_fixed(b, d->accuracy_m, 1);
	qp_buf__puts(b, d->scans % 5 ? ",\"altitude_m\":35.0" : ",\"altitude_m\":null");
	qp_buf__puts(b, ",\"speed_mps\":");
	qp_buf__put_fixed(b, d->speed_mps, 1);
	qp_buf__putc(b, '}');
	put_wifi(sim, b, d, rx, ry);
	/* Teleporters and radio spoofers carry no cell, so only the travel
	 * rule, or the radio rule, speaks of them. */
	if (d->device_class != SIM_TELEPORTER && d->device_class != SIM_RADIO_SPOOFER)
		put_cell(sim, b, &serving);
	if (rnd_unit(&sim->rng) < 0.3)
		put_ble(sim, b, bx, by);
	qp_buf__puts(b, ",\"reward\":");
	qp_buf__put_fixed(b, reward, 3);
	qp_buf__puts(b, ",\"app_version\":\"2.4.");
	qp_buf__put_i64(b, (int64_t)(hash2(d->index, 1) % 3));
	qp_buf__puts(b, hash2(d->index, 2) % 3 ? "\",\"platform\":\"android\"" : "\",\"platform\":\"ios\"");
	/* A field this schema does not know, as a newer app would send. */
	if (rnd_unit(&sim->rng) < 0.1) {
		qp_buf__puts(b, ",\"battery_pct\":");
		qp_buf__put_i64(b, (int)rnd_range(&sim->rng, 5, 100));
	}
	qp_buf__putc(b, '}');
}

/* Replaces sim->json by a broken copy of itself; a different defect each time. */
static void break_scan(sim_t *sim)
{
	qp_buf_t *b = &sim->json, *s = &sim->scratch;
	char *p;

	qp_buf__truncate(s, 0);
	switch (rnd_u64(&sim->rng) % 5) {
	case 0: /* truncated in transit */
		qp_buf__truncate(b, b->size / 2);
		return;
	case 1: /* latitude out of range: 48.85 becomes 948.85 */
		if ((p = strstr(b->ptr, "\"lat\":"))) {
			size_t at = (size_t)(p - b->ptr) + 6;

			qp_buf__put(s, b->ptr, at);
			qp_buf__putc(s, '9');
			qp_buf__put(s, b->ptr + at, b->size - at);
			qp_buf__truncate(b, 0);
			qp_buf__put(b, s->ptr, s->size);
		}
		return;
	case 2: /* not JSON at all */
		qp_buf__truncate(b, 0);
		qp_buf__puts(b, "<html>502 Bad Gateway</html>");
		return;
	case 3: /* invalid UTF-8 inside a string */
		if ((p = strstr(b->ptr, "dev-")))
			p[1] = (char)0xff;
		return;
	default: /* the device id twice: readers could disagree */
		qp_buf__put(s, b->ptr, b->size - 1);
		qp_buf__puts(s, ",\"device_id\":\"someone-else\"}");
		qp_buf__truncate(b, 0);
		qp_buf__put(b, s->ptr, s->size);
		return;
	}
}

qp_err_t sim_next(sim_t *sim, sim_submission_t *out)
{
	uint32_t index = sim->heap[0];
	sim_device_t *d = &sim->devices[index];
	int64_t now = d->next_ms;
	double interval = sim->opt.scan_interval_s * rnd_range(&sim->rng, 0.7, 1.3);
	int64_t ts_ms = now;

	memset(out, 0, sizeof(*out));
	if (d->bus >= 0) {
		bus_at(d->bus, now, &d->x, &d->y);
		d->x += d->bus_dx;
		d->y += d->bus_dy;
	}
	if (d->device_class == SIM_TIME_TRAVELER)
		ts_ms = now + TIME_TRAVEL_MS;
	if (d->device_class == SIM_REPLAYER && d->replay) {
		/* The same scan again: same position, radios and readings, under
		 * a fresh scan_id (an exact copy would be dropped as a duplicate
		 * delivery, not recognised as fraud). */
		qp_buf_t *id = &sim->scratch;

		qp_buf__truncate(&sim->json, 0);
		qp_buf__put(&sim->json, d->replay, d->replay_len);
		qp_buf__truncate(id, 0);
		put_uuid(sim, id);
		memcpy(sim->json.ptr + SCAN_ID_AT, id->ptr, 36);
	} else {
		write_scan(sim, d, ts_ms);
		if (d->device_class == SIM_REPLAYER) {
			if (!(d->replay = malloc(sim->json.size)))
				return qp_error__code(QP_ERR_NOMEM);
			memcpy(d->replay, sim->json.ptr, sim->json.size);
			d->replay_len = sim->json.size;
		}
	}
	out->malformed = rnd_unit(&sim->rng) < sim->opt.malformed_share;
	if (out->malformed)
		break_scan(sim);
	if (!sim->json.ptr)
		return qp_error__code(QP_ERR_NOMEM);
	out->json = sim->json.ptr;
	out->len = sim->json.size;
	out->device_id = d->id;
	out->device_index = index;
	out->device_class = d->device_class;
	out->received_ms = now + (int64_t)rnd_range(&sim->rng, 50, 500);

	d->scans++;
	move_device(d, interval, sim);
	d->next_ms = now + (int64_t)(interval * 1000.0);
	heap_sift_down(sim, 0);
	return QP_OK;
}

qp_err_t sim_write_towers(const sim_t *sim, qp_buf_t *out)
{
	qp_err_t err = QP_OK;
	int ix, iy;

	/* radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal */
	for (ix = 0; ix < TOWER_GRID && !err; ix++) {
		for (iy = 0; iy < TOWER_GRID && !err; iy++) {
			tower_t t = tower_at(ix, iy);

			err = qp_buf__printf(out, "LTE,208,1,%lld,%lld,0,%.6f,%.6f,%d,50,1,1500000000,1700000000,0\n",
			                     (long long)tower_area(&t), (long long)tower_cid(&t),
			                     lon_of(t.x), lat_of(t.y), TOWER_RANGE_M);
		}
	}
	return err;
}

qp_err_t sim_write_truth(const sim_t *sim, qp_buf_t *out)
{
	qp_err_t err = QP_OK;
	uint32_t i;

	for (i = 0; i < sim->count && !err; i++)
		err = qp_buf__printf(out, "%s\t%s\n", sim->devices[i].id,
		                     sim_class_name(sim->devices[i].device_class));
	return err;
}

const char *sim_device_id(const sim_t *sim, uint32_t index)
{
	return index < sim->count ? sim->devices[index].id : NULL;
}

int sim_device_class(const sim_t *sim, const char *device_id)
{
	unsigned index;

	if (sscanf(device_id, "dev-%u", &index) != 1 || index >= sim->count)
		return -1;
	return (int)sim->devices[index].device_class;
}

uint32_t sim_device_count(const sim_t *sim, sim_device_class_t device_class)
{
	uint32_t i, n = 0;

	for (i = 0; i < sim->count; i++)
		n += sim->devices[i].device_class == device_class;
	return n;
}

const char *sim_class_name(sim_device_class_t device_class)
{
	static const char *const names[SIM_CLASS_COUNT] = {
		"honest", "teleporter", "replayer", "tower_spoofer", "time_traveler",
		"radio_spoofer"
	};

	return device_class < SIM_CLASS_COUNT ? names[device_class] : "unknown";
}
