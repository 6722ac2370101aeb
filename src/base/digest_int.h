/*
 * Internal: SHA-256 of a byte buffer, as lowercase hex. Used where a record
 * must be identifiable after its bytes were cut (a dead letter larger than
 * its topic accepts): anyone holding the original can check it is the one.
 */
#ifndef QP_DIGEST_INT_H
#define QP_DIGEST_INT_H

#include <stddef.h>

#define QP_SHA256_HEX_LEN 64

/* Writes the 64 hex digits and a NUL into out. */
void qp_digest__sha256_hex(const void *data, size_t len, char out[QP_SHA256_HEX_LEN + 1]);

#endif
