#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

void check(qp_err_t err, const char *what)
{
	if (err == QP_OK)
		return;
	fprintf(stderr, "%s: %s (%s)\n", what, qp_error_last(), qp_err_name(err));
	exit(1);
}

qp_conf_t *conf_from_args(int argc, char **argv, int *rest)
{
	qp_conf_t *conf;
	int i;

	check(qp_conf_new(&conf), "qp_conf_new");
	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "-b")) {
			check(qp_conf_set(conf, "bootstrap.servers", argv[i + 1]), "-b");
		} else if (!strcmp(argv[i], "-X")) {
			char *eq = strchr(argv[i + 1], '=');

			if (!eq) {
				fprintf(stderr, "-X wants key=value\n");
				exit(2);
			}
			*eq = '\0';
			check(qp_conf_set(conf, argv[i + 1], eq + 1), argv[i + 1]);
		} else {
			break;
		}
	}
	*rest = i;
	return conf;
}
