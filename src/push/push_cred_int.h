/*
 * Internal to push/: the providers' credentials. FCM: an OAuth2 access token
 * obtained with a service-account JWT (RS256) from the token endpoint and
 * cached until qp.alerts.fcm.token.margin.ms before its expiry. APNs: a
 * provider token (ES256 JWT: kid = key id, iss = team id, iat) remade every
 * qp.alerts.apns.token.refresh.ms, within Apple's 20-60 minutes.
 *
 * Each credential carries a generation, so that when several requests made
 * with the same credential are refused, only the first refusal drops it.
 */
#ifndef QP_PUSH_CRED_INT_H
#define QP_PUSH_CRED_INT_H

#include <curl/curl.h>
#include <openssl/evp.h>

#include "push/push_int.h"

typedef struct qp_push_cred {
	const qp_conf_t *conf;
	qp_push_stats_t *stats; /* [QP_PUSH_PLATFORMS]: refreshed counts */
	char *ca_file;          /* NULL: the system's CAs */

	EVP_PKEY *fcm_key;      /* NULL: FCM not configured */
	char *fcm_email, *fcm_token_url, *fcm_send_url;
	qp_buf_t fcm_access;    /* "Authorization: Bearer ..." once fetched */
	int64_t fcm_renew_ms;   /* monotonic time to fetch a new one */
	unsigned fcm_generation;
	CURL *token_curl;       /* blocking requests to the token endpoint */

	EVP_PKEY *apns_key;     /* NULL: APNs not configured */
	char *apns_key_id, *apns_team_id;
	qp_buf_t apns_bearer;   /* "authorization: bearer ..." once made */
	int64_t apns_renew_ms;
	unsigned apns_generation;
} qp_push_cred_t;

qp_err_t qp_push_cred__init(qp_push_cred_t *cred, const qp_conf_t *conf,
                            qp_push_stats_t *stats);
void qp_push_cred__dispose(qp_push_cred_t *cred);

/* The authorization header line for platform (APNs or FCM), made or
 * fetched when missing or due; *generation identifies it. */
qp_err_t qp_push_cred__header(qp_push_cred_t *cred, qp_push_platform_t platform,
                              const char **header, unsigned *generation);

/* The provider refused the credential of that generation: drop it (unless
 * a newer one was made meanwhile). */
void qp_push_cred__refused(qp_push_cred_t *cred, qp_push_platform_t platform,
                           unsigned generation);

/* The whole file at path, NUL-terminated, in out. */
qp_err_t qp_push__read_file(qp_buf_t *out, const char *path);

#endif
