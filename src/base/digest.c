/* SHA-256 through OpenSSL's libcrypto (see digest_int.h). */
#include <stdio.h>

#include <openssl/evp.h>

#include "base/digest_int.h"

void qp_digest__sha256_hex(const void *data, size_t len, char out[QP_SHA256_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0, i;

	/* Fails only without memory or a usable SHA-256: say so in the digest. */
	if (!EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) || md_len != 32) {
		snprintf(out, QP_SHA256_HEX_LEN + 1, "%s", "unavailable");
		return;
	}
	for (i = 0; i < md_len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * md_len] = '\0';
}
