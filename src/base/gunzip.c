/* Bounded gzip decoding through zlib's inflate (gzip wrapper only). */
#include <zlib.h>

#include "base/buf_int.h"
#include "base/errors_int.h"
#include "base/gunzip_int.h"

#define CHUNK 65536

qp_err_t qp_gunzip__decode(qp_buf_t *out, const void *in, size_t len, size_t max_out)
{
	z_stream zs = { 0 };
	size_t produced = 0;
	qp_err_t err = QP_OK;
	int rc;

	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return qp_error__code(QP_ERR_NOMEM);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)(len > UINT32_MAX ? UINT32_MAX : len);
	for (;;) {
		size_t room = max_out - produced < CHUNK ? max_out - produced + 1 : CHUNK;

		/* One byte past the bound is asked for, to tell "exactly max_out"
		 * from "more than max_out" without inflating the rest. */
		if ((err = qp_buf__grow(out, room)))
			break;
		zs.next_out = (Bytef *)out->ptr + out->size;
		zs.avail_out = (uInt)room;
		rc = inflate(&zs, Z_NO_FLUSH);
		out->size += room - zs.avail_out;
		produced += room - zs.avail_out;
		out->ptr[out->size] = '\0';
		if (produced > max_out) {
			err = qp_error__set(QP_ERR_TOO_LARGE,
			                    "gzip body inflates past %zu bytes", max_out);
			break;
		}
		if (rc == Z_STREAM_END) {
			/* Concatenated members (RFC 1952 allows them) continue. */
			if (zs.avail_in == 0)
				break;
			if (inflateReset(&zs) != Z_OK) {
				err = qp_error__code(QP_ERR_NOMEM);
				break;
			}
			continue;
		}
		if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
			err = qp_error__set(QP_ERR_INVALID_ARG, "gzip body is cut short");
			break;
		}
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			err = qp_error__set(QP_ERR_INVALID_ARG, "gzip body: %s",
			                    zs.msg ? zs.msg : "not gzip data");
			break;
		}
	}
	inflateEnd(&zs);
	return err;
}
