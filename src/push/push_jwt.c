/*
 * JWTs the providers ask for (RS256 for an FCM service account's token
 * request, ES256 for an APNs provider token) and the webhook's HMAC
 * signature, with OpenSSL 3's EVP interface.
 */
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "push/push_int.h"

/* The last OpenSSL error's text, for a detail message. */
static const char *openssl_error(void)
{
	static _Thread_local char text[200];
	unsigned long e = ERR_get_error();

	ERR_clear_error();
	if (!e)
		return "no detail from OpenSSL";
	ERR_error_string_n(e, text, sizeof(text));
	return text;
}

static qp_err_t put_base64url(qp_buf_t *out, const unsigned char *data, size_t len)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	qp_err_t err = qp_buf__grow(out, (len + 2) / 3 * 4);
	size_t i;

	if (err)
		return err;
	/* No padding: JWS uses the unpadded form (RFC 7515 2). */
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
		char quad[4] = { alphabet[v >> 18], alphabet[(v >> 12) & 63],
		                 alphabet[(v >> 6) & 63], alphabet[v & 63] };
		qp_buf__put(out, quad, 4);
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)data[i] << 16;
		char pair[2] = { alphabet[v >> 18], alphabet[(v >> 12) & 63] };
		qp_buf__put(out, pair, 2);
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8;
		char triple[3] = { alphabet[v >> 18], alphabet[(v >> 12) & 63],
		                   alphabet[(v >> 6) & 63] };
		qp_buf__put(out, triple, 3);
	}
	return QP_OK;
}

qp_err_t qp_push__key_from_pem(EVP_PKEY **out, const char *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *key;

	if (!bio)
		return qp_error__code(QP_ERR_NOMEM);
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!key)
		return qp_error__set(QP_ERR_CONF_INVALID, "not a PEM private key: %s",
		                     openssl_error());
	*out = key;
	return QP_OK;
}

/* An ECDSA signature in DER (what EVP gives) as JWS wants it: R and S as
 * 32-byte big-endian numbers, back to back. */
static qp_err_t der_to_raw(unsigned char raw[64], const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r, *s;
	int ok;

	if (!sig)
		return qp_error__set(QP_ERR_GENERIC, "ES256: bad DER signature: %s",
		                     openssl_error());
	ECDSA_SIG_get0(sig, &r, &s);
	ok = BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32;
	ECDSA_SIG_free(sig);
	return ok ? QP_OK : qp_error__set(QP_ERR_GENERIC, "ES256: R or S wider than 32 bytes");
}

static qp_err_t sign(EVP_PKEY *key, const char *input, size_t len,
                     unsigned char **sig, size_t *sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	qp_err_t err = QP_OK;

	*sig = NULL;
	if (!ctx)
		return qp_error__code(QP_ERR_NOMEM);
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, NULL, sig_len, (const unsigned char *)input, len) != 1) {
		err = qp_error__set(QP_ERR_GENERIC, "JWT signing: %s", openssl_error());
	} else if (!(*sig = OPENSSL_malloc(*sig_len))) {
		err = qp_error__code(QP_ERR_NOMEM);
	} else if (EVP_DigestSign(ctx, *sig, sig_len, (const unsigned char *)input, len) != 1) {
		err = qp_error__set(QP_ERR_GENERIC, "JWT signing: %s", openssl_error());
		OPENSSL_free(*sig);
		*sig = NULL;
	}
	EVP_MD_CTX_free(ctx);
	return err;
}

qp_err_t qp_push__jwt_sign(qp_buf_t *out, EVP_PKEY *key, const char *header_json,
                           const char *claims_json)
{
	unsigned char *sig, raw[64];
	size_t sig_len, signed_len;
	qp_err_t err;

	out->size = 0;
	if ((err = put_base64url(out, (const unsigned char *)header_json, strlen(header_json))) ||
	    (err = qp_buf__putc(out, '.')) ||
	    (err = put_base64url(out, (const unsigned char *)claims_json, strlen(claims_json))))
		return err;
	signed_len = out->size;
	if ((err = sign(key, out->ptr, signed_len, &sig, &sig_len)))
		return err;
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC && !(err = der_to_raw(raw, sig, sig_len)))
		err = qp_buf__putc(out, '.') ? QP_ERR_NOMEM : put_base64url(out, raw, sizeof(raw));
	else if (!err)
		err = qp_buf__putc(out, '.') ? QP_ERR_NOMEM : put_base64url(out, sig, sig_len);
	OPENSSL_free(sig);
	return err;
}

qp_err_t qp_push__hmac_header(qp_buf_t *out, const char *secret, const void *body,
                              size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	qp_err_t err;

	if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), body, len, md, &md_len))
		return qp_error__set(QP_ERR_GENERIC, "HMAC-SHA256: %s", openssl_error());
	out->size = 0;
	if ((err = qp_buf__puts(out, "sha256=")))
		return err;
	for (unsigned int i = 0; i < md_len; i++)
		if ((err = qp_buf__printf(out, "%02x", md[i])))
			return err;
	return QP_OK;
}
