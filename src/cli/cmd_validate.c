/*
 * quackpipe validate [--enriched] [--quiet] [FILE...|-]: checks scan events
 * and reports each, as "FILE:LINE: ok" or "FILE:LINE: error: <detail>".
 *
 * A file is either NDJSON (one event per line) or one JSON document (a
 * pretty-printed event): when its first JSON value spans the whole file it
 * is one document, otherwise it is read line by line, with lines of any
 * length (a line over the size limit is reported as too large, never cut).
 */
#define _GNU_SOURCE /* getline */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "quackpipe.h"

typedef struct validate {
	bool enriched; /* events as read from scan-enriched */
	bool quiet;    /* report errors only */
	unsigned long events;
	unsigned long invalid;
} validate_t;

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: quackpipe validate [--enriched] [--quiet] [FILE...|-]\n"
	        "\n"
	        "Checks scan events (schema v1) and prints one line per event:\n"
	        "  FILE:LINE: ok\n"
	        "  FILE:LINE: error: <field path>: <what is wrong>\n"
	        "A file holds one event per line (NDJSON), or one JSON document when its\n"
	        "first JSON value spans the whole file. '-' or no FILE reads standard input.\n"
	        "\n"
	        "  --enriched  the events are enriched (as on scan-enriched): enrichment\n"
	        "              fields are required instead of refused\n"
	        "  --quiet     print errors only\n"
	        "\n"
	        "Exit status: 0 all events valid, 1 some invalid, 2 bad usage or unreadable file.\n");
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void check_event(validate_t *v, const char *name, unsigned long line, const char *text,
                        size_t len)
{
	qp_scan_event_t *ev = NULL;
	qp_err_t err = v->enriched ? qp_event_decode_enriched(&ev, text, len)
	                           : qp_event_decode(&ev, text, len);

	v->events++;
	if (err) {
		v->invalid++;
		printf("%s:%lu: error: %s\n", name, line, qp_error_last());
	} else if (!v->quiet) {
		printf("%s:%lu: ok\n", name, line);
	}
	qp_event_destroy(ev);
}

/*
 * Where the first JSON value in text[0..len) ends: the offset just past it,
 * or len + 1 if it does not close before the end. Lenient on purpose (the
 * decoder judges the value): it only tracks strings and brackets.
 */
static size_t first_value_end(const char *text, size_t len)
{
	size_t i = 0, depth = 0;
	bool in_string = false;

	while (i < len && is_space(text[i]))
		i++;
	if (i < len && text[i] != '{' && text[i] != '[' && text[i] != '"') {
		while (i < len && !is_space(text[i]))
			i++;
		return i;
	}
	for (; i < len; i++) {
		char c = text[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			if (!in_string && depth == 0)
				return i + 1;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if ((c == '}' || c == ']') && depth && --depth == 0) {
			return i + 1;
		}
	}
	return len + 1;
}

static bool blank(const char *text, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!is_space(text[i]))
			return false;
	return true;
}

/* The lines of text[0..len) from line number `line` on, one event each. */
static void check_lines(validate_t *v, const char *name, unsigned long line, const char *text,
                        size_t len)
{
	while (len) {
		const char *nl = memchr(text, '\n', len);
		size_t n = nl ? (size_t)(nl - text) : len;

		if (!blank(text, n))
			check_event(v, name, line, text, n);
		line++;
		if (!nl)
			break;
		text += n + 1;
		len -= n + 1;
	}
}

/* Reads what is left of f after its first line (already in *buf). */
static bool read_rest(FILE *f, char **buf, size_t *len, size_t *cap)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (*len + n + 1 > *cap) {
			size_t grown = (*len + n + 1) * 2;
			char *p = realloc(*buf, grown);

			if (!p)
				return false;
			*buf = p;
			*cap = grown;
		}
		memcpy(*buf + *len, chunk, n);
		*len += n;
	}
	return !ferror(f);
}

static int check_file(validate_t *v, const char *name, FILE *f)
{
	char *line = NULL;
	size_t cap = 0, len, end;
	unsigned long number = 1;
	unsigned long before = v->events;
	ssize_t got;
	int status = QP_EXIT_OK;

	/* Skip leading blank lines, so that the first value's line is known. */
	while ((got = getline(&line, &cap, f)) > 0 && blank(line, (size_t)got))
		number++;
	if (got > 0) {
		len = (size_t)got;
		if (first_value_end(line, len) <= len) {
			/* The first line holds a whole value: NDJSON, line by line. */
			do {
				if (line[got - 1] == '\n')
					got--;
				if (!blank(line, (size_t)got))
					check_event(v, name, number, line, (size_t)got);
				number++;
			} while ((got = getline(&line, &cap, f)) > 0);
		} else if (!read_rest(f, &line, &len, &cap)) {
			fprintf(stderr, "quackpipe validate: %s: %s\n", name, strerror(errno));
			status = QP_EXIT_USAGE;
		} else if ((end = first_value_end(line, len)) < len && !blank(line + end, len - end)) {
			/* The first value ends before other content: lines after all. */
			check_lines(v, name, number, line, len);
		} else {
			check_event(v, name, number, line, len);
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "quackpipe validate: %s: %s\n", name, strerror(errno));
		status = QP_EXIT_USAGE;
	} else if (v->events == before) {
		/* Nothing but whitespace: an empty submission is not an event. */
		v->events++;
		v->invalid++;
		printf("%s:%lu: error: no event (empty input)\n", name, number);
	}
	free(line);
	return status;
}

int qp_cmd_validate(int argc, char **argv)
{
	validate_t v = { false, false, 0, 0 };
	int i, first_file = argc, status = QP_EXIT_OK;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			first_file = i + 1;
			break;
		}
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return QP_EXIT_OK;
		}
		if (!strcmp(argv[i], "--enriched")) {
			v.enriched = true;
		} else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
			v.quiet = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "quackpipe validate: unknown option '%s'\n\n", argv[i]);
			usage(stderr);
			return QP_EXIT_USAGE;
		} else {
			first_file = i;
			break;
		}
	}
	if (first_file >= argc) {
		status = check_file(&v, "-", stdin);
	} else {
		for (i = first_file; i < argc; i++) {
			FILE *f = strcmp(argv[i], "-") ? fopen(argv[i], "rb") : stdin;
			int file_status;

			if (!f) {
				fprintf(stderr, "quackpipe validate: %s: %s\n", argv[i], strerror(errno));
				status = QP_EXIT_USAGE;
				continue;
			}
			file_status = check_file(&v, argv[i], f);
			if (file_status)
				status = file_status;
			if (f != stdin)
				fclose(f);
		}
	}
	fflush(stdout);
	fprintf(stderr, "quackpipe validate: %lu event%s, %lu invalid\n", v.events,
	        v.events == 1 ? "" : "s", v.invalid);
	if (status)
		return status;
	return v.invalid ? QP_EXIT_FAILURE : QP_EXIT_OK;
}
