/*
 * What every long-running subcommand shares: its configuration from a file
 * and flags, a log line printer, and SIGTERM/SIGINT wired to a wakeup.
 */
#ifndef QP_CLI_CONF_H
#define QP_CLI_CONF_H

#include <signal.h>
#include <stdbool.h>

#include "quackpipe.h"

/*
 * Applies one common option at argv[*i] to conf, advancing *i past its
 * value: --config FILE, -X key=value (any property, as in kcat),
 * --brokers LIST (bootstrap.servers), --clickhouse URL (HTTP backend at
 * URL). Returns 1 if it was one, 0 if not, -1 on an error (printed).
 */
int cli_conf_option(qp_conf_t *conf, int argc, char **argv, int *i, const char *command);

/* Help text for the options above. */
extern const char cli_conf_usage[];

/* Sends the library's log lines to stderr, prefixed with the command. */
void cli_conf_log_to_stderr(qp_conf_t *conf, const char *command);

/* Blocks SIGTERM and SIGINT in the calling thread and the threads it
 * creates after: call it first in main, before any handle exists. */
void cli_block_stop_signals(void);

/* On the first SIGTERM or SIGINT, calls wakeup(opaque) from a watcher
 * thread and sets cli_stop_requested; a second signal exits at once. */
void cli_on_stop_signal(void (*wakeup)(void *opaque), void *opaque);
extern volatile sig_atomic_t cli_stop_requested;

/* Forgets the wakeup: once it returns, a signal only sets
 * cli_stop_requested, so the woken handle may be destroyed. */
void cli_on_stop_signal_clear(void);

/* Writes len bytes to the file at path (replaced). QP_ERR_IO naming it. */
qp_err_t cli_write_file(const char *path, const void *data, size_t len);

#endif
