/*
 * The HTTP backend: ClickHouse's HTTP interface through one libcurl easy
 * handle, kept for the inserter's life so the connection (and its TLS
 * session) is reused between batches.
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "base/buf_int.h"
#include "clickhouse/ch_int.h"
#include "net/curl_global_int.h"
#include "base/conf_int.h"

typedef struct http_backend {
	qp_ch_backend_t base;
	const qp_conf_t *conf;
	CURL *curl;
	struct curl_slist *headers;      /* user, key, no Expect */
	struct curl_slist *gzip_headers; /* the same plus Content-Encoding */
	char *base_url;                  /* without a trailing '/' */
	atomic_int *wakeup;
	qp_buf_t url, response, gzip;
	char exception_code[16];         /* X-ClickHouse-Exception-Code */
} http_backend_t;

static size_t on_body(char *data, size_t size, size_t n, void *opaque)
{
	http_backend_t *be = opaque;

	return qp_buf__put(&be->response, data, size * n) ? 0 : size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *opaque)
{
	static const char name[] = "x-clickhouse-exception-code:";
	http_backend_t *be = opaque;
	size_t len = size * n, i = sizeof(name) - 1, j = 0;

	if (len > i && strncasecmp(data, name, i) == 0) {
		while (i < len && data[i] == ' ')
			i++;
		while (i < len && j + 1 < sizeof(be->exception_code) &&
		       data[i] >= '0' && data[i] <= '9')
			be->exception_code[j++] = data[i++];
		be->exception_code[j] = '\0';
	}
	return len;
}

static int on_progress(void *opaque, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
	http_backend_t *be = opaque;

	return atomic_load(be->wakeup) ? 1 : 0;
}

/* Whether a transport failure may go away by itself. */
static bool curl_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static qp_err_t gzip_body(http_backend_t *be, const char *body, size_t len)
{
	z_stream z;
	int rc;

	memset(&z, 0, sizeof(z));
	/* windowBits 15 + 16: a gzip wrapper, what Content-Encoding: gzip means. */
	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return qp_error__set(QP_ERR_NOMEM, "http: cannot start gzip");
	be->gzip.size = 0;
	if (qp_buf__grow(&be->gzip, deflateBound(&z, (uLong)len))) {
		deflateEnd(&z);
		return qp_error__code(QP_ERR_NOMEM);
	}
	z.next_in = (Bytef *)body;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)be->gzip.ptr;
	z.avail_out = (uInt)(be->gzip.asize - 1);
	rc = deflate(&z, Z_FINISH);
	be->gzip.size = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END)
		return qp_error__set(QP_ERR_GENERIC, "http: gzip failed (%d)", rc);
	return QP_OK;
}

static qp_err_t put_escaped(http_backend_t *be, qp_buf_t *out, const char *text)
{
	char *escaped = curl_easy_escape(be->curl, text, 0);
	qp_err_t err;

	if (!escaped)
		return qp_error__code(QP_ERR_NOMEM);
	err = qp_buf__puts(out, escaped);
	curl_free(escaped);
	return err;
}

/* POSTs body to url; on failure fills reply and sets the error detail. */
static qp_err_t post(http_backend_t *be, const char *what, const char *body, size_t len,
                     bool gzip, qp_ch_reply_t *reply)
{
	long status = 0;
	CURLcode rc;
	int code;

	be->response.size = 0;
	be->exception_code[0] = '\0';
	if (gzip) {
		qp_err_t err = gzip_body(be, body, len);

		if (err)
			return err;
		body = be->gzip.ptr;
		len = be->gzip.size;
	}
	curl_easy_setopt(be->curl, CURLOPT_URL, be->url.ptr);
	curl_easy_setopt(be->curl, CURLOPT_HTTPHEADER, gzip ? be->gzip_headers : be->headers);
	curl_easy_setopt(be->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(be->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	rc = curl_easy_perform(be->curl);
	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		reply->failure = QP_CH_TRANSIENT;
		qp_ch__reply_text(reply, "woken up", 8);
		return qp_error__set(QP_ERR_WAKEUP, "http: %s: woken up by qp_inserter_wakeup()",
		                     what);
	}
	if (rc != CURLE_OK) {
		const char *text = curl_easy_strerror(rc);

		reply->failure = curl_transient(rc) ? QP_CH_TRANSIENT : QP_CH_FATAL;
		qp_ch__reply_text(reply, text, strlen(text));
		return qp_error__set(rc == CURLE_OPERATION_TIMEDOUT ? QP_ERR_TIMEOUT : QP_ERR_HTTP,
		                     "http: %s %s: %s", what, be->base_url, text);
	}
	curl_easy_getinfo(be->curl, CURLINFO_RESPONSE_CODE, &status);
	reply->http_status = (int)status;
	if (status == 200)
		return QP_OK;
	code = be->exception_code[0] ? atoi(be->exception_code)
	                             : qp_ch__parse_code(be->response.ptr, be->response.size);
	reply->code = code;
	reply->failure = qp_ch__classify_http((int)status, code);
	qp_ch__reply_text(reply, be->response.ptr ? be->response.ptr : "", be->response.size);
	return qp_error__set(code ? QP_ERR_CLICKHOUSE : QP_ERR_HTTP,
	                     "http: %s: HTTP %ld, ClickHouse code %d: %s", what, status,
	                     code, reply->error);
}

static qp_err_t http_insert(qp_ch_backend_t *base, const qp_ch_insert_t *req,
                            qp_ch_reply_t *reply)
{
	http_backend_t *be = (http_backend_t *)base;
	qp_buf_t query = QP_BUF_INIT;
	qp_err_t err;
	size_t i;

	be->url.size = 0;
	err = qp_ch__put_insert_into(&query, req);
	if (!err)
		err = qp_buf__puts(&query, qp_ch__format_clause(req->format));
	if (!err)
		err = qp_buf__printf(&be->url, "%s/?query=", be->base_url);
	if (!err)
		err = put_escaped(be, &be->url, query.ptr);
	for (i = 0; !err && i < req->setting_count; i++) {
		const char *eq = strchr(req->settings[i], '=');

		err = qp_buf__printf(&be->url, "&%.*s=", (int)(eq - req->settings[i]),
		                     req->settings[i]);
		if (!err)
			err = put_escaped(be, &be->url, eq + 1);
	}
	if (!err && req->dedup_token) {
		err = qp_buf__puts(&be->url, "&insert_deduplication_token=");
		if (!err)
			err = put_escaped(be, &be->url, req->dedup_token);
	}
	qp_buf_dispose(&query);
	if (err)
		return err;
	return post(be, "INSERT", req->body, req->len, req->compress, reply);
}

static qp_err_t http_query(qp_ch_backend_t *base, const char *sql, qp_buf_t *out,
                           qp_ch_reply_t *reply)
{
	http_backend_t *be = (http_backend_t *)base;
	qp_err_t err;

	be->url.size = 0;
	/* wait_end_of_query: an error found late still gets an error status. */
	if ((err = qp_buf__printf(&be->url, "%s/?wait_end_of_query=1", be->base_url)))
		return err;
	if ((err = post(be, "query", sql, strlen(sql), false, reply)))
		return err;
	return qp_buf__put(out, be->response.ptr ? be->response.ptr : "", be->response.size);
}

static void http_destroy(qp_ch_backend_t *base)
{
	http_backend_t *be = (http_backend_t *)base;

	if (!be)
		return;
	if (be->curl)
		curl_easy_cleanup(be->curl);
	curl_slist_free_all(be->headers);
	curl_slist_free_all(be->gzip_headers);
	free(be->base_url);
	qp_buf_dispose(&be->url);
	qp_buf_dispose(&be->response);
	qp_buf_dispose(&be->gzip);
	free(be);
}

static qp_err_t add_header(struct curl_slist **list, const char *name, const char *value)
{
	qp_buf_t line = QP_BUF_INIT;
	struct curl_slist *grown;
	qp_err_t err;

	if ((err = qp_buf__printf(&line, "%s:%s%s", name, *value ? " " : "", value)))
		return err;
	/* "Name;" is how libcurl sends a header with an empty value. */
	if (!*value)
		line.ptr[line.size - 1] = ';';
	grown = curl_slist_append(*list, line.ptr);
	qp_buf_dispose(&line);
	if (!grown)
		return qp_error__code(QP_ERR_NOMEM);
	*list = grown;
	return QP_OK;
}

static qp_err_t build_headers(http_backend_t *be, struct curl_slist **list, bool gzip)
{
	qp_err_t err;

	err = add_header(list, "X-ClickHouse-User", qp_conf__str(be->conf, "qp.inserter.user"));
	if (!err && *qp_conf__str(be->conf, "qp.inserter.password"))
		err = add_header(list, "X-ClickHouse-Key",
		                 qp_conf__str(be->conf, "qp.inserter.password"));
	/* No "Expect: 100-continue" round trip before large bodies. */
	if (!err)
		err = add_header(list, "Expect", "");
	if (!err)
		err = add_header(list, "Content-Type", "text/plain; charset=UTF-8");
	if (!err && gzip)
		err = add_header(list, "Content-Encoding", "gzip");
	return err;
}

qp_err_t qp_ch__http_new(qp_ch_backend_t **out, const qp_conf_t *conf, atomic_int *wakeup)
{
	const char *url = qp_conf__str(conf, "qp.inserter.url");
	const char *ca = qp_conf__str(conf, "qp.inserter.tls.ca.location");
	bool verify = qp_conf__bool(conf, "qp.inserter.tls.verify");
	http_backend_t *be;
	size_t len;
	qp_err_t err;

	*out = NULL;
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return qp_error__set(QP_ERR_CONF_INVALID,
		                     "qp.inserter.url: \"%s\" is not an http:// or https:// URL", url);
	if ((err = qp_curl__global_init()))
		return err;
	if (!(be = calloc(1, sizeof(*be))))
		return qp_error__code(QP_ERR_NOMEM);
	be->base.name = "http";
	be->base.insert = http_insert;
	be->base.query = http_query;
	be->base.destroy = http_destroy;
	be->conf = conf;
	be->wakeup = wakeup;
	len = strlen(url);
	while (len && url[len - 1] == '/')
		len--;
	if (!(be->base_url = strndup(url, len)) || !(be->curl = curl_easy_init())) {
		http_destroy(&be->base);
		return qp_error__code(QP_ERR_NOMEM);
	}
	if ((err = build_headers(be, &be->headers, false)) ||
	    (err = build_headers(be, &be->gzip_headers, true))) {
		http_destroy(&be->base);
		return err;
	}
	curl_easy_setopt(be->curl, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(be->curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(be->curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(be->curl, CURLOPT_TIMEOUT_MS,
	                 (long)qp_conf__int(conf, "qp.inserter.timeout.ms"));
	curl_easy_setopt(be->curl, CURLOPT_CONNECTTIMEOUT_MS,
	                 (long)qp_conf__int(conf, "qp.inserter.connect.timeout.ms"));
	curl_easy_setopt(be->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(be->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(be->curl, CURLOPT_WRITEDATA, be);
	curl_easy_setopt(be->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(be->curl, CURLOPT_HEADERDATA, be);
	curl_easy_setopt(be->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(be->curl, CURLOPT_XFERINFODATA, be);
	curl_easy_setopt(be->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(be->curl, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
	curl_easy_setopt(be->curl, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
	if (*ca)
		curl_easy_setopt(be->curl, CURLOPT_CAINFO, ca);
	if (!verify && strncmp(url, "https://", 8) == 0)
		qp_log__(conf, QP_LOG_WARNING, "inserter",
		         "qp.inserter.tls.verify=false: the certificate of %s is NOT checked",
		         url);
	*out = &be->base;
	return QP_OK;
}
