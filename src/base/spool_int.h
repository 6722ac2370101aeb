/*
 * Internal: a bounded first-in first-out queue of byte records on disk, the
 * ingest API's spool (docs/ingest.md). It knows nothing of Kafka: a record
 * is bytes; services/ingest_spool.c gives them their meaning.
 *
 * Layout of the directory: segment files "<16 hex digits>.seg", written
 * append-only and read in the order of their numbers, and a file "head"
 * ("<segment> <offset>\n", replaced by rename) saying where the first
 * record not yet removed starts. A record is
 *
 *   u32 length (little endian) | u32 CRC-32 of the length bytes and the
 *   payload | payload (length bytes)
 *
 * so a record torn by a crash in the middle of a write (a short tail, or
 * bytes that do not match their CRC) is found when the spool is opened and
 * cut off there, never handed out as a record. Records are removed only
 * from the head (after the caller is done with them): a segment whose
 * records are all removed is deleted, and an empty spool leaves no file.
 *
 * The bound is on live bytes (from the head to the tail, headers
 * included); the disk may hold up to one segment more (the removed prefix
 * of the head segment). Not thread-safe: the caller locks.
 */
#ifndef QP_SPOOL_INT_H
#define QP_SPOOL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "quackpipe/common.h"
#include "quackpipe/errors.h"

/* Bytes of a record's header on disk. */
#define QP_SPOOL__RECORD_HEADER 8
/* The largest payload a record may carry. */
#define QP_SPOOL__RECORD_MAX (64u << 20)

typedef struct qp_spool qp_spool_t;

/* Opens the spool in dir (creating it, and the directories above it, if
 * needed), bounded to max_bytes of live records, and checks every record
 * in it: a torn or corrupt tail is cut off (qp_spool__cut_bytes says how
 * much). QP_ERR_IO (detail: the file and why), QP_ERR_NOMEM. */
qp_err_t qp_spool__open(qp_spool_t **out, const char *dir, uint64_t max_bytes);

/* Closes the files (syncing what was appended) and frees. Accepts NULL. */
void qp_spool__close(qp_spool_t *s);

/* Bytes a record of payload len takes on disk (and in the bound). */
static inline uint64_t qp_spool__record_size(size_t len)
{
	return QP_SPOOL__RECORD_HEADER + (uint64_t)len;
}

/* Appends a record at the tail (written at once, synced by
 * qp_spool__sync). QP_ERR_QUEUE_FULL when it would take the live bytes
 * over the bound (nothing written), QP_ERR_TOO_LARGE over
 * QP_SPOOL__RECORD_MAX, QP_ERR_IO (the spool is unchanged). */
qp_err_t qp_spool__append(qp_spool_t *s, const void *data, size_t len);
/* Appends count records with one write() (all or, on an error, none):
 * the same errors. Their sequence numbers follow the tail's
 * (qp_spool__tail_seq before the call). */
qp_err_t qp_spool__append_many(qp_spool_t *s, const struct iovec *payloads, size_t count);
/* The sequence number the next appended record gets. */
uint64_t qp_spool__tail_seq(const qp_spool_t *s);

/* Makes the records appended so far durable (fdatasync of the segments
 * appended to since the last sync: a segment left by a roll is synced
 * here, not when it is left). QP_ERR_IO. */
qp_err_t qp_spool__sync(qp_spool_t *s);

/* A sync and a removal in two steps, for a caller whose lock must not be
 * held while the disk flushes (the ingest journal: requests append under
 * it). qp_spool__cut_start, under the lock, takes the segments to sync
 * (descriptors of their own: the spool may roll or delete them meanwhile)
 * and removes the records before seq from the spool's memory (at most the
 * tail's; none when seq is at or below the head); qp_spool__cut_finish,
 * without the lock, fdatasyncs those segments, then writes the new head,
 * then deletes the emptied segments, as qp_spool__sync and
 * qp_spool__remove_until do. The records appended before the start are
 * durable once the finish returns QP_OK. Every start, failed or not, is
 * followed by its finish; one cut at a time (the head file). QP_ERR_IO,
 * QP_ERR_NOMEM. */
typedef struct qp_spool_cut {
	const char *dir;
	int *fds;
	size_t nfds;
	bool head;                       /* a head to write: */
	uint64_t head_number, head_off;
	uint64_t *unlink;                /* then segments to delete */
	size_t nunlink;
} qp_spool_cut_t;

qp_err_t qp_spool__cut_start(qp_spool_t *s, uint64_t seq, qp_spool_cut_t *cut);
qp_err_t qp_spool__cut_finish(qp_spool_cut_t *cut);
/* Tests only: called by qp_spool__cut_finish before it syncs anything,
 * with the caller's lock released (a test appends from it). */
extern void (*qp_spool__test_on_flush)(void *arg);
extern void *qp_spool__test_on_flush_arg;

/* The record at the read cursor into out (replacing its content) and its
 * sequence number (*seq; the head's is qp_spool__head_seq), then moves the
 * cursor past it. QP_ERR_NO_EVENT at the tail, QP_ERR_IO (a record that no
 * longer matches its CRC), QP_ERR_NOMEM. */
qp_err_t qp_spool__next(qp_spool_t *s, qp_buf_t *out, uint64_t *seq);

/* Moves the read cursor back to the head. */
void qp_spool__rewind(qp_spool_t *s);

/* Removes the records before sequence number seq (at most the tail's).
 * The new head is written before any segment is deleted, so a crash
 * between the two only leaves a file behind. QP_ERR_IO. */
qp_err_t qp_spool__remove_until(qp_spool_t *s, uint64_t seq);

/* The sequence number of the head (the first record not removed); those of
 * the records after it follow one by one. */
uint64_t qp_spool__head_seq(const qp_spool_t *s);
/* Live records and their bytes on disk (headers included). */
uint64_t qp_spool__records(const qp_spool_t *s);
uint64_t qp_spool__bytes(const qp_spool_t *s);
/* The bound on those bytes, as opened. */
uint64_t qp_spool__max_bytes(const qp_spool_t *s);
/* Bytes cut off when the spool was opened (a torn or corrupt tail). */
uint64_t qp_spool__cut_bytes(const qp_spool_t *s);

#endif
