/*
 * The demo's phones (src/cli/cli_upload.c) over the HTTP client
 * (src/http/http_client.c) against a scripted server on loopback
 * (src/http/http_server.c): a phone uploads its own scans in order, a
 * batch at a time; after a 422 it sends again only the events the problem
 * did not name; after a 503 it sends the same request again after
 * Retry-After; push tokens go by PUT; the counters add up.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/buf_int.h"
#include "cli/cli_upload.h"
#include "http/http_int.h"

#define MAX_REQUESTS 64

/* What the server saw, and how it answers: the i-th POST gets answers[i]
 * (202 past the script). */
typedef struct script {
	pthread_mutex_t lock;
	int answers[MAX_REQUESTS];
	const char *bodies[MAX_REQUESTS]; /* answer bodies; NULL: "{}" */
	char *seen[MAX_REQUESTS];         /* "METHOD PATH received\nbody" */
	int count;
} script_t;

static const char *header(const char *headers, const char *name, char *out, size_t size)
{
	const char *p = strstr(headers, name), *end;

	if (!p)
		return "";
	p += strlen(name);
	end = p + strcspn(p, "\r\n");
	snprintf(out, size, "%.*s", (int)(end - p), p);
	return out;
}

static void on_head(void *opaque, const char *method, const char *path, const char *headers,
                    int64_t content_length, qp_http_reply_t *reply)
{
	(void)opaque; (void)method; (void)path; (void)headers; (void)content_length;
	(void)reply;
}

static void on_body(void *opaque, const char *method, const char *path, const char *headers,
                    const void *body, size_t len, qp_http_reply_t *reply)
{
	script_t *s = opaque;
	char received[32];
	qp_buf_t seen = QP_BUF_INIT;
	int i;

	pthread_mutex_lock(&s->lock);
	i = s->count++;
	qp_buf__printf(&seen, "%s %s %s\n%.*s", method, path,
	               header(headers, "X-QP-Received-Ms: ", received, sizeof(received)),
	               (int)len, (const char *)body);
	if (i < MAX_REQUESTS)
		s->seen[i] = seen.ptr;
	reply->status = i < MAX_REQUESTS && s->answers[i] ? s->answers[i] : 202;
	reply->body = i < MAX_REQUESTS && s->bodies[i] ? s->bodies[i] : "{}";
	pthread_mutex_unlock(&s->lock);
	reply->len = strlen(reply->body);
	if (reply->status == 503) {
		reply->header_count = 1;
		reply->header_names[0] = "Retry-After";
		reply->header_values[0] = "1";
	}
}

typedef struct fixture {
	script_t script;
	qp_http_server_t *server;
	cli_upload_t *upload;
} fixture_t;

static int setup(void **state)
{
	qp_http_options_t options = { "127.0.0.1", 0, 1, 64, 10, 16384, 1 << 20, NULL, NULL };
	qp_http_handler_t handler = { on_head, on_body, NULL };
	fixture_t *f = calloc(1, sizeof(*f));
	char url[64];

	pthread_mutex_init(&f->script.lock, NULL);
	handler.opaque = &f->script;
	if (qp_http__start(&f->server, &options, &handler))
		return -1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", qp_http__port(f->server));
	/* three phones, uploads of two events, two connections */
	if (cli_upload_new(&f->upload, url, 3, 2, 2))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	int i;

	cli_upload_destroy(f->upload);
	qp_http__stop(f->server);
	for (i = 0; i < MAX_REQUESTS; i++)
		free(f->script.seen[i]);
	pthread_mutex_destroy(&f->script.lock);
	free(f);
	return 0;
}

/* Queues the scan `json` of phone `phone`, received at received_ms. */
static void add(fixture_t *f, uint32_t phone, const char *json, int64_t received_ms)
{
	char device[16];
	sim_submission_t s = { 0 };

	snprintf(device, sizeof(device), "dev-%06u", phone);
	s.json = json;
	s.len = strlen(json);
	s.device_id = device;
	s.device_index = phone;
	s.received_ms = received_ms;
	assert_int_equal(cli_upload_add(f->upload, &s), QP_OK);
}

static uint64_t status_count(const cli_upload_stats_t *st, int status)
{
	int i;

	for (i = 0; i < CLI_UPLOAD_STATUSES; i++)
		if (st->statuses[i] == status)
			return st->status_count[i];
	return 0;
}

static void test_phones_upload_their_own_batches_in_order(void **state)
{
	fixture_t *f = *state;
	const cli_upload_stats_t *st;
	int i;

	add(f, 0, "{\"n\":1}", 1001);
	add(f, 1, "{\"n\":2}", 1002);
	add(f, 0, "{\"n\":3}", 1003); /* phone 0's batch is full: uploaded */
	add(f, 1, "{\"n\":4}", 1004);
	add(f, 2, "{\"n\":5}", 1005); /* alone: only a flush sends it */
	assert_int_equal(cli_upload_flush(f->upload, 10000), QP_OK);
	assert_int_equal(f->script.count, 3);
	for (i = 0; i < 3; i++) {
		const char *seen = f->script.seen[i];

		if (strcmp(seen, "POST /v1/scans 1003\n{\"n\":1}\n{\"n\":3}\n") &&
		    strcmp(seen, "POST /v1/scans 1004\n{\"n\":2}\n{\"n\":4}\n") &&
		    strcmp(seen, "POST /v1/scans 1005\n{\"n\":5}\n"))
			fail_msg("request %d: %s", i, seen);
	}
	st = cli_upload_stats(f->upload);
	assert_int_equal(st->submitted, 5);
	assert_int_equal(st->accepted, 5);
	assert_int_equal(st->refused + st->failed, 0);
	assert_int_equal(st->requests, 3);
	assert_int_equal(status_count(st, 202), 3);
	/* kept alive: no more connections than asked for */
	assert_in_range(st->connects, 1, 2);
	assert_string_equal(cli_upload_first_failure(f->upload), "");
}

static void test_refused_events_are_dropped_the_rest_sent_again(void **state)
{
	fixture_t *f = *state;
	const cli_upload_stats_t *st;

	f->script.answers[0] = 422;
	f->script.bodies[0] = "{\"status\":422,\"errors\":[{\"index\":1,\"pointer\":\"/gps/lat\"}]}";
	add(f, 0, "{\"n\":1}", 1);
	add(f, 0, "{\"bad\":2}", 2);
	assert_int_equal(cli_upload_flush(f->upload, 10000), QP_OK);
	assert_int_equal(f->script.count, 2);
	assert_string_equal(f->script.seen[1], "POST /v1/scans 2\n{\"n\":1}\n");
	st = cli_upload_stats(f->upload);
	assert_int_equal(st->accepted, 1);
	assert_int_equal(st->refused, 1);
	assert_int_equal(st->refused_request_events, 2);
	assert_int_equal(st->failed, 0);
	assert_int_equal(status_count(st, 422), 1);
	assert_int_equal(status_count(st, 202), 1);
}

static void test_unavailable_is_sent_again_after_retry_after(void **state)
{
	fixture_t *f = *state;
	const cli_upload_stats_t *st;

	f->script.answers[0] = 503;
	add(f, 2, "{\"n\":1}", 7);
	add(f, 2, "{\"n\":2}", 8);
	assert_int_equal(cli_upload_flush(f->upload, 10000), QP_OK);
	assert_int_equal(f->script.count, 2);
	assert_string_equal(f->script.seen[0], f->script.seen[1]);
	st = cli_upload_stats(f->upload);
	assert_int_equal(st->accepted, 2);
	assert_int_equal(status_count(st, 503), 1);
	assert_int_equal(st->failed, 0);
}

static void test_a_refusal_naming_nothing_gives_the_events_up_and_says_why(void **state)
{
	fixture_t *f = *state;
	const cli_upload_stats_t *st;

	f->script.answers[0] = 400;
	f->script.bodies[0] = "not a problem document";
	add(f, 1, "{\"n\":1}", 1);
	add(f, 1, "{\"n\":2}", 2);
	assert_int_equal(cli_upload_flush(f->upload, 10000), QP_OK);
	st = cli_upload_stats(f->upload);
	assert_int_equal(st->failed, 2);
	assert_int_equal(st->accepted + st->refused, 0);
	assert_string_equal(cli_upload_first_failure(f->upload), "HTTP 400: not a problem document");
}

static void test_push_tokens_are_put(void **state)
{
	fixture_t *f = *state;

	assert_int_equal(cli_upload_token(f->upload, "dev-000002", "webhook", "t-2"), QP_OK);
	assert_int_equal(cli_upload_flush(f->upload, 10000), QP_OK);
	assert_string_equal(f->script.seen[0], "PUT /v1/devices/dev-000002/push-token \n"
	                    "{\"platform\":\"webhook\",\"token\":\"t-2\"}");
	assert_int_equal(cli_upload_stats(f->upload)->tokens, 1);
	assert_int_equal(cli_upload_stats(f->upload)->requests, 0); /* scans only */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_phones_upload_their_own_batches_in_order),
		T(test_refused_events_are_dropped_the_rest_sent_again),
		T(test_unavailable_is_sent_again_after_retry_after),
		T(test_a_refusal_naming_nothing_gives_the_events_up_and_says_why),
		T(test_push_tokens_are_put),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
