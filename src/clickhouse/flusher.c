/*
 * An inserter's flushes on a thread of their own (flusher_int.h). One flush
 * at a time: the host starts it, fills its next batch meanwhile, and
 * collects the results before it touches the inserter again.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf_int.h"
#include "base/clock_int.h"
#include "base/errors_int.h"
#include "clickhouse/flusher_int.h"

typedef struct flush_result {
	void *tag;
	qp_err_t status;
	size_t error; /* offset of its NUL-terminated text in errors */
	int64_t settled_us;
} flush_result_t;

struct qp_flusher {
	qp_inserter_t *ins;
	qp_flusher_result_cb *cb;
	void *opaque;

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	/* Under lock: the state the two threads hand over. */
	bool started;  /* a flush was asked for and not collected */
	bool running;  /* the thread has not finished it yet */
	bool quit;

	/* The thread's while running, the host's otherwise. */
	qp_buf_t token;
	qp_err_t outcome;
	char detail[1024];
	flush_result_t *results;
	size_t result_count, result_alloc;
	qp_buf_t errors;
	bool out_of_memory; /* a result could not be recorded */
};

/* The inserter's result callback, on the flusher's thread. */
static void record(void *tag, qp_err_t status, const char *error, void *opaque)
{
	qp_flusher_t *f = opaque;
	flush_result_t *r;

	if (f->result_count == f->result_alloc) {
		size_t alloc = f->result_alloc ? 2 * f->result_alloc : 1024;
		flush_result_t *grown = realloc(f->results, alloc * sizeof(*grown));

		if (!grown) {
			f->out_of_memory = true;
			return;
		}
		f->results = grown;
		f->result_alloc = alloc;
	}
	r = &f->results[f->result_count++];
	r->tag = tag;
	r->status = status;
	r->settled_us = qp_clock__wall_us();
	r->error = f->errors.size;
	if (qp_buf__puts(&f->errors, error ? error : "") || qp_buf__putc(&f->errors, '\0')) {
		f->out_of_memory = true;
		r->error = SIZE_MAX;
	}
}

static void *flusher_main(void *arg)
{
	qp_flusher_t *f = arg;

	pthread_mutex_lock(&f->lock);
	for (;;) {
		while (!f->quit && !f->running)
			pthread_cond_wait(&f->changed, &f->lock);
		if (f->quit)
			break;
		pthread_mutex_unlock(&f->lock);
		f->outcome = qp_inserter_flush(f->ins, f->token.size ? f->token.ptr : NULL);
		snprintf(f->detail, sizeof(f->detail), "%s", f->outcome ? qp_error_last() : "");
		pthread_mutex_lock(&f->lock);
		f->running = false;
		pthread_cond_broadcast(&f->changed);
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

qp_err_t qp_flusher__new(qp_flusher_t **out, qp_inserter_t *ins,
                         qp_flusher_result_cb *cb, void *opaque)
{
	qp_flusher_t *f;

	*out = NULL;
	if (!(f = calloc(1, sizeof(*f))))
		return qp_error__code(QP_ERR_NOMEM);
	f->ins = ins;
	f->cb = cb;
	f->opaque = opaque;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->changed, NULL);
	if (pthread_create(&f->thread, NULL, flusher_main, f)) {
		pthread_cond_destroy(&f->changed);
		pthread_mutex_destroy(&f->lock);
		free(f);
		return qp_error__set(QP_ERR_GENERIC, "inserter: cannot start the flush thread");
	}
	qp_inserter_set_result_cb(ins, record, f);
	*out = f;
	return QP_OK;
}

void qp_flusher__destroy(qp_flusher_t *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	while (f->running)
		pthread_cond_wait(&f->changed, &f->lock);
	f->quit = true;
	pthread_cond_broadcast(&f->changed);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	pthread_cond_destroy(&f->changed);
	pthread_mutex_destroy(&f->lock);
	qp_inserter_set_result_cb(f->ins, NULL, NULL);
	qp_buf_dispose(&f->token);
	qp_buf_dispose(&f->errors);
	free(f->results);
	free(f);
}

void qp_flusher__start(qp_flusher_t *f, const char *dedup_token)
{
	qp_buf__truncate(&f->token, 0);
	if (dedup_token && qp_buf__puts(&f->token, dedup_token))
		qp_buf__truncate(&f->token, 0); /* no token rather than a cut one */
	f->result_count = 0;
	qp_buf__truncate(&f->errors, 0);
	f->out_of_memory = false;
	pthread_mutex_lock(&f->lock);
	f->started = f->running = true;
	pthread_cond_broadcast(&f->changed);
	pthread_mutex_unlock(&f->lock);
}

bool qp_flusher__busy(const qp_flusher_t *f)
{
	return f->started;
}

bool qp_flusher__collect(qp_flusher_t *f, bool block, qp_err_t *err)
{
	size_t i;

	pthread_mutex_lock(&f->lock);
	while (block && f->running)
		pthread_cond_wait(&f->changed, &f->lock);
	if (!f->started || f->running) {
		pthread_mutex_unlock(&f->lock);
		return false;
	}
	f->started = false;
	pthread_mutex_unlock(&f->lock);
	for (i = 0; i < f->result_count; i++) {
		flush_result_t *r = &f->results[i];

		f->cb(r->tag, r->status, r->error == SIZE_MAX ? "" : f->errors.ptr + r->error,
		      r->settled_us, f->opaque);
	}
	*err = f->outcome;
	/* A row whose fate could not be recorded is never acked: it comes
	 * again after a restart, which at-least-once allows. */
	if (!*err && f->out_of_memory)
		*err = qp_error__set(QP_ERR_NOMEM, "inserter: results of a flush were lost");
	else if (*err)
		qp_error__set(*err, "%s", f->detail);
	return true;
}
