/* Internal: growing the dynamic arrays the modules keep (rows, entries,
 * partitions, rules, heap items...). */
#ifndef QP_ARRAY_INT_H
#define QP_ARRAY_INT_H

#include <stddef.h>

#include "base/errors_int.h"

/*
 * Makes room for at least one more element when count == *alloc: the
 * allocation doubles, starting at `first` elements. items_ptr is the
 * address of the array pointer (a T **), size the element size. Returns
 * QP_ERR_NOMEM (the array unchanged) when out of memory. Use through
 * QP_ARRAY_RESERVE.
 */
qp_err_t qp_array__reserve(void *items_ptr, size_t *alloc, size_t count, size_t size,
                           size_t first);

#define QP_ARRAY_RESERVE(items, alloc, count, first) \
	qp_array__reserve(&(items), &(alloc), (count), sizeof(*(items)), (first))

#endif
