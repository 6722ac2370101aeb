/*
 * quackpipe enrich: the fraud engine offline. Reads scan events as NDJSON,
 * judges each one as fraud-svc would, and writes the enriched events (the
 * original bytes with the enrichment appended) to stdout; invalid lines and
 * the summary go to stderr. Used to backtest rules and settings on a dump of
 * events (docs/fraud.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock_int.h"
#include "cli/cli_conf.h"
#include "cli/commands.h"
#include "quackpipe.h"

static const char usage_text[] =
	"usage: quackpipe enrich [--config FILE] [--towers FILE] [--radiomap FILE]\n"
	"                        [--learn-radiomap FILE] [--received-now] [FILE|-]\n"
	"\n"
	"Reads scan events, one JSON object per line, from FILE or standard input,\n"
	"evaluates them with the fraud rules and writes each event with its\n"
	"enrichment (received_ms, fraud_flags, quality_score, location_cluster,\n"
	"enriched_by) to standard output, unknown fields untouched. Invalid lines\n"
	"are reported on standard error with their line number; a summary of flags\n"
	"per rule ends the run.\n"
	"\n"
	"  --config FILE    qp.fraud.* settings, \"key = value\" lines\n"
	"  --towers FILE    cell towers, OpenCelliD CSV, for the tower_mismatch rule\n"
	"  --radiomap FILE  radio map (docs/fraud.md), for the radio_mismatch rule\n"
	"  --learn-radiomap FILE\n"
	"                   learn a radio map from the trusted events of the input\n"
	"                   and write it to FILE at the end\n"
	"  --received-now   receive events now (default: at their own ts_ms, so a\n"
	"                   replay of old events raises no clock_skew)\n"
	"\n"
	"Exit status: 0 when the input was processed (even with invalid lines),\n"
	"2 on a usage error or when the input, config, tower or radio map file cannot\n"
	"be read (or the learned map cannot be written).\n";

typedef struct enrich_options {
	const char *config, *towers, *radiomap, *learn_radiomap, *input;
	int received_now;
} enrich_options_t;

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "quackpipe enrich: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n\n%s", usage_text);
	return QP_EXIT_USAGE;
}

/* Returns -1 when the options are fine, else the exit code. */
static int parse_options(int argc, char **argv, enrich_options_t *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage_text, stdout);
			return QP_EXIT_OK;
		} else if (!strcmp(a, "--config") || !strcmp(a, "--towers")) {
			if (i + 1 == argc)
				return usage_error("%s needs a file name", a);
			*(a[2] == 'c' ? &o->config : &o->towers) = argv[++i];
		} else if (!strcmp(a, "--radiomap") || !strcmp(a, "--learn-radiomap")) {
			if (i + 1 == argc)
				return usage_error("%s needs a file name", a);
			*(a[2] == 'r' ? &o->radiomap : &o->learn_radiomap) = argv[++i];
		} else if (!strcmp(a, "--received-now")) {
			o->received_now = 1;
		} else if (a[0] == '-' && a[1]) {
			return usage_error("unknown option %s", a);
		} else if (o->input) {
			return usage_error("one input at most (extra: %s)", a);
		} else {
			o->input = a;
		}
	}
	return -1;
}

static void log_to_stderr(qp_log_level_t level, const char *module, const char *message,
                          void *opaque)
{
	(void)level;
	(void)opaque;
	fprintf(stderr, "quackpipe enrich: [%s] %s\n", module, message);
}

/* A fraud engine from the options; NULL (reported) if it cannot be built. */
static qp_fraud_t *engine_from(const enrich_options_t *o)
{
	qp_conf_t *conf = NULL;
	qp_fraud_t *f = NULL;
	qp_err_t err;

	if (!(err = qp_conf_new(&conf))) {
		qp_conf_set_log_cb(conf, log_to_stderr, NULL);
		if (o->config)
			err = qp_conf_load_file(conf, o->config);
		if (!err && o->learn_radiomap)
			err = qp_conf_set(conf, "qp.fraud.radiomap.learn", "true");
		if (!err)
			err = qp_fraud_new(&f, conf);
		if (!err && o->towers)
			err = qp_fraud_load_towers(f, o->towers);
		if (!err && o->radiomap)
			err = qp_fraud_load_radiomap(f, o->radiomap);
	}
	if (err) {
		fprintf(stderr, "quackpipe enrich: %s\n", qp_error_last());
		qp_fraud_destroy(f);
		f = NULL;
	}
	qp_conf_destroy(conf);
	return f;
}

static int blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

typedef struct enrich_totals {
	unsigned long lines, enriched, invalid;
} enrich_totals_t;

/* Decodes, evaluates and writes one line; 0, or 1 if it was invalid. */
static int enrich_line(qp_fraud_t *f, const enrich_options_t *o, char *line, size_t len,
                       unsigned long lineno, qp_buf_t *out)
{
	qp_scan_event_t *ev = NULL;
	const qp_enrichment_t *e;
	qp_err_t err;

	if ((err = qp_event_decode(&ev, line, len)) ||
	    (err = qp_fraud_evaluate(f, ev, o->received_now ? qp_clock__wall_ms() : ev->ts_ms, 0, &e)) ||
	    (out->size = 0, err = qp_event_encode_enriched(out, line, len, e))) {
		fprintf(stderr, "quackpipe enrich: line %lu: %s: %s\n", lineno, qp_err_name(err),
		        qp_error_last());
		qp_event_destroy(ev);
		return 1;
	}
	qp_event_destroy(ev);
	fwrite(out->ptr, 1, out->size, stdout);
	putchar('\n');
	return 0;
}

static void print_summary(const qp_fraud_t *f, const enrich_totals_t *t)
{
	size_t i;

	fprintf(stderr, "quackpipe enrich: %lu lines, %lu events enriched, %lu invalid lines\n",
	        t->lines, t->enriched, t->invalid);
	fprintf(stderr, "  %-22s %lld\n", "flagged events", (long long)qp_fraud_counter(f, "flagged"));
	for (i = 0; qp_fraud_rule_name(f, i); i++)
		fprintf(stderr, "  %-22s %lld\n", qp_fraud_rule_name(f, i),
		        (long long)qp_fraud_rule_count(f, qp_fraud_rule_name(f, i)));
	fprintf(stderr, "  %-22s %lld\n", "unknown_towers",
	        (long long)qp_fraud_counter(f, "unknown_towers"));
	fprintf(stderr, "  %-22s %lld (%lld mobile)\n", "radio map stations",
	        (long long)qp_fraud_counter(f, "radio_stations"),
	        (long long)qp_fraud_counter(f, "radio_stations_mobile"));
}

/* Writes what the engine learned as a radio map file. */
static int write_learned_map(const qp_fraud_t *f, const char *path)
{
	qp_buf_t map = QP_BUF_INIT;
	qp_err_t err;

	if (!(err = qp_fraud_radiomap_export(f, &map)))
		err = cli_write_file(path, map.ptr, map.size);
	qp_buf_dispose(&map);
	if (err) {
		fprintf(stderr, "quackpipe enrich: %s\n", qp_error_last());
		return QP_EXIT_USAGE;
	}
	fprintf(stderr, "quackpipe enrich: radio map learned from %lld stations written to %s\n",
	        (long long)qp_fraud_counter(f, "radio_learned"), path);
	return QP_EXIT_OK;
}

int qp_cmd_enrich(int argc, char **argv)
{
	enrich_options_t o;
	enrich_totals_t totals = { 0, 0, 0 };
	qp_buf_t out = QP_BUF_INIT;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	qp_fraud_t *f;
	FILE *input;
	int rc;

	if ((rc = parse_options(argc, argv, &o)) >= 0)
		return rc;
	if (!o.input || !strcmp(o.input, "-")) {
		input = stdin;
	} else if (!(input = fopen(o.input, "r"))) {
		fprintf(stderr, "quackpipe enrich: %s: %s\n", o.input, strerror(errno));
		return QP_EXIT_USAGE;
	}
	if (!(f = engine_from(&o))) {
		if (input != stdin)
			fclose(input);
		return QP_EXIT_USAGE;
	}
	while ((len = getline(&line, &cap, input)) >= 0) {
		totals.lines++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (blank(line, (size_t)len))
			continue;
		if (enrich_line(f, &o, line, (size_t)len, totals.lines, &out))
			totals.invalid++;
		else
			totals.enriched++;
	}
	rc = QP_EXIT_OK;
	if (ferror(input)) {
		fprintf(stderr, "quackpipe enrich: %s: read error\n", o.input ? o.input : "stdin");
		rc = QP_EXIT_USAGE;
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "quackpipe enrich: writing the output failed\n");
		rc = QP_EXIT_USAGE;
	}
	print_summary(f, &totals);
	if (o.learn_radiomap && write_learned_map(f, o.learn_radiomap))
		rc = QP_EXIT_USAGE;
	free(line);
	qp_buf_dispose(&out);
	qp_fraud_destroy(f);
	if (input != stdin)
		fclose(input);
	return rc;
}
