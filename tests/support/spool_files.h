/*
 * Test support: the segment files of a spool's directory (base/spool.c:
 * "<number, 16 hex digits>.seg"), for the spool's and the ingest journal's
 * tests.
 */
#ifndef QP_TEST_SPOOL_FILES_H
#define QP_TEST_SPOOL_FILES_H

#include <stddef.h>

/* How many segment files dir holds, -1 when there is no dir. When last is
 * not NULL and there is one, the path of the newest (the highest number)
 * goes there. */
int spool_segments(const char *dir, char *last, size_t last_size);

#endif
