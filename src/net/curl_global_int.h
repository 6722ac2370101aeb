/*
 * Internal: libcurl's process-wide initialisation, once for all its users
 * (the ClickHouse HTTP backend, the push providers, the programs' HTTP
 * client), in the one folder below them that may use libcurl.
 */
#ifndef QP_CURL_GLOBAL_INT_H
#define QP_CURL_GLOBAL_INT_H

#include "quackpipe/errors.h"

/* Initialises libcurl the first time (curl_global_init, under
 * pthread_once: it is not thread-safe itself), before any handle is made.
 * Every call gives the first one's answer: QP_OK or QP_ERR_HTTP (detail:
 * libcurl's reason). Thread-safe. */
qp_err_t qp_curl__global_init(void);

#endif
