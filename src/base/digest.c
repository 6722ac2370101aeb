/* SHA-256 and HMAC-SHA256 through libcrypto's one-shot calls. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/digest_int.h"

void qp_digest__sha256(const void *data, size_t len, uint8_t out[QP_SHA256_LEN])
{
	unsigned int n = QP_SHA256_LEN;

	EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

void qp_digest__sha256_hex(const void *data, size_t len, char out[QP_SHA256_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t md[QP_SHA256_LEN];
	size_t i;

	qp_digest__sha256(data, len, md);
	for (i = 0; i < QP_SHA256_LEN; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[QP_SHA256_HEX_LEN] = '\0';
}

void qp_digest__hmac_sha256(const void *key, size_t key_len, const void *data,
                            size_t len, uint8_t out[QP_SHA256_LEN])
{
	unsigned int n = QP_SHA256_LEN;

	HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n);
}

bool qp_digest__equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool qp_digest__from_hex(const char *hex, size_t hex_len, uint8_t *out, size_t len)
{
	size_t i;

	if (hex_len != 2 * len)
		return false;
	for (i = 0; i < len; i++) {
		int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}
