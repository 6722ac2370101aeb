/*
 * The ingest API handler (include/quackpipe/ingest.h), request by request,
 * on librdkafka's mock cluster: every status it answers, hostile bodies,
 * keys and signatures, idempotent resubmission, batches all-or-nothing,
 * push tokens, and 503 when the queue is full or Kafka does not answer.
 * What a 202 produced is read back from the topic with a plain consumer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "base/buf_int.h"
#include "base/digest_int.h"
#include "base/spool_int.h"
#include "kafka/mock_int.h"
#include "kafka_read.h"
#include "spool_files.h"
#include "quackpipe.h"
#include "quackpipe/sys/mock.h"

#define KEY "test-key-acme"
#define AUTH "Authorization: Bearer " KEY "\r\n"
#define JSON AUTH "Content-Type: application/json\r\n"
#define NDJSON AUTH "Content-Type: application/x-ndjson\r\n"

static qp_mock_cluster_t *mc;
static char keys_path[64], secrets_path[64];

/* A file holding text; its path in path (a mkstemp template). */
static void write_file(char *path, const char *text)
{
	int fd;

	strcpy(path, "/tmp/qp-ingest-test-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int setup(void **state)
{
	uint8_t hash[QP_SHA256_LEN];
	char line[256];
	int n, i;

	if (qp_mock_cluster_new(&mc, 1))
		return -1;
	qp_digest__sha256(KEY, strlen(KEY), hash);
	for (i = 0, n = 0; i < QP_SHA256_LEN; i++)
		n += snprintf(line + n, sizeof(line) - n, "%02x", hash[i]);
	/* The second key allows one request per second. */
	snprintf(line + n, sizeof(line) - n, " acme field-app\n"
	         "%064d slow app 1\n", 0);
	write_file(keys_path, line);
	write_file(secrets_path, "# device secrets\ndev-signed s3cret\n");
	return 0;
}

static int teardown(void **state)
{
	unlink(keys_path);
	unlink(secrets_path);
	qp_mock_cluster_destroy(mc);
	return 0;
}

/* A handler on the mock cluster with topics of prefix (made when
 * make_topics: a forked child cannot, the cluster's threads are the
 * parent's), plus key/value pairs. */
static qp_ingest_t *vhandler(const char *prefix, bool make_topics, va_list ap)
{
	static const char *suffixes[] = { "events", "tokens" };
	qp_ingest_t *ing;
	qp_conf_t *conf;
	char topic[128];
	const char *key;
	size_t i;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "bootstrap.servers", qp_mock_cluster_bootstrap(mc)),
	                 QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.ingest.keys.path", keys_path), QP_OK);
	for (i = 0; i < 2; i++) {
		snprintf(topic, sizeof(topic), "%s-%s", prefix, suffixes[i]);
		if (make_topics)
			qp_mock_cluster_create_topic(mc, topic, 2);
		assert_int_equal(qp_conf_set(conf, i ? "qp.topic.device_tokens" : "qp.topic.events",
		                             topic), QP_OK);
	}
	while ((key = va_arg(ap, const char *)))
		assert_int_equal(qp_conf_set(conf, key, va_arg(ap, const char *)), QP_OK);
	assert_int_equal(qp_ingest_new(&ing, conf), QP_OK); /* takes conf */
	return ing;
}

/* A handler on the mock cluster with its own topics (prefix), plus
 * key/value pairs, NULL-terminated. */
static qp_ingest_t *handler(const char *prefix, ...)
{
	qp_ingest_t *ing;
	va_list ap;

	va_start(ap, prefix);
	ing = vhandler(prefix, true, ap);
	va_end(ap);
	return ing;
}

/* handler() in a forked child, on topics the parent made. */
static qp_ingest_t *child_handler(const char *prefix, ...)
{
	qp_ingest_t *ing;
	va_list ap;

	va_start(ap, prefix);
	ing = vhandler(prefix, false, ap);
	va_end(ap);
	return ing;
}

static char *event(int n, const char *device, int rssi)
{
	char *text = malloc(512);

	snprintf(text, 512, "{\"schema_version\":1,\"scan_id\":\"00000000-0000-4000-8000-%012d\","
	         "\"device_id\":\"%s\",\"ts_ms\":1718900000123,\"gps\":{\"lat\":48.85,"
	         "\"lon\":2.35,\"accuracy_m\":8.5},\"wifi\":[{\"bssid\":\"a4:2b:b0:11:22:33\","
	         "\"rssi_dbm\":%d,\"freq_mhz\":2437}],\"reward\":0.25,\"app_version\":\"2.4.1\","
	         "\"platform\":\"android\"}", n, device, rssi);
	return text;
}

/* The response to a request; the test frees it. */
static qp_ingest_response_t *ask(qp_ingest_t *ing, const char *method, const char *path,
                                 const char *headers, const void *body, size_t len)
{
	qp_ingest_response_t *r;

	assert_int_equal(qp_ingest_handle(ing, method, path, headers, body, len, &r), QP_OK);
	assert_non_null(r);
	return r;
}

/* Asks, checks status and that the body contains want (may be NULL). */
static void expect(qp_ingest_t *ing, const char *method, const char *path, const char *headers,
                   const char *body, int status, const char *want)
{
	qp_ingest_response_t *r = ask(ing, method, path, headers, body, strlen(body));
	const char *text = qp_ingest_response_body(r, NULL);

	if (qp_ingest_response_status(r) != status || (want && !strstr(text, want)))
		fail_msg("%s %s: got %d %s, want %d with %s", method, path,
		         qp_ingest_response_status(r), text, status, want ? want : "");
	qp_ingest_response_destroy(r);
}

static const char *header_of(const qp_ingest_response_t *r, const char *name)
{
	const char *n, *v;
	size_t i;

	for (i = 0; qp_ingest_response_header_at(r, i, &n, &v) == QP_OK; i++)
		if (!strcmp(n, name))
			return v;
	return NULL;
}

/* A POST of body to /v1/scans refused with status and a Retry-After
 * header (equal to retry_after unless NULL), its body containing want
 * (unless NULL). */
static void expect_retry(qp_ingest_t *ing, const char *body, int status, const char *retry_after,
                         const char *want)
{
	qp_ingest_response_t *r = ask(ing, "POST", "/v1/scans", JSON, body, strlen(body));
	const char *header = header_of(r, "Retry-After");

	assert_int_equal(qp_ingest_response_status(r), status);
	assert_non_null(header);
	if (retry_after)
		assert_string_equal(header, retry_after);
	if (want)
		assert_non_null(strstr(qp_ingest_response_body(r, NULL), want));
	qp_ingest_response_destroy(r);
}

static void test_single_event_is_produced_with_edge_headers(void **state)
{
	qp_ingest_t *ing = handler("single", NULL);
	char *ev = event(1, "dev-1", -60);
	qp_ingest_response_t *r = ask(ing, "POST", "/v1/scans", JSON, ev, strlen(ev));
	test_record_t *rec;

	assert_int_equal(qp_ingest_response_status(r), 202);
	assert_string_equal(header_of(r, "Content-Type"), "application/json");
	assert_non_null(strstr(qp_ingest_response_body(r, NULL),
	                       "\"accepted\":1,\"duplicates\":0,\"scan_ids\":"
	                       "[\"00000000-0000-4000-8000-000000000001\"]"));
	qp_ingest_response_destroy(r);
	assert_int_equal(qp_ingest_flush(ing, 10000), QP_OK);
	rec = test_kafka_read(qp_mock_cluster_bootstrap(mc), "single-events", 1);
	assert_string_equal(rec[0].key, "dev-1");
	assert_string_equal(rec[0].value, ev); /* the bytes as sent */
	assert_non_null(strstr(rec[0].header_names, QP_HEADER_RECEIVED_MS "="));
	assert_non_null(strstr(rec[0].header_names, QP_HEADER_INGEST_US "="));
	assert_non_null(strstr(rec[0].header_names, "qp.tenant=acme"));
	assert_non_null(strstr(rec[0].header_names, "qp.app=field-app"));
	assert_non_null(strstr(rec[0].header_names, "qp.ingest.node="));
	test_records_free(rec, 1);
	free(ev);
	qp_ingest_destroy(ing);
}

/* qp.ingest.received.header: a request's X-QP-Received-Ms becomes the
 * receipt time only when the host trusts its clients' clocks (the demo's
 * simulated phones); otherwise the header is ignored, and a bad value too. */
static void test_received_header_is_trusted_only_when_asked(void **state)
{
	static const struct { const char *trust, *value; bool taken; } cases[] = {
		{ "false", "1718900000999", false },
		{ "true", "1718900000999", true },
		{ "true", "soon", false },
	};
	char *ev = event(7, "dev-7", -60), headers[512], prefix[32], topic[48], want[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		qp_ingest_t *ing;
		test_record_t *rec;

		snprintf(prefix, sizeof(prefix), "received-%zu", i);
		ing = handler(prefix, "qp.ingest.received.header", cases[i].trust, NULL);
		snprintf(headers, sizeof(headers), JSON "X-QP-Received-Ms: %s\r\n", cases[i].value);
		expect(ing, "POST", "/v1/scans", headers, ev, 202, NULL);
		assert_int_equal(qp_ingest_flush(ing, 10000), QP_OK);
		snprintf(topic, sizeof(topic), "%s-events", prefix);
		rec = test_kafka_read(qp_mock_cluster_bootstrap(mc), topic, 1);
		snprintf(want, sizeof(want), QP_HEADER_RECEIVED_MS "=%s;", cases[i].value);
		if ((strstr(rec[0].header_names, want) != NULL) != cases[i].taken)
			fail_msg("received.header=%s, X-QP-Received-Ms: %s: headers %s", cases[i].trust,
			         cases[i].value, rec[0].header_names);
		assert_non_null(strstr(rec[0].header_names, QP_HEADER_RECEIVED_MS "="));
		test_records_free(rec, 1);
		qp_ingest_destroy(ing);
	}
	free(ev);
}

static void test_batches_array_and_ndjson(void **state)
{
	qp_ingest_t *ing = handler("batch", NULL);
	char *a = event(1, "dev-a", -60), *b = event(2, "dev-b", -61), *c = event(3, "dev-a", -62);
	char body[2048];
	qp_ingest_stats_t stats;
	test_record_t *rec;

	snprintf(body, sizeof(body), " [\n%s ,%s]\n", a, b);
	expect(ing, "POST", "/v1/scans", JSON, body, 202, "\"accepted\":2");
	snprintf(body, sizeof(body), "%s\r\n\n", c);
	expect(ing, "POST", "/v1/scans?x=1", NDJSON, body, 202, "\"accepted\":1");
	assert_int_equal(qp_ingest_flush(ing, 10000), QP_OK);
	qp_ingest_stats(ing, &stats);
	assert_int_equal(stats.accepted, 3);
	assert_int_equal(stats.delivered, 3);
	rec = test_kafka_read(qp_mock_cluster_bootstrap(mc), "batch-events", 3);
	test_records_free(rec, 3);
	free(a);
	free(b);
	free(c);
	qp_ingest_destroy(ing);
}

static void test_invalid_event_refuses_the_whole_batch_with_pointers(void **state)
{
	qp_ingest_t *ing = handler("invalid", NULL);
	char *good = event(1, "dev-1", -60), *bad = event(2, "dev-1", 17);
	char body[2048];
	qp_ingest_response_t *r;
	qp_ingest_stats_t stats;
	const char *text;

	snprintf(body, sizeof(body), "%s\n%s\n", good, bad);
	r = ask(ing, "POST", "/v1/scans", NDJSON, body, strlen(body));
	text = qp_ingest_response_body(r, NULL);
	assert_int_equal(qp_ingest_response_status(r), 422);
	assert_string_equal(header_of(r, "Content-Type"), "application/problem+json");
	assert_non_null(strstr(text, "\"status\":422"));
	assert_non_null(strstr(text, "{\"index\":1,\"pointer\":\"/wifi/0/rssi_dbm\","
	                             "\"code\":\"QP_ERR_FIELD_RANGE\""));
	qp_ingest_response_destroy(r);
	/* A single event's errors carry no index. */
	expect(ing, "POST", "/v1/scans", JSON, bad, 422, "[{\"pointer\":\"/wifi/0/rssi_dbm\"");
	expect(ing, "POST", "/v1/scans", JSON, "{\"schema_version\":1}", 422, "\"pointer\":\"/scan_id\"");
	expect(ing, "POST", "/v1/scans", JSON, "[]", 422, "no event");
	qp_ingest_stats(ing, &stats);
	assert_int_equal(stats.accepted, 0); /* the good event was not taken either */
	assert_int_equal(stats.refused, 5);
	free(good);
	free(bad);
	qp_ingest_destroy(ing);
}

static void test_hostile_bodies(void **state)
{
	qp_ingest_t *ing = handler("hostile", NULL);
	char *ev = event(1, "dev-1", -60), *deep = malloc(20001), body[1024];
	int i;

	/* truncated */
	expect(ing, "POST", "/v1/scans", JSON, "{\"schema_version\":1,\"scan_id\":\"0000", 400,
	       "QP_ERR_JSON");
	/* nested far deeper than an event may be, as one event and in a batch */
	for (i = 0; i < 10000; i++) {
		deep[i] = '[';
		deep[10000 + i] = ']';
	}
	deep[20000] = '\0';
	expect(ing, "POST", "/v1/scans", JSON, deep, 400, "QP_ERR_TOO_DEEP");
	deep[0] = '{';
	expect(ing, "POST", "/v1/scans", JSON, deep, 400, "\"status\":400");
	/* invalid UTF-8 inside a string */
	snprintf(body, sizeof(body), "%s", ev);
	memcpy(strstr(body, "android"), "\xC3\x28", 2);
	expect(ing, "POST", "/v1/scans", JSON, body, 400, "QP_ERR_UTF8");
	/* duplicate keys */
	snprintf(body, sizeof(body), "{\"device_id\":\"a\",%s", ev + 1);
	expect(ing, "POST", "/v1/scans", JSON, body, 400, "QP_ERR_DUPLICATE_KEY");
	/* a number no double holds, and one past the decoder's text limit */
	snprintf(body, sizeof(body), "%s", ev);
	memcpy(strstr(body, "48.85"), "1e999", 5);
	expect(ing, "POST", "/v1/scans", JSON, body, 422, "\"pointer\":\"/gps/lat\"");
	expect(ing, "POST", "/v1/scans", JSON,
	       "[{\"reward\":1234567890123456789012345678901234567890123456789012345678901234567890}]",
	       422, "\"status\":422");
	/* not an event at all */
	expect(ing, "POST", "/v1/scans", JSON, "[1,\"x\",null]", 422, "\"index\":2");
	expect(ing, "POST", "/v1/scans", JSON, "", 400, "malformed");
	free(deep);
	free(ev);
	qp_ingest_destroy(ing);
}

static void test_keys(void **state)
{
	qp_ingest_t *ing = handler("keys", NULL), *open;
	char *ev = event(1, "dev-1", -60);
	qp_ingest_response_t *r;

	r = ask(ing, "POST", "/v1/scans", "Content-Type: application/json\r\n", ev, strlen(ev));
	assert_int_equal(qp_ingest_response_status(r), 401);
	assert_string_equal(header_of(r, "WWW-Authenticate"), "Bearer realm=\"quackpipe\"");
	qp_ingest_response_destroy(r);
	r = ask(ing, "POST", "/v1/scans",
	        "authorization: bearer wrong-key\nContent-Type: application/json", ev, strlen(ev));
	assert_int_equal(qp_ingest_response_status(r), 401);
	assert_non_null(strstr(header_of(r, "WWW-Authenticate"), "invalid_token"));
	qp_ingest_response_destroy(r);
	/* The key's name is case-insensitive, its value is not. */
	expect(ing, "POST", "/v1/scans", "AUTHORIZATION: Bearer " KEY "\ncontent-type: "
	       "Application/JSON; charset=utf-8\n", ev, 202, NULL);
	qp_ingest_destroy(ing);
	open = handler("keys-open", "qp.ingest.auth", "open", NULL);
	expect(open, "POST", "/v1/scans", "Content-Type: application/json", ev, 202, NULL);
	qp_ingest_destroy(open);
	free(ev);
}

static void test_keys_file_is_required_and_checked(void **state)
{
	qp_ingest_t *ing;
	qp_conf_t *conf;
	char bad[64];

	/* Each failing qp_ingest_new takes its conf (ASan fails a leak). */
	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_ingest_new(&ing, conf), QP_ERR_CONF_INVALID);
	assert_non_null(strstr(qp_error_last(), "qp.ingest.keys.path"));
	write_file(bad, "# a comment\nnot-a-hash acme app\n");
	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.ingest.keys.path", bad), QP_OK);
	assert_int_equal(qp_ingest_new(&ing, conf), QP_ERR_CONF_INVALID);
	assert_non_null(strstr(qp_error_last(), ":2: the key hash"));
	unlink(bad);
}

static void test_head_refusals(void **state)
{
	qp_ingest_t *ing = handler("head", "qp.ingest.body.max.bytes", "4096",
	                           "qp.ingest.batch.max.events", "2", NULL);
	char *ev = event(1, "dev-1", -60), body[2048];
	qp_ingest_response_t *r;

	/* 413 from Content-Length alone, before any body is read */
	assert_int_equal(qp_ingest_check(ing, "POST", "/v1/scans", JSON, 5000, &r), QP_OK);
	assert_int_equal(qp_ingest_response_status(r), 413);
	qp_ingest_response_destroy(r);
	assert_int_equal(qp_ingest_check(ing, "POST", "/v1/scans", JSON, 100, &r), QP_OK);
	assert_null(r);
	assert_int_equal(qp_ingest_check(ing, "POST", "/v1/scans", "", 100, &r), QP_OK);
	assert_int_equal(qp_ingest_response_status(r), 401);
	qp_ingest_response_destroy(r);
	/* ...and from the body when the length was not known */
	r = ask(ing, "POST", "/v1/scans", JSON, "x", 4097);
	assert_int_equal(qp_ingest_response_status(r), 413);
	qp_ingest_response_destroy(r);
	snprintf(body, sizeof(body), "%s\n%s\n%s\n", ev, ev, ev);
	expect(ing, "POST", "/v1/scans", NDJSON, body, 413, "more than 2 events");
	expect(ing, "POST", "/v1/scans", AUTH "Content-Type: text/plain\r\n", ev, 415, NULL);
	expect(ing, "POST", "/v1/scans", AUTH, ev, 415, NULL);
	expect(ing, "POST", "/v1/scans", JSON "Content-Encoding: br\r\n", ev, 415, "encoding");
	expect(ing, "POST", "/v1/nope", JSON, ev, 404, "not-found");
	expect(ing, "POST", "/v1/devices/bad%2Fid/push-token", JSON, "{}", 404, NULL);
	r = ask(ing, "GET", "/v1/scans", JSON, "", 0);
	assert_int_equal(qp_ingest_response_status(r), 405);
	assert_string_equal(header_of(r, "Allow"), "POST");
	qp_ingest_response_destroy(r);
	free(ev);
	qp_ingest_destroy(ing);
}

static size_t gzip(const void *in, size_t len, unsigned char *out, size_t cap)
{
	z_stream zs = { 0 };

	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
	                 Z_OK);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	deflateEnd(&zs);
	return cap - zs.avail_out;
}

static void test_gzip_and_bombs(void **state)
{
	qp_ingest_t *ing = handler("gzip", "qp.ingest.body.decoded.max.bytes", "1048576", NULL);
	const char *headers = JSON "Content-Encoding: gzip\r\n";
	char *ev = event(1, "dev-1", -60), *zeros = calloc(1, 64 << 20);
	unsigned char *packed = malloc(1 << 20);
	qp_ingest_response_t *r;
	size_t n;

	n = gzip(ev, strlen(ev), packed, 1 << 20);
	r = ask(ing, "POST", "/v1/scans", headers, packed, n);
	assert_int_equal(qp_ingest_response_status(r), 202);
	qp_ingest_response_destroy(r);
	/* 64 MiB of zeros packs into about 64 KiB: inflating stops at 1 MiB */
	n = gzip(zeros, 64 << 20, packed, 1 << 20);
	assert_true(n < 100000);
	r = ask(ing, "POST", "/v1/scans", headers, packed, n);
	assert_int_equal(qp_ingest_response_status(r), 413);
	assert_non_null(strstr(qp_ingest_response_body(r, NULL), "inflates past 1048576"));
	qp_ingest_response_destroy(r);
	/* not gzip, and gzip cut short */
	expect(ing, "POST", "/v1/scans", headers, ev, 400, "gzip");
	n = gzip(ev, strlen(ev), packed, 1 << 20);
	r = ask(ing, "POST", "/v1/scans", headers, packed, n / 2);
	assert_int_equal(qp_ingest_response_status(r), 400);
	qp_ingest_response_destroy(r);
	free(packed);
	free(zeros);
	free(ev);
	qp_ingest_destroy(ing);
}

static void sign(const char *body, const char *secret, char *headers, size_t cap,
                 const char *device)
{
	uint8_t mac[QP_SHA256_LEN];
	int n, i;

	qp_digest__hmac_sha256(secret, strlen(secret), body, strlen(body), mac);
	n = snprintf(headers, cap, JSON "X-QP-Device-Id: %s\r\nX-QP-Signature: sha256=", device);
	for (i = 0; i < QP_SHA256_LEN; i++)
		n += snprintf(headers + n, cap - n, "%02x", mac[i]);
}

static void test_signatures(void **state)
{
	qp_ingest_t *ing = handler("hmac", "qp.ingest.hmac.secrets.path", secrets_path, NULL);
	char *ev = event(1, "dev-signed", -60), *other = event(2, "dev-other", -60);
	char headers[512];

	sign(ev, "s3cret", headers, sizeof(headers), "dev-signed");
	expect(ing, "POST", "/v1/scans", headers, ev, 202, NULL);
	expect(ing, "POST", "/v1/scans", JSON, ev, 403, "signatures are required");
	sign(ev, "wrong", headers, sizeof(headers), "dev-signed");
	expect(ing, "POST", "/v1/scans", headers, ev, 403, "does not match");
	sign(ev, "s3cret", headers, sizeof(headers), "dev-unknown");
	expect(ing, "POST", "/v1/scans", headers, ev, 403, "no secret");
	/* a good signature over another device's event */
	sign(other, "s3cret", headers, sizeof(headers), "dev-signed");
	expect(ing, "POST", "/v1/scans", headers, other, 403, "\"pointer\":\"/device_id\"");
	sign("{\"platform\":\"fcm\",\"token\":\"t\"}", "s3cret", headers, sizeof(headers),
	     "dev-signed");
	expect(ing, "PUT", "/v1/devices/dev-other/push-token", headers,
	       "{\"platform\":\"fcm\",\"token\":\"t\"}", 403, "another device");
	free(ev);
	free(other);
	qp_ingest_destroy(ing);
}

static void test_resubmission_is_answered_again_not_produced_again(void **state)
{
	qp_ingest_t *ing = handler("idem", NULL);
	char *a = event(1, "dev-1", -60), *b = event(2, "dev-1", -60), body[2048];
	qp_ingest_stats_t stats;

	expect(ing, "POST", "/v1/scans", JSON, a, 202, "\"accepted\":1,\"duplicates\":0");
	expect(ing, "POST", "/v1/scans", JSON, a, 202, "\"accepted\":0,\"duplicates\":1");
	snprintf(body, sizeof(body), "[%s,%s,%s]", a, b, b);
	expect(ing, "POST", "/v1/scans", JSON, body, 202, "\"accepted\":1,\"duplicates\":2");
	assert_int_equal(qp_ingest_flush(ing, 10000), QP_OK);
	qp_ingest_stats(ing, &stats);
	assert_int_equal(stats.accepted, 2);
	assert_int_equal(stats.duplicates, 3);
	assert_int_equal(stats.delivered, 2);
	free(a);
	free(b);
	qp_ingest_destroy(ing);
}

static void test_rate_limit(void **state)
{
	qp_ingest_t *ing = handler("rate", "qp.ingest.rate.limit", "1", NULL);
	char *ev = event(1, "dev-1", -60);

	expect(ing, "POST", "/v1/scans", JSON, ev, 202, NULL);
	expect_retry(ing, ev, 429, "1", NULL);
	free(ev);
	qp_ingest_destroy(ing);
}

/* A handler whose brokers never answer: nothing is delivered, so the
 * queue fills; the probe finds nobody. */
static qp_ingest_t *unreachable(const char *max_messages)
{
	qp_ingest_t *ing;
	qp_conf_t *conf;

	assert_int_equal(qp_conf_new(&conf), QP_OK);
	assert_int_equal(qp_conf_set(conf, "bootstrap.servers", "127.0.0.1:1"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.ingest.keys.path", keys_path), QP_OK);
	assert_int_equal(qp_conf_set(conf, "queue.buffering.max.messages", max_messages), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.ingest.probe.interval.ms", "100"), QP_OK);
	assert_int_equal(qp_conf_set(conf, "qp.producer.close.timeout.ms", "0"), QP_OK);
	assert_int_equal(qp_ingest_new(&ing, conf), QP_OK); /* takes conf */
	return ing;
}

static void test_queue_full_is_503_and_the_batch_resent_is_not_doubled(void **state)
{
	qp_ingest_t *ing = unreachable("2");
	char *a = event(1, "dev-1", -60), *b = event(2, "dev-1", -60), *c = event(3, "dev-1", -60);
	char body[2048];
	qp_ingest_stats_t stats;

	snprintf(body, sizeof(body), "[%s,%s,%s]", a, b, c);
	expect_retry(ing, body, 503, "1", "2 of the 3 event(s) were queued");
	/* the resend finds two taken and the queue still full for the third */
	expect(ing, "POST", "/v1/scans", JSON, body, 503, "2 of the 3");
	expect(ing, "GET", "/readyz", "", "", 503, "queue full");
	qp_ingest_stats(ing, &stats);
	assert_int_equal(stats.accepted, 2);
	assert_int_equal(stats.duplicates, 2);
	assert_int_equal(stats.unavailable, 2);
	free(a);
	free(b);
	free(c);
	qp_ingest_destroy(ing);
}

static void test_kafka_unreachable_is_503(void **state)
{
	qp_ingest_t *ing = unreachable("1000");
	char *ev = event(1, "dev-1", -60);

	assert_int_equal(qp_ingest_poll(ing, 0), QP_OK); /* probes: nobody answers */
	expect_retry(ing, ev, 503, NULL, "Kafka is unreachable");
	expect(ing, "GET", "/readyz", "", "", 503, "Kafka unreachable");
	expect(ing, "GET", "/healthz", "", "", 200, "ok");
	expect(ing, "GET", "/metrics", "", "", 200, "quackpipe_ingest_kafka_up 0");
	free(ev);
	qp_ingest_destroy(ing);
}

static void test_push_token(void **state)
{
	qp_ingest_t *ing = handler("token", NULL);
	test_record_t *rec;

	expect(ing, "PUT", "/v1/devices/dev-7/push-token", JSON,
	       "{\"platform\":\"apns\",\"token\":\"ab\\u00e9cd\"}", 202, "\"device_id\":\"dev-7\"");
	expect(ing, "PUT", "/v1/devices/dev-7/push-token", JSON,
	       "{\"platform\":\"pigeon\",\"token\":\"x\"}", 422, "\"pointer\":\"/platform\"");
	expect(ing, "PUT", "/v1/devices/dev-7/push-token", JSON, "{\"platform\":\"fcm\"}", 422,
	       "\"pointer\":\"/token\"");
	expect(ing, "PUT", "/v1/devices/dev-7/push-token", JSON, "[", 400, NULL);
	expect(ing, "PUT", "/v1/devices/dev-7/push-token", NDJSON, "{}", 415, NULL);
	assert_int_equal(qp_ingest_flush(ing, 10000), QP_OK);
	rec = test_kafka_read(qp_mock_cluster_bootstrap(mc), "token-tokens", 1);
	assert_string_equal(rec[0].key, "dev-7");
	assert_string_equal(rec[0].value,
	                    "{\"platform\":\"apns\",\"token\":\"ab\xc3\xa9" "cd\",\"app\":\"field-app\"}");
	test_records_free(rec, 1);
	qp_ingest_destroy(ing);
}

static void test_health_and_metrics(void **state)
{
	qp_ingest_t *ing = handler("health", NULL);
	char *ev = event(1, "dev-1", -60);
	qp_ingest_stats_t stats;

	expect(ing, "GET", "/healthz", "", "", 200, "\"status\":\"ok\"");
	expect(ing, "GET", "/readyz", "", "", 200, "ready");
	expect(ing, "POST", "/v1/scans", JSON, ev, 202, NULL);
	expect(ing, "POST", "/v1/scans", "", ev, 401, NULL);
	expect(ing, "GET", "/metrics", "", "", 200, "quackpipe_ingest_accepted_total 1\n");
	expect(ing, "GET", "/metrics", "", "", 200,
	       "quackpipe_ingest_responses_total{status=\"401\"} 1\n");
	qp_ingest_stats(ing, &stats);
	assert_int_equal(stats.requests, 6);
	assert_int_equal(stats.status_2xx, 5);
	assert_int_equal(stats.status_4xx, 1);
	free(ev);
	qp_ingest_destroy(ing);
}

/* ---- the spool ---- */

/* Polls until the handler's stats satisfy done (30 s at most). */
static void poll_until(qp_ingest_t *ing, bool (*done)(const qp_ingest_stats_t *), const char *what)
{
	qp_ingest_stats_t st;
	int i;

	for (i = 0; i < 3000; i++) {
		qp_ingest_poll(ing, 10);
		qp_ingest_stats(ing, &st);
		if (done(&st))
			return;
	}
	fail_msg("never %s: spooled=%llu replayed=%llu spool_records=%llu", what,
	         (unsigned long long)st.spooled, (unsigned long long)st.replayed,
	         (unsigned long long)st.spool_records);
}

static bool ten_spooled(const qp_ingest_stats_t *st)
{
	return st->spooled == 10 && st->spool_records == 10;
}

static bool ten_replayed(const qp_ingest_stats_t *st)
{
	return st->replayed == 10 && st->spool_records == 0 && st->spool_bytes == 0;
}

/* Ten events answered 202, then the broker goes down: their deliveries
 * time out and they go to the spool; the handler is destroyed and a new
 * one on the same directory, the broker back, produces them again before
 * anything new. Each event once in the topic, each device's in order. */
static void test_failed_deliveries_are_spooled_and_produced_again(void **state)
{
	char dir[] = "/tmp/qp-ingest-spool-XXXXXX", body[8192], *ev;
	qp_ingest_t *ing;
	test_record_t *rec;
	int last[2] = { 0, 0 }, n, len = 0;
	size_t i;

	assert_non_null(mkdtemp(dir));
	/* Down before the producer reaches it (as test_events_undelivered_at_close_
	 * are_spooled says why); Kafka counts as up until the first poll's probe,
	 * so the POST is answered 202. */
	rd_kafka_mock_broker_set_down(qp_mock__cluster(mc), 1);
	ing = handler("spool", "qp.ingest.spool.dir", dir, "message.timeout.ms", "1000",
	              "qp.ingest.probe.interval.ms", "600000", NULL);
	for (n = 1; n <= 10; n++) {
		ev = event(n, n % 2 ? "dev-odd" : "dev-even", -60);
		len += snprintf(body + len, sizeof(body) - (size_t)len, "%s\n", ev);
		free(ev);
	}
	expect(ing, "POST", "/v1/scans", NDJSON, body, 202, "\"accepted\":10");
	poll_until(ing, ten_spooled, "spooled ten");
	/* Refused (the probe found Kafka down; with Kafka up the spool would
	 * refuse it: cli_ingest_kafka_spool). */
	ev = event(99, "dev-odd", -60);
	expect_retry(ing, ev, 503, "1", NULL);
	expect(ing, "GET", "/readyz", "", "", 503, "not ready");
	free(ev);
	qp_ingest_destroy(ing);

	rd_kafka_mock_broker_set_up(qp_mock__cluster(mc), 1);
	ing = handler("spool", "qp.ingest.spool.dir", dir, NULL);
	/* Held in the spool: a new event would overtake them. */
	ev = event(99, "dev-odd", -60);
	expect_retry(ing, ev, 503, "1", "produced again first");
	expect(ing, "GET", "/readyz", "", "", 503, "replaying the spool");
	free(ev);
	poll_until(ing, ten_replayed, "replayed ten");
	ev = event(11, "dev-odd", -60);
	expect(ing, "POST", "/v1/scans", JSON, ev, 202, "\"accepted\":1");
	free(ev);
	assert_int_equal(qp_ingest_flush(ing, 10000), QP_OK);
	expect(ing, "GET", "/metrics", "", "", 200, "quackpipe_ingest_replayed_total 10");
	qp_ingest_destroy(ing);

	rec = test_kafka_read(qp_mock_cluster_bootstrap(mc), "spool-events", 11);
	for (i = 0; i < 11; i++) {
		int odd = strcmp(rec[i].key, "dev-odd") == 0;

		n = atoi(strstr(rec[i].value, "8000-") + 5);
		if (n <= last[odd])
			fail_msg("%s: scan %d after scan %d", rec[i].key, n, last[odd]);
		last[odd] = n;
		/* The edge headers travel with the replayed record. */
		assert_non_null(strstr(rec[i].header_names, "qp.tenant=acme"));
	}
	assert_int_equal(last[0], 10);
	assert_int_equal(last[1], 11);
	test_records_free(rec, 11);
	assert_int_equal(rmdir(dir), 0); /* the emptied spool leaves no file */
}

static bool five_replayed(const qp_ingest_stats_t *st)
{
	return st->replayed == 5 && st->spool_records == 0;
}

/* Events answered 202 and still undelivered when the handler is destroyed
 * (the producer closed: SIGTERM during an outage) go to the spool, and the
 * next handler on that directory produces them. */
static void test_events_undelivered_at_close_are_spooled(void **state)
{
	char dir[] = "/tmp/qp-ingest-spool-XXXXXX", body[4096], *ev;
	qp_ingest_stats_t st;
	qp_ingest_t *ing;
	test_record_t *rec;
	int n, len = 0;

	assert_non_null(mkdtemp(dir));
	/* The broker is down before the producer ever reaches it, so the
	 * events wait in its queue, none on a connection: see docs/ingest.md
	 * for the order of events caught on a connection that breaks. No poll
	 * before the POST: Kafka counts as up until the first probe. */
	rd_kafka_mock_broker_set_down(qp_mock__cluster(mc), 1);
	ing = handler("spoolclose", "qp.ingest.spool.dir", dir, "qp.producer.close.timeout.ms",
	              "100", "qp.ingest.probe.interval.ms", "600000", NULL);
	for (n = 1; n <= 5; n++) {
		ev = event(n, "dev-close", -60);
		len += snprintf(body + len, sizeof(body) - (size_t)len, "%s\n", ev);
		free(ev);
	}
	expect(ing, "POST", "/v1/scans", NDJSON, body, 202, "\"accepted\":5");
	qp_ingest_stats(ing, &st);
	assert_int_equal(st.spooled, 0); /* still in the producer's queue */
	qp_ingest_destroy(ing);

	rd_kafka_mock_broker_set_up(qp_mock__cluster(mc), 1);
	ing = handler("spoolclose", "qp.ingest.spool.dir", dir, NULL);
	qp_ingest_stats(ing, &st);
	assert_int_equal(st.spool_records, 5);
	poll_until(ing, five_replayed, "replayed five");
	qp_ingest_destroy(ing);
	rec = test_kafka_read(qp_mock_cluster_bootstrap(mc), "spoolclose-events", 5);
	for (n = 0; n < 5; n++)
		assert_int_equal(atoi(strstr(rec[n].value, "8000-") + 5), n + 1);
	test_records_free(rec, 5);
	assert_int_equal(rmdir(dir), 0);
}

/* A request whose events the spool could not all keep, were they to fail,
 * is refused before any is produced. */
static void test_spool_full_is_503_before_anything_is_dropped(void **state)
{
	char dir[] = "/tmp/qp-ingest-spool-XXXXXX", *ev, *body = malloc(200 * 600);
	qp_ingest_stats_t st;
	qp_ingest_t *ing;
	size_t len = 0;
	int n;

	assert_non_null(mkdtemp(dir));
	ing = handler("spoolfull", "qp.ingest.spool.dir", dir, "qp.ingest.spool.max.bytes", "65536",
	              NULL);
	for (n = 1; n <= 200; n++) {
		ev = event(n, "dev-1", -60);
		len += (size_t)snprintf(body + len, 200 * 600 - len, "%s\n", ev);
		free(ev);
	}
	expect(ing, "POST", "/v1/scans", NDJSON, body, 503, "the spool could not keep these events");
	expect(ing, "GET", "/readyz", "", "", 503, "spool full");
	qp_ingest_stats(ing, &st);
	assert_int_equal(st.accepted, 0);
	free(body);
	qp_ingest_destroy(ing);
	assert_int_equal(rmdir(dir), 0);
}

static bool ten_moved_replayed(const qp_ingest_stats_t *st)
{
	return st->replayed == 10 && st->spool_records == 0;
}

/* The child: answers ten events 202 on a broker that is down, says so
 * on fd, and waits to be killed (never returning into cmocka). */
static void accept_ten_and_wait(const char *dir, const char *body, int fd)
{
	qp_ingest_response_t *r = NULL;
	qp_ingest_t *ing = child_handler("journal", "qp.ingest.spool.dir", dir,
	                                 "qp.ingest.probe.interval.ms", "600000", NULL);
	int status = 0;

	if (qp_ingest_handle(ing, "POST", "/v1/scans", NDJSON, body, strlen(body), &r) == QP_OK &&
	    r)
		status = qp_ingest_response_status(r);
	if (write(fd, &status, sizeof(status)) != sizeof(status))
		_exit(2);
	for (;;)
		pause();
}

/* A process killed (SIGKILL) after answering ten events 202 that Kafka has
 * not acknowledged: the next handler on its spool directory produces each
 * of them (from the journal), before any new event. */
static void test_events_answered_202_survive_a_kill(void **state)
{
	char dir[] = "/tmp/qp-ingest-journal-XXXXXX", body[8192], seg[4096], *ev;
	qp_ingest_stats_t st;
	qp_ingest_t *ing;
	test_record_t *rec;
	int fds[2], status = 0, n, len = 0, last = 0;
	pid_t pid;

	assert_non_null(mkdtemp(dir));
	for (n = 1; n <= 10; n++) {
		ev = event(n, "dev-kill", -60);
		len += snprintf(body + len, sizeof(body) - (size_t)len, "%s\n", ev);
		free(ev);
	}
	qp_mock_cluster_create_topic(mc, "journal-events", 2);
	qp_mock_cluster_create_topic(mc, "journal-tokens", 2);
	/* Down: nothing the child publishes is acknowledged. */
	rd_kafka_mock_broker_set_down(qp_mock__cluster(mc), 1);
	assert_int_equal(pipe(fds), 0);
	assert_true((pid = fork()) >= 0);
	if (pid == 0)
		accept_ten_and_wait(dir, body, fds[1]);
	assert_int_equal(read(fds[0], &status, sizeof(status)), sizeof(status));
	assert_int_equal(status, 202);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	close(fds[0]);
	close(fds[1]);
	/* What the 202 followed: the journal's segment, and no spool yet. */
	snprintf(seg, sizeof(seg), "%s/journal/0000000000000000.seg", dir);
	assert_int_equal(access(seg, F_OK), 0);

	rd_kafka_mock_broker_set_up(qp_mock__cluster(mc), 1);
	ing = handler("journal", "qp.ingest.spool.dir", dir, NULL);
	qp_ingest_stats(ing, &st);
	assert_int_equal(st.spool_records, 10);
	ev = event(99, "dev-kill", -60);
	expect_retry(ing, ev, 503, "1", "produced again first");
	free(ev);
	poll_until(ing, ten_moved_replayed, "replayed the ten of the journal");
	ev = event(11, "dev-kill", -60);
	expect(ing, "POST", "/v1/scans", JSON, ev, 202, "\"accepted\":1");
	free(ev);
	assert_int_equal(qp_ingest_flush(ing, 10000), QP_OK);
	qp_ingest_destroy(ing);

	rec = test_kafka_read(qp_mock_cluster_bootstrap(mc), "journal-events", 11);
	for (n = 0; n < 11; n++) {
		int scan = atoi(strstr(rec[n].value, "8000-") + 5);

		if (scan <= last)
			fail_msg("scan %d after scan %d", scan, last);
		last = scan;
	}
	assert_int_equal(last, 11);
	test_records_free(rec, 11);
	/* Every report in at the close: the journal and the spool leave no
	 * file. */
	assert_int_equal(rmdir(dir), 0);
}

/* The request answered from the journal's flush (its test hook). */
static int flush_requests;

static void request_during_flush(void *arg)
{
	char *ev;

	if (flush_requests++)
		return;
	ev = event(2, "dev-flush", -60);
	expect(arg, "POST", "/v1/scans", JSON, ev, 202, "\"accepted\":1");
	free(ev);
}

/* The journal's flush (once per poll) holds no lock a request needs: a
 * request made while it runs, from its test hook on the polling thread
 * itself, is written to the journal and answered 202. Were the requests'
 * writes serialized behind the flush again, that request would wait for a
 * lock its own thread holds: the test would hang, and ctest's timeout
 * fail it. Both events then reach Kafka. */
static void test_requests_do_not_wait_for_the_journal_flush(void **state)
{
	char dir[] = "/tmp/qp-ingest-journal-XXXXXX", *ev;
	qp_ingest_t *ing;
	test_record_t *rec;

	assert_non_null(mkdtemp(dir));
	ing = handler("flush", "qp.ingest.spool.dir", dir, NULL);
	ev = event(1, "dev-flush", -60);
	expect(ing, "POST", "/v1/scans", JSON, ev, 202, "\"accepted\":1");
	free(ev);
	flush_requests = 0;
	qp_spool__test_on_flush_arg = ing;
	qp_spool__test_on_flush = request_during_flush;
	assert_int_equal(qp_ingest_poll(ing, 0), QP_OK); /* the journal has the first */
	qp_spool__test_on_flush = NULL;
	assert_int_equal(flush_requests, 1);
	assert_int_equal(qp_ingest_flush(ing, 10000), QP_OK);
	qp_ingest_destroy(ing);
	rec = test_kafka_read(qp_mock_cluster_bootstrap(mc), "flush-events", 2);
	assert_non_null(strstr(rec[0].value, "dev-flush"));
	assert_non_null(strstr(rec[1].value, "dev-flush"));
	test_records_free(rec, 2);
	assert_int_equal(rmdir(dir), 0);
}

/* Without the journal (qp.ingest.spool.journal=false), a delivered event
 * leaves nothing on disk and the handler works as before. */
static void test_journal_can_be_turned_off(void **state)
{
	char dir[] = "/tmp/qp-ingest-journal-XXXXXX", path[4096], *ev;
	qp_ingest_t *ing;
	test_record_t *rec;

	assert_non_null(mkdtemp(dir));
	ing = handler("nojournal", "qp.ingest.spool.dir", dir, "qp.ingest.spool.journal", "false",
	              NULL);
	ev = event(1, "dev-1", -60);
	expect(ing, "POST", "/v1/scans", JSON, ev, 202, "\"accepted\":1");
	free(ev);
	snprintf(path, sizeof(path), "%s/journal", dir);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(qp_ingest_flush(ing, 10000), QP_OK);
	qp_ingest_destroy(ing);
	rec = test_kafka_read(qp_mock_cluster_bootstrap(mc), "nojournal-events", 1);
	test_records_free(rec, 1);
	assert_int_equal(rmdir(dir), 0);
}

/* The journal is synced and cut at most once per
 * qp.ingest.spool.journal.sync.ms, the first poll at once: a delivered
 * event stays in it until the next turn, and leaves it at the close. */
static void test_journal_is_cut_once_per_sync_interval(void **state)
{
	char dir[] = "/tmp/qp-ingest-journal-XXXXXX", path[4096], *ev;
	qp_ingest_t *ing;
	test_record_t *rec;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/journal", dir);
	ing = handler("jsync", "qp.ingest.spool.dir", dir, "qp.ingest.spool.journal.sync.ms",
	              "60000", NULL);
	ev = event(1, "dev-1", -60);
	expect(ing, "POST", "/v1/scans", JSON, ev, 202, "\"accepted\":1");
	free(ev);
	assert_int_equal(qp_ingest_flush(ing, 10000), QP_OK); /* its report is in */
	assert_int_equal(spool_segments(path, NULL, 0), 1);
	assert_int_equal(qp_ingest_poll(ing, 0), QP_OK); /* the first turn: cut, emptied */
	assert_int_equal(spool_segments(path, NULL, 0), 0);

	ev = event(2, "dev-1", -60);
	expect(ing, "POST", "/v1/scans", JSON, ev, 202, "\"accepted\":1");
	free(ev);
	assert_int_equal(qp_ingest_flush(ing, 10000), QP_OK);
	assert_int_equal(qp_ingest_poll(ing, 0), QP_OK); /* not its turn: it stays */
	assert_int_equal(spool_segments(path, NULL, 0), 1);
	qp_ingest_destroy(ing); /* every report in: cut at the close */
	assert_int_equal(spool_segments(path, NULL, 0), -1);
	rec = test_kafka_read(qp_mock_cluster_bootstrap(mc), "jsync-events", 2);
	test_records_free(rec, 2);
	assert_int_equal(rmdir(dir), 0);
}

/* A journal holding more than half its bound is cut at the next poll, its
 * turn come or not: a long sync interval must not fill it and have
 * requests answered 503. */
static void test_journal_half_full_is_cut_before_its_turn(void **state)
{
	char dir[] = "/tmp/qp-ingest-journal-XXXXXX", path[4096], *ev;
	qp_buf_t body = QP_BUF_INIT;
	qp_ingest_t *ing;
	test_record_t *rec;
	int i;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/journal", dir);
	ing = handler("jhalf", "qp.ingest.spool.dir", dir, "qp.ingest.spool.journal.sync.ms",
	              "60000", "qp.ingest.spool.max.bytes", "65536", NULL);
	assert_int_equal(qp_ingest_poll(ing, 0), QP_OK); /* the first turn, on nothing */
	/* 100 events of ~420 bytes in the journal: more than 32 KiB. */
	for (i = 0; i < 100; i++) {
		ev = event(100 + i, "dev-half", -60);
		assert_int_equal(qp_buf__puts(&body, ev), QP_OK);
		assert_int_equal(qp_buf__putc(&body, '\n'), QP_OK);
		free(ev);
	}
	expect(ing, "POST", "/v1/scans", NDJSON, body.ptr, 202, "\"accepted\":100");
	qp_buf_dispose(&body);
	assert_int_equal(qp_ingest_flush(ing, 10000), QP_OK);
	assert_int_equal(spool_segments(path, NULL, 0), 1);
	assert_int_equal(qp_ingest_poll(ing, 0), QP_OK); /* not its turn, but half full */
	assert_int_equal(spool_segments(path, NULL, 0), 0);
	qp_ingest_destroy(ing);
	rec = test_kafka_read(qp_mock_cluster_bootstrap(mc), "jhalf-events", 100);
	test_records_free(rec, 100);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_event_is_produced_with_edge_headers),
		cmocka_unit_test(test_batches_array_and_ndjson),
		cmocka_unit_test(test_invalid_event_refuses_the_whole_batch_with_pointers),
		cmocka_unit_test(test_hostile_bodies),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_keys_file_is_required_and_checked),
		cmocka_unit_test(test_head_refusals),
		cmocka_unit_test(test_gzip_and_bombs),
		cmocka_unit_test(test_signatures),
		cmocka_unit_test(test_resubmission_is_answered_again_not_produced_again),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_queue_full_is_503_and_the_batch_resent_is_not_doubled),
		cmocka_unit_test(test_kafka_unreachable_is_503),
		cmocka_unit_test(test_push_token),
		cmocka_unit_test(test_received_header_is_trusted_only_when_asked),
		cmocka_unit_test(test_health_and_metrics),
		cmocka_unit_test(test_failed_deliveries_are_spooled_and_produced_again),
		cmocka_unit_test(test_events_undelivered_at_close_are_spooled),
		cmocka_unit_test(test_spool_full_is_503_before_anything_is_dropped),
		cmocka_unit_test(test_events_answered_202_survive_a_kill),
		cmocka_unit_test(test_journal_can_be_turned_off),
		cmocka_unit_test(test_requests_do_not_wait_for_the_journal_flush),
		cmocka_unit_test(test_journal_is_cut_once_per_sync_interval),
		cmocka_unit_test(test_journal_half_full_is_cut_before_its_turn),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
