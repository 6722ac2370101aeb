/*
 * Test fixture: the push provider double (tests/doubles/pushdouble, a Go
 * program built by CMake) started on a loopback port of its choosing, with
 * the conf that points libquackpipe's push providers at it, and its counts.
 * A failure fails the CMocka test with the reason; built with
 * QP_PUSH_DOUBLE_NO_CMOCKA (bench_alerts), it exits 1 after printing it.
 */
#ifndef QP_TEST_PUSH_DOUBLE_H
#define QP_TEST_PUSH_DOUBLE_H

#include <sys/types.h>

#include "quackpipe.h"

typedef struct push_double {
	pid_t pid;
	char dir[256];   /* keys, certificate and addr */
	char base[128];  /* https://127.0.0.1:PORT */
} push_double_t;

/* Starts the double at path and waits for it to serve; extra_args are
 * passed on (e.g. "-slow=1500ms"), NULL-terminated (may be NULL). Fails
 * with the reason when it cannot. push_double_start: the double CMake
 * built (QP_PUSH_DOUBLE is its path). */
void push_double_start_at(push_double_t *d, const char *path, const char *const *extra_args);
#ifdef QP_PUSH_DOUBLE
void push_double_start(push_double_t *d, const char *const *extra_args);
#endif
void push_double_stop(push_double_t *d);

/* GET path (e.g. "/accepted-at?provider=apns"): the body, malloc'ed.
 * Fails unless the double answers 2xx. */
char *push_double_get(const push_double_t *d, const char *path);

/* Sets the qp.alerts.* keys for all three providers of the double. */
void push_double_conf(const push_double_t *d, qp_conf_t *conf);

/* POSTs /control/<what> ("revoke", "reset"). */
void push_double_control(const push_double_t *d, const char *what);

/* From /stats: how many requests for scan_id the provider ("apns", "fcm",
 * "webhook") received or accepted; the collapse id it last saw (into
 * collapse, may be NULL); and a top-level number ("token_requests",
 * "apns_provider_tokens", "connections"). */
int push_double_count(const push_double_t *d, const char *what, const char *provider,
                      const char *scan_id);
void push_double_collapse(const push_double_t *d, const char *provider,
                          const char *scan_id, char *out, size_t size);
long push_double_number(const push_double_t *d, const char *name);

/* From /accepted-at: when provider first accepted scan_id (wall clock,
 * unix ns), 0 if it did not. */
long long push_double_accepted_at(const push_double_t *d, const char *provider,
                                  const char *scan_id);

/* One /stats for many scan_ids (ids[i] sent through provider(i)): how many
 * were accepted at least once (*distinct) and in all (*total). Returns how
 * many accepted scan_ids carried a collapse id other than the scan_id. */
int push_double_tally(const push_double_t *d, const char *const *ids,
                      const char *(*provider)(size_t i), size_t n, int *distinct, int *total);

#endif
