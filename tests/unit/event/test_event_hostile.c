/*
 * Hostile input: malformed JSON, bad UTF-8, NUL bytes, every limit exactly
 * at and one past, truncation, deep nesting, huge numbers, mutations, and the
 * fuzzer's regression inputs. Each must fail cleanly (or decode), never
 * crash, read out of bounds or leak: the sanitizer build checks that.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "event_test.h"

typedef struct json_case {
	const char *text;
	size_t len; /* 0: strlen(text) */
	qp_err_t code;
	const char *detail;
} json_case_t;

static const json_case_t json_cases[] = {
	{ "", 0, QP_ERR_JSON, "offset 0: unexpected end of input, expected a JSON value" },
	{ "   ", 0, QP_ERR_JSON, "offset 3: unexpected end of input, expected a JSON value" },
	{ "{", 0, QP_ERR_JSON, "offset 1: unexpected end of input, expected a string key" },
	{ "{\"a\":1,}", 0, QP_ERR_JSON, "offset 7: unexpected '}', expected a string key" },
	{ "{\"a\" 1}", 0, QP_ERR_JSON, "offset 5: unexpected '1', expected ':' after an object key" },
	{ "{\"a\":1 \"b\":2}", 0, QP_ERR_JSON, "offset 7: unexpected '\"', expected ',' or '}'" },
	{ "{\"a\":[1,]}", 0, QP_ERR_JSON, "offset 8: unexpected ']', expected a JSON value" },
	{ "{\"a\":[1}", 0, QP_ERR_JSON, "offset 7: unexpected '}', expected ',' or ']'" },
	{ "{'a':1}", 0, QP_ERR_JSON, "offset 1: unexpected ''', expected a string key" },
	{ "{a:1}", 0, QP_ERR_JSON, "offset 1: unexpected 'a', expected a string key" },
	{ "{\"a\":01}", 0, QP_ERR_JSON, "offset 6: unexpected '1', expected ',' or '}'" },
	{ "{\"a\":-01}", 0, QP_ERR_JSON, "offset 7: unexpected '1', expected ',' or '}'" },
	{ "{\"a\":1.}", 0, QP_ERR_JSON, "offset 7: unexpected '}', expected a digit after '.'" },
	{ "{\"a\":.5}", 0, QP_ERR_JSON, "offset 5: unexpected '.', expected a JSON value" },
	{ "{\"a\":+1}", 0, QP_ERR_JSON, "offset 5: unexpected '+', expected a JSON value" },
	{ "{\"a\":1e}", 0, QP_ERR_JSON, "offset 7: unexpected '}', expected a digit in the exponent" },
	{ "{\"a\":0x10}", 0, QP_ERR_JSON, "offset 6: unexpected 'x', expected ',' or '}'" },
	{ "{\"a\":NaN}", 0, QP_ERR_JSON, "offset 5: unexpected 'N', expected a JSON value" },
	{ "{\"a\":Infinity}", 0, QP_ERR_JSON, "offset 5: unexpected 'I', expected a JSON value" },
	{ "{\"a\":-Infinity}", 0, QP_ERR_JSON, "offset 6: unexpected 'I', expected a digit" },
	{ "{\"a\":nul}", 0, QP_ERR_JSON, "offset 5: unexpected 'n', expected a JSON value" },
	{ "{\"a\":True}", 0, QP_ERR_JSON, "offset 5: unexpected 'T', expected a JSON value" },
	{ "{\"a\":1} x", 0, QP_ERR_JSON, "offset 8: unexpected 'x', expected the end of the document" },
	{ "{\"a\":1}{}", 0, QP_ERR_JSON, "offset 7: unexpected '{', expected the end of the document" },
	{ "{\"a\":\"x", 0, QP_ERR_JSON, "offset 7: unexpected end of input, in a string" },
	{ "{\"a\":\"x\ty\"}", 0, QP_ERR_JSON,
	  "offset 7: control character 0x09 in a string (must be escaped)" },
	{ "{\"a\":\"\\x\"}", 0, QP_ERR_JSON,
	  "offset 7: unexpected 'x', expected an escape character after '\\'" },
	{ "{\"a\":\"\\u12g4\"}", 0, QP_ERR_JSON,
	  "offset 8: unexpected '1', expected four hex digits after \\u" },
	{ "{\"a\":\"\\u0000\"}", 0, QP_ERR_FIELD_FORMAT,
	  "offset 6: \\u0000 (NUL) is not allowed in an event" },
	{ "{\"a\\u0000\":1}", 0, QP_ERR_FIELD_FORMAT,
	  "offset 3: \\u0000 (NUL) is not allowed in an event" },
	{ "{\"a\":\"\\ud800\"}", 0, QP_ERR_UTF8,
	  "offset 6: \\uD800 is a high surrogate without a low one" },
	{ "{\"a\":\"\\ud800\\u0041\"}", 0, QP_ERR_UTF8,
	  "offset 6: \\uD800 is a high surrogate without a low one" },
	{ "{\"a\":\"\\udc00\"}", 0, QP_ERR_UTF8, "offset 6: \\uDC00 is a lone low surrogate" },
	/* a whitespace byte JSON does not allow, which cJSON alone would skip */
	{ "{\"a\":\x01" "1}", 0, QP_ERR_JSON, "offset 5: unexpected byte 0x01, expected a JSON value" },
	{ "{\"a\":1,\f\"b\":2}", 0, QP_ERR_JSON,
	  "offset 7: unexpected byte 0x0C, expected a string key" },
	/* byte order mark */
	{ "\xef\xbb\xbf{}", 0, QP_ERR_JSON, "offset 0: unexpected byte 0xEF, expected a JSON value" },
	/* NUL bytes */
	{ "{\"a\":1,\0\"b\":2}", 13, QP_ERR_JSON,
	  "offset 7: unexpected byte 0x00, expected a string key" },
	{ "{\"a\":\"x\0y\"}", 11, QP_ERR_JSON,
	  "offset 7: control character 0x00 in a string (must be escaped)" },
	{ "{\"a\":1}\0", 8, QP_ERR_JSON,
	  "offset 7: unexpected byte 0x00, expected the end of the document" },
	{ "\0", 1, QP_ERR_JSON, "offset 0: unexpected byte 0x00, expected a JSON value" },
	/* invalid UTF-8: stray bytes, overlongs, UTF-16 surrogates, > U+10FFFF, cut */
	{ "{\"a\":\"\xff\"}", 0, QP_ERR_UTF8, "offset 6: invalid UTF-8 (byte 0xFF)" },
	{ "{\"a\":\"\x80\"}", 0, QP_ERR_UTF8, "offset 6: invalid UTF-8 (byte 0x80)" },
	{ "{\"a\":\"\xc0\xaf\"}", 0, QP_ERR_UTF8, "offset 6: invalid UTF-8 (byte 0xC0)" },
	{ "{\"a\":\"\xe0\x80\xaf\"}", 0, QP_ERR_UTF8, "offset 6: invalid UTF-8 (byte 0xE0)" },
	{ "{\"a\":\"\xf0\x80\x80\xaf\"}", 0, QP_ERR_UTF8, "offset 6: invalid UTF-8 (byte 0xF0)" },
	{ "{\"a\":\"\xed\xa0\x80\"}", 0, QP_ERR_UTF8, "offset 6: invalid UTF-8 (byte 0xED)" },
	{ "{\"a\":\"\xf4\x90\x80\x80\"}", 0, QP_ERR_UTF8, "offset 6: invalid UTF-8 (byte 0xF4)" },
	{ "{\"a\":\"\xe2\x82\"}", 0, QP_ERR_UTF8, "offset 6: invalid UTF-8 (byte 0xE2)" },
	{ "{\"a\":\"\xe2\x82", 0, QP_ERR_UTF8, "offset 6: invalid UTF-8 (byte 0xE2)" },
	{ "{\"\xfe\":1}", 0, QP_ERR_UTF8, "offset 2: invalid UTF-8 (byte 0xFE)" },
	{ "{\"a\":1}\xff", 0, QP_ERR_UTF8, "offset 7: invalid UTF-8 (byte 0xFF)" },
	{ "{\"a\":\xc3\xa9}", 0, QP_ERR_JSON, "offset 5: unexpected byte 0xC3, expected a JSON value" },
	/* a number cJSON would cut short */
	{ "{\"a\":1.00000000000000000000000000000000000000000000000000000000000001}", 0,
	  QP_ERR_TOO_LARGE, "offset 5: number longer than 63 characters" },
};

static void malformed_json_fails_with_the_offset(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
		const json_case_t *c = &json_cases[i];
		size_t len = c->len ? c->len : strlen(c->text);
		qp_scan_event_t *ev = (qp_scan_event_t *)&ev;
		qp_err_t err = decode_exact(&ev, c->text, len, false);

		if (err != c->code || strcmp(qp_error_last(), c->detail))
			fail_msg("case %zu (%.60s)\n  expected %s \"%s\"\n  got      %s \"%s\"", i,
			         c->text, qp_err_name(c->code), c->detail, qp_err_name(err),
			         qp_error_last());
		assert_null(ev);
	}
}

/* A valid event with one more top-level member, "pad":"xxx..." sized so that
 * the event is total bytes long. */
static char *event_of_size(size_t total)
{
	char *base = EVENT_WITH("pad:\"\""), *out;
	size_t base_len = strlen(base), pad = total - base_len, at;

	out = malloc(total + 1);
	assert_non_null(out);
	at = (size_t)(strstr(base, "\"pad\":\"\"") - base) + strlen("\"pad\":\"");
	memcpy(out, base, at);
	memset(out + at, 'x', pad);
	memcpy(out + at + pad, base + at, base_len - at + 1);
	free(base);
	return out;
}

static void size_limit(void **state)
{
	char *at = event_of_size(QP_EVENT_MAX_BYTES), *past = event_of_size(QP_EVENT_MAX_BYTES + 1);
	qp_scan_event_t *ev = NULL;

	assert_int_equal(strlen(at), QP_EVENT_MAX_BYTES);
	assert_int_equal(decode_exact(&ev, at, QP_EVENT_MAX_BYTES, false), QP_OK);
	assert_true(strlen(ev->unknown_json) > QP_EVENT_MAX_BYTES - 1000);
	assert_memory_equal(ev->unknown_json, "\"pad\":\"xxx", 10);
	qp_event_destroy(ev);
	assert_decode_fails(past, false, QP_ERR_TOO_LARGE, "event: 65537 bytes, at most 65536");
	free(at);
	free(past);
}

/* "x": n nested arrays inside the event (the event itself is level 1). */
static char *nested(int n)
{
	char *inner = malloc((size_t)n * 2 + 1), *change, *out;
	int i;

	for (i = 0; i < n; i++) {
		inner[i] = '[';
		inner[n + i] = ']';
	}
	inner[2 * n] = '\0';
	change = malloc(strlen(inner) + 3);
	sprintf(change, "x:%s", inner);
	out = EVENT_WITH(change);
	free(inner);
	free(change);
	return out;
}

static void depth_limit(void **state)
{
	char *at = nested(QP_EVENT_MAX_DEPTH - 1), *past = nested(QP_EVENT_MAX_DEPTH);
	qp_scan_event_t *ev = NULL;
	char detail[128];

	assert_int_equal(decode_exact(&ev, at, strlen(at), false), QP_OK);
	assert_non_null(strstr(ev->unknown_json, "\"x\":[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]"));
	qp_event_destroy(ev);
	snprintf(detail, sizeof(detail), "offset %zu: nesting deeper than 16 levels",
	         (size_t)(strstr(past, "\"x\":") - past) + 4 + QP_EVENT_MAX_DEPTH - 1);
	assert_decode_fails(past, false, QP_ERR_TOO_DEEP, detail);
	free(at);
	free(past);
}

/* Far deeper than any stack could recurse: refused at level 17, at once,
 * without recursion (the size limit refuses 100000 brackets even before). */
static void very_deep_nesting(void **state)
{
	size_t n = 100000, i;
	char *arrays = malloc(n), *objects = malloc(n * 5);

	memset(arrays, '[', n);
	assert_int_equal(qp_event_decode(&(qp_scan_event_t *){ NULL }, arrays, n), QP_ERR_TOO_LARGE);
	assert_int_equal(qp_event_decode(&(qp_scan_event_t *){ NULL }, arrays, QP_EVENT_MAX_BYTES),
	                 QP_ERR_TOO_DEEP);
	assert_string_equal(qp_error_last(), "offset 16: nesting deeper than 16 levels");
	for (i = 0; i < n; i++)
		memcpy(objects + i * 5, "{\"a\":", 5);
	assert_int_equal(qp_event_decode(&(qp_scan_event_t *){ NULL }, objects, QP_EVENT_MAX_BYTES),
	                 QP_ERR_TOO_DEEP);
	assert_string_equal(qp_error_last(), "offset 80: nesting deeper than 16 levels");
	free(arrays);
	free(objects);
}

static char *entries(const char *key, const char *entry, size_t n)
{
	size_t len = strlen(key) + 3 + n * (strlen(entry) + 1), i;
	char *out = malloc(len + 1), *p = out;

	p += sprintf(p, "%s:[", key);
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i ? "," : "", entry);
	strcpy(p, "]");
	return out;
}

static void array_count_limits(void **state)
{
	static const struct {
		const char *key, *entry;
		size_t limit;
		bool enriched;
	} arrays[] = {
		{ "wifi", "{\"bssid\":\"aa:bb:cc:dd:ee:01\",\"rssi_dbm\":-60,\"freq_mhz\":2412}",
		  QP_EVENT_MAX_WIFI, false },
		{ "cell", "{\"radio\":\"gsm\",\"mcc\":208,\"mnc\":1,\"area\":2,\"cid\":3,"
		          "\"serving\":false}", QP_EVENT_MAX_CELL, false },
		{ "ble", "{\"addr\":\"aa:bb:cc:dd:ee:01\",\"rssi_dbm\":-60}", QP_EVENT_MAX_BLE, false },
		{ "fraud_flags", "\"speed\"", QP_EVENT_MAX_FLAGS, true },
	};
	size_t i;

	for (i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) {
		char *at = entries(arrays[i].key, arrays[i].entry, arrays[i].limit);
		char *past = entries(arrays[i].key, arrays[i].entry, arrays[i].limit + 1);
		char *ok = EVENT_WITH(at, "received_ms:1718900000500", "quality_score:0.5",
		                      "location_cluster:\"u0\"", "enriched_by:\"qp\"");
		char *bad = EVENT_WITH(past, "received_ms:1718900000500", "quality_score:0.5",
		                       "location_cluster:\"u0\"", "enriched_by:\"qp\"");
		char *ok_raw = EVENT_WITH(at), *bad_raw = EVENT_WITH(past);
		qp_scan_event_t *ev = NULL;
		char detail[128];

		if (arrays[i].enriched) {
			assert_int_equal(decode_exact(&ev, ok, strlen(ok), true), QP_OK);
			assert_int_equal(ev->enrichment.fraud_flag_count, arrays[i].limit);
		} else {
			assert_int_equal(decode_exact(&ev, ok_raw, strlen(ok_raw), false), QP_OK);
			assert_int_equal(i == 0 ? ev->wifi_count : i == 1 ? ev->cell_count : ev->ble_count,
			                 arrays[i].limit);
		}
		qp_event_destroy(ev);
		snprintf(detail, sizeof(detail), "%s: %zu entries, at most %zu", arrays[i].key,
		         arrays[i].limit + 1, arrays[i].limit);
		assert_decode_fails(arrays[i].enriched ? bad : bad_raw, arrays[i].enriched,
		                    QP_ERR_TOO_LARGE, detail);
		free(at);
		free(past);
		free(ok);
		free(bad);
		free(ok_raw);
		free(bad_raw);
	}
}

static char *quoted_run(char c, size_t n)
{
	char *out = malloc(n + 3);

	out[0] = '"';
	memset(out + 1, c, n);
	strcpy(out + 1 + n, "\"");
	return out;
}

static void string_length_limits(void **state)
{
	static const char *const fields[] = { "device_id", "app_version", "platform" };
	char *at = quoted_run('a', QP_EVENT_MAX_STRING), *past = quoted_run('a', QP_EVENT_MAX_STRING + 1);
	char *ssid_at = quoted_run('s', 32), change[400], detail[128];
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		qp_scan_event_t *ev = NULL;
		char *text;

		snprintf(change, sizeof(change), "%s:%s", fields[i], at);
		text = EVENT_WITH(change);
		assert_int_equal(decode_exact(&ev, text, strlen(text), false), QP_OK);
		qp_event_destroy(ev);
		free(text);
		snprintf(change, sizeof(change), "%s:%s", fields[i], past);
		text = EVENT_WITH(change);
		snprintf(detail, sizeof(detail), "%s: 257 bytes, at most 256", fields[i]);
		assert_decode_fails(text, false, QP_ERR_TOO_LARGE, detail);
		free(text);
	}
	/* the enrichment's strings too */
	{
		char flags[400], cluster[400];
		qp_scan_event_t *ev = NULL;
		char *text;

		snprintf(flags, sizeof(flags), "fraud_flags:[%s]", at);
		snprintf(cluster, sizeof(cluster), "location_cluster:%s", at);
		text = EVENT_WITH("received_ms:1718900000500", flags, "quality_score:0.5", cluster,
		                  "enriched_by:\"qp\"");
		assert_int_equal(decode_exact(&ev, text, strlen(text), true), QP_OK);
		assert_int_equal(strlen(ev->enrichment.location_cluster), QP_EVENT_MAX_STRING);
		qp_event_destroy(ev);
		free(text);
		snprintf(flags, sizeof(flags), "fraud_flags:[%s]", past);
		text = EVENT_WITH("received_ms:1718900000500", flags, "quality_score:0.5",
		                  "location_cluster:\"u\"", "enriched_by:\"qp\"");
		assert_decode_fails(text, true, QP_ERR_TOO_LARGE, "fraud_flags[0]: 257 bytes, at most 256");
		free(text);
	}
	/* an SSID of exactly 32 bytes (33 is in the rule table) */
	{
		qp_scan_event_t *ev = NULL;
		char *text;

		snprintf(change, sizeof(change),
		         "wifi:[{\"bssid\":\"aa:bb:cc:dd:ee:01\",\"ssid\":%s,\"rssi_dbm\":-1,"
		         "\"freq_mhz\":2400}]", ssid_at);
		text = EVENT_WITH(change);
		assert_int_equal(decode_exact(&ev, text, strlen(text), false), QP_OK);
		assert_int_equal(strlen(ev->wifi[0].ssid), 32);
		qp_event_destroy(ev);
		free(text);
	}
	free(at);
	free(past);
	free(ssid_at);
}

static void number_length_limit(void **state)
{
	/* 63 characters: accepted, and kept as written */
	const char *n63 = "1.000000000000000000000000000000000000000000000000000000000001";
	char change[128], *text;
	qp_scan_event_t *ev = NULL;

	assert_int_equal(strlen(n63), 62);
	snprintf(change, sizeof(change), "n:-%s", n63);
	text = EVENT_WITH(change);
	assert_int_equal(decode_exact(&ev, text, strlen(text), false), QP_OK);
	assert_non_null(strstr(ev->unknown_json, n63));
	qp_event_destroy(ev);
	free(text);
}

/* Numbers a double cannot hold are refused in any field; numbers that only
 * lose precision or underflow are read as JSON says (nearest double). */
static void huge_and_tiny_numbers(void **state)
{
	qp_scan_event_t *ev = NULL;
	char *text;

	text = EVENT_WITH("reward:1e999");
	assert_decode_fails(text, false, QP_ERR_FIELD_RANGE, "reward: number too large for a double");
	free(text);
	text = EVENT_WITH("ts_ms:-1e999");
	assert_decode_fails(text, false, QP_ERR_FIELD_RANGE, "ts_ms: number too large for a double");
	free(text);
	text = EVENT_WITH("reward:1e-999", "x:[1e-999,123456789012345678901234567890]");
	assert_int_equal(decode_exact(&ev, text, strlen(text), false), QP_OK);
	assert_true(ev->reward == 0);
	assert_string_equal(ev->unknown_json, "\"x\":[1e-999,123456789012345678901234567890]");
	qp_event_destroy(ev);
	free(text);
}

/* Every prefix of a valid event is incomplete JSON: each fails cleanly (the
 * decoder gets exactly that many bytes, so reading past them shows). */
static void every_prefix_fails_cleanly(void **state)
{
	static const char *const names[] = { "all_kinds.json", "unknown_fields.json",
	                                     "enriched.json", "pretty.json" };
	size_t i, n;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t len;
		char *text = event_fixture(names[i], &len);
		size_t complete = (size_t)(strrchr(text, '}') - text) + 1;

		for (n = 0; n < complete; n++) {
			qp_scan_event_t *ev = (qp_scan_event_t *)&ev;
			qp_err_t err = decode_exact(&ev, text, n, i == 2);

			if (err != QP_ERR_JSON && err != QP_ERR_UTF8)
				fail_msg("%s cut at %zu: %s %s", names[i], n, qp_err_name(err),
				         qp_error_last());
			assert_null(ev);
		}
		free(text);
	}
}

static uint64_t next_random(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return *state >> 33;
}

/* Deterministic mutations (bytes replaced, inserted, deleted) of valid
 * events: whatever decodes must encode and decode again to an equal event. */
static void mutated_events_never_crash(void **state)
{
	static const char *const names[] = { "all_kinds.json", "unknown_fields.json",
	                                     "cell_only.json", "enriched.json" };
	static const char bytes[] = "{}[]\":,0123456789-+.eE\\u nulltruefalse\x80\xc3\xff\t\n";
	uint64_t seed = 7;
	size_t i, round;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t len;
		char *text = event_fixture(names[i], &len);

		for (round = 0; round < 1500; round++) {
			char *m = malloc(len + 8);
			size_t mlen = len, k, edits = 1 + next_random(&seed) % 3;
			qp_scan_event_t *ev = NULL;

			memcpy(m, text, len);
			for (k = 0; k < edits && mlen > 1; k++) {
				size_t at = next_random(&seed) % mlen;
				char c = bytes[next_random(&seed) % (sizeof(bytes) - 1)];

				switch (next_random(&seed) % 3) {
				case 0:
					m[at] = c;
					break;
				case 1:
					memmove(m + at + 1, m + at, mlen - at);
					m[at] = c;
					mlen++;
					break;
				default:
					memmove(m + at, m + at + 1, mlen - at - 1);
					mlen--;
				}
			}
			if (!decode_exact(&ev, m, mlen, i == 3)) {
				qp_buf_t out = QP_BUF_INIT, row = QP_BUF_INIT;
				qp_scan_event_t *again = NULL;

				assert_int_equal(qp_event_encode(&out, ev), QP_OK);
				assert_int_equal(qp_event_encode_row(&row, ev), QP_OK);
				assert_int_equal(decode_exact(&again, out.ptr, out.size, i == 3), QP_OK);
				assert_events_equal(ev, again);
				qp_event_destroy(again);
				qp_buf_dispose(&out);
				qp_buf_dispose(&row);
			}
			qp_event_destroy(ev);
			free(m);
		}
		free(text);
	}
}

/* What the fuzzer once found: decoding must not crash (ASan watches). */
static void regression_inputs_do_not_crash(void **state)
{
	char dir_path[1024];
	struct dirent *entry;
	size_t files = 0;
	DIR *dir;

	snprintf(dir_path, sizeof(dir_path), "%s/events/regress", QP_TEST_RESOURCES);
	dir = opendir(dir_path);
	if (!dir)
		fail_msg("cannot open %s", dir_path);
	while ((entry = readdir(dir))) {
		char name[1100];
		size_t len;
		char *text;
		int enriched;

		if (entry->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "regress/%s", entry->d_name);
		text = event_fixture(name, &len);
		for (enriched = 0; enriched < 2; enriched++) {
			qp_scan_event_t *ev = NULL;

			if (!decode_exact(&ev, text, len, enriched)) {
				qp_buf_t out = QP_BUF_INIT;

				assert_int_equal(qp_event_encode(&out, ev), QP_OK);
				qp_buf_dispose(&out);
			}
			qp_event_destroy(ev);
		}
		free(text);
		files++;
	}
	closedir(dir);
	assert_true(files >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(malformed_json_fails_with_the_offset),
		cmocka_unit_test(size_limit),
		cmocka_unit_test(depth_limit),
		cmocka_unit_test(very_deep_nesting),
		cmocka_unit_test(array_count_limits),
		cmocka_unit_test(string_length_limits),
		cmocka_unit_test(number_length_limit),
		cmocka_unit_test(huge_and_tiny_numbers),
		cmocka_unit_test(every_prefix_fails_cleanly),
		cmocka_unit_test(mutated_events_never_crash),
		cmocka_unit_test(regression_inputs_do_not_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
