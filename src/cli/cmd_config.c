/* quackpipe config --markdown: the property table, as docs/configuration.md. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "quackpipe.h"

int qp_cmd_config(int argc, char **argv)
{
	qp_buf_t md = QP_BUF_INIT;
	qp_err_t err;

	if (argc != 2 || strcmp(argv[1], "--markdown")) {
		fprintf(stderr, "usage: quackpipe config --markdown\n");
		return QP_EXIT_USAGE;
	}
	if ((err = qp_conf_properties_markdown(&md))) {
		fprintf(stderr, "quackpipe config: %s\n", qp_error_last());
		return QP_EXIT_FAILURE;
	}
	fwrite(md.ptr, 1, md.size, stdout);
	qp_buf_dispose(&md);
	return QP_EXIT_OK;
}
