/* quackpipe: the pipeline's services and tools, one subcommand each. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "quackpipe.h"

static const qp_command_t commands[] = {
	{ "demo", qp_cmd_demo, "the whole pipeline in one process, on the embedded defaults" },
	{ "validate", qp_cmd_validate, "check scan events (NDJSON or JSON files) and report each" },
	{ "config", qp_cmd_config, "print the library's configuration properties" },
	{ "enrich", qp_cmd_enrich, "run the fraud rules offline on NDJSON scan events" },
	{ "ingest", qp_cmd_ingest, "the ingest API over HTTP: phones' scans -> scan-events" },
	{ "fraud", qp_cmd_service, "fraud-svc: scan-events -> rules -> scan-enriched, scan-alerts" },
	{ "ch-writer", qp_cmd_service, "ch-writer: scan-enriched -> batches -> ClickHouse" },
	{ "alerts", qp_cmd_service, "alert-svc: scan-alerts -> push (FCM / APNs / webhook), once per scan_id" },
	{ "topics", qp_cmd_topics, "create or check the pipeline's four topics" },
	{ "dlq", qp_cmd_dlq, "print (tail) or replay the dead-lettered events" },
	{ "radiomap", qp_cmd_radiomap, "learn the radio map from ClickHouse's scan_events, as a file" },
	{ "simulate", qp_cmd_simulate, "simulated phones publishing scan events (a load generator)" },
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: quackpipe [--version] [--help] COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; i < COMMAND_COUNT; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'quackpipe COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return QP_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("quackpipe %s (librdkafka, cJSON, libcurl)\n", qp_version_str());
		return QP_EXIT_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return QP_EXIT_OK;
	}
	for (i = 0; i < COMMAND_COUNT; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "quackpipe: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return QP_EXIT_USAGE;
}
