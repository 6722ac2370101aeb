/* The version of the library actually loaded. */
#include "quackpipe/version.h"

const char *qp_version_str(void)
{
	return QP_VERSION;
}

int qp_version_number(void)
{
	return QP_VERSION_NUMBER;
}
