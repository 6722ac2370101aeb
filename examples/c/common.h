/* Shared by the C examples: configuration from the command line, and
 * reporting a failed call with the library's detail. */
#ifndef EXAMPLES_COMMON_H
#define EXAMPLES_COMMON_H

#include <quackpipe.h>

/* Exits with the library's error detail when err is not QP_OK. */
void check(qp_err_t err, const char *what);

/* A new configuration from "-X key=value" and "-b brokers" arguments;
 * *rest is set to the index of the first other argument. */
qp_conf_t *conf_from_args(int argc, char **argv, int *rest);

#endif
