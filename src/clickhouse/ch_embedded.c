/*
 * The embedded backend: ClickHouse in this process, through libchdb loaded
 * with dlopen at run time, so the library builds and runs without it.
 *
 * libchdb allows one open connection (one data directory) per process: every
 * embedded inserter of the process shares it, counted, and the last one to
 * go closes it. The library stays loaded until the process exits (unloading
 * a large C++ library with live threads is not safe).
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf_int.h"
#include "clickhouse/ch_int.h"
#include "base/conf_int.h"

/*
 * The few declarations used, from chdb's C API (chdb.h, chdb >= 3.0:
 * chdb_connect / chdb_query_n / chdb_result_*). The handles are opaque.
 */
typedef struct chdb_connection_ *chdb_connection;
typedef struct chdb_result_ chdb_result;

static struct chdb_api {
	void *handle;
	char path[1024];
	chdb_connection *(*connect)(int argc, char **argv);
	void (*close_conn)(chdb_connection *conn);
	chdb_result *(*query_n)(chdb_connection conn, const char *query, size_t query_len,
	                        const char *format, size_t format_len);
	void (*destroy_result)(chdb_result *result);
	char *(*result_buffer)(chdb_result *result);
	size_t (*result_length)(chdb_result *result);
	const char *(*result_error)(chdb_result *result);
	void (*set_signal_handlers_enabled)(int enabled); /* optional (>= 26.3) */
} api;

/* The process's one connection, shared by the embedded inserters. */
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static chdb_connection *shared_conn;
static char shared_dir[1024];
static unsigned shared_users;

typedef struct embedded_backend {
	qp_ch_backend_t base;
	qp_buf_t sql;
	char rows_path[1200]; /* binary rows of the insert in progress */
} embedded_backend_t;

#define HOWTO "run scripts/chdb.sh (it installs the npm package @chdb/lib-linux-x64-gnu " \
              "and prints the library's path) and set qp.inserter.chdb.path to it, or " \
              "use qp.inserter.backend=http"

static qp_err_t load_symbols(void *handle, const char *path)
{
	struct { void **slot; const char *name; } syms[] = {
		{ (void **)&api.connect, "chdb_connect" },
		{ (void **)&api.close_conn, "chdb_close_conn" },
		{ (void **)&api.query_n, "chdb_query_n" },
		{ (void **)&api.destroy_result, "chdb_destroy_query_result" },
		{ (void **)&api.result_buffer, "chdb_result_buffer" },
		{ (void **)&api.result_length, "chdb_result_length" },
		{ (void **)&api.result_error, "chdb_result_error" },
	};
	size_t i;

	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		if (!(*syms[i].slot = dlsym(handle, syms[i].name)))
			return qp_error__set(QP_ERR_NOT_AVAILABLE,
			                     "embedded: %s has no %s: a chdb older than 3.0? "
			                     HOWTO, path, syms[i].name);
	}
	*(void **)&api.set_signal_handlers_enabled =
		dlsym(handle, "chdb_set_signal_handlers_enabled");
	return QP_OK;
}

/* Tries path; false (with why in `why`) when it cannot be loaded. */
static bool try_load(const char *path, qp_buf_t *why)
{
	void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (!handle) {
		const char *text = dlerror();

		qp_buf__printf(why, "%s%s", why->size ? "; " : "", text ? text : path);
		return false;
	}
	api.handle = handle;
	snprintf(api.path, sizeof(api.path), "%s", path);
	return true;
}

/*
 * libchdb's initialisers crash inside a process built with AddressSanitizer
 * (seen with 26.5.3: a call through a null pointer during dlopen), which
 * would take the host down: refuse instead.
 */
static bool under_address_sanitizer(void)
{
	return dlsym(RTLD_DEFAULT, "__asan_init") != NULL;
}

/* Loads libchdb once per process: the configured path, else the usual places. */
static qp_err_t load_library(const qp_conf_t *conf)
{
	const char *configured = qp_conf__str(conf, "qp.inserter.chdb.path");
	const char *cache = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	qp_buf_t why = QP_BUF_INIT, cached = QP_BUF_INIT;
	qp_err_t err = QP_OK;

	if (api.handle)
		return QP_OK;
	if ((!*configured || access(configured, F_OK) == 0) && under_address_sanitizer())
		return qp_error__set(QP_ERR_NOT_AVAILABLE,
		                     "embedded: libchdb cannot be loaded into a process built "
		                     "with AddressSanitizer (its initialisers crash); use "
		                     "qp.inserter.backend=http, or a build without QP_SANITIZE");
	if (*configured) {
		if (!try_load(configured, &why))
			err = qp_error__set(QP_ERR_NOT_AVAILABLE,
			                    "embedded: qp.inserter.chdb.path: cannot load %s (%s); "
			                    HOWTO, configured, why.ptr);
	} else {
		if (cache && *cache)
			qp_buf__printf(&cached, "%s/quackpipe/chdb", cache);
		else if (home && *home)
			qp_buf__printf(&cached, "%s/.cache/quackpipe/chdb", home);
		if (cached.size)
			qp_buf__puts(&cached, "/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so");
		/* The loader's own search first (LD_LIBRARY_PATH, ld.so.cache),
		 * then where scripts/chdb.sh puts it. */
		if (!try_load("libchdb.so", &why) && !(cached.size && try_load(cached.ptr, &why)))
			err = qp_error__set(QP_ERR_NOT_AVAILABLE,
			                    "embedded: libchdb.so not found (%s); " HOWTO,
			                    why.ptr ? why.ptr : "");
	}
	if (!err && (err = load_symbols(api.handle, api.path))) {
		dlclose(api.handle);
		api.handle = NULL;
	}
	qp_buf_dispose(&why);
	qp_buf_dispose(&cached);
	return err;
}

/*
 * chdb installs handlers for fatal signals that sleep minutes before dying;
 * a host library must not. Turning them off also resets those signals to
 * SIG_DFL, so the host's own handlers (or a sanitizer's) are saved around it.
 */
static const int fatal_signals[] = { SIGABRT, SIGSEGV, SIGILL, SIGBUS, SIGSYS,
                                     SIGFPE, SIGTSTP, SIGTRAP };
#define FATAL_COUNT (sizeof(fatal_signals) / sizeof(fatal_signals[0]))

static void save_signals(struct sigaction *saved)
{
	size_t i;

	for (i = 0; i < FATAL_COUNT; i++)
		sigaction(fatal_signals[i], NULL, &saved[i]);
}

static void restore_signals(const struct sigaction *saved)
{
	size_t i;

	for (i = 0; i < FATAL_COUNT; i++)
		sigaction(fatal_signals[i], &saved[i], NULL);
}

/* The file the rows of an insert go through (write_rows), per backend:
 * named after the process and the backend's number in it. */
#define ROWS_FILE_NAME "quackpipe-rows-%ld-%u.bin"

/*
 * Rows files a killed process left behind (it unlinks its own at destroy):
 * removed once this process has the directory, which libchdb lets one
 * process use at a time. A file named after a live process is left alone.
 */
static void remove_stale_rows(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[1200];

	while (d && (e = readdir(d))) {
		long pid;
		unsigned n;
		int len = 0;

		if (sscanf(e->d_name, ROWS_FILE_NAME "%n", &pid, &n, &len) != 2 ||
		    len == 0 || e->d_name[len] != '\0' || pid <= 0 || pid == (long)getpid() ||
		    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
}

static qp_err_t open_shared(const char *dir)
{
	struct sigaction saved[FATAL_COUNT];
	char arg[1100];
	char *argv[] = { "clickhouse", arg, NULL };

	if (shared_conn) {
		if (strcmp(dir, shared_dir) != 0)
			return qp_error__set(QP_ERR_STATE,
			                     "embedded: this process already uses %s; libchdb "
			                     "allows one data directory per process, not also %s",
			                     shared_dir, dir);
		shared_users++;
		return QP_OK;
	}
	snprintf(arg, sizeof(arg), "--path=%s", dir);
	save_signals(saved);
	if (api.set_signal_handlers_enabled)
		api.set_signal_handlers_enabled(0);
	shared_conn = api.connect(2, argv);
	restore_signals(saved);
	if (!shared_conn || !*shared_conn) {
		shared_conn = NULL;
		return qp_error__set(QP_ERR_CLICKHOUSE,
		                     "embedded: chdb_connect(--path=%s) failed (is the "
		                     "directory writable, and not used by another process?)",
		                     dir);
	}
	snprintf(shared_dir, sizeof(shared_dir), "%s", dir);
	shared_users = 1;
	remove_stale_rows(dir);
	return QP_OK;
}

/* Runs one statement; the result text (if any) is appended to out. */
static qp_err_t run(const char *sql, size_t len, qp_buf_t *out, qp_ch_reply_t *reply)
{
	chdb_result *result;
	const char *error;
	qp_err_t err = QP_OK;

	pthread_mutex_lock(&shared_lock);
	result = shared_conn ? api.query_n(*shared_conn, sql, len, "TabSeparated", 12) : NULL;
	pthread_mutex_unlock(&shared_lock);
	if (!result) {
		reply->failure = QP_CH_FATAL;
		return qp_error__set(QP_ERR_CLICKHOUSE, "embedded: no result from chdb_query_n");
	}
	error = api.result_error(result);
	if (error && *error) {
		qp_ch__reply_text(reply, error, strlen(error));
		reply->code = qp_ch__parse_code(error, strlen(error));
		reply->failure = reply->code ? qp_ch__classify_code(reply->code) : QP_CH_FATAL;
		err = qp_error__set(QP_ERR_CLICKHOUSE, "embedded: ClickHouse code %d: %s",
		                    reply->code, reply->error);
	} else if (out) {
		err = qp_buf__put(out, api.result_buffer(result), api.result_length(result));
	}
	api.destroy_result(result);
	return err;
}

static qp_err_t put_setting(qp_buf_t *sql, const char *setting, bool first)
{
	const char *eq = strchr(setting, '=');
	qp_err_t err;
	bool number = eq[1] != '\0' && strspn(eq + 1, "0123456789") == strlen(eq + 1);

	err = qp_buf__printf(sql, "%s%.*s=", first ? " SETTINGS " : ", ",
	                     (int)(eq - setting), setting);
	if (err)
		return err;
	return number ? qp_buf__puts(sql, eq + 1) : qp_ch__put_literal(sql, eq + 1);
}

/*
 * Binary rows cannot follow the statement: chdb reads a query text as
 * clickhouse-local's multi-query input, where the inline data of an INSERT
 * in any format but Values ends at the first empty line ("\n\n"), and
 * RowBinary values hold those bytes (doubles do). So they go through a
 * file of the backend's, which the engine reads with FROM INFILE.
 */
static qp_err_t write_rows(embedded_backend_t *be, const char *body, size_t len,
                           qp_ch_reply_t *reply)
{
	int fd = open(be->rows_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n = 0;

	while (fd >= 0 && len > 0 && (n = write(fd, body, len)) > 0) {
		body += n;
		len -= (size_t)n;
	}
	if (fd < 0 || n < 0 || close(fd) != 0) {
		if (fd >= 0 && n < 0)
			close(fd);
		/* A full or read-only disk: nothing wrong with the rows. */
		reply->failure = QP_CH_TRANSIENT;
		return qp_error__set(QP_ERR_IO, "embedded: cannot write the rows to %s: %s",
		                     be->rows_path, strerror(errno));
	}
	return QP_OK;
}

/* One file per backend: inserters of a process may insert at once. */
static void name_rows_file(embedded_backend_t *be, const char *dir)
{
	static atomic_uint next;

	snprintf(be->rows_path, sizeof(be->rows_path), "%s/" ROWS_FILE_NAME, dir, (long)getpid(),
	         atomic_fetch_add(&next, 1));
}

static qp_err_t embedded_insert(qp_ch_backend_t *base, const qp_ch_insert_t *req,
                                qp_ch_reply_t *reply)
{
	embedded_backend_t *be = (embedded_backend_t *)base;
	bool in_file = req->format == QP_CH_ROW_BINARY;
	qp_err_t err;
	size_t i;

	be->sql.size = 0;
	err = qp_ch__put_insert_into(&be->sql, req);
	if (!err && in_file && !(err = write_rows(be, req->body, req->len, reply))) {
		err = qp_buf__puts(&be->sql, " FROM INFILE ");
		if (!err)
			err = qp_ch__put_literal(&be->sql, be->rows_path);
	}
	for (i = 0; !err && i < req->setting_count; i++)
		err = put_setting(&be->sql, req->settings[i], i == 0);
	if (!err && req->dedup_token) {
		err = qp_buf__puts(&be->sql, req->setting_count ? ", " : " SETTINGS ");
		if (!err)
			err = qp_buf__puts(&be->sql, "insert_deduplication_token=");
		if (!err)
			err = qp_ch__put_literal(&be->sql, req->dedup_token);
	}
	if (!err)
		err = qp_buf__puts(&be->sql, qp_ch__format_clause(req->format));
	/* Text rows follow the statement, as clickhouse-local reads them. */
	if (!err && !in_file)
		err = qp_buf__putc(&be->sql, '\n');
	if (!err && !in_file)
		err = qp_buf__put(&be->sql, req->body, req->len);
	if (err)
		return err;
	return run(be->sql.ptr, be->sql.size, NULL, reply);
}

static qp_err_t embedded_query(qp_ch_backend_t *base, const char *sql, qp_buf_t *out,
                               qp_ch_reply_t *reply)
{
	return run(sql, strlen(sql), out, reply);
}

static void embedded_destroy(qp_ch_backend_t *base)
{
	embedded_backend_t *be = (embedded_backend_t *)base;

	if (!be)
		return;
	pthread_mutex_lock(&shared_lock);
	if (shared_users && --shared_users == 0 && shared_conn) {
		api.close_conn(shared_conn);
		shared_conn = NULL;
		shared_dir[0] = '\0';
	}
	pthread_mutex_unlock(&shared_lock);
	unlink(be->rows_path);
	qp_buf_dispose(&be->sql);
	free(be);
}

qp_err_t qp_ch__embedded_new(qp_ch_backend_t **out, const qp_conf_t *conf,
                             atomic_int *wakeup)
{
	const char *dir = qp_conf__str(conf, "qp.inserter.chdb.dir");
	embedded_backend_t *be;
	qp_err_t err;

	*out = NULL;
	if (!*dir)
		return qp_error__set(QP_ERR_CONF_INVALID, "qp.inserter.chdb.dir: empty");
	if (!(be = calloc(1, sizeof(*be))))
		return qp_error__code(QP_ERR_NOMEM);
	be->base.name = "embedded";
	be->base.insert = embedded_insert;
	be->base.query = embedded_query;
	be->base.destroy = embedded_destroy;
	name_rows_file(be, dir);
	pthread_mutex_lock(&shared_lock);
	err = load_library(conf);
	if (!err)
		err = open_shared(dir);
	pthread_mutex_unlock(&shared_lock);
	if (err) {
		free(be);
		return err;
	}
	*out = &be->base;
	return QP_OK;
}
