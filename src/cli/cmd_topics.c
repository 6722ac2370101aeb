/*
 * quackpipe topics create | check: provisions or verifies the pipeline's
 * six topics (qp.topic.*: four streams and alert-svc's two compacted
 * tables) through the admin module. A mismatch is never fixed here
 * (docs/admin.md says why): it is printed for a human.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf_int.h"
#include "cli/cli_conf.h"
#include "cli/commands.h"

static void usage(FILE *out, const void *opaque)
{
	(void)opaque;
	fprintf(out,
		"usage: quackpipe topics create|check [OPTIONS]\n\n"
		"create  creates the missing topics with the configured partitions, replication\n"
		"        factor and retention, and checks the existing ones (changes nothing)\n"
		"check   checks that every topic exists with the configured layout\n\n"
		"exit status: 0 as configured, 1 a mismatch or a missing topic (printed),\n"
		"2 bad arguments or the cluster could not be reached\n\n"
		"options:\n"
		"  --timeout S         give the cluster S seconds in all (default 30)\n"
		"%s"
		"  --help              this text\n\n"
		"Topics: qp.topic.events, .enriched, .alerts, .dlq, and alert-svc's compacted\n"
		"qp.topic.device_tokens and .alerts_sent (cleanup.policy=compact); layout:\n"
		"qp.topic.<name>.partitions, qp.topic.replication.factor, qp.topic.retention.ms\n"
		"(docs/admin.md); and fraud-svc's compacted changelog qp.topic.fraud.state, partitioned\n"
		"as the events (\"\": none).\n", cli_conf_usage);
}

static void print_layout(const qp_conf_t *conf, const char *state)
{
	/* The last two are alert-svc's tables: compacted, kept by key. */
	static const char *const names[] = { "events", "enriched", "alerts", "dlq",
	                                      "device_tokens", "alerts_sent" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char topic_key[32], partitions_key[48], kept[48];

		snprintf(topic_key, sizeof(topic_key), "qp.topic.%s", names[i]);
		snprintf(partitions_key, sizeof(partitions_key), "qp.topic.%s.partitions", names[i]);
		if (i >= 4)
			snprintf(kept, sizeof(kept), "cleanup.policy compact");
		else
			snprintf(kept, sizeof(kept), "retention.ms %s",
			         qp_conf_get(conf, "qp.topic.retention.ms"));
		printf("%s: partitions %s, replication factor %s, %s: %s\n",
		       qp_conf_get(conf, topic_key), qp_conf_get(conf, partitions_key),
		       qp_conf_get(conf, "qp.topic.replication.factor"), kept, state);
	}
	if (*qp_conf_get(conf, "qp.topic.fraud.state"))
		printf("%s: partitions %s, replication factor %s, cleanup.policy compact: %s\n",
		       qp_conf_get(conf, "qp.topic.fraud.state"),
		       qp_conf_get(conf, "qp.topic.events.partitions"),
		       qp_conf_get(conf, "qp.topic.replication.factor"), state);
}

int qp_cmd_topics(int argc, char **argv)
{
	qp_conf_t *conf;
	qp_admin_t *admin;
	const char *action = argc > 1 ? argv[1] : "";
	bool create = !strcmp(action, "create");
	int rc, timeout_s = 30;
	cli_args_t args;
	const char *opt, *value;
	qp_err_t err;

	if (!strcmp(action, "--help")) {
		usage(stdout, NULL);
		return QP_EXIT_OK;
	}
	if (!create && strcmp(action, "check")) {
		fprintf(stderr, "quackpipe topics: want create or check, got \"%s\"\n", action);
		usage(stderr, NULL);
		return QP_EXIT_USAGE;
	}
	cli_args_begin(&args, argc, argv, 2, "topics", usage, NULL);
	while ((opt = cli_args_next(&args)) && (value = cli_args_value(&args))) {
		if (!strcmp(opt, "--timeout") && (timeout_s = atoi(value)) > 0)
			continue;
		cli_args_bad(&args);
	}
	if ((rc = cli_args_end(&args, &conf)) >= 0)
		return rc;
	/* The admin client gets a copy: conf stays for the printout. */
	if ((err = cli_new_from_copy(&admin, conf, cli_new_admin, NULL))) {
		fprintf(stderr, "quackpipe topics: %s\n", qp_error_last());
		qp_conf_destroy(conf);
		return QP_EXIT_USAGE;
	}
	err = create ? qp_admin_ensure_topics(admin, timeout_s * 1000)
	             : qp_admin_check_topics(admin, timeout_s * 1000);
	qp_admin_destroy(admin);
	/* As the admin client named it: after the events topic. */
	if (!err && !(err = qp_conf__name_after_events(conf, "qp.topic.fraud.state")))
		print_layout(conf, create ? "present (created if it was missing)" : "ok");
	else
		fprintf(stderr, "quackpipe topics %s: %s: %s\n", action, qp_err_name(err), qp_error_last());
	qp_conf_destroy(conf);
	if (!err)
		return QP_EXIT_OK;
	return err == QP_ERR_TOPIC_MISMATCH || err == QP_ERR_NOT_FOUND ? QP_EXIT_FAILURE : QP_EXIT_USAGE;
}
