/*
 * What every long-running subcommand shares: its configuration from a file
 * and flags, its option loop, building the library's objects from copies of
 * its configuration, its log lines on stderr, and SIGTERM/SIGINT wired to a
 * wakeup.
 */
#ifndef QP_CLI_CONF_H
#define QP_CLI_CONF_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "quackpipe.h"

/* Help text for the options every such subcommand takes: --config FILE,
 * -X KEY=VALUE, --brokers LIST, --clickhouse URL (cli_args_next()). */
extern const char cli_conf_usage[];

/* Prints a subcommand's help text to out; opaque as given to cli_args_begin(). */
typedef void cli_usage_fn(FILE *out, const void *opaque);

/*
 * A subcommand's option loop and its configuration. cli_args_begin()
 * creates the conf (its log lines go to stderr, prefixed with the command);
 * cli_args_next() applies the common options above to it and answers
 * --help itself; every other option it hands back for the subcommand to
 * recognise, taking its value with cli_args_value(), or to refuse with
 * cli_args_bad(); cli_args_end() hands the conf over:
 *
 *     cli_args_begin(&args, argc, argv, 1, "simulate", usage, NULL);
 *     while ((name = cli_args_next(&args))) {
 *             if (!strcmp(name, "--json")) { ...; continue; }
 *             if (!(value = cli_args_value(&args)))
 *                     break;
 *             if (!strcmp(name, "--events") && <value is good>) { ...; continue; }
 *             cli_args_bad(&args);
 *     }
 *     return cli_args_end(&args, &conf);
 *
 * The loop ends after --help (printed to stdout: exit QP_EXIT_OK), a bad
 * option or a common option that could not be applied (printed to stderr:
 * exit QP_EXIT_USAGE). Single-threaded, like a command line.
 */
typedef struct cli_args {
	int argc;
	char **argv;
	int at;          /* argv[at]: the option cli_args_next() handed back */
	int next;        /* argv[next]: where the next option starts */
	qp_conf_t *conf; /* owned until cli_args_end() */
	const char *command;
	cli_usage_fn *usage;
	const void *opaque;
	int exit_code;   /* -1 while the subcommand should go on */
} cli_args_t;

/* Starts the loop at argv[first] with a new conf (if there is no memory
 * for it, the loop ends at once with QP_EXIT_USAGE). command, usage and
 * opaque are borrowed: command also prefixes the conf's log lines, so it
 * must outlive the conf. */
void cli_args_begin(cli_args_t *args, int argc, char **argv, int first, const char *command,
                    cli_usage_fn *usage, const void *opaque);

/* The next option that is not a common one, or NULL when the words are
 * used up or the loop has ended. */
const char *cli_args_next(cli_args_t *args);

/* Takes the word after the option cli_args_next() handed back as its
 * value. NULL if there is none: the option is then refused as by
 * cli_args_bad(). */
const char *cli_args_value(cli_args_t *args);

/* Refuses the option cli_args_next() handed back: prints "quackpipe
 * COMMAND: bad option NAME [NEXT WORD]" and the usage to stderr, and ends
 * the loop with QP_EXIT_USAGE. */
void cli_args_bad(cli_args_t *args);

/*
 * The options of the long-running services (fraud, ch-writer, alerts,
 * ingest) beside cli_args_next()'s: --status-interval S (S > 0) into
 * *status_interval_s and --metrics-port P into *metrics_port. Returns true
 * when opt is one of them with a valid value; false otherwise (the caller
 * tries its own options, then cli_args_bad()).
 */
bool cli_args_service_option(const char *opt, const char *value, int *status_interval_s,
                             int *metrics_port);

/*
 * Ends the loop. Returns -1 when the subcommand should go on, with *conf
 * set to the configuration (the caller destroys it); otherwise the exit
 * code, with the configuration destroyed and *conf NULL.
 */
int cli_args_end(cli_args_t *args, qp_conf_t **conf);

/*
 * A library constructor, `qp_<module>_new(qp_<module>_t **out, qp_conf_t
 * *conf)`, seen through void (out is that qp_<module>_t **), and the ones
 * the subcommands use.
 */
typedef qp_err_t cli_new_fn(void *out, qp_conf_t *conf);
qp_err_t cli_new_admin(void *out, qp_conf_t *conf);
qp_err_t cli_new_inserter(void *out, qp_conf_t *conf);
qp_err_t cli_new_producer(void *out, qp_conf_t *conf);
qp_err_t cli_new_runner(void *out, qp_conf_t *conf);

/*
 * Builds an object with construct() from a copy of conf, so that conf stays
 * the caller's for later use. settings (NULL, or "key", "value" pairs ended
 * by NULL) are set on the copy first. construct() takes the copy, on
 * success and failure alike (docs/abi.md); it is destroyed here only when a
 * setting fails before construct() is called. Returns the
 * error of qp_conf_dup(), qp_conf_set() or construct() (detail in
 * qp_error_last()).
 */
qp_err_t cli_new_from_copy(void *out, const qp_conf_t *conf, cli_new_fn *construct,
                           const char *const *settings);

/*
 * A runner that hands over topic's records as they are: undecoded, nothing
 * dead-lettered (dlq tail, the demo's counters). Built with
 * cli_new_from_copy() with group.id = group unless group is NULL (conf's
 * own then), and auto.offset.reset = earliest if from_beginning; then
 * subscribed to topic. On failure *out is NULL and nothing is left open.
 */
qp_err_t cli_reader_new(qp_runner_t **out, const qp_conf_t *conf, const char *group,
                        bool from_beginning, const char *topic);

/* Blocks SIGTERM and SIGINT in the calling thread and the threads it
 * creates after: call it first in main, before any handle exists. */
void cli_block_stop_signals(void);

/* On the first SIGTERM or SIGINT, calls wakeup(opaque) (unless NULL) from
 * a watcher thread and sets cli_stop_requested; a second signal exits at
 * once. */
void cli_on_stop_signal(void (*wakeup)(void *opaque), void *opaque);
extern volatile sig_atomic_t cli_stop_requested;

/* Forgets the wakeup: once it returns, a signal only sets
 * cli_stop_requested, so the woken handle may be destroyed. */
void cli_on_stop_signal_clear(void);

/* Writes len bytes to the file at path (replaced). QP_ERR_IO naming it. */
qp_err_t cli_write_file(const char *path, const void *data, size_t len);

#endif
