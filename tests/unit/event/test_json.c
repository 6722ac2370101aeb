/* The codec's raw JSON helpers: UTF-8 check, strict scan, member spans, writers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/json_int.h"
#include "base/utf8_int.h"

static void utf8_accepts_every_valid_length(void **state)
{
	static const char *const valid[] = {
		"", "plain ascii", "\x7f", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf",
		"\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
		"caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\xa6\x86",
	};
	size_t i;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		assert_int_equal(qp_utf8__invalid_at(valid[i], strlen(valid[i])), strlen(valid[i]));
	/* NUL is valid UTF-8; refusing it is the caller's business */
	assert_int_equal(qp_utf8__invalid_at("a\0b", 3), 3);
}

static void utf8_refuses_overlongs_surrogates_and_cuts(void **state)
{
	static const struct {
		const char *text;
		size_t bad;
	} invalid[] = {
		{ "\x80", 0 }, { "a\xbf", 1 }, { "\xc0\x80", 0 }, { "\xc1\xbf", 0 },
		{ "\xe0\x9f\xbf", 0 }, { "\xed\xa0\x80", 0 }, { "\xed\xbf\xbf", 0 },
		{ "\xf0\x8f\xbf\xbf", 0 }, { "\xf4\x90\x80\x80", 0 }, { "\xf5\x80\x80\x80", 0 },
		{ "\xff", 0 }, { "\xfe", 0 }, { "ab\xc3", 2 }, { "ab\xe2\x82", 2 },
		{ "\xe2\x28\xa1", 0 }, { "\xf0\x90\x28\xbc", 0 }, { "ok\xc3\xa9\xc3(", 4 },
	};
	size_t i;

	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
		assert_int_equal(qp_utf8__invalid_at(invalid[i].text, strlen(invalid[i].text)),
		                 invalid[i].bad);
}

/* The eight-byte ASCII fast path, with the bad byte at every position. */
static void utf8_fast_path_edges(void **state)
{
	char text[64];
	size_t at;

	for (at = 0; at < sizeof(text); at++) {
		memset(text, 'a', sizeof(text));
		text[at] = (char)0xff;
		assert_int_equal(qp_utf8__invalid_at(text, sizeof(text)), at);
		if (at + 2 <= sizeof(text)) {
			text[at] = (char)0xc3;
			text[at + 1] = (char)0xa9;
			assert_int_equal(qp_utf8__invalid_at(text, sizeof(text)), sizeof(text));
		}
	}
}

static void scan_records_containers_and_keys(void **state)
{
	const char *doc = " {\"a\": [1, {\"b\":{}}, []], \"c\\u0064\": \"xy\", \"longer_than_sixteen\": {} } ";
	qp_json_scan_t scan;
	uint64_t head[2];

	assert_int_equal(qp_json__scan(&scan, doc, strlen(doc), 16), QP_OK);
	assert_int_equal(scan.count, 6);
	/* document order: the event, [, {"b":{}}, {}, [], then the long key's {} */
	assert_int_equal(scan.containers[0].offset, 1);
	assert_int_equal(scan.containers[0].end, strlen(doc) - 1);
	assert_int_equal(scan.containers[0].descendants, 5);
	assert_int_equal(doc[scan.containers[1].offset], '[');
	assert_int_equal(scan.containers[1].descendants, 3);
	assert_int_equal(doc[scan.containers[2].offset], '{');
	assert_int_equal(scan.containers[2].descendants, 1);
	assert_int_equal(doc[scan.containers[3].offset], '{');
	assert_int_equal(scan.containers[3].end, scan.containers[3].offset + 2);
	/* keys a, b, c\u0064, longer_than_sixteen */
	assert_int_equal(scan.key_count, 4);
	assert_int_equal(scan.containers[0].keys_begin, 0);
	assert_int_equal(scan.containers[0].keys_end, 4);
	assert_int_equal(scan.containers[1].keys_begin, 1);
	assert_int_equal(scan.containers[1].keys_end, 2);
	assert_int_equal(scan.keys[0].len, 1);
	assert_false(scan.keys[0].escaped);
	qp_json__key_head(head, "a\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 1);
	assert_memory_equal(scan.keys[0].head, head, sizeof(head));
	assert_true(scan.keys[2].escaped);
	assert_int_equal(scan.keys[3].len, 19);
	/* string values: "xy" with its quotes */
	assert_int_equal(scan.string_bytes, 4);
	qp_json__scan_dispose(&scan);
}

/* Key heads compare equal exactly when the first 16 bytes and lengths do. */
static void key_heads(void **state)
{
	static const char padded[] = "location_cluster\0\0\0\0";
	uint64_t a[2], b[2];
	char text[32];

	qp_json__key_head(a, padded, 16);
	memcpy(text, "location_clusterXYZ", 20);
	qp_json__key_head(b, text, 16);
	assert_memory_equal(a, b, sizeof(a));
	qp_json__key_head(b, text, 8);
	assert_memory_not_equal(a, b, sizeof(a));
	memcpy(text, "lat\"garbage......", 18);
	qp_json__key_head(a, text, 3);
	qp_json__key_head(b, "lat\0\0\0\0\0\0\0\0\0\0\0\0\0", 3);
	assert_memory_equal(a, b, sizeof(a));
}

/* No recursion: nesting far past the limit costs nothing but a refusal. */
static void scan_refuses_deep_nesting_without_recursion(void **state)
{
	size_t n = 1000000;
	char *doc = malloc(n);
	qp_json_scan_t scan;

	memset(doc, '[', n);
	assert_int_equal(qp_json__scan(&scan, doc, n, 64), QP_ERR_TOO_DEEP);
	assert_string_equal(qp_error_last(), "offset 64: nesting deeper than 64 levels");
	qp_json__scan_dispose(&scan);
	memset(doc, ' ', n);
	doc[n - 2] = '[';
	doc[n - 1] = ']';
	assert_int_equal(qp_json__scan(&scan, doc, n, 64), QP_OK);
	assert_int_equal(scan.containers[0].offset, n - 2);
	qp_json__scan_dispose(&scan);
	free(doc);
}

/* More containers and keys than the inline records hold. */
static void scan_grows_its_records(void **state)
{
	size_t n = 3000, i;
	char *doc = malloc(n * 8 + 3), *p = doc;
	qp_json_scan_t scan;

	*p++ = '{';
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s\"k%zu\":[]", i ? "," : "", i % 10);
	*p++ = '}';
	assert_int_equal(qp_json__scan(&scan, doc, (size_t)(p - doc), 16), QP_OK);
	assert_int_equal(scan.count, n + 1);
	assert_int_equal(scan.key_count, n);
	assert_int_equal(scan.containers[0].descendants, n);
	assert_int_equal(scan.containers[n].keys_begin, n);
	qp_json__scan_dispose(&scan);
	free(doc);
}

static void members_give_raw_spans(void **state)
{
	const char *doc = "{ \"a\" : 1.50 , \"b\":{\"x\":[1,2]} ,\"c\\\"\": \"v,}\" ,\"d\":[{}], \"e\":null}";
	static const char *const keys[] = { "\"a\"", "\"b\"", "\"c\\\"\"", "\"d\"", "\"e\"" };
	static const char *const values[] = { "1.50", "{\"x\":[1,2]}", "\"v,}\"", "[{}]", "null" };
	qp_json_scan_t scan;
	qp_json_members_t it;
	qp_json_span_t key, value;
	size_t i = 0;

	assert_int_equal(qp_json__scan(&scan, doc, strlen(doc), 16), QP_OK);
	qp_json__members_init(&it, doc, strlen(doc), &scan, 0);
	while (qp_json__members_next(&it, &key, &value)) {
		assert_true(i < 5);
		assert_int_equal(key.len, strlen(keys[i]));
		assert_memory_equal(key.ptr, keys[i], key.len);
		assert_int_equal(value.len, strlen(values[i]));
		assert_memory_equal(value.ptr, values[i], value.len);
		i++;
	}
	assert_int_equal(i, 5);
	/* a nested object's members */
	qp_json__members_init(&it, doc, strlen(doc), &scan, 1);
	assert_true(qp_json__members_next(&it, &key, &value));
	assert_memory_equal(value.ptr, "[1,2]", value.len);
	assert_false(qp_json__members_next(&it, &key, &value));
	qp_json__scan_dispose(&scan);
}

static void number_texts(void **state)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {
		{ 0, "0" }, { -0.0, "-0" }, { 1, "1" }, { -17, "-17" }, { 0.1, "0.1" },
		{ 48.8566123, "48.8566123" }, { -0.5, "-0.5" }, { 0.001, "0.001" },
		{ 1e-7, "1e-07" }, { 1e300, "1e+300" }, { 1718900000000.5, "1718900000000.5" },
		{ 9007199254740992.0, "9007199254740992" }, { 0.30000000000000004, "0.30000000000000004" },
		{ 123456789012345678.0, "1.2345678901234568e+17" }, { 2.5e-324, "4.94065645841247e-324" },
	};
	char out[QP_JSON_NUMBER_BUF];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(qp_json__format_double(out, cases[i].v), strlen(cases[i].text));
		assert_string_equal(out, cases[i].text);
	}
	assert_int_equal(qp_buf__format_i64(out, INT64_MIN), 20);
	assert_string_equal(out, "-9223372036854775808");
	qp_buf__format_i64(out, INT64_MAX);
	assert_string_equal(out, "9223372036854775807");
	qp_buf__format_i64(out, -1);
	assert_string_equal(out, "-1");
}

/* Every finite double, by its bits: the text reads back as the same bits. */
static void doubles_read_back_bit_for_bit(void **state)
{
	uint64_t seed = 1, bits;
	char out[QP_JSON_NUMBER_BUF];
	double v, back;
	size_t i;

	for (i = 0; i < 200000; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		bits = seed ^ (seed >> 29);
		memcpy(&v, &bits, sizeof(v));
		if (!isfinite(v))
			continue;
		qp_json__format_double(out, v);
		back = strtod(out, NULL);
		assert_memory_equal(&back, &v, sizeof(v));
	}
}

static void strings_are_escaped(void **state)
{
	qp_buf_t out = QP_BUF_INIT;

	assert_int_equal(qp_json__put_string(&out, "a\"b\\c\n\r\t\b\f\x01\x1f\x7f/\xc3\xa9\0z", 18),
	                 QP_OK);
	assert_string_equal(out.ptr,
	                    "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\x7f/\xc3\xa9\\u0000z\"");
	out.size = 0;
	assert_int_equal(qp_json__put_string(&out, "", 0), QP_OK);
	assert_string_equal(out.ptr, "\"\"");
	assert_int_equal(qp_json__put_double(&out, NAN), QP_ERR_INVALID_ARG);
	assert_int_equal(qp_json__put_double(&out, INFINITY), QP_ERR_INVALID_ARG);
	assert_string_equal(out.ptr, "\"\"");
	qp_buf_dispose(&out);
}

/* The scan records every value with its key and span. */
static void scan_records_values(void **state)
{
	const char *doc = "{\"a\":[1,\"x\\n\"],\"b\":null}";
	qp_json_scan_t scan;

	assert_int_equal(qp_json__scan(&scan, doc, strlen(doc), 16), QP_OK);
	assert_int_equal(scan.value_count, 5);
	assert_int_equal(scan.values[0].type, QP_JSON_OBJECT);
	assert_int_equal(scan.values[0].next, 5);
	assert_int_equal(scan.values[1].type, QP_JSON_ARRAY);
	assert_int_equal(scan.values[1].key, 0);
	assert_int_equal(scan.values[1].next, 4);
	assert_int_equal(scan.values[2].key, QP_JSON_NO_KEY);
	assert_int_equal(scan.values[3].type, QP_JSON_STRING);
	assert_true(scan.values[3].escaped);
	assert_int_equal(scan.values[3].end - scan.values[3].offset, 5);
	assert_int_equal(scan.values[4].type, QP_JSON_NULL);
	assert_int_equal(scan.values[4].key, 1);
	assert_int_equal(doc[scan.keys[1].offset + 1], 'b');
	qp_json__scan_dispose(&scan);
}

/* Escapes resolved; output cut at cap while the length counts on (a long
 * escaped key once looped forever here). */
static void unescape_counts_past_cap(void **state)
{
	static const char raw[] = "kkkkkkkkkkkkkkkkkkkkkkkkk\\u00e9\\n\\ud83e\\udd86";
	char out[64];

	assert_int_equal(qp_json__unescape(raw, strlen(raw), out, sizeof(out)), 25 + 2 + 1 + 4);
	assert_memory_equal(out + 25, "\xc3\xa9\n\xf0\x9f\xa6\x86", 7);
	assert_int_equal(qp_json__unescape(raw, strlen(raw), out, 3), 32);
}

/* Numbers read as strtod reads them, on both sides of the exact fast path. */
static void numbers_read_as_strtod(void **state)
{
	static const char *const texts[] = {
		"0", "-0", "1", "-17", "4.35", "0.1", "45.764043", "1718900004000", "1e22", "1e23",
		"9007199254740992", "9007199254740993", "123456789012345678901", "1.5e-7",
		"0.000000000000000000000000001", "2.2250738585072014e-308", "4.9e-324",
		"1.7976931348623157e308", "1e400", "-1e400", "0e5", "-0.0e-0", "1E+2", "12e-22",
	};
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		double a = qp_json__number(texts[i], strlen(texts[i])), b = strtod(texts[i], NULL);

		assert_memory_equal(&a, &b, sizeof(a));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8_accepts_every_valid_length),
		cmocka_unit_test(utf8_refuses_overlongs_surrogates_and_cuts),
		cmocka_unit_test(utf8_fast_path_edges),
		cmocka_unit_test(scan_records_containers_and_keys),
		cmocka_unit_test(key_heads),
		cmocka_unit_test(scan_refuses_deep_nesting_without_recursion),
		cmocka_unit_test(scan_grows_its_records),
		cmocka_unit_test(members_give_raw_spans),
		cmocka_unit_test(number_texts),
		cmocka_unit_test(doubles_read_back_bit_for_bit),
		cmocka_unit_test(strings_are_escaped),
		cmocka_unit_test(scan_records_values),
		cmocka_unit_test(unescape_counts_past_cap),
		cmocka_unit_test(numbers_read_as_strtod),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
