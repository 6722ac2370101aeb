/*
 * The fraud engine: configuration, the evaluation of one event (built-in
 * rules, then custom rules, then the state update), the verdict handed to
 * custom rules, and the counters.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array_int.h"
#include "base/conf_int.h"
#include "engine/fraud_int.h"
#include "engine/fraud_snapshot_int.h"
#include "base/hash64_int.h"
#include "quackpipe/version.h"

#define SEED_DEVICE 0xde71ce

struct qp_fraud_verdict {
	const char *flags[QP_EVENT_MAX_FLAGS];
	size_t count;
	double score; /* unclamped; reported clamped to [0, 1] */
	int64_t received_ms;
	double reward;                   /* of the event judged */
	const qp_fraud_params_t *params; /* the engine's, for the alert decision */
	char names[QP_EVENT_MAX_FLAGS][QP_FRAUD_NAME_MAX + 1];
};

typedef struct custom_rule {
	char name[QP_FRAUD_NAME_MAX + 1];
	qp_fraud_rule_cb *cb;
	void *opaque;
	uint64_t count;
	bool hit; /* flagged the event being evaluated */
} custom_rule_t;

struct qp_fraud {
	qp_conf_t *conf; /* our copy: the log callback */
	qp_fraud_params_t p;
	qp_fraud_state_t state;
	qp_towers_t towers;
	qp_radiomap_t radios;
	qp_radiomap_learner_t learner;
	custom_rule_t *rules;
	size_t rule_count, rule_alloc;
	bool in_rule;
	uint64_t builtin_count[QP_FRAUD_BUILTIN_COUNT];
	uint64_t evaluated, warmed, flagged, unknown_towers;
	qp_fraud_verdict_t verdict;
	bool verdict_valid; /* verdict is the last evaluate's, complete */
	qp_enrichment_t result;
	char cluster[QP_GEO_GEOHASH_MAX + 1];
	char enriched_by[48];
	/* the device of the last evaluate or warm, for qp_fraud__snapshot_last */
	uint64_t last_key; /* 0: none */
	bool last_known;   /* it had a state before that event */
};

qp_err_t qp_fraud_new(qp_fraud_t **out, qp_conf_t *conf)
{
	qp_fraud_t *f;
	qp_err_t err;

	if (!out) {
		qp_conf_destroy(conf); /* taken, as on every failure */
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_fraud_new: out is NULL");
	}
	*out = NULL;
	if (!(f = calloc(1, sizeof(*f)))) {
		qp_conf_destroy(conf);
		return qp_error__code(QP_ERR_NOMEM);
	}
	f->conf = conf;
	if (!conf && (err = qp_conf_new(&f->conf)))
		goto fail;
	qp_fraud__read_params(&f->p, f->conf);
	{
		qp_radiomap_bounds_t bounds = {
			f->p.radiomap_min_devices, f->p.radiomap_mobile_span_m,
			{ f->p.radio_range_m[QP_STATION_WIFI], f->p.radio_range_m[QP_STATION_BLE] }
		};

		qp_radiomap__learner_init(&f->learner, (size_t)f->p.learn_max_stations, &bounds);
	}
	if ((err = qp_fraud_state__init(&f->state,
	                                (uint64_t)qp_conf__int(f->conf, "qp.fraud.state.max.bytes"))))
		goto fail;
	snprintf(f->enriched_by, sizeof(f->enriched_by), "quackpipe-fraud/%s", qp_version_str());
	*out = f;
	return QP_OK;
fail:
	qp_conf_destroy(f->conf);
	free(f);
	return err;
}

void qp_fraud_destroy(qp_fraud_t *f)
{
	if (!f)
		return;
	qp_fraud_state__dispose(&f->state);
	qp_towers__dispose(&f->towers);
	qp_radiomap__dispose(&f->radios);
	qp_radiomap__learner_dispose(&f->learner);
	free(f->rules);
	qp_conf_destroy(f->conf);
	free(f);
}

qp_err_t qp_fraud_load_towers(qp_fraud_t *f, const char *path)
{
	qp_towers_policy_t policy;
	qp_err_t err;

	if (!f || !path)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_fraud_load_towers: NULL argument");
	policy.strict = qp_conf__bool(f->conf, "qp.fraud.towers.strict");
	policy.skip_max_ratio = qp_conf__double(f->conf, "qp.fraud.towers.skip.max.ratio");
	policy.accept_incomplete = qp_conf__bool(f->conf, "qp.fraud.towers.accept.incomplete");
	err = qp_towers__load(&f->towers, path, &policy, f->conf);
	if (!err)
		qp_log__(f->conf, QP_LOG_INFO, "fraud", "%s: %zu towers in the table", path,
		         f->towers.count);
	return err;
}

qp_err_t qp_fraud_load_radiomap(qp_fraud_t *f, const char *path)
{
	qp_radiomap_t fresh = { 0 };
	qp_err_t err;

	if (!f || !path)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_fraud_load_radiomap: NULL argument");
	if (f->in_rule)
		return qp_error__set(QP_ERR_STATE, "qp_fraud_load_radiomap: called from inside a fraud rule");
	/* Built aside and swapped in whole: a failed reload keeps the old map. */
	if ((err = qp_radiomap__load(&fresh, path, f->p.radiomap_min_devices, f->conf))) {
		qp_radiomap__dispose(&fresh);
		return err;
	}
	qp_radiomap__dispose(&f->radios);
	f->radios = fresh;
	qp_log__(f->conf, QP_LOG_INFO, "fraud", "%s: %zu radio stations in the map (%zu mobile, "
	         "%llu bad lines)", path, fresh.count, fresh.mobile,
	         (unsigned long long)fresh.bad_lines);
	return QP_OK;
}

qp_err_t qp_fraud_radiomap_export(const qp_fraud_t *f, qp_buf_t *out)
{
	if (!f || !out)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_fraud_radiomap_export: NULL argument");
	return qp_radiomap__export(&f->learner, out, NULL, NULL);
}

/* Whether the event's fix is far from where the learner already places
 * its stations, as radio_mismatch would judge it against the learned map:
 * such an event is not learned from, so that a spoofer riding away from
 * home (before any map exists to flag it) cannot drag its home's stations
 * along its fake path. */
static bool contradicts_learned(const qp_fraud_t *f, const qp_scan_event_t *ev,
                                const qp_fraud_findings_t *fi)
{
	int64_t near = 0, far = 0;
	uint32_t i;

	for (i = 0; i < fi->radio_count; i++) {
		double lat, lon, spread, reach;

		if (!qp_radiomap__learned(&f->learner, fi->radio_key[i], &lat, &lon, &spread))
			continue;
		reach = f->p.radio_range_m[fi->radio_key[i] >> 48 & 1] + spread + ev->gps.accuracy_m;
		if (qp_geo__distance_m(ev->gps.lat, ev->gps.lon, lat, lon) > reach)
			far++;
		else
			near++;
	}
	return far >= f->p.radio_min_stations && far > near;
}

/* Feeds the radios of a trusted event to the learner: nothing flagged it,
 * its score is good, its fix precise, its device was seen before (the
 * first event of a device is one no rule could compare with anything: a
 * spoofer's first fake fix would pass) and it agrees with what was learned
 * so far. Learning is a side line of the evaluation: an observation memory
 * cannot take is dropped and counted. */
static void learn(qp_fraud_t *f, const qp_scan_event_t *ev, const qp_fraud_findings_t *fi,
                  uint64_t device_key)
{
	uint32_t i, tag = (uint32_t)(device_key ^ device_key >> 32);

	if (f->verdict.count || f->verdict.score < f->p.learn_min_quality ||
	    ev->gps.accuracy_m > f->p.learn_max_accuracy_m || contradicts_learned(f, ev, fi))
		return;
	for (i = 0; i < fi->radio_count; i++)
		if (qp_radiomap__learn(&f->learner, fi->radio_key[i], ev->gps.lat, ev->gps.lon,
		                       ev->gps.accuracy_m, tag))
			f->learner.dropped++;
}

/* ---- verdict ---- */

static qp_err_t check_name(const char *what, const char *name)
{
	size_t len;

	if (!name || !(len = strlen(name)))
		return qp_error__set(QP_ERR_INVALID_ARG, "%s: the name is empty", what);
	if (len > QP_FRAUD_NAME_MAX)
		return qp_error__set(QP_ERR_INVALID_ARG, "%s: \"%.20s...\" is longer than %d bytes",
		                     what, name, QP_FRAUD_NAME_MAX);
	return QP_OK;
}

/* Adds a flag whose name outlives the evaluation (a built-in's). */
static void add_static_flag(qp_fraud_verdict_t *v, const char *flag, double penalty)
{
	v->flags[v->count++] = flag;
	v->score -= penalty;
}

qp_err_t qp_fraud_verdict_add_flag(qp_fraud_verdict_t *v, const char *flag, double penalty)
{
	qp_err_t err;
	size_t i;

	if (!v)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_fraud_verdict_add_flag: verdict is NULL");
	if ((err = check_name("qp_fraud_verdict_add_flag", flag)))
		return err;
	if (!(penalty >= 0.0 && penalty <= 1.0))
		return qp_error__set(QP_ERR_INVALID_ARG,
		                     "qp_fraud_verdict_add_flag: penalty %g is outside [0, 1]", penalty);
	for (i = 0; i < v->count; i++)
		if (!strcmp(v->flags[i], flag))
			return QP_OK;
	if (v->count == QP_EVENT_MAX_FLAGS)
		return qp_error__set(QP_ERR_TOO_LARGE, "qp_fraud_verdict_add_flag: more than %d flags",
		                     QP_EVENT_MAX_FLAGS);
	strcpy(v->names[v->count], flag);
	v->flags[v->count] = v->names[v->count];
	v->count++;
	v->score -= penalty;
	return QP_OK;
}

static double clamp01(double x)
{
	return x < 0.0 ? 0.0 : x > 1.0 ? 1.0 : x;
}

double qp_fraud_verdict_score(const qp_fraud_verdict_t *v)
{
	return v ? clamp01(v->score) : 0.0;
}

size_t qp_fraud_verdict_flag_count(const qp_fraud_verdict_t *v)
{
	return v ? v->count : 0;
}

const char *qp_fraud_verdict_flag_at(const qp_fraud_verdict_t *v, size_t i)
{
	return v && i < v->count ? v->flags[i] : NULL;
}

int64_t qp_fraud_verdict_received_ms(const qp_fraud_verdict_t *v)
{
	return v ? v->received_ms : 0;
}

bool qp_fraud_verdict_alert(const qp_fraud_verdict_t *v)
{
	size_t i, j;

	if (!v || !v->params || v->reward < v->params->alert_reward_min)
		return false;
	for (i = 0; i < v->count; i++)
		for (j = 0; j < v->params->alert_blocking_count; j++)
			if (!strcmp(v->flags[i], v->params->alert_blocking[j]))
				return false;
	return true;
}

const qp_fraud_verdict_t *qp_fraud_last_verdict(const qp_fraud_t *f)
{
	return f && f->verdict_valid ? &f->verdict : NULL;
}

/* ---- evaluation ---- */

static qp_err_t check_event(const char *what, const qp_fraud_t *f, const qp_scan_event_t *ev)
{
	if (!f || !ev)
		return qp_error__set(QP_ERR_INVALID_ARG, "%s: NULL argument", what);
	if (!ev->device_id)
		return qp_error__set(QP_ERR_INVALID_ARG, "%s: the event has no device_id", what);
	/* The decoder guarantees these; checked again because the rules turn
	 * them into integers, where a NaN would be undefined behaviour. */
	if (!(ev->gps.lat >= -90.0 && ev->gps.lat <= 90.0) ||
	    !(ev->gps.lon >= -180.0 && ev->gps.lon <= 180.0) || !(ev->gps.accuracy_m >= 0.0))
		return qp_error__set(QP_ERR_INVALID_ARG, "%s: gps (%g, %g, accuracy %g) is invalid",
		                     what, ev->gps.lat, ev->gps.lon, ev->gps.accuracy_m);
	if ((ev->wifi_count && !ev->wifi) || (ev->cell_count && !ev->cell) ||
	    (ev->ble_count && !ev->ble))
		return qp_error__set(QP_ERR_INVALID_ARG, "%s: radio array missing", what);
	if (f->in_rule)
		return qp_error__set(QP_ERR_STATE, "%s: called from inside a fraud rule", what);
	return QP_OK;
}

/* Writes the findings into the device's record, creating it if needed. */
static qp_err_t commit(qp_fraud_t *f, uint64_t key, uint32_t rec, int32_t partition,
                       const qp_fraud_findings_t *fi)
{
	qp_fraud_device_t *dev;
	qp_err_t err;

	if (rec == QP_FRAUD_NONE) {
		if ((err = qp_fraud_state__insert(&f->state, key, partition, &rec)))
			return err;
		dev = qp_fraud_state__at(&f->state, rec);
	} else {
		dev = qp_fraud_state__at(&f->state, rec);
		/* A device moves partition only when the topic is repartitioned. */
		dev->partition = partition;
		qp_fraud_state__touch(&f->state, rec);
	}
	qp_fraud__commit(dev, fi);
	return QP_OK;
}

static uint64_t device_key(const qp_scan_event_t *ev)
{
	uint64_t key = qp_hash64__str(ev->device_id, SEED_DEVICE);

	return key ? key : 1; /* 0 marks a free record */
}

/*
 * Finds the device and runs the built-in rules. The order hides memory
 * latency: the device's index slot and the serving cell's tower slot are
 * requested first, the event is hashed while they arrive, and the record's
 * lines are requested together as soon as its number is known.
 */
static uint32_t look_up(qp_fraud_t *f, const qp_scan_event_t *ev, int64_t received_ms,
                        uint64_t *key, qp_fraud_findings_t *fi)
{
	uint32_t rec;
	size_t i;

	*key = device_key(ev);
	qp_fraud_state__prefetch_key(&f->state, *key);
	for (i = 0; i < ev->cell_count; i++)
		if (ev->cell[i].serving) {
			qp_towers__prefetch(&f->towers, &ev->cell[i]);
			break;
		}
	qp_fraud__prepare(&f->p, &f->radios, ev, received_ms, fi);
	rec = qp_fraud_state__find(&f->state, *key);
	if (rec != QP_FRAUD_NONE)
		qp_fraud_state__prefetch(&f->state, rec);
	qp_fraud__judge(&f->p, &f->towers, &f->radios,
	                rec == QP_FRAUD_NONE ? NULL : qp_fraud_state__at(&f->state, rec), ev, fi);
	return rec;
}

static qp_err_t run_custom_rules(qp_fraud_t *f, const qp_scan_event_t *ev)
{
	size_t i;

	f->in_rule = true;
	for (i = 0; i < f->rule_count; i++) {
		custom_rule_t *r = &f->rules[i];
		size_t before = f->verdict.count;
		int rc = r->cb(ev, &f->verdict, r->opaque);

		if (rc) {
			f->in_rule = false;
			return qp_error__set((qp_err_t)rc, "fraud rule \"%s\" aborted the evaluation (%d)",
			                     r->name, rc);
		}
		r->hit = f->verdict.count > before;
	}
	f->in_rule = false;
	return QP_OK;
}

qp_err_t qp_fraud_evaluate(qp_fraud_t *f, const qp_scan_event_t *ev, int64_t received_ms,
                           int32_t partition, const qp_enrichment_t **out)
{
	qp_fraud_verdict_t *v;
	qp_fraud_findings_t fi;
	uint64_t key;
	uint32_t rec;
	qp_err_t err;
	int i;

	if (out)
		*out = NULL;
	if ((err = check_event("qp_fraud_evaluate", f, ev)))
		return err;
	if (!out)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_fraud_evaluate: out is NULL");
	rec = look_up(f, ev, received_ms, &key, &fi);

	f->verdict_valid = false;
	v = &f->verdict;
	v->count = 0;
	v->received_ms = received_ms;
	v->reward = ev->reward;
	v->params = &f->p;
	v->score = 1.0 - qp_fraud__accuracy_penalty(&f->p, ev->gps.accuracy_m);
	for (i = 0; i < QP_FRAUD_BUILTIN_COUNT; i++)
		if (fi.flagged[i])
			add_static_flag(v, qp_fraud__builtin_names[i], f->p.penalty[i]);
	if ((err = run_custom_rules(f, ev)))
		return err;
	if ((err = commit(f, key, rec, partition, &fi)))
		return err;
	f->last_key = key;
	f->last_known = rec != QP_FRAUD_NONE;
	if (f->p.learn && rec != QP_FRAUD_NONE)
		learn(f, ev, &fi, key);

	f->evaluated++;
	f->unknown_towers += fi.unknown_towers;
	f->flagged += v->count > 0;
	for (i = 0; i < QP_FRAUD_BUILTIN_COUNT; i++)
		f->builtin_count[i] += fi.flagged[i];
	for (i = 0; i < (int)f->rule_count; i++)
		f->rules[i].count += f->rules[i].hit;

	qp_geo__geohash(ev->gps.lat, ev->gps.lon, f->p.cluster_precision, f->cluster);
	f->result.received_ms = received_ms;
	f->result.fraud_flags = v->flags;
	f->result.fraud_flag_count = v->count;
	/* Six decimals: 1 - 0.8 is written 0.2, not 0.19999999999999996. */
	f->result.quality_score = round(clamp01(v->score) * 1e6) / 1e6;
	f->result.location_cluster = f->cluster;
	f->result.enriched_by = f->enriched_by;
	f->verdict_valid = true;
	*out = &f->result;
	return QP_OK;
}

qp_err_t qp_fraud_warm(qp_fraud_t *f, const qp_scan_event_t *ev, int64_t received_ms,
                       int32_t partition)
{
	qp_fraud_findings_t fi;
	uint64_t key;
	uint32_t rec;
	qp_err_t err;

	if ((err = check_event("qp_fraud_warm", f, ev)))
		return err;
	f->verdict_valid = false;
	rec = look_up(f, ev, received_ms, &key, &fi);
	if ((err = commit(f, key, rec, partition, &fi)))
		return err;
	f->last_key = key;
	f->last_known = rec != QP_FRAUD_NONE;
	f->warmed++;
	return QP_OK;
}

/* ---- snapshots (fraud_snapshot_int.h) ---- */

uint64_t qp_fraud__device_key(const qp_scan_event_t *ev)
{
	return device_key(ev);
}

bool qp_fraud__last_device(const qp_fraud_t *f, uint64_t *key, bool *known_before)
{
	*key = f->last_key;
	*known_before = f->last_known;
	return f->last_key != 0;
}

qp_err_t qp_fraud__snapshot_device(const qp_fraud_t *f, uint64_t key, int64_t from,
                                   int64_t covered, bool known_before,
                                   uint8_t out[QP_FRAUD_SNAPSHOT_BYTES])
{
	uint32_t rec = key ? qp_fraud_state__find(&f->state, key) : QP_FRAUD_NONE;

	if (rec == QP_FRAUD_NONE)
		return qp_error__set(QP_ERR_STATE, "fraud snapshot: no device evaluated, or "
		                     "its state was dropped since");
	qp_fraud__encode_device(qp_fraud_state__at(&f->state, rec), from, covered, known_before,
	                        out);
	return QP_OK;
}

qp_err_t qp_fraud__snapshot_last(const qp_fraud_t *f, int64_t covered,
                                 uint8_t out[QP_FRAUD_SNAPSHOT_BYTES],
                                 qp_fraud_snapshot_info_t *info)
{
	qp_err_t err = qp_fraud__snapshot_device(f, f->last_key, covered - 1, covered,
	                                         f->last_known, out);

	if (!err)
		*info = (qp_fraud_snapshot_info_t){ f->last_key, covered, covered - 1,
		                                    f->last_known };
	return err;
}

qp_err_t qp_fraud__snapshot_info(const void *snapshot, size_t len,
                                 qp_fraud_snapshot_info_t *info)
{
	qp_fraud_device_t dev;

	return qp_fraud__decode_device(snapshot, len, &dev, info);
}

qp_err_t qp_fraud__restore(qp_fraud_t *f, const void *snapshot, size_t len,
                           int32_t partition)
{
	qp_fraud_snapshot_info_t info;
	qp_fraud_device_t dev;
	uint32_t rec;
	qp_err_t err;

	if ((err = qp_fraud__decode_device(snapshot, len, &dev, &info)))
		return err;
	rec = qp_fraud_state__find(&f->state, dev.key);
	if (rec == QP_FRAUD_NONE &&
	    (err = qp_fraud_state__insert(&f->state, dev.key, partition, &rec)))
		return err;
	qp_fraud_state__touch(&f->state, rec);
	dev.partition = partition;
	*qp_fraud_state__at(&f->state, rec) = dev;
	f->last_key = 0; /* evaluate's device is no longer what it left */
	return QP_OK;
}

bool qp_fraud__has_device(const qp_fraud_t *f, uint64_t key)
{
	return qp_fraud_state__find(&f->state, key) != QP_FRAUD_NONE;
}

size_t qp_fraud_partition_revoked(qp_fraud_t *f, int32_t partition)
{
	size_t dropped;

	if (!f)
		return 0;
	dropped = qp_fraud_state__revoke(&f->state, partition);
	qp_log__(f->conf, QP_LOG_INFO, "fraud", "partition %d revoked: %zu devices dropped",
	         (int)partition, dropped);
	return dropped;
}

/* ---- rules and counters ---- */

const char *qp_fraud_rule_name(const qp_fraud_t *f, size_t i)
{
	if (!f)
		return NULL;
	if (i < QP_FRAUD_BUILTIN_COUNT)
		return qp_fraud__builtin_names[i];
	i -= QP_FRAUD_BUILTIN_COUNT;
	return i < f->rule_count ? f->rules[i].name : NULL;
}

qp_err_t qp_fraud_add_rule(qp_fraud_t *f, const char *name, qp_fraud_rule_cb *cb, void *opaque)
{
	qp_err_t err;
	size_t i;

	if (!f || !cb)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_fraud_add_rule: NULL argument");
	if ((err = check_name("qp_fraud_add_rule", name)))
		return err;
	if (f->in_rule)
		return qp_error__set(QP_ERR_STATE, "qp_fraud_add_rule: called from inside a fraud rule");
	for (i = 0; qp_fraud_rule_name(f, i); i++)
		if (!strcmp(qp_fraud_rule_name(f, i), name))
			return qp_error__set(QP_ERR_INVALID_ARG,
			                     "qp_fraud_add_rule: a rule named \"%s\" exists", name);
	if (QP_ARRAY_RESERVE(f->rules, f->rule_alloc, f->rule_count, 4))
		return QP_ERR_NOMEM;
	memset(&f->rules[f->rule_count], 0, sizeof(custom_rule_t));
	strcpy(f->rules[f->rule_count].name, name);
	f->rules[f->rule_count].cb = cb;
	f->rules[f->rule_count].opaque = opaque;
	f->rule_count++;
	return QP_OK;
}

int64_t qp_fraud_rule_count(const qp_fraud_t *f, const char *rule)
{
	size_t i;

	if (!f || !rule)
		return -1;
	for (i = 0; i < QP_FRAUD_BUILTIN_COUNT; i++)
		if (!strcmp(qp_fraud__builtin_names[i], rule))
			return (int64_t)f->builtin_count[i];
	for (i = 0; i < f->rule_count; i++)
		if (!strcmp(f->rules[i].name, rule))
			return (int64_t)f->rules[i].count;
	return -1;
}

int64_t qp_fraud_counter(const qp_fraud_t *f, const char *name)
{
	if (!f || !name)
		return -1;
	if (!strcmp(name, "evaluated"))
		return (int64_t)f->evaluated;
	if (!strcmp(name, "warmed"))
		return (int64_t)f->warmed;
	if (!strcmp(name, "flagged"))
		return (int64_t)f->flagged;
	if (!strcmp(name, "unknown_towers"))
		return (int64_t)f->unknown_towers;
	if (!strcmp(name, "devices"))
		return f->state.used;
	if (!strcmp(name, "device_capacity"))
		return f->state.capacity;
	if (!strcmp(name, "evicted"))
		return (int64_t)f->state.evicted;
	if (!strcmp(name, "revoked"))
		return (int64_t)f->state.revoked;
	if (!strcmp(name, "state_bytes"))
		return (int64_t)qp_fraud_state__bytes(&f->state);
	if (!strcmp(name, "towers"))
		return (int64_t)f->towers.count;
	if (!strcmp(name, "tower_rows"))
		return (int64_t)f->towers.rows;
	if (!strcmp(name, "tower_bad_lines"))
		return (int64_t)f->towers.bad_lines;
	if (!strcmp(name, "tower_bad_lines_fields"))
		return (int64_t)f->towers.skipped_by[QP_TOWERS_SKIP_FIELDS];
	if (!strcmp(name, "tower_bad_lines_value"))
		return (int64_t)f->towers.skipped_by[QP_TOWERS_SKIP_VALUE];
	if (!strcmp(name, "tower_bad_lines_range"))
		return (int64_t)f->towers.skipped_by[QP_TOWERS_SKIP_RANGE];
	if (!strcmp(name, "tower_bytes"))
		return (int64_t)qp_towers__bytes(&f->towers);
	if (!strcmp(name, "radio_stations"))
		return (int64_t)f->radios.count;
	if (!strcmp(name, "radio_stations_mobile"))
		return (int64_t)f->radios.mobile;
	if (!strcmp(name, "radio_bad_lines"))
		return (int64_t)f->radios.bad_lines;
	if (!strcmp(name, "radio_bytes"))
		return (int64_t)qp_radiomap__bytes(&f->radios);
	if (!strcmp(name, "radio_learned"))
		return (int64_t)f->learner.count;
	if (!strcmp(name, "radio_learn_dropped"))
		return (int64_t)f->learner.dropped;
	if (!strcmp(name, "radio_learner_bytes"))
		return (int64_t)qp_radiomap__learner_bytes(&f->learner);
	return -1;
}
