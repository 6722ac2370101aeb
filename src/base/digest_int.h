/*
 * Internal: SHA-256, HMAC-SHA256 and constant-time comparison (OpenSSL's
 * libcrypto), for the ingest API's keys and body signatures, and the digest
 * that keeps a dead letter cut to fit identifiable. One place for them, so
 * that no caller compares secrets with memcmp by accident.
 */
#ifndef QP_DIGEST_INT_H
#define QP_DIGEST_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QP_SHA256_LEN 32

/* SHA-256 of len bytes into out. */
void qp_digest__sha256(const void *data, size_t len, uint8_t out[QP_SHA256_LEN]);

#define QP_SHA256_HEX_LEN (2 * QP_SHA256_LEN)

/* SHA-256 of len bytes as 64 lowercase hex digits and a NUL into out. */
void qp_digest__sha256_hex(const void *data, size_t len, char out[QP_SHA256_HEX_LEN + 1]);

/* HMAC-SHA256 of data under key into out. */
void qp_digest__hmac_sha256(const void *key, size_t key_len, const void *data,
                            size_t len, uint8_t out[QP_SHA256_LEN]);

/* Whether a and b (len bytes each) are equal, in time that depends on len
 * only: an attacker timing answers learns nothing about where they differ. */
bool qp_digest__equal(const void *a, const void *b, size_t len);

/* Decodes exactly 2 * len hex digits (either case) from hex into out;
 * false when hex is not that. */
bool qp_digest__from_hex(const char *hex, size_t hex_len, uint8_t *out, size_t len);

#endif
