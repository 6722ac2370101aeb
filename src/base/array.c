/* Growing dynamic arrays (array_int.h). */
#include <stdlib.h>
#include <string.h>

#include "base/array_int.h"

qp_err_t qp_array__reserve(void *items_ptr, size_t *alloc, size_t count, size_t size,
                           size_t first)
{
	size_t grown_alloc = *alloc ? *alloc * 2 : first;
	void *items, *grown;

	if (count < *alloc)
		return QP_OK;
	/* The pointer is read and written as bytes: items_ptr is a T **. */
	memcpy(&items, items_ptr, sizeof(items));
	if (!(grown = realloc(items, grown_alloc * size)))
		return qp_error__code(QP_ERR_NOMEM);
	memcpy(items_ptr, &grown, sizeof(grown));
	*alloc = grown_alloc;
	return QP_OK;
}
