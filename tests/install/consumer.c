/* A program outside the tree, built against the installed libquackpipe. */
#include <quackpipe.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	qp_conf_t *conf;

	if (strcmp(qp_version_str(), QP_VERSION) != 0) {
		fprintf(stderr, "headers %s but library %s\n", QP_VERSION, qp_version_str());
		return 1;
	}
	if (qp_conf_new(&conf) != QP_OK)
		return 1;
	if (qp_conf_set(conf, "qp.log.level", "99") != QP_ERR_CONF_INVALID) {
		fprintf(stderr, "expected QP_ERR_CONF_INVALID\n");
		return 1;
	}
	printf("consumer ok: libquackpipe %s, \"%s\"\n", qp_version_str(), qp_error_last());
	qp_conf_destroy(conf);
	return 0;
}
