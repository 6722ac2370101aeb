/* The push provider double as a test fixture (and bench_alerts' double):
 * see push_double.h. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#ifndef QP_PUSH_DOUBLE_NO_CMOCKA
#include <cmocka.h>
#endif
#include <curl/curl.h>

#include "push_double.h"

static void fail_with(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
#ifdef QP_PUSH_DOUBLE_NO_CMOCKA
	exit(1); /* a benchmark without its double has nothing to measure */
#else
	fail();
#endif
}

#ifdef QP_PUSH_DOUBLE
void push_double_start(push_double_t *d, const char *const *extra_args)
{
	push_double_start_at(d, QP_PUSH_DOUBLE, extra_args);
}
#endif

void push_double_start_at(push_double_t *d, const char *path, const char *const *extra_args)
{
	const char *argv[16] = { path, "-dir" };
	char addr_path[300], addr[64] = "";
	int argc = 3;

	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "/tmp/qp-pushdouble-XXXXXX");
	if (!mkdtemp(d->dir))
		fail_with("push double: mkdtemp failed");
	argv[2] = d->dir;
	for (; extra_args && *extra_args && argc < 15; extra_args++)
		argv[argc++] = *extra_args;
	argv[argc] = NULL;
	d->pid = fork();
	if (d->pid == 0) {
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	snprintf(addr_path, sizeof(addr_path), "%s/addr", d->dir);
	/* Up to 30 s: the first run may wait for Go's build cache. */
	for (int i = 0; i < 3000; i++) {
		FILE *f = fopen(addr_path, "r");
		int status;
		if (f) {
			if (!fgets(addr, sizeof(addr), f))
				addr[0] = '\0';
			fclose(f);
			addr[strcspn(addr, "\n")] = '\0';
			if (*addr)
				break;
		}
		if (waitpid(d->pid, &status, WNOHANG) == d->pid)
			fail_with("push double %s exited (status %d) before serving", path, status);
		usleep(10000);
	}
	if (!*addr)
		fail_with("push double %s wrote no %s within 30 s", path, addr_path);
	snprintf(d->base, sizeof(d->base), "https://%s", addr);
}

void push_double_stop(push_double_t *d)
{
	static const char *const files[] = { "ca.pem", "apns-key.p8", "service-account.json",
	                                     "addr" };
	char path[300];

	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		waitpid(d->pid, NULL, 0);
		d->pid = 0;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", d->dir, files[i]);
		unlink(path);
	}
	rmdir(d->dir);
}

static void set(qp_conf_t *conf, const char *key, const char *value)
{
	if (qp_conf_set(conf, key, value) != QP_OK)
		fail_with("conf %s=%s: %s", key, value, qp_error_last());
}

void push_double_conf(const push_double_t *d, qp_conf_t *conf)
{
	char path[300], url[200];

	snprintf(path, sizeof(path), "%s/ca.pem", d->dir);
	set(conf, "qp.alerts.tls.ca.location", path);
	snprintf(path, sizeof(path), "%s/service-account.json", d->dir);
	set(conf, "qp.alerts.fcm.service.account", path);
	set(conf, "qp.alerts.fcm.url", d->base);
	snprintf(path, sizeof(path), "%s/apns-key.p8", d->dir);
	set(conf, "qp.alerts.apns.key.path", path);
	set(conf, "qp.alerts.apns.key.id", "PDKEY12345");
	set(conf, "qp.alerts.apns.team.id", "PDTEAM1234");
	set(conf, "qp.alerts.apns.topic", "org.quackpipe.test");
	set(conf, "qp.alerts.apns.url", d->base);
	snprintf(url, sizeof(url), "%s/hook", d->base);
	set(conf, "qp.alerts.webhook.url", url);
	set(conf, "qp.alerts.webhook.secret", "pushdouble-secret");
}

static size_t on_body(char *data, size_t size, size_t n, void *opaque)
{
	char **text = opaque;
	size_t old = *text ? strlen(*text) : 0;
	char *grown = realloc(*text, old + size * n + 1);

	if (!grown)
		return 0;
	memcpy(grown + old, data, size * n);
	grown[old + size * n] = '\0';
	*text = grown;
	return size * n;
}

/* A request to the double; its body (malloc'ed). Fails unless it answers 2xx. */
static char *request(const push_double_t *d, const char *path, int post)
{
	char url[256], ca[300];
	char *text = NULL;
	CURL *curl = curl_easy_init();
	long status = 0;
	CURLcode rc;

	snprintf(url, sizeof(url), "%s%s", d->base, path);
	snprintf(ca, sizeof(ca), "%s/ca.pem", d->dir);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &text);
	if (post)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(curl);
	if (rc != CURLE_OK || status / 100 != 2) {
		free(text);
		if (rc != CURLE_OK)
			fail_with("push double %s: %s", url, curl_easy_strerror(rc));
		fail_with("push double %s: status %ld", url, status);
	}
	return text ? text : strdup("");
}

char *push_double_get(const push_double_t *d, const char *path)
{
	return request(d, path, 0);
}

void push_double_control(const push_double_t *d, const char *what)
{
	char path[64];

	snprintf(path, sizeof(path), "/control/%s", what);
	free(request(d, path, 1));
}

static cJSON *stats(const push_double_t *d)
{
	char *text = request(d, "/stats", 0);
	cJSON *root = cJSON_Parse(text);

	if (!root)
		fail_with("push double /stats is not JSON: %s", text);
	free(text);
	return root;
}

int push_double_count(const push_double_t *d, const char *what, const char *provider,
                      const char *scan_id)
{
	cJSON *root = stats(d);
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, what),
		                                 provider), scan_id);
	int count = cJSON_IsNumber(n) ? n->valueint : 0;

	cJSON_Delete(root);
	return count;
}

void push_double_collapse(const push_double_t *d, const char *provider,
                          const char *scan_id, char *out, size_t size)
{
	cJSON *root = stats(d);
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "collapse"),
		                                 provider), scan_id);

	snprintf(out, size, "%s", cJSON_IsString(c) ? c->valuestring : "");
	cJSON_Delete(root);
}

long long push_double_accepted_at(const push_double_t *d, const char *provider,
                                  const char *scan_id)
{
	char path[64], *text, *line;
	size_t len = strlen(scan_id);
	long long ns = 0;

	snprintf(path, sizeof(path), "/accepted-at?provider=%s", provider);
	text = push_double_get(d, path);
	/* "<scan_id> <ns>" lines, in no order. */
	for (line = text; line && *line;) {
		if (!strncmp(line, scan_id, len) && line[len] == ' ') {
			ns = strtoll(line + len + 1, NULL, 10);
			break;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	free(text);
	return ns;
}

long push_double_number(const push_double_t *d, const char *name)
{
	cJSON *root = stats(d);
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(root, name);
	long v = cJSON_IsNumber(n) ? (long)n->valuedouble : -1;

	cJSON_Delete(root);
	return v;
}

int push_double_tally(const push_double_t *d, const char *const *ids,
                      const char *(*provider)(size_t i), size_t n, int *distinct, int *total)
{
	cJSON *root = stats(d);
	const cJSON *accepted = cJSON_GetObjectItemCaseSensitive(root, "accepted");
	const cJSON *collapse = cJSON_GetObjectItemCaseSensitive(root, "collapse");
	int mismatches = 0;

	*distinct = *total = 0;
	for (size_t i = 0; i < n; i++) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(accepted, provider(i)), ids[i]);
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(collapse, provider(i)), ids[i]);
		int count = cJSON_IsNumber(c) ? c->valueint : 0;

		*distinct += count > 0;
		*total += count;
		if (count > 0 && !(cJSON_IsString(k) && strcmp(k->valuestring, ids[i]) == 0))
			mismatches++;
	}
	cJSON_Delete(root);
	return mismatches;
}
