/* Internal: UTF-8 validation (RFC 3629: no overlongs, surrogates or > U+10FFFF). */
#ifndef QP_UTF8_INT_H
#define QP_UTF8_INT_H

#include <stddef.h>

/*
 * The offset of the first byte that does not start a valid UTF-8 sequence
 * (or of a sequence cut short by the end of the buffer); len when all of
 * buf is valid UTF-8. NUL bytes are valid UTF-8 here: callers that refuse
 * them do so themselves.
 */
size_t qp_utf8__invalid_at(const void *buf, size_t len);

/* The length (2 to 4) of the valid multi-byte sequence at s, which has
 * avail bytes; 0 if s[0] is ASCII or the sequence is invalid or cut short. */
size_t qp_utf8__sequence(const unsigned char *s, size_t avail);

#endif
