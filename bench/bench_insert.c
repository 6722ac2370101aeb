/*
 * bench_insert: rows/s and MB/s of the inserter into ClickHouse, for batches
 * of 1k, 5k and 20k rows, each next to a baseline sending the very same
 * JSONEachRow bytes in the same batches without the inserter, in the same run:
 *   - HTTP (with and without gzip): a bare libcurl POST per batch to the same
 *     server, same URL settings, same gzip level;
 *   - embedded: the same INSERT statements straight into the engine (one
 *     chdb_query_n per batch through the backend, no batching, no results).
 * The ratio is what the inserter's batching, bookkeeping and per-row results
 * cost (or save). Each figure is the median of --repeat runs after one
 * warm-up run, baseline and inserter taking turns going first; the table is
 * truncated before every run, and every inserter run is checked to have
 * stored all rows exactly once.
 *
 * usage: bench_insert [--url URL] [--chdb LIBCHDB --chdb-dir DIR]
 *                     [--rows N] [--repeat R]
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bench_common.h"
#include "base/buf_int.h"
#include "clickhouse/ch_int.h"
#include "base/conf_int.h"
#include "quackpipe.h"
#include "scan_rows.h"

#define DB "qp_bench"

static qp_buf_t rows = QP_BUF_INIT;
static size_t *offsets; /* offsets[i]: start of row i; offsets[n]: end */
static int row_count = 100000;

static void die(const char *what)
{
	fprintf(stderr, "bench_insert: %s: %s\n", what, qp_error_last());
	exit(1);
}

static qp_inserter_t *make_inserter(const char *backend, const char *url,
                                    const char *chdb, const char *dir, int batch,
                                    bool gzip)
{
	qp_inserter_t *ins;
	qp_conf_t *conf;
	char rows_text[32];

	snprintf(rows_text, sizeof(rows_text), "%d", batch);
	if (qp_conf_new(&conf) || qp_conf_set(conf, "qp.inserter.backend", backend) ||
	    qp_conf_set(conf, "qp.inserter.database", DB) ||
	    qp_conf_set(conf, "qp.inserter.batch.rows", rows_text) ||
	    qp_conf_set(conf, "qp.inserter.batch.bytes", "1073741824") ||
	    qp_conf_set(conf, "qp.inserter.compression", gzip ? "gzip" : "none") ||
	    qp_conf_set(conf, "qp.inserter.timeout.ms", "300000") ||
	    (url && qp_conf_set(conf, "qp.inserter.url", url)) ||
	    (chdb && qp_conf_set(conf, "qp.inserter.chdb.path", chdb)) ||
	    (dir && qp_conf_set(conf, "qp.inserter.chdb.dir", dir)))
		die("conf");
	if (qp_inserter_new(&ins, conf))
		die("qp_inserter_new");
	return ins;
}

static void sql(qp_inserter_t *ins, const char *statement, qp_buf_t *out)
{
	qp_buf_t ignored = QP_BUF_INIT;

	if (qp_inserter_query(ins, statement, out ? out : &ignored))
		die(statement);
	qp_buf_dispose(&ignored);
}

static long long stored_rows(qp_inserter_t *ins)
{
	qp_buf_t out = QP_BUF_INIT;
	long long n;

	sql(ins, "SELECT count() FROM " DB ".scan_events FORMAT TSV", &out);
	n = atoll(out.ptr);
	qp_buf_dispose(&out);
	return n;
}

/* The measured path: add every row, flush whenever the batch is full. */
static double run_inserter(qp_inserter_t *ins)
{
	uint64_t t0 = bench_now_ns();
	int i;

	for (i = 0; i < row_count; i++) {
		const char *row = rows.ptr + offsets[i];
		size_t len = offsets[i + 1] - offsets[i];
		qp_err_t err = qp_inserter_add_row(ins, row, len, NULL);

		if (err == QP_ERR_QUEUE_FULL) {
			if (qp_inserter_flush(ins, NULL))
				die("flush");
			err = qp_inserter_add_row(ins, row, len, NULL);
		}
		if (err)
			die("add_row");
	}
	if (qp_inserter_flush(ins, NULL))
		die("flush");
	return (double)(bench_now_ns() - t0) / 1e9;
}

/* Baseline over HTTP: one bare libcurl POST per batch of the same bytes. */
static double run_curl(const char *url, int batch, bool gzip)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *headers = NULL;
	qp_buf_t target = QP_BUF_INIT, packed = QP_BUF_INIT;
	uint64_t t0;
	long status;
	int lo;

	qp_buf__printf(&target, "%s/?query=INSERT%%20INTO%%20" DB ".scan_events%%20FORMAT%%20"
	               "JSONEachRow&input_format_skip_unknown_fields=1"
	               "&date_time_input_format=best_effort", url);
	headers = curl_slist_append(headers, "Expect:");
	if (gzip)
		headers = curl_slist_append(headers, "Content-Encoding: gzip");
	curl_easy_setopt(curl, CURLOPT_URL, target.ptr);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	t0 = bench_now_ns();
	for (lo = 0; lo < row_count; lo += batch) {
		int hi = lo + batch < row_count ? lo + batch : row_count;
		const char *body = rows.ptr + offsets[lo];
		size_t len = offsets[hi] - offsets[lo];

		if (gzip) {
			z_stream z;

			memset(&z, 0, sizeof(z));
			deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
			packed.size = 0;
			qp_buf__grow(&packed, deflateBound(&z, (uLong)len));
			z.next_in = (Bytef *)body;
			z.avail_in = (uInt)len;
			z.next_out = (Bytef *)packed.ptr;
			z.avail_out = (uInt)packed.asize;
			deflate(&z, Z_FINISH);
			body = packed.ptr;
			len = z.total_out;
			deflateEnd(&z);
		}
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		if (curl_easy_perform(curl) != CURLE_OK ||
		    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) || status != 200) {
			fprintf(stderr, "bench_insert: raw POST failed\n");
			exit(1);
		}
	}
	t0 = bench_now_ns() - t0;
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	qp_buf_dispose(&target);
	qp_buf_dispose(&packed);
	return (double)t0 / 1e9;
}

/* Baseline embedded: the same INSERT per batch straight into the engine. */
static double run_engine(qp_ch_backend_t *engine, int batch)
{
	const char *settings[] = { "input_format_skip_unknown_fields=1",
	                           "date_time_input_format=best_effort",
	                           "input_format_parallel_parsing=0" };
	qp_ch_insert_t req = { .database = DB, .table = "scan_events", .settings = settings,
	                       .setting_count = 3, .format = QP_CH_JSON_EACH_ROW };
	qp_ch_reply_t reply;
	uint64_t t0 = bench_now_ns();
	int lo;

	for (lo = 0; lo < row_count; lo += batch) {
		int hi = lo + batch < row_count ? lo + batch : row_count;

		req.body = rows.ptr + offsets[lo];
		req.len = offsets[hi] - offsets[lo];
		if (engine->insert(engine, &req, &reply))
			die("engine insert");
	}
	return (double)(bench_now_ns() - t0) / 1e9;
}

static void measure(const char *target, qp_inserter_t *ins, const char *url,
                    qp_ch_backend_t *engine, int batch, bool gzip, int repeat)
{
	double mine[16], base[16], t_mine, t_base, mb = (double)rows.size / 1e6;
	char name[128], baseline[64];
	int r;

	/* Run 0 warms connections, caches and the engine up, and is not kept. */
	for (r = -1; r < repeat; r++) {
		double t;

		/* Alternate which goes first, so neither always meets the
		 * background merges the other one left behind. */
		if (r % 2) {
			sql(ins, "TRUNCATE TABLE " DB ".scan_events", NULL);
			t = engine ? run_engine(engine, batch) : run_curl(url, batch, gzip);
			if (r >= 0)
				base[r] = t;
		}
		sql(ins, "TRUNCATE TABLE " DB ".scan_events", NULL);
		t = run_inserter(ins);
		if (r >= 0)
			mine[r] = t;
		if (stored_rows(ins) != row_count) {
			fprintf(stderr, "bench_insert: %s stored %lld rows, not %d\n", target,
			        stored_rows(ins), row_count);
			exit(1);
		}
		if (!(r % 2)) {
			sql(ins, "TRUNCATE TABLE " DB ".scan_events", NULL);
			t = engine ? run_engine(engine, batch) : run_curl(url, batch, gzip);
			if (r >= 0)
				base[r] = t;
		}
	}
	t_mine = bench_median(mine, repeat);
	t_base = bench_median(base, repeat);
	snprintf(baseline, sizeof(baseline), "%s", engine ? "engine_direct_insert" :
	         gzip ? "libcurl_raw_post_gzip" : "libcurl_raw_post");
	snprintf(name, sizeof(name), "insert_%s_b%d_rows", target, batch);
	bench_result(name, row_count / t_mine, "rows/s", baseline, row_count / t_base);
	snprintf(name, sizeof(name), "insert_%s_b%d_mb", target, batch);
	bench_result(name, mb / t_mine, "MB/s", baseline, mb / t_base);
}

static void bench_target(const char *target, const char *backend, const char *url,
                         const char *chdb, const char *dir, bool gzip, int repeat)
{
	static const int batches[] = { 1000, 5000, 20000 };
	qp_ch_backend_t *engine = NULL;
	qp_conf_t *engine_conf = NULL;
	qp_buf_t ignored = QP_BUF_INIT;
	size_t b;

	for (b = 0; b < 3; b++) {
		qp_inserter_t *ins = make_inserter(backend, url, chdb, dir, batches[b], gzip);

		if (qp_inserter_ensure_table(ins))
			die("ensure_table");
		if (!url && !engine) {
			qp_conf_new(&engine_conf);
			qp_conf_set(engine_conf, "qp.inserter.chdb.path", chdb);
			qp_conf_set(engine_conf, "qp.inserter.chdb.dir", dir);
			if (qp_ch__embedded_new(&engine, engine_conf, NULL))
				die("engine");
		}
		measure(target, ins, url, engine, batches[b], gzip, repeat);
		/* Best effort: 18.16 may hold a DROP until its merges end. */
		if (b == 2 && qp_inserter_query(ins, "DROP DATABASE IF EXISTS " DB, &ignored))
			fprintf(stderr, "bench_insert: (not dropped: %s)\n", qp_error_last());
		qp_inserter_destroy(ins);
	}
	if (engine)
		engine->destroy(engine);
	qp_conf_destroy(engine_conf);
	qp_buf_dispose(&ignored);
}

int main(int argc, char **argv)
{
	const char *url = NULL, *chdb = NULL, *dir = NULL;
	int repeat = 3, i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--url"))
			url = argv[i + 1];
		else if (!strcmp(argv[i], "--chdb"))
			chdb = argv[i + 1];
		else if (!strcmp(argv[i], "--chdb-dir"))
			dir = argv[i + 1];
		else if (!strcmp(argv[i], "--rows"))
			row_count = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--repeat"))
			repeat = atoi(argv[i + 1]);
	}
	if ((!url && !chdb) || (chdb && !dir) || row_count < 1 || repeat < 1 || repeat > 16) {
		fprintf(stderr, "usage: bench_insert [--url URL] [--chdb LIBCHDB --chdb-dir DIR] "
		        "[--rows N] [--repeat R<=16]\n");
		return 2;
	}
	offsets = calloc((size_t)row_count + 1, sizeof(*offsets));
	for (i = 0; i < row_count; i++) {
		offsets[i] = rows.size;
		qp_test_scan_row(&rows, "bench", i);
	}
	offsets[row_count] = rows.size;
	bench_print_conditions("insert");
	printf("rows: %d scan events, %.1f MB of JSONEachRow (%.0f bytes/row); median of %d "
	       "runs; table truncated before each run\n", row_count, rows.size / 1e6,
	       (double)rows.size / row_count, repeat);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (url) {
		printf("http: %s\n", url);
		bench_target("http", "http", url, NULL, NULL, false, repeat);
		bench_target("http_gzip", "http", url, NULL, NULL, true, repeat);
	}
	if (chdb) {
		printf("embedded: %s, data in %s\n", chdb, dir);
		bench_target("embedded", "embedded", NULL, chdb, dir, false, repeat);
	}
	curl_global_cleanup();
	qp_buf_dispose(&rows);
	free(offsets);
	return 0;
}
