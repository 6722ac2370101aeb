/*
 * quackpipe dlq tail: prints the dead-lettered events of qp.topic.dlq, as
 * a human reads them or as one JSON object per line. Each record carries
 * the original key and bytes and the headers the runner wrote
 * (src/kafka/runner/dlq_headers.c, docs/dlq.md): error code and text, source topic,
 * partition, offset and timestamp, retry count, first failure time, and
 * the replay count of one that `dlq replay` (cmd_dlq_replay.c) sent back.
 * The dispatcher of `quackpipe dlq tail|replay` is here too.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock_int.h"
#include "base/buf_int.h"
#include "cli/cli_conf.h"
#include "cli/commands.h"
#include "cli/dlq.h"
#include "cli/cli_publish.h"
#include "model/json_int.h"
#include "base/utf8_int.h"

typedef struct dlq_tail {
	qp_conf_t *conf;
	uint64_t count;      /* stop after this many; 0: no limit */
	int timeout_s;       /* stop when idle this long; 0: never */
	size_t max_bytes;    /* of the original bytes in the text form */
	bool json, from_beginning;
	qp_buf_t line;
} dlq_tail_t;

static void usage(FILE *out, const void *opaque)
{
	(void)opaque;
	fprintf(out,
		"usage: quackpipe dlq tail [OPTIONS]\n\n"
		"Prints each dead-lettered event of qp.topic.dlq: where it came from (topic,\n"
		"partition, offset), the error code and text, the retry count, the time of its\n"
		"first failure, how many times `dlq replay` sent it back, and its original key\n"
		"and bytes. Reads as consumer group quackpipe-dlq-tail (-X group.id=... for\n"
		"another), so each run goes on where the last one stopped; --from-beginning\n"
		"reads the whole topic with a fresh group.\n\n"
		"options:\n"
		"  --from-beginning    read every record still in the topic\n"
		"  --count N           stop after N records (exit 1 if --timeout ends it before)\n"
		"  --timeout S         stop after S seconds without a record\n"
		"  --json              one JSON object per line\n"
		"  --max-bytes N       show at most N bytes of each original (default 256; text form)\n"
		"%s"
		"  --help              this text\n", cli_conf_usage);
}

/* ---- reading the headers ---- */

const char *dlq_header_text(const qp_message_t *msg, const char *name, char *out, size_t cap)
{
	const void *value;
	size_t len;

	if (qp_message_header(msg, name, &value, &len) || !value)
		return NULL;
	len = len < cap - 1 ? len : cap - 1;
	memcpy(out, value, len);
	out[len] = '\0';
	return out;
}

int64_t dlq_header_int(const qp_message_t *msg, const char *name, int64_t absent)
{
	char text[32];

	return dlq_header_text(msg, name, text, sizeof(text)) ? strtoll(text, NULL, 10) : absent;
}

/* "2025-01-31T12:00:00.123Z", or "-" for a time that was never set. */
static const char *format_ms(int64_t ms, char out[32])
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || !gmtime_r(&secs, &tm)) {
		strcpy(out, "-");
		return out;
	}
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + strlen(out), 32 - strlen(out), ".%03dZ", (int)(ms % 1000));
	return out;
}

/* ---- the text form ---- */

/* bytes as C-like escaped text: printable ASCII as is, the rest \xNN. */
static void put_escaped_text(qp_buf_t *out, const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\\')
			qp_buf__puts(out, "\\\\");
		else if (p[i] == '\n')
			qp_buf__puts(out, "\\n");
		else if (p[i] == '\t')
			qp_buf__puts(out, "\\t");
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			qp_buf__putc(out, (char)p[i]);
		else
			qp_buf__printf(out, "\\x%02x", p[i]);
	}
}

static void format_text(dlq_tail_t *t, const qp_message_t *msg)
{
	qp_buf_t *b = &t->line;
	char code[64], text[2048], topic[256], when[32];
	const void *key, *value;
	size_t key_len, len;

	key = qp_message_key(msg, &key_len);
	value = qp_message_value(msg, &len);
	qp_buf__printf(b, "--- %s [%d] offset %" PRId64 "\n", qp_message_topic(msg),
	               (int)qp_message_partition(msg), qp_message_offset(msg));
	qp_buf__printf(b, "source:        %s [%" PRId64 "] offset %" PRId64 ", record time %s\n",
	               dlq_header_text(msg, "qp.source.topic", topic, sizeof(topic)) ? topic : "?",
	               dlq_header_int(msg, "qp.source.partition", -1),
	               dlq_header_int(msg, "qp.source.offset", -1),
	               format_ms(dlq_header_int(msg, "qp.source.timestamp", -1), when));
	qp_buf__printf(b, "error:         %s: ",
	               dlq_header_text(msg, "qp.error.code", code, sizeof(code)) ? code : "?");
	if (dlq_header_text(msg, "qp.error.text", text, sizeof(text)))
		put_escaped_text(b, (const unsigned char *)text, strlen(text));
	qp_buf__printf(b, "\nretry count:   %" PRId64 "\nfirst failure: %s\n",
	               dlq_header_int(msg, "qp.retry.count", 0),
	               format_ms(dlq_header_int(msg, "qp.first.failure.ms", 0), when));
	qp_buf__printf(b, "replay count:  %" PRId64 "\nkey:           ",
	               dlq_header_int(msg, "qp.replay.count", 0));
	put_escaped_text(b, key, key ? key_len : 0);
	qp_buf__printf(b, "\nvalue:         (%zu bytes) ", len);
	put_escaped_text(b, value, len < t->max_bytes ? len : t->max_bytes);
	qp_buf__puts(b, len > t->max_bytes ? " ...(truncated)\n" : "\n");
}

/* ---- the JSON form ---- */

static void put_base64(qp_buf_t *out, const unsigned char *p, size_t len)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0) |
		             (i + 2 < len ? p[i + 2] : 0);

		qp_buf__putc(out, digits[v >> 18 & 63]);
		qp_buf__putc(out, digits[v >> 12 & 63]);
		qp_buf__putc(out, i + 1 < len ? digits[v >> 6 & 63] : '=');
		qp_buf__putc(out, i + 2 < len ? digits[v & 63] : '=');
	}
}

/* ,"name":"text" when the bytes are UTF-8 (JSON can carry them), else
 * ,"name_base64":"..." so that nothing is lost; ,"name":null when absent. */
static void put_bytes_member(qp_buf_t *out, const char *name, const void *p, size_t len)
{
	if (!p) {
		qp_buf__printf(out, ",\"%s\":null", name);
	} else if (qp_utf8__invalid_at(p, len) == len) {
		qp_buf__printf(out, ",\"%s\":", name);
		qp_json__put_string(out, p, len);
	} else {
		qp_buf__printf(out, ",\"%s_base64\":\"", name);
		put_base64(out, p, len);
		qp_buf__putc(out, '"');
	}
}

static void put_int_member(qp_buf_t *out, const char *name, const qp_message_t *msg, const char *header)
{
	char text[32];

	if (dlq_header_text(msg, header, text, sizeof(text)))
		qp_buf__printf(out, ",\"%s\":%" PRId64, name, (int64_t)strtoll(text, NULL, 10));
	else
		qp_buf__printf(out, ",\"%s\":null", name);
}

static void put_header_member(qp_buf_t *out, const char *name, const qp_message_t *msg, const char *header)
{
	const void *value = NULL;
	size_t len = 0;

	qp_message_header(msg, header, &value, &len);
	put_bytes_member(out, name, value, len);
}

static void format_json(dlq_tail_t *t, const qp_message_t *msg)
{
	qp_buf_t *b = &t->line;
	const void *key, *value;
	size_t key_len, len;

	key = qp_message_key(msg, &key_len);
	value = qp_message_value(msg, &len);
	qp_buf__puts(b, "{\"topic\":");
	qp_json__put_string(b, qp_message_topic(msg), strlen(qp_message_topic(msg)));
	qp_buf__printf(b, ",\"partition\":%d,\"offset\":%" PRId64, (int)qp_message_partition(msg),
	               qp_message_offset(msg));
	put_header_member(b, "source_topic", msg, "qp.source.topic");
	put_int_member(b, "source_partition", msg, "qp.source.partition");
	put_int_member(b, "source_offset", msg, "qp.source.offset");
	put_int_member(b, "source_timestamp_ms", msg, "qp.source.timestamp");
	put_header_member(b, "error_code", msg, "qp.error.code");
	put_header_member(b, "error_text", msg, "qp.error.text");
	put_int_member(b, "retry_count", msg, "qp.retry.count");
	put_int_member(b, "first_failure_ms", msg, "qp.first.failure.ms");
	put_int_member(b, "replay_count", msg, "qp.replay.count");
	put_bytes_member(b, "key", key, key_len);
	qp_buf__printf(b, ",\"value_bytes\":%zu", len);
	put_bytes_member(b, "value", value ? value : "", len);
	qp_buf__puts(b, "}\n");
}

/* ---- the loop ---- */

static qp_err_t open_runner(qp_runner_t **out, dlq_tail_t *t)
{
	char group[96];

	if (t->from_beginning)
		snprintf(group, sizeof(group), "quackpipe-dlq-tail-%ld-%" PRId64, (long)getpid(),
		         qp_clock__wall_us());
	else
		snprintf(group, sizeof(group), "quackpipe-dlq-tail");
	return cli_reader_new(out, t->conf,
	                      t->from_beginning || !qp_conf_get(t->conf, "group.id") ? group : NULL,
	                      t->from_beginning, qp_conf_get(t->conf, "qp.topic.dlq"));
}

/* Returns the exit code. */
static int tail(dlq_tail_t *t, qp_runner_t *r)
{
	double idle_since = qp_clock__now_s();
	uint64_t printed = 0;
	qp_message_t *msg;
	qp_err_t err;

	while (!t->count || printed < t->count) {
		err = qp_runner_next(r, &msg, 200);
		if (err == QP_ERR_WAKEUP || err == QP_ERR_CLOSED)
			break;
		if (err == QP_ERR_NO_EVENT) {
			if (t->timeout_s && qp_clock__now_s() - idle_since >= t->timeout_s)
				return t->count ? QP_EXIT_FAILURE : QP_EXIT_OK;
			continue;
		}
		if (err) {
			fprintf(stderr, "quackpipe dlq: %s\n", qp_error_last());
			return QP_EXIT_USAGE;
		}
		/* Joining the group is not idleness: the clock starts again. */
		idle_since = qp_clock__now_s();
		if (qp_message_kind(msg) == QP_MESSAGE_EVENT) {
			qp_buf__truncate(&t->line, 0);
			if (t->json)
				format_json(t, msg);
			else
				format_text(t, msg);
			fwrite(t->line.ptr, 1, t->line.size, stdout);
			fflush(stdout);
			printed++;
		}
		qp_runner_ack(r, msg);
	}
	return QP_EXIT_OK;
}

static void wakeup_runner(void *opaque)
{
	qp_runner_wakeup(opaque);
}

/* Returns -1 to go on, or the exit code. */
static int parse(dlq_tail_t *t, int argc, char **argv)
{
	cli_args_t args;
	const char *a, *v;

	cli_args_begin(&args, argc, argv, 2, "dlq", usage, NULL);
	while ((a = cli_args_next(&args))) {
		char *end = NULL;

		if (!strcmp(a, "--json")) {
			t->json = true;
			continue;
		}
		if (!strcmp(a, "--from-beginning")) {
			t->from_beginning = true;
			continue;
		}
		if (!(v = cli_args_value(&args)))
			break;
		if (!strcmp(a, "--count") && (t->count = strtoull(v, &end, 10)) > 0 && !*end)
			continue;
		if (!strcmp(a, "--timeout") && (t->timeout_s = (int)strtol(v, &end, 10)) > 0 && !*end)
			continue;
		if (!strcmp(a, "--max-bytes") && (t->max_bytes = strtoull(v, &end, 10)) > 0 && !*end)
			continue;
		cli_args_bad(&args);
	}
	return cli_args_end(&args, &t->conf);
}

static int tail_main(int argc, char **argv)
{
	dlq_tail_t t = { NULL, 0, 0, 256, false, false, QP_BUF_INIT };
	qp_runner_t *r;
	int rc;

	cli_block_stop_signals();
	if ((rc = parse(&t, argc, argv)) >= 0)
		return rc;
	if (open_runner(&r, &t)) {
		fprintf(stderr, "quackpipe dlq: %s\n", qp_error_last());
		qp_conf_destroy(t.conf);
		return QP_EXIT_USAGE;
	}
	cli_on_stop_signal(wakeup_runner, r);
	rc = tail(&t, r);
	cli_on_stop_signal_clear();
	qp_runner_destroy(r);
	qp_buf_dispose(&t.line);
	qp_conf_destroy(t.conf);
	return rc;
}

static void dlq_usage(FILE *out)
{
	fprintf(out,
		"usage: quackpipe dlq tail [OPTIONS]\n"
		"       quackpipe dlq replay [OPTIONS]\n\n"
		"The dead-letter topic (qp.topic.dlq, docs/dlq.md):\n"
		"  tail      print each dead letter: its source, error, retry and replay counts\n"
		"            and original bytes\n"
		"  replay    publish dead letters again to their source topic once they are old\n"
		"            enough, with qp.replay.count one higher, up to --max-replays\n\n"
		"'quackpipe dlq tail --help' and 'quackpipe dlq replay --help' list the options.\n");
}

int qp_cmd_dlq(int argc, char **argv)
{
	bool help = argc > 1 && !strcmp(argv[1], "--help");

	if (argc > 1 && !strcmp(argv[1], "tail"))
		return tail_main(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "replay"))
		return dlq_replay_main(argc, argv);
	if (!help)
		fprintf(stderr, "quackpipe dlq: want tail or replay\n");
	dlq_usage(help ? stdout : stderr);
	return help ? QP_EXIT_OK : QP_EXIT_USAGE;
}
