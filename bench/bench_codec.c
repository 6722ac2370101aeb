/*
 * bench/run codec: the event codec against bare cJSON, in the same run.
 *
 * A deterministic mix of realistic scan events of 300-800 bytes (0-8 WiFi
 * access points, 0-3 cells, 0-4 BLE beacons, one in ten with fields the
 * schema does not know) is
 *   - decoded and validated by qp_event_decode, against cJSON_Parse +
 *     cJSON_Delete of the same bytes (which checks nothing);
 *   - encoded by qp_event_encode, against building the equivalent cJSON tree
 *     and cJSON_PrintUnformatted;
 *   - encoded as a ClickHouse row by qp_event_encode_row, against building
 *     the row as a cJSON tree and printing it.
 * Each figure is the median of several repetitions (the best is printed too),
 * the two sides of a pair alternating. Times are the thread's CPU time, not
 * wall time: on a shared machine, time spent descheduled is not the codec's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "bench_common.h"
#include "quackpipe.h"

#define EVENTS 2000
#define REPETITIONS 15 /* default; bench_codec [decode|encode|row] [REPETITIONS] */
#define MIN_BYTES 300
#define MAX_BYTES 800

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng(void)
{
	/* xorshift64*: deterministic, so every run measures the same events. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static int between(int lo, int hi)
{
	return lo + (int)(rng() % (uint64_t)(hi - lo + 1));
}

static double uniform(double lo, double hi)
{
	return lo + (hi - lo) * (double)(rng() >> 11) / 9007199254740992.0;
}

static int put(char *out, size_t cap, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int put(char *out, size_t cap, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(out + *n, cap - *n, fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= cap - *n)
		return -1;
	*n += (size_t)len;
	return 0;
}

static void mac(char *out)
{
	uint64_t v = rng();

	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", (unsigned)(v & 255),
	         (unsigned)(v >> 8 & 255), (unsigned)(v >> 16 & 255), (unsigned)(v >> 24 & 255),
	         (unsigned)(v >> 32 & 255), (unsigned)(v >> 40 & 255));
}

/* One event as a phone would send it; its size in bytes, or 0 if it came
 * out of the 300-800 byte window (the caller draws again). */
static size_t make_event(char *out, size_t cap, int index)
{
	static const char *const radios[] = { "gsm", "wcdma", "lte", "nr" };
	static const char *const ssids[] = { "Livebox-3F2A", "FreeWifi", "SFR_8C10", "eduroam",
	                                     "Bbox-77D1E0", "AndroidAP", "Cafe du Coin" };
	int wifi = between(0, 8), cell = between(0, 3), ble = between(0, 4), i;
	char m[18];
	size_t n = 0;

	if (wifi + cell + ble == 0)
		wifi = 2;
	put(out, cap, &n,
	    "{\"schema_version\":1,\"scan_id\":\"%08x-%04x-4%03x-a%03x-%012llx\","
	    "\"device_id\":\"dev-%06d\",\"ts_ms\":%lld,\"gps\":{\"lat\":%.7f,\"lon\":%.7f,"
	    "\"accuracy_m\":%.1f",
	    (unsigned)rng(), (unsigned)(rng() & 0xFFFF), (unsigned)(rng() & 0xFFF),
	    (unsigned)(rng() & 0xFFF), (unsigned long long)(rng() & 0xFFFFFFFFFFFFull),
	    between(0, 99999), 1700000000000LL + index * 1000LL, uniform(43.0, 50.0),
	    uniform(-1.5, 7.5), uniform(3, 60));
	if (between(0, 1))
		put(out, cap, &n, ",\"altitude_m\":%.1f,\"speed_mps\":%.2f", uniform(0, 300),
		    uniform(0, 30));
	put(out, cap, &n, "},\"wifi\":[");
	for (i = 0; i < wifi; i++) {
		mac(m);
		put(out, cap, &n, "%s{\"bssid\":\"%s\",\"ssid\":\"%s\",\"rssi_dbm\":%d,\"freq_mhz\":%d}",
		    i ? "," : "", m, ssids[between(0, 6)], between(-95, -30),
		    between(0, 2) ? 2412 + 5 * between(0, 12) : 5180 + 20 * between(0, 20));
	}
	put(out, cap, &n, "],\"cell\":[");
	for (i = 0; i < cell; i++)
		put(out, cap, &n,
		    "%s{\"radio\":\"%s\",\"mcc\":208,\"mnc\":%d,\"area\":%d,\"cid\":%d,\"dbm\":%d,"
		    "\"serving\":%s}",
		    i ? "," : "", radios[between(0, 3)], between(1, 20), between(1, 65000),
		    between(1, 268435455), between(-120, -60), i == 0 ? "true" : "false");
	put(out, cap, &n, "],\"ble\":[");
	for (i = 0; i < ble; i++) {
		mac(m);
		put(out, cap, &n, "%s{\"addr\":\"%s\",\"rssi_dbm\":%d,\"tx_power\":%d}", i ? "," : "",
		    m, between(-100, -40), between(-70, -50));
	}
	put(out, cap, &n, "],\"reward\":%.3f,\"app_version\":\"2.%d.%d\",\"platform\":\"%s\"",
	    uniform(0, 2), between(0, 9), between(0, 20), between(0, 2) ? "android" : "ios");
	if (index % 10 == 0)
		put(out, cap, &n, ",\"battery\":%d,\"os\":{\"name\":\"android\",\"api\":%d}",
		    between(5, 100), between(26, 34));
	if (put(out, cap, &n, "}") || n < MIN_BYTES || n > MAX_BYTES)
		return 0;
	return n;
}

typedef struct corpus {
	char *text[EVENTS];
	size_t len[EVENTS];
	size_t bytes;
	qp_scan_event_t *events[EVENTS];
} corpus_t;

static void corpus_build(corpus_t *c)
{
	char tmp[4096];
	int i;

	c->bytes = 0;
	for (i = 0; i < EVENTS; i++) {
		size_t n;

		while (!(n = make_event(tmp, sizeof(tmp), i)))
			;
		c->text[i] = malloc(n + 1);
		memcpy(c->text[i], tmp, n + 1);
		c->len[i] = n;
		c->bytes += n;
		if (qp_event_decode(&c->events[i], tmp, n)) {
			fprintf(stderr, "bench event %d does not decode: %s\n%s\n", i, qp_error_last(), tmp);
			exit(1);
		}
	}
}

/* ---- the cJSON side ---- */

static cJSON *cjson_event(const qp_scan_event_t *ev)
{
	cJSON *o = cJSON_CreateObject(), *gps, *arr, *e;
	size_t i;

	cJSON_AddNumberToObject(o, "schema_version", ev->schema_version);
	cJSON_AddStringToObject(o, "scan_id", ev->scan_id);
	cJSON_AddStringToObject(o, "device_id", ev->device_id);
	cJSON_AddNumberToObject(o, "ts_ms", (double)ev->ts_ms);
	gps = cJSON_AddObjectToObject(o, "gps");
	cJSON_AddNumberToObject(gps, "lat", ev->gps.lat);
	cJSON_AddNumberToObject(gps, "lon", ev->gps.lon);
	cJSON_AddNumberToObject(gps, "accuracy_m", ev->gps.accuracy_m);
	if (ev->gps.altitude_m.presence == QP_PRESENT)
		cJSON_AddNumberToObject(gps, "altitude_m", ev->gps.altitude_m.value);
	if (ev->gps.speed_mps.presence == QP_PRESENT)
		cJSON_AddNumberToObject(gps, "speed_mps", ev->gps.speed_mps.value);
	arr = cJSON_AddArrayToObject(o, "wifi");
	for (i = 0; i < ev->wifi_count; i++) {
		cJSON_AddItemToArray(arr, e = cJSON_CreateObject());
		cJSON_AddStringToObject(e, "bssid", ev->wifi[i].bssid);
		if (ev->wifi[i].ssid_presence == QP_PRESENT)
			cJSON_AddStringToObject(e, "ssid", ev->wifi[i].ssid);
		cJSON_AddNumberToObject(e, "rssi_dbm", ev->wifi[i].rssi_dbm);
		cJSON_AddNumberToObject(e, "freq_mhz", ev->wifi[i].freq_mhz);
	}
	arr = cJSON_AddArrayToObject(o, "cell");
	for (i = 0; i < ev->cell_count; i++) {
		cJSON_AddItemToArray(arr, e = cJSON_CreateObject());
		cJSON_AddStringToObject(e, "radio", qp_radio_name(ev->cell[i].radio));
		cJSON_AddNumberToObject(e, "mcc", ev->cell[i].mcc);
		cJSON_AddNumberToObject(e, "mnc", ev->cell[i].mnc);
		cJSON_AddNumberToObject(e, "area", (double)ev->cell[i].area);
		cJSON_AddNumberToObject(e, "cid", (double)ev->cell[i].cid);
		if (ev->cell[i].dbm.presence == QP_PRESENT)
			cJSON_AddNumberToObject(e, "dbm", (double)ev->cell[i].dbm.value);
		cJSON_AddBoolToObject(e, "serving", ev->cell[i].serving);
	}
	arr = cJSON_AddArrayToObject(o, "ble");
	for (i = 0; i < ev->ble_count; i++) {
		cJSON_AddItemToArray(arr, e = cJSON_CreateObject());
		cJSON_AddStringToObject(e, "addr", ev->ble[i].addr);
		cJSON_AddNumberToObject(e, "rssi_dbm", ev->ble[i].rssi_dbm);
		if (ev->ble[i].tx_power.presence == QP_PRESENT)
			cJSON_AddNumberToObject(e, "tx_power", (double)ev->ble[i].tx_power.value);
	}
	cJSON_AddNumberToObject(o, "reward", ev->reward);
	cJSON_AddStringToObject(o, "app_version", ev->app_version);
	cJSON_AddStringToObject(o, "platform", ev->platform);
	return o;
}

static cJSON *cjson_row(const qp_scan_event_t *ev)
{
	cJSON *o = cJSON_CreateObject(), *a[14];
	size_t i;
	int k;

	cJSON_AddStringToObject(o, "scan_id", ev->scan_id);
	cJSON_AddStringToObject(o, "device_id", ev->device_id);
	cJSON_AddNumberToObject(o, "schema_version", ev->schema_version);
	cJSON_AddNumberToObject(o, "ts_ms", (double)ev->ts_ms);
	cJSON_AddNumberToObject(o, "received_ms", 0);
	cJSON_AddNumberToObject(o, "lat", ev->gps.lat);
	cJSON_AddNumberToObject(o, "lon", ev->gps.lon);
	cJSON_AddNumberToObject(o, "accuracy_m", ev->gps.accuracy_m);
	if (ev->gps.altitude_m.presence == QP_PRESENT)
		cJSON_AddNumberToObject(o, "altitude_m", ev->gps.altitude_m.value);
	else
		cJSON_AddNullToObject(o, "altitude_m");
	if (ev->gps.speed_mps.presence == QP_PRESENT)
		cJSON_AddNumberToObject(o, "speed_mps", ev->gps.speed_mps.value);
	else
		cJSON_AddNullToObject(o, "speed_mps");
	{
		static const char *const names[14] = {
			"wifi_bssid", "wifi_ssid", "wifi_rssi_dbm", "wifi_freq_mhz", "cell_radio",
			"cell_mcc", "cell_mnc", "cell_area", "cell_cid", "cell_dbm", "cell_serving",
			"ble_addr", "ble_rssi_dbm", "ble_tx_power",
		};
		for (k = 0; k < 14; k++)
			a[k] = cJSON_AddArrayToObject(o, names[k]);
	}
	for (i = 0; i < ev->wifi_count; i++) {
		const qp_wifi_t *w = &ev->wifi[i];

		cJSON_AddItemToArray(a[0], cJSON_CreateString(w->bssid));
		cJSON_AddItemToArray(a[1], cJSON_CreateString(w->ssid ? w->ssid : ""));
		cJSON_AddItemToArray(a[2], cJSON_CreateNumber(w->rssi_dbm));
		cJSON_AddItemToArray(a[3], cJSON_CreateNumber(w->freq_mhz));
	}
	for (i = 0; i < ev->cell_count; i++) {
		const qp_cell_t *c = &ev->cell[i];

		cJSON_AddItemToArray(a[4], cJSON_CreateString(qp_radio_name(c->radio)));
		cJSON_AddItemToArray(a[5], cJSON_CreateNumber(c->mcc));
		cJSON_AddItemToArray(a[6], cJSON_CreateNumber(c->mnc));
		cJSON_AddItemToArray(a[7], cJSON_CreateNumber((double)c->area));
		cJSON_AddItemToArray(a[8], cJSON_CreateNumber((double)c->cid));
		cJSON_AddItemToArray(a[9], c->dbm.presence == QP_PRESENT
		                                   ? cJSON_CreateNumber((double)c->dbm.value)
		                                   : cJSON_CreateNull());
		cJSON_AddItemToArray(a[10], cJSON_CreateNumber(c->serving));
	}
	for (i = 0; i < ev->ble_count; i++) {
		const qp_ble_t *b = &ev->ble[i];

		cJSON_AddItemToArray(a[11], cJSON_CreateString(b->addr));
		cJSON_AddItemToArray(a[12], cJSON_CreateNumber(b->rssi_dbm));
		cJSON_AddItemToArray(a[13], b->tx_power.presence == QP_PRESENT
		                                    ? cJSON_CreateNumber((double)b->tx_power.value)
		                                    : cJSON_CreateNull());
	}
	cJSON_AddNumberToObject(o, "reward", ev->reward);
	cJSON_AddStringToObject(o, "app_version", ev->app_version);
	cJSON_AddStringToObject(o, "platform", ev->platform);
	cJSON_AddArrayToObject(o, "fraud_flags");
	cJSON_AddNumberToObject(o, "quality_score", 0);
	cJSON_AddStringToObject(o, "location_cluster", "");
	cJSON_AddStringToObject(o, "enriched_by", "");
	cJSON_AddStringToObject(o, "extra", "{}");
	return o;
}

/* ---- timing ---- */

typedef enum task {
	QP_DECODE, CJSON_PARSE, QP_ENCODE, CJSON_PRINT, QP_ROW, CJSON_ROW
} task_t;

static volatile size_t sink;

/* Runs one task over the whole corpus; returns elapsed nanoseconds. */
static uint64_t run(corpus_t *c, task_t task, qp_buf_t *buf)
{
	uint64_t start = bench_thread_cpu_ns();
	size_t total = 0;
	int i;

	for (i = 0; i < EVENTS; i++) {
		qp_scan_event_t *ev;
		cJSON *tree;
		char *text;

		switch (task) {
		case QP_DECODE:
			if (qp_event_decode(&ev, c->text[i], c->len[i]))
				abort();
			total += ev->wifi_count;
			qp_event_destroy(ev);
			break;
		case CJSON_PARSE:
			if (!(tree = cJSON_Parse(c->text[i])))
				abort();
			total += (size_t)tree->type;
			cJSON_Delete(tree);
			break;
		case QP_ENCODE:
			buf->size = 0;
			if (qp_event_encode(buf, c->events[i]))
				abort();
			total += buf->size;
			break;
		case QP_ROW:
			buf->size = 0;
			if (qp_event_encode_row(buf, c->events[i]))
				abort();
			total += buf->size;
			break;
		case CJSON_PRINT:
		case CJSON_ROW:
			tree = task == CJSON_PRINT ? cjson_event(c->events[i]) : cjson_row(c->events[i]);
			text = cJSON_PrintUnformatted(tree);
			total += strlen(text);
			cJSON_free(text);
			cJSON_Delete(tree);
			break;
		}
	}
	sink = total;
	return bench_thread_cpu_ns() - start;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

typedef struct figure {
	double median_per_s; /* events per second */
	double best_per_s;
} figure_t;

static int repetitions = REPETITIONS;

/* Alternates the two tasks of a pair, so that both see the same machine. */
static void measure_pair(corpus_t *c, task_t ours, task_t theirs, figure_t *a, figure_t *b)
{
	uint64_t *ta = calloc((size_t)repetitions, sizeof(*ta));
	uint64_t *tb = calloc((size_t)repetitions, sizeof(*tb));
	qp_buf_t buf = QP_BUF_INIT;
	int r;

	if (!ta || !tb)
		abort();
	run(c, ours, &buf); /* warm up caches and the allocator */
	run(c, theirs, &buf);
	for (r = 0; r < repetitions; r++) {
		ta[r] = run(c, ours, &buf);
		tb[r] = run(c, theirs, &buf);
	}
	qsort(ta, (size_t)repetitions, sizeof(ta[0]), compare_u64);
	qsort(tb, (size_t)repetitions, sizeof(tb[0]), compare_u64);
	a->median_per_s = EVENTS * 1e9 / (double)ta[repetitions / 2];
	a->best_per_s = EVENTS * 1e9 / (double)ta[0];
	b->median_per_s = EVENTS * 1e9 / (double)tb[repetitions / 2];
	b->best_per_s = EVENTS * 1e9 / (double)tb[0];
	free(ta);
	free(tb);
	qp_buf_dispose(&buf);
}

static void report(const char *what, const figure_t *ours, const figure_t *theirs,
                   double mean_bytes)
{
	printf("%-8s libquackpipe %9.0f events/s %6.1f MB/s (best %9.0f)   cJSON %9.0f events/s "
	       "%6.1f MB/s (best %9.0f)\n",
	       what, ours->median_per_s, ours->median_per_s * mean_bytes / 1e6, ours->best_per_s,
	       theirs->median_per_s, theirs->median_per_s * mean_bytes / 1e6, theirs->best_per_s);
}

int main(int argc, char **argv)
{
	static corpus_t c;
	figure_t dec, parse, enc, print, row, crow;
	const char *only = argc > 1 ? argv[1] : "all";
	double mean;
	int i;

	if (argc > 2)
		repetitions = atoi(argv[2]);
	if (argc > 3 || repetitions < 1 ||
	    (strcmp(only, "all") && strcmp(only, "decode") && strcmp(only, "encode") &&
	     strcmp(only, "row"))) {
		fprintf(stderr, "usage: bench_codec [all|decode|encode|row] [REPETITIONS]\n");
		return 2;
	}

	bench_print_conditions("codec");
	corpus_build(&c);
	mean = (double)c.bytes / EVENTS;
	printf("events: %d, %.0f bytes on average (%d-%d; 0-8 wifi, 0-3 cell, 0-4 ble, 1 in 10 "
	       "with unknown fields), %zu bytes in all\n",
	       EVENTS, mean, MIN_BYTES, MAX_BYTES, c.bytes);
	printf("timing: thread CPU time, %d repetitions per figure, median (best in brackets); "
	       "cJSON %s; library as built by bench/run (CMake Release)\n",
	       repetitions, cJSON_Version());

	if (!strcmp(only, "all") || !strcmp(only, "decode")) {
		measure_pair(&c, QP_DECODE, CJSON_PARSE, &dec, &parse);
		report("decode", &dec, &parse, mean);
		bench_result("codec_decode_validate", dec.median_per_s, "events/s",
		             "cjson_parse_delete", parse.median_per_s);
		bench_result("codec_decode_validate_mb", dec.median_per_s * mean / 1e6, "MB/s",
		             "cjson_parse_delete_mb", parse.median_per_s * mean / 1e6);
	}
	if (!strcmp(only, "all") || !strcmp(only, "encode")) {
		measure_pair(&c, QP_ENCODE, CJSON_PRINT, &enc, &print);
		report("encode", &enc, &print, mean);
		bench_result("codec_encode", enc.median_per_s, "events/s",
		             "cjson_tree_print_unformatted", print.median_per_s);
	}
	if (!strcmp(only, "all") || !strcmp(only, "row")) {
		measure_pair(&c, QP_ROW, CJSON_ROW, &row, &crow);
		report("row", &row, &crow, mean);
		bench_result("codec_encode_row", row.median_per_s, "events/s",
		             "cjson_row_tree_print", crow.median_per_s);
	}

	for (i = 0; i < EVENTS; i++) {
		free(c.text[i]);
		qp_event_destroy(c.events[i]);
	}
	return 0;
}
