/*
 * Internal: the cell-tower table of the fraud engine, loaded from CSV files
 * in the OpenCelliD format. Open addressing with linear probing on a packed
 * key (radio, mcc, mnc, area, cell id), so a lookup is one hash and, almost
 * always, one cache line; 24 bytes per slot, at most half the slots in use.
 */
#ifndef QP_TOWERS_INT_H
#define QP_TOWERS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quackpipe/conf.h"
#include "quackpipe/event.h"

typedef struct qp_tower {
	uint64_t key;    /* cid | radio << 36 | mcc << 40 | mnc << 50; 0 = free */
	uint32_t area;   /* LAC / TAC */
	int32_t lat_e7;  /* 1e-7 degree */
	int32_t lon_e7;
	uint32_t range_m;
} qp_tower_t;

/* Why a row was skipped. */
typedef enum qp_towers_skip {
	QP_TOWERS_SKIP_FIELDS, /* not as many fields as the header (or 14) */
	QP_TOWERS_SKIP_VALUE,  /* a value that does not read as its type */
	QP_TOWERS_SKIP_RANGE,  /* a value outside its range */
	QP_TOWERS_SKIP_REASONS
} qp_towers_skip_t;

typedef struct qp_towers {
	qp_tower_t *slots;
	size_t mask;     /* slot count - 1; slot count is a power of two */
	size_t count;
	/* Over every file loaded: */
	uint64_t rows;      /* data rows read (header and blank lines excluded) */
	uint64_t bad_lines; /* rows skipped, by reason below */
	uint64_t skipped_by[QP_TOWERS_SKIP_REASONS];
} qp_towers_t;

/* What to accept of a file (qp.fraud.towers.* keys). */
typedef struct qp_towers_policy {
	bool strict;            /* fail at the first bad row */
	double skip_max_ratio;  /* share of rows that may be skipped */
	bool accept_incomplete; /* load a table that fails the above, with a warning */
} qp_towers_policy_t;

/* Frees the table and resets it to empty (a zeroed qp_towers_t is empty). */
void qp_towers__dispose(qp_towers_t *t);

/*
 * Adds the rows of a tower CSV file (see qp_fraud_load_towers for the
 * shapes read and the handling of bad lines). A file that loads no tower,
 * or skips more than policy->skip_max_ratio of its rows, fails with
 * QP_ERR_FIELD_FORMAT (what it loaded stays) unless
 * policy->accept_incomplete. conf, which may be NULL, receives the summary
 * and the warnings.
 */
qp_err_t qp_towers__load(qp_towers_t *t, const char *path, const qp_towers_policy_t *policy,
                         const qp_conf_t *conf);

/* Adds or replaces one tower. QP_ERR_NOMEM if the table cannot grow. */
qp_err_t qp_towers__put(qp_towers_t *t, qp_radio_t radio, int32_t mcc,
                        int32_t mnc, int64_t area, int64_t cid, double lat,
                        double lon, uint32_t range_m);

/* The tower of that cell, or NULL. */
const qp_tower_t *qp_towers__find(const qp_towers_t *t, qp_radio_t radio,
                                  int32_t mcc, int32_t mnc, int64_t area,
                                  int64_t cid);

/* Starts loading the slot where that cell would be into the cache, so the
 * lookup that follows later does not wait for memory. */
void qp_towers__prefetch(const qp_towers_t *t, const qp_cell_t *cell);

/* Bytes allocated for the table. */
size_t qp_towers__bytes(const qp_towers_t *t);

#endif
