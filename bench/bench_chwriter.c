/*
 * bench/run chwriter: ch-writer end to end (scan-enriched -> batches ->
 * ClickHouse) against a real Kafka broker and a real ClickHouse, next to
 * the plain loader anyone would write by hand for the same job.
 *
 * A scan-enriched-like topic is preloaded once with N enriched events: the
 * `quackpipe simulate` population (honest phones and 5% spoofers, no
 * malformed ones), each judged by the fraud engine (the city's towers
 * loaded) and written as fraud-svc writes it (the raw bytes with the
 * enrichment appended), keyed by device_id with the trace header. Then, for
 * each ClickHouse (the server over HTTP; the embedded engine when --chdb is
 * given), taking turns going first:
 *   - ch-writer: qp_service__run in a thread (HTTP or embedded backend),
 *     which acks each row once the inserter reports it in ClickHouse, names
 *     each insert with a deduplication token, would pause fetching while
 *     ClickHouse refuses, and keeps its counters and latency histogram;
 *   - the plain loader: a runner decoding the same way
 *     (qp.runner.decode=enriched) -> next_batch -> qp_event_encode_row of
 *     each event into one JSONEachRow body -> at qp.inserter.batch.rows
 *     rows (or the batch age) one synchronous INSERT: a bare libcurl POST to
 *     the same server with the settings the inserter sends, or for the
 *     embedded engine the same statement straight into it -> ack the batch.
 * Both read with a fresh group, in runner batches of qp.svc.batch.max, with
 * the same row encoding and insert size, into a table of their own made
 * with the inserter's DDL (merges stopped, see new_table()); so the ratio
 * is ch-writer's own overhead (the inserter's copy of each row, per-row
 * results and acks, tokens, stats). The clock runs from the moment every
 * partition is assigned until the N-th row is in ClickHouse; each run's
 * table is then checked to hold exactly N rows (all are dropped at the
 * end, see check_rows()). Figures are the median of --repeat runs after a
 * warm-up run of each; a second line gives this process's CPU time per
 * row (the server's own is not in it, the embedded engine's is). The
 * topics are deleted at exit.
 *
 * usage: bench_chwriter --bootstrap HOST:PORT [--url URL] [--chdb LIBCHDB
 *        --chdb-dir DIR] [--events N] [--partitions P] [--devices D]
 *        [--batch-rows B] [--repeat R] [--broker LABEL]
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_common.h"
#include "bench_pipeline.h"
#include "base/buf_int.h"
#include "clickhouse/ch_int.h"

#define DB "qp_bench_chw"
#define STALL_S 120 /* no progress for this long fails the run */

static bench_args_t args = { NULL, "Kafka", 200000, 3, 10000, 5 };
static int batch_rows;
static const char *url, *chdb_path, *chdb_dir;
static bench_topics_t topics;
static bench_preload_t preloaded;
static int batch_max, batch_age_ms, batch_idle_ms;

/* Where rows go: one ClickHouse, through ch-writer or the plain loader. */
typedef struct target {
	const char *name, *backend;
	qp_inserter_t *admin;        /* version, settings, counts, drops */
	char version[64];
	/* The settings the inserter sends with each INSERT on this server. */
	const char *settings[4];
	size_t setting_count;
	CURL *curl;                  /* the loader's connection (HTTP) */
	struct curl_slist *curl_headers;
	qp_ch_backend_t *engine;     /* the loader's engine (embedded) */
	unsigned tables;
} target_t;

static void inserter_keys(qp_conf_t *conf, const target_t *t, const char *table)
{
	bench_set(conf, "qp.inserter.backend", t->backend);
	bench_set(conf, "qp.inserter.database", DB);
	bench_set(conf, "qp.inserter.table", table);
	bench_set_int(conf, "qp.inserter.batch.rows", batch_rows);
	if (url)
		bench_set(conf, "qp.inserter.url", url);
	if (chdb_path) {
		bench_set(conf, "qp.inserter.chdb.path", chdb_path);
		bench_set(conf, "qp.inserter.chdb.dir", chdb_dir);
	}
}

static qp_inserter_t *make_inserter(const target_t *t, const char *table)
{
	qp_conf_t *conf;
	qp_inserter_t *ins;

	if (qp_conf_new(&conf))
		bench_die("conf", qp_error_last());
	inserter_keys(conf, t, table);
	if (qp_inserter_new(&ins, conf))
		bench_die(t->name, qp_error_last());
	return ins;
}

static void sql(const target_t *t, const char *statement, qp_buf_t *out)
{
	qp_buf_t ignored = QP_BUF_INIT;

	if (qp_inserter_query(t->admin, statement, out ? out : &ignored))
		bench_die(statement, qp_error_last());
	qp_buf_dispose(&ignored);
}

/*
 * A fresh table of the inserter's DDL for one run, its merges stopped: the
 * table is a ReplacingMergeTree, and a merge would collapse the replaying
 * devices' identical scans, so that the count could no longer tell whether
 * every event was stored exactly once.
 */
static void new_table(target_t *t, char *table, size_t size)
{
	qp_buf_t statement = QP_BUF_INIT;
	qp_inserter_t *ins;

	snprintf(table, size, "scan_events_%ld_%u", (long)getpid(), ++t->tables);
	ins = make_inserter(t, table);
	if (qp_inserter_ensure_table(ins))
		bench_die("ensure_table", qp_error_last());
	qp_inserter_destroy(ins);
	qp_buf__printf(&statement, "SYSTEM STOP MERGES " DB ".%s", table);
	sql(t, statement.ptr, NULL);
	qp_buf_dispose(&statement);
}

/*
 * Checks that the run stored every event. Tables are kept until the end:
 * dropping each right away made the next runs' inserts 2x slower on this
 * VM, whose ext4 has no journal, so that every file a new part creates
 * makes the kernel skip the inodes deleted in the last half minute.
 */
static void check_rows(const target_t *t, const char *who, const char *table)
{
	qp_buf_t out = QP_BUF_INIT, statement = QP_BUF_INIT;
	long long stored;

	qp_buf__printf(&statement, "SELECT count() FROM " DB ".%s FORMAT TSV", table);
	sql(t, statement.ptr, &out);
	stored = atoll(out.ptr);
	if (stored != args.events) {
		fprintf(stderr, "bench_chwriter: %s (%s) stored %lld rows in %s, not %d\n", who,
		        t->name, stored, table, args.events);
		exit(1);
	}
	qp_buf_dispose(&out);
	qp_buf_dispose(&statement);
}

/* The reader's conf, the same for both sides: a new group from the start. */
static qp_conf_t *reader_conf(void)
{
	static unsigned n;
	qp_conf_t *conf = bench_kafka_conf(args.bootstrap, &topics);
	char group[64];

	snprintf(group, sizeof(group), "bench-chwriter-%ld-%u", (long)getpid(), ++n);
	bench_set(conf, "group.id", group);
	bench_set(conf, "auto.offset.reset", "earliest");
	return conf;
}

/* ---- ch-writer ---- */

static bench_run_t ch_writer(target_t *t)
{
	qp_conf_t *conf = reader_conf();
	const qp_svc_counters_t *c;
	qp_service_t *svc;
	char table[64];
	bench_run_t run;

	/* ch-writer's own ensure_table (in _new, before the clock) finds it. */
	new_table(t, table, sizeof(table));
	inserter_keys(conf, t, table);
	if (qp_service__new(&svc, &qp_ch_writer__type, conf))
		bench_die("ch-writer", qp_error_last());
	qp_conf_destroy(conf);
	c = qp_service__stats(svc);
	run = bench_svc_measure(svc, &c->inserted, args.partitions, (uint64_t)args.events);
	if (atomic_load(&c->inserted) != (uint64_t)args.events)
		bench_die("ch-writer", "inserted another count than was preloaded");
	qp_service__destroy(svc);
	check_rows(t, "ch-writer", table);
	return run;
}

/* ---- the plain loader ---- */

typedef struct loader {
	target_t *t;
	qp_runner_t *runner;
	qp_message_t **held; /* the events of the body, acked after its insert */
	size_t held_count;
	qp_buf_t body;
	uint64_t first_ns;   /* when the body's first row came */
	uint64_t last_ns;    /* when its last row came */
	long inserted;
	qp_buf_t insert_url; /* HTTP */
	qp_ch_insert_t req;  /* embedded */
} loader_t;

/* INSERT INTO db.table FORMAT JSONEachRow with the inserter's settings. */
static void prepare_insert(loader_t *l, const char *table)
{
	target_t *t = l->t;
	qp_buf_t query = QP_BUF_INIT;
	char *escaped;
	size_t i;

	if (t->engine) {
		l->req = (qp_ch_insert_t){ .database = DB, .table = table,
		                           .settings = t->settings,
		                           .setting_count = t->setting_count,
		                           .format = QP_CH_JSON_EACH_ROW };
		return;
	}
	qp_buf__printf(&query, "INSERT INTO " DB ".%s FORMAT JSONEachRow", table);
	escaped = curl_easy_escape(t->curl, query.ptr, 0);
	qp_buf__printf(&l->insert_url, "%s/?query=%s", url, escaped);
	for (i = 0; i < t->setting_count; i++)
		qp_buf__printf(&l->insert_url, "&%s", t->settings[i]);
	curl_free(escaped);
	qp_buf_dispose(&query);
}

static void insert_body(loader_t *l)
{
	target_t *t = l->t;
	long status = 0;

	if (t->engine) {
		qp_ch_reply_t reply;

		l->req.body = l->body.ptr;
		l->req.len = l->body.size;
		if (t->engine->insert(t->engine, &l->req, &reply))
			bench_die("plain loader insert", qp_error_last());
		return;
	}
	curl_easy_setopt(t->curl, CURLOPT_URL, l->insert_url.ptr);
	curl_easy_setopt(t->curl, CURLOPT_POSTFIELDS, l->body.ptr);
	curl_easy_setopt(t->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)l->body.size);
	if (curl_easy_perform(t->curl) != CURLE_OK ||
	    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status) || status != 200)
		bench_die("plain loader insert", "the POST failed");
}

/* One synchronous insert of the body, then the acks of its events. */
static void send_batch(loader_t *l)
{
	if (!l->held_count)
		return;
	insert_body(l);
	if (qp_runner_ack_batch(l->runner, l->held, l->held_count))
		bench_die("plain loader ack", qp_error_last());
	l->inserted += (long)l->held_count;
	l->held_count = 0;
	qp_buf__truncate(&l->body, 0);
}

static void add_event(loader_t *l, qp_message_t *msg)
{
	const qp_scan_event_t *ev = qp_message_event(msg);

	if (!ev)
		bench_die("plain loader", "an event was not decoded");
	if (qp_event_encode_row(&l->body, ev))
		bench_die("plain loader encode", qp_error_last());
	l->last_ns = bench_now_ns();
	if (!l->held_count)
		l->first_ns = l->last_ns;
	l->held[l->held_count++] = msg;
	if (l->held_count == (size_t)batch_rows)
		send_batch(l);
}

/* Milliseconds until the body is due by age or a pause of its input, as
 * the inserter's age and idle limits. */
static int age_left_ms(const loader_t *l)
{
	uint64_t now = bench_now_ns();
	int64_t left, idle_left;

	if (!l->held_count)
		return 500;
	left = batch_age_ms - (int64_t)((now - l->first_ns) / 1000000);
	idle_left = batch_idle_ms - (int64_t)((now - l->last_ns) / 1000000);
	if (batch_idle_ms > 0 && idle_left < left)
		left = idle_left;
	return left <= 0 ? 0 : left > 500 ? 500 : (int)left;
}

static bench_run_t plain_loader(target_t *t)
{
	qp_message_t **batch = calloc((size_t)batch_max, sizeof(*batch));
	qp_conf_t *conf = reader_conf();
	loader_t l = { .t = t, .body = QP_BUF_INIT, .insert_url = QP_BUF_INIT };
	uint64_t start = 0, stop, last = bench_now_ns();
	double cpu0 = bench_cpu_s();
	long assigned = 0;
	char table[64];
	bench_run_t run;

	new_table(t, table, sizeof(table));
	prepare_insert(&l, table);
	bench_set(conf, "qp.runner.decode", "enriched");
	if (!batch || !(l.held = calloc((size_t)batch_rows, sizeof(*l.held))) ||
	    qp_runner_new(&l.runner, conf) || qp_runner_subscribe(l.runner, topics.enriched))
		bench_die("plain loader", qp_error_last());
	while (l.inserted < args.events) {
		size_t count = 0, i;
		qp_err_t err = qp_runner_next_batch(l.runner, batch, (size_t)batch_max,
		                                    age_left_ms(&l), &count);

		if (err && err != QP_ERR_NO_EVENT)
			bench_die("plain loader next", qp_error_last());
		if (count)
			last = bench_now_ns();
		else if (bench_now_ns() - last > STALL_S * 1000000000ull)
			bench_die("plain loader", "no event for 120 s");
		for (i = 0; i < count; i++) {
			qp_message_kind_t kind = qp_message_kind(batch[i]);

			if (kind == QP_MESSAGE_EVENT) {
				add_event(&l, batch[i]);
				continue;
			}
			if (kind == QP_MESSAGE_ASSIGNED) {
				assigned += (long)qp_message_assignment_count(batch[i]);
				if (assigned == args.partitions)
					start = bench_now_ns();
			} else if (kind == QP_MESSAGE_REVOKED) {
				send_batch(&l); /* before the partitions go */
			}
			qp_runner_ack(l.runner, batch[i]);
		}
		if (l.held_count && age_left_ms(&l) == 0)
			send_batch(&l);
	}
	stop = bench_now_ns();
	run.cpu = bench_cpu_s() - cpu0;
	if (!start)
		bench_die("plain loader", "events before every partition was assigned");
	if (l.inserted != args.events)
		bench_die("plain loader", "read more events than were preloaded");
	run.seconds = (double)(stop - start) / 1e9;
	qp_runner_destroy(l.runner);
	free(l.held);
	free(batch);
	qp_buf_dispose(&l.body);
	qp_buf_dispose(&l.insert_url);
	check_rows(t, "plain loader", table);
	return run;
}

/* ---- targets ---- */

/* Whether text has a line that is exactly name[0..len). */
static bool has_line(const char *text, const char *name, size_t len)
{
	const char *line = text;

	while (line && *line) {
		if (!strncmp(line, name, len) && (line[len] == '\n' || line[len] == '\0'))
			return true;
		if ((line = strchr(line, '\n')))
			line++;
	}
	return false;
}

/*
 * Learns the server's version and which of the inserter's settings it has
 * (src/clickhouse/inserter.c probes the same list and sends the same values), so that
 * the loader sends what the inserter sends.
 */
static void probe(target_t *t)
{
	static const char *const known[] = { "input_format_skip_unknown_fields=1",
	                                     "date_time_input_format=best_effort",
	                                     "input_format_parallel_parsing=0" };
	qp_buf_t out = QP_BUF_INIT;
	size_t i;

	sql(t, "CREATE DATABASE IF NOT EXISTS " DB, NULL);
	sql(t, "SELECT version() FORMAT TSV", &out);
	snprintf(t->version, sizeof(t->version), "%.*s", (int)strcspn(out.ptr, "\r\n"), out.ptr);
	qp_buf__truncate(&out, 0);
	sql(t, "SELECT name FROM system.settings FORMAT TSV", &out);
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (has_line(out.ptr, known[i], strcspn(known[i], "=")))
			t->settings[t->setting_count++] = known[i];
	qp_buf_dispose(&out);
}

static void open_target(target_t *t)
{
	qp_conf_t *conf;

	t->admin = make_inserter(t, "unused");
	probe(t);
	if (t->backend[0] == 'h') {
		if (!(t->curl = curl_easy_init()))
			bench_die("curl", "curl_easy_init failed");
		/* All a hand-written loader sets: no 100-continue round trip. */
		t->curl_headers = curl_slist_append(NULL, "Expect:");
		curl_easy_setopt(t->curl, CURLOPT_HTTPHEADER, t->curl_headers);
		return;
	}
	if (qp_conf_new(&conf))
		bench_die("conf", qp_error_last());
	inserter_keys(conf, t, "unused");
	if (qp_ch__embedded_new(&t->engine, conf, NULL))
		bench_die("embedded engine", qp_error_last());
	qp_conf_destroy(conf);
}

static void close_target(target_t *t)
{
	qp_buf_t ignored = QP_BUF_INIT;

	/* Best effort: an old server may hold a DROP until its merges end. */
	if (qp_inserter_query(t->admin, "DROP DATABASE IF EXISTS " DB, &ignored))
		fprintf(stderr, "bench_chwriter: %s database not dropped: %s\n", t->name,
		        qp_error_last());
	qp_buf_dispose(&ignored);
	if (t->engine)
		t->engine->destroy(t->engine);
	if (t->curl)
		curl_easy_cleanup(t->curl);
	curl_slist_free_all(t->curl_headers);
	qp_inserter_destroy(t->admin);
}

static void measure(target_t *t)
{
	double *svc_s = calloc((size_t)args.repeat, sizeof(double)),
	       *base_s = calloc((size_t)args.repeat, sizeof(double)),
	       *svc_cpu = calloc((size_t)args.repeat, sizeof(double)),
	       *base_cpu = calloc((size_t)args.repeat, sizeof(double));
	char name[64];
	size_t i;
	int r;

	if (!svc_s || !base_s || !svc_cpu || !base_cpu)
		bench_die("memory", "out of memory");
	open_target(t);
	printf("%s: ClickHouse %s (%s); the loader sends", t->name, t->version,
	       t->engine ? chdb_path : url);
	for (i = 0; i < t->setting_count; i++)
		printf(" %s", t->settings[i]);
	printf("\n");
	plain_loader(t); /* warm-up: broker page cache, server caches, allocator */
	ch_writer(t);
	for (r = 0; r < args.repeat; r++) {
		bench_run_t a, b;

		if (r % 2) {
			b = plain_loader(t);
			a = ch_writer(t);
		} else {
			a = ch_writer(t);
			b = plain_loader(t);
		}
		svc_s[r] = a.seconds;
		base_s[r] = b.seconds;
		svc_cpu[r] = a.cpu / args.events * 1e6;
		base_cpu[r] = b.cpu / args.events * 1e6;
		printf("  run %d: ch-writer %.3f s (%.0f rows/s, %.1f µs CPU/row), plain loader "
		       "%.3f s (%.0f rows/s, %.1f µs CPU/row)\n", r + 1, a.seconds,
		       args.events / a.seconds, svc_cpu[r], b.seconds, args.events / b.seconds,
		       base_cpu[r]);
		fflush(stdout);
	}
	snprintf(name, sizeof(name), "chwriter_e2e_%s", t->name);
	bench_result(name, args.events / bench_median(svc_s, args.repeat), "rows/s", "plain_loader",
	             args.events / bench_median(base_s, args.repeat));
	snprintf(name, sizeof(name), "chwriter_e2e_%s_cpu_per_row", t->name);
	bench_result(name, bench_median(svc_cpu, args.repeat), "us/row", "plain_loader",
	             bench_median(base_cpu, args.repeat));
	free(svc_s);
	free(base_s);
	free(svc_cpu);
	free(base_cpu);
}

static int conf_default(const char *key)
{
	qp_conf_t *defaults;
	int value;

	if (qp_conf_new(&defaults))
		bench_die("conf", qp_error_last());
	value = (int)strtol(qp_conf_get(defaults, key), NULL, 10);
	qp_conf_destroy(defaults);
	return value;
}

static void usage(void)
{
	bench_die("usage", "bench_chwriter --bootstrap HOST:PORT [--url URL] [--chdb LIBCHDB "
	                   "--chdb-dir DIR] [--events N] [--partitions P] [--devices D] "
	                   "[--batch-rows B] [--repeat R] [--broker LABEL]");
}

int main(int argc, char **argv)
{
	target_t http = { .name = "http", .backend = "http" },
	         embedded = { .name = "embedded", .backend = "embedded" };
	const char *names[4];
	qp_conf_t *conf;
	int i;

	batch_rows = conf_default("qp.inserter.batch.rows");
	for (i = 1; i + 1 < argc; i += 2) {
		if (bench_args_take(&args, argv[i], argv[i + 1]))
			continue;
		if (!strcmp(argv[i], "--url"))
			url = argv[i + 1];
		else if (!strcmp(argv[i], "--chdb"))
			chdb_path = argv[i + 1];
		else if (!strcmp(argv[i], "--chdb-dir"))
			chdb_dir = argv[i + 1];
		else if (!strcmp(argv[i], "--batch-rows"))
			batch_rows = atoi(argv[i + 1]);
		else
			usage();
	}
	if (i != argc || !bench_args_valid(&args) || (!url && !chdb_path) ||
	    (chdb_path && !chdb_dir) || batch_rows < 1)
		usage();
	batch_max = conf_default("qp.svc.batch.max");
	batch_age_ms = conf_default("qp.inserter.batch.age.ms");
	batch_idle_ms = conf_default("qp.inserter.batch.idle.ms");
	curl_global_init(CURL_GLOBAL_DEFAULT);

	bench_print_conditions("chwriter");
	bench_topics_name(&topics);
	names[0] = topics.events;
	names[1] = topics.enriched;
	names[2] = topics.alerts;
	names[3] = topics.dlq;
	bench_topics_delete_at_exit(args.bootstrap, names, 4);
	conf = bench_kafka_conf(args.bootstrap, &topics);
	bench_set_int(conf, "qp.topic.enriched.partitions", args.partitions);
	bench_topics_create(conf);
	preloaded = (bench_preload_t){ .topic = topics.enriched, .events = args.events,
	                               .devices = args.devices, .enriched = true };
	bench_preload(bench_kafka_conf(args.bootstrap, &topics), &preloaded);
	remove(preloaded.towers_path);
	printf("kafka: %s at %s; topic %s: %d enriched events in %d partitions, %.1f MB, "
	       "%.0f bytes/event, %ld with a fraud flag, %d devices\n",
	       args.broker_label, args.bootstrap, topics.enriched, args.events, args.partitions,
	       (double)preloaded.bytes / 1e6, (double)preloaded.bytes / args.events,
	       preloaded.flagged, args.devices);
	printf("both sides: one process, runner batches of %d (qp.svc.batch.max), "
	       "qp.runner.decode=enriched, qp_event_encode_row, inserts of %d rows "
	       "(qp.inserter.batch.rows; or %d ms of age, or %d ms without a new row), "
	       "synchronous, acked after the insert, a fresh group reading from the start and "
	       "a fresh table each run; median of %d runs after a warm-up, taking turns going "
	       "first\n",
	       batch_max, batch_rows, batch_age_ms, batch_idle_ms, args.repeat);
	if (args.events % batch_rows)
		printf("note: %d events are not a whole number of %d-row batches: the last batch "
		       "waits for its age or idle time on both sides\n", args.events, batch_rows);
	if (url)
		measure(&http);
	if (chdb_path)
		measure(&embedded);
	/* The tables go last, together: see check_rows(). */
	if (url)
		close_target(&http);
	if (chdb_path)
		close_target(&embedded);
	curl_global_cleanup();
	return 0;
}
