/*
 * bench/run fraud: the fraud engine on one core.
 *
 * 1. Evaluations per second with 10k, 100k and 1M tracked devices. Events
 *    are built in memory (parsing excluded): 6 WiFi, 2 cells (the serving
 *    one in the tower table), 2 BLE, a fix jittering around the device's
 *    home; devices are picked uniformly at random (the cache's worst case).
 *    Baseline: the same loop (pick a device, fill the event) that only
 *    hashes the device id and touches a 224-byte record per device — the
 *    floor of any per-device state lookup — so the ratio is what the rules,
 *    the index, the LRU and the enrichment cost on top of it.
 * 2. Bytes of state per tracked device; baseline: the record alone.
 * 3. Loading a generated 1M-row OpenCelliD CSV file; baseline: reading the
 *    same file line by line without parsing.
 * 4. Tower lookups per second (random hits) in that 1M table; baseline:
 *    hashing the key and reading one random slot of an array of the same
 *    size, each read's address depending on the previous read — the memory
 *    latency floor of a lookup whose answer is needed before going on.
 * 5. Radio map lookups per second (random hits) and bytes per station with
 *    1M and 10M stations; baseline as for the towers.
 *
 * The evaluations run with every rule on, radio_mismatch included, against
 * a radio map of 1M stations: the events' radios are not in it, so each of
 * their 8 lookups probes the table as a hit would, and no flag is raised.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"
#include "engine/fraud_int.h"
#include "base/hash64_int.h"
#include "quackpipe.h"

#define TOWERS 1000000
#define MAP_STATIONS 1000000
#define RADIO_SETS 64
#define T0 1700000000000LL

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t next_random(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Tower k of the generated table: a 1000 x 1000 grid over France. */
static void tower_position(uint32_t k, double *lat, double *lon)
{
	*lat = 42.0 + (double)(k % 1000) * 0.008;
	*lon = -4.0 + (double)(k / 1000) * 0.012;
}

static char *write_towers(void)
{
	static char path[64];
	FILE *f;
	uint32_t k;
	int fd;

	snprintf(path, sizeof(path), "/tmp/qp-bench-towers-XXXXXX");
	if ((fd = mkstemp(path)) < 0 || !(f = fdopen(fd, "w"))) {
		perror("bench_fraud: temporary tower file");
		exit(1);
	}
	fprintf(f, "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,"
	           "updated,averageSignal\n");
	for (k = 0; k < TOWERS; k++) {
		double lat, lon;

		tower_position(k, &lat, &lon);
		fprintf(f, "%s,208,%u,%u,%u,0,%.6f,%.6f,%u,%u,1,1290000000,1400000000,0\n",
		        k % 3 ? "LTE" : "GSM", k % 20, 1000 + k / 4096, k, lon, lat,
		        2000 + k % 5000, 1 + k % 300);
	}
	fclose(f);
	return path;
}

/* One reusable event, refilled for each evaluation. */
typedef struct bench_event {
	qp_scan_event_t ev;
	qp_cell_t cell[2];
} bench_event_t;

typedef struct radio_set {
	qp_wifi_t wifi[6];
	qp_ble_t ble[2];
	char names[8][18];
} radio_set_t;

static radio_set_t sets[RADIO_SETS];
static char (*device_ids)[24];

static void init_radio_sets(void)
{
	int s, i;

	for (s = 0; s < RADIO_SETS; s++) {
		for (i = 0; i < 8; i++)
			snprintf(sets[s].names[i], sizeof(sets[s].names[i]), "02:00:00:%02x:%02x:%02x",
			         s, i, (s * 7 + i) & 0xff);
		for (i = 0; i < 6; i++) {
			sets[s].wifi[i].bssid = sets[s].names[i];
			sets[s].wifi[i].rssi_dbm = -40 - (s + i * 7) % 50;
			sets[s].wifi[i].freq_mhz = 2412 + 5 * i;
		}
		for (i = 0; i < 2; i++) {
			sets[s].ble[i].addr = sets[s].names[6 + i];
			sets[s].ble[i].rssi_dbm = -60 - i;
		}
	}
}

/* Fills b as device d's next scan, number n, at time ts. */
static void fill_event(bench_event_t *b, uint32_t d, uint64_t n, int64_t ts)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t tower = (uint32_t)(((uint64_t)d * 7919u) % TOWERS);
	const radio_set_t *set = &sets[d % RADIO_SETS];
	uint64_t jitter = next_random();
	double lat, lon;
	int i;

	tower_position(tower, &lat, &lon);
	b->ev.device_id = device_ids[d];
	for (i = 0; i < 12; i++)
		b->ev.scan_id[35 - i] = hex[(n >> (4 * i)) & 15];
	b->ev.ts_ms = ts;
	/* Within about 50 m of home, accuracy 10-40 m. */
	b->ev.gps.lat = lat + (double)(jitter & 0xff) * 2e-6;
	b->ev.gps.lon = lon + (double)(jitter >> 8 & 0xff) * 2e-6;
	b->ev.gps.accuracy_m = 10 + (double)(jitter >> 16 & 31);
	b->ev.wifi = set->wifi;
	b->ev.ble = set->ble;
	b->cell[0].radio = tower % 3 ? QP_RADIO_LTE : QP_RADIO_GSM;
	b->cell[0].mnc = (int32_t)(tower % 20);
	b->cell[0].area = 1000 + tower / 4096;
	b->cell[0].cid = tower;
	b->cell[0].dbm.value = -80 - (int64_t)(jitter >> 24 & 15);
}

static void init_event(bench_event_t *b)
{
	memset(b, 0, sizeof(*b));
	b->ev.schema_version = 1;
	strcpy(b->ev.scan_id, "00000000-0000-4000-8000-000000000000");
	b->ev.wifi_count = 6;
	b->ev.ble_count = 2;
	b->ev.cell = b->cell;
	b->ev.cell_count = 2;
	b->cell[0].mcc = b->cell[1].mcc = 208;
	b->cell[0].serving = true;
	b->cell[0].dbm.presence = QP_PRESENT;
	b->cell[1] = b->cell[0];
	b->cell[1].serving = false;
	b->cell[1].cid = 99999999;
	b->ev.app_version = "1.0.0";
	b->ev.platform = "android";
	b->ev.unknown_json = "";
}

typedef struct record {
	uint64_t key;
	uint64_t seen;
	char rest[sizeof(qp_fraud_device_t) - 16];
} record_t;

/* A radio map file of MAP_STATIONS stations whose addresses no bench
 * event carries (first byte 0x0a), spread over France. */
static char *write_radiomap(void)
{
	static char path[64];
	FILE *f;
	uint32_t k;
	int fd;

	snprintf(path, sizeof(path), "/tmp/qp-bench-radiomap-XXXXXX");
	if ((fd = mkstemp(path)) < 0 || !(f = fdopen(fd, "w"))) {
		perror("bench_fraud: radio map file");
		exit(1);
	}
	fputs("kind,mac,lat,lon,spread_m,devices,mobile\n", f);
	for (k = 0; k < MAP_STATIONS; k++) {
		uint64_t r = next_random();

		fprintf(f, "%s,0a:%02x:%02x:%02x:%02x:%02x,%.6f,%.6f,30,5,0\n", k % 4 ? "wifi" : "ble",
		        (unsigned)(r >> 8) & 0xff, (unsigned)(r >> 16) & 0xff, (unsigned)(r >> 24) & 0xff,
		        (unsigned)(r >> 32) & 0xff, (unsigned)(r >> 40) & 0xff,
		        43.0 + (double)(r & 0xffff) / 8192.0, -1.0 + (double)(r >> 48) / 8192.0);
	}
	if (fclose(f)) {
		perror("bench_fraud: radio map file");
		exit(1);
	}
	return path;
}

static const char *radiomap_path;

/* Evaluations per second with `devices` tracked; with_radio: the radio map
 * loaded and radio_mismatch on (as by default), else the rule off and no
 * map. Returns the rate. */
static double bench_devices(uint32_t devices, const char *towers, uint64_t evals,
                            bool with_radio)
{
	qp_fraud_t *f;
	qp_conf_t *conf;
	bench_event_t b;
	const qp_enrichment_t *e;
	record_t *records;
	uint64_t n = 0, i, t0, sink = 0, flagged;
	double engine_rate, base_rate;
	char name[64];
	uint32_t d;

	device_ids = malloc((size_t)devices * sizeof(*device_ids));
	records = calloc(devices, sizeof(*records));
	for (d = 0; d < devices; d++)
		snprintf(device_ids[d], sizeof(device_ids[d]), "device-%08u", d);
	init_event(&b);

	qp_conf_new(&conf);
	if ((!with_radio && qp_conf_set(conf, "qp.fraud.radio_mismatch.enable", "false")) ||
	    qp_fraud_new(&f, conf) || qp_fraud_load_towers(f, towers) ||
	    (with_radio && qp_fraud_load_radiomap(f, radiomap_path))) {
		fprintf(stderr, "bench_fraud: %s\n", qp_error_last());
		exit(1);
	}
	/* Every device tracked before timing. */
	for (d = 0; d < devices; d++) {
		n++;
		fill_event(&b, d, n, T0 + (int64_t)n);
		qp_fraud_evaluate(f, &b.ev, T0 + (int64_t)n, 0, &e);
	}

	t0 = bench_thread_cpu_ns();
	for (i = 0; i < evals; i++) {
		d = (uint32_t)(next_random() % devices);
		n++;
		fill_event(&b, d, n, T0 + (int64_t)n);
		if (qp_fraud_evaluate(f, &b.ev, T0 + (int64_t)n, 0, &e)) {
			fprintf(stderr, "bench_fraud: %s\n", qp_error_last());
			exit(1);
		}
		sink += e->fraud_flag_count;
	}
	engine_rate = (double)evals / ((double)(bench_thread_cpu_ns() - t0) / 1e9);
	flagged = (uint64_t)qp_fraud_counter(f, "flagged");

	t0 = bench_thread_cpu_ns();
	for (i = 0; i < evals; i++) {
		record_t *r;

		d = (uint32_t)(next_random() % devices);
		n++;
		fill_event(&b, d, n, T0 + (int64_t)n);
		r = &records[d];
		r->key = qp_hash64__str(b.ev.device_id, 1);
		r->seen = (uint64_t)b.ev.ts_ms;
		sink += r->key & 1;
	}
	base_rate = (double)evals / ((double)(bench_thread_cpu_ns() - t0) / 1e9);

	printf("devices %u: %llu evaluations, %llu flagged (%.3f%%:", devices,
	       (unsigned long long)evals, (unsigned long long)flagged,
	       100.0 * (double)flagged / (double)(evals + devices));
	for (i = 0; qp_fraud_rule_name(f, i); i++)
		printf(" %s %lld", qp_fraud_rule_name(f, i),
		       (long long)qp_fraud_rule_count(f, qp_fraud_rule_name(f, i)));
	printf("), %lld devices tracked, %lld evicted, state %.1f MiB, radio map %lld stations, "
	       "sink %llu\n",
	       (long long)qp_fraud_counter(f, "devices"), (long long)qp_fraud_counter(f, "evicted"),
	       (double)qp_fraud_counter(f, "state_bytes") / 1048576.0,
	       (long long)qp_fraud_counter(f, "radio_stations"), (unsigned long long)sink);
	if (with_radio) {
		snprintf(name, sizeof(name), "fraud_evaluate_%uk_devices", devices / 1000);
		bench_result(name, engine_rate, "evals/s", "hash_and_touch_record", base_rate);
		snprintf(name, sizeof(name), "fraud_state_bytes_per_device_%uk", devices / 1000);
		bench_result(name, (double)qp_fraud_counter(f, "state_bytes") /
		                   (double)qp_fraud_counter(f, "devices"),
		             "bytes", "device_record", (double)sizeof(qp_fraud_device_t));
	}

	qp_fraud_destroy(f);
	free(records);
	free(device_ids);
	return engine_rate;
}

/* Strict: the generated table has no bad row. */
static const qp_towers_policy_t strict_policy = { true, 0.01, false };

static void bench_tower_load(const char *path)
{
	qp_towers_t t = { 0 };
	char *line = NULL;
	size_t cap = 0, lines = 0;
	uint64_t t0;
	double load_s, read_s;
	FILE *f;

	t0 = bench_thread_cpu_ns();
	if (qp_towers__load(&t, path, &strict_policy, NULL)) {
		fprintf(stderr, "bench_fraud: %s\n", qp_error_last());
		exit(1);
	}
	load_s = (double)(bench_thread_cpu_ns() - t0) / 1e9;

	t0 = bench_thread_cpu_ns();
	f = fopen(path, "r");
	while (getline(&line, &cap, f) >= 0)
		lines++;
	fclose(f);
	free(line);
	read_s = (double)(bench_thread_cpu_ns() - t0) / 1e9;

	printf("tower table: %zu towers from %zu lines in %.3f s, %.1f MiB\n", t.count, lines,
	       load_s, (double)qp_towers__bytes(&t) / 1048576.0);
	bench_result("fraud_towers_load_1M_rows", (double)t.count / load_s, "rows/s",
	             "getline_only", (double)lines / read_s);
	qp_towers__dispose(&t);
}

static void bench_tower_lookup(const char *path)
{
	qp_towers_t t = { 0 };
	uint64_t i, t0, found = 0, sink = 0, lookups = 10000000;
	double lookup_rate, base_rate;
	uint64_t *raw;
	size_t raw_words;

	qp_towers__load(&t, path, &strict_policy, NULL);
	raw_words = qp_towers__bytes(&t) / sizeof(uint64_t);
	raw = malloc(raw_words * sizeof(uint64_t));
	for (i = 0; i < raw_words; i++)
		raw[i] = next_random() & 0xff;

	t0 = bench_thread_cpu_ns();
	for (i = 0; i < lookups; i++) {
		uint32_t k = (uint32_t)(next_random() % TOWERS);

		found += qp_towers__find(&t, k % 3 ? QP_RADIO_LTE : QP_RADIO_GSM, 208,
		                         (int32_t)(k % 20), 1000 + k / 4096, k) != NULL;
	}
	lookup_rate = (double)lookups / ((double)(bench_thread_cpu_ns() - t0) / 1e9);

	t0 = bench_thread_cpu_ns();
	for (i = 0; i < lookups; i++) {
		uint32_t k = (uint32_t)(next_random() % TOWERS);
		uint64_t h = qp_hash64__mix((uint64_t)k ^ qp_hash64__mix(1000 + k / 4096));

		sink = raw[(h + sink) % raw_words];
	}
	base_rate = (double)lookups / ((double)(bench_thread_cpu_ns() - t0) / 1e9);

	printf("tower lookups: %llu of %llu found (sink %llu)\n", (unsigned long long)found,
	       (unsigned long long)lookups, (unsigned long long)sink);
	bench_result("fraud_tower_lookups", lookup_rate, "lookups/s", "hash_and_dependent_read",
	             base_rate);
	free(raw);
	qp_towers__dispose(&t);
}

static void bench_radiomap_lookup(uint32_t stations)
{
	qp_radiomap_t m = { 0 };
	uint64_t i, t0, found = 0, sink = 0, lookups = 10000000, *raw;
	double lookup_rate, base_rate;
	size_t raw_words;
	char name[64];

	/* Keys k * odd constant (48 bits): distinct, in no order the table
	 * could profit from. */
	for (i = 0; i < stations; i++)
		if (qp_radiomap__put(&m, (i * 0x9e3779b97f4bull) & 0xffffffffffffull, 48.8, 2.3, 25,
		                     false)) {
			fprintf(stderr, "bench_fraud: %s\n", qp_error_last());
			exit(1);
		}
	raw_words = qp_radiomap__bytes(&m) / sizeof(uint64_t);
	raw = malloc(raw_words * sizeof(uint64_t));
	for (i = 0; i < raw_words; i++)
		raw[i] = next_random() & 0xff;

	t0 = bench_thread_cpu_ns();
	for (i = 0; i < lookups; i++) {
		uint64_t k = next_random() % stations;

		found += qp_radiomap__find(&m, (k * 0x9e3779b97f4bull) & 0xffffffffffffull) != NULL;
	}
	lookup_rate = (double)lookups / ((double)(bench_thread_cpu_ns() - t0) / 1e9);

	t0 = bench_thread_cpu_ns();
	for (i = 0; i < lookups; i++) {
		uint64_t k = next_random() % stations;
		uint64_t h = qp_hash64__mix((k * 0x9e3779b97f4bull) & 0xffffffffffffull);

		sink = raw[(h + sink) % raw_words];
	}
	base_rate = (double)lookups / ((double)(bench_thread_cpu_ns() - t0) / 1e9);

	printf("radio map %u stations: %.1f MiB, %llu of %llu lookups found (sink %llu)\n",
	       stations, (double)qp_radiomap__bytes(&m) / 1048576.0, (unsigned long long)found,
	       (unsigned long long)lookups, (unsigned long long)sink);
	snprintf(name, sizeof(name), "fraud_radiomap_lookups_%uM", stations / 1000000);
	bench_result(name, lookup_rate, "lookups/s", "hash_and_dependent_read", base_rate);
	snprintf(name, sizeof(name), "fraud_radiomap_bytes_per_station_%uM", stations / 1000000);
	bench_result(name, (double)qp_radiomap__bytes(&m) / stations, "bytes", "station_slot",
	             (double)sizeof(qp_station_t));
	free(raw);
	qp_radiomap__dispose(&m);
}

/* Evaluations with `devices` tracked, then what radio_mismatch and its 8
 * lookups per event cost: the same run without the map, the rule off. */
static void bench_radio_cost(uint32_t devices, const char *towers)
{
	double on = bench_devices(devices, towers, 3000000, true);
	double off = bench_devices(devices, towers, 3000000, false);
	char name[64];

	snprintf(name, sizeof(name), "fraud_evaluate_%uk_devices_radio_on", devices / 1000);
	bench_result(name, on, "evals/s", "radio_mismatch_off", off);
}

int main(int argc, char **argv)
{
	char *towers;

	bench_print_conditions("fraud");
	printf("one core; events built in memory (no JSON): 6 WiFi, 2 cells (serving cell in a "
	       "1M-tower table), 2 BLE (looked up in a 1M-station radio map); devices picked "
	       "uniformly at random; default rules and budget (qp.fraud.state.max.bytes 256 MiB)\n");
	init_radio_sets();
	towers = write_towers();
	radiomap_path = write_radiomap();
	/* bench/run fraud DEVICES... runs only the evaluation figures for those. */
	if (argc > 1) {
		int i;

		for (i = 1; i < argc; i++)
			bench_radio_cost((uint32_t)atoi(argv[i]), towers);
		unlink(towers);
		unlink(radiomap_path);
		return 0;
	}
	bench_tower_load(towers);
	bench_tower_lookup(towers);
	bench_radiomap_lookup(1000000);
	bench_radiomap_lookup(10000000);
	bench_devices(10000, towers, 3000000, true);
	bench_radio_cost(100000, towers);
	bench_devices(1000000, towers, 3000000, true);
	unlink(towers);
	unlink(radiomap_path);
	return 0;
}
