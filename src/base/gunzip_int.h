/*
 * Internal: decoding gzip request bodies with a bound on the output, so that
 * a small compressed body that inflates to gigabytes (a gzip bomb) costs at
 * most max_out bytes of memory and the time to produce them.
 */
#ifndef QP_GUNZIP_INT_H
#define QP_GUNZIP_INT_H

#include "quackpipe/common.h"
#include "quackpipe/errors.h"

/*
 * Appends the decompressed gzip member(s) of in[0..len) to out. Stops and
 * returns QP_ERR_TOO_LARGE as soon as the output would exceed max_out bytes;
 * QP_ERR_INVALID_ARG for a body that is not gzip or is cut short (detail:
 * zlib's message); QP_ERR_NOMEM. On error out holds a partial result the
 * caller discards.
 */
qp_err_t qp_gunzip__decode(qp_buf_t *out, const void *in, size_t len, size_t max_out);

#endif
