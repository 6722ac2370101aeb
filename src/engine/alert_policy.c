/* alert-svc's policy: see alert_policy_int.h. */
#include <stdlib.h>
#include <string.h>

#include "base/hash64_int.h"
#include "engine/alert_policy_int.h"

#define SCAN_SEED 0x5ca9a1e27ull
#define DEVICE_SEED 0xde71ce5eedull

/* An open-addressing set of non-zero 64-bit hashes, filled to half. */
typedef struct hash_set {
	uint64_t *slots;
	size_t mask, count, limit;
} hash_set_t;

typedef struct bucket {
	uint64_t device;  /* hash of the device owning the slot; 0: free */
	double tokens;
	int64_t last_ms;  /* when tokens was last topped up */
} bucket_t;

struct qp_alert_policy {
	double reward_min, rate_per_ms, burst;
	int64_t max_age_ms;
	hash_set_t sent[2]; /* [0] newer generation, [1] older */
	bucket_t *buckets;
	size_t bucket_mask;
};

const char *qp_alert_decision__name(qp_alert_decision_t d)
{
	switch (d) {
	case QP_ALERT_PUSH: return "push";
	case QP_ALERT_BELOW_THRESHOLD: return "below_threshold";
	case QP_ALERT_TOO_OLD: return "too_old";
	case QP_ALERT_DUPLICATE: return "duplicate";
	case QP_ALERT_RATE_LIMITED: return "rate_limited";
	}
	return "unknown";
}

static size_t power_of_two_at_least(size_t n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static qp_err_t set_init(hash_set_t *s, size_t limit)
{
	size_t size = power_of_two_at_least(limit * 2);

	if (!(s->slots = calloc(size, sizeof(*s->slots))))
		return qp_error__code(QP_ERR_NOMEM);
	s->mask = size - 1;
	s->limit = limit;
	s->count = 0;
	return QP_OK;
}

static bool set_has(const hash_set_t *s, uint64_t h)
{
	for (size_t i = h & s->mask;; i = (i + 1) & s->mask) {
		if (s->slots[i] == h)
			return true;
		if (!s->slots[i])
			return false;
	}
}

static void set_add(hash_set_t *s, uint64_t h)
{
	size_t i = h & s->mask;

	while (s->slots[i] && s->slots[i] != h)
		i = (i + 1) & s->mask;
	if (!s->slots[i]) {
		s->slots[i] = h;
		s->count++;
	}
}

static uint64_t key_hash(const char *key, uint64_t seed)
{
	uint64_t h = qp_hash64__str(key, seed);

	return h ? h : 1; /* 0 marks a free slot */
}

qp_err_t qp_alert_policy__new(qp_alert_policy_t **out, const qp_conf_t *conf)
{
	qp_alert_policy_t *p = calloc(1, sizeof(*p));
	size_t half = (size_t)qp_conf__int(conf, "qp.alerts.sent.max") / 2;
	size_t devices = power_of_two_at_least((size_t)qp_conf__int(conf, "qp.alerts.rate.devices"));
	qp_err_t err;

	if (!p)
		return qp_error__code(QP_ERR_NOMEM);
	p->reward_min = qp_conf__double(conf, "qp.alerts.reward.min");
	p->max_age_ms = qp_conf__int(conf, "qp.alerts.max.age.ms");
	p->rate_per_ms = qp_conf__double(conf, "qp.alerts.rate.per.min") / 60000.0;
	p->burst = (double)qp_conf__int(conf, "qp.alerts.rate.burst");
	if ((err = set_init(&p->sent[0], half ? half : 1)) ||
	    (err = set_init(&p->sent[1], half ? half : 1)))
		goto fail;
	if (!(p->buckets = calloc(devices, sizeof(*p->buckets)))) {
		err = qp_error__code(QP_ERR_NOMEM);
		goto fail;
	}
	p->bucket_mask = devices - 1;
	*out = p;
	return QP_OK;
fail:
	qp_alert_policy__destroy(p);
	return err;
}

void qp_alert_policy__destroy(qp_alert_policy_t *p)
{
	if (!p)
		return;
	free(p->sent[0].slots);
	free(p->sent[1].slots);
	free(p->buckets);
	free(p);
}

bool qp_alert_policy__was_sent(const qp_alert_policy_t *p, const char *scan_id)
{
	uint64_t h = key_hash(scan_id, SCAN_SEED);

	return set_has(&p->sent[0], h) || set_has(&p->sent[1], h);
}

void qp_alert_policy__mark_sent(qp_alert_policy_t *p, const char *scan_id)
{
	uint64_t h = key_hash(scan_id, SCAN_SEED);
	hash_set_t older;

	if (set_has(&p->sent[0], h))
		return;
	if (p->sent[0].count >= p->sent[0].limit) {
		/* The newer generation is full: it becomes the older one, and
		 * the older one's table is emptied and reused. */
		older = p->sent[1];
		p->sent[1] = p->sent[0];
		memset(older.slots, 0, (older.mask + 1) * sizeof(*older.slots));
		older.count = 0;
		p->sent[0] = older;
	}
	set_add(&p->sent[0], h);
}

/* Takes a token from the device's bucket, if one is there. */
static bool take_token(qp_alert_policy_t *p, const char *device_id, int64_t now_ms)
{
	uint64_t h = key_hash(device_id, DEVICE_SEED);
	bucket_t *b = &p->buckets[qp_hash64__mix(h) & p->bucket_mask];

	if (b->device != h) {
		b->device = h;
		b->tokens = p->burst;
		b->last_ms = now_ms;
	} else if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * p->rate_per_ms;
		if (b->tokens > p->burst)
			b->tokens = p->burst;
		b->last_ms = now_ms;
	}
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}

qp_alert_decision_t qp_alert_policy__judge(qp_alert_policy_t *p, const char *scan_id,
                                           const char *device_id, double reward,
                                           int64_t event_ms, int64_t now_ms, bool in_flight)
{
	if (reward < p->reward_min)
		return QP_ALERT_BELOW_THRESHOLD;
	if (p->max_age_ms > 0 && now_ms - event_ms > p->max_age_ms)
		return QP_ALERT_TOO_OLD;
	if (in_flight || qp_alert_policy__was_sent(p, scan_id))
		return QP_ALERT_DUPLICATE;
	if (!take_token(p, device_id, now_ms))
		return QP_ALERT_RATE_LIMITED;
	return QP_ALERT_PUSH;
}
