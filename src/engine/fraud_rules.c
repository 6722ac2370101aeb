/*
 * The built-in fraud rules. Each reads the event and the device's record
 * and says whether it flags the event; none writes the record, so that an
 * evaluation a custom rule aborts leaves no trace (qp_fraud__commit applies
 * the changes afterwards). docs/fraud.md explains each rule's defaults.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/conf_int.h"
#include "engine/fraud_int.h"
#include "base/hash64_int.h"

const char *const qp_fraud__builtin_names[QP_FRAUD_BUILTIN_COUNT] = {
	"clock_skew", "duplicate_scan_id", "duplicate_content", "impossible_travel",
	"too_many_locations", "tower_mismatch", "radio_mismatch"
};

/* Seeds that keep the hashes of different kinds of things apart. */
enum {
	SEED_SCAN_ID = 0x5ca1d,
	SEED_WIFI = 0x3a1f1,
	SEED_CELL = 0xce11,
	SEED_BLE = 0xb1e,
	SEED_POSITION = 0x9051
};

/* Device times are kept 32-bit relative to base_ms; past this distance from
 * the base the record is rebased (see commit). */
#define REBASE_AFTER_MS ((int64_t)1 << 30)

/* Timestamps are clamped to +-2^50 ms (35,000 years) before any arithmetic,
 * so that no difference of two of them can overflow. */
#define TIME_LIMIT_MS ((int64_t)1 << 50)

static int64_t clamp_time(int64_t t)
{
	return t < -TIME_LIMIT_MS ? -TIME_LIMIT_MS : t > TIME_LIMIT_MS ? TIME_LIMIT_MS : t;
}

void qp_fraud__read_params(qp_fraud_params_t *p, const qp_conf_t *conf)
{
	char key[128];
	int i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < QP_FRAUD_BUILTIN_COUNT; i++) {
		snprintf(key, sizeof(key), "qp.fraud.%s.enable", qp_fraud__builtin_names[i]);
		p->enabled[i] = qp_conf__bool(conf, key);
		snprintf(key, sizeof(key), "qp.fraud.%s.penalty", qp_fraud__builtin_names[i]);
		p->penalty[i] = qp_conf__double(conf, key);
	}
	p->cluster_precision = (int)qp_conf__int(conf, "qp.fraud.cluster.precision");
	p->skew_future_ms = qp_conf__int(conf, "qp.fraud.clock_skew.future.ms");
	p->skew_past_ms = qp_conf__int(conf, "qp.fraud.clock_skew.past.ms");
	p->dup_id_window_s = qp_conf__int(conf, "qp.fraud.duplicate_scan_id.window.ms") / 1000;
	p->dup_content_window_s = qp_conf__int(conf, "qp.fraud.duplicate_content.window.ms") / 1000;
	p->content_decimals = (int)qp_conf__int(conf, "qp.fraud.duplicate_content.decimals");
	p->content_signals = qp_conf__bool(conf, "qp.fraud.duplicate_content.signals");
	p->content_min_radios = qp_conf__int(conf, "qp.fraud.duplicate_content.min.radios");
	p->travel_max_mps =
		qp_conf__double(conf, "qp.fraud.impossible_travel.max.speed.kmh") / 3.6;
	p->travel_min_distance_m =
		qp_conf__double(conf, "qp.fraud.impossible_travel.min.distance.m");
	p->travel_min_interval_ms = qp_conf__int(conf, "qp.fraud.impossible_travel.min.interval.ms");
	p->locations_window_ms = qp_conf__int(conf, "qp.fraud.too_many_locations.window.ms");
	p->locations_max = qp_conf__int(conf, "qp.fraud.too_many_locations.max.clusters");
	p->locations_radius_m = qp_conf__double(conf, "qp.fraud.too_many_locations.radius.m");
	p->tower_margin_m = qp_conf__double(conf, "qp.fraud.tower_mismatch.margin.m");
	p->radio_range_m[QP_STATION_WIFI] =
		qp_conf__double(conf, "qp.fraud.radio_mismatch.wifi.range.m");
	p->radio_range_m[QP_STATION_BLE] =
		qp_conf__double(conf, "qp.fraud.radio_mismatch.ble.range.m");
	p->radio_min_stations = qp_conf__int(conf, "qp.fraud.radio_mismatch.min.stations");
	p->radiomap_min_devices = qp_conf__int(conf, "qp.fraud.radiomap.min.devices");
	p->radiomap_mobile_span_m = qp_conf__double(conf, "qp.fraud.radiomap.mobile.span.m");
	p->learn = qp_conf__bool(conf, "qp.fraud.radiomap.learn");
	p->learn_min_quality = qp_conf__double(conf, "qp.fraud.radiomap.learn.min.quality");
	p->learn_max_accuracy_m = qp_conf__double(conf, "qp.fraud.radiomap.learn.max.accuracy.m");
	p->learn_max_stations = qp_conf__int(conf, "qp.fraud.radiomap.learn.max.stations");
	p->accuracy_good_m = qp_conf__double(conf, "qp.fraud.score.accuracy.good.m");
	p->accuracy_bad_m = qp_conf__double(conf, "qp.fraud.score.accuracy.bad.m");
	p->accuracy_penalty = qp_conf__double(conf, "qp.fraud.score.accuracy.penalty");
}

double qp_fraud__accuracy_penalty(const qp_fraud_params_t *p, double accuracy_m)
{
	if (accuracy_m <= p->accuracy_good_m)
		return 0.0;
	if (accuracy_m >= p->accuracy_bad_m)
		return p->accuracy_penalty;
	return p->accuracy_penalty * (accuracy_m - p->accuracy_good_m) /
	       (p->accuracy_bad_m - p->accuracy_good_m);
}

/* ---- duplicates ---- */

static uint64_t nonzero(uint64_t h)
{
	return h ? h : 1;
}

/*
 * The content of a scan: its position rounded to `decimals`, and the set of
 * radios it observed (with their signal strengths if content_signals). The
 * set's hash is the sum of its members' hashes: independent of the order the
 * phone listed them in, like hashing the sorted list, without sorting.
 */
static uint64_t content_hash(const qp_fraud_params_t *p, const qp_scan_event_t *ev)
{
	static const double scale[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7 };
	uint64_t set = 0, e;
	size_t i;

	if ((int64_t)(ev->wifi_count + ev->cell_count + ev->ble_count) < p->content_min_radios)
		return 0;
	for (i = 0; i < ev->wifi_count; i++) {
		e = qp_hash64__str(ev->wifi[i].bssid, SEED_WIFI);
		if (p->content_signals)
			e = qp_hash64__mix(e ^ (uint32_t)ev->wifi[i].rssi_dbm);
		set += e;
	}
	for (i = 0; i < ev->cell_count; i++) {
		const qp_cell_t *c = &ev->cell[i];

		e = qp_hash64__mix((uint64_t)c->cid ^ (uint64_t)c->radio << 36 ^
		                   (uint64_t)c->mcc << 40 ^ (uint64_t)c->mnc << 50);
		e = qp_hash64__mix(e ^ (uint64_t)c->area ^ SEED_CELL);
		if (p->content_signals && c->dbm.presence == QP_PRESENT)
			e = qp_hash64__mix(e ^ (uint64_t)c->dbm.value);
		set += e;
	}
	for (i = 0; i < ev->ble_count; i++) {
		e = qp_hash64__str(ev->ble[i].addr, SEED_BLE);
		if (p->content_signals)
			e = qp_hash64__mix(e ^ (uint32_t)ev->ble[i].rssi_dbm);
		set += e;
	}
	e = qp_hash64__mix((uint64_t)llround(ev->gps.lat * scale[p->content_decimals]) ^
	                   SEED_POSITION);
	e = qp_hash64__mix(e ^ (uint64_t)llround(ev->gps.lon * scale[p->content_decimals]));
	return nonzero(qp_hash64__mix(e ^ set));
}

static bool recent(uint32_t seen_s, uint32_t now_s, int64_t window_s)
{
	int64_t age = (int64_t)now_s - (int64_t)seen_s;

	return age <= window_s && age >= -window_s;
}

static bool duplicate_scan_id(const qp_fraud_params_t *p, const qp_fraud_device_t *dev,
                              const qp_fraud_findings_t *fi)
{
	int i;

	for (i = 0; i < dev->scan_count; i++)
		if (dev->scan_id[i] == fi->scan_id &&
		    recent(dev->scan_seen_s[i], fi->received_s, p->dup_id_window_s))
			return true;
	return false;
}

static bool duplicate_content(const qp_fraud_params_t *p, const qp_fraud_device_t *dev,
                              const qp_fraud_findings_t *fi)
{
	int i;

	if (!fi->content)
		return false;
	/* The same scan_id again is duplicate_scan_id's business, not this. */
	for (i = 0; i < dev->scan_count; i++)
		if (dev->scan_content[i] == fi->content && dev->scan_id[i] != fi->scan_id &&
		    recent(dev->scan_seen_s[i], fi->received_s, p->dup_content_window_s))
			return true;
	return false;
}

/* ---- impossible travel ---- */

typedef struct fix {
	int64_t t;
	double lat, lon, acc;
} fix_t;

static fix_t stored_fix(const qp_fraud_device_t *dev, int i)
{
	fix_t f = { dev->base_ms + dev->fix_t[i], qp_geo__from_e7(dev->fix_lat[i]),
	            qp_geo__from_e7(dev->fix_lon[i]), dev->fix_acc[i] };

	return f;
}

/*
 * Whether going from a to b needs more than the speed limit. The fixes'
 * accuracies come off the distance first, so two fixes whose circles
 * overlap are never too far apart; a jump must also exceed min.distance,
 * because single fixes kilometres off (a network fix with an optimistic
 * accuracy) occur in real tracks. Equal or close timestamps count as
 * min.interval apart, and the order of a and b does not matter.
 */
static bool too_fast(const qp_fraud_params_t *p, const fix_t *a, const fix_t *b)
{
	double excess = qp_geo__distance_m(a->lat, a->lon, b->lat, b->lon) - a->acc - b->acc;
	int64_t dt = a->t > b->t ? a->t - b->t : b->t - a->t;

	if (excess <= p->travel_min_distance_m)
		return false;
	if (dt < p->travel_min_interval_ms)
		dt = p->travel_min_interval_ms;
	return excess > p->travel_max_mps * ((double)dt / 1000.0);
}

/* Ring position i, 0 for the most recently written fix. */
static int age_of(const qp_fraud_device_t *dev, int i)
{
	return (dev->fix_next - 1 - i + 2 * QP_FRAUD_FIXES) % QP_FRAUD_FIXES;
}

/* The latest fix at or before t (ties: the most recently written), skipping
 * `except`; suspect fixes only if with_suspect. -1 if none. */
static int latest_before(const qp_fraud_device_t *dev, int64_t t, int except,
                         bool with_suspect)
{
	int best = -1, i;
	int64_t best_t = 0;

	for (i = 0; i < dev->fix_count; i++) {
		int64_t ti = dev->base_ms + dev->fix_t[i];

		if (i == except || ti > t || (!with_suspect && (dev->suspect >> i & 1)))
			continue;
		if (best < 0 || ti > best_t || (ti == best_t && age_of(dev, i) < age_of(dev, best))) {
			best = i;
			best_t = ti;
		}
	}
	return best;
}

/*
 * Checks the fix against its neighbours in device time: the latest fix at
 * or before it and, for an event arriving out of order, the earliest fix
 * after it. A fix that was flagged is kept as "suspect". If the next fix is
 * impossible from a suspect but fine from the trusted fix just before it,
 * the suspect was a lone outlier and the device is back: the return is not
 * flagged (a run of several suspects gets no such benefit). If the next fix
 * is consistent with the suspect, the device really is there now and the
 * suspect is confirmed: only the jump itself was flagged.
 */
static bool impossible_travel(const qp_fraud_params_t *p, const qp_fraud_device_t *dev,
                              const fix_t *now, qp_fraud_findings_t *fi)
{
	int pred = latest_before(dev, now->t, -1, true), succ = -1, i;
	bool flag = false;
	int64_t succ_t = 0;

	if (pred >= 0) {
		fix_t before = stored_fix(dev, pred);

		if (too_fast(p, &before, now)) {
			int prior = (dev->suspect >> pred & 1)
			                    ? latest_before(dev, before.t, pred, true) : -1;

			flag = true;
			if (prior >= 0 && !(dev->suspect >> prior & 1)) {
				fix_t trusted = stored_fix(dev, prior);

				flag = too_fast(p, &trusted, now);
			}
		} else if (dev->suspect >> pred & 1) {
			fi->confirm_fix = pred;
		}
	}
	for (i = 0; i < dev->fix_count; i++) {
		int64_t ti = dev->base_ms + dev->fix_t[i];

		if (ti > now->t && (succ < 0 || ti < succ_t)) {
			succ = i;
			succ_t = ti;
		}
	}
	if (succ >= 0) {
		fix_t after = stored_fix(dev, succ);

		flag = flag || too_fast(p, now, &after);
	}
	return flag;
}

/* ---- too many locations ---- */

/*
 * Clusters are anchored at the first fix that was farther than radius (plus
 * its accuracy) from every cluster the device had; a fix joins the nearest
 * cluster within reach. The rule counts the clusters visited within the
 * window, this fix's included.
 */
static bool too_many_locations(const qp_fraud_params_t *p, const qp_fraud_device_t *dev,
                               const fix_t *now, qp_fraud_findings_t *fi)
{
	double best_d = 0;
	int best = -1, i, distinct = 1;

	for (i = 0; i < dev->cluster_count; i++) {
		double d = qp_geo__distance_m(now->lat, now->lon,
		                              qp_geo__from_e7(dev->cluster_lat[i]),
		                              qp_geo__from_e7(dev->cluster_lon[i]));

		if (d <= p->locations_radius_m + now->acc && (best < 0 || d < best_d)) {
			best = i;
			best_d = d;
		}
	}
	for (i = 0; i < dev->cluster_count; i++) {
		int64_t age = now->t - (dev->base_ms + dev->cluster_t[i]);

		if (i != best && age <= p->locations_window_ms && age >= -p->locations_window_ms)
			distinct++;
	}
	fi->cluster_join = best;
	return distinct > p->locations_max;
}

/* ---- tower mismatch ---- */

static bool tower_mismatch(const qp_fraud_params_t *p, const qp_towers_t *towers,
                           const qp_scan_event_t *ev, qp_fraud_findings_t *fi)
{
	bool flag = false;
	size_t i;

	for (i = 0; i < ev->cell_count; i++) {
		const qp_cell_t *c = &ev->cell[i];
		const qp_tower_t *t;
		double d;

		if (!c->serving)
			continue;
		if (!(t = qp_towers__find(towers, c->radio, c->mcc, c->mnc, c->area, c->cid))) {
			fi->unknown_towers++;
			continue;
		}
		d = qp_geo__distance_m(ev->gps.lat, ev->gps.lon, qp_geo__from_e7(t->lat_e7),
		                       qp_geo__from_e7(t->lon_e7));
		if (d - ev->gps.accuracy_m > (double)t->range_m + p->tower_margin_m)
			flag = true;
	}
	return flag;
}

/* ---- radio mismatch ---- */

/* The map keys of the event's first QP_FRAUD_RADIOS radios; radios whose
 * address is not a MAC are left out. */
static void radio_keys(const qp_scan_event_t *ev, qp_fraud_findings_t *fi)
{
	size_t i;

	for (i = 0; i < ev->wifi_count && fi->radio_count < QP_FRAUD_RADIOS; i++)
		fi->radio_count += qp_radiomap__key(ev->wifi[i].bssid, QP_STATION_WIFI,
		                                    &fi->radio_key[fi->radio_count]);
	for (i = 0; i < ev->ble_count && fi->radio_count < QP_FRAUD_RADIOS; i++)
		fi->radio_count += qp_radiomap__key(ev->ble[i].addr, QP_STATION_BLE,
		                                    &fi->radio_key[fi->radio_count]);
}

/* The largest number of the far stations that stand together: within
 * reach of one of them (reaches added), so that they could all be heard
 * from one place. */
static int64_t largest_group(const double *lat, const double *lon, const double *reach, int n)
{
	int64_t best = 0;
	int i, j;

	for (i = 0; i < n; i++) {
		int64_t together = 0;

		for (j = 0; j < n; j++)
			together += qp_geo__distance_m(lat[i], lon[i], lat[j], lon[j]) <=
			            reach[i] + reach[j];
		best = together > best ? together : best;
	}
	return best;
}

/*
 * A known, fixed station agrees with the fix when the fix is within the
 * radio's reach of it, the reach widened by the station's spread (where it
 * was seen from) and the fix's own accuracy. The event is flagged when at
 * least min.stations known stations disagree, stand together (one place
 * could hear them all: the phone's real whereabouts) and outnumber those
 * that agree. Stations learned wrong (a bus's WiFi seen only near its
 * depot) are scattered and outvoted by the street's access points, so
 * they do not flag an honest phone.
 */
static bool radio_mismatch(const qp_fraud_params_t *p, const qp_radiomap_t *radios,
                           const qp_scan_event_t *ev, const qp_fraud_findings_t *fi)
{
	double far_lat[QP_FRAUD_RADIOS], far_lon[QP_FRAUD_RADIOS], far_reach[QP_FRAUD_RADIOS];
	int64_t near = 0;
	int far = 0;
	uint32_t i;

	for (i = 0; i < fi->radio_count; i++) {
		const qp_station_t *s = qp_radiomap__find(radios, fi->radio_key[i]);
		double lat, lon, reach;

		if (!s || (s->word & QP_STATION_MOBILE))
			continue;
		lat = qp_geo__from_e7(s->lat_e7);
		lon = qp_geo__from_e7(s->lon_e7);
		reach = p->radio_range_m[s->word >> 48 & 1] + qp_station__spread_m(s);
		if (qp_geo__distance_m(ev->gps.lat, ev->gps.lon, lat, lon) <=
		    reach + ev->gps.accuracy_m) {
			near++;
			continue;
		}
		far_lat[far] = lat;
		far_lon[far] = lon;
		far_reach[far++] = reach;
	}
	if (far < p->radio_min_stations || far <= near)
		return false;
	far = (int)largest_group(far_lat, far_lon, far_reach, far);
	return far >= p->radio_min_stations && far > near;
}

/* ---- running and committing ---- */

void qp_fraud__prepare(const qp_fraud_params_t *p, const qp_radiomap_t *radios,
                       const qp_scan_event_t *ev, int64_t received_ms, qp_fraud_findings_t *fi)
{
	uint32_t i;

	memset(fi, 0, sizeof(*fi));
	/* The radios first: their map slots load while the rest is hashed.
	 * Without a map (and no learning) there is nothing to look up. */
	if (radios->count || p->learn) {
		radio_keys(ev, fi);
		for (i = 0; i < fi->radio_count; i++)
			qp_radiomap__prefetch(radios, fi->radio_key[i]);
	}
	fi->ts_ms = clamp_time(ev->ts_ms);
	fi->received_ms = clamp_time(received_ms);
	fi->lat_e7 = qp_geo__to_e7(ev->gps.lat);
	fi->lon_e7 = qp_geo__to_e7(ev->gps.lon);
	fi->acc_m = ev->gps.accuracy_m >= 65535.0 ? 65535 : (uint16_t)ceil(ev->gps.accuracy_m);
	fi->scan_id = nonzero(qp_hash64__str(ev->scan_id, SEED_SCAN_ID));
	fi->content = content_hash(p, ev);
	fi->received_s = received_ms <= 0 ? 0
	                 : received_ms / 1000 >= UINT32_MAX ? UINT32_MAX
	                                                    : (uint32_t)(received_ms / 1000);
	fi->confirm_fix = -1;
	fi->cluster_join = -1;
}

void qp_fraud__judge(const qp_fraud_params_t *p, const qp_towers_t *towers,
                     const qp_radiomap_t *radios, const qp_fraud_device_t *dev,
                     const qp_scan_event_t *ev, qp_fraud_findings_t *fi)
{
	int64_t ts = fi->ts_ms, skew = ts - fi->received_ms;
	fix_t now = { ts, ev->gps.lat, ev->gps.lon, ev->gps.accuracy_m };
	bool *flag = fi->flagged;

	/* An event far older than the record's base is too old to compare with
	 * it, or to keep: its fix is left out. */
	fi->keep_fix = !dev || (!dev->fix_count && !dev->cluster_count) ||
	               ts - dev->base_ms >= -REBASE_AFTER_MS;

	flag[QP_FRAUD_CLOCK_SKEW] = p->enabled[QP_FRAUD_CLOCK_SKEW] &&
	                            (skew > p->skew_future_ms || -skew > p->skew_past_ms);
	if (dev) {
		flag[QP_FRAUD_DUPLICATE_SCAN_ID] = p->enabled[QP_FRAUD_DUPLICATE_SCAN_ID] &&
		                                   duplicate_scan_id(p, dev, fi);
		flag[QP_FRAUD_DUPLICATE_CONTENT] = p->enabled[QP_FRAUD_DUPLICATE_CONTENT] &&
		                                   duplicate_content(p, dev, fi);
	}
	if (dev && fi->keep_fix) {
		/* The state is kept up whether a rule is enabled or not; only the
		 * flag depends on it. */
		bool travel = impossible_travel(p, dev, &now, fi);
		bool places = too_many_locations(p, dev, &now, fi);

		flag[QP_FRAUD_IMPOSSIBLE_TRAVEL] = p->enabled[QP_FRAUD_IMPOSSIBLE_TRAVEL] && travel;
		flag[QP_FRAUD_TOO_MANY_LOCATIONS] =
			p->enabled[QP_FRAUD_TOO_MANY_LOCATIONS] && places;
	}
	flag[QP_FRAUD_TOWER_MISMATCH] = p->enabled[QP_FRAUD_TOWER_MISMATCH] &&
	                                tower_mismatch(p, towers, ev, fi);
	flag[QP_FRAUD_RADIO_MISMATCH] = p->enabled[QP_FRAUD_RADIO_MISMATCH] &&
	                                radio_mismatch(p, radios, ev, fi);
}

static int32_t clamp_rel(int64_t rel)
{
	/* Clamping only makes a very old entry look less old: it stays more
	 * than 24 days away from any new fix, which no rule can flag against. */
	return rel < INT32_MIN ? INT32_MIN : rel > INT32_MAX ? INT32_MAX : (int32_t)rel;
}

/* Moves the record's base to ts, keeping its entries' absolute times. */
static void rebase(qp_fraud_device_t *dev, int64_t ts)
{
	int64_t shift = dev->base_ms - ts;
	int i;

	for (i = 0; i < dev->fix_count; i++)
		dev->fix_t[i] = clamp_rel(dev->fix_t[i] + shift);
	for (i = 0; i < dev->cluster_count; i++)
		dev->cluster_t[i] = clamp_rel(dev->cluster_t[i] + shift);
	dev->base_ms = ts;
}

void qp_fraud__commit(qp_fraud_device_t *dev, const qp_fraud_findings_t *fi)
{
	int slot, i;

	if (fi->keep_fix) {
		int32_t rel;

		if (!dev->fix_count && !dev->cluster_count)
			dev->base_ms = fi->ts_ms;
		else if (fi->ts_ms - dev->base_ms > REBASE_AFTER_MS)
			rebase(dev, fi->ts_ms);
		rel = (int32_t)(fi->ts_ms - dev->base_ms);
		if (fi->confirm_fix >= 0)
			dev->suspect &= (uint8_t)~(1u << fi->confirm_fix);
		slot = dev->fix_next;
		dev->fix_t[slot] = rel;
		dev->fix_lat[slot] = fi->lat_e7;
		dev->fix_lon[slot] = fi->lon_e7;
		dev->fix_acc[slot] = fi->acc_m;
		if (fi->flagged[QP_FRAUD_IMPOSSIBLE_TRAVEL])
			dev->suspect |= (uint8_t)(1u << slot);
		else
			dev->suspect &= (uint8_t)~(1u << slot);
		dev->fix_next = (uint8_t)((slot + 1) % QP_FRAUD_FIXES);
		if (dev->fix_count < QP_FRAUD_FIXES)
			dev->fix_count++;

		if (fi->cluster_join >= 0) {
			slot = fi->cluster_join;
			if (rel > dev->cluster_t[slot])
				dev->cluster_t[slot] = rel;
		} else {
			/* A new cluster replaces the one visited longest ago. */
			if (dev->cluster_count < QP_FRAUD_CLUSTERS) {
				slot = dev->cluster_count++;
			} else {
				for (slot = 0, i = 1; i < QP_FRAUD_CLUSTERS; i++)
					if (dev->cluster_t[i] < dev->cluster_t[slot])
						slot = i;
			}
			dev->cluster_lat[slot] = fi->lat_e7;
			dev->cluster_lon[slot] = fi->lon_e7;
			dev->cluster_t[slot] = rel;
		}
	}
	slot = dev->scan_next;
	dev->scan_id[slot] = fi->scan_id;
	dev->scan_content[slot] = fi->content;
	dev->scan_seen_s[slot] = fi->received_s;
	dev->scan_next = (uint8_t)((slot + 1) % QP_FRAUD_SCANS);
	if (dev->scan_count < QP_FRAUD_SCANS)
		dev->scan_count++;
}
