/* Helpers shared by the services. */
#include "conf_int.h"
#include "svc_int.h"

qp_err_t qp_svc__conf_with_default(qp_conf_t **out, const qp_conf_t *conf,
                                   const char *key, const char *value)
{
	qp_err_t err = qp_conf_dup(out, conf);

	if (!err && !qp_conf__is_set(conf, key) && (err = qp_conf_set(*out, key, value))) {
		qp_conf_destroy(*out);
		*out = NULL;
	}
	return err;
}
