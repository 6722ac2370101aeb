/*
 * The push providers' pure parts: how each answer is classified, Retry-After,
 * the JWTs' signatures (checked back with OpenSSL) and the webhook's HMAC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "push/push_int.h"

static void test_classify(void **state)
{
	static const struct {
		qp_push_platform_t p;
		long status;
		const char *body;
		qp_push_answer_t answer;
		const char *reason;
	} cases[] = {
		{ QP_PUSH_APNS, 200, "", QP_PUSH_ANSWER_OK, "HTTP 200" },
		{ QP_PUSH_APNS, 400, "{\"reason\":\"BadDeviceToken\"}", QP_PUSH_ANSWER_PERMANENT, "BadDeviceToken" },
		{ QP_PUSH_APNS, 403, "{\"reason\":\"ExpiredProviderToken\"}", QP_PUSH_ANSWER_AUTH, "ExpiredProviderToken" },
		{ QP_PUSH_APNS, 410, "{\"reason\":\"Unregistered\",\"timestamp\":1}", QP_PUSH_ANSWER_TOKEN_DEAD, "Unregistered" },
		{ QP_PUSH_APNS, 413, "{\"reason\":\"PayloadTooLarge\"}", QP_PUSH_ANSWER_PERMANENT, "PayloadTooLarge" },
		{ QP_PUSH_APNS, 429, "{\"reason\":\"TooManyRequests\"}", QP_PUSH_ANSWER_RETRY, "TooManyRequests" },
		{ QP_PUSH_APNS, 500, "not json", QP_PUSH_ANSWER_RETRY, "HTTP 500" },
		{ QP_PUSH_APNS, 503, "{\"reason\":\"ServiceUnavailable\"}", QP_PUSH_ANSWER_RETRY, "ServiceUnavailable" },
		{ QP_PUSH_FCM, 200, "{\"name\":\"x\"}", QP_PUSH_ANSWER_OK, "HTTP 200" },
		{ QP_PUSH_FCM, 400, "{\"error\":{\"status\":\"INVALID_ARGUMENT\",\"details\":[{\"errorCode\":\"INVALID_ARGUMENT\"}]}}", QP_PUSH_ANSWER_PERMANENT, "INVALID_ARGUMENT" },
		{ QP_PUSH_FCM, 401, "{\"error\":{\"status\":\"UNAUTHENTICATED\"}}", QP_PUSH_ANSWER_AUTH, "UNAUTHENTICATED" },
		{ QP_PUSH_FCM, 403, "{\"error\":{\"status\":\"PERMISSION_DENIED\",\"details\":[{\"@type\":\"t\"},{\"errorCode\":\"SENDER_ID_MISMATCH\"}]}}", QP_PUSH_ANSWER_AUTH, "SENDER_ID_MISMATCH" },
		{ QP_PUSH_FCM, 404, "{\"error\":{\"status\":\"NOT_FOUND\",\"details\":[{\"errorCode\":\"UNREGISTERED\"}]}}", QP_PUSH_ANSWER_TOKEN_DEAD, "UNREGISTERED" },
		{ QP_PUSH_FCM, 400, "{\"error\":{\"details\":[{\"errorCode\":\"UNREGISTERED\"}]}}", QP_PUSH_ANSWER_TOKEN_DEAD, "UNREGISTERED" },
		{ QP_PUSH_FCM, 429, "{\"error\":{\"status\":\"RESOURCE_EXHAUSTED\"}}", QP_PUSH_ANSWER_RETRY, "RESOURCE_EXHAUSTED" },
		{ QP_PUSH_FCM, 503, "", QP_PUSH_ANSWER_RETRY, "HTTP 503" },
		{ QP_PUSH_WEBHOOK, 204, "", QP_PUSH_ANSWER_OK, "HTTP 204" },
		{ QP_PUSH_WEBHOOK, 401, "", QP_PUSH_ANSWER_PERMANENT, "HTTP 401" },
		{ QP_PUSH_WEBHOOK, 408, "", QP_PUSH_ANSWER_RETRY, "HTTP 408" },
		{ QP_PUSH_WEBHOOK, 410, "", QP_PUSH_ANSWER_TOKEN_DEAD, "HTTP 410" },
	};
	char reason[160];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		qp_push_answer_t a = qp_push__classify(cases[i].p, cases[i].status, cases[i].body,
		                                       strlen(cases[i].body), reason, sizeof(reason));
		print_message("%s %ld -> %d %s\n", qp_push__platform_name(cases[i].p),
		              cases[i].status, (int)a, reason);
		assert_int_equal(a, cases[i].answer);
		assert_string_equal(reason, cases[i].reason);
	}
}

static void test_retry_after(void **state)
{
	/* 784111777 is Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example). */
	assert_int_equal(qp_push__retry_after_ms(" 3\r\n", 0), 3000);
	assert_int_equal(qp_push__retry_after_ms("0", 0), 0);
	assert_int_equal(qp_push__retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111770), 7000);
	assert_int_equal(qp_push__retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111800), 0);
	assert_int_equal(qp_push__retry_after_ms("soon", 0), -1);
	assert_int_equal(qp_push__retry_after_ms("3x", 0), -1);
}

static size_t unbase64url(unsigned char *out, const char *in, size_t len)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		const char *at = strchr(alphabet, in[i]);
		assert_non_null(at);
		acc = acc << 6 | (uint32_t)(at - alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return n;
}

/* Signs with key and verifies the token's signature with OpenSSL; for EC
 * the signature must be the raw 64-byte R||S. */
static void sign_and_verify(EVP_PKEY *key, bool ec)
{
	qp_buf_t jwt = QP_BUF_INIT;
	unsigned char sig[600], der[80], *p = der;
	char *dot1, *dot2;
	size_t sig_len;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	assert_int_equal(qp_push__jwt_sign(&jwt, key, "{\"alg\":\"X\"}", "{\"iss\":\"me\"}"), QP_OK);
	dot1 = strchr(jwt.ptr, '.');
	dot2 = strrchr(jwt.ptr, '.');
	assert_true(dot1 && dot2 > dot1);
	/* {"alg":"X"} in base64url, no padding. */
	assert_memory_equal(jwt.ptr, "eyJhbGciOiJYIn0.", 16);
	sig_len = unbase64url(sig, dot2 + 1, strlen(dot2 + 1));
	if (ec) {
		ECDSA_SIG *s = ECDSA_SIG_new();
		assert_int_equal(sig_len, 64);
		ECDSA_SIG_set0(s, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
		sig_len = (size_t)i2d_ECDSA_SIG(s, &p);
		memcpy(sig, der, sig_len);
		ECDSA_SIG_free(s);
	} else {
		assert_int_equal(sig_len, 256);
	}
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestVerify(ctx, sig, sig_len, (unsigned char *)jwt.ptr,
	                                  (size_t)(dot2 - jwt.ptr)), 1);
	EVP_MD_CTX_free(ctx);
	qp_buf_dispose(&jwt);
}

static void test_jwt_es256_and_rs256(void **state)
{
	EVP_PKEY *ec = EVP_EC_gen("P-256"), *rsa = EVP_RSA_gen(2048);

	assert_non_null(ec);
	assert_non_null(rsa);
	sign_and_verify(ec, true);
	sign_and_verify(rsa, false);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
}

static void test_key_from_pem_names_bad_input(void **state)
{
	EVP_PKEY *key = NULL;

	assert_int_equal(qp_push__key_from_pem(&key, "not a key", 9), QP_ERR_CONF_INVALID);
	assert_null(key);
	assert_non_null(strstr(qp_error_last(), "not a PEM private key"));
}

static void test_hmac_rfc4231_case2(void **state)
{
	qp_buf_t h = QP_BUF_INIT;
	const char *data = "what do ya want for nothing?";

	assert_int_equal(qp_push__hmac_header(&h, "Jefe", data, strlen(data)), QP_OK);
	assert_string_equal(h.ptr, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	qp_buf_dispose(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_jwt_es256_and_rs256),
		cmocka_unit_test(test_key_from_pem_names_bad_input),
		cmocka_unit_test(test_hmac_rfc4231_case2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
