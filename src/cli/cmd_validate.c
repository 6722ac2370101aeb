/* quackpipe validate: placeholder until the event codec lands. */
#include <stdio.h>

#include "commands.h"

int qp_cmd_validate(int argc, char **argv)
{
	fprintf(stderr, "quackpipe validate: not built yet\n");
	return QP_EXIT_USAGE;
}
