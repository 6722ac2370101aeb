#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "event_test.h"

char *event_fixture(const char *name, size_t *len)
{
	char path[1024];
	FILE *f;
	char *text;
	long size;

	snprintf(path, sizeof(path), "%s/events/%s", QP_TEST_RESOURCES, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open fixture %s", path);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	text = malloc((size_t)size + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	text[size] = '\0';
	*len = (size_t)size;
	return text;
}

qp_err_t decode_exact(qp_scan_event_t **out, const char *text, size_t len, bool enriched)
{
	char *copy = malloc(len ? len : 1);
	qp_err_t err;

	assert_non_null(copy);
	memcpy(copy, text, len);
	err = enriched ? qp_event_decode_enriched(out, copy, len) : qp_event_decode(out, copy, len);
	free(copy);
	return err;
}

#define WIFI_BASE "{\"bssid\":\"aa:bb:cc:dd:ee:01\",\"ssid\":\"net\",\"rssi_dbm\":-60,\"freq_mhz\":2412}"

const char *const event_base_members[][2] = {
	{ "schema_version", "1" },
	{ "scan_id", "\"0b1f6c2e-5d7a-4e0f-9a51-6a2f8e4c7d10\"" },
	{ "device_id", "\"dev-1\"" },
	{ "ts_ms", "1718900000000" },
	{ "gps", "{\"lat\":48.85,\"lon\":2.35,\"accuracy_m\":10}" },
	{ "wifi", "[" WIFI_BASE "," WIFI_BASE "," WIFI_BASE "]" },
	{ "cell", "[{\"radio\":\"lte\",\"mcc\":208,\"mnc\":10,\"area\":1,\"cid\":2,\"dbm\":-90,"
	          "\"serving\":true}]" },
	{ "ble", "[{\"addr\":\"aa:bb:cc:dd:ee:10\",\"rssi_dbm\":-70,\"tx_power\":-59}]" },
	{ "reward", "0.5" },
	{ "app_version", "\"1.0\"" },
	{ "platform", "\"android\"" },
	{ NULL, NULL },
};

static void append(char **out, size_t *len, const char *text)
{
	size_t n = strlen(text);

	*out = realloc(*out, *len + n + 1);
	assert_non_null(*out);
	memcpy(*out + *len, text, n + 1);
	*len += n;
}

static size_t key_length(const char *change)
{
	const char *colon = strchr(change, ':');

	return colon ? (size_t)(colon - change) : strlen(change);
}

/* The last change for key: NULL if none, "" if removed, else the value. */
static const char *change_for(const char *const *changes, const char *key, size_t keylen)
{
	const char *found = NULL;

	for (; *changes; changes++)
		if (key_length(*changes) == keylen && !strncmp(*changes, key, keylen))
			found = strchr(*changes, ':') ? strchr(*changes, ':') + 1 : "";
	return found;
}

char *event_with(const char *const *changes)
{
	char *out = NULL;
	size_t len = 0, i;
	bool first = true;
	const char *const *c;

	append(&out, &len, "{");
	for (i = 0; event_base_members[i][0]; i++) {
		const char *key = event_base_members[i][0];
		const char *value = change_for(changes, key, strlen(key));

		if (value && !*value)
			continue;
		append(&out, &len, first ? "\"" : ",\"");
		append(&out, &len, key);
		append(&out, &len, "\":");
		append(&out, &len, value ? value : event_base_members[i][1]);
		first = false;
	}
	for (c = changes; *c; c++) {
		const char *colon = strchr(*c, ':'), *const *later;
		bool skip = !colon;

		for (i = 0; colon && event_base_members[i][0]; i++)
			if (strlen(event_base_members[i][0]) == (size_t)(colon - *c) &&
			    !strncmp(event_base_members[i][0], *c, (size_t)(colon - *c)))
				skip = true;
		/* a later change of the same key wins */
		for (later = c + 1; *later && !skip; later++)
			if (key_length(*later) == key_length(*c) && !strncmp(*later, *c, key_length(*c)))
				skip = true;
		if (skip)
			continue;
		append(&out, &len, first ? "\"" : ",\"");
		out = realloc(out, len + (size_t)(colon - *c) + 1);
		memcpy(out + len, *c, (size_t)(colon - *c));
		len += (size_t)(colon - *c);
		out[len] = '\0';
		append(&out, &len, "\":");
		append(&out, &len, colon + 1);
		first = false;
	}
	append(&out, &len, "}");
	return out;
}

static void assert_strings_equal(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_opt_double_equal(qp_opt_double_t a, qp_opt_double_t b)
{
	assert_int_equal(a.presence, b.presence);
	if (a.presence == QP_PRESENT)
		assert_true(a.value == b.value);
}

static void assert_opt_int_equal(qp_opt_int_t a, qp_opt_int_t b)
{
	assert_int_equal(a.presence, b.presence);
	if (a.presence == QP_PRESENT)
		assert_int_equal(a.value, b.value);
}

void assert_events_equal(const qp_scan_event_t *a, const qp_scan_event_t *b)
{
	size_t i;

	assert_int_equal(a->schema_version, b->schema_version);
	assert_string_equal(a->scan_id, b->scan_id);
	assert_string_equal(a->device_id, b->device_id);
	assert_int_equal(a->ts_ms, b->ts_ms);
	assert_true(a->gps.lat == b->gps.lat);
	assert_true(a->gps.lon == b->gps.lon);
	assert_true(a->gps.accuracy_m == b->gps.accuracy_m);
	assert_opt_double_equal(a->gps.altitude_m, b->gps.altitude_m);
	assert_opt_double_equal(a->gps.speed_mps, b->gps.speed_mps);
	assert_string_equal(a->gps.unknown_json, b->gps.unknown_json);
	assert_int_equal(a->wifi_count, b->wifi_count);
	for (i = 0; i < a->wifi_count; i++) {
		assert_string_equal(a->wifi[i].bssid, b->wifi[i].bssid);
		assert_int_equal(a->wifi[i].ssid_presence, b->wifi[i].ssid_presence);
		assert_strings_equal(a->wifi[i].ssid, b->wifi[i].ssid);
		assert_int_equal(a->wifi[i].rssi_dbm, b->wifi[i].rssi_dbm);
		assert_int_equal(a->wifi[i].freq_mhz, b->wifi[i].freq_mhz);
		assert_string_equal(a->wifi[i].unknown_json, b->wifi[i].unknown_json);
	}
	assert_int_equal(a->cell_count, b->cell_count);
	for (i = 0; i < a->cell_count; i++) {
		assert_int_equal(a->cell[i].radio, b->cell[i].radio);
		assert_int_equal(a->cell[i].mcc, b->cell[i].mcc);
		assert_int_equal(a->cell[i].mnc, b->cell[i].mnc);
		assert_int_equal(a->cell[i].area, b->cell[i].area);
		assert_int_equal(a->cell[i].cid, b->cell[i].cid);
		assert_opt_int_equal(a->cell[i].dbm, b->cell[i].dbm);
		assert_int_equal(a->cell[i].serving, b->cell[i].serving);
		assert_string_equal(a->cell[i].unknown_json, b->cell[i].unknown_json);
	}
	assert_int_equal(a->ble_count, b->ble_count);
	for (i = 0; i < a->ble_count; i++) {
		assert_string_equal(a->ble[i].addr, b->ble[i].addr);
		assert_int_equal(a->ble[i].rssi_dbm, b->ble[i].rssi_dbm);
		assert_opt_int_equal(a->ble[i].tx_power, b->ble[i].tx_power);
		assert_opt_double_equal(a->ble[i].signal_strength, b->ble[i].signal_strength);
		assert_string_equal(a->ble[i].unknown_json, b->ble[i].unknown_json);
	}
	assert_true(a->reward == b->reward);
	assert_string_equal(a->app_version, b->app_version);
	assert_string_equal(a->platform, b->platform);
	assert_int_equal(a->enriched, b->enriched);
	if (a->enriched) {
		assert_int_equal(a->enrichment.received_ms, b->enrichment.received_ms);
		assert_int_equal(a->enrichment.fraud_flag_count, b->enrichment.fraud_flag_count);
		for (i = 0; i < a->enrichment.fraud_flag_count; i++)
			assert_string_equal(a->enrichment.fraud_flags[i], b->enrichment.fraud_flags[i]);
		assert_true(a->enrichment.quality_score == b->enrichment.quality_score);
		assert_string_equal(a->enrichment.location_cluster, b->enrichment.location_cluster);
		assert_string_equal(a->enrichment.enriched_by, b->enrichment.enriched_by);
	}
	assert_string_equal(a->unknown_json, b->unknown_json);
}

void assert_decode_fails(const char *text, bool enriched, qp_err_t code, const char *detail)
{
	qp_scan_event_t *ev = (qp_scan_event_t *)&ev; /* must be reset to NULL */
	qp_err_t err = decode_exact(&ev, text, strlen(text), enriched);

	if (err != code || strcmp(qp_error_last(), detail))
		fail_msg("decoding %.300s\n  expected %s \"%s\"\n  got      %s \"%s\"", text,
		         qp_err_name(code), detail, qp_err_name(err), qp_error_last());
	assert_null(ev);
}
