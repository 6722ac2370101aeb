/* libcurl's process-wide initialisation, once: see curl_global_int.h. */
#include <pthread.h>

#include <curl/curl.h>

#include "base/errors_int.h"
#include "net/curl_global_int.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static CURLcode init_rc;

static void init(void)
{
	init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

qp_err_t qp_curl__global_init(void)
{
	pthread_once(&once, init);
	if (init_rc != CURLE_OK)
		return qp_error__set(QP_ERR_HTTP, "libcurl: curl_global_init: %s",
		                     curl_easy_strerror(init_rc));
	return QP_OK;
}
