/* The quackpipe command's subcommands: each is main() for its words. */
#ifndef QP_CLI_COMMANDS_H
#define QP_CLI_COMMANDS_H

/* Exit codes shared by every subcommand. */
enum {
	QP_EXIT_OK = 0,
	QP_EXIT_FAILURE = 1, /* the work was done and found something wrong */
	QP_EXIT_USAGE = 2    /* bad arguments, or the work could not be done */
};

typedef struct qp_command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand's name */
	const char *summary;
} qp_command_t;

int qp_cmd_validate(int argc, char **argv);
int qp_cmd_config(int argc, char **argv);
int qp_cmd_enrich(int argc, char **argv);
int qp_cmd_ingest(int argc, char **argv);
/* Runs the service named argv[0] (services/service_int.h) until a stop
 * signal: every service's subcommand. */
int qp_cmd_service(int argc, char **argv);
int qp_cmd_demo(int argc, char **argv);
int qp_cmd_topics(int argc, char **argv);
int qp_cmd_dlq(int argc, char **argv);
int qp_cmd_simulate(int argc, char **argv);
int qp_cmd_radiomap(int argc, char **argv);

#endif
