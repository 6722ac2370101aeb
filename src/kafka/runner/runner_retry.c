/* The retry heap: messages ordered by the time their backoff ends. */
#include <stdlib.h>

#include "base/array_int.h"
#include "kafka/runner/runner_int.h"

static bool before(const qp_message_t *a, const qp_message_t *b)
{
	return a->due_ms < b->due_ms;
}

static void swap(qp_message_t **items, size_t a, size_t b)
{
	qp_message_t *tmp = items[a];

	items[a] = items[b];
	items[b] = tmp;
}

static void sift_up(qp_retry_heap_t *h, size_t i)
{
	while (i > 0 && before(h->items[i], h->items[(i - 1) / 2])) {
		swap(h->items, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void sift_down(qp_retry_heap_t *h, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, min = i;

		if (l < h->count && before(h->items[l], h->items[min]))
			min = l;
		if (r < h->count && before(h->items[r], h->items[min]))
			min = r;
		if (min == i)
			return;
		swap(h->items, i, min);
		i = min;
	}
}

qp_err_t qp_retry__push(qp_retry_heap_t *h, qp_message_t *msg)
{
	if (QP_ARRAY_RESERVE(h->items, h->cap, h->count, 16))
		return QP_ERR_NOMEM;
	h->items[h->count++] = msg;
	sift_up(h, h->count - 1);
	return QP_OK;
}

qp_message_t *qp_retry__peek(const qp_retry_heap_t *h)
{
	return h->count ? h->items[0] : NULL;
}

qp_message_t *qp_retry__pop(qp_retry_heap_t *h)
{
	qp_message_t *top;

	if (!h->count)
		return NULL;
	top = h->items[0];
	h->items[0] = h->items[--h->count];
	sift_down(h, 0);
	return top;
}

void qp_retry__filter(qp_retry_heap_t *h,
                      bool (*drop)(qp_message_t *msg, void *opaque),
                      void *opaque)
{
	size_t i, kept = 0;

	for (i = 0; i < h->count; i++)
		if (!drop(h->items[i], opaque))
			h->items[kept++] = h->items[i];
	h->count = kept;
	/* Rebuild bottom-up: O(n), and filtering is rare (revocations). */
	for (i = kept / 2; i-- > 0;)
		sift_down(h, i);
}

void qp_retry__dispose(qp_retry_heap_t *h)
{
	free(h->items);
	h->items = NULL;
	h->count = h->cap = 0;
}
